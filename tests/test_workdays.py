"""Working-day calendar: State Council schedule with make-up days, coverage errors, vectorised == scalar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import chinese_calendar
import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kwstats.exceptions import CalendarCoverageError, ParamsError
from kwstats.params import DEFAULT_PARAMS_DIR
from kwstats.workdays import CalendarParams, WorkdayCalendar, load_calendar_params

D = dt.date.fromisoformat


@pytest.fixture(scope="module")
def cal() -> WorkdayCalendar:
    return WorkdayCalendar.from_params()


def _write_calendar(tmp_path: Path, text: str) -> Path:
    (tmp_path / "calendar.yaml").write_text(text, encoding="utf-8")
    return tmp_path


# A made-up 2027 schedule: test data only, not the real one.
FAKE_2027 = """
years:
  2027:
    holidays:
      - 2027-01-01
      - {start: 2027-02-08, end: 2027-02-12, name: 春节}
    workdays: [2027-02-06]
"""


# ---------------------------------------------------------------- the schedule


@pytest.mark.parametrize(
    "day", ["2022-01-29", "2022-01-30", "2020-01-19", "2021-09-18", "2021-09-26", "2021-10-09"]
)
def test_make_up_weekend_days_are_workdays(cal: WorkdayCalendar, day: str) -> None:
    assert D(day).weekday() >= 5
    assert cal.is_workday(D(day))


@pytest.mark.parametrize(
    ("first", "last"),
    [("2022-01-31", "2022-02-06"), ("2021-10-01", "2021-10-07"), ("2020-01-24", "2020-02-02")],
)
def test_holiday_breaks_are_off(cal: WorkdayCalendar, first: str, last: str) -> None:
    days = pd.date_range(first, last)
    assert not any(cal.is_workday(d) for d in days)
    assert not cal.is_workday_array(pd.Series(days)).any()


def test_2020_extended_spring_festival(cal: WorkdayCalendar) -> None:
    # 2020-02-01 (Sat) was a make-up day before the extension to 2020-02-02; it was then cancelled.
    assert not cal.is_workday(D("2020-02-01"))
    assert cal.is_workday(D("2020-02-03"))
    assert cal.add_workdays(D("2020-01-23"), 1) == D("2020-02-03")


def test_agrees_with_package_every_day(cal: WorkdayCalendar) -> None:
    days = pd.date_range("2004-01-01", "2026-12-31")
    expected = np.array([chinese_calendar.is_workday(d.date()) for d in days])
    got = cal.is_workday_array(pd.Series(days)).to_numpy(dtype=bool)
    assert (got == expected).all()
    assert cal.sources[2022] == "chinese-calendar"


# ---------------------------------------------------------------- counting


def test_add_workdays_across_make_up_and_spring_festival(cal: WorkdayCalendar) -> None:
    assert cal.add_workdays(D("2022-01-28"), 1) == D("2022-01-29")
    assert cal.add_workdays(D("2022-01-28"), 2) == D("2022-01-30")
    assert cal.add_workdays(D("2022-01-28"), 3) == D("2022-02-07")
    # 28, 29, 30 January, then 7, 8, 9, 10 February
    assert cal.add_workdays(D("2022-01-27"), 7) == D("2022-02-10")
    assert cal.add_workdays(dt.datetime(2022, 1, 27, 16, 45), 7) == D("2022-02-10")


def test_start_on_a_holiday_counts_from_next_workday(cal: WorkdayCalendar) -> None:
    assert cal.add_workdays(D("2022-02-01"), 1) == D("2022-02-07")  # Spring Festival
    assert cal.add_workdays(D("2022-01-08"), 1) == D("2022-01-10")  # ordinary Saturday
    assert cal.add_workdays(D("2021-10-03"), 2) == D("2021-10-09")  # National Day, then make-up Sat


def test_workdays_between(cal: WorkdayCalendar) -> None:
    assert cal.workdays_between(D("2022-01-27"), D("2022-02-10")) == 7
    assert cal.workdays_between(D("2022-01-27"), D("2022-01-27")) == 0
    assert cal.workdays_between(D("2022-01-31"), D("2022-02-06")) == 0
    assert cal.workdays_between(D("2022-02-10"), D("2022-01-27")) == -7
    assert cal.workdays_between("2021-12-31", "2022-01-04") == 1  # 1-3 January off


def test_add_workdays_rejects_non_positive(cal: WorkdayCalendar) -> None:
    with pytest.raises(ValueError):
        cal.add_workdays(D("2022-01-04"), 0)


def test_vectorised_keeps_index_and_missing(cal: WorkdayCalendar) -> None:
    s = pd.Series(pd.to_datetime(["2022-01-28", None, "2022-01-27"]), index=[10, 11, 12])
    due = cal.add_workdays_array(s, 7)
    assert list(due.index) == [10, 11, 12]
    assert pd.isna(due[11]) and due[12] == pd.Timestamp("2022-02-10")
    between = cal.workdays_between_array(s, due)
    assert between[10] == 7 and pd.isna(between[11])
    assert cal.is_workday_array(s).isna()[11]
    # 28 January 2022 a Friday (working day), 27 January a Thursday
    assert cal.is_workday_array(s).tolist() == [True, pd.NA, True]
    assert str(between.dtype) == "Int64" and str(cal.is_workday_array(s).dtype) == "boolean"
    assert str(cal.due_dates(s, 7).missing_year.dtype) == "Int64"
    per_row = cal.add_workdays_array(np.array(["2022-01-28", "2022-01-28"], dtype="datetime64[D]"), [1, 3])
    assert list(per_row) == [pd.Timestamp("2022-01-29"), pd.Timestamp("2022-02-07")]


dates_2020s = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2025, 12, 31))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(dates_2020s, st.integers(1, 60)), min_size=1, max_size=30))
def test_vectorised_equals_scalar(cal: WorkdayCalendar, pairs: list[tuple[dt.date, int]]) -> None:
    days = [d for d, _ in pairs]
    ns = [n for _, n in pairs]
    due = cal.add_workdays_array(pd.Series(pd.to_datetime(days)), np.array(ns))
    assert [d.date() for d in due] == [cal.add_workdays(d, n) for d, n in pairs]
    between = cal.workdays_between_array(np.array(days, dtype="datetime64[D]"), due.to_numpy())
    assert list(between) == ns
    flags = cal.is_workday_array(days)
    assert list(flags) == [cal.is_workday(d) for d in days]


@settings(max_examples=60, deadline=None)
@given(dates_2020s, st.integers(1, 60))
def test_add_workdays_lands_on_a_workday_n_workdays_on(cal: WorkdayCalendar, day: dt.date, n: int) -> None:
    due = cal.add_workdays(day, n)
    assert cal.is_workday(due)
    assert cal.workdays_between(day, due) == n
    assert cal.workdays_between(day, due - dt.timedelta(days=1)) == n - 1


# ---------------------------------------------------------------- coverage


def test_uncovered_year_raises_with_year_and_remedy(cal: WorkdayCalendar) -> None:
    with pytest.raises(CalendarCoverageError, match="2027") as err:
        cal.is_workday(D("2027-03-01"))
    assert "calendar.yaml" in str(err.value)
    with pytest.raises(CalendarCoverageError, match="2027"):
        cal.add_workdays(D("2026-12-28"), 7)
    with pytest.raises(CalendarCoverageError, match="2027"):
        cal.workdays_between_array(
            pd.Series(pd.to_datetime(["2026-12-01"])), pd.Series(pd.to_datetime(["2027-01-10"]))
        )
    with pytest.raises(CalendarCoverageError, match="2003"):
        cal.is_workday(D("2003-05-06"))


def test_params_supply_2027(tmp_path: Path) -> None:
    cal = WorkdayCalendar.from_params(_write_calendar(tmp_path, FAKE_2027))
    assert not cal.is_workday(D("2027-01-01"))
    assert cal.is_workday(D("2027-02-06"))  # Saturday, made a working day
    assert not cal.is_workday(D("2027-02-10"))
    assert cal.add_workdays(D("2026-12-30"), 2) == D("2027-01-04")  # 31 Dec, (1 Jan off), 4 Jan
    assert cal.sources[2027].endswith("calendar.yaml")


def test_gap_year_is_not_crossed_silently(tmp_path: Path) -> None:
    cal = WorkdayCalendar.from_params(_write_calendar(tmp_path, FAKE_2027.replace("2027", "2028")))
    assert cal.is_workday(D("2028-01-04"))
    with pytest.raises(CalendarCoverageError, match="2027"):
        cal.is_workday(D("2027-06-01"))
    with pytest.raises(CalendarCoverageError, match="2027"):
        cal.add_workdays(D("2026-12-30"), 5)
    with pytest.raises(CalendarCoverageError, match="2027"):
        cal.workdays_between(D("2026-12-30"), D("2028-01-05"))


def test_params_year_overrides_package(tmp_path: Path) -> None:
    text = "years:\n  2022:\n    holidays: [2022-01-03]\n"
    cal = WorkdayCalendar.from_params(_write_calendar(tmp_path, text))
    assert not cal.is_workday(D("2022-01-29"))  # no make-up days in this (made-up) 2022
    assert cal.is_workday(D("2022-02-01"))
    assert cal.is_workday(D("2021-10-09"))  # other years still from the package


def test_shipped_example_reproduces_package_2022() -> None:
    lines = (DEFAULT_PARAMS_DIR / "calendar.yaml").read_text(encoding="utf-8").splitlines()
    start = lines.index("# years:")
    example = "\n".join(line[2:] for line in lines[start:] if line.startswith("#"))
    params = CalendarParams.model_validate(yaml.safe_load(example))
    from_example = WorkdayCalendar.from_schedule(params.years)
    assert np.array_equal(from_example.workdays, WorkdayCalendar.from_schedule().workdays)


def test_shipped_calendar_params_load() -> None:
    assert load_calendar_params().years == {}
    assert load_calendar_params(Path("/nonexistent-dir")).years == {}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("years:\n  2027:\n    holidays: [2027-01-01]\n    workdays: [2027-02-08]\n", "周六或周日"),
        ("years:\n  2027:\n    holidays: [2026-12-31]\n", "不属于该年"),
        (
            "years:\n  2027:\n    holidays: [2027-02-06]\n    workdays: [2027-02-06]\n",
            "既是放假日又是调休上班日",
        ),
        ("years:\n  2027:\n    holidays: []\n", "holidays"),
        ("years:\n  2027:\n    holiday: [2027-01-01]\n", "holiday"),
        ("years:\n  2027:\n    holidays: [{start: 2027-02-12, end: 2027-02-08}]\n", "结束日期早于开始日期"),
        ("years: [\n", "YAML"),
    ],
)
def test_bad_calendar_params(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ParamsError, match=fragment) as err:
        WorkdayCalendar.from_params(_write_calendar(tmp_path, text))
    assert "calendar.yaml" in str(err.value)


# ---------------------------------------------------------------- legal holidays and natural days


def test_legal_holidays_agree_with_package_detail_every_day(cal: WorkdayCalendar) -> None:
    """A legal holiday is a day the package names as a holiday (weekends inside a break included)."""
    expected = set()
    for day in pd.date_range("2004-01-01", "2026-12-31"):
        is_off, name = chinese_calendar.get_holiday_detail(day.date())
        if is_off and name is not None:
            expected.add(day.date())
    got = {pd.Timestamp(d).date() for d in cal.legal_holidays}
    assert got == expected
    assert cal.is_legal_holiday(D("2026-10-03"))  # Saturday inside the National Day break
    assert not cal.is_legal_holiday(D("2026-10-10"))  # make-up working Saturday
    assert not cal.is_legal_holiday(D("2026-07-19"))  # an ordinary Sunday is not a legal holiday


@pytest.mark.parametrize(
    ("start", "n", "roll", "due"),
    [
        # 2026-05-18 + 60 days = Friday 2026-07-17 (13 + 30 + 17), a working day: no roll-over
        ("2026-05-18", 60, "legal_holiday", "2026-07-17"),
        # 2026-08-05 + 60 = Sunday 2026-10-04, inside National Day (1-7 October): first day after = 8 October
        ("2026-08-05", 60, "legal_holiday", "2026-10-08"),
        ("2026-08-05", 60, "none", "2026-10-04"),
        # 2026-07-29 + 60 = Sunday 2026-09-27, last day of Mid-autumn (25-27 September): 28 September
        ("2026-07-29", 60, "legal_holiday", "2026-09-28"),
        # 2026-05-20 + 60 = Sunday 2026-07-19, an ordinary weekend: not a legal holiday, not rolled over;
        # the rest_day reading would move it to Monday 2026-07-20
        ("2026-05-20", 60, "legal_holiday", "2026-07-19"),
        ("2026-05-20", 60, "rest_day", "2026-07-20"),
        # 2026-03-14 + 60 = 2026-05-13: Labour Day (1-5 May) is before it
        ("2026-03-14", 60, "legal_holiday", "2026-05-13"),
    ],
)
def test_add_natural_days(cal: WorkdayCalendar, start: str, n: int, roll: str, due: str) -> None:
    assert cal.add_natural_days(D(start), n, roll) == D(due)  # type: ignore[arg-type]


def test_natural_day_rollover_reads_the_package() -> None:
    """The National Day case worked from chinese_calendar alone, not from kwstats."""
    last = D("2026-08-05") + dt.timedelta(days=60)
    assert chinese_calendar.get_holiday_detail(last) == (True, "National Day")
    day = last
    while chinese_calendar.get_holiday_detail(day)[0] and chinese_calendar.get_holiday_detail(day)[1]:
        day += dt.timedelta(days=1)
    assert day == D("2026-10-08")
    assert WorkdayCalendar.from_params().add_natural_days(D("2026-08-05"), 60) == day


def test_due_dates_name_the_missing_year_instead_of_raising(cal: WorkdayCalendar) -> None:
    starts = pd.Series(
        pd.to_datetime(["2026-12-22", "2026-12-24", None, "2027-01-05", "2026-11-01", "2026-11-02"]),
        index=[5, 6, 7, 8, 9, 10],
    )
    work = cal.due_dates(starts.iloc[:4], 7)
    # 23, 24, 25, 28, 29, 30, 31 December: the 7th working day after 22 December is 31 December
    assert work.due[5] == pd.Timestamp("2026-12-31") and pd.isna(work.missing_year[5])
    # after 24 December only 5 working days are left in 2026: 2027 is needed
    assert pd.isna(work.due[6]) and work.missing_year[6] == 2027
    assert pd.isna(work.due[7]) and pd.isna(work.missing_year[7])
    assert work.missing_year[8] == 2027
    natural = cal.due_dates(starts.iloc[4:], 60, "natural")
    # 1 November + 60 days = 31 December 2026 (a Thursday, working day); 2 November + 60 = 1 January 2027
    assert natural.due[9] == pd.Timestamp("2026-12-31") and pd.isna(natural.missing_year[9])
    assert pd.isna(natural.due[10]) and natural.missing_year[10] == 2027
    assert list(work.due.index) == [5, 6, 7, 8]


def test_workdays_between_uncovered_na(cal: WorkdayCalendar) -> None:
    starts = pd.Series(pd.to_datetime(["2026-12-28", "2026-12-28"]))
    ends = pd.Series(pd.to_datetime(["2026-12-31", "2027-01-05"]))
    got = cal.workdays_between_array(starts, ends, uncovered="na")
    assert got[0] == 3 and pd.isna(got[1])
    with pytest.raises(CalendarCoverageError, match="2027"):
        cal.workdays_between_array(starts, ends)


def test_params_2027_supplies_legal_holidays(tmp_path: Path) -> None:
    cal = WorkdayCalendar.from_params(_write_calendar(tmp_path, FAKE_2027))
    assert cal.is_legal_holiday(D("2027-02-08")) and cal.is_legal_holiday(D("2027-01-01"))
    assert not cal.is_legal_holiday(D("2027-02-06"))  # the fixture's make-up Saturday
    # 2026-12-10 + 60 days = 2027-02-08, inside the fixture's break (8-12 February): 13 February
    assert cal.add_natural_days(D("2026-12-10"), 60) == D("2027-02-13")
    # 2026-11-02 + 60 = 2027-01-01, the fixture's New Year's Day: 2 January
    assert cal.add_natural_days(D("2026-11-02"), 60) == D("2027-01-02")


def test_first_uncovered(tmp_path: Path, cal: WorkdayCalendar) -> None:
    lo = np.array([2020, 2026, 2027, 2003, 2026])
    hi = np.array([2026, 2027, 2030, 2005, 2026])
    assert list(cal.first_uncovered(lo, hi)) == [0, 2027, 2027, 2003, 0]
    gap = WorkdayCalendar.from_params(_write_calendar(tmp_path, FAKE_2027.replace("2027", "2028")))
    assert list(gap.first_uncovered(np.array([2026, 2028]), np.array([2028, 2029]))) == [2027, 2029]
