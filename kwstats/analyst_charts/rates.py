"""办结率 by unit and month: the per-unit trend panels and the heat map, from the threshold history."""

from __future__ import annotations

import math
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

from kwstats.aggregates import Aggregates
from kwstats.analyst_charts.layout import (
    ACCEPTED_FACE,
    BELOW_EDGE,
    BELOW_FACE,
    INK,
    MONTH_COLUMN,
    RATE_TOP,
    SCREEN_DPI,
    SERIES_COLOR,
    WIDTH,
    chart_month,
    inch_grid,
    month_ticks,
    pct,
    pin_font,
    text_width,
)
from kwstats.charts import tick_name
from kwstats.fonts import use_cjk_font
from kwstats.indicators import resolve_cutoff
from kwstats.investigate import monthly_counts, threshold_history
from kwstats.params import Branch
from kwstats.rates import format_rate


def month_columns(history: pd.DataFrame) -> list[str]:
    """The month columns ('YYYY-MM') of a threshold history, oldest first."""
    return [c for c in history.columns if isinstance(c, str) and MONTH_COLUMN.match(c)]


def _history(
    cases: pd.DataFrame,
    branch: Branch,
    month: str,
    months: int,
    cutoff: Any,
    history: pd.DataFrame | None,
    aggregates: Aggregates | None = None,
) -> tuple[list[str], pd.DataFrame]:
    """The threshold history's month columns and its rates (roster units × months)."""
    table = (
        history
        if history is not None
        else threshold_history(cases, branch, month, months, cutoff, aggregates=aggregates)
    )
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
    aggregates: Aggregates | None = None,
) -> Figure:
    """Small multiples, one per roster unit: monthly 受理量 (bars) and 办结率 (line) with the threshold.

    Counts are accepted cases by month of registration (investigate.monthly_counts); rates are the
    threshold history's (investigate.threshold_history: each month as of its own month end, `month`
    as of the cutoff, by the branch's rate rule). Rates under branch.closure_rate_threshold are
    filled triangles; a unit under it in `month` has its name in bold. `history` may pass a
    threshold_history table already computed for the same month and cutoff.
    """
    month = chart_month(month)
    cols, rates = _history(cases, branch, month, months, cutoff, history, aggregates)
    past = aggregates if aggregates is not None and aggregates.month == month else None
    counts = monthly_counts(cases, "unit", cutoff=resolve_cutoff(month, cutoff), aggregates=past)
    accepted = counts.reindex(index=cols, columns=branch.units, fill_value=0).fillna(0).astype("int64")
    threshold = branch.closure_rate_threshold

    font = use_cjk_font()
    units = branch.units
    ncols = 3
    nrows = max(1, math.ceil(len(units) / ncols))
    with sns.axes_style("ticks", {"axes.grid": False}):
        fig = Figure(figsize=(WIDTH, 1.45 * nrows + 1.0), dpi=SCREEN_DPI, facecolor="white")
        # Margins in inches, fixed: a layout engine would cost the chart a third of its drawing time.
        # A panel's title may run over the gap to its right; one longer than that takes two lines.
        # A title may run over the gap to the next panel (the last column: over the right margin);
        # one longer than that takes two lines, then a smaller font, then its name is shortened.
        panel = (WIDTH - 0.35 - 0.45 - 0.75 * (ncols - 1)) / ncols
        titles = [
            (*_fit_title(t, panel + (0.75 - 0.1 if i % ncols < ncols - 1 else 0.45 - 0.05), font.name), below)
            for i, (t, below) in enumerate(_trend_title(u, accepted[u], rates.loc[u], branch) for u in units)
        ]
        hgap = 0.45 if any("\n" in t for t, _size, _below in titles) else 0.3
        grid = inch_grid(
            fig, nrows, ncols, left=0.35, right=0.45, top=0.4 + hgap, bottom=0.8, wgap=0.75, hgap=hgap
        )
        axes = np.atleast_1d(grid.subplots(sharex=True)).ravel()
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
        title, size, is_below = titles[i]
        ax.set_title(
            title,
            fontsize=size,
            loc="left",
            fontweight="bold" if is_below else "normal",
            color=BELOW_EDGE if is_below else INK,
            pad=2,
        )
        ax.spines["top"].set_visible(False)
    month_ticks(axes[0], [c[2:] for c in cols], every=3)  # the panels share their x axis and its ticks
    fig.suptitle(f"各单位月受理量与办结率（{cols[0]} 至 {cols[-1]}）", fontsize=11, fontweight="bold")
    fig.legend(
        handles=[
            Patch(facecolor=ACCEPTED_FACE, edgecolor="#737373", label="受理量（件，左轴）"),
            Line2D([], [], color=SERIES_COLOR, marker="o", markersize=3, label="办结率（右轴）"),
            Line2D([], [], color=BELOW_EDGE, marker="v", linestyle="none", label="低于阈值的月份"),
            Line2D([], [], color=BELOW_EDGE, linestyle="--", linewidth=0.8, label=f"{pct(threshold)} 阈值"),
        ],
        loc="lower center",
        bbox_to_anchor=(0.5, 0.06 / fig.get_figheight()),
        ncols=4,
        fontsize=8,
        frameon=False,
        title="月份为登记月份（年-月）；办结率按各月月末状态计算，本月按统计截止时间；无受理的月份不画办结率。",
        title_fontsize=7.5,
    )
    pin_font(fig, font.name)
    return fig


def _fit_title(title: str, room: float, font_name: str) -> tuple[str, float]:
    """`title` (8 pt bold) fitted into `room` inches: as it is, on two lines (the unit's name, then
    the month's numbers), in a smaller font down to 6.5 pt, or with the name shortened by "…"."""

    def width(text: str, size: float) -> float:
        return max(text_width(line, font_name, size, bold=True) for line in text.split("\n"))

    if width(title, 8) <= room:
        return title, 8.0
    name, _, numbers = title.partition("（")
    lines = f"{name}\n（{numbers}"
    for size in (8.0, 7.5, 7.0, 6.5):
        if width(lines, size) <= room:
            return lines, size
    for chars in range(len(name), 1, -1):
        shown = f"{tick_name(name, chars)}\n（{numbers}"
        if width(shown, 6.5) <= room:
            return shown, 6.5
    return f"{tick_name(name, 2)}\n（{numbers}", 6.5


def _shortened(name: str, room: float, font_name: str) -> str:
    """`name` (8 pt bold) as it is if it fits `room` inches, else its head and tail around "…" (units
    of one bureau differ at the end), as the bulletin's chart shortens it."""
    for chars in range(len(name), 1, -1):
        shown = tick_name(name, chars)
        if text_width(shown, font_name, 8, bold=True) <= room:
            return shown
    return tick_name(name, 2)


def _trend_title(unit: str, accepted: pd.Series, rates: pd.Series, branch: Branch) -> tuple[str, bool]:
    """A trend panel's title (the unit, this month's 受理量 and 办结率) and whether it is under the
    threshold this month."""
    last = float(rates.iloc[-1]) if len(rates) else float("nan")
    now = format_rate(last, branch.rate_rule) or "无受理"
    count = int(accepted.iloc[-1]) if len(accepted) else 0
    return f"{unit}（本月 {count} 件，{now}）", not math.isnan(last) and last < branch.closure_rate_threshold


def rate_heatmap(
    cases: pd.DataFrame,
    branch: Branch,
    month: str,
    months: int = 12,
    cutoff: Any = None,
    *,
    history: pd.DataFrame | None = None,
    aggregates: Aggregates | None = None,
) -> Figure:
    """Roster units × months of 办结率 (the threshold history), each cell with its rate and "%".

    Cells under branch.closure_rate_threshold are hatched with a red border (so they stay marked on
    a black-and-white print); months without an accepted case are "—". `history` may pass a
    threshold_history table already computed for the same month and cutoff.
    """
    month = chart_month(month)
    cols, rates = _history(cases, branch, month, months, cutoff, history, aggregates)
    threshold = branch.closure_rate_threshold
    rule = branch.rate_rule
    annot = np.array([[format_rate(v, rule) or "—" for v in row] for row in rates.to_numpy()], dtype=object)

    font = use_cjk_font()
    n_rows, n_cols = rates.shape
    fig = Figure(figsize=(WIDTH, max(0.3 * n_rows + 1.6, 2.8)), dpi=SCREEN_DPI, facecolor="white")
    # margins in inches, fixed (a layout engine would cost a third of the drawing time); the colour
    # bar takes its share of the panel's width
    # the names' column as wide as the longest name, up to a third of the width (a longer name is
    # shortened with "…"; the table under the chart has it whole)
    names = [_shortened(str(u), WIDTH / 3 - 0.2, font.name) for u in rates.index]
    left = max((text_width(n, font.name, 8, bold=True) for n in names), default=0.0) + 0.2
    ax = fig.add_subplot(inch_grid(fig, 1, 1, left=left, right=0.2, top=0.45, bottom=0.9)[0, 0])
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
    ax.set_yticklabels(names, rotation=0, fontsize=8)
    ax.tick_params(length=0)
    below_now = [
        u for u in rates.index if not math.isnan(rates.at[u, cols[-1]]) and rates.at[u, cols[-1]] < threshold
    ]
    for unit, label in zip(rates.index, ax.get_yticklabels(), strict=True):
        if unit in below_now:
            label.set_fontweight("bold")
            label.set_color(BELOW_EDGE)
    fig.suptitle(f"各单位办结率（{cols[0]} 至 {cols[-1]}）", fontsize=11, fontweight="bold")
    fig.legend(
        handles=[
            Patch(
                facecolor=BELOW_FACE, edgecolor=BELOW_EDGE, hatch="////", label=f"低于 {pct(threshold)} 阈值"
            ),
            Patch(facecolor="white", edgecolor="#808080", label="— 当月无受理"),
        ],
        loc="lower left",
        bbox_to_anchor=(0.01, 0.04 / fig.get_figheight()),
        ncols=2,
        fontsize=8,
        frameon=False,
    )
    pin_font(fig, font.name)
    return fig
