"""The rows of all files read together: typed, checked, deduplicated; bad rows set aside with file,
line, column, raw value and reason; the good ones conformed to the canonical case table."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from kwstats.ingest.grid import TEXT, empty_column
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
    """First problem of each row wins; later checks skip rows already set aside."""

    def __init__(self, n: int, file_idx: np.ndarray, headers: list[dict[str, str]]) -> None:
        self.reason = np.full(n, None, dtype=object)
        self.column = np.full(n, None, dtype=object)
        self.value = np.full(n, None, dtype=object)
        self.file_idx = file_idx
        self.headers = headers

    @property
    def open(self) -> np.ndarray:
        return pd.isna(self.reason)

    def header_of(self, fld: str) -> np.ndarray:
        by_file = np.array([h.get(fld, fld) for h in self.headers], dtype=object)
        return by_file[self.file_idx]

    def add(self, mask: Any, reason: Any, column: Any, value: Any) -> np.ndarray:
        m = np.asarray(mask, dtype=bool) & self.open
        for arr, v in ((self.reason, reason), (self.column, column), (self.value, value)):
            arr[m] = v[m] if isinstance(v, np.ndarray) else v
        return m

    def add_field(self, mask: Any, reason: Any, fld: str, raw: pd.DataFrame) -> np.ndarray:
        return self.add(mask, reason, self.header_of(fld), raw[fld].to_numpy(dtype=object))


def _concat(parts: list[pa.Array | pa.ChunkedArray]) -> pd.Series:
    """Text columns of several files as one str Series (no copy)."""
    chunks = [c for p in parts for c in (p.chunks if isinstance(p, pa.ChunkedArray) else [p])]
    return pd.Series(pd.array(pa.chunked_array(chunks, type=TEXT), dtype="str"))


def _field(raws: list[Raw], fld: str) -> pd.Series:
    """One field over all files as a text Series ('' where a file lacks the column)."""
    return _concat([r.cells[fld] if fld in r.cells else empty_column(len(r.lines)) for r in raws])


def parse_rows(raws: list[Raw], branch: Branch, now: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse all files' rows together: set aside bad rows and duplicates, conform the rest.

    `now` (naive Beijing time) bounds the event dates of files that do not state their export time.
    """
    fields = [c for c in CASE_COLUMNS if c not in ("source_file", "source_line")]
    raw = pd.DataFrame({fld: _field(raws, fld) for fld in fields})
    file_idx = np.repeat(np.arange(len(raws)), [len(r.lines) for r in raws])
    lines = np.concatenate([r.lines for r in raws]).astype(np.int64)
    first = _concat([r.first for r in raws])
    first_header = np.concatenate([r.first_header for r in raws])
    names = np.array([r.report.source for r in raws], dtype=object)
    rej = _Rejections(len(raw), file_idx, [r.headers for r in raws])

    case_id = raw["case_id"]
    id_total = case_id.str.startswith(TOTAL_PREFIXES).to_numpy(dtype=bool)
    is_total = first.str.startswith(TOTAL_PREFIXES).to_numpy(dtype=bool) | id_total
    total_col = np.where(id_total, rej.header_of("case_id"), first_header)
    total_val = np.where(id_total, case_id.to_numpy(object), first.to_numpy(object))
    total_mask = rej.add(is_total, REASON_TOTAL, total_col, total_val)
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
    amount, bad, negative = parse_amounts(raw["recovered_loss"])
    rej.add_field(bad, REASON_BAD_AMOUNT, "recovered_loss", raw)
    rej.add_field(negative, REASON_NEGATIVE_AMOUNT, "recovered_loss", raw)
    rej.add_field(amount > MAX_AMOUNT_YUAN, REASON_AMOUNT_TOO_LARGE, "recovered_loss", raw)
    parsed["recovered_loss"] = amount.where(amount <= MAX_AMOUNT_YUAN, 0.0)
    for fld in FLAG_FIELDS:
        values, bad = parse_flags(raw[fld])
        rej.add_field(bad, REASON_BAD_FLAG, fld, raw)
        parsed[fld] = values
    parsed["urges"], bad = parse_urges(raw["urges"])
    rej.add_field(bad, REASON_BAD_URGES, "urges", raw)
    rej.add_field(parsed["urges"] > MAX_URGES, REASON_TOO_MANY_URGES, "urges", raw)

    reg, closed = parsed["registered_at"], parsed["closed_at"]
    # a date-only 办结日期 on the day of registration is not "before" it
    date_only_same_day = (closed == closed.dt.normalize()) & (closed.dt.normalize() == reg.dt.normalize())
    rej.add_field((closed < reg) & ~date_only_same_day, REASON_CLOSED_BEFORE_REGISTERED, "closed_at", raw)

    parsed["kind"] = kind
    for fld in TEXT_FIELDS:
        parsed[fld] = raw[fld] if fld == "case_id" else raw[fld].replace("", pd.NA)
    parsed["unit"] = roster_units(parsed["unit"], branch)
    parsed["closure_basis"], parsed["closed_by_stage"] = _closure(raws, file_idx, raw["stage"], branch)
    parsed["source_file"] = pd.Series(names[file_idx], dtype="str")
    parsed["source_line"] = pd.Series(lines, dtype="int64")
    cases = pd.DataFrame(parsed, index=raw.index)

    _reject_duplicates(cases, rej)

    ok = rej.open
    out = cases[ok].reset_index(drop=True)
    for fld in MASKED_FIELDS:  # the row's own case id (16-19 digits) is no card number
        out[fld] = mask_series(out[fld], keep=out["case_id"])
    out = conform(out)
    rejected = _rejected_frame(rej, cases, raw)

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
    names = branch.unit_names()
    text = units.astype("string")
    key = text.str.normalize("NFKC").str.replace(r"\s+", "", regex=True)
    mapped = key.map(names, na_action="ignore")
    return mapped.where(mapped.notna(), text).astype("object").where(text.notna(), pd.NA)


def _closure(
    raws: list[Raw], file_idx: np.ndarray, stage: pd.Series, branch: Branch
) -> tuple[pd.Series, pd.Series]:
    """closure_basis and closed_by_stage of each row (see :mod:`kwstats.schema`).

    A file with a closure-date column: "date". Without one but with a stage column: "stage", and
    closed when the stage is one of ``branch.closed_stages``. With neither: "none" (unknown).
    """
    basis_of_file = np.array(
        ["date" if "closed_at" in r.headers else "stage" if "stage" in r.headers else "none" for r in raws],
        dtype=object,
    )
    basis = basis_of_file[file_idx] if len(raws) else np.empty(0, dtype=object)
    closed_words = {normalize_name(w) for w in branch.closed_stages}
    key = stage.str.normalize("NFKC").str.replace(r"\s+", "", regex=True)
    by_stage = (basis == "stage") & key.isin(closed_words).to_numpy(dtype=bool)
    return pd.Series(basis, index=stage.index, dtype="object"), pd.Series(by_stage, index=stage.index)


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Elementwise equality of two aligned Series, where missing equals missing."""
    eq = (a == b).fillna(False).to_numpy(dtype=bool)
    return eq | (a.isna().to_numpy() & b.isna().to_numpy())


def _reject_duplicates(cases: pd.DataFrame, rej: _Rejections) -> None:
    """Set aside later rows whose case id was already seen: identical, or conflicting (first kept)."""
    open_rows = cases[rej.open]
    dup = open_rows["case_id"].duplicated(keep="first")
    if not dup.any():
        return
    firsts = open_rows[~dup].set_index("case_id")
    later = open_rows[dup]
    ref = firsts.loc[later["case_id"]].set_index(later.index)
    where = ref["source_file"].to_numpy(dtype=object)
    line = ref["source_line"].to_numpy(dtype=np.int64)
    at = later.index.to_numpy()
    differing = np.full(len(later), "", dtype=object)
    for c in CASE_COLUMNS:
        if c in ("case_id", "source_file", "source_line", "closure_basis", "closed_by_stage"):
            continue
        header = rej.header_of(c)[at]
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
    full = np.empty(len(cases), dtype=object)
    full[at] = reasons
    mask = np.zeros(len(cases), dtype=bool)
    mask[at] = True
    rej.add(mask, full, rej.header_of("case_id"), cases["case_id"].to_numpy(dtype=object))


def _rejected_frame(rej: _Rejections, cases: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
    """The set-aside rows in REJECT_COLUMNS, in file and line order; every text masked.

    Rows set aside can hold anything (a trailing note such as 制表人：张三 联系电话：… lands in the
    编号 column), so each text column goes through :func:`kwstats.masking.mask_series`.
    """
    bad = ~rej.open
    case_id = raw["case_id"][bad]
    reasons = pd.Series(rej.reason[bad], index=case_id.index, dtype="string")
    no_id = (case_id == "") | reasons.isin([REASON_TOTAL, REASON_REPEATED_HEADER])
    frame = pd.DataFrame(
        {
            "source_file": cases["source_file"][bad].astype("string"),
            "source_line": cases["source_line"][bad].astype("int64"),
            "column": pd.Series(rej.column[bad], index=case_id.index, dtype="string"),
            "value": pd.Series(rej.value[bad], index=case_id.index, dtype="string"),
            "reason": reasons,
            "case_id": case_id.astype("string").mask(no_id, pd.NA),
        }
    )
    # the case id is the key: as a run of 16-19 digits it is no card number (kwstats.masking)
    ids = frame["case_id"]
    for col in ("source_file", "column", "value", "reason", "case_id"):
        frame[col] = mask_series(frame[col], keep=ids if col in ("value", "case_id") else None)
    return frame[list(REJECT_COLUMNS)].reset_index(drop=True)
