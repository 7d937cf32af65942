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
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

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


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _clean_cell(text: str) -> str:
    """`text` cut to what one cell holds (CELL_MAX UTF-16 units, Excel's measure), marked when cut."""
    if len(text) <= CELL_MAX // 2 or _utf16_units(text) <= CELL_MAX:
        return text
    room = CELL_MAX - _utf16_units(TRUNCATED)
    return text.encode("utf-16-le")[: 2 * room].decode("utf-16-le", errors="ignore") + TRUNCATED


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
    return _rows_of(_drill_rows(cases, ids, cutoff), ids)


def _drill_rows(cases: pd.DataFrame, ids: Sequence[str], cutoff: Any = None) -> pd.DataFrame:
    """The rows of `cases` whose id is in `ids`, as the workbook shows them (see
    :func:`finding_cases`), each text masked once however many sheets show it."""
    rows = cases[_ids(cases).isin(ids)]
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
    return out.reset_index(drop=True)


def _ids(frame: pd.DataFrame) -> pd.Series:
    """The case ids as Python strings (pyarrow's ``isin`` looks values up one by one)."""
    ids = frame["case_id"].astype("string").to_numpy(dtype=object, na_value=None)
    return pd.Series(ids, index=frame.index, dtype=object)


def _rows_of(drill: pd.DataFrame, ids: Sequence[str]) -> pd.DataFrame:
    """The rows of `drill` (:func:`_drill_rows`, sorted) whose id is in `ids`, in its order (a
    subset of a stably sorted frame is sorted as the frame); `.attrs["missing"]` as in
    :func:`finding_cases`."""
    out = drill[_ids(drill).isin(ids)].reset_index(drop=True)
    found = set(out["case_id"].astype(str))
    out.attrs["missing"] = [i for i in dict.fromkeys(ids) if i not in found]
    return out


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


PENDING_SHEET = (
    "办理中"  # the month's accepted cases still open at the cutoff (the analyst page's last table)
)


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

        shown = [str(i) for f, name in zip(findings, names, strict=True) if name for i in f.case_ids]
        drill = _drill_rows(cases, [*shown, *(str(i) for i in pending or ())], cut)
        for finding, name in zip(findings, names, strict=True):
            if name is not None:
                _write_finding_sheet(_sheet(wb, name), finding, drill, cut, fmt)
        if pending is not None:
            open_cases = Finding(
                kind="pending", message="本月受理、截止时仍在办理中的案件", case_ids=tuple(pending)
            )
            _write_finding_sheet(_sheet(wb, PENDING_SHEET), open_cases, drill, cut, fmt, "办理中")
        wb.close()
        os.replace(tmp_name, target)
    except OSError as err:
        raise OutputPathError(f"无法写入 {target}：{err.strerror or err}") from None
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return target


def _sheet(wb: xlsxwriter.Workbook, name: str) -> _CaseSheet:
    return wb.add_worksheet(name, worksheet_class=_CaseSheet)


def _write_finding_sheet(
    ws: _CaseSheet,
    finding: Finding,
    drill: pd.DataFrame,
    cutoff: pd.Timestamp | None,
    fmt: dict[str, Any],
    label: str | None = None,
) -> None:
    rows = _rows_of(drill, [str(i) for i in finding.case_ids])
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
    styles = [None, fmt["text"], fmt["wrap"], fmt["date"], fmt["money"]]
    ws.write_case_rows(header_row + 1, rows, styles, [WRAP if f == "content" else TEXT for f in fields])
    ws.freeze_panes(header_row + 1, 1)
    if fields:
        ws.autofilter(header_row, 0, header_row + max(len(rows), 1), len(fields) - 1)


# ---- case rows a column at a time ------------------------------------------------------------
#
# A province's month puts ~60 000 case rows (~1 M cells) in the workbook. Written cell by cell
# through xlsxwriter that is ~8 s of Python; here each column is classified and formatted with
# pandas/numpy, and the rows' XML is joined once. The XML is what xlsxwriter's own cell writes
# produce (write_string into the shared strings, write_datetime, write_number, write_blank with
# the column's format), byte for byte: tests/test_drilldown.py writes the same rows both ways.

BLANK, STRING, NUMBER = 0, 1, 2  # a cell's kind
NONE, TEXT, WRAP, DATE, MONEY = 0, 1, 2, 3, 4  # a cell's style: an index into the sheet's styles
_EPOCH = pd.Timestamp("1899-12-31")  # xlsxwriter's epoch (Excel's 1900 system)
_DAY_US = 86_400_000_000
_LEAP_1900 = pd.Timestamp("1900-01-01")


def _excel_numbers(values: np.ndarray) -> list[str]:
    """Naive datetime64 values as the text of Excel serial dates, computed as xlsxwriter's
    ``_datetime_to_excel_datetime`` computes them (whole days, then seconds and microseconds as a
    fraction of a day; 1900-01-01 one day less, after 1900-02-28 one more for Excel's leap-year bug)."""
    us = (values.astype("datetime64[us]") - _EPOCH.to_datetime64()).astype("timedelta64[us]").astype(np.int64)
    days = us // _DAY_US
    rest = us - days * _DAY_US
    seconds, micro = rest // 1_000_000, rest % 1_000_000
    excel = days.astype(np.float64) + (seconds.astype(np.float64) + micro.astype(np.float64) / 1e6) / 86400
    excel = np.where(days == (_LEAP_1900 - _EPOCH).days, excel - 1, excel)
    excel = np.where(excel > 59, excel + 1, excel)
    return [f"{x:.16G}" for x in excel.tolist()]


def _number_text(value: float | int) -> str:
    if isinstance(value, float) and not np.isfinite(value):  # as xlsxwriter's write_number says
        raise TypeError(
            "NAN/INF not supported in write_number() without 'nan_inf_to_errors' Workbook() option"
        )
    return f"{value:.16G}"


def _cell(value: Any, text: int) -> tuple[int, int, str]:
    """(kind, style, text) of one value of a column of mixed types: dates as Excel dates, numbers as
    numbers, flags as 是/否, anything else as text (never a formula); `text` is the column's style."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return BLANK, text, ""
    if isinstance(value, pd.Timestamp | dt.datetime):
        stamp = pd.Timestamp(value)
        if stamp.tzinfo is not None:
            raise TypeError("Excel doesn't support timezones in datetimes.")
        return NUMBER, DATE, _excel_numbers(np.array([stamp.to_datetime64()]))[0]
    if isinstance(value, bool | np.bool_):
        return STRING, text, "是" if value else "否"
    if isinstance(value, int | np.integer):
        return NUMBER, NONE, _number_text(int(value))
    if isinstance(value, float | np.floating):
        return NUMBER, MONEY, _number_text(float(value))
    return STRING, text, _clean_cell(str(value))


def _column_cells(values: pd.Series, text: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(kinds, styles, texts) of a column's cells (see :func:`_cell`), a whole column at a time for
    the column types case rows have (dates, text, numbers, flags), value by value otherwise."""
    n, dtype = len(values), values.dtype
    kinds = np.full(n, BLANK, dtype=np.int8)
    styles = np.full(n, text, dtype=np.int8)
    texts = np.full(n, "", dtype=object)
    if pd.api.types.is_datetime64_dtype(dtype):  # naive datetime64
        raw = values.to_numpy()
        ok = ~np.isnat(raw)
        kinds[ok], styles[ok] = NUMBER, DATE
        texts[ok] = _excel_numbers(raw[ok])
    elif isinstance(dtype, pd.StringDtype):
        ok = values.notna().to_numpy()
        strings = values[ok].astype(object)
        long = (strings.str.len() > CELL_MAX // 2).to_numpy()
        if long.any():
            strings[long] = [_clean_cell(t) for t in strings[long]]
        kinds[ok] = STRING
        texts[ok] = strings.to_numpy()
    elif pd.api.types.is_bool_dtype(dtype) and dtype == np.bool_:
        kinds[:] = STRING
        texts[:] = np.where(values.to_numpy(), "是", "否")
    elif pd.api.types.is_integer_dtype(dtype) and isinstance(dtype, np.dtype):
        kinds[:], styles[:] = NUMBER, NONE
        texts[:] = [f"{v:.16G}" for v in values.tolist()]
    elif pd.api.types.is_float_dtype(dtype) and isinstance(dtype, np.dtype):
        raw = values.to_numpy()
        ok = ~np.isnan(raw)
        if np.isinf(raw[ok]).any():
            _number_text(float("inf"))
        kinds[ok], styles[ok] = NUMBER, MONEY
        texts[ok] = [f"{v:.16G}" for v in raw[ok].tolist()]
    else:
        for i, value in enumerate(values.astype(object).tolist()):
            kinds[i], styles[i], texts[i] = _cell(value, text)
    return kinds, styles, texts


class _CaseSheet(Worksheet):
    """A worksheet whose case rows, under its title and headers, are written a column at a time
    (:meth:`write_case_rows`) and turned into the sheet's XML when the workbook is saved."""

    def __init__(self) -> None:
        super().__init__()
        self._case_rows: tuple[int, np.ndarray, np.ndarray, np.ndarray, list[Any]] | None = None

    def write_case_rows(self, first_row: int, rows: pd.DataFrame, styles: list[Any], text: list[int]) -> None:
        """`rows` from `first_row` on, below every other cell of the sheet (written before): column j's
        text and blanks in style `text[j]`, dates in styles[DATE], amounts in styles[MONEY]."""
        n, width = rows.shape
        if not n or not width:
            return
        kinds = np.empty((n, width), dtype=np.int8)
        codes = np.empty((n, width), dtype=np.int8)
        texts = np.empty((n, width), dtype=object)
        for j, col in enumerate(rows.columns):
            kinds[:, j], codes[:, j], texts[:, j] = _column_cells(rows[col], text[j])
        strings = kinds == STRING
        found = texts[strings]  # row by row, as write_string would meet them
        if len(found):
            unique = pd.unique(found)
            table = self.str_table
            index = np.fromiter((table._get_shared_string_index(u) for u in unique), np.int64, len(unique))
            table.count += len(found) - len(unique)  # one count per cell, as write_string counts
            texts[strings] = index[pd.Index(unique).get_indexer(found)].astype(str).astype(object)
        self._check_dimensions(first_row, 0)
        self._check_dimensions(first_row + n - 1, width - 1)
        self._case_rows = (first_row, kinds, codes, texts, styles)

    def _write_rows(self) -> None:
        if self._case_rows is None:
            super()._write_rows()
            return
        first, kinds, codes, texts, styles = self._case_rows
        last = self.dim_rowmax
        self.dim_rowmax = first - 1  # the title, notes and headers: xlsxwriter's own
        try:
            super()._write_rows()
        finally:
            self.dim_rowmax = last
        # the styles' xf indices are handed out on first use, row by row, as xlsxwriter does
        used, at = np.unique(codes.ravel(), return_index=True)
        attr = [""] * len(styles)
        for code in used[np.argsort(at)]:
            if styles[code] is not None:
                attr[code] = f' s="{styles[code]._get_xf_index()}"'
        opens = np.empty(3 * len(styles), dtype=object)  # by kind * len(styles) + style
        closes = np.empty(3, dtype=object)
        for code, a in enumerate(attr):
            opens[BLANK * len(styles) + code] = f'"{a}/>'
            opens[STRING * len(styles) + code] = f'"{a} t="s"><v>'
            opens[NUMBER * len(styles) + code] = f'"{a}><v>'
        closes[BLANK], closes[STRING], closes[NUMBER] = "", "</v></c>", "</v></c>"
        n, width = kinds.shape
        letters = [f'<c r="{xl_col_to_name(j)}' for j in range(width)]
        for start in range(0, n, 4096):
            stop = min(n, start + 4096)
            numbers = np.arange(first + start, first + stop)
            r = (numbers + 1).astype(str).astype(object)
            spans = np.array([self.row_spans.get(b, f"1:{width}") for b in numbers // 16], dtype=object)
            parts: list[Any] = ['<row r="' + r + '" spans="' + spans + '">']
            for j in range(width):
                k = kinds[start:stop, j].astype(np.intp)
                tail = opens[k * len(styles) + codes[start:stop, j]] + texts[start:stop, j] + closes[k]
                parts.append(letters[j] + r + tail)
            parts.append(np.full(stop - start, "</row>", dtype=object))
            self.fh.write("".join("".join(row) for row in zip(*parts, strict=True)))
