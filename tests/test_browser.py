"""The exported HTML in a real (headless) Chromium with the network cut off, on screen and on A4."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser

from kwstats.charts import CAPTION, figure_to_png_bytes, unit_chart
from kwstats.render import export_html
from kwstats.report import build_report
from tests.browser_util import (
    A4_PT,
    ANALYST_MARK,
    HOSTILE_TEXT,
    PAGE_URL,
    SCREENSHOTS,
    bulletin_notebook,
    chromium,
    open_offline,
    print_pages,
    screenshot,
    tiny_notebook,
)
from tests.test_charts import COLUMNS, ROWS

pytestmark = pytest.mark.slow

TITLE = "2022 年 1 月份工作动态解读"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def chart_png() -> bytes:
    table = pd.DataFrame(ROWS, columns=COLUMNS)  # the reference table, typed in test_charts
    return figure_to_png_bytes(unit_chart(table, 80.0))


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory, chart_png: bytes) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("html")
    nb = tiny_notebook(chart_png)
    return {
        "official": export_html(nb, out / "official.html", official=True, title=TITLE),
        "analyst": export_html(nb, out / "analyst.html", official=False, title=TITLE + "（分析版）"),
    }


def test_harness_sees_requests(browser: Browser, tmp_path: Path) -> None:
    """Negative control: a page with external references does get them recorded and blocked."""
    page_file = tmp_path / "leaky.html"
    page_file.write_text(
        '<html><head><script src="https://cdn.example.com/require.js"></script>'
        '<link rel="stylesheet" href="local.css"></head>'
        '<body><img src="pic.png"><table><tr><td>1</td></tr></table></body></html>',
        encoding="utf-8",
    )
    with open_offline(page_file, browser) as (_page, requests):
        pass
    assert any("cdn.example.com" in r for r in requests)
    assert any(r.endswith("/local.css") for r in requests)
    assert any(r.endswith("/pic.png") for r in requests)


def test_official_page_offline_screen_and_a4(browser: Browser, exported: dict[str, Path]) -> None:
    with open_offline(exported["official"], browser) as (page, requests):
        assert requests == [], f"页面试图访问外部资源：{requests}"
        assert page.title() == TITLE
        table = page.locator("table")
        assert table.count() == 1
        assert "全局" in table.inner_text()
        # Escaped export text is shown as text, never run.
        assert HOSTILE_TEXT in table.inner_text()
        assert page.evaluate("document.scripts.length") == 0
        assert page.evaluate("typeof window.kwstatsJs") == "undefined"
        assert ANALYST_MARK not in page.content()
        # The chart is inline and decoded.
        images = page.evaluate(
            "Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.src.slice(0, 22)])"
        )
        assert images and all(
            ok and width > 100 and src == "data:image/png;base64," for ok, width, src in images
        )
        # Light theme only, ruled table.
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
        assert page.evaluate("getComputedStyle(document.querySelector('td')).borderTopStyle") == "solid"
        shot = screenshot(page, "official-tiny.png")
        assert shot.stat().st_size > 10_000

        page.emulate_media(media="print")
        pdf = page.pdf(format="A4", print_background=False, prefer_css_page_size=True)
        assert pdf.startswith(b"%PDF")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / "official-tiny.pdf").write_bytes(pdf)
        assert requests == []


def test_analyst_page_offline(browser: Browser, exported: dict[str, Path]) -> None:
    with open_offline(exported["analyst"], browser) as (page, requests):
        assert requests == [], f"页面试图访问外部资源：{requests}"
        assert ANALYST_MARK in page.content()
        assert page.locator("table").count() == 1
        screenshot(page, "analyst-tiny.png")
        assert page.pdf(format="A4").startswith(b"%PDF")


# --- the 2022-01 bulletin on paper -----------------------------------------------------------

BULLETIN_TITLE = "宽城分局 12315 工作动态解读（2022 年 1 月）"
TYPE_AREA_MM = (37.0, 297.0 - 35.0)  # GB/T 9704: the type area's top and bottom, from the top edge
SIGNATURE = ("宽城分局消保科", "12315 投诉举报中心", "报送时间:2022.1.1～2022.1.31")


@pytest.fixture(scope="module")
def bulletin_2022_01(tmp_path_factory: pytest.TempPathFactory, sample_ingest) -> Path:  # type: ignore[no-untyped-def]
    report = build_report("2022-01", ingest=sample_ingest)
    out = tmp_path_factory.mktemp("bulletin") / "bulletin.html"
    return export_html(bulletin_notebook(report), out, official=True, title=BULLETIN_TITLE)


def _squash(text: str) -> str:
    return "".join(text.split())


def test_bulletin_prints_on_a4_like_a_gongwen(browser: Browser, bulletin_2022_01: Path) -> None:
    """January 2022 on A4: three full pages, sections whole, no browser furniture, page numbers."""
    with open_offline(bulletin_2022_01, browser, width=900) as (page, requests):
        assert requests == []
        screenshot(page, "bulletin-2022-01-screen.png")
        figure = page.locator("figure.kw-chart")
        assert figure.locator("figcaption").inner_text() == CAPTION
        alt = figure.locator("img").get_attribute("alt") or ""
        assert alt.startswith(CAPTION + "：") and "低于阈值" in alt
        pages = print_pages(page, "bulletin-2022-01-print")
        furnished = print_pages(page, "bulletin-2022-01-print-with-header-footer", header_footer=True)
    texts = [_squash(p.text) for p in pages]
    assert 2 <= len(pages) <= 3, [p.png.name for p in pages]
    for p in pages:
        assert p.size_pt == pytest.approx(A4_PT, abs=1)
        assert f"—{p.number}—" in _squash(p.text)  # the 公文 page number
    # Chromium's header and footer (date, title, file path) stay off the page, even when asked for.
    for p in furnished:
        assert "kwstats.invalid" not in p.text and PAGE_URL not in p.text
        assert _squash(BULLETIN_TITLE) not in _squash(p.text)
    assert [_squash(p.text) for p in furnished] == texts
    # Sections are whole: the table with its title, last row and note on one page; the chart's
    # caption on the page of the chart; the typical case's title on the page where it starts.
    table_page = next(i for i, t in enumerate(texts) if "系统办件数量统计一览表" in t)
    assert "17党群办" in texts[table_page] and "表示办结率低于80%" in texts[table_page]
    assert "注：【统计时间截止1月31日实时数据】" in texts[table_page]
    assert sum(CAPTION in t for t in texts) == 1
    # The signature is on the last page, with more than itself there: not a near-empty sheet.
    last = texts[-1]
    assert all(_squash(line) in last for line in SIGNATURE)
    rest = last
    for line in (*SIGNATURE, f"—{len(pages)}—"):
        rest = rest.replace(_squash(line), "")
    assert len(rest) >= 150, f"最后一页只有 {len(rest)} 个字加落款"
    # Every page but the last is filled to at least three quarters of the type area.
    top, bottom = TYPE_AREA_MM
    for p in pages[:-1]:
        assert bottom + 1 >= p.content_bottom_mm >= top + 0.75 * (bottom - top), (
            p.number,
            p.content_bottom_mm,
        )
