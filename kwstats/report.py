"""Everything one month's bulletin says, computed once from a resolved run and its cases.

:func:`build_report` only computes: the unit table, the summary and its sentences, the findings,
the deadlines, the warnings and the reasons a page is a draft, returned as a frozen
:class:`Report`. It reads nothing and renders nothing: kwstats.page turns a Report into the
official HTML, kwstats.views gives the analyst's tables, and the notebook calls kwstats.investigate
directly for change over time, spikes and thresholds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from kwstats import checks, indicators, investigate, text
from kwstats.aggregates import Aggregates, aggregates_from_cases
from kwstats.deadlines import (
    JUDGED_STATUSES,
    calendar_missing_in_period,
    calendar_missing_message,
    deadline_columns,
    evaluate_deadlines,
    on_time_rate,
    overdue_in_period,
    overdue_sentence,
)
from kwstats.ingest import IngestResult
from kwstats.ingest.headers import is_column_note
from kwstats.params import Branch, Month
from kwstats.period import CutoffLike, Period
from kwstats.preflight import preflight
from kwstats.rates import closure_rate, format_rate
from kwstats.run import Run, resolve_run
from kwstats.sources import DataSource, load_cases

DRAFT_PREVIEW = "草稿预览"  # the 【草稿】 banner's reason when nothing else makes the page a draft
# Optional export columns whose absence must change what the bulletin says.
OPTIONAL_SOURCES = {"urges": "催办次数", "recovered_loss": "挽回经济损失", "epidemic": "是否涉疫"}
_TOP_BY = {"问题分类": "problem_category", "客体分类": "goods_category", "来源渠道": "channel"}
# 按时初查率 / 按期办结率 and the deadlines each pools
ON_TIME_RATES: dict[str, tuple[str, ...]] = {
    "按时初查率": ("complaint_acceptance", "first_contact"),
    "按期办结率": ("mediation",),
}


@dataclass(frozen=True)
class Notice:
    """One warning of the report: what kind (so a caller can pick, never by its text) and the text."""

    # params, prose, calendar, deadlines, columns, empty, closure, off_roster, set_aside, ingest,
    # column_notes (which export columns were used or ignored: listed by check and the analyst view)
    kind: str
    message: str


@dataclass(frozen=True, eq=False)
class Report:
    """One month's bulletin, computed: numbers, sentences, findings and warnings as data."""

    run: Run
    ingest: IngestResult
    aggregates: Aggregates  # what came before the month, counted (kwstats.aggregates)
    table: pd.DataFrame
    summary: indicators.MonthSummary
    findings: tuple[checks.Finding, ...]
    deadlines: pd.DataFrame  # the month's cases × deadlines (rates, unconfirmed rules)
    overdue: pd.DataFrame  # what (五) reports: overdue at the cutoff, or done late within the month
    overdue_sentence: str
    overdue_findings: tuple[checks.Finding, ...]  # one per deadline and unit, and the calendar's
    on_time: pd.DataFrame  # 按时初查率 / 按期办结率 with the counts behind them
    calendar_missing: pd.DataFrame  # rows (五) cannot judge because the calendar lacks a year
    calendar_message: str | None  # the one message saying so
    recorded_fields: tuple[str, ...]  # canonical fields some export actually carried
    text: MappingProxyType  # the computed sentences, by section (see `sentences`)
    window_sentences: tuple[str, ...]  # cumulative windows whose flag column the exports carry
    extra_indicators: tuple[str, ...]  # (六) 其他指标, when the branch switches them on
    draft_reasons: tuple[str, ...]  # why this page must not pass for an official bulletin
    notices: tuple[Notice, ...]

    @property
    def period(self) -> Period:
        return self.run.period

    @property
    def month(self) -> str:
        """The month's key, ``2022-01``."""
        return self.run.period.key

    @property
    def cutoff(self) -> pd.Timestamp:
        return self.run.period.cutoff

    @property
    def branch(self) -> Branch:
        return self.run.branch

    @property
    def month_params(self) -> Month:
        return self.run.params.month

    @property
    def cases(self) -> pd.DataFrame:
        return self.ingest.cases

    @property
    def is_sample(self) -> bool:
        """Computed from the shipped synthetic sample: the page says 演示."""
        return self.run.sample

    @property
    def warnings(self) -> tuple[str, ...]:
        return tuple(n.message for n in self.notices)

    def sentences(self) -> dict[str, str]:
        """The computed sentences, by section: overall, windows, reports, complaints, closed,
        overdue, table_title, table_note, period, consultations."""
        return dict(self.text)


def build_report(
    run: Run | str,
    ingest: IngestResult | None = None,
    *,
    data: Sequence[str | Path] | None = None,
    params_dir: str | Path | None = None,
    cutoff: CutoffLike = None,
    official: bool = False,
) -> Report:
    """Compute every part of the run's bulletin from its cases.

    The notebook and the CLI pass a resolved :class:`~kwstats.run.Run` and the cases read for it.
    Called with a month instead (an API entry point, like the CLI's), the run is resolved here by
    :func:`~kwstats.run.resolve_run` from `data`, `params_dir`, `cutoff` and `official`, and the
    cases are read unless `ingest` is given (whose provenance is then unknown: no 演示 banner).

    An official run refuses what would make a misleading official page (no params file for the
    month, a typical case copied from an earlier month, no case at all, most cases off the roster);
    otherwise such a report is built and marked 【草稿】.
    """
    if not isinstance(run, Run):
        source = DataSource(tuple(Path(p) for p in data or ())) if ingest is not None else data
        run = resolve_run(run, cutoff=cutoff, data=source, params_dir=params_dir, official=official)
    if ingest is None:
        ingest = load_cases(run.branch, run.data)
    return _compute(run, ingest)


def _compute(run: Run, ingest: IngestResult) -> Report:
    params, period, branch = run.params, run.period, run.branch
    key, cut = period.key, period.cutoff
    cases = ingest.cases
    notices: list[Notice] = []
    if not params.has_month_file:
        notices.append(
            Notice(
                "params", f"没有本月参数文件 {params.month_file}：通报只含计算部分，无说明文字和典型案例。"
            )
        )
    elif params.month.typical_case is None:
        notices.append(Notice("params", "本月参数未提供典型案例：通报不含“典型案例”一节。"))
    notices += [Notice("prose", m) for m in params.prose.errors + params.prose.warnings]
    checked = preflight(run, ingest)  # an official run without cases or off the roster stops here
    aggregates = month_aggregates(run, ingest)
    table = indicators.unit_table(cases, branch, key, cut)
    summary = indicators.summarize(cases, branch, key, cut, table=table, aggregates=aggregates)
    findings = checks.reconcile(cases, branch, key, cut) + checks.ingest_findings(ingest.rejected)
    recorded = tuple(sorted({field for f in ingest.files for field in f.columns}))

    # (五): only cases still open at the month's start can be overdue now or done late within the month
    open_at_start = cases["closed_at"].isna() | (cases["closed_at"] >= period.start)
    so_far = cases.loc[  # only the columns judging reads: the texts of ~10⁵ rows are not copied
        (cases["registered_at"] <= cut) & open_at_start, deadline_columns(cases, params.rules)
    ]
    evaluation_all = evaluate_deadlines(
        so_far, params.rules, params.calendar, cut, recorded_fields=list(recorded)
    )
    in_month = (evaluation_all["registered_at"] >= period.start).to_numpy()
    evaluation = evaluation_all[in_month].reset_index(drop=True)
    overdue = overdue_in_period(evaluation_all, period.start, cut)
    unconfirmed = evaluation[evaluation["status"] == "unconfirmed"]
    no_calendar = calendar_missing_in_period(evaluation_all, period.start, cut)  # a year not in the calendar
    sentence = overdue_sentence(
        pd.concat([overdue, unconfirmed, no_calendar]),
        unit_order=branch.units,
        judged=bool(evaluation_all["status"].isin(JUDGED_STATUSES).any()),
    )
    calendar_message = calendar_missing_message(no_calendar, params.calendar)
    if calendar_message:
        notices.append(Notice("calendar", calendar_message))
    judged = evaluation["status"].isin(JUDGED_STATUSES).any()
    if summary.accepted and not judged and overdue.empty and unconfirmed.empty and no_calendar.empty:
        sentence = f"本月 {summary.accepted} 件因导出缺少受理、联系、核查或办结时间，未能判断是否超期。"
        notices.append(Notice("deadlines", "导出缺少办理各环节的时间列，超期情况无法判断。"))

    # Say what the data cannot support instead of printing a confident zero.
    missing = [label for fld, label in OPTIONAL_SOURCES.items() if fld not in recorded]
    if missing:
        notices.append(
            Notice("columns", f"导出中没有这些列：{'、'.join(missing)}；通报中相应的句子已改为说明未统计。")
        )
    if checked.empty:
        notices.append(Notice("empty", checked.empty))
    if summary.closure_note:  # closures from the stage at the export, or unknown
        notices.append(Notice("closure", summary.closure_note))
    if checked.roster.warn:
        notices.append(Notice("off_roster", checked.roster.message))
    if "due_at" in recorded:  # the platform's 到期时间 against the computed deadlines
        findings += checks.due_date_findings(
            checks.due_date_check(cases, evaluation, branch, rules=params.rules), key
        )
    draft_reasons = []
    if checked.roster.stop:
        draft_reasons.append("本月多数案件的承办单位不在名册中")
    if not params.has_month_file:
        draft_reasons.append("缺少本月说明文字")
    if summary.accepted == 0:
        draft_reasons.append("本月没有案件")
    draft_reasons.extend(params.prose.draft_reasons)
    if run.preview and not draft_reasons:  # a --draft bulletin never passes for the official one
        draft_reasons.append(DRAFT_PREVIEW)
    if checked.set_aside:
        notices.append(Notice("set_aside", checked.set_aside))
    # which columns were used or ignored: the analyst view and `check` list them, a bulletin run sums up
    notices += [Notice("column_notes" if is_column_note(w) else "ingest", w) for w in ingest.warnings]

    windows = _window_sentences(summary, branch, recorded, aggregates.first_registered)
    on_time = on_time_rates(evaluation, branch.rate_rule)
    sentences = {
        "overall": text.overall_sentence(
            summary,
            branch,
            urges_recorded="urges" in recorded,
            loss_recorded="recovered_loss" in recorded,
            period=period,
        ),
        "windows": "".join(windows),
        "reports": text.reports_sentence(summary, branch.rate_rule, period),
        "complaints": text.complaints_sentence(summary, branch.rate_rule, period),
        "closed": text.closed_sentence(summary, period),
        "overdue": sentence,
        "table_title": text.table_title(period),
        "table_note": text.table_note(summary, branch, period),
        "period": text.period(period),
        "consultations": text.consultation_note(summary),
    }
    return Report(
        run=run,
        ingest=ingest,
        aggregates=aggregates,
        table=table,
        summary=summary,
        findings=tuple(findings),
        deadlines=evaluation,
        overdue=overdue,
        overdue_sentence=sentence,
        overdue_findings=tuple(_overdue_findings(overdue, no_calendar, calendar_message, key)),
        on_time=on_time,
        calendar_missing=no_calendar,
        calendar_message=calendar_message,
        recorded_fields=recorded,
        text=MappingProxyType(sentences),
        window_sentences=tuple(windows),
        extra_indicators=tuple(_extra_indicators(run, cases, on_time, aggregates)),
        draft_reasons=tuple(draft_reasons),
        notices=tuple(notices),
    )


def month_aggregates(run: Run, ingest: IngestResult) -> Aggregates:
    """The aggregates of the run's month: those the ingest brought (made by the store's SQL for a
    scoped read), else counted from its cases (kwstats.aggregates)."""
    given = ingest.aggregates
    if given is not None:
        given.check(run.period.key, run.period.cutoff)
        return given
    return aggregates_from_cases(ingest.cases, run.period, run.branch.cumulative_windows)


def _window_sentences(
    summary: indicators.MonthSummary,
    branch: Branch,
    recorded: tuple[str, ...],
    data_start: pd.Timestamp | None = None,
) -> list[str]:
    """Cumulative-window sentences, only for windows whose flag column the exports carry; `data_start`
    (the first registration in the data) lets a window that opened before the data say so."""
    kept = {w.key for w in branch.cumulative_windows if w.flag in recorded}
    windows = tuple(w for w in summary.windows if w.key in kept)
    return text.window_sentences(replace(summary, windows=windows), branch.rate_rule, data_start)


def _overdue_findings(
    overdue: pd.DataFrame, no_calendar: pd.DataFrame, calendar_message: str | None, month: str
) -> list[checks.Finding]:
    """One finding per deadline and unit of what (五) reports, and one for the calendar's gap."""
    out = []
    for (label, unit), rows in overdue.groupby(
        [overdue["label"].astype(str), overdue["unit"].astype(str)], sort=True
    ):
        statuses = "、".join(rows["status_label"].astype(str).unique())
        out.append(
            checks.Finding(
                kind="overdue",
                unit=unit,
                month=month,
                message=f"{unit}{label}超期 {rows['case_id'].nunique()} 件（{statuses}）。",
                numbers={"count": int(rows["case_id"].nunique())},
                case_ids=tuple(rows["case_id"].astype(str).unique()),
            )
        )
    if calendar_message:
        out.append(
            checks.Finding(
                kind="calendar_missing",
                month=month,
                message=calendar_message,
                numbers={"count": int(no_calendar["case_id"].nunique())},
                case_ids=tuple(no_calendar["case_id"].astype(str).unique()),
            )
        )
    return out


def on_time_rates(deadlines: pd.DataFrame, rule: str) -> pd.DataFrame:
    """按时初查率 / 按期办结率 and the counts behind them (analyst view; switchable into the bulletin)."""
    rows = []
    for label, keys in ON_TIME_RATES.items():
        r = on_time_rate(deadlines, list(keys))
        rate = closure_rate(r.met, r.decided, rule)
        rows.append(
            {
                "指标": label,
                "按期": r.met,
                "超期": r.late + r.overdue,
                "已判定": r.decided,
                "比率": format_rate(rate, rule),
            }
        )
    return pd.DataFrame(rows)


def _extra_indicators(
    run: Run, cases: pd.DataFrame, on_time: pd.DataFrame, aggregates: Aggregates
) -> list[str]:
    """(六) 其他指标: one sentence per indicator the branch switched into the official bulletin."""
    chosen = run.branch.official_extra_indicators
    if not chosen:
        return []
    key, cut = run.period.key, run.period.cutoff
    rates = on_time.set_index("指标")
    out = []
    for name in chosen:
        if name in rates.index:
            r = rates.loc[name]
            out.append(f"{name} {str(r['比率']) or '—'}（按期 {r['按期']} 件，已判定 {r['已判定']} 件）。")
        elif name == "同比环比":
            out.append(investigate.volume_change(cases, key, cutoff=cut, aggregates=aggregates)["message"])
        elif name in _TOP_BY:
            top = investigate.top_categories(cases, key, _TOP_BY[name], n=5, cutoff=cut)
            label_col = top.columns[0]
            items = "、".join(
                f"{row[label_col]} {row['件数']} 件（{row['占比(%)']:.1f}%）" for _, row in top.iterrows()
            )
            out.append(f"{name}前五：{items}。")
    return out
