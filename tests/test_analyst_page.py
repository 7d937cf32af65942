"""End to end on an export set that is not the sample: fourteen monthly exports of three units, one
planted spike. The bulletin's analyst page links the spike from its table of contents and shows its
chart; drilldown.xlsx holds exactly the cases behind it; the official page stays script-free."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from kwstats.bulletin import build_bulletin
from kwstats.drilldown import INDEX_SHEET
from kwstats.render import assert_offline, find_scripts
from tests.test_workbench import SPIKE_MONTH, SPIKE_UNIT, spike_ids, write_spike_exports

pytestmark = pytest.mark.slow


VOID = frozenset({"img", "br", "input", "meta", "col", "hr", "link", "source"})


class _Sections(HTMLParser):
    """Every element id; the text and the images inside the element of one id."""

    def __init__(self, wanted: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.wanted, self.depth, self.inside = wanted, 0, []
        self.images: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"])
        if self.depth and tag == "img":
            self.images.append(values)
        if self.depth:
            self.depth += tag not in VOID
            self.inside.append(self.get_starttag_text())
        elif values.get("id") == self.wanted:
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth and tag not in VOID:
            self.depth -= 1
            if self.depth:
                self.inside.append(f"</{tag}>")

    def handle_data(self, data):
        if self.depth:
            self.inside.append(data)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    exports = write_spike_exports(tmp_path_factory.mktemp("exports") / "exports")
    return build_bulletin(SPIKE_MONTH, data=[exports], out_dir=tmp_path_factory.mktemp("out"), draft=True)


def test_the_planted_spike_is_linked_shown_and_taken_away(outputs: dict[str, Path]) -> None:
    page = outputs["分析版"].read_text(encoding="utf-8")
    # the table of contents comes first and links the spike
    start = re.search(r'<nav [^>]*\bid="kw-toc"', page).start()
    toc = page[start : page.index("</nav>", start)]
    where = {
        i: re.search(rf'<\w+ [^>]*\bid="{i}"', page).start() for i in ("kw-toc", "kw-official", "kw-findings")
    }
    assert where["kw-toc"] < where["kw-official"] < where["kw-findings"]
    (anchor, number) = re.search(rf'<a href="#(kw-f(\d\d))">\d\d 异常波动 · {SPIKE_UNIT}</a>', toc).groups()
    assert f"{SPIKE_MONTH} 受理 60 件，前 12 个月平均 20.0 件" in toc
    # every link of the table of contents leads to an element of the page
    parser = _Sections(anchor)
    parser.feed(page)
    assert set(re.findall(r'href="#([^"]+)"', toc)) <= parser.ids
    # the finding's section holds its chart: an inline PNG of the unit's series
    section = "".join(parser.inside)
    (image,) = parser.images
    src, alt = image["src"] or "", image["alt"] or ""
    assert src.startswith("data:image/png;base64,")
    assert (
        base64.b64decode(src.split(",", 1)[1]).startswith(b"\x89PNG") and SPIKE_UNIT in alt and "60 件" in alt
    )
    assert f"drilldown.xlsx 工作表“{number} 异常波动 {SPIKE_UNIT}”" in section
    # drilldown.xlsx: the finding's sheet holds exactly the cases behind it
    book = CalamineWorkbook.from_path(str(outputs["下钻明细"]))
    sheet = f"{number} 异常波动 {SPIKE_UNIT}"
    assert sheet in book.sheet_names and book.sheet_names[0] == INDEX_SHEET
    rows = book.get_sheet_by_name(sheet).to_python()
    header = next(i for i, r in enumerate(rows) if r and r[0] == "登记编号")
    ids = [r[0] for r in rows[header + 1 :] if r and r[0]]
    assert sorted(ids) == sorted(spike_ids())
    index = book.get_sheet_by_name(INDEX_SHEET).to_python()
    assert [r[-1] for r in index if r and r[0] == int(number)] == [sheet]
    assert re.search(r'<a [^>]*href="drilldown.xlsx"', toc)  # beside the page in outputs/<month>/
    # offline, escaped; the official page has none of it and no script
    assert assert_offline(page) == []
    assert "<script>alert(1)</script>" not in page
    official = outputs["正式版"].read_text(encoding="utf-8")
    assert find_scripts(official) == [] and "kw-toc" not in official and "异常波动" not in official
