"""The bulletin's chart 受理、办结情况示意图, readable when printed on A4 in black and white.

The PNG holds the plot only: its caption is page text (``<figcaption>``) and its alt text says
what it shows, both produced here from the unit table (:func:`chart_html`).
"""

from __future__ import annotations

import base64
import html
import io
import math

import matplotlib.ticker as mticker
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text

from kwstats.exceptions import KwstatsError
from kwstats.fonts import bold_weight, use_cjk_font

CAPTION = "受理、办结情况示意图"
REQUIRED_COLUMNS = ("unit", "accepted", "closed", "closure_rate_pct")

ACCEPTED_LABEL = "受理量"
CLOSED_LABEL = "总计办结"
NO_CASES_LABEL = "无受理"

# Grey levels that stay apart on a black-and-white print; hatching carries the meaning too.
ACCEPTED_STYLE = {"facecolor": "#4d4d4d", "hatch": ""}
CLOSED_STYLE = {"facecolor": "#d0d0d0", "hatch": "////"}
RATE_OK_STYLE = {"facecolor": "#ffffff", "hatch": ""}
RATE_BELOW_STYLE = {"facecolor": "#a6a6a6", "hatch": "xxx"}
EDGE = "#000000"

FIGSIZE = (7.2, 3.8)  # inches: the A4 type area (156 mm) wide, short enough to share a page with the case
SCREEN_DPI = 150
PRINT_DPI = 200
COUNT_FONTSIZE = 6.5
RATE_FONTSIZE = 6.5
RATE_TOP = 115.0  # rate axis limit: room for a label over a 100 % bar
LABEL_GAP = 1.5  # rate-axis units between a bar's top and the label above it
INSIDE_GAP = 3.0  # rate-axis units between a bar's top and the label inside it (clear of the line)
LABEL_SPAN = 14.0  # rate-axis units a label needs at FIGSIZE (its height and a margin); a test checks


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


def units_without_cases(table: pd.DataFrame) -> list[str]:
    """Roster units that accepted nothing this month (no rate, no bars)."""
    rows = roster_rows(table)
    accepted = pd.to_numeric(rows["accepted"], errors="coerce").fillna(0)
    return [str(u) for u, a in zip(rows["unit"], accepted, strict=True) if a == 0]


def _pct(value: float) -> str:
    """72.0 -> '72%', 72.73 -> '72.73%'."""
    return f"{value:g}%"


def _style_bars(patches: list, style: dict[str, str]) -> None:
    for patch in patches:
        patch.set_facecolor(style["facecolor"])
        patch.set_hatch(style["hatch"])
        patch.set_edgecolor(EDGE)
        patch.set_linewidth(0.6)


def _legend_above(ax: Axes, handles: list) -> None:
    """The panel's legend in the band above the plot, right-aligned, so it never covers a bar."""
    ax.legend(
        handles=handles,
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncols=len(handles),
        fontsize=8,
        frameon=False,
        borderaxespad=0.2,
        handlelength=1.8,
        columnspacing=1.2,
    )


def rate_label_position(rate: float, threshold: float) -> tuple[float, str]:
    """(y, va) of a rate label: inside the top of a bar under the threshold, above any other bar.

    Above a bar just under the threshold (78 % under 80 %) a label would run into the dashed line,
    so every under-threshold label sits inside its bar, the same way for all of them; a bar too
    short to hold one keeps it above, where it clears the line.
    """
    if rate < threshold and rate >= LABEL_SPAN + INSIDE_GAP:
        return rate - INSIDE_GAP, "top"
    return rate + LABEL_GAP, "bottom"


TICK_NAME_CHARS = 12  # a unit's name on the chart's slanted axis; a longer one keeps its head and tail


def tick_name(unit: str, chars: int = TICK_NAME_CHARS) -> str:
    """A unit's name as the chart's axis shows it: whole up to `chars` characters, else its first
    half and its last characters around "…" (units of one bureau share their head and differ at
    the end: …第一市场监督管理所 / …第二市场监督管理所); the table under the chart has it whole."""
    if len(unit) <= chars:
        return unit
    tail = (chars - 1) // 2
    return unit[: chars - 1 - tail] + "…" + unit[-tail:]


def unit_chart(table: pd.DataFrame, threshold: float) -> Figure:
    """Two panels per roster unit: 受理量 vs 总计办结 (bars), 办结率 against the threshold.

    ``table`` is the unit table (columns as in the reference CSV, first row ``*``/全局 is
    skipped). Units under ``threshold`` get a crosshatched grey rate bar and a bold name; units
    without cases get no bars and one 无受理 label. The caption is not drawn (see
    :func:`chart_html`). Returns a matplotlib Figure not managed by pyplot (display it with
    ``IPython.display.display(fig)`` or save it).
    """
    font = use_cjk_font()
    bold = bold_weight(font)
    rows = roster_rows(table)
    units = [str(u) for u in rows["unit"]]
    accepted = pd.to_numeric(rows["accepted"], errors="coerce").fillna(0).astype(int).tolist()
    closed = pd.to_numeric(rows["closed"], errors="coerce").fillna(0).astype(int).tolist()
    rates = pd.to_numeric(rows["closure_rate_pct"], errors="coerce").astype(float).tolist()
    below = set(units_below(table, threshold))

    with sns.axes_style("ticks", {"axes.grid": True, "grid.color": "#d9d9d9", "grid.linestyle": ":"}):
        fig = Figure(figsize=FIGSIZE, dpi=SCREEN_DPI, layout="constrained", facecolor="white")
        ax_count, ax_rate = fig.subplots(2, 1, sharex=True, height_ratios=(1, 1))

    # Panel 1: accepted vs closed, grouped bars with their values (none for zero).
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
    widest = max(len(str(v)) for v in [*accepted, *closed])
    for container, values in ((bars_accepted, accepted), (bars_closed, closed)):
        ax_count.bar_label(
            container,
            labels=[str(v) if v else "" for v in values],
            padding=1.5,
            fontsize=COUNT_FONTSIZE,
            rotation=90 if widest > 3 else 0,  # four digits no longer fit side by side
        )
    top = max([*accepted, *closed, 1])
    ax_count.set_ylim(0, top * 1.15 + 1)
    ax_count.yaxis.set_major_locator(mticker.MaxNLocator(integer=True, nbins=5))
    ax_count.set_ylabel("件数")
    ax_count.set_xlabel("")
    ax_count.set_title("受理量与总计办结（件）", fontsize=9, loc="left")
    _legend_above(
        ax_count,
        [
            Patch(facecolor=ACCEPTED_STYLE["facecolor"], edgecolor=EDGE, label=ACCEPTED_LABEL),
            Patch(
                facecolor=CLOSED_STYLE["facecolor"],
                hatch=CLOSED_STYLE["hatch"],
                edgecolor=EDGE,
                label=CLOSED_LABEL,
            ),
        ],
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
            ax_rate.text(
                x, 2, NO_CASES_LABEL, ha="center", va="bottom", fontsize=RATE_FONTSIZE, color="#404040"
            )
            continue
        y, va = rate_label_position(rate, threshold)
        ax_rate.text(
            x,
            y,
            _pct(rate),
            ha="center",
            va=va,
            fontsize=RATE_FONTSIZE,
            fontweight=bold if is_below else "normal",
            bbox={"boxstyle": "square,pad=0.12", "facecolor": "white", "edgecolor": "none"},
            zorder=4,
        )
    ax_rate.axhline(threshold, color="black", linestyle="--", linewidth=1.0, zorder=3)
    ax_rate.set_ylim(0, max(RATE_TOP, threshold + LABEL_SPAN + LABEL_GAP))
    ax_rate.yaxis.set_major_locator(mticker.FixedLocator([0, 20, 40, 60, 80, 100]))
    ax_rate.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _pos: f"{v:g}%"))
    ax_rate.set_ylabel("办结率")
    ax_rate.set_xlabel("")
    ax_rate.set_title("办结率（%）", fontsize=9, loc="left")
    _legend_above(
        ax_rate,
        [
            Patch(facecolor=RATE_OK_STYLE["facecolor"], edgecolor=EDGE, label="达到阈值"),
            Patch(
                facecolor=RATE_BELOW_STYLE["facecolor"],
                hatch=RATE_BELOW_STYLE["hatch"],
                edgecolor=EDGE,
                label="低于阈值",
            ),
            Line2D([], [], color="black", linestyle="--", linewidth=1.0, label=f"{_pct(threshold)} 阈值"),
        ],
    )

    ax_rate.set_xticks(range(len(units)), [tick_name(u) for u in units])
    for unit, label in zip(units, ax_rate.get_xticklabels(), strict=True):
        label.set_rotation(45)
        label.set_horizontalalignment("right")
        label.set_rotation_mode("anchor")
        label.set_fontsize(8)
        if unit in below:
            label.set_fontweight(bold)
    ax_count.tick_params(axis="x", length=0)
    for ax in (ax_count, ax_rate):
        ax.tick_params(axis="y", labelsize=8)
        ax.set_axisbelow(True)
        sns.despine(ax=ax)
    fig.get_layout_engine().set(h_pad=0.06)

    # Pin the family on every text so later rcParams changes (e.g. sns.set_theme) cannot undo it.
    for text in fig.findobj(Text):
        text.set_fontfamily([font.name, "DejaVu Sans"])
    return fig


def chart_alt_text(table: pd.DataFrame, threshold: float) -> str:
    """What the chart shows, in words, for the image's alt text (screen readers, text-only mail)."""
    rows = roster_rows(table)
    accepted = pd.to_numeric(rows["accepted"], errors="coerce").fillna(0).astype(int)
    rates = pd.to_numeric(rows["closure_rate_pct"], errors="coerce")
    below = set(units_below(table, threshold))
    none = units_without_cases(table)
    parts = [
        f"{CAPTION}：上图为 {len(rows)} 个单位的受理量（深灰）与总计办结（浅灰斜线）柱状图",
    ]
    if accepted.max() > 0:
        top = int(accepted.idxmax())
        parts[-1] += f"，受理量最多的是{rows['unit'].iloc[top]}（{int(accepted.iloc[top])} 件）"
    parts.append(f"下图为各单位办结率柱状图，虚线为 {_pct(threshold)} 阈值")
    if below:
        named = [f"{u} {_pct(r)}" for u, r in zip(rows["unit"], rates, strict=True) if str(u) in below]
        parts.append(f"低于阈值（交叉线填充）：{'、'.join(named)}")
    else:
        parts.append("没有低于阈值的单位")
    if none:
        parts.append(f"无受理：{'、'.join(none)}")
    return "；".join(parts) + "。"


def figure_to_png_bytes(fig: Figure, dpi: int = PRINT_DPI) -> bytes:
    """PNG bytes of the figure at print resolution."""
    buf = io.BytesIO()
    # constrained layout already fits the labels: bbox_inches="tight" would cost a second full draw
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


def figure_to_data_uri(fig: Figure, dpi: int = PRINT_DPI) -> str:
    """``data:image/png;base64,…`` for embedding the figure in HTML without any external file."""
    return "data:image/png;base64," + base64.b64encode(figure_to_png_bytes(fig, dpi)).decode("ascii")


def figure_html(fig: Figure, *, alt: str, caption: str = CAPTION, dpi: int = PRINT_DPI) -> str:
    """``<figure>`` with the caption as page text and the PNG inlined (the page stays offline)."""
    width, height = (round(v * 96) for v in fig.get_size_inches())  # CSS px at 100 %
    return (
        f'<figure class="kw-chart"><figcaption>{html.escape(caption)}</figcaption>'
        f'<img src="{figure_to_data_uri(fig, dpi)}" alt="{html.escape(alt, quote=True)}"'
        f' width="{width}" height="{height}"></figure>'
    )


def chart_html(table: pd.DataFrame, threshold: float, caption: str = CAPTION) -> str:
    """The bulletin's chart section: caption, inline PNG, alt text computed from the table."""
    return figure_html(unit_chart(table, threshold), alt=chart_alt_text(table, threshold), caption=caption)
