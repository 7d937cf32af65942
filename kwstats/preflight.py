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
from kwstats.setaside import set_aside_message

EMPTY_MONTH = "{month} 没有任何投诉、举报案件：请确认导出文件是否包含本月"
EMPTY_MONTH_OFFICIAL = EMPTY_MONTH + "；如果本月确实为零，请用 --draft 生成草稿。"


@dataclass(frozen=True)
class Preflight:
    """The month's cases as a run first sees them."""

    accepted: int  # complaints and reports registered in the month (受理量)
    roster: checks.OffRosterShare  # how many of them no roster unit counts
    set_aside: str | None  # the clerk's line on rows set aside, scoped to the month
    closure_note: str  # where closures come from when not from closure dates ("" when they do)


def preflight(run: Run, ingest: IngestResult) -> Preflight:
    """Check the month's cases; an official run without any, or with most off the roster, stops here."""
    key, cutoff = run.period.key, run.period.cutoff
    cases = ingest.cases
    accepted = len(indicators.accepted_cases(indicators.month_cohort(cases, key, cutoff)))
    if run.official and accepted == 0:
        raise EmptyMonthError(EMPTY_MONTH_OFFICIAL.format(month=key))
    roster = checks.off_roster_share(cases, run.branch, key, cutoff)
    if run.official and roster.stop:
        raise checks.OffRosterError(roster.message)
    return Preflight(
        accepted=accepted,
        roster=roster,
        set_aside=set_aside_message(ingest, run.period),
        closure_note=indicators.closure_note(cases, run.branch, key, cutoff),
    )
