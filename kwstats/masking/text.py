"""Personal data masked by its shape, in any text (:func:`mask_text`) and in a whole column
(:func:`mask_series`).

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
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kwstats.masking.patterns import (
    _CN_DIGIT,
    _CN_HINT,
    _CN_NUMERALS,
    _CN_RUN,
    _CN_SET,
    _CN_TABLE,
    _DIGIT_AFTER,
    _DIGIT_BEFORE,
    _EMAIL_HINT,
    _PERSONAL_RE,
    _emails,
    _keep,
    _number_kind,
    _repl,
)
from kwstats.masking.probe import _AT_WORD, _WORTH_A_LOOK, _digits, _probe


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
    text = _mask_cn_numerals_in(text)
    if not _WORTH_A_LOOK.search(text) and not (("t" in text or "T" in text) and _AT_WORD.search(text)):
        return text
    if keep is not None:
        keep = _probe(str(keep)).strip() or None
    # Repeat to a fixpoint: masking a number can set free a neighbour that a digit used to hide
    # ('13812340431-85551234' -> '138****0431-85551234', whose landline is then masked too), also one
    # in Chinese numerals ('…0000一2000…': the digits before 一 were part of a longer run). Each pass
    # that changes the text adds a '*', so the loop ends; what it returns, a pass leaves unchanged.
    for _ in range(len(text) + 1):
        text, again = _mask_once(text, keep)
        numerals = _mask_cn_numerals_in(text)
        if not again and numerals == text:
            break
        text = numerals
    return text


def _mask_cn_numerals_in(text: str) -> str:
    """:func:`_mask_cn_numerals` where `text` may hold a number in Chinese numerals (a quick test)."""
    if len(text) >= 11 and not text.isascii() and _CN_HINT.search(text):
        return _mask_cn_numerals(text)
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
    if keep is None:  # each distinct text masked once (a column repeats its texts)
        once = {t: mask_text(t) for t in dict.fromkeys(texts)}
        masked = [once[t] for t in texts]
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
