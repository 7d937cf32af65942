import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from kwstats.indicators import TABLE_COLUMNS, TABLE_LABELS, unit_table
from kwstats.tables import display_table, table_csv, table_html, table_markdown, write_table_xlsx
from tests.conftest import make_cases


def _table(branch):
    cases = make_cases(
        [
            {"kind": "投诉", "unit": "站前所", "registered_at": "2022-01-03", "closed_at": "2022-01-04"},
            {"kind": "投诉", "unit": "站前所", "registered_at": "2022-01-03"},
            {"kind": "举报", "unit": "<b>外单位</b>", "registered_at": "2022-01-03"},
        ]
    )
    return unit_table(cases, branch, "2022-01")


def test_csv_header_and_blank_rates(branch):
    lines = table_csv(_table(branch)).splitlines()
    assert lines[0] == (
        "seq,unit,accepted,reports,reports_closed,reports_filed,complaints,complaints_closed,"
        "complaints_to_case,closed,closure_rate_pct"
    )
    assert lines[1] == "*,全局,3,1,0,0,2,1,0,1,33"
    assert lines[2] == "1,站前所,2,0,0,0,2,1,0,1,50"
    assert lines[3].endswith(",0,")


def test_display_labels_and_markdown(branch):
    shown = display_table(_table(branch))
    assert list(shown.columns) == list(TABLE_LABELS.values())
    assert shown.iloc[0]["办结率"] == "33%"
    assert table_markdown(_table(branch)).startswith("| 序号 | 单位名称 |")


def test_html_marks_under_threshold(branch):
    out = table_html(_table(branch), "truncate", 80)
    # One marking: the rate cell of 站前所 (1 of 2 closed = 50 %), never the 全局 row (33 %).
    assert out.count("kw-below") == 2  # the marked cell and the legend's swatch
    assert '<td class="kw-num kw-rate kw-below"><span class="kw-mark">▼</span>50%</td>' in out
    assert '<td class="kw-num kw-rate">33%</td>' in out
    assert out.count("▼") == 2
    assert "under-threshold" not in out and "<u>" not in out
    assert 'class="global-row"' in out
    # Explained once, right under the table.
    assert out.endswith(
        '</table><p class="kw-legend"><span class="kw-below kw-swatch">▼</span> 表示办结率低于 80%</p>'
    )


def test_xlsx_is_formatted_like_the_published_table(branch, tmp_path):
    path = write_table_xlsx(
        _table(branch), tmp_path / "t.xlsx", title="标题", note="注：测试", rule="truncate", threshold=80
    )
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "标题"
    assert rows[1] == list(TABLE_LABELS.values())
    assert rows[2][:2] == ["*", "全局"] and rows[2][-1] == 0.33  # 1 of 3, truncated, as a fraction
    assert rows[3][:3] == [1, "站前所", 2] and rows[3][-1] == 0.5  # 序号 is a number
    legend_row = 2 + len(branch.roster) + 1
    assert rows[legend_row][:2] == ["▼", "表示办结率低于 80%"]
    assert rows[legend_row + 1][0] == "注：测试"


# --- table.xlsx: numbers with number formats, one marking, fonts a Windows desk has ----------

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
BUILTIN_FORMATS = {0: "General", 1: "0", 9: "0%", 10: "0.00%"}


def _cells(path: Path) -> dict[str, dict]:
    """Each written cell of the first sheet: value, type and the style Excel applies to it."""
    with zipfile.ZipFile(path) as z:
        styles = ET.fromstring(z.read("xl/styles.xml"))
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
        shared = [
            "".join(t.text or "" for t in si.iter(f"{MAIN}t"))
            for si in ET.fromstring(z.read("xl/sharedStrings.xml"))
        ]
    formats = dict(BUILTIN_FORMATS)
    for nf in styles.iter(f"{MAIN}numFmt"):
        formats[int(nf.get("numFmtId"))] = nf.get("formatCode")
    fonts = [
        (f.find(f"{MAIN}name").get("val"), f.find(f"{MAIN}b") is not None)
        for f in styles.find(f"{MAIN}fonts")
    ]
    fills = []
    for fill in styles.find(f"{MAIN}fills"):
        fg = fill.find(f"{MAIN}patternFill/{MAIN}fgColor")
        fills.append(fg.get("rgb") if fg is not None else None)
    xfs = list(styles.find(f"{MAIN}cellXfs"))
    cells = {}
    for row in sheet.iter(f"{MAIN}row"):
        for c in row.iter(f"{MAIN}c"):
            xf = xfs[int(c.get("s", 0))]
            align = xf.find(f"{MAIN}alignment")
            v = c.find(f"{MAIN}v")
            value = None if v is None else v.text
            if c.get("t") == "s" and value is not None:
                value = shared[int(value)]
            cells[c.get("r")] = {
                "value": value,
                "type": c.get("t", "n"),
                "format": formats[int(xf.get("numFmtId", 0))],
                "align": align.get("horizontal") if align is not None else None,
                "font": fonts[int(xf.get("fontId", 0))],
                "fill": fills[int(xf.get("fillId", 0))],
                "height": float(row.get("ht", 15)),
            }
    return cells


def _frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def _write(tmp_path: Path, table: pd.DataFrame, rule: str = "truncate", threshold: float = 80) -> dict:
    path = write_table_xlsx(
        table, tmp_path / "t.xlsx", title="标题", note="注：测试", rule=rule, threshold=threshold
    )
    return _cells(path)


def test_xlsx_numbers_are_numbers_with_formats(tmp_path):
    table = _frame(
        [
            ("*", "全局", 13, 2, 2, 0, 11, 9, 0, 11, 84.0),
            ("1", "站前所", 11, 2, 2, 0, 9, 6, 0, 8, 72.0),  # 8/11 = 72.7 %, printed 72 %
            ("2", "新发所", 2, 0, 0, 0, 2, 2, 0, 2, 100.0),
            ("3", "监管一科", 0, 0, 0, 0, 0, 0, 0, 0, float("nan")),
        ]
    )
    cells = _write(tmp_path, table)
    assert (cells["A3"]["value"], cells["A3"]["type"]) == ("*", "s")  # 全局's 序号 stays text
    assert (cells["A4"]["value"], cells["A4"]["type"], cells["A4"]["format"]) == ("1", "n", "0")
    assert (cells["C4"]["value"], cells["C4"]["type"], cells["C4"]["format"]) == ("11", "n", "0")
    # 办结率: a fraction shown as a whole percent; the mark is part of the format, not the value.
    assert (cells["K3"]["value"], cells["K3"]["type"]) == ("0.84", "n")
    assert (cells["K4"]["value"], cells["K4"]["type"]) == ("0.72", "n")
    assert (cells["K5"]["value"], cells["K5"]["type"]) == ("1", "n")
    assert cells["K6"]["value"] is None  # nothing accepted: blank, never 0 %
    assert cells["K3"]["format"] == cells["K5"]["format"] == "0%"
    assert cells["K4"]["format"] == '"▼"0%'  # the mark leads: right-aligned digits line up
    # Numbers right-aligned, 序号 and names centred.
    for ref in ("C3", "J4", "K3", "K4", "K5", "K6"):
        assert cells[ref]["align"] == "right", ref
    assert cells["A4"]["align"] == cells["B4"]["align"] == "center"


def test_xlsx_marks_under_threshold_once_and_explains_it(tmp_path):
    table = _frame(
        [
            ("*", "全局", 13, 2, 2, 0, 11, 9, 0, 11, 84.0),
            ("1", "站前所", 11, 2, 2, 0, 9, 6, 0, 8, 72.0),
            ("2", "新发所", 2, 0, 0, 0, 2, 2, 0, 2, 100.0),
        ]
    )
    cells = _write(tmp_path, table)
    shaded = sorted(ref for ref, c in cells.items() if c["fill"] == "FFF8CBAD")
    assert shaded == ["A6", "K4"]  # the marked rate and the legend's swatch
    assert not any(c["font"][1] for ref, c in cells.items() if ref[1:] in ("4", "5"))  # no bold unit rows
    assert cells["A6"]["value"] == "▼" and cells["B6"]["value"] == "表示办结率低于 80%"
    assert cells["A7"]["value"] == "注：测试"
    # Nothing under the threshold: no legend row, the note follows the table.
    cells = _write(tmp_path, table, threshold=70)
    assert not any(c["fill"] == "FFF8CBAD" for c in cells.values())
    assert cells["A6"]["value"] == "注：测试"


def test_xlsx_two_decimal_rule(tmp_path):
    table = _frame(
        [
            ("*", "全局", 11, 2, 2, 0, 9, 6, 0, 8, 72.73),
            ("1", "站前所", 11, 2, 2, 0, 9, 6, 0, 8, 72.73),
        ]
    )
    cells = _write(tmp_path, table, rule="two_decimals")
    assert float(cells["K4"]["value"]) == pytest.approx(0.7273, abs=1e-12)
    assert cells["K4"]["format"] == '"▼"0.00%'
    assert cells["K3"]["format"] == "0.00%"


def test_xlsx_fonts_and_row_heights(tmp_path):
    table = _frame(
        [("*", "全局", 1, 0, 0, 0, 1, 1, 0, 1, 100.0), ("1", "站前所", 1, 0, 0, 0, 1, 1, 0, 1, 100.0)]
    )
    cells = _write(tmp_path, table)
    names = {c["font"][0] for c in cells.values()}
    assert names == {"SimSun"}  # a Windows font whose fallback elsewhere is a Song face, not 宋体
    assert cells["B3"]["font"] == ("SimSun", True) and cells["B4"]["font"] == ("SimSun", False)
    assert all(cells[f"A{r}"]["height"] >= 20 for r in (3, 4))
