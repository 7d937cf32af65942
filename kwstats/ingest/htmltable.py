"""An "Excel export" that is really an HTML table (what the platform often gives as .xls)."""

from __future__ import annotations

import codecs
import re
from html.parser import HTMLParser
from pathlib import Path

from kwstats.exceptions import InputFileError
from kwstats.ingest.files import read_bytes
from kwstats.ingest.headers import Raw, all_blank, body_columns, build_raw, locate_header, missing_column
from kwstats.params import Branch

_MAX_SPAN = 1000  # colspan/rowspan beyond this is taken as 1 (a broken or hostile page)


class TableParser(HTMLParser):
    """The rows of every <table> in a page, as lists of cell text in document order.

    Cell text is what a browser (or Excel) shows: runs of whitespace collapsed to one space, <br> a
    line break, &nbsp; a space. colspan and rowspan are spread out with empty cells so that columns
    stay aligned; <script> and <style> are skipped.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._colspan = 1
        self._rowspan = 1
        self._pending: dict[int, int] = {}  # column -> rows below still covered by a rowspan
        self._covered: set[int] = set()  # columns of the current row covered from above
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "tr":
            self._end_row()
            self._start_row()
        elif tag in ("td", "th"):
            self._end_cell()
            if self._row is None:  # a cell without <tr>
                self._start_row()
            a = dict(attrs)
            self._colspan, self._rowspan = _span(a.get("colspan")), _span(a.get("rowspan"))
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")
        elif tag == "table":
            self._end_row()
            self._pending.clear()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th"):
            self._end_cell()
        elif tag in ("tr", "table"):
            self._end_row()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" and self._cell is not None:
            self._cell.append("\n")
        elif tag in ("td", "th"):  # <td/>: an empty cell
            self.handle_starttag(tag, attrs)
            self._end_cell()

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._skip:
            self._cell.append(re.sub(r"[ \t\r\n\f\xa0]+", " ", data))

    def close(self) -> None:
        super().close()
        self._end_row()

    def _start_row(self) -> None:
        self._row = []
        self._covered = {c for c, n in self._pending.items() if n > 0}

    def _skip_covered(self) -> None:
        assert self._row is not None
        while len(self._row) in self._covered:
            self._row.append("")

    def _end_cell(self) -> None:
        if self._cell is None or self._row is None:
            self._cell = None
            return
        text = re.sub(r" *\n *", "\n", "".join(self._cell)).strip()
        self._cell = None
        self._skip_covered()
        col = len(self._row)
        self._row.append(text)
        self._row.extend([""] * (self._colspan - 1))
        if self._rowspan > 1:
            for c in range(col, col + self._colspan):
                self._pending[c] = self._rowspan - 1

    def _end_row(self) -> None:
        self._end_cell()
        if self._row is None:
            return
        if self._covered:
            self._skip_covered()
        self.rows.append(self._row)
        for c in self._covered:
            self._pending[c] -= 1
            if self._pending[c] <= 0:
                del self._pending[c]
        self._row, self._covered = None, set()


def _span(value: str | None) -> int:
    try:
        n = int(str(value).strip().rstrip(";"))
    except ValueError:
        return 1
    return n if 1 <= n <= _MAX_SPAN else 1


def _decode_html(path: Path, data: bytes) -> tuple[str, str]:
    """A page's text and encoding: UTF-16 (with BOM), UTF-8 (with or without BOM), else GB18030."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = [("utf-16", data)]
    else:
        bom = data.startswith(codecs.BOM_UTF8)
        candidates = [
            ("utf-8-sig" if bom else "utf-8", data.removeprefix(codecs.BOM_UTF8)),
            ("gb18030", data),
        ]
    for encoding, raw in candidates:
        try:
            return raw.decode("utf-8" if encoding == "utf-8-sig" else encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InputFileError(
        f"{path}：这是网页格式的表格，但无法识别文字编码（试过 UTF-8、GB18030）。"
        f"请用 Excel 或 WPS 打开后另存为 .xlsx 再导入。"
    )


def read_html(
    path: Path,
    source: str,
    branch: Branch,
    aliases: dict[str, tuple[str, int]],
    personal: set[str],
    warnings: list[str],
) -> Raw:
    """An "Excel export" that is an HTML table: its rows go through the same header detection and
    mapping as a CSV's. Line numbers are table rows (1-based, all tables of the page in order), as
    Excel shows them when it opens the file."""
    text, encoding = _decode_html(path, read_bytes(path))
    parser = TableParser()
    parser.feed(text)
    parser.close()
    if not parser.rows:
        raise InputFileError(
            f"{path}：扩展名是 {path.suffix}，实际是网页（HTML）文件，但里面没有表格。"
            f"请从 12315 平台重新导出，或用 Excel 打开后另存为 .xlsx 再导入。"
        )
    head, header_idx, best = locate_header(parser.rows, aliases)
    if all_blank(parser.rows, head):
        raise InputFileError(f"{path}：文件是空的，表格里没有任何内容。请确认导出是否成功。")
    if header_idx is None:
        raise missing_column(str(path), head[best], aliases, branch)
    body, lines = body_columns(parser.rows, header_idx, head.shape[1])
    return build_raw(
        path, source, "html-xls", encoding, None, head, header_idx, header_idx + 1, body, lines,
        aliases, personal, warnings,
    )  # fmt: skip
