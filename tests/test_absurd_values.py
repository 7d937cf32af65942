"""Absurd values and big cells (issue 7 §2): set aside with file, line, column and reason, or read.

Every input is a tiny export made here; expected values are worked by hand.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import xlsxwriter

from kwstats import indicators, ingest
from kwstats.ingest import read_export, read_exports
from kwstats.report import build_report
from tests.test_ingest import HEADER, check_accounting, row, write_csv

AMOUNT = "挽回经济损失（元）"
THIRTY_ONE_DIGITS = "1234567890123456789012345678901"


def rejected_by_line(result: ingest.IngestResult) -> dict[int, tuple[str, str, str, str]]:
    rej = result.rejected
    return {
        int(r.source_line): (str(r.source_file), str(r.column), str(r.value), str(r.reason))
        for r in rej.itertuples(index=False)
    }


# ---------------------------------------------------------------------------------------------
# amounts


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1e308", "金额不合理（超过 100 亿元）"),
        (THIRTY_ONE_DIGITS, "金额不合理（超过 100 亿元）"),
        ("10000000001", "金额不合理（超过 100 亿元）"),
        ("1e309", "金额无法识别"),  # overflows to infinity
        ("inf", "金额无法识别"),
        ("-inf", "金额无法识别"),
        ("Infinity", "金额无法识别"),
        ("nan", "金额无法识别"),
        ("NaN", "金额无法识别"),
    ],
)
def test_absurd_amount_is_set_aside_with_file_line_column(
    tmp_path: Path, branch, value: str, reason: str
) -> None:
    path = write_csv(tmp_path / "m.csv", [row(1), row(2, **{AMOUNT: value}), row(3)])
    result = read_export(path, branch)
    check_accounting(result)
    assert (result.rows_read, result.rows_used, result.rows_set_aside) == (3, 2, 1)
    # header on line 1, so case 2 is on line 3
    assert rejected_by_line(result) == {3: ("m.csv", AMOUNT, value, reason)}
    assert result.rejected.loc[0, "case_id"] == "K00002"


def test_the_cap_itself_is_accepted_and_the_bulletin_sums_it(tmp_path: Path, branch) -> None:
    """10 000 000 000 元 is the largest amount kept; with 100 元 more it is 1 000 000.01 万元."""
    path = write_csv(
        tmp_path / "m.csv",
        [row(1, **{AMOUNT: "10000000000"}), row(2, **{AMOUNT: "100"}), row(3, **{AMOUNT: "1e308"})],
    )
    result = read_export(path, branch)
    check_accounting(result)
    assert result.rows_used == 2
    summary = indicators.summarize(result.cases, branch, "2022-01")
    assert summary.recovered_loss_wan == Decimal("1000000.01")


def test_absurd_amounts_do_not_crash_the_report(tmp_path: Path, branch) -> None:
    """What crashed `check` with decimal.InvalidOperation: the report is built, the rows named."""
    rows = [row(i, **{AMOUNT: v}) for i, v in enumerate(["1e308", THIRTY_ONE_DIGITS, "inf", "100"], 1)]
    result = read_export(write_csv(tmp_path / "m.csv", rows), branch)
    report = build_report("2022-01", ingest=result)
    assert report.summary.recovered_loss_wan == Decimal("0.01")  # 100 元
    assert "0.01 万元" in report.sentences()["overall"]
    assert sorted(rejected_by_line(result)) == [2, 3, 4]


# ---------------------------------------------------------------------------------------------
# dates in the future


def test_dates_after_the_export_time_are_set_aside(tmp_path: Path, branch) -> None:
    path = write_csv(
        tmp_path / "m.csv",
        [
            row(1),  # fine
            row(2, 办结时间="2022-02-01 10:00"),  # after the export (09:00)
            row(3, 登记时间="2099-01-05 09:00", 受理时间="", 办结时间=""),  # in range, but future
            row(4, 办结时间="2022-02-01 08:59"),  # just before the export: kept
            row(5, 受理时间="2022-02-03"),
        ],
        title=["宽城分局12315登记表", "导出时间：2022-02-01 09:00:00    共 5 条"],
    )
    result = read_export(path, branch)
    check_accounting(result)
    assert result.files[0].exported_at == "2022-02-01 09:00:00"
    assert (result.rows_read, result.rows_used, result.rows_set_aside) == (5, 2, 3)
    reason = "日期晚于文件的导出时间 2022-02-01 09:00:00"
    # two title rows and the header: case i is on line i + 3
    assert rejected_by_line(result) == {
        5: ("m.csv", "办结时间", "2022-02-01 10:00", reason),
        6: ("m.csv", "登记时间", "2099-01-05 09:00", reason),
        8: ("m.csv", "受理时间", "2022-02-03", reason),
    }
    assert sorted(result.cases["case_id"]) == ["K00001", "K00004"]


def test_a_bare_export_date_means_that_whole_day(tmp_path: Path, branch) -> None:
    path = write_csv(
        tmp_path / "m.csv",
        [row(1, 办结时间="2022-02-01 18:00"), row(2, 办结时间="2022-02-02 00:00")],
        title=["导出日期：2022年2月1日"],
    )
    result = read_export(path, branch)
    check_accounting(result)
    assert result.files[0].exported_at == "2022-02-01"
    assert rejected_by_line(result) == {
        4: ("m.csv", "办结时间", "2022-02-02 00:00", "日期晚于文件的导出时间 2022-02-01")
    }


def test_export_time_in_the_next_cell_of_an_xlsx(tmp_path: Path, branch) -> None:
    path = tmp_path / "m.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write(0, 0, "导出时间：")
    sheet.write_datetime(
        0, 1, dt.datetime(2022, 2, 1, 9, 0), book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    )
    sheet.write_row(1, 0, HEADER)
    for r, values in enumerate([row(1), row(2, 办结时间="2022-02-05 10:00")], start=2):
        sheet.write_row(r, 0, [values.get(h, "") for h in HEADER])
    book.close()
    result = read_export(path, branch)
    check_accounting(result)
    assert result.files[0].exported_at == "2022-02-01 09:00:00"
    assert list(rejected_by_line(result)) == [4]


def test_without_an_export_time_now_is_the_limit(tmp_path: Path, branch) -> None:
    path = write_csv(
        tmp_path / "m.csv",
        [
            row(1, 办结时间="2022-03-01 10:00"),
            row(2, 办结时间="2022-03-01 12:00"),
            row(3, 登记时间="2099-01-05"),
        ],
    )
    result = read_exports([path], branch, now=dt.datetime(2022, 3, 1, 11, 0))
    check_accounting(result)
    assert result.files[0].exported_at is None
    reason = "日期在未来（晚于读取时的当前时间 2022-03-01 11:00）"
    assert rejected_by_line(result) == {
        3: ("m.csv", "办结时间", "2022-03-01 12:00", reason),
        4: ("m.csv", "登记时间", "2099-01-05", reason),
    }
    # a time-zone-aware "now" is taken in Beijing time: 03:00 UTC is 11:00 in Beijing
    aware = read_exports([path], branch, now=pd.Timestamp("2022-03-01 03:00", tz="UTC"))
    assert list(rejected_by_line(aware)) == [3, 4]


def test_the_wall_clock_is_the_default_now(tmp_path: Path, branch) -> None:
    path = write_csv(tmp_path / "m.csv", [row(1), row(2, 登记时间="2099-01-05")])
    result = read_export(path, branch)
    check_accounting(result)
    (reason,) = result.rejected["reason"]
    assert reason.startswith("日期在未来")


def test_a_due_date_may_lie_in_the_future(tmp_path: Path, branch) -> None:
    header = [*HEADER, "到期时间"]
    path = write_csv(tmp_path / "m.csv", [row(1, 到期时间="2099-03-01")], header=header)
    result = read_exports([path], branch, now=dt.datetime(2022, 3, 1))
    check_accounting(result)
    assert result.rows_used == 1
    assert result.cases.loc[0, "due_at"] == pd.Timestamp("2099-03-01")


# ---------------------------------------------------------------------------------------------
# big cells


def test_a_cell_over_131072_characters_is_read(tmp_path: Path, branch) -> None:
    long_text = "消费者反映商品质量问题。" * 20000  # 240 000 characters
    assert len(long_text) > 131072
    path = write_csv(tmp_path / "m.csv", [row(1, 登记内容=long_text), row(2)])
    limit = csv.field_size_limit()
    result = read_export(path, branch)
    check_accounting(result)
    assert (result.rows_read, result.rows_used) == (2, 2)
    content = result.cases.set_index("case_id")["content"]
    assert content["K00001"] == long_text
    assert csv.field_size_limit() == limit  # the process-wide limit is left as it was


def test_yuan_to_wan_takes_any_finite_sum() -> None:
    """Hand-made frames bypass ingest's cap: still no decimal.InvalidOperation."""
    assert indicators.yuan_to_wan(60800) == Decimal("6.08")
    assert indicators.yuan_to_wan(1e30) == Decimal("1" + "0" * 26 + ".00")  # 1e30 元 = 1e26 万元
    with pytest.raises(ValueError, match="不是有限数"):
        indicators.yuan_to_wan(float("inf"))
