"""Reconciliation checks: findings that say where numbers do not add up, and which cases are behind.

Findings are plain data (kind, message, numbers, case ids) so the notebook can render them and the
CLI can print them. The checks report inconsistencies; they never correct them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from kwstats.exceptions import ParamsError
from kwstats.indicators import (
    COUNT_COLUMNS,
    GLOBAL_UNIT,
    TABLE_LABELS,
    accepted_cases,
    closed_by,
    default_cutoff,
    month_cohort,
)
from kwstats.ingest import REASON_TOTAL
from kwstats.labels import EXPORT_LABELS
from kwstats.masking import mask_text
from kwstats.params import Branch, RosterEntry
from kwstats.rates import closure_rate, format_rate

if TYPE_CHECKING:
    from kwstats.deadlines import DeadlineRules

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
    "due_mismatch": "到期日不符",
    "due_unchecked": "到期日未核对",
    "calendar_missing": "日历未覆盖",
    "empty_month": "本月无案件",
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
                severity="info" if str(reason) == REASON_TOTAL else "warning",
                message=f"导入时剔除 {len(group)} 行：{reason}（{where}）。",
                numbers={"rows": len(group)},
                case_ids=tuple(str(c) for c in group["case_id"].dropna()),
            )
        )
    return findings


# ---------------------------------------------------------------------------------------------
# cases off the roster: a share of the month, loud when large


class OffRosterError(ParamsError):
    """An official run for a month whose accepted cases mostly miss the roster (a draft still builds).

    A params problem (the roster lacks the names the export uses), so a usage error like the others.
    """


@dataclass(frozen=True)
class OffRosterShare:
    """How much of the month's 受理量 no roster row counts, and the names behind it."""

    month: str
    accepted: int
    off_roster: int  # accepted cases in no roster row: unit names not on the roster, or no unit
    unassigned: int  # of which without any unit
    names: dict[str, int]  # unmatched unit names (masked) -> accepted cases, most first
    share: float  # off_roster / accepted (0.0 when nothing was accepted)
    warn: bool  # share above branch.off_roster_warn_share
    stop: bool  # share above branch.off_roster_stop_share: the official run stops
    message: str  # the Chinese warning ("" unless warn): names, and the roster lines to paste


_YAML_PLAIN = re.compile(r"^[^\s,:\[\]{}#&*!|>'\"%@`?-][^,:\[\]{}#]*(?<!\s)$")


def _yaml_item(text: str) -> str:
    """A name as an item of a YAML flow list: plain when safe, else double-quoted."""
    return text if _YAML_PLAIN.match(text) else json.dumps(text, ensure_ascii=False)


def _roster_line(entry: RosterEntry, aliases: list[str]) -> str:
    items = ", ".join(_yaml_item(a) for a in aliases)
    return f"  - {{seq: {entry.seq}, unit: {_yaml_item(entry.unit)}, aliases: [{items}]}}"


def _guess_entry(name: str, branch: Branch) -> RosterEntry | None:
    """The roster unit a full name most likely means: the one whose short name, without its last
    character (所/科/办), the name contains (站前所 → 站前 in 宽城分局站前市场监督管理所); None if not one."""
    hits = [e for e in branch.roster if len(e.unit) >= 3 and e.unit[:-1] in name]
    if not hits:  # 监管一科 in 宽城分局市场监管一科
        hits = [e for e in branch.roster if len(e.unit) >= 2 and e.unit in name]
    return hits[0] if len(hits) == 1 else None


def off_roster_share(
    cases: pd.DataFrame,
    branch: Branch,
    month: str,
    cutoff: pd.Timestamp | None = None,
    *,
    top: int = 10,
    official: bool = True,
) -> OffRosterShare:
    """The share of the month's accepted cases that no roster row counts, the unmatched names, and
    when it passes ``branch.off_roster_warn_share`` a Chinese warning naming them with the roster
    lines (aliases) to paste into params/branch.yaml.

    Unit names were already matched against the roster and its aliases at ingest; what is left here
    is what no alias covers. `top` limits the names listed in the message. Cases without any unit
    are no alias problem: the message says the export lacks their unit. `official`: the message is
    for an official run (which stops above the stop share); otherwise it says an official run would.
    """
    cutoff = default_cutoff(month) if cutoff is None else cutoff
    acc = accepted_cases(month_cohort(cases, month, cutoff))
    units = acc["unit"].astype("object")
    on_roster = units.isin(branch.units)
    unassigned = int(units.isna().sum())
    off = units[~on_roster & units.notna()].map(lambda u: mask_text(str(u)))
    names = {str(k): int(v) for k, v in off.value_counts().items()}
    n_off = int((~on_roster).sum())
    share = n_off / len(acc) if len(acc) else 0.0
    warn = share > branch.off_roster_warn_share
    stop = share > branch.off_roster_stop_share
    message = ""
    if warn:
        shown = list(names.items())[:top]
        listed = "、".join(f"“{n}” {c} 件" for n, c in shown)
        if len(names) > top:
            listed += f" 等 {len(names)} 个名称"
        message = (
            f"{month} 受理 {len(acc)} 件中有 {n_off} 件（{100 * share:.0f}%）不在名册的任何单位下，"
            f"单位表里只计入全局，各单位的数字因此偏少甚至为零。"
        )
        if names:
            message += f"未匹配的承办单位：{listed}。"
        if unassigned:
            unit_headers = "、".join(branch.headers.get("unit", [])[:2]) or "承办单位"
            message += (
                f"没有承办单位的 {unassigned} 件：导出中这些件的 {unit_headers} 一栏为空（或导出没有这一列），"
                f"这不是别名的问题，请在平台导出时带上并填好承办单位，再重新导出。"
            )
        by_entry: dict[int, list[str]] = {}
        unknown: list[str] = []
        for name, _ in shown:
            entry = _guess_entry(name, branch)
            if entry is None:
                unknown.append(name)
            else:
                by_entry.setdefault(entry.seq, []).append(name)
        if by_entry:
            lines = [
                _roster_line(e, [*e.aliases, *by_entry[e.seq]]) for e in branch.roster if e.seq in by_entry
            ]
            message += (
                "如果这些是名册单位的其他写法，请在 params/branch.yaml 的 roster 中把对应单位的行改为："
                + "；".join(lines)
                + "。"
            )
        if unknown:
            message += (
                f"{'、'.join(f'“{n}”' for n in unknown)} 看不出是哪个名册单位：如是，请加到该单位的 aliases 中"
                f"（例如 {_roster_line(branch.roster[0], [*branch.roster[0].aliases, unknown[0]]).strip()}）；"
                f"如确实不在名册中，可不理会。"
            )
        if stop:
            limit = (
                f"名册外的比例超过 {100 * branch.off_roster_stop_share:.0f}%（params/branch.yaml 的 "
                f"off_roster_stop_share）"
            )
            fix = (
                "补上别名"
                if names and not unassigned
                else "补上承办单位"
                if not names
                else "补上别名和承办单位"
            )
            if official:
                message += f"{limit}，正式通报不予生成；{fix}后重新运行，或用 --draft 生成草稿。"
            else:
                message += f"{limit}：{fix}之前，正式通报不会生成（草稿和核对不受影响）。"
    return OffRosterShare(
        month=month,
        accepted=len(acc),
        off_roster=n_off,
        unassigned=unassigned,
        names=names,
        share=share,
        warn=warn,
        stop=stop,
        message=message,
    )


# ---------------------------------------------------------------------------------------------
# the platform's own due date (到期时间) against the computed deadlines

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
