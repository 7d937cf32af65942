"""The column reader of large CSV exports (kwstats.ingest.csvscan, csvfile): a file read a range of
records at a time gives the rows, lines, reasons and warnings a file read whole gives; the date
parser of the plain spellings; memory handed back; the duplicate test of the row checks."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kwstats.ingest import csvfile, csvscan, read_export, values
from kwstats.ingest.rows import _repeats

HEADER = "序号,登记编号,业务类型,登记时间,承办单位,办结时间,登记内容,姓名,联系电话,备注"

# line 1: a title row; line 2: the header; a quoted cell over lines 4-5; a blank line 7; a note row
# of one cell (another width) at the end. Worked by hand: K3 (line 6) has no 13th month, line 9
# repeats K1 (line 3) cell for cell, line 10 is a total row (its first cell, under 序号).
EXPORT = (
    "宽城分局投诉举报登记表,,,,,,,,,\n"
    f"{HEADER}\n"
    "1,K1,投诉,2022-01-05 09:31:00,站前所,2022-01-07,冰箱坏了,张三,13912345678,\n"
    '2,K2,举报,2022/1/6 10:00,新发所,,"第一行\n第二行",李四,13800001111,\n'
    "3,K3,投诉,2022-13-01,站前所,,无,王五,13700002222,\n"
    "\n"
    "4,K4,投诉,2022年1月8日 08:00,南广所,,请回电13600003333,赵六,13600003333,\n"
    "1,K1,投诉,2022-01-05 09:31:00,站前所,2022-01-07,冰箱坏了,张三,13912345678,\n"
    "合计：5条\n"
)


def _read(tmp_path: Path, branch, text: str, monkeypatch: pytest.MonkeyPatch, range_bytes: int):
    path = tmp_path / "a.csv"
    path.write_bytes(text.encode("utf-8"))
    monkeypatch.setattr(csvscan, "_RANGE", range_bytes)

    def no_fallback(*args, **kwargs):  # the csv module's reader is not used: the column reader is
        raise AssertionError("the file went to the csv module")

    monkeypatch.setattr(csvfile, "read_bytes", no_fallback)
    return read_export(path, branch)


@pytest.mark.parametrize("range_bytes", [1 << 25, 1, 40, 97])
def test_ranges_keep_lines_reasons_and_counts(tmp_path: Path, branch, monkeypatch, range_bytes: int) -> None:
    result = _read(tmp_path, branch, EXPORT, monkeypatch, range_bytes)
    report = result.files[0]
    assert (report.rows_read, report.rows_used, report.rows_set_aside) == (6, 3, 3)
    assert (report.blank_rows, report.total_rows, report.header_line) == (1, 1, 2)
    rejected = result.rejected
    assert rejected["source_line"].tolist() == [6, 9, 10]
    assert rejected["column"].tolist() == ["登记时间", "登记编号", "序号"]
    assert rejected["value"].tolist() == ["2022-13-01", "K1", "合计：5条"]
    assert rejected["reason"].tolist() == ["日期无法识别", "重复行，与 a.csv 第 3 行相同", "合计行"]
    cases = result.cases.set_index("case_id")
    assert cases.index.tolist() == ["K1", "K2", "K4"]
    assert cases["source_line"].tolist() == [3, 4, 8]
    assert cases.loc["K2", "content"] == "第一行\n第二行"
    assert cases.loc["K2", "registered_at"] == pd.Timestamp("2022-01-06 10:00")
    assert cases.loc["K4", "registered_at"] == pd.Timestamp("2022-01-08 08:00")
    assert cases.loc["K4", "content"] == "请回电136****3333"  # its own number, masked
    # one warning for the unknown column, however many ranges said it
    assert [w for w in result.warnings if "备注" in w] == ["a.csv：以下列未识别，已忽略：备注。"]


def test_a_range_of_blank_lines_says_nothing(tmp_path: Path, branch, monkeypatch) -> None:
    """Whole ranges of blank lines between the rows: counted as blank, no 'no data rows' warning."""
    text = (
        f"{HEADER}\n"
        "1,K1,投诉,2022-01-05 09:31:00,站前所,,a,张三,13912345678,x\n"
        + "\n" * 50
        + "2,K2,投诉,2022-01-06 09:31:00,站前所,,b,李四,13800001111,y\n"
    )
    result = _read(tmp_path, branch, text, monkeypatch, 8)
    assert result.cases["source_line"].tolist() == [2, 53]
    assert result.files[0].blank_rows == 50
    assert not [w for w in result.warnings if "没有数据行" in w]


def test_wider_rows_in_a_later_range(tmp_path: Path, branch, monkeypatch) -> None:
    """A row with cells past the header (line 4), alone in its range: read, the extra cell unused."""
    text = (
        f"{HEADER}\n"
        "1,K1,投诉,2022-01-05 09:31:00,站前所,,a,张三,13912345678,\n"
        "2,K2,投诉,2022-01-06 09:31:00,站前所,,b,李四,13800001111,\n"
        "3,K3,举报,2022-01-07 09:31:00,新发所,,c,王五,13700002222,,多出的一格\n"
    )
    for range_bytes in (1, 1 << 25):
        result = _read(tmp_path, branch, text, monkeypatch, range_bytes)
        assert result.cases["case_id"].tolist() == ["K1", "K2", "K3"]
        assert result.cases["source_line"].tolist() == [2, 3, 4]
        assert result.rows_set_aside == 0


@pytest.mark.parametrize("range_bytes", [1 << 25, 1])
def test_a_short_note_row_between_rows(tmp_path: Path, branch, monkeypatch, range_bytes: int) -> None:
    """A row of one cell (another width) before other rows of its range: put back in its place."""
    text = (
        f"{HEADER}\n"
        "1,K1,投诉,2022-01-05 09:31:00,站前所,,a,张三,13912345678,\n"
        "说明：以下为补录\n"
        "2,K2,投诉,2022-01-06 09:31:00,站前所,,b,李四,13800001111,\n"
    )
    result = _read(tmp_path, branch, text, monkeypatch, range_bytes)
    assert result.cases["source_line"].tolist() == [2, 4]
    rejected = result.rejected
    assert rejected[["source_line", "column", "reason"]].values.tolist() == [[3, "登记编号", "编号为空"]]


def test_a_large_file_is_read_with_economical_memory(tmp_path: Path, branch, monkeypatch) -> None:
    calls = []
    monkeypatch.setattr(csvfile, "economical_memory", lambda: calls.append(1))
    monkeypatch.setattr(csvfile, "LARGE_FILE", len(EXPORT.encode()) - 1)
    _read(tmp_path, branch, EXPORT, monkeypatch, 1 << 25)
    assert calls == [1]
    monkeypatch.setattr(csvfile, "LARGE_FILE", len(EXPORT.encode()))
    _read(tmp_path, branch, EXPORT, monkeypatch, 1 << 25)
    assert calls == [1]


def test_economical_memory_picks_a_pool_that_hands_memory_back() -> None:
    before = pa.default_memory_pool()
    try:
        pa.set_memory_pool(pa.mimalloc_memory_pool())
        csvscan.economical_memory()
        assert pa.default_memory_pool().backend_name in ("jemalloc", "system")
        pa.set_memory_pool(pa.system_memory_pool())  # a pool chosen otherwise stays
        csvscan.economical_memory()
        assert pa.default_memory_pool().backend_name == "system"
    finally:
        pa.set_memory_pool(before)


# --------------------------------------------------------------------------------------------
# the plain date spellings, read off the bytes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-01-05 09:31:00", "2022-01-05 09:31:00"),
        ("2022-12-31 23:59:59", "2022-12-31 23:59:59"),
        ("2022年12月31日 23:59:59", "2022-12-31 23:59:59"),
        ("2022/1/5 9:31", "2022-01-05 09:31:00"),
        ("2022-6月5", "2022-06-05"),  # the two separators are chosen apart
        ("2022年1月5日", "2022-01-05"),
        ("2024/2/29 09:05", "2024-02-29 09:05:00"),
        ("2022-02-29", None),  # no such day
        ("2022-01-05 24:00", None),
        ("2022-01-05 09:60", None),
        ("2022-01-05 9:31:5", None),  # a second of one digit
        ("2022-01-05  09:31", None),  # two spaces
        ("2022-1-123", None),
        ("２０２２-01-05", None),  # full-width digits: left to the other parsers
        ("1677-12-31", None),  # beyond datetime64[ns]
        ("2022-01-05T09:31:00", None),
    ],
)
def test_plain_dates(text: str, expected: str | None) -> None:
    got = values._parse_dates_plain(pd.Series([text, "", "x" * 30], dtype="str"))
    assert got.iloc[0] == pd.Timestamp(expected) if expected else pd.isna(got.iloc[0])
    assert got.iloc[1:].isna().all()


# The plain spellings as the parser's comment states them, read here by Python's re and datetime.
_PLAIN = re.compile(
    r"([0-9]{4})[-/年]([0-9]{1,2})[-/月]([0-9]{1,2})日?(?: ([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?"
)
_PIECES = ["2022", "1999", "2262", "-", "/", "年", "月", "日", " ", ":", "0", "1", "2", "5", "9", "12", "13"]
_PIECES += ["29", "30", "31", "23", "24", "59", "60", "00", "T", "２", "a", "2022-01-05", " 09:31", ":00"]


def _oracle(text: str) -> pd.Timestamp | None:
    found = _PLAIN.fullmatch(text)
    if not found:
        return None
    y, m, d, hh, mm, ss = (int(g) if g else 0 for g in found.groups())
    try:
        stamp = dt.datetime(y, m, d, hh, mm, ss)
    except ValueError:
        return None
    return pd.Timestamp(stamp) if 1678 <= y <= 2261 else None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=9).map("".join), max_size=40))
def test_plain_dates_as_the_grammar_reads_them(texts: list[str]) -> None:
    got = values._parse_dates_plain(pd.Series(texts, dtype="str"))
    for text, value in zip(texts, got, strict=True):
        want = _oracle(text)
        assert pd.isna(value) if want is None else value == want, text


def test_dates_of_a_large_column_in_batches(monkeypatch) -> None:
    """Batches of 2 rows: each cell parsed as alone (an odd spelling in another batch included)."""
    monkeypatch.setattr(values, "_BATCH", 2)
    texts = ["2022-01-05 09:31:00", "", "2022年1月6日", "-", "44566", "2022-02-30", "2022/1/7 下午3:31"]
    got, bad, out_of_range = values.parse_dates(pd.Series(texts, dtype="str"))
    expected = ["2022-01-05 09:31:00", None, "2022-01-06", None, "2022-01-05", None, "2022-01-07 15:31:00"]
    assert [None if pd.isna(v) else v for v in got] == [pd.Timestamp(e) if e else None for e in expected]
    assert bad.tolist() == [False, False, False, False, False, True, False]
    assert not out_of_range.any()


# --------------------------------------------------------------------------------------------
# duplicates


def test_repeats() -> None:
    ids = pd.Series(pd.array(pa.chunked_array([["b", "a"], ["b", "c", "a", "b"]]), dtype="str"))
    assert _repeats(ids).tolist() == [False, False, True, False, True, True]
    assert _repeats(pd.Series(["x", None, None, "x"], dtype="string")).tolist() == [False, False, True, True]
    assert _repeats(pd.Series([], dtype="str")).tolist() == []
    assert isinstance(_repeats(ids), np.ndarray)
