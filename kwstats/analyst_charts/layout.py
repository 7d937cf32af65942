"""What the analyst's charts share: size, colours, fixed margins in inches, the CJK font on every text,
month ticks."""

from __future__ import annotations

import re
from typing import Any

from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.text import Text
from matplotlib.textpath import TextToPath

from kwstats.investigate import BY_LABELS
from kwstats.params import parse_month

WIDTH = 7.2  # inches: the A4 portrait text width (180 mm), as the bulletin's chart
SCREEN_DPI = 150
INK = "#000000"
SERIES_COLOR = "#1f3f66"  # dark blue: reads as near-black on a grey print
BAND_COLOR = "#c6dbef"
BELOW_FACE = "#fddbc7"
BELOW_EDGE = "#b2182b"
ACCEPTED_FACE = "#bdbdbd"
RATE_TOP = 110.0  # %: the top of a trend panel's rate scale
MONTH_COLUMN = re.compile(r"^\d{4}-\d{2}$")
_TEXT_PATHS = TextToPath()


def chart_month(month: str) -> str:
    year, mon = parse_month(month)
    return f"{year:04d}-{mon:02d}"


def pin_font(fig: Figure, font_name: str) -> None:
    """Pin the CJK family on every text, so later rcParams changes cannot undo it."""
    for text in fig.findobj(Text):
        text.set_fontfamily([font_name, "DejaVu Sans"])


def inch_grid(
    fig: Figure,
    nrows: int,
    ncols: int,
    *,
    left: float,
    right: float,
    top: float,
    bottom: float,
    wgap: float = 0.0,
    hgap: float = 0.0,
) -> Any:
    """A GridSpec for `fig` with its margins and the gaps between panels given in inches."""
    width, height = fig.get_size_inches()
    panel_w = (width - left - right - wgap * (ncols - 1)) / ncols
    panel_h = (height - top - bottom - hgap * (nrows - 1)) / nrows
    return fig.add_gridspec(
        nrows,
        ncols,
        left=left / width,
        right=1 - right / width,
        top=1 - top / height,
        bottom=bottom / height,
        wspace=wgap / panel_w,
        hspace=hgap / panel_h,
    )


def text_width(text: str, font_name: str, size: float, bold: bool = False) -> float:
    """How wide `text` is drawn, in inches (one text laid out, not the whole figure)."""
    prop = FontProperties(family=[font_name, "DejaVu Sans"], size=size, weight="bold" if bold else "normal")
    width, _height, _descent = _TEXT_PATHS.get_text_width_height_descent(text, prop, ismath=False)
    return width / 72  # points


def pct(value: float) -> str:
    return f"{value:g}%"


def series_name(field: str, value: str) -> str:
    return value if field == "unit" else f"{BY_LABELS.get(field, field)}“{value}”"


def month_ticks(ax: Any, months: list[str], every: int, keep: tuple[str, ...] = ()) -> None:
    """One tick per month; a label every `every` months (counted back from the last) and on `keep`."""
    n = len(months)
    ax.set_xticks(range(n))
    labels = [m if ((n - 1 - i) % every == 0 or m in keep) else "" for i, m in enumerate(months)]
    ax.set_xticklabels(labels)
