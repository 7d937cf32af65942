"""Deadlines in working days (SPEC §4): rules from params/deadlines.yaml, judged as of a cutoff.

Each rule version applies to the cases of its kind *registered* within its effective dates; a case
keeps the regime it was registered under. Day counting is `kwstats.workdays`': the start event's day
does not count, the due date is the n-th working day after it, and the deadline falls at the end of
that day. Everything is as known at the cutoff: an event after the cutoff has not happened yet.

Statuses (one row per case × rule of its kind; 咨询 have no deadlines; cases registered after the
cutoff are not evaluated):

======================  ==========================================================================
met                     end event on or before the due date
late                    end event after the due date (done, but late)
overdue                 no end event by the cutoff and the due date has passed
pending                 no end event, not yet due; also: the start event has not happened by the
                        cutoff and the case is still open (the clock has not started)
unknown                 cannot be judged from the data: the start date is missing on a closed case
                        (or registration date missing); the case was closed without the end event's
                        date; the export does not carry the end event's field at all (see
                        `recorded_fields`); or the rule's end event is not in the data (``end:
                        null``, e.g. 告知举报人 — the due date is still computed)
not_applicable          a rule with ``end: null`` whose start event has not happened (e.g. no filing
                        decision yet, so no reporter to inform yet)
unconfirmed             the rule in force at registration is not confirmed (``confirmed: false``,
                        e.g. SAMR Order No. 121 from 2026-04-15) or no rule covers that date: never
                        judged, and never with an older rule
======================  ==========================================================================

report_verification is judged against its 15 working days; the data has no record of an approved
15-day extension, so such cases show as late/overdue and need a manual check (the rule's note).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from kwstats.params import DEFAULT_PARAMS_DIR, _read_yaml, _validate
from kwstats.schema import COMPLAINT, REPORT
from kwstats.workdays import WorkdayCalendar

DEADLINES_FILE = "deadlines.yaml"

STATUSES = ("met", "late", "overdue", "pending", "not_applicable", "unknown", "unconfirmed")
STATUS_LABELS: dict[str, str] = {
    "met": "按期",
    "late": "超期完成",
    "overdue": "超期未完成",
    "pending": "未到期",
    "not_applicable": "不适用",
    "unknown": "无法判断",
    "unconfirmed": "期限规则未确认",
}
OVERDUE_STATUSES = ("late", "overdue")
DECIDED_STATUSES = ("met", "late", "overdue")

NO_UNIT_LABEL = "未分配单位"
NONE_SENTENCE = "本月无初、核查及办结超期件。"

EVALUATION_COLUMNS = (
    "case_id",
    "unit",
    "kind",
    "registered_at",
    "key",
    "label",
    "limit_workdays",
    "start_at",
    "due_date",
    "done_at",
    "status",
    "status_label",
    "workdays_taken",
)

StartField = Literal["registered_at", "accepted_at", "verified_at"]
EndField = Literal["accepted_at", "first_contact_at", "verified_at", "closed_at"]


# ---------------------------------------------------------------- params/deadlines.yaml


class DeadlineRule(BaseModel):
    """One version of a deadline rule, in force for cases registered in [effective_from, effective_to]."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    kind: Literal["投诉", "举报"]
    start: StartField
    end: EndField | None
    workdays: int | None = Field(None, ge=1)
    extension_workdays: int | None = Field(None, ge=1)
    basis: str = Field(min_length=1)
    effective_from: dt.date
    effective_to: dt.date | None = None
    confirmed: bool
    note: str = ""

    @model_validator(mode="after")
    def _coherent(self) -> DeadlineRule:
        if self.confirmed and self.workdays is None:
            raise ValueError(f"规则 {self.key} 标为 confirmed: true，但没有填写 workdays（工作日数）")
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(f"规则 {self.key} 的 effective_to 早于 effective_from")
        if self.start == self.end:
            raise ValueError(f"规则 {self.key} 的起算事件与完成事件相同（{self.start}）")
        return self

    def in_force(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


class DeadlineRules(BaseModel):
    """All rule versions; keys keep the order of their first appearance in the file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: list[DeadlineRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _versions_consistent(self) -> DeadlineRules:
        for key in self.deadline_keys():
            versions = self.versions(key)
            kinds = {v.kind for v in versions}
            if len(kinds) > 1:
                raise ValueError(f"规则 {key} 的各版本适用的件不一致：{'、'.join(sorted(kinds))}")
            for a, b in zip(versions, versions[1:], strict=False):
                if a.effective_to is None or a.effective_to >= b.effective_from:
                    raise ValueError(
                        f"规则 {key} 的生效日期段重叠：{a.effective_from}～{a.effective_to or '至今'} "
                        f"与 {b.effective_from} 起"
                    )
        return self

    def deadline_keys(self) -> list[str]:
        return list(dict.fromkeys(r.key for r in self.rules))

    def versions(self, key: str) -> list[DeadlineRule]:
        """The versions of `key`, by effective_from."""
        return sorted((r for r in self.rules if r.key == key), key=lambda r: r.effective_from)

    def label(self, key: str) -> str:
        return self.versions(key)[-1].label

    def rule_for(self, key: str, day: dt.date) -> DeadlineRule | None:
        """The version of `key` in force for a case registered on `day` (None when none is)."""
        return next((r for r in self.versions(key) if r.in_force(day)), None)


def load_deadline_rules(params_dir: str | Path = DEFAULT_PARAMS_DIR) -> DeadlineRules:
    """Read and validate params/deadlines.yaml (ParamsError naming the file and field when wrong)."""
    path = Path(params_dir) / DEADLINES_FILE
    return _validate(DeadlineRules, _read_yaml(path), path)


# ---------------------------------------------------------------- evaluation


def as_cutoff(value: dt.date | dt.datetime | pd.Timestamp | str) -> pd.Timestamp:
    """The cutoff instant: a plain date (or 'YYYY-MM-DD') means the end of that day."""
    if isinstance(value, str) and len(value.strip()) == 10:
        value = dt.date.fromisoformat(value.strip())
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return pd.Timestamp(value) + pd.Timedelta(days=1) - pd.Timedelta(nanoseconds=1)
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        raise ValueError("统计截止时间为空")
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


def _known(series: pd.Series, cutoff: pd.Timestamp) -> pd.Series:
    """The event as known at the cutoff: NaT when it had not happened yet."""
    return series.where(series <= cutoff)


def _nat(index: pd.Index) -> pd.Series:
    return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")


def _rows(
    sub: pd.DataFrame,
    key: str,
    label: str,
    limit: int | None,
    start: pd.Series,
    due: pd.Series,
    done: pd.Series,
    status: np.ndarray,
    taken: pd.Series,
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "_pos": sub["_pos"],
            "case_id": sub["case_id"],
            "unit": sub["unit"],
            "kind": sub["kind"],
            "registered_at": sub["registered_at"],
            "key": key,
            "label": label,
            "limit_workdays": pd.array([limit] * len(sub), dtype="Int64"),
            "start_at": start,
            "due_date": due,
            "done_at": done,
            "status": status,
            "workdays_taken": taken.astype("Int64"),
        },
        index=sub.index,
    )


def _judge(
    sub: pd.DataFrame,
    rule: DeadlineRule,
    calendar: WorkdayCalendar,
    cutoff: pd.Timestamp,
    recorded: set[str],
) -> pd.DataFrame:
    """Rows for the cases `sub`, all registered while `rule` was in force."""
    start = _known(sub[rule.start], cutoff)
    done = _known(sub[rule.end], cutoff) if rule.end else _nat(sub.index)
    taken = pd.Series(pd.NA, index=sub.index, dtype="Int64")
    if not rule.confirmed:
        status = np.full(len(sub), "unconfirmed", dtype=object)
        return _rows(sub, rule.key, rule.label, rule.workdays, start, _nat(sub.index), done, status, taken)

    assert rule.workdays is not None  # guaranteed by DeadlineRule validation
    has_start = start.notna().to_numpy()
    closed = (sub["closed_at"] <= cutoff).to_numpy()
    due = _nat(sub.index)
    if has_start.any():
        due[has_start] = calendar.add_workdays_array(start[has_start], rule.workdays).to_numpy()
    cutoff_day = cutoff.normalize()
    is_done = done.notna().to_numpy()
    on_time = (done.dt.normalize() <= due).to_numpy()
    past_due = (due < cutoff_day).to_numpy()  # cutoff after the end of the due day

    if rule.end is None:
        status = np.where(has_start, "unknown", "not_applicable").astype(object)
    else:
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
        judged = np.isin(status, ("met", "late", "overdue", "pending")) & has_start
        if judged.any():
            until = done.where(is_done, cutoff_day)
            taken[judged] = calendar.workdays_between_array(start[judged], until[judged]).to_numpy()
    return _rows(sub, rule.key, rule.label, rule.workdays, start, due, done, status, taken)


def evaluate_deadlines(
    cases: pd.DataFrame,
    rules: DeadlineRules,
    calendar: WorkdayCalendar,
    cutoff: dt.date | dt.datetime | pd.Timestamp | str,
    *,
    recorded_fields: Iterable[str] | None = None,
) -> pd.DataFrame:
    """One row per case × rule of its kind, judged as of `cutoff` (see the module doc for statuses).

    `recorded_fields`: the end-event fields the export actually carries (ingest knows which headers
    it found). By default a field counts as recorded when any of `cases` has a value in it; an
    unrecorded field gives `unknown` rather than a wall of false `overdue`.
    """
    cut = as_cutoff(cutoff)
    if recorded_fields is None:
        recorded = {
            c
            for c in ("registered_at", "accepted_at", "first_contact_at", "verified_at", "closed_at")
            if cases[c].notna().any()
        }
    else:
        recorded = set(recorded_fields)
    frame = cases.assign(_pos=np.arange(len(cases)))
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
                parts.append(_judge(frame[in_force], rule, calendar, cut, recorded).assign(_order=order))
        rest = frame[of_kind & ~claimed]
        if len(rest):
            last = versions[-1]
            status = np.where(rest["registered_at"].isna(), "unknown", "unconfirmed").astype(object)
            start = _known(rest[last.start], cut)
            done = _known(rest[last.end], cut) if last.end else _nat(rest.index)
            taken = pd.Series(pd.NA, index=rest.index, dtype="Int64")
            parts.append(
                _rows(rest, key, last.label, None, start, _nat(rest.index), done, status, taken).assign(
                    _order=order
                )
            )

    if not parts:
        none = frame.iloc[:0]
        empty = np.array([], dtype=object)
        parts.append(
            _rows(
                none,
                "",
                "",
                None,
                _nat(none.index),
                _nat(none.index),
                _nat(none.index),
                empty,
                pd.Series(dtype="Int64"),
            ).assign(_order=0)
        )
    out = pd.concat(parts).sort_values(["_pos", "_order"], kind="stable").reset_index(drop=True)
    out["status"] = pd.Categorical(out["status"], categories=STATUSES)
    out["status_label"] = out["status"].map(STATUS_LABELS).astype("string")
    for col in ("start_at", "due_date", "done_at", "registered_at"):
        out[col] = out[col].astype("datetime64[ns]")
    out["case_id"] = out["case_id"].astype("string")
    out["key"] = pd.Categorical(out["key"], categories=rules.deadline_keys())
    out["label"] = out["label"].astype("string")
    return out[list(EVALUATION_COLUMNS)]


# ---------------------------------------------------------------- what the bulletin says


def overdue_cases(evaluation: pd.DataFrame) -> pd.DataFrame:
    """The rows past a deadline at the cutoff: late (done after due) or overdue (not done, due passed)."""
    return evaluation[evaluation["status"].isin(OVERDUE_STATUSES)].reset_index(drop=True)


def overdue_in_period(evaluation: pd.DataFrame, start: pd.Timestamp, cutoff: pd.Timestamp) -> pd.DataFrame:
    """What a month's bulletin reports as 超期: the rows still overdue at the cutoff (whatever month the
    case was registered in) and the rows done late within [start, cutoff].

    Evaluate every case registered up to the cutoff, then select with this, so a complaint of
    August whose mediation ran past its limit shows in the month the limit passed or it closed late.
    """
    status = evaluation["status"]
    done = evaluation["done_at"]
    late_here = (status == "late") & (done >= start) & (done <= cutoff)
    return evaluation[(status == "overdue") | late_here].reset_index(drop=True)


def _unit_name(unit: object) -> str:
    return NO_UNIT_LABEL if pd.isna(unit) else str(unit)


def overdue_sentence(evaluation: pd.DataFrame, unit_order: Sequence[str] | None = None) -> str:
    """The bulletin's overdue sentence, counts computed.

    Cases are counted once in the total even when past more than one deadline; per deadline and per
    unit, each case once. Units follow `unit_order` (e.g. the roster) when given, else most cases
    first. Cases whose rule is unconfirmed are said to be unjudged, never silently counted as on time.
    """
    late = overdue_cases(evaluation)
    unconfirmed = evaluation.loc[evaluation["status"] == "unconfirmed", "case_id"].nunique()
    judged = evaluation["status"].isin(("met", "late", "overdue", "pending")).any()
    unjudged = f"另有 {unconfirmed} 件适用的期限规则尚未确认，未作超期判断。" if unconfirmed else ""

    if late.empty:
        if not unconfirmed:
            return NONE_SENTENCE
        if not judged:
            return f"本月 {unconfirmed} 件适用的期限规则尚未确认，未作超期判断。"
        return "本月已判断的件中无初、核查及办结超期件；" + unjudged

    rank = {u: i for i, u in enumerate(unit_order or [])}
    parts = []
    key_col = evaluation["key"]
    keys = (
        list(key_col.cat.categories)
        if isinstance(key_col.dtype, pd.CategoricalDtype)
        else list(dict.fromkeys(key_col))
    )
    for key in keys:
        rows = late[late["key"] == key].drop_duplicates("case_id")
        if rows.empty:
            continue
        counts = rows["unit"].astype(object).map(_unit_name).value_counts(sort=False)
        units = sorted(counts.index, key=lambda u: (rank.get(u, len(rank)), -counts[u], u))
        by_unit = "、".join(f"{u} {counts[u]} 件" for u in units)
        parts.append(f"{rows['label'].iloc[0]}超期 {len(rows)} 件（{by_unit}）")
    total = late["case_id"].nunique()
    return f"本月有超期件 {total} 件：{'，'.join(parts)}。" + unjudged


@dataclass(frozen=True)
class OnTimeRate:
    """Share of `met` among decided rows (met + late + overdue) of one or more deadlines."""

    keys: tuple[str, ...]
    label: str
    met: int
    late: int
    overdue: int
    counts: dict[str, int] = field(default_factory=dict)  # every status, for the analyst

    @property
    def decided(self) -> int:
        return self.met + self.late + self.overdue

    @property
    def rate_pct(self) -> float:
        """Unrounded percentage; NaN when nothing is decided (round with the branch's rate rule)."""
        return 100.0 * self.met / self.decided if self.decided else float("nan")


def on_time_rate(evaluation: pd.DataFrame, key: str | Sequence[str]) -> OnTimeRate:
    """按时初查率 / 按期办结率 style rate for a deadline key (or several keys pooled).

    E.g. ``on_time_rate(ev, "first_contact")`` for 按时初查率 and ``on_time_rate(ev, "mediation")``
    for 按期办结率. Pending, unknown, not_applicable and unconfirmed rows are not decided and stay out
    of the rate; their counts are in ``.counts``.
    """
    keys = (key,) if isinstance(key, str) else tuple(key)
    rows = evaluation[evaluation["key"].isin(keys)]
    counts = {s: int((rows["status"] == s).sum()) for s in STATUSES}
    labels = list(dict.fromkeys(rows["label"])) or list(keys)
    return OnTimeRate(
        keys=keys,
        label="、".join(str(lbl) for lbl in labels),
        met=counts["met"],
        late=counts["late"],
        overdue=counts["overdue"],
        counts=counts,
    )
