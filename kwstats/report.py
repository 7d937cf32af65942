"""Everything one month's bulletin shows, computed once: the notebook's single entry point.

`build_report` reads the data, computes the table, the sentences, the checks and the deadlines;
the notebook only displays what a `Report` returns. All HTML made here escapes export text.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from kwstats import checks, indicators, tables, text
from kwstats.exceptions import EmptyMonthError
from kwstats.params import DEFAULT_PARAMS_DIR, Branch, Month, load_branch, load_month, normalize_month
from kwstats.sample_files import DEFAULT_SAMPLE_DIR

log = logging.getLogger(__name__)

# Columns an analyst sees when drilling down: no personal data exists in the case table at all,
# and content/respondent were masked at ingest.
# Optional export columns whose absence must change what the bulletin says.
OPTIONAL_SOURCES = {"urges": "催办次数", "recovered_loss": "挽回经济损失", "epidemic": "是否涉疫"}

DRILL_COLUMNS = {
    "case_id": "登记编号",
    "kind": "类型",
    "unit": "承办单位",
    "registered_at": "登记时间",
    "accepted_at": "受理时间",
    "closed_at": "办结时间",
    "channel": "来源",
    "goods_category": "客体分类",
    "problem_category": "问题分类",
    "recovered_loss": "挽回损失(元)",
    "respondent": "被投诉/举报方",
    "content": "内容（已脱敏）",
    "source_file": "来源文件",
    "source_line": "行号",
}


@dataclass
class Report:
    """One month's bulletin, computed."""

    month: str
    cutoff: pd.Timestamp
    branch: Branch
    month_params: Month
    ingest: object  # kwstats.ingest.IngestResult
    table: pd.DataFrame
    summary: indicators.MonthSummary
    findings: list[checks.Finding]
    deadlines: pd.DataFrame  # the month's cases × deadlines (rates, unconfirmed rules)
    overdue: pd.DataFrame  # what (五) reports: overdue at the cutoff, or done late within the month
    overdue_sentence: str
    recorded_fields: tuple[str, ...] = ()
    # rows (五) cannot judge because the calendar lacks a year, and the one message saying so
    calendar_missing: pd.DataFrame = field(default_factory=pd.DataFrame)
    calendar_message: str | None = None  # canonical fields some export actually carried
    is_sample: bool = False  # computed from the shipped synthetic sample
    draft_reasons: tuple[str, ...] = ()  # why this page must not pass for an official bulletin
    warnings: list[str] = field(default_factory=list)

    @property
    def cases(self) -> pd.DataFrame:
        return self.ingest.cases

    # ---- official sections -------------------------------------------------------------
    def write_table_xlsx(self, out_dir: str | Path) -> Path:
        """The unit table as a formatted xlsx, next to the bulletin."""
        s = self.summary
        return tables.write_table_xlsx(
            self.table,
            Path(out_dir) / "table.xlsx",
            title=text.table_title(self.month),
            note=text.table_note(s, self.branch),
            rule=self.branch.rate_rule,
            threshold=self.branch.closure_rate_threshold,
        )

    def sentences(self) -> dict[str, str]:
        """The computed sentences, by section (used by the HTML and by tests)."""
        rule = self.branch.rate_rule
        s = self.summary
        return {
            "overall": text.overall_sentence(
                s,
                self.branch,
                urges_recorded="urges" in self.recorded_fields,
                loss_recorded="recovered_loss" in self.recorded_fields,
            ),
            "windows": "".join(self.window_sentences()),
            "reports": text.reports_sentence(s, rule),
            "complaints": text.complaints_sentence(s, rule),
            "closed": text.closed_sentence(s),
            "overdue": self.overdue_sentence,
            "table_title": text.table_title(self.month),
            "table_note": text.table_note(s, self.branch),
            "period": text.period(self.month, self.cutoff),
        }

    def window_sentences(self) -> list[str]:
        """Cumulative-window sentences, only for windows whose flag column the exports carry."""
        rule = self.branch.rate_rule
        kept = [w for w in self.branch.cumulative_windows if w.flag in self.recorded_fields]
        flags = {w.key for w in kept}
        summary = self.summary
        windows = tuple(w for w in summary.windows if w.key in flags)
        return text.window_sentences(replace(summary, windows=windows), rule)

    def introduction_html(self) -> str:
        intro = text.paragraphs_html(self.month_params.introduction or self.branch.introduction, "intro")
        banner = ""
        if self.draft_reasons:
            banner += f'<p class="kw-banner">【草稿】{html.escape("、".join(self.draft_reasons))}，不是正式通报。</p>'
        if self.is_sample:
            banner += '<p class="kw-banner">【演示】本通报由 kwstats 自带的合成样例数据生成，数字仅供演示，不是真实办件数据。</p>'

        return f'{banner}<h1 class="kw-title">工作动态解读</h1>\n{intro}'

    def analysis_html(self) -> str:
        """数据分析 (一)–(五)."""
        s = self.sentences()
        p = text.paragraphs_html
        parts = [
            '<h2>数据分析</h2><h3 class="kw-center">12315 投诉举报中心受理情况</h3>',
            "<h4>(一)总体情况</h4>",
            p([s["overall"]]),
            p(self.month_params.context),
            p(self.window_sentences()),
            "<h4>（二）12315 举报情况分析</h4>",
            p([s["reports"]]),
            "<h4>（三）12315 投诉情况分析</h4>",
            p([s["complaints"]]),
            "<h4>（四）12315 案件办结情况统计</h4>",
            p([s["closed"]]),
            "<h4>（五）12315 平台绩效考核</h4>",
            p(self.month_params.performance),
            p([s["overdue"]]),
        ]
        return "\n".join(parts)

    def table_section_html(self) -> str:
        s = self.sentences()
        table = tables.table_html(self.table, self.branch.rate_rule, self.branch.closure_rate_threshold)
        return (
            f'<section class="kw-table-section"><h3 class="kw-center">{html.escape(s["table_title"])}</h3>'
            f'{table}<p class="kw-note">{html.escape(s["table_note"])}</p></section>'
        )

    def chart(self):
        """The figure 受理、办结情况示意图 (the plot only: its caption is page text, see chart_html)."""
        from kwstats.charts import unit_chart

        return unit_chart(self.table, self.branch.closure_rate_threshold)

    def chart_html(self) -> str:
        """受理、办结情况示意图 as ``<figure>``: caption as page text, inline PNG, alt text from the table."""
        from kwstats.charts import chart_html

        return chart_html(self.table, self.branch.closure_rate_threshold)

    def typical_case_html(self) -> str:
        case = self.month_params.typical_case
        if case is None:
            return ""
        body = text.paragraphs_html(case.body)
        return (
            f'<section class="kw-case"><h3 class="kw-center">典型案例</h3>\n'
            f'<h4 class="kw-center">{html.escape(case.title)}</h4>\n{body}</section>'
        )

    def signature_html(self) -> str:
        lines = [self.branch.section, self.branch.center, self.sentences()["period"]]
        return '<div class="kw-signature">' + "".join(f"<p>{html.escape(x)}</p>" for x in lines) + "</div>"

    # ---- analyst helpers ----------------------------------------------------------------
    def ingest_summary(self) -> pd.DataFrame:
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
            for f in self.ingest.files
        ]
        return pd.DataFrame(rows)

    def consultation_note(self) -> str:
        return f"本月咨询 {self.summary.consultations} 件，另行统计，不计入受理量。"

    def rejected_view(self) -> pd.DataFrame:
        """Rows set aside at ingest, with Chinese headers (values are masked by ingest)."""
        labels = {
            "source_file": "来源文件",
            "source_line": "行号",
            "column": "列",
            "value": "值",
            "reason": "原因",
            "case_id": "登记编号",
        }
        return self.ingest.rejected.rename(columns=labels)

    def findings_frame(self) -> pd.DataFrame:
        return checks.findings_frame(self.findings)

    def deadline_summary(self) -> pd.DataFrame:
        """Cases per deadline and status (rows: deadlines; columns: Chinese status labels)."""
        ev = self.deadlines
        if ev.empty:
            return pd.DataFrame()
        counts = pd.crosstab(ev["label"].astype(str), ev["status_label"].astype(str))
        counts.index.name = "期限"
        counts.columns.name = None
        return counts.reset_index()

    def overdue_view(self) -> pd.DataFrame:
        """Cases past a deadline (late or still open past it), by unit and deadline."""
        from kwstats.deadlines import deadline_view

        return deadline_view(pd.concat([self.overdue, self.calendar_missing]))

    def on_time_rates(self) -> pd.DataFrame:
        """按时初查率 / 按期办结率 and the counts behind them (analyst view; switchable into the bulletin)."""
        from kwstats.deadlines import on_time_rate
        from kwstats.rates import closure_rate, format_rate

        rows = []
        for label, keys in (
            ("按时初查率", ["complaint_acceptance", "first_contact"]),
            ("按期办结率", ["mediation"]),
        ):
            r = on_time_rate(self.deadlines, keys)
            rate = closure_rate(r.met, r.decided, self.branch.rate_rule)
            rows.append(
                {
                    "指标": label,
                    "按期": r.met,
                    "超期": r.late + r.overdue,
                    "已判定": r.decided,
                    "比率": format_rate(rate, self.branch.rate_rule),
                }
            )
        return pd.DataFrame(rows)

    def pending_view(self) -> pd.DataFrame:
        """办理中: the month's accepted cases still open at the cutoff."""
        return drill_view(indicators.pending_cases(self.cases, self.month, self.cutoff), self.cutoff)

    def finding_cases(self, kind: str) -> pd.DataFrame:
        """The case rows behind every finding of one kind (e.g. "off_roster", "markup_in_text")."""
        ids = {i for f in self.findings if f.kind == kind for i in f.case_ids}
        return drill_view(self.cases[self.cases["case_id"].isin(ids)], self.cutoff)

    # ---- investigation (analyst-only) ----------------------------------------------------
    def spike_findings(self) -> list[checks.Finding]:
        from kwstats import investigate

        return investigate.spikes(self.cases, self.month)

    def threshold_findings(self) -> list[checks.Finding]:
        from kwstats import investigate

        return investigate.threshold_breaches(self.cases, self.branch, self.month, cutoff=self.cutoff)

    def overdue_findings(self) -> list[checks.Finding]:
        """One finding per deadline and unit of what (五) reports."""
        out = []
        for (label, unit), rows in self.overdue.groupby(
            [self.overdue["label"].astype(str), self.overdue["unit"].astype(str)], sort=True
        ):
            out.append(
                checks.Finding(
                    kind="overdue",
                    unit=unit,
                    month=self.month,
                    message=f"{unit}{label}超期 {rows['case_id'].nunique()} 件（{'、'.join(rows['status_label'].astype(str).unique())}）。",
                    numbers={"count": int(rows["case_id"].nunique())},
                    case_ids=tuple(rows["case_id"].astype(str).unique()),
                )
            )
        if self.calendar_message:
            out.append(
                checks.Finding(
                    kind="calendar_missing",
                    month=self.month,
                    message=self.calendar_message,
                    numbers={"count": int(self.calendar_missing["case_id"].nunique())},
                    case_ids=tuple(self.calendar_missing["case_id"].astype(str).unique()),
                )
            )
        return out

    def investigation_findings(self) -> list[checks.Finding]:
        """Spikes, threshold breaches and overdue cases of the month, as findings."""
        return self.spike_findings() + self.threshold_findings() + self.overdue_findings()

    def spike_breakdown(self, finding: checks.Finding) -> pd.DataFrame:
        """Where a spike's excess comes from: other dimensions against their own trailing mean."""
        from kwstats import investigate

        return investigate.spike_breakdown(self.cases, finding)

    def cases_of(self, finding: checks.Finding) -> pd.DataFrame:
        """The case rows behind one finding (masked view)."""
        ids = set(finding.case_ids)
        return drill_view(self.cases[self.cases["case_id"].isin(ids)], self.cutoff)

    def change_view(self, by: str) -> pd.DataFrame:
        from kwstats import investigate

        return investigate.change_by(self.cases, self.month, by, self.branch, cutoff=self.cutoff)

    def volume_view(self) -> dict:
        from kwstats import investigate

        return investigate.volume_change(self.cases, self.month, cutoff=self.cutoff)

    def threshold_view(self) -> pd.DataFrame:
        from kwstats import investigate

        return investigate.threshold_history(self.cases, self.branch, self.month, cutoff=self.cutoff)

    def top_view(self, by: str, n: int = 5) -> pd.DataFrame:
        from kwstats import investigate

        return investigate.top_categories(self.cases, self.month, by, n=n, cutoff=self.cutoff)

    def extra_indicators_html(self) -> str:
        """The field's other indicators that the branch switched into the official bulletin (params)."""
        chosen = self.branch.official_extra_indicators
        if not chosen:
            return ""
        parts = ["<h4>（六）其他指标</h4>"]
        rates = self.on_time_rates().set_index("指标")
        for key in chosen:
            if key in ("按时初查率", "按期办结率"):
                r = rates.loc[key]
                parts.append(
                    f"<p>{key} {html.escape(str(r['比率']) or '—')}（按期 {r['按期']} 件，已判定 {r['已判定']} 件）。</p>"
                )
            elif key == "同比环比":
                parts.append(f"<p>{html.escape(self.volume_view()['message'])}</p>")
            elif key in ("问题分类", "客体分类", "来源渠道"):
                by = {"问题分类": "problem_category", "客体分类": "goods_category", "来源渠道": "channel"}[
                    key
                ]
                top = self.top_view(by, n=5)
                label_col = top.columns[0]
                items = "、".join(
                    f"{row[label_col]} {row['件数']} 件（{row['占比(%)']:.1f}%）" for _, row in top.iterrows()
                )
                parts.append(f"<p>{key}前五：{html.escape(items)}。</p>")
        return "\n".join(parts)

    def behind(self, unit: str | None, column: str) -> pd.DataFrame:
        """The case rows behind one cell of the unit table, for display."""
        rows = indicators.cases_behind(self.cases, self.month, self.cutoff, unit, column)
        return drill_view(rows, self.cutoff)


def drill_view(rows: pd.DataFrame, cutoff: pd.Timestamp | None = None) -> pd.DataFrame:
    """Case rows with Chinese column labels and only non-personal columns (text already masked).

    With a cutoff, events after it are blanked: the rows show the state the number was taken at.
    """
    from kwstats.masking import mask_series

    out = rows[list(DRILL_COLUMNS)].copy()
    if cutoff is not None:
        for col in ("accepted_at", "closed_at"):
            out[col] = out[col].where(~(out[col] > cutoff))
    # every text column again (belt and braces); the case id is the key and stays as ingest kept it
    for col in ("unit", "channel", "goods_category", "problem_category", "respondent", "content", "source_file"):
        out[col] = mask_series(out[col])
    for col in ("registered_at", "accepted_at", "closed_at"):
        out[col] = out[col].dt.strftime("%Y-%m-%d %H:%M").fillna("")
    return out.rename(columns=DRILL_COLUMNS).reset_index(drop=True)


def heading(text_: str, level: int = 3) -> str:
    """An escaped heading for the notebook's analyst sections."""
    return f"<h{level}>{html.escape(str(text_))}</h{level}>"


def para(text_: str, css_class: str = "") -> str:
    """An escaped paragraph (messages may quote unit names and categories from the export)."""
    return text.paragraphs_html([str(text_)], css_class)


def frame_html(frame: pd.DataFrame, max_rows: int = 200) -> str:
    """A DataFrame as escaped HTML (export text is data, never markup)."""
    classes = ["kw-frame"]
    if "说明" in frame.columns:
        classes.append("kw-wrap")  # findings: the message is the point, let it wrap
    if frame.columns[-3:].tolist() == ["内容（已脱敏）", "来源文件", "行号"]:
        classes.append("kw-drill")  # case rows: the content column wraps, the rest stays on one line
    shown = frame.head(max_rows).to_html(index=False, escape=True, na_rep="", classes=classes, border=0)
    more = (
        f'<p class="kw-more">共 {len(frame)} 行，仅显示前 {max_rows} 行。</p>'
        if len(frame) > max_rows
        else ""
    )
    return f'<div class="kw-scroll">{shown}</div>{more}'


def build_report(
    month: str,
    data: Sequence[str | Path] | None = None,
    params_dir: str | Path | None = None,
    cutoff: str | pd.Timestamp | None = None,
    *,
    ingest=None,
    official: bool = False,
) -> Report:
    """Read the data and compute every part of month `month`'s bulletin.

    `official=True` (the bulletin run) refuses what would make a misleading official page: no params
    file for the month, or no case at all. Otherwise such a report is built and marked 【草稿】.
    """
    from kwstats.deadlines import (
        JUDGED_STATUSES,
        calendar_missing_in_period,
        calendar_missing_message,
        evaluate_deadlines,
        load_deadline_rules,
        overdue_in_period,
        overdue_sentence,
    )
    from kwstats.prose import stale_prose
    from kwstats.sources import load_cases
    from kwstats.workdays import WorkdayCalendar

    params_dir = Path(params_dir) if params_dir else DEFAULT_PARAMS_DIR
    month = normalize_month(month)
    branch = load_branch(params_dir)
    month_params = load_month(month, params_dir, required=official)
    warnings = []
    if not (params_dir / f"{month}.yaml").exists():
        warnings.append(
            f"没有本月参数文件 {params_dir / (month + '.yaml')}：通报只含计算部分，无说明文字和典型案例。"
        )
    elif month_params.typical_case is None:
        warnings.append("本月参数未提供典型案例：通报不含“典型案例”一节。")
    prose = stale_prose(month, params_dir, log_warnings=False)  # earlier months' text copied unchanged
    if official:
        prose.raise_errors()
    warnings.extend(prose.errors + prose.warnings)
    cut = indicators.resolve_cutoff(month, cutoff if cutoff is not None else month_params.cutoff)
    result = ingest if ingest is not None else load_cases(branch, data)
    cases = result.cases
    table = indicators.unit_table(cases, branch, month, cut)
    summary = indicators.summarize(cases, branch, month, cut, table=table)
    findings = checks.reconcile(cases, branch, month, cut) + checks.ingest_findings(result.rejected)
    calendar = WorkdayCalendar.from_params(params_dir)
    rules = load_deadline_rules(params_dir)
    recorded = sorted({field for f in result.files for field in f.columns})
    start = indicators.month_bounds(month)[0]
    # Only cases still open at the month's start can be overdue now or done late within the month.
    open_at_start = cases["closed_at"].isna() | (cases["closed_at"] >= start)
    so_far = cases[(cases["registered_at"] <= cut) & open_at_start]
    evaluation_all = evaluate_deadlines(so_far, rules, calendar, cut, recorded_fields=recorded)
    in_month = (evaluation_all["registered_at"] >= start).to_numpy()
    evaluation = evaluation_all[in_month].reset_index(drop=True)
    overdue = overdue_in_period(evaluation_all, start, cut)
    unconfirmed = evaluation[evaluation["status"] == "unconfirmed"]
    no_calendar = calendar_missing_in_period(evaluation_all, start, cut)  # a year not in the calendar
    sentence = overdue_sentence(
        pd.concat([overdue, unconfirmed, no_calendar]),
        unit_order=branch.units,
        judged=bool(evaluation_all["status"].isin(JUDGED_STATUSES).any()),
    )
    calendar_message = calendar_missing_message(no_calendar, calendar)
    if calendar_message:
        warnings.append(calendar_message)
    judged = evaluation["status"].isin(JUDGED_STATUSES).any()
    if summary.accepted and not judged and overdue.empty and unconfirmed.empty and no_calendar.empty:
        sentence = f"本月 {summary.accepted} 件因导出缺少受理、联系、核查或办结时间，未能判断是否超期。"
        warnings.append("导出缺少办理各环节的时间列，超期情况无法判断。")

    # Say what the data cannot support instead of printing a confident zero.
    missing = [label for fld, label in OPTIONAL_SOURCES.items() if fld not in recorded]
    if missing:
        warnings.append(f"导出中没有这些列：{'、'.join(missing)}；通报中相应的句子已改为说明未统计。")
    if summary.accepted == 0:
        empty = f"{month} 没有任何投诉、举报案件：请确认导出文件是否包含本月"
        if official:
            raise EmptyMonthError(f"{empty}；如果本月确实为零，请用 --draft 生成草稿。")
        warnings.append(empty + "。")
    if summary.closure_note:  # closures from the stage at the export, or unknown
        warnings.append(summary.closure_note)
    roster_share = checks.off_roster_share(cases, branch, month, cut)
    if roster_share.stop and official:
        raise checks.OffRosterError(roster_share.message)
    if roster_share.warn:
        warnings.append(roster_share.message)
    if "due_at" in recorded:  # the platform's 到期时间 against the computed deadlines
        findings += checks.due_date_findings(checks.due_date_check(cases, evaluation, branch), month)
    draft_reasons = []
    if roster_share.stop:
        draft_reasons.append("本月多数案件的承办单位不在名册中")
    if not (params_dir / f"{month}.yaml").exists():
        draft_reasons.append("缺少本月说明文字")
    if summary.accepted == 0:
        draft_reasons.append("本月没有案件")
    draft_reasons.extend(prose.draft_reasons)
    bad_rows = int((result.rejected["reason"] != "合计行").sum()) if len(result.rejected) else 0
    if bad_rows:
        warnings.append(
            f"导入时剔除 {bad_rows} 行问题数据（文件、行号和原因见分析版“数据读入”或 kwstats check）。"
        )
    warnings.extend(getattr(result, "warnings", []))
    data_dirs = [Path(p).resolve() for p in (data or [])]
    is_sample = ingest is None and (not data_dirs or DEFAULT_SAMPLE_DIR.resolve() in data_dirs)
    for w in warnings:
        log.warning(w)
    return Report(
        month=month,
        cutoff=cut,
        branch=branch,
        month_params=month_params,
        ingest=result,
        table=table,
        summary=summary,
        findings=findings,
        deadlines=evaluation,
        overdue=overdue,
        overdue_sentence=sentence,
        recorded_fields=tuple(recorded),
        calendar_missing=no_calendar,
        calendar_message=calendar_message,
        is_sample=is_sample,
        draft_reasons=tuple(draft_reasons),
        warnings=warnings,
    )
