"""A month's case rows checked: 全局 against the roster, off-roster and unassigned cases, impossible
rows, markup in text, duplicate ids; and the rows set aside at ingest as findings."""

from __future__ import annotations

import pandas as pd

from kwstats.checks.findings import Finding
from kwstats.indicators import accepted_cases, closed_by, month_cohort
from kwstats.ingest import REASON_TOTAL
from kwstats.params import Branch

MARKUP_PATTERN = r"<\s*[A-Za-z/!]"


def _ids(frame: pd.DataFrame) -> tuple[str, ...]:
    return tuple(frame["case_id"].astype(str))


def reconcile(cases: pd.DataFrame, branch: Branch, month: str, cutoff: pd.Timestamp) -> list[Finding]:
    """Data checks for one month: 全局 against the roster, off-roster and unassigned cases, impossible rows."""
    findings: list[Finding] = []
    cohort = month_cohort(cases, month, cutoff)
    acc = accepted_cases(cohort)
    roster = set(branch.units)
    on_roster = acc["unit"].isin(list(roster))

    off = acc[acc["unit"].notna() & ~on_roster]
    for unit, group in off.groupby(off["unit"].astype(str), sort=True):
        closed = int(closed_by(group, cutoff).sum())
        reports = int((group["kind"] == "举报").sum())
        findings.append(
            Finding(
                kind="off_roster",
                unit=unit,
                month=month,
                message=(
                    f"承办单位“{unit}”不在名册中：受理 {len(group)} 件（举报 {reports} 件、投诉 "
                    f"{len(group) - reports} 件），办结 {closed} 件；计入全局，不计入任何单位行。"
                ),
                numbers={
                    "accepted": len(group),
                    "reports": reports,
                    "complaints": len(group) - reports,
                    "closed": closed,
                },
                case_ids=_ids(group),
            )
        )
    unassigned = acc[acc["unit"].isna()]
    if len(unassigned):
        findings.append(
            Finding(
                kind="unassigned",
                month=month,
                message=f"{len(unassigned)} 件没有承办单位（未分流）：计入全局，不计入任何单位行。",
                numbers={"accepted": len(unassigned)},
                case_ids=_ids(unassigned),
            )
        )
    if len(off) or len(unassigned):
        findings.append(
            Finding(
                kind="roster_gap",
                month=month,
                severity="info",
                message=(
                    f"各单位受理量合计 {int(on_roster.sum())} 件，全局 {len(acc)} 件，"
                    f"差 {len(acc) - int(on_roster.sum())} 件，均为名册外或未分流的案件。"
                ),
                numbers={"roster": int(on_roster.sum()), "global": len(acc)},
                case_ids=_ids(acc[~on_roster]),
            )
        )

    closed_at, reg = cohort["closed_at"], cohort["registered_at"]
    # a date-only 办结日期 on the registration day is not "before" it (the same rule as ingest)
    same_day_date_only = (closed_at == closed_at.dt.normalize()) & (
        closed_at.dt.normalize() == reg.dt.normalize()
    )
    bad_order = cohort[closed_at.notna() & (closed_at < reg) & ~same_day_date_only]
    if len(bad_order):
        findings.append(
            Finding(
                kind="closed_before_registered",
                severity="error",
                month=month,
                message=f"{len(bad_order)} 件办结时间早于登记时间。",
                numbers={"count": len(bad_order)},
                case_ids=_ids(bad_order),
            )
        )
    markup = cohort[cohort["content"].fillna("").str.contains(MARKUP_PATTERN, regex=True)]
    if len(markup):
        findings.append(
            Finding(
                kind="markup_in_text",
                month=month,
                message=f"{len(markup)} 件的登记内容含 HTML 标记或脚本（按文本显示，不会执行），请核实来源。",
                numbers={"count": len(markup)},
                case_ids=_ids(markup),
            )
        )
    dup_mask = cases["case_id"].duplicated(keep=False)
    dups = cases[dup_mask & cases.index.isin(cohort.index)]
    if len(dups):
        findings.append(
            Finding(
                kind="duplicate_id",
                severity="error",
                month=month,
                message=f"{dups['case_id'].nunique()} 个登记编号重复出现（共 {len(dups)} 行）。",
                numbers={"ids": int(dups["case_id"].nunique()), "rows": len(dups)},
                case_ids=tuple(sorted(set(dups["case_id"].astype(str)))),
            )
        )
    return findings


def ingest_findings(rejected: pd.DataFrame) -> list[Finding]:
    """Rows set aside at ingest, one finding per reason with the files and lines."""
    findings = []
    if rejected is None or rejected.empty:
        return findings
    for reason, group in rejected.groupby("reason", sort=True):
        where = "；".join(
            f"{f} 第 {int(line)} 行"
            for f, line in zip(group["source_file"], group["source_line"], strict=True)
        )
        findings.append(
            Finding(
                kind="set_aside",
                severity="info" if str(reason) == REASON_TOTAL else "warning",
                message=f"导入时剔除 {len(group)} 行：{reason}（{where}）。",
                numbers={"rows": len(group)},
                case_ids=tuple(str(c) for c in group["case_id"].dropna()),
            )
        )
    return findings
