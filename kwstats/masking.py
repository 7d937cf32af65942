"""Mask personal data in any text that came from an export.

One rule (SPEC §2): every text that came from an export is masked wherever it is shown, whatever its
column — content, result, respondent, unit, channel, categories, stage, headers, even a file or
sheet name. Ingest applies it to every text it keeps, the rows it sets aside and its warnings; the
analyst views apply it again (belt and braces). The case id alone stays as exported in the case
table: it is the key of duplicates, of the case store and of the analyst's look-up in the platform,
and real ids (region + date + sequence) can have the shape of an ID number.

:func:`mask_text` finds personal data by its shape, in any text (layout kept, digits -> ``*``):

- e-mail addresses: the local part -> ``***`` (``***@qq.com``), also with spaces around the @ or
  the @ written ``(at)`` / ``[at]`` / ``【at】`` / ``#`` (then the domain must end in letters);
- mobile numbers, first 3 and last 4 digits kept: ``13812345678`` -> ``138****5678``; prefixed
  ``+86`` / ``0086`` / ``86`` / ``(+86)``; written 3-4-4, 3-8, 7-4 or 4-4-3; 3-4-4 also with
  commas, 、 or line breaks between the groups (``138，1234，0013``, a cell split over lines);
- landlines, area code and last 4 digits kept: ``0431-8555-1234`` -> ``0431-****-1234``; area code
  in parentheses or not, local number of 7-8 digits in one or two groups; ``+86 431 …``;
- a bare local number of 7-8 digits after 电话 / 座机 / 固话 / 宅电 / 手机 / 联系 / Tel / Phone
  (``电话：8555 1234`` -> ``电话：**** 1234``);
- 18-digit resident ID numbers (plausible birth date 18xx-20xx, check digit or X), first 6 and last
  4 kept, separators allowed between region, year, month, day and sequence (6-8-4, 6-4-4-4 …);
  15-digit old ID numbers (mainland province code, a real YYMMDD, 6-6-3 allowed);
- bank card numbers, first and last 4 digits kept: 16-19 digits written in groups of 4
  (4-4-4-4[-1..3]), and ANY standalone run of 16-19 digits, whatever its check digit (a card that
  fails the Luhn check is still somebody's number). The exceptions, decided: the row's own case id
  (``keep``: it is the key; ingest passes it for the row's texts and its rows set aside, and the
  case id column itself is never masked); amounts and dates never reach 16 digits (an amount above
  100 亿元 is set aside by ingest, a date has at most 14: ``20220105093100``); an order number of
  16-19 digits is masked like a card (the safe side);
- a QQ number after QQ / 企鹅 (last 2 digits kept);
- numbers written digit by digit (``1 3 8 1 2 3 4 0 0 1 9``) or in Chinese numerals
  (``一三八一二三四〇〇一四``; 〇/零 0, 幺/壹 1, 两/贰 2 …, mixed with digits or spaced too): a run of
  11 that reads as a mobile, 15 or 18 as an ID number, 16-19 as a card is masked (in ASCII digits:
  ``138****0014``); other runs (``一二三四五六七八九〇一二``, ``二〇二二年``) are words.

Separators inside a number: one to three spaces, or one or two of ``- _ / .`` with up to two
spaces around them (dots in mobiles only as ``138.1234.5678``). What counts as a space, dash, dot,
digit or letter is normalised first: full-width forms, any Unicode decimal digit, non-breaking,
ideographic and other Unicode spaces, invisible format characters (zero-width space, joiners,
direction marks: taken as a space), en/em/figure/full-width dashes, 一 between digits. Only the
masked number comes out in ASCII; the rest of the text is left as it was.

Left alone: digit runs that do not stand alone (a number glued to more digits is no phone), dates
(``2022-01-05``, ``20220105``), amounts (``60800元``, ``1,234.50``), case ids (``202201110001``,
``T1``, 22-digit ids; one of 16-19 digits only as the row's own, see ``keep``) and the 12315
hotline. Masking is idempotent: masked text contains no number that any pattern matches again
(masking repeats to a fixpoint, since masking a number can set a neighbour free).

:func:`mask_known` masks a row's *own* personal values — its 姓名, 地址 and numbers, read from the
personal columns before ingest drops them — wherever they recur in that row's other text: a name
keeps its first character (``本人王小明`` -> ``本人王**``), an address and its tail after each
province / city / district is starred out, a number is starred out in any layout. A surname with
先生 / 女士 (``孙先生``, how published bulletins name people) is not masked. A recurring number
keeps the digits :func:`mask_text` keeps of its shape, in whatever layout it recurs: the row's own
mobile reads ``138****5678``, its landline written without the area code and without a keyword
(``8555 1234``, which no shape catches) ``**** 1234``. Names and addresses are matched folded
(full-width forms as ASCII, spaces and dashes between Chinese characters dropped): 姓名 ``李 四``
masks ``李四``, 地址 ``团山街170号`` masks ``团山街１７０号``, 姓名 ``虚竹`` masks ``虚  竹`` and ``虚-竹``,
each starred where and as it is written. :func:`mask_known_rows` does it for whole columns.

:func:`personal_header` tells a personal column by its header's words (投诉人姓名, 联系人电话, 家庭住址,
证件号, 电子邮箱, 联系方式 …) beyond params' ``personal_headers``, but not the respondent's or a
business's (经营地址详细地址, 被投诉方地址, 单位电话); ingest drops such a column, uses its values to
mask the row, and reports it in ``FileReport.personal_headers``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# ---------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------
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


def _digits(s: str) -> str:
    return "".join(ch for ch in s if "0" <= ch <= "9")


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


def _mask_cn_numerals(text: str) -> str:
    """`text` with each number written in Chinese numerals (or mixed with digits) that reads as a
    mobile, an ID or a card number masked, in ASCII digits (spaces between them kept)."""
    found = []
    for m in _CN_RUN.finditer(text):
        run = m.group()
        if not _CN_SET.intersection(run):
            continue  # digits only: the shapes see them
        plain = run.translate(_CN_TABLE)
        shown = _number_kind(_digits(plain))
        if shown is not None:
            found.append((m.start(), m.end(), _keep(plain, *shown)))
    return _splice(text, found) if found else text


def _mask_once(text: str, keep: str | None = None) -> tuple[str, bool]:
    """One pass over `text`: every e-mail address and personal number found, masked; and whether
    another pass may find more (a masked number touches more digits, which it may have hidden)."""
    probe = _probe(text)
    if "@" in probe or "#" in probe or (("t" in probe or "T" in probe) and _EMAIL_HINT.search(probe)):
        emails = _emails(probe)
        if emails:
            text = _splice(text, emails)
            probe = _probe(text)
    found: list[tuple[int, int, str]] = []
    again = False
    pos = 0
    while (m := _PERSONAL_RE.search(probe, pos)) is not None:
        rep = _repl(m, probe, text, keep)
        if rep is None:  # not personal after all: look again from the next character
            pos = m.start() + 1
            continue
        found.append((m.start(), m.end(), rep))
        pos = m.end()
        # Only a number that reaches into a masked one can be new in the next pass (the masked
        # part is '*', which no shape contains): look for digits next to it, past separators.
        again = again or bool(
            _DIGIT_AFTER.match(probe, m.end())
            or _DIGIT_BEFORE.search(probe, max(0, m.start() - 8), m.start())
        )
    return (_splice(text, found) if found else text), again


def _splice(text: str, found: list[tuple[int, int, str]]) -> str:
    """`text` with each (start, end) span replaced by its masked form."""
    parts: list[str] = []
    last = 0
    for start, end, rep in found:
        parts += [text[last:start], rep]
        last = end
    parts.append(text[last:])
    return "".join(parts)


def mask_text(text: Any, keep: str | None = None) -> Any:
    """Mask e-mail addresses and personal numbers in `text`; None/NA and non-strings pass through.

    `keep`: the row's case id. Where `text` holds it as one run of 16-19 digits, that run is not
    taken for a card number (the case id is the key: see the module's docstring).
    """
    if not isinstance(text, str):
        return text
    if len(text) >= 11 and not text.isascii() and _CN_HINT.search(text):
        text = _mask_cn_numerals(text)
    if not _WORTH_A_LOOK.search(text) and not (("t" in text or "T" in text) and _AT_WORD.search(text)):
        return text
    if keep is not None:
        keep = _probe(str(keep)).strip() or None
    # Repeat to a fixpoint: masking a number can set free a neighbour that a digit used to hide
    # ('13812340431-85551234' -> '138****0431-85551234', whose landline is then masked too). Each
    # pass that changes the text adds a '*', so the loop ends.
    for _ in range(len(text) + 1):
        text, again = _mask_once(text, keep)
        if not again:
            break
    return text


def mask_series(s: pd.Series, keep: pd.Series | None = None) -> pd.Series:
    """:func:`mask_text` over a Series, as a string Series (missing values stay missing).

    `keep`: the case id of each row (same length and order as `s`), passed to :func:`mask_text`.
    Only the values that :func:`mask_text`'s quick test lets through are looked at (found a whole
    column at a time, see :data:`_QUICK_COLUMN`); the others are returned as they are.
    """
    s = s.astype("string")
    at = np.flatnonzero(_may_change(s))
    if not len(at):
        return s.copy()
    texts = s.iloc[at].tolist()
    if keep is None:
        masked = [mask_text(t) for t in texts]
    else:
        ids = keep.astype("string").iloc[at].tolist()
        masked = [mask_text(t, k if isinstance(k, str) else None) for t, k in zip(texts, ids, strict=True)]
    changed = [k for k, (a, b) in enumerate(zip(texts, masked, strict=True)) if a != b]
    out = s.copy()
    if changed:
        out.iloc[at[changed]] = [masked[k] for k in changed]
    return out


# mask_text's quick test in RE2 syntax (pyarrow's engine), to find a whole column's candidates at once:
# a digit of any script (Python's \d), an @ or # of either width, (at)/[at], or Chinese numerals.
# Keep it in step with mask_text: it may let through more values, never fewer.
_QUICK_COLUMN = "|".join(
    (r"[\p{Nd}@＠﹫#＃]", r"[Aa][Tt] {0,2}[)\]）】]", f"[{_CN_NUMERALS}](?:[ \u3000]?{_CN_DIGIT}){{2}}")
)


def _may_change(s: pd.Series) -> np.ndarray:
    """Boolean per value of a string Series: may :func:`mask_text` change it (missing: False)."""
    values = pa.array(s, from_pandas=True)
    if not pa.types.is_large_string(values.type) and not pa.types.is_string(values.type):
        values = values.cast(pa.large_string())
    found = pc.match_substring_regex(values, _QUICK_COLUMN)
    return np.asarray(found.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


# ---------------------------------------------------------------------------------------------
# a row's own personal values

_MIN_NUMBER = 7  # digits: a local number; shorter digit groups (house numbers) are part of an address
_NUMBER_RUN = re.compile(r"\d(?:[ \-_/.()]{0,3}\d)*", re.ASCII)  # on the probe
_NUMBER_RUN_ANY = re.compile(r"\d(?:[\s\-_/.()（）\u2010-\u2015\u2212\uff0d]{0,3}\d)*")  # on raw text
_SPLIT = re.compile(r"[\s,，、;；/|()（）:：\[\]【】<>《》\"'“”‘’]+")
_CJK = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff·]+$")
_COURTESY = re.compile(r"^[\u3400-\u9fff]{1,2}(?:先生|女士)$")
_ADMIN = re.compile(r"^(?:[\u3400-\u9fff]+?(?:省|市|区|县|旗|镇|乡|街道|自治州|自治区|地区|盟))+$")
_ADMIN_END = re.compile(r"(?:省|市|区|县|旗|镇|乡|街道)")
_PLACEHOLDERS = frozenset(
    {"匿名", "无", "不详", "未知", "保密", "先生", "女士", "null", "none", "nan", "NULL", "None", "NaN"}
)

# Names and addresses are matched folded, in the value and in the text alike: full-width letters,
# digits and signs as ASCII, and the spaces and dashes between two Chinese characters (spaces also
# between a Chinese character and a digit or letter) dropped — '李 四', '虚-竹' and '团山街１７０号'
# are found as 李四, 虚竹 and 团山街170号, and masked where and as they are written.
_WIDE_TABLE = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_WIDE = re.compile("[\uff01-\uff5e\u3000]")
_HAN = "\u3400-\u9fff\uf900-\ufaff"
_GAP = re.compile(
    rf"(?<=[{_HAN}])[\s\-_.·・\u2010-\u2015\u2212]+(?=[{_HAN}])"
    rf"|(?<=[{_HAN}])\s+(?=[0-9A-Za-z])|(?<=[0-9A-Za-z])\s+(?=[{_HAN}])"
)
_NOT_ALNUM = re.compile(r"[\W_]+")


def _fold(text: str) -> tuple[str, list[int] | None]:
    """`text` folded for matching names and addresses, and where in `text` each of its characters
    is (None: at the same place, nothing was dropped)."""
    if _WIDE.search(text):
        text = text.translate(_WIDE_TABLE)  # one character for one
    gaps = [m.span() for m in _GAP.finditer(text)]
    if not gaps:
        return text, None
    parts: list[str] = []
    where: list[int] = []
    last = 0
    for start, end in gaps:
        parts.append(text[last:start])
        where.extend(range(last, start))
        last = end
    parts.append(text[last:])
    where.extend(range(last, len(text)))
    return "".join(parts), where


def _skeleton(text: str) -> str:
    """`text` reduced to its letters and digits (NFKD first, so full-width forms are ASCII): every
    folded term found in a folded text has its skeleton in the text's skeleton. The quick row test
    looks there (a vectorised prefilter can too: NFKD, then drop ``[^\\p{L}\\p{N}]``)."""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKD", text))


def _kept(d: str) -> tuple[int, int]:
    """How many leading and trailing digits of a row's own number stay visible where it recurs: as
    many as :func:`mask_text` keeps of its shape (a mobile 3 + 4, an ID number 6 + 4 …), else none."""
    n = len(d)
    if n == 11 and d[0] == "1" and d[1] in "3456789":
        return 3, 4  # mobile
    if n in (17, 18) and d[0] != "0":
        return 6, n - 14  # ID number (17 digits: its X follows)
    if n == 15 and d[0] != "0":
        return 6, 3  # old ID number
    if d[0] == "0" and 10 <= n <= 12:
        return (3 if d[1] in "12" else 4), 4  # landline with its area code
    if n <= 8:
        return 0, 4  # local number
    return 0, 0


def _number_variants(d: str) -> dict[str, tuple[int, int]]:
    """The forms in which a number from a personal column may recur (without +86 / 0086, a landline
    also without its area code), each with the digits it keeps visible (see :func:`_kept`)."""
    core = d
    for prefix in ("0086", "86"):
        if d.startswith(prefix) and len(d) - len(prefix) >= 9:
            core = d[len(prefix) :]
            if not core.startswith(("0", "1")):
                core = "0" + core  # an international landline: its area code without the 0
            break
    forms = [core]
    if core != d and _kept(d) != (0, 0):
        forms.append(d)  # as written too: '86…' may be the region of an ID number, not China's code
    if core.startswith("0") and 10 <= len(core) <= 12:
        forms.append(core[3:] if core[1] in "12" else core[4:])  # the local number
    return {f: _kept(f) for f in forms if len(f) >= _MIN_NUMBER}


def _name_mask(term: str) -> str:
    """A name keeps its first character (王小明 -> 王**); anything longer is starred out."""
    if len(term) <= 4 and _CJK.match(term):
        return term[0] + "*" * (len(term) - 1)
    return "*" * len(term)


def _add_term(terms: dict[str, str], token: str) -> None:
    """Add a word of a personal cell (folded) and, for an address, its tails to `terms`; a term has
    at least 2 letters or digits (see :func:`_skeleton`)."""
    token = token.strip("-_.·")
    if len(token) < 2 or token in _PLACEHOLDERS or _COURTESY.match(token) or _ADMIN.match(token):
        return
    if not _CJK.match(token) and (len(token) < 3 or token.isdigit()):
        return
    if len(_skeleton(token)) < 2:
        return
    terms[token] = _name_mask(token)
    if len(token) > 4:  # an address: also its tail after each province / city / district
        for m in _ADMIN_END.finditer(token):
            tail = token[m.end() :]
            if len(tail) >= 4 and not _ADMIN.match(tail) and len(_skeleton(tail)) >= 2:
                terms.setdefault(tail, "*" * len(tail))


@functools.lru_cache(maxsize=8192)
def _parse_value(value: str) -> tuple[dict[str, str], dict[str, tuple[int, int]]]:
    """One personal cell -> (name/address terms with their masked forms, numbers as digit strings
    with the digits they keep visible). Cached: do not mutate the result."""
    terms: dict[str, str] = {}
    numbers: dict[str, tuple[int, int]] = {}
    words = value
    if _WORTH_A_LOOK.search(value):
        for m in _NUMBER_RUN.finditer(_probe(value)):
            numbers.update(_number_variants(_digits(m.group())))
        words = _NUMBER_RUN_ANY.sub(lambda m: " " if sum(ch.isdigit() for ch in m[0]) >= 5 else m[0], value)
    if _WIDE.search(words):
        words = words.translate(_WIDE_TABLE)
    tokens = _SPLIT.split(words)
    joined = _GAP.sub("", words)  # '李 四' is one name, 李四; '王小明 李四' two (and one more term)
    if joined != words:
        tokens += _SPLIT.split(joined)
    for token in tokens:
        _add_term(terms, _fold(token)[0])
    return terms, numbers


# _MIN_NUMBER digits, at most 3 other characters apart: only then can a known number be there
_LONG_RUN = re.compile(rf"\d(?:\D{{0,3}}\d){{{_MIN_NUMBER - 1}}}")


class KnownValues:
    """A row's own personal values, prepared for masking where they recur in its other text."""

    __slots__ = ("numbers", "terms")

    def __init__(self, values: Iterable[Any]) -> None:
        terms: dict[str, str] = {}
        numbers: dict[str, tuple[int, int]] = {}
        for value in values:
            if isinstance(value, str) and value.strip():
                t, n = _parse_value(value.strip())
                terms.update(t)
                numbers.update(n)
        self.terms = sorted(terms.items(), key=lambda kv: -len(kv[0]))  # longest first
        self.numbers = sorted(numbers.items(), key=lambda kv: -len(kv[0]))

    def __bool__(self) -> bool:
        return bool(self.terms or self.numbers)

    def may_occur(self, text: str, numbers: bool = True) -> bool:
        """A quick test: False when `text` surely holds none of these values."""
        if numbers and self.numbers and _LONG_RUN.search(text) is not None:
            return True
        if not self.terms:
            return False
        folded = _fold(text)[0]
        return any(term in folded for term, _ in self.terms)

    def mask(self, text: Any, numbers: bool = True) -> Any:
        """`text` with every recurrence of these values masked (numbers too unless `numbers` is
        False); None/NA and non-strings pass through."""
        if not isinstance(text, str) or not text:
            return text
        if self.terms:
            text = self._mask_terms(text)
        if numbers and self.numbers and _LONG_RUN.search(text):
            text = self._mask_numbers(text)
        return text

    def _mask_terms(self, text: str) -> str:
        """`text` with the names and addresses masked where they recur, matched folded (see
        :func:`_fold`); the characters they cover are starred where they are, the rest stays."""
        folded, where = _fold(text)
        out = folded
        for term, masked in self.terms:
            if term in out:
                out = out.replace(term, masked)
        if out == folded:
            return text
        chars = list(text)
        for i, (before, after) in enumerate(zip(folded, out, strict=True)):  # masks are as long as terms
            if before != after:
                chars[i if where is None else where[i]] = after
        return "".join(chars)

    def _mask_numbers(self, text: str) -> str:
        probe = _probe(text)
        parts: list[str] = []
        last = 0
        for m in _NUMBER_RUN.finditer(probe):
            run = m.group()
            at = [i for i, ch in enumerate(run) if "0" <= ch <= "9"]
            if len(at) < _MIN_NUMBER:
                continue
            digits = "".join(run[i] for i in at)
            hit = bytearray(len(at))
            for k, (head, tail) in self.numbers:
                i = digits.find(k)
                while i >= 0:
                    hit[i + head : i + len(k) - tail] = b"\x01" * (len(k) - head - tail)
                    i = digits.find(k, i + 1)
            if not any(hit):
                continue
            chars = list(text[m.start() : m.end()])
            for flag, i in zip(hit, at, strict=True):
                if flag:
                    chars[i] = "*"
            parts += [text[last : m.start()], "".join(chars)]
            last = m.end()
        if not parts:
            return text
        parts.append(text[last:])
        return "".join(parts)


_PURE_NUMBER = re.compile(r"^[\d\s\-_/.()（）+＋Xx\u2010-\u2015\u2212\uff0d]+$")
_FIVE_DIGITS = re.compile(r"(?:\d\D*){5}")


def _may_recur(values: Sequence[Any], full_text: str, part_text: str) -> tuple[bool, bool]:
    """Whether any of a row's personal `values` may recur in its texts (full: names and numbers;
    part: names only), without parsing the values. A value of digits only (a phone, an ID number)
    has no name in it, and its number needs a long run of digits; a value of one word with few
    digits (a name, an address) gives terms that all end where it ends (each with 2 letters or
    digits at least), so the last 2 characters of its skeleton must be in the text's skeleton (see
    :func:`_skeleton`); anything else is parsed."""
    in_full = in_part = False
    skeletons: list[str] = []
    for v in values:
        if not isinstance(v, str):
            continue
        v = v.strip(" -_.·")
        if not v:
            continue
        if _PURE_NUMBER.match(v):
            in_full = in_full or (_LONG_RUN.search(full_text) is not None)
        elif _SPLIT.search(v) or _FIVE_DIGITS.search(v):
            return True, True
        else:
            end = _skeleton(v)[-2:]
            if not skeletons:
                skeletons = [_skeleton(full_text), _skeleton(part_text)]
            in_full = in_full or end in skeletons[0]
            in_part = in_part or end in skeletons[1]
        if in_full and in_part:
            break
    return in_full, in_part


# ---------------------------------------------------------------------------------------------
# personal columns by their header

# A header that names a person's name, phone, address, ID, e-mail or contact (投诉人姓名, 联系人电话,
# 家庭住址, 证件号, 电子邮箱, 联系方式 …), or is the person (投诉人, 来电人 …); a bracketed note at the
# end (“（必填）”) is ignored. Not when it names the other side or a place of business: the
# respondent's 经营地址, 涉及主体名称, 被投诉方地址, 单位电话, 事发地址 are no personal data of the person
# who called.
_PERSONAL_HEADER = re.compile(
    r"(?:姓名|名字|电话|手机|座机|住址|地址|身份证|证件|护照|邮箱|邮件|e-?mail|联系方式|联系人|微信|qq"
    r"|(?:来电|回电|联系)号码)(?:号码|号|信息|地址)?$"
    r"|^(?:投诉|举报|来电|咨询|反映|诉求|申请|求助)人$",
    re.IGNORECASE,
)
_OTHER_SIDE_HEADER = re.compile(
    "经营|主体|被投诉|被举报|被反映|被申请|当事人|企业|商户|商家|店铺|门店|单位|事发|发生地|涉事"
)
_BRACKETED_END = re.compile(r"[(\[【][^)\]】]*[)\]】]$")


def personal_header(header: Any) -> bool:
    """Whether `header` names a personal column by its words (beyond params' ``personal_headers``).

    Ingest checks the mapped fields first: a header that is an alias of a field is that field.
    """
    h = _BRACKETED_END.sub("", re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(header))))
    return bool(h) and _PERSONAL_HEADER.search(h) is not None and _OTHER_SIDE_HEADER.search(h) is None


def mask_known(text: Any, values: Iterable[Any]) -> Any:
    """`text` with the personal `values` of its row (name, address, numbers) masked where they recur.

    A name keeps its first character (``王小明`` -> ``王**``), an address is starred out (also its
    tail after a province, city or district), a number is masked in any layout (also without +86 /
    0086, and a landline without its area code), keeping the digits :func:`mask_text` keeps of its
    shape (``138****5678``). Surname + 先生/女士 values stay.
    """
    return KnownValues(values).mask(text)


def mask_known_rows(
    columns: Sequence[np.ndarray], personal: Sequence[np.ndarray], *, names_only: Sequence[int] = ()
) -> list[np.ndarray]:
    """Each row of `columns` with that row's own values from the `personal` columns masked.

    All arrays are aligned (one element per row); the result is new object arrays, same order. In
    the columns numbered in `names_only` (typed columns: dates, amounts) only names and addresses
    are masked: a number there is parsed, or else shown through :func:`mask_text`.
    """
    cols = [np.asarray(c, dtype=object).tolist() for c in columns]
    if personal and cols:
        typed = set(names_only)
        full = [c for k, c in enumerate(cols) if k not in typed]
        part = [c for k, c in enumerate(cols) if k in typed]
        rows = zip(*(np.asarray(p, dtype=object).tolist() for p in personal), strict=True)
        for i, values in enumerate(rows):
            # a quick test over the whole row first: most rows repeat none of their values
            full_text = "\x00".join(c[i] for c in full if isinstance(c[i], str))
            part_text = "\x00".join(c[i] for c in part if isinstance(c[i], str))
            in_full, in_part = _may_recur(values, full_text, part_text)
            if not (in_full or in_part):
                continue
            known = KnownValues(values)
            if in_full and known.may_occur(full_text):
                for c in full:
                    c[i] = known.mask(c[i])
            if in_part and known.may_occur(part_text, numbers=False):
                for c in part:
                    c[i] = known.mask(c[i], numbers=False)
    out = []
    for c in cols:
        arr = np.empty(len(c), dtype=object)
        arr[:] = c
        out.append(arr)
    return out
