"""Every case × rule of its kind judged as of a resolved cutoff (statuses:
:mod:`kwstats.deadlines.statuses`).

report_verification is judged against its 15 working days; the data has no record of an approved
15-day extension, so such cases show as late/overdue and need a manual check (the rule's note);
`extended_due_date` gives the due date with the extension for that check.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kwstats.deadlines.rules import DeadlineRule, DeadlineRules
from kwstats.deadlines.statuses import JUDGED_STATUSES, STATUS_LABELS, STATUSES, calendar_missing_label
from kwstats.indicators import closed_by
from kwstats.schema import COMPLAINT, REPORT
from kwstats.workdays import WorkdayCalendar

EVALUATION_COLUMNS = (
    "case_id",
    "unit",
    "kind",
    "registered_at",
    "key",
    "label",
    "limit_days",
    "day_unit",
    "start_at",
    "due_date",
    "extended_due_date",
    "done_at",
    "status",
    "status_label",
    "days_taken",
    "calendar_missing_year",
)


def _known(series: pd.Series, cutoff: pd.Timestamp) -> pd.Series:
    """The event as known at the cutoff: NaT when it had not happened yet."""
    return series.where(series <= cutoff)


def _nat(index: pd.Index) -> pd.Series:
    return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")


def _ints(n: int, value: int | None) -> pd.arrays.IntegerArray:
    """`n` times `value` as Int64 (<NA> for None), built from numpy (a list of 10⁵ is slow to coerce)."""
    return pd.arrays.IntegerArray(
        np.full(n, 0 if value is None else value, dtype="int64"), np.full(n, value is None)
    )


def _na_int(index: pd.Index) -> pd.Series:
    return pd.Series(_ints(len(index), None), index=index)


@dataclass
class _Judged:
    """What `_judge` found for one rule version's cases (Series on the cases' index)."""

    start: pd.Series
    due: pd.Series
    extended: pd.Series
    done: pd.Series
    status: np.ndarray
    taken: pd.Series
    missing_year: pd.Series


def _rows(sub: pd.DataFrame, key: str, label: str, rule: DeadlineRule | None, j: _Judged) -> pd.DataFrame:
    limit = rule.limit if rule is not None else None
    unit = rule.day_unit if rule is not None and limit is not None else None
    return pd.DataFrame(
        {
            "_pos": sub["_pos"],
            "case_id": sub["case_id"],
            "unit": sub["unit"],
            "kind": sub["kind"],
            "registered_at": sub["registered_at"],
            "key": key,
            "label": label,
            "limit_days": _ints(len(sub), limit),
            "day_unit": pd.array([unit] * len(sub), dtype="string"),
            "start_at": j.start,
            "due_date": j.due,
            "extended_due_date": j.extended,
            "done_at": j.done,
            "status": j.status,
            "days_taken": j.taken.astype("Int64"),
            "calendar_missing_year": j.missing_year.astype("Int64"),
        },
        index=sub.index,
    )


def _judge_within_covered_days(
    status: np.ndarray,
    gap: np.ndarray,
    start: pd.Series,
    done: pd.Series,
    is_done: np.ndarray,
    cutoff_day: pd.Timestamp,
    rule: DeadlineRule,
    calendar: WorkdayCalendar,
) -> None:
    """Rows whose due date falls in a year the calendar lacks, but which were done (or are still
    open at the cutoff) within the limit counted over days the calendar does cover: the missing year
    cannot change their judgement, so they are `met` (or `pending`) instead of not judged."""
    limit = rule.limit
    assert limit is not None
    until = done.where(is_done, cutoff_day)
    rows = np.flatnonzero(gap)
    if rule.day_unit == "natural":
        spent = (until.iloc[rows].dt.normalize() - start.iloc[rows].dt.normalize()).dt.days
        inside = (spent <= limit).to_numpy(dtype=bool)  # a roll-over only lengthens the period
    else:
        spent = calendar.workdays_between_array(start.iloc[rows], until.iloc[rows], uncovered="na")
        # strictly under the limit: the n-th working day itself may lie in the uncovered year
        inside = (spent < limit).fillna(False).to_numpy(dtype=bool)
    status[rows[inside & is_done[rows]]] = "met"
    status[rows[inside & ~is_done[rows]]] = "pending"


def _judge(
    sub: pd.DataFrame,
    rule: DeadlineRule,
    calendar: WorkdayCalendar,
    cutoff: pd.Timestamp,
    recorded: set[str],
) -> _Judged:
    """The judgement of the cases `sub`, all registered while `rule` was in force."""
    index = sub.index
    start = _known(sub[rule.start], cutoff)
    done = _known(sub[rule.end], cutoff) if rule.end else _nat(index)
    taken, missing_year = _na_int(index), _na_int(index)
    due, extended = _nat(index), _nat(index)
    if not rule.confirmed:
        status = np.full(len(sub), "unconfirmed", dtype=object)
        return _Judged(start, due, extended, done, status, taken, missing_year)

    limit = rule.limit
    assert limit is not None  # guaranteed by DeadlineRule validation
    has_start = start.notna().to_numpy()
    closed = closed_by(sub, cutoff).to_numpy()
    if has_start.any():
        found = calendar.due_dates(start[has_start], limit, rule.day_unit, rule.rolls_over)
        due[has_start] = found.due.to_numpy()
        missing_year[has_start] = found.missing_year.to_numpy()
        if rule.extension_workdays:
            longer = calendar.due_dates(start[has_start], limit + rule.extension_workdays, "workday")
            extended[has_start] = longer.due.to_numpy()
    cutoff_day = cutoff.normalize()
    is_done = done.notna().to_numpy()
    on_time = (done.dt.normalize() <= due).to_numpy()
    past_due = (due < cutoff_day).to_numpy()  # cutoff after the end of the due day

    if rule.end is None:
        status = np.where(has_start, "unknown", "not_applicable").astype(object)
        return _Judged(start, due, extended, done, status, taken, missing_year)

    status = np.select(
        [
            np.full(len(sub), rule.start not in recorded and rule.start != "registered_at"),
            ~has_start & closed,
            ~has_start,
            is_done & on_time,
            is_done,
            np.full(len(sub), rule.end not in recorded),
            closed,
            past_due,
        ],
        ["unknown", "unknown", "pending", "met", "late", "unknown", "unknown", "overdue"],
        default="pending",
    ).astype(object)
    # A due date the calendar cannot give (NaT) would read as late or pending: say so instead.
    no_calendar = missing_year.notna().to_numpy() & np.isin(status, JUDGED_STATUSES)
    status[no_calendar] = "calendar_missing"
    if no_calendar.any():
        _judge_within_covered_days(status, no_calendar, start, done, is_done, cutoff_day, rule, calendar)
    judged = np.isin(status, JUDGED_STATUSES) & has_start
    if judged.any():
        until = done.where(is_done, cutoff_day)
        if rule.day_unit == "natural":
            days = until[judged].dt.normalize() - start[judged].dt.normalize()
            taken[judged] = days.dt.days.to_numpy()
        else:
            # A span into a year the calendar lacks (e.g. done in 2027) gives <NA>, not an error.
            taken[judged] = calendar.workdays_between_array(
                start[judged], until[judged], uncovered="na"
            ).to_numpy()
    return _Judged(start, due, extended, done, status, taken, missing_year)


EVENT_FIELDS = ("registered_at", "accepted_at", "first_contact_at", "verified_at", "closed_at")


def deadline_columns(cases: pd.DataFrame, rules: DeadlineRules) -> list[str]:
    """The columns of `cases` that judging deadlines reads (a frame of only these judges the same)."""
    needed = {"case_id", "unit", "kind", "closed_by_stage", *EVENT_FIELDS}
    for key in rules.deadline_keys():
        for rule in rules.versions(key):
            needed.update(f for f in (rule.start, rule.end) if f)
    return [c for c in cases.columns if c in needed]


def evaluate_deadlines(
    cases: pd.DataFrame,
    rules: DeadlineRules,
    calendar: WorkdayCalendar,
    cutoff: pd.Timestamp,
    *,
    recorded_fields: Iterable[str] | None = None,
) -> pd.DataFrame:
    """One row per case × rule of its kind, judged as of `cutoff` (statuses: see :mod:`.statuses`).

    `cutoff` is resolved already: a naive Beijing-time Timestamp (``Period.cutoff``; a date a clerk
    wrote goes through :func:`kwstats.period.parse_cutoff`, the one cutoff parser, first).

    `recorded_fields`: the end-event fields the export actually carries (ingest knows which headers
    it found). By default a field counts as recorded when any of `cases` has a value in it; an
    unrecorded field gives `unknown` rather than a wall of false `overdue`. Never raises for a year
    the calendar lacks: such rows are `calendar_missing`.
    """
    if not isinstance(cutoff, pd.Timestamp) or cutoff.tzinfo is not None:
        raise TypeError(
            f"cutoff must be a resolved, naive pd.Timestamp (period.parse_cutoff), not {cutoff!r}"
        )
    cut = cutoff
    if recorded_fields is None:
        recorded = {c for c in EVENT_FIELDS if cases[c].notna().any()}
    else:
        recorded = set(recorded_fields)
    frame = cases[deadline_columns(cases, rules)].assign(_pos=np.arange(len(cases)))  # not the texts
    frame = frame[frame["kind"].isin([COMPLAINT, REPORT]) & ~(frame["registered_at"] > cut)]
    reg_day = frame["registered_at"].dt.normalize()

    parts: list[pd.DataFrame] = []
    for order, key in enumerate(rules.deadline_keys()):
        versions = rules.versions(key)
        of_kind = frame["kind"] == versions[0].kind
        claimed = pd.Series(False, index=frame.index)
        for rule in versions:
            in_force = of_kind & (reg_day >= pd.Timestamp(rule.effective_from))
            if rule.effective_to is not None:
                in_force &= reg_day <= pd.Timestamp(rule.effective_to)
            claimed |= in_force
            if in_force.any():
                sub = frame[in_force]
                judged = _judge(sub, rule, calendar, cut, recorded)
                parts.append(_rows(sub, key, rule.label, rule, judged).assign(_order=order))
        repealed = rules.repealed_after(key)
        after_repeal = reg_day > pd.Timestamp(repealed) if repealed else pd.Series(False, index=frame.index)
        rest = frame[of_kind & ~claimed & ~after_repeal]  # repealed: no such deadline any more
        if len(rest):
            last = versions[-1]
            status = np.where(rest["registered_at"].isna(), "unknown", "unconfirmed").astype(object)
            start = _known(rest[last.start], cut)
            done = _known(rest[last.end], cut) if last.end else _nat(rest.index)
            none = _Judged(
                start,
                _nat(rest.index),
                _nat(rest.index),
                done,
                status,
                _na_int(rest.index),
                _na_int(rest.index),
            )
            parts.append(_rows(rest, key, last.label, None, none).assign(_order=order))

    if not parts:
        empty = frame.iloc[:0]
        idx = empty.index
        nothing = _Judged(
            _nat(idx), _nat(idx), _nat(idx), _nat(idx), np.array([], dtype=object), _na_int(idx), _na_int(idx)
        )
        parts.append(_rows(empty, "", "", None, nothing).assign(_order=0))
    out = pd.concat(parts)
    # in the cases' order, then the rules' (np.lexsort is stable: the last key sorts first)
    out = out.take(np.lexsort((out["_order"].to_numpy(), out["_pos"].to_numpy()))).reset_index(drop=True)
    status = pd.Categorical(out["status"], categories=STATUSES)
    out["status"] = status
    # each status's label by its code (-1, no status: the last, missing), not a dict lookup per row
    names = np.array([STATUS_LABELS.get(key, np.nan) for key in STATUSES] + [np.nan], dtype=object)
    labels = pd.Series(names[status.codes], index=out.index, dtype=object)
    gap = out["status"] == "calendar_missing"
    if gap.any():
        labels[gap] = [calendar_missing_label(int(y)) for y in out.loc[gap, "calendar_missing_year"]]
    out["status_label"] = labels.astype("string")
    for col in ("start_at", "due_date", "extended_due_date", "done_at", "registered_at"):
        out[col] = out[col].astype("datetime64[ns]")
    out["case_id"] = out["case_id"].astype("string")
    out["key"] = pd.Categorical(out["key"], categories=rules.deadline_keys())
    out["label"] = out["label"].astype("string")
    return out[list(EVALUATION_COLUMNS)]
