"""CSV exports: decoding (UTF-8, UTF-8 with BOM, GB18030), records with the line each starts on,
comma or tab separated.

A file is read a column at a time when :mod:`kwstats.ingest.csvscan` takes it (well-formed UTF-8
CSV, the common case and the large one): the rows down to the header are read by the csv module
here, the body by pyarrow, a range of records at a time, of which only the mapped columns are kept.
Any other file is read whole by the csv module, which gives the same rows, lines and cells, and the
precise error when there is one.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from kwstats.exceptions import InputFileError
from kwstats.ingest.csvscan import LARGE_FILE, NotTaken, economical_memory, head_end, read_bodies
from kwstats.ingest.files import read_bytes
from kwstats.ingest.grid import TEXT, empty_column, text_columns, text_grid
from kwstats.ingest.headers import (
    HEADER_SCAN_ROWS,
    Raw,
    all_blank,
    build_raw,
    locate_header,
    matched_fields,
    missing_column,
)
from kwstats.params import Branch

CSV_ENCODINGS = ("utf-8-sig", "gb18030")
_HEAD = 1 << 23  # bytes read for the rows down to the header (the column reader's head)


@dataclass
class _Decoded:
    text: str
    encoding: str  # "utf-8", "utf-8-sig" or "gb18030"
    utf8_error: str | None = None  # where UTF-8 failed, when the text was read as GB18030


def _utf8_error_at(data: bytes, exc: UnicodeDecodeError, bom: int) -> str:
    """'第 L 行第 N 字节' of a UTF-8 decoding error (1-based, BOM included in the byte count)."""
    pos = exc.start + bom
    line = data[:pos].count(b"\n") + 1
    return f"第 {line} 行（第 {pos + 1} 字节）"


def _decode_detail(path: Path, data: bytes) -> _Decoded:
    if b"\x00" in data[:4096]:
        raise InputFileError(
            f"{path}：不是文本 CSV 文件（可能是 UTF-16 编码或二进制文件）。"
            f"请用 Excel 打开后另存为“CSV UTF-8（逗号分隔）”或 .xlsx 再导入。"
        )
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return _Decoded(data[bom:].decode("utf-8"), "utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as exc:
        where = _utf8_error_at(data, exc, bom)
    try:
        return _Decoded(data.decode("gb18030"), "gb18030", where)
    except UnicodeDecodeError as exc:
        gb_where = f"第 {exc.start + 1} 字节"
    raise InputFileError(
        f"{path}：无法识别文件编码（试过 UTF-8、UTF-8 BOM、GB18030）：{where}处无法按 UTF-8 解码，"
        f"{gb_where}处也无法按 GB18030 解码。"
        f"请用 Excel 打开后另存为“CSV UTF-8（逗号分隔）”或 .xlsx 再导入。"
    )


def decode_bytes(path: str | Path, data: bytes) -> tuple[str, str]:
    """Decode a CSV file's bytes as UTF-8 (with or without BOM), else GB18030.

    Returns (text, encoding) with encoding "utf-8", "utf-8-sig" (BOM, removed from the text) or
    "gb18030". Raises :class:`InputFileError` naming `path` when the bytes are neither (or look like
    UTF-16 or a binary file).
    """
    decoded = _decode_detail(Path(path), data)
    return decoded.text, decoded.encoding


def _parse_csv(path: Path, text: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """CSV records and the line on which each starts (quoted fields may span lines).

    A cell may be as long as the file (the csv module's default cap of 131 072 characters would
    refuse a long 登记内容). A quote that is never closed would swallow every later line into one
    cell: that is an error naming the line where the quoted cell starts, not a silent loss.
    """
    old_limit = csv.field_size_limit()
    csv.field_size_limit(max(old_limit, min(len(text) + 1, 2**31 - 1)))  # C long on Windows
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows: list[list[str]] = []
        lines: list[int] = []
        prev = 0
        try:
            for rec in reader:
                rows.append(rec)
                lines.append(prev + 1)
                prev = reader.line_num
            if rows:  # the last record again, strictly: does it end inside an open quote?
                tail = "".join(io.StringIO(text, newline="").readlines()[lines[-1] - 1 :])
                try:
                    for _ in csv.reader(io.StringIO(tail, newline=""), delimiter=delimiter, strict=True):
                        pass
                except csv.Error as exc:
                    if "end of data" in str(exc):
                        prev = lines[-1] - 1
                        raise
        except csv.Error:
            raise InputFileError(
                f'{path}：第 {prev + 1} 行附近 CSV 格式有误，可能是某个格子的引号（"）没有成对，'
                f"使后面的内容都连成了一格。请用记事本或 Excel 查看这一行，改正后再导入，"
                f"或从平台重新导出为 .xlsx。"  # the csv module's English stays out of it (issue 7)
            ) from None
    finally:
        csv.field_size_limit(old_limit)
    return rows, lines


def read_csv(
    path: Path,
    source: str,
    branch: Branch,
    aliases: dict[str, tuple[str, int]],
    personal: set[str],
    warnings: list[str],
) -> Raw:
    """Read one CSV export (a column at a time when it can, else record by record)."""
    fast = _read_columns(path, source, aliases, personal)
    if fast is not None:
        raw, notes = fast
        warnings.extend(notes)
        return raw
    data = read_bytes(path)
    decoded = _decode_detail(path, data)
    text = decoded.text
    rows, lines = _parse_csv(path, text, ",")
    head, header_idx, best = locate_header(rows, aliases)
    if header_idx is None and "\t" in text:
        tab_rows, tab_lines = _parse_csv(path, text, "\t")
        tab_head, tab_idx, _ = locate_header(tab_rows, aliases)
        if tab_idx is not None:
            rows, lines, head, header_idx = tab_rows, tab_lines, tab_head, tab_idx
    if all_blank(rows, head):
        raise InputFileError(f"{path}：文件是空的，没有任何内容。请确认导出是否成功。")
    if header_idx is None:
        err = missing_column(str(path), head[best], aliases, branch)
        if decoded.utf8_error is not None:
            if matched_fields(head[best], aliases):  # a real GB18030 export lacking a column
                err.args = (f"{err}（文件按 GB18030 编码读取。）",)
            else:
                shown = "、".join(h[:20] for h in err.headers[:8]) or "（空）"
                err.args = (
                    f"{path}：文件不是有效的 UTF-8（{decoded.utf8_error}处无法按 UTF-8 解码），"
                    f"按 GB18030 读出的表头像乱码：{shown}。"
                    f"请用 Excel 或记事本打开后另存为 UTF-8 或 GB18030（ANSI）编码的 CSV 再导入。"
                    f"（{err}）",
                )
        raise err
    body = text_columns(rows[header_idx + 1 :], head.shape[1])
    return build_raw(
        path, source, "csv", decoded.encoding, None, head, header_idx, lines[header_idx], body,
        np.asarray(lines[header_idx + 1 :], dtype=np.int64), aliases, personal, warnings,
    )  # fmt: skip


def _read_columns(
    path: Path, source: str, aliases: dict[str, tuple[str, int]], personal: set[str]
) -> tuple[Raw, list[str]] | None:
    """The file read a column at a time, and its warnings; None when the file is one for the csv
    module (see :mod:`kwstats.ingest.csvscan`).

    The body comes a range of records at a time: each range's mapped columns are kept (its own
    values masked, its personal and unknown columns dropped: :func:`build_raw`) before the next is
    parsed, so that a large export is never held whole with all its columns."""
    try:
        with path.open("rb") as fh:
            head_bytes = fh.read(_HEAD)
            whole = not fh.read(1)
    except OSError:
        return None
    if b"\x00" in head_bytes[:4096]:
        return None
    bom = len(codecs.BOM_UTF8) if head_bytes.startswith(codecs.BOM_UTF8) else 0
    head_records = head_end(head_bytes, bom, HEADER_SCAN_ROWS + 1, whole)
    if head_records is None:
        return None
    end, count = head_records
    try:
        head_text = head_bytes[bom:end].decode("utf-8")
        rows, lines = _parse_csv(path, head_text, ",")
        delimiter = ","
        head, header_idx, _ = locate_header(rows, aliases)
        if header_idx is None and "\t" in head_text:
            rows, lines = _parse_csv(path, head_text, "\t")
            delimiter = "\t"
            head, header_idx, _ = locate_header(rows, aliases)
    except (UnicodeDecodeError, InputFileError):
        return None
    if header_idx is None or len(rows) != count:  # the csv module and the scan see other records
        return None
    del head_bytes, head_text
    encoding = "utf-8-sig" if bom else "utf-8"
    try:
        if path.stat().st_size > LARGE_FILE:
            economical_memory()
    except OSError:
        return None
    parts: list[tuple[Raw, list[str]]] = []
    try:
        for body in read_bodies(path, bom, header_idx + 1, delimiter, len(rows[header_idx])):
            grid = head
            width = max(head.shape[1], len(body.columns))
            if width > head.shape[1]:  # wider rows in this range: so is the grid, with unnamed columns
                grid = text_grid(rows[: len(head)], width)
            elif width > len(body.columns):  # a title row wider than the table: empty columns
                body.columns += [empty_column(len(body.lines)) for _ in range(width - len(body.columns))]
            notes: list[str] = []
            raw = build_raw(
                path, source, "csv", encoding, None, grid, header_idx, lines[header_idx], body.columns,
                body.lines, aliases, personal, notes,
            )  # fmt: skip
            parts.append((raw, notes))
            del body
    except NotTaken:
        return None
    return _joined(parts)


def _joined(parts: list[tuple[Raw, list[str]]]) -> tuple[Raw, list[str]]:
    """The ranges of one file as one :class:`Raw`, and its warnings once each (a range without rows
    says only what every other range says, or that the file has none)."""
    raws = [r for r, _ in parts]
    first = raws[0]
    if len(raws) == 1:
        return first, parts[0][1]
    with_rows = [notes for r, notes in parts if r.report.rows_read] or [parts[0][1]]
    notes = list(dict.fromkeys(w for ns in with_rows for w in ns))
    report = dataclasses.replace(
        first.report,
        rows_read=sum(r.report.rows_read for r in raws),
        blank_rows=sum(r.report.blank_rows for r in raws),
    )
    cells = {fld: _chunked([r.cells[fld] for r in raws]) for fld in first.cells}
    raw = Raw(
        report,
        cells,
        np.concatenate([r.lines for r in raws]),
        _chunked([r.first for r in raws]),
        np.concatenate([r.first_header for r in raws]),
        first.headers,
    )
    return raw, notes


def _chunked(parts: list[pa.Array | pa.ChunkedArray]) -> pa.ChunkedArray:
    """Text arrays end to end (no copy)."""
    chunks = [c for p in parts for c in (p.chunks if isinstance(p, pa.ChunkedArray) else [p])]
    return pa.chunked_array(chunks, type=TEXT)
