"""The months before a bulletin's month, counted once (kwstats.aggregates): the store's SQL equals the
pandas definition, and a month read from its scope says what the whole store says.

The small store is made here with a shape the sample lacks: one unit, a month with no case, a case
closed after its own month's end, a case still open from two years earlier; the expected counts are
worked by hand from its rows.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from kwstats import investigate, store, views
from kwstats.aggregates import BLANK, ScopeError, aggregates_from_cases
from kwstats.cache import load_ingest, save_ingest
from kwstats.period import Period
from kwstats.report import build_report
from kwstats.run import resolve_run
from kwstats.sample import ensure_sample
from kwstats.sample_files import MONTHS
from kwstats.sources import load_cases, load_month, store_source

HEADER = "登记编号,业务类型,登记时间,承办单位,办结时间,是否涉疫,受理时间"
ROWS = [
    "O1,投诉,2020-03-10 09:00,站前所,,是,2020-03-11 09:00",  # open for two years and more
    "C1,投诉,2022-01-05 10:00,站前所,2022-02-03 10:00,否,2022-01-06 10:00",  # closed after January
    "C2,举报,2022-01-20 10:00,站前所,2022-01-25 10:00,是,",
    "Q1,咨询,2022-01-21 10:00,站前所,2022-01-21 11:00,否,",
    # February: no case at all
    "M1,投诉,2022-03-02 10:00,站前所,2022-03-10 10:00,否,2022-03-03 10:00",
    "M2,举报,2022-03-15 10:00,站前所,,是,",
    "A1,投诉,2022-04-02 10:00,站前所,,否,2022-04-03 10:00",  # after the month
]


@pytest.fixture(scope="module")
def small_store(tmp_path_factory, branch) -> Path:
    folder = tmp_path_factory.mktemp("agg")
    export = folder / "export.csv"
    export.write_text(
        "\n".join(["导出时间：2022-05-01 09:00:00,,,,,,", HEADER, *ROWS]) + "\n", encoding="utf-8"
    )
    store.ingest_into_store(folder / "store", [export], branch)
    return folder / "store"


def _sql(store_dir: Path, period: Period, branch):
    con = duckdb.connect(str(store_dir / store.STORE_FILE), read_only=True)
    try:
        return store.aggregates_from_store(con, period, branch.cumulative_windows, scoped=False)
    finally:
        con.close()


def _same(a, b) -> None:
    assert (a.month, a.cutoff, a.first_registered) == (b.month, b.cutoff, b.first_registered)
    pd.testing.assert_frame_equal(a.monthly, b.monthly)
    pd.testing.assert_frame_equal(a.case_months, b.case_months)
    pd.testing.assert_frame_equal(a.windows, b.windows)


def test_sql_aggregates_equal_the_pandas_ones_and_the_hand_count(small_store, branch):
    period = Period.month("2022-03")
    cases = store.load_cases_from_store(small_store).cases
    sql, pandas = (
        _sql(small_store, period, branch),
        aggregates_from_cases(cases, period, branch.cumulative_windows),
    )
    _same(sql, pandas)
    assert sql.first_registered == pd.Timestamp("2020-03-10 09:00")
    assert sql.case_months.to_dict(orient="list") == {"month": ["2020-03", "2022-01"], "cases": [1, 3]}
    kinds = sql.monthly[sql.monthly["field"] == "kind"]
    # C1 closed on 3 February: not closed by the end of its own month
    assert kinds[["month", "value", "accepted", "closed"]].values.tolist() == [
        ["2020-03", "投诉", 1, 0],
        ["2022-01", "举报", 1, 1],
        ["2022-01", "投诉", 1, 0],
    ]
    units = sql.monthly[sql.monthly["field"] == "unit"]
    assert units[["month", "value", "accepted", "closed"]].values.tolist() == [
        ["2020-03", "站前所", 1, 0],
        ["2022-01", "站前所", 2, 1],
    ]
    assert set(sql.monthly.loc[sql.monthly["field"] == "goods_category", "value"]) == {BLANK}
    # 涉疫 from 2020-01-23 to the end of March: O1 (open), C2 (closed), M2 (open)
    assert sql.windows.to_dict(orient="records") == [
        {"key": "epidemic", "count": 3, "closed": 1, "unknown": False}
    ]


def test_sql_aggregates_equal_the_pandas_ones_for_sample_months(sample_store, branch):
    target = sample_store
    cases = store.load_cases_from_store(target).cases
    for month in [*MONTHS[:2], *MONTHS[11:14], *MONTHS[-3:]]:  # the first, around a year, the last
        period = Period.month(month)
        _same(_sql(target, period, branch), aggregates_from_cases(cases, period, branch.cumulative_windows))


def _said(run, ingest) -> dict:
    """Everything a month's pages compute, as comparable text."""
    report = build_report(run, ingest)
    found = views.investigation(report)
    r, past = report, report.aggregates
    out = {
        "table": r.table,
        "summary": r.summary,
        "text": dict(r.text),
        "deadlines": r.deadlines,
        "overdue": r.overdue,
        "extra": r.extra_indicators,
        "notices": r.notices,
        "findings": [(f.kind, f.unit, f.message, f.numbers, f.case_ids) for f in found.findings],
        "history": found.history,
        "volume": investigate.volume_change(r.cases, r.month, cutoff=r.cutoff, aggregates=past),
        "pending": views.pending_view(r),
        "behind": [views.cases_of(r, f).to_csv() for f in found.findings],
        "breakdown": [
            investigate.spike_breakdown(r.cases, f, aggregates=past).to_csv()
            for f in found.findings
            if f.kind == "spike"
        ],
        "grid": investigate.monthly_counts(r.cases, "unit", cutoff=r.cutoff, aggregates=past),
    }
    for by in ("unit", "goods_category", "problem_category", "channel"):
        out[by] = investigate.change_by(r.cases, r.month, by, r.branch, cutoff=r.cutoff, aggregates=past)
    return {k: v.to_csv() if isinstance(v, pd.DataFrame) else repr(v) for k, v in out.items()}


@pytest.mark.parametrize("month, cutoff", [("2022-03", None), ("2022-03", "2022-04-05"), ("2022-01", None)])
def test_a_month_read_from_its_scope_says_what_the_whole_store_says(small_store, month, cutoff, tmp_path):
    run = resolve_run(month, cutoff=cutoff, data=store_source(small_store))
    scoped = load_month(run.branch, run.data, run.period, run.params.rules)
    assert scoped.aggregates is not None and scoped.aggregates.scoped
    assert "O1" in set(scoped.cases["case_id"])  # still open: its deadlines are the month's business
    save_ingest(scoped, tmp_path / "ingest")  # as the bulletin hands it to the kernel
    handed = load_ingest(tmp_path / "ingest")
    _same(handed.aggregates, scoped.aggregates)
    assert _said(run, handed) == _said(run, load_cases(run.branch, run.data))


@pytest.mark.parametrize("month", ["2020-01", "2021-03", "2022-06"])  # the first month; spikes in 2022-06
def test_sample_months_read_from_their_scope_say_what_the_files_say(month, sample_store):
    folder, target = Path(ensure_sample()), sample_store
    run = resolve_run(month, data=store_source(target))
    scoped = load_month(run.branch, run.data, run.period, run.params.rules)
    assert len(scoped.cases) < 8000  # the month, its open cases, its spikes' series; not 46 000
    files = resolve_run(month, data=[folder])
    assert _said(run, scoped) == _said(files, load_cases(files.branch, files.data))


def test_scoped_rows_cannot_be_recounted_for_another_month(small_store):
    run = resolve_run("2022-03", data=store_source(small_store))
    scoped = load_month(run.branch, run.data, run.period, run.params.rules)
    with pytest.raises(ScopeError, match="历史汇总"):
        investigate.volume_change(scoped.cases, "2022-01", aggregates=scoped.aggregates)
