"""kwstats.drilldown (the findings' cases as an .xlsx) and kwstats.labels (Chinese column labels)."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from kwstats import drilldown, labels
from kwstats.checks import Finding
from kwstats.drilldown import INDEX_SHEET, sheet_name, write_drilldown_xlsx
from kwstats.exceptions import OutputPathError
from kwstats.indicators import TABLE_LABELS as INDICATOR_LABELS
from kwstats.labels import CASE_LABELS, DRILL_FIELDS, field_from_label
from kwstats.schema import CASE_COLUMNS
from tests.conftest import make_cases

PHONE = "13812345678"
MASKED_PHONE = "138****5678"


@pytest.fixture
def cases():
    rows = [
        {
            "case_id": "A1",
            "kind": "投诉",
            "unit": "甲所",
            "registered_at": "2022-06-02 09:15",
            "accepted_at": "2022-06-03 10:00",
            "closed_at": "2022-06-20 16:30",
            "content": f"消费者反映，联系电话{PHONE}，请回电。",
            "respondent": f"某某商行（店主 {PHONE}）",
            "recovered_loss": 150.5,
            "source_file": f"导出_{PHONE}.xlsx",
            "source_line": 7,
        },
        {
            "case_id": "A2",
            "kind": "举报",
            "unit": "甲所",
            "registered_at": "2022-06-01 08:00",
            "closed_at": "2022-07-05 09:00",  # after the cutoff: shown blank
            "content": '=HYPERLINK("http://example.invalid","点我")',
            "source_file": "导出.xlsx",
            "source_line": 8,
        },
        {"case_id": "B1", "kind": "投诉", "unit": "乙所", "registered_at": "2022-06-05", "source_line": 9},
        {"case_id": "B2", "kind": "投诉", "unit": "乙所", "registered_at": "2022-05-05", "source_line": 10},
    ]
    return make_cases(rows)


@pytest.fixture
def findings():
    return [
        Finding(
            kind="spike",
            message=f"甲所 2022-06 受理 2 件（{PHONE}）。",
            unit="甲所",
            month="2022-06",
            numbers={"field": "unit", "value": "甲所"},
            case_ids=("A1", "A2"),
        ),
        Finding(kind="threshold", message="乙所 低于阈值。", unit="乙所", month="2022-06", case_ids=("B1",)),
        Finding(
            kind="off_roster",
            message="名称带符号的单位。",
            unit="[测试]所:1/2*?",
            month="2022-06",
            case_ids=("B1", "B2", "ZZ9"),
        ),  # ZZ9 is not in the case table
        Finding(kind="roster_gap", message="全局与名册相差 0 件。", month="2022-06", severity="info"),
    ]


def _sheet_xml(path: Path) -> dict[str, str]:
    """Sheet name -> its worksheet XML, in workbook order."""
    with zipfile.ZipFile(path) as zf:
        workbook = zf.read("xl/workbook.xml").decode()
        names = re.findall(r'<sheet name="([^"]*)"', workbook)
        return {
            n.replace("&amp;", "&"): zf.read(f"xl/worksheets/sheet{i}.xml").decode()
            for i, n in enumerate(names, start=1)
        }


def _table(rows: list[list], header_first: str = "登记编号") -> tuple[list, list[list]]:
    """The header row of a finding sheet and the case rows under it."""
    at = next(i for i, r in enumerate(rows) if r and r[0] == header_first)
    return rows[at], [r for r in rows[at + 1 :] if any(v != "" for v in r)]


def test_drilldown_workbook(cases, findings, tmp_path):
    path = write_drilldown_xlsx(
        findings, cases, tmp_path / "2022-06" / "drilldown.xlsx", cutoff="2022-06-30 23:59:59"
    )
    assert path.exists() and not list(path.parent.glob(".drilldown-*"))  # no temp file left
    wb = CalamineWorkbook.from_path(str(path))
    names = wb.sheet_names
    # The index first; a sheet per finding with cases (the info finding without cases has none).
    assert names[0] == INDEX_SHEET and len(names) == 4
    for name in names:
        assert len(name) <= 31 and not set(name) & set("[]:*?/\\'")
    assert len({n.casefold() for n in names}) == len(names)
    assert names[1].startswith("01 ") and "甲所" in names[1] and names[3].startswith("03 ")

    index = wb.get_sheet_by_name(INDEX_SHEET).to_python()
    header = next(r for r in index if r and r[0] == "序号")
    assert header[:7] == ["序号", "类型", "单位", "月份", "说明", "件数", "工作表"]
    body = index[index.index(header) + 1 :]
    assert [r[5] for r in body] == [2, 1, 3, 0]  # 件数 = len(case_ids)
    assert body[3][6] == "（无案件）"
    assert PHONE not in str(index) and MASKED_PHONE in str(index)

    # Internal links from the index to each sheet, and back.
    xml = _sheet_xml(path)
    links = re.findall(r'<hyperlink ref="([A-Z]+\d+)" location="([^"]*)"', xml[INDEX_SHEET])
    assert [loc for _, loc in links] == [f"'{n}'!A1" for n in names[1:]]
    assert all(ref.startswith("G") for ref, _ in links)
    for name in names[1:]:
        assert f"location=\"'{INDEX_SHEET}'!A1\"" in xml[name]

    # Sheet 1: every case behind the spike, sorted by registration, Chinese headers, real dates.
    sheet1 = wb.get_sheet_by_name(names[1]).to_python()
    assert PHONE not in str(sheet1) and MASKED_PHONE in str(sheet1[0])  # the message above the rows
    header, rows = _table(sheet1)
    assert header == [CASE_LABELS[f] for f in DRILL_FIELDS]
    assert len(rows) == len(findings[0].case_ids)
    col = {label: header.index(label) for label in header}
    assert [r[col["登记编号"]] for r in rows] == ["A2", "A1"]
    a1 = rows[1]
    assert a1[col["登记时间"]] == dt.datetime(2022, 6, 2, 9, 15)
    assert a1[col["办结时间"]] == dt.datetime(2022, 6, 20, 16, 30)
    assert isinstance(a1[col["受理时间"]], dt.datetime)
    assert a1[col["挽回损失(元)"]] == 150.5 and a1[col["行号"]] == 7
    # Masked in every text column, the file name included.
    text = " ".join(str(v) for r in rows for v in r)
    assert PHONE not in text
    assert MASKED_PHONE in a1[col["内容（已脱敏）"]] and MASKED_PHONE in a1[col["被投诉/举报方"]]
    assert MASKED_PHONE in a1[col["来源文件"]]
    # Closed after the cutoff: blank, as the number was taken; a formula-like text stays text.
    a2 = rows[0]
    assert a2[col["办结时间"]] == ""
    assert a2[col["内容（已脱敏）"]] == '=HYPERLINK("http://example.invalid","点我")'
    assert "<f>" not in xml[names[1]]  # no cell formula anywhere

    # Sheet 3: the unit name's forbidden characters replaced; the missing case id named.
    sheet3 = wb.get_sheet_by_name(names[3]).to_python()
    _, rows3 = _table(sheet3)
    assert sorted(r[0] for r in rows3) == ["B1", "B2"]
    assert "ZZ9" in str(sheet3) and "1 个编号不在案件表中" in str(sheet3)


def test_sheet_names_are_excel_safe_and_unique():
    taken: set[str] = set()
    long_unit = "长春市市场监督管理局宽城分局站前市场监督管理所第一分所"
    f = Finding(kind="threshold", message="x", unit=long_unit)
    first, second = sheet_name(f, 1, taken), sheet_name(f, 1, taken)
    assert len(first) == 31 and len(second) <= 31 and first != second
    odd = Finding(kind="spike", message="x", numbers={"value": "a/b\\c?d*e[f]g:h'i"})
    name = sheet_name(odd, 2, taken)
    assert not set(name) & set("[]:*?/\\'") and name.startswith("02 异常波动 a_b_c")
    # A phone number in a unit name does not become a sheet name.
    assert PHONE not in sheet_name(Finding(kind="off_roster", message="x", unit=f"所{PHONE}"), 3, taken)


def test_empty_findings_and_bad_path(cases, tmp_path):
    path = write_drilldown_xlsx([], cases, tmp_path / "empty.xlsx")
    assert CalamineWorkbook.from_path(str(path)).sheet_names == [INDEX_SHEET]
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputPathError, match="无法"):
        write_drilldown_xlsx([], cases, blocker / "drilldown.xlsx")


# --- case rows a column at a time: the XML xlsxwriter writes cell by cell ------------------------


def _cell_by_cell(ws, first_row, rows, styles, text):
    """The case rows through xlsxwriter's own cell writes (what drilldown did before it wrote them a
    column at a time): dates as Excel dates, numbers as numbers, flags as 是/否, the rest as text."""
    for r, record in enumerate(rows.itertuples(index=False, name=None), start=first_row):
        for c, value in enumerate(record):
            blank_or_text = styles[text[c]]
            if (
                value is None
                or value is pd.NA
                or value is pd.NaT
                or (isinstance(value, float) and value != value)
            ):
                ws.write_blank(r, c, None, blank_or_text)
            elif isinstance(value, pd.Timestamp | dt.datetime):
                ws.write_datetime(r, c, pd.Timestamp(value).to_pydatetime(), styles[drilldown.DATE])
            elif isinstance(value, bool | np.bool_):
                ws.write_string(r, c, "是" if value else "否", blank_or_text)
            elif isinstance(value, int | np.integer):
                ws.write_number(r, c, int(value))
            elif isinstance(value, float | np.floating):
                ws.write_number(r, c, float(value), styles[drilldown.MONEY])
            else:
                ws.write_string(r, c, drilldown._clean_cell(str(value)), blank_or_text)


def _parts(path: Path) -> dict[str, bytes]:
    """Every part of an .xlsx but its creation time (docProps/core.xml)."""
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist() if n != "docProps/core.xml"}


def _both_ways(tmp_path, write, monkeypatch) -> tuple[dict[str, bytes], dict[str, bytes]]:
    fast = write(tmp_path / "fast.xlsx")
    with monkeypatch.context() as m:
        m.setattr(drilldown._CaseSheet, "write_case_rows", _cell_by_cell)
        slow = write(tmp_path / "slow.xlsx")
    return _parts(fast), _parts(slow)


def test_case_rows_written_by_column_are_xlsxwriters_xml(tmp_path, monkeypatch):
    """Every kind of value a column can hold, written a column at a time, is the XML xlsxwriter's
    own write_string/write_datetime/write_number/write_blank give, byte for byte, shared strings and
    styles included (two sheets sharing strings, a title and headers above the rows)."""
    long_text = "长" * 20000 + "😀" * 10000  # over Excel's 32 767 UTF-16 units: cut and marked
    rows = pd.DataFrame(
        {
            "case_id": pd.array(["A1", "A&2", None, " lead", "<x>\x01", "A1"], dtype="string"),
            "registered_at": pd.to_datetime(
                [
                    "2022-06-01 08:00",
                    "1900-01-01 12:00",
                    None,
                    "1900-03-01",
                    "2022-06-30 23:59:59.999999",
                    "1899-12-31 06:00",
                ],
                format="ISO8601",
            ),
            "recovered_loss": [150.5, np.nan, 0.0, 1e17, 1 / 3, -2.25],
            "source_line": np.array([7, 8, 9, 10, 12345678901234567, -1], dtype=np.int64),
            "filed": [True, False, True, False, False, True],
            "content": pd.array(["=SUM(A1)", long_text, pd.NA, "", "甲\n乙", "A1"], dtype="string"),
            "mixed": pd.Series(
                [None, pd.Timestamp("2022-01-02 03:04:05"), True, 3, 2.5, "文本"], dtype=object
            ),
        }
    )

    def write(path):
        wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
        fmt = drilldown._formats(wb)
        styles = [None, fmt["text"], fmt["wrap"], fmt["date"], fmt["money"]]
        text = [drilldown.WRAP if c == "content" else drilldown.TEXT for c in rows.columns]
        for name in ("一", "二"):
            ws = wb.add_worksheet(name, worksheet_class=drilldown._CaseSheet)
            ws.write_string(0, 0, "标题", fmt["title"])
            ws.write_string(1, 2, "A1", fmt["note"])  # a string the rows hold too
            for c, col in enumerate(rows.columns):
                ws.write_string(3, c, col, fmt["header"])
            ws.write_case_rows(4, rows, styles, text)
            ws.autofilter(3, 0, 3 + len(rows), len(rows.columns) - 1)
        wb.close()
        return path

    fast, slow = _both_ways(tmp_path, write, monkeypatch)
    assert fast.keys() == slow.keys()
    for name in fast:
        assert fast[name] == slow[name], name
    # and what the bytes say, read back
    sheet = CalamineWorkbook.from_path(str(tmp_path / "fast.xlsx")).get_sheet_by_name("二").to_python()
    assert sheet[4][:4] == ["A1", dt.datetime(2022, 6, 1, 8, 0), 150.5, 7]
    assert sheet[4][4] == "是" and sheet[4][5] == "=SUM(A1)"
    assert sheet[5][5].endswith(drilldown.TRUNCATED) and len(sheet[5][5].encode("utf-16-le")) // 2 <= 32767
    assert sheet[8][6] == 2.5 and sheet[9][6] == "文本" and sheet[6][6] == "是"


def test_drilldown_workbook_is_xlsxwriters_xml(cases, findings, tmp_path, monkeypatch):
    """The whole workbook, findings sharing cases and the 办理中 sheet, written a column at a time:
    the bytes of the cell-by-cell workbook."""
    more = pd.concat([cases] * 3, ignore_index=True)
    more["case_id"] = [f"{c}-{i // len(cases)}" for i, c in enumerate(more["case_id"])]
    many = [*findings, Finding(kind="threshold", message="多", unit="甲所", case_ids=tuple(more["case_id"]))]

    def write(path):
        return write_drilldown_xlsx(
            many, more, path, "2022-06-30 23:59:59", pending=tuple(more["case_id"][::2])
        )

    fast, slow = _both_ways(tmp_path, write, monkeypatch)
    assert fast == slow


# --- labels -----------------------------------------------------------------------------------


def test_field_from_label_accepts_keys_and_page_labels():
    assert field_from_label("accepted") == "accepted"
    assert field_from_label("受理量") == "accepted"
    assert field_from_label("总计办结") == "closed"
    assert field_from_label("举报立案数") == "reports_filed"
    assert field_from_label("办结率") == "closure_rate_pct"
    assert field_from_label("单位名称") == field_from_label("承办单位") == "unit"
    assert field_from_label("登记编号") == "case_id"
    # As the page shows them, or as typed: full-width brackets, spaces, letter case.
    assert field_from_label("挽回损失（元）") == field_from_label("挽回损失(元)") == "recovered_loss"
    assert field_from_label("内容(已脱敏)") == "content"
    assert field_from_label(" 受理 量 ") == "accepted"
    assert field_from_label("Complaints_Closed") == "complaints_closed"
    # Names other tables and exports use.
    assert field_from_label("涉及客体分类") == "goods_category"
    assert field_from_label("诉求来源") == field_from_label("来源") == "channel"
    assert field_from_label("被投诉方") == "respondent"


@pytest.mark.parametrize("bad", ["受理数", "", "   ", "acceptedx"])
def test_field_from_label_unknown_is_a_chinese_key_error(bad):
    with pytest.raises(KeyError, match="受理量"):
        field_from_label(bad)


def test_labels_cover_the_canonical_table_and_agree_with_the_unit_table():
    assert set(CASE_LABELS) == set(CASE_COLUMNS)
    assert set(DRILL_FIELDS) <= set(CASE_COLUMNS)
    for column, label in INDICATOR_LABELS.items():
        assert labels.TABLE_LABELS[column] == label
    # The brief's drill-down headers, as the page shows them.
    assert [
        CASE_LABELS[f] for f in ("case_id", "kind", "channel", "recovered_loss", "respondent", "content")
    ] == ["登记编号", "类型", "来源渠道", "挽回损失(元)", "被投诉/举报方", "内容（已脱敏）"]
    # Headers within each vocabulary are distinct (a header names one column).
    assert len(set(CASE_LABELS.values())) == len(CASE_LABELS)
    assert len(set(labels.TABLE_LABELS.values())) == len(labels.TABLE_LABELS)


def test_a_label_naming_two_fields_is_refused(monkeypatch):
    monkeypatch.setitem(labels.ALIASES, "kind", ("受理量",))
    with pytest.raises(ValueError, match="受理量"):
        labels._lookup()
