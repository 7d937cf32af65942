"""The analyst's take-away: every case behind every finding, as one Excel workbook.

``write_drilldown_xlsx`` writes ``outputs/M/drilldown.xlsx``: a first sheet 发现清单 listing the
findings (type, unit, month, message, number of cases) with a link to each finding's sheet, then
one sheet per finding holding its case rows (``Finding.case_ids``) with Chinese headers, dates as
real Excel dates, and every text masked (kwstats.masking) as in every other output. Text from the
exports is written as text, never as a formula or a link.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter

from kwstats.checks import Finding
from kwstats.exceptions import OutputPathError
from kwstats.labels import DRILL_FIELDS, case_label
from kwstats.masking import mask_series, mask_text

INDEX_SHEET = "发现清单"
INDEX_HEADERS = ("序号", "类型", "单位", "月份", "说明", "件数", "工作表")
SHEET_NAME_MAX = 31  # Excel's limit
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\'\x00-\x1f]")
# Event dates blanked when after the cutoff: the rows show the state the number was taken at.
EVENT_FIELDS = ("accepted_at", "first_contact_at", "verified_at", "closed_at")
DATE_FORMAT = "yyyy-mm-dd hh:mm"
CELL_MAX = 32767  # Excel's limit on the characters of one cell
TRUNCATED = "…（超出 Excel 单元格长度，已截断）"
COLUMN_WIDTHS = {"content": 60, "respondent": 24, "source_file": 28, "case_id": 18}


def _clean_cell(text: str) -> str:
    if len(text) <= CELL_MAX:
        return text
    return text[: CELL_MAX - len(TRUNCATED)] + TRUNCATED


def sheet_name(finding: Finding, number: int, taken: set[str]) -> str:
    """A sheet name for the finding: its number, type and subject, Excel-safe and unique.

    At most 31 characters, none of ``[]:*?/\\'`` (replaced by ``_``), and different (ignoring case)
    from every name in `taken`; the name is added to `taken`.
    """
    subject = finding.unit or str(finding.numbers.get("value") or "") or (finding.month or "")
    raw = f"{number:02d} {finding.label}"
    if subject:
        raw += f" {mask_text(subject)}"
    name = _SHEET_FORBIDDEN.sub("_", re.sub(r"\s+", " ", raw)).strip()[:SHEET_NAME_MAX].rstrip()
    base, k = name, 2
    while name.casefold() in taken or name.casefold() == INDEX_SHEET.casefold():
        suffix = f"~{k}"
        name = base[: SHEET_NAME_MAX - len(suffix)] + suffix
        k += 1
    taken.add(name.casefold())
    return name


def sheet_names(findings: Sequence[Finding]) -> list[str | None]:
    """Each finding's sheet name, numbered from 1 in order (None for a finding without cases)."""
    taken: set[str] = set()
    return [sheet_name(f, i, taken) if f.case_ids else None for i, f in enumerate(findings, start=1)]


def _cutoff(cutoff: Any) -> pd.Timestamp | None:
    if cutoff is None or (isinstance(cutoff, str) and not cutoff.strip()):
        return None
    return pd.Timestamp(cutoff)


def finding_cases(finding: Finding, cases: pd.DataFrame, cutoff: Any = None) -> pd.DataFrame:
    """The case rows behind a finding, as the workbook holds them (canonical field names).

    Only DRILL_FIELDS, every text column masked, event dates after the cutoff blank, sorted by
    registration time and case id. `.attrs["missing"]` lists the finding's case ids that the case
    table does not hold.
    """
    ids = [str(i) for i in finding.case_ids]
    rows = cases[cases["case_id"].astype("string").isin(ids)]
    out = rows[[c for c in DRILL_FIELDS if c in rows.columns]].copy()
    cut = _cutoff(cutoff)
    if cut is not None:
        for col in EVENT_FIELDS:
            if col in out:
                out[col] = out[col].where(~(out[col] > cut))
    for col in out.columns:
        dtype = out[col].dtype
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype)):
            out[col] = mask_series(out[col])
    out = out.sort_values(["registered_at", "case_id"], kind="stable", na_position="last")
    found = set(rows["case_id"].astype(str))
    out = out.reset_index(drop=True)
    out.attrs["missing"] = [i for i in dict.fromkeys(ids) if i not in found]
    return out


def _write_value(ws: Any, r: int, c: int, value: Any, fmt: dict[str, Any], text_format: Any) -> None:
    """One cell: dates as Excel dates, numbers as numbers, text always as text (never a formula)."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        ws.write_blank(r, c, None, text_format)
    elif isinstance(value, pd.Timestamp | dt.datetime):
        ws.write_datetime(r, c, pd.Timestamp(value).to_pydatetime(), fmt["date"])
    elif isinstance(value, bool | np.bool_):
        ws.write_string(r, c, "是" if value else "否", text_format)
    elif isinstance(value, int | np.integer):
        ws.write_number(r, c, int(value))
    elif isinstance(value, float | np.floating):
        ws.write_number(r, c, float(value), fmt["money"])
    else:
        ws.write_string(r, c, _clean_cell(str(value)), text_format)


def _formats(wb: xlsxwriter.Workbook) -> dict[str, Any]:
    return {
        "title": wb.add_format({"bold": True, "font_size": 12}),
        "header": wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True}),
        "date": wb.add_format({"num_format": DATE_FORMAT}),
        "money": wb.add_format({"num_format": "#,##0.00"}),
        "text": wb.add_format({"valign": "top"}),
        "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
        "link": wb.add_format({"font_color": "#0563C1", "underline": 1}),
        "note": wb.add_format({"italic": True, "font_color": "#595959"}),
    }


PENDING_SHEET = "办理中"  # the month's accepted cases still open at the cutoff (the analyst page's last table)


def write_drilldown_xlsx(
    findings: Sequence[Finding],
    cases: pd.DataFrame,
    path: str | Path,
    cutoff: Any = None,
    *,
    pending: Sequence[str] | None = None,
) -> Path:
    """Write the findings and every case behind each of them to `path` (an .xlsx); return the path.

    Sheet 1 (发现清单): 序号, 类型, 单位, 月份, 说明, 件数 (= len(case_ids)), 工作表 (an internal
    link to the finding's sheet). Then one sheet per finding with case ids, named by
    :func:`sheet_name`: the finding's message, a link back, and its case rows under Chinese headers
    (kwstats.labels). A finding without case ids has no sheet. Case ids the case table does not hold
    are named on the sheet. `pending` (case ids): a last sheet 办理中 with those cases (the month's
    cases still open, which the analyst page may show only the first rows of). The file is written
    whole or not at all (temp file, then renamed).
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputPathError(f"无法创建输出目录 {target.parent}：{err.strerror or err}") from None
    cut = _cutoff(cutoff)
    fd, tmp_name = tempfile.mkstemp(prefix=".drilldown-", suffix=".xlsx", dir=target.parent)
    os.close(fd)
    umask = os.umask(0o022)
    os.umask(umask)
    os.chmod(tmp_name, 0o666 & ~umask)  # mkstemp makes 0600; the workbook is meant to be shared
    try:
        wb = xlsxwriter.Workbook(
            tmp_name,
            {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
        )
        fmt = _formats(wb)
        index = wb.add_worksheet(INDEX_SHEET)
        names = sheet_names(findings)

        title = "发现及其案件明细（文本已脱敏）"
        if cut is not None:
            title += f"，统计截止 {cut:%Y-%m-%d %H:%M}"
        index.write_string(0, 0, title, fmt["title"])
        for c, header in enumerate(INDEX_HEADERS):
            index.write_string(2, c, header, fmt["header"])
        for i, (finding, name) in enumerate(zip(findings, names, strict=True)):
            r = 3 + i
            index.write_number(r, 0, i + 1)
            index.write_string(r, 1, finding.label, fmt["text"])
            index.write_string(r, 2, _clean_cell(str(mask_text(finding.unit or ""))), fmt["text"])
            index.write_string(r, 3, finding.month or "", fmt["text"])
            index.write_string(r, 4, _clean_cell(str(mask_text(finding.message))), fmt["wrap"])
            index.write_number(r, 5, len(finding.case_ids))
            if name is None:
                index.write_string(r, 6, "（无案件）", fmt["note"])
            else:
                index.write_url(r, 6, f"internal:'{name}'!A1", fmt["link"], string=name)
        index.set_column(0, 0, 6)
        index.set_column(1, 1, 14)
        index.set_column(2, 3, 10)
        index.set_column(4, 4, 80)
        index.set_column(5, 5, 7)
        index.set_column(6, 6, 30)
        index.freeze_panes(3, 0)
        if findings:
            index.autofilter(2, 0, 2 + len(findings), len(INDEX_HEADERS) - 1)

        for finding, name in zip(findings, names, strict=True):
            if name is not None:
                _write_finding_sheet(wb.add_worksheet(name), finding, cases, cut, fmt)
        if pending is not None:
            open_cases = Finding(
                kind="pending", message="本月受理、截止时仍在办理中的案件", case_ids=tuple(pending)
            )
            _write_finding_sheet(wb.add_worksheet(PENDING_SHEET), open_cases, cases, cut, fmt, "办理中")
        wb.close()
        os.replace(tmp_name, target)
    except OSError as err:
        raise OutputPathError(f"无法写入 {target}：{err.strerror or err}") from None
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return target


def _write_finding_sheet(
    ws: Any,
    finding: Finding,
    cases: pd.DataFrame,
    cutoff: pd.Timestamp | None,
    fmt: dict[str, Any],
    label: str | None = None,
) -> None:
    rows = finding_cases(finding, cases, cutoff)
    fields = list(rows.columns)
    title = f"{label or finding.label}：{mask_text(finding.message)}"
    ws.write_string(0, 0, _clean_cell(title), fmt["title"])
    ws.write_url(1, 0, f"internal:'{INDEX_SHEET}'!A1", fmt["link"], string="← 返回发现清单")
    note = f"共 {len(rows)} 行"
    missing = rows.attrs.get("missing", [])
    if missing:
        shown = "、".join(str(mask_text(m)) for m in missing[:20])
        note += f"；另有 {len(missing)} 个编号不在案件表中：{shown}{'…' if len(missing) > 20 else ''}"
    if cutoff is not None:
        note += f"；统计截止 {cutoff:%Y-%m-%d %H:%M} 之后的受理、联系、核查、办结时间不显示"
    ws.write_string(1, 2, _clean_cell(note), fmt["note"])
    header_row = 3
    for c, field in enumerate(fields):
        ws.write_string(header_row, c, case_label(field), fmt["header"])
        width = COLUMN_WIDTHS.get(field, 16 if field.endswith("_at") else 12)
        ws.set_column(c, c, width)
    text_formats = [fmt["wrap"] if field == "content" else fmt["text"] for field in fields]
    for r, record in enumerate(rows.itertuples(index=False, name=None), start=header_row + 1):
        for c, value in enumerate(record):
            _write_value(ws, r, c, value, fmt, text_formats[c])
    ws.freeze_panes(header_row + 1, 1)
    if fields:
        ws.autofilter(header_row, 0, header_row + max(len(rows), 1), len(fields) - 1)
