"""A spike finding's series against the range its Poisson test expects."""

from __future__ import annotations

import math
from typing import Any

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from kwstats.aggregates import Aggregates
from kwstats.analyst_charts.layout import (
    BAND_COLOR,
    INK,
    SCREEN_DPI,
    SERIES_COLOR,
    WIDTH,
    chart_month,
    inch_grid,
    month_ticks,
    pin_font,
    series_name,
)
from kwstats.checks import Finding
from kwstats.exceptions import KwstatsError
from kwstats.fonts import use_cjk_font
from kwstats.indicators import resolve_cutoff
from kwstats.investigate import BY_LABELS, SPIKE_WINDOW, monthly_counts, poisson_sf


def poisson_upper(mean: float, alpha: float) -> int | None:
    """The largest count a one-sided Poisson test at level `alpha` does not flag.

    That is the (1 − alpha) quantile: the largest k with P(X ≥ k | mean) > alpha, so k + 1 is the
    first count flagged. Uses the same tail as the spike test (investigate.poisson_sf). None when
    alpha ≤ 0 (no count is ever flagged).
    """
    if alpha <= 0 or math.isnan(mean) or mean < 0:
        return None
    if alpha >= 1:
        return -1
    k = max(int(math.floor(mean)), 0)
    # P(X ≥ k) falls as k grows: step down while k is flagged, then up while k + 1 is not.
    while k > 0 and poisson_sf(k, mean) <= alpha:
        k -= 1
    if poisson_sf(k, mean) <= alpha:  # only at k == 0 with alpha ≥ 1, excluded above
        return k - 1
    while poisson_sf(k + 1, mean) > alpha:
        k += 1
    return k


def spike_series(
    cases: pd.DataFrame, finding: Finding, months: int = 24, *, aggregates: Aggregates | None = None
) -> pd.Series:
    """The spiking series' monthly accepted counts, up to the finding's month (index 'YYYY-MM').

    At most `months` months; fewer when the data starts later (months before the data are not
    zeros, they are unknown, so they are left out).
    """
    if finding.kind != "spike":
        raise KwstatsError(f"只有异常增长（spike）的发现才能画时间序列图，这一条是“{finding.label}”。")
    nums = finding.numbers
    field, value = str(nums.get("field", "")), str(nums.get("value", ""))
    if field not in BY_LABELS:
        raise KwstatsError(f"这条异常增长的发现没有可识别的序列字段（field=“{field}”），无法作图。")
    month = chart_month(finding.month or "")
    past = aggregates if aggregates is not None and aggregates.month == month else None
    cut = resolve_cutoff(month, nums.get("cutoff"))  # as of the cutoff the finding was counted at
    grid = monthly_counts(cases, field, cutoff=cut, aggregates=past)
    if month not in grid.index or value not in grid.columns:
        raise KwstatsError(
            f"案件表中找不到 {series_name(field, value)} 在 {month} 的受理件，无法作图"
            "（这条发现是否来自另一份数据？）。"
        )
    series = grid.loc[:month, value].astype("int64")
    return series.iloc[-months:]


def _exact_baseline(series: pd.Series, window: int, recorded: Any) -> float:
    """The mean of the `window` months before the last, as the spike test takes it.

    The finding records it rounded to two decimals; the unrounded mean from the series is used when
    the series holds the whole window and agrees with the record (else the record itself).
    """
    recorded_f = float(recorded) if recorded is not None else float("nan")
    if len(series) > window:
        exact = float(series.iloc[-window - 1 : -1].mean())
        if math.isnan(recorded_f) or abs(exact - recorded_f) <= 0.006:
            return exact
    return recorded_f


def spike_chart(
    cases: pd.DataFrame, finding: Finding, months: int = 24, *, aggregates: Aggregates | None = None
) -> Figure:
    """A spike finding's series over the last `months` months with the range its test expects.

    The series (its numbers' field = value) is counted from the case rows as the spike test counts
    it (受理量 by month of registration). Over the test's window and the flagged month, the band
    is the range the finding's own test accepts: from 0 to the largest count that a Poisson test
    with the finding's baseline mean and its corrected threshold (numbers["threshold"]) does not
    flag; the dashed line is the baseline mean; the flagged month is a black diamond with its count.
    """
    series = spike_series(cases, finding, months, aggregates=aggregates)
    nums = finding.numbers
    field, value = str(nums["field"]), str(nums["value"])
    month = series.index[-1]
    window = int(nums.get("window", SPIKE_WINDOW))
    baseline = _exact_baseline(series, window, nums.get("baseline"))
    alpha = float(nums.get("threshold", float("nan")))
    count = int(series.iloc[-1])
    upper = poisson_upper(baseline, alpha) if not math.isnan(alpha) else None

    font = use_cjk_font()
    labels = list(series.index)
    n = len(labels)
    x = np.arange(n)
    with sns.axes_style("ticks", {"axes.grid": True, "grid.color": "#d9d9d9", "grid.linestyle": ":"}):
        fig = Figure(figsize=(WIDTH, 3.9), dpi=SCREEN_DPI, facecolor="white")
        # margins in inches, fixed: a layout engine would cost a third of the drawing time
        ax = fig.add_subplot(inch_grid(fig, 1, 1, left=0.65, right=0.15, top=0.4, bottom=0.95)[0, 0])

    first_tested = max(n - 1 - window, 0)
    span = (first_tested - 0.5, n - 0.5)
    handles = []
    if upper is not None:
        ax.fill_between(span, 0, upper, color=BAND_COLOR, alpha=0.9, linewidth=0, zorder=1)
        ax.plot(
            span, (upper, upper), color="#4a6f96", linewidth=1.0, linestyle=":", gid="kw-band-upper", zorder=2
        )
        handles.append(
            Patch(
                facecolor=BAND_COLOR, edgecolor="#4a6f96", linestyle=":", label=f"检验预期范围：0–{upper} 件"
            )
        )
    if not math.isnan(baseline):
        ax.plot(
            span, (baseline, baseline), color=INK, linewidth=1.0, linestyle="--", gid="kw-baseline", zorder=3
        )
        handles.append(
            Line2D(
                [],
                [],
                color=INK,
                linestyle="--",
                linewidth=1.0,
                label=f"前 {window} 个月平均 {baseline:.1f} 件",
            )
        )
    ax.plot(
        x,
        series.to_numpy(dtype=float),
        color=SERIES_COLOR,
        linewidth=1.6,
        marker="o",
        markersize=3.5,
        markerfacecolor="white",
        gid="kw-series",
        zorder=4,
    )
    handles.insert(
        0, Line2D([], [], color=SERIES_COLOR, marker="o", markerfacecolor="white", label="月受理量")
    )
    ax.plot(
        [n - 1], [count], linestyle="none", marker="D", markersize=8, color=INK, gid="kw-flagged", zorder=5
    )
    handles.append(Line2D([], [], linestyle="none", marker="D", color=INK, label="异常增长月"))
    top = max(float(series.max()), float(upper or 0), baseline if not math.isnan(baseline) else 0.0, 1.0)
    ax.set_ylim(0, top * 1.22)
    ax.annotate(
        f"{month}：{count} 件",
        xy=(n - 1, count),
        xytext=(-8, 0),
        textcoords="offset points",
        ha="right",
        va="center",
        fontsize=9,
        fontweight="bold",
        bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none"},
        zorder=6,
    )
    month_ticks(ax, labels, every=3, keep=(month,))
    for label in ax.get_xticklabels():
        label.set_rotation(45)
        label.set_horizontalalignment("right")
        label.set_rotation_mode("anchor")
        label.set_fontsize(8)
    ax.tick_params(axis="y", labelsize=8)
    ax.yaxis.set_major_locator(mticker.MaxNLocator(integer=True, nbins=6))
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylabel("受理量（件）", fontsize=9)
    ax.set_axisbelow(True)
    sns.despine(ax=ax)
    ax.legend(handles=handles, loc="upper left", fontsize=8, ncols=2, frameon=True, edgecolor="#808080")

    p = nums.get("p")
    test = f"泊松检验 p = {float(p):.2g}，" if p is not None else ""
    corrected = f"校正后阈值 {alpha:.2g}" if not math.isnan(alpha) else "阈值未记录"
    fig.suptitle(
        f"{series_name(field, value)} 月受理量（{labels[0]} 至 {month}）", fontsize=11, fontweight="bold"
    )
    fig.supxlabel(
        f"阴影：按前 {window} 个月平均和{corrected}，泊松检验不判为异常的件数范围；{test}本月 {count} 件。",
        x=0.01,
        ha="left",
        fontsize=8,
    )
    pin_font(fig, font.name)
    return fig
