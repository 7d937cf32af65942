"""The unit table as the reader sees it: CSV (machine interface), Markdown, official HTML, formatted xlsx."""

from __future__ import annotations

import html
import io
from pathlib import Path

import pandas as pd

from kwstats.indicators import COUNT_COLUMNS, GLOBAL_SEQ, TABLE_COLUMNS, TABLE_LABELS
from kwstats.rates import format_rate


def _rate_cell(value: float, rule: str) -> str:
    return format_rate(value, rule).rstrip("%")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what Excel or WPS would run as a formula


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` for a CSV a spreadsheet opens: a text cell that would start a formula (``=HYPERLINK(…)``
    planted in an export's 登记内容, say) gets a leading apostrophe and is shown as the text it is.
    Numbers are left alone (−5 stays a number). Column names too: a query can make headers of case
    text (``PIVOT … ON respondent``)."""
    out = frame.copy()
    out.columns = ["'" + c if isinstance(c, str) and c.startswith(FORMULA_STARTS) else c for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column].dtype):
            out[column] = [
                "'" + v if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for v in out[column]
            ]
    return out


def table_csv(table: pd.DataFrame, rule: str = "truncate") -> str:
    """CSV with exactly the reference CSV's header; rates as numbers without %, blank when 0/0."""
    out = table[list(TABLE_COLUMNS)].copy()
    out["closure_rate_pct"] = [_rate_cell(v, rule) for v in out["closure_rate_pct"]]
    buf = io.StringIO()
    spreadsheet_safe(out).to_csv(buf, index=False, lineterminator="\n")
    return buf.getvalue()


def display_table(table: pd.DataFrame, rule: str = "truncate") -> pd.DataFrame:
    """Chinese column labels, rates printed as '86%'."""
    out = table[list(TABLE_COLUMNS)].copy()
    out["closure_rate_pct"] = [format_rate(v, rule) for v in out["closure_rate_pct"]]
    return out.rename(columns=TABLE_LABELS)


def table_markdown(table: pd.DataFrame, rule: str = "truncate") -> str:
    shown = display_table(table, rule)
    lines = ["| " + " | ".join(shown.columns) + " |", "|" + "---|" * len(shown.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in shown.itertuples(index=False)]
    return "\n".join(lines) + "\n"


BELOW_MARK = "▼"
# 宋体 by the name every Windows desk resolves, SimSun. Elsewhere fontconfig knows "SimSun" as a
# serif face (fc-match SimSun:lang=zh-cn -> Noto Serif CJK SC), where "宋体" falls to the default
# sans. Explicit row heights and vertical centring keep any fallback's taller glyphs inside the
# borders (LibreOffice on Linux drew them over the row lines in the default 15 pt rows).
XLSX_FONT = {"font_name": "SimSun", "font_size": 11, "font_family": 1, "font_charset": 134}  # Roman, GB2312
XLSX_BELOW_FILL = "#F8CBAD"  # light red: a pale grey on a black-and-white printer, ▼ carries it too
XLSX_ROW_HEIGHT = 20  # points
PERCENT_FORMATS = {"two_decimals": "0.00%"}  # every other rule prints whole percents


def threshold_label(threshold: float) -> str:
    """80 -> '80%', 85.5 -> '85.5%'."""
    return f"{threshold:g}%"


def is_below(seq: object, rate: float, threshold: float) -> bool:
    """A unit row (never 全局) whose closure rate is under the threshold; blank rates are not."""
    return str(seq) != GLOBAL_SEQ and not pd.isna(rate) and rate < threshold


def below_legend(threshold: float) -> str:
    """The one line that explains the marking, under the table (HTML and xlsx alike)."""
    return f"表示办结率低于 {threshold_label(threshold)}"


def table_html(table: pd.DataFrame, rule: str, threshold: float, caption: str = "") -> str:
    """The official table as escaped HTML: 全局 first, numbers right-aligned, under-threshold rates marked.

    A rate under the threshold is the one marked cell: light red ground and ▼, explained once in
    the legend line under the table (present only when some unit is marked).
    """
    head = "".join(f"<th>{html.escape(TABLE_LABELS[c])}</th>" for c in TABLE_COLUMNS)
    body = []
    any_below = False
    for row in table.itertuples(index=False):
        rate = row.closure_rate_pct
        below = is_below(row.seq, rate, threshold)
        any_below |= below
        cells = [
            f'<td class="kw-seq">{html.escape(str(row.seq))}</td>',
            f"<td>{html.escape(str(row.unit))}</td>",
        ]
        cells += [f'<td class="kw-num">{int(getattr(row, c))}</td>' for c in COUNT_COLUMNS]
        # The mark leads the number, so right-aligned digits line up with or without it.
        mark = f'<span class="kw-mark">{BELOW_MARK}</span>' if below else ""
        rate_class = "kw-num kw-rate kw-below" if below else "kw-num kw-rate"
        cells.append(f'<td class="{rate_class}">{mark}{html.escape(format_rate(rate, rule))}</td>')
        cls = ' class="global-row"' if row.seq == GLOBAL_SEQ else ""
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    legend = ""
    if any_below:
        legend = (
            f'<p class="kw-legend"><span class="kw-below kw-swatch">{BELOW_MARK}</span>'
            f" {html.escape(below_legend(threshold))}</p>"
        )
    return (
        f'<table class="kw-unit-table">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>{legend}"
    )


def _seq_value(seq: object) -> int | str:
    """序号 as a number ('3' -> 3); '*' (全局) stays text."""
    text = str(seq).strip()
    return int(text) if text.isdigit() else text


def write_table_xlsx(
    table: pd.DataFrame, path: Path, *, title: str, note: str, rule: str, threshold: float
) -> Path:
    """The unit table as the published one: title row, header, 全局 first, print setup.

    Numbers are numbers: 序号 (全局's ``*`` stays text), counts, and 办结率 as a fraction with a
    percent format (``0%``, or ``0.00%`` under two_decimals), right-aligned. A rate under the
    threshold has a light red ground and ▼ (part of the number format, the value stays a number),
    explained once by the legend row under the table, as in the HTML.
    """
    import xlsxwriter

    path = Path(path)
    # Fonts are named on every format (not as workbook default): then no theme font can replace them.
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("统计表")
    font = dict(XLSX_FONT)
    cell = {**font, "border": 1, "valign": "vcenter"}
    rate_ok = PERCENT_FORMATS.get(rule, "0%")
    rate_below = f'"{BELOW_MARK}"{rate_ok}'  # the mark leads, so right-aligned digits line up

    def fmt(**props: object) -> xlsxwriter.format.Format:
        return wb.add_format({**cell, **props})

    f_title = wb.add_format({**font, "bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    f_head = fmt(bold=True, align="center", text_wrap=True, bg_color="#F2F2F2")
    f_note = wb.add_format({**font, "text_wrap": True, "valign": "top"})
    f_legend = wb.add_format({**font, "valign": "vcenter"})
    formats = {}
    for is_global in (False, True):
        weight = {"bold": True} if is_global else {}
        formats[is_global] = {
            "seq": fmt(align="center", num_format="0", **weight),
            "unit": fmt(align="center", **weight),
            "count": fmt(align="right", indent=1, num_format="0", **weight),
            "rate": fmt(align="right", indent=1, num_format=rate_ok, **weight),
        }
    f_below = fmt(align="right", indent=1, num_format=rate_below, bg_color=XLSX_BELOW_FILL)
    f_swatch = fmt(align="center", bg_color=XLSX_BELOW_FILL)

    ncols = len(TABLE_COLUMNS)
    ws.merge_range(0, 0, 0, ncols - 1, title, f_title)
    ws.set_row(0, 30)
    for j, col in enumerate(TABLE_COLUMNS):
        ws.write_string(1, j, TABLE_LABELS[col], f_head)
    ws.set_row(1, 32)
    any_below = False
    for i, row in enumerate(table.itertuples(index=False), start=2):
        f = formats[row.seq == GLOBAL_SEQ]
        ws.set_row(i, XLSX_ROW_HEIGHT)
        seq = _seq_value(row.seq)
        if isinstance(seq, int):
            ws.write_number(i, 0, seq, f["seq"])
        else:
            ws.write_string(i, 0, seq, f["seq"])
        ws.write_string(i, 1, str(row.unit), f["unit"])
        for j, col in enumerate(COUNT_COLUMNS, start=2):
            ws.write_number(i, j, int(getattr(row, col)), f["count"])
        rate = row.closure_rate_pct
        below = is_below(row.seq, rate, threshold)
        any_below |= below
        if pd.isna(rate):
            ws.write_blank(i, ncols - 1, None, f["rate"])
        else:
            ws.write_number(i, ncols - 1, round(float(rate) / 100, 6), f_below if below else f["rate"])
    last = len(table) + 2
    if any_below:
        ws.set_row(last, XLSX_ROW_HEIGHT)
        ws.write_string(last, 0, BELOW_MARK, f_swatch)
        ws.merge_range(last, 1, last, ncols - 1, below_legend(threshold), f_legend)
        last += 1
    ws.merge_range(last, 0, last + 2, ncols - 1, note, f_note)
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 12)
    ws.set_column(2, ncols - 1, 9)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 1)
    ws.center_horizontally()
    ws.repeat_rows(1)
    ws.print_area(0, 0, last + 2, ncols - 1)
    wb.close()
    return path
