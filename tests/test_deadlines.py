"""Deadline rules and their evaluation as of a cutoff, on small hand-made canonical case tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from kwstats.deadlines import (
    NONE_SENTENCE,
    STATUS_LABELS,
    STATUSES,
    as_cutoff,
    evaluate_deadlines,
    load_deadline_rules,
    on_time_rate,
    overdue_cases,
    overdue_sentence,
)
from kwstats.exceptions import CalendarCoverageError, ParamsError
from kwstats.params import DEFAULT_PARAMS_DIR
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


def evaluate(frame: pd.DataFrame, rules, cal, cutoff=JAN_CUTOFF, **kw) -> pd.DataFrame:
    kw.setdefault("recorded_fields", ALL_RECORDED)
    return evaluate_deadlines(frame, rules, cal, cutoff, **kw)


def row(ev: pd.DataFrame, case_id: str, key: str) -> pd.Series:
    hit = ev[(ev["case_id"] == case_id) & (ev["key"] == key)]
    assert len(hit) == 1, (case_id, key, ev)
    return hit.iloc[0]


# ---------------------------------------------------------------- params


def test_shipped_rules(rules) -> None:
    assert rules.deadline_keys() == [
        "complaint_acceptance",
        "first_contact",
        "report_verification",
        "mediation",
        "reporter_informed",
    ]
    old = {k: rules.rule_for(k, dt.date(2022, 1, 15)) for k in rules.deadline_keys()}
    assert {k: r.workdays for k, r in old.items()} == {
        "complaint_acceptance": 7,
        "first_contact": 7,
        "report_verification": 15,
        "mediation": 45,
        "reporter_informed": 5,
    }
    assert all(r.confirmed for r in old.values())
    assert old["report_verification"].extension_workdays == 15
    assert old["complaint_acceptance"].label == "投诉受理决定"
    assert rules.rule_for("complaint_acceptance", dt.date(2026, 4, 14)).confirmed
    for key in rules.deadline_keys():
        new = rules.rule_for(key, dt.date(2026, 4, 15))
        assert new is not None and not new.confirmed, key


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


def test_as_cutoff() -> None:
    assert as_cutoff(dt.date(2022, 1, 31)) == pd.Timestamp("2022-01-31 23:59:59.999999999")
    assert as_cutoff("2022-01-31") == as_cutoff(dt.date(2022, 1, 31))
    assert as_cutoff(dt.datetime(2022, 1, 31, 12)) == pd.Timestamp("2022-01-31 12:00")


# ---------------------------------------------------------------- complaint acceptance


def test_acceptance_across_spring_festival(rules, cal) -> None:
    frame = cases(
        {"kind": "投诉", "registered_at": "2022-01-27 09:30", "accepted_at": "2022-02-10 17:00"},
        {"kind": "投诉", "registered_at": "2022-01-27 09:30", "accepted_at": "2022-02-11 08:00"},
    )
    ev = evaluate(frame, rules, cal, cutoff=dt.date(2022, 2, 28))
    on_time, late = row(ev, "C001", "complaint_acceptance"), row(ev, "C002", "complaint_acceptance")
    assert on_time["due_date"] == pd.Timestamp("2022-02-10")
    assert on_time["status"] == "met" and on_time["workdays_taken"] == 7
    assert late["status"] == "late" and late["workdays_taken"] == 8
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
    assert jan["workdays_taken"] == 3  # 28, 29, 30 January so far
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
    ev = evaluate_deadlines(frame, rules, cal, JAN_CUTOFF)  # infers: no first_contact_at anywhere
    assert row(ev, "C001", "first_contact")["status"] == "unknown"
    assert row(ev, "C001", "complaint_acceptance")["status"] == "met"
    ev = evaluate_deadlines(frame, rules, cal, JAN_CUTOFF, recorded_fields=["first_contact_at"])
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
    assert first["limit_workdays"] == 15 and first["label"] == "举报核查及立案决定"
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
    frame = cases(
        {
            "kind": "投诉",
            "registered_at": "2022-01-04",
            "accepted_at": "2022-01-05",
            "closed_at": "2022-03-01",
        },
        {"kind": "投诉", "registered_at": "2022-01-04", "accepted_at": "2022-01-05"},
        {"kind": "投诉", "registered_at": "2022-01-28"},  # not accepted yet: clock not started
        {"kind": "投诉", "registered_at": "2022-01-04", "closed_at": "2022-01-10"},  # no acceptance date
    )
    ev = evaluate(frame, rules, cal, cutoff=dt.date(2022, 3, 31))
    due = cal.add_workdays(dt.date(2022, 1, 5), 45)
    assert row(ev, "C001", "mediation")["due_date"] == pd.Timestamp(due)
    assert row(ev, "C001", "mediation")["status"] == ("met" if dt.date(2022, 3, 1) <= due else "late")
    assert row(ev, "C002", "mediation")["status"] == ("overdue" if due < dt.date(2022, 3, 31) else "pending")
    third = row(ev, "C003", "mediation")
    assert third["status"] == "pending" and pd.isna(third["due_date"])
    assert row(ev, "C004", "mediation")["status"] == "unknown"


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
        "limit_workdays",
        "start_at",
        "due_date",
        "done_at",
        "status",
        "status_label",
        "workdays_taken",
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
    assert ev.empty and ev["workdays_taken"].dtype == "Int64"
    assert overdue_sentence(ev) == NONE_SENTENCE


# ---------------------------------------------------------------- Order No. 121


def test_registered_after_order_121_is_unconfirmed(rules, cal) -> None:
    frame = cases(
        {"kind": "投诉", "registered_at": "2026-05-01", "accepted_at": "2026-06-30"},
        {"kind": "举报", "registered_at": "2026-05-01"},
        {"kind": "投诉", "registered_at": "2026-04-14"},
    )
    ev = evaluate(frame, rules, cal, cutoff=dt.date(2026, 7, 31))
    new = ev[ev["case_id"].isin(["C001", "C002"])]
    assert len(new) == 5 and (new["status"] == "unconfirmed").all()
    assert new["due_date"].isna().all()
    assert (new["status_label"] == "期限规则未确认").all()
    old = ev[ev["case_id"] == "C003"].set_index("key")["status"]  # Order 20 still applies to 2026-04-14
    assert old.to_dict() == {
        "complaint_acceptance": "overdue",
        "first_contact": "overdue",
        "mediation": "pending",
    }
    assert overdue_cases(ev)["case_id"].unique().tolist() == ["C003"]
    sentence = overdue_sentence(ev)
    assert sentence.endswith("另有 2 件适用的期限规则尚未确认，未作超期判断。")
    only_new = evaluate(frame.iloc[:2], rules, cal, cutoff=dt.date(2026, 7, 31))
    assert overdue_sentence(only_new) == "本月 2 件适用的期限规则尚未确认，未作超期判断。"


def test_confirmed_order_121_rules_are_used(tmp_path: Path, cal) -> None:
    data = _shipped()
    for rule in data["rules"]:
        if rule["effective_from"] == dt.date(2026, 4, 15):
            rule.update(confirmed=True, workdays=10)  # made-up limit, test only
    rules = load_deadline_rules(_write_rules(tmp_path, data))
    frame = cases({"kind": "投诉", "registered_at": "2026-05-06", "accepted_at": "2026-05-19"})
    got = row(evaluate(frame, rules, cal, cutoff=dt.date(2026, 5, 31)), "C001", "complaint_acceptance")
    assert got["limit_workdays"] == 10
    assert got["due_date"] == pd.Timestamp(cal.add_workdays(dt.date(2026, 5, 6), 10))
    assert got["status"] in ("met", "late")


def test_confirmed_rule_in_uncovered_year_raises(tmp_path: Path, cal) -> None:
    data = _shipped()
    for rule in data["rules"]:
        if rule["effective_from"] == dt.date(2026, 4, 15):
            rule.update(confirmed=True, workdays=7)
    rules = load_deadline_rules(_write_rules(tmp_path, data))
    frame = cases({"kind": "投诉", "registered_at": "2027-03-01"})
    with pytest.raises(CalendarCoverageError, match="2027"):
        evaluate(frame, rules, cal, cutoff=dt.date(2027, 3, 31))


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


def test_thousands_of_cases_are_fast(rules, cal) -> None:
    rng = np.random.default_rng(0)
    n = 5000
    reg = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    lag = pd.to_timedelta(rng.integers(0, 40, n), unit="D")
    frame = cases(
        *[
            {
                "kind": k,
                "registered_at": r,
                "accepted_at": r + g,
                "verified_at": r + g,
                "closed_at": r + 2 * g,
            }
            for k, r, g in zip(rng.choice(["投诉", "举报", "咨询"], n), reg, lag, strict=True)
        ]
    )
    ev = evaluate(frame, rules, cal, cutoff=dt.date(2022, 12, 31))
    assert len(ev) > n


def test_unrecorded_start_field_is_unknown_not_pending(rules, cal) -> None:
    """An export without 受理时间 cannot start the mediation clock: unknown, never pending."""
    frame = cases(
        {"kind": "投诉", "registered_at": "2022-01-10 09:00", "first_contact_at": "2022-01-10 10:00"}
    )
    ev = evaluate(frame, rules, cal, recorded_fields=("first_contact_at", "closed_at"))
    assert row(ev, "C001", "mediation")["status"] == "unknown"
    assert row(ev, "C001", "complaint_acceptance")["status"] == "unknown"
    assert row(ev, "C001", "first_contact")["status"] == "met"
