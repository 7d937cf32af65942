"""Checks on a month's hand-written prose: last month's text must not go out again unnoticed.

The monthly routine copies last month's params file and rewrites the prose. When the rewrite is
forgotten, the official bulletin would repeat an earlier month's typical case. `stale_prose` compares
the month's params with every earlier month's file in the same params folder:

- the typical case (its title, or its body) equals an earlier month's → an error: an official run
  stops (`StaleProseError`, a usage error), a draft is built and marked;
- the typical case names a date outside the month → a warning;
- a context or performance paragraph repeats an earlier month's word for word → a warning.

Texts are compared after Unicode NFKC (full/half width) with all whitespace removed, so that
“2022 年 1 月” and “2022年1月” are the same text.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kwstats.exceptions import ParamsError
from kwstats.exceptions import StaleProseError as StaleProseError  # kept importable from here
from kwstats.params import DEFAULT_PARAMS_DIR, Month, _read_yaml, load_month, normalize_month, parse_month

log = logging.getLogger(__name__)

_MONTH_FILE = re.compile(r"^(\d{4})-(\d{2})\.yaml$")
_SECTIONS = {"context": "（一）总体情况的说明文字", "performance": "（五）平台绩效考核的说明文字"}


@dataclass(frozen=True)
class ProseReport:
    """What the prose check found: errors stop an official run, warnings are shown."""

    errors: list[str] = field(default_factory=list)  # full Chinese messages naming both files
    warnings: list[str] = field(default_factory=list)
    draft_reasons: list[str] = field(default_factory=list)  # short forms of errors for the 【草稿】 banner

    def raise_errors(self) -> None:
        """Raise StaleProseError carrying every error (an official run calls this)."""
        if self.errors:
            raise StaleProseError(
                "；".join(self.errors)
                + "。请改写本月的典型案例后再生成；只想先看效果时可加 --draft 生成草稿。"
            )


def normalize_text(text: str) -> str:
    """Full/half-width folded, every whitespace removed: what 'the same text' means here."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


def _paragraphs(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    return [str(value)]


@dataclass(frozen=True)
class _Prose:
    """A month's prose as plain texts, read leniently (an earlier file need not be valid any more)."""

    month: str
    path: Path
    title: str
    body: list[str]
    sections: dict[str, list[str]]


def _from_month(params: Month, path: Path) -> _Prose:
    case = params.typical_case
    return _Prose(
        month=params.month,
        path=path,
        title=case.title if case else "",
        body=list(case.body) if case else [],
        sections={"context": list(params.context), "performance": list(params.performance)},
    )


def _from_raw(month: str, path: Path, data: Any) -> _Prose:
    data = data if isinstance(data, dict) else {}
    case = data.get("typical_case")
    case = case if isinstance(case, dict) else {}
    return _Prose(
        month=month,
        path=path,
        title=str(case.get("title") or ""),
        body=_paragraphs(case.get("body")),
        sections={name: _paragraphs(data.get(name)) for name in _SECTIONS},
    )


def earlier_month_files(month: str, params_dir: str | Path) -> list[tuple[str, Path]]:
    """(month, path) of every params/YYYY-MM.yaml for a month before `month`, oldest first."""
    month = normalize_month(month)
    found = []
    for path in Path(params_dir).glob("*.yaml"):
        m = _MONTH_FILE.match(path.name)
        if m and 1 <= int(m.group(2)) <= 12 and path.stem < month:
            found.append((path.stem, path))
    return sorted(found)


def stale_prose(
    month: str, params_dir: str | Path = DEFAULT_PARAMS_DIR, *, log_warnings: bool = True
) -> ProseReport:
    """Compare month `month`'s prose with every earlier month's params file in `params_dir`.

    A month without a params file has no prose to check (the report says so elsewhere). Warnings are
    logged unless `log_warnings=False` (build_report logs its whole warnings list itself).
    """
    month = normalize_month(month)
    params_dir = Path(params_dir)
    path = params_dir / f"{month}.yaml"
    report = ProseReport()
    if not path.exists():
        return report
    current = _from_month(load_month(month, params_dir), path)
    earlier: list[_Prose] = []
    for other_month, other_path in earlier_month_files(month, params_dir):
        try:
            earlier.append(_from_raw(other_month, other_path, _read_yaml(other_path)))
        except ParamsError as exc:
            report.warnings.append(f"无法读取较早月份的参数文件 {other_path}，未与它比较文字：{exc}")
    _typical_case_repeats(current, earlier, report)
    _sections_repeat(current, earlier, report)
    _dates_outside(current, report)
    if log_warnings:
        for warning in report.warnings:
            log.warning("%s", warning)
    return report


def _typical_case_repeats(current: _Prose, earlier: list[_Prose], report: ProseReport) -> None:
    """An error for the latest earlier month whose typical case title or body is this month's."""
    title, body = normalize_text(current.title), normalize_text("".join(current.body))
    if not title and not body:
        return
    # with digits masked, a copy whose only edit is the date is still the same case
    body_digits = re.sub(r"\d+", "#", body)
    for other in reversed(earlier):
        same = []
        if title and title == normalize_text(other.title):
            same.append(f"标题“{current.title.strip()}”")
        other_body = normalize_text("".join(other.body))
        if body and body == other_body:
            same.append("正文")
        elif body and body_digits == re.sub(r"\d+", "#", other_body):
            same.append("正文（只有数字或日期不同）")
        if same:
            report.errors.append(
                f"{current.path} 的典型案例{'和'.join(same)}与 {other.month} 的 {other.path} 相同，"
                f"正式通报会重复 {other.month} 的典型案例"
            )
            report.draft_reasons.append(f"典型案例与 {other.month} 相同")
            return


def _sections_repeat(current: _Prose, earlier: list[_Prose], report: ProseReport) -> None:
    """A warning per context/performance paragraph that an earlier month already printed word for word."""
    seen: dict[str, _Prose] = {}
    for other in earlier:  # oldest first: the latest month wins
        for paragraphs in other.sections.values():
            for para in paragraphs:
                if normalize_text(para):
                    seen[normalize_text(para)] = other
    for name, label in _SECTIONS.items():
        for number, para in enumerate(current.sections[name], start=1):
            other = seen.get(normalize_text(para))
            if other is not None:
                report.warnings.append(
                    f"{current.path} 中{label}第 {number} 段（{name}）与 {other.month} 的 {other.path} "
                    f"逐字相同：请确认是否已按本月情况改写"
                )


# dates as the clerks write them; full-width digits are folded by NFKC first
_YMD_CN = re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*[日号])?")
_MD_CN = re.compile(r"(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_M_CN = re.compile(r"(?<!\d)(\d{1,2})\s*月(?:份|初|中旬|上旬|下旬|底|末)")
_YMD_NUM = re.compile(r"(?<![\d.\-/])(\d{4})([.\-/])(\d{1,2})\2(\d{1,2})(?![\d.\-/])")


def dates_named(text: str, year: int) -> list[tuple[str, int, int, int | None]]:
    """(as written, year, month, day or None) of each date in `text`; a date without a year is in `year`.

    Written forms: 2022 年 1 月 17 日, 2022年1月, 1月17日, 1 月份, 2022.1.17, 2022-01-17, 2022/1/17.
    Impossible dates (13 月, 2 月 30 日) are not dates and are left out.
    """
    text = unicodedata.normalize("NFKC", text)
    found: list[tuple[int, str, int, int, int | None]] = []
    taken: list[tuple[int, int]] = []

    def free(m: re.Match) -> bool:
        return not any(m.start() < end and start < m.end() for start, end in taken)

    def add(m: re.Match, y: int, mon: int, day: int | None) -> None:
        taken.append(m.span())
        try:
            dt.date(y, mon, day or 1)
        except ValueError:
            return
        found.append((m.start(), m.group(0), y, mon, day))

    for m in _YMD_CN.finditer(text):
        add(m, int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None)
    for m in _YMD_NUM.finditer(text):
        if free(m):
            add(m, int(m.group(1)), int(m.group(3)), int(m.group(4)))
    for m in _MD_CN.finditer(text):
        if free(m):
            add(m, year, int(m.group(1)), int(m.group(2)))
    for m in _M_CN.finditer(text):
        if free(m):
            add(m, year, int(m.group(1)), None)
    return [(written, y, mon, day) for _, written, y, mon, day in sorted(found)]


def _dates_outside(current: _Prose, report: ProseReport) -> None:
    """A warning per date in the typical case that is not in the bulletin's month."""
    year, mon = parse_month(current.month)
    outside = []
    for text in [current.title, *current.body]:
        for written, y, m, _day in dates_named(text, year):
            if (y, m) != (year, mon) and written not in outside:
                outside.append(written)
    if outside:
        quoted = "、".join(f"“{w}”" for w in outside)
        report.warnings.append(
            f"{current.path} 的典型案例写的日期{quoted}不在 {year} 年 {mon} 月："
            f"请确认典型案例是本月的，而不是从较早月份复制来的"
        )
