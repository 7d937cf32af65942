"""The bulletin's chart 受理、办结情况示意图, readable when printed on A4 in black and white."""

from __future__ import annotations

import base64
import io
import math

import matplotlib.ticker as mticker
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text

from kwstats.exceptions import KwstatsError
from kwstats.fonts import use_cjk_font

DEFAULT_TITLE = "受理、办结情况示意图"
REQUIRED_COLUMNS = ("unit", "accepted", "closed", "closure_rate_pct")

ACCEPTED_LABEL = "受理量"
CLOSED_LABEL = "总计办结"

# Grey levels that stay apart on a black-and-white print; hatching carries the meaning too.
ACCEPTED_STYLE = {"facecolor": "#4d4d4d", "hatch": ""}
CLOSED_STYLE = {"facecolor": "#d0d0d0", "hatch": "////"}
RATE_OK_STYLE = {"facecolor": "#ffffff", "hatch": ""}
RATE_BELOW_STYLE = {"facecolor": "#a6a6a6", "hatch": "xxx"}
EDGE = "#000000"

FIGSIZE = (7.2, 7.0)  # inches: fits the A4 portrait text width (180 mm) at ~100 %
SCREEN_DPI = 150
PRINT_DPI = 200


def roster_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The unit table without its ``*``/全局 row(s), in roster order."""
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise KwstatsError(
            f"单位统计表缺少列：{'、'.join(missing)}（需要 {'、'.join(REQUIRED_COLUMNS)}），无法作图。"
        )
    is_global = table["unit"].astype("string").str.strip().eq("全局").fillna(False)
    if "seq" in table.columns:
        is_global |= table["seq"].astype("string").str.strip().eq("*").fillna(False)
    rows = table.loc[~is_global.to_numpy(dtype=bool)].reset_index(drop=True)
    if rows.empty:
        raise KwstatsError("单位统计表中没有单位行（只有全局行或为空），无法作图。")
    return rows


def units_below(table: pd.DataFrame, threshold: float) -> list[str]:
    """Units whose closure rate is under the threshold (units without cases are not under it)."""
    rows = roster_rows(table)
    rates = pd.to_numeric(rows["closure_rate_pct"], errors="coerce")
    return [str(u) for u, r in zip(rows["unit"], rates, strict=True) if pd.notna(r) and r < threshold]


def _pct(value: float) -> str:
    """72.0 -> '72%', 72.73 -> '72.73%'."""
    return f"{value:g}%"


def _style_bars(patches: list, style: dict[str, str]) -> None:
    for patch in patches:
        patch.set_facecolor(style["facecolor"])
        patch.set_hatch(style["hatch"])
        patch.set_edgecolor(EDGE)
        patch.set_linewidth(0.6)


def unit_chart(table: pd.DataFrame, threshold: float, title: str | None = None) -> Figure:
    """Two panels per roster unit: 受理量 vs 总计办结 (bars), 办结率 against the threshold.

    ``table`` is the unit table (columns as in the reference CSV, first row ``*``/全局 is
    skipped). Units under ``threshold`` get a crosshatched grey bar, a bold name and are
    listed under the chart. Returns a matplotlib Figure not managed by pyplot (display it with
    ``IPython.display.display(fig)`` or save it).
    """
    font = use_cjk_font()
    rows = roster_rows(table)
    units = [str(u) for u in rows["unit"]]
    accepted = pd.to_numeric(rows["accepted"], errors="coerce").fillna(0).astype(int).tolist()
    closed = pd.to_numeric(rows["closed"], errors="coerce").fillna(0).astype(int).tolist()
    rates = pd.to_numeric(rows["closure_rate_pct"], errors="coerce").astype(float).tolist()
    below = set(units_below(table, threshold))

    with sns.axes_style("ticks", {"axes.grid": True, "grid.color": "#d9d9d9", "grid.linestyle": ":"}):
        fig = Figure(figsize=FIGSIZE, dpi=SCREEN_DPI, layout="constrained", facecolor="white")
        ax_count, ax_rate = fig.subplots(2, 1, sharex=True, height_ratios=(1, 1))

    # Panel 1: accepted vs closed, grouped bars with their values.
    long = pd.DataFrame(
        {
            "单位": units * 2,
            "指标": [ACCEPTED_LABEL] * len(units) + [CLOSED_LABEL] * len(units),
            "件数": accepted + closed,
        }
    )
    sns.barplot(
        data=long,
        x="单位",
        y="件数",
        hue="指标",
        order=units,
        hue_order=[ACCEPTED_LABEL, CLOSED_LABEL],
        palette=[ACCEPTED_STYLE["facecolor"], CLOSED_STYLE["facecolor"]],
        errorbar=None,
        legend=False,
        ax=ax_count,
    )
    bars_accepted, bars_closed = ax_count.containers[0], ax_count.containers[1]
    _style_bars(list(bars_accepted), ACCEPTED_STYLE)
    _style_bars(list(bars_closed), CLOSED_STYLE)
    for container, values in ((bars_accepted, accepted), (bars_closed, closed)):
        ax_count.bar_label(container, labels=[str(v) for v in values], padding=1.5, fontsize=6, rotation=90)
    top = max([*accepted, *closed, 1])
    ax_count.set_ylim(0, top * 1.22 + 1)
    ax_count.yaxis.set_major_locator(mticker.MaxNLocator(integer=True, nbins=6))
    ax_count.set_ylabel("件数")
    ax_count.set_xlabel("")
    ax_count.set_title("受理量与总计办结（件）", fontsize=10, loc="left")
    ax_count.legend(
        handles=[
            Patch(facecolor=ACCEPTED_STYLE["facecolor"], edgecolor=EDGE, label=ACCEPTED_LABEL),
            Patch(
                facecolor=CLOSED_STYLE["facecolor"],
                hatch=CLOSED_STYLE["hatch"],
                edgecolor=EDGE,
                label=CLOSED_LABEL,
            ),
        ],
        loc="upper right",
        ncols=2,
        fontsize=8,
        frameon=True,
        edgecolor="#808080",
    )

    # Panel 2: closure rate against the threshold.
    plotted = [0.0 if math.isnan(r) else r for r in rates]
    sns.barplot(x=units, y=plotted, order=units, color=RATE_OK_STYLE["facecolor"], errorbar=None, ax=ax_rate)
    rate_bars = list(ax_rate.containers[0])
    for unit, rate, bar in zip(units, rates, rate_bars, strict=True):
        is_below = unit in below
        _style_bars([bar], RATE_BELOW_STYLE if is_below else RATE_OK_STYLE)
        bar.set_gid(f"rate-below:{unit}" if is_below else f"rate:{unit}")
        x = bar.get_x() + bar.get_width() / 2
        if math.isnan(rate):
            bar.set_visible(False)
            ax_rate.text(x, 2, "无受理", ha="center", va="bottom", rotation=90, fontsize=6, color="#404040")
        else:
            ax_rate.text(
                x,
                rate + 1.5,
                _pct(rate),
                ha="center",
                va="bottom",
                fontsize=6.5,
                fontweight="bold" if is_below else "normal",
                bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"},
                zorder=4,
            )
    ax_rate.axhline(threshold, color="black", linestyle="--", linewidth=1.0, zorder=3)
    ax_rate.set_ylim(0, max(125.0, threshold + 25.0))
    ax_rate.yaxis.set_major_locator(mticker.FixedLocator([0, 20, 40, 60, 80, 100]))
    ax_rate.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _pos: f"{v:g}%"))
    ax_rate.set_ylabel("办结率")
    ax_rate.set_xlabel("")
    ax_rate.set_title("办结率（%）", fontsize=10, loc="left")
    ax_rate.legend(
        handles=[
            Patch(facecolor=RATE_OK_STYLE["facecolor"], edgecolor=EDGE, label="达到阈值"),
            Patch(
                facecolor=RATE_BELOW_STYLE["facecolor"],
                hatch=RATE_BELOW_STYLE["hatch"],
                edgecolor=EDGE,
                label="低于阈值",
            ),
            Line2D([], [], color="black", linestyle="--", linewidth=1.0, label=f"{_pct(threshold)} 阈值"),
        ],
        loc="upper right",
        ncols=3,
        fontsize=8,
        frameon=True,
        edgecolor="#808080",
    )

    for label in ax_rate.get_xticklabels():
        label.set_rotation(45)
        label.set_horizontalalignment("right")
        label.set_rotation_mode("anchor")
        label.set_fontsize(8)
        if label.get_text() in below:
            label.set_fontweight("bold")
    ax_count.tick_params(axis="x", length=0)
    for ax in (ax_count, ax_rate):
        ax.tick_params(axis="y", labelsize=8)
        ax.set_axisbelow(True)
        sns.despine(ax=ax)

    under = "、".join(u for u in units if u in below) or "无"
    fig.supxlabel(f"低于 {_pct(threshold)} 阈值的单位：{under}", x=0.01, ha="left", fontsize=8)
    fig.get_layout_engine().set(h_pad=0.08)
    fig.suptitle(title or DEFAULT_TITLE, fontsize=12, fontweight="bold")

    # Pin the family on every text so later rcParams changes (e.g. sns.set_theme) cannot undo it.
    for text in fig.findobj(Text):
        text.set_fontfamily([font.name, "DejaVu Sans"])
    return fig


def figure_to_png_bytes(fig: Figure, dpi: int = PRINT_DPI) -> bytes:
    """PNG bytes of the figure at print resolution."""
    buf = io.BytesIO()
    # constrained layout already fits the labels: bbox_inches="tight" would cost a second full draw
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


def figure_to_data_uri(fig: Figure, dpi: int = PRINT_DPI) -> str:
    """``data:image/png;base64,…`` for embedding the figure in HTML without any external file."""
    return "data:image/png;base64," + base64.b64encode(figure_to_png_bytes(fig, dpi)).decode("ascii")
