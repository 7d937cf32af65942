from python_calamine import CalamineWorkbook

from kwstats.indicators import TABLE_LABELS, unit_table
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
    assert out.count('class="under-threshold"') == 1
    assert 'class="global-row"' in out


def test_xlsx_is_formatted_like_the_published_table(branch, tmp_path):
    path = write_table_xlsx(
        _table(branch), tmp_path / "t.xlsx", title="标题", note="注：测试", rule="truncate", threshold=80
    )
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert rows[0][0] == "标题"
    assert rows[1] == list(TABLE_LABELS.values())
    assert rows[2][:2] == ["*", "全局"] and rows[2][-1] == "33%"
    assert rows[3][1] == "站前所" and rows[3][2] == 2
    note_row = 2 + len(branch.roster) + 1
    assert rows[note_row][0] == "注：测试"
