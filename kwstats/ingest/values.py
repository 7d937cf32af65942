"""Typed cell values: dates, amounts, 是/否 flags and urge counts, parsed a whole column at a time.

Each parser returns the values and masks of the cells it could not parse (and, for dates and
amounts, of those out of range), so that the row checks can set those rows aside with a reason.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.lib.stride_tricks import sliding_window_view

# Cell texts that mean "nothing" in typed columns (dates, amount, flags, urges).
_BLANK_TOKENS = ["-", "--", "—", "——", "/", "无", "null", "NULL", "None", "nan", "NaN", "NaT"]
_TRUE = ["是", "y", "yes", "1", "1.0", "√", "✓", "✔", "true"]
_FALSE = ["否", "n", "no", "0", "0.0", "×", "✗", "false"]
_MIN_YEAR, _MAX_YEAR = 1990, 2099
# An amount (挽回经济损失, 元) above this is no recovered loss but a typo or a hostile cell (1e308, 31
# digits): it is set aside. 100 亿元 is far above any consumer case, and keeps every sum exact in the
# Decimal arithmetic of 万元 (28 significant digits).
MAX_AMOUNT_YUAN = 1e10
# More 催办 (urges) than this on one case is no count but a typo or a hostile cell: the row is set aside.
MAX_URGES = 1000
_NS_YEARS = (1678, 2261)  # representable in datetime64[ns]
_SERIAL_MIN, _SERIAL_MAX = 20000, 80000
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # 1900 date system, Lotus leap-year bug included
_BATCH = 1 << 17  # rows of a date column parsed at a time (bounds the parse's temporaries)

_DATE_RE = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[\sT]*(?P<ap>上午|下午)?\s*(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{1,2})"
    r"(?:\s*[:分]\s*(?P<S>\d{1,2})(?:\.\d+)?)?\s*[分秒]?)?$"
)
_COMPACT_DATE_RE = re.compile(
    r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})?)?$"
)
_SERIAL_RE = re.compile(r"^\d{5}(?:\.\d+)?$")
_GROUPED_NUMBER_RE = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d*)?万?")  # well-formed thousands separators


def blank_typed(s: pd.Series) -> pd.Series:
    """Mask of cells that are empty or a placeholder such as '-' or '无'."""
    return (s == "") | s.isin(_BLANK_TOKENS)


def parse_dates(s: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Stripped text -> datetime64[ns]; returns (values, unparseable mask, out-of-range mask).

    Accepts ``2022-01-05 09:31[:00]``, ``2022/1/5 9:31``, ``2022.01.05``, ``2022年1月5日 09:31``,
    ``2022/1/5 下午3:31`` (上午/下午: 12-hour clock), ``20220105`` and Excel serials (20000-80000,
    1900 date system) as numbers or text. The plainest spellings (nearly every cell of an export)
    are read :data:`_BATCH` rows at a time into one array, so that a large column's temporaries
    stay small; the rows left go to the other parsers together.
    """
    s = s.astype("str")
    n = len(s)
    out = np.full(n, np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    empty = np.zeros(n, dtype=bool)
    iso = np.zeros(n, dtype=bool)
    for a in range(0, n, _BATCH):
        part = s.iloc[a : a + _BATCH]
        b = a + len(part)
        empty[a:b] = blank_typed(part).to_numpy(dtype=bool)
        out[a:b] = _parse_dates_plain(part).to_numpy(dtype="datetime64[ns]")
        left = ~empty[a:b] & np.isnat(out[a:b])
        if left.any():  # other common forms, parsed in C below
            iso[a:b] = left & (part.str.slice(4, 5).isin(["-", "/"]) & (part.str.len() >= 8)).to_numpy(
                dtype=bool
            )
        del part
    if iso.any():
        out[iso] = _parse_dates_iso(s[iso]).to_numpy(dtype="datetime64[ns]")
    todo = ~empty & np.isnat(out)
    if todo.any():
        out[todo] = _parse_dates_slow(s[todo]).to_numpy(dtype="datetime64[ns]")
    bad = ~empty & np.isnat(out)
    years = out.astype("datetime64[Y]").astype(np.int64) + 1970
    out_of_range = ~np.isnat(out) & ((years < _MIN_YEAR) | (years > _MAX_YEAR))
    del years
    out[out_of_range] = np.datetime64("NaT", "ns")
    return (
        pd.Series(out, index=s.index, dtype="datetime64[ns]", copy=False),
        pd.Series(bad, index=s.index, dtype=bool, copy=False),
        pd.Series(out_of_range, index=s.index, dtype=bool, copy=False),
    )


# The plain spellings: 2022-01-05 09:31:00, 2022/1/5 9:31, 2022年1月5日 09:31, 2022-01-05 — a subset of
# what _DATE_RE reads, read to the same values, namely (as a regular expression, ASCII digits):
#   ^([0-9]{4})[-/年]([0-9]{1,2})[-/月]([0-9]{1,2})日?(?: ([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?$
# read off the UTF-8 bytes, a byte position at a time over all the cells of a batch.
_PLAIN_WIDTH = 26  # bytes of the longest plain spelling: 2022年12月31日 23:59:59
_STRIDE = _PLAIN_WIDTH + 3  # bytes of a cell looked at (three past the longest: room to look ahead)
_DASHES = (ord("-"), ord("/"))
# 2022-01-05 09:31:00: where its separators are, and its digits
_ISO_MARKS = [4, 7, 10, 13, 16]
_ISO_MARK_BYTES = np.array([ord(c) for c in "-- ::"], dtype=np.uint8)
_ISO_DIGITS = [k for k in range(19) if k not in _ISO_MARKS]
_NIAN, _YUE, _RI = "年".encode(), "月".encode(), "日".encode()


def _parse_dates_plain(s: pd.Series) -> pd.Series:
    """The plain spellings (see :data:`_PLAIN_WIDTH`) as datetime64[ns]; NaT for anything else, and for
    impossible dates and times (left to the other parsers)."""
    values = pa.array(s, from_pandas=True)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if values.type not in (pa.string(), pa.large_string()):
        values = values.cast(pa.large_string())
    out = _plain_bytes(values)
    return pd.Series(out, index=s.index, dtype="datetime64[ns]", copy=False)


def _plain_bytes(values: pa.Array) -> np.ndarray:
    """:func:`_parse_dates_plain` of a string array, from its offsets and bytes."""
    n = len(values)
    out = np.full(n, np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    validity, offsets, data = values.buffers()
    if not n or data is None or not data.size:
        return out
    width = np.int64 if values.type == pa.large_string() else np.int32
    bounds = np.frombuffer(offsets, dtype=width)[values.offset : values.offset + n + 1].astype(np.int64)
    length = np.diff(bounds)
    fits = (length >= 8) & (length <= _PLAIN_WIDTH)
    if validity is not None:
        fits &= np.asarray(values.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    at = np.flatnonzero(fits)
    if not len(at):
        return out
    length = length[at]
    # the cells' bytes side by side (and three more: room to look ahead)
    padded = np.concatenate([np.frombuffer(data, dtype=np.uint8), np.zeros(_STRIDE, dtype=np.uint8)])
    cells = sliding_window_view(padded, _STRIDE)[bounds[at]]
    del padded
    fields = np.zeros((7, len(at)), dtype=np.int64)  # matched, year, month, day, hour, minute, second
    digits = cells[:, _ISO_DIGITS] - np.uint8(48)  # (a byte below "0" wraps round: above 9 too)
    iso = (length == 19) & (cells[:, _ISO_MARKS] == _ISO_MARK_BYTES).all(axis=1) & (digits <= 9).all(axis=1)
    if iso.any():  # 2022-01-05 09:31:00, most cells of most exports: digits in fixed places
        v = digits[iso].astype(np.int64)
        fields[0, iso] = 1
        fields[1, iso] = v[:, 0] * 1000 + v[:, 1] * 100 + v[:, 2] * 10 + v[:, 3]
        for k in range(2, 7):
            fields[k, iso] = v[:, 2 * k] * 10 + v[:, 2 * k + 1]
        del v
    del digits
    rest = ~iso
    if rest.any():
        part, part_length = cells[rest], length[rest]
        part[np.arange(_STRIDE) >= part_length[:, None]] = 0  # zeros past each cell's end
        fields[:, rest] = _plain_fields(part, part_length)
    ok, y, m, d, hh, mm, ss = fields
    ok = ok.astype(bool)
    ok &= (y >= _NS_YEARS[0]) & (y <= _NS_YEARS[1]) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= 31)
    ok &= (hh < 24) & (mm < 60) & (ss < 60)
    months = np.where(ok, (y - 1970) * 12 + m - 1, 0).astype("datetime64[M]")
    days = months.astype("datetime64[D]") + np.where(ok, d - 1, 0).astype("timedelta64[D]")
    ok &= days.astype("datetime64[M]") == months  # no 30 February
    stamps = days.astype("datetime64[ns]") + ((hh * 60 + mm) * 60 + ss).astype("timedelta64[s]")
    out[at[ok]] = stamps[ok]
    return out


def _plain_fields(cells: np.ndarray, length: np.ndarray) -> np.ndarray:
    """(matched, year, month, day, hour, minute, second) of each cell (a row of `cells`: its bytes,
    zeros after them) by the plain spellings' grammar, a byte position at a time for all cells."""
    flat = cells.ravel()
    row_start = np.arange(len(cells), dtype=np.int64) * cells.shape[1]

    def byte(p: np.ndarray | int, k: int = 0) -> np.ndarray:
        return flat[row_start + p + k].astype(np.int64)

    def is_digit(b: np.ndarray) -> np.ndarray:
        return (b >= 48) & (b <= 57)

    def spelled(p: np.ndarray, word: bytes) -> np.ndarray:
        return (byte(p) == word[0]) & (byte(p, 1) == word[1]) & (byte(p, 2) == word[2])

    def number(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(value, found, position after) of the one or two digits at `p` (as many as there are)."""
        first, second = byte(p), byte(p, 1)
        two = is_digit(second)
        return np.where(two, (first - 48) * 10 + second - 48, first - 48), is_digit(first), p + 1 + two

    year = [byte(k) for k in range(4)]
    ok = is_digit(year[0]) & is_digit(year[1]) & is_digit(year[2]) & is_digit(year[3])
    y = (year[0] - 48) * 1000 + (year[1] - 48) * 100 + (year[2] - 48) * 10 + year[3] - 48
    p = np.full(len(cells), 4, dtype=np.int64)
    dash = np.isin(byte(p), _DASHES)
    ok &= dash | spelled(p, _NIAN)
    m, found, p = number(p + np.where(dash, 1, 3))
    ok &= found
    dash = np.isin(byte(p), _DASHES)
    ok &= dash | spelled(p, _YUE)
    d, found, p = number(p + np.where(dash, 1, 3))
    ok &= found
    p = p + 3 * spelled(p, _RI)
    ended = p == length
    # or a time: a space, 1 or 2 digits of hour, a colon, 2 of minute, maybe a colon and 2 of second
    hh, found, q = number(p + 1)
    timed = ~ended & (byte(p) == ord(" ")) & found
    timed &= (byte(q) == ord(":")) & is_digit(byte(q, 1)) & is_digit(byte(q, 2))
    mm = (byte(q, 1) - 48) * 10 + byte(q, 2) - 48
    q = q + 3
    seconds = (byte(q) == ord(":")) & is_digit(byte(q, 1)) & is_digit(byte(q, 2))
    ss = (byte(q, 1) - 48) * 10 + byte(q, 2) - 48
    timed &= np.where(seconds, q + 3, q) == length
    ok &= ended | timed
    return np.stack(
        [ok, y, m, d, np.where(timed, hh, 0), np.where(timed, mm, 0), np.where(timed & seconds, ss, 0)]
    ).astype(np.int64)


def _parse_dates_iso(s: pd.Series) -> pd.Series:
    """``2022-01-05 09:31[:00]``, ``2022/1/5 9:31`` and the like, to the second; NaT where not."""
    nat = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    try:
        got = pd.to_datetime(s, format="ISO8601", errors="coerce")
    except (ValueError, TypeError):  # e.g. time-zone offsets: left to the slow path (and rejected)
        return nat
    if got.dt.tz is not None:
        return nat
    got = got.where(got.dt.year.between(*_NS_YEARS))
    return got.dt.round("s").astype("datetime64[ns]")


def _parse_dates_slow(s: pd.Series) -> pd.Series:
    """The other date spellings, by regex; NaT where nothing fits."""
    norm = s.str.normalize("NFKC").str.replace("：", ":")
    parts = norm.str.extract(_DATE_RE)
    compact = norm.str.extract(_COMPACT_DATE_RE)
    parts = parts.where(parts["y"].notna(), compact)
    hour = pd.to_numeric(parts["H"])
    if "ap" in parts:  # 下午 3 -> 15 (下午 12 stays 12), 上午 12 -> 0; 上午 13 is no time
        pm, am = parts["ap"] == "下午", parts["ap"] == "上午"
        hour = hour.where(~(pm & (hour < 12)), hour + 12)
        hour = hour.where(~(am & (hour == 12)), 0)
        hour = hour.where(~(am & (hour > 12)), 99)
    comp = pd.DataFrame(
        {
            "year": pd.to_numeric(parts["y"]),
            "month": pd.to_numeric(parts["m"]),
            "day": pd.to_numeric(parts["d"]),
            "hour": hour.fillna(0),
            "minute": pd.to_numeric(parts["M"]).fillna(0),
            "second": pd.to_numeric(parts["S"]).fillna(0),
        },
        index=s.index,
    )
    clock_ok = (comp["hour"] < 24) & (comp["minute"] < 60) & (comp["second"] < 60)
    has = comp["year"].between(*_NS_YEARS) & clock_ok  # beyond: not representable, so unparseable
    values = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    if has.any():
        values[has] = pd.to_datetime(comp[has], errors="coerce").astype("datetime64[ns]")
    is_serial = norm.str.fullmatch(_SERIAL_RE) & comp["year"].isna()
    if is_serial.any():
        num = pd.to_numeric(norm[is_serial])
        ok = num.between(_SERIAL_MIN, _SERIAL_MAX)
        secs = (num[ok] * 86400).round().astype("int64")
        values[ok[ok].index] = (_EXCEL_EPOCH + pd.to_timedelta(secs, unit="s")).astype("datetime64[ns]")
    return values


def parse_amounts(s: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """'1,200.00' / '300元' / '￥300' / '1.2万' -> float 元; returns (values, unparseable, negative).

    Thousands separators must sit every three digits ('12,345', '1,200.00'); '3,00' or '1,2,3' is
    unparseable, not 300 or 123. 'nan' and 'inf' are no amounts: unparseable, not blank or infinite.
    Amounts above :data:`MAX_AMOUNT_YUAN` are returned as they are (the caller sets them aside).
    """
    s = s.astype("str")
    empty = blank_typed(s) & ~s.str.lower().eq("nan")
    t = s.str.normalize("NFKC").str.replace(r"[\s¥￥]|人民币|RMB|元$", "", regex=True)
    grouped = t.str.contains(",", regex=False)
    t = t.where(~grouped | t.str.fullmatch(_GROUPED_NUMBER_RE), "?").str.replace(",", "", regex=False)
    wan = t.str.endswith("万")
    t = t.str.removesuffix("万")
    num = pd.to_numeric(
        t.where(t.str.fullmatch(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")), errors="coerce"
    )
    num = num.where(~wan, num * 10000)
    bad = ~empty & (num.isna() | ~np.isfinite(num.fillna(0)))
    negative = ~bad & ~empty & (num < 0)
    values = num.where(~empty & ~bad, 0.0).astype("float64")
    return values, bad, negative


def parse_flags(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """是/否/Y/N/1/0/√ -> bool (blank -> False); returns (values, unparseable mask)."""
    t = s.astype("str").str.lower()
    empty = blank_typed(t)
    true = t.isin(_TRUE)
    bad = ~empty & ~true & ~t.isin(_FALSE)
    return true.astype(bool), bad


def parse_urges(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Non-negative integer (blank -> 0, '2次' accepted); returns (values, unparseable mask).

    A count above :data:`MAX_URGES` (``99999999999999999999999`` too) comes back as ``MAX_URGES + 1``,
    never overflowing: the caller sets it aside.
    """
    t = s.astype("str").str.normalize("NFKC").str.removesuffix("次").str.strip()
    empty = blank_typed(t)
    whole = t.str.fullmatch(r"\+?\d+(?:\.0*)?").fillna(False).astype(bool)
    digits = t.str.replace(r"^\+?0*|\.0*$", "", regex=True).str.len()
    huge = whole & (digits > len(str(MAX_URGES)))
    num = pd.to_numeric(t.where(whole & ~huge), errors="coerce")
    bad = ~empty & num.isna() & ~huge
    values = num.where(~empty & ~bad & ~huge, 0).clip(upper=MAX_URGES + 1)
    values = values.where(~huge, MAX_URGES + 1).astype("int64")
    return values, bad
