import pandas as pd

from kwstats.checks import check_table, compare_tables, ingest_findings, reconcile
from kwstats.indicators import default_cutoff, unit_table
from tests.conftest import make_cases


def test_published_reference_has_exactly_three_inconsistencies(reference_table):
    findings = check_table(reference_table, "truncate", source="公布表")
    kinds = sorted((f.kind, f.unit) for f in findings)
    assert kinds == [
        ("global_below_units", "全局"),
        ("rate_mismatch", "南广所"),
        ("units_below_global", "全局"),
    ]
    by_kind = {f.kind: f for f in findings}
    assert "52/53" in by_kind["rate_mismatch"].message and "98%" in by_kind["rate_mismatch"].message
    assert by_kind["global_below_units"].numbers == {"column": "reports_filed", "global": 7, "units_sum": 8}
    excess = by_kind["units_below_global"].numbers["excess"]
    assert excess["accepted"] == 44 and excess["reports"] == 9 and excess["complaints"] == 35


def test_reconcile_reports_off_roster_unassigned_and_impossible_rows(branch):
    cases = make_cases(
        [
            {
                "case_id": "A1",
                "kind": "投诉",
                "unit": "执法大队",
                "registered_at": "2022-01-03",
                "closed_at": "2022-01-04",
            },
            {"case_id": "A2", "kind": "举报", "unit": None, "registered_at": "2022-01-03"},
            {
                "case_id": "A3",
                "kind": "举报",
                "unit": "站前所",
                "registered_at": "2022-01-05",
                "closed_at": "2022-01-04",
            },
            {"case_id": "A3", "kind": "举报", "unit": "站前所", "registered_at": "2022-01-05"},
        ]
    )
    findings = reconcile(cases, branch, "2022-01", default_cutoff("2022-01"))
    kinds = {f.kind: f for f in findings}
    assert kinds["off_roster"].case_ids == ("A1",) and kinds["off_roster"].unit == "执法大队"
    assert kinds["unassigned"].case_ids == ("A2",)
    assert kinds["roster_gap"].numbers == {"roster": 2, "global": 4}
    assert kinds["closed_before_registered"].case_ids == ("A3",)
    assert kinds["duplicate_id"].case_ids == ("A3",)


def test_clean_month_has_no_findings(branch):
    cases = make_cases(
        [{"kind": "投诉", "unit": "站前所", "registered_at": "2022-01-03", "closed_at": "2022-01-04"}]
    )
    cutoff = default_cutoff("2022-01")
    assert reconcile(cases, branch, "2022-01", cutoff) == []
    table = unit_table(cases, branch, "2022-01", cutoff)
    assert check_table(table) == []
    assert compare_tables(table, table) == []


def test_compare_tables_names_each_cell(branch):
    cases = make_cases(
        [{"kind": "投诉", "unit": "站前所", "registered_at": "2022-01-03", "closed_at": "2022-01-04"}]
    )
    table = unit_table(cases, branch, "2022-01")
    published = table.copy()
    published.loc[published["unit"] == "站前所", "closed"] = 0
    (f,) = [x for x in compare_tables(published, table) if x.numbers["column"] == "closed"]
    assert f.unit == "站前所" and "公布 0，计算 1" in f.message


def test_ingest_findings_group_by_reason():
    rejected = pd.DataFrame(
        {
            "source_file": ["a.xlsx", "a.xlsx", "b.csv"],
            "source_line": [5, 9, 3],
            "column": ["登记时间", "登记时间", ""],
            "value": ["2021-13-45", "x", ""],
            "reason": ["日期无法识别", "日期无法识别", "合计行"],
            "case_id": ["X1", "X2", None],
        }
    )
    findings = ingest_findings(rejected)
    assert [f.numbers["rows"] for f in findings] == [1, 2]
    assert "a.xlsx 第 5 行" in findings[1].message


def test_date_only_closure_on_registration_day_is_not_before_it(branch):
    cases = make_cases(
        [
            {
                "case_id": "D1",
                "kind": "投诉",
                "unit": "站前所",
                "registered_at": "2022-01-05 10:00",
                "closed_at": "2022-01-05",
            }
        ]
    )
    assert [f.kind for f in reconcile(cases, branch, "2022-01", default_cutoff("2022-01"))] == []
