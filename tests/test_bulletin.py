"""End to end: papermill really executes the notebook on the sample and nbconvert writes the bulletin."""

from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kwstats.bulletin import build_bulletin
from kwstats.exceptions import NotebookExecutionError
from kwstats.render import assert_offline
from tests.browser_util import SCREENSHOTS, chromium, open_offline, screenshot
from tests.conftest import REFERENCE_DIR

pytestmark = pytest.mark.slow


class _Text(HTMLParser):
    """Visible text of a page (no style/script), and its tables as lists of rows."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tables: list[list[list[str]]] = []
        self._skip = 0
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script"):
            self._skip += 1
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1
        elif tag in ("td", "th") and self._cell is not None and self.tables and self.tables[-1]:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)
            if self._cell is not None:
                self._cell.append(data)


def _parse(path: Path) -> _Text:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("outputs")
    return build_bulletin("2022-01", out_dir=out)


def test_five_outputs(built):
    assert {p.name for p in built.values()} == {
        "bulletin.html",
        "bulletin-analyst.html",
        "bulletin.ipynb",
        "table.xlsx",
        "drilldown.xlsx",
    }
    assert all(p.stat().st_size > 1000 for p in built.values())
    assert not list(built["正式版"].parent.parent.glob(".2022-01-*")), "scratch folder left behind"


def test_official_holds_the_reference_sentences(built):
    page = _squash("".join(_parse(built["正式版"]).parts))
    reference = _squash((REFERENCE_DIR / "bulletin-2022-01.txt").read_text(encoding="utf-8"))
    sentences = [
        "2022年1月份宽城市场监管分局投诉、举报中心全口径接收咨询、投诉、举报、电话、来函来信等各类信息共702件，"
        "12315网络平台分流702件，共挽回经济损失6.08万元人民币，当月实现市局“初、核查反馈零催办”目标。",
        "关于12315平台受理疫情案件从2020年1月23日起至2022年1月31日，共受理18297件，办结率96%。",
        "1月份受理举报件共271件，办结254件，办结率93%。",
        "1月份受理投诉件共431件，办结353件，办结率81%。",
        "1月份共计办结607件，截止1月31日，办理中还有95件。",
        "本月无初、核查及办结超期件。",
        "2022年1月份分局各监管责任主体12315系统办件数量统计一览表",
        "注：【统计时间截止1月31日实时数据】如有超期办件、消费者对处理结果和工作动态满意率低于80%的单位，"
        "需向消保主管局长直至主要领导当面说明情况。",
        "家具定制质量差返工维修没商量",
        "宽城分局消保科12315投诉举报中心报送时间:2022.1.1～2022.1.31",
        "工作动态解读按照分局领导要求",
    ]
    for sentence in sentences:
        assert sentence in reference, f"test sentence not in the reference: {sentence}"
        assert sentence in page, f"missing from the bulletin: {sentence}"
    assert "站前所、新发所、东广所、团山所、柳影所" in page


def test_official_table_matches_reference_but_errata(built):
    import pandas as pd

    tables = _parse(built["正式版"]).tables
    (table,) = [t for t in tables if t and t[0][:2] == ["序号", "单位名称"]]
    reference = pd.read_csv(REFERENCE_DIR / "bulletin-2022-01-table.csv", dtype=str).fillna("")
    diffs = []
    for shown, (_, ref) in zip(table[1:], reference.iterrows(), strict=True):
        expected = [*ref.iloc[:-1], f"{ref.iloc[-1]}%" if ref.iloc[-1] else ""]
        got = [c.strip("▼") for c in shown]
        diffs += [(ref["unit"], i) for i, (a, b) in enumerate(zip(got, expected, strict=True)) if a != b]
    assert diffs == [("全局", 5), ("南广所", 10)]


def test_official_has_no_code_and_no_analyst_parts(built):
    official = built["正式版"].read_text(encoding="utf-8")
    analyst = built["分析版"].read_text(encoding="utf-8")
    for marker in ("build_report", "分析员部分", "目录（分析版）", "名册外单位"):
        assert marker not in official
    assert not re.search(r'class="[^"]*jp-InputArea-editor', official), (
        "code cell shown in the official bulletin"
    )
    assert re.search(r'class="[^"]*jp-InputArea-editor', analyst)
    for marker in ("build_report", "分析员部分", "目录（分析版）", "名册外单位", "读入"):
        assert marker in analyst
    assert assert_offline(official) == [] and assert_offline(analyst) == []
    assert "<title>宽城分局 12315 工作动态解读（2022 年 1 月）</title>" in official


def test_export_text_is_escaped_and_masked(built, sample_cases):
    from kwstats.sample import PHONE_CASE_IDS, XSS_CASE_ID

    analyst = built["分析版"].read_text(encoding="utf-8")
    assert XSS_CASE_ID in analyst, "the markup case should be among the drill-down rows shown"
    assert "<script>alert(1)</script>" not in analyst and "&lt;script&gt;alert(1)&lt;/script&gt;" in analyst
    assert "<img src=x onerror" not in analyst
    for page in (analyst, built["正式版"].read_text(encoding="utf-8")):
        assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", html_lib.unescape(page)), "unmasked mobile number"
        assert not re.search(r"(?<!\d)\d{17}[\dXx](?!\d)", html_lib.unescape(page)), "unmasked ID number"
    assert PHONE_CASE_IDS


def test_browser_opens_official_offline_and_prints(built):
    with chromium() as browser, open_offline(built["正式版"], browser) as (page, requests):
        assert requests == [], f"页面试图访问外部资源：{requests}"
        assert "全局" in page.locator("table.kw-unit-table").inner_text()
        assert page.evaluate("document.scripts.length") == 0
        shot = screenshot(page, "bulletin-2022-01.png")
        assert shot.stat().st_size > 50_000
        page.emulate_media(media="print")
        assert page.pdf(format="A4", prefer_css_page_size=True).startswith(b"%PDF")


def test_month_without_cases_or_prose(tmp_path):
    """An official run refuses a month without prose or without cases; a draft builds it, marked 草稿."""
    import shutil

    from kwstats.exceptions import EmptyMonthError, ParamsError
    from kwstats.params import DEFAULT_PARAMS_DIR

    with pytest.raises(ParamsError, match="2019-06.yaml"):
        build_bulletin("2019-06", out_dir=tmp_path / "a")
    params = tmp_path / "params"
    shutil.copytree(DEFAULT_PARAMS_DIR, params)
    (params / "2019-06.yaml").write_text('month: "2019-06"\n', encoding="utf-8")
    with pytest.raises(EmptyMonthError, match="--draft"):
        build_bulletin("2019-06", params_dir=params, out_dir=tmp_path / "b")
    outputs = build_bulletin("2019-06", out_dir=tmp_path / "c", draft=True)
    page = _squash("".join(_parse(outputs["正式版"]).parts))
    assert "【草稿】缺少本月说明文字、本月没有案件，不是正式通报。" in page
    assert "受理举报件共0件，办结0件，办结率—。" in page
    assert ">典型案例</h3>" not in outputs["正式版"].read_text(encoding="utf-8")
    assert "本月无初、核查及办结超期件。" in page


def test_failed_run_keeps_the_good_bulletin(tmp_path, built):
    import shutil

    from kwstats.exceptions import InputFileError, ParamsError
    from kwstats.params import DEFAULT_PARAMS_DIR

    good = tmp_path / "2022-01"
    good.mkdir()
    (good / "bulletin.html").write_text("good", encoding="utf-8")
    # an unreadable export stops the run before any kernel starts: nothing to keep
    corrupt = tmp_path / "坏导出.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InputFileError, match="坏导出.xlsx"):
        build_bulletin("2022-01", data=[corrupt], out_dir=tmp_path)
    # so does a broken params file: every one is read before the kernel
    params = tmp_path / "params"
    shutil.copytree(DEFAULT_PARAMS_DIR, params)
    (params / "deadlines.yaml").write_text("rules: [\n", encoding="utf-8")
    with pytest.raises(ParamsError, match="deadlines.yaml"):
        build_bulletin("2022-01", params_dir=params, out_dir=tmp_path)
    assert (good / "bulletin.html").read_text(encoding="utf-8") == "good"
    assert not (tmp_path / "2022-01-failed.ipynb").exists()
    assert not list(tmp_path.glob(".2022-01-*")), "scratch folder left behind"


def test_a_kernel_error_keeps_its_type_and_the_executed_notebook(tmp_path, sample_ingest):
    """The kernel itself fails (its params folder broke after the parent read it): a kwstats error
    comes back as its own class from papermill's fields; any other names the cell."""
    import shutil

    from kwstats import kernel
    from kwstats.cache import save_ingest
    from kwstats.exceptions import ParamsError
    from kwstats.params import DEFAULT_PARAMS_DIR
    from kwstats.period import Period

    params = tmp_path / "params"
    shutil.copytree(DEFAULT_PARAMS_DIR, params)
    (params / "branch.yaml").write_text("name: [\n", encoding="utf-8")
    save_ingest(sample_ingest, tmp_path / ".ingest")
    parameters = {
        "period": Period.month("2022-01").as_dict(),
        "params_dir": str(params),
        "official": True,
        "sample": False,
        "ingest_dir": ".ingest",
        "output_dir": ".",
    }
    executed = tmp_path / "bulletin.ipynb"
    with pytest.raises(ParamsError) as exc:
        kernel.execute_notebook(executed, parameters, cwd=tmp_path, failure_note="（笔记本已保留）")
    assert "branch.yaml" in str(exc.value) and str(exc.value).endswith("。（笔记本已保留）")
    assert "Error:" not in str(exc.value) and executed.exists()
    (tmp_path / ".ingest" / "meta.json").write_text("{", encoding="utf-8")  # a broken hand-over: a bug
    with pytest.raises(
        NotebookExecutionError, match=r"第 \d+ 个单元格（from IPython.display import .*）出错：\w+Error"
    ):
        kernel.execute_notebook(executed, {**parameters, "params_dir": str(DEFAULT_PARAMS_DIR)}, cwd=tmp_path)


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> dict[str, Path]:
    """The sample's month with the planted spike (2022-06), as a draft: no prose written for it."""
    from kwstats.sample import PLANTED_SPIKE

    return build_bulletin(PLANTED_SPIKE["month"], out_dir=tmp_path_factory.mktemp("planted"), draft=True)


def test_analyst_html_shows_the_planted_spike_with_its_cases(planted, sample_cases):
    from kwstats.sample import PLANTED_SPIKE

    month = PLANTED_SPIKE["month"]
    outputs = planted
    analyst = outputs["分析版"].read_text(encoding="utf-8")
    official = outputs["正式版"].read_text(encoding="utf-8")
    assert f"{PLANTED_SPIKE['unit']} {month} 受理" in analyst
    assert PLANTED_SPIKE["category"] in analyst
    spike_ids = sample_cases.loc[
        (sample_cases["unit"] == PLANTED_SPIKE["unit"])
        & (sample_cases[PLANTED_SPIKE["field"]] == PLANTED_SPIKE["category"])
        & (sample_cases["registered_at"].dt.strftime("%Y-%m") == month),
        "case_id",
    ]
    assert all(i in analyst for i in spike_ids)
    assert "异常波动" not in official


def _rows(page, table) -> list[list[str]]:
    """The cells of a DataTable's body rows as the page shows them now."""
    return table.locator("tbody tr").evaluate_all("rs => rs.map(r => Array.from(r.cells, c => c.innerText))")


def _show_all(table_box) -> None:
    """Every row on one page (每页：全部); a table that fits one page has no such menu."""
    menu = table_box.locator("select.dt-input")
    if menu.count():
        menu.select_option("-1")


def test_analyst_page_in_a_browser_offline(planted):
    """The 2022-06 analyst page as an analyst uses it, offline: the table of contents first, a jump to
    the spike, its chart and the heat map, a search box and a sort on real tables, no squeezed column."""
    from kwstats.sample import PLANTED_SPIKE

    analyst = planted["分析版"]
    source = analyst.read_text(encoding="utf-8")
    tables = source.count('<table id="itables_')
    unit = PLANTED_SPIKE["unit"]
    (number,) = re.findall(rf'<a href="#(kw-f\d\d)">\d\d 异常波动 · {unit}</a>', source)
    with chromium() as browser, open_offline(analyst, browser, width=1400, height=1000) as (page, requests):
        page.wait_for_function(
            f"document.querySelectorAll('table.dataTable').length >= {tables}", timeout=30_000
        )
        assert requests == [], f"页面试图访问外部资源：{requests}"
        # the page opens with its table of contents; every link in it leads somewhere on the page
        assert page.locator("h2").first.inner_text() == "目录（分析版）"
        hrefs = page.locator("#kw-toc a[href^='#']").evaluate_all("as => as.map(a => a.hash.slice(1))")
        assert hrefs and page.evaluate("ids => ids.filter(i => !document.getElementById(i))", hrefs) == []
        screenshot(page, "analyst-2022-06-top.png", full_page=False)
        # the TOC's link to the spike lands on it; its chart is there, drawn
        page.locator(f"#kw-toc a[href='#{number}']").click()
        page.wait_for_timeout(300)
        assert -5 <= page.evaluate(f"document.getElementById('{number}').getBoundingClientRect().top") <= 60
        chart = page.locator(f"#{number} figure img")
        assert chart.evaluate("i => i.complete && i.naturalWidth > 600") and unit in (
            chart.get_attribute("alt") or ""
        )
        chart.screenshot(path=str(SCREENSHOTS / "analyst-2022-06-spike.png"))
        heat = page.locator("#kw-threshold ~ figure img").first
        assert "热力图" in (heat.get_attribute("alt") or "")
        heat.screenshot(path=str(SCREENSHOTS / "analyst-2022-06-heatmap.png"))
        # search: the findings table filtered by the unit shows exactly the rows that mention it
        box = page.locator(".dt-container", has=page.locator("caption", has_text="发现一览"))
        _show_all(box)
        expected = [r for r in _rows(page, box) if any(unit in c for c in r)]
        box.locator("input[type=search]").first.fill(unit)
        page.wait_for_timeout(300)
        assert expected and _rows(page, box) == expected
        # sort: the month's pending cases by 承办单位, then by 登记编号 ascending and descending
        pending = page.locator(".dt-container", has=page.locator("th", has_text="登记编号")).last
        _show_all(pending)
        rows = _rows(page, pending)
        for column, direction, key in (
            (2, "ascending", lambda r: (r[2], r[0])),
            (0, "ascending", lambda r: r[0]),
            (0, "descending", lambda r: r[0]),
        ):
            th = pending.locator("thead th").nth(column)
            for _ in range(3):  # a click turns a column's order to ascending, then descending
                before = th.get_attribute("aria-sort")
                if before == direction:
                    break
                th.locator(".dt-column-title").click()  # the header's name, as an analyst clicks it
                page.wait_for_function(
                    "([t, b]) => t.getAttribute('aria-sort') !== b", arg=[th.element_handle(), before]
                )
                page.wait_for_timeout(100)
            shown = _rows(page, pending)
            assert th.get_attribute("aria-sort") == direction and len(shown) == len(rows)
            assert [key(r) for r in shown] == sorted(map(key, rows), reverse=direction == "descending")
        # the spike's cases, opened: every header reads on one or two lines, none a character wide
        page.locator(f"#{number} details summary").click()
        lines = page.locator(f"#{number} details table.dataTable thead th .dt-column-title").evaluate_all(
            """ts => ts.map(t => { const r = document.createRange(); r.selectNodeContents(t);
                 return new Set(Array.from(r.getClientRects(), x => Math.round(x.top))).size; })"""
        )
        assert lines and max(lines) <= 2, lines
        assert requests == []
    with chromium() as browser, open_offline(planted["正式版"], browser) as (page, requests):
        assert page.evaluate("document.scripts.length") == 0 and requests == []


def test_no_personal_data_in_any_output(built):
    from python_calamine import CalamineWorkbook

    texts = [built[k].read_text(encoding="utf-8") for k in ("正式版", "分析版", "执行后的 notebook")]
    for book in (CalamineWorkbook.from_path(str(built[k])) for k in ("统计表", "下钻明细")):
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name).to_python()
            texts.append("\n".join(str(c) for row in sheet for c in row))
    for text in texts:
        # the provenance record's SHA-256 digests (hex) may hold a digit run that looks like a number
        plain = re.sub(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])", "", html_lib.unescape(text))
        assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", plain)
        assert not re.search(r"(?<![\d.])\d{6}(19|20)\d{2}[01]\d[0-3]\d{3}[\dXx](?!\d)", plain)
        for header in ("姓名", "来电号码", "联系电话", "身份证号", "地址"):
            assert f"<th>{header}</th>" not in plain


def test_bad_cutoff_is_a_usage_error_before_any_run(tmp_path):
    from kwstats.exceptions import ParamsError

    with pytest.raises(ParamsError, match="截止时间"):
        build_bulletin("2022-01", out_dir=tmp_path, cutoff="not-a-date")
    assert not list(tmp_path.iterdir())


def test_injected_parameters_are_resolved_values_without_paths(built):
    """The kept notebook names no scratch folder and no data path (a file name may carry a phone
    number): the resolved period, the params folder, and folders relative to its own."""
    import nbformat

    nb = nbformat.read(built["执行后的 notebook"], as_version=4)
    (injected,) = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert 'ingest_dir = ".ingest"' in injected.source and 'output_dir = "."' in injected.source
    assert 'month = "2022-01"' in injected.source
    assert '"cutoff": "2022-01-31T23:59:59.999999999"' in injected.source
    assert "data_paths" not in injected.source and "sample" in injected.source
    assert "/." not in injected.source and "data/sample" not in injected.source
    assert not (built["正式版"].parent / ".ingest").exists()
    assert oct(built["正式版"].parent.stat().st_mode & 0o777) != "0o700"
