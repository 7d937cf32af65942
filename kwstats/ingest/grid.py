"""Cells as a grid of stripped text, whatever reader produced them."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np


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


def text_grid(rows: list[list[Any]]) -> np.ndarray:
    """Rows (possibly ragged) as a 2-D object array of stripped text."""
    if not rows:
        return np.empty((0, 0), dtype=object)
    width = max(len(r) for r in rows)
    if width == 0:
        return np.full((len(rows), 0), "", dtype=object)
    if any(len(r) != width for r in rows):
        rows = [list(r) + [""] * (width - len(r)) for r in rows]
    cells = np.empty((len(rows), width), dtype=object)
    cells[:] = rows
    return _to_text(cells).astype(object)
