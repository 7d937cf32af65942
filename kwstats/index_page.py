"""``outputs/index.html``: every month's bulletin linked, with a trend chart of accepted, closed and the rate.

Written by ``kwstats backfill`` (and callable on its own: :func:`write_index`). The numbers are the
ones each bulletin recorded when it was built (``totals`` in its notebook's provenance record,
computed from the case rows), so the index never disagrees with the pages it links. Like the
bulletins it is one self-contained file: inline CSS, the chart as an inline PNG, no script, and
links relative to the output folder, so the folder can be copied or zipped as a whole.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from kwstats import provenance
from kwstats.charts import figure_html
from kwstats.fonts import use_cjk_font
from kwstats.period import Period
from kwstats.render import write_text_atomic

INDEX_NAME = "index.html"
_FOLDER = re.compile(r"(\d{4}-\d{2})(?:_截至.+)?")
PAGES = (("正式版", "bulletin.html"), ("分析版", "bulletin-analyst.html"), ("统计表", "table.xlsx"))


@dataclass(frozen=True)
class Entry:
    """One built bulletin folder as the index lists it."""

    folder: str  # "2022-01", or "2022-01_截至2022-01-20_2359"
    month: str
    record: dict[str, Any] | None  # its provenance record (None: built before records existed)

    @property
    def totals(self) -> dict[str, Any]:
        return (self.record or {}).get("totals") or {}

    @property
    def status(self) -> str:
        if self.record is None:
            return "（无生成记录）"
        parts = ["正式" if self.record.get("official") else "草稿"]
        if self.record.get("sample"):
            parts.append("演示")
        return "、".join(parts)


def entries(out_dir: str | Path) -> list[Entry]:
    """The bulletin folders in `out_dir` (those holding bulletin.html), in month order."""
    root = Path(out_dir)
    found = []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        m = _FOLDER.fullmatch(folder.name)
        if m and folder.is_dir() and (folder / "bulletin.html").is_file():
            found.append(Entry(folder.name, m.group(1), provenance.recorded(folder / "bulletin.ipynb")))
    return found


def _rate_text(value: Any) -> str:
    if value is None:
        return ""
    v = float(value)
    return f"{v:.0f}%" if v.is_integer() else f"{v:.2f}%"


def trend_chart(items: list[Entry]) -> str:
    """The trend of the months at the default cutoff: bars of accepted and closed, the rate as a line
    (right axis) against the threshold; an inline-PNG ``<figure>`` ("" when no month has numbers)."""
    rows = [e for e in items if e.totals and e.folder == e.month]
    if not rows:
        return ""
    use_cjk_font()
    labels = [e.month for e in rows]
    accepted = [int(e.totals["accepted"]) for e in rows]
    closed = [int(e.totals["closed"]) for e in rows]
    rates = [
        np.nan if e.totals.get("closure_rate_pct") is None else float(e.totals["closure_rate_pct"])
        for e in rows
    ]
    threshold = next((e.totals.get("threshold") for e in rows if e.totals.get("threshold") is not None), None)
    width = min(max(6.5, 0.28 * len(rows) + 2.5), 16.0)
    x = np.arange(len(rows))
    with sns.axes_style("ticks", {"axes.grid": True, "grid.color": "#d9d9d9", "grid.linestyle": ":"}):
        fig = Figure(figsize=(width, 3.8), dpi=96, layout="constrained", facecolor="white")
        ax = fig.add_subplot()
        ax.bar(x - 0.2, accepted, width=0.4, color="#4a6fa5", label="受理量")
        ax.bar(x + 0.2, closed, width=0.4, color="#a5c8e1", label="总计办结")
        ax.set_ylabel("件")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xticks(x, labels, rotation=90 if len(rows) > 12 else 0, fontsize=8)
        ax.set_xlim(-0.6, len(rows) - 0.4)
        right = ax.twinx()
        right.plot(x, rates, color="#c0392b", marker="o", markersize=3, linewidth=1.4, label="办结率")
        if threshold is not None:
            right.axhline(
                threshold, color="#c0392b", linestyle="--", linewidth=0.8, label=f"阈值 {threshold:g}%"
            )
        right.set_ylim(0, 105)
        right.set_ylabel("办结率（%）")
        handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
        ax.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(0, 1.18), ncol=4, frameon=False, fontsize=9
        )
    rated = [(m, r) for m, r in zip(labels, rates, strict=True) if not np.isnan(r)]
    alt = (
        f"{labels[0]} 至 {labels[-1]} 共 {len(rows)} 个月：受理量 {min(accepted)}～{max(accepted)} 件，"
        f"总计办结 {min(closed)}～{max(closed)} 件"
        + (f"，办结率 {min(r for _, r in rated):g}%～{max(r for _, r in rated):g}%" if rated else "")
        + "。"
    )
    return figure_html(fig, alt=alt, caption="受理、办结与办结率（各月通报）", dpi=150)


_CSS = """
body { font-family: "Microsoft YaHei", "微软雅黑", "PingFang SC", "Noto Sans CJK SC", "Source Han Sans SC",
  sans-serif; max-width: 210mm; margin: 0 auto; padding: 8mm 10mm; color: #000; background: #fff; font-size: 14px; }
h1 { text-align: center; font-size: 1.6em; }
p.kw-note { color: #333; }
table { border-collapse: collapse; margin: 0.8em auto; }
th, td { border: 1px solid #000; padding: 0.15em 0.6em; text-align: center; }
td.kw-num { text-align: right; font-variant-numeric: tabular-nums; }
tr.kw-draft td { color: #555; }
figure.kw-chart { margin: 0.8em 0; text-align: center; }
figure.kw-chart img { max-width: 100%; height: auto; }
figcaption { font-weight: bold; margin-bottom: 0.3em; }
@page { size: A4 portrait; margin: 20mm 15mm; }
@media print { a { color: #000; text-decoration: none; } figure, tr { break-inside: avoid; } }
"""


def index_html(items: list[Entry], title: str) -> str:
    """The index page for `items` (see the module docstring)."""
    e = html.escape
    rows = []
    for item in items:
        t = item.totals
        links = " ".join(f'<a href="{e(item.folder)}/{name}">{label}</a>' for label, name in PAGES)
        period = Period.month(item.month).title + (
            "" if item.folder == item.month else f"（{item.folder[8:]}）"
        )
        rows.append(
            f'<tr class="{"kw-draft" if item.status != "正式" else ""}"><td>{e(period)}</td><td>{e(item.status)}</td>'
            f'<td class="kw-num">{e(str(t.get("accepted", "")))}</td><td class="kw-num">{e(str(t.get("closed", "")))}</td>'
            f'<td class="kw-num">{e(_rate_text(t.get("closure_rate_pct")))}</td><td>{links}</td></tr>'
        )
    drafts = [i for i in items if i.record is not None and not i.record.get("official")]
    demo = any(i.record and i.record.get("sample") for i in items)
    notes = [f"共 {len(items)} 个月的通报。"]
    if drafts:
        notes.append(
            f"其中 {len(drafts)} 个月标为【草稿】：没有本月参数文件（params/YYYY-MM.yaml 中的说明文字和典型案例），"
            "只有计算出的数字和表、图；补上参数文件后重新运行 kwstats backfill 即生成正式版。"
        )
    if demo:
        notes.append("标“演示”的月份由合成样例数据生成，不是真实数据。")
    notes.append("数字为各月通报生成时按统计截止时间计算的全局行（受理量 = 投诉 + 举报；办结率按分局口径）。")
    body = "".join(f'<p class="kw-note">{e(n)}</p>' for n in notes)
    table = (
        "<table><thead><tr><th>月份</th><th>状态</th><th>受理量</th><th>总计办结</th><th>办结率</th><th>文件</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{e(title)}</h1>{body}{trend_chart(items)}{table}</body></html>\n"
    )


def write_index(out_dir: str | Path, title: str | None = None) -> Path:
    """Write ``<out_dir>/index.html`` over the bulletins found there (atomically); returns its path."""
    root = Path(out_dir)
    items = entries(root)
    if title is None:
        branch = next((i.record.get("branch") for i in items if i.record and i.record.get("branch")), "")
        title = f"{branch} 12315 工作动态解读 · 各月通报".strip()
    path = root / INDEX_NAME
    write_text_atomic(path, index_html(items, title))
    return path
