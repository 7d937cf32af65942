"""Notebook -> self-contained, offline, A4-printable HTML with nbconvert (in process).

Two versions: the official bulletin (no code, no prompts, no ``analyst`` cells) and the analyst
version (everything). Both use the ``kwstats`` template in ``kwstats/templates/`` and are checked
for external references before they are written.
"""

from __future__ import annotations

import copy
import functools
import os
import re
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from kwstats import provenance
from kwstats.exceptions import KwstatsError

# nbformat and nbconvert take about a second to import: they are imported where a page is made
# (render_html, warm_up), so that the CLI's other commands and the bulletin's parent start quickly;
# the bulletin's warm-up thread imports them while the cases load.

TEMPLATES_DIR = Path(__file__).parent / "templates"
TEMPLATE_NAME = "kwstats"

ANALYST_TAG = "analyst"
REMOVE_CELL_TAGS = frozenset({ANALYST_TAG, "remove-cell", "remove_cell"})
REMOVE_INPUT_TAGS = frozenset({"remove-input", "remove_input", "hide-input", "hide_input"})
REMOVE_OUTPUT_TAGS = frozenset({"remove-output", "remove_output"})
TOC_TAG = "toc"  # the analyst page opens with the cell so tagged (its table of contents)


@functools.cache
def _drop_stderr_preprocessor() -> Any:
    """Official version: a preprocessor dropping stderr streams (warnings, progress bars), which are
    not bulletin text."""
    from nbconvert.preprocessors import Preprocessor

    class DropStderrPreprocessor(Preprocessor):
        def preprocess_cell(self, cell, resources, index):  # type: ignore[no-untyped-def]
            """Keep every output except ``stream`` outputs named ``stderr``."""
            if cell.get("cell_type") == "code":
                cell.outputs = [
                    o
                    for o in cell.get("outputs", [])
                    if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                ]
            return cell, resources

    return DropStderrPreprocessor()


_EXPORTERS: dict[bool, Any] = {}


def _exporter(official: bool) -> Any:
    """The configured exporter, built once per process (its Jinja templates load on first use)."""
    if official not in _EXPORTERS:
        _EXPORTERS[official] = _new_exporter(official)
    return _EXPORTERS[official]


def warm_up() -> None:
    """Build both exporters and render a tiny notebook through each, e.g. in a thread while the kernel
    runs: the first render compiles the Jinja sub-templates and loads the Python lexer (~0.4 s)."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    tiny = new_notebook(
        cells=[
            new_markdown_cell("# 标题\n说明"),
            new_code_cell("x = 1", outputs=[new_output("display_data", data={"text/html": "<p>x</p>"})]),
        ],
        metadata={"language_info": {"name": "python", "pygments_lexer": "ipython3"}},
    )
    for official in (True, False):
        _exporter(official).from_notebook_node(tiny, resources={"kwstats_official": official})


def _new_exporter(official: bool) -> Any:
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    c = Config()
    c.HTMLExporter.template_name = TEMPLATE_NAME
    c.HTMLExporter.extra_template_basedirs = [str(TEMPLATES_DIR)]
    c.HTMLExporter.theme = "light"
    c.HTMLExporter.language_code = "zh"
    # Markdown images from local files become data: URIs instead of links.
    c.HTMLExporter.embed_images = True
    # Off on purpose: nbconvert's bleach sanitiser escapes <th>, <thead>, <caption>, <style> and
    # would break the unit table. kwstats escapes export text itself before it reaches any output.
    c.HTMLExporter.sanitize_html = False
    c.HTMLExporter.exclude_anchor_links = True
    if official:
        c.HTMLExporter.exclude_input = True
        c.HTMLExporter.exclude_input_prompt = True
        c.HTMLExporter.exclude_output_prompt = True
        c.TagRemovePreprocessor.enabled = True
        c.TagRemovePreprocessor.remove_cell_tags = set(REMOVE_CELL_TAGS)
        c.TagRemovePreprocessor.remove_input_tags = set(REMOVE_INPUT_TAGS)
        c.TagRemovePreprocessor.remove_all_outputs_tags = set(REMOVE_OUTPUT_TAGS)
    exporter = HTMLExporter(config=c)
    if official:
        exporter.register_preprocessor(_drop_stderr_preprocessor(), enabled=True)
    return exporter


def _load(notebook: Any) -> tuple[Any, Path | None]:
    import nbformat

    if isinstance(notebook, nbformat.NotebookNode):
        return copy.deepcopy(notebook), None  # preprocessors mutate the notebook
    path = Path(notebook)
    try:
        return nbformat.read(path, as_version=4), path
    except FileNotFoundError as exc:
        raise KwstatsError(f"找不到笔记本文件：{path}") from exc
    except Exception as exc:  # nbformat raises several types for a damaged file
        raise KwstatsError(f"无法读取笔记本文件 {path}：{exc}") from exc


def render_html(notebook: Any, *, official: bool, title: str) -> str:
    """Convert a notebook to the kwstats HTML string (see :func:`export_html`); nothing is written."""
    nb, path = _load(notebook)
    nb.metadata["title"] = title  # the lab template puts it, escaped, into <title>
    if official:
        nb.metadata.pop("widgets", None)  # widget state is a <script> block
    else:  # the table of contents first, then every cell in its order (the sort is stable)
        nb.cells.sort(key=lambda cell: TOC_TAG not in cell.get("metadata", {}).get("tags", []))
    resources: dict[str, object] = {"kwstats_official": official}
    if not official:  # the analyst page's footer: what the bulletin was built from
        resources["kwstats_footer"] = provenance.footer_html(nb.metadata.get(provenance.METADATA_KEY))
    if path is not None:
        # Relative markdown images are read (and embedded) from the notebook's folder.
        resources["metadata"] = {"name": path.stem, "path": str(path.parent)}
    html, _resources = _exporter(official).from_notebook_node(nb, resources=resources)
    return html


def export_html(
    notebook: Any,
    out_path: str | os.PathLike[str],
    *,
    official: bool,
    title: str,
) -> Path:
    """Write the official (``official=True``) or analyst HTML of a notebook, atomically.

    Official: no code input, no prompts, cells tagged ``analyst``/``remove-cell`` removed,
    ``remove-input``/``remove-output`` honoured, stderr dropped, no scripts at all. Analyst:
    everything. Both are self-contained (inline CSS, embedded images) and refused with a
    KwstatsError if any external reference is left. Returns the written path.
    """
    out = Path(out_path)
    html = render_html(notebook, official=official, title=title)
    scan = _scan(html)  # one parse serves both checks
    external = scan.refs
    if external:
        raise KwstatsError(
            f"生成的 HTML 引用了外部资源，内网离线打开会缺失内容：{'；'.join(external[:10])}"
            + ("……" if len(external) > 10 else "")
        )
    if official:
        scripts = scan.scripts
        if scripts:
            raise KwstatsError(
                f"正式版 HTML 中出现了 {len(scripts)} 段脚本（{scripts[0]}），"
                "通常是某个输出未转义或使用了交互组件；请检查笔记本输出。"
            )
    write_text_atomic(out, html)
    return out


def write_text_atomic(path: Path, text: str) -> None:
    """Write UTF-8 text to a temp file beside ``path``, then os.replace it (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; the bulletin is meant to be shared
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


# --- offline checks --------------------------------------------------------------------------

_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""", re.IGNORECASE | re.DOTALL)
_CSS_IMPORT = re.compile(r"""@import\s+(?:url\()?\s*['"]?([^'");\s]+)""", re.IGNORECASE)
_CSS_IMPORT_STATEMENT = re.compile(r"@import[^;]*;?", re.IGNORECASE)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)

# (tag, attribute) pairs whose value the browser fetches.
_FETCHED_ATTRS: dict[str, tuple[str, ...]] = {
    "script": ("src",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "input": ("src",),
    "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"),
    "feimage": ("href", "xlink:href"),
    "base": ("href",),
}


def _is_inline(url: str) -> bool:
    """data: URIs and same-document fragments never leave the file."""
    u = url.strip().lower()
    return u == "" or u.startswith("data:") or u.startswith("#")


def _srcset_urls(value: str) -> list[str]:
    """URLs of a srcset (data: URIs contain commas, so no naive split)."""
    urls: list[str] = []
    i, n = 0, len(value)
    while i < n:
        while i < n and (value[i].isspace() or value[i] == ","):
            i += 1
        j = i
        while j < n and not value[j].isspace():
            j += 1
        token = value[i:j]
        if token:
            urls.append(token.rstrip(","))
        if token.endswith(","):
            i = j
            continue
        while j < n and value[j] != ",":  # skip the descriptor ("2x", "480w")
            j += 1
        i = j + 1
    return urls


def _css_refs(css: str) -> list[str]:
    css = _CSS_COMMENT.sub("", css)
    refs = [f"@import {m.group(1)}" for m in _CSS_IMPORT.finditer(css)]
    css = _CSS_IMPORT_STATEMENT.sub("", css)
    refs += [f"url({m.group(2)})" for m in _CSS_URL.finditer(css) if not _is_inline(m.group(2))]
    return refs


class _RefScanner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []
        self.scripts: list[str] = []
        self._in_style = False
        self._in_script: str | None = None
        self._script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        tag = tag.lower()
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "link" and values.get("href") and not _is_inline(values["href"]):
            self.refs.append(f"<link href={values['href']}>")
        if tag in ("iframe", "frame") and not values.get("src"):
            self.refs.append(f"<{tag}>")
        for attr in _FETCHED_ATTRS.get(tag, ()):
            value = values.get(attr)
            if not value:
                continue
            urls = _srcset_urls(value) if attr == "srcset" else [value]
            self.refs.extend(f"<{tag} {attr}={u}>" for u in urls if not _is_inline(u))
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self.refs.append(f"<meta http-equiv=refresh content={values.get('content', '')}>")
        if "style" in values:
            self.refs.extend(f"style={r}" for r in _css_refs(values["style"]))
        if tag == "style":
            self._in_style = True
        if tag == "script":
            self._in_script = values.get("type", "") or "text/javascript"
            self._script_text = []
            if values.get("src"):
                self.scripts.append(f"<script src={values['src']}>")
                self._in_script = None

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag.lower() == "script":
            self._in_script = None

    def handle_endtag(self, tag: str) -> None:
        tag = tag.lower()
        if tag == "style":
            self._in_style = False
        if tag == "script" and self._in_script is not None:
            body = " ".join("".join(self._script_text).split())
            self.scripts.append(f"<script type={self._in_script}> {body[:120]}")
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.refs.extend(f"<style> {r}" for r in _css_refs(data))
        if self._in_script is not None:
            self._script_text.append(data)


def assert_offline(html: str) -> list[str]:
    """Every reference in the HTML that a browser would fetch from outside the file.

    Covers script/img/iframe/embed/object/source/video/audio/SVG sources, ``<link href>``,
    ``<base href>``, meta refresh, and ``@import``/``url(…)`` in ``<style>`` blocks and style
    attributes. data: URIs and ``#fragment`` links are inline; plain ``<a href>`` is not fetched.
    An empty list means the page opens fully offline.
    """
    return _scan(html).refs


def find_scripts(html: str) -> list[str]:
    """Every ``<script>`` element in the HTML, briefly described (the official page must have none)."""
    return _scan(html).scripts


def _scan(html: str) -> _RefScanner:
    scanner = _RefScanner()
    scanner.feed(html)
    scanner.close()
    return scanner
