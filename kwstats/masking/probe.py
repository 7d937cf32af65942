"""Text normalised for matching: digits, letters, spaces, dashes and dots in ASCII, one character for
one, so that positions in the probe are positions in the text."""

from __future__ import annotations

import re
import unicodedata

# normalisation: one character for one character, so that positions in the probe are positions
# in the text

_SPACES = "\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d\u30fc\u4e00"
_TABLE: dict[int, str] = {
    c: chr(c - 0xFEE0)
    for lo, hi in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for c in range(lo, hi + 1)
}
_TABLE.update({ord(c): " " for c in _SPACES})
# invisible format characters (zero-width space and joiners, direction marks, BOM) count as spaces
_INVISIBLE = "\u00ad\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\ufeff"
_TABLE.update({ord(c): " " for c in _INVISIBLE})
_TABLE.update({ord(c): "-" for c in _DASHES})
_TABLE.update({ord(c): a for c, a in zip("＋﹢．·・／＿（）＠﹫＃", "++.../_()@@#", strict=True)})
_NEEDS_TRANSLATION = re.compile("[" + re.escape("".join(chr(c) for c in _TABLE)) + "]")
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")  # any other Unicode decimal digit (Arabic-Indic, …)
# no digit, no @ and no other way of writing it (#, (at), [at]): nothing to mask (Chinese numerals
# are looked for apart: see _CN_HINT). One character class: the engine scans for it fastest.
_WORTH_A_LOOK = re.compile(r"[\d@＠﹫#＃]")
_AT_WORD = re.compile(r"[Aa][Tt] {0,2}[)\]）】]")  # 'abc(at)qq.com' has none of them


def _probe(text: str) -> str:
    """`text` with digits, letters, spaces, dashes and dots in ASCII, one character for one."""
    if _NEEDS_TRANSLATION.search(text):
        text = text.translate(_TABLE)
    if _OTHER_DIGIT.search(text):
        text = _OTHER_DIGIT.sub(lambda m: str(unicodedata.digit(m[0])), text)
    return text


def _digits(s: str) -> str:
    return "".join(ch for ch in s if "0" <= ch <= "9")
