"""The case rows a number counts: month cohorts, the values of a grouping column, `drill_down`.

Counts in kwstats.investigate are 受理量 (complaints + reports) by month of registration, the same
cohort convention as the unit table: a case belongs to the month it was registered in. The helpers
here (a month's cohort and cutoff, a column's values with blanks as BLANK_LABEL, case ids) are
shared by the package's other modules; `drill_down` gives back the case rows behind any of their
cells.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from kwstats.aggregates import Aggregates, month_keys
from kwstats.indicators import COUNT_COLUMNS, TABLE_LABELS, accepted_cases, cases_behind, month_cohort
from kwstats.labels import GROUP_LABELS
from kwstats.period import Period, month_key

# Columns one may break counts down by, with the label people read (kwstats.labels holds every
# Chinese label).
BY_LABELS: dict[str, str] = GROUP_LABELS

# How a blank value (no unit assigned, category not filled in) is shown and selected.
BLANK_LABEL = "（空）"


def _check_by(by: str) -> None:
    if by not in BY_LABELS:
        raise KeyError(f"不能按“{by}”分组，可选：{'、'.join(BY_LABELS)}")


def _month_key(month: str) -> str:
    """'2022-1' -> '2022-01' (kwstats.period, the one month parser)."""
    return month_key(month)


def _shift_month(month: str, delta: int) -> str:
    return Period.month(month).shift(delta).key


def _labels(series: pd.Series) -> pd.Series:
    """Values as plain strings, blanks as BLANK_LABEL."""
    return series.astype("object").where(series.notna(), BLANK_LABEL).astype(str)


def _months(cases: pd.DataFrame) -> pd.Series:
    """'YYYY-MM' of registration for each row."""
    return month_keys(cases["registered_at"]).astype(object)


def _value_mask(cases: pd.DataFrame, by: str, value: str | None) -> pd.Series:
    """Rows whose `by` equals `value` (BLANK_LABEL or None selects blanks)."""
    col = cases[by]
    if value is None or value == BLANK_LABEL:
        return col.isna()
    return (col.astype("object") == value) & col.notna()


def _ids(frame: pd.DataFrame) -> tuple[str, ...]:
    return tuple(frame["case_id"].astype(str))


def _cohort(cases: pd.DataFrame, month: str, cutoff: pd.Timestamp | None) -> pd.DataFrame:
    """Accepted cases registered in `month` (and no later than the cutoff)."""
    return accepted_cases(month_cohort(cases, _month_key(month), _cutoff(month, cutoff)))


def _cutoff(month: str, cutoff: Any) -> pd.Timestamp:
    """The month's cutoff: end of month by default; a bare date means the end of that day."""
    return Period.month(month, cutoff).cutoff


def _first_month(cases: pd.DataFrame) -> str | None:
    """The first month with any registered case in the data (YYYY-MM), or None."""
    regs = cases["registered_at"].dropna()
    return str(regs.min().to_period("M")) if len(regs) else None


def _first_of(aggregates: Aggregates | None, cases: pd.DataFrame) -> str | None:
    """The first month with any case: the aggregates' (which saw every case), else the rows'."""
    return _first_month(cases) if aggregates is None else aggregates.first_month


def _first_accepted(aggregates: Aggregates | None, months: pd.Series) -> str | None:
    """The first month with an accepted case: before the aggregates' month from them, else from
    `months` (the accepted rows' months)."""
    found = [m for m in months.dropna().unique()]
    if aggregates is not None:
        found = [m for m in found if m >= aggregates.month]
        past = aggregates.monthly.loc[aggregates.monthly["field"] == "kind", "month"]
        found += list(past)
    return min(found) if found else None


def drill_down(
    cases: pd.DataFrame,
    month: str,
    cutoff: Any = None,
    *,
    unit: str | None = None,
    column: str = "accepted",
    by: str | None = None,
    value: str | None = None,
) -> pd.DataFrame:
    """The case rows behind one number, exactly those it counts.

    - A unit-table cell: `unit` (None or 全局 for all) and `column` (a unit-table count column).
    - A monthly_counts / change_by / top_categories cell: `by` and `value` (BLANK_LABEL for blanks),
      optionally narrowed to a `unit` and a count `column`. For 上月 or 去年同月 pass that month.
    """
    month = _month_key(month)
    cut = _cutoff(month, cutoff)
    if column not in COUNT_COLUMNS:
        raise KeyError(
            f"没有“{column}”这一项，可选：{'、'.join(f'{c}（{TABLE_LABELS[c]}）' for c in COUNT_COLUMNS)}"
        )
    if by is not None:
        _check_by(by)
        cases = cases[_value_mask(cases, by, value)]
    return cases_behind(cases, month, cut, unit, column)
