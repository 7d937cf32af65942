"""The bulletin page: a computed :class:`~kwstats.report.Report` as the HTML the notebook displays.

The official sections in the reference's order (工作动态解读, 数据分析 (一)–(五) with (六) when the
branch switches extra indicators on, the unit table, the chart, 典型案例, the signature), and the
small helpers the analyst cells use to show text and tables. Nothing is computed here; every text
that came from an export or from params is escaped.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Literal

import pandas as pd

from kwstats import charts, tables
from kwstats.report import Report
from kwstats.text import paragraphs_html

# How a table is laid out: "findings" (the 说明 message column wraps), "drill" (case rows: the content
# column wraps, the rest stays on one line), "notes" (every cell may wrap), "plain".
FrameKind = Literal["plain", "findings", "drill", "notes"]
_FRAME_CLASSES: dict[str, tuple[str, ...]] = {
    "plain": (),
    "findings": ("kw-wrap",),
    "drill": ("kw-drill",),
    "notes": ("kw-notes",),
}


def introduction_html(report: Report) -> str:
    """工作动态解读, under the 【草稿】/【演示】 banners when the page must not pass for the real thing."""
    intro = paragraphs_html(report.month_params.introduction or report.branch.introduction, "intro")
    banner = ""
    if report.draft_reasons:
        banner += (
            f'<p class="kw-banner">【草稿】{html.escape("、".join(report.draft_reasons))}，不是正式通报。</p>'
        )
    if report.is_sample:
        banner += '<p class="kw-banner">【演示】本通报由 kwstats 自带的合成样例数据生成，数字仅供演示，不是真实办件数据。</p>'
    return f'{banner}<h1 class="kw-title" id="kw-official">工作动态解读</h1>\n{intro}'


def analysis_html(report: Report) -> str:
    """数据分析 (一)–(五)."""
    s = report.sentences()
    prose = report.month_params
    parts = [
        '<h2 id="kw-analysis">数据分析</h2><h3 class="kw-center">12315 投诉举报中心受理情况</h3>',
        '<h4 id="kw-a1">(一)总体情况</h4>',
        paragraphs_html([s["overall"]]),
        paragraphs_html(prose.context),
        paragraphs_html(list(report.window_sentences)),
        '<h4 id="kw-a2">（二）12315 举报情况分析</h4>',
        paragraphs_html([s["reports"]]),
        '<h4 id="kw-a3">（三）12315 投诉情况分析</h4>',
        paragraphs_html([s["complaints"]]),
        '<h4 id="kw-a4">（四）12315 案件办结情况统计</h4>',
        paragraphs_html([s["closed"]]),
        '<h4 id="kw-a5">（五）12315 平台绩效考核</h4>',
        paragraphs_html(prose.performance),
        paragraphs_html([s["overdue"]]),
    ]
    return "\n".join(parts)


def extra_indicators_html(report: Report) -> str:
    """(六) 其他指标: the indicators the branch switched into the official bulletin (params)."""
    if not report.extra_indicators:
        return ""
    return "\n".join(['<h4 id="kw-a6">（六）其他指标</h4>', paragraphs_html(list(report.extra_indicators))])


def table_section_html(report: Report) -> str:
    """The unit table with its title and its note (cutoff, threshold rule, units under it)."""
    s = report.sentences()
    table = tables.table_html(report.table, report.branch.rate_rule, report.branch.closure_rate_threshold)
    return (
        f'<section class="kw-table-section" id="kw-table"><h3 class="kw-center">{html.escape(s["table_title"])}</h3>'
        f'{table}<p class="kw-note">{html.escape(s["table_note"])}</p></section>'
    )


def chart_html(report: Report) -> str:
    """受理、办结情况示意图 as ``<figure>``: caption as page text, inline PNG, alt text from the table."""
    return charts.chart_html(report.table, report.branch.closure_rate_threshold)


def typical_case_html(report: Report) -> str:
    """典型案例 from the month's params ("" when the month has none)."""
    case = report.month_params.typical_case
    if case is None:
        return ""
    body = paragraphs_html(case.body)
    return (
        f'<section class="kw-case" id="kw-case"><h3 class="kw-center">典型案例</h3>\n'
        f'<h4 class="kw-center">{html.escape(case.title)}</h4>\n{body}</section>'
    )


def signature_html(report: Report) -> str:
    """The section, the centre and 报送时间."""
    lines = [report.branch.section, report.branch.center, report.sentences()["period"]]
    return '<div class="kw-signature">' + "".join(f"<p>{html.escape(x)}</p>" for x in lines) + "</div>"


def official_sections(report: Report) -> list[str]:
    """The official page as the notebook displays it, one HTML output each: the text with the
    table, the chart, the typical case with the signature."""
    return [
        introduction_html(report)
        + analysis_html(report)
        + extra_indicators_html(report)
        + table_section_html(report),
        chart_html(report),
        typical_case_html(report) + signature_html(report),
    ]


def write_table_xlsx(report: Report, out_dir: str | Path) -> Path:
    """The unit table as a formatted ``table.xlsx`` in `out_dir`, with the page's title and note."""
    s = report.sentences()
    return tables.write_table_xlsx(
        report.table,
        Path(out_dir) / "table.xlsx",
        title=s["table_title"],
        note=s["table_note"],
        rule=report.branch.rate_rule,
        threshold=report.branch.closure_rate_threshold,
    )


def warnings_html(report: Report) -> str:
    """The report's warnings, one marked paragraph each (analyst page)."""
    return "\n".join(para(f"⚠ {w}", "kw-warning") for w in report.warnings)


# ---- the analyst cells' helpers ---------------------------------------------------------------


def heading(text_: str, level: int = 3) -> str:
    """An escaped heading for the notebook's analyst sections."""
    return f"<h{level}>{html.escape(str(text_))}</h{level}>"


def para(text_: str, css_class: str = "") -> str:
    """An escaped paragraph (messages may quote unit names and categories from the export)."""
    return paragraphs_html([str(text_)], css_class)


def frame_html(frame: pd.DataFrame, kind: FrameKind = "plain", max_rows: int = 200) -> str:
    """A DataFrame as escaped HTML (export text is data, never markup), laid out as `kind` says."""
    classes = ["kw-frame", *_FRAME_CLASSES[kind]]
    shown = frame.head(max_rows).to_html(index=False, escape=True, na_rep="", classes=classes, border=0)
    more = (
        f'<p class="kw-more">共 {len(frame)} 行，仅显示前 {max_rows} 行。</p>'
        if len(frame) > max_rows
        else ""
    )
    return f'<div class="kw-scroll">{shown}</div>{more}'
