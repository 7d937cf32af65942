"""Cells as stripped text, whatever reader produced them: the first rows as a grid (for the header
and the title rows above it), the rows below as columns (pyarrow strings, one array per column)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: What str.strip() strips: every character for which str.isspace() is true (tests check the list).
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
TEXT = pa.string()  # the type of every text column while reading (pandas holds large_string: cast on the way)
_SPACE_CLASS = "[" + "".join(f"\\x{{{ord(c):04x}}}" for c in WHITESPACE) + "]"
_EDGE_SPACE = f"^{_SPACE_CLASS}|{_SPACE_CLASS}$"  # a cell that strip() changes


def cell_text(x: Any) -> str:
    """A cell as stripped text; Excel numbers without spurious '.0', datetimes in ISO form."""
    if type(x) is str:
        x = x.strip()
        if x[:2] == '="' and x[-1:] == '"' and len(x) > 2:  # CSV idiom keeping long numbers as text
            return x[2:-1].strip()
        return x
    if x is None:
        return ""
    if isinstance(x, bool):
        return "TRUE" if x else "FALSE"
    if isinstance(x, float):
        if math.isnan(x):
            return ""
        if x.is_integer() and abs(x) < 1e16:
            return str(int(x))
        return repr(x)
    if isinstance(x, dt.datetime):
        return x.isoformat(sep=" ")
    if isinstance(x, dt.date | dt.time):
        return x.isoformat()
    return str(x).strip()


_to_text = np.frompyfunc(cell_text, 1, 1)


def text_grid(rows: Sequence[Sequence[Any]], width: int | None = None) -> np.ndarray:
    """Rows (possibly ragged) as a 2-D object array of stripped text, `width` columns (default: the
    widest row)."""
    if not rows:
        return np.empty((0, width or 0), dtype=object)
    if width is None:
        width = max(len(r) for r in rows)
    if width == 0:
        return np.full((len(rows), 0), "", dtype=object)
    if any(len(r) != width for r in rows):
        rows = [list(r) + [""] * (width - len(r)) for r in rows]
    cells = np.empty((len(rows), width), dtype=object)
    cells[:] = rows
    return _to_text(cells).astype(object)


def strip_text(arr: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """:func:`cell_text` of text cells, a whole column at once: stripped as str.strip() strips, the
    CSV idiom ="…" unwrapped. A column with nothing to change is returned as it is (no copy)."""
    if not (_edge_space(arr) or pc.any(pc.starts_with(arr, '="')).as_py()):
        return arr
    s = pc.utf8_trim(arr, characters=WHITESPACE)
    idiom = pc.and_(pc.and_(pc.starts_with(s, '="'), pc.ends_with(s, '"')), pc.greater(pc.utf8_length(s), 2))
    if pc.any(idiom).as_py():
        inner = pc.utf8_trim(pc.utf8_slice_codeunits(s, 2, -1), characters=WHITESPACE)
        s = pc.if_else(idiom, inner, s)
    return s


# the UTF-8 bytes of each whitespace character; the bytes it can start and end with
_SPACE_BYTES = [c.encode() for c in WHITESPACE]
_MAY_START = np.zeros(256, dtype=bool)
_MAY_START[[b[0] for b in _SPACE_BYTES]] = True
_MAY_END = np.zeros(256, dtype=bool)
_MAY_END[[b[-1] for b in _SPACE_BYTES]] = True
_SPACE_KEYS = {n: [int.from_bytes(b, "big") for b in _SPACE_BYTES if len(b) == n] for n in (1, 2, 3)}


def _edge_space(arr: pa.Array | pa.ChunkedArray) -> bool:
    """Whether some cell starts or ends with whitespace, read off the UTF-8 bytes: a first (last) byte
    that may begin (end) one, then the whole spelling there (UTF-8 is self-synchronising: bytes that
    spell a character where a character starts or ends are that character)."""
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    for chunk in chunks:
        if not len(chunk):
            continue
        if chunk.type not in (pa.string(), pa.large_string()):
            if pc.any(pc.match_substring_regex(chunk, _EDGE_SPACE)).as_py():
                return True
            continue
        _, offsets, data = chunk.buffers()
        if data is None:
            continue
        width = np.int64 if chunk.type == pa.large_string() else np.int32
        bounds = np.frombuffer(offsets, dtype=width)[chunk.offset : chunk.offset + len(chunk) + 1]
        raw = np.frombuffer(data, dtype=np.uint8)
        starts, ends = bounds[:-1].astype(np.int64), bounds[1:].astype(np.int64)
        filled = ends > starts
        starts, ends = starts[filled], ends[filled]
        first = starts[_MAY_START[raw[starts]]]
        last = ends[_MAY_END[raw[ends - 1]]]
        for n, keys in _SPACE_KEYS.items():
            for at in (first[first + n <= len(raw)], last[last - n >= 0] - n):
                key = np.zeros(len(at), dtype=np.uint32)
                for k in range(n):
                    key = (key << 8) | raw[at + k]
                if np.isin(key, keys).any():
                    return True
    return False


def text_columns(rows: Sequence[Sequence[Any]], width: int) -> list[pa.Array]:
    """Rows (possibly ragged, cells of any type) as `width` columns of stripped text."""
    if not rows:
        return [empty_column(0) for _ in range(width)]
    if any(len(r) != width for r in rows):
        rows = [list(r) + [""] * (width - len(r)) for r in rows]
    out = []
    for col in zip(*rows, strict=True):
        try:  # text and blanks only (most columns): converted in C
            arr = pa.array(col, type=TEXT).fill_null("")
        except (pa.ArrowTypeError, pa.ArrowInvalid):  # numbers, dates, booleans as Excel stores them
            arr = pa.array([x if type(x) is str else cell_text(x) for x in col], type=TEXT)
        out.append(strip_text(arr))
    return out


def empty_column(n: int) -> pa.Array:
    """`n` empty cells."""
    return pa.array(np.full(n, "", dtype=object), type=TEXT)


def release_memory() -> None:
    """Hand back to the system what pyarrow's allocator keeps of freed memory (it keeps it for reuse;
    between the steps of a large ingest, that would add up to the peak)."""
    pa.default_memory_pool().release_unused()
