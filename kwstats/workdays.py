"""Working days as the State Council schedules them, make-up days (调休) included.

The schedule comes from the maintained `chinese-calendar` package; `params/calendar.yaml` may supply
a year (its holidays and make-up working days), which then replaces the package's data for that
year. A year neither covers raises CalendarCoverageError: there is never a silent weekend-only
fallback.

Day counting (the convention of 行政处罚程序规定 and the 12315 practice: a period in working days
starts counting the day after the event):

* ``add_workdays(d, n)`` is the n-th working day strictly after the calendar date of ``d``. The
  event's own day never counts, whether it is a working day or not; so an event on a weekend or
  holiday starts counting from the next working day (day 1).
* ``workdays_between(start, end)`` is the number of working days after ``start`` up to and including
  ``end`` (negative when ``end`` is before ``start``). Hence
  ``workdays_between(d, add_workdays(d, n)) == n`` and an event is within n working days of ``d``
  exactly when ``workdays_between(d, event) <= n``.
* Times of day are ignored: only calendar dates count. A deadline falls due at the end of its day.

Natural days (日, e.g. Order 121's 60-day mediation) follow Order 121 art. 45: the event's day is
not counted, so ``add_natural_days(d, n)`` starts from ``d + n`` days; when that last day is a
legal holiday (法定节假日) the period ends on the first day after it. "Legal holiday" is a day of
a State Council holiday break — the package's named holiday days (``get_holiday_detail`` gives a
name), or the ``holidays`` of a year in params — including the weekend days inside the break; an
ordinary weekend is not a legal holiday (``roll_over="legal_holiday"``). ``"rest_day"`` (roll over
every day off, weekends too, to the next working day) and ``"none"`` exist for a rule that says so.

A due date that needs a year the calendar lacks raises CalendarCoverageError in the scalar and
``*_array`` API; ``due_dates`` and ``workdays_between_array(..., uncovered="na")`` instead return
NaT/<NA> with the first missing year, so a caller can leave such cases unjudged and go on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import chinese_calendar
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from kwstats.exceptions import CalendarCoverageError
from kwstats.params import DEFAULT_PARAMS_DIR, _read_yaml, _validate

CALENDAR_FILE = "calendar.yaml"

DateLike = dt.date | dt.datetime | pd.Timestamp | np.datetime64 | str
ArrayLike = pd.Series | pd.Index | np.ndarray | list

_PROBE_YEARS = range(1990, 2101)

DayUnit = Literal["workday", "natural"]
RollOver = Literal["legal_holiday", "rest_day", "none"]
_FAR_YEAR = 1_000_000  # "past every year" in year arithmetic


# ---------------------------------------------------------------- params/calendar.yaml


class DateRange(BaseModel):
    """A run of consecutive days, e.g. the Spring Festival break."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    start: dt.date
    end: dt.date
    name: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.end < self.start:
            raise ValueError(f"日期段 {self.start}～{self.end} 的结束日期早于开始日期")
        return self

    def days(self) -> list[dt.date]:
        n = (self.end - self.start).days
        return [self.start + dt.timedelta(days=i) for i in range(n + 1)]


class CalendarYear(BaseModel):
    """One year's schedule: days off on weekdays (holidays) and weekend days worked (make-up days)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    holidays: list[dt.date | DateRange]
    workdays: list[dt.date] = []
    source: str | None = None  # e.g. 国办发明电〔2026〕X号

    @field_validator("holidays")
    @classmethod
    def _not_empty(cls, v: list[dt.date | DateRange]) -> list[dt.date | DateRange]:
        if not v:
            raise ValueError("holidays 不能为空：请写入国务院办公厅通知中的全部放假日期")
        return v

    def holiday_dates(self) -> set[dt.date]:
        out: set[dt.date] = set()
        for item in self.holidays:
            out.update(item.days() if isinstance(item, DateRange) else [item])
        return out


class CalendarParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    years: dict[int, CalendarYear] = {}

    @model_validator(mode="after")
    def _consistent(self) -> CalendarParams:
        for year, spec in self.years.items():
            off, on = spec.holiday_dates(), set(spec.workdays)
            stray = sorted(d for d in off | on if d.year != year)
            if stray:
                raise ValueError(f"{year} 年下写了不属于该年的日期：{'、'.join(map(str, stray))}")
            both = sorted(off & on)
            if both:
                raise ValueError(f"{year} 年中这些日期既是放假日又是调休上班日：{'、'.join(map(str, both))}")
            weekdays = sorted(d for d in on if d.weekday() < 5)
            if weekdays:
                raise ValueError(
                    f"{year} 年的调休上班日应为周六或周日，这些日期是工作日本来就上班："
                    f"{'、'.join(map(str, weekdays))}"
                )
        return self


def load_calendar_params(params_dir: str | Path = DEFAULT_PARAMS_DIR) -> CalendarParams:
    """Read and validate params/calendar.yaml; an absent file supplies no year."""
    path = Path(params_dir) / CALENDAR_FILE
    if not path.exists():
        return CalendarParams()
    data = _read_yaml(path) or {}
    if isinstance(data, dict) and data.get("years") is None:
        data = {**data, "years": {}}
    return _validate(CalendarParams, data, path)


def package_years() -> list[int]:
    """The years the installed chinese-calendar package covers."""
    years = []
    for year in _PROBE_YEARS:
        try:
            chinese_calendar.is_workday(dt.date(year, 7, 1))
        except NotImplementedError:
            continue
        years.append(year)
    return years


# ---------------------------------------------------------------- the calendar


def _to_day(value: DateLike) -> np.datetime64:
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        raise ValueError("日期为空")
    return np.datetime64(ts.date(), "D")


def _to_days(values: ArrayLike) -> tuple[np.ndarray, np.ndarray, pd.Index | None]:
    """(datetime64[D] array with NaT, mask of non-missing values, index to keep or None)."""
    index = values.index if isinstance(values, pd.Series) else None
    stamps = pd.to_datetime(pd.Series(np.asarray(values) if not isinstance(values, pd.Series) else values))
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    days = stamps.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    return days, ~np.isnat(days), index


def _year_of(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[Y]").astype(np.int64) + 1970


@dataclass(frozen=True, eq=False)
class WorkdayCalendar:
    """Working days over the covered years; build it with `from_params` (or `from_schedule`)."""

    first_year: int
    last_year: int
    covered_years: frozenset[int]
    workdays: np.ndarray  # sorted datetime64[D], working days of the covered years
    sources: dict[int, str]  # year -> "chinese-calendar" or the params file that supplied it
    package_years: tuple[int, ...] = ()
    params_path: str = f"params/{CALENDAR_FILE}"
    legal_holidays: np.ndarray = field(  # sorted datetime64[D]: the days of holiday breaks
        default_factory=lambda: np.array([], dtype="datetime64[D]")
    )

    # --- construction

    @classmethod
    def from_params(cls, params_dir: str | Path = DEFAULT_PARAMS_DIR) -> WorkdayCalendar:
        """The package's years, extended or overridden by the years in params/calendar.yaml."""
        params = load_calendar_params(params_dir)
        return cls.from_schedule(params.years, params_path=str(Path(params_dir) / CALENDAR_FILE))

    @classmethod
    def from_schedule(
        cls, years: dict[int, CalendarYear] | None = None, *, params_path: str = f"params/{CALENDAR_FILE}"
    ) -> WorkdayCalendar:
        years = dict(years or {})
        pkg = package_years()
        covered = set(pkg) | set(years)
        if not covered:
            raise CalendarCoverageError(
                f"工作日历没有任何年份的数据：chinese-calendar 包不可用，{params_path} 也没有提供年份。"
            )
        first, last = min(covered), max(covered)
        start, stop = np.datetime64(f"{first}-01-01", "D"), np.datetime64(f"{last + 1}-01-01", "D")
        all_days = np.arange(start, stop, dtype="datetime64[D]")
        years_of = _year_of(all_days)
        weekday = (all_days.astype(np.int64) + 3) % 7 < 5  # 1970-01-01 was a Thursday
        # The package's own tables (same rule as chinese_calendar.is_workday, without its per-call
        # range check); test_workdays checks the result against is_workday day by day.
        pkg_off = np.array(sorted(chinese_calendar.holidays), dtype="datetime64[D]")
        pkg_on = np.array(sorted(chinese_calendar.workdays), dtype="datetime64[D]")
        is_work = (weekday & ~np.isin(all_days, pkg_off)) | np.isin(all_days, pkg_on)
        sources: dict[int, str] = {year: "chinese-calendar" for year in pkg}
        for year, spec in years.items():
            sel = years_of == year
            off = np.array(sorted(spec.holiday_dates()), dtype="datetime64[D]")
            on = np.array(sorted(spec.workdays), dtype="datetime64[D]")
            is_work[sel] = (weekday[sel] & ~np.isin(all_days[sel], off)) | np.isin(all_days[sel], on)
            sources[year] = params_path
        is_work &= np.isin(years_of, sorted(covered))  # a gap year has no working days at all
        # Legal holidays (法定节假日): the days of the breaks, weekends inside a break included.
        pkg_legal = pkg_off[np.isin(_year_of(pkg_off), sorted(set(pkg) - set(years)))]
        legal = set(pkg_legal.tolist())
        for spec in years.values():
            legal.update(spec.holiday_dates())
        return cls(
            first_year=first,
            last_year=last,
            covered_years=frozenset(covered),
            workdays=all_days[is_work],
            sources=sources,
            package_years=tuple(pkg),
            params_path=params_path,
            legal_holidays=np.array(sorted(legal), dtype="datetime64[D]"),
        )

    # --- coverage

    def _coverage_error(self, year: int) -> CalendarCoverageError:
        pkg = self.package_years
        pkg_text = (
            f"chinese-calendar 包只有 {pkg[0]}–{pkg[-1]} 年的数据" if pkg else "chinese-calendar 包没有数据"
        )
        return CalendarCoverageError(
            f"工作日历未覆盖 {year} 年：{pkg_text}，{self.params_path} 也没有提供 {year} 年。"
            f"请照《国务院办公厅关于{year}年部分节假日安排的通知》，在 {self.params_path} 的 years 下加入 {year}: "
            f"holidays（放假日期，可写日期段 {{start: …, end: …}}）和 workdays（调休上班的周末日期）；"
            f"或升级 chinese-calendar 包。"
        )

    def check_years(self, years: Iterable[int]) -> None:
        """Raise CalendarCoverageError for the first year not covered."""
        for year in sorted(set(int(y) for y in years)):
            if year not in self.covered_years:
                raise self._coverage_error(year)

    def first_uncovered(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """Per element, the first year in [lo, hi] the calendar lacks; 0 where all are covered."""
        lo = np.asarray(lo, dtype=np.int64)
        hi = np.asarray(hi, dtype=np.int64)
        lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
        # next_gap[i]: the first uncovered year >= first_year + i (last_year + 1 at the end)
        span = np.arange(self.first_year, self.last_year + 2)
        gaps = np.array([y for y in span if y not in self.covered_years], dtype=np.int64)
        next_gap = gaps[np.searchsorted(gaps, span)]
        inside = (lo >= self.first_year) & (lo <= self.last_year + 1)
        first = np.where(inside, next_gap[np.clip(lo - self.first_year, 0, len(span) - 1)], lo)
        return np.where(first <= hi, first, 0)

    def _check_span(self, first: np.ndarray, last: np.ndarray) -> None:
        """Every year from `first[i]` to `last[i]` (int arrays, same length) must be covered."""
        if len(first) == 0:
            return
        missing = self.first_uncovered(first, last)
        if missing.any():
            raise self._coverage_error(int(missing[missing > 0].min()))

    # --- scalar API

    def is_workday(self, date: DateLike) -> bool:
        """Whether the calendar date of `date` is a working day."""
        day = _to_day(date)
        self.check_years([int(_year_of(np.array([day]))[0])])
        i = np.searchsorted(self.workdays, day)
        return bool(i < len(self.workdays) and self.workdays[i] == day)

    def add_workdays(self, date: DateLike, n: int) -> dt.date:
        """The n-th working day strictly after the date of `date` (n >= 1); see the module doc."""
        out = self.add_workdays_array(np.array([_to_day(date)]), n)
        return out.iloc[0].date()

    def is_legal_holiday(self, date: DateLike) -> bool:
        """Whether the date is a day of a State Council holiday break (法定节假日; see the module doc)."""
        day = _to_day(date)
        self.check_years([int(_year_of(np.array([day]))[0])])
        return bool(np.isin(day, self.legal_holidays))

    def add_natural_days(self, date: DateLike, n: int, roll_over: RollOver = "legal_holiday") -> dt.date:
        """The last day of an n-day period starting after `date`, rolled over per Order 121 art. 45."""
        result = self.due_dates(np.array([_to_day(date)]), n, "natural", roll_over)
        if not pd.isna(result.missing_year.iloc[0]):
            raise self._coverage_error(int(result.missing_year.iloc[0]))
        return result.due.iloc[0].date()

    def workdays_between(self, start: DateLike, end: DateLike) -> int:
        """Working days after `start` up to and including `end` (negative if `end` < `start`)."""
        out = self.workdays_between_array(np.array([_to_day(start)]), np.array([_to_day(end)]))
        return int(out.iloc[0])

    # --- vectorised API (NaT in, NaT/<NA> out; a Series keeps its index)

    def is_workday_array(self, dates: ArrayLike) -> pd.Series:
        """Vectorised `is_workday`: boolean Series (<NA> where the date is missing)."""
        days, ok, index = _to_days(dates)
        years = _year_of(days[ok])
        self._check_span(years, years)
        i = np.searchsorted(self.workdays, days[ok])
        hit = np.zeros(ok.sum(), dtype=bool)
        inside = i < len(self.workdays)
        hit[inside] = self.workdays[i[inside]] == days[ok][inside]
        values = np.zeros(len(days), dtype=bool)
        values[ok] = hit
        return pd.Series(pd.arrays.BooleanArray(values, ~ok), index=index)

    def add_workdays_array(self, dates: ArrayLike, n: int | ArrayLike) -> pd.Series:
        """Vectorised `add_workdays`: datetime64 Series of due dates (midnight), NaT where missing."""
        days, ok, index = _to_days(dates)
        steps = np.broadcast_to(np.asarray(n, dtype=np.int64), days.shape)
        if (steps[ok] < 1).any():
            raise ValueError("工作日数必须不小于 1")
        first_years = _year_of(days[ok])
        self._check_span(first_years, first_years)
        pos = np.searchsorted(self.workdays, days[ok], side="right") + steps[ok] - 1
        beyond = pos >= len(self.workdays)
        if beyond.any():
            raise self._coverage_error(self.last_year + 1)
        result = self.workdays[pos]
        self._check_span(first_years, _year_of(result))
        out = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[ns]")
        out[ok] = result.astype("datetime64[ns]")
        return pd.Series(out, index=index)

    def workdays_between_array(
        self, starts: ArrayLike, ends: ArrayLike, *, uncovered: Literal["raise", "na"] = "raise"
    ) -> pd.Series:
        """Vectorised `workdays_between`: Int64 Series, <NA> where either date is missing.

        A span through a year the calendar lacks raises, or with ``uncovered="na"`` gives <NA>.
        """
        s_days, s_ok, index = _to_days(starts)
        e_days, e_ok, _ = _to_days(ends)
        if len(s_days) != len(e_days):
            raise ValueError("起止日期的个数不一致")
        ok = s_ok & e_ok
        if uncovered == "na" and ok.any():
            ok[ok] = self.first_uncovered(_year_of(s_days[ok]), _year_of(e_days[ok])) == 0
        self._check_span(_year_of(s_days[ok]), _year_of(e_days[ok]))
        count = np.searchsorted(self.workdays, e_days[ok], side="right") - np.searchsorted(
            self.workdays, s_days[ok], side="right"
        )
        values = np.zeros(len(s_days), dtype=np.int64)
        values[ok] = count
        return pd.Series(pd.arrays.IntegerArray(values, ~ok), index=index)

    def due_dates(
        self,
        starts: ArrayLike,
        n: int | ArrayLike,
        unit: DayUnit = "workday",
        roll_over: RollOver = "legal_holiday",
    ) -> DueDates:
        """Due dates of n-day periods after `starts`, never raising for a missing year.

        ``unit="workday"``: the n-th working day after the start (as `add_workdays`).
        ``unit="natural"``: start + n days, rolled over per `roll_over` (see the module doc).
        Where the calendar lacks a year the answer needs, the due date is NaT and `missing_year`
        names the first such year; a missing start gives NaT and <NA>.
        """
        days, ok, index = _to_days(starts)
        steps = np.broadcast_to(np.asarray(n, dtype=np.int64), days.shape)[ok]
        if (steps < 1).any():
            raise ValueError("期限天数必须不小于 1")
        start = days[ok]
        if unit == "workday":
            pos = np.searchsorted(self.workdays, start, side="right") + steps - 1
            beyond = pos >= len(self.workdays)
            result = (
                self.workdays[np.minimum(pos, max(len(self.workdays) - 1, 0))]
                if len(self.workdays)
                else start
            )
            last_year = np.where(beyond, _FAR_YEAR, _year_of(result))
            missing = self.first_uncovered(_year_of(start), last_year)
        elif unit == "natural":
            result = start + steps.astype("timedelta64[D]")
            first_year = _year_of(result)
            if roll_over != "none":
                covered = np.array(sorted(self.covered_years), dtype=np.int64)
                for _ in range(400):  # a break is never that long; the loop ends far sooner
                    in_year = np.isin(_year_of(result), covered)
                    if roll_over == "legal_holiday":
                        off = np.isin(result, self.legal_holidays)
                    else:
                        off = ~np.isin(result, self.workdays)
                    step = in_year & off
                    if not step.any():
                        break
                    result = result + step.astype("timedelta64[D]")
            missing = self.first_uncovered(first_year, _year_of(result))
        else:
            raise ValueError(f"未知的计日方式：{unit}")
        due = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[ns]")
        good = missing == 0
        due_ok = np.full(ok.sum(), np.datetime64("NaT"), dtype="datetime64[ns]")
        due_ok[good] = result[good].astype("datetime64[ns]")
        due[ok] = due_ok
        # Int64 built from numpy (a list of 10⁵ <NA> is slow to coerce): a year where one is missing
        lacking = np.flatnonzero(ok)[~good]
        years = np.zeros(len(days), dtype=np.int64)
        years[lacking] = missing[~good]
        unknown = np.ones(len(days), dtype=bool)
        unknown[lacking] = False
        miss = pd.arrays.IntegerArray(years, unknown)
        return DueDates(due=pd.Series(due, index=index), missing_year=pd.Series(miss, index=index))


@dataclass(frozen=True)
class DueDates:
    """Due dates (datetime64, NaT where unknown) and, where the calendar lacks a year, that year."""

    due: pd.Series
    missing_year: pd.Series  # Int64, <NA> where the due date is known or the start is missing
