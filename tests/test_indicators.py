import math

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kwstats.indicators import (
    COUNT_COLUMNS,
    cases_behind,
    default_cutoff,
    resolve_cutoff,
    summarize,
    unit_table,
    units_under_threshold,
    yuan_to_wan,
)
from tests.conftest import make_cases


def _row(table, unit):
    return table.set_index("unit").loc[unit]


def test_cohort_and_cutoff_edges(branch):
    cases = make_cases(
        [
            # registered the month before: not counted
            {
                "kind": "投诉",
                "unit": "站前所",
                "registered_at": "2021-12-31 23:59:59",
                "closed_at": "2022-01-02",
            },
            # first instant of the month, closed at the last instant: counted, closed
            {
                "kind": "投诉",
                "unit": "站前所",
                "registered_at": "2022-01-01 00:00:00",
                "closed_at": "2022-01-31 23:59:59",
            },
            # closed one second after the cutoff: pending
            {
                "kind": "举报",
                "unit": "站前所",
                "registered_at": "2022-01-10",
                "closed_at": "2022-02-01 00:00:00",
            },
            # never closed: pending
            {
                "kind": "举报",
                "unit": "站前所",
                "registered_at": "2022-01-31 23:00",
                "verified_at": "2022-01-31 23:30",
                "filed": True,
            },
            # consultation: counted apart
            {"kind": "咨询", "unit": "站前所", "registered_at": "2022-01-05", "closed_at": "2022-01-05"},
            # registered next month: not counted
            {"kind": "投诉", "unit": "站前所", "registered_at": "2022-02-01 00:00:00"},
        ]
    )
    table = unit_table(cases, branch, "2022-01")
    r = _row(table, "站前所")
    assert (r["accepted"], r["reports"], r["reports_closed"], r["reports_filed"]) == (3, 2, 0, 1)
    assert (r["complaints"], r["complaints_closed"], r["closed"]) == (1, 1, 1)
    assert r["closure_rate_pct"] == 33
    s = summarize(cases, branch, "2022-01")
    assert (s.accepted, s.closed, s.pending, s.consultations) == (3, 1, 2, 1)
    # A later cutoff closes the report; the same run with the same cutoff gives the same numbers.
    later = unit_table(cases, branch, "2022-01", resolve_cutoff("2022-01", "2022-02-01"))
    assert _row(later, "站前所")["closed"] == 2


def test_roster_order_zeros_and_blank_rate(branch):
    cases = make_cases(
        [{"kind": "投诉", "unit": "党群办", "registered_at": "2022-01-03", "closed_at": "2022-01-04"}]
    )
    table = unit_table(cases, branch, "2022-01")
    assert table["unit"].tolist() == ["全局", *branch.units]
    assert table["seq"].tolist() == ["*", *[str(e.seq) for e in branch.roster]]
    assert _row(table, "站前所")[list(COUNT_COLUMNS)].sum() == 0
    assert math.isnan(_row(table, "站前所")["closure_rate_pct"])
    assert _row(table, "党群办")["closure_rate_pct"] == 100


def test_off_roster_counts_in_global_only(branch):
    cases = make_cases(
        [
            {"kind": "投诉", "unit": "执法大队", "registered_at": "2022-01-03", "closed_at": "2022-01-04"},
            {"kind": "举报", "unit": "兴业所", "registered_at": "2022-01-03"},
            {"kind": "举报", "unit": None, "registered_at": "2022-01-03"},
        ]
    )
    table = unit_table(cases, branch, "2022-01")
    assert table.iloc[0]["accepted"] == 3
    assert table.iloc[1:]["accepted"].sum() == 1
    s = summarize(cases, branch, "2022-01")
    assert s.off_roster == {"执法大队": 1}
    assert (s.diverted, s.unassigned) == (2, 1)


def test_empty_month(branch):
    table = unit_table(make_cases([]), branch, "2022-05")
    assert len(table) == 18 and table[list(COUNT_COLUMNS)].to_numpy().sum() == 0
    assert table["closure_rate_pct"].isna().all()
    s = summarize(make_cases([]), branch, "2022-05")
    assert s.accepted == 0 and s.pending == 0 and s.recovered_loss_wan == 0
    assert units_under_threshold(table, 80) == []


def test_loss_counts_closed_by_cutoff_only(branch):
    cases = make_cases(
        [
            {
                "kind": "投诉",
                "unit": "站前所",
                "registered_at": "2022-01-03",
                "closed_at": "2022-01-20",
                "recovered_loss": 60_000.0,
            },
            {
                "kind": "投诉",
                "unit": "站前所",
                "registered_at": "2022-01-03",
                "closed_at": "2022-01-21",
                "recovered_loss": 800.0,
            },
            {
                "kind": "投诉",
                "unit": "站前所",
                "registered_at": "2022-01-03",
                "closed_at": "2022-02-21",
                "recovered_loss": 5_000.0,
            },
            {
                "kind": "咨询",
                "unit": "站前所",
                "registered_at": "2022-01-03",
                "closed_at": "2022-01-03",
                "recovered_loss": 9_999.0,
            },
        ]
    )
    s = summarize(cases, branch, "2022-01")
    assert s.recovered_loss_yuan == 60_800
    assert str(s.recovered_loss_wan) == "6.08"
    assert str(yuan_to_wan(12_345)) == "1.23" and str(yuan_to_wan(12_350)) == "1.24"


def test_window_and_urges(branch):
    cases = make_cases(
        [
            {
                "kind": "投诉",
                "unit": "站前所",
                "registered_at": "2020-01-22",
                "epidemic": True,
                "closed_at": "2020-01-23",
            },
            {
                "kind": "投诉",
                "unit": "站前所",
                "registered_at": "2020-01-23",
                "epidemic": True,
                "closed_at": "2020-02-01",
            },
            {"kind": "举报", "unit": "站前所", "registered_at": "2021-06-01", "epidemic": True},
            {"kind": "咨询", "unit": "站前所", "registered_at": "2021-06-01", "epidemic": True},
            {
                "kind": "投诉",
                "unit": "站前所",
                "registered_at": "2022-01-05",
                "urges": 2,
                "closed_at": "2022-01-06",
            },
            {"kind": "投诉", "unit": "站前所", "registered_at": "2022-02-05", "epidemic": True},
        ]
    )
    s = summarize(cases, branch, "2022-01")
    (w,) = s.windows
    assert (w.count, w.closed, w.rate_pct) == (2, 1, 50)
    assert s.urges == 2


def test_cases_behind_add_up(branch):
    cases = make_cases(
        [
            {"kind": k, "unit": u, "registered_at": "2022-01-05", "closed_at": c}
            for k in ("投诉", "举报")
            for u in ("站前所", "新发所", "某外单位")
            for c in ("2022-01-06", None)
        ]
    )
    cutoff = default_cutoff("2022-01")
    table = unit_table(cases, branch, "2022-01", cutoff)
    for unit in ("全局", "站前所", "新发所"):
        for col in COUNT_COLUMNS:
            assert len(cases_behind(cases, "2022-01", cutoff, unit, col)) == _row(table, unit)[col]


units = st.sampled_from(["站前所", "新发所", "南广所", "执法大队", None])
case_rows = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["投诉", "举报", "咨询"]),
        "unit": units,
        "registered_at": st.datetimes(pd.Timestamp("2021-12-20"), pd.Timestamp("2022-02-10")),
        "closed_after_days": st.one_of(st.none(), st.integers(0, 40)),
        "filed": st.booleans(),
        "complaint_to_case": st.booleans(),
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(case_rows, max_size=40))
def test_invariants(branch, rows):
    for r in rows:
        d = r.pop("closed_after_days")
        r["closed_at"] = None if d is None else r["registered_at"] + pd.Timedelta(days=d)
    cases = make_cases(rows)
    table = unit_table(cases, branch, "2022-01")
    assert (table["closed"] <= table["accepted"]).all()
    assert (table["reports_closed"] <= table["reports"]).all()
    assert (table["complaints_closed"] <= table["complaints"]).all()
    assert (table["accepted"] == table["reports"] + table["complaints"]).all()
    assert (table["closed"] == table["reports_closed"] + table["complaints_closed"]).all()
    s = summarize(cases, branch, "2022-01")
    roster_sum = table.iloc[1:]["accepted"].sum()
    assert table.iloc[0]["accepted"] == roster_sum + sum(s.off_roster.values()) + s.unassigned
    assert s.pending == s.accepted - s.closed


def test_filed_and_to_case_are_taken_as_of_the_cutoff(branch):
    cases = make_cases(
        [
            # filed at a verification after the cutoff: not yet 立案 for January
            {
                "kind": "举报",
                "unit": "站前所",
                "registered_at": "2022-01-10",
                "verified_at": "2022-02-20",
                "filed": True,
            },
            # verified in January: counts
            {
                "kind": "举报",
                "unit": "站前所",
                "registered_at": "2022-01-10",
                "verified_at": "2022-01-20",
                "filed": True,
            },
            # 诉转案 known once closed: closed in March, so not in January
            {
                "kind": "投诉",
                "unit": "站前所",
                "registered_at": "2022-01-10",
                "closed_at": "2022-03-01",
                "complaint_to_case": True,
            },
        ]
    )
    january = _row(unit_table(cases, branch, "2022-01"), "站前所")
    assert (january["reports_filed"], january["complaints_to_case"]) == (1, 0)
    later = _row(unit_table(cases, branch, "2022-01", resolve_cutoff("2022-01", "2022-03-31")), "站前所")
    assert (later["reports_filed"], later["complaints_to_case"]) == (2, 1)
    # January from the export of 1 February (the later verification and closure not yet in it) and
    # from the March export: the same numbers, 1 filed and 0 诉转案 as worked above
    as_of_february = cases.copy()
    for col in ("verified_at", "closed_at"):
        as_of_february[col] = as_of_february[col].where(as_of_february[col] < pd.Timestamp("2022-02-01"))
    assert as_of_february["verified_at"].notna().sum() == 1 and as_of_february["closed_at"].isna().all()
    early, late = unit_table(as_of_february, branch, "2022-01"), unit_table(cases, branch, "2022-01")
    assert (_row(early, "站前所")["reports_filed"], _row(early, "站前所")["complaints_to_case"]) == (1, 0)
    assert early.equals(late)


def test_cutoff_parsing():
    import datetime as dt

    import pytest

    from kwstats.exceptions import ParamsError

    end_of_20th = pd.Timestamp("2022-01-20 23:59:59.999999999")
    assert resolve_cutoff("2022-01", "2022-01-20") == end_of_20th
    assert resolve_cutoff("2022-01", dt.date(2022, 1, 20)) == end_of_20th
    assert resolve_cutoff("2022-01", "2022-01-20 18:00") == pd.Timestamp("2022-01-20 18:00")
    assert resolve_cutoff("2022-01", "2022-01-20T18:00+00:00") == pd.Timestamp("2022-01-21 02:00")
    for bad in ("foo", "2021-12-31"):
        with pytest.raises(ParamsError, match="截止时间"):
            resolve_cutoff("2022-01", bad)
