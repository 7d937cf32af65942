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


def table_csv(table: pd.DataFrame, rule: str = "truncate") -> str:
    """CSV with exactly the reference CSV's header; rates as numbers without %, blank when 0/0."""
    out = table[list(TABLE_COLUMNS)].copy()
    out["closure_rate_pct"] = [_rate_cell(v, rule) for v in out["closure_rate_pct"]]
    buf = io.StringIO()
    out.to_csv(buf, index=False, lineterminator="\n")
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


def table_html(table: pd.DataFrame, rule: str, threshold: float, caption: str = "") -> str:
    """The official table as escaped HTML: 全局 first, units under the threshold marked."""
    head = "".join(f"<th>{html.escape(TABLE_LABELS[c])}</th>" for c in TABLE_COLUMNS)
    body = []
    for row in table.itertuples(index=False):
        rate = row.closure_rate_pct
        under = row.seq != GLOBAL_SEQ and not pd.isna(rate) and rate < threshold
        classes = ["global-row"] if row.seq == GLOBAL_SEQ else []
        if under:
            classes.append("under-threshold")
        cells = [html.escape(str(row.seq)), html.escape(str(row.unit))]
        cells += [str(int(getattr(row, c))) for c in COUNT_COLUMNS]
        rate_text = html.escape(format_rate(rate, rule))
        cells.append(f"{rate_text}▼" if under else rate_text)
        tds = "".join(f"<td>{c}</td>" for c in cells)
        cls = f' class="{" ".join(classes)}"' if classes else ""
        body.append(f"<tr{cls}>{tds}</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (
        f'<table class="kw-unit-table">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def write_table_xlsx(
    table: pd.DataFrame, path: Path, *, title: str, note: str, rule: str, threshold: float
) -> Path:
    """The unit table as the published one: title row, header, 全局 first, rates as shown, print setup."""
    import xlsxwriter

    path = Path(path)
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("统计表")
    font = {"font_name": "宋体", "font_size": 11}
    f_title = wb.add_format({**font, "bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    f_head = wb.add_format(
        {**font, "bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True}
    )
    f_cell = wb.add_format({**font, "border": 1, "align": "center", "valign": "vcenter"})
    f_global = wb.add_format({**font, "border": 1, "align": "center", "bold": True})
    f_under = wb.add_format({**font, "border": 1, "align": "center", "bold": True, "underline": 1})
    f_note = wb.add_format({**font, "text_wrap": True, "valign": "top"})
    ncols = len(TABLE_COLUMNS)
    ws.merge_range(0, 0, 0, ncols - 1, title, f_title)
    ws.set_row(0, 30)
    for j, col in enumerate(TABLE_COLUMNS):
        ws.write(1, j, TABLE_LABELS[col], f_head)
    ws.set_row(1, 32)
    for i, row in enumerate(table.itertuples(index=False), start=2):
        is_global = row.seq == GLOBAL_SEQ
        fmt = f_global if is_global else f_cell
        ws.write_string(i, 0, str(row.seq), fmt)
        ws.write_string(i, 1, str(row.unit), fmt)
        for j, col in enumerate(COUNT_COLUMNS, start=2):
            ws.write_number(i, j, int(getattr(row, col)), fmt)
        rate = row.closure_rate_pct
        under = not is_global and not pd.isna(rate) and rate < threshold
        ws.write_string(i, ncols - 1, format_rate(rate, rule), f_under if under else fmt)
    last = len(table) + 2
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
