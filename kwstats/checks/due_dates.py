"""The platform's own due date (到期时间) against the computed deadlines."""

from __future__ import annotations

from typing import Any

import pandas as pd

from kwstats.checks.findings import Finding
from kwstats.deadlines import DeadlineRules
from kwstats.labels import EXPORT_LABELS
from kwstats.params import Branch

DUE_CHECK_COLUMNS = (
    "case_id",
    "unit",
    "kind",
    "key",
    "label",
    "platform_due",
    "computed_due",
    "difference_days",
    "status",
    "unchecked_reason",
)
DUE_STATUS_LABELS = {"agree": "一致", "disagree": "不一致", "not_computed": "无法核对"}


def due_date_check(
    cases: pd.DataFrame, evaluation: pd.DataFrame, branch: Branch, *, rules: DeadlineRules | None = None
) -> pd.DataFrame:
    """Each case carrying the platform's due date (到期时间) beside kwstats' due date for the deadline
    that date stands for (``branch.due_at_rules``, by kind: mediation for 投诉, report_verification
    for 举报).

    `evaluation` is :func:`kwstats.deadlines.evaluate_deadlines`' frame (one row per case × rule);
    only the cases it evaluated are checked (pass the month's). Both are compared as days. ``status``: "agree", "disagree" (``difference_days`` = platform −
    computed, in calendar days), or "not_computed" (kwstats has no due date for it: the rule's start
    event is not in the export, the rule is unconfirmed, or the case was not evaluated);
    ``unchecked_reason`` says which, in Chinese (`rules` lets it name the missing start column).
    """
    evaluated = cases["case_id"].astype(str).isin(set(evaluation["case_id"].astype(str)))
    with_due = cases[evaluated & cases["due_at"].notna() & cases["kind"].isin(list(branch.due_at_rules))]
    if with_due.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in DUE_CHECK_COLUMNS})
    frame = pd.DataFrame(
        {
            "case_id": with_due["case_id"].astype(str).to_numpy(),
            "unit": with_due["unit"].astype("object").to_numpy(),
            "kind": with_due["kind"].astype(str).to_numpy(),
            "platform_due": with_due["due_at"].dt.normalize().to_numpy(),
            "registered_at": with_due["registered_at"].to_numpy(),
        }
    )
    frame["key"] = frame["kind"].map(branch.due_at_rules)
    extra = [c for c in ("status", "calendar_missing_year") if c in evaluation]
    ev = evaluation[["case_id", "key", "label", "due_date", *extra]].rename(columns={"status": "judged"})
    ev["case_id"] = ev["case_id"].astype(str)
    ev["key"] = ev["key"].astype(str)
    ev = ev.drop_duplicates(["case_id", "key"])
    out = frame.merge(ev, on=["case_id", "key"], how="left")
    out["computed_due"] = pd.to_datetime(out["due_date"]).dt.normalize()
    diff = (out["platform_due"] - out["computed_due"]).dt.days
    out["difference_days"] = diff.astype("Int64")
    out["status"] = "not_computed"
    out.loc[diff.notna() & (diff == 0), "status"] = "agree"
    out.loc[diff.notna() & (diff != 0), "status"] = "disagree"
    out["unchecked_reason"] = [
        _why_unchecked(row, rules) if row.status == "not_computed" else ""
        for row in out.itertuples(index=False)
    ]
    out["label"] = out["label"].fillna(out["key"])
    return out[list(DUE_CHECK_COLUMNS)]


def _why_unchecked(row: Any, rules: DeadlineRules | None) -> str:
    """Why kwstats has no due date to hold the platform's against, for one case."""
    if pd.isna(row.label):
        return "该件未参与期限判断"
    if getattr(row, "judged", None) == "unconfirmed":
        return "期限规则未确认（deadlines.yaml 中 confirmed: false）"
    year = getattr(row, "calendar_missing_year", None)
    if year is not None and pd.notna(year):
        return f"工作日历未覆盖 {int(year)} 年（需补 params/calendar.yaml）"
    rule = None
    if rules is not None and pd.notna(row.registered_at):
        rule = rules.rule_for(str(row.key), pd.Timestamp(row.registered_at).date())
    if rule is not None:
        return f"导出没有{EXPORT_LABELS.get(rule.start, rule.start)}（期限的起算时间）"
    return "导出缺少期限的起算时间"


def due_date_findings(check: pd.DataFrame, month: str | None = None) -> list[Finding]:
    """The disagreements of :func:`due_date_check` (one finding per deadline), and how many could not
    be checked."""
    findings: list[Finding] = []
    if check.empty:
        return findings
    bad = check[check["status"] == "disagree"]
    for label, group in bad.groupby(bad["label"].astype(str), sort=True):
        diffs = group["difference_days"].astype(int)
        sample = "；".join(
            f"{r.case_id} 平台 {r.platform_due:%Y-%m-%d}、计算 {r.computed_due:%Y-%m-%d}"
            for r in group.head(3).itertuples(index=False)
        )
        findings.append(
            Finding(
                kind="due_mismatch",
                month=month,
                message=(
                    f"{len(group)} 件的平台到期时间与按 deadlines.yaml 算出的“{label}”到期日不一致"
                    f"（相差 {diffs.min()} 至 {diffs.max()} 天；如 {sample}）。请核对期限规则或工作日历。"
                ),
                numbers={"count": len(group), "checked": int((check["label"] == label).sum())},
                case_ids=tuple(group["case_id"].astype(str)),
            )
        )
    unchecked = check[check["status"] == "not_computed"]
    if len(unchecked):
        if "unchecked_reason" in unchecked:
            reasons = unchecked["unchecked_reason"].replace("", "导出缺少期限的起算时间")
        else:
            reasons = pd.Series("导出缺少期限的起算时间", index=unchecked.index)
        counts = reasons.value_counts(sort=False)
        counts = counts.sort_values(ascending=False, kind="stable")
        why = "；".join(f"{reason} {n} 件" for reason, n in counts.items())
        findings.append(
            Finding(
                kind="due_unchecked",
                severity="info",
                month=month,
                message=f"{len(unchecked)} 件有平台到期时间，但 kwstats 算不出对应的到期日，未能核对：{why}。",
                numbers={"count": len(unchecked), "reasons": {str(k): int(v) for k, v in counts.items()}},
                case_ids=tuple(unchecked["case_id"].astype(str)),
            )
        )
    return findings
