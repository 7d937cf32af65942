"""Helpers for opening exported HTML in headless Chromium with the network cut off.

The page is served from a fake origin by a route handler; every other request the page attempts
(CDN script, stylesheet, font, image, even a relative file) is recorded and aborted.

    with chromium() as browser, open_offline(html_path, browser) as (page, requests):
        assert requests == []
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from playwright.sync_api import Browser, Page, Route, sync_playwright

from kwstats import page as bulletin_page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PAGE_URL = "http://kwstats.invalid/bulletin.html"
REPO_ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO_ROOT / "outputs" / "screenshots"


def require_chromium() -> Path:
    """Fail (never skip) when the system Chromium is missing: CI installs it."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"找不到 {CHROMIUM}：浏览器测试需要 Debian 的 Chromium。"
            "请运行 `sudo apt-get install chromium fonts-noto-cjk` 后重试（不要用 `playwright install`）。",
            pytrace=False,
        )
    return CHROMIUM


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless system Chromium driven by Playwright."""
    executable = require_chromium()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(executable), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def open_offline(
    path: Path, browser: Browser | None = None, *, width: int = 1000, height: int = 1400
) -> Iterator[tuple[Page, list[str]]]:
    """Open the HTML file with no network; yield the loaded page and the requests it attempted.

    ``requests`` lists every URL other than the page itself (data: URIs are inline and ignored).
    A browser is launched for the duration if none is given.
    """
    if browser is None:
        with chromium() as own, open_offline(path, own, width=width, height=height) as opened:
            yield opened
        return

    body = Path(path).read_bytes()
    requests: list[str] = []
    context = browser.new_context(viewport={"width": width, "height": height}, service_workers="block")

    def handle(route: Route) -> None:
        url = route.request.url
        if url == PAGE_URL:
            route.fulfill(status=200, body=body, headers={"Content-Type": "text/html; charset=utf-8"})
        else:
            requests.append(url)
            route.abort("blockedbyclient")

    def record(request) -> None:  # type: ignore[no-untyped-def]
        url = request.url
        if url != PAGE_URL and not url.startswith("data:") and url not in requests:
            requests.append(url)

    try:
        context.route("**/*", handle)
        page = context.new_page()
        page.on("request", record)
        page.goto(PAGE_URL, wait_until="load")
        page.wait_for_load_state("networkidle")
        yield page, requests
    finally:
        context.close()


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """PNG of the page (or of what the window shows) under outputs/screenshots/ (git-ignored) for people
    to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    out = SCREENSHOTS / name
    page.screenshot(path=str(out), full_page=full_page)
    return out


MM_PER_PT = 25.4 / 72
A4_PT = (595.28, 841.89)
BOTTOM_MARGIN_MM = 35.0  # GB/T 9704: the page number lives here, under the type area


@dataclass(frozen=True)
class PrintedPage:
    """One page of the printed PDF, as a reader holds it."""

    number: int
    text: str
    png: Path  # the page rendered to PNG under outputs/screenshots/ for people to look at
    size_pt: tuple[float, float]
    content_bottom_mm: float  # from the top edge: the lowest ink above the bottom margin


def _pdfium() -> Any:
    """pypdfium2 (a test dependency); fail, never skip, when it is missing."""
    try:
        import pypdfium2
    except ImportError:
        pytest.fail(
            "缺少 pypdfium2：打印测试用它把 PDF 逐页转成图片。请运行 `pip install -e '.[test]'` 后重试。",
            pytrace=False,
        )
    return pypdfium2


def print_pages(page: Page, stem: str, *, header_footer: bool = False) -> list[PrintedPage]:
    """Print the page to an A4 PDF as Chromium does and render each sheet to PNG.

    ``header_footer=True`` asks for Chromium's own header and footer (date, title, file path, as
    the print dialog's 页眉和页脚 option does); a page that declares its margin boxes gets none.
    Writes ``<stem>.pdf`` and ``<stem>-p<n>.png`` under outputs/screenshots/.
    """
    pdfium = _pdfium()
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", prefer_css_page_size=True, display_header_footer=header_footer)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"{stem}.pdf").write_bytes(pdf)
    doc = pdfium.PdfDocument(pdf)
    pages: list[PrintedPage] = []
    try:
        for i, sheet in enumerate(doc, start=1):
            width, height = sheet.get_size()
            png = SCREENSHOTS / f"{stem}-p{i}.png"
            sheet.render(scale=1.5).to_pil().save(png)
            margin_pt = BOTTOM_MARGIN_MM / MM_PER_PT
            bottoms = [obj.get_bounds()[1] for obj in sheet.get_objects() if obj.get_bounds()[3] > margin_pt]
            lowest = min(bottoms) if bottoms else height
            text = sheet.get_textpage().get_text_bounded().replace("\r\n", "\n")
            pages.append(PrintedPage(i, text, png, (width, height), round((height - lowest) * MM_PER_PT, 1)))
    finally:
        doc.close()
    return pages


def bulletin_notebook(report: Any) -> nbformat.NotebookNode:
    """The official outputs of notebooks/monthly_bulletin.py for a report, without a kernel.

    The same three HTML outputs the notebook displays: the text with the table, the chart, the
    typical case with the signature.
    """
    nb = new_notebook()
    nb.metadata["language_info"] = {"name": "python"}
    outputs = bulletin_page.official_sections(report)
    nb.cells = [
        new_code_cell(
            "display(HTML(...))",
            execution_count=i,
            outputs=[new_output("display_data", data={"text/html": out, "text/plain": "<HTML>"})],
        )
        for i, out in enumerate(outputs, start=1)
    ]
    return nb


# A 1x1 white PNG, for tests that do not need a real chart.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGP4DwABAQEAG7buVgAAAABJRU5ErkJggg=="
)
HOSTILE_TEXT = '<script>alert("x")</script>'
ANALYST_MARK = "ANALYST-ONLY 对账检查"
ANALYST_SOURCE = "reconcile_secret(cases)"
STDERR_MARK = "FutureWarning: noise for analysts"

# (序号, 单位名称, 受理量, 总计办结, 办结率) — a few reference rows; one unit name is hostile text.
TABLE_ROWS = [
    ("*", "全局", 702, 607, "86%"),
    ("1", "站前所", 82, 55, "67%"),
    ("2", "新发所", 11, 8, "72%"),
    ("3", HOSTILE_TEXT, 53, 52, "99%"),
    ("12", "监管一科", 0, 0, ""),
]


def unit_table_html() -> str:
    """An official-style table as kwstats emits it: every cell escaped."""
    head = "".join(f"<th>{h}</th>" for h in ("序号", "单位名称", "受理量", "总计办结", "办结率"))
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>" for row in TABLE_ROWS
    )
    return (
        '<table class="kw-unit-table"><caption>2022 年 1 月份分局各监管责任主体 12315 系统办件数量统计一览表'
        f"</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def tiny_notebook(png: bytes = TINY_PNG) -> nbformat.NotebookNode:
    """A small executed-looking notebook with every output kind the bulletin uses.

    Markdown cell, a chart (image/png), a computed sentence (text/markdown, with escaped
    hostile text), the unit table (text/html), a stderr warning, a JavaScript output, and a
    code cell tagged ``analyst``.
    """
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    escaped = html.escape(HOSTILE_TEXT)
    nb.cells = [
        new_markdown_cell("# 工作动态解读\n\n宽城分局消保科 · 12315 投诉举报中心"),
        new_code_cell(
            "month = '2022-01'",
            execution_count=1,
            metadata={"tags": ["parameters"]},
        ),
        new_code_cell(
            "display(Markdown(summary_sentence))",
            execution_count=2,
            outputs=[
                new_output(
                    "display_data",
                    data={
                        "text/markdown": f"1 月份受理举报件共 271 件，办结 254 件，办结率 93%。被举报方：{escaped}",
                        "text/plain": "<IPython.core.display.Markdown object>",
                    },
                ),
                new_output("stream", name="stderr", text=STDERR_MARK + "\n"),
            ],
        ),
        new_code_cell(
            "display(unit_table_html)",
            execution_count=3,
            outputs=[
                new_output(
                    "display_data",
                    data={"text/html": unit_table_html(), "text/plain": "<unit table>"},
                )
            ],
        ),
        new_code_cell(
            "fig = unit_chart(table, 80)\ndisplay(fig)",
            execution_count=4,
            outputs=[
                new_output(
                    "display_data",
                    data={"image/png": base64.b64encode(png).decode("ascii"), "text/plain": "<Figure>"},
                )
            ],
        ),
        new_code_cell(
            "display(Javascript('1'))",
            execution_count=5,
            outputs=[new_output("display_data", data={"application/javascript": "window.kwstatsJs = 1;"})],
        ),
        new_code_cell(
            ANALYST_SOURCE,
            execution_count=6,
            metadata={"tags": ["analyst"]},
            outputs=[new_output("stream", name="stdout", text=ANALYST_MARK + "\n")],
        ),
        new_markdown_cell("## 典型案例\n\n某商户销售过期食品，已立案查处。"),
    ]
    return nb
