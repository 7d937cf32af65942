"""Header detection and column mapping: which row is the header, which column is which field (the
aliases of params/branch.yaml), which columns are personal data (masked where they recur in the row,
then dropped), and the export time stated above the header."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kwstats.exceptions import MissingColumnError
from kwstats.ingest.grid import cell_text, empty_column, text_columns, text_grid
from kwstats.ingest.personal import mask_own_values
from kwstats.ingest.result import FileReport
from kwstats.ingest.values import parse_dates
from kwstats.masking import mask_text, personal_header
from kwstats.params import Branch
from kwstats.schema import FIELD_LABELS, REQUIRED_FIELDS

HEADER_SCAN_ROWS = 30
TEXT_FIELDS = (
    "case_id",
    "unit",
    "channel",
    "stage",
    "goods_category",
    "problem_category",
    "respondent",
    "content",
    "result",
)
# Every text field is masked (SPEC §2: whatever its column) except the case id: it is the key that
# duplicates, the case store and the analyst's look-up in the platform depend on, and real ids
# (region + date + sequence, 18 digits) can have the shape of an ID number.
MASKED_FIELDS = tuple(f for f in TEXT_FIELDS if f != "case_id")
_QUIET_HEADERS = {"序号", "行号"}  # ignored without a warning
# The notes on columns (a second column for a field already mapped; columns not recognised), as
# the file's reader words them below: `check` and the analyst view show them one by one, the other
# commands sum them up in one line (:func:`is_column_note` tells them from other warnings).
_COLUMN_NOTES = (
    re.compile(
        r".*：“.*”与“.*”都可作.*列，按 params/branch\.yaml 中 headers\.\w+ 的先后采用“.*”，“.*”列未使用。"
    ),
    re.compile(r".*：以下列未识别，已忽略：.*。"),
)


def is_column_note(warning: str) -> bool:
    """A warning that only says which columns were used or ignored (not a problem with the data)."""
    return any(p.fullmatch(warning) for p in _COLUMN_NOTES)


_COALESCED_FIELDS = ("respondent", "content")  # several columns may carry them (被投诉方 / 被举报方)


@dataclass
class Raw:
    """One file (or worksheet) after header detection: the mapped columns as text, one row per data row."""

    report: FileReport
    cells: dict[str, pa.Array]  # field -> text
    lines: np.ndarray  # source line of each row
    first: pa.Array  # first non-empty cell of each row (for total rows)
    first_header: np.ndarray  # header of that cell
    headers: dict[str, str]  # field -> header as found


def norm_header(h: Any) -> str:
    """Header text for matching: NFKC (full-width parentheses -> half-width), no whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(h)))


def alias_map(branch: Branch) -> dict[str, tuple[str, int]]:
    """Normalised alias -> (field, priority); the first field listing an alias wins."""
    out: dict[str, tuple[str, int]] = {}
    for fld, aliases in branch.headers.items():
        for prio, alias in enumerate(aliases):
            out.setdefault(norm_header(alias), (fld, prio))
    return out


def find_header(grid: np.ndarray, aliases: dict[str, tuple[str, int]]) -> tuple[int | None, int]:
    """(index of the header row or None, index of the best candidate row for the error message)."""
    required = set(REQUIRED_FIELDS)
    best, best_count, widest, widest_count = 0, 0, 0, -1
    for r in range(min(HEADER_SCAN_ROWS, grid.shape[0])):
        cells = [norm_header(c) for c in grid[r] if c]
        matched = {aliases[c][0] for c in cells if c in aliases}
        if required <= matched:
            return r, r
        if len(matched) > best_count:
            best, best_count = r, len(matched)
        if len(cells) > widest_count:
            widest, widest_count = r, len(cells)
    return None, best if best_count else widest


def locate_header(
    rows: Sequence[Sequence[Any]], aliases: dict[str, tuple[str, int]]
) -> tuple[np.ndarray, int | None, int]:
    """The first rows as a grid of text (as wide as the widest row), the index of the header row in
    it or None, and the best candidate row for an error message (see :func:`find_header`)."""
    width = max((len(r) for r in rows), default=0)
    head = text_grid(rows[:HEADER_SCAN_ROWS], width)
    header_idx, best = find_header(head, aliases)
    return head, header_idx, best


def all_blank(rows: Sequence[Sequence[Any]], head: np.ndarray) -> bool:
    """True when no cell of `rows` holds any text (`head`: the grid of their first rows)."""
    if head.size and (head != "").any():
        return False
    return not any(cell_text(x) for r in rows[len(head) :] for x in r)


def body_columns(
    rows: Sequence[Sequence[Any]], header_idx: int, width: int
) -> tuple[list[pa.Array], np.ndarray]:
    """The rows below the header as `width` columns of text, with their lines (row i is line i + 1)."""
    return text_columns(rows[header_idx + 1 :], width), np.arange(
        header_idx + 2, len(rows) + 1, dtype=np.int64
    )


def is_personal(h: Any, aliases: dict[str, tuple[str, int]], personal: set[str]) -> bool:
    """A personal column: listed in params' personal_headers, or named like one (投诉人姓名, 联系人电话,
    家庭住址 …: :func:`kwstats.masking.personal_header`) without being an alias of a field."""
    key = norm_header(h)
    return key in personal or (key not in aliases and personal_header(key))


def map_columns(
    header: np.ndarray, aliases: dict[str, tuple[str, int]], personal: set[str]
) -> tuple[dict[str, list[int]], list[str], list[str]]:
    """field -> column indices (best alias first), unmapped headers, personal headers."""
    candidates: dict[str, list[tuple[int, int]]] = {}
    unmapped: list[str] = []
    dropped: list[str] = []
    for j, h in enumerate(header):
        if not h:
            continue
        key = norm_header(h)
        if is_personal(h, aliases, personal):
            dropped.append(h)
        elif key in aliases:
            fld, prio = aliases[key]
            candidates.setdefault(fld, []).append((prio, j))
        else:
            unmapped.append(h)
    columns: dict[str, list[int]] = {}
    for fld, cands in candidates.items():
        ordered = [j for _, j in sorted(cands)]
        if fld in _COALESCED_FIELDS or len(ordered) == 1:
            columns[fld] = ordered
        else:
            columns[fld] = ordered[:1]
            unmapped.extend(str(header[j]) for j in ordered[1:])
    return columns, unmapped, dropped


def matched_fields(header: np.ndarray, aliases: dict[str, tuple[str, int]]) -> set[str]:
    keys = (norm_header(h) for h in header if h)
    return {aliases[k][0] for k in keys if k in aliases}


def missing_column(
    where: str, header: np.ndarray, aliases: dict[str, tuple[str, int]], branch: Branch
) -> MissingColumnError:
    """The error for a header row (the best candidate) that lacks a required column."""
    found = [mask_text(str(h)) for h in header if h]  # the best candidate may be a row of data
    matched = matched_fields(header, aliases)
    missing = next(f for f in REQUIRED_FIELDS if f not in matched)
    return MissingColumnError(mask_text(where), missing, list(branch.headers[missing]), found)


def build_raw(
    path: Path,
    source: str,
    fmt: str,
    encoding: str | None,
    sheet: str | None,
    head: np.ndarray,
    header_idx: int,
    header_line: int,
    body: list[pa.Array],
    body_lines: np.ndarray,
    aliases: dict[str, tuple[str, int]],
    personal: set[str],
    warnings: list[str],
) -> Raw:
    """The mapped columns of the rows below the header (personal columns dropped unread).

    `head` is the grid of the rows down to the header (row `header_idx`, on line `header_line`);
    `body` the columns of text below it, one per column of the grid, with the line of each row.
    """
    source = mask_text(source)
    header = head[header_idx]
    columns, unmapped, dropped = map_columns(header, aliases, personal)
    body_lines = np.asarray(body_lines, dtype=np.int64)
    filled = [pc.greater(pc.binary_length(c), 0).to_numpy(zero_copy_only=False) for c in body]
    blank = ~np.logical_or.reduce(filled) if filled else np.ones(len(body_lines), bool)
    if blank.any():
        keep = pa.array(~blank)
        body = [c.filter(keep) for c in body]
        filled = [f[~blank] for f in filled]
        body_lines = body_lines[~blank]

    # first non-empty cell of each row (any column, personal ones included) for total-row detection
    n = len(body_lines)
    first_j = np.zeros(n, dtype=np.int64)
    for j in range(len(body) - 1, -1, -1):
        first_j[filled[j]] = j
    if n:
        names = np.array([str(h) or f"第{j + 1}列" for j, h in enumerate(header)], dtype=object)
        first_header = names[first_j]
        first = pc.choose(pa.array(first_j), *body) if len(body) > 1 else body[0]
    else:
        first_header = np.empty(0, dtype=object)
        first = empty_column(0)

    cells: dict[str, pa.Array] = {}
    for fld, js in columns.items():
        col = body[js[0]]
        for j in js[1:]:
            col = pc.if_else(pc.equal(col, ""), body[j], col)
        cells[fld] = col
    # before the personal columns go: each row's own 姓名/地址/numbers, masked where they recur in
    # its other cells (the case id excepted: see MASKED_FIELDS)
    own = [body[j] for j, h in enumerate(header) if h and is_personal(h, aliases, personal)]
    if own and n:
        names_ = [f for f in cells if f != "case_id"]
        # dates, amounts and the first cell (mostly the case id): names only
        typed = [k for k, f in enumerate(names_) if f not in TEXT_FIELDS] + [len(names_)]
        *masked, first = mask_own_values([cells[f] for f in names_] + [first], own, names_only=typed)
        cells.update(zip(names_, masked, strict=True))
    del own
    body.clear()  # the unmapped and personal columns go now (the caller's list is this one)

    headers = {fld: str(header[js[0]]) for fld, js in columns.items()}
    if (
        "case_id" in cells
        and pc.any(pc.match_substring_regex(cells["case_id"], r"^\d(?:\.\d+)?[eE]\+\d+$")).as_py()
    ):
        warnings.append(
            f"{source}：有编号显示为科学计数法（如 1.22E+21），可能被 Excel 打开另存时改坏，"
            f"不同的件会被当成重复。请直接使用平台导出的原文件。"
        )
    # a second column for a field already mapped (工单号 beside 表单号): said apart from unknown columns
    shadowed = [h for h in unmapped if norm_header(h) in aliases]
    for h in shadowed:
        fld = aliases[norm_header(h)][0]
        label = FIELD_LABELS.get(fld, fld)
        warnings.append(
            f"{source}：“{h}”与“{headers[fld]}”都可作{label}列，按 params/branch.yaml 中 headers.{fld} "
            f"的先后采用“{headers[fld]}”，“{h}”列未使用。"
        )
    noted = [h for h in unmapped if norm_header(h) not in _QUIET_HEADERS and h not in shadowed]
    if noted:
        warnings.append(f"{source}：以下列未识别，已忽略：{'、'.join(noted)}。")
    if not n:
        warnings.append(f"{source}：表头下没有数据行。")
    report = FileReport(
        path=mask_text(str(path)),
        format=fmt,
        encoding=encoding,
        header_line=int(header_line),
        rows_read=n,
        rows_used=0,
        rows_set_aside=0,
        total_rows=0,
        blank_rows=int(blank.sum()),
        columns={fld: mask_text(h) for fld, h in headers.items()},
        unmapped_headers=[mask_text(h) for h in unmapped],
        personal_headers=[mask_text(h) for h in dropped],
        sheet=mask_text(sheet),
        source=source,
        exported_at=_export_time(head[:header_idx]),
    )
    return Raw(report, cells, body_lines, first, first_header, headers)


_EXPORT_LABEL_RE = re.compile(r"(?:导出|下载)(?:时间|日期)\s*[:：]?\s*")
_EXPORT_DATE_RE = re.compile(
    r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
    r"(?:[\sT]*\d{1,2}\s*[:：时]\s*\d{1,2}(?:\s*[:：分]\s*\d{1,2})?\s*[分秒]?)?"
)


def _export_time(title_rows: np.ndarray) -> str | None:
    """The export time a title or note row states (“导出时间：2022-02-01 09:12:33”), or None.

    The date may follow the label in the same cell or sit in the next non-empty cell. Returned as
    ``YYYY-MM-DD HH:MM:SS``, or ``YYYY-MM-DD`` when the row gives no time.
    """
    for row in title_rows:
        texts = [str(c) for c in row if c]
        for k, cell in enumerate(texts):
            label = _EXPORT_LABEL_RE.search(cell)
            if label is None:
                continue
            rest = cell[label.end() :].strip() or (texts[k + 1] if k + 1 < len(texts) else "")
            found = _EXPORT_DATE_RE.match(rest.strip())
            if found is None:
                continue
            text = found.group(0).strip()
            values, bad, out_of_range = parse_dates(pd.Series([text]))
            if bad.iloc[0] or out_of_range.iloc[0] or pd.isna(values.iloc[0]):
                continue
            has_time = re.search(r"\d\s*[:：时]\s*\d", text) is not None
            return f"{values.iloc[0]:%Y-%m-%d %H:%M:%S}" if has_time else f"{values.iloc[0]:%Y-%m-%d}"
    return None
