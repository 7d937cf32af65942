"""Closure rates against the branch's threshold: each roster unit's monthly rates and its streak under it."""

from __future__ import annotations

from typing import Any

import pandas as pd

from kwstats.aggregates import Aggregates, for_month, month_keys
from kwstats.checks import Finding
from kwstats.indicators import accepted_cases, closed_by
from kwstats.investigate.cohorts import _cohort, _cutoff, _first_of, _ids, _month_key, _shift_month
from kwstats.params import Branch
from kwstats.rates import closure_rate, format_rate

STREAK_LABEL = "连续低于阈值月数"
# threshold_history's extra column, present only when some streak may be longer than the data shows.
STREAK_NOTE_LABEL = "说明"


def _monthly_rates(
    cases: pd.DataFrame, branch: Branch, month: str, cutoff: Any, past: Aggregates
) -> tuple[list[str], pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Months from the data's first to `month`; accepted, closed and rate per roster unit × month.

    Each month's cohort is taken as of its own month end (the months before `month` from the
    aggregates `past`); `month` itself, counted from the rows, as of `cutoff` when given.
    """
    month = _month_key(month)
    end_cutoff = _cutoff(month, cutoff)
    acc = accepted_cases(cases)
    reg = acc["registered_at"]
    acc = acc[reg.notna() & (reg <= end_cutoff) & (reg >= past.start)]
    keys = month_keys(acc["registered_at"]).astype(object)
    earlier = past.monthly.loc[past.monthly["field"] == "kind", "month"]
    seen = [*earlier, *keys.unique()]
    this = pd.Period(month, freq="M")
    first = min(pd.Period(min(seen), freq="M"), this) if seen else this
    months = list(pd.period_range(first, this, freq="M").astype(str))
    month_end = acc["registered_at"].dt.to_period("M").dt.end_time.where(keys != month, end_cutoff)
    closed = closed_by(acc, month_end)
    frame = pd.DataFrame({"unit": acc["unit"].astype("object"), "month": keys, "closed": closed.astype(int)})
    frame = frame[frame["unit"].isin(branch.units)]
    grouped = frame.groupby(["unit", "month"])["closed"].agg(["size", "sum"])
    now_acc = grouped["size"].unstack("month") if len(grouped) else pd.DataFrame()
    now_closed = grouped["sum"].unstack("month") if len(grouped) else pd.DataFrame()
    before_acc, before_closed = past.series("unit").T, past.closed_series("unit").T
    accepted = pd.concat([before_acc, now_acc], axis=1).reindex(index=branch.units, columns=months).fillna(0)
    closed_n = pd.concat([before_closed, now_closed], axis=1).reindex(index=branch.units, columns=months)
    accepted, closed_n = accepted.astype("int64"), closed_n.fillna(0).astype("int64")
    rates = pd.DataFrame(
        [
            [closure_rate(int(c), int(a), branch.rate_rule) for c, a in zip(crow, arow, strict=True)]
            for crow, arow in zip(closed_n.to_numpy(), accepted.to_numpy(), strict=True)
        ],
        index=branch.units,
        columns=months,
        dtype="float64",
    )
    return months, accepted, closed_n, rates


def _streaks(rates: pd.DataFrame, threshold: float) -> pd.Series:
    """Months in a row, ending at the last column, with a rate under the threshold (blank breaks it)."""
    under = rates.lt(threshold) & rates.notna()
    out = {}
    for unit, row in under.iterrows():
        n = 0
        for flag in reversed(row.to_list()):
            if not flag:
                break
            n += 1
        out[unit] = n
    return pd.Series(out, dtype="int64")


def _unknown_before(
    cases: pd.DataFrame, month: str, cutoff: Any, streaks: pd.Series, past: Aggregates
) -> dict[str, str | None]:
    """For each unit under the threshold: the month just before its streak when the data lacks it.

    A streak is known to have begun when the month before it is in the data (the unit was at or
    above the threshold then, or accepted nothing while other cases were registered). When that
    month is before the data's first month, or no case at all was registered in it (a month missing
    from the exports), the data cannot tell: the value is that month; otherwise None. (The month
    before a streak is always before `month`: the aggregates `past` hold it.)
    """
    month = _month_key(month)
    present = set(past.case_months["month"])
    out: dict[str, str | None] = {}
    for unit, streak in streaks.items():
        if streak < 1:
            continue
        before = _shift_month(month, -int(streak))
        out[str(unit)] = None if before in present else before
    return out


def _streak_note(streak: int, missing: str, first_month: str | None) -> str:
    """Why the streak may be longer than counted (Chinese, no final punctuation)."""
    if first_month is None or missing < first_month:
        where = "数据中没有更早的月份"
    else:
        where = f"数据中没有 {missing} 的案件"
    if streak == 1:
        return f"{where}，无法判断是否连续"
    return f"{where}，无法判断此前是否也低于阈值，实际连续月数可能更多"


def threshold_history(
    cases: pd.DataFrame,
    branch: Branch,
    month: str,
    months: int = 12,
    cutoff: Any = None,
    *,
    aggregates: Aggregates | None = None,
) -> pd.DataFrame:
    """Each roster unit's closure rate over the last `months` months and its streak under the threshold.

    Columns: 序号, 单位名称, one column per month ('YYYY-MM', oldest first; the rate by
    branch.rate_rule, each month as of its own month end, `month` itself as of `cutoff` when given;
    blank when nothing was accepted), and 连续低于阈值月数: consecutive months ending at `month`
    under branch.closure_rate_threshold, counted back through all the data (a blank month ends it).

    When some unit's streak reaches back to a month the data does not hold (before the data's
    first month, e.g. a single-month export, or a month with no case at all), its count is only
    what the data shows: a last column 说明 (STREAK_NOTE_LABEL) then says so for those units and
    is blank for the others; `.attrs["streak_unknown_before"]` maps each such unit to that month.
    """
    past = for_month(cases, _month_key(month), None, aggregates)
    all_months, _, _, rates = _monthly_rates(cases, branch, month, cutoff, past)
    shown = all_months[-months:]
    streaks = _streaks(rates, branch.closure_rate_threshold).reindex(branch.units)
    table = rates[shown].copy()
    table.insert(0, "单位名称", branch.units)
    table.insert(0, "序号", [e.seq for e in branch.roster])
    table[STREAK_LABEL] = streaks.to_numpy()
    unknown = {u: m for u, m in _unknown_before(cases, month, cutoff, streaks, past).items() if m is not None}
    if unknown:
        first = _first_of(past, cases)
        table[STREAK_NOTE_LABEL] = [
            _streak_note(int(streaks[u]), unknown[u], first) if u in unknown else "" for u in branch.units
        ]
    table = table.reset_index(drop=True)
    table.attrs = {"month": _month_key(month), "streak_unknown_before": unknown}
    return table


def threshold_breaches(
    cases: pd.DataFrame,
    branch: Branch,
    month: str,
    months: int = 12,
    cutoff: Any = None,
    *,
    aggregates: Aggregates | None = None,
) -> list[Finding]:
    """Roster units under the closure-rate threshold in `month`, with how long they have been under.

    Each finding's case ids are the unit's cases still pending at the cutoff. numbers["streak"] is
    the months in a row under the threshold that the data shows; numbers["streak_known"] is False
    when the month before the streak is not in the data (before its first month, e.g. a
    single-month export, or a month with no case at all): the message then does not claim the
    unit is under the threshold for the first time (or for exactly that many months).
    """
    month = _month_key(month)
    past = for_month(cases, month, None, aggregates)
    _, accepted, closed_n, rates = _monthly_rates(cases, branch, month, cutoff, past)
    streaks = _streaks(rates, branch.closure_rate_threshold)
    unknown = _unknown_before(cases, month, cutoff, streaks, past)
    first = _first_of(past, cases)
    end_cutoff = _cutoff(month, cutoff)
    cohort = _cohort(cases, month, end_cutoff)
    threshold = branch.closure_rate_threshold
    findings = []
    for unit in branch.units:
        rate = rates.at[unit, month]
        if pd.isna(rate) or rate >= threshold:
            continue
        n_acc, n_closed, streak = (
            int(accepted.at[unit, month]),
            int(closed_n.at[unit, month]),
            int(streaks[unit]),
        )
        unit_cases = cohort[cohort["unit"] == unit]
        pending = unit_cases[~closed_by(unit_cases, end_cutoff).to_numpy()]
        missing = unknown.get(unit)
        if missing is not None:
            lead = "本月低于阈值" if streak == 1 else f"已连续 {streak} 个月低于阈值"
            since = f"{lead}（{_streak_note(streak, missing, first)}）"
        else:
            since = "本月首次低于阈值" if streak == 1 else f"已连续 {streak} 个月低于阈值"
        findings.append(
            Finding(
                kind="threshold",
                unit=unit,
                month=month,
                message=(
                    f"{unit} {month} 办结率 {format_rate(rate, branch.rate_rule)}（{n_closed}/{n_acc}），"
                    f"低于 {threshold:g}% 的阈值，{since}；办理中 {len(pending)} 件。"
                ),
                numbers={
                    "rate": rate,
                    "closed": n_closed,
                    "accepted": n_acc,
                    "pending": len(pending),
                    "threshold": threshold,
                    "streak": streak,
                    "streak_known": missing is None,
                },
                case_ids=_ids(pending),
            )
        )
    return findings
