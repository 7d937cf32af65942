"""kwstats.analyst_charts: what is drawn equals what was counted by hand from a few case rows."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from kwstats.analyst_charts import poisson_upper, rate_heatmap, spike_chart, spike_series, unit_trends
from kwstats.checks import Finding
from kwstats.exceptions import KwstatsError
from kwstats.investigate import spikes, threshold_history
from kwstats.params import RosterEntry
from tests.conftest import make_cases


def _artist(fig: Figure, gid: str):
    found = [a for a in fig.findobj() if a.get_gid() == gid]
    assert len(found) == 1, f"{gid}: {len(found)} artists"
    return found[0]


def _bars(fig: Figure, gid: str) -> list[float]:
    """Heights of the bars drawn with this gid, left to right."""
    bars = sorted((a for a in fig.findobj() if a.get_gid() == gid), key=lambda p: p.get_x())
    return [p.get_height() for p in bars]


def _png(fig: Figure) -> bytes:
    """Draw the figure (missing glyphs are errors under the project's warning filter)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=60)
    return buf.getvalue()


def _hand_upper(lam: float, alpha: float) -> int:
    """Largest k with P(X >= k) > alpha for X ~ Poisson(lam), by summing the pmf term by term."""
    cdf, term, k = 0.0, math.exp(-lam), 0
    # P(X >= k + 1) = 1 - P(X <= k): stop at the first k whose upper tail from k + 1 is <= alpha.
    while True:
        cdf += term
        if 1.0 - cdf <= alpha:
            return k
        k += 1
        term *= lam / k


# --- spike chart --------------------------------------------------------------------------------


def _planted(extra_units: int = 0, start: str = "2021-01") -> pd.DataFrame:
    """甲所: 5 complaints a month for 13 months, then 40; other units 5 a month throughout."""
    months = [str(p) for p in pd.period_range(start, periods=14, freq="M")]
    rows = []
    units = ["甲所"] + [f"乙{i}所" for i in range(extra_units)]
    for unit in units:
        for i, month in enumerate(months):
            n = 40 if (unit == "甲所" and i == len(months) - 1) else 5
            for j in range(n):
                rows.append(
                    {
                        "kind": "投诉" if j % 2 else "举报",
                        "unit": unit,
                        "registered_at": f"{month}-{1 + j % 27:02d} 09:00",
                        "goods_category": "食品",
                    }
                )
            # Consultations never count.
            rows.append(
                {"kind": "咨询", "unit": unit, "registered_at": f"{month}-03", "goods_category": "食品"}
            )
    return make_cases(rows)


@pytest.mark.parametrize(("extra_units", "alpha", "upper"), [(0, 0.01, 11), (1, 0.005, 12)])
def test_spike_chart_series_band_and_flag(extra_units, alpha, upper):
    cases = _planted(extra_units)
    (finding,) = [f for f in spikes(cases, month="2022-02", by=("unit",)) if f.kind == "spike"]
    assert finding.numbers["threshold"] == pytest.approx(alpha)  # 0.01 / number of series tested
    fig = spike_chart(cases, finding)
    assert isinstance(fig, Figure)
    series = _artist(fig, "kw-series")
    # The data start in 2021-01: 14 months, not 24; hand count 5 a month, then 40.
    assert list(series.get_ydata()) == [5] * 13 + [40]
    flagged = _artist(fig, "kw-flagged")
    assert (list(flagged.get_xdata()), list(flagged.get_ydata())) == ([13], [40])
    assert set(_artist(fig, "kw-baseline").get_ydata()) == {5.0}
    # Poisson(5): P(X >= 12) = 0.00545, P(X >= 13) = 0.00202 (tables): largest count not flagged
    # at alpha 0.01 is 11, at 0.005 it is 12; and the same by summing the pmf here.
    band = _artist(fig, "kw-band-upper")
    assert set(band.get_ydata()) == {upper} == {_hand_upper(5.0, alpha)}
    # The band covers the test's 12-month window and the flagged month.
    assert list(band.get_xdata()) == [0.5, 13.5]
    texts = " ".join(t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")))
    assert "甲所" in texts and "2022-02：40 件" in texts and f"0–{upper} 件" in texts
    assert _png(fig).startswith(b"\x89PNG")


def test_spike_chart_last_24_months_only_and_category_series():
    rows = []
    months = [str(p) for p in pd.period_range("2019-01", "2022-02", freq="M")]  # 38 months
    for i, month in enumerate(months):
        n = 30 if month == "2022-02" else 3 + i % 2
        rows += [
            {
                "kind": "投诉",
                "unit": f"{'甲' if j % 2 else '乙'}所",
                "registered_at": f"{month}-10",
                "goods_category": "教育培训服务",
            }
            for j in range(n)
        ]
        rows += [
            {"kind": "投诉", "unit": "甲所", "registered_at": f"{month}-11", "goods_category": "食品"}
        ] * 4
    cases = make_cases(rows)
    found = [
        f for f in spikes(cases, month="2022-02", by=("goods_category",), explain_by=()) if f.kind == "spike"
    ]
    (finding,) = found
    assert finding.numbers["value"] == "教育培训服务"
    series = spike_series(cases, finding)
    assert list(series.index) == months[-24:]
    expected = [30 if m == "2022-02" else 3 + months.index(m) % 2 for m in months[-24:]]
    assert series.tolist() == expected
    fig = spike_chart(cases, finding, months=24)
    assert list(_artist(fig, "kw-series").get_ydata()) == expected
    # Baseline: the 12 months before, alternating 3 and 4 -> 3.5 exactly.
    assert set(_artist(fig, "kw-baseline").get_ydata()) == {3.5}
    assert set(_artist(fig, "kw-band-upper").get_ydata()) == {_hand_upper(3.5, finding.numbers["threshold"])}
    title = fig.get_suptitle()
    assert "教育培训服务" in title and "2020-03 至 2022-02" in title
    _png(fig)


def test_spike_chart_refuses_other_findings():
    cases = _planted()
    with pytest.raises(KwstatsError, match="异常增长"):
        spike_chart(cases, Finding(kind="threshold", message="x", unit="甲所", month="2022-02"))
    ghost = Finding(
        kind="spike",
        message="x",
        month="2022-02",
        numbers={"field": "unit", "value": "不存在所", "baseline": 1.0, "threshold": 0.01, "window": 12},
    )
    with pytest.raises(KwstatsError, match="不存在所"):
        spike_chart(cases, ghost)


def test_poisson_upper_against_hand_sums():
    for lam, alpha in [(5.0, 0.01), (5.0, 0.005), (0.4, 0.05), (103.0833, 0.00020833), (32.75, 1e-6)]:
        assert poisson_upper(lam, alpha) == _hand_upper(lam, alpha)
    assert poisson_upper(0.0, 0.01) == 0  # nothing expected: any case at all is beyond the range
    assert poisson_upper(5.0, 0.0) is None


# --- unit trends and heat map --------------------------------------------------------------------


@pytest.fixture
def small_branch(branch):
    roster = [RosterEntry(seq=1, unit="甲所"), RosterEntry(seq=2, unit="乙所")]
    return branch.model_copy(update={"roster": roster, "closure_rate_threshold": 80.0})


@pytest.fixture
def three_months():
    """甲所: Jan 4 accepted (3 closed in Jan), Feb 5 (2 closed in Feb, 1 in March), none in March.
    乙所: 2 in March, both closed. Plus a consultation and an off-roster case that never count."""
    rows = []
    for j in range(4):
        rows.append(
            {
                "kind": "投诉",
                "unit": "甲所",
                "registered_at": "2022-01-05",
                "closed_at": "2022-01-20" if j < 3 else None,
            }
        )
    for j in range(5):
        closed = "2022-02-25" if j < 2 else ("2022-03-02" if j == 2 else None)
        rows.append({"kind": "举报", "unit": "甲所", "registered_at": "2022-02-07", "closed_at": closed})
    rows.append({"kind": "咨询", "unit": "甲所", "registered_at": "2022-03-01", "closed_at": "2022-03-01"})
    rows.append({"kind": "投诉", "unit": "名册外所", "registered_at": "2022-03-01"})
    rows += [{"kind": "投诉", "unit": "乙所", "registered_at": "2022-03-10", "closed_at": "2022-03-15"}] * 2
    return make_cases(rows)


def test_unit_trends_plots_hand_counts(three_months, small_branch):
    fig = unit_trends(three_months, small_branch, "2022-03", months=3)
    assert _bars(fig, "kw-accepted:甲所") == [4, 5, 0]
    assert _bars(fig, "kw-accepted:乙所") == [0, 0, 2]
    # Rates truncated as the reference: 3/4 = 75%, 2/5 = 40% (the March closure is after Feb's end).
    rate = _artist(fig, "kw-rate:甲所").get_ydata()
    assert list(rate[:2]) == [75.0, 40.0] and math.isnan(rate[2])
    rate_b = _artist(fig, "kw-rate:乙所").get_ydata()
    assert math.isnan(rate_b[0]) and math.isnan(rate_b[1]) and rate_b[2] == 100.0
    below = _artist(fig, "kw-below:甲所")
    assert (list(below.get_xdata()), list(below.get_ydata())) == ([0, 1], [75.0, 40.0])
    assert set(_artist(fig, "kw-threshold:甲所").get_ydata()) == {80.0}
    assert len(_artist(fig, "kw-below:乙所").get_xdata()) == 0
    # The roster's units only: no panel for the off-roster unit.
    assert not [a for a in fig.findobj() if (a.get_gid() or "").endswith("名册外所")]
    _png(fig)


def test_unit_trends_cutoff_limits_the_last_month(three_months, small_branch):
    # Cut off on March 12: 乙所's two cases were registered on the 10th but closed on the 15th.
    fig = unit_trends(three_months, small_branch, "2022-03", months=2, cutoff="2022-03-12")
    assert _bars(fig, "kw-accepted:乙所") == [0, 2]
    assert list(_artist(fig, "kw-rate:乙所").get_ydata()[1:]) == [0.0]


def test_rate_heatmap_values_marks_and_percent(three_months, small_branch):
    fig = rate_heatmap(three_months, small_branch, "2022-03", months=3)
    cells = {a.get_gid(): a.get_text() for a in fig.findobj() if (a.get_gid() or "").startswith("kw-cell:")}
    assert cells == {
        "kw-cell:甲所:2022-01": "75%",
        "kw-cell:甲所:2022-02": "40%",
        "kw-cell:甲所:2022-03": "—",
        "kw-cell:乙所:2022-01": "—",
        "kw-cell:乙所:2022-02": "—",
        "kw-cell:乙所:2022-03": "100%",
    }
    marked = sorted(a.get_gid() for a in fig.findobj() if (a.get_gid() or "").startswith("kw-below:"))
    assert marked == ["kw-below:甲所:2022-01", "kw-below:甲所:2022-02"]
    mark = _artist(fig, "kw-below:甲所:2022-02")
    assert mark.get_hatch() and mark.get_linewidth() >= 1
    _png(fig)


def test_rate_heatmap_two_decimals_rule_and_precomputed_history(small_branch):
    branch = small_branch.model_copy(update={"rate_rule": "two_decimals"})
    rows = [
        {
            "kind": "投诉",
            "unit": "甲所",
            "registered_at": "2022-05-02",
            "closed_at": "2022-05-09" if j < 2 else None,
        }
        for j in range(3)
    ]
    rows += [{"kind": "投诉", "unit": "乙所", "registered_at": "2022-05-02", "closed_at": "2022-05-03"}] * 7
    rows.append({"kind": "投诉", "unit": "乙所", "registered_at": "2022-05-02"})
    cases = make_cases(rows)
    history = threshold_history(cases, branch, "2022-05", months=1)
    fig = rate_heatmap(cases, branch, "2022-05", months=1, history=history)
    cells = {a.get_gid(): a.get_text() for a in fig.findobj() if (a.get_gid() or "").startswith("kw-cell:")}
    # 2/3 = 66.67 %, 7/8 = 87.50 % (two decimals, by hand).
    assert cells == {"kw-cell:甲所:2022-05": "66.67%", "kw-cell:乙所:2022-05": "87.50%"}
    assert [a.get_gid() for a in fig.findobj() if (a.get_gid() or "").startswith("kw-below:")] == [
        "kw-below:甲所:2022-05"
    ]
    _png(fig)


def test_charts_with_a_month_without_any_case(small_branch):
    cases = make_cases([{"kind": "投诉", "unit": "甲所", "registered_at": "2022-01-05"}])
    fig = unit_trends(cases, small_branch, "2022-02", months=2)
    assert _bars(fig, "kw-accepted:甲所") == [1, 0]
    heat = rate_heatmap(cases, small_branch, "2022-02", months=2)
    texts = {a.get_gid(): a.get_text() for a in heat.findobj() if (a.get_gid() or "").startswith("kw-cell:")}
    assert texts["kw-cell:甲所:2022-01"] == "0%" and texts["kw-cell:甲所:2022-02"] == "—"
    assert np.isnan(_artist(fig, "kw-rate:乙所").get_ydata()).all()
    _png(fig)
    _png(heat)


def _texts_inside_and_apart(fig: Figure) -> None:
    """Every visible text lies inside the figure, and no two axes' titles overlap."""
    fig.canvas.draw()  # an Agg canvas: Figure's own is attached by savefig in _png
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    for text in fig.findobj(lambda a: hasattr(a, "get_text") and a.get_visible() and a.get_text()):
        box = text.get_window_extent(renderer)
        assert page.x0 - 1 <= box.x0 and box.x1 <= page.x1 + 1, f"{text.get_text()!r} runs off the side"
        assert page.y0 - 1 <= box.y0 and box.y1 <= page.y1 + 1, f"{text.get_text()!r} runs off the top/bottom"
    titles = [
        t.get_window_extent(renderer)
        for ax in fig.axes
        if ax.get_visible() and ax.get_title(loc="left")
        for t in ax.findobj(Text)
        if t.get_text() == ax.get_title(loc="left")
    ]
    for i, a in enumerate(titles):
        for b in titles[i + 1 :]:
            assert not a.overlaps(b), "two panel titles overlap"


@pytest.mark.parametrize(
    "names",
    [
        ["甲所"],  # one unit: one panel, one heat-map row
        ["市场监督管理局经济技术开发区综合执法大队", "乙所", "丙所", "丁所"],  # a long name
        ["乙所", "丙所", "宽城区第一市场监督管理所长名称测试单位甲"],  # a long name in the last column
        ["甲所", "长春市宽城区市场监督管理局" * 3],  # a name no panel can hold: shortened with …
    ],
)
def test_charts_fit_rosters_the_sample_does_not_have(branch, names):
    """The charts' margins are fixed in inches (no layout engine): a one-unit roster and a unit with a
    long name still keep every text on the page and the panel titles apart."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    roster = [RosterEntry(seq=i + 1, unit=u) for i, u in enumerate(names)]
    small = branch.model_copy(update={"roster": roster, "closure_rate_threshold": 80.0})
    rows = [
        {"kind": "投诉", "unit": u, "registered_at": f"2022-0{m}-05", "closed_at": f"2022-0{m}-09"}
        for u in names
        for m in (1, 2, 3)
    ]
    cases = make_cases(rows)
    for fig in (
        unit_trends(cases, small, "2022-03", months=3),
        rate_heatmap(cases, small, "2022-03", months=3),
    ):
        FigureCanvasAgg(fig)
        _texts_inside_and_apart(fig)
