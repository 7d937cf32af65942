"""Last month's text goes out again (issue 8 §4): a month's prose compared with earlier months' params."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from kwstats import page
from kwstats.exceptions import ParamsError
from kwstats.params import DEFAULT_PARAMS_DIR
from kwstats.prose import StaleProseError, dates_named, stale_prose

JANUARY = (DEFAULT_PARAMS_DIR / "2022-01.yaml").read_text(encoding="utf-8")

FRESH_FEBRUARY = """month: "2022-02"
context:
  - 春节期间分局安排专人值守，节日消费投诉当日分流。
performance:
  - 本月各监管责任主体均按时联系消费者。
typical_case:
  title: 预付卡商家闭店 分局协调退费
  body:
    - 2022 年 2 月 9 日，宽城分局收到消费者李女士投诉，称其办理的健身预付卡因商家闭店无法使用。
    - 经调解，商家于 2月16日 退还剩余费用 1200 元。
"""


def _params(tmp_path: Path, february: str, **others: str) -> Path:
    """A params folder made for the test: the shipped branch files, January as published, and `february`."""
    params = tmp_path / "params"
    params.mkdir()
    for name in ("branch.yaml", "deadlines.yaml", "calendar.yaml"):
        shutil.copyfile(DEFAULT_PARAMS_DIR / name, params / name)
    (params / "2022-01.yaml").write_text(JANUARY, encoding="utf-8")
    (params / "2022-02.yaml").write_text(february, encoding="utf-8")
    for month, text in others.items():
        (params / f"{month}.yaml").write_text(text, encoding="utf-8")
    return params


def _copy_of_january() -> str:
    assert 'month: "2022-01"' in JANUARY
    return JANUARY.replace('month: "2022-01"', 'month: "2022-02"')


def test_copy_with_only_the_month_changed_stops_the_official_run(tmp_path: Path) -> None:
    params = _params(tmp_path, _copy_of_january())
    report = stale_prose("2022-02", params)
    assert len(report.errors) == 1
    assert str(params / "2022-01.yaml") in report.errors[0]
    assert str(params / "2022-02.yaml") in report.errors[0]
    assert "标题“家具定制质量差 返工维修没商量”和正文" in report.errors[0]
    assert report.draft_reasons == ["典型案例与 2022-01 相同"]
    with pytest.raises(StaleProseError, match="--draft") as err:
        report.raise_errors()
    assert isinstance(err.value, ParamsError)  # the CLI maps ParamsError to exit 2
    # the copied context and performance paragraphs, and January's date in the case, are warnings too
    assert any("（一）总体情况的说明文字第 1 段（context）与 2022-01" in w for w in report.warnings)
    assert any("（五）平台绩效考核的说明文字第 1 段（performance）与 2022-01" in w for w in report.warnings)
    assert any("“2022 年 1 月 17 日”不在 2022 年 2 月" in w for w in report.warnings)


def test_whitespace_and_width_do_not_hide_a_copy(tmp_path: Path) -> None:
    copy = _copy_of_january().replace("家具定制质量差 返工维修没商量", "家具定制质量差返工维修没商量")
    copy = copy.replace("2022 年 1 月 17 日", "２０２２年１月１７日")  # full-width digits, no spaces
    report = stale_prose("2022-02", _params(tmp_path, copy))
    assert "标题“家具定制质量差返工维修没商量”和正文" in report.errors[0]


def test_only_the_date_edited_is_still_the_same_case(tmp_path: Path) -> None:
    copy = _copy_of_january().replace("2022 年 1 月 17 日", "2022 年 2 月 17 日")
    copy = copy.replace("家具定制质量差 返工维修没商量", "定制家具质量纠纷")
    report = stale_prose("2022-02", _params(tmp_path, copy))
    assert len(report.errors) == 1 and "正文（只有数字或日期不同）与 2022-01" in report.errors[0]
    assert not any("不在 2022 年 2 月" in w for w in report.warnings)


def test_new_case_with_context_copied_is_a_warning(tmp_path: Path) -> None:
    january = yaml.safe_load(JANUARY)
    fresh = FRESH_FEBRUARY.split("typical_case:")[1]
    february = (
        'month: "2022-02"\n'
        f"context:\n  - {january['context'][0]}\n"
        f"performance:\n  - {january['performance'][0]}\n"
        f"typical_case:{fresh}"
    )
    report = stale_prose("2022-02", _params(tmp_path, february))
    assert report.errors == [] and report.draft_reasons == []
    assert len(report.warnings) == 2
    assert "context" in report.warnings[0] and "performance" in report.warnings[1]
    assert all(str(tmp_path / "params" / "2022-01.yaml") in w for w in report.warnings)


def test_dates_outside_the_month_are_named(tmp_path: Path) -> None:
    february = FRESH_FEBRUARY.replace(
        "经调解，商家于 2月16日 退还剩余费用 1200 元。",
        "消费者于2022年1月28日办卡，1月30日商家闭店，2022.3.1 前退费；2021-12-30 曾续费；2022-02-14 回访。",
    )
    report = stale_prose("2022-02", _params(tmp_path, february))
    assert report.errors == []
    assert len(report.warnings) == 1
    assert "“2022年1月28日”、“1月30日”、“2022.3.1”、“2021-12-30”不在 2022 年 2 月" in report.warnings[0]
    assert "2022-02-14" not in report.warnings[0] and "2 月 9 日" not in report.warnings[0]


def test_fresh_month_says_nothing(tmp_path: Path) -> None:
    report = stale_prose("2022-02", _params(tmp_path, FRESH_FEBRUARY))
    assert (report.errors, report.warnings, report.draft_reasons) == ([], [], [])
    report.raise_errors()  # nothing to raise


def test_every_earlier_month_is_compared_and_no_later_one(tmp_path: Path) -> None:
    older = FRESH_FEBRUARY.replace('month: "2022-02"', 'month: "2021-11"')
    later = FRESH_FEBRUARY.replace('month: "2022-02"', 'month: "2022-03"')
    params = _params(tmp_path, FRESH_FEBRUARY, **{"2021-11": older, "2022-03": later})
    report = stale_prose("2022-02", params)
    assert report.draft_reasons == ["典型案例与 2021-11 相同"]  # two months back, past a fresh January
    assert "2022-03" not in "".join(report.errors + report.warnings)


def test_an_unreadable_earlier_month_is_a_warning(tmp_path: Path) -> None:
    params = _params(tmp_path, FRESH_FEBRUARY, **{"2021-12": 'month: "2021-12\n'})
    report = stale_prose("2022-02", params)
    assert report.errors == []
    assert len(report.warnings) == 1 and "2021-12.yaml" in report.warnings[0]


def test_dates_named() -> None:
    text = "2022 年 1 月 17 日、2022年3月、1月5号、12 月份、2021.12.3、2022-01-31、2022/2/1；13 月 40 日、2月30日、近 3 个月"
    assert dates_named(text, 2022) == [
        ("2022 年 1 月 17 日", 2022, 1, 17),
        ("2022年3月", 2022, 3, None),
        ("1月5号", 2022, 1, 5),
        ("12 月份", 2022, 12, None),
        ("2021.12.3", 2021, 12, 3),
        ("2022-01-31", 2022, 1, 31),
        ("2022/2/1", 2022, 2, 1),
    ]


def _export(tmp_path: Path) -> Path:
    export = tmp_path / "feb.csv"
    export.write_text(
        "登记编号,业务类型,登记时间,承办单位,办结时间\n"
        "T1,投诉,2022-02-07 09:00,站前所,2022-02-08 10:00\n"
        "T2,举报,2022-02-09 09:00,新发所,\n",
        encoding="utf-8",
    )
    return export


def test_official_run_stops_before_the_notebook(tmp_path: Path, capsys) -> None:
    from kwstats.cli import main

    params = _params(tmp_path, _copy_of_january())
    out = tmp_path / "out"
    argv = ["bulletin", "--month", "2022-02", "--params", str(params), "--data", str(_export(tmp_path))]
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "错误：" in err and "2022-01.yaml" in err and "2022-02.yaml" in err and "典型案例" in err
    assert not (out / "2022-02").exists()


def test_report_marks_the_draft_and_refuses_the_official(tmp_path: Path) -> None:
    from kwstats.report import build_report

    params = _params(tmp_path, _copy_of_january())
    data = [_export(tmp_path)]
    with pytest.raises(StaleProseError):
        build_report("2022-02", data=data, params_dir=params, official=True)
    draft = build_report("2022-02", data=data, params_dir=params)
    assert "典型案例与 2022-01 相同" in draft.draft_reasons
    intro = page.introduction_html(draft)
    assert "【草稿】" in intro and "典型案例与 2022-01 相同" in intro
    assert any("2022-01.yaml" in w and "相同" in w for w in draft.warnings)
    assert any("“2022 年 1 月 17 日”" in w for w in draft.warnings)
