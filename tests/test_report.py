"""The report object the notebook displays: sentences, escaping, and the switchable official indicators."""

import shutil

import pytest
import yaml

from kwstats.params import DEFAULT_PARAMS_DIR
from kwstats.report import build_report, drill_view, frame_html, heading


@pytest.fixture(scope="module")
def report(sample_ingest):
    return build_report("2022-01", ingest=sample_ingest)


def test_sentences(report):
    s = report.sentences()
    assert s["reports"] == "1 月份受理举报件共 271 件，办结 254 件，办结率 93%。"
    assert s["closed"] == "1 月份共计办结 607 件，截止 1 月 31 日，办理中还有 95 件。"
    assert s["overdue"] == "本月无初、核查及办结超期件。"
    assert s["period"] == "报送时间:2022.1.1～2022.1.31"
    assert "共受理 18297 件，办结率 96%" in s["windows"]


def test_extra_indicators_off_by_default_and_switchable(report, sample_ingest, tmp_path):
    assert report.extra_indicators_html() == ""
    params = tmp_path / "params"
    shutil.copytree(DEFAULT_PARAMS_DIR, params)
    branch = yaml.safe_load((params / "branch.yaml").read_text(encoding="utf-8"))
    branch["official_extra_indicators"] = ["按时初查率", "按期办结率", "同比环比", "问题分类"]
    (params / "branch.yaml").write_text(yaml.safe_dump(branch, allow_unicode=True), encoding="utf-8")
    switched = build_report("2022-01", params_dir=params, ingest=sample_ingest)
    out = switched.extra_indicators_html()
    rates = switched.on_time_rates().set_index("指标")
    assert f"按时初查率 {rates.at['按时初查率', '比率']}" in out
    assert "按期办结率" in out and "问题分类前五" in out and "（六）其他指标" in out


def test_drill_down_is_masked_and_escaped(report):
    view = report.finding_cases("markup_in_text")
    assert len(view) == 1
    html = frame_html(view)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert heading("<b>x</b>") == "<h3>&lt;b&gt;x&lt;/b&gt;</h3>"
    pending = report.pending_view()
    assert len(pending) == report.summary.pending
    assert "姓名" not in drill_view(report.cases.head()).columns


def test_missing_typical_case_is_a_warning_not_an_error(sample_ingest, tmp_path):
    params = tmp_path / "params"
    shutil.copytree(DEFAULT_PARAMS_DIR, params)
    month = yaml.safe_load((params / "2022-01.yaml").read_text(encoding="utf-8"))
    del month["typical_case"]
    (params / "2022-01.yaml").write_text(yaml.safe_dump(month, allow_unicode=True), encoding="utf-8")
    rep = build_report("2022-01", params_dir=params, ingest=sample_ingest)
    assert rep.typical_case_html() == ""
    assert any("典型案例" in w for w in rep.warnings)
