"""Cases off the roster: the share of the month's 受理量 no roster unit counts, loud when large (the
names behind it and the roster lines to paste); an official run stops above the stop share."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pandas as pd

from kwstats.exceptions import ParamsError
from kwstats.indicators import accepted_cases, default_cutoff, month_cohort
from kwstats.masking import mask_text
from kwstats.params import Branch, RosterEntry


class OffRosterError(ParamsError):
    """An official run for a month whose accepted cases mostly miss the roster (a draft still builds).

    A params problem (the roster lacks the names the export uses), so a usage error like the others.
    """


@dataclass(frozen=True)
class OffRosterShare:
    """How much of the month's 受理量 no roster row counts, and the names behind it."""

    month: str
    accepted: int
    off_roster: int  # accepted cases in no roster row: unit names not on the roster, or no unit
    unassigned: int  # of which without any unit
    names: dict[str, int]  # unmatched unit names (masked) -> accepted cases, most first
    share: float  # off_roster / accepted (0.0 when nothing was accepted)
    warn: bool  # share above branch.off_roster_warn_share
    stop: bool  # share above branch.off_roster_stop_share: the official run stops
    message: str  # the Chinese warning ("" unless warn): names, and the roster lines to paste


_YAML_PLAIN = re.compile(r"^[^\s,:\[\]{}#&*!|>'\"%@`?-][^,:\[\]{}#]*(?<!\s)$")


def _yaml_item(text: str) -> str:
    """A name as an item of a YAML flow list: plain when safe, else double-quoted."""
    return text if _YAML_PLAIN.match(text) else json.dumps(text, ensure_ascii=False)


def _roster_line(entry: RosterEntry, aliases: list[str]) -> str:
    items = ", ".join(_yaml_item(a) for a in aliases)
    return f"  - {{seq: {entry.seq}, unit: {_yaml_item(entry.unit)}, aliases: [{items}]}}"


def _guess_entry(name: str, branch: Branch) -> RosterEntry | None:
    """The roster unit a full name most likely means: the one whose short name, without its last
    character (所/科/办), the name contains (站前所 → 站前 in 宽城分局站前市场监督管理所); None if not one."""
    hits = [e for e in branch.roster if len(e.unit) >= 3 and e.unit[:-1] in name]
    if not hits:  # 监管一科 in 宽城分局市场监管一科
        hits = [e for e in branch.roster if len(e.unit) >= 2 and e.unit in name]
    return hits[0] if len(hits) == 1 else None


def off_roster_share(
    cases: pd.DataFrame,
    branch: Branch,
    month: str,
    cutoff: pd.Timestamp | None = None,
    *,
    top: int = 10,
    official: bool = True,
) -> OffRosterShare:
    """The share of the month's accepted cases that no roster row counts, the unmatched names, and
    when it passes ``branch.off_roster_warn_share`` a Chinese warning naming them with the roster
    lines (aliases) to paste into params/branch.yaml.

    Unit names were already matched against the roster and its aliases at ingest; what is left here
    is what no alias covers. `top` limits the names listed in the message. Cases without any unit
    are no alias problem: the message says the export lacks their unit. `official`: the message is
    for an official run (which stops above the stop share); otherwise it says an official run would.
    """
    cutoff = default_cutoff(month) if cutoff is None else cutoff
    acc = accepted_cases(month_cohort(cases, month, cutoff))
    units = acc["unit"].astype("object")
    on_roster = units.isin(branch.units)
    unassigned = int(units.isna().sum())
    off = units[~on_roster & units.notna()].map(lambda u: mask_text(str(u)))
    names = {str(k): int(v) for k, v in off.value_counts().items()}
    n_off = int((~on_roster).sum())
    share = n_off / len(acc) if len(acc) else 0.0
    warn = share > branch.off_roster_warn_share
    stop = share > branch.off_roster_stop_share
    message = ""
    if warn:
        shown = list(names.items())[:top]
        listed = "、".join(f"“{n}” {c} 件" for n, c in shown)
        if len(names) > top:
            listed += f" 等 {len(names)} 个名称"
        message = (
            f"{month} 受理 {len(acc)} 件中有 {n_off} 件（{100 * share:.0f}%）不在名册的任何单位下，"
            f"单位表里只计入全局，各单位的数字因此偏少甚至为零。"
        )
        if names:
            message += f"未匹配的承办单位：{listed}。"
        if unassigned:
            unit_headers = "、".join(branch.headers.get("unit", [])[:2]) or "承办单位"
            message += (
                f"没有承办单位的 {unassigned} 件：导出中这些件的 {unit_headers} 一栏为空（或导出没有这一列），"
                f"这不是别名的问题，请在平台导出时带上并填好承办单位，再重新导出。"
            )
        by_entry: dict[int, list[str]] = {}
        unknown: list[str] = []
        for name, _ in shown:
            entry = _guess_entry(name, branch)
            if entry is None:
                unknown.append(name)
            else:
                by_entry.setdefault(entry.seq, []).append(name)
        if by_entry:
            lines = [
                _roster_line(e, [*e.aliases, *by_entry[e.seq]]) for e in branch.roster if e.seq in by_entry
            ]
            message += (
                "如果这些是名册单位的其他写法，请在 params/branch.yaml 的 roster 中把对应单位的行改为："
                + "；".join(lines)
                + "。"
            )
        if unknown:
            message += (
                f"{'、'.join(f'“{n}”' for n in unknown)} 看不出是哪个名册单位：如是，请加到该单位的 aliases 中"
                f"（例如 {_roster_line(branch.roster[0], [*branch.roster[0].aliases, unknown[0]]).strip()}）；"
                f"如确实不在名册中，可不理会。"
            )
        if stop:
            limit = (
                f"名册外的比例超过 {100 * branch.off_roster_stop_share:.0f}%（params/branch.yaml 的 "
                f"off_roster_stop_share）"
            )
            fix = (
                "补上别名"
                if names and not unassigned
                else "补上承办单位"
                if not names
                else "补上别名和承办单位"
            )
            if official:
                message += f"{limit}，正式通报不予生成；{fix}后重新运行，或用 --draft 生成草稿。"
            else:
                message += f"{limit}：{fix}之前，正式通报不会生成（草稿和核对不受影响）。"
    return OffRosterShare(
        month=month,
        accepted=len(acc),
        off_roster=n_off,
        unassigned=unassigned,
        names=names,
        share=share,
        warn=warn,
        stop=stop,
        message=message,
    )
