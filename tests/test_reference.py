"""The synthetic sample's January 2022, computed through ingest, reproduces the published bulletin."""

import io

import pandas as pd
import pytest

from kwstats.checks import check_table, compare_tables, read_published_table
from kwstats.cli import main
from kwstats.indicators import COUNT_COLUMNS, summarize, unit_table
from kwstats.tables import table_csv
from tests.conftest import REFERENCE_DIR

ERRATA = {("南广所", "closure_rate_pct"), ("全局", "reports_filed")}


@pytest.fixture(scope="module")
def computed(sample_cases, branch):
    return unit_table(sample_cases, branch, "2022-01")


def test_table_equals_reference_but_for_the_errata(computed, reference_table):
    assert computed["unit"].tolist() == reference_table["unit"].tolist()
    assert computed["seq"].tolist() == reference_table["seq"].tolist()
    differing = set()
    for (_, pub), (_, calc) in zip(reference_table.iterrows(), computed.iterrows(), strict=True):
        for col in (*COUNT_COLUMNS, "closure_rate_pct"):
            same = (pd.isna(pub[col]) and pd.isna(calc[col])) or pub[col] == calc[col]
            if not same:
                differing.add((pub["unit"], col))
    assert differing == ERRATA
    g = computed.set_index("unit")
    assert g.at["南广所", "closure_rate_pct"] == 98 and g.at["全局", "reports_filed"] == 8


def test_compare_and_check_report_the_three_inconsistencies(computed, reference_table, branch):
    cells = compare_tables(reference_table, computed, branch.rate_rule)
    assert {(f.unit, f.numbers["column"]) for f in cells} == ERRATA
    internal = check_table(reference_table, branch.rate_rule, source="公布表")
    assert len(internal) == 3
    # the computed table is consistent with itself: only the off-roster gap, no rate or sum error
    assert [f.kind for f in check_table(computed, branch.rate_rule)] == ["units_below_global"]


def test_bulletin_numbers(sample_cases, branch):
    s = summarize(sample_cases, branch, "2022-01")
    assert (s.accepted, s.reports, s.reports_closed, s.complaints, s.complaints_closed) == (
        702,
        271,
        254,
        431,
        353,
    )
    assert (s.closed, s.pending) == (607, 95)
    assert (s.reports_rate_pct, s.complaints_rate_pct, s.rate_pct) == (93, 81, 86)
    assert str(s.recovered_loss_wan) == "6.08"
    assert (s.diverted, s.urges) == (702, 0)
    (w,) = s.windows
    assert (w.count, w.rate_pct) == (18297, 96)
    assert sum(s.off_roster.values()) == 44
    assert s.under_threshold == ("站前所", "新发所", "东广所", "团山所", "柳影所")


def test_cli_table_csv_prints_the_reference(capsys):
    assert main(["table", "--month", "2022-01", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    reference_text = (REFERENCE_DIR / "bulletin-2022-01-table.csv").read_text(encoding="utf-8")
    assert out.splitlines()[0] == reference_text.splitlines()[0]
    diff = [
        (a, b)
        for a, b in zip(out.strip().splitlines(), reference_text.strip().splitlines(), strict=True)
        if a != b
    ]
    assert [a.split(",")[1] for a, _ in diff] == ["全局", "南广所"]
    printed = read_published_table(pd.read_csv(io.StringIO(out), dtype=str))
    assert printed.equals(read_published_table(pd.read_csv(io.StringIO(table_csv(printed)), dtype=str)))
