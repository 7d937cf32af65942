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
    if not (
        pc.any(pc.match_substring_regex(arr, _EDGE_SPACE)).as_py()
        or pc.any(pc.starts_with(arr, '="')).as_py()
    ):
        return arr
    s = pc.utf8_trim(arr, characters=WHITESPACE)
    idiom = pc.and_(pc.and_(pc.starts_with(s, '="'), pc.ends_with(s, '"')), pc.greater(pc.utf8_length(s), 2))
    if pc.any(idiom).as_py():
        inner = pc.utf8_trim(pc.utf8_slice_codeunits(s, 2, -1), characters=WHITESPACE)
        s = pc.if_else(idiom, inner, s)
    return s


def text_columns(rows: Sequence[Sequence[Any]], width: int) -> list[pa.Array]:
    """Rows (possibly ragged, cells of any type) as `width` columns of stripped text."""
    out = []
    ragged = any(len(r) < width for r in rows)
    for j in range(width):
        col = [r[j] if j < len(r) else "" for r in rows] if ragged else [r[j] for r in rows]
        if not all(type(x) is str for x in col):
            col = [x if type(x) is str else cell_text(x) for x in col]
        out.append(strip_text(pa.array(col, type=TEXT)))
    return out


def empty_column(n: int) -> pa.Array:
    """`n` empty cells."""
    return pa.array(np.full(n, "", dtype=object), type=TEXT)
