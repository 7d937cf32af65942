"""The analyst's page parts (kwstats.workbench, kwstats.views): table of contents, findings, interactive
tables with every row, rejected rows, the drill-down workbook — on small exports made here."""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from kwstats import drilldown, forked, views, workbench
from kwstats.checks import Finding
from kwstats.report import build_report

HEADER = [
    "登记编号",
    "业务类型",
    "登记时间",
    "承办单位",
    "受理时间",
    "办结时间",
    "涉及客体分类",
    "被投诉方",
    "登记内容",
]
UNITS = ("站前所", "新发所", "南广所")
CATEGORIES = ("食品", "服装鞋帽", "家用电器", "日用百货")
MONTHS = [f"2023-{m:02d}" for m in range(1, 13)] + ["2024-01", "2024-02"]
SPIKE_MONTH, SPIKE_UNIT, PER_UNIT, PLANTED = "2024-02", "站前所", 20, 40
HOSTILE = "<script>alert(1)</script>"
BAD_DATE_ID = "BAD-1"


def spike_ids() -> list[str]:
    """The case ids behind the planted spike: 站前所's 20 usual cases of February 2024 and the 40 planted."""
    usual = [f"{SPIKE_MONTH}-{SPIKE_UNIT}-{k:02d}" for k in range(PER_UNIT)]
    return usual + [f"SP{k:03d}" for k in range(PLANTED)]


def write_spike_exports(folder: Path) -> Path:
    """Fourteen monthly exports (2023-01 … 2024-02) as the platform gives them: three roster units with
    20 cases a month each, every case closed the next day, goods categories in turn; in February 2024
    站前所 gets 40 more (a spike: 60 against a mean of 20). Each file ends with a 合计 row; the
    2023-03 file holds one row whose date cannot be read."""
    folder.mkdir(parents=True, exist_ok=True)
    for month in MONTHS:
        rows = []
        for unit in UNITS:
            for k in range(PER_UNIT):
                day = 1 + k
                rows.append(
                    [
                        f"{month}-{unit}-{k:02d}",
                        "投诉" if k % 2 == 0 else "举报",
                        f"{month}-{day:02d} 09:00:00",
                        unit,
                        f"{month}-{day:02d} 10:00:00",
                        f"{month}-{day:02d} 16:00:00",
                        CATEGORIES[k % len(CATEGORIES)],
                        "某商店",
                        "商品质量问题",
                    ]
                )
        if month == SPIKE_MONTH:
            for k in range(PLANTED):
                day = 3 + k % 20
                content = HOSTILE if k == 0 else "培训机构停课不退费"
                rows.append(
                    [
                        f"SP{k:03d}",
                        "投诉",
                        f"{month}-{day:02d} 11:00:00",
                        SPIKE_UNIT,
                        f"{month}-{day:02d} 12:00:00",
                        f"{month}-{day:02d} 17:00:00",
                        CATEGORIES[k % len(CATEGORIES)],
                        "某培训学校",
                        content,
                    ]
                )
        if month == "2023-03":
            rows.append(
                [BAD_DATE_ID, "投诉", "2023-13-45 09:00:00", "站前所", "", "", "食品", "某店", "日期错"]
            )
        rows.append([f"合计：{len(rows)}条", "", "", "", "", "", "", "", ""])
        with (folder / f"12315_{month}.csv").open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(HEADER)
            writer.writerows(rows)
    return folder


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory):
    folder = write_spike_exports(tmp_path_factory.mktemp("exports") / "exports")
    return build_report(SPIKE_MONTH, data=[folder])


@pytest.fixture(scope="module")
def found(report):
    return views.investigation(report)


def _args(table: str) -> dict:
    """The arguments an itables table hands to DataTables (the JSON in its script)."""
    return json.loads(re.search(r"let dt_args = (\{.*?\n\s*\});", table, re.DOTALL).group(1))


def _data(table: str) -> list[list]:
    """The rows an itables table carries, as DataTables receives them."""
    return json.loads(_args(table)["data_json"])


def test_the_planted_spike_is_one_finding_with_exactly_its_cases(found):
    spikes = [f for f in found.findings if f.kind == "spike"]
    assert [(f.unit, f.month, f.numbers["count"], f.numbers["baseline"]) for f in spikes] == [
        (SPIKE_UNIT, SPIKE_MONTH, PER_UNIT + PLANTED, PER_UNIT)
    ]
    assert sorted(spikes[0].case_ids) == sorted(spike_ids())
    # page order: the checks, then spikes, thresholds, overdue; rows set aside are the ingest section's
    assert not [f for f in found.findings if f.kind == "set_aside"]
    assert list(found.history["单位名称"])[:3] == list(UNITS)


def test_toc_links_every_section_and_every_finding(report, found):
    toc = workbench.toc_html(report, found.findings, drilldown_xlsx="drilldown.xlsx")
    hrefs = re.findall(r'href="#([^"]+)"', toc)
    sections = [workbench.anchor(k) for k in workbench.SECTIONS]
    numbers = [workbench.finding_anchor(n) for n in range(1, len(found.findings) + 1)]
    assert set(sections) <= set(hrefs) and set(numbers) <= set(hrefs)
    assert "kw-case" not in hrefs, "no typical case this month: no link to it"
    n = next(i for i, f in enumerate(found.findings, start=1) if f.kind == "spike")
    line = re.search(rf'<li><a href="#kw-f{n:02d}">(.*?)</li>', toc).group(1)
    assert f"{n:02d} 异常波动 · {SPIKE_UNIT}" in line
    assert f"{SPIKE_MONTH} 受理 60 件，前 12 个月平均 20.0 件（60 件）" in line
    assert '<a href="drilldown.xlsx" download>drilldown.xlsx</a>' in toc
    # without an output folder (JupyterLab), the page says how to get the workbook
    assert "output_dir" in workbench.toc_html(report, found.findings)


def test_a_finding_has_its_anchor_summary_and_cases_collapsed_with_their_count(report, found):
    numbered = workbench.numbered(found.findings)
    n, spike, sheet = next(t for t in numbered if t[1].kind == "spike")
    block = workbench.finding_html(n, spike, views.cases_of(report, spike), "<p>chart</p>", sheet=sheet)
    assert f'id="kw-f{n:02d}"' in block and "<p>chart</p>" in block
    assert f"<summary>背后的案件（60 件；drilldown.xlsx 工作表“{sheet}”）</summary>" in block
    assert '<details class="kw-details"><summary>' in block, "60 cases: collapsed"
    assert sorted(row[0] for row in _data(block)) == sorted(spike_ids())
    few = Finding(kind="overdue", message="站前所超期 2 件", unit="站前所", case_ids=spike_ids()[:2])
    small = workbench.finding_html(1, few, views.cases_of(report, few))
    assert '<details class="kw-details" open>' in small
    none = workbench.finding_html(
        2, Finding(kind="roster_gap", message="差 0 件"), views.cases_of(report, few)
    )
    assert "<details" not in none


def test_a_finding_masks_only_the_rows_it_embeds_and_says_the_same(report, found, monkeypatch):
    monkeypatch.setattr(workbench, "EMBED_ROWS", 7)
    n, spike, sheet = next(t for t in workbench.numbered(found.findings) if t[1].kind == "spike")
    shown, total = views.first_cases_of(report, spike, 7)
    assert total == 60 and len(shown) == 7
    pd.testing.assert_frame_equal(shown, views.cases_of(report, spike).head(7))
    whole = workbench.finding_html(n, spike, views.cases_of(report, spike), sheet=sheet)
    lean = workbench.finding_html(n, spike, shown, sheet=sheet, total=total)
    table_id = re.compile(r"itables_[0-9a-f_]+")  # a new one for every table
    assert table_id.sub("", lean) == table_id.sub("", whole)
    assert "共 60 行，页面只列出前 7 行" in whole and len(_data(whole)) == 7


def test_a_table_holds_every_row_escaped_searchable_and_in_chinese():
    frame = pd.DataFrame(
        {
            "登记编号": [f"C{i:05d}" for i in range(3000)],
            "内容（已脱敏）": [HOSTILE] + ["很长的内容" * 20] * 2999,
            "登记时间": pd.to_datetime(["2022-06-01 09:30"] * 2999 + [None]),
        }
    )
    table = workbench.table_html(frame, "明细")
    rows = _data(table)
    assert len(rows) == 3000 and rows[-1][0] == "C02999"  # itables' default would keep a few hundred
    assert rows[0][1] == html.escape(HOSTILE) and HOSTILE not in table
    assert rows[1][2] == "2022-06-01 09:30" and rows[-1][2] == ""
    args = _args(table)
    assert args["language"]["search"] == "搜索：" and args["column_filters"] == "footer"
    assert {"className": "kw-wrap", "targets": [1]} in args["columnDefs"]
    assert "unpkg" not in table and "cdn" not in table.lower()


def test_rejected_rows_problems_first_and_total_rows_in_one_line(report):
    view = views.rejected_view(report.ingest, report.period)
    assert list(view["登记编号"]) == [BAD_DATE_ID] and list(view["归属"]) == ["其他月份"]
    assert not view["原因"].str.contains("合计").any()
    assert views.total_rows_note(report.ingest) == (
        f"另有 {len(MONTHS)} 行是导出文件末尾的合计行（{len(MONTHS)} 个文件），按规则剔除，不逐行列出。"
    )


def test_threshold_history_shows_rates_with_percent_and_marks_those_under(report, found):
    shown = workbench.history_frame(found.history, report.branch.rate_rule)
    months = workbench.history_months(found.history)
    assert len(months) == 12 and months[-1] == SPIKE_MONTH
    row = shown[shown["单位名称"] == SPIKE_UNIT].iloc[0]
    assert row[SPIKE_MONTH] == "100%"  # every case closed the next day
    assert shown[shown["单位名称"] == "监管一科"].iloc[0][SPIKE_MONTH] == ""  # no case: blank, not 0%
    args = _args(workbench.table_html(shown, below=(months, 80.0)))
    (marked,) = [d for d in args["columnDefs"] if "createdCell" in d]
    columns = list(shown.columns)
    assert [columns[i] for i in marked["targets"]] == months and "v < 80.0" in marked["createdCell"]


def test_drilldown_workbook_holds_exactly_the_cases_behind_each_finding(report, found, tmp_path):
    background = workbench.Background(report, found.findings, found.history.head(0), tmp_path)
    path = background.drilldown()  # written beside the notebook's cells, in the second process
    assert path == background.drilldown_path == tmp_path / "drilldown.xlsx"
    book = CalamineWorkbook.from_path(str(path))
    names = drilldown.sheet_names(found.findings)
    assert book.sheet_names == [drilldown.INDEX_SHEET, *[s for s in names if s], drilldown.PENDING_SHEET]
    pending = book.get_sheet_by_name(drilldown.PENDING_SHEET).to_python()
    top = pending.index(next(r for r in pending if r and r[0] == "登记编号"))
    assert sorted(r[0] for r in pending[top + 1 :] if r[0]) == sorted(views.pending_view(report)["登记编号"])
    n = next(i for i, f in enumerate(found.findings) if f.kind == "spike")
    rows = book.get_sheet_by_name(names[n]).to_python()
    header = rows.index(next(r for r in rows if r and r[0] == "登记编号"))
    ids = [r[0] for r in rows[header + 1 :] if r[0]]
    assert sorted(ids) == sorted(spike_ids())
    registered = rows[header + 1][rows[header].index("登记时间")]
    assert hasattr(registered, "year"), "dates are Excel dates, not text"


def test_a_long_case_list_embeds_its_first_rows_and_says_where_all_are():
    rows = pd.DataFrame({"登记编号": [f"K{i}" for i in range(7)], "单位名称": ["站前所"] * 7})
    capped = workbench.table_html(rows, max_rows=3, all_rows_in="drilldown.xlsx 工作表“办理中”")
    assert [r[0] for r in _data(capped)] == ["K0", "K1", "K2"]
    assert "共 7 行，页面只列出前 3 行" in capped and "全部 7 行见 drilldown.xlsx 工作表“办理中”" in capped
    whole = workbench.table_html(rows, max_rows=7)
    assert len(_data(whole)) == 7 and "页面只列出" not in whole


def test_behind_takes_the_page_labels(report):
    by_label = views.behind(report, SPIKE_UNIT, "受理量")
    assert sorted(by_label["登记编号"]) == sorted(spike_ids())
    assert by_label["登记时间"].dtype.kind == "M", "drill-down frames keep times as times"


def test_charts_are_drawn_once_beside_the_notebook_as_they_would_be_here(report, found, monkeypatch):
    spike = next(f for f in found.findings if f.kind == "spike")
    beside = workbench.Background(report, found.findings, found.history)
    assert beside._making is not None, "on Linux the charts are drawn in a second process"
    drawn = (beside.spike(spike), beside.threshold())
    assert drawn[0].startswith('<figure class="kw-analyst-chart"><img src="data:image/png;base64,')
    assert f"{SPIKE_UNIT}的月受理量折线图：{SPIKE_MONTH} 受理 60 件" in drawn[0]
    assert "热力图" in drawn[1] and drawn[1].count("<figure") == 2
    monkeypatch.setattr(forked, "can_fork", lambda: False)
    here = workbench.Background(report, found.findings, found.history)
    assert (here.spike(spike), here.threshold()) == drawn


def test_a_chart_the_second_process_cannot_draw_fails_here_with_its_own_error(report, found):
    from kwstats.exceptions import KwstatsError

    odd = Finding(kind="spike", message="?", month=SPIKE_MONTH, numbers={"field": "nowhere", "value": "x"})
    charts = workbench.Background(report, [odd], found.history.head(0))  # no threshold charts to wait for
    with pytest.raises(KwstatsError, match="无法作图"):
        charts.spike(odd)
    with pytest.raises(KwstatsError, match="output_dir"):
        charts.drilldown()


def test_the_drawing_process_ends_when_its_kernel_is_killed(tmp_path):
    """The charts are drawn in a fork of the kernel; a kernel killed outright (SIGKILL, OOM) cannot stop
    it, so it must end by itself rather than hang on a pipe nobody reads."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = (
        "import sys, time\n"
        "from kwstats import forked\n"
        "making = forked.Making({'slow': lambda: time.sleep(120)})\n"
        "print(making._process.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    kernel = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    child = int(kernel.stdout.readline())
    os.kill(child, 0)  # drawing
    kernel.send_signal(signal.SIGKILL)
    kernel.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        # a dead child not yet reaped by init still answers kill(0): read its state
        try:
            with open(f"/proc/{child}/stat") as stat:
                if stat.read().split(")")[-1].split()[0] == "Z":
                    break
        except FileNotFoundError:
            break
        time.sleep(0.1)
    else:
        os.kill(child, signal.SIGKILL)
        raise AssertionError("the drawing process outlived its kernel")


def test_a_missing_number_is_a_blank_cell_not_nan():
    """同比 of a unit without cases a year ago has no value: the page shows a blank cell (DataTables
    would print "NaN"); the others are written as plain numbers, which DataTables sorts as numbers."""
    frame = pd.DataFrame({"单位": ["甲所", "乙所", "丙所"], "同比(%)": [9.0, float("nan"), 10.0]})
    assert _data(workbench.table_html(frame)) == [["甲所", "9.0"], ["乙所", ""], ["丙所", "10.0"]]
