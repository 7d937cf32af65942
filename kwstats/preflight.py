"""What a month's run checks before computing anything: cases in the month, the roster's grip on
them, rows set aside for it. An official run refuses the first two (EmptyMonthError, OffRosterError);
a draft goes on and the page says why it is a draft.

The bulletin calls :func:`preflight` in its own process, before any kernel starts; the report calls it
again for the notebook in JupyterLab. The CLI's ``table`` and ``check`` show the same notes.
"""

from __future__ import annotations

from dataclasses import dataclass

from kwstats import checks, indicators
from kwstats.exceptions import EmptyMonthError
from kwstats.ingest import IngestResult
from kwstats.run import Run
from kwstats.setaside import set_aside_message, split_set_aside

EMPTY_MONTH = "{month} 没有任何投诉、举报案件：请确认导出文件是否包含本月"
EMPTY_MONTH_OFFICIAL = EMPTY_MONTH + "；如果本月确实为零，请用 --draft 生成草稿。"
ALL_SET_ASIDE = (
    "{month} 没有可用的投诉、举报案件：本月的导出全部被剔除（{rows} 行），"
    "运行 kwstats check --month {month} 查看每行的原因，改正导出后重新运行"
)


def empty_month_message(month: str, rows_set_aside: int, *, official: bool = False) -> str:
    """Why a month has no case: its export was all set aside (`rows_set_aside` rows of the month),
    or it holds none; an official run's form says what to do instead."""
    if rows_set_aside:
        return ALL_SET_ASIDE.format(month=month, rows=rows_set_aside) + "。"
    return (EMPTY_MONTH_OFFICIAL if official else EMPTY_MONTH + "。").format(month=month)


@dataclass(frozen=True)
class Preflight:
    """The month's cases as a run first sees them."""

    accepted: int  # complaints and reports registered in the month (受理量)
    roster: checks.OffRosterShare  # how many of them no roster unit counts
    set_aside: str | None  # the clerk's line on rows set aside, scoped to the month
    closure_note: str  # where closures come from when not from closure dates ("" when they do)
    empty: str | None = None  # why the month has no case (None when it has some)


def preflight(run: Run, ingest: IngestResult) -> Preflight:
    """Check the month's cases; an official run without any, or with most off the roster, stops here."""
    key, cutoff = run.period.key, run.period.cutoff
    cases = ingest.cases
    cohort = indicators.month_cohort(cases, key, cutoff)
    accepted = len(indicators.accepted_cases(cohort))
    empty = None
    if accepted == 0:  # no usable case at all but rows set aside for it: the export was all set aside
        mine, _ = split_set_aside(ingest, run.period)
        rows = len(mine) if mine is not None and cohort.empty else 0
        empty = empty_month_message(key, rows, official=run.official)
        if run.official:
            raise EmptyMonthError(empty)
    roster = checks.off_roster_share(cases, run.branch, key, cutoff, official=run.official)
    if run.official and roster.stop:
        raise checks.OffRosterError(roster.message)
    return Preflight(
        accepted=accepted,
        roster=roster,
        set_aside=set_aside_message(ingest, run.period),
        closure_note=indicators.closure_note(cases, run.branch, key, cutoff),
        empty=empty,
    )
