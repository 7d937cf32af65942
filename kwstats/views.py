"""The analyst's tables over a computed :class:`~kwstats.report.Report`: case rows behind a number,
rows read and set aside, deadlines. Plain DataFrames with Chinese headers (kwstats.labels); no HTML
(kwstats.page renders) and no counting of its own beyond selecting rows.

For change over time, spikes, thresholds and categories the notebook calls kwstats.investigate
directly with the report's cases, month and cutoff.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from kwstats import checks, indicators, investigate, labels, setaside
from kwstats.deadlines import deadline_view
from kwstats.ingest import IngestResult
from kwstats.masking import mask_series
from kwstats.period import Period
from kwstats.report import Report

DRILL_COLUMNS: dict[str, str] = {f: labels.case_label(f) for f in labels.DRILL_FIELDS}
_DRILL_TEXT = ("unit", "stage", "channel", "goods_category", "problem_category", "respondent", "content")
_DRILL_TIMES = ("registered_at", "accepted_at", "first_contact_at", "verified_at", "closed_at")
REJECTED_LABELS = {
    "source_file": "来源文件",
    "source_line": "行号",
    "column": "列",
    "value": "值",
    "reason": "原因",
    "case_id": "登记编号",
}


def drill_view(rows: pd.DataFrame, cutoff: pd.Timestamp | None = None) -> pd.DataFrame:
    """Case rows with Chinese column labels and only non-personal columns (text masked again).

    With a cutoff, events after it are blanked: the rows show the state the number was taken at.
    Times stay times (datetime64, NaT when blank), so the analyst can sort and filter them.
    """
    out = rows[[c for c in DRILL_COLUMNS if c in rows]].copy()  # a frame made by hand may have fewer
    times = [c for c in _DRILL_TIMES if c in out]
    if cutoff is not None:
        for col in times[1:]:
            out[col] = out[col].where(~(out[col] > cutoff))
    # every text column again (belt and braces); the case id is the key and stays as ingest kept it
    for col in (c for c in (*_DRILL_TEXT, "source_file") if c in out):
        out[col] = mask_series(out[col])
    return out.rename(columns=DRILL_COLUMNS).reset_index(drop=True)


def behind(report: Report, unit: str | None, column: str) -> pd.DataFrame:
    """The case rows behind one cell of the unit table, as the page shows it: `unit` a roster name or
    全局/None, `column` the header on the page (受理量, 举报办结 …) or its field name (accepted …)."""
    field = labels.field_from_label(column)
    rows = indicators.cases_behind(report.cases, report.month, report.cutoff, unit, field)
    return drill_view(rows, report.cutoff)


def cases_of(report: Report, finding: checks.Finding) -> pd.DataFrame:
    """The case rows behind one finding (masked view)."""
    return first_cases_of(report, finding)[0]


def first_cases_of(
    report: Report, finding: checks.Finding, first: int | None = None
) -> tuple[pd.DataFrame, int]:
    """The first `first` case rows behind one finding (masked view; all with None) and how many
    there are: a page that embeds a few rows masks only those (masking is what costs at volume)."""
    rows = report.cases[report.cases["case_id"].isin(set(finding.case_ids))]
    return drill_view(rows if first is None else rows.head(first), report.cutoff), len(rows)


def pending_view(report: Report) -> pd.DataFrame:
    """办理中: the month's accepted cases still open at the cutoff."""
    return drill_view(indicators.pending_cases(report.cases, report.month, report.cutoff), report.cutoff)


def ingest_summary(ingest: IngestResult) -> pd.DataFrame:
    """One row per file read: format, encoding, rows read = used + set aside, of which total rows."""
    rows = [
        {
            "文件": f.source,
            "格式": f.format,
            "编码": f.encoding or "",
            "读入行": f.rows_read,
            "使用行": f.rows_used,
            "剔除行": f.rows_set_aside,
            "其中合计行": f.total_rows,
        }
        for f in ingest.files
    ]
    return pd.DataFrame(rows)


def rejected_view(ingest: IngestResult, period: Period | str | None = None) -> pd.DataFrame:
    """The problem rows set aside at ingest, with Chinese headers (values are masked by ingest).

    The files' 合计行 are not problems and are not listed (:func:`total_rows_note` counts them).
    With a period, the month's own rows come first and a column 归属 says 本月 or 其他月份.
    """
    rejected = ingest.rejected
    if rejected is None or not len(rejected):
        return pd.DataFrame(columns=list(REJECTED_LABELS.values()))
    bad = setaside.problem_rows(rejected)
    if period is not None:
        mine, history = setaside.split_set_aside(ingest, period)
        bad = pd.concat([mine.assign(归属="本月"), history.assign(归属="其他月份")])
    return bad.rename(columns=REJECTED_LABELS).reset_index(drop=True)


def total_rows_note(ingest: IngestResult) -> str:
    """One line for the files' trailing total rows (合计行), set aside by rule and not listed ("" if none)."""
    totals = setaside.total_rows(ingest.rejected)
    if totals is None or not len(totals):
        return ""
    files = totals["source_file"].astype(str).nunique()
    return f"另有 {len(totals)} 行是导出文件末尾的合计行（{files} 个文件），按规则剔除，不逐行列出。"


def deadline_summary(report: Report) -> pd.DataFrame:
    """Cases per deadline and status (rows: deadlines; columns: Chinese status labels)."""
    ev = report.deadlines
    if ev.empty:
        return pd.DataFrame()
    counts = pd.crosstab(ev["label"].astype(str), ev["status_label"].astype(str))
    counts.index.name = "期限"
    counts.columns.name = None
    return counts.reset_index()


def overdue_view(report: Report) -> pd.DataFrame:
    """Cases past a deadline (late or still open past it) and those the calendar cannot judge."""
    return deadline_view(pd.concat([report.overdue, report.calendar_missing]))


@dataclass(frozen=True, eq=False)
class Investigation:
    """What the analyst's page lists, links and exports for one month, computed once."""

    spikes: tuple[checks.Finding, ...]  # spikes of the month, or why the month was not tested
    breaches: tuple[checks.Finding, ...]  # roster units under the closure-rate threshold
    history: pd.DataFrame  # investigate.threshold_history: the rates of the last 12 months
    findings: tuple[checks.Finding, ...]  # every finding in page order (numbered from 1)


def investigation(report: Report) -> Investigation:
    """The month's findings in page order: the reconciliation checks (rows set aside are the
    ingest section's), spikes, threshold breaches, overdue cases; with the threshold history."""
    cases, branch, key, cut, past = (
        report.cases,
        report.branch,
        report.month,
        report.cutoff,
        report.aggregates,
    )
    spikes = investigate.spikes(cases, key, aggregates=past, cutoff=cut)
    breaches = investigate.threshold_breaches(cases, branch, key, cutoff=cut, aggregates=past)
    history = investigate.threshold_history(cases, branch, key, cutoff=cut, aggregates=past)
    checked = [f for f in report.findings if f.kind != "set_aside"]
    findings = (*checked, *spikes, *breaches, *report.overdue_findings)
    return Investigation(tuple(spikes), tuple(breaches), history, findings)


def investigation_findings(report: Report) -> list[checks.Finding]:
    """Spikes, threshold breaches and overdue cases of the month, as findings (what check lists)."""
    found = investigation(report)
    return [*found.spikes, *found.breaches, *report.overdue_findings]
