"""Deadlines (SPEC §4): rules from params/deadlines.yaml, judged as of a cutoff.

Each rule version applies to the cases of its kind *registered* within its effective dates; a case
keeps the regime it was registered under. A limit is in working days (``workdays``) or natural days
(``natural_days``, Order 121's 60-day mediation); day counting is `kwstats.workdays`': the start
event's day does not count; a working-day period ends on the n-th working day after it; a
natural-day period ends n days after it, and when that last day is a legal holiday on the first day
after the holiday (Order 121 art. 45; the rule's ``roll_over``). The deadline falls at the end of
that day. Everything is as known at the cutoff: an event after the cutoff has not happened yet.

A rule version whose ``effective_to`` has no later version is repealed: cases registered after it
have no such deadline at all (no row), e.g. 告知举报人 from 2026-04-15 (Order 121 art. 36). A case
registered before a rule's first version, or in a gap between versions, is ``unconfirmed``.

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
unconfirmed             the rule in force at registration is not confirmed (``confirmed: false``)
                        or no rule covers that date: never judged, and never with an older rule
calendar_missing        the due date needs a year that neither the chinese-calendar package nor
                        params/calendar.yaml covers (`calendar_missing_year` names it): not judged,
                        never guessed; judged as soon as the year is added to params
======================  ==========================================================================

report_verification is judged against its 15 working days; the data has no record of an approved
15-day extension, so such cases show as late/overdue and need a manual check (the rule's note);
`extended_due_date` gives the due date with the extension for that check.
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

from kwstats.indicators import closed_by
from kwstats.params import DEFAULT_PARAMS_DIR, _read_yaml, _validate
from kwstats.schema import COMPLAINT, REPORT
from kwstats.workdays import DayUnit, RollOver, WorkdayCalendar, package_years

DEADLINES_FILE = "deadlines.yaml"

STATUSES = (
    "met",
    "late",
    "overdue",
    "pending",
    "not_applicable",
    "unknown",
    "unconfirmed",
    "calendar_missing",
)
STATUS_LABELS: dict[str, str] = {
    "met": "按期",
    "late": "超期完成",
    "overdue": "超期未完成",
    "pending": "未到期",
    "not_applicable": "不适用",
    "unknown": "无法判断",
    "unconfirmed": "期限规则未确认",
    "calendar_missing": "日历未覆盖",  # per row: 日历未覆盖（需补 2027 年）
}
OVERDUE_STATUSES = ("late", "overdue")
DECIDED_STATUSES = ("met", "late", "overdue")
JUDGED_STATUSES = ("met", "late", "overdue", "pending")
DAY_UNIT_LABELS: dict[str, str] = {"workday": "个工作日", "natural": "日"}

NO_UNIT_LABEL = "未分配单位"
NONE_SENTENCE = "本月无初、核查及办结超期件。"

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

StartField = Literal["registered_at", "accepted_at", "verified_at"]
EndField = Literal["accepted_at", "first_contact_at", "verified_at", "closed_at"]


def calendar_missing_label(year: int) -> str:
    """The status label of a case whose deadline needs `year`, e.g. 日历未覆盖（需补 2027 年）."""
    return f"{STATUS_LABELS['calendar_missing']}（需补 {year} 年）"


def notice_name(year: int) -> str:
    """The State Council notice a clerk copies a year's holidays from."""
    return f"《国务院办公厅关于{year}年部分节假日安排的通知》"


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
    natural_days: int | None = Field(None, ge=1)
    roll_over: RollOver | None = None
    extension_workdays: int | None = Field(None, ge=1)
    basis: str = Field(min_length=1)
    effective_from: dt.date
    effective_to: dt.date | None = None
    confirmed: bool
    note: str = ""

    @model_validator(mode="after")
    def _coherent(self) -> DeadlineRule:
        if self.workdays is not None and self.natural_days is not None:
            raise ValueError(
                f"规则 {self.key} 同时填写了 workdays 和 natural_days：时限只能按工作日或按自然日之一计算"
            )
        if self.confirmed and self.limit is None:
            raise ValueError(
                f"规则 {self.key} 标为 confirmed: true，但没有填写时限："
                "workdays（工作日数）或 natural_days（自然日数）"
            )
        if self.roll_over is not None and self.natural_days is None:
            raise ValueError(f"规则 {self.key} 的 roll_over 只用于按自然日计算的时限（natural_days）")
        if self.extension_workdays is not None and self.workdays is None:
            raise ValueError(f"规则 {self.key} 的 extension_workdays 只用于按工作日计算的时限（workdays）")
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(f"规则 {self.key} 的 effective_to 早于 effective_from")
        if self.start == self.end:
            raise ValueError(f"规则 {self.key} 的起算事件与完成事件相同（{self.start}）")
        return self

    @property
    def limit(self) -> int | None:
        """The limit in the rule's own unit (working or natural days)."""
        return self.workdays if self.workdays is not None else self.natural_days

    @property
    def day_unit(self) -> DayUnit:
        return "natural" if self.natural_days is not None else "workday"

    @property
    def rolls_over(self) -> RollOver:
        """How a natural-day period ending on a day off moves (Order 121 art. 45 by default)."""
        return self.roll_over or "legal_holiday"

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

    def repealed_after(self, key: str) -> dt.date | None:
        """The last day `key` applies to (its last version's effective_to), None while in force."""
        return self.versions(key)[-1].effective_to


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


def _na_int(index: pd.Index) -> pd.Series:
    return pd.Series(pd.NA, index=index, dtype="Int64")


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
            "limit_days": pd.array([limit] * len(sub), dtype="Int64"),
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
    unrecorded field gives `unknown` rather than a wall of false `overdue`. Never raises for a year
    the calendar lacks: such rows are `calendar_missing`.
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
    out = pd.concat(parts).sort_values(["_pos", "_order"], kind="stable").reset_index(drop=True)
    out["status"] = pd.Categorical(out["status"], categories=STATUSES)
    labels = out["status"].astype(object).map(STATUS_LABELS)
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


def calendar_missing_in_period(
    evaluation: pd.DataFrame, start: pd.Timestamp, cutoff: pd.Timestamp
) -> pd.DataFrame:
    """The rows a month's bulletin cannot judge for a missing calendar year: still open at the
    cutoff, or done within [start, cutoff] (the rows `overdue_in_period` would have to weigh)."""
    status = evaluation["status"]
    done = evaluation["done_at"]
    here = done.isna() | ((done >= start) & (done <= cutoff))
    return evaluation[(status == "calendar_missing") & here].reset_index(drop=True)


def _years_text(years: Iterable[int]) -> str:
    return "、".join(str(y) for y in sorted(set(years)))


def _missing_years(evaluation: pd.DataFrame) -> list[int]:
    """Years whose calendar some due date needs (judged or not)."""
    return sorted({int(y) for y in evaluation["calendar_missing_year"].dropna()})


def calendar_missing_message(evaluation: pd.DataFrame, calendar: WorkdayCalendar) -> str | None:
    """One message (check, analyst view, warnings) when some rows need a calendar year nobody supplies:
    how many cases, which year(s) to add to params/calendar.yaml, and the notice to copy from."""
    years = _missing_years(evaluation)
    if not years:
        return None
    unjudged = evaluation["status"] == "calendar_missing"
    n = evaluation.loc[unjudged, "case_id"].nunique()
    n_due = evaluation.loc[evaluation["calendar_missing_year"].notna(), "case_id"].nunique()
    pkg = calendar.package_years or tuple(package_years())
    pkg_text = (
        f"chinese-calendar 包只有 {pkg[0]}–{pkg[-1]} 年的数据" if pkg else "chinese-calendar 包没有数据"
    )
    path = calendar.params_path
    ytext = _years_text(years)
    labels = "、".join(f"“{calendar_missing_label(y)}”" for y in years)
    notices = "、".join(notice_name(y) for y in years)
    how = (
        f"请照{notices}，在 {path} 的 years 下补入 {ytext} 年：holidays 写放假日期段（整段照抄，"
        f"含其中的周六、周日），workdays 写调休上班的周六、周日。"
    )
    if not n:  # every such case was done, or is still open, within days the calendar covers
        return (
            f"工作日历未覆盖 {ytext} 年：{n_due} 件的到期日落在 {ytext} 年，{pkg_text}，{path} 也没有补充。"
            f"这些件目前都已按期办理或尚未到期，不影响本次判断；到期日要补上日历后才能算出。{how}"
        )
    return (
        f"工作日历未覆盖 {ytext} 年：{n} 件的办理时限要用到 {ytext} 年的放假安排，而 {pkg_text}，"
        f"{path} 也没有补充，这些件暂未判断是否超期（标为{labels}），其他件照常判断。"
        f"请照{notices}，在 {path} 的 years 下补入 {ytext} 年：holidays 写放假日期段（整段照抄，"
        f"含其中的周六、周日），workdays 写调休上班的周六、周日；补好后重新运行，这些件即可判断。"
    )


def overdue_sentence(
    evaluation: pd.DataFrame, unit_order: Sequence[str] | None = None, *, judged: bool | None = None
) -> str:
    """The bulletin's overdue sentence, counts computed.

    Cases are counted once in the total even when past more than one deadline; per deadline and per
    unit, each case once. Units follow `unit_order` (e.g. the roster) when given, else most cases
    first. Cases whose rule is unconfirmed, or whose deadline needs a calendar year not supplied, are
    said to be unjudged, never silently counted as on time. `judged`: whether any case of the period
    was judged at all (default: any row of `evaluation` was), for a caller that passes only the
    overdue and unjudged rows.
    """
    late = overdue_cases(evaluation)
    late_ids = set(late["case_id"])
    status = evaluation["status"]
    unconfirmed_ids = set(evaluation.loc[status == "unconfirmed", "case_id"]) - late_ids
    missing_ids = set(evaluation.loc[status == "calendar_missing", "case_id"]) - late_ids - unconfirmed_ids
    if judged is None:
        judged = bool(status.isin(JUDGED_STATUSES).any())
    reasons = []
    if unconfirmed_ids:
        reasons.append(f"{len(unconfirmed_ids)} 件适用的期限规则尚未确认，未作超期判断")
    if missing_ids:
        ytext = _years_text(_missing_years(evaluation[evaluation["case_id"].isin(missing_ids)]))
        reasons.append(f"{len(missing_ids)} 件因 {ytext} 年工作日历未补充，暂未判断是否超期")
    unjudged = f"另有 {'；'.join(reasons)}。" if reasons else ""

    if late.empty:
        if not reasons:
            return NONE_SENTENCE
        if not judged:
            return f"本月 {'；'.join(reasons)}。"
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


def _days_text(n: object, unit: object) -> str:
    if pd.isna(n) or pd.isna(unit):
        return ""
    return f"{int(n)} {DAY_UNIT_LABELS.get(str(unit), str(unit))}"


VIEW_COLUMNS = {
    "case_id": "登记编号",
    "unit": "承办单位",
    "label": "期限",
    "limit": "时限",
    "registered_at": "登记时间",
    "due_date": "到期日",
    "extended_due_date": "延长后到期日",
    "done_at": "完成时间",
    "taken": "用时",
    "status_label": "状态",
}


def deadline_view(rows: pd.DataFrame) -> pd.DataFrame:
    """Evaluation rows as the analyst reads them: Chinese headers, limits and time taken with their
    unit (7 个工作日, 60 日); 延长后到期日 only where the rule allows an extension."""
    if rows.empty:
        return pd.DataFrame(columns=list(VIEW_COLUMNS.values()))
    out = rows.assign(
        limit=[_days_text(n, u) for n, u in zip(rows["limit_days"], rows["day_unit"], strict=True)],
        taken=[_days_text(n, u) for n, u in zip(rows["days_taken"], rows["day_unit"], strict=True)],
    )
    return out[list(VIEW_COLUMNS)].rename(columns=VIEW_COLUMNS).reset_index(drop=True)


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
