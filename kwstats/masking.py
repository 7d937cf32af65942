"""Mask personal numbers (mobile, ID card, landline) in free text.

Exports carry free text (登记内容, 被投诉方) in which consumers write their phone and ID numbers.
kwstats masks them at ingest so that no personal number is kept or shown anywhere:

- mobile numbers ``13812345678`` -> ``138****5678`` (also ``+86``-prefixed and ``138-1234-5678``),
- 18-digit resident ID numbers -> first 6 and last 4 kept: ``220102********123X``,
- landlines ``0431-85551234`` / ``043185551234`` / ``(0431)85551234`` -> ``0431-****1234``.

Only digit runs that stand alone are touched, so dates (``2022-01-05``), amounts (``60800元``) and
long case ids are left as they are. Masking is idempotent: masked text contains no run of digits
that any pattern matches again.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

# 18-digit resident ID: 6-digit region, birth date 18xx-20xx, 3-digit sequence, check digit/X.
_ID = (
    r"(?<![0-9A-Za-z])"
    r"(?P<id>[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx])"
    r"(?![0-9A-Za-z])"
)
# Mobile: 1[3-9] + 9 digits, optionally +86 / 86 prefixed, optionally split 3-4-4 by '-' or ' '.
_MOBILE = (
    r"(?<!\d)"
    r"(?P<m_prefix>(?:\+?86[- ]?)?)(?P<m_head>1[3-9]\d)(?P<m_sep1>[- ]?)\d{4}(?P<m_sep2>[- ]?)(?P<m_tail>\d{4})"
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
_PERSONAL_RE = re.compile(f"{_ID}|{_MOBILE}|{_LANDLINE}")


def _repl(m: re.Match[str]) -> str:
    if m.group("id"):
        whole = m.group("id")
        return whole[:6] + "*" * 8 + whole[-4:]
    if m.group("m_head"):
        return f"{m['m_prefix']}{m['m_head']}{m['m_sep1']}****{m['m_sep2']}{m['m_tail']}"
    area = m.group("l_area_p") or m.group("l_area")
    return f"{area}-{'*' * len(m['l_hidden'])}{m['l_tail']}"


def mask_text(text: Any) -> Any:
    """Mask mobile, ID and landline numbers in `text`; None/NA and non-strings pass through unchanged."""
    if not isinstance(text, str):
        return text
    return _PERSONAL_RE.sub(_repl, text)


def mask_series(s: pd.Series) -> pd.Series:
    """Vectorised :func:`mask_text` over a string Series (missing values stay missing)."""
    return s.astype("string").str.replace(_PERSONAL_RE, _repl, regex=True)
