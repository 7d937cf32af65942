"""The exported HTML in a real (headless) Chromium with the network cut off, on screen and on A4."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser

from kwstats.charts import figure_to_png_bytes, unit_chart
from kwstats.render import export_html
from tests.browser_util import (
    ANALYST_MARK,
    HOSTILE_TEXT,
    SCREENSHOTS,
    chromium,
    open_offline,
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
    return figure_to_png_bytes(unit_chart(table, 80.0, "2022 年 1 月份受理、办结情况示意图"))


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
