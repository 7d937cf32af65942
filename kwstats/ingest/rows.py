"""The rows of all files read together: typed, checked, deduplicated; bad rows set aside with file,
line, column, raw value and reason; the good ones conformed to the canonical case table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kwstats.ingest.grid import TEXT, empty_column, release_memory
from kwstats.ingest.headers import MASKED_FIELDS, TEXT_FIELDS, Raw, norm_header
from kwstats.ingest.result import (
    REASON_AMOUNT_TOO_LARGE,
    REASON_BAD_AMOUNT,
    REASON_BAD_DATE,
    REASON_BAD_FLAG,
    REASON_BAD_URGES,
    REASON_CLOSED_BEFORE_REGISTERED,
    REASON_CONFLICT,
    REASON_DATE_OUT_OF_RANGE,
    REASON_DUPLICATE,
    REASON_FUTURE_DATE,
    REASON_FUTURE_DATE_NOW,
    REASON_MISSING_ID,
    REASON_MISSING_KIND,
    REASON_MISSING_REGISTERED,
    REASON_NEGATIVE_AMOUNT,
    REASON_REPEATED_HEADER,
    REASON_TOO_MANY_URGES,
    REASON_TOTAL,
    REASON_UNKNOWN_KIND,
)
from kwstats.ingest.values import (
    MAX_AMOUNT_YUAN,
    MAX_URGES,
    blank_typed,
    parse_amounts,
    parse_dates,
    parse_flags,
    parse_urges,
)
from kwstats.masking import mask_series
from kwstats.params import Branch, normalize_name
from kwstats.schema import CASE_COLUMNS, DATE_FIELDS, EVENT_DATE_FIELDS, FLAG_FIELDS, REJECT_COLUMNS, conform

TOTAL_PREFIXES = ("合计", "总计", "小计")


class _Rejections:
    """First problem of each row wins; later checks skip rows already set aside.

    Only the rows set aside are touched: their reason, the header of the column and the raw cell.
    """

    def __init__(self, n: int, file_idx: np.ndarray, headers: list[dict[str, str]]) -> None:
        self.reason = np.full(n, None, dtype=object)
        self.column = np.full(n, None, dtype=object)
        self.value = np.full(n, None, dtype=object)
        self.open = np.ones(n, dtype=bool)
        self.file_idx = file_idx
        self.headers = headers
        self._by_file: dict[str, np.ndarray] = {}

    def header_of(self, fld: str, rows: np.ndarray | None = None) -> np.ndarray:
        """The header of `fld` in each row's file (of the given `rows`, else of every row)."""
        if fld not in self._by_file:
            self._by_file[fld] = np.array([h.get(fld, fld) for h in self.headers], dtype=object)
        return self._by_file[fld][self.file_idx if rows is None else self.file_idx[rows]]

    def add(self, mask: Any, reason: Any, column: Any, value: Any) -> np.ndarray:
        m = np.asarray(mask, dtype=bool) & self.open
        at = np.flatnonzero(m)
        if len(at):
            for arr, v in ((self.reason, reason), (self.column, column), (self.value, value)):
                arr[at] = v[at] if isinstance(v, np.ndarray) else v
            self.open[at] = False
        return m

    def add_field(self, mask: Any, reason: Any, fld: str, raw: dict[str, pd.Series]) -> np.ndarray:
        m = np.asarray(mask, dtype=bool) & self.open
        at = np.flatnonzero(m)
        if len(at):
            self.reason[at] = reason[at] if isinstance(reason, np.ndarray) else reason
            self.column[at] = self.header_of(fld, at)
            self.value[at] = raw[fld].iloc[at].to_numpy(dtype=object)
            self.open[at] = False
        return m


def _concat(parts: list[pa.Array | pa.ChunkedArray]) -> pd.Series:
    """Text columns of several files as one str Series (no copy)."""
    chunks = [c for p in parts for c in (p.chunks if isinstance(p, pa.ChunkedArray) else [p])]
    return pd.Series(pd.array(pa.chunked_array(chunks, type=TEXT), dtype="str"))


def _by_value(parse: Callable[[pd.Series], tuple[pd.Series, ...]], s: pd.Series) -> tuple[pd.Series, ...]:
    """`parse(s)`, each distinct cell parsed once (amounts, flags and counts repeat a lot)."""
    codes, uniques = pd.factorize(s, use_na_sentinel=False)
    if len(uniques) * 4 > len(s):
        return parse(s)
    codes = np.asarray(codes)
    return tuple(
        pd.Series(r.to_numpy()[codes], index=s.index, dtype=r.dtype)
        for r in parse(pd.Series(uniques, dtype=s.dtype))
    )


class _Text(dict):
    """Each field over all files as a text Series ('' where a file lacks the column), made when first
    asked for; the files let go of their copy then (a large ingest holds one field at a time twice)."""

    def __init__(self, raws: list[Raw]) -> None:
        super().__init__()
        self.raws = raws

    def __missing__(self, fld: str) -> pd.Series:
        parts = [r.cells.pop(fld) if fld in r.cells else empty_column(len(r.lines)) for r in self.raws]
        self[fld] = column = _concat(parts)
        return column


def parse_rows(raws: list[Raw], branch: Branch, now: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse all files' rows together: set aside bad rows and duplicates, conform the rest.

    `now` (naive Beijing time) bounds the event dates of files that do not state their export time.
    """
    raw = _Text(raws)
    n = sum(len(r.lines) for r in raws)
    file_idx = np.repeat(np.arange(len(raws)), [len(r.lines) for r in raws])
    lines = np.concatenate([r.lines for r in raws]).astype(np.int64)
    first = _concat([r.first for r in raws])
    first_header = np.concatenate([r.first_header for r in raws])
    names = np.array([r.report.source for r in raws], dtype=object)
    for r in raws:  # `first` holds them now
        r.first = empty_column(0)
    rej = _Rejections(n, file_idx, [r.headers for r in raws])

    case_id = raw["case_id"]
    id_total = case_id.str.startswith(TOTAL_PREFIXES).to_numpy(dtype=bool)
    is_total = first.str.startswith(TOTAL_PREFIXES).to_numpy(dtype=bool) | id_total
    total_col = np.full(n, None, dtype=object)
    total_val = np.full(n, None, dtype=object)
    at = np.flatnonzero(is_total)
    if len(at):  # the cell that says 合计: the 编号 cell, else the row's first
        by_id = id_total[at]
        total_col[at] = np.where(by_id, rej.header_of("case_id", at), first_header[at])
        total_val[at] = np.where(by_id, case_id.iloc[at].to_numpy(object), first.iloc[at].to_numpy(object))
    total_mask = rej.add(is_total, REASON_TOTAL, total_col, total_val)
    del first, first_header, total_col, total_val  # (a large ingest holds as little as it can)
    id_aliases = set(branch.headers["case_id"]) | {norm_header(a) for a in branch.headers["case_id"]}
    rej.add_field(case_id.isin(id_aliases), REASON_REPEATED_HEADER, "case_id", raw)
    rej.add_field(case_id == "", REASON_MISSING_ID, "case_id", raw)

    kind = raw["kind"]
    kinds = list(branch.kinds.values())
    rej.add_field(kind == "", REASON_MISSING_KIND, "kind", raw)
    rej.add_field(~kind.isin(kinds), REASON_UNKNOWN_KIND.format(kinds="、".join(kinds)), "kind", raw)

    parsed: dict[str, pd.Series] = {}
    limit, limit_reason = _date_limits(raws, now)
    limit_by_row = limit[file_idx]
    rej.add_field(blank_typed(raw["registered_at"]), REASON_MISSING_REGISTERED, "registered_at", raw)
    for fld in DATE_FIELDS:
        values, bad, out_of_range = parse_dates(raw[fld])
        rej.add_field(bad, REASON_BAD_DATE, fld, raw)
        rej.add_field(out_of_range, REASON_DATE_OUT_OF_RANGE, fld, raw)
        if fld in EVENT_DATE_FIELDS:  # 到期时间 lies in the future by nature
            future = (values.to_numpy(dtype="datetime64[ns]") > limit_by_row) & values.notna().to_numpy()
            rej.add_field(future, limit_reason[file_idx], fld, raw)
        parsed[fld] = values
        if fld != "closed_at":  # (kept for the check against registration below)
            del raw[fld]  # its text is no longer needed (the rows set aside have theirs)
    del limit_by_row
    amount, bad, negative = _by_value(parse_amounts, raw["recovered_loss"])
    rej.add_field(bad, REASON_BAD_AMOUNT, "recovered_loss", raw)
    rej.add_field(negative, REASON_NEGATIVE_AMOUNT, "recovered_loss", raw)
    rej.add_field(amount > MAX_AMOUNT_YUAN, REASON_AMOUNT_TOO_LARGE, "recovered_loss", raw)
    del raw["recovered_loss"]
    parsed["recovered_loss"] = amount.where(amount <= MAX_AMOUNT_YUAN, 0.0)
    for fld in FLAG_FIELDS:
        values, bad = _by_value(parse_flags, raw[fld])
        rej.add_field(bad, REASON_BAD_FLAG, fld, raw)
        parsed[fld] = values
        del raw[fld]
    parsed["urges"], bad = _by_value(parse_urges, raw["urges"])
    rej.add_field(bad, REASON_BAD_URGES, "urges", raw)
    rej.add_field(parsed["urges"] > MAX_URGES, REASON_TOO_MANY_URGES, "urges", raw)

    reg, closed = parsed["registered_at"], parsed["closed_at"]
    # a date-only 办结日期 on the day of registration is not "before" it
    date_only_same_day = (closed == closed.dt.normalize()) & (closed.dt.normalize() == reg.dt.normalize())
    rej.add_field((closed < reg) & ~date_only_same_day, REASON_CLOSED_BEFORE_REGISTERED, "closed_at", raw)
    del raw["closed_at"]

    # text as read ('' where blank: missing values only in the output), the unit as the roster names it
    parsed["kind"] = kind
    for fld in TEXT_FIELDS:
        parsed[fld] = raw[fld]
    parsed["unit"] = _roster_categorical(raw["unit"], branch)
    del raw["unit"]  # (its text: the categorical holds the unit now)
    basis_codes, parsed["closed_by_stage"] = _closure(raws, file_idx, raw["stage"], branch)
    parsed["source_line"] = pd.Series(lines, dtype="int64", copy=False)

    _reject_duplicates(parsed, rej, names[file_idx])

    ok = rej.open
    rejected = _rejected_frame(rej, raw["case_id"], names[file_idx], lines)
    del raw, case_id, kind, reg, closed  # the output is built from `parsed`, column by column
    release_memory()
    out = _output(parsed, ok, basis_codes, file_idx, names)

    set_aside = np.bincount(file_idx[~ok], minlength=len(raws))
    totals = np.bincount(file_idx[total_mask], minlength=len(raws))
    for i, r in enumerate(raws):
        r.report.rows_set_aside = int(set_aside[i])
        r.report.rows_used = r.report.rows_read - int(set_aside[i])
        r.report.total_rows = int(totals[i])
    return out, rejected


def _date_limits(raws: list[Raw], now: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """Per file: the latest possible event date (its export time, else `now`) and the reason to give."""
    limits, reasons = [], []
    for r in raws:
        shown = r.report.exported_at
        at = None if shown is None else pd.Timestamp(shown)
        if at is not None and len(shown) == 10:  # a bare date: the export happened some time that day
            at = at + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
        if at is not None and at <= now:
            limits.append(at)
            reasons.append(REASON_FUTURE_DATE.format(at=shown))
        else:
            limits.append(now)
            reasons.append(REASON_FUTURE_DATE_NOW.format(at=f"{now:%Y-%m-%d %H:%M}"))
    return np.array(limits, dtype="datetime64[ns]"), np.array(reasons, dtype=object)


def roster_units(units: pd.Series, branch: Branch) -> pd.Series:
    """Unit names as the roster writes them: a roster name or one of its aliases, compared without
    whitespace and full-/half-width differences, becomes the roster's name; other names stay as found."""
    codes, labels = _roster_codes(units.astype("string"), branch)
    out = np.full(len(codes), pd.NA, dtype=object)
    found = codes >= 0
    out[found] = labels[codes[found]]
    return pd.Series(out, index=units.index, dtype="object")


def _roster_codes(units: pd.Series, branch: Branch) -> tuple[np.ndarray, np.ndarray]:
    """(code of each row, -1 where missing; the roster's name, or the name as found, per code):
    each distinct name is looked up once."""
    codes, uniques = pd.factorize(units, use_na_sentinel=True)
    found = pd.Series(uniques, dtype="string")
    key = found.str.normalize("NFKC").str.replace(r"\s+", "", regex=True)
    mapped = key.map(branch.unit_names(), na_action="ignore")
    labels = mapped.where(mapped.notna(), found).astype("object").to_numpy()
    return np.asarray(codes), labels


def _roster_categorical(units: pd.Series, branch: Branch) -> pd.Series:
    """The unit of each row (roster names; missing where blank) as a categorical."""
    codes, labels = _roster_codes(units.mask(units == ""), branch)
    return _categorical(codes, labels, units.index)


def _categorical(codes: np.ndarray, labels: np.ndarray, index: pd.Index) -> pd.Series:
    """A categorical of `labels[codes]` (-1: missing) whose categories are those the canonical table
    gives (see :func:`kwstats.schema.conform`): the distinct labels, sorted."""
    present = np.unique(codes[codes >= 0]) if len(codes) else np.empty(0, dtype=np.int64)
    categories = pd.Series(labels[present], dtype="object").astype("category").cat.categories
    remap = np.full(len(labels) + 1, -1, dtype=np.int64)  # the last slot: code -1 stays -1
    remap[present] = categories.get_indexer(labels[present])
    return pd.Series(
        pd.Categorical.from_codes(remap[codes], dtype=pd.CategoricalDtype(categories)), index=index
    )


def _closure(
    raws: list[Raw], file_idx: np.ndarray, stage: pd.Series, branch: Branch
) -> tuple[np.ndarray, pd.Series]:
    """closure_basis (as a code into :data:`_BASES`) and closed_by_stage of each row (see
    :mod:`kwstats.schema`).

    A file with a closure-date column: "date". Without one but with a stage column: "stage", and
    closed when the stage is one of ``branch.closed_stages``. With neither: "none" (unknown).
    """
    basis_of_file = np.array(
        [0 if "closed_at" in r.headers else 1 if "stage" in r.headers else 2 for r in raws], dtype=np.int64
    )
    basis = basis_of_file[file_idx] if len(raws) else np.empty(0, dtype=np.int64)
    closed_words = {normalize_name(w) for w in branch.closed_stages}
    codes, uniques = pd.factorize(stage)
    key = pd.Series(uniques, dtype="str").str.normalize("NFKC").str.replace(r"\s+", "", regex=True)
    closed_unique = np.append(key.isin(closed_words).to_numpy(dtype=bool), False)
    by_stage = (basis == 1) & closed_unique[np.asarray(codes)]
    return basis, pd.Series(by_stage, index=stage.index)


_BASES = np.array(["date", "stage", "none"], dtype=object)


_FREE_TEXT = ("respondent", "content", "result")  # kept as text; the other text fields are categories


def _output(
    cases: dict[str, pd.Series], ok: np.ndarray, basis: np.ndarray, file_idx: np.ndarray, names: np.ndarray
) -> pd.DataFrame:
    """The rows kept, as the canonical case table: every text field but the case id masked
    (:data:`MASKED_FIELDS`; categories label by label, a label with digits row by row, since the
    row's own case id is no card number), blanks missing."""
    at = np.flatnonzero(ok)
    every = len(at) == len(ok)
    index = pd.RangeIndex(len(at))

    runs = None if every else _runs(ok)

    def kept(s: pd.Series) -> pd.Series:
        if every:
            return s.reset_index(drop=True)
        values = s.array
        if runs is not None and isinstance(values, pd.arrays.ArrowStringArray):
            # text: the runs of rows kept, as slices of the same buffers (no copy)
            got = pa.array(values)  # the same buffers
            pieces = got if isinstance(got, pa.ChunkedArray) else pa.chunked_array([got])
            parts = [c for a, b in runs for c in pieces.slice(a, b - a).chunks]
            return pd.Series(pd.array(pa.chunked_array(parts, type=pieces.type), dtype=s.dtype), index=index)
        return s.iloc[at].reset_index(drop=True)

    ids = kept(cases.pop("case_id"))
    out: dict[str, pd.Series] = {"case_id": ids}
    for c in CASE_COLUMNS:
        if c in cases and c not in out and c not in TEXT_FIELDS and c != "kind":
            out[c] = kept(cases.pop(c))
    out["kind"] = _text_categorical(kept(cases.pop("kind")), ids, masked=False)
    for fld in TEXT_FIELDS:
        if fld == "case_id":
            continue
        col = kept(cases.pop(fld))  # (the last reference to the text as read: it goes once masked)
        if fld in _FREE_TEXT:
            out[fld] = _blank_missing(mask_series(col, keep=ids) if fld in MASKED_FIELDS else col)
        elif fld == "unit":
            out[fld] = _mask_categorical(col, ids)
        else:
            out[fld] = _text_categorical(col.mask(col == ""), ids, masked=fld in MASKED_FIELDS)
    out["closure_basis"] = _categorical(basis[at], _BASES, index)
    out["source_file"] = _categorical(file_idx[at], names, index)
    return conform(pd.DataFrame(out, index=index, copy=False))


def _blank_missing(s: pd.Series) -> pd.Series:
    """A text Series with its empty texts missing (string dtype), sharing the text's buffers: only a
    validity bitmap is made."""
    values = pa.array(s.array)
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    out = []
    for c in chunks:
        if c.type not in (pa.string(), pa.large_string()):
            c = c.cast(pa.large_string())
        filled = pc.fill_null(pc.greater(pc.binary_length(c), 0), False).to_numpy(zero_copy_only=False)
        bits = np.packbits(np.concatenate([np.ones(c.offset, dtype=bool), filled]), bitorder="little")
        _, offsets, data = c.buffers()
        out.append(
            pa.Array.from_buffers(c.type, len(c), [pa.py_buffer(bits), offsets, data], offset=c.offset)
        )
    return pd.Series(pd.array(pa.chunked_array(out, type=values.type), dtype="string"), index=s.index)


def _runs(ok: np.ndarray, most: int = 1000) -> list[tuple[int, int]] | None:
    """The runs [a, b) of consecutive True in `ok`, or None when there are more than `most`."""
    edges = np.flatnonzero(np.diff(np.concatenate([[False], ok, [False]]).astype(np.int8)))
    if len(edges) > 2 * most:
        return None
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def _text_categorical(col: pd.Series, ids: pd.Series, masked: bool = True) -> pd.Series:
    """Text (missing where NA) as a categorical, masked when `masked`."""
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    cat = _categorical(np.asarray(codes), np.asarray(uniques, dtype=object), col.index)
    return _mask_categorical(cat, ids) if masked else cat


def _mask_categorical(cat: pd.Series, ids: pd.Series) -> pd.Series:
    """A categorical with its labels masked: each label once, a label with a digit row by row with
    the row's case id (see :func:`kwstats.masking.mask_text`)."""
    labels = np.asarray(cat.cat.categories, dtype=object)
    codes = np.asarray(cat.cat.codes, dtype=np.int64)
    if not len(labels):
        return _categorical(codes, labels, cat.index)
    masked = mask_series(pd.Series(labels, dtype="str")).to_numpy(dtype=object)
    digits = pd.Series(labels, dtype="str").str.contains(r"\d", regex=True).to_numpy(dtype=bool)
    if not digits.any():  # (categories: those of the rows kept only)
        return _categorical(codes, masked, cat.index)
    rows = np.flatnonzero(np.isin(codes, np.flatnonzero(digits)))
    per_row = mask_series(
        pd.Series(labels[codes[rows]], dtype="str"), keep=ids.iloc[rows].reset_index(drop=True)
    )
    extra = per_row.to_numpy(dtype=object)
    all_labels = np.concatenate([masked, extra])
    new_codes = codes.copy()
    new_codes[rows] = len(masked) + np.arange(len(rows))
    return _categorical(new_codes, all_labels, cat.index)


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Elementwise equality of two aligned Series, where missing equals missing."""
    eq = (a == b).fillna(False).to_numpy(dtype=bool)
    return eq | (a.isna().to_numpy() & b.isna().to_numpy())


def _repeats(ids: pd.Series) -> np.ndarray:
    """Whether each id is that of an earlier row (``duplicated(keep="first")``), by a stable sort of
    the ids: half the memory of hashing them, which matters at a million rows."""
    values = pa.array(ids.array)
    order = pc.array_sort_indices(values).to_numpy()  # stable: equal ids in row order
    ordered = values.take(pa.array(order))
    same = np.zeros(len(order), dtype=bool)
    if len(order) > 1:
        later, earlier = ordered.slice(1), ordered.slice(0, len(order) - 1)
        equal = pc.fill_null(pc.equal(later, earlier), False)
        both_missing = pc.and_(pc.is_null(later), pc.is_null(earlier))  # (missing equals missing)
        same[1:] = np.asarray(pc.or_(equal, both_missing).to_numpy(zero_copy_only=False), dtype=bool)
    del ordered
    out = np.zeros(len(order), dtype=bool)
    out[order[same]] = True  # every id of a run of equal ones but the first
    return out


def _reject_duplicates(cases: dict[str, pd.Series], rej: _Rejections, sources: np.ndarray) -> None:
    """Set aside later rows whose case id was already seen: identical, or conflicting (first kept).

    `sources`: the file each row came from (as rows name it).
    """
    open_at = np.flatnonzero(rej.open)
    ids = cases["case_id"].iloc[open_at]
    dup = _repeats(ids)
    if not dup.any():
        return
    first_at = pd.Series(open_at[~dup], index=ids.iloc[np.flatnonzero(~dup)].to_numpy(dtype=object))
    at = open_at[dup]
    ref_at = first_at.loc[ids.iloc[np.flatnonzero(dup)].to_numpy(dtype=object)].to_numpy()
    later = pd.DataFrame({c: s.iloc[at].reset_index(drop=True) for c, s in cases.items()})
    ref = pd.DataFrame({c: s.iloc[ref_at].reset_index(drop=True) for c, s in cases.items()})
    where = sources[ref_at]
    line = cases["source_line"].to_numpy()[ref_at]
    differing = np.full(len(at), "", dtype=object)
    for c in CASE_COLUMNS:
        if c in ("case_id", "source_file", "source_line", "closure_basis", "closed_by_stage"):
            continue
        header = rej.header_of(c, at)
        differing = differing + np.where(_same(later[c], ref[c]), "", "、" + header)
    reasons = np.array(
        [
            REASON_CONFLICT.format(columns=f"不同的列：{d[1:]}", file=f, line=n)
            if d
            else REASON_DUPLICATE.format(file=f, line=n)
            for d, f, n in zip(differing, where, line, strict=True)
        ],
        dtype=object,
    )
    n = len(rej.open)
    full = np.empty(n, dtype=object)
    full[at] = reasons
    values = np.empty(n, dtype=object)
    values[at] = cases["case_id"].iloc[at].to_numpy(dtype=object)
    mask = np.zeros(n, dtype=bool)
    mask[at] = True
    column = np.empty(n, dtype=object)
    column[at] = rej.header_of("case_id", at)
    rej.add(mask, full, column, values)


def _rejected_frame(rej: _Rejections, ids: pd.Series, sources: np.ndarray, lines: np.ndarray) -> pd.DataFrame:
    """The set-aside rows in REJECT_COLUMNS, in file and line order; every text masked.

    Rows set aside can hold anything (a trailing note such as 制表人：张三 联系电话：… lands in the
    编号 column), so each text column goes through :func:`kwstats.masking.mask_series`.
    """
    bad = np.flatnonzero(~rej.open)
    case_id = pd.Series(ids.iloc[bad].to_numpy(dtype=object), dtype="str")
    reasons = pd.Series(rej.reason[bad], dtype="string")
    no_id = (case_id == "") | reasons.isin([REASON_TOTAL, REASON_REPEATED_HEADER])
    frame = pd.DataFrame(
        {
            "source_file": pd.Series(sources[bad], dtype="string"),
            "source_line": pd.Series(lines[bad], dtype="int64"),
            "column": pd.Series(rej.column[bad], dtype="string"),
            "value": pd.Series(rej.value[bad], dtype="string"),
            "reason": reasons,
            "case_id": case_id.astype("string").mask(no_id, pd.NA),
        }
    )
    # the case id is the key: as a run of 16-19 digits it is no card number (kwstats.masking)
    ids = frame["case_id"]
    for col in ("source_file", "column", "value", "reason", "case_id"):
        frame[col] = mask_series(frame[col], keep=ids if col in ("value", "case_id") else None)
    return frame[list(REJECT_COLUMNS)].reset_index(drop=True)
