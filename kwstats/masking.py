"""Mask personal numbers (mobile, ID card, landline) in free text.

Exports carry free text (登记内容, 被投诉方) in which consumers write their phone and ID numbers.
kwstats masks them at ingest so that no personal number is kept or shown anywhere:

- mobile numbers ``13812345678`` -> ``138****5678`` (also ``+86``-prefixed and split 3-4-4 as
  ``138-1234-5678``, ``138 1234 5678`` or ``138.1234.5678``),
- 18-digit resident ID numbers -> first 6 and last 4 kept: ``220102********123X`` (also written
  6-8-4 with spaces: ``220102 19900101 1234`` -> ``220102 ******** 1234``),
- 15-digit old ID numbers (region, YYMMDD, 3 digits) -> ``220102******123``,
- landlines ``0431-85551234`` / ``043185551234`` / ``(0431)85551234`` -> ``0431-****1234``.

Full-width digits and separators (``１３８１２３４５６７８``) are matched as their ASCII forms; only
the masked number itself comes out in ASCII, the rest of the text (Chinese punctuation included)
is left exactly as it was.

Only digit runs that stand alone are touched, so dates (``2022-01-05``), amounts (``60800元``) and
case ids (``202201110001``) are left as they are; an ID number needs a plausible birth date (and a
15-digit one a mainland province code). Masking is idempotent: masked text contains no number that
any pattern matches again.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pandas as pd

# Full-width digits, letters and the separators used in numbers -> ASCII, one char for one char
# (so that match positions in the translated text are positions in the original).
_FULL_WIDTH = {
    c: c - 0xFEE0
    for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for c in range(r[0], r[1] + 1)
}
_FULL_WIDTH.update({ord("＋"): "+", ord("－"): "-", ord("．"): ".", 0x3000: " ", 0x00A0: " "})
_NEEDS_TRANSLATION = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a＋－．\u3000\u00a0]")
_ANY_DIGIT = re.compile("[0-9\uff10-\uff19]")

_DAY = r"(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
# 18-digit resident ID: 6-digit region, birth date 18xx-20xx, 3-digit sequence, check digit/X;
# optionally written 6-8-4 with single spaces.
_ID = (
    r"(?<![0-9A-Za-z])"
    rf"(?P<id>[1-9]\d{{5}} ?(?:18|19|20)\d{{2}}{_DAY} ?\d{{3}}[0-9Xx])"
    r"(?![0-9A-Za-z])"
)
# 15-digit ID (issued before 1999): mainland province code + 4 digits, YYMMDD (19YY), 3 digits.
_PROVINCE = r"(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5])"
_ID15 = rf"(?<![0-9A-Za-z])(?P<id15>{_PROVINCE}\d{{4}}(?P<id15_date>\d{{2}}{_DAY})\d{{3}})(?![0-9A-Za-z])"
# Mobile: 1[3-9] + 9 digits, optionally +86 / 86 prefixed, optionally split 3-4-4 by '-' or ' '
# (each separator on its own) or by two dots.
_MOBILE = (
    r"(?<!\d)"
    r"(?P<m_prefix>(?:\+?86[- ]?)?)(?P<mobile>1[3-9]\d(?:[- ]?\d{4}[- ]?|\.\d{4}\.)\d{4})"
    r"(?!\d)"
)
# Landline: area code 010, 02x or 0[3-9]xx, in parentheses or followed by '-'/' '/nothing, then a
# local number of 7-8 digits.
_AREA = r"0(?:10|2\d|[3-9]\d{2})"
_LANDLINE = (
    rf"(?<!\d)(?:[(（](?P<l_area_p>{_AREA})[)）]|(?P<l_area>{_AREA}))[- ]?"
    r"(?P<l_hidden>\d{3,4})(?P<l_tail>\d{4})"
    r"(?!\d)"
)
_PERSONAL_RE = re.compile(f"{_ID}|{_ID15}|{_MOBILE}|{_LANDLINE}", re.ASCII)
_MAX_PASSES = 8  # masking stops at a fixpoint long before this


def _mask_digits(text: str, start: int, stop: int) -> str:
    """`text` with its digits number `start` to `stop - 1` (0-based, counting digits only) as '*'."""
    out = []
    k = 0
    for ch in text:
        if "0" <= ch <= "9":
            out.append("*" if start <= k < stop else ch)
            k += 1
        else:
            out.append(ch)
    return "".join(out)


def _plausible_yymmdd(yymmdd: str) -> bool:
    try:
        dt.date(1900 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6]))
    except ValueError:
        return False
    return True


def _repl(m: re.Match[str]) -> str | None:
    """The masked form of a match (in ASCII), or None to leave it as it is."""
    if m.group("id"):
        return _mask_digits(m["id"], 6, 14)
    if m.group("id15"):
        return _mask_digits(m["id15"], 6, 12) if _plausible_yymmdd(m["id15_date"]) else None
    if m.group("mobile"):
        return m["m_prefix"] + _mask_digits(m["mobile"], 3, 7)
    area = m.group("l_area_p") or m.group("l_area")
    return f"{area}-{'*' * len(m['l_hidden'])}{m['l_tail']}"


def _mask_once(text: str) -> str:
    probe = text.translate(_FULL_WIDTH) if _NEEDS_TRANSLATION.search(text) else text
    parts: list[str] = []
    pos = 0
    for m in _PERSONAL_RE.finditer(probe):
        rep = _repl(m)
        if rep is not None:
            parts += [text[pos : m.start()], rep]
            pos = m.end()
    if not parts:
        return text
    parts.append(text[pos:])
    return "".join(parts)


def mask_text(text: Any) -> Any:
    """Mask mobile, ID and landline numbers in `text`; None/NA and non-strings pass through unchanged."""
    if not isinstance(text, str) or not _ANY_DIGIT.search(text):
        return text
    # Repeat to a fixpoint: masking a number can set free a neighbour that a digit used to hide
    # ('13812340431-85551234' -> '138****0431-85551234', whose landline is then masked too).
    for _ in range(_MAX_PASSES):
        masked = _mask_once(text)
        if masked == text:
            break
        text = masked
    return text


def mask_series(s: pd.Series) -> pd.Series:
    """:func:`mask_text` over a Series, as a string Series (missing values stay missing)."""
    return s.astype("string").map(mask_text, na_action="ignore").astype("string")
