"""The bulletin's Chinese sentences, built from computed numbers.

The templates live here, next to the code that fills them; the prose around them (introduction,
context paragraphs, typical case) comes from the month's params. Text from exports is never put
into these sentences; anything shown as HTML goes through `html.escape`.
"""

from __future__ import annotations

import html

import pandas as pd

from kwstats.indicators import MonthSummary
from kwstats.params import Branch, parse_month
from kwstats.rates import format_rate

ZERO_URGE = "当月实现市局“初、核查反馈零催办”目标"
SOME_URGES = "当月市局催办 {urges} 次"

OVERALL = (
    "{year} 年 {mon} 月份{branch}投诉、举报中心全口径接收咨询、投诉、举报、电话、来函来信等各类信息共 "
    "{accepted} 件，12315 网络平台分流 {diverted} 件，{loss}，{urge}。"
)
LOSS = "共挽回经济损失 {loss} 万元人民币"
NO_LOSS = "导出数据不含挽回经济损失，未统计"
NO_URGES = "导出数据不含催办次数，未统计催办情况"
WINDOW = (
    "关于 12315 平台受理{label}从 {start_y} 年 {start_m} 月 {start_d} 日起至 {end_y} 年 {end_m} 月 {end_d} 日，"
    "共受理 {count} 件，办结率 {rate}。"
)
REPORTS = "{mon} 月份受理举报件共 {reports} 件，办结 {closed} 件，办结率 {rate}。"
COMPLAINTS = "{mon} 月份受理投诉件共 {complaints} 件，办结 {closed} 件，办结率 {rate}。"
CLOSED = "{mon} 月份共计办结 {closed} 件，截止 {cut_m} 月 {cut_d} 日，办理中还有 {pending} 件。"
CLOSURE_UNKNOWN = "另有 {n} 件的导出既无办结时间也无办理环节，办结情况未统计。"
TABLE_TITLE = "{year} 年 {mon} 月份分局各监管责任主体 12315 系统办件数量统计一览表"
TABLE_NOTE = (
    "注：【统计时间截止 {cut_m} 月 {cut_d} 日实时数据】 如有超期办件、消费者对处理结果和工作动态满意率低于 "
    "{threshold}%的单位，需向消保主管局长直至主要领导当面说明情况。"
)
UNDER_THRESHOLD = "本月办结率低于 {threshold}% 的单位：{units}。"
NONE_UNDER_THRESHOLD = "本月没有办结率低于 {threshold}% 的单位。"
PERIOD = "报送时间:{y}.{m}.1～{cy}.{cm}.{cd}"
WINDOW_LABELS = {"epidemic": "疫情案件"}


def _threshold(value: float) -> str:
    return f"{value:g}"


def overall_sentence(
    s: MonthSummary, branch: Branch, *, urges_recorded: bool = True, loss_recorded: bool = True
) -> str:
    """(一) 总体情况's first sentence; clauses whose source column is missing say so instead."""
    year, mon = parse_month(s.month)
    urge = SOME_URGES.format(urges=s.urges) if s.urges else ZERO_URGE
    if not urges_recorded:
        urge = NO_URGES
    loss = LOSS.format(loss=f"{s.recovered_loss_wan:.2f}") if loss_recorded else NO_LOSS
    return OVERALL.format(
        year=year,
        mon=mon,
        branch=branch.name,
        accepted=s.accepted,
        diverted=s.diverted,
        loss=loss,
        urge=urge,
    )


def window_sentences(s: MonthSummary, rule: str) -> list[str]:
    out = []
    for w in s.windows:
        cut = w.cutoff
        if cut < pd.Timestamp(w.start):
            continue  # the window has not opened yet at this cutoff
        out.append(
            WINDOW.format(
                label=w.label,
                start_y=w.start.year,
                start_m=w.start.month,
                start_d=w.start.day,
                end_y=cut.year,
                end_m=cut.month,
                end_d=cut.day,
                count=w.count,
                rate=format_rate(w.rate_pct, rule) or "—",
            )
        )
    return out


def reports_sentence(s: MonthSummary, rule: str) -> str:
    _, mon = parse_month(s.month)
    rate = format_rate(s.reports_rate_pct, rule) or "—"
    return REPORTS.format(mon=mon, reports=s.reports, closed=s.reports_closed, rate=rate)


def complaints_sentence(s: MonthSummary, rule: str) -> str:
    _, mon = parse_month(s.month)
    rate = format_rate(s.complaints_rate_pct, rule) or "—"
    return COMPLAINTS.format(mon=mon, complaints=s.complaints, closed=s.complaints_closed, rate=rate)


def closed_sentence(s: MonthSummary) -> str:
    _, mon = parse_month(s.month)
    sentence = CLOSED.format(
        mon=mon, closed=s.closed, cut_m=s.cutoff.month, cut_d=s.cutoff.day, pending=s.pending
    )
    if s.closure_unknown:
        sentence += CLOSURE_UNKNOWN.format(n=s.closure_unknown)
    return sentence


def table_title(month: str) -> str:
    year, mon = parse_month(month)
    return TABLE_TITLE.format(year=year, mon=mon)


def table_note(s: MonthSummary, branch: Branch) -> str:
    threshold = _threshold(branch.closure_rate_threshold)
    note = TABLE_NOTE.format(cut_m=s.cutoff.month, cut_d=s.cutoff.day, threshold=threshold)
    note += s.closure_note_official
    if s.under_threshold:
        return note + UNDER_THRESHOLD.format(threshold=threshold, units="、".join(s.under_threshold))
    return note + NONE_UNDER_THRESHOLD.format(threshold=threshold)


def period(month: str, cutoff: pd.Timestamp) -> str:
    """报送时间: the month's span, ending at the cutoff when that is earlier than the month's end."""
    year, mon = parse_month(month)
    month_end = pd.Timestamp(year, mon, 1) + pd.offsets.MonthEnd(0)
    end = min(cutoff.normalize(), month_end)
    return PERIOD.format(y=year, m=mon, cy=end.year, cm=end.month, cd=end.day)


def paragraphs_html(paragraphs: list[str], css_class: str = "") -> str:
    """Paragraphs as escaped HTML <p> elements."""
    cls = f' class="{css_class}"' if css_class else ""
    return "\n".join(f"<p{cls}>{html.escape(p)}</p>" for p in paragraphs)
