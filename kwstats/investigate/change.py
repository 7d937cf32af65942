"""Counts over months and their change: the month × value grid, 环比 and 同比 per value and overall."""

from __future__ import annotations

from typing import Any

import pandas as pd

from kwstats.aggregates import Aggregates, ScopeError, for_month, month_keys
from kwstats.indicators import accepted_cases, resolve_cutoff
from kwstats.investigate.cohorts import (
    BY_LABELS,
    _check_by,
    _cohort,
    _first_of,
    _labels,
    _month_key,
    _shift_month,
)
from kwstats.params import Branch

CHANGE_COLUMNS = ("本月", "上月", "去年同月", "环比增减", "环比(%)", "同比增减", "同比(%)")


def _counts_in(cases: pd.DataFrame, month: str, by: str, cutoff: pd.Timestamp | None = None) -> pd.Series:
    """Accepted cases of `month` per value of `by` (index: labels)."""
    cohort = _cohort(cases, month, cutoff)
    return _labels(cohort[by]).value_counts()


def _pct(change: pd.Series, base: pd.Series) -> pd.Series:
    """Change as % of base, one decimal; NaN (blank) where the base is 0."""
    base_f = base.astype("float64")
    out = (100.0 * change.astype("float64") / base_f.where(base_f != 0)).round(1)
    return out.astype("float64")


def monthly_counts(
    cases: pd.DataFrame, by: str, cutoff: Any = None, *, aggregates: Aggregates | None = None
) -> pd.DataFrame:
    """Accepted cases per month of registration ('YYYY-MM', index) × value of `by` (columns).

    The grid covers every month from the first to the last month with a case (to the cutoff's
    month when a cutoff is given), zeros filled. Blank values are a column named BLANK_LABEL.
    A cutoff drops the cases registered after it.

    With `aggregates` (kwstats.aggregates), the months before theirs come from them and only the
    rows registered from their month on are counted here: the same grid, whether `cases` holds
    every case or only the month's.
    """
    _check_by(by)
    acc = accepted_cases(cases)
    acc = acc[acc["registered_at"].notna()]
    end = None if cutoff is None or cutoff == "" else resolve_cutoff("2000-01", cutoff)
    if end is not None:
        acc = acc[acc["registered_at"] <= end]
    past = None
    if aggregates is not None:
        if end is not None and end < aggregates.start:
            if aggregates.scoped:
                raise ScopeError(f"历史汇总从 {aggregates.month} 起才有案件明细，不能按更早的截止时间计数。")
        else:
            acc = acc[acc["registered_at"] >= aggregates.start]
            past = aggregates.series(by)
    if acc.empty and (past is None or past.empty):
        return pd.DataFrame(index=pd.Index([], name="月份", dtype=str), dtype="int64")
    months = month_keys(acc["registered_at"])
    table = pd.crosstab(months.astype(object), _labels(acc[by])) if len(acc) else None
    if past is not None and not past.empty:
        table = past if table is None else pd.concat([past, table]).fillna(0)
        table = table.reindex(columns=sorted(table.columns)).astype("int64")
    seen = list(table.index)
    first, top = pd.Period(min(seen), freq="M"), pd.Period(max(seen), freq="M")
    last = end.to_period("M") if end is not None else top
    grid = pd.period_range(first, max(last, top), freq="M").astype(str)
    table = table.reindex(grid, fill_value=0)
    table.index.name = "月份"
    table.columns.name = BY_LABELS[by]
    return table.astype("int64")


def change_by(
    cases: pd.DataFrame,
    month: str,
    by: str,
    branch: Branch | None = None,
    cutoff: Any = None,
    *,
    aggregates: Aggregates | None = None,
) -> pd.DataFrame:
    """This month, last month and the same month last year per value of `by`, with 环比 and 同比.

    Columns (Chinese): the `by` label, 本月, 上月, 去年同月, 环比增减, 环比(%), 同比增减, 同比(%);
    the percentages are one decimal and blank (NaN) where the base is 0. With by="unit" and a
    branch, roster units come first in roster order (zeros included), then any other unit; otherwise
    rows are sorted by this month's count, descending. The months compared are in `.attrs`.
    `cutoff` (default: end of `month`) only limits this month's cohort, as in the unit table.
    The earlier months are counted by kwstats.aggregates (`aggregates`, or made from `cases`).
    """
    _check_by(by)
    month = _month_key(month)
    prev, last_year = _shift_month(month, -1), _shift_month(month, -12)
    past = for_month(cases, month, None, aggregates)
    first = past.first_month
    now = _counts_in(cases, month, by, cutoff)
    before = past.counts_in(prev, by)
    year_ago = past.counts_in(last_year, by)
    values = list(dict.fromkeys([*now.index, *before.index, *year_ago.index]))
    frame = pd.DataFrame(
        {
            "本月": now.reindex(values, fill_value=0),
            "上月": before.reindex(values, fill_value=0),
            "去年同月": year_ago.reindex(values, fill_value=0),
        },
        index=pd.Index(values, dtype=object),
    )
    if by == "unit" and branch is not None:
        extra = frame.drop(index=[u for u in branch.units if u in frame.index])
        extra = extra.sort_values(["本月", "上月", "去年同月"], ascending=False, kind="stable")
        order = [*branch.units, *extra.index]
        frame = frame.reindex(order, fill_value=0)
    else:
        frame = frame.sort_index(kind="stable").sort_values(
            ["本月", "上月", "去年同月"], ascending=False, kind="stable"
        )
    frame = frame.astype("int64")
    # A month before the data begins is unknown, not zero: its columns stay blank.
    for col, base in (("上月", prev), ("去年同月", last_year)):
        if first is None or base < first:
            frame[col] = pd.array([pd.NA] * len(frame), dtype="Int64")
    frame["环比增减"] = frame["本月"] - frame["上月"]
    frame["环比(%)"] = _pct(frame["环比增减"], frame["上月"])
    frame["同比增减"] = frame["本月"] - frame["去年同月"]
    frame["同比(%)"] = _pct(frame["同比增减"], frame["去年同月"])
    frame.index.name = BY_LABELS[by]
    out = frame.reset_index()
    out.attrs = {"month": month, "last_month": prev, "last_year": last_year, "by": by, "data_from": first}
    return out


def _change_phrase(name: str, base: int, change: int, pct: float) -> str:
    if base == 0:
        return f"{name}无法计算（基数为 0）"
    direction = "增长" if change > 0 else "下降" if change < 0 else "持平"
    if change == 0:
        return f"{name}持平"
    return f"{name}{direction} {abs(pct):.1f}%（{change:+d} 件）"


def volume_change(
    cases: pd.DataFrame, month: str, cutoff: Any = None, *, aggregates: Aggregates | None = None
) -> dict[str, Any]:
    """受理量 of the month against last month (环比) and the same month last year (同比).

    Keys: month, accepted, last_month, last_month_accepted, last_year, last_year_accepted,
    mom_change, mom_pct, yoy_change, yoy_pct (NaN where the base is 0), message (Chinese).
    """
    month = _month_key(month)
    prev, last_year = _shift_month(month, -1), _shift_month(month, -12)
    past = for_month(cases, month, None, aggregates)
    now = len(_cohort(cases, month, cutoff))
    before = past.accepted_in(prev)
    year_ago = past.accepted_in(last_year)
    mom, yoy = now - before, now - year_ago
    mom_pct = round(100.0 * mom / before, 1) if before else float("nan")
    yoy_pct = round(100.0 * yoy / year_ago, 1) if year_ago else float("nan")
    first = _first_of(past, cases)

    def compared(label: str, name: str, base_month: str, base: int, change: int, pct: float) -> str:
        if first is None or base_month < first:  # unknown, not zero
            return f"{label}（{base_month}）不在数据中（数据从 {first or month} 开始），{name}无法计算"
        return f"{label}（{base_month}）{base} 件，{_change_phrase(name, base, change, pct)}"

    message = (
        f"{month} 受理 {now} 件；{compared('上月', '环比', prev, before, mom, mom_pct)}；"
        f"{compared('去年同月', '同比', last_year, year_ago, yoy, yoy_pct)}。"
    )
    return {
        "month": month,
        "accepted": now,
        "last_month": prev,
        "last_month_accepted": before,
        "last_year": last_year,
        "last_year_accepted": year_ago,
        "mom_change": mom,
        "mom_pct": mom_pct,
        "yoy_change": yoy,
        "yoy_pct": yoy_pct,
        "message": message,
    }
