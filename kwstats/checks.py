"""Reconciliation checks: findings that say where numbers do not add up, and which cases are behind.

Findings are plain data (kind, message, numbers, case ids) so the notebook can render them and the
CLI can print them. The checks report inconsistencies; they never correct them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kwstats.indicators import (
    COUNT_COLUMNS,
    GLOBAL_UNIT,
    TABLE_LABELS,
    accepted_cases,
    closed_by,
    month_cohort,
)
from kwstats.params import Branch
from kwstats.rates import closure_rate, format_rate

KIND_LABELS = {
    "off_roster": "名册外单位",
    "unassigned": "未分流",
    "roster_gap": "全局与名册差额",
    "closed_before_registered": "办结早于登记",
    "duplicate_id": "编号重复",
    "markup_in_text": "内容含标记",
    "closed_more_than_accepted": "办结多于受理",
    "rate_mismatch": "办结率不符",
    "global_below_units": "全局小于单位合计",
    "units_below_global": "单位合计小于全局",
    "cell_mismatch": "与公布表不符",
    "set_aside": "导入剔除",
    "spike": "异常波动",
    "spike_skipped": "波动未判断",
    "threshold": "低于阈值",
    "overdue": "超期",
}
SEVERITY_LABELS = {"error": "错误", "warning": "注意", "info": "信息"}
MARKUP_PATTERN = r"<\s*[A-Za-z/!]"
PUBLISHED_COLUMNS = ("seq", "unit", *COUNT_COLUMNS, "closure_rate_pct")


@dataclass(frozen=True)
class Finding:
    """One thing an analyst should look at."""

    kind: str  # a stable code for scripts; KIND_LABELS gives the Chinese name
    message: str
    unit: str | None = None
    month: str | None = None
    numbers: dict[str, Any] = field(default_factory=dict)
    case_ids: tuple[str, ...] = ()
    severity: str = "warning"  # "error" for impossible data, "warning" for anomalies, "info"

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "unit": self.unit,
            "month": self.month,
            "message": self.message,
            "numbers": dict(self.numbers),
            "case_ids": list(self.case_ids),
        }


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """Findings as a table for display (case ids shortened to a count and the first few)."""
    rows = []
    for f in findings:
        ids = list(f.case_ids)
        rows.append(
            {
                "类别": KIND_LABELS.get(f.kind, f.kind),
                "级别": SEVERITY_LABELS.get(f.severity, f.severity),
                "单位": f.unit or "",
                "说明": f.message,
                "涉及件数": len(ids),
                "案件编号（前 5 个）": "、".join(ids[:5]),
            }
        )
    return pd.DataFrame(rows, columns=["类别", "级别", "单位", "说明", "涉及件数", "案件编号（前 5 个）"])


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


def check_table(table: pd.DataFrame, rule: str = "truncate", source: str = "表") -> list[Finding]:
    """Internal consistency of a unit table (published or computed).

    Reports: a printed rate that the row's own numbers do not give under `rule`; closed more
    than accepted; 全局 smaller than the sum of the units (impossible); 全局 larger than the
    sum of the units (cases outside the roster, one finding for all columns).
    """
    findings: list[Finding] = []
    is_global = table["unit"] == GLOBAL_UNIT
    for _, row in table.iterrows():
        accepted, closed = int(row["accepted"]), int(row["closed"])
        unit = str(row["unit"])
        printed = row["closure_rate_pct"]
        if (
            closed > accepted
            or int(row["reports_closed"]) > int(row["reports"])
            or int(row["complaints_closed"]) > int(row["complaints"])
        ):
            findings.append(
                Finding(
                    kind="closed_more_than_accepted",
                    severity="error",
                    unit=unit,
                    message=f"{source}中{unit}办结数大于受理数。",
                    numbers={"accepted": accepted, "closed": closed},
                )
            )
        expected = closure_rate(closed, accepted, rule)
        printed_blank = pd.isna(printed)
        if printed_blank != pd.isna(expected) or (not printed_blank and float(printed) != expected):
            findings.append(
                Finding(
                    kind="rate_mismatch",
                    severity="error",
                    unit=unit,
                    message=(
                        f"{source}中{unit}办结率印为 {format_rate(printed, rule) or '空'}，"
                        f"但 {closed}/{accepted} 按本局口径应为 {format_rate(expected, rule) or '空'}。"
                    ),
                    numbers={
                        "closed": closed,
                        "accepted": accepted,
                        "printed": printed,
                        "expected": expected,
                    },
                )
            )
    if is_global.sum() == 1:
        global_row = table[is_global].iloc[0]
        units = table[~is_global]
        excess, deficit = {}, {}
        for col in COUNT_COLUMNS:
            diff = int(global_row[col]) - int(units[col].astype(int).sum())
            if diff > 0:
                excess[col] = diff
            elif diff < 0:
                deficit[col] = diff
        for col, diff in deficit.items():
            findings.append(
                Finding(
                    kind="global_below_units",
                    severity="error",
                    unit=GLOBAL_UNIT,
                    message=(
                        f"{source}中全局{TABLE_LABELS[col]}为 {int(global_row[col])}，"
                        f"而各单位合计 {int(units[col].astype(int).sum())}，全局反而少 {-diff}。"
                    ),
                    numbers={
                        "column": col,
                        "global": int(global_row[col]),
                        "units_sum": int(units[col].astype(int).sum()),
                    },
                )
            )
        if excess:
            parts = "，".join(f"{TABLE_LABELS[c]}差 {d}" for c, d in excess.items())
            findings.append(
                Finding(
                    kind="units_below_global",
                    severity="warning",
                    unit=GLOBAL_UNIT,
                    message=(
                        f"{source}中各单位受理量合计 {int(units['accepted'].astype(int).sum())}，"
                        f"全局 {int(global_row['accepted'])}：{parts}（名册外单位的案件）。"
                    ),
                    numbers={"excess": excess},
                )
            )
    return findings


def compare_tables(published: pd.DataFrame, computed: pd.DataFrame, rule: str = "truncate") -> list[Finding]:
    """Every cell where a published table and the computation disagree (matched by unit name)."""
    findings: list[Finding] = []
    comp = computed.set_index("unit")
    for _, row in published.iterrows():
        unit = str(row["unit"])
        if unit not in comp.index:
            findings.append(
                Finding(kind="cell_mismatch", unit=unit, message=f"公布表中的“{unit}”不在计算结果中。")
            )
            continue
        for col in (*COUNT_COLUMNS, "closure_rate_pct"):
            pub, calc = row[col], comp.at[unit, col]
            if pd.isna(pub) and pd.isna(calc):
                continue
            if pd.isna(pub) or pd.isna(calc) or float(pub) != float(calc):
                if col == "closure_rate_pct":
                    shown_pub, shown_calc = format_rate(pub, rule) or "空", format_rate(calc, rule) or "空"
                else:
                    shown_pub, shown_calc = str(int(pub)), str(int(calc))
                findings.append(
                    Finding(
                        kind="cell_mismatch",
                        severity="error",
                        unit=unit,
                        message=f"{unit}的{TABLE_LABELS[col]}：公布 {shown_pub}，计算 {shown_calc}。",
                        numbers={"column": col, "published": pub, "computed": calc},
                    )
                )
    return findings


def read_published_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Normalise a published table (the reference CSV's columns) to the computed table's dtypes."""
    by_label = {label: key for key, label in TABLE_LABELS.items()}
    frame = frame.rename(columns=lambda c: by_label.get(str(c).strip(), str(c).strip()))
    missing = [c for c in PUBLISHED_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(
            f"公布表缺少列：{'、'.join(TABLE_LABELS[c] for c in missing)}；表头应为"
            f" {','.join(PUBLISHED_COLUMNS)} 或 {','.join(TABLE_LABELS[c] for c in PUBLISHED_COLUMNS)}"
        )
    out = frame[list(PUBLISHED_COLUMNS)].copy()
    out["seq"] = out["seq"].astype(str)
    out["unit"] = out["unit"].astype(str)
    for col in COUNT_COLUMNS:
        out[col] = pd.to_numeric(out[col]).astype("int64")
    rates = out["closure_rate_pct"].astype("string").str.strip().str.rstrip("%")
    out["closure_rate_pct"] = pd.to_numeric(rates, errors="coerce").astype("float64")
    return out


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
                severity="info" if str(reason) == "合计行" else "warning",
                message=f"导入时剔除 {len(group)} 行：{reason}（{where}）。",
                numbers={"rows": len(group)},
                case_ids=tuple(str(c) for c in group["case_id"].dropna()),
            )
        )
    return findings
