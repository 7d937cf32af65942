"""A row's own personal values (its 姓名, 地址, numbers), masked where they recur in its other cells
before the personal columns are dropped — a whole file at once.

:func:`kwstats.masking.mask_known_rows` does the masking, row by row. Most rows repeat none of their
values, so the rows that may are found first with whole-column operations, by a test that lets
through every row the row-by-row test would (a superset, never fewer), and only those are handed
over.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kwstats.ingest.grid import TEXT, WHITESPACE
from kwstats.masking import mask_known_rows
from kwstats.masking.known import _skeleton as _py_skeleton

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
_PLAIN_NUMBER = r"^\+?[0-9]{7,}$"  # one run of digits: every form it recurs in ends with its last 4
_NOT_ALNUM = r"[^\p{L}\p{N}]+"
# Characters whose skeleton (kwstats.masking._skeleton: NFKD, then what is not a letter or a digit
# dropped) is the same without NFKD and with RE2's letters and digits: ASCII, CJK ideographs, CJK and
# general punctuation, full-width punctuation (tests check every one of them).
_USUAL_RANGES = (
    (0x00, 0x7F), (0x2000, 0x206F), (0x3000, 0x3037), (0x303B, 0x303F), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
    (0xFF01, 0xFF0F), (0xFF1A, 0xFF20), (0xFF3B, 0xFF40), (0xFF5B, 0xFF65),
)  # fmt: skip
_USUAL = "".join(f"\\x{{{a:04x}}}-\\x{{{b:04x}}}" for a, b in _USUAL_RANGES)
_UNUSUAL = f"[^{_USUAL}]"
_MIN_DIGITS = 7
_BATCH = 1 << 17  # rows tested at a time


def mask_own_values(
    columns: Sequence[pa.Array], own: Sequence[pa.Array], names_only: Collection[int] = ()
) -> list[pa.Array]:
    """`columns` (aligned text columns) with each row's own values from the `own` personal columns
    masked where they recur; in the columns numbered in `names_only` only names and addresses."""
    columns = [c if c.type == TEXT else c.cast(TEXT) for c in columns]
    own = [o if o.type == TEXT else o.cast(TEXT) for o in own]
    if not own or not columns or not len(own[0]):
        return columns
    n = len(own[0])
    found = [  # a batch of rows at a time: the test's own columns stay small
        np.flatnonzero(
            _candidates([c.slice(a, _BATCH) for c in columns], [o.slice(a, _BATCH) for o in own], names_only)
        )
        + a
        for a in range(0, n, _BATCH)
    ]
    rows = np.concatenate(found)
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
            col = replace_rows(col, rows[changed], new[changed])
        out.append(col)
    return out


def replace_rows(col: pa.Array | pa.ChunkedArray, rows: np.ndarray, values: Sequence[str]) -> pa.ChunkedArray:
    """`col` with the given rows (ascending) replaced by `values`; chunks without any are kept as
    they are (no copy)."""
    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    values = np.asarray(values, dtype=object)
    out = []
    start = 0
    for chunk in chunks:
        lo, hi = np.searchsorted(rows, [start, start + len(chunk)])
        if hi > lo:
            where = np.zeros(len(chunk), dtype=bool)
            where[rows[lo:hi] - start] = True
            chunk = pc.replace_with_mask(chunk, pa.array(where), pa.array(values[lo:hi], type=chunk.type))
        out.append(chunk)
        start += len(chunk)
    return pa.chunked_array(out, type=col.type)


def _candidates(columns: list[pa.Array], own: Sequence[pa.Array], names_only: Collection[int]) -> np.ndarray:
    """Rows where some own value may recur (every row the row-by-row test would look at, and more).

    A number may recur only where the row's other text has 7 digits (a plain one, 13812345678, only
    where its last 4 digits are among them); a value with a separator or 5 digits that is no number
    is always looked at; any other value (a name, an address) where the last 2 characters of its
    skeleton are in the skeleton of the row's text.
    """
    n = len(own[0])
    full = [c for k, c in enumerate(columns) if k not in names_only]
    unusual = [_unusual(c) for c in columns]  # (no digit of another script in the others)
    digits = np.zeros(n, dtype=np.int64)
    other_digits = np.zeros(n, dtype=bool)  # full-width or other scripts: left to the row test
    for k, c in enumerate(columns):
        if k in names_only:
            continue
        digits += _by_text(c, lambda texts: pc.count_substring_regex(texts, "[0-9]"))
        if unusual[k].any():
            at = np.flatnonzero(unusual[k])
            all_digits = pc.count_substring_regex(c.take(pa.array(at)), _DIGIT).to_numpy(zero_copy_only=False)
            extra = all_digits - digits_of(c, at)
            digits[at] += extra
            other_digits[at] |= extra > 0
    many_digits = digits >= _MIN_DIGITS
    out = np.zeros(n, dtype=bool)
    words = []  # per own column: the rows whose value is looked for by its end
    plains = []  # per own column: the rows whose value is one plain number, looked for by its last digits
    for o in own:
        v = pc.utf8_trim(o, characters=" -_.·")
        present = _np(pc.greater(pc.binary_length(v), 0))
        number = _np(pc.match_substring_regex(v, _PURE_NUMBER))
        plain = _np(pc.match_substring_regex(v, _PLAIN_NUMBER))
        split = _np(pc.match_substring_regex(v, _SPLIT)) | _np(pc.match_substring_regex(v, _FIVE_DIGITS))
        split |= _np(pc.match_substring(v, "\x00"))  # could straddle two cells of the joined text
        out |= present & ((number & ~plain & many_digits) | (~number & split))
        out |= present & plain & many_digits & other_digits
        plains.append((v, present & plain & many_digits & ~other_digits))
        words.append((v, present & ~number & ~split))
    # a plain number (13812345678) can be masked only where its last 4 digits are among the text's
    todo = np.zeros(n, dtype=bool)
    for _, plain in plains:
        todo |= plain
    todo &= ~out
    if todo.any() and full:
        rows = np.flatnonzero(todo)
        at = pa.array(rows, type=pa.int64())
        joined = pc.binary_join_element_wise(*(c.take(at) for c in full), pa.scalar("", TEXT))
        text = pc.replace_substring_regex(joined, "[^0-9]+", "").to_pylist()
        for v, plain in plains:
            ends = pc.utf8_slice_codeunits(v.take(at), -4).to_pylist()
            hit = [p and e in t for p, e, t in zip(plain[rows].tolist(), ends, text, strict=True)]
            out[rows[np.asarray(hit, dtype=bool)]] = True
    todo = np.zeros(n, dtype=bool)
    for _, word in words:
        todo |= word
    todo &= ~out
    if todo.any():
        out |= _words_recur(columns, words, todo, np.logical_or.reduce(unusual))
    return out


def digits_of(col: pa.Array | pa.ChunkedArray, rows: np.ndarray) -> np.ndarray:
    """The number of ASCII digits in the given rows' cells."""
    return np.asarray(
        pc.count_substring_regex(col.take(pa.array(rows)), "[0-9]").to_numpy(zero_copy_only=False)
    )


def _words_recur(
    columns: list[pa.Array], words: list[tuple[pa.Array, np.ndarray]], todo: np.ndarray, unusual: np.ndarray
) -> np.ndarray:
    """Rows (of `todo`) where the last 2 characters of a word value's skeleton are in the skeleton of
    the row's text: exactly the row test, found a column at a time.

    Where text and value hold only usual characters (:data:`_USUAL`), the skeleton is the text without
    what is not a letter or a digit, which DuckDB checks for all rows at once, looking only where the
    value's last character is in the row at all. Rows with other characters go through
    :func:`kwstats.masking._skeleton` itself.
    """
    import duckdb  # only here: ingest without personal columns never needs it

    n = len(todo)
    hit = np.zeros(n, dtype=bool)
    names = [f"c{k}" for k in range(len(columns))]
    table: dict[str, pa.Array] = dict(zip(names, columns, strict=True))
    queries = []
    for j, (v, word) in enumerate(words):
        looked = word & todo
        if not looked.any():
            continue
        odd = _np(pc.match_substring_regex(v, _UNUSUAL))
        plain = looked & ~unusual & ~odd
        end = pc.utf8_slice_codeunits(pc.replace_substring_regex(v, _NOT_ALNUM, ""), -2)
        empty = _np(pc.equal(pc.binary_length(end), 0))
        hit |= plain & empty  # no letter or digit: '' is in every text
        plain &= ~empty
        mask = pa.array(~plain)
        table[f"e{j}"] = pc.if_else(mask, pa.scalar(None, TEXT), end)
        table[f"l{j}"] = pc.if_else(mask, pa.scalar(None, TEXT), pc.utf8_slice_codeunits(end, -1))
        anywhere = " OR ".join(f"contains({c}, l{j})" for c in names)
        skeleton = f"regexp_replace(concat({', '.join(names)}), '{_NOT_ALNUM}', '', 'g')"
        queries.append(f"coalesce(CASE WHEN {anywhere} THEN contains({skeleton}, e{j}) END, false) AS h{j}")
        rest = np.flatnonzero(looked & (unusual | odd))
        if len(rest):
            hit[rest[_python_test(columns, v, rest)]] = True
    if not queries:
        return hit
    with duckdb.connect() as con:
        con.register("rows_", pa.table(table))
        found = con.sql(f"SELECT {', '.join(queries)} FROM rows_").to_arrow_table()
    for column in found.columns:
        hit |= _np(column)
    return hit


def _unusual(col: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Rows whose cell holds a character outside :data:`_USUAL` (ASCII cells are skipped)."""
    other = _np(pc.invert(pc.string_is_ascii(col)))
    if not other.any():
        return other
    if other.sum() * 5 < len(col):  # a few cells (dates written 2022年1月5日): those only
        at = np.flatnonzero(other)
        other[at] = _np(pc.match_substring_regex(col.take(pa.array(at)), _UNUSUAL))
        return other
    return _by_text(col, lambda texts: pc.match_substring_regex(texts, _UNUSUAL))


def _by_text(col: pa.Array | pa.ChunkedArray, fn: Callable[[pa.Array], pa.Array]) -> np.ndarray:
    """`fn` (text -> value, element-wise) over a column as a numpy array: once per distinct text
    when the column repeats itself (units, categories, flags, names), else cell by cell."""
    sample = col.slice(0, 4096)
    if len(pc.unique(sample)) * 4 > len(sample):  # mostly distinct (free text): every cell
        return np.asarray(fn(col).to_numpy(zero_copy_only=False))
    texts = pc.unique(col)
    per_text = np.asarray(fn(texts).to_numpy(zero_copy_only=False))
    return per_text[np.asarray(pc.index_in(col, value_set=texts).to_numpy(zero_copy_only=False))]


def _python_test(columns: list[pa.Array], v: pa.Array, rows: np.ndarray) -> np.ndarray:
    """The row test's word check, in Python, for the given rows."""
    at = pa.array(rows, type=pa.int64())
    cells = [c.take(at).to_pylist() for c in columns]
    values = v.take(at).to_pylist()
    out = []
    for i, value in enumerate(values):
        text = _py_skeleton("\x00".join(col[i] for col in cells))
        out.append(_py_skeleton(value)[-2:] in text)
    return np.asarray(out, dtype=bool)


def _np(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=bool)
