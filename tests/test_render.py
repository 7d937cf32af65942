"""kwstats.render: official and analyst HTML, offline and printable."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

from kwstats.exceptions import KwstatsError
from kwstats.render import (
    TEMPLATES_DIR,
    assert_offline,
    export_html,
    find_scripts,
    render_html,
)
from tests.browser_util import (
    ANALYST_MARK,
    ANALYST_SOURCE,
    HOSTILE_TEXT,
    STDERR_MARK,
    tiny_notebook,
)

TITLE = "2022 年 1 月份工作动态解读"


def _body(html: str) -> str:
    """The part of the page after the inline CSS, i.e. the notebook content."""
    return html.split("<main>", 1)[1]


@pytest.fixture(scope="module")
def official(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("official") / "bulletin.html"
    assert export_html(tiny_notebook(), out, official=True, title=TITLE) == out
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def analyst(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("analyst") / "analyst.html"
    export_html(tiny_notebook(), out, official=False, title=TITLE + "（分析版）")
    return out.read_text(encoding="utf-8")


def test_template_is_shipped_in_the_package() -> None:
    assert (TEMPLATES_DIR / "kwstats" / "conf.json").is_file()
    assert (TEMPLATES_DIR / "kwstats" / "index.html.j2").is_file()


def test_official_has_no_code_prompts_or_analyst_cells(official: str) -> None:
    body = _body(official)
    assert ANALYST_SOURCE not in official
    assert ANALYST_MARK not in official
    assert "display(unit_table_html)" not in official
    assert "month = " not in official
    assert 'class="jp-InputPrompt' not in body
    assert 'class="jp-OutputPrompt' not in body
    assert "jp-InputArea-editor" not in body
    assert STDERR_MARK not in official


def test_official_keeps_bulletin_content(official: str) -> None:
    body = _body(official)
    assert "工作动态解读" in body and "典型案例" in body
    assert "办结率 93%" in body
    assert body.count("<table") == 1 and "<caption>" in body and "<th>单位名称</th>" in body
    assert re.search(r'<img [^>]*src="data:image/png;base64,', body)


def test_analyst_has_everything(analyst: str) -> None:
    body = _body(analyst)
    assert "reconcile_secret" in body  # source is syntax-highlighted, so split into spans
    assert ANALYST_MARK in body
    assert STDERR_MARK in body
    assert "unit_table_html" in body
    assert 'class="jp-InputPrompt' in body
    assert "<table" in body


def test_title_is_set(official: str, analyst: str) -> None:
    assert f"<title>{TITLE}</title>" in official
    assert f"<title>{TITLE}（分析版）</title>" in analyst
    assert '<html lang="zh">' in official


def test_title_is_escaped(tmp_path: Path) -> None:
    html = render_html(tiny_notebook(), official=True, title="<b>月报</b>")
    assert "<title>&lt;b&gt;月报&lt;/b&gt;</title>" in html


@pytest.mark.parametrize("which", ["official", "analyst"])
def test_pages_are_offline(which: str, request: pytest.FixtureRequest) -> None:
    html = request.getfixturevalue(which)
    assert assert_offline(html) == []
    for cdn in ("require.js", "require.min.js", "cdnjs", "mathjax", "unpkg", "jsdelivr"):
        assert cdn not in html.lower()
    assert "<link" not in html
    assert "@import" not in html


def test_print_css_for_a4(official: str, analyst: str) -> None:
    # GB/T 9704-2012: top 37 mm, right 26 mm, bottom 35 mm, binding edge 28 mm (type area 156 x 225);
    # the analyst page keeps narrow margins for its wide tables.
    assert re.search(r"@page\s*\{\s*size:\s*A4;\s*margin:\s*37mm 26mm 35mm 28mm;", official)
    assert re.search(r"@page\s*\{\s*size:\s*A4;\s*margin:\s*15mm 12mm 18mm 12mm;", analyst)
    for html in (official, analyst):
        # An author margin box top and bottom: Chromium prints no date, title or file path there.
        assert re.search(r'@top-center\s*\{\s*content:\s*"";', html)
        assert re.search(
            r'@page :right\s*\{\s*@bottom-right\s*\{\s*content:\s*"— " counter\(page\) " —"', html
        )
        assert re.search(r'@page :left\s*\{\s*@bottom-left\s*\{\s*content:\s*"— " counter\(page\) " —"', html)
        assert "@media print" in html
        assert "page-break-inside: avoid" in html
        assert "color-scheme: light" in html
        assert 'data-jp-theme-light="true"' in html
        assert "theme-dark" not in html


def test_official_has_no_live_script_and_hostile_text_stays_escaped(official: str) -> None:
    assert find_scripts(official) == []
    assert "<script" not in official.lower()
    assert "window.kwstatsJs" not in official  # application/javascript output dropped
    body = _body(official)
    assert "&lt;script&gt;alert" in body  # in the table cell and in the markdown sentence
    assert body.count("&lt;script&gt;") == 2
    assert HOSTILE_TEXT not in body


def test_analyst_keeps_javascript_output_inline(analyst: str) -> None:
    scripts = find_scripts(analyst)
    assert any("kwstatsJs" in s for s in scripts)
    assert all("src=" not in s for s in scripts)


def test_tags_remove_cell_and_remove_input(tmp_path: Path) -> None:
    nb = tiny_notebook()
    nb.cells.append(
        new_code_cell(
            "hidden_source_xyz()",
            execution_count=7,
            metadata={"tags": ["remove-input"]},
            outputs=[new_output("stream", name="stdout", text="VISIBLE-OUTPUT\n")],
        )
    )
    nb.cells.append(new_markdown_cell("GONE-CELL", metadata={"tags": ["remove-cell"]}))
    html = render_html(nb, official=True, title=TITLE)
    assert "VISIBLE-OUTPUT" in html
    assert "hidden_source_xyz" not in html
    assert "GONE-CELL" not in html


def test_export_from_path_and_file_is_shared_readable(tmp_path: Path) -> None:
    nb_path = tmp_path / "bulletin.ipynb"
    nbformat.write(tiny_notebook(), nb_path)
    out = export_html(nb_path, tmp_path / "out" / "b.html", official=True, title=TITLE)
    assert out.is_file() and out.stat().st_mode & 0o044 == 0o044
    assert [p.name for p in out.parent.iterdir()] == ["b.html"]


def test_input_notebook_is_not_mutated() -> None:
    nb = tiny_notebook()
    before = nbformat.writes(nb)
    render_html(nb, official=True, title=TITLE)
    assert nbformat.writes(nb) == before


def test_external_reference_is_refused_and_old_file_kept(tmp_path: Path) -> None:
    out = tmp_path / "b.html"
    out.write_text("OLD", encoding="utf-8")
    nb = tiny_notebook()
    nb.cells.append(new_markdown_cell("![logo](https://example.com/logo.png)"))
    with pytest.raises(KwstatsError, match="外部资源"):
        export_html(nb, out, official=True, title=TITLE)
    assert out.read_text(encoding="utf-8") == "OLD"
    assert [p.name for p in tmp_path.iterdir()] == ["b.html"]  # no temp file left


def test_local_markdown_image_is_embedded(tmp_path: Path) -> None:
    from tests.browser_util import TINY_PNG

    (tmp_path / "logo.png").write_bytes(TINY_PNG)
    nb = tiny_notebook()
    nb.cells.append(new_markdown_cell("![徽标](logo.png)"))
    nb_path = tmp_path / "b.ipynb"
    nbformat.write(nb, nb_path)
    html = render_html(nb_path, official=True, title=TITLE)
    assert assert_offline(html) == []
    assert _body(html).count("data:image/png;base64,") == 2


def test_missing_notebook_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KwstatsError, match="找不到笔记本文件"):
        export_html(tmp_path / "nope.ipynb", tmp_path / "x.html", official=True, title=TITLE)


def test_assert_offline_finds_every_kind_of_external_reference() -> None:
    html = """<!DOCTYPE html><html><head>
    <script src="https://cdn.example.com/require.js"></script>
    <link rel="stylesheet" href="style.css">
    <link rel="icon" href="data:image/png;base64,AAAA">
    <style>@import url("https://fonts.example.com/css"); body { background: url(bg.png); }
    .ok { background: url(data:image/png;base64,AAAA); } /* url(http://comment.example) */</style>
    <base href="http://intranet/">
    </head><body>
    <img src="http://example.com/a.png"><img src="data:image/png;base64,AAAA">
    <img srcset="a.png 1x, data:image/png;base64,AAAA 2x,data:image/png;base64,BBBB 3x">
    <iframe src="https://example.com/frame"></iframe>
    <div style="background-image: url('http://example.com/x.png')"></div>
    <svg><image href="http://example.com/s.png"/></svg>
    <object data="movie.swf"></object>
    <a href="https://example.com/">a link is not fetched</a><a href="#top">top</a>
    </body></html>"""
    refs = assert_offline(html)
    joined = "\n".join(refs)
    for needle in (
        "https://cdn.example.com/require.js",
        "style.css",
        "https://fonts.example.com/css",
        "bg.png",
        "http://intranet/",
        "http://example.com/a.png",
        "<img srcset=a.png>",
        "https://example.com/frame",
        "http://example.com/x.png",
        "http://example.com/s.png",
        "movie.swf",
    ):
        assert needle in joined, needle
    assert "data:" not in joined
    assert "comment.example" not in joined
    assert "https://example.com/>" not in joined
    assert len(refs) == 11


def test_assert_offline_accepts_plain_inline_page() -> None:
    html = (
        "<html><head><style>td { border: 1px solid #000; }</style></head><body><table></table></body></html>"
    )
    assert assert_offline(html) == []


def test_official_refuses_a_live_script_from_an_unescaped_output(tmp_path: Path) -> None:
    """If export text ever reached an output unescaped, the official page is not written."""
    nb = tiny_notebook()
    nb.cells.append(
        new_code_cell(
            "oops",
            execution_count=8,
            outputs=[new_output("display_data", data={"text/html": f"<p>被举报方：{HOSTILE_TEXT}</p>"})],
        )
    )
    out = tmp_path / "official.html"
    with pytest.raises(KwstatsError, match="正式版 HTML 中出现了 1 段脚本"):
        export_html(nb, out, official=True, title=TITLE)
    assert not out.exists()
    # The analyst page (for people who run the code anyway) is written.
    assert export_html(nb, tmp_path / "analyst.html", official=False, title=TITLE).is_file()


def test_unit_table_marking_css(official: str) -> None:
    """Numbers right-aligned; the under-threshold cell shaded (printed even without backgrounds); no underline."""
    css = official.split("<main>", 1)[0]
    assert re.search(r"table\.kw-unit-table td\.kw-num \{ text-align: right;", css)
    below = re.search(r"td\.kw-below \{([^}]*)\}", css)
    assert below is not None
    assert "background: #f8cbad" in below.group(1) and "print-color-adjust: exact" in below.group(1)
    assert "under-threshold" not in css
    assert not re.search(r"kw-unit-table[^{]*\{[^}]*text-decoration:\s*underline", css)
    # The parts read as one are never split across pages; the signature keeps the text above it.
    assert re.search(r"\.kw-table-section, \.kw-signature \{\s*page-break-inside: avoid;", css)
    assert re.search(r"\.kw-signature \{ break-before: avoid;", css)
