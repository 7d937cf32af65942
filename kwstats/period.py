"""The period a bulletin covers, parsed once at the edge: kind, start, end, cutoff and its Chinese forms.

A :class:`Period` is a value: ``[start, end)`` holds the cases it counts (by registration) and
``cutoff`` is the instant their state is taken at (by default the last instant of the period,
“统计时间截止 1 月 31 日实时数据”). Only months exist today; a quarter or a year is the same shape
with another ``kind`` and other text forms.

This module holds the one parser for month texts (:func:`parse_month`: ``2022-1``, ``2022-01``,
``202201``, ``2022/01``, ``2022.1``, ``2022年1月``) and the one parser for cutoffs
(:func:`parse_cutoff`). Everything below the entry points receives a Period, or the resolved
``period.key`` and ``period.cutoff`` it carries.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from kwstats.exceptions import ParamsError

PeriodKind = Literal["month"]
CutoffLike = str | dt.date | dt.datetime | pd.Timestamp | None

_MONTH = re.compile(r"(\d{4})\s*(?:[-/.]\s*(\d{1,2})|年\s*(\d{1,2})\s*月?|(\d{2}))")
_DATE_ONLY = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{8}")
_ONE_NS = pd.Timedelta(1, "ns")


def parse_month(text: object) -> tuple[int, int]:
    """``'2022-1'``, ``'2022-01'``, ``'202201'``, ``'2022/01'``, ``'2022年1月'`` -> (2022, 1).

    Anything else raises ParamsError with a message a clerk can act on.
    """
    m = _MONTH.fullmatch(str(text).strip())
    mon = int(next((g for g in m.groups()[1:] if g), "0")) if m else 0
    if m is None or not 1 <= mon <= 12:
        raise ParamsError(f"月份“{text}”格式不对，应写成 YYYY-MM，例如 2022-01。")
    return int(m.group(1)), mon


def month_key(text: object) -> str:
    """The month as file and folder names write it: ``'2022-2'`` -> ``'2022-02'``."""
    year, mon = parse_month(text)
    return f"{year:04d}-{mon:02d}"


def parse_cutoff(value: CutoffLike, *, not_before: pd.Timestamp, what: str) -> pd.Timestamp | None:
    """A cutoff given as text, date or timestamp -> a naive Beijing-time Timestamp; None when not given.

    A bare date (``2022-01-20`` on the command line or in params) means the end of that day; a time
    zone is converted to Beijing time and dropped (the exports are naive Beijing times). A cutoff
    before `not_before` (the period's first instant, `what` names the period) is refused.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    date_only = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if isinstance(value, str):
        text = value.strip()
        date_only = _DATE_ONLY.fullmatch(text) is not None
        if re.fullmatch(r"\d{8}", text):
            text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
        try:
            ts = pd.Timestamp(text.replace("/", "-").replace(".", "-") if date_only else text)
        except (ValueError, TypeError):
            raise ParamsError(f"截止时间“{value}”无法识别，应写成 2022-01-31 或 2022-01-31 18:00。") from None
    else:
        ts = pd.Timestamp(value)
    if ts is pd.NaT or pd.isna(ts):
        raise ParamsError(f"截止时间“{value}”无法识别，应写成 2022-01-31 或 2022-01-31 18:00。")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("Asia/Shanghai").tz_localize(None)
    if date_only:
        ts = ts.normalize() + pd.Timedelta(days=1) - _ONE_NS
    if ts < not_before:
        raise ParamsError(f"截止时间 {ts:%Y-%m-%d %H:%M} 早于{what}的第一天。")
    return ts


@dataclass(frozen=True)
class Period:
    """Cases registered in ``[start, end)``, their state taken as of ``cutoff``."""

    kind: PeriodKind
    start: pd.Timestamp
    end: pd.Timestamp
    cutoff: pd.Timestamp

    # ---- construction ------------------------------------------------------------------
    @classmethod
    def month(cls, text: object, cutoff: CutoffLike = None) -> Period:
        """The month a clerk wrote (any form :func:`parse_month` takes), with an optional cutoff."""
        year, mon = parse_month(text)
        start = pd.Timestamp(year, mon, 1)
        end = start + pd.offsets.MonthBegin(1)
        return cls("month", start, end, end - _ONE_NS).with_cutoff(cutoff)

    def with_cutoff(self, cutoff: CutoffLike) -> Period:
        """The same period with the cutoff given (None keeps the default: the period's last instant)."""
        ts = parse_cutoff(cutoff, not_before=self.start, what=f"统计月份 {self.key} ")
        return Period(self.kind, self.start, self.end, self.default_cutoff if ts is None else ts)

    def shift(self, n: int) -> Period:
        """The period `n` steps later (earlier when negative), at its default cutoff."""
        start = self.start + pd.DateOffset(months=n)
        end = start + pd.offsets.MonthBegin(1)
        return Period(self.kind, start, end, end - _ONE_NS)

    def as_dict(self) -> dict[str, str]:
        """Plain values for the notebook's parameters (ISO strings); :meth:`from_dict` reads them back."""
        return {
            "kind": self.kind,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "cutoff": self.cutoff.isoformat(),
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Period:
        """A period from :meth:`as_dict`'s values: already resolved, nothing is interpreted."""
        if values.get("kind") != "month":
            raise ValueError(f"unknown period kind: {values.get('kind')!r}")
        return cls(
            "month",
            pd.Timestamp(values["start"]),
            pd.Timestamp(values["end"]),
            pd.Timestamp(values["cutoff"]),
        )

    # ---- plain values ------------------------------------------------------------------
    @property
    def year(self) -> int:
        return self.start.year

    @property
    def number(self) -> int:
        """The month's number in its year (1–12)."""
        return self.start.month

    @property
    def key(self) -> str:
        """``2022-01``: how file names, folder names and the lower floors name the month."""
        return f"{self.start.year:04d}-{self.start.month:02d}"

    @property
    def default_cutoff(self) -> pd.Timestamp:
        """The last instant of the period."""
        return self.end - _ONE_NS

    @property
    def at_default_cutoff(self) -> bool:
        return self.cutoff == self.default_cutoff

    @property
    def folder(self) -> str:
        """The output folder: ``2022-01``, or ``2022-01_截至2022-01-20_2359`` for another cutoff."""
        return self.key if self.at_default_cutoff else f"{self.key}_截至{self.cutoff:%Y-%m-%d_%H%M}"

    @property
    def last_day(self) -> pd.Timestamp:
        """The last day the bulletin reports on: the cutoff's day, or the period's last day if earlier."""
        return min(self.cutoff.normalize(), (self.end - pd.Timedelta(days=1)).normalize())

    # ---- Chinese forms the bulletin uses --------------------------------------------------
    @property
    def title(self) -> str:
        """``2022 年 1 月``"""
        return f"{self.year} 年 {self.number} 月"

    @property
    def lead(self) -> str:
        """``2022 年 1 月份``: how the overall sentence and the table title open."""
        return f"{self.year} 年 {self.number} 月份"

    @property
    def short(self) -> str:
        """``1 月份``: how the sentences of (二)–(四) open."""
        return f"{self.number} 月份"

    @property
    def cutoff_day(self) -> str:
        """``1 月 31 日``: the cutoff's day as the table note and (四) say it."""
        return f"{self.cutoff.month} 月 {self.cutoff.day} 日"

    @property
    def span(self) -> str:
        """``2022.1.1～2022.1.31``: the signature's 报送时间, ending at the cutoff when earlier."""
        s, e = self.start, self.last_day
        return f"{s.year}.{s.month}.{s.day}～{e.year}.{e.month}.{e.day}"
