"""Reading 12315 exports: formats, encodings, headers, parsing, bad rows and their accounting."""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kwstats import ingest
from kwstats.exceptions import InputFileError, MissingColumnError
from kwstats.ingest import (
    NoExportsFoundError,
    decode_bytes,
    expand_paths,
    read_export,
    read_exports,
)
from kwstats.ingest.htmltable import TableParser
from kwstats.params import load_branch
from kwstats.schema import CASE_COLUMNS, REJECT_COLUMNS

FIXTURES = Path(__file__).parent / "fixtures"

HEADER = [
    "序号",
    "登记编号",
    "业务类型",
    "登记时间",
    "承办单位",
    "诉求来源",
    "受理时间",
    "办结时间",
    "当前环节",
    "挽回经济损失（元）",
    "是否立案",
    "是否诉转案",
    "是否涉疫",
    "催办次数",
    "被投诉方",
    "登记内容",
    "姓名",
    "联系电话",
    "身份证号",
    "备注",
]
NAME = "张三丰"
PHONE = "13912345678"
ID_NUMBER = "22010219900101123X"


def row(i: int, **over: object) -> dict[str, object]:
    """A good export row; keyword arguments override cells by header."""
    base: dict[str, object] = {
        "序号": i,
        "登记编号": f"K{i:05d}",
        "业务类型": "投诉",
        "登记时间": "2022-01-05 09:31:00",
        "承办单位": "站前所",
        "诉求来源": "电话",
        "受理时间": "2022-01-06 10:00",
        "办结时间": "2022-01-10 16:00",
        "当前环节": "办结",
        "挽回经济损失（元）": "100",
        "是否立案": "否",
        "是否诉转案": "否",
        "是否涉疫": "否",
        "催办次数": "",
        "被投诉方": "某某超市",
        "登记内容": f"消费者{NAME}称购买的牛奶过期，联系电话{PHONE}。",
        "姓名": NAME,
        "联系电话": PHONE,
        "身份证号": ID_NUMBER,
        "备注": "",
    }
    base.update(over)
    return base


def write_csv(
    path: Path,
    rows: list[dict[str, object]],
    *,
    header: list[str] = HEADER,
    title: Sequence[str] = (),
    encoding: str = "utf-8",
    tail: Sequence[list[str]] = (),
    delimiter: str = ",",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        for t in title:
            w.writerow([t])
        w.writerow(header)
        for r in rows:
            w.writerow(["" if r.get(h) is None else r.get(h, "") for h in header])
        for t in tail:
            w.writerow(t)
    return path


def write_xlsx(
    path: Path,
    rows: list[list[object]],
    *,
    header: list[str] = HEADER,
    title: Sequence[str] = (),
    gap: int = 0,
) -> Path:
    """Title rows, `gap` blank rows, the header, then the rows (datetime cells as Excel dates)."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Sheet1")
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    r = 0
    for t in title:
        sheet.write(r, 0, t)
        r += 1
    r += gap
    sheet.write_row(r, 0, header)
    r += 1
    for values in rows:
        for j, v in enumerate(values):
            if isinstance(v, dt.datetime):
                sheet.write_datetime(r, j, v, date_fmt)
            elif v is None or v == "":
                continue
            else:
                sheet.write(r, j, v)
        r += 1
    book.close()
    return path


def write_book(path: Path, sheets: dict[str, list[list[object]]], hidden: Sequence[str] = ()) -> Path:
    """A workbook with one worksheet per item, each given as its rows (header included)."""
    book = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, values in enumerate(rows):
            for j, v in enumerate(values):
                if v is not None and v != "":
                    sheet.write(r, j, v)
        if name in hidden:
            sheet.hide()
    book.close()
    return path


def write_html(
    path: Path,
    rows: list[dict[str, object]],
    *,
    header: list[str] = HEADER,
    title: str = "",
    encoding: str = "utf-8",
    page: bool = True,
) -> Path:
    """The platform's "Excel export" as it often is: an HTML table (in a page, or bare), `encoding`."""
    cells = "".join(f"<th>{h}</th>" for h in header)
    body = [f'<tr><td colspan="{len(header)}">{title}</td></tr>'] if title else []
    body.append(f"<tr>{cells}</tr>")
    for r in rows:
        tds = "".join(f"<td x:str>{'&nbsp;' if r.get(h, '') == '' else r.get(h)}</td>" for h in header)
        body.append(f"<tr>\n  {tds}\n</tr>")
    table = "<table border=1>\n" + "\n".join(body) + "\n</table>"
    if page:
        charset = "gb2312" if encoding == "gb18030" else encoding
        table = (
            '<html xmlns:x="urn:schemas-microsoft-com:office:excel">\n<head>'
            f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'
            "<style>td { mso-number-format:'\\@'; }</style><script>var x = '<td>no</td>';</script>"
            f"</head>\n<body>\n{table}\n</body></html>"
        )
    path.write_bytes(table.encode(encoding))
    return path


def first_sentence(exc: BaseException) -> str:
    return str(exc).split("。")[0]


def as_list(d: dict[str, object], header: list[str] = HEADER) -> list[object]:
    return [d.get(h, "") for h in header]


def check_accounting(result: ingest.IngestResult) -> None:
    assert result.rows_read == result.rows_used + result.rows_set_aside
    assert len(result.cases) == result.rows_used
    assert len(result.rejected) == result.rows_set_aside
    for f in result.files:
        assert f.rows_read == f.rows_used + f.rows_set_aside


def all_text(result: ingest.IngestResult) -> str:
    parts = [result.cases.astype(str).to_csv(), result.rejected.astype(str).to_csv()]
    return "\n".join(parts)


# --------------------------------------------------------------------------------------------
# formats and encodings


def test_xlsx_title_rows_dates_amounts_flags(tmp_path: Path, branch) -> None:
    rows = [
        as_list(row(1, 登记时间=dt.datetime(2022, 1, 5, 9, 31), 办结时间=dt.datetime(2022, 1, 7, 8, 0))),
        as_list(row(2, 登记时间=44566.396527777776, 办结时间="44568", **{"挽回经济损失（元）": "1,200.00"})),
        as_list(
            row(3, 登记时间="2022/1/5 9:31", 办结时间="", **{"挽回经济损失（元）": "300元", "是否立案": "是"})
        ),
        as_list(
            row(4, 登记时间="2022年1月5日 09:31", 办结时间="2022年1月8日", **{"挽回经济损失（元）": "￥300"})
        ),
        as_list(
            row(5, 登记时间="20220105", 承办单位="", 业务类型=" 举报 ", **{"是否涉疫": "Y", "催办次数": 2})
        ),
        as_list(row(6, 登记时间="2022/01/05 09:31:05", **{"挽回经济损失（元）": 60800, "是否诉转案": "√"})),
        [],  # fully blank row
        as_list(row(7, 登记时间="2022-01-05", **{"挽回经济损失（元）": "300 元", "是否立案": 1})),
        ["合计", "", "", "", "", "", "", "", "", 62000],
    ]
    path = write_xlsx(
        tmp_path / "2022-01.xlsx", rows, title=["宽城分局12315登记表", "导出时间：2022-02-01"], gap=1
    )
    result = read_export(path, branch)
    check_accounting(result)
    (report,) = result.files
    assert report.format == "xlsx" and report.encoding is None
    assert report.header_line == 4
    assert (report.rows_read, report.rows_used, report.rows_set_aside) == (8, 7, 1)
    assert (report.total_rows, report.blank_rows) == (1, 1)

    cases = result.cases.set_index("case_id")
    reg = cases["registered_at"]
    assert reg["K00001"] == pd.Timestamp("2022-01-05 09:31")
    assert reg["K00002"] == pd.Timestamp("2022-01-05 09:31")  # Excel serial, rounded to the second
    assert reg["K00003"] == pd.Timestamp("2022-01-05 09:31")
    assert reg["K00004"] == pd.Timestamp("2022-01-05 09:31")
    assert reg["K00005"] == pd.Timestamp("2022-01-05")
    assert reg["K00006"] == pd.Timestamp("2022-01-05 09:31:05")
    assert reg["K00007"] == pd.Timestamp("2022-01-05")
    assert cases.loc["K00002", "closed_at"] == pd.Timestamp("2022-01-07")
    assert pd.isna(cases.loc["K00003", "closed_at"])
    assert cases.loc["K00004", "closed_at"] == pd.Timestamp("2022-01-08")
    assert cases["recovered_loss"].to_dict() == {
        "K00001": 100.0,
        "K00002": 1200.0,
        "K00003": 300.0,
        "K00004": 300.0,
        "K00005": 100.0,
        "K00006": 60800.0,
        "K00007": 300.0,
    }
    assert cases["filed"][["K00003", "K00007"]].all() and not cases.loc["K00001", "filed"]
    assert cases.loc["K00005", "epidemic"] and cases.loc["K00006", "complaint_to_case"]
    assert cases.loc["K00005", "urges"] == 2 and cases.loc["K00001", "urges"] == 0
    assert cases.loc["K00005", "kind"] == "举报"
    assert pd.isna(cases.loc["K00005", "unit"])  # not assigned: allowed
    assert cases["source_line"].tolist() == [5, 6, 7, 8, 9, 10, 12]
    assert set(cases["source_file"]) == {"2022-01.xlsx"}

    (total,) = result.rejected.itertuples()
    assert (total.source_line, total.reason, total.column, total.value) == (13, "合计行", "序号", "合计")
    assert pd.isna(total.case_id)


def test_canonical_table(tmp_path: Path, branch) -> None:
    path = write_csv(tmp_path / "a.csv", [row(1), row(2, 业务类型="举报")])
    cases = read_export(path, branch).cases
    assert list(cases.columns) == list(CASE_COLUMNS)
    assert {c: str(t) for c, t in cases.dtypes.items()} == CASE_COLUMNS
    assert isinstance(cases.index, pd.RangeIndex)
    for col in ("unit", "kind", "channel", "stage"):
        assert isinstance(cases[col].dtype, pd.CategoricalDtype)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings(tmp_path: Path, branch, encoding: str) -> None:
    path = write_csv(
        tmp_path / "export.csv",
        [row(1, 承办单位="南广所"), row(2, 业务类型="咨询")],
        title=["宽城分局 2022 年 1 月 12315 登记表"],
        encoding=encoding,
    )
    result = read_export(path, branch)
    check_accounting(result)
    assert result.files[0].encoding == encoding
    assert result.files[0].format == "csv"
    assert result.files[0].header_line == 2
    assert result.cases["unit"].tolist()[0] == "南广所"
    assert result.cases["kind"].tolist() == ["投诉", "咨询"]
    assert result.cases["source_line"].tolist() == [3, 4]


def test_gb18030_bytes_not_mistaken_for_utf8(tmp_path: Path, branch) -> None:
    path = write_csv(tmp_path / "gbk.csv", [row(1, 被投诉方="长春市宽城区某某超市")], encoding="gbk")
    result = read_export(path, branch)
    assert result.files[0].encoding == "gb18030"
    assert result.cases["respondent"].tolist() == ["长春市宽城区某某超市"]


def test_xls_fixture(branch) -> None:
    result = read_export(FIXTURES / "export_legacy.xls", branch)
    check_accounting(result)
    (report,) = result.files
    assert report.format == "xls" and report.header_line == 4
    assert report.personal_headers == ["来电号码"]
    cases = result.cases.set_index("case_id")
    assert list(cases.index) == ["X001", "X002", "X003"]
    assert cases.loc["X001", "registered_at"] == pd.Timestamp("2022-01-05 09:31")
    assert cases.loc["X001", "closed_at"] == pd.Timestamp("2022-01-07 10:00")
    assert cases.loc["X002", "registered_at"] == pd.Timestamp("2022-01-06 12:00")
    assert cases.loc["X002", "closed_at"] == pd.Timestamp("2022-01-09")
    assert cases["recovered_loss"].tolist() == [1200.0, 300.0, 0.0]
    assert cases.loc["X001", "complaint_to_case"]
    assert cases.loc["X001", "content"] == "联系电话138****5678"
    assert pd.isna(cases.loc["X003", "unit"])
    assert result.rejected[["source_line", "column", "value"]].values.tolist() == [
        [8, "诉求类型", "表扬"],
        [9, "工单号", "合计"],
    ]
    assert result.rejected["reason"].tolist()[1] == "合计行"
    assert "13812345678" not in all_text(result)


def test_csv_quoted_multiline_cell_keeps_line_numbers(tmp_path: Path, branch) -> None:
    path = write_csv(tmp_path / "a.csv", [row(1, 登记内容="第一行\n第二行"), row(2, 业务类型="投诉件")])
    result = read_export(path, branch)
    assert result.cases["content"].tolist() == ["第一行\n第二行"]
    assert result.rejected["source_line"].tolist() == [4]  # record 2 starts on line 4


def test_tab_separated_csv(tmp_path: Path, branch) -> None:
    path = write_csv(tmp_path / "a.csv", [row(1), row(2)], delimiter="\t")
    assert read_export(path, branch).cases["case_id"].tolist() == ["K00001", "K00002"]


def test_csv_excel_text_idiom(tmp_path: Path, branch) -> None:
    path = write_csv(tmp_path / "a.csv", [row(1, 登记编号='="1220103002022010500123"')])
    assert read_export(path, branch).cases["case_id"].tolist() == ["1220103002022010500123"]


# --------------------------------------------------------------------------------------------
# headers


def test_alias_variants_and_full_width_parentheses(tmp_path: Path, branch) -> None:
    header = [
        " 工单号 ",
        "诉求类型",
        "接收时间",
        "办理单位",
        "挽回经济损失 (元)",
        "办结日期",
        "涉疫情",
        "诉求内容",
        "手机号码",
    ]
    values = ["W1", "举报", "2022-01-03 08:00", "兴业所", "50", "2022-01-04", "是", "无", "13812345678"]
    path = write_xlsx(tmp_path / "v2.xlsx", [values], header=header)
    result = read_export(path, branch)
    report = result.files[0]
    assert report.columns["case_id"] == "工单号"
    assert report.columns["recovered_loss"] == "挽回经济损失 (元)"
    assert report.columns["unit"] == "办理单位"
    assert report.personal_headers == ["手机号码"]
    (case,) = result.cases.to_dict("records")
    assert (case["case_id"], case["kind"], case["unit"], case["recovered_loss"]) == (
        "W1",
        "举报",
        "兴业所",
        50.0,
    )
    assert case["epidemic"]
    assert case["closed_at"] == pd.Timestamp("2022-01-04")


def test_header_cell_with_line_break(tmp_path: Path, branch) -> None:
    header = ["登记\n编号", "业务类型", "登记时间", "承办单位", "挽回经济损失\n（元）"]
    path = write_xlsx(tmp_path / "a.xlsx", [["A", "投诉", "2022-01-05", "站前所", "1"]], header=header)
    result = read_export(path, branch)
    assert result.files[0].columns["recovered_loss"] == "挽回经济损失\n（元）"
    assert result.cases["recovered_loss"].tolist() == [1.0]


def test_personal_columns_absent(tmp_path: Path, branch) -> None:
    path = write_csv(tmp_path / "a.csv", [row(1), row(2, 业务类型="表扬")])
    result = read_export(path, branch)
    assert set(result.files[0].personal_headers) == {"姓名", "联系电话", "身份证号"}
    assert result.files[0].unmapped_headers == ["序号", "备注"]
    text = all_text(result)
    assert PHONE not in text and ID_NUMBER not in text
    # the row's own 姓名 recurring in its content is masked too (surname kept, as 孙先生 is published)
    assert NAME not in text
    assert result.cases["content"].tolist() == [
        f"消费者{NAME[0]}{'*' * (len(NAME) - 1)}称购买的牛奶过期，联系电话139****5678。"
    ]
    assert not set(result.cases.columns) - set(CASE_COLUMNS)


def test_missing_column_error_names_column_aliases_and_headers(tmp_path: Path, branch) -> None:
    header = [h for h in HEADER if h != "登记时间"]
    path = write_csv(tmp_path / "no_reg.csv", [row(1)], header=header, title=["标题"])
    with pytest.raises(MissingColumnError) as info:
        read_export(path, branch)
    err = info.value
    assert err.field == "registered_at"
    assert err.aliases == ["登记时间", "交办时间", "接收时间"]
    assert "承办单位" in err.headers and "登记编号" in err.headers
    msg = str(err)
    assert "no_reg.csv" in msg and "registered_at" in msg
    assert "登记时间、交办时间、接收时间" in msg and "承办单位" in msg


def test_no_header_at_all(tmp_path: Path, branch) -> None:
    path = tmp_path / "x.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(MissingColumnError) as info:
        read_export(path, branch)
    assert info.value.field == "case_id"
    assert info.value.headers == ["a", "b", "c"]


# --------------------------------------------------------------------------------------------
# bad files


def test_missing_file(tmp_path: Path, branch) -> None:
    with pytest.raises(InputFileError, match="nope.xlsx"):
        read_export(tmp_path / "nope.xlsx", branch)


def test_corrupt_xlsx(tmp_path: Path, branch) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    with pytest.raises(InputFileError, match="broken.xlsx") as info:
        read_export(path, branch)
    assert "另存为 .xlsx" in str(info.value)


@pytest.mark.parametrize("name", ["cut.xlsx", "cut.xls"])
def test_truncated_xlsx_says_damaged_and_re_export(tmp_path: Path, branch, name: str) -> None:
    whole = write_xlsx(tmp_path / "whole.xlsx", [as_list(row(i)) for i in range(1, 50)])
    data = whole.read_bytes()
    path = tmp_path / name
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFileError) as info:
        read_export(path, branch)
    msg, first = str(info.value), first_sentence(info.value)
    assert name in first and "已损坏" in first
    assert "Zip" not in first and "Calamine" not in first and "EOCD" not in first
    assert "请从 12315 平台重新导出" in msg
    assert msg.endswith("）") and "供技术支持参考：" in msg  # the library's words, last


def test_zip_that_is_not_a_workbook(tmp_path: Path, branch) -> None:
    path = tmp_path / "export.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("12315.csv", "登记编号\n")
    with pytest.raises(InputFileError) as info:
        read_export(path, branch)
    assert "export.xlsx：这个文件是压缩包（zip），不是 Excel 工作簿。" in str(info.value)
    assert "请先解压" in str(info.value)


def test_password_protected_xlsx(tmp_path: Path, branch) -> None:
    # an encrypted xlsx is an OLE file holding an "EncryptedPackage" stream
    path = tmp_path / "locked.xlsx"
    path.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600) + "EncryptedPackage".encode("utf-16-le")
    )
    with pytest.raises(InputFileError, match="locked.xlsx：文件有密码保护"):
        read_export(path, branch)


def test_damaged_xls(tmp_path: Path, branch) -> None:
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    with pytest.raises(InputFileError) as info:
        read_export(path, branch)
    first = first_sentence(info.value)
    assert "old.xls：文件看起来已损坏" in first and "Cfb" not in first


@pytest.mark.parametrize("name", ["empty.xlsx", "empty.xls", "empty.csv"])
def test_zero_byte_file(tmp_path: Path, branch, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(InputFileError) as info:
        read_export(path, branch)
    assert str(info.value).startswith(f"文件是空的（0 字节）：{path}。")
    assert "重新导出" in str(info.value)


# --------------------------------------------------------------------------------------------
# file type by content


def test_xlsx_named_xls_or_csv_is_read_as_xlsx(tmp_path: Path, branch) -> None:
    real = write_xlsx(tmp_path / "real.xlsx", [as_list(row(1)), as_list(row(2))])
    for name in ("platform.xls", "platform.csv"):
        path = tmp_path / name
        shutil.copy(real, path)
        result = read_export(path, branch)
        check_accounting(result)
        assert result.files[0].format == "xlsx"
        assert result.cases["case_id"].tolist() == ["K00001", "K00002"]
        assert set(result.cases["source_file"]) == {name}


def test_xls_named_xlsx_is_read_as_xls(tmp_path: Path, branch) -> None:
    path = tmp_path / "legacy.xlsx"
    shutil.copy(FIXTURES / "export_legacy.xls", path)
    result = read_export(path, branch)
    assert result.files[0].format == "xls"
    assert result.cases["case_id"].tolist() == ["X001", "X002", "X003"]


@pytest.mark.parametrize(("encoding", "page"), [("utf-8", True), ("gb18030", True), ("utf-8", False)])
def test_html_table_named_xls(tmp_path: Path, branch, encoding: str, page: bool) -> None:
    rows = [
        row(1, 登记内容="第一行<br>第二行", **{"挽回经济损失（元）": "1,200.00"}),
        row(2, 业务类型="举报", 承办单位=" 南广所 ", 办结时间=""),
        row(3, 业务类型="表扬"),
        {"序号": "合计", "挽回经济损失（元）": "1300"},
    ]
    path = write_html(
        tmp_path / "导出.xls", rows, title="宽城分局 12315 登记表 &amp; 明细", encoding=encoding, page=page
    )
    result = read_export(path, branch)
    check_accounting(result)
    (report,) = result.files
    assert (report.format, report.encoding) == ("html-xls", encoding)
    assert report.header_line == 2  # table rows, as Excel shows the page
    assert (report.rows_read, report.rows_used, report.rows_set_aside, report.total_rows) == (4, 2, 2, 1)
    assert set(report.personal_headers) == {"姓名", "联系电话", "身份证号"}
    cases = result.cases.set_index("case_id")
    assert cases["source_line"].tolist() == [3, 4]
    assert cases.loc["K00001", "content"] == "第一行\n第二行"
    assert cases.loc["K00001", "recovered_loss"] == 1200.0
    assert cases.loc["K00001", "registered_at"] == pd.Timestamp("2022-01-05 09:31")
    assert cases.loc["K00002", "unit"] == "南广所" and pd.isna(cases.loc["K00002", "closed_at"])
    assert result.rejected[["source_line", "reason"]].values.tolist() == [
        [5, "业务类型无法识别（应为 投诉、举报、咨询）"],
        [6, "合计行"],
    ]
    assert PHONE not in all_text(result) and ID_NUMBER not in all_text(result)


def test_html_table_text_and_spans() -> None:
    parser = TableParser()
    parser.feed(
        "<table><tr><td colspan=3>标题</td></tr>"
        "<tr><th rowspan='2'>A</th><td>b&nbsp; \n c</td><td>x <br/> y</td></tr>"
        "<tr><td>1</td><td>2</td></tr><tr><td/><td>z</td></tr></table>"
    )
    parser.close()
    assert parser.rows == [["标题", "", ""], ["A", "b c", "x\ny"], ["", "1", "2"], ["", "z"]]


def test_html_without_table(tmp_path: Path, branch) -> None:
    path = tmp_path / "fake.xls"
    path.write_text("<html><body>会话已过期，请重新登录</body></html>", encoding="utf-8")
    with pytest.raises(InputFileError) as info:
        read_export(path, branch)
    assert first_sentence(info.value) == f"{path}：扩展名是 .xls，实际是网页（HTML）文件，但里面没有表格"


def test_html_without_header_names_the_headers(tmp_path: Path, branch) -> None:
    path = tmp_path / "fake.xls"
    path.write_text("<html><table><tr><td>登记编号</td></tr></table></html>", encoding="utf-8")
    with pytest.raises(MissingColumnError, match="fake.xls") as info:
        read_export(path, branch)
    assert info.value.headers == ["登记编号"]


def test_xml_spreadsheet_and_text_named_xls(tmp_path: Path, branch) -> None:
    xml = tmp_path / "2003.xls"
    xml.write_text(
        '<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
        "<Worksheet><Table><Row><Cell><Data>登记编号</Data></Cell></Row></Table></Worksheet></Workbook>",
        encoding="utf-8",
    )
    with pytest.raises(InputFileError, match="XML 表格（Excel 2003）"):
        read_export(xml, branch)
    text = write_csv(tmp_path / "tsv.xls", [row(1)], delimiter="\t")
    with pytest.raises(InputFileError) as info:
        read_export(text, branch)
    assert "扩展名是 .xls，但内容是文本" in str(info.value) and "扩展名改为 .csv" in str(info.value)


def test_unknown_encoding(tmp_path: Path, branch) -> None:
    path = tmp_path / "weird.csv"
    path.write_bytes(b"\xff\xfe\xfd\xfc,\x80\x81\n")
    with pytest.raises(InputFileError, match="weird.csv") as info:
        read_export(path, branch)
    assert "编码" in str(info.value)
    assert "第 1 行（第 1 字节）处无法按 UTF-8 解码" in str(info.value)


def test_gb18030_fallback_with_garbled_header_says_so(tmp_path: Path, branch) -> None:
    # a Big5 file: not UTF-8, readable as GB18030, but the header comes out as mojibake
    path = tmp_path / "big5.csv"
    text = "登記編號,業務類型,登記時間,承辦單位\r\nK1,投訴,2022-01-05,站前所\r\n"
    path.write_bytes(text.encode("big5"))
    with pytest.raises(MissingColumnError) as info:
        read_export(path, branch)
    msg = str(info.value)
    assert "big5.csv" in msg
    assert "文件不是有效的 UTF-8（第 1 行（第 1 字节）处无法按 UTF-8 解码）" in msg
    assert "按 GB18030 读出的表头像乱码：祅癘絪腹" in msg
    assert "另存为 UTF-8 或 GB18030" in msg
    assert info.value.field == "case_id"  # the usual details are kept


def test_gb18030_file_missing_a_column_is_not_called_garbled(tmp_path: Path, branch) -> None:
    header = [h for h in HEADER if h != "登记时间"]
    path = write_csv(tmp_path / "gbk.csv", [row(1)], header=header, encoding="gb18030")
    with pytest.raises(MissingColumnError) as info:
        read_export(path, branch)
    assert info.value.field == "registered_at"
    assert "乱码" not in str(info.value) and "按 GB18030 编码读取" in str(info.value)


@pytest.mark.parametrize(
    ("data", "text", "encoding"),
    [
        ("登记编号\n".encode(), "登记编号\n", "utf-8"),
        (b"\xef\xbb\xbf" + "登记编号\n".encode(), "登记编号\n", "utf-8-sig"),
        ("登记编号\n".encode("gb18030"), "登记编号\n", "gb18030"),
    ],
)
def test_decode_bytes(data: bytes, text: str, encoding: str) -> None:
    assert decode_bytes(Path("公布表.csv"), data) == (text, encoding)


def test_decode_bytes_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="公布表.csv"):
        decode_bytes("公布表.csv", b"\xff\xfe\xfd\xfc")
    with pytest.raises(InputFileError, match="公布表.csv"):
        decode_bytes("公布表.csv", "登记编号".encode("utf-16"))


def test_utf16_csv(tmp_path: Path, branch) -> None:
    path = tmp_path / "u16.csv"
    path.write_text("登记编号,业务类型\n", encoding="utf-16")
    with pytest.raises(InputFileError, match="u16.csv"):
        read_export(path, branch)


def test_unsupported_suffix_and_empty_file(tmp_path: Path, branch) -> None:
    txt = tmp_path / "notes.txt"
    txt.write_text("hello", encoding="utf-8")
    with pytest.raises(InputFileError, match="notes.txt"):
        read_export(txt, branch)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError, match="empty.csv"):
        read_export(empty, branch)


def test_folder_without_exports(tmp_path: Path, branch) -> None:
    one, two = tmp_path / "2022-01", tmp_path / "2022-02"
    (one / "sub").mkdir(parents=True)
    two.mkdir()
    (one / "sub" / "下载.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    (two / "说明.txt").write_text("x", encoding="utf-8")
    (two / "~$lock.xlsx").write_bytes(b"x")
    with pytest.raises(NoExportsFoundError) as info:
        read_exports([one, two], branch)
    assert isinstance(info.value, InputFileError)
    msg = str(info.value)
    assert first_sentence(info.value) == (
        f"在文件夹 {one}、{two} 及其子文件夹中没有找到任何导出文件（查找的是 .xlsx、.xls、.csv 文件）"
    )
    assert "其中有压缩包（下载.zip），请先解压再导入。" in msg
    assert "其中的其他文件（说明.txt）不是导出格式" in msg
    with pytest.raises(NoExportsFoundError, match="没有给出任何导出文件或文件夹"):
        read_exports([], branch)


def test_missing_path_is_a_usage_error(tmp_path: Path, branch) -> None:
    write_csv(tmp_path / "a.csv", [row(1)])
    with pytest.raises(NoExportsFoundError) as info:
        expand_paths([tmp_path / "a.csv", tmp_path / "2022-13"])
    assert (
        str(info.value)
        == f"找不到文件或文件夹：{tmp_path / '2022-13'}。请检查路径和文件名（包括年份、月份）是否写对。"
    )


def test_unreadable_folder_is_said_in_chinese(tmp_path: Path, branch, monkeypatch) -> None:
    locked = tmp_path / "2022-01"
    locked.mkdir()
    real_scandir = os.scandir

    def scandir(path):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(InputFileError) as info:
        read_exports([tmp_path], branch)
    assert first_sentence(info.value) == (
        f"{locked}：无法读取这个文件夹，没有读取权限，或正被其他程序（如 Excel、WPS）占用"
    )
    assert str(info.value).endswith(
        f"（供技术支持参考：[PermissionError] [Errno 13] Permission denied: '{locked}'）"
    )


def test_unreadable_file_is_said_in_chinese(tmp_path: Path, branch, monkeypatch) -> None:
    path = write_csv(tmp_path / "a.csv", [row(1)])
    real_open = Path.open

    def deny(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", deny)
    with pytest.raises(InputFileError) as info:
        read_export(path, branch)
    assert first_sentence(info.value).startswith(f"{path}：无法读取这个文件，没有读取权限")
    assert "请关闭打开着它的程序" in str(info.value)


@pytest.mark.parametrize("rest", ["短的内容", "很长的内容" * 30000], ids=["short", "long"])
def test_unbalanced_quote_is_said_in_chinese(tmp_path: Path, branch, rest: str) -> None:
    """A quote never closed swallows the lines below it: an error at its line, long or short."""
    path = tmp_path / "q.csv"
    path.write_text('登记编号,业务类型\n"K1,投诉\n' + rest + "\nK2,投诉\n", encoding="utf-8")
    with pytest.raises(InputFileError) as info:
        read_export(path, branch)
    first = first_sentence(info.value)
    assert first.startswith(f"{path}：第 2 行附近 CSV 格式有误") and "引号" in first
    assert "field" not in first


# --------------------------------------------------------------------------------------------
# bad rows


BAD_ROWS = [
    # (overrides, header reported, raw value, reason)
    ({"登记编号": ""}, "登记编号", "", "编号为空"),
    ({"业务类型": "表扬"}, "业务类型", "表扬", "业务类型无法识别（应为 投诉、举报、咨询）"),
    ({"业务类型": ""}, "业务类型", "", "业务类型为空"),
    ({"登记时间": ""}, "登记时间", "", "登记时间为空"),
    ({"登记时间": "2022-02-30"}, "登记时间", "2022-02-30", "日期无法识别"),
    ({"登记时间": "昨天"}, "登记时间", "昨天", "日期无法识别"),
    ({"受理时间": "2022-13-01"}, "受理时间", "2022-13-01", "日期无法识别"),
    ({"办结时间": "2202-01-10"}, "办结时间", "2202-01-10", "日期不合理（年份应在 1990—2099 之间）"),
    ({"挽回经济损失（元）": "-5"}, "挽回经济损失（元）", "-5", "金额为负数"),
    ({"挽回经济损失（元）": "约五百"}, "挽回经济损失（元）", "约五百", "金额无法识别"),
    ({"是否立案": "待定"}, "是否立案", "待定", "是/否值无法识别（应为 是、否、Y、N、1、0、√）"),
    ({"催办次数": "1.5"}, "催办次数", "1.5", "催办次数不是非负整数"),
    ({"催办次数": "-1"}, "催办次数", "-1", "催办次数不是非负整数"),
    ({"办结时间": "2022-01-04 10:00"}, "办结时间", "2022-01-04 10:00", "办结时间早于登记时间"),
    ({"登记编号": "登记编号"}, "登记编号", "登记编号", "重复的表头行"),
]


@pytest.mark.parametrize(("over", "column", "value", "reason"), BAD_ROWS)
def test_bad_row_set_aside(tmp_path: Path, branch, over: dict, column: str, value: str, reason: str) -> None:
    path = write_csv(tmp_path / "m.csv", [row(1), row(2, **over), row(3)], title=["标题", "说明"])
    result = read_export(path, branch)
    check_accounting(result)
    assert result.rows_read == 3 and result.rows_used == 2
    (rej,) = result.rejected.to_dict("records")
    assert rej["reason"] == reason
    assert rej["source_file"] == "m.csv"
    assert rej["source_line"] == 5  # 2 title lines + header + first row
    assert rej["column"] == column
    assert rej["value"] == value
    assert list(result.rejected.columns) == list(REJECT_COLUMNS)
    assert result.cases["case_id"].tolist() == ["K00001", "K00003"]


def test_first_problem_wins(tmp_path: Path, branch) -> None:
    path = write_csv(tmp_path / "m.csv", [row(1, 业务类型="表扬", 登记时间="坏")])
    (rej,) = read_export(path, branch).rejected.to_dict("records")
    assert rej["column"] == "业务类型"


def test_closed_same_day_date_only_is_fine(tmp_path: Path, branch) -> None:
    path = write_csv(tmp_path / "m.csv", [row(1, 登记时间="2022-01-05 09:31", 办结时间="2022-01-05")])
    result = read_export(path, branch)
    assert result.rows_used == 1


def test_placeholders_count_as_blank(tmp_path: Path, branch) -> None:
    path = write_csv(
        tmp_path / "m.csv", [row(1, 办结时间="-", **{"挽回经济损失（元）": "无", "催办次数": "--"})]
    )
    (case,) = read_export(path, branch).cases.to_dict("records")
    assert pd.isna(case["closed_at"]) and case["recovered_loss"] == 0.0 and case["urges"] == 0


def test_total_rows_counted_and_set_aside(tmp_path: Path, branch) -> None:
    tail = [["", "总计：3 件"], ["小计", ""]]
    path = write_csv(tmp_path / "t.csv", [row(1), row(2)], tail=tail)
    result = read_export(path, branch)
    check_accounting(result)
    assert result.files[0].total_rows == 2
    assert result.rejected["reason"].tolist() == ["合计行", "合计行"]
    assert result.rejected["column"].tolist() == ["登记编号", "序号"]
    assert result.rejected["source_line"].tolist() == [4, 5]


def test_note_row_with_phone_is_masked_in_rejected(tmp_path: Path, branch) -> None:
    note = f"制表人：张三 联系电话：{PHONE}"
    path = write_csv(tmp_path / "t.csv", [row(1)], tail=[["", note], ["", "", "", f"审核 {ID_NUMBER}"]])
    result = read_export(path, branch)
    check_accounting(result)
    assert result.rejected["case_id"].tolist()[0] == "制表人：张三 联系电话：139****5678"
    assert result.rejected["reason"].tolist() == ["业务类型为空", "编号为空"]
    assert result.rejected["value"].tolist()[1] == ""
    text = all_text(result)
    assert PHONE not in text and ID_NUMBER not in text


def test_every_text_of_rejected_is_masked(tmp_path: Path, branch) -> None:
    header = ["登记编号", "业务类型", "登记时间", "承办单位", "回访13612345678"]
    path = write_csv(
        tmp_path / "客户13812345678.csv",
        [{"登记编号": "13912345678", "业务类型": "投诉 13712345678", "登记时间": "2022-01-05"}],
        header=header,
    )
    result = read_export(path, branch)
    (rej,) = result.rejected.to_dict("records")
    assert rej["source_file"] == "客户138****5678.csv"
    assert rej["value"] == "投诉 137****5678"
    assert rej["case_id"] == "139****5678"
    assert result.warnings == ["客户138****5678.csv：以下列未识别，已忽略：回访136****5678。"]


def test_note_row_below_data_is_set_aside_not_lost(tmp_path: Path, branch) -> None:
    path = write_csv(tmp_path / "t.csv", [row(1)], tail=[["备注：数据来源 12315 平台"]])
    result = read_export(path, branch)
    check_accounting(result)
    assert result.rejected["reason"].tolist() == ["编号为空"]


# --------------------------------------------------------------------------------------------
# several files


def test_duplicates_across_files(tmp_path: Path, branch) -> None:
    write_csv(tmp_path / "a.csv", [row(1), row(2), row(3)])
    write_csv(
        tmp_path / "b.csv",
        [row(4), row(1, 序号=99), row(2, 办结时间="", 当前环节="办理中"), row(4)],
    )
    result = read_exports([tmp_path], branch)
    check_accounting(result)
    assert result.cases["case_id"].tolist() == ["K00001", "K00002", "K00003", "K00004"]
    kept = result.cases.set_index("case_id")
    assert kept.loc["K00002", "source_file"] == "a.csv"  # the first occurrence is kept
    assert kept.loc["K00002", "stage"] == "办结"
    rej = result.rejected.set_index("source_line")
    assert rej.loc[3, "reason"] == "重复行，与 a.csv 第 2 行相同"
    assert rej.loc[4, "reason"] == "编号重复但内容不同（不同的列：办结时间、当前环节），已保留 a.csv 第 3 行"
    assert rej.loc[5, "reason"] == "重复行，与 b.csv 第 2 行相同"
    assert set(rej["column"]) == {"登记编号"}
    assert set(rej["case_id"]) == {"K00001", "K00002", "K00004"}
    assert [f.rows_set_aside for f in result.files] == [0, 3]


def test_folder_expansion_progress_and_same_file_once(tmp_path: Path, branch) -> None:
    write_csv(tmp_path / "b.csv", [row(2)])
    write_xlsx(tmp_path / "a.xlsx", [as_list(row(1))])
    (tmp_path / "~$a.xlsx").write_bytes(b"lock")
    (tmp_path / ".hidden.csv").write_bytes(b"junk")
    (tmp_path / "readme.txt").write_text("x", encoding="utf-8")
    calls: list[tuple[int, int, str]] = []
    result = read_exports([tmp_path, tmp_path / "b.csv"], branch, progress=lambda *a: calls.append(a))
    assert [Path(f.path).name for f in result.files] == ["a.xlsx", "b.csv"]
    assert calls == [(1, 2, "a.xlsx"), (2, 2, "b.csv")]
    assert result.cases["case_id"].tolist() == ["K00001", "K00002"]


def test_argument_order_does_not_change_which_duplicate_is_kept(tmp_path: Path, branch) -> None:
    a = write_csv(tmp_path / "a.csv", [row(1, 当前环节="办结")])
    sub = tmp_path / "sub"
    sub.mkdir()
    b = write_csv(sub / "b.csv", [row(1, 当前环节="办理中"), row(2)])
    results = [read_exports(order, branch) for order in ([a, b], [b, a], [sub, a], [a, tmp_path / "sub"])]
    for result in results:
        check_accounting(result)
        assert [f.source for f in result.files] == ["a.csv", "b.csv"]
        assert result.cases["case_id"].tolist() == ["K00001", "K00002"]
        assert result.cases["stage"].tolist() == ["办结", "办结"]
        assert result.rejected["reason"].tolist() == [
            "编号重复但内容不同（不同的列：当前环节），已保留 a.csv 第 2 行"
        ]
    assert expand_paths([b, a]) == expand_paths([a, b]) == [a, b]
    # same name in two folders: the full path decides
    c = write_csv(sub / "a.csv", [row(3)])
    assert expand_paths([c, b, a]) == [a, c, b]


def test_folders_are_read_recursively(tmp_path: Path, branch) -> None:
    data = tmp_path / "data"
    jan, feb, deep = data / "2022-01", data / "2022-02", data / "2022-02" / "补报"
    for d in (jan, feb, deep):
        d.mkdir(parents=True)
    a = write_xlsx(jan / "a.xlsx", [as_list(row(1))])
    b = write_csv(feb / "b.csv", [row(2)])
    c = write_csv(deep / "c.csv", [row(3)])
    top = write_csv(data / "d.csv", [row(4)])
    # passed over: hidden files and folders, .kwstats* folders, lock files, the synthetic sample
    for skipped in (data / ".kwstats-cache", data / ".git", jan / ".kwstats", data / "sample"):
        skipped.mkdir()
        write_csv(skipped / "x.csv", [row(9)])
    (data / "sample" / ".sample-version").write_text("seed=1\n", encoding="utf-8")
    write_csv(jan / ".hidden.csv", [row(9)])
    (jan / "~$a.xlsx").write_bytes(b"lock")
    (feb / "readme.txt").write_text("x", encoding="utf-8")
    assert expand_paths([data]) == [a, b, c, top]
    assert expand_paths([data, b, feb]) == [a, b, c, top]  # each file once
    result = read_exports([data], branch)
    check_accounting(result)
    assert result.cases["case_id"].tolist() == ["K00001", "K00002", "K00003", "K00004"]
    assert [f.source for f in result.files] == ["a.xlsx", "b.csv", "c.csv", "d.csv"]
    # the synthetic sample is read when given itself
    assert [p.name for p in expand_paths([data / "sample"])] == ["x.csv"]


def test_same_file_name_in_two_folders_is_told_apart(tmp_path: Path, branch) -> None:
    jan, feb = tmp_path / "2022-01", tmp_path / "2022-02"
    jan.mkdir()
    feb.mkdir()
    write_csv(jan / "登记表.csv", [row(1), row(2)])
    write_xlsx(feb / "登记表.xlsx", [as_list(row(5))])  # another name: left as is
    write_csv(feb / "登记表.csv", [row(3), row(1)])
    result = read_exports([tmp_path], branch)
    check_accounting(result)
    assert [f.source for f in result.files] == ["2022-01/登记表.csv", "2022-02/登记表.csv", "登记表.xlsx"]
    assert result.cases["source_file"].tolist() == [
        "2022-01/登记表.csv",
        "2022-01/登记表.csv",
        "2022-02/登记表.csv",
        "登记表.xlsx",
    ]
    assert result.rejected[["source_file", "reason"]].values.tolist() == [
        ["2022-02/登记表.csv", "重复行，与 2022-01/登记表.csv 第 2 行相同"]
    ]


def test_workbook_reads_every_sheet_with_a_header(tmp_path: Path, branch) -> None:
    rows1 = [as_list(row(1)), as_list(row(2))]
    rows2 = [as_list(row(3, 登记时间="2022-02-03 08:00", 办结时间="")), as_list(row(2, 当前环节="办理中"))]
    path = write_book(
        tmp_path / "w.xlsx",
        {
            "说明": [["本表由 12315 平台导出"], ["联系人：李四"]],
            "1月": [["宽城分局登记表"], HEADER, *rows1, ["合计", "", "", "", "", "", "", "", "", 200]],
            "Sheet3": [],
            "2月": [HEADER, *rows2],
            "统计": [["业务类型", "件数"], ["投诉", 3]],
            "旧表": [HEADER, as_list(row(9))],
        },
        hidden=["旧表"],
    )
    result = read_export(path, branch)
    check_accounting(result)
    assert [(f.sheet, f.source, f.header_line, f.rows_read) for f in result.files] == [
        ("1月", "w.xlsx[1月]", 2, 3),
        ("2月", "w.xlsx[2月]", 1, 2),
    ]
    assert {f.path for f in result.files} == {str(path)}
    assert result.cases["case_id"].tolist() == ["K00001", "K00002", "K00003"]
    assert result.cases["source_file"].tolist() == ["w.xlsx[1月]", "w.xlsx[1月]", "w.xlsx[2月]"]
    assert result.cases["source_line"].tolist() == [3, 4, 2]
    assert result.rejected[["source_file", "source_line"]].values.tolist() == [
        ["w.xlsx[1月]", 5],
        ["w.xlsx[2月]", 3],
    ]
    assert result.rejected["reason"].tolist()[1] == (
        "编号重复但内容不同（不同的列：当前环节），已保留 w.xlsx[1月] 第 4 行"
    )
    skipped = [w for w in result.warnings if "没有找到案件表头" in w]
    assert len(skipped) == 2
    assert "“说明”" in skipped[0] and "“统计”" in skipped[1]
    assert "缺少必需列“登记编号”" in skipped[1]
    assert not any("Sheet3" in w for w in result.warnings)  # empty: nothing to lose
    assert any("隐藏的工作表 “旧表” 未读取" in w for w in result.warnings)
    assert result.summary().startswith("读取 1 个文件（2 个工作表）共 5 行：采用 3 行，搁置 2 行")


def test_workbook_without_any_header_raises(tmp_path: Path, branch) -> None:
    path = write_book(
        tmp_path / "w.xlsx",
        {"说明": [["本表由 12315 平台导出"]], "统计": [["登记编号", "业务类型", "件数"], ["K1", "投诉", 3]]},
    )
    with pytest.raises(MissingColumnError) as info:
        read_export(path, branch)
    assert info.value.field == "registered_at"
    assert info.value.headers == ["登记编号", "业务类型", "件数"]
    assert "w.xlsx[统计]" in str(info.value) and "其余 1 个工作表也没有找到表头" in str(info.value)


def test_workbook_of_empty_sheets_is_empty(tmp_path: Path, branch) -> None:
    path = write_book(tmp_path / "e.xlsx", {"Sheet1": [], "Sheet2": []})
    with pytest.raises(InputFileError, match="文件是空的"):
        read_export(path, branch)


def test_files_with_different_headers_combine(tmp_path: Path, branch) -> None:
    write_csv(tmp_path / "a.csv", [row(1)])
    header = ["工单号", "诉求类型", "交办时间", "处理部门"]
    write_xlsx(tmp_path / "b.xlsx", [["W9", "举报", "2022-01-09", "群英所"]], header=header)
    result = read_exports([tmp_path], branch)
    assert result.cases["unit"].tolist() == ["站前所", "群英所"]
    assert pd.isna(result.cases["channel"].iloc[1])


# --------------------------------------------------------------------------------------------
# parsers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-01-05 09:31:00", "2022-01-05 09:31:00"),
        ("2022-01-05 09:31", "2022-01-05 09:31:00"),
        ("2022-01-05", "2022-01-05"),
        ("2022/1/5 9:31", "2022-01-05 09:31:00"),
        ("2022/01/05 09:31:05", "2022-01-05 09:31:05"),
        ("2022年1月5日 09:31", "2022-01-05 09:31:00"),
        ("2022年1月5日", "2022-01-05"),
        ("20220105", "2022-01-05"),
        ("2022-01-05T09:31:00", "2022-01-05 09:31:00"),
        ("2022.01.05", "2022-01-05"),
        ("44566", "2022-01-05"),
        ("44566.5", "2022-01-05 12:00:00"),
        ("2022-01-05 09:31:00.250000", "2022-01-05 09:31:00"),
        ("2022/1/5 下午3:31", "2022-01-05 15:31:00"),
        ("2022/1/5 上午 9:05", "2022-01-05 09:05:00"),
        ("2022-01-05 下午 03:31:00", "2022-01-05 15:31:00"),
        ("2022/1/5 下午12:10", "2022-01-05 12:10:00"),
        ("2022/1/5 上午12:10", "2022-01-05 00:10:00"),
        ("2022年1月5日 下午3时31分", "2022-01-05 15:31:00"),
    ],
)
def test_parse_dates(text: str, expected: str) -> None:
    values, bad, out_of_range = ingest.parse_dates(pd.Series([text]))
    assert values[0] == pd.Timestamp(expected)
    assert not bad[0] and not out_of_range[0]


@pytest.mark.parametrize(
    "text",
    [
        "2022-02-30",
        "2022-01-05 25:00",
        "12345",
        "1.5",
        "2022",
        "abc",
        "09:31",
        "2022/1/5 上午13:00",
        "2022/1/5 下午",
    ],
)
def test_parse_dates_bad(text: str) -> None:
    values, bad, _ = ingest.parse_dates(pd.Series([text]))
    assert pd.isna(values[0]) and bad[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,200.00", 1200.0),
        ("300元", 300.0),
        ("300 元", 300.0),
        ("￥300", 300.0),
        ("", 0.0),
        ("0.5万", 5000.0),
        ("12,345", 12345.0),
        ("1,234,567.5元", 1234567.5),
        ("1，200", 1200.0),
        ("￥1,200", 1200.0),
        ("1,200.", 1200.0),
    ],
)
def test_parse_amounts(text: str, expected: float) -> None:
    values, bad, negative = ingest.parse_amounts(pd.Series([text]))
    assert values[0] == expected and not bad[0] and not negative[0]


@pytest.mark.parametrize("text", ["3,00", "1,2,3", "1234,567", ",500", "1,200,", "12,34.5", "1,,200"])
def test_parse_amounts_malformed_thousands_separators(text: str) -> None:
    values, bad, _ = ingest.parse_amounts(pd.Series([text, "1,200"]))
    assert bad.tolist() == [True, False]
    assert values.tolist() == [0.0, 1200.0]


def test_malformed_amount_set_aside(tmp_path: Path, branch) -> None:
    path = write_csv(tmp_path / "m.csv", [row(1, **{"挽回经济损失（元）": "3,00"})])
    result = read_export(path, branch)
    check_accounting(result)
    assert result.rejected[["column", "value", "reason"]].values.tolist() == [
        ["挽回经济损失（元）", "3,00", "金额无法识别"]
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("是", True),
        ("否", False),
        ("Y", True),
        ("n", False),
        ("1", True),
        ("0", False),
        ("√", True),
        ("", False),
    ],
)
def test_parse_flags(text: str, expected: bool) -> None:
    values, bad = ingest.parse_flags(pd.Series([text]))
    assert values[0] == expected and not bad[0]


# --------------------------------------------------------------------------------------------
# property: the counts always add up

_BRANCH = load_branch()
_BAD_OVERRIDES = [over for over, *_ in BAD_ROWS if over != {"登记编号": ""}] + [{"登记编号": ""}]
_row_kind = st.one_of(
    st.just("good"),
    st.just("blank"),
    st.just("total"),
    st.sampled_from(range(len(_BAD_OVERRIDES))),
    st.just("dup"),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_row_kind, max_size=25), st.sampled_from(["csv", "xlsx"]))
def test_counts_add_up(kinds: list, fmt: str) -> None:
    rows: list[dict[str, object] | None] = []
    expected_bad = expected_blank = 0
    ids: list[int] = []
    for i, k in enumerate(kinds, start=1):
        if k == "good":
            rows.append(row(i))
            ids.append(i)
        elif k == "blank":
            rows.append(None)
            expected_blank += 1
        elif k == "total":
            rows.append({"序号": "合计"})
            expected_bad += 1
        elif k == "dup":
            if ids:
                rows.append(row(ids[0], 当前环节="办理中"))
                expected_bad += 1
            else:
                rows.append(row(i))
                ids.append(i)
        else:
            over = _BAD_OVERRIDES[k]
            rows.append(row(i, **over))
            expected_bad += 1
    with tempfile.TemporaryDirectory() as tmp:
        if fmt == "csv":
            path = write_csv(Path(tmp) / "p.csv", [r or {} for r in rows], title=["标题"])
        else:
            path = write_xlsx(Path(tmp) / "p.xlsx", [as_list(r) if r else [] for r in rows], title=["标题"])
        result = read_export(path, _BRANCH)
    check_accounting(result)
    assert result.rows_set_aside == expected_bad
    if fmt == "xlsx":  # Excel does not store trailing blank rows
        trailing = len(kinds) - len("".join("x" if k != "blank" else " " for k in kinds).rstrip())
        expected_blank -= trailing
        assert result.rows_read == len(kinds) - expected_blank - trailing
    else:
        assert result.rows_read == len(kinds) - expected_blank
    assert result.files[0].blank_rows == expected_blank
    assert result.cases["case_id"].is_unique


def test_summary_sentence(tmp_path: Path, branch) -> None:
    path = write_csv(tmp_path / "s.csv", [row(1), row(2, 业务类型="表扬"), row(1)], tail=[["合计"]])
    text = read_export(path, branch).summary()
    assert text == "读取 1 个文件共 4 行：采用 1 行，搁置 3 行（业务类型无法识别 1，重复行 1，合计行 1）。"


def test_scientific_notation_ids_warn(tmp_path: Path, branch) -> None:
    path = write_csv(tmp_path / "e.csv", [row(1, 登记编号="1.22E+21"), row(2, 登记编号="1.22E+21")])
    result = read_export(path, branch)
    assert any("科学计数法" in w for w in result.warnings)
    assert result.rows_set_aside == 1
