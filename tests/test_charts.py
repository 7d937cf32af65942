"""kwstats.charts: the 受理、办结情况示意图, Chinese glyphs present, units under the threshold marked."""

from __future__ import annotations

import base64
import io
import logging
import re
import warnings
from collections.abc import Callable
from pathlib import Path

import matplotlib as mpl
import pandas as pd
import pytest
from matplotlib import font_manager, ft2font
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from kwstats.charts import (
    CAPTION,
    chart_alt_text,
    chart_html,
    figure_to_data_uri,
    figure_to_png_bytes,
    unit_chart,
    units_below,
)
from kwstats.exceptions import KwstatsError
from kwstats.indicators import TABLE_COLUMNS

COLUMNS = list(TABLE_COLUMNS)
NAN = float("nan")
# The January 2022 reference table, typed by hand (17 roster units after the 全局 row).
ROWS = [
    ("*", "全局", 702, 271, 254, 7, 431, 353, 0, 607, 86.0),
    ("1", "站前所", 82, 32, 27, 3, 50, 28, 0, 55, 67.0),
    ("2", "新发所", 11, 2, 2, 0, 9, 6, 0, 8, 72.0),
    ("3", "南广所", 53, 24, 23, 1, 29, 29, 0, 52, 99.0),
    ("4", "东广所", 21, 8, 8, 0, 13, 7, 0, 15, 71.0),
    ("5", "群英所", 72, 25, 23, 2, 47, 45, 0, 68, 94.0),
    ("6", "凯旋所", 61, 18, 16, 0, 43, 38, 0, 54, 88.0),
    ("7", "团山所", 22, 7, 5, 0, 15, 7, 0, 12, 54.0),
    ("8", "柳影所", 104, 38, 36, 0, 66, 46, 0, 82, 78.0),
    ("9", "兴业所", 62, 20, 19, 0, 42, 33, 0, 52, 83.0),
    ("10", "欣园所", 50, 18, 16, 1, 32, 32, 0, 48, 96.0),
    ("11", "兰家所", 54, 28, 28, 0, 26, 26, 0, 54, 100.0),
    ("12", "监管一科", 0, 0, 0, 0, 0, 0, 0, 0, NAN),
    ("13", "监管二科", 0, 0, 0, 0, 0, 0, 0, 0, NAN),
    ("14", "监管三科", 9, 0, 0, 0, 9, 9, 0, 9, 100.0),
    ("15", "监管四科", 57, 42, 42, 1, 15, 12, 0, 54, 94.0),
    ("16", "审批办", 0, 0, 0, 0, 0, 0, 0, 0, NAN),
    ("17", "党群办", 0, 0, 0, 0, 0, 0, 0, 0, NAN),
]
UNITS = [r[1] for r in ROWS[1:]]
BELOW_80 = ["站前所", "新发所", "东广所", "团山所", "柳影所"]
NO_CASES = ["监管一科", "监管二科", "审批办", "党群办"]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "outputs" / "screenshots"


@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=COLUMNS)


def _no_warnings(make: Callable[[], Figure]) -> tuple[Figure, bytes, list[str]]:
    """Build and save the figure, recording every warning (glyph warnings come at draw time)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = make()
        png = figure_to_png_bytes(fig)
    return fig, png, [f"{w.category.__name__}: {w.message}" for w in caught]


def _rate_axes(fig: Figure):  # type: ignore[no-untyped-def]
    return fig.axes[1]


def _rate_bars(fig: Figure) -> dict[str, Rectangle]:
    bars = [p for p in _rate_axes(fig).patches if (p.get_gid() or "").startswith("rate")]
    return {p.get_gid().split(":", 1)[1]: p for p in bars}


def test_chart_renders_chinese_without_missing_glyphs(table: pd.DataFrame) -> None:
    with mpl.rc_context():
        mpl.rcdefaults()  # a fresh matplotlib knows no CJK font
        fig, png, caught = _no_warnings(lambda: unit_chart(table, 80.0))
    assert not [m for m in caught if "Glyph" in m or "missing from" in m], caught
    assert caught == []
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20_000
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "unit_chart.png").write_bytes(png)


def test_glyph_check_would_catch_a_font_without_chinese() -> None:
    """Negative control: the recording above really sees matplotlib's missing-glyph warning."""

    def latin_only() -> Figure:
        fig = Figure(figsize=(2, 1))
        fig.text(0.1, 0.5, "宽城", fontfamily="DejaVu Sans")
        return fig

    _fig, _png, caught = _no_warnings(latin_only)
    assert any("missing from" in m for m in caught)


def test_chart_layout_and_size(table: pd.DataFrame) -> None:
    fig = unit_chart(table, 80.0)
    width, height = fig.get_size_inches()
    assert 6.5 <= width <= 7.5 and 3.5 <= height <= 4.5  # the A4 type area's width, a third of its height
    assert len(fig.axes) == 2
    # The caption is page text (figcaption), not drawn into the picture.
    assert fig.get_suptitle() == "" and fig.get_supxlabel() == ""
    assert not any(CAPTION in t.get_text() for t in fig.findobj(Text))
    labels = [t.get_text() for t in _rate_axes(fig).get_xticklabels()]
    assert labels == UNITS  # roster order, no 全局 row
    texts = {t.get_text() for t in fig.findobj(Text)}
    assert {"受理量", "总计办结", "达到阈值", "低于阈值", "80% 阈值"} <= texts


def test_count_panel_bars_and_values(table: pd.DataFrame) -> None:
    fig = unit_chart(table, 80.0)
    ax = fig.axes[0]
    accepted, closed = ax.containers[0], ax.containers[1]
    assert [int(b.get_height()) for b in accepted] == [r[2] for r in ROWS[1:]]
    assert [int(b.get_height()) for b in closed] == [r[9] for r in ROWS[1:]]
    values = [t.get_text() for t in ax.texts]
    assert "104" in values and "82" in values
    # Black-and-white print: the two series differ by hatch, not only by colour.
    assert accepted[0].get_hatch() != closed[0].get_hatch()
    lum = [sum(b.get_facecolor()[:3]) / 3 for b in (accepted[0], closed[0])]
    assert abs(lum[0] - lum[1]) > 0.3


def test_units_under_threshold_are_marked(table: pd.DataFrame) -> None:
    assert units_below(table, 80.0) == BELOW_80
    fig = unit_chart(table, 80.0)
    bars = _rate_bars(fig)
    assert list(bars) == UNITS
    marked = [u for u, b in bars.items() if b.get_gid().startswith("rate-below:")]
    assert marked == BELOW_80
    for unit, bar in bars.items():
        if unit in BELOW_80:
            assert bar.get_hatch()
        else:
            assert not bar.get_hatch()
    bold = [t.get_text() for t in _rate_axes(fig).get_xticklabels() if t.get_fontweight() in ("bold", 700)]
    assert bold == BELOW_80


def test_threshold_line_and_rate_labels(table: pd.DataFrame) -> None:
    fig = unit_chart(table, 85.5)
    ax = _rate_axes(fig)
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert len(dashed) == 1 and set(dashed[0].get_ydata()) == {85.5}
    texts = [t.get_text() for t in ax.texts]
    assert "54%" in texts and "99%" in texts
    assert texts.count("无受理") == len(NO_CASES)
    assert "85.5% 阈值" in {t.get_text() for t in fig.findobj(Text)}
    assert "凯旋所" in units_below(table, 88.5)  # 88 < 88.5
    for unit in NO_CASES:  # no cases: no bar, and never "under the threshold"
        assert not _rate_bars(fig)[unit].get_visible()


def test_rates_with_decimals_are_labelled(table: pd.DataFrame) -> None:
    table.loc[table["unit"] == "新发所", "closure_rate_pct"] = 72.73
    fig = unit_chart(table, 80.0)
    assert "72.73%" in [t.get_text() for t in _rate_axes(fig).texts]


def test_nothing_under_threshold(table: pd.DataFrame) -> None:
    fig = unit_chart(table, 50.0)
    assert not any(b.get_hatch() for b in _rate_bars(fig).values())
    assert "没有低于阈值的单位" in chart_alt_text(table, 50.0)


def test_missing_columns_and_empty_roster_are_clear_errors(table: pd.DataFrame) -> None:
    with pytest.raises(KwstatsError, match="缺少列：closed"):
        unit_chart(table.drop(columns=["closed"]), 80.0)
    with pytest.raises(KwstatsError, match="没有单位行"):
        unit_chart(table.iloc[:1], 80.0)


def test_table_without_seq_column_still_drops_global_row(table: pd.DataFrame) -> None:
    fig = unit_chart(table.drop(columns=["seq"]), 80.0)
    assert [t.get_text() for t in _rate_axes(fig).get_xticklabels()] == UNITS


def test_data_uri(table: pd.DataFrame) -> None:
    fig = unit_chart(table, 80.0)
    uri = figure_to_data_uri(fig)
    assert uri.startswith("data:image/png;base64,")
    png = base64.b64decode(uri.split(",", 1)[1])
    assert png.startswith(b"\x89PNG")


def test_font_survives_a_later_theme_reset(table: pd.DataFrame) -> None:
    """The notebook may call sns.set_theme() after making the chart; the glyphs must stay."""
    import seaborn as sns

    fig = unit_chart(table, 80.0)
    with mpl.rc_context():
        sns.set_theme()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.savefig(io.BytesIO(), format="png")
    assert [str(w.message) for w in caught] == []


# --- labels that do not collide, zero-case units, bold that is bold --------------------------


def _drawn(fig: Figure):  # type: ignore[no-untyped-def]
    """Draw the figure once and return its renderer (text extents need a real layout)."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def _overlapping(boxes: list[tuple[str, Bbox]]) -> list[tuple[str, str]]:
    return [
        (a, b) for i, (a, box_a) in enumerate(boxes) for b, box_b in boxes[i + 1 :] if box_a.overlaps(box_b)
    ]


def test_rate_labels_clear_the_threshold_line(table: pd.DataFrame) -> None:
    """柳影所 78 % sits just under the 80 % line: its label must not run into it (nor any other)."""
    near = table.copy()
    near.loc[near["unit"] == "兴业所", "closure_rate_pct"] = 79.9  # a hair under the line
    near.loc[near["unit"] == "欣园所", "closure_rate_pct"] = 80.0  # on it: not under
    fig = unit_chart(near, 80.0)
    renderer = _drawn(fig)
    ax = _rate_axes(fig)
    line_y = ax.transData.transform((0, 80.0))[1]
    labels = {t.get_text(): t.get_window_extent(renderer) for t in ax.texts}
    assert {"78%", "79.9%", "80%", "67%", "54%"} <= set(labels)
    for text, box in labels.items():
        assert not box.y0 - 1 <= line_y <= box.y1 + 1, f"{text} 的标签压在 80% 阈值线上"
    assert _overlapping([(t.get_text(), t.get_window_extent(renderer)) for t in ax.texts]) == []
    # A label under the line stays under it, one over the line stays over it.
    assert labels["78%"].y1 < line_y and labels["80%"].y0 > line_y


def test_count_labels_skip_zeros_and_never_overlap(table: pd.DataFrame) -> None:
    fig = unit_chart(table, 80.0)
    renderer = _drawn(fig)
    ax = fig.axes[0]
    shown = [t for t in ax.texts if t.get_text()]
    # 13 units with cases x 2 bars; 监管三科's 9/9 counted twice; no "0" anywhere.
    assert sorted(int(t.get_text()) for t in shown) == sorted(
        [v for r in ROWS[1:] for v in (r[2], r[9]) if v]
    )
    assert "0" not in [t.get_text() for t in ax.texts]
    assert all(t.get_rotation() == 0 for t in shown)  # three digits fit side by side
    assert _overlapping([(t.get_text(), t.get_window_extent(renderer)) for t in shown]) == []


def test_four_digit_counts_turn_upright_to_stay_apart(table: pd.DataFrame) -> None:
    big = table.copy()
    big.loc[big["unit"] == "柳影所", ["accepted", "closed"]] = [1204, 1182]
    fig = unit_chart(big, 80.0)
    renderer = _drawn(fig)
    shown = [t for t in fig.axes[0].texts if t.get_text()]
    assert {t.get_rotation() for t in shown} == {90}
    assert _overlapping([(t.get_text(), t.get_window_extent(renderer)) for t in shown]) == []


def test_units_without_cases_get_one_horizontal_label(table: pd.DataFrame) -> None:
    fig = unit_chart(table, 80.0)
    marks = [t for t in _rate_axes(fig).texts if t.get_text() == "无受理"]
    assert len(marks) == len(NO_CASES)
    assert all(t.get_rotation() == 0 and t.get_fontsize() >= 6.5 for t in marks)
    centres = {label.get_text(): label.get_position()[0] for label in _rate_axes(fig).get_xticklabels()}
    assert sorted(t.get_position()[0] for t in marks) == sorted(centres[u] for u in NO_CASES)
    assert [t for t in fig.axes[0].texts if t.get_text() == "无受理"] == []  # said once, not per panel


def test_bold_labels_use_the_bold_face_without_font_warnings(
    table: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    """The under-threshold names are bold: drawn from the Bold file, with no findfont line logged."""
    with caplog.at_level(logging.DEBUG, logger="matplotlib.font_manager"):
        caplog.clear()
        fig = unit_chart(table, 80.0)
        figure_to_png_bytes(fig)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    bold = [t for t in _rate_axes(fig).get_xticklabels() if t.get_fontweight() == "bold"]
    normal = [t for t in _rate_axes(fig).get_xticklabels() if t.get_fontweight() == "normal"]
    assert [t.get_text() for t in bold] == BELOW_80 and normal
    bold_file = font_manager.findfont(bold[0].get_fontproperties())
    normal_file = font_manager.findfont(normal[0].get_fontproperties())
    assert (bold_file, bold_file.face_index) != (normal_file, normal_file.face_index)
    assert font_manager.get_font(bold_file).style_flags & ft2font.StyleFlags.BOLD


# --- caption and alt text: page text, computed from the table ---------------------------------


def test_alt_text_says_what_the_chart_shows(table: pd.DataFrame) -> None:
    alt = chart_alt_text(table, 80.0)
    assert alt.startswith("受理、办结情况示意图：上图为 17 个单位的受理量")
    assert "受理量最多的是柳影所（104 件）" in alt
    assert "虚线为 80% 阈值" in alt
    assert "低于阈值（交叉线填充）：站前所 67%、新发所 72%、东广所 71%、团山所 54%、柳影所 78%" in alt
    assert alt.endswith("无受理：监管一科、监管二科、审批办、党群办。")
    assert "图表" not in alt


def test_chart_html_is_a_figure_with_caption_and_alt_text(table: pd.DataFrame) -> None:
    from kwstats.render import assert_offline

    hostile = table.copy()
    hostile.loc[hostile["unit"] == "站前所", "unit"] = '<b x="1">站前所</b>'
    out = chart_html(hostile, 80.0)
    assert out.startswith('<figure class="kw-chart"><figcaption>受理、办结情况示意图</figcaption><img ')
    assert out.endswith("></figure>")
    alt = re.search(r'alt="([^"]*)"', out)
    assert alt is not None
    assert "&lt;b x=&quot;1&quot;&gt;站前所&lt;/b&gt; 67%" in alt.group(1)
    assert "<b" not in out
    assert assert_offline(out) == []
    src = re.search(r'src="data:image/png;base64,([^"]+)"', out)
    assert src is not None and base64.b64decode(src.group(1)).startswith(b"\x89PNG")
    assert 'width="691" height="365"' in out  # 7.2 x 3.8 in at 96 CSS px per inch


def test_long_unit_names_keep_head_and_tail_and_stay_on_the_image(table: pd.DataFrame) -> None:
    """Units of 20 and 40 characters (a city's naming): each axis label shows the name's head and
    tail around "…" (two units differing only at the end stay apart), and no text leaves the image."""
    from kwstats.charts import tick_name

    long = table.copy()
    base = "长春市市场监督管理局宽城分局第一市场监督管理所站前所"  # 26 characters
    names = {
        1: base + "甲乙丙丁戊己庚辛壬癸子丑寅卯",
        2: base + "甲乙丙丁戊己庚辛壬癸子丑寅辰",
        3: "宽城区第一市场监督管理所长名称测试单位",
    }
    for row, name in names.items():
        long.loc[long.index[row], "unit"] = name
    assert (
        tick_name(names[1]) == "长春市市场监…癸子丑寅卯" and tick_name(names[2]) == "长春市市场监…癸子丑寅辰"
    )
    assert tick_name("站前所") == "站前所"
    fig = unit_chart(long, 80.0)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    shown = [t.get_text() for t in _rate_axes(fig).get_xticklabels()]
    assert [tick_name(names[r]) for r in names] == [shown[r - 1] for r in names]  # row 0 is 全局
    for text in fig.findobj(Text):
        if text.get_visible() and text.get_text():
            box = text.get_window_extent(renderer)
            assert box.y0 >= -1 and box.x0 >= -1 and box.x1 <= fig.bbox.x1 + 1, text.get_text()
