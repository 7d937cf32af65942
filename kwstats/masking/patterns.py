"""The shapes of personal data, matched on the ASCII probe (:mod:`kwstats.masking.probe`), and the
masked form of each match; what they catch and what they leave alone: :mod:`kwstats.masking.text`."""

from __future__ import annotations

import datetime as dt
import re

from kwstats.masking.probe import _digits

# shapes (matched on the ASCII probe)

_S = r"(?: {1,3}| {0,2}[-_/.]{1,2} {0,2})"  # a separator between groups of digits
_SM = r"(?: {1,3}| {0,2}[-_/]{1,2} {0,2})"  # in mobiles: dots only as 138.1234.5678
# and, in a mobile written 3-4-4 only: a comma (either width), 、 or a line break (a cell split over lines)
_SMC = r"(?: {0,2}(?:[,，、]|\r?\n) {0,2})"
_MONTH = r"(?:0[1-9]|1[0-2])"
_DAY = r"(?:0[1-9]|[12]\d|3[01])"
_ID18 = (
    rf"(?<!\d)(?P<id>[1-9]\d{{5}}{_S}?(?:18|19|20)\d{{2}}{_S}?{_MONTH}{_S}?{_DAY}{_S}?\d{{3}}[0-9Xx])"
    r"(?!\d)"
)
_PROVINCE = r"(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5])"
_PROVINCE_RE = re.compile(_PROVINCE)
_ID15 = rf"(?<!\d)(?P<id15>{_PROVINCE}\d{{4}}{_S}?(?P<id15_date>\d{{2}}{_MONTH}{_DAY}){_S}?\d{{3}})(?!\d)"
_MOBILE = (
    rf"(?<!\d)(?P<m_prefix>(?:(?:\+|00) ?86|\(\+?86\)|86){_SM}?)?"
    rf"(?P<mobile>1[3-9]\d(?:{_SM}?\d{{4}}{_SM}?|\.\d{{4}}\.|{_SMC}\d{{4}}{_SMC})\d{{4}}"
    rf"|1[3-9]\d\d{_SM}\d{{4}}{_SM}\d{{3}})"
    r"(?!\d)"
)
_AREA = r"0(?:10|2\d|[3-9]\d{2})"
_LOCAL = rf"\d{{3,4}}{_S}?\d{{4}}"
_LANDLINE = rf"(?<!\d)(?P<l_area>\( ?{_AREA} ?\)|{_AREA}){_S}?(?P<l_local>{_LOCAL})(?!\d)"
_LANDLINE_INTL = (
    rf"(?<!\d)(?P<li_area>(?:(?:\+|00) ?86|\(\+?86\)){_S}?\(?0?(?:10|2\d|[3-9]\d{{2}})\)?)"
    rf"{_S}?(?P<li_local>{_LOCAL})(?!\d)"
)
_CARD_GROUPED = rf"(?<!\d)(?P<card_g>\d{{4}}(?:{_S}\d{{4}}){{3}}(?:\d{{1,3}}|{_S}\d{{1,3}})?)(?!\d)"
_CARD = r"(?<!\d)(?P<card>\d{16,19})(?!\d)"
# a number written digit by digit: '1 3 8 1 2 3 4 0 0 1 9' (one space between every two digits)
_SPACED = r"(?<!\d )(?P<spaced>\d(?: \d){10,18})(?!\d| \d)"
# a QQ number after its name: 'QQ号 123456789'
_QQ = r"(?P<qq_kw>(?:[Qq]{2}|企鹅)(?:号码|号)?[ :=：]{0,3})(?P<qq>[1-9]\d{4,10})(?!\d)"
_KEYWORD = r"(?:电话|座机|固话|宅电|手机|联系|[Tt][Ee][Ll]|[Pp][Hh][Oo][Nn][Ee])"
_FILLER = r"(?:[ :=,()\[\]：，、【】]|号码|号|是|为|方式|人)"
# the bare number must end there: '手机 139 1234-5678' is a mobile, not 139 1234
_LOCAL_KW = rf"(?P<kw>{_KEYWORD}{_FILLER}{{0,4}})(?P<local>{_LOCAL})(?!\d|{_S}\d)"
# Order matters where two shapes can start at the same place: the first that matches is taken.
# The guard in front lets the engine skip, in one test, the places where no shape can start (it
# makes the search three times faster).
_PERSONAL_RE = re.compile(
    r"(?<!\d)(?=[0-9(+电座固宅手联TtPpQq企])(?:"
    + "|".join(
        (_ID18, _MOBILE, _LANDLINE, _LANDLINE_INTL, _CARD_GROUPED, _CARD, _ID15, _LOCAL_KW, _QQ, _SPACED)
    )
    + ")",
    re.ASCII,
)
# the @ with spaces around it, or written (at) / [at] / 【at】 / # to fool a scraper
_AT = r"(?P<at> {0,2}@ {0,2}| {0,2}[(\[【] {0,2}[Aa][Tt] {0,2}[)\]】] {0,2}| ?# ?)"
_DOT = r"(?:\.|[(\[][Dd][Oo][Tt][)\]])"
_EMAIL_RE = re.compile(
    rf"(?<![A-Za-z0-9._%+-])(?P<local>[A-Za-z0-9._%+-]+){_AT}(?P<domain>[A-Za-z0-9-]+(?:{_DOT}[A-Za-z0-9-]+)+)"
)
_EMAIL_HINT = re.compile(r"[@#]|[Aa][Tt] {0,2}[)\]】]")
_TLD = re.compile(r"[A-Za-z]{2,}$")  # an obfuscated address must end like a domain ('3#1.5' is none)
_SEP_CLASS = r"[ \-_/.()+,，、\r\n]"
_DIGIT_AFTER = re.compile(rf"{_SEP_CLASS}{{0,7}}\d", re.ASCII)
_DIGIT_BEFORE = re.compile(rf"\d{_SEP_CLASS}{{0,7}}$", re.ASCII)
_ID18_DIGITS = re.compile(rf"[1-9]\d{{5}}(?:18|19|20)\d{{2}}{_MONTH}{_DAY}\d{{3}}[0-9Xx]")
_MOBILE_DIGITS = re.compile(r"1[3-9]\d{9}")

# Chinese numerals written as digits: '一三八一二三四〇〇一四', '幺三八…' (幺 and 两 are how 1 and 2 are
# read out on the phone), 壹贰叁… A run of 11 that reads as a mobile, 15 or 18 as an ID number and
# 16-19 as a card number is masked (as digits: '138****0014'); other runs are words ('一一二三').
_CN_NUMERALS = "〇零一二三四五六七八九幺两壹贰叁肆伍陆柒捌玖"
_CN_TABLE = str.maketrans(_CN_NUMERALS + "０１２３４５６７８９", "0012345678912123456789" + "0123456789")
_CN_DIGIT = f"[0-9０-９{_CN_NUMERALS}]"
_CN_HINT = re.compile(f"[{_CN_NUMERALS}](?:[ \u3000]?{_CN_DIGIT}){{2}}")  # a quick test first
_CN_RUN = re.compile(
    f"(?<!{_CN_DIGIT})(?<!{_CN_DIGIT}[ \u3000]){_CN_DIGIT}(?:[ \u3000]?{_CN_DIGIT}){{10,18}}(?![ \u3000]?{_CN_DIGIT})"
)
_CN_SET = frozenset(_CN_NUMERALS)
_DIGITS_X = frozenset("0123456789Xx")


def _keep(s: str, head: int, tail: int) -> str:
    """`s` with every digit but its first `head` and last `tail` as '*' (an ID's X counts as a digit;
    other characters are kept)."""
    n = sum(ch in _DIGITS_X for ch in s)
    out = []
    k = 0
    for ch in s:
        if ch in _DIGITS_X:
            out.append(ch if k < head or k >= n - tail else "*")
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


def _number_kind(digits: str) -> tuple[int, int] | None:
    """The digits a number written without its usual layout keeps visible (digit by digit, in Chinese
    numerals), by its length and shape: a mobile, an ID number, a card number; None if none."""
    n = len(digits)
    if n == 11 and _MOBILE_DIGITS.fullmatch(digits):
        return 3, 4
    if n == 18 and _ID18_DIGITS.fullmatch(digits):
        return 6, 4
    if n == 15 and _PROVINCE_RE.match(digits) and _plausible_yymmdd(digits[6:12]):
        return 6, 3
    if 16 <= n <= 19:
        return 4, 4
    return None


def _repl(m: re.Match[str], probe: str, text: str, keep: str | None = None) -> str | None:
    """The masked form of a match (the number in ASCII), or None when the shape is no personal number
    (or is `keep`, the row's case id, written as one run of 16-19 digits)."""
    kind = m.lastgroup
    s = m.group(0)
    if kind == "id":
        return _keep(s, 6, 4)
    if kind == "mobile":
        return (m["m_prefix"] or "") + _keep(m["mobile"], 3, 4)
    if kind == "l_local":
        return _keep(s, len(_digits(m["l_area"])), 4)
    if kind == "li_local":
        return _keep(s, len(_digits(m["li_area"])), 4)
    if kind == "card_g":
        return _keep(s, 4, 4)
    if kind == "card":  # any run of 16-19 digits: a card, whatever its check digit
        return None if s == keep else _keep(s, 4, 4)
    if kind == "id15":
        return _keep(s, 6, 3) if _plausible_yymmdd(m["id15_date"]) else None
    if kind == "qq":
        return text[m.start("qq_kw") : m.end("qq_kw")] + _keep(m["qq"], 0, 2)
    if kind == "spaced":
        shown = _number_kind(_digits(s))
        return None if shown is None else _keep(s, *shown)
    # a bare local number after a keyword: the keyword stays as written
    return text[m.start("kw") : m.end("kw")] + _keep(m["local"], 0, 4)


def _emails(probe: str) -> list[tuple[int, int, str]]:
    """The e-mail addresses in `probe`, each (start, end, masked form): the local part -> ``***``."""
    found = []
    for m in _EMAIL_RE.finditer(probe):
        at = m["at"]
        if "@" not in at and not _TLD.search(m["domain"]):
            continue
        found.append((m.start(), m.end(), "***" + at + m["domain"]))
    return found
