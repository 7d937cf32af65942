"""The column-at-a-time ingest gives what the record-by-record one gives: same cases, same rows set
aside with the same lines, same reports and warnings — and the lines are those a clerk sees."""

from __future__ import annotations

import csv
import io
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kwstats.exceptions import InputFileError
from kwstats.ingest import csvfile, personal, read_exports, values
from kwstats.ingest.grid import WHITESPACE, cell_text, strip_text
from kwstats.ingest.personal import mask_own_values
from kwstats.masking import known as masking
from kwstats.masking import mask_known_rows, mask_series, mask_text
from kwstats.params import load_branch

BRANCH = load_branch()
NOW = pd.Timestamp("2023-06-01")
HEADER = ["登记编号", "业务类型", "登记时间", "承办单位", "办结时间", "登记内容", "姓名", "来电号码"]


def _read(path: Path, columns: bool) -> tuple:
    """read_exports of `path`, with or without the column reader; the outcome as comparable data."""
    real = csvfile._read_columns
    used = []

    def spy(*args):
        got = real(*args) if columns else None
        used.append(got is not None)
        return got

    csvfile._read_columns = spy
    try:
        result = read_exports([path], BRANCH, now=NOW)
    except InputFileError as exc:
        return ("error", type(exc).__name__, str(exc)), used
    finally:
        csvfile._read_columns = real
    return (result.cases, result.rejected, result.files, result.warnings), used


def _same(a: tuple, b: tuple) -> None:
    if isinstance(a[0], str) or isinstance(b[0], str):
        assert a == b
        return
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])
    assert a[2] == b[2] and a[3] == b[3]


def _write(path: Path, lines: list[str], newline: str = "\n", bom: bool = False) -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + newline.join(lines).encode("utf-8"))
    return path


def _row(*cells: str) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(cells)  # quotes cells holding a comma, a quote or a line break
    return out.getvalue().removesuffix("\r\n")


# --- worked by hand -------------------------------------------------------------------------------


def test_lines_are_a_clerks_lines_with_multiline_cells_blank_lines_and_a_short_total_row(tmp_path):
    path = _write(
        tmp_path / "a.csv",
        [
            "宽城分局登记表",  # line 1: a title row of one cell
            "导出时间：2022-02-01 09:00:00",  # line 2
            ",".join(HEADER),  # line 3
            _row(
                "A1", "投诉", "2022-01-03 09:00", "站前所", "", "第一行\n第二行", "王芳", "13812345678"
            ),  # 4-5
            "",  # line 6: blank
            _row("A2", "举报", "2022-01-04", "新发所", "", '内容, 有逗号和"引号"', "", ""),  # line 7
            _row("A3", "建议", "2022-01-05", "新发所", "", "", "", ""),  # line 8: unknown kind
            "合计：3条",  # line 9: one cell only
        ],
    )
    (result, rejected, files, _), used = _read(path, columns=True)
    assert used == [True]
    assert result.set_index("case_id")["source_line"].to_dict() == {"A1": 4, "A2": 7}
    assert result.set_index("case_id").loc["A1", "content"] == "第一行\n第二行"
    assert result.set_index("case_id").loc["A2", "content"] == '内容, 有逗号和"引号"'
    assert rejected[["source_line", "reason"]].values.tolist() == [
        [8, "业务类型无法识别（应为 投诉、举报、咨询）"],
        [9, "合计行"],
    ]
    (report,) = files
    assert (report.header_line, report.rows_read, report.blank_rows, report.total_rows) == (3, 4, 1, 1)
    assert report.exported_at == "2022-02-01 09:00:00"


def test_rows_wider_than_the_header_and_odd_rows_before_regular_ones(tmp_path):
    path = _write(
        tmp_path / "b.csv",
        [
            ",".join(HEADER),
            "备注：以下为本月数据",  # line 2: a note row of one cell, before the data
            _row("B1", "投诉", "2022-01-03", "站前所", "", "x", "", "", "多出的一格"),  # line 3: wider
            _row("B2", "投诉", "2022-01-03", "站前所", "", "y", "", ""),  # line 4
        ],
        newline="\r\n",
        bom=True,
    )
    (cases, rejected, files, _), used = _read(path, columns=True)
    assert used == [True]
    assert cases["source_line"].tolist() == [3, 4]
    # the note lands in the 编号 column: a row without 业务类型
    assert rejected[["source_line", "column", "value", "case_id"]].values.tolist() == [
        [2, "业务类型", "", "备注：以下为本月数据"]
    ]
    assert files[0].encoding == "utf-8-sig"
    _same(_read(path, columns=True)[0], _read(path, columns=False)[0])


@pytest.mark.parametrize(
    "body",
    [
        'C1,投诉,2022-01-03,站前所,,他说"退款"了,,',  # a quote inside an unquoted cell
        'C1,投诉,2022-01-03,站前所,,"引号" 后面还有字,,',  # text after a closing quote
        "C1,投诉,2022-01-03,站前所,,老式换行\rC2,,,",  # a lone carriage return
    ],
)
def test_files_the_column_reader_does_not_take_are_read_as_before(tmp_path, body):
    path = _write(tmp_path / "c.csv", [",".join(HEADER), body, "C9,投诉,2022-01-04,新发所,,,,"])
    fast, used = _read(path, columns=True)
    assert used == [False]
    slow, _ = _read(path, columns=False)
    _same(fast, slow)


def test_an_unclosed_quote_is_the_same_error(tmp_path):
    path = _write(tmp_path / "d.csv", [",".join(HEADER), 'D1,投诉,2022-01-03,站前所,,"没有结尾,,', "D2,,,"])
    fast, _ = _read(path, columns=True)
    slow, _ = _read(path, columns=False)
    assert fast[0] == "error" and "引号" in fast[2]
    assert fast == slow


def test_tab_separated(tmp_path):
    path = _write(
        tmp_path / "e.tsv.csv",
        ["\t".join(HEADER), "\t".join(["E1", "投诉", "2022-01-03", "站前所", "", "a,b", "", ""])],
    )
    (cases, _, _, _), used = _read(path, columns=True)
    assert used == [True] and cases["content"].tolist() == ["a,b"]


# --- the same as the csv module, whatever the content ----------------------------------------------

_PIECES = ["", " ", "投诉", "举报", "咨询", "站前所", "2022-01-05 09:31", "2022/1/6", "合计", '="00123"', "A1",
           "13812345678", "王芳", "a,b", 'say "hi"', "x\ny", "x\r\ny", "\u3000中\u3000", "1,200.00", "\t"]  # fmt: skip
_cell = st.one_of(st.sampled_from(_PIECES), st.text(alphabet='ab1 ,"\n中-', max_size=6))


@st.composite
def _csv_files(draw) -> tuple[list[str], str, bool]:
    rows = [",".join(HEADER)]
    if draw(st.booleans()):
        rows.insert(0, draw(st.sampled_from(["标题", "导出时间：2022-02-01", "标题,,,,", ""])))
    for k in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["row", "row", "row", "blank", "short", "wide", "total"]))
        if kind == "blank":
            rows.append("")
        elif kind == "total":
            rows.append("合计：9条")
        else:
            n = {"row": len(HEADER), "short": 3, "wide": len(HEADER) + 2}[kind]
            cells = [f"K{k}", draw(st.sampled_from(["投诉", "举报", "x"])), "2022-01-0" + str(1 + k % 9)]
            cells += [draw(_cell) for _ in range(n - 3)]
            rows.append(_row(*cells[:n]))
    return rows, draw(st.sampled_from(["\n", "\r\n"])), draw(st.booleans())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_csv_files())
def test_column_reader_equals_record_reader(file: tuple[list[str], str, bool]) -> None:
    rows, newline, bom = file
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp) / "f.csv", rows, newline, bom)
        fast, used = _read(path, columns=True)
        slow, _ = _read(path, columns=False)
    assert used == [True]  # well-formed CSV: the column reader took it
    _same(fast, slow)


# --- pieces -------------------------------------------------------------------------------------------


def test_whitespace_is_what_str_strip_strips() -> None:
    assert "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()) == WHITESPACE


@given(st.lists(st.text(alphabet=' \t\u3000\x1c\x85="中a1\n', max_size=8), max_size=20))
def test_strip_text_is_cell_text(values: list[str]) -> None:
    expected = [cell_text(v) for v in values]
    assert strip_text(pa.array(values, type=pa.large_string())).to_pylist() == expected
    half = len(values) // 2  # in pieces, one of them a slice
    pieces = pa.chunked_array(
        [pa.array(["x", *values[:half]]).slice(1), pa.array(values[half:], pa.string())]
    )
    assert strip_text(pieces).to_pylist() == expected


_OWN = st.sampled_from(
    ["", "王芳", "孙先生", "13812345678", "+8613812345678", "138-1234-5678", "0431-85551234", "长春市宽城区长江路88号",
     "团山街１７０号", "张三 李四", "李 四", "无", "22010319880715451X", "xxx", "Ａｂｃ"]
)  # fmt: skip
_TEXT = st.one_of(
    st.sampled_from(
        ["", "王芳投诉", "王 芳来电", "电话13812345678", "１３８１２３４５６７８", "138 1234 5678", "0086 138-1234-5678",
         "尾号5678", "12345678", "住长江路88号", "团山街170号", "2022-01-05", "张三", "李四说", "ABC", "身份证22010319880715451x"]
    ),
    st.text(alphabet="王芳1385 -长江路号１４李四", max_size=12),
)  # fmt: skip


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(_TEXT, _TEXT, _TEXT, _OWN, _OWN), min_size=1, max_size=12))
def test_own_values_found_column_wise_are_those_masked_row_by_row(rows) -> None:
    cols = [np.array([r[k] for r in rows], dtype=object) for k in range(3)]
    own = [np.array([r[k] for r in rows], dtype=object) for k in (3, 4)]
    expected = mask_known_rows(cols, own, names_only=[2])
    got = mask_own_values(
        [pa.array(c, type=pa.large_string()) for c in cols],
        [pa.array(o, type=pa.large_string()) for o in own],
        names_only=[2],
    )
    assert [g.to_pylist() for g in got] == [e.tolist() for e in expected]


@given(st.text(alphabet="0１٣ \t\u3000-_/.()（）+＋Xx\u2012\u2212\uff0d王a,：\x00", max_size=8))
def test_value_classes_are_those_of_the_row_test(value: str) -> None:
    """personal.py's column-wise value classes: a number exactly when the row test says so, a
    separated value whenever it says so, and a plain number a number."""
    v = value.strip(" -_.·")
    arr = pa.array([v], type=pa.large_string())

    def matches(pattern: str) -> bool:
        return bool(pc.match_substring_regex(arr, pattern)[0].as_py())

    assert matches(personal._PURE_NUMBER) == bool(masking._PURE_NUMBER.match(v))
    if masking._SPLIT.search(v) or masking._FIVE_DIGITS.search(v):
        assert matches(personal._SPLIT) or matches(personal._FIVE_DIGITS) or "\x00" in v
    if matches(personal._PLAIN_NUMBER):
        assert matches(personal._PURE_NUMBER)


@given(
    st.lists(
        st.one_of(st.none(), _TEXT, st.sampled_from(["a@b.com", "０４３１-８５５５１２３４"])), max_size=30
    )
)
def test_mask_series_is_mask_text_on_every_value(values: list[str | None]) -> None:
    s = pd.Series(values, dtype="str")
    expected = [None if v is None else mask_text(v) for v in values]
    assert [None if pd.isna(v) else v for v in mask_series(s)] == expected


def test_usual_characters_have_the_same_skeleton_without_nfkd() -> None:
    """personal._USUAL: for each of these characters, masking's skeleton (NFKD, then letters and
    digits) keeps it exactly when RE2's [\\p{L}\\p{N}] does, and NFKD adds no letter or digit."""
    chars = [chr(c) for a, b in personal._USUAL_RANGES for c in range(a, b + 1) if not 0xD800 <= c <= 0xDFFF]
    kept_by_re2 = pc.match_substring_regex(
        pa.array(chars, type=pa.large_string()), r"^[\p{L}\p{N}]$"
    ).to_pylist()
    for ch, re2 in zip(chars, kept_by_re2, strict=True):
        assert masking._skeleton(ch) == (ch if re2 else ""), repr(ch)


_DATE_PIECES = st.sampled_from(["2022", "1999", "1677", "2262", "-", "/", "年", "月", "日", " ", ":", "0", "1", "2",
                                "9", "12", "13", "29", "30", "31", "24", "59", "60", "T", "."])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            _DATE_PIECES,
            st.sampled_from(
                [
                    "2022-02-28 23:59:59",
                    "2024/2/29 9:05",
                    "2022年1月5日",
                    "2023-02-29 10:00:00",
                    "2022-04-31 00:00:00",
                    "1677-12-31 23:59:59",
                    "2262-01-01 00:00:00",
                    "2024-02-29 00:00:00",
                ]
            ),
        ),
        max_size=9,
    )
)
def test_plain_dates_read_as_the_general_parsers_read_them(pieces: list[str]) -> None:
    text = pd.Series(["".join(pieces)], dtype="str")
    got = values._parse_dates_plain(text).iloc[0]
    if pd.isna(got):
        return
    iso = values._parse_dates_iso(text).iloc[0]
    general = iso if not pd.isna(iso) else values._parse_dates_slow(text).iloc[0]
    assert got == general, text.iloc[0]
