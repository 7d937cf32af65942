"""On the shipped sample, the planted overdue cases and the planted spike are found, and nothing else."""

import pandas as pd
import pytest

from kwstats.deadlines import evaluate_deadlines, load_deadline_rules, overdue_in_period
from kwstats.indicators import default_cutoff, month_bounds
from kwstats.investigate import spikes
from kwstats.sample import PLANTED_OVERDUE, PLANTED_SPIKE
from kwstats.workdays import WorkdayCalendar

MONTHS = [str(p) for p in pd.period_range("2020-01", "2022-12", freq="M")]


@pytest.fixture(scope="module")
def flagged(sample_cases):
    """(month, case_id, deadline, status) of everything a monthly bulletin would report as 超期."""
    calendar, rules = WorkdayCalendar.from_params(), load_deadline_rules()
    out = set()
    for month in MONTHS:
        cutoff = default_cutoff(month)
        so_far = sample_cases[sample_cases["registered_at"] <= cutoff]
        ev = evaluate_deadlines(so_far, rules, calendar, cutoff)
        for row in overdue_in_period(ev, month_bounds(month)[0], cutoff).itertuples():
            out.add((month, row.case_id, str(row.key), row.status))
    return out


def test_planted_overdue_found_and_nothing_else(flagged):
    planted_ids = {p["case_id"] for p in PLANTED_OVERDUE}
    assert {case_id for _, case_id, _, _ in flagged} == planted_ids
    for p in PLANTED_OVERDUE:
        month = p["cutoff"][:7]
        assert (month, p["case_id"], p["deadline"], p["status"]) in flagged
    assert not any(month == "2022-01" for month, *_ in flagged), "the reference says none in January 2022"


def test_planted_spike_found_and_nothing_else(sample_cases):
    found = spikes(sample_cases)
    assert {(f.month, f.unit, f.numbers["field"], f.numbers["value"]) for f in found} == {
        (PLANTED_SPIKE["month"], PLANTED_SPIKE["unit"], "unit", PLANTED_SPIKE["unit"]),
        (PLANTED_SPIKE["month"], None, PLANTED_SPIKE["field"], PLANTED_SPIKE["category"]),
    }
    for f in found:
        assert len(f.case_ids) == f.numbers["count"]
