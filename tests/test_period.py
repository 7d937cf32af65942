"""The period a bulletin covers: one parser for months, one for cutoffs, and the Chinese forms."""

from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd
import pytest

from kwstats.exceptions import ParamsError
from kwstats.period import Period, month_key, parse_cutoff, parse_month


@pytest.mark.parametrize(
    "text", ["2022-1", "2022-01", "202201", "2022/01", "2022.1", "2022年1月", "2022 年 1 月", " 2022-01 "]
)
def test_every_way_a_clerk_writes_january(text):
    assert parse_month(text) == (2022, 1)
    assert month_key(text) == "2022-01"


@pytest.mark.parametrize(
    "text", ["2022-13", "2022-0", "22-01", "2022", "20221", "2022-001", "一月", "", "2022-1-5"]
)
def test_bad_months_name_the_form_to_write(text):
    with pytest.raises(ParamsError, match="应写成 YYYY-MM"):
        parse_month(text)


def test_month_bounds_and_default_cutoff():
    p = Period.month("2024-02")  # a leap year: 29 days
    assert (p.start, p.end) == (pd.Timestamp("2024-02-01"), pd.Timestamp("2024-03-01"))
    assert p.cutoff == pd.Timestamp("2024-02-29 23:59:59.999999999") and p.at_default_cutoff
    assert p.key == "2024-02" and p.folder == "2024-02"
    december = Period.month("2021-12")
    assert december.end == pd.Timestamp("2022-01-01")
    assert december.shift(1) == Period.month("2022-01") and december.shift(-12).key == "2020-12"


def test_cutoff_forms():
    end_of_20th = pd.Timestamp("2022-01-20 23:59:59.999999999")
    for given in ("2022-01-20", "2022/1/20", "2022.01.20", "20220120", dt.date(2022, 1, 20)):
        assert Period.month("2022-01", given).cutoff == end_of_20th, given
    assert Period.month("2022-01", "2022-01-20 18:00").cutoff == pd.Timestamp("2022-01-20 18:00")
    # a time zone is converted to Beijing time: 18:00 UTC is 02:00 the next day
    assert Period.month("2022-01", "2022-01-20T18:00+00:00").cutoff == pd.Timestamp("2022-01-21 02:00")
    assert Period.month("2022-01", None).cutoff == Period.month("2022-01", "  ").cutoff
    assert parse_cutoff(None, not_before=pd.Timestamp("2022-01-01"), what="x") is None


def test_parse_cutoff_worked_by_hand():
    """The one cutoff parser: a bare date (any form) is the last nanosecond of that day, an instant is
    kept as given, and a cutoff before the period's first instant is refused naming both."""
    jan = pd.Timestamp(2022, 1, 1)
    end_of_31st = pd.Timestamp(2022, 1, 31, 23, 59, 59) + pd.Timedelta(999_999_999, "ns")
    for day in (dt.date(2022, 1, 31), "2022-01-31", " 2022/1/31 ", "20220131"):
        assert parse_cutoff(day, not_before=jan, what="x") == end_of_31st, day
    noon = pd.Timestamp(2022, 1, 31, 12)
    for instant in (dt.datetime(2022, 1, 31, 12), pd.Timestamp("2022-01-31 12:00"), "2022-01-31 12:00"):
        assert parse_cutoff(instant, not_before=jan, what="x") == noon, instant
    # the first day itself is allowed: its end is after the first instant
    assert parse_cutoff(dt.date(2022, 1, 1), not_before=jan, what="x") == jan + pd.Timedelta(
        86_400_000_000_000 - 1, "ns"
    )
    with pytest.raises(ParamsError) as err:
        parse_cutoff(dt.date(2021, 12, 31), not_before=jan, what="统计月份 2022-01 ")
    assert str(err.value) == "截止时间 2021-12-31 23:59 早于统计月份 2022-01 的第一天。"


@pytest.mark.parametrize("bad", ["foo", "2021-12-31", "2022-13-01"])
def test_bad_cutoffs_are_params_errors(bad):
    with pytest.raises(ParamsError, match="截止时间"):
        Period.month("2022-01", bad)


def test_folder_names_another_cutoff():
    assert Period.month("2022-01", "2022-01-20").folder == "2022-01_截至2022-01-20_2359"
    assert Period.month("2022-01", "2022-01-31").folder == "2022-01"  # the end of the last day is the default


def test_chinese_forms():
    p = Period.month("2022-01")
    assert (p.title, p.lead, p.short, p.cutoff_day) == (
        "2022 年 1 月",
        "2022 年 1 月份",
        "1 月份",
        "1 月 31 日",
    )
    assert p.span == "2022.1.1～2022.1.31"
    early = Period.month("2022-01", "2022-01-20 18:00")
    assert early.span == "2022.1.1～2022.1.20" and early.cutoff_day == "1 月 20 日"
    late = Period.month("2022-01", "2022-03-31")  # January as known at the end of March
    assert late.span == "2022.1.1～2022.1.31" and late.cutoff_day == "3 月 31 日"


def test_plain_values_round_trip():
    for month, cutoff in itertools.product(["2022-01", "2020-02"], [None, "2022-03-05 12:30"]):
        p = Period.month(month, cutoff)
        values = p.as_dict()
        assert all(isinstance(v, str) for v in values.values())
        assert Period.from_dict(values) == p
    with pytest.raises(ValueError):
        Period.from_dict({"kind": "decade", "start": "", "end": "", "cutoff": ""})
