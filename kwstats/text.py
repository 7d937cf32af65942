"""The bulletin's Chinese sentences, built from computed numbers.

The templates live here, next to the code that fills them; the prose around them (introduction,
context paragraphs, typical case) comes from the month's params. Text from exports is never put
into these sentences; anything shown as HTML goes through `html.escape`.
"""

from __future__ import annotations

import html

import pandas as pd

from kwstats.indicators import MonthSummary
from kwstats.params import Branch
from kwstats.period import Period
from kwstats.rates import format_rate

ZERO_URGE = "当月实现市局“初、核查反馈零催办”目标"
SOME_URGES = "当月市局催办 {urges} 次"

OVERALL = (
    "{lead}{branch}投诉、举报中心全口径接收咨询、投诉、举报、电话、来函来信等各类信息共 "
    "{accepted} 件，12315 网络平台分流 {diverted} 件，{loss}，{urge}。"
)
LOSS = "共挽回经济损失 {loss} 万元人民币"
NO_LOSS = "导出数据不含挽回经济损失，未统计"
NO_URGES = "导出数据不含催办次数，未统计催办情况"
WINDOW = (
    "关于 12315 平台受理{label}从 {start_y} 年 {start_m} 月 {start_d} 日起至 {end_y} 年 {end_m} 月 {end_d} 日"
    "{data_note}，共受理 {count} 件，办结率 {rate}。"
)
REPORTS = "{short}受理举报件共 {reports} 件，办结 {closed} 件，办结率 {rate}。"
COMPLAINTS = "{short}受理投诉件共 {complaints} 件，办结 {closed} 件，办结率 {rate}。"
CLOSED = "{short}共计办结 {closed} 件，截止 {cutoff_day}，办理中还有 {pending} 件。"
# closures from the stage at the export (no 办结时间): the state is the export's, not the cutoff's
CLOSED_BY_STAGE = "{short}共计办结 {closed} 件，按导出时的办理环节，办理中还有 {pending} 件。"
CLOSED_PARTLY_BY_STAGE = "{short}共计办结 {closed} 件，办理中还有 {pending} 件（其中 {n} 件按导出时的办理环节，其余截止 {cutoff_day}）。"
CLOSURE_UNKNOWN = "另有 {n} 件的导出既无办结时间也无办理环节，办结情况未统计。"
TABLE_TITLE = "{lead}分局各监管责任主体 12315 系统办件数量统计一览表"
TABLE_NOTE = (
    "注：【统计时间截止 {cutoff_day}实时数据】 如有超期办件、消费者对处理结果和工作动态满意率低于 "
    "{threshold}%的单位，需向消保主管局长直至主要领导当面说明情况。"
)
UNDER_THRESHOLD = "本月办结率低于 {threshold}% 的单位：{units}。"
NONE_UNDER_THRESHOLD = "本月没有办结率低于 {threshold}% 的单位。"
PERIOD = "报送时间:{span}"
# the data start after the window does: what came before is not in it, and no 0 件 is printed as counted
WINDOW_DATA_LATER = "（数据从 {data_y} 年 {data_m} 月起，此前的件未计入）"
WINDOW_NO_DATA = (
    "关于 12315 平台受理{label}从 {start_y} 年 {start_m} 月 {start_d} 日起至 {end_y} 年 {end_m} 月 {end_d} 日的"
    "累计数无法统计：数据从 {data_y} 年 {data_m} 月起，其中没有此类案件。"
)
WINDOW_LABELS = {"epidemic": "疫情案件"}
CONSULTATIONS = "本月咨询 {n} 件，另行统计，不计入受理量。"


def _threshold(value: float) -> str:
    return f"{value:g}"


def _period(s: MonthSummary, period: Period | None) -> Period:
    """The period the sentences speak of: the run's, or the summary's own month and cutoff."""
    return period if period is not None else Period.month(s.month).with_cutoff(s.cutoff)


def overall_sentence(
    s: MonthSummary,
    branch: Branch,
    *,
    urges_recorded: bool = True,
    loss_recorded: bool = True,
    period: Period | None = None,
) -> str:
    """(一) 总体情况's first sentence; clauses whose source column is missing say so instead."""
    urge = SOME_URGES.format(urges=s.urges) if s.urges else ZERO_URGE
    if not urges_recorded:
        urge = NO_URGES
    loss = LOSS.format(loss=f"{s.recovered_loss_wan:.2f}") if loss_recorded else NO_LOSS
    return OVERALL.format(
        lead=_period(s, period).lead,
        branch=branch.name,
        accepted=s.accepted,
        diverted=s.diverted,
        loss=loss,
        urge=urge,
    )


def window_sentences(s: MonthSummary, rule: str, data_start: pd.Timestamp | None = None) -> list[str]:
    """The cumulative windows' sentences. `data_start` (the first registration in the data): when it
    is after a window's start, the sentence says the data start later, and a count of 0 is not
    printed as if the whole window had been counted."""
    out = []
    for w in s.windows:
        cut = w.cutoff
        if cut < pd.Timestamp(w.start):
            continue  # the window has not opened yet at this cutoff
        values = {
            "label": w.label,
            "start_y": w.start.year,
            "start_m": w.start.month,
            "start_d": w.start.day,
            "end_y": cut.year,
            "end_m": cut.month,
            "end_d": cut.day,
            "count": w.count,
            "rate": format_rate(w.rate_pct, rule) or "—",
            "data_note": "",
        }
        later = (
            data_start is not None and pd.notna(data_start) and data_start.normalize() > pd.Timestamp(w.start)
        )
        if later:
            values.update(data_y=data_start.year, data_m=data_start.month)
            values["data_note"] = WINDOW_DATA_LATER.format(**values)
        out.append((WINDOW_NO_DATA if later and not w.count else WINDOW).format(**values))
    return out


def reports_sentence(s: MonthSummary, rule: str, period: Period | None = None) -> str:
    rate = format_rate(s.reports_rate_pct, rule) or "—"
    return REPORTS.format(
        short=_period(s, period).short, reports=s.reports, closed=s.reports_closed, rate=rate
    )


def complaints_sentence(s: MonthSummary, rule: str, period: Period | None = None) -> str:
    rate = format_rate(s.complaints_rate_pct, rule) or "—"
    return COMPLAINTS.format(
        short=_period(s, period).short, complaints=s.complaints, closed=s.complaints_closed, rate=rate
    )


def closed_sentence(s: MonthSummary, period: Period | None = None) -> str:
    """(四): closed and pending, as of the cutoff — or as of the export where closures come from the
    stage (当前环节), since a stage says nothing about the cutoff."""
    p = _period(s, period)
    values = {"short": p.short, "closed": s.closed, "cutoff_day": p.cutoff_day, "pending": s.pending}
    if s.stage_basis and s.stage_basis >= s.accepted - s.closure_unknown:
        template = CLOSED_BY_STAGE
    elif s.stage_basis:
        template = CLOSED_PARTLY_BY_STAGE
    else:
        template = CLOSED
    sentence = template.format(**values, n=s.stage_basis)
    if s.closure_unknown:
        sentence += CLOSURE_UNKNOWN.format(n=s.closure_unknown)
    return sentence


def table_title(period: Period | str) -> str:
    """The unit table's title (a month key is read as that month)."""
    p = period if isinstance(period, Period) else Period.month(period)
    return TABLE_TITLE.format(lead=p.lead)


def table_note(s: MonthSummary, branch: Branch, period: Period | None = None) -> str:
    threshold = _threshold(branch.closure_rate_threshold)
    note = TABLE_NOTE.format(cutoff_day=_period(s, period).cutoff_day, threshold=threshold)
    note += s.closure_note_official
    if s.under_threshold:
        return note + UNDER_THRESHOLD.format(threshold=threshold, units="、".join(s.under_threshold))
    return note + NONE_UNDER_THRESHOLD.format(threshold=threshold)


def period(month: str | Period, cutoff: pd.Timestamp | None = None) -> str:
    """报送时间: the period's span, ending at the cutoff when that is earlier than the period's end."""
    p = month if isinstance(month, Period) else Period.month(month).with_cutoff(cutoff)
    return PERIOD.format(span=p.span)


def consultation_note(s: MonthSummary) -> str:
    """The analyst's line on 咨询, which 受理量 leaves out."""
    return CONSULTATIONS.format(n=s.consultations)


def paragraphs_html(paragraphs: list[str], css_class: str = "") -> str:
    """Paragraphs as escaped HTML <p> elements."""
    cls = f' class="{css_class}"' if css_class else ""
    return "\n".join(f"<p{cls}>{html.escape(p)}</p>" for p in paragraphs)
