"""A row's own personal values (its 姓名, 地址, numbers), masked where they recur in its other cells
before the personal columns are dropped — a whole file at once.

:func:`kwstats.masking.mask_known_rows` does the masking, row by row. Most rows repeat none of their
values, so the rows that may are found first with whole-column operations, by a test that lets
through every row the row-by-row test would (a superset, never fewer), and only those are handed
over.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kwstats.ingest.grid import TEXT, WHITESPACE
from kwstats.masking import mask_known_rows

# The row-by-row test (kwstats.masking._may_recur) on a personal value v, stripped of " -_.·":
# - digits and separators only (a phone, an ID number): may recur when the row's other text holds a
#   run of 7 digits, so at least 7 digits;
# - with a separator character or 5 digits (several words, an address with a number): always;
# - else (a name, an address): may recur when the last 2 characters of its skeleton (NFKD, letters
#   and digits only: names are matched folded, '李 四' / '团山街１７０号') are in the skeleton of the
#   row's other text.
_DIGIT = r"\p{Nd}"
_PURE_NUMBER = (
    r"^[\p{Nd}"
    + "".join(f"\\x{{{ord(c):04x}}}" for c in WHITESPACE)
    + r"\-_/.()（）+＋Xx\x{2010}-\x{2015}\x{2212}\x{ff0d}]+$"
)
_SPLIT = (
    r"[\s,，、;；/|()（）:：\[\]【】<>《》\"'“”‘’" + "".join(f"\\x{{{ord(c):04x}}}" for c in WHITESPACE) + "]"
)
_FIVE_DIGITS = r"(?:\p{Nd}\P{Nd}*){5}"
_MIN_DIGITS = 7


def mask_own_values(
    columns: Sequence[pa.Array], own: Sequence[pa.Array], names_only: Collection[int] = ()
) -> list[pa.Array]:
    """`columns` (aligned text columns) with each row's own values from the `own` personal columns
    masked where they recur; in the columns numbered in `names_only` only names and addresses."""
    columns = list(columns)
    if not own or not columns or not len(own[0]):
        return columns
    rows = np.flatnonzero(_candidates(columns, own, names_only))
    if not len(rows):
        return columns
    take = pa.array(rows, type=pa.int64())
    before = [c.take(take).to_numpy(zero_copy_only=False) for c in columns]
    after = mask_known_rows(
        before, [o.take(take).to_numpy(zero_copy_only=False) for o in own], names_only=sorted(names_only)
    )
    out = []
    for col, old, new in zip(columns, before, after, strict=True):
        changed = np.fromiter((a != b for a, b in zip(old, new, strict=True)), dtype=bool, count=len(old))
        if changed.any():
            where = np.zeros(len(col), dtype=bool)
            where[rows[changed]] = True
            col = pc.replace_with_mask(col, pa.array(where), pa.array(new[changed], type=TEXT))
        out.append(col)
    return out


def _candidates(columns: list[pa.Array], own: Sequence[pa.Array], names_only: Collection[int]) -> np.ndarray:
    """Rows where some own value may recur (every row the row-by-row test would look at, and more).

    A value of 7 digits or more may recur only where the row's other text has 7 digits; a value
    with a separator or 5 digits that is no plain number is always looked at; any other value
    (a name, an address) where its last 4 characters are in the row's text.
    """
    n = len(own[0])
    digits = np.zeros(n, dtype=np.int64)
    for k, c in enumerate(columns):
        if k not in names_only:
            digits += pc.count_substring_regex(c, _DIGIT).to_numpy(zero_copy_only=False)
    many_digits = digits >= _MIN_DIGITS
    out = np.zeros(n, dtype=bool)
    words = []  # per own column: the rows whose value is looked for by its end
    for o in own:
        v = pc.utf8_trim(o, characters=" -_.·")
        present = _np(pc.greater(pc.binary_length(v), 0))
        number = _np(pc.match_substring_regex(v, _PURE_NUMBER))
        split = _np(pc.match_substring_regex(v, _SPLIT)) | _np(pc.match_substring_regex(v, _FIVE_DIGITS))
        split |= _np(pc.match_substring(v, "\x00"))  # could straddle two cells of the joined text
        out |= present & (many_digits | (~number & split))
        words.append((v, present & ~number & ~split))
    todo = np.zeros(n, dtype=bool)
    for _, word in words:
        todo |= word
    todo &= ~out
    if todo.any():
        rows = np.flatnonzero(todo)
        at = pa.array(rows, type=pa.int64())
        text = _skeleton(
            pc.binary_join_element_wise(*(c.take(at) for c in columns), pa.scalar("\x00", TEXT))
        ).to_pylist()
        for v, word in words:
            ends = pc.utf8_slice_codeunits(_skeleton(v.take(at)), -2).to_pylist()
            looked = word[rows].tolist()
            hit = [w and e in t for w, e, t in zip(looked, ends, text, strict=True)]
            out[rows[np.asarray(hit, dtype=bool)]] = True
    return out


def _skeleton(arr: pa.Array) -> pa.Array:
    """kwstats.masking._skeleton a column at a time: NFKD, then letters and digits only."""
    return pc.replace_substring_regex(pc.utf8_normalize(arr, "NFKD"), r"[^\p{L}\p{N}]+", "")


def _np(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=bool)
