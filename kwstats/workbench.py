"""The analyst's page: find, see, filter and take away what is behind an anomaly.

Building blocks the notebook's ``analyst`` cells display (the official page never holds any of
them, so it stays script-free):

- :func:`toc_html` — the table of contents that opens the analyst page: every section and every
  finding, each finding with a one-line summary, and the link to ``drilldown.xlsx``;
- :func:`section_html` — a section heading with its anchor (:data:`SECTIONS`);
- :func:`finding_html` — one finding: anchor, message, its chart or breakdown, and its cases in a
  ``<details>`` whose summary line says how many;
- :func:`table_html` — any table as an interactive DataTable (itables, offline: DataTables is
  inlined once by :func:`init_tables`), searchable, sortable, filterable, every row present;
- :func:`spike_chart_html`, :func:`threshold_charts_html` — the analyst's charts as inline PNGs;
- :func:`write_drilldown` — ``drilldown.xlsx``: one sheet per finding with every case behind it;
- :class:`Background` — the charts and the workbook made once, in a second process beside the
  notebook's other cells.

Nothing here counts: numbers come from kwstats.report, kwstats.views and kwstats.investigate,
charts from kwstats.analyst_charts. Export text is data: escaped here, and escaped by DataTables
(itables' ``allow_html`` stays off).
"""

from __future__ import annotations

import base64
import functools
import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import itables
import pandas as pd
from itables import JavascriptFunction
from matplotlib.figure import Figure
from PIL import Image

from kwstats import analyst_charts, charts, drilldown, forked, indicators
from kwstats.aggregates import Aggregates
from kwstats.checks import KIND_LABELS, SEVERITY_LABELS, Finding
from kwstats.exceptions import KwstatsError
from kwstats.investigate import BY_LABELS
from kwstats.rates import format_rate
from kwstats.report import Report

DRILLDOWN_XLSX = "drilldown.xlsx"

# The analyst sections in page order: key -> heading. Anchors are ``kw-<key>``.
SECTIONS: dict[str, str] = {
    "ingest": "数据读入与剔除",
    "findings": "发现",
    "deadlines": "超期与期限",
    "change": "受理量同比、环比",
    "threshold": "办结率阈值：近 12 个月",
    "categories": "主要问题、客体与来源渠道",
    "pending": "明细下钻：本月办理中的案件",
}
# The official page's parts (kwstats.page gives them these ids): id -> title in the table of contents.
OFFICIAL_ID = "kw-official"  # 工作动态解读, the page's first heading
OFFICIAL_SECTIONS: dict[str, str] = {
    "kw-analysis": "数据分析",
    "kw-table": "统计表与示意图",
    "kw-case": "典型案例",
}
ANALYSIS_PARTS: dict[str, str] = {  # 数据分析's (一)–(五), and (六) when the branch has extra indicators
    "kw-a1": "（一）总体情况",
    "kw-a2": "（二）举报情况",
    "kw-a3": "（三）投诉情况",
    "kw-a4": "（四）办结情况",
    "kw-a5": "（五）平台绩效考核",
    "kw-a6": "（六）其他指标",
}
OPEN_CASES_UP_TO = 10  # a finding's case list is open when it has at most this many rows
# A list of cases (a finding's, the pending ones) embeds at most this many rows in the page: at a
# province's volume a month has tens of thousands, which no reader pages through and which would
# make the page tens of megabytes; every row is in drilldown.xlsx, and the page says where.
EMBED_ROWS = 500
SEARCH_FROM_ROWS = 3  # a table with more rows than this has a search box
SUMMARY_CHARS = 60
PNG_COLORS = 128  # an analyst chart's palette (kwstats.analyst_charts draws with a handful of colours)

# DataTables in Chinese (https://datatables.net/reference/option/language).
LANGUAGE: dict[str, str] = {
    "search": "搜索：",
    "searchPlaceholder": "任一列含有……",
    "lengthMenu": "每页 _MENU_ 行",
    "info": "第 _START_–_END_ 行，共 _TOTAL_ 行",
    "infoEmpty": "共 0 行",
    "infoFiltered": "（从 _MAX_ 行中筛选）",
    "zeroRecords": "没有符合条件的行",
    "emptyTable": "（无）",
}
PAGE_LENGTHS = [10, 25, 100, {"label": "全部", "value": -1}]
# Embedded with every table, so that JupyterLab shows it as the exported page does: columns as wide
# as their text (Lab's own CSS fixes the layout and squeezes them to a character a line), long text
# wrapped, a rate under the threshold marked.
TABLE_CSS = """
.dt-container { font-size: 12px; margin: 0.3em 0 1em 0; max-width: 100%; }
.dt-container table.dataTable { table-layout: auto !important; }
.dt-container table.dataTable th, .dt-container table.dataTable td { white-space: nowrap; text-align: left; }
.dt-container table.dataTable td.kw-wrap { white-space: normal; min-width: 22em; max-width: 48em; }
.dt-container table.dataTable td.kw-below { background: #f8cbad; font-weight: bold; }
.dt-container table.dataTable caption { caption-side: top; text-align: left; font-weight: bold; }
.dt-container table.dataTable tfoot input { width: 4em; min-width: 100%; box-sizing: border-box; font-size: 11px; }
.dt-container .dt-layout-table { overflow-x: auto; }
"""
TOC_CSS = """
.kw-toc ol.kw-toc-findings { list-style: none; padding-left: 1.2em; }
.kw-toc ol.kw-toc-sub { list-style: none; padding-left: 1.2em; }
.kw-finding { margin: 1.2em 0 1.6em 0; }
.kw-details > summary { cursor: pointer; font-weight: bold; margin: 0.4em 0; }
a.kw-top { text-decoration: none; font-size: 0.8em; }
figure.kw-analyst-chart { margin: 0.6em 0; }
figure.kw-analyst-chart img { max-width: 100%; height: auto; }
"""
# Columns whose text wraps (their header as the page shows it).
WRAP_COLUMNS = ("内容（已脱敏）", "说明", "原因", "值", "被投诉/举报方")


def anchor(key: str) -> str:
    """The id of an analyst section (:data:`SECTIONS`)."""
    return f"kw-{key}"


def finding_anchor(number: int) -> str:
    """The id of the finding numbered `number` (from 1, as in the table of contents and the xlsx)."""
    return f"kw-f{number:02d}"


# ---- interactive tables ----------------------------------------------------------------------


def init_tables() -> None:
    """In the kernel: inline DataTables once (itables' offline mode), for every later table.

    Every row of every table is kept (itables' default downsamples above 64 KB without a word).
    """
    itables.options.maxBytes = 0
    itables.options.maxRows = 0
    itables.options.maxColumns = 0
    itables.init_notebook_mode(all_interactive=False, connected=False)


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as text the table shows: times to the minute, blanks empty, 是/否 for flags."""
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if pd.api.types.is_datetime64_any_dtype(values):
            out[col] = values.dt.strftime("%Y-%m-%d %H:%M").fillna("")
        elif pd.api.types.is_bool_dtype(values):
            out[col] = values.map({True: "是", False: "否"}).astype("object")
        elif isinstance(values.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(values):
            out[col] = values.astype("object").where(values.notna(), "")
        elif pd.api.types.is_float_dtype(values) and values.isna().any():
            # a blank cell, not "NaN" (e.g. 同比 of a unit without cases a year ago); still sorts as numbers
            out[col] = ["" if pd.isna(v) else repr(float(v)) for v in values]
    out.columns = [str(c) for c in out.columns]
    return out.reset_index(drop=True)


def table_html(
    frame: pd.DataFrame,
    caption: str | None = None,
    *,
    below: tuple[Sequence[str], float] | None = None,
    page_length: int = 10,
    max_rows: int | None = None,
    all_rows_in: str | None = None,
    total_rows: int | None = None,
) -> str:
    """A table as an interactive DataTable: sorting by any column, a search box (from a few rows on),
    a filter under each column and pages when it runs to more than a page, and every row in the page.

    `below` = (columns, threshold): cells of those columns holding a rate under the threshold are
    marked. `max_rows`: a longer table embeds only its first rows, under a line saying how many
    there are and where all of them are (`all_rows_in`). `total_rows`: how many rows the table has
    when `frame` holds only its first ones (at least `max_rows` of them). Needs :func:`init_tables`
    once before (in an ``analyst`` cell).
    """
    note = ""
    total = len(frame) if total_rows is None else total_rows
    if max_rows is not None and total > max_rows:
        where = f"；全部 {total} 行见 {all_rows_in}" if all_rows_in else ""
        note = (
            f'<p class="kw-cap">共 {total} 行，页面只列出前 {max_rows} 行'
            f"（排序、搜索只在这些行里）{html.escape(where)}。</p>"
        )
        frame = frame.head(max_rows)
    shown = _shown(frame)
    defs: list[dict[str, Any]] = []
    wrap = [i for i, c in enumerate(shown.columns) if c in WRAP_COLUMNS]
    if wrap:
        defs.append({"targets": wrap, "className": "kw-wrap"})
    if below is not None:
        columns, threshold = below
        targets = [i for i, c in enumerate(shown.columns) if c in set(columns)]
        if targets:
            defs.append(
                {
                    "targets": targets,
                    "createdCell": JavascriptFunction(
                        "function (td, cellData) { var v = parseFloat(cellData); "
                        f"if (!isNaN(v) && v < {float(threshold)!r}) {{ td.classList.add('kw-below'); }} }}"
                    ),
                }
            )
    options: dict[str, Any] = {
        "connected": False,
        "maxBytes": 0,
        "maxRows": 0,
        "maxColumns": 0,
        "classes": "display nowrap compact cell-border",
        "style": "table-layout:auto;width:auto;margin:0;caption-side:top",
        "language": LANGUAGE,
        "pageLength": page_length,
        "lengthMenu": PAGE_LENGTHS,
        "autoWidth": False,
        "css": TABLE_CSS,
        "showIndex": False,
        "display_logo_when_loading": False,
        # a click anywhere on a header sorts by it (itables' default sorts on the small arrow only)
        "text_in_header_can_be_selected": False,
    }
    if defs:
        options["columnDefs"] = defs
    pages, searched = len(shown) > page_length, len(shown) > SEARCH_FROM_ROWS
    options["layout"] = {  # itables would drop the search box of a table that fits one page
        "topStart": "pageLength" if pages else None,
        "topEnd": "search" if searched else None,
        "bottomStart": "info" if searched else None,
        "bottomEnd": "paging" if pages else None,
    }
    if pages:
        options["column_filters"] = "footer"
    return note + itables.to_html_datatable(shown, caption=caption, **options)


# ---- sections, findings, the table of contents ------------------------------------------------


def section_html(key: str, level: int = 3) -> str:
    """A section's heading with its anchor and a link back to the table of contents."""
    title = SECTIONS[key]
    return (
        f'<h{level} id="{anchor(key)}" class="kw-section">{html.escape(title)}'
        f' <a class="kw-top" href="#kw-toc" title="回到目录">↑</a></h{level}>'
    )


def subject(finding: Finding) -> str:
    """What a finding is about: its unit, or the category that spiked, or "" for the whole month."""
    if finding.unit:
        return finding.unit
    value = finding.numbers.get("value")
    field = str(finding.numbers.get("field", ""))
    if value:
        return f"{BY_LABELS.get(field, field)}“{value}”" if field and field != "unit" else str(value)
    return ""


def summary(finding: Finding) -> str:
    """A finding in one line, for the table of contents."""
    nums = finding.numbers
    if finding.kind == "spike":
        mean = nums.get("baseline")
        history = f"，前 {nums.get('window')} 个月平均 {float(mean):.1f} 件" if mean else "，此前没有案件"
        return f"{finding.month} 受理 {nums.get('count')} 件{history}"
    if finding.kind == "threshold":
        rate = nums.get("rate")
        shown = f"{float(rate):g}%" if rate is not None else ""
        return (
            f"办结率 {shown}（{nums.get('closed')}/{nums.get('accepted')}），办理中 {nums.get('pending')} 件"
        )
    text = finding.message
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1] + "…"


def title(number: int, finding: Finding) -> str:
    """``03 异常波动 · 柳影所``: the number (as on the drill-down sheet), the kind and the subject."""
    about = subject(finding)
    return f"{number:02d} {finding.label}" + (f" · {about}" if about else "")


def toc_html(report: Report, findings: Sequence[Finding], *, drilldown_xlsx: str | None = None) -> str:
    """The table of contents that opens the analyst page: the official sections, every analyst
    section, every finding with its one-line summary and case count, and the drill-down workbook."""
    official = dict(OFFICIAL_SECTIONS)
    if report.month_params.typical_case is None:
        official.pop("kw-case")
    parts = {k: v for k, v in ANALYSIS_PARTS.items() if k != "kw-a6" or report.extra_indicators}
    sub = "".join(f'<li><a href="#{key}">{html.escape(name)}</a></li>' for key, name in parts.items())
    items = "".join(
        f'<li><a href="#{key}">{html.escape(name)}</a>'
        + (f'<ol class="kw-toc-sub">{sub}</ol>' if key == "kw-analysis" else "")
        + "</li>"
        for key, name in official.items()
    )
    lines = [
        f"<style>{TOC_CSS}</style>",
        '<nav id="kw-toc" class="kw-toc"><h2>目录（分析版）</h2><ol>',
        f'<li><a href="#{OFFICIAL_ID}">正式通报</a><ol class="kw-toc-sub">{items}</ol></li>',
    ]
    for key, name in SECTIONS.items():
        lines.append(f'<li><a href="#{anchor(key)}">{html.escape(name)}</a>')
        if key == "findings":
            lines.append(f"（{len(findings)} 条）" if findings else "（无）")
            if findings:
                lines.append('<ol class="kw-toc-findings">')
                for number, finding in enumerate(findings, start=1):
                    count = f"（{len(finding.case_ids)} 件）" if finding.case_ids else ""
                    lines.append(
                        f'<li><a href="#{finding_anchor(number)}">{html.escape(title(number, finding))}</a>'
                        f"：{html.escape(summary(finding))}{count}</li>"
                    )
                lines.append("</ol>")
        lines.append("</li>")
    lines.append("</ol>")
    lines.append(drilldown_note(drilldown_xlsx))
    lines.append("</nav>")
    return "\n".join(lines)


def drilldown_note(drilldown_xlsx: str | None) -> str:
    """The link to the drill-down workbook, or how to write it (in JupyterLab without output_dir)."""
    if drilldown_xlsx:
        href = html.escape(drilldown_xlsx, quote=True)
        return (
            f'<p class="kw-download">带走：<a href="{href}" download>{html.escape(Path(drilldown_xlsx).name)}</a>'
            f"——每条发现一个工作表（编号同上），其中是它背后的全部案件（已脱敏，时间为 Excel 日期），"
            f"首页“{drilldown.INDEX_SHEET}”列出全部发现并链接到各自的工作表。</p>"
        )
    return (
        '<p class="kw-download">在 JupyterLab 中把参数 output_dir 设为 "." 再运行，即在本目录写出 '
        f"{DRILLDOWN_XLSX}（每条发现一个工作表，背后的全部案件）。</p>"
    )


def findings_frame(findings: Sequence[Finding]) -> pd.DataFrame:
    """Every finding as one table row, numbered as in the table of contents and the workbook."""
    names = drilldown.sheet_names(findings)
    rows = [
        {
            "序号": number,
            "类别": KIND_LABELS.get(f.kind, f.kind),
            "级别": SEVERITY_LABELS.get(f.severity, f.severity),
            "对象": subject(f),
            "说明": f.message,
            "涉及件数": len(f.case_ids),
            "工作表": name or "",
        }
        for number, (f, name) in enumerate(zip(findings, names, strict=True), start=1)
    ]
    return pd.DataFrame(rows, columns=["序号", "类别", "级别", "对象", "说明", "涉及件数", "工作表"])


def details_html(summary_text: str, body: str, *, open_: bool = False) -> str:
    """A collapsed block: `summary_text` (escaped) always shown, `body` (HTML) on a click."""
    flag = " open" if open_ else ""
    return f'<details class="kw-details"{flag}><summary>{html.escape(summary_text)}</summary>{body}</details>'


def finding_html(
    number: int,
    finding: Finding,
    cases: pd.DataFrame,
    extra: str = "",
    *,
    sheet: str | None = None,
    total: int | None = None,
) -> str:
    """One finding: its anchor and title, its message, `extra` (a chart, a breakdown), and the case
    rows behind it collapsed under a line that says how many (and on which drill-down sheet).
    `total`: how many cases there are when `cases` holds only the first EMBED_ROWS
    (views.first_cases_of)."""
    count = len(cases) if total is None else total
    parts = [
        f'<section class="kw-finding" id="{finding_anchor(number)}">',
        f'<h4>{html.escape(title(number, finding))} <a class="kw-top" href="#kw-toc" title="回到目录">↑</a></h4>',
        f'<p class="kw-summary">{html.escape(finding.message)}</p>',
        extra,
    ]
    if finding.case_ids:
        where = f"；{DRILLDOWN_XLSX} 工作表“{sheet}”" if sheet else ""
        parts.append(
            details_html(
                f"背后的案件（{count} 件{where}）",
                table_html(cases, max_rows=EMBED_ROWS, all_rows_in=where[1:] or None, total_rows=count),
                open_=count <= OPEN_CASES_UP_TO,
            )
        )
    parts.append("</section>")
    return "\n".join(p for p in parts if p)


def numbered(findings: Sequence[Finding]) -> list[tuple[int, Finding, str | None]]:
    """(number, finding, drill-down sheet name) for every finding, numbered as the table of contents
    and the workbook number them."""
    return list(zip(range(1, len(findings) + 1), findings, drilldown.sheet_names(findings), strict=True))


# ---- charts -----------------------------------------------------------------------------------


def png_bytes(fig: Figure, colors: int = PNG_COLORS) -> bytes:
    """The chart as a PNG at its own resolution, its colours reduced to a palette of `colors`: a third
    of the bytes, the same picture (flat fills, lines and text; a colour scale keeps its steps)."""
    with Image.open(io.BytesIO(charts.figure_to_png_bytes(fig, int(fig.dpi)))) as image:
        paletted = image.convert("RGB").quantize(colors=colors, method=Image.Quantize.FASTOCTREE)
    out = io.BytesIO()
    paletted.save(out, format="PNG")
    return out.getvalue()


def figure_html(fig: Figure, alt: str) -> str:
    """A chart as an inline PNG (its title is drawn in it), with alt text saying what it shows."""
    width, height = (round(v * 96) for v in fig.get_size_inches())  # CSS px at 100 %
    data = base64.b64encode(png_bytes(fig)).decode("ascii")
    return (
        f'<figure class="kw-analyst-chart"><img src="data:image/png;base64,{data}"'
        f' alt="{html.escape(alt, quote=True)}" width="{width}" height="{height}"></figure>'
    )


def spike_chart_html(cases: pd.DataFrame, finding: Finding, aggregates: Aggregates | None = None) -> str:
    """A spike's series over 24 months with the range its test expects, as an inline PNG."""
    fig = analyst_charts.spike_chart(cases, finding, aggregates=aggregates)
    nums = finding.numbers
    alt = (
        f"{subject(finding)}的月受理量折线图：{finding.month} 受理 {nums.get('count')} 件，"
        f"前 {nums.get('window')} 个月平均 {float(nums.get('baseline') or 0):.1f} 件，阴影为检验预期范围。"
    )
    return figure_html(fig, alt)


def threshold_charts_html(report: Report, history: pd.DataFrame) -> str:
    """The heat map of 办结率 (units × months) and the per-unit small multiples, from `history`."""
    branch, key, cut = report.branch, report.month, report.cutoff
    threshold = branch.closure_rate_threshold
    months = history_months(history)
    now = history[months[-1]] if months else pd.Series(dtype="float64")
    below_now = [
        str(u) for u, v in zip(history["单位名称"], now, strict=False) if pd.notna(v) and v < threshold
    ]
    past = report.aggregates
    heat = analyst_charts.rate_heatmap(
        report.cases, branch, key, cutoff=cut, history=history, aggregates=past
    )
    heat_alt = f"各单位近 {len(months)} 个月办结率热力图，低于 {threshold:g}% 的格子加斜线和红框；" + (
        f"本月低于阈值：{'、'.join(below_now)}。" if below_now else "本月没有单位低于阈值。"
    )
    trends = analyst_charts.unit_trends(
        report.cases, branch, key, cutoff=cut, history=history, aggregates=past
    )
    trends_alt = (
        f"各单位近 {len(months)} 个月的月受理量（柱）和办结率（线）小图，虚线为 {threshold:g}% 阈值。"
    )
    return figure_html(heat, heat_alt) + figure_html(trends, trends_alt)


def history_frame(history: pd.DataFrame, rule: str) -> pd.DataFrame:
    """The threshold history with its rates as the bulletin prints them (``79%``), blank when nothing
    was accepted."""
    out = history.copy()
    for col in history_months(history):
        out[col] = [format_rate(v, rule) for v in out[col]]
    return out


def history_months(history: pd.DataFrame) -> list[str]:
    """The month columns of a threshold history (as the charts read them)."""
    return analyst_charts.month_columns(history)


class Background:
    """The analyst page's slow parts, each made once: the charts (the spikes' series, the heat map,
    the per-unit trends) and, given an output folder, ``drilldown.xlsx``.

    On Linux they are made in a second process, a fork of this one (nothing is copied), in the order
    the notebook asks for them, while the notebook goes on with its other cells: with two cores they
    then cost the run little. Asked for, a part waits for that process; one it could not make (or
    when there is no such process, or it does not answer within forked.TIMEOUT_S) is made here,
    raising what making it raises.
    """

    def __init__(
        self,
        report: Report,
        findings: Sequence[Finding],
        history: pd.DataFrame,
        out_dir: str | Path | None = None,
    ) -> None:
        self._jobs: dict[str, Any] = {
            _spike_key(f): functools.partial(spike_chart_html, report.cases, f, report.aggregates)
            for f in findings
            if f.kind == "spike"
        }
        self._jobs["threshold"] = functools.partial(threshold_charts_html, report, history)
        self.drilldown_path = Path(out_dir) / DRILLDOWN_XLSX if out_dir else None
        if out_dir:
            self._jobs["drilldown"] = functools.partial(_drilldown_job, report, findings, out_dir)
        self._making = forked.Making(self._jobs) if forked.can_fork() else None

    def spike(self, finding: Finding) -> str:
        """A spike finding's chart (:func:`spike_chart_html`)."""
        return self._get(_spike_key(finding))

    def threshold(self) -> str:
        """The heat map and the per-unit trends (:func:`threshold_charts_html`)."""
        return self._get("threshold")

    def drilldown(self) -> Path:
        """``drilldown.xlsx``, written (:func:`write_drilldown`); only with an output folder."""
        if self.drilldown_path is None:
            raise KwstatsError("没有给出输出目录（output_dir），不写 drilldown.xlsx。")
        return Path(self._get("drilldown"))

    def _get(self, key: str) -> str:
        made = self._making.result(key) if self._making is not None else None
        return made if made is not None else self._jobs[key]()


def _drilldown_job(report: Report, findings: Sequence[Finding], out_dir: str | Path) -> str:
    return str(write_drilldown(report, findings, out_dir))


def _spike_key(finding: Finding) -> str:
    nums = finding.numbers
    return f"spike:{nums.get('field')}:{nums.get('value')}:{finding.month}"


# ---- take it away -----------------------------------------------------------------------------


def write_drilldown(report: Report, findings: Sequence[Finding], out_dir: str | Path) -> Path:
    """``drilldown.xlsx`` in `out_dir`: the findings, then every case behind each (as of the cutoff),
    then the month's cases still open (sheet 办理中)."""
    pending = indicators.pending_cases(report.cases, report.month, report.cutoff)
    return drilldown.write_drilldown_xlsx(
        findings,
        report.cases,
        Path(out_dir) / DRILLDOWN_XLSX,
        report.cutoff,
        pending=tuple(pending["case_id"].astype(str)),
    )


def pending_html(report: Report, rows: pd.DataFrame, drilldown_xlsx: Path | None) -> str:
    """办理中 (`rows`: views.pending_view): every row when no drilldown.xlsx is written, else at most
    EMBED_ROWS of them and where all are."""
    if drilldown_xlsx is None:
        return table_html(rows)
    where = f"{DRILLDOWN_XLSX} 工作表“{drilldown.PENDING_SHEET}”"
    return table_html(rows, max_rows=EMBED_ROWS, all_rows_in=where)
