"""The analyst's charts: a spike against its expected range, per-unit trends, a heat map of 办结率.

Plain functions over the canonical case table that return matplotlib Figures (not managed by
pyplot: display them with ``IPython.display.display(fig)`` or save them). Every number drawn is
computed from case rows by kwstats.investigate, the same functions the analyst tables use, so a
chart and its table never disagree. Print-friendly: white background, fonts of 7 pt and more,
meaning carried by shape and hatching as well as colour. Chinese text uses the CJK font that
kwstats.fonts resolves (the bulletin's chart does the same).

Artists that carry data have a ``gid`` (``kw-series``, ``kw-accepted:<unit>`` …) so tests and
tools can read back exactly what was drawn.
"""

from __future__ import annotations

import math
import re
from typing import Any

import matplotlib.colors as mcolors
import matplotlib.ticker as mticker
import matplotlib.transforms as mtransforms
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.text import Text

from kwstats.checks import Finding
from kwstats.exceptions import KwstatsError
from kwstats.fonts import use_cjk_font
from kwstats.indicators import resolve_cutoff
from kwstats.investigate import BY_LABELS, SPIKE_WINDOW, monthly_counts, poisson_sf, threshold_history
from kwstats.params import Branch, parse_month
from kwstats.rates import format_rate

WIDTH = 7.2  # inches: the A4 portrait text width (180 mm), as the bulletin's chart
SCREEN_DPI = 150
INK = "#000000"
SERIES_COLOR = "#1f3f66"  # dark blue: reads as near-black on a grey print
BAND_COLOR = "#c6dbef"
BELOW_FACE = "#fddbc7"
BELOW_EDGE = "#b2182b"
ACCEPTED_FACE = "#bdbdbd"
RATE_TOP = 110.0  # %: the top of a trend panel's rate scale
_MONTH_RE = re.compile(r"^\d{4}-\d{2}$")


# ---------------------------------------------------------------------------------------------
# helpers


def _month_key(month: str) -> str:
    year, mon = parse_month(month)
    return f"{year:04d}-{mon:02d}"


def _pin_font(fig: Figure, font_name: str) -> None:
    """Pin the CJK family on every text, so later rcParams changes cannot undo it."""
    for text in fig.findobj(Text):
        text.set_fontfamily([font_name, "DejaVu Sans"])


def _pct(value: float) -> str:
    return f"{value:g}%"


def _series_name(field: str, value: str) -> str:
    return value if field == "unit" else f"{BY_LABELS.get(field, field)}“{value}”"


def _month_ticks(ax: Any, months: list[str], every: int, keep: tuple[str, ...] = ()) -> None:
    """One tick per month; a label every `every` months (counted back from the last) and on `keep`."""
    n = len(months)
    ax.set_xticks(range(n))
    labels = [m if ((n - 1 - i) % every == 0 or m in keep) else "" for i, m in enumerate(months)]
    ax.set_xticklabels(labels)


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


# ---------------------------------------------------------------------------------------------
# 1. a spike against its expected range


def spike_series(cases: pd.DataFrame, finding: Finding, months: int = 24) -> pd.Series:
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
    month = _month_key(finding.month or "")
    grid = monthly_counts(cases, field, cutoff=resolve_cutoff(month))
    if month not in grid.index or value not in grid.columns:
        raise KwstatsError(
            f"案件表中找不到 {_series_name(field, value)} 在 {month} 的受理件，无法作图"
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


def spike_chart(cases: pd.DataFrame, finding: Finding, months: int = 24) -> Figure:
    """A spike finding's series over the last `months` months with the range its test expects.

    The series (its numbers' field = value) is counted from the case rows as the spike test counts
    it (受理量 by month of registration). Over the test's window and the flagged month, the band
    is the range the finding's own test accepts: from 0 to the largest count that a Poisson test
    with the finding's baseline mean and its corrected threshold (numbers["threshold"]) does not
    flag; the dashed line is the baseline mean; the flagged month is a black diamond with its count.
    """
    series = spike_series(cases, finding, months)
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
        fig = Figure(figsize=(WIDTH, 3.9), dpi=SCREEN_DPI, layout="constrained", facecolor="white")
        ax = fig.subplots()

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
    _month_ticks(ax, labels, every=3, keep=(month,))
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
        f"{_series_name(field, value)} 月受理量（{labels[0]} 至 {month}）", fontsize=11, fontweight="bold"
    )
    fig.supxlabel(
        f"阴影：按前 {window} 个月平均和{corrected}，泊松检验不判为异常的件数范围；{test}本月 {count} 件。",
        x=0.01,
        ha="left",
        fontsize=8,
    )
    _pin_font(fig, font.name)
    return fig


# ---------------------------------------------------------------------------------------------
# 2. per-unit trends and 3. the heat map


def month_columns(history: pd.DataFrame) -> list[str]:
    """The month columns ('YYYY-MM') of a threshold history, oldest first."""
    return [c for c in history.columns if isinstance(c, str) and _MONTH_RE.match(c)]


def _history(
    cases: pd.DataFrame, branch: Branch, month: str, months: int, cutoff: Any, history: pd.DataFrame | None
) -> tuple[list[str], pd.DataFrame]:
    """The threshold history's month columns and its rates (roster units × months)."""
    table = history if history is not None else threshold_history(cases, branch, month, months, cutoff)
    cols = month_columns(table)[-months:]
    rates = table.set_index("单位名称")[cols].astype("float64")
    return cols, rates


def unit_trends(
    cases: pd.DataFrame,
    branch: Branch,
    month: str,
    months: int = 12,
    cutoff: Any = None,
    *,
    history: pd.DataFrame | None = None,
) -> Figure:
    """Small multiples, one per roster unit: monthly 受理量 (bars) and 办结率 (line) with the threshold.

    Counts are accepted cases by month of registration (investigate.monthly_counts); rates are the
    threshold history's (investigate.threshold_history: each month as of its own month end, `month`
    as of the cutoff, by the branch's rate rule). Rates under branch.closure_rate_threshold are
    filled triangles; a unit under it in `month` has its name in bold. `history` may pass a
    threshold_history table already computed for the same month and cutoff.
    """
    month = _month_key(month)
    cols, rates = _history(cases, branch, month, months, cutoff, history)
    counts = monthly_counts(cases, "unit", cutoff=resolve_cutoff(month, cutoff))
    accepted = counts.reindex(index=cols, columns=branch.units, fill_value=0).fillna(0).astype("int64")
    threshold = branch.closure_rate_threshold

    font = use_cjk_font()
    units = branch.units
    ncols = 3
    nrows = max(1, math.ceil(len(units) / ncols))
    with sns.axes_style("ticks", {"axes.grid": False}):
        fig = Figure(
            figsize=(WIDTH, 1.45 * nrows + 1.0), dpi=SCREEN_DPI, layout="constrained", facecolor="white"
        )
        axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True)).ravel()
    x = np.arange(len(cols))
    for i, ax in enumerate(axes):
        if i >= len(units):
            ax.set_visible(False)
            continue
        unit = units[i]
        counts_u = accepted[unit].to_numpy(dtype="int64")
        rate_u = rates.loc[unit].to_numpy(dtype="float64")
        ax.bar(
            x,
            counts_u,
            width=0.7,
            color=ACCEPTED_FACE,
            edgecolor="#737373",
            linewidth=0.4,
            gid=f"kw-accepted:{unit}",
        )
        ax.set_ylim(0, max(int(counts_u.max()) if len(counts_u) else 0, 1) * 1.25)
        ax.yaxis.set_major_locator(mticker.MaxNLocator(integer=True, nbins=3))
        ax.tick_params(axis="y", labelsize=7, length=2, pad=1)
        ax.tick_params(axis="x", labelsize=7, length=2, pad=1)
        # The rate shares the panel: x in months, y from 0 to RATE_TOP % over the panel's height, its
        # scale written on the right (a twin axes per panel would double the chart's drawing time).
        rate_tf = mtransforms.blended_transform_factory(
            ax.transData, mtransforms.Affine2D().scale(1, 1 / RATE_TOP) + ax.transAxes
        )
        # Lines on the rate scale are added as artists: they must not stretch the bars' data limits
        # (and working out how they would is most of a panel's cost).
        rate_lines = [
            Line2D(
                [-0.5, len(cols) - 0.5],
                [threshold, threshold],
                color=BELOW_EDGE,
                linestyle="--",
                linewidth=0.8,
                gid=f"kw-threshold:{unit}",
            ),
            Line2D(x, rate_u, color=SERIES_COLOR, linewidth=1.2, gid=f"kw-rate:{unit}"),
        ]
        ok = ~np.isnan(rate_u) & (rate_u >= threshold)
        below = ~np.isnan(rate_u) & (rate_u < threshold)
        rate_lines.append(
            Line2D(x[ok], rate_u[ok], linestyle="none", marker="o", markersize=2.8, color=SERIES_COLOR)
        )
        rate_lines.append(
            Line2D(
                x[below],
                rate_u[below],
                linestyle="none",
                marker="v",
                markersize=4,
                color=BELOW_EDGE,
                gid=f"kw-below:{unit}",
            )
        )
        for line in rate_lines:
            line.set_transform(rate_tf)
            ax.add_artist(line)
        for v in (0, threshold, 100):
            ax.add_artist(
                Line2D(
                    [1.0, 1.025],
                    [v / RATE_TOP] * 2,
                    transform=ax.transAxes,
                    clip_on=False,
                    color=SERIES_COLOR,
                    lw=0.6,
                )
            )
            ax.text(
                1.035,
                v / RATE_TOP,
                f"{v:g}%",
                transform=ax.transAxes,
                ha="left",
                va="center",
                fontsize=7,
                color=SERIES_COLOR,
            )
        if not counts_u.any():
            ax.text(
                0.5,
                0.5,
                "无受理",
                transform=ax.transAxes,
                ha="center",
                va="center",
                fontsize=8,
                color="#595959",
            )
            ax.set_yticks([])
        last = rate_u[-1] if len(rate_u) else float("nan")
        is_below = not math.isnan(last) and last < threshold
        now = format_rate(last, branch.rate_rule) or "无受理"
        ax.set_title(
            f"{unit}（本月 {int(counts_u[-1]) if len(counts_u) else 0} 件，{now}）",
            fontsize=8,
            loc="left",
            fontweight="bold" if is_below else "normal",
            color=BELOW_EDGE if is_below else INK,
            pad=2,
        )
        ax.spines["top"].set_visible(False)
    _month_ticks(axes[0], [c[2:] for c in cols], every=3)  # the panels share their x axis and its ticks
    fig.suptitle(f"各单位月受理量与办结率（{cols[0]} 至 {cols[-1]}）", fontsize=11, fontweight="bold")
    fig.legend(
        handles=[
            Patch(facecolor=ACCEPTED_FACE, edgecolor="#737373", label="受理量（件，左轴）"),
            Line2D([], [], color=SERIES_COLOR, marker="o", markersize=3, label="办结率（右轴）"),
            Line2D([], [], color=BELOW_EDGE, marker="v", linestyle="none", label="低于阈值的月份"),
            Line2D([], [], color=BELOW_EDGE, linestyle="--", linewidth=0.8, label=f"{_pct(threshold)} 阈值"),
        ],
        loc="outside lower center",
        ncols=4,
        fontsize=8,
        frameon=False,
        title="月份为登记月份（年-月）；办结率按各月月末状态计算，本月按统计截止时间；无受理的月份不画办结率。",
        title_fontsize=7.5,
    )
    _pin_font(fig, font.name)
    return fig


def rate_heatmap(
    cases: pd.DataFrame,
    branch: Branch,
    month: str,
    months: int = 12,
    cutoff: Any = None,
    *,
    history: pd.DataFrame | None = None,
) -> Figure:
    """Roster units × months of 办结率 (the threshold history), each cell with its rate and "%".

    Cells under branch.closure_rate_threshold are hatched with a red border (so they stay marked on
    a black-and-white print); months without an accepted case are "—". `history` may pass a
    threshold_history table already computed for the same month and cutoff.
    """
    month = _month_key(month)
    cols, rates = _history(cases, branch, month, months, cutoff, history)
    threshold = branch.closure_rate_threshold
    rule = branch.rate_rule
    annot = np.array([[format_rate(v, rule) or "—" for v in row] for row in rates.to_numpy()], dtype=object)

    font = use_cjk_font()
    n_rows, n_cols = rates.shape
    fig = Figure(
        figsize=(WIDTH, max(0.3 * n_rows + 1.6, 2.8)), dpi=SCREEN_DPI, layout="constrained", facecolor="white"
    )
    ax = fig.subplots()
    # Colour grades the cells at or above the threshold (those under it are hatched over); the
    # palette stops at a medium blue so black text stays readable on screen and on a grey print.
    low = min(threshold, 99.0)
    cmap = mcolors.LinearSegmentedColormap.from_list("kw_rates", ["#f2f7fc", "#9ecae1", "#4a8fc4"])
    sns.heatmap(
        rates,
        ax=ax,
        cmap=cmap,
        vmin=low,
        vmax=100,
        annot=annot,
        fmt="",
        annot_kws={"fontsize": 7 if rule != "two_decimals" else 6},
        linewidths=0.6,
        linecolor="white",
        cbar_kws={
            "label": "办结率",
            "format": mticker.FuncFormatter(lambda v, _pos: f"{v:g}%"),
            "shrink": 0.8,
        },
    )
    # seaborn leaves blank (NaN) cells unannotated: they say "—" like the table.
    for r, c in zip(*np.nonzero(rates.isna().to_numpy()), strict=True):
        ax.text(c + 0.5, r + 0.5, "—", ha="center", va="center", fontsize=7, color="#595959")
    for text in ax.texts:
        col, row = text.get_position()
        r, c = int(row), int(col)
        value = rates.iat[r, c]
        text.set_gid(f"kw-cell:{rates.index[r]}:{cols[c]}")
        if not math.isnan(value) and value < threshold:
            text.set_fontweight("bold")
            text.set_bbox({"boxstyle": "square,pad=0.12", "facecolor": "white", "edgecolor": "none"})
    for r, unit in enumerate(rates.index):
        for c, col in enumerate(cols):
            value = rates.iat[r, c]
            if math.isnan(value) or value >= threshold:
                continue
            ax.add_patch(
                Rectangle(
                    (c + 0.04, r + 0.06),
                    0.92,
                    0.88,
                    facecolor=BELOW_FACE,
                    edgecolor=BELOW_EDGE,
                    hatch="///",
                    linewidth=1.4,
                    zorder=2,
                    gid=f"kw-below:{unit}:{col}",
                )
            )
    for text in ax.texts:
        text.set_zorder(3)
    cbar = ax.collections[0].colorbar
    if cbar is not None:
        cbar.ax.tick_params(labelsize=8)
        cbar.ax.yaxis.set_major_locator(mticker.MaxNLocator(nbins=5, steps=[1, 2, 5, 10]))
        cbar.set_label("办结率", fontsize=8)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xticklabels(cols, rotation=45, ha="right", rotation_mode="anchor", fontsize=8)
    ax.set_yticklabels(list(rates.index), rotation=0, fontsize=8)
    ax.tick_params(length=0)
    below_now = [
        u for u in rates.index if not math.isnan(rates.at[u, cols[-1]]) and rates.at[u, cols[-1]] < threshold
    ]
    for label in ax.get_yticklabels():
        if label.get_text() in below_now:
            label.set_fontweight("bold")
            label.set_color(BELOW_EDGE)
    fig.suptitle(f"各单位办结率（{cols[0]} 至 {cols[-1]}）", fontsize=11, fontweight="bold")
    fig.legend(
        handles=[
            Patch(
                facecolor=BELOW_FACE, edgecolor=BELOW_EDGE, hatch="////", label=f"低于 {_pct(threshold)} 阈值"
            ),
            Patch(facecolor="white", edgecolor="#808080", label="— 当月无受理"),
        ],
        loc="outside lower left",
        ncols=2,
        fontsize=8,
        frameon=False,
    )
    _pin_font(fig, font.name)
    return fig
