"""Deadline rules and their evaluation as of a cutoff, on small hand-made canonical case tables."""

from __future__ import annotations

import bisect
import datetime as dt
import shutil
from pathlib import Path

import chinese_calendar
import numpy as np
import pandas as pd
import pytest
import yaml

from kwstats import views
from kwstats.deadlines import (
    NONE_SENTENCE,
    STATUS_LABELS,
    STATUSES,
    calendar_missing_message,
    deadline_view,
    evaluate_deadlines,
    load_deadline_rules,
    on_time_rate,
    overdue_cases,
    overdue_sentence,
)
from kwstats.exceptions import ParamsError
from kwstats.ingest import read_exports
from kwstats.params import DEFAULT_PARAMS_DIR, load_branch
from kwstats.period import parse_cutoff
from kwstats.report import build_report
from kwstats.schema import conform
from kwstats.workdays import WorkdayCalendar

JAN_CUTOFF = dt.date(2022, 1, 31)
DATES = ("registered_at", "accepted_at", "first_contact_at", "verified_at", "closed_at")


@pytest.fixture(scope="module")
def rules():
    return load_deadline_rules()


@pytest.fixture(scope="module")
def cal() -> WorkdayCalendar:
    return WorkdayCalendar.from_params()


def cases(*rows: dict) -> pd.DataFrame:
    """A canonical case table from a few dicts (ids and units filled in when omitted)."""
    records = []
    for i, row in enumerate(rows):
        rec = {"case_id": f"C{i + 1:03d}", "unit": "站前所", **row}
        records.append(rec)
    frame = pd.DataFrame(records)
    for col in DATES:
        if col in frame:
            frame[col] = pd.to_datetime(frame[col], format="ISO8601")
    return conform(frame)


# Every end field has a value somewhere, so nothing is `unknown` for lack of a column.
ALL_RECORDED = ("accepted_at", "first_contact_at", "verified_at", "closed_at")


def resolved(cutoff: dt.date | dt.datetime) -> pd.Timestamp:
    """The cutoff as a run resolves it, by the one cutoff parser: a bare date is the end of that day."""
    ts = parse_cutoff(cutoff, not_before=pd.Timestamp.min, what="测试")
    assert ts is not None
    return ts


def evaluate(frame: pd.DataFrame, rules, cal, cutoff=JAN_CUTOFF, **kw) -> pd.DataFrame:
    kw.setdefault("recorded_fields", ALL_RECORDED)
    return evaluate_deadlines(frame, rules, cal, resolved(cutoff), **kw)


def row(ev: pd.DataFrame, case_id: str, key: str) -> pd.Series:
    hit = ev[(ev["case_id"] == case_id) & (ev["key"] == key)]
    assert len(hit) == 1, (case_id, key, ev)
    return hit.iloc[0]


# ---------------------------------------------------------------- a reference outside the code
# Expected due dates are worked by hand in the comments, and cross-checked with these helpers that
# read the chinese_calendar package directly (never kwstats.workdays).

_PKG_WORKDAYS = [
    d.date() for d in pd.date_range("2019-12-01", "2026-12-31") if chinese_calendar.is_workday(d.date())
]


def pkg_add_workdays(day: dt.date, n: int) -> dt.date:
    """The n-th working day after `day`, from chinese_calendar.is_workday."""
    return _PKG_WORKDAYS[bisect.bisect_right(_PKG_WORKDAYS, day) + n - 1]


def pkg_add_natural_days(day: dt.date, n: int) -> dt.date:
    """Order 121 art. 45: day + n; on a named holiday (get_holiday_detail) the first day after it."""
    last = day + dt.timedelta(days=n)
    while all(chinese_calendar.get_holiday_detail(last)):
        last += dt.timedelta(days=1)
    return last


# ---------------------------------------------------------------- params


def test_shipped_rules(rules) -> None:
    assert rules.deadline_keys() == [
        "complaint_acceptance",
        "first_contact",
        "report_verification",
        "mediation",
        "reporter_informed",
    ]
    old = {k: rules.rule_for(k, dt.date(2026, 4, 14)) for k in rules.deadline_keys()}
    assert {k: (r.limit, r.day_unit) for k, r in old.items()} == {
        "complaint_acceptance": (7, "workday"),
        "first_contact": (7, "workday"),
        "report_verification": (15, "workday"),
        "mediation": (45, "workday"),
        "reporter_informed": (5, "workday"),
    }
    assert all(r.confirmed for r in old.values())
    assert old["report_verification"].extension_workdays == 15
    assert old["complaint_acceptance"].label == "投诉受理决定"
    assert "第二十一条" in old["mediation"].basis and "第 20 号" in old["mediation"].basis

    new = {k: rules.rule_for(k, dt.date(2026, 4, 15)) for k in rules.deadline_keys()}
    assert new["reporter_informed"] is None  # dropped by Order 121 art. 36
    assert rules.repealed_after("reporter_informed") == dt.date(2026, 4, 14)
    assert "第三十六条" in old["reporter_informed"].note
    del new["reporter_informed"]
    assert all(r.confirmed for r in new.values())
    assert {k: (r.limit, r.day_unit) for k, r in new.items()} == {
        "complaint_acceptance": (7, "workday"),
        "first_contact": (7, "workday"),
        "report_verification": (15, "workday"),
        "mediation": (60, "natural"),
    }
    assert new["mediation"].roll_over == "legal_holiday" and new["mediation"].extension_workdays is None
    assert new["report_verification"].extension_workdays == 15
    assert new["first_contact"] is old["first_contact"]  # the branch's own rule, one version throughout
    assert new["first_contact"].effective_to is None
    articles = {
        "complaint_acceptance": "第十五条",
        "report_verification": "第十八条",
        "mediation": "第二十三条",
    }
    for key, article in articles.items():
        assert "第 121 号" in new[key].basis and article in new[key].basis, key
    assert "第四十五条" in new["mediation"].basis and "第二十二条" in new["mediation"].note


def _write_rules(tmp_path: Path, data: dict) -> Path:
    (tmp_path / "deadlines.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return tmp_path


def _shipped() -> dict:
    return yaml.safe_load((DEFAULT_PARAMS_DIR / "deadlines.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda d: d["rules"][0].update(workdays=None), "workdays"),
        (lambda d: d["rules"][0].update(effective_to=dt.date(2026, 5, 1)), "重叠"),
        (lambda d: d["rules"][0].update(kind="咨询"), "kind"),
        (lambda d: d["rules"][0].update(start="closed_at"), "start"),
        (lambda d: d["rules"][0].update(days=7), "days"),
        (lambda d: d["rules"][0].update(natural_days=7), "只能按工作日或按自然日之一"),
        (lambda d: d["rules"][0].update(roll_over="legal_holiday"), "roll_over"),
        (lambda d: d["rules"][6].update(roll_over="weekend"), "roll_over"),
        (lambda d: d["rules"][6].update(extension_workdays=15), "extension_workdays"),
        (lambda d: d["rules"][6].update(natural_days=None), "natural_days"),
        (lambda d: d["rules"][0].update(effective_to=dt.date(2019, 1, 1)), "effective_to"),
        (lambda d: d["rules"][5].update(kind="举报"), "不一致"),
        (lambda d: d.update(rules=[]), "rules"),
    ],
)
def test_bad_rules_give_clear_errors(tmp_path: Path, change, fragment: str) -> None:
    data = _shipped()
    change(data)
    with pytest.raises(ParamsError, match=fragment) as err:
        load_deadline_rules(_write_rules(tmp_path, data))
    assert "deadlines.yaml" in str(err.value)


def test_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(ParamsError, match="找不到参数文件"):
        load_deadline_rules(tmp_path)


def test_cutoff_arrives_resolved(rules, cal) -> None:
    """The evaluation takes the run's resolved cutoff; reading a date or a text is period.parse_cutoff's
    job (tests/test_period.py), never a second parser's here."""
    frame = cases({"kind": "投诉", "registered_at": "2022-01-05"})
    aware = pd.Timestamp("2022-01-31 23:59", tz="Asia/Shanghai")
    for unresolved in (JAN_CUTOFF, "2022-01-31", dt.datetime(2022, 1, 31, 12), pd.NaT, aware):
        with pytest.raises(TypeError, match="resolved"):
            evaluate_deadlines(frame, rules, cal, unresolved)
    # the end of 31 January, worked by hand: the complaint of 5 January was due on the 14th
    end_of_jan = pd.Timestamp(2022, 1, 31, 23, 59, 59) + pd.Timedelta(999_999_999, "ns")
    ev = evaluate_deadlines(frame, rules, cal, end_of_jan, recorded_fields=ALL_RECORDED)
    got = row(ev, "C001", "complaint_acceptance")
    assert got["status"] == "overdue" and got["due_date"] == pd.Timestamp("2022-01-14")


# ---------------------------------------------------------------- complaint acceptance


def test_acceptance_across_spring_festival(rules, cal) -> None:
    frame = cases(
        {"kind": "投诉", "registered_at": "2022-01-27 09:30", "accepted_at": "2022-02-10 17:00"},
        {"kind": "投诉", "registered_at": "2022-01-27 09:30", "accepted_at": "2022-02-11 08:00"},
    )
    ev = evaluate(frame, rules, cal, cutoff=dt.date(2022, 2, 28))
    on_time, late = row(ev, "C001", "complaint_acceptance"), row(ev, "C002", "complaint_acceptance")
    assert on_time["due_date"] == pd.Timestamp("2022-02-10")
    assert on_time["status"] == "met" and on_time["days_taken"] == 7
    assert late["status"] == "late" and late["days_taken"] == 8
    assert on_time["status_label"] == STATUS_LABELS["met"]


def test_make_up_saturday_counts(rules, cal) -> None:
    # Registered Friday 2022-01-21: 24..28 (5), 29 Sat (6), 30 Sun (7) -> due 2022-01-30.
    frame = cases({"kind": "投诉", "registered_at": "2022-01-21", "accepted_at": "2022-02-07"})
    ev = evaluate(frame, rules, cal, cutoff=dt.date(2022, 2, 28))
    assert row(ev, "C001", "complaint_acceptance")["due_date"] == pd.Timestamp("2022-01-30")
    assert row(ev, "C001", "complaint_acceptance")["status"] == "late"


def test_acceptance_after_cutoff_is_not_done_yet(rules, cal) -> None:
    frame = cases({"kind": "投诉", "registered_at": "2022-01-27", "accepted_at": "2022-02-08"})
    jan = row(evaluate(frame, rules, cal), "C001", "complaint_acceptance")
    assert jan["status"] == "pending" and pd.isna(jan["done_at"])
    assert jan["days_taken"] == 3  # 28, 29, 30 January so far
    feb = row(evaluate(frame, rules, cal, cutoff=dt.date(2022, 2, 28)), "C001", "complaint_acceptance")
    assert feb["status"] == "met" and feb["done_at"] == pd.Timestamp("2022-02-08")


def test_overdue_is_decided_at_end_of_due_day(rules, cal) -> None:
    frame = cases({"kind": "投诉", "registered_at": "2022-01-05"})  # due 2022-01-14
    at = {
        dt.date(2022, 1, 14): "pending",
        dt.datetime(2022, 1, 14, 23, 59): "pending",
        dt.datetime(2022, 1, 15, 0, 0): "overdue",
        JAN_CUTOFF: "overdue",
    }
    for cutoff, status in at.items():
        got = row(evaluate(frame, rules, cal, cutoff=cutoff), "C001", "complaint_acceptance")
        assert got["status"] == status, cutoff
        assert got["due_date"] == pd.Timestamp("2022-01-14")


def test_done_late_in_the_due_day_is_met(rules, cal) -> None:
    frame = cases({"kind": "投诉", "registered_at": "2022-01-05", "accepted_at": "2022-01-14 23:30"})
    assert row(evaluate(frame, rules, cal), "C001", "complaint_acceptance")["status"] == "met"


def test_closed_without_acceptance_date_is_unknown(rules, cal) -> None:
    frame = cases({"kind": "投诉", "registered_at": "2022-01-05", "closed_at": "2022-01-20"})
    assert row(evaluate(frame, rules, cal), "C001", "complaint_acceptance")["status"] == "unknown"


# ---------------------------------------------------------------- first contact


def test_first_contact(rules, cal) -> None:
    frame = cases(
        {"kind": "投诉", "registered_at": "2022-01-04", "first_contact_at": "2022-01-13"},
        {"kind": "投诉", "registered_at": "2022-01-04"},
    )
    ev = evaluate(frame, rules, cal)
    assert row(ev, "C001", "first_contact")["status"] == "met"
    assert row(ev, "C002", "first_contact")["status"] == "overdue"


def test_unrecorded_end_field_is_unknown_not_overdue(rules, cal) -> None:
    frame = cases({"kind": "投诉", "registered_at": "2022-01-04", "accepted_at": "2022-01-05"})
    ev = evaluate_deadlines(frame, rules, cal, resolved(JAN_CUTOFF))  # infers: no first_contact_at anywhere
    assert row(ev, "C001", "first_contact")["status"] == "unknown"
    assert row(ev, "C001", "complaint_acceptance")["status"] == "met"
    ev = evaluate_deadlines(frame, rules, cal, resolved(JAN_CUTOFF), recorded_fields=["first_contact_at"])
    assert row(ev, "C001", "first_contact")["status"] == "overdue"


# ---------------------------------------------------------------- reports


def test_report_verification_15_workdays(rules, cal) -> None:
    frame = cases(
        # 2022-01-10 + 15 working days = Saturday 2022-01-29 (a make-up working day)
        {"kind": "举报", "registered_at": "2022-01-10", "verified_at": "2022-01-29"},
        {"kind": "举报", "registered_at": "2022-01-10", "verified_at": "2022-02-07"},
        {"kind": "举报", "registered_at": "2022-01-10"},
        # across the Spring Festival: 2022-01-24 + 15 = 2022-02-17 (25..30 January is 6, 7..17 February 9)
        {"kind": "举报", "registered_at": "2022-01-24"},
    )
    ev = evaluate(frame, rules, cal, cutoff=dt.date(2022, 2, 15))
    first = row(ev, "C001", "report_verification")
    assert first["due_date"] == pd.Timestamp("2022-01-29") and first["status"] == "met"
    assert first["limit_days"] == 15 and first["label"] == "举报核查及立案决定"
    assert row(ev, "C002", "report_verification")["status"] == "late"
    assert row(ev, "C003", "report_verification")["status"] == "overdue"
    fourth = row(ev, "C004", "report_verification")
    assert fourth["due_date"] == pd.Timestamp("2022-02-17") and fourth["status"] == "pending"


def test_reporter_informed_has_no_end_date(rules, cal) -> None:
    frame = cases(
        {"kind": "举报", "registered_at": "2022-01-04", "verified_at": "2022-01-20", "filed": True},
        {"kind": "举报", "registered_at": "2022-01-04"},
    )
    ev = evaluate(frame, rules, cal)
    decided = row(ev, "C001", "reporter_informed")
    assert decided["status"] == "unknown" and decided["due_date"] == pd.Timestamp("2022-01-27")
    assert row(ev, "C002", "reporter_informed")["status"] == "not_applicable"


# ---------------------------------------------------------------- mediation


def test_mediation_45_workdays_from_acceptance(rules, cal) -> None:
    # Accepted 2022-01-05. Working days after it: 6-7 Jan (2), 10-14 (7), 17-21 (12), 24-28 (17),
    # make-up Sat 29 and Sun 30 (19); 31 Jan-6 Feb Spring Festival; 7-11 Feb (24), 14-18 (29),
    # 21-25 (34), 28 (35), 1-4 Mar (39), 7-11 Mar (44), Mon 14 Mar (45).
    due = dt.date(2022, 3, 14)
    assert pkg_add_workdays(dt.date(2022, 1, 5), 45) == due
    accepted = {"kind": "投诉", "registered_at": "2022-01-04", "accepted_at": "2022-01-05"}
    frame = cases(
        {**accepted, "closed_at": "2022-03-14 17:30"},  # on the 45th working day
        {**accepted, "closed_at": "2022-03-15 08:30"},  # the 46th
        accepted,  # still open
        {"kind": "投诉", "registered_at": "2022-01-28"},  # not accepted yet: clock not started
        {"kind": "投诉", "registered_at": "2022-01-04", "closed_at": "2022-01-10"},  # no acceptance date
    )
    ev = evaluate(frame, rules, cal, cutoff=dt.date(2022, 3, 31))
    on_day = row(ev, "C001", "mediation")
    assert on_day["due_date"] == pd.Timestamp(due) and on_day["status"] == "met"
    assert on_day["days_taken"] == 45 and on_day["limit_days"] == 45 and on_day["day_unit"] == "workday"
    day_after = row(ev, "C002", "mediation")
    assert day_after["status"] == "late" and day_after["days_taken"] == 46
    assert row(ev, "C003", "mediation")["status"] == "overdue"
    at_due = evaluate(frame, rules, cal, cutoff=due)
    assert row(at_due, "C003", "mediation")["status"] == "pending"
    third = row(ev, "C004", "mediation")
    assert third["status"] == "pending" and pd.isna(third["due_date"])
    assert row(ev, "C005", "mediation")["status"] == "unknown"


# ---------------------------------------------------------------- shape of the evaluation


def test_rows_per_kind_and_consultations(rules, cal) -> None:
    frame = cases(
        {"kind": "投诉", "registered_at": "2022-01-04"},
        {"kind": "举报", "registered_at": "2022-01-04"},
        {"kind": "咨询", "registered_at": "2022-01-04"},
        {"kind": "投诉", "registered_at": "2022-02-01"},  # after the cutoff: not known yet
    )
    ev = evaluate(frame, rules, cal)
    assert list(ev.columns) == [
        "case_id",
        "unit",
        "kind",
        "registered_at",
        "key",
        "label",
        "limit_days",
        "day_unit",
        "start_at",
        "due_date",
        "extended_due_date",
        "done_at",
        "status",
        "status_label",
        "days_taken",
        "calendar_missing_year",
    ]
    assert list(ev.loc[ev["case_id"] == "C001", "key"]) == [
        "complaint_acceptance",
        "first_contact",
        "mediation",
    ]
    assert list(ev.loc[ev["case_id"] == "C002", "key"]) == ["report_verification", "reporter_informed"]
    assert set(ev["case_id"]) == {"C001", "C002"}
    assert list(ev["status"].cat.categories) == list(STATUSES)


def test_empty_input(rules, cal) -> None:
    ev = evaluate(cases({"kind": "咨询", "registered_at": "2022-01-04"}), rules, cal)
    assert ev.empty and ev["days_taken"].dtype == "Int64"
    assert overdue_sentence(ev) == NONE_SENTENCE


# ---------------------------------------------------------------- Order No. 121 (from 2026-04-15)


def test_both_sides_of_2026_04_15(rules, cal) -> None:
    """Registered 14 April: Order 20 (45 working days, reporter informed); 15 April: Order 121."""
    complaint = {"kind": "投诉", "accepted_at": "2026-04-16 10:00"}
    report = {"kind": "举报", "verified_at": "2026-04-20 10:00"}
    frame = cases(
        {**complaint, "registered_at": "2026-04-14 16:00"},
        {**complaint, "registered_at": "2026-04-15 09:00"},
        {**report, "registered_at": "2026-04-14 16:00"},
        {**report, "registered_at": "2026-04-15 09:00"},
    )
    ev = evaluate(frame, rules, cal, cutoff=dt.date(2026, 4, 30))
    old, new = row(ev, "C001", "mediation"), row(ev, "C002", "mediation")
    # Order 20: 45 working days after 16 April 2026: 17 Apr (1), 20-24 (6), 27-30 (10), Labour Day
    # 1-5 May, 6-8 (13), make-up Sat 9 May (14), 11-15 (19), 18-22 (24), 25-29 (29), 1-5 Jun (34),
    # 8-12 (39), 15-18 (43), Dragon Boat 19-21 June, 22 (44), Tue 23 June (45)
    assert (old["limit_days"], old["day_unit"]) == (45, "workday")
    assert (
        old["due_date"]
        == pd.Timestamp(pkg_add_workdays(dt.date(2026, 4, 16), 45))
        == pd.Timestamp("2026-06-23")
    )
    # Order 121: 60 days after 16 April = 15 June 2026, a Monday (April 14 + May 31 + June 15)
    assert (new["limit_days"], new["day_unit"]) == (60, "natural")
    assert (
        new["due_date"]
        == pd.Timestamp("2026-06-15")
        == pd.Timestamp(pkg_add_natural_days(dt.date(2026, 4, 16), 60))
    )
    assert old["status"] == new["status"] == "pending"
    assert list(ev.loc[ev["case_id"] == "C003", "key"]) == ["report_verification", "reporter_informed"]
    assert list(ev.loc[ev["case_id"] == "C004", "key"]) == ["report_verification"]  # art. 36: no notice rule
    for case_id in ("C001", "C002"):
        assert row(ev, case_id, "complaint_acceptance")["status"] == "met"
        assert row(ev, case_id, "first_contact")["label"] == "首次联系消费者"  # the branch's rule, both sides
    assert not (ev["status"] == "unconfirmed").any()


def test_order_121_acceptance_7_workdays(rules, cal) -> None:
    # Registered Wed 2026-05-06: 7 (1), 8 (2), make-up Sat 9 May (3), 11, 12, 13, 14 May (7).
    due = dt.date(2026, 5, 14)
    assert pkg_add_workdays(dt.date(2026, 5, 6), 7) == due
    frame = cases(
        {"kind": "投诉", "registered_at": "2026-05-06 10:00", "accepted_at": "2026-05-14 18:00"},
        {"kind": "投诉", "registered_at": "2026-05-06 10:00", "accepted_at": "2026-05-15 08:00"},
        {"kind": "投诉", "registered_at": "2026-05-06 10:00"},
    )
    ev = evaluate(frame, rules, cal, cutoff=dt.date(2026, 5, 31))
    on_day, day_after = row(ev, "C001", "complaint_acceptance"), row(ev, "C002", "complaint_acceptance")
    assert on_day["due_date"] == pd.Timestamp(due) and on_day["status"] == "met" and on_day["days_taken"] == 7
    assert day_after["status"] == "late" and day_after["days_taken"] == 8
    assert row(ev, "C003", "complaint_acceptance")["status"] == "overdue"
    assert row(evaluate(frame, rules, cal, cutoff=due), "C003", "complaint_acceptance")["status"] == "pending"


def test_order_121_mediation_60_natural_days(rules, cal) -> None:
    # Accepted Mon 2026-05-18: day 1 is 19 May; day 60 is Fri 2026-07-17 (13 + 30 + 17 days).
    due = dt.date(2026, 7, 17)
    assert pkg_add_natural_days(dt.date(2026, 5, 18), 60) == due
    accepted = {"kind": "投诉", "registered_at": "2026-05-15", "accepted_at": "2026-05-18 09:00"}
    frame = cases(
        {**accepted, "closed_at": "2026-07-17 16:00"},  # day 60: met
        {**accepted, "closed_at": "2026-07-18 09:00"},  # day 61: late
        accepted,  # still open
    )
    ev = evaluate(frame, rules, cal, cutoff=dt.date(2026, 7, 31))
    day60, day61 = row(ev, "C001", "mediation"), row(ev, "C002", "mediation")
    assert day60["due_date"] == pd.Timestamp(due) and day60["status"] == "met"
    assert (day60["days_taken"], day60["limit_days"], day60["day_unit"]) == (60, 60, "natural")
    assert day61["status"] == "late" and day61["days_taken"] == 61
    assert pd.isna(day60["extended_due_date"])  # no extension under Order 121
    assert row(ev, "C003", "mediation")["status"] == "overdue"
    assert row(evaluate(frame, rules, cal, cutoff=due), "C003", "mediation")["status"] == "pending"
    # Art. 45 counts natural days only: a Saturday is day 61 like any other day
    assert (
        row(evaluate(frame, rules, cal, cutoff=dt.date(2026, 7, 18)), "C003", "mediation")["status"]
        == "overdue"
    )


def test_order_121_mediation_60th_day_in_national_day(rules, cal) -> None:
    # Accepted Wed 2026-08-05: day 60 is Sun 2026-10-04, inside the National Day break (1-7 October,
    # State Council notice for 2026): the period ends on the first day after it, Thu 8 October.
    last = dt.date(2026, 8, 5) + dt.timedelta(days=60)
    assert last == dt.date(2026, 10, 4)
    assert chinese_calendar.get_holiday_detail(last) == (True, "National Day")
    assert chinese_calendar.get_holiday_detail(dt.date(2026, 10, 7)) == (True, "National Day")
    assert chinese_calendar.get_holiday_detail(dt.date(2026, 10, 8)) == (False, None)
    due = dt.date(2026, 10, 8)
    accepted = {"kind": "投诉", "registered_at": "2026-08-04", "accepted_at": "2026-08-05 09:00"}
    frame = cases(
        {**accepted, "closed_at": "2026-10-08 17:00"},
        {**accepted, "closed_at": "2026-10-09 09:00"},
        {**accepted, "closed_at": "2026-10-06 10:00"},  # during the break, before the due date
        accepted,
    )
    ev = evaluate(frame, rules, cal, cutoff=dt.date(2026, 10, 31))
    assert row(ev, "C001", "mediation")["due_date"] == pd.Timestamp(due)
    assert row(ev, "C001", "mediation")["status"] == "met"
    assert row(ev, "C002", "mediation")["status"] == "late"
    assert row(ev, "C003", "mediation")["status"] == "met"
    assert row(ev, "C004", "mediation")["status"] == "overdue"
    assert row(evaluate(frame, rules, cal, cutoff=due), "C004", "mediation")["status"] == "pending"
    assert (
        row(evaluate(frame, rules, cal, cutoff=dt.date(2026, 10, 9)), "C004", "mediation")["status"]
        == "overdue"
    )


def test_order_121_ordinary_weekend_is_not_rolled_over(rules, cal, tmp_path: Path) -> None:
    """Art. 45 says 法定节假日: day 60 on an ordinary Sunday stays (the documented reading);
    a rule with roll_over: rest_day moves it to Monday."""
    # Accepted Wed 2026-05-20: day 60 = Sun 2026-07-19 (11 + 30 + 19), not a named holiday.
    assert chinese_calendar.get_holiday_detail(dt.date(2026, 7, 19)) == (True, None)
    frame = cases(
        {
            "kind": "投诉",
            "registered_at": "2026-05-19",
            "accepted_at": "2026-05-20",
            "closed_at": "2026-07-20",
        }
    )
    got = row(evaluate(frame, rules, cal, cutoff=dt.date(2026, 7, 31)), "C001", "mediation")
    assert got["due_date"] == pd.Timestamp("2026-07-19") and got["status"] == "late"
    data = _shipped()
    for rule in data["rules"]:
        if rule["key"] == "mediation" and rule.get("natural_days"):
            rule["roll_over"] = "rest_day"
    other = load_deadline_rules(_write_rules(tmp_path, data))
    got = row(evaluate(frame, other, cal, cutoff=dt.date(2026, 7, 31)), "C001", "mediation")
    assert got["due_date"] == pd.Timestamp("2026-07-20") and got["status"] == "met"


def test_order_121_report_15_workdays_and_extension(rules, cal) -> None:
    # Registered Mon 2026-06-01. Working days after it: 2-5 Jun (4), 8-12 (9), 15-18 (13),
    # 19 June is Dragon Boat (19-21 off), 22, 23 June (15): due Tue 2026-06-23.
    due = dt.date(2026, 6, 23)
    assert pkg_add_workdays(dt.date(2026, 6, 1), 15) == due
    extended = pkg_add_workdays(
        dt.date(2026, 6, 1), 30
    )  # 24-26 (18), 29-30 (20), 1-3 Jul (23), 6-10 (28), 13-14
    assert extended == dt.date(2026, 7, 14)
    frame = cases(
        {"kind": "举报", "registered_at": "2026-06-01 10:00", "verified_at": "2026-06-23 17:00"},
        {"kind": "举报", "registered_at": "2026-06-01 10:00", "verified_at": "2026-06-24 09:00"},
    )
    ev = evaluate(frame, rules, cal, cutoff=dt.date(2026, 7, 31))
    on_day, day_after = row(ev, "C001", "report_verification"), row(ev, "C002", "report_verification")
    assert on_day["due_date"] == pd.Timestamp(due) and on_day["status"] == "met"
    # No export records an approved extension: judged against 15; the extended date is shown beside.
    assert day_after["status"] == "late" and day_after["extended_due_date"] == pd.Timestamp(extended)
    view = deadline_view(overdue_cases(ev))
    assert view.loc[0, "延长后到期日"] == pd.Timestamp(extended)
    assert view.loc[0, "时限"] == "15 个工作日" and view.loc[0, "用时"] == "16 个工作日"


def test_unconfirmed_rules_are_never_judged(cal, tmp_path: Path) -> None:
    """A rule version marked confirmed: false (as Order 121 was before its text was read)."""
    data = _shipped()
    for rule in data["rules"]:
        if rule["effective_from"] == dt.date(2026, 4, 15):
            rule.update(confirmed=False)
    rules = load_deadline_rules(_write_rules(tmp_path, data))
    frame = cases(
        {"kind": "投诉", "registered_at": "2026-05-01", "accepted_at": "2026-06-30"},
        {"kind": "举报", "registered_at": "2026-05-01"},
        {"kind": "投诉", "registered_at": "2026-04-14"},
    )
    ev = evaluate(frame, rules, cal, cutoff=dt.date(2026, 7, 31))
    new = ev[ev["case_id"].isin(["C001", "C002"]) & (ev["key"] != "first_contact")]
    assert len(new) == 3 and (new["status"] == "unconfirmed").all()
    assert new["due_date"].isna().all()
    assert (new["status_label"] == "期限规则未确认").all()
    old = ev[ev["case_id"] == "C003"].set_index("key")["status"]  # Order 20 still applies to 2026-04-14
    assert old.to_dict() == {
        "complaint_acceptance": "overdue",
        "first_contact": "overdue",
        "mediation": "pending",
    }
    # first contact (the branch's rule) is confirmed throughout: C001 never contacted is overdue too
    assert overdue_cases(ev)["case_id"].unique().tolist() == ["C001", "C003"]
    assert overdue_sentence(ev).endswith("另有 1 件适用的期限规则尚未确认，未作超期判断。")
    only_new = evaluate(frame.iloc[1:2], rules, cal, cutoff=dt.date(2026, 7, 31))
    assert overdue_sentence(only_new) == "本月 1 件适用的期限规则尚未确认，未作超期判断。"


# ---------------------------------------------------------------- a year the calendar lacks (2027)

# A made-up 2027 schedule, TEST FIXTURE ONLY (not the State Council's): New Year 1-3 January,
# Spring Festival 6-12 February (Sat-Fri), make-up working Saturday 20 February.
FAKE_2027 = """
years:
  2027:
    source: 测试用虚构安排，不是国务院办公厅的通知
    holidays:
      - {start: 2027-01-01, end: 2027-01-03, name: 元旦}
      - {start: 2027-02-06, end: 2027-02-12, name: 春节}
    workdays: [2027-02-20]
"""


def _december_2026() -> pd.DataFrame:
    return cases(
        # C001: registered Thu 24 Dec, nothing done: 7 working days need 2027 (25, 28-31 Dec are 5)
        {"kind": "投诉", "registered_at": "2026-12-24 09:00"},
        # C002: registered Fri 18 Dec, due 29 Dec (21-25, 28, 29), accepted 30 Dec: late, judged;
        # its mediation (30 Dec + 60 days = 28 Feb 2027) needs 2027
        {
            "kind": "投诉",
            "registered_at": "2026-12-18 09:00",
            "accepted_at": "2026-12-30 10:00",
            "first_contact_at": "2026-12-21 10:00",
        },
        # C003: report of Thu 10 Dec: 11, 14-18, 21-25, 28-31 Dec = 15 working days: due 31 Dec
        {"kind": "举报", "registered_at": "2026-12-10 09:00"},
        # C004: report of Tue 15 Dec: 16-18, 21-25, 28-31 = 12 working days in 2026: needs 2027
        {"kind": "举报", "registered_at": "2026-12-15 09:00"},
        # C005: accepted Thu 10 Dec: mediation day 60 = 8 Feb 2027
        {
            "kind": "投诉",
            "registered_at": "2026-12-08 09:00",
            "accepted_at": "2026-12-10 09:00",
            "first_contact_at": "2026-12-09 09:00",
        },
    )


def test_deadline_in_an_uncovered_year_is_not_judged(rules, cal) -> None:
    ev = evaluate(_december_2026(), rules, cal, cutoff=dt.date(2027, 1, 31))  # no exception
    missing = ev[ev["status"] == "calendar_missing"]
    assert set(zip(missing["case_id"], missing["key"].astype(str), strict=True)) == {
        ("C001", "complaint_acceptance"),
        ("C001", "first_contact"),
        ("C004", "report_verification"),
    }
    assert missing["due_date"].isna().all() and (missing["calendar_missing_year"] == 2027).all()
    assert (missing["status_label"] == "日历未覆盖（需补 2027 年）").all()
    assert row(ev, "C001", "mediation")["status"] == "pending"  # not accepted: clock not started
    # Mediation runs 60 natural days and a roll-over only lengthens it: on 31 January, C002 (accepted
    # 30 Dec, day 32) and C005 (accepted 10 Dec, day 52) cannot be overdue whatever 2027's holidays are.
    for case in ("C002", "C005"):
        r = row(ev, case, "mediation")
        assert r["status"] == "pending" and pd.isna(r["due_date"]) and r["calendar_missing_year"] == 2027
    # everything else goes on
    assert row(ev, "C002", "complaint_acceptance")["status"] == "late"
    assert row(ev, "C002", "complaint_acceptance")["due_date"] == pd.Timestamp("2026-12-29")
    assert row(ev, "C002", "first_contact")["status"] == "met"
    c003 = row(ev, "C003", "report_verification")
    assert c003["due_date"] == pd.Timestamp("2026-12-31") and c003["status"] == "overdue"
    assert pd.isna(c003["days_taken"])  # counting up to 31 January 2027 would need 2027 too
    assert pd.isna(c003["extended_due_date"])  # 30 working days reach 2027
    assert overdue_sentence(ev) == (
        "本月有超期件 2 件：投诉受理决定超期 1 件（站前所 1 件），举报核查及立案决定超期 1 件（站前所 1 件）。"
        "另有 2 件因 2027 年工作日历未补充，暂未判断是否超期。"
    )
    assert on_time_rate(ev, "mediation").counts.get("calendar_missing", 0) == 0
    # the December bulletin: nothing is overdue yet, and the sentence says what it could not judge
    # On 31 December every open case is still within its limit counted over 2026's own working days
    # (C001: 5 of 7, C004: 12 of 15, mediations: day 1 and day 21 of 60): none needs 2027 to be judged.
    december = evaluate(_december_2026(), rules, cal, cutoff=dt.date(2026, 12, 31))
    assert overdue_sentence(december) == "本月有超期件 1 件：投诉受理决定超期 1 件（站前所 1 件）。"
    assert not (december["status"] == "calendar_missing").any()
    assert row(december, "C004", "report_verification")["status"] == "pending"
    message = calendar_missing_message(december, cal)
    assert message is not None and "不影响本次判断" in message and "补入 2027 年" in message


def test_done_within_covered_days_is_met_without_the_missing_year(rules, cal) -> None:
    """Accepted the same day (24 Dec): 0 of 7 working days, met whatever 2027 holds; accepted on
    31 Dec (5 working days after 24 Dec: 25, 28, 29, 30, 31) also met; a mediation closed on day 19."""
    ev = evaluate(
        cases(
            {"kind": "投诉", "registered_at": "2026-12-24 09:00", "accepted_at": "2026-12-24 11:00"},
            {"kind": "投诉", "registered_at": "2026-12-24 09:00", "accepted_at": "2026-12-31 11:00"},
            {
                "kind": "投诉",
                "registered_at": "2026-11-30 09:00",
                "accepted_at": "2026-12-01 09:00",
                "closed_at": "2026-12-20 09:00",
            },
        ),
        rules,
        cal,
        cutoff=dt.date(2026, 12, 31),
    )
    assert row(ev, "C001", "complaint_acceptance")["status"] == "met"
    assert row(ev, "C002", "complaint_acceptance")["status"] == "met"
    assert row(ev, "C003", "mediation")["status"] == "met"


def test_calendar_missing_message(rules, cal) -> None:
    ev = evaluate(_december_2026(), rules, cal, cutoff=dt.date(2027, 1, 31))
    message = calendar_missing_message(ev, cal)
    assert message is not None
    assert "工作日历未覆盖 2027 年：2 件" in message
    assert "《国务院办公厅关于2027年部分节假日安排的通知》" in message
    assert str(DEFAULT_PARAMS_DIR / "calendar.yaml") in message and "years 下补入 2027 年" in message
    assert "“日历未覆盖（需补 2027 年）”" in message
    judged = evaluate(_december_2026().iloc[2:3], rules, cal, cutoff=dt.date(2026, 12, 31))
    assert calendar_missing_message(judged, cal) is None


def test_same_cases_are_judged_once_2027_is_added(rules, tmp_path: Path) -> None:
    (tmp_path / "calendar.yaml").write_text(FAKE_2027, encoding="utf-8")
    cal = WorkdayCalendar.from_params(tmp_path)
    ev = evaluate(_december_2026(), rules, cal, cutoff=dt.date(2027, 1, 31))
    assert not (ev["status"] == "calendar_missing").any() and ev["calendar_missing_year"].isna().all()
    # C001: 25, 28, 29, 30, 31 Dec (5), 1-3 Jan off in the fixture, Mon 4 (6), Tue 5 Jan (7)
    acceptance = row(ev, "C001", "complaint_acceptance")
    assert acceptance["due_date"] == pd.Timestamp("2027-01-05") and acceptance["status"] == "overdue"
    assert row(ev, "C001", "first_contact")["status"] == "overdue"
    # C002: 30 Dec + 60 days = Sun 28 Feb 2027 (1 + 31 + 28), outside the fixture's break
    assert row(ev, "C002", "mediation")["due_date"] == pd.Timestamp("2027-02-28")
    assert row(ev, "C002", "mediation")["status"] == "pending"
    # C004: 12 working days in 2026, then 4, 5, 6 January: due Wed 6 January 2027
    assert row(ev, "C004", "report_verification")["due_date"] == pd.Timestamp("2027-01-06")
    assert row(ev, "C004", "report_verification")["status"] == "overdue"
    assert row(ev, "C003", "report_verification")["days_taken"] == 15 + 20  # 4-8, 11-15, 18-22, 25-29 Jan
    # C005: 10 Dec + 60 days = Mon 8 Feb 2027, in the fixture's Spring Festival: the day after, 13 Feb
    c005 = row(ev, "C005", "mediation")
    assert c005["due_date"] == pd.Timestamp("2027-02-13") and c005["status"] == "pending"
    assert overdue_sentence(ev) == (
        "本月有超期件 4 件：投诉受理决定超期 2 件（站前所 2 件），首次联系消费者超期 1 件（站前所 1 件），"
        "举报核查及立案决定超期 2 件（站前所 2 件）。"
    )
    assert calendar_missing_message(ev, cal) is None


def _write_export(path: Path, rows: list[str]) -> Path:
    header = "登记编号,业务类型,登记时间,承办单位,受理时间,首次联系时间,核查时间,办结时间"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_report_says_once_which_year_to_add(tmp_path: Path) -> None:

    export = _write_export(
        tmp_path / "export.csv",
        [
            "A1,投诉,2026-12-24 09:00,站前所,,,,",
            "A2,投诉,2026-12-18 09:00,新发所,2026-12-30 10:00,2026-12-21 10:00,,",
            "A3,举报,2026-12-10 09:00,南广所,,,,",
            "A4,举报,2026-12-15 09:00,站前所,,,,",
            "A5,投诉,2027-01-05 09:00,新发所,2027-01-06 09:00,2027-01-06 10:00,,",
            "A6,投诉,2026-11-02 09:00,站前所,2026-11-03 09:00,2026-11-03 10:00,,2026-11-20 10:00",
        ],
    )
    params = tmp_path / "params"
    shutil.copytree(DEFAULT_PARAMS_DIR, params)
    # read as on 1 February 2027 (the clock of the test machine may be earlier: no "future" dates)
    ingest = read_exports([export], load_branch(params), now=pd.Timestamp("2027-02-01 09:00"))
    assert ingest.rows_set_aside == 0
    rep = build_report("2027-01", params_dir=params, ingest=ingest)
    messages = [w for w in rep.warnings if "工作日历未覆盖" in w]
    assert len(messages) == 1
    assert "《国务院办公厅关于2027年部分节假日安排的通知》" in messages[0]
    assert str(params / "calendar.yaml") in messages[0]
    # A3 overdue since 31 December; A1, A4 and A5 cannot be judged (their days run into 2027); A2's
    # mediation (accepted 30 Dec) is on day 32 of 60 on 31 Jan: pending whatever 2027 holds; A6 closed
    assert rep.overdue_sentence == (
        "本月有超期件 1 件：举报核查及立案决定超期 1 件（南广所 1 件）。"
        "另有 3 件因 2027 年工作日历未补充，暂未判断是否超期。"
    )
    assert set(rep.calendar_missing["case_id"]) == {"A1", "A4", "A5"}
    view = views.overdue_view(rep)
    assert set(view.loc[view["状态"] == "日历未覆盖（需补 2027 年）", "登记编号"]) == {"A1", "A4", "A5"}
    assert set(view.loc[view["状态"] == "超期未完成", "登记编号"]) == {"A3"}
    found = [f for f in views.investigation_findings(rep) if f.kind == "calendar_missing"]
    assert len(found) == 1 and found[0].message == messages[0] and len(found[0].case_ids) == 3

    (params / "calendar.yaml").write_text(FAKE_2027, encoding="utf-8")
    added = build_report("2027-01", params_dir=params, ingest=ingest)
    assert not any("工作日历未覆盖" in w for w in added.warnings)
    assert added.calendar_missing.empty
    assert not [f for f in views.investigation_findings(added) if f.kind == "calendar_missing"]
    # A1 acceptance due 5 January, A4 verification due 6 January, A3 since 31 December. A5, registered
    # Tue 5 January: 6-8 (3), 11-14 January (7), due 14 January; accepted 6 January: met.
    assert added.overdue_sentence == (
        "本月有超期件 3 件：投诉受理决定超期 1 件（站前所 1 件），首次联系消费者超期 1 件（站前所 1 件），"
        "举报核查及立案决定超期 2 件（站前所 1 件、南广所 1 件）。"
    )
    a5 = added.deadlines.set_index(["case_id", "key"]).loc[("A5", "complaint_acceptance")]
    assert a5["status"] == "met" and a5["due_date"] == pd.Timestamp("2027-01-14")


def test_before_any_rule_is_unconfirmed(rules, cal) -> None:
    ev = evaluate(
        cases({"kind": "投诉", "registered_at": "2019-12-20"}), rules, cal, cutoff=dt.date(2019, 12, 31)
    )
    assert (ev["status"] == "unconfirmed").all()


# ---------------------------------------------------------------- sentence and rates


def test_sentence_none(rules, cal) -> None:
    frame = cases(
        {
            "kind": "投诉",
            "registered_at": "2022-01-04",
            "accepted_at": "2022-01-05",
            "first_contact_at": "2022-01-05",
        },
        {"kind": "举报", "registered_at": "2022-01-26"},  # pending
    )
    assert overdue_sentence(evaluate(frame, rules, cal)) == "本月无初、核查及办结超期件。"


def test_sentence_some(rules, cal) -> None:
    frame = cases(
        # 站前所: acceptance late and first contact overdue: one case, counted once in the total
        {"kind": "投诉", "registered_at": "2022-01-04", "accepted_at": "2022-01-20", "unit": "站前所"},
        # 新发所 and 南广所: verification overdue; one report without a unit
        {"kind": "举报", "registered_at": "2022-01-04", "unit": "新发所"},
        {"kind": "举报", "registered_at": "2022-01-05", "unit": "南广所"},
        {"kind": "举报", "registered_at": "2022-01-05", "unit": None},
        {"kind": "举报", "registered_at": "2022-01-06", "unit": "南广所"},
        {
            "kind": "投诉",
            "registered_at": "2022-01-20",
            "accepted_at": "2022-01-21",
            "first_contact_at": "2022-01-21",
        },
    )
    ev = evaluate(frame, rules, cal)
    assert overdue_sentence(ev) == (
        "本月有超期件 5 件："
        "投诉受理决定超期 1 件（站前所 1 件），"
        "首次联系消费者超期 1 件（站前所 1 件），"
        "举报核查及立案决定超期 4 件（南广所 2 件、新发所 1 件、未分配单位 1 件）。"
    )
    roster = ["站前所", "新发所", "南广所"]
    assert "（新发所 1 件、南广所 2 件、未分配单位 1 件）" in overdue_sentence(ev, unit_order=roster)
    late = overdue_cases(ev)
    assert set(late["status"]) == {"late", "overdue"} and len(late) == 6


def test_on_time_rate(rules, cal) -> None:
    frame = cases(
        {"kind": "投诉", "registered_at": "2022-01-04", "first_contact_at": "2022-01-05"},
        {"kind": "投诉", "registered_at": "2022-01-04", "first_contact_at": "2022-01-06"},
        {"kind": "投诉", "registered_at": "2022-01-04", "first_contact_at": "2022-01-28"},
        {"kind": "投诉", "registered_at": "2022-01-04"},
        {"kind": "投诉", "registered_at": "2022-01-28"},  # pending: not in the rate
    )
    rate = on_time_rate(evaluate(frame, rules, cal), "first_contact")
    assert (rate.met, rate.late, rate.overdue, rate.decided) == (2, 1, 1, 4)
    assert rate.rate_pct == 50.0 and rate.counts["pending"] == 1
    assert rate.label == "首次联系消费者"
    pooled = on_time_rate(evaluate(frame, rules, cal), ["first_contact", "complaint_acceptance"])
    assert pooled.decided == 8
    assert np.isnan(on_time_rate(evaluate(frame.iloc[4:], rules, cal), "first_contact").rate_pct)


def test_thousands_of_cases_match_the_package(rules, cal) -> None:
    """3 000 cases across both regimes (2025-06 to 2026-09): every due date and status equals the
    one worked from chinese_calendar directly (Order 20 before 2026-04-15, Order 121 from it)."""
    rng = np.random.default_rng(0)
    n = 3000
    reg_days = [dt.date(2025, 6, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 480, n)]
    lags = rng.integers(0, 45, n)
    kinds = rng.choice(["投诉", "举报", "咨询"], n)
    frame = cases(
        *[
            {
                "kind": k,
                "registered_at": pd.Timestamp(r) + pd.Timedelta(hours=9),
                "accepted_at": pd.Timestamp(r + dt.timedelta(days=int(g) // 4)) + pd.Timedelta(hours=10),
                "first_contact_at": pd.Timestamp(r + dt.timedelta(days=int(g) // 3)) + pd.Timedelta(hours=11),
                "verified_at": pd.Timestamp(r + dt.timedelta(days=int(g))) + pd.Timedelta(hours=15),
                "closed_at": pd.Timestamp(r + dt.timedelta(days=2 * int(g))) + pd.Timedelta(hours=16),
            }
            for k, r, g in zip(kinds, reg_days, lags, strict=True)
        ]
    )
    ev = evaluate(frame, rules, cal, cutoff=dt.date(2026, 12, 31))
    by_case = frame.set_index("case_id")
    expected_rows = 0
    for reg, kind in zip(reg_days, kinds, strict=True):
        new = reg >= dt.date(2026, 4, 15)
        expected_rows += {"投诉": 3, "举报": 1 if new else 2, "咨询": 0}[kind]
    assert len(ev) == expected_rows
    fields = {
        "complaint_acceptance": ("registered_at", "accepted_at"),
        "first_contact": ("registered_at", "first_contact_at"),
        "report_verification": ("registered_at", "verified_at"),
        "mediation": ("accepted_at", "closed_at"),
        "reporter_informed": ("verified_at", None),
    }
    judged = ev[ev["key"] != "reporter_informed"]
    assert (ev.loc[ev["key"] == "reporter_informed", "status"] == "unknown").all()
    for r in judged.itertuples():
        case = by_case.loc[r.case_id]
        start_field, end_field = fields[str(r.key)]
        start = case[start_field].date()
        if str(r.key) == "mediation" and case["registered_at"].date() >= dt.date(2026, 4, 15):
            due = pkg_add_natural_days(start, 60)
        else:
            limit = {
                "complaint_acceptance": 7,
                "first_contact": 7,
                "report_verification": 15,
                "mediation": 45,
            }
            due = pkg_add_workdays(start, limit[str(r.key)])
        status = "met" if case[end_field].date() <= due else "late"
        assert (r.due_date.date(), r.status) == (due, status), (r.case_id, r.key)
    assert set(judged["status"]) == {"met", "late"}  # both sides of the limits occur
    natural = judged[judged["day_unit"] == "natural"]
    rolled = natural["due_date"] != natural["start_at"].dt.normalize() + pd.Timedelta(days=60)
    assert len(natural) > 300 and rolled.sum() > 5  # Order 121 periods, some ending after a holiday


def test_unrecorded_start_field_is_unknown_not_pending(rules, cal) -> None:
    """An export without 受理时间 cannot start the mediation clock: unknown, never pending."""
    frame = cases(
        {"kind": "投诉", "registered_at": "2022-01-10 09:00", "first_contact_at": "2022-01-10 10:00"}
    )
    ev = evaluate(frame, rules, cal, recorded_fields=("first_contact_at", "closed_at"))
    assert row(ev, "C001", "mediation")["status"] == "unknown"
    assert row(ev, "C001", "complaint_acceptance")["status"] == "unknown"
    assert row(ev, "C001", "first_contact")["status"] == "met"
