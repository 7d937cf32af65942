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
    assert list(drill_view(report.cases.head()).columns)[-3:] == ["内容（已脱敏）", "来源文件", "行号"]


def test_missing_typical_case_is_a_warning_not_an_error(sample_ingest, tmp_path):
    params = tmp_path / "params"
    shutil.copytree(DEFAULT_PARAMS_DIR, params)
    month = yaml.safe_load((params / "2022-01.yaml").read_text(encoding="utf-8"))
    del month["typical_case"]
    (params / "2022-01.yaml").write_text(yaml.safe_dump(month, allow_unicode=True), encoding="utf-8")
    rep = build_report("2022-01", params_dir=params, ingest=sample_ingest)
    assert rep.typical_case_html() == ""
    assert any("典型案例" in w for w in rep.warnings)


def test_sample_is_marked_and_consultations_stated(report):
    assert report.is_sample is False  # built from an ingest passed in: provenance unknown, no banner
    sample_report = build_report("2022-01")
    assert sample_report.is_sample and "【演示】" in sample_report.introduction_html()
    assert (
        report.consultation_note() == f"本月咨询 {report.summary.consultations} 件，另行统计，不计入受理量。"
    )
    assert report.summary.consultations > 0


def test_sentences_say_what_the_export_lacks(tmp_path, branch):
    export = tmp_path / "thin.csv"
    export.write_text(
        "登记编号,业务类型,登记时间,承办单位,办结时间\n"
        "T1,投诉,2022-01-05 09:00,站前所,2022-01-06 10:00\n"
        "T2,举报,2022-01-07 09:00,新发所,\n",
        encoding="utf-8",
    )
    rep = build_report("2022-01", data=[export])
    s = rep.sentences()
    assert "导出数据不含催办次数，未统计催办情况" in s["overall"] and "零催办" not in s["overall"]
    assert "导出数据不含挽回经济损失" in s["overall"]
    assert s["windows"] == ""  # no 是否涉疫 column: no epidemic sentence rather than "0 件"
    assert "未能判断是否超期" in s["overdue"] and "无初、核查及办结超期件" not in s["overdue"]
    assert any("催办次数" in w and "是否涉疫" in w for w in rep.warnings)
