"""A row's own personal values masked where they recur in its other text.

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
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from kwstats.masking.probe import _WORTH_A_LOOK, _digits, _probe

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
