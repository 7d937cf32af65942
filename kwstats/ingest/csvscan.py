"""CSV bodies a column at a time: records found by a vectorised scan of the bytes, cells parsed by
pyarrow, every row with the line on which it starts, as a clerk sees it.

The csv module (see :mod:`kwstats.ingest.csvfile`) reads a file a record at a time in Python; this
reads a large export some ten times faster. It takes only files whose every quote sits where the
CSV rules put quotes (opening a field, closing it, or doubled inside it), so that a newline ends a
record exactly when an even number of quotes precedes it: then the records, their lines and their
cells are the ones the csv module finds. Anything else — a stray quote inside an unquoted field, a
quote left open, a lone carriage return (an old Mac line end), a NUL byte, text that is not UTF-8,
or rows whose number of cells pyarrow and the scan disagree on — raises :class:`NotTaken`, and the
caller reads the file with the csv module instead.

Memory: the records are parsed a range of some :data:`_RANGE` bytes at a time and handed over range
by range (:func:`read_bodies`), so that the caller can keep only what it needs of each (the mapped
columns, not the personal or unknown ones); each column of a range is one contiguous array, so that
a column let go of later hands its memory back whole rather than leaving holes between pyarrow's
small blocks.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import io
import platform
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from kwstats.ingest.grid import TEXT, cell_text, strip_text

_CHUNK = 1 << 25  # bytes scanned at a time (bounds the scan's own memory)
_RANGE = 1 << 25  # bytes of whole records parsed at a time (bounds the parse's own memory)
LARGE_FILE = _RANGE  # bytes: a file read in several ranges is read with economical_memory()
_BLOCK = 1 << 20  # pyarrow's block (a record longer than this: the csv module reads the file)
_MAX_ODD_ROWS = 10_000  # rows of another width (total and note rows) handled one by one
_NL, _CR, _QUOTE = 10, 13, 34
_M_MMAP_THRESHOLD = -3  # glibc's mallopt() parameter
_MAP_FROM = 1 << 22  # bytes: glibc gives blocks this large their own mapping, unmapped when freed


@dataclass
class Body:
    """The rows below the header: columns of stripped text, and the line each row starts on."""

    columns: list[pa.Array]
    lines: np.ndarray


def head_end(head: bytes, start: int, records: int, whole: bool) -> tuple[int, int] | None:
    """(offset just past the first `records` records from `start`, how many there are: fewer when the
    file ends first) in `head`, the first bytes of the file (`whole`: all of them), by the quote
    parity; None when they do not end within `head`."""
    buf = np.frombuffer(head, dtype=np.uint8)[start:]
    nl = np.flatnonzero(buf == _NL)
    q = np.flatnonzero(buf == _QUOTE)
    ends = nl[(np.searchsorted(q, nl) & 1) == 0]
    if len(ends) >= records:
        return start + int(ends[records - 1]) + 1, records
    if not whole:
        return None
    tail = 1 if (ends[-1] + 1 if len(ends) else 0) < len(buf) else 0  # a last record without newline
    return len(head), len(ends) + tail


def economical_memory() -> None:
    """Have freed memory go back to the system at once, for the rest of the process: called before
    a large file is read, whose columns come and go by the hundred megabytes (memory an allocator
    keeps for reuse adds up to the peak: some 200 MB at a million rows, for some 10% more time).

    pyarrow's memory: jemalloc with no decay delay where pyarrow has it, else the system allocator,
    instead of mimalloc (pyarrow's default), which keeps most freed pages; a jemalloc or system
    pool chosen by ARROW_DEFAULT_MEMORY_POOL stays. glibc's (numpy's arrays): blocks of 4 MiB or
    more get their own mapping, always; by default the threshold grows with each such block freed,
    until large arrays land in the heap, whose holes are rarely given back."""
    pool = pa.default_memory_pool()
    try:
        if pool.backend_name == "mimalloc":
            pa.set_memory_pool(pa.jemalloc_memory_pool())
            pool = pa.default_memory_pool()
        if pool.backend_name == "jemalloc":
            pa.jemalloc_set_decay_ms(0)
    except NotImplementedError:  # a pyarrow built without jemalloc (Windows)
        pa.set_memory_pool(pa.system_memory_pool())
    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").mallopt(_M_MMAP_THRESHOLD, _MAP_FROM)


class NotTaken(Exception):
    """The file is not one this reader takes: the csv module reads it (and says what is wrong)."""


def read_bodies(path: Path, start: int, skip: int, delimiter: str, width: int) -> Iterator[Body]:
    """The records of the file at `path` (UTF-8 from offset `start`) after the first `skip` ones, a
    range of some :data:`_RANGE` bytes at a time (one body at least, empty when there are no
    records), each as `width` columns or more (wider rows widen their range's columns), every
    column one contiguous array. Raises :class:`NotTaken`, possibly after some ranges, when the file
    is not one this reader takes. The file is read twice (scanned, then parsed), never held whole."""
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            scan = _scan(fh, start, ord(delimiter))
            if scan is None:
                raise NotTaken
            ends, ordinals = scan
            # record k spans [starts[k], stops[k]) without its newline and starts on line lines[k]
            starts = np.concatenate([[start], ends + 1]).astype(np.int64)
            stops = np.concatenate([ends, [size]]).astype(np.int64)
            lines = np.concatenate([[1], ordinals + 2]).astype(np.int64)
            del ends, ordinals
            if starts[-1] == size:  # the file ends with a newline: no record after it
                starts, stops, lines = starts[:-1], stops[:-1], lines[:-1]
            starts, stops, lines = starts[skip:], stops[skip:], lines[skip:]
            if not len(starts):
                yield Body([_empty() for _ in range(width)], np.empty(0, dtype=np.int64))
                return
            odd_left = _MAX_ODD_ROWS
            for a, b in _ranges(starts):
                lo, hi = int(starts[a]), int(starts[b]) if b < len(starts) else size
                fh.seek(lo)
                data = fh.read(hi - lo)
                got = _read_range(data, starts[a:b] - lo, stops[a:b] - lo, delimiter, width, odd_left)
                del data
                if got is None:
                    raise NotTaken
                columns, odd = got
                odd_left -= odd
                yield Body(columns, lines[a:b].copy())
    except (OSError, UnicodeDecodeError):
        raise NotTaken from None  # the csv module's reader says what went wrong


def _ranges(starts: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive runs [a, b) of the records starting at `starts`, each about :data:`_RANGE` bytes
    (at least one record)."""
    cuts = np.searchsorted(starts, np.arange(int(starts[0]) + _RANGE, int(starts[-1]) + 1, _RANGE))
    bounds = np.unique(np.concatenate([[0], cuts, [len(starts)]]))
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))


def _read_range(
    data: bytes, starts: np.ndarray, stops: np.ndarray, delimiter: str, width: int, odd_left: int
) -> tuple[list[pa.Array], int] | None:
    """The records of `data` (record k spans [starts[k], stops[k]) of it) as columns of stripped text,
    one contiguous array each, and how many odd records (of another width) there were; None when
    pyarrow and the scan disagree, or more than `odd_left` records are odd."""
    length = stops - starts
    blank = length == 0
    for k in np.flatnonzero(length == 1):  # a line of just CR (CRLF files) is blank too
        blank[k] = data[starts[k] : starts[k] + 1] == b"\r"
    table, odd = _parse(pa.py_buffer(data), delimiter, width, odd_left)
    if table is None:
        return None
    special = _odd_records(data, starts, stops, blank, odd)
    if special is None or table.num_rows + int(special.sum()) != len(starts):
        return None
    return _assemble(table, width, data, starts, stops, special, blank, delimiter), len(odd)


def _parse(
    source: pa.Buffer, delimiter: str, width: int, odd_left: int = _MAX_ODD_ROWS
) -> tuple[pa.Table | None, list[str]]:
    """pyarrow's reading of the records in `source`, and the texts of the rows of another width."""
    odd: list[str] = []

    def keep_aside(row: pacsv.InvalidRow) -> str:
        odd.append(row.text)
        return "skip" if len(odd) <= odd_left else "error"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(source),
            read_options=pacsv.ReadOptions(
                column_names=[f"c{j}" for j in range(width)], block_size=_BLOCK, use_threads=True
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=True,
                invalid_row_handler=keep_aside,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"c{j}": TEXT for j in range(width)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeError):
        return None, odd
    return table, odd


def _scan(fh: BinaryIO, start: int, delimiter: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The newlines that end records (an even number of quotes before them) and their ordinals among
    all newlines, a chunk at a time; None when a quote is out of place or left open, or the file
    holds a NUL byte or a lone carriage return."""
    ends, ordinals = [], []
    quotes = newlines = 0
    off = start
    prev = b"\n"  # the data starts a line
    fh.seek(start)
    while chunk := fh.read(_CHUNK):
        nxt = fh.read(1)
        if nxt:
            fh.seek(-1, io.SEEK_CUR)
        if b"\x00" in chunk:
            return None
        crs = chunk.count(b"\r")
        if crs and crs - chunk.count(b"\r\n") - (chunk.endswith(b"\r") and nxt == b"\n"):
            return None  # a lone carriage return
        buf = np.frombuffer(prev + chunk + nxt, dtype=np.uint8)  # one byte of context either side
        part = buf[1 : 1 + len(chunk)]
        nl = np.flatnonzero(part == _NL)
        q = np.flatnonzero(part == _QUOTE)
        if len(q):
            if not _quotes_in_place(buf, q + 1, quotes, delimiter, at_eof=not nxt):
                return None
            at_end = ((np.searchsorted(q, nl) + quotes) & 1) == 0
            ends.append(nl[at_end] + off)
            ordinals.append(np.flatnonzero(at_end) + newlines)
        elif quotes % 2 == 0:
            ends.append(nl + off)
            ordinals.append(np.arange(newlines, newlines + len(nl)))
        quotes += len(q)
        newlines += len(nl)
        off += len(chunk)
        prev = chunk[-1:]
    if quotes % 2:
        return None
    empty = np.empty(0, dtype=np.int64)
    return (np.concatenate(ends) if ends else empty), (np.concatenate(ordinals) if ordinals else empty)


def _quotes_in_place(buf: np.ndarray, q: np.ndarray, before: int, delimiter: int, at_eof: bool) -> bool:
    """Every quote opens a field (after a delimiter or a line end), closes one (before a delimiter, a
    line end or the end of the file) or is doubled: the k-th quote of the file opens when k is even.
    `q`: positions in `buf`, which holds a byte of context before and (unless at the end) after."""
    opening = ((np.arange(len(q)) + before) & 1) == 0
    prev = buf[q - 1]
    last = q == len(buf) - 1
    nxt = buf[np.minimum(q + 1, len(buf) - 1)]
    opens_ok = np.isin(prev, [delimiter, _NL, _QUOTE])
    closes_ok = np.isin(nxt, [delimiter, _CR, _NL, _QUOTE]) & ~last | (last & at_eof)
    return bool(np.where(opening, opens_ok, closes_ok).all())


def _odd_records(
    data: bytes, starts: np.ndarray, stops: np.ndarray, blank: np.ndarray, odd: list[str]
) -> np.ndarray | None:
    """Which records pyarrow did not give as rows: blank lines, and the rows of another width that it
    handed over as text, found again by their bytes; None when they cannot all be placed."""
    special = blank.copy()
    if odd:
        wanted: dict[bytes, int] = {}
        for text in odd:
            raw = text.encode("utf-8")
            wanted[raw] = wanted.get(raw, 0) + 1
        length = stops - starts
        sizes = [len(w) for w in wanted] + [len(w) + 1 for w in wanted]  # + a CR before the newline
        for k in np.flatnonzero(np.isin(length, sizes) & ~blank):
            raw = data[starts[k] : stops[k]]
            key = raw if raw in wanted else raw[:-1] if raw.endswith(b"\r") else None
            if key is not None and wanted.get(key, 0) > 0:
                wanted[key] -= 1
                special[k] = True
        if any(wanted.values()):
            return None
    return special


def _assemble(
    table: pa.Table,
    width: int,
    data: bytes,
    starts: np.ndarray,
    stops: np.ndarray,
    special: np.ndarray,
    blank: np.ndarray,
    delimiter: str,
) -> list[pa.Array]:
    """The columns in record order, each one contiguous array: pyarrow's rows, and the blank and odd
    records in their places (odd ones read by the csv module from their own bytes)."""
    at = np.flatnonzero(special)
    extra = [[] if blank[k] else _cells(data[starts[k] : stops[k]].decode("utf-8"), delimiter) for k in at]
    full = max([width, *(len(r) for r in extra)])
    order = None
    if len(at) and not np.array_equal(at, np.arange(len(special) - len(at), len(special))):
        # special records before regular ones: put every record in its place
        order = np.empty(len(special), dtype=np.int64)
        order[~special] = np.arange(len(special) - len(at))
        order[at] = len(special) - len(at) + np.arange(len(at))
    columns = []
    for j in range(full):
        # one array per column and range, stripped as a whole: pyarrow's small blocks go once
        # copied, so that a column let go of later hands its memory back whole
        if j < width:
            chunks = table.column(j).chunks
            one = strip_text(pa.concat_arrays(chunks) if chunks else _empty())
            del chunks
        else:
            one = _repeat("", table.num_rows)
        if len(at):  # (their cells are stripped already)
            one = pa.concat_arrays([one, pa.array([r[j] if j < len(r) else "" for r in extra], type=TEXT)])
        columns.append(one.take(pa.array(order)) if order is not None else one)
    return columns


def _cells(text: str, delimiter: str) -> list[str]:
    """One record's cells as stripped text (the csv module's reading of it)."""
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return [cell_text(c) for c in rows[0]] if rows else []


def _repeat(value: str, n: int) -> pa.Array:
    return pa.array(np.full(n, value, dtype=object), type=TEXT)


def _empty() -> pa.Array:
    return pa.array([], type=TEXT)
