"""The history a month's pages need, as small tables: what came before the month, counted once.

A bulletin's sentences and analyst sections look back: the cumulative windows (涉疫 since
2020-01-23 …), a unit's or a category's monthly series (spikes, 环比/同比, charts), twelve and more
months of closure rates (thresholds), the months that hold any case (streak notes), the first
registration in the data. None of that needs the case rows once counted, so it is an
:class:`Aggregates`: per month × grouping value, the accepted cases and those closed by that
month's own end, for the months **before** the bulletin's month; the windows as of the cutoff; the
first registration. The month's own rows (and the rows behind its findings) stay rows.

One definition, two back ends that must agree number for number: :func:`aggregates_from_cases`
(pandas over case rows: the files path and the oracle) and kwstats.store.aggregates (SQL over the
store, reading two or three columns). The consumers (kwstats.indicators.summarize's windows,
kwstats.investigate's spikes, change and thresholds, the analyst charts) take an Aggregates and
count only the month's rows themselves, so they give the same numbers whichever back end made it
and whether the case table holds every case or only the month's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kwstats.exceptions import KwstatsError
from kwstats.labels import GROUP_LABELS
from kwstats.params import CumulativeWindow
from kwstats.period import Period
from kwstats.schema import COMPLAINT, REPORT

# The grouping columns whose monthly series are kept (the investigate package's BY_LABELS).
FIELDS: tuple[str, ...] = tuple(GROUP_LABELS)
BLANK = "（空）"  # a blank value, as kwstats.investigate shows and selects it (its BLANK_LABEL)
MONTHLY_COLUMNS = ("month", "field", "value", "accepted", "closed")
WINDOW_COLUMNS = ("key", "count", "closed", "unknown")


class ScopeError(KwstatsError):
    """A computation asked for history the case table and its aggregates do not hold."""


@dataclass(frozen=True, eq=False)
class Aggregates:
    """What came before `month`, counted: see the module docstring.

    - ``monthly``: one row per month before `month` × grouping field × value (blank: ``（空）``)
      with ``accepted`` (complaints and reports registered that month) and ``closed`` (of them, closed
      by that month's own end, or closed by their stage at the export); months ``'YYYY-MM'``.
    - ``case_months``: months before `month` holding any case (any kind), with how many.
    - ``windows``: per cumulative window (``key``) the accepted flagged cases registered from its
      start to the cutoff, those closed by the cutoff, and whether any has an unknown closure.
    - ``first_registered``: the earliest registration of any case (None without cases).
    - ``scoped``: the case table it came with holds only the month's rows and those behind its
      findings (kwstats.store.load_month_scope), so nothing earlier can be recounted from it.
    """

    month: str
    cutoff: pd.Timestamp
    first_registered: pd.Timestamp | None
    monthly: pd.DataFrame
    case_months: pd.DataFrame
    windows: pd.DataFrame
    scoped: bool = False

    @property
    def start(self) -> pd.Timestamp:
        """The first instant of `month`: every count here is of cases registered before it."""
        return pd.Timestamp(f"{self.month}-01")

    @property
    def first_month(self) -> str | None:
        """The first month with any case ('YYYY-MM'), or None."""
        return None if self.first_registered is None else f"{self.first_registered:%Y-%m}"

    def series(self, field: str) -> pd.DataFrame:
        """Accepted cases per month (index, 'YYYY-MM') × value of `field` (columns, sorted), before the
        month; months without any accepted case are absent (not zero)."""
        if field not in FIELDS:
            raise ScopeError(f"历史汇总中没有按“{field}”的月度序列（有：{'、'.join(FIELDS)}）。")
        return self._pivot(field, "accepted")

    def closed_series(self, field: str) -> pd.DataFrame:
        """As :meth:`series`, the cases closed by their month's end."""
        return self._pivot(field, "closed")

    def _pivot(self, field: str, column: str) -> pd.DataFrame:
        part = self.monthly[self.monthly["field"] == field]
        if part.empty:
            return pd.DataFrame(index=pd.Index([], dtype=object), dtype="int64")
        return part.pivot_table(
            index="month", columns="value", values=column, aggfunc="sum", fill_value=0
        ).astype("int64")

    def accepted_in(self, month: str) -> int:
        """Accepted cases registered in `month` (one before the aggregates' month)."""
        part = self.monthly[(self.monthly["field"] == "kind") & (self.monthly["month"] == month)]
        return int(part["accepted"].sum())

    def counts_in(self, month: str, field: str) -> pd.Series:
        """Accepted cases of `month` (before the aggregates' month) per value of `field`."""
        if field not in FIELDS:
            raise ScopeError(f"历史汇总中没有按“{field}”的月度序列（有：{'、'.join(FIELDS)}）。")
        part = self.monthly[(self.monthly["field"] == field) & (self.monthly["month"] == month)]
        out = part.set_index("value")["accepted"].astype("int64")
        out.index = out.index.astype(object)
        return out[out > 0]

    def window(self, key: str) -> tuple[int, int, bool] | None:
        """(count, closed, any closure unknown) of the cumulative window `key`, or None."""
        row = self.windows[self.windows["key"] == key]
        if row.empty:
            return None
        r = row.iloc[0]
        return int(r["count"]), int(r["closed"]), bool(r["unknown"])

    def check(self, month: str, cutoff: pd.Timestamp | None = None) -> None:
        """Raise ScopeError unless these aggregates are for `month` (and `cutoff`, when given)."""
        if month != self.month or (cutoff is not None and pd.Timestamp(cutoff) != self.cutoff):
            raise ScopeError(
                f"历史汇总是为 {self.month}（截止 {self.cutoff}）做的，不能用于 {month}"
                f"{'' if cutoff is None else f'（截止 {cutoff}）'}；请用完整的案件表重新计算。"
            )


def month_keys(stamps: pd.Series) -> pd.Series:
    """'YYYY-MM' of each timestamp (NaT: NaN), without formatting every row (months are few)."""
    codes = (stamps.dt.year * 100 + stamps.dt.month).astype("float64")
    uniq = pd.unique(codes[codes.notna()])
    names = {c: f"{int(c) // 100:04d}-{int(c) % 100:02d}" for c in uniq}
    return codes.map(names)


def _labels(series: pd.Series) -> pd.Series:
    """Values as plain strings, blanks as BLANK (kwstats.investigate's convention)."""
    return series.astype("object").where(series.notna(), BLANK).astype(str)


def _closed_by(cases: pd.DataFrame, cutoff: pd.Timestamp | pd.Series) -> pd.Series:
    """kwstats.indicators.closed_by (here to keep this module below indicators in the imports)."""
    closed = cases["closed_at"].notna() & (cases["closed_at"] <= cutoff)
    if "closed_by_stage" in cases:
        closed = closed | cases["closed_by_stage"].astype(bool)
    return closed


def _unknown(cases: pd.DataFrame) -> pd.Series:
    if "closure_basis" not in cases:
        return pd.Series(False, index=cases.index)
    return (cases["closure_basis"] == "none").fillna(False).astype(bool)


def window_counts(
    cases: pd.DataFrame, windows: Iterable[CumulativeWindow], cutoff: pd.Timestamp
) -> pd.DataFrame:
    """Each cumulative window's accepted flagged cases from its start to the cutoff: count, closed by
    the cutoff, any of unknown closure (the pandas definition)."""
    acc = cases[cases["kind"].isin([COMPLAINT, REPORT])]
    reg = acc["registered_at"]
    rows = []
    for w in windows:
        mask = (
            acc[w.flag].to_numpy(dtype=bool)
            & (reg >= pd.Timestamp(w.start)).to_numpy()
            & (reg <= cutoff).to_numpy()
        )
        selected = acc[mask]
        rows.append(
            {
                "key": w.key,
                "count": len(selected),
                "closed": int(_closed_by(selected, cutoff).sum()),
                "unknown": bool(_unknown(selected).any()),
            }
        )
    return windows_frame(rows)


def windows_frame(rows: Sequence[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=list(WINDOW_COLUMNS))
    return frame.astype({"key": object, "count": "int64", "closed": "int64", "unknown": bool})


def monthly_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The monthly table in its one order and dtypes (both back ends end here)."""
    out = frame[list(MONTHLY_COLUMNS)].astype(
        {"month": object, "field": object, "value": object, "accepted": "int64", "closed": "int64"}
    )
    out = out[out["accepted"] > 0]
    order = {f: i for i, f in enumerate(FIELDS)}
    out = out.assign(_f=out["field"].map(order)).sort_values(["_f", "month", "value"], kind="stable")
    return out.drop(columns="_f").reset_index(drop=True)


def case_months_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[["month", "cases"]].astype({"month": object, "cases": "int64"})
    return out[out["cases"] > 0].sort_values("month").reset_index(drop=True)


def aggregates_from_cases(
    cases: pd.DataFrame,
    period: Period,
    windows: Iterable[CumulativeWindow] = (),
) -> Aggregates:
    """The aggregates of `period`'s month (its cutoff for the windows) from case rows: the pandas
    definition, which kwstats.store.aggregates' SQL must equal."""
    reg = cases["registered_at"]
    first = reg.min() if reg.notna().any() else None
    before = cases[(reg < period.start).to_numpy(dtype=bool)]
    months = month_keys(before["registered_at"])
    case_months = months.value_counts().rename_axis("month").reset_index(name="cases")
    acc_mask = before["kind"].isin([COMPLAINT, REPORT]).to_numpy(dtype=bool)
    acc = before[acc_mask]
    acc_months = months[acc_mask]
    month_end = acc["registered_at"].dt.to_period("M").dt.end_time if len(acc) else acc["registered_at"]
    closed = _closed_by(acc, month_end).to_numpy(dtype=np.int64)
    parts = []
    for field in FIELDS:
        frame = pd.DataFrame(
            {"month": acc_months.to_numpy(dtype=object), "value": _labels(acc[field]).to_numpy(), "c": closed}
        )
        grouped = frame.groupby(["month", "value"], sort=True)["c"].agg(["size", "sum"]).reset_index()
        grouped = grouped.rename(columns={"size": "accepted", "sum": "closed"}).assign(field=field)
        parts.append(grouped)
    monthly = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(MONTHLY_COLUMNS))
    return Aggregates(
        month=period.key,
        cutoff=period.cutoff,
        first_registered=None if first is None else pd.Timestamp(first),
        monthly=monthly_frame(monthly),
        case_months=case_months_frame(case_months),
        windows=window_counts(cases, windows, period.cutoff),
    )


def for_month(
    cases: pd.DataFrame,
    month: str,
    cutoff: pd.Timestamp | None,
    given: Aggregates | None,
    windows: Iterable[CumulativeWindow] = (),
) -> Aggregates:
    """The aggregates a consumer uses for `month`: those given when they are for that month, else
    counted from `cases` now (ScopeError when the given ones came with a scoped case table: the
    rows for another month are not there)."""
    if given is not None and given.month == month:
        return given
    if given is not None and given.scoped:
        given.check(month)
    return aggregates_from_cases(cases, Period.month(month, cutoff), windows)
