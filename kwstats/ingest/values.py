"""Typed cell values: dates, amounts, 是/否 flags and urge counts, parsed a whole column at a time.

Each parser returns the values and masks of the cells it could not parse (and, for dates and
amounts, of those out of range), so that the row checks can set those rows aside with a reason.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
    1900 date system) as numbers or text.
    """
    s = s.astype("str")
    empty = blank_typed(s)
    values = _parse_dates_plain(s)  # the most common spellings, a column at a time
    iso = ~empty & values.isna() & s.str.slice(4, 5).isin(["-", "/"]) & (s.str.len() >= 8)
    if iso.any():  # other common forms, parsed in C
        values[iso] = _parse_dates_iso(s[iso])
    todo = ~empty & values.isna()
    if todo.any():
        values[todo] = _parse_dates_slow(s[todo])
    bad = ~empty & values.isna()
    years = values.dt.year
    out_of_range = values.notna() & ((years < _MIN_YEAR) | (years > _MAX_YEAR))
    values[out_of_range] = pd.NaT
    return values, bad, out_of_range


# 2022-01-05 09:31:00, 2022/1/5 9:31, 2022年1月5日 09:31, 2022-01-05: a subset of what _DATE_RE reads,
# in RE2 (pyarrow) syntax, read to the same values
_PLAIN_DATE = (
    r"^(?P<y>[0-9]{4})[-/年](?P<m>[0-9]{1,2})[-/月](?P<d>[0-9]{1,2})日?"
    r"(?: (?P<H>[0-9]{1,2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2}))?)?$"
)


# 2022-01-05 09:31:00 exactly (month, day, hour, minute and second in range): read by pyarrow's strptime,
# the day checked against the one written (strptime would roll 30 February over into March)
_ISO_SECONDS = (
    r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01]) (?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$"
)


def _parse_dates_plain(s: pd.Series) -> pd.Series:
    """The plainest spellings (:data:`_ISO_SECONDS`, :data:`_PLAIN_DATE`) as datetime64[ns], a column at
    a time; NaT for anything else, and for impossible dates and times (left to the other parsers)."""
    values = pa.array(s, from_pandas=True)
    out = np.full(len(s), np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    iso = np.asarray(
        pc.match_substring_regex(values, _ISO_SECONDS).to_numpy(zero_copy_only=False), dtype=bool
    )
    if iso.any():
        at = np.flatnonzero(iso)
        text = values.take(pa.array(at)) if not iso.all() else values
        stamps = pc.strptime(text, format="%Y-%m-%d %H:%M:%S", unit="ns", error_is_null=True)
        year = pc.cast(pc.utf8_slice_codeunits(text, 0, 4), pa.int64()).to_numpy(zero_copy_only=False)
        day = pc.cast(pc.utf8_slice_codeunits(text, 8, 10), pa.int64()).to_numpy(zero_copy_only=False)
        got = stamps.to_numpy(zero_copy_only=False).astype("datetime64[ns]")
        same_day = pc.fill_null(pc.equal(pc.day(stamps), pa.array(day)), False).to_numpy(zero_copy_only=False)
        ok = np.asarray(same_day, dtype=bool) & (year >= _NS_YEARS[0]) & (year <= _NS_YEARS[1])
        out[at[ok]] = got[ok]
    rest = np.flatnonzero(np.isnat(out))
    if len(rest):
        out[rest] = _parse_dates_parts(values.take(pa.array(rest)) if len(rest) < len(s) else values)
    return pd.Series(out, index=s.index, dtype="datetime64[ns]")


def _parse_dates_parts(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """:data:`_PLAIN_DATE` spellings by arithmetic on their parts (datetime64[ns], NaT elsewhere)."""
    parts = pc.extract_regex(values, _PLAIN_DATE)
    n = len(values)
    if not n or parts.null_count == n:
        return np.full(n, np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    matched = np.asarray(parts.is_valid().to_numpy(zero_copy_only=False), dtype=bool)

    def num(name: str) -> np.ndarray:
        field = pc.struct_field(parts, name)
        field = pc.if_else(pc.equal(field, ""), "0", field).fill_null("0")
        return np.asarray(pc.cast(field, pa.int64()).to_numpy(zero_copy_only=False))

    y, m, d, hh, mm, ss = (num(k) for k in ("y", "m", "d", "H", "M", "S"))
    ok = matched & (y >= _NS_YEARS[0]) & (y <= _NS_YEARS[1]) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= 31)
    ok &= (hh < 24) & (mm < 60) & (ss < 60)
    months = np.where(ok, (y - 1970) * 12 + m - 1, 0).astype("datetime64[M]")
    days = months.astype("datetime64[D]") + np.where(ok, d - 1, 0).astype("timedelta64[D]")
    ok &= days.astype("datetime64[M]") == months  # no 30 February
    stamps = days.astype("datetime64[ns]") + ((hh * 60 + mm) * 60 + ss).astype("timedelta64[s]")
    return np.where(ok, stamps, np.datetime64("NaT", "ns"))


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
