"""Investigation helpers: change tables, spikes, threshold streaks, top categories, drill-down."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kwstats import investigate
from kwstats.checks import Finding
from kwstats.indicators import COUNT_COLUMNS, default_cutoff, unit_table
from kwstats.investigate import (
    BLANK_LABEL,
    SPIKE_ALPHA,
    SPIKE_METHOD,
    SPIKE_MIN_COUNT,
    SPIKE_MIN_RATIO,
    SPIKE_WINDOW,
    STREAK_LABEL,
    STREAK_NOTE_LABEL,
    change_by,
    drill_down,
    monthly_counts,
    poisson_sf,
    spike_breakdown,
    spikes,
    threshold_breaches,
    threshold_history,
    top_categories,
    volume_change,
)
from tests.conftest import make_cases

MONTHS_24 = [str(p) for p in pd.period_range("2020-01", "2021-12", freq="M")]


def _series_cases(counts: dict[tuple[str, str], int], **extra) -> pd.DataFrame:
    """Complaints registered over each month: counts[(unit, 'YYYY-MM')] cases of that unit."""
    rows = []
    for (unit, month), n in counts.items():
        start = pd.Period(month, freq="M").start_time
        for j in range(n):
            rows.append(
                {
                    "case_id": f"{unit}-{month}-{j:04d}",
                    "kind": "投诉" if j % 3 else "举报",
                    "unit": unit,
                    "registered_at": start + pd.Timedelta(hours=7 * j % (27 * 24)),
                    "goods_category": ["食品", "服装", "家电"][j % 3],
                    "problem_category": "质量",
                    "channel": ["电话", "互联网平台"][j % 2],
                    **extra,
                }
            )
    return make_cases(rows)


def _noisy(unit: str, mean: float, seed: int, months=MONTHS_24) -> dict[tuple[str, str], int]:
    rng = np.random.default_rng(seed)
    return {(unit, m): int(rng.poisson(mean)) for m in months}


@pytest.fixture
def small_cases():
    """A hand-made month with its previous month and the same month a year before."""
    rows = []

    def add(unit, month, n, kind="投诉", **kw):
        for _ in range(n):
            rows.append({"kind": kind, "unit": unit, "registered_at": f"{month}-10", **kw})

    add("站前所", "2022-01", 6, goods_category="食品", channel="电话")
    add("站前所", "2022-01", 2, kind="举报", goods_category="服装", channel="互联网平台")
    add("站前所", "2021-12", 4)
    add("站前所", "2021-01", 10)
    add("新发所", "2022-01", 3, goods_category="食品", channel="互联网平台")  # no base last month/year
    add("新发所", "2022-01", 5, kind="咨询")  # consultations never count
    add("名册外所", "2021-12", 2)  # off the roster, only last month
    add(None, "2022-01", 1, goods_category="食品", channel="电话")  # unassigned
    return make_cases(rows)


# --- Poisson tail -------------------------------------------------------------------------------


def test_poisson_sf_matches_direct_sum():
    for lam in (0.3, 1.0, 4.5, 12.0, 41.2):
        for k in (0, 1, 2, 5, 10, 20, 40, 60, 85):
            direct = 1.0 - sum(math.exp(-lam + i * math.log(lam) - math.lgamma(i + 1)) for i in range(k))
            got = poisson_sf(k, lam)
            assert 0.0 <= got <= 1.0
            if direct > 1e-9:
                assert got == pytest.approx(direct, rel=1e-9, abs=1e-12)
    # Far in the tail the direct complement is 0 but the stable sum is not.
    tail = poisson_sf(100, 10.0)
    assert 0 < tail < 1e-40
    assert poisson_sf(0, 0.0) == 1.0 and poisson_sf(3, 0.0) == 0.0


# --- monthly counts and change ------------------------------------------------------------------


def test_monthly_counts_full_grid_zero_filled(small_cases):
    table = monthly_counts(small_cases, "unit")
    assert list(table.index) == [str(p) for p in pd.period_range("2021-01", "2022-01", freq="M")]
    assert table.loc["2021-06"].sum() == 0
    assert table.loc["2022-01", "站前所"] == 8
    assert table.loc["2022-01", "新发所"] == 3  # 咨询 not counted
    assert table.loc["2022-01", BLANK_LABEL] == 1
    assert table.loc["2021-12", "名册外所"] == 2
    # A cutoff drops later registrations and extends the grid to its month.
    cut = monthly_counts(small_cases, "unit", cutoff="2021-12-31")
    assert cut.index[-1] == "2021-12" and "新发所" not in cut.columns
    later = monthly_counts(small_cases, "kind", cutoff="2022-03-31")
    assert later.index[-1] == "2022-03" and later.loc["2022-03"].sum() == 0


def test_change_by_numbers_and_blank_base(small_cases, branch):
    table = change_by(small_cases, "2022-01", "unit", branch).set_index("单位名称")
    assert list(table.columns) == ["本月", "上月", "去年同月", "环比增减", "环比(%)", "同比增减", "同比(%)"]
    r = table.loc["站前所"]
    assert (r["本月"], r["上月"], r["去年同月"]) == (8, 4, 10)
    assert (r["环比增减"], r["环比(%)"]) == (4, 100.0)
    assert (r["同比增减"], r["同比(%)"]) == (-2, -20.0)
    r = table.loc["新发所"]
    assert (r["本月"], r["上月"], r["环比增减"]) == (3, 0, 3)
    assert math.isnan(r["环比(%)"]) and math.isnan(r["同比(%)"])
    # Roster order first (zeros included), then the rest.
    assert list(table.index[: len(branch.units)]) == branch.units
    assert set(table.index[len(branch.units) :]) == {"名册外所", BLANK_LABEL}
    assert table.loc["名册外所", "环比(%)"] == -100.0
    attrs = change_by(small_cases, "2022-01", "unit").attrs
    assert (attrs["last_month"], attrs["last_year"]) == ("2021-12", "2021-01")


def test_change_by_without_roster_is_sorted(small_cases):
    table = change_by(small_cases, "2022-01", "goods_category")
    assert table["涉及客体分类"].tolist()[:2] == ["食品", "服装"]
    assert table["本月"].tolist() == sorted(table["本月"], reverse=True)
    food = table.set_index("涉及客体分类").loc["食品"]
    assert food["本月"] == 10 and math.isnan(food["环比(%)"])
    with pytest.raises(KeyError, match="不能按"):
        change_by(small_cases, "2022-01", "respondent")


def test_volume_change(small_cases):
    v = volume_change(small_cases, "2022-01")
    assert (v["accepted"], v["last_month_accepted"], v["last_year_accepted"]) == (12, 6, 10)
    assert (v["mom_change"], v["mom_pct"], v["yoy_change"], v["yoy_pct"]) == (6, 100.0, 2, 20.0)
    assert "环比增长 100.0%（+6 件）" in v["message"] and "同比增长 20.0%" in v["message"]
    v = volume_change(small_cases, "2021-12")
    assert v["last_year_accepted"] == 0 and math.isnan(v["yoy_pct"])
    assert "同比无法计算" in v["message"]


# --- spikes -------------------------------------------------------------------------------------


def test_planted_spike_found_flat_series_not():
    counts = _noisy("站前所", 30, seed=1) | _noisy("新发所", 30, seed=2) | _noisy("南广所", 8, seed=3)
    counts[("站前所", "2021-06")] = 75
    found = spikes(_series_cases(counts), by=("unit",))
    assert [(f.kind, f.unit, f.month) for f in found] == [("spike", "站前所", "2021-06")]
    f = found[0]
    assert f.numbers["count"] == 75 and len(f.case_ids) == 75
    assert f.numbers["ratio"] >= 1.5 and f.numbers["p"] <= f.numbers["threshold"]
    assert "站前所 2021-06 受理 75 件" in f.message and "泊松检验" in f.message
    assert "泊松" in SPIKE_METHOD and "Bonferroni" in SPIKE_METHOD


@pytest.mark.parametrize("seed", range(5))
def test_flat_noisy_series_give_no_spike(seed):
    counts = {}
    for i, (unit, mean) in enumerate([("站前所", 40), ("新发所", 15), ("南广所", 5), ("东广所", 1)]):
        counts |= _noisy(unit, mean, seed=100 * seed + i)
    assert spikes(_series_cases(counts)) == []


def test_nothing_judged_without_full_window_and_month_scan():
    counts = _noisy("站前所", 30, seed=4)
    counts[("站前所", "2020-06")] = 120  # only 5 months of history: not judged
    counts[("站前所", "2021-09")] = 80
    cases = _series_cases(counts)
    assert [f.month for f in spikes(cases, by=("unit",))] == ["2021-09"]
    assert [f.month for f in spikes(cases, "2021-09", by=("unit",))] == ["2021-09"]
    assert spikes(cases, "2021-08", by=("unit",)) == []
    skipped = spikes(cases, "2020-06", by=("unit",))
    assert [(f.kind, f.severity) for f in skipped] == [("spike_skipped", "info")]


def test_min_count_and_min_ratio_suppress():
    counts = _noisy("南广所", 2, seed=5) | _noisy("站前所", 100, seed=6)
    counts[("南广所", "2021-06")] = 12  # 6× its mean, p tiny, but under 15 cases
    counts[("站前所", "2021-06")] = 145  # significant, but under 1.5× the mean
    cases = _series_cases(counts)
    assert spikes(cases, "2021-06", by=("unit",)) == []
    loose = spikes(cases, "2021-06", by=("unit",), min_count=10, min_ratio=1.2)
    assert sorted(f.unit for f in loose) == ["南广所", "站前所"]


def test_spike_in_category_series_has_no_unit():
    counts = _noisy("站前所", 45, seed=7)
    counts[("站前所", "2021-03")] = 45
    cases = _series_cases(counts)
    # Plant 30 extra 食品 cases in 2021-03 spread over a unit of their own history.
    extra = _series_cases({("新发所", "2021-03"): 30})
    extra["goods_category"] = extra["goods_category"].cat.set_categories(["食品", "服装", "家电"])
    extra.loc[:, "goods_category"] = "食品"
    found = spikes(pd.concat([cases, extra], ignore_index=True), by=("goods_category",))
    assert [(f.unit, f.month, f.numbers["value"]) for f in found] == [(None, "2021-03", "食品")]
    assert found[0].message.startswith("涉及客体分类“食品” 2021-03")


def test_series_new_in_the_data_is_flagged_once_big_enough():
    counts = _noisy("站前所", 30, seed=9)
    counts |= {("新发所", "2021-11"): 14, ("南广所", "2021-12"): 16}  # 14: under min_count
    found = spikes(_series_cases(counts), by=("unit",))
    assert [(f.unit, f.month) for f in found] == [("南广所", "2021-12")]
    assert found[0].numbers["ratio"] is None and found[0].numbers["p"] == 0.0
    assert "南广所 2021-12 受理 16 件，前 12 个月没有案件" in found[0].message


# --- spike breakdown ----------------------------------------------------------------------------


def _month_rows(
    unit: str, month: str, n: int, tag: str, channels=("电话", "互联网平台"), **fixed
) -> list[dict]:
    """n complaints of one unit in one month; goods and channel cycle unless fixed."""
    start = pd.Period(month, freq="M").start_time
    return [
        {
            "case_id": f"{unit}-{month}-{tag}{j:03d}",
            "kind": "投诉",
            "unit": unit,
            "registered_at": start + pd.Timedelta(hours=j),
            "goods_category": ["食品", "服装", "家电"][j % 3],
            "problem_category": "质量",
            "channel": channels[j % len(channels)],
            **fixed,
        }
        for j in range(n)
    ]


def _flat_with_extra(extra: list[dict]) -> pd.DataFrame:
    """站前所: 21 cases every month of 2020-01..2021-12, plus `extra` (2021-06)."""
    rows = [r for m in MONTHS_24 for r in _month_rows("站前所", m, 21, "n")]
    return make_cases(rows + extra)


def test_spike_breakdown_names_the_concentrated_value():
    extra = _month_rows(
        "站前所", "2021-06", 42, "x", goods_category="教育培训", channel="电话", respondent="某培训学校"
    )
    cases = _flat_with_extra(extra)
    (f,) = spikes(cases, by=("unit",))
    assert (f.month, f.numbers["count"], f.numbers["baseline"]) == ("2021-06", 63, 21.0)
    # goods, respondent and channel each hold the whole excess (42); 质量 too, but it is every case
    # anyway (grew no faster than the series), and the blank respondents are never named.
    assert [(s["field"], s["value"]) for s in f.numbers["sources"]] == [
        ("goods_category", "教育培训"),
        ("respondent", "某培训学校"),
        ("channel", "电话"),
    ]
    assert f.message.endswith("，主要来自 涉及客体分类“教育培训”（本月 42 件，前 12 个月没有）。")
    assert "泊松检验" in f.message

    table = spike_breakdown(cases, f, top=2)
    assert list(table.columns) == ["维度", "取值", "本月", "前 12 个月平均", "超出"]
    assert table["维度"].unique().tolist() == ["涉及客体分类", "涉及问题分类", "被投诉/举报方", "诉求来源"]
    goods = table[table["维度"] == "涉及客体分类"]
    assert goods["取值"].tolist()[0] == "教育培训" and len(goods) == 2
    assert goods.iloc[0][["本月", "前 12 个月平均", "超出"]].tolist() == [42, 0.0, 42.0]
    channel = table[table["维度"] == "诉求来源"].set_index("取值")
    assert channel.loc["电话", ["本月", "前 12 个月平均", "超出"]].tolist() == [53, 11.0, 42.0]
    resp = table[table["维度"] == "被投诉/举报方"].set_index("取值")
    assert resp.loc[BLANK_LABEL, ["本月", "前 12 个月平均", "超出"]].tolist() == [21, 21.0, 0.0]
    assert table.attrs["count"] == 63 and table.attrs["excess"] == 42.0
    # Every value's count of the month: the counts of a dimension add up to the spike.
    full = spike_breakdown(cases, f, by=("goods_category", "channel", "kind"), top=100)
    assert full.groupby("维度")["本月"].sum().tolist() == [63, 63, 63]
    for _, part in full.groupby("维度", sort=False):
        assert part["超出"].tolist() == sorted(part["超出"], reverse=True)
    with pytest.raises(KeyError, match="不能按"):
        spike_breakdown(cases, f, by=("content",))
    with pytest.raises(ValueError, match="只能分解"):
        spike_breakdown(cases, Finding(kind="threshold", message="", month="2021-06"))


def test_spread_excess_names_nothing():
    extra = _month_rows("站前所", "2021-06", 42, "x", channels=("电话", "互联网平台", "来函"))
    (f,) = spikes(_flat_with_extra(extra), by=("unit",))
    assert f.numbers["sources"] == [] and "主要来自" not in f.message
    assert f.message.endswith("）。")
    # explain_by=() skips the breakdown altogether.
    (bare,) = spikes(_flat_with_extra(extra), by=("unit",), explain_by=())
    assert bare.numbers["sources"] == [] and bare.message == f.message


@pytest.fixture(scope="module")
def generated_sample():
    from kwstats import sample

    return sample, sample.generate_cases()


def test_sample_spike_breakdown_points_at_the_planted_cases(generated_sample):
    sample, cases = generated_sample
    planted = sample.PLANTED_SPIKE
    found = spikes(cases, planted["month"])
    (f,) = [f for f in found if f.numbers["field"] == "unit" and f.unit == planted["unit"]]
    table = spike_breakdown(cases, f)
    goods = table[table["维度"] == "涉及客体分类"]
    respondents = table[table["维度"] == "被投诉/举报方"]
    assert goods.iloc[0]["取值"] == planted["category"]
    assert respondents.iloc[0]["取值"] == planted["respondent"]
    assert respondents.iloc[0]["本月"] >= planted["extra"]
    assert "承办单位" not in set(table["维度"])  # the series' own column
    assert table.groupby("维度", sort=False).size().max() == 5
    assert table.attrs["count"] == f.numbers["count"]
    assert table.attrs["baseline"] == pytest.approx(f.numbers["baseline"], abs=0.01)
    # The message names the category, with the same numbers as the breakdown.
    top = goods.iloc[0]
    assert f"，主要来自 涉及客体分类“{planted['category']}”（本月 {top['本月']} 件，" in f.message
    assert f"前 12 个月平均 {top['前 12 个月平均']:.1f} 件）。" in f.message
    # The category's own spike is explained the other way round: by the unit.
    (g,) = [g for g in found if g.numbers["field"] == planted["field"]]
    assert f"主要来自 承办单位“{planted['unit']}”" in g.message
    by_unit = spike_breakdown(cases, g)
    assert by_unit[by_unit["维度"] == "承办单位"].iloc[0]["取值"] == planted["unit"]


# --- threshold history --------------------------------------------------------------------------


def test_threshold_history_streak_and_own_month_cutoff(branch):
    rows = []

    def add(unit, month, closed, pending, late=0):
        end = pd.Period(month, freq="M").end_time
        for _ in range(closed):
            rows.append(
                {"kind": "投诉", "unit": unit, "registered_at": f"{month}-05", "closed_at": f"{month}-20"}
            )
        for _ in range(pending):
            rows.append({"kind": "投诉", "unit": unit, "registered_at": f"{month}-05"})
        for _ in range(late):  # closed after its own month end: pending for that month
            rows.append(
                {
                    "kind": "举报",
                    "unit": unit,
                    "registered_at": f"{month}-05",
                    "closed_at": end + pd.Timedelta(days=3),
                }
            )

    add("站前所", "2021-09", 9, 1)  # 90%
    add("站前所", "2021-10", 7, 3)  # 70%
    add("站前所", "2021-11", 5, 0, late=5)  # 50% as of 11-30 (100% later)
    add("站前所", "2021-12", 3, 1)  # 75%
    add("新发所", "2021-10", 1, 1)  # 50%
    add("新发所", "2021-12", 1, 1)  # 50%, but November blank breaks the streak
    add("南广所", "2021-12", 4, 0)  # 100%
    cases = make_cases(rows)
    hist = threshold_history(cases, branch, "2021-12", months=3).set_index("单位名称")
    assert list(hist.columns) == ["序号", "2021-10", "2021-11", "2021-12", STREAK_LABEL]
    assert list(hist.index) == branch.units
    assert hist.loc["站前所", ["2021-10", "2021-11", "2021-12"]].tolist() == [70.0, 50.0, 75.0]
    assert hist.loc["站前所", STREAK_LABEL] == 3
    assert math.isnan(hist.loc["新发所", "2021-11"]) and hist.loc["新发所", STREAK_LABEL] == 1
    assert hist.loc["南广所", STREAK_LABEL] == 0 and hist.loc["东广所", STREAK_LABEL] == 0
    # The last month agrees with the unit table of that month.
    table = unit_table(cases, branch, "2021-12").set_index("unit")
    assert hist.loc["站前所", "2021-12"] == table.loc["站前所", "closure_rate_pct"]

    found = threshold_breaches(cases, branch, "2021-12")
    assert [(f.kind, f.unit, f.numbers["streak"]) for f in found] == [
        ("threshold", "站前所", 3),
        ("threshold", "新发所", 1),
    ]
    assert "已连续 3 个月低于阈值" in found[0].message and "75%（3/4）" in found[0].message
    assert len(found[0].case_ids) == found[0].numbers["pending"] == 1
    assert "本月首次低于阈值" in found[1].message
    assert [f.numbers["streak_known"] for f in found] == [True, True]
    assert STREAK_NOTE_LABEL not in hist.columns


def _rate_rows(unit: str, month: str, closed: int, pending: int) -> list[dict]:
    return [
        {
            "kind": "投诉",
            "unit": unit,
            "registered_at": f"{month}-05",
            **({"closed_at": f"{month}-20"} if i < closed else {}),
        }
        for i in range(closed + pending)
    ]


def test_single_month_export_does_not_claim_a_first_breach(branch):
    cases = make_cases(_rate_rows("站前所", "2022-01", 3, 2) + _rate_rows("南广所", "2022-01", 5, 0))
    (f,) = threshold_breaches(cases, branch, "2022-01")
    assert f.unit == "站前所" and f.numbers["streak"] == 1 and f.numbers["streak_known"] is False
    assert "首次" not in f.message
    assert "本月低于阈值（数据中没有更早的月份，无法判断是否连续）" in f.message
    hist = threshold_history(cases, branch, "2022-01").set_index("单位名称")
    assert list(hist.columns) == ["序号", "2022-01", STREAK_LABEL, STREAK_NOTE_LABEL]
    assert hist.loc["站前所", STREAK_LABEL] == 1
    assert hist.loc["站前所", STREAK_NOTE_LABEL] == "数据中没有更早的月份，无法判断是否连续"
    assert hist.loc["南广所", STREAK_NOTE_LABEL] == ""
    assert hist.attrs["streak_unknown_before"] == {"站前所": "2021-12"}


def test_streak_reaching_the_start_of_the_data_or_a_missing_month(branch):
    rows = (
        _rate_rows("站前所", "2021-11", 1, 1)  # under from the data's first month on
        + _rate_rows("站前所", "2021-12", 1, 1)
        + _rate_rows("南广所", "2021-11", 4, 0)  # at or above in November: a real first breach
        + _rate_rows("南广所", "2021-12", 1, 1)
        + _rate_rows("南广所", "2022-02", 1, 1)  # no case at all in 2022-01
    )
    cases = make_cases(rows)
    first = threshold_breaches(cases, branch, "2021-11")
    assert [(f.unit, f.numbers["streak_known"]) for f in first] == [("站前所", False)]
    assert "首次" not in first[0].message

    found = {f.unit: f for f in threshold_breaches(cases, branch, "2021-12")}
    assert found["站前所"].numbers["streak"] == 2 and not found["站前所"].numbers["streak_known"]
    assert (
        "已连续 2 个月低于阈值（数据中没有更早的月份，无法判断此前是否也低于阈值" in found["站前所"].message
    )
    assert found["南广所"].numbers["streak_known"] and "本月首次低于阈值" in found["南广所"].message

    (gap,) = threshold_breaches(cases, branch, "2022-02")
    assert gap.unit == "南广所" and not gap.numbers["streak_known"]
    assert "（数据中没有 2022-01 的案件，无法判断是否连续）" in gap.message
    hist = threshold_history(cases, branch, "2021-12").set_index("单位名称")
    assert hist.loc["站前所", STREAK_LABEL] == 2
    assert "实际连续月数可能更多" in hist.loc["站前所", STREAK_NOTE_LABEL]
    assert hist.loc["南广所", STREAK_NOTE_LABEL] == ""


# --- top categories and drill-down --------------------------------------------------------------


def test_top_categories_counts_shares_channels(small_cases):
    top = top_categories(small_cases, "2022-01", "goods_category", n=2)
    assert top["涉及客体分类"].tolist() == ["食品", "服装"]
    assert top["件数"].tolist() == [10, 2]
    assert top["占比(%)"].tolist() == [83.3, 16.7]
    food = top.iloc[0]
    assert (food["电话占比(%)"], food["互联网平台占比(%)"]) == (70.0, 30.0)
    assert top.iloc[1]["互联网平台占比(%)"] == 100.0
    by_channel = top_categories(small_cases, "2022-01", "channel")
    assert by_channel["件数"].sum() == 12 and not any("占比(%)" in c and c != "占比(%)" for c in by_channel)


def test_drill_down_lengths_equal_the_numbers(small_cases, branch):
    month, cutoff = "2022-01", default_cutoff("2022-01")
    table = unit_table(small_cases, branch, month, cutoff)
    for _, row in table.iterrows():
        for col in COUNT_COLUMNS:
            rows = drill_down(small_cases, month, cutoff, unit=row["unit"], column=col)
            assert len(rows) == row[col]
    change = change_by(small_cases, month, "unit", branch)
    for _, row in change.iterrows():
        value = row["单位名称"]
        assert len(drill_down(small_cases, month, None, by="unit", value=value)) == row["本月"]
        assert len(drill_down(small_cases, "2021-12", None, by="unit", value=value)) == row["上月"]
        assert len(drill_down(small_cases, "2021-01", None, by="unit", value=value)) == row["去年同月"]
    counts = monthly_counts(small_cases, "goods_category")
    for m, row in counts.iterrows():
        for value, n in row.items():
            assert len(drill_down(small_cases, m, None, by="goods_category", value=value)) == n
    top = top_categories(small_cases, month, "channel")
    for _, row in top.iterrows():
        assert len(drill_down(small_cases, month, None, by="channel", value=row["诉求来源"])) == row["件数"]
    # by + unit + column narrows further; every row is a case of the cell.
    rows = drill_down(
        small_cases, month, None, unit="站前所", by="goods_category", value="服装", column="reports"
    )
    assert len(rows) == 2 and set(rows["kind"]) == {"举报"}
    with pytest.raises(KeyError):
        drill_down(small_cases, month, None, column="rate")


def test_spike_case_ids_are_the_cell():
    counts = _noisy("站前所", 30, seed=8)
    counts[("站前所", "2021-04")] = 70
    cases = _series_cases(counts)
    (f,) = spikes(cases, by=("unit",))
    rows = drill_down(cases, f.month, None, by="unit", value=f.unit)
    assert sorted(rows["case_id"]) == sorted(f.case_ids)


# --- the shipped synthetic sample ---------------------------------------------------------------


def test_sample_spikes_are_exactly_the_planted_one():
    """Over every month of the shipped sample, only the planted spike's series alarm.

    The planted extra complaints touch the unit's series and the category's series; with the shipped
    sizes both alarm (the unit 172 on a mean of 103.1, 1.67×; the category 96 on 32.8).
    """
    from kwstats import sample

    planted = sample.PLANTED_SPIKE
    cases = sample.generate_cases()
    found = spikes(cases)
    got = {(f.numbers["field"], f.numbers["value"], f.month) for f in found}
    expected = {
        ("unit", planted["unit"], planted["month"]),
        (planted["field"], planted["category"], planted["month"]),
    }
    assert got == expected
    # the numbers an analyst read off the 2022-06 page (issue 10): 柳影所 172 against a mean of 103.1
    (unit,) = [f for f in found if f.numbers["field"] == "unit"]
    assert unit.numbers["count"] == 172 and round(float(unit.numbers["baseline"]), 1) == 103.1
    # The planted cases are among the cases of each finding.
    planted_ids = set(
        cases.loc[
            (cases["respondent"] == planted["respondent"])
            & (cases["registered_at"].dt.strftime("%Y-%m") == planted["month"])
            & (cases["unit"] == planted["unit"]),
            "case_id",
        ]
    )
    assert len(planted_ids) >= planted["extra"]
    for f in found:
        assert planted_ids <= set(f.case_ids)


def test_package_keeps_every_name_its_callers_use():
    """`investigate.X` still works for every X used in kwstats/, tests/, benchmarks/ and notebooks/."""
    used = [
        "BLANK_LABEL", "BY_LABELS", "SPIKE_METHOD", "SPIKE_WINDOW", "STREAK_LABEL", "STREAK_NOTE_LABEL",
        "change_by", "drill_down", "monthly_counts", "poisson_sf", "spike_breakdown", "spikes",
        "threshold_breaches", "threshold_history", "top_categories", "volume_change",
    ]  # fmt: skip
    missing = [name for name in used if not hasattr(investigate, name)]
    assert missing == []
    # `spikes` is the function, not a submodule of the same name.
    assert callable(investigate.spikes) and investigate.spikes is spikes


def test_the_correction_keeps_poisson_noise_quiet_and_without_it_noise_alarms():
    """40 units of pure Poisson noise (mean 30, 24 months): with the Bonferroni correction nothing
    alarms; with the threshold left at alpha per test, exactly the months a hand-summed Poisson tail
    puts under alpha (and that pass the count and ratio floors) alarm — and there are some, so the
    sample's "nothing else" is not only the generator being quieter than Poisson."""
    units = [f"所{i:02d}" for i in range(40)]
    counts: dict[tuple[str, str], int] = {}
    for i, unit in enumerate(units):
        counts.update(_noisy(unit, 30, seed=1000 + i))
    cases = _series_cases(counts)

    def tail(k: int, lam: float) -> float:  # P(X >= k), summed by hand
        return 1.0 - sum(math.exp(-lam + j * math.log(lam) - math.lgamma(j + 1)) for j in range(k))

    tested = MONTHS_24[SPIKE_WINDOW:]
    expected = set()
    for unit in units:
        for i, month in enumerate(MONTHS_24):
            if month not in tested:
                continue
            base = sum(counts[(unit, m)] for m in MONTHS_24[i - SPIKE_WINDOW : i]) / SPIKE_WINDOW
            k = counts[(unit, month)]
            if tail(k, base) <= SPIKE_ALPHA and k >= SPIKE_MIN_COUNT and k >= SPIKE_MIN_RATIO * base:
                expected.add((unit, month))
    assert expected, "this noise has months a test without correction would flag"
    assert spikes(cases, by=("unit",), explain_by=()) == []
    n_tests = len(units) * len(tested)
    loose = spikes(cases, by=("unit",), explain_by=(), alpha=SPIKE_ALPHA * n_tests)
    assert {(f.unit, f.month) for f in loose} == expected


def test_a_spike_is_counted_as_of_the_cutoff_like_the_table():
    """站前所: 20 cases on the 5th of every month 2021-01 … 2021-12; in January 2022 the usual 20, 20
    more on the 10th and 20 on the 25th. Cut off on the 20th, January holds 40 cases (twice the mean
    of 20: a spike), and neither its count, its case ids, its breakdown nor its chart's last point
    counts the 25th."""
    from kwstats.analyst_charts import spike_series

    rows = [
        {"case_id": f"{m}-{j}", "kind": "投诉", "unit": "站前所", "registered_at": f"{m}-05 09:00"}
        for m in [str(p) for p in pd.period_range("2021-01", "2022-01", freq="M")]
        for j in range(20)
    ]
    rows += [
        {"case_id": f"early-{j}", "kind": "投诉", "unit": "站前所", "registered_at": "2022-01-10 09:00"}
        for j in range(20)
    ]
    rows += [
        {"case_id": f"late-{j}", "kind": "投诉", "unit": "站前所", "registered_at": "2022-01-25 09:00"}
        for j in range(20)
    ]
    cases = make_cases(rows)
    (whole,) = spikes(cases, "2022-01", by=("unit",), explain_by=())
    assert whole.numbers["count"] == 60
    (cut,) = spikes(cases, "2022-01", by=("unit",), explain_by=(), cutoff="2022-01-20")
    assert cut.numbers["count"] == 40 and cut.numbers["baseline"] == 20.0
    assert sorted(cut.case_ids) == sorted(
        [f"2022-01-{j}" for j in range(20)] + [f"early-{j}" for j in range(20)]
    )
    assert spike_breakdown(cases, cut, by=("channel",)).attrs["count"] == 40
    assert spike_series(cases, cut).iloc[-1] == 40
