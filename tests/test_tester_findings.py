"""What two outside testers found (issue 8's clerk walkthrough, issue 7's faults), each on a small input
made here; expected values are worked out by hand from the rows written in the test."""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import logging
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from kwstats import kernel, page
from kwstats.bulletin import build_bulletin
from kwstats.cache import save_ingest
from kwstats.checks import due_date_check, due_date_findings, off_roster_share
from kwstats.cli import main
from kwstats.commands import EXIT_DATA, EXIT_OK, EXIT_USAGE
from kwstats.deadlines import load_deadline_rules
from kwstats.exceptions import OutputPathError, ParamsError, Terminated
from kwstats.ingest import read_exports
from kwstats.outputs import clean_leftovers, interrupts_deferred
from kwstats.params import DEFAULT_PARAMS_DIR, load_branch
from kwstats.report import DRAFT_PREVIEW, build_report
from kwstats.run import notebook_run, resolve_run
from kwstats.setaside import split_set_aside
from kwstats.sources import DataSource
from kwstats.workdays import WorkdayCalendar
from tests.conftest import make_cases
from tests.test_run_safety import FakeRun, previous_bulletin

HEADER = "登记编号,业务类型,登记时间,承办单位,办结时间\n"


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch) -> None:
    monkeypatch.setenv("KWSTATS_NO_CACHE", "1")


def write(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def july(tmp_path: Path) -> Path:
    """Two July complaints at roster units, one closed."""
    return write(
        tmp_path / "jul.csv",
        ["J1,投诉,2022-07-05 09:00,站前所,2022-07-06 10:00", "J2,投诉,2022-07-06 09:00,新发所,"],
    )


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ---------------------------------------------------------------------------------------------
# A. rows set aside: a month whose whole export is unreadable is the month's, not history


def test_a_month_whose_whole_export_is_unreadable_fails_its_check(tmp_path, capsys):
    """August's file: two rows whose 登记时间 has no year, so both are set aside and no August case
    is usable. They are August's (nothing says otherwise): check exits 1 and says the export was all set
    aside; table says so too."""
    jul = july(tmp_path)
    aug = write(tmp_path / "aug.csv", ["A1,投诉,8月12日 08:58,站前所,", "A2,举报,8月13日 09:00,新发所,"])
    code, out, _ = run_cli(capsys, "check", "--month", "2022-08", "--data", str(jul), str(aug))
    assert code == EXIT_DATA
    assert "与 2022-08 有关的剔除行 2 行" in out
    assert "其他月份文件中的剔除行" not in out
    assert "[本月无案件] 2022-08 没有可用的投诉、举报案件：本月的导出全部被剔除（2 行）" in out
    code, _, err = run_cli(capsys, "table", "--month", "2022-08", "--data", str(jul), str(aug))
    assert code == EXIT_OK
    assert "本月的导出全部被剔除（2 行）" in err
    assert "不影响本月的统计" not in err and "历史数据" not in err


def test_unreadable_rows_whose_month_cannot_be_told_count_for_every_month(tmp_path, capsys):
    """Conservative: the undated August rows could be July's; July's file itself is clean."""
    jul = july(tmp_path)
    aug = write(tmp_path / "aug.csv", ["A1,投诉,8月12日 08:58,站前所,"])
    code, out, _ = run_cli(capsys, "check", "--month", "2022-07", "--data", str(jul), str(aug))
    assert code == EXIT_DATA
    assert "与 2022-07 有关的剔除行 1 行" in out and "aug.csv 第 2 行" in out


def test_later_months_rows_are_not_called_history(tmp_path, capsys):
    """December and February files each hold one good case and one row of an unknown kind; January's
    file is clean. For January, December's row is history and February's a later month's."""
    dec = write(
        tmp_path / "dec.csv", ["D1,投诉,2021-12-05 09:00,站前所,", "D2,建议,2021-12-06 09:00,站前所,"]
    )
    jan = write(tmp_path / "jan.csv", ["J1,投诉,2022-01-05 09:00,站前所,"])
    feb = write(
        tmp_path / "feb.csv", ["F1,投诉,2022-02-05 09:00,站前所,", "F2,建议,2022-02-06 09:00,站前所,"]
    )
    code, out, _ = run_cli(capsys, "check", "--month", "2022-01", "--data", str(dec), str(jan), str(feb))
    assert code == EXIT_OK
    assert "其他月份文件中的剔除行 2 行（1 行为历史数据，1 行属于之后的月份：只列出" in out
    _, _, err = run_cli(capsys, "table", "--month", "2022-01", "--data", str(jan), str(feb))
    assert "导入时剔除的 1 行问题数据都属于其他月份的文件（之后的月份），不影响 2022-01 的统计" in err
    assert "历史数据" not in err


def test_split_set_aside_when_nothing_tells_the_month():
    """Rows of a file without any usable case are the month's unless their registration date says
    otherwise; rows of a file holding only another month's cases are that month's."""
    from types import SimpleNamespace

    cases = make_cases(
        [{"case_id": "D1", "kind": "投诉", "registered_at": "2021-12-05", "source_file": "dec.csv"}]
    )
    rejected = pd.DataFrame(
        {
            "source_file": ["lost.csv", "lost.csv", "dec.csv"],
            "source_line": [2, 3, 3],
            "column": ["登记时间", "类型", "类型"],
            "value": ["8月12日", "建议", "建议"],
            "reason": ["日期无法识别", "业务类型无法识别", "业务类型无法识别"],
            "case_id": ["L1", "L2", "D2"],
            "registered_at": pd.to_datetime([None, "2021-11-30", None]),
        }
    )
    mine, other = split_set_aside(SimpleNamespace(cases=cases, rejected=rejected), "2022-01")
    assert list(mine["source_line"]) == [2]  # lost.csv line 3 is dated November
    assert list(other["case_id"]) == ["L2", "D2"]


def test_split_set_aside_by_file_and_by_case_id_of_the_month():
    """A row set aside belongs to the month when its file holds a case of the month or its case id
    is one of the month's cases; a row without a case id matches none; a later file's rows are later."""
    from types import SimpleNamespace

    from kwstats.setaside import later_rows

    cases = make_cases(
        [
            {"case_id": "J1", "kind": "投诉", "registered_at": "2022-01-05", "source_file": "jan.csv"},
            {"case_id": "J2", "kind": "举报", "registered_at": "2022-01-20", "source_file": "jan-b.csv"},
            {"case_id": "F1", "kind": "投诉", "registered_at": "2022-02-03", "source_file": "feb.csv"},
        ]
    )
    rejected = pd.DataFrame(
        {
            "source_file": ["jan.csv", "feb.csv", "feb.csv", "feb.csv"],
            "source_line": [9, 4, 5, 6],
            "column": ["类型"] * 4,
            "value": ["建议"] * 4,
            "reason": ["业务类型无法识别"] * 4,
            "case_id": ["X1", "J2", None, "F9"],  # J2 again in February's export: a conflicting duplicate
            "registered_at": pd.to_datetime([None, None, None, None]),
        }
    )
    result = SimpleNamespace(cases=cases, rejected=rejected)
    mine, other = split_set_aside(result, "2022-01")
    assert list(mine["source_line"]) == [9, 4]
    assert list(other["source_line"]) == [5, 6]
    assert list(later_rows(result, other, "2022-01")) == [True, True]


# ---------------------------------------------------------------------------------------------
# B. a month without cases


def test_check_and_table_on_a_month_without_cases(tmp_path, capsys):
    jul = july(tmp_path)
    code, out, _ = run_cli(capsys, "check", "--month", "2099-06", "--data", str(jul))
    assert code == EXIT_DATA
    assert "[本月无案件] 2099-06 没有任何投诉、举报案件：请确认导出文件是否包含本月。" in out
    code, out, err = run_cli(capsys, "table", "--month", "2099-06", "--data", str(jul))
    assert code == EXIT_OK and "| * | 全局 | 0 |" in out
    assert "注意：2099-06 没有任何投诉、举报案件" in err


# ---------------------------------------------------------------------------------------------
# C, D. closures from the stage (当前环节) when the export has no closure date

STAGE_HEADER = "登记编号,业务类型,登记时间,承办单位,当前环节\n"


def stage_export(tmp_path: Path) -> Path:
    """Three January complaints at 站前所: 已办结 (closed), 办理中 and 待签收 (open)."""
    return write(
        tmp_path / "stage.csv",
        [
            "S1,投诉,2022-01-05 09:00,站前所,已办结",
            "S2,投诉,2022-01-06 09:00,站前所,办理中",
            "S3,投诉,2022-01-07 09:00,站前所,待签收",
        ],
        STAGE_HEADER,
    )


def test_check_and_table_say_once_that_closures_come_from_the_stage(tmp_path, capsys):
    export = stage_export(tmp_path)
    _, out, err = run_cli(capsys, "check", "--month", "2022-01", "--data", str(export))
    assert (out + err).count("取自导出时的办理环节（当前环节）") == 1
    _, _, err = run_cli(capsys, "table", "--month", "2022-01", "--data", str(export))
    assert err.count("取自导出时的办理环节（当前环节）") == 1


def test_closed_sentence_with_stage_closures_is_as_of_the_export(tmp_path):
    report = build_report("2022-01", data=[stage_export(tmp_path)])
    assert report.sentences()["closed"] == "1 月份共计办结 1 件，按导出时的办理环节，办理中还有 2 件。"


def test_closed_sentence_when_only_some_closures_come_from_the_stage(tmp_path):
    """One more complaint in a file with closure dates, closed on 01-10: 2 closed, 2 pending."""
    dated = write(tmp_path / "dated.csv", ["T1,投诉,2022-01-08 09:00,站前所,2022-01-10 10:00"])
    report = build_report("2022-01", data=[stage_export(tmp_path), dated])
    assert report.sentences()["closed"] == (
        "1 月份共计办结 2 件，办理中还有 2 件（其中 3 件按导出时的办理环节，其余截止 1 月 31 日）。"
    )


# ---------------------------------------------------------------------------------------------
# E. the off-roster share, said by table and check; no unit at all is no alias problem


def test_table_and_check_say_the_off_roster_share_and_the_aliases_line(tmp_path, capsys):
    """1 of 4 complaints at a unit no roster entry names: 25 % (> 10 %, < 50 %)."""
    export = write(
        tmp_path / "a.csv",
        [
            "B1,投诉,2022-01-05 09:00,站前所,",
            "B2,投诉,2022-01-06 09:00,站前所,",
            "B3,投诉,2022-01-07 09:00,新发所,",
            "B4,投诉,2022-01-08 09:00,某某街道办,",
        ],
    )
    _, _, err = run_cli(capsys, "table", "--month", "2022-01", "--data", str(export))
    assert "2022-01 受理 4 件中有 1 件（25%）不在名册的任何单位下" in err
    _, out, _ = run_cli(capsys, "check", "--month", "2022-01", "--data", str(export))
    assert "名册外：受理 4 件中 1 件（25%）不在名册的任何单位下（提示线 10%，正式通报停止线 50%）。" in out
    assert "aliases: [" in out and "某某街道办" in out


def test_an_empty_unit_column_is_not_an_alias_problem(tmp_path, branch):
    """Three complaints with the unit cell empty: 100 % off the roster, none of it a name to alias."""
    cases = make_cases(
        [{"kind": "投诉", "unit": None, "registered_at": f"2022-01-0{d} 09:00"} for d in (3, 4, 5)]
    )
    draft = off_roster_share(cases, branch, "2022-01", official=False)
    assert draft.stop and "没有承办单位的 3 件" in draft.message
    assert "别名" not in draft.message.split("没有承办单位的 3 件")[1].replace("这不是别名的问题", "")
    assert "正式通报不予生成" not in draft.message and "--draft" not in draft.message
    official = off_roster_share(cases, branch, "2022-01", official=True)
    assert "正式通报不予生成；补上承办单位后重新运行，或用 --draft 生成草稿。" in official.message


# ---------------------------------------------------------------------------------------------
# F. the official run above the stop share stops before the kernel; a failed notebook goes once fixed


class FakeKernelRun(FakeRun):
    """test_run_safety's stand-in for papermill, writing every file the notebook writes."""

    def execute(self, out_path: Path, parameters: dict, *, cwd: Path, **kw):
        nb = super().execute(out_path, parameters, cwd=cwd, **kw)
        (Path(cwd) / parameters["output_dir"] / "drilldown.xlsx").write_bytes(b"drill")
        return nb


@pytest.fixture
def fake(monkeypatch) -> FakeRun:
    import kwstats.render

    run = FakeKernelRun()
    monkeypatch.setattr(kernel, "execute_notebook", run.execute)
    monkeypatch.setattr(kernel, "started", lambda cwd: contextlib.nullcontext())  # no real kernel
    monkeypatch.setattr(kwstats.render, "export_html", run.export_html)
    monkeypatch.setattr(kwstats.render, "warm_up", lambda: None)
    return run


def test_off_roster_official_run_exits_2_before_the_kernel(tmp_path, fake, capsys):
    export = write(
        tmp_path / "a.csv",
        [
            "B1,投诉,2022-01-05 09:00,某某局,",
            "B2,投诉,2022-01-06 09:00,某某局,",
            "B3,投诉,2022-01-07 09:00,站前所,",
        ],
    )
    out = tmp_path / "outputs"
    code, _, err = run_cli(capsys, "bulletin", "--month", "2022-01", "--data", str(export), "--out", str(out))
    assert code == EXIT_USAGE and "正式通报不予生成" in err
    assert fake.calls == 0 and not list(out.glob("*failed*"))


def test_a_failed_notebook_is_removed_once_the_month_builds(tmp_path, fake):
    out = tmp_path / "outputs"
    out.mkdir()
    failed = out / "2022-01-failed.ipynb"
    failed.write_text("{}", encoding="utf-8")
    build_bulletin("2022-01", data=[july_as_january(tmp_path)], out_dir=out)
    assert not failed.exists() and (out / "2022-01" / "bulletin.html").exists()


def july_as_january(tmp_path: Path) -> Path:
    return write(
        tmp_path / "jan.csv",
        ["J1,投诉,2022-01-05 09:00,站前所,2022-01-06 10:00", "J2,投诉,2022-01-06 09:00,新发所,"],
    )


# ---------------------------------------------------------------------------------------------
# H, I. a --draft page is always marked; the report's warnings never go to stderr in the kernel


def _kernel_run(tmp_path: Path, *, official: bool):
    """The run and report as the notebook rebuilds them inside a bulletin's kernel."""
    source = resolve_run("2022-01", data=[july_as_january(tmp_path)])
    from kwstats.sources import load_cases

    folder = tmp_path / ("official" if official else "draft") / ".ingest"
    save_ingest(load_cases(source.branch, source.data), folder)
    run, ingest = notebook_run(
        period=source.period.as_dict(), params_dir=DEFAULT_PARAMS_DIR, ingest_dir=folder, official=official
    )
    return run, build_report(run, ingest)


def test_a_draft_with_valid_params_is_still_marked(tmp_path):
    _, official = _kernel_run(tmp_path, official=True)
    run, draft = _kernel_run(tmp_path, official=False)
    assert run.preview and official.draft_reasons == () and draft.draft_reasons == (DRAFT_PREVIEW,)
    assert "【草稿】" not in page.introduction_html(official)
    assert f"【草稿】{DRAFT_PREVIEW}，不是正式通报。" in page.introduction_html(draft)


def test_an_analysts_run_is_not_marked_draft(tmp_path):
    report = build_report(
        resolve_run("2022-01", data=DataSource(())), read_exports([july_as_january(tmp_path)], load_branch())
    )
    assert report.draft_reasons == ()


def test_report_warnings_are_data_not_stderr(tmp_path, capsys, caplog):
    """A month with notices of several kinds (off roster, stage closures, an unknown column)."""
    export = write(
        tmp_path / "a.csv",
        ["B1,投诉,2022-01-05 09:00,某某局,已办结,x", "B2,投诉,2022-01-06 09:00,站前所,办理中,y"],
        "登记编号,业务类型,登记时间,承办单位,当前环节,备注栏\n",
    )
    ingest = read_exports([export], load_branch())
    caplog.set_level(logging.DEBUG)
    capsys.readouterr()
    report = build_report(resolve_run("2022-01", data=DataSource(())), ingest)
    kinds = {n.kind for n in report.notices}
    assert {"off_roster", "closure", "column_notes"} <= kinds
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------------------------------------
# L. calendar.yaml mistakes at their own line


CALENDAR_HEAD = "# 工作日历补充\n#\n# 说明\n\nyears:\n  2027:\n    holidays:\n"


def _calendar(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "params"
    folder.mkdir(exist_ok=True)
    (folder / "calendar.yaml").write_text(CALENDAR_HEAD + body, encoding="utf-8")
    return folder


def test_a_date_of_another_year_is_reported_at_its_line(tmp_path):
    # lines 8–10: two holidays and the make-up days; 2026-12-27 sits on line 10
    folder = _calendar(
        tmp_path,
        "      - {start: 2027-01-01, end: 2027-01-03, name: 元旦}\n"
        "      - {start: 2027-02-06, end: 2027-02-13, name: 春节}\n"
        "    workdays: [2027-02-14, 2026-12-27]\n",
    )
    with pytest.raises(ParamsError) as err:
        WorkdayCalendar.from_params(folder)
    assert "第 10 行：2027 年下写了不属于该年的日期：2026-12-27" in str(err.value)
    assert "整个文件" not in str(err.value)


def test_a_date_that_does_not_exist_is_reported_at_its_line(tmp_path):
    folder = _calendar(
        tmp_path,
        "      - {start: 2027-01-01, end: 2027-01-03}\n      - {start: 2027-06-09, end: 2027-06-31}\n",
    )
    with pytest.raises(ParamsError) as err:
        WorkdayCalendar.from_params(folder)
    assert "calendar.yaml 第 9 行：日期 2027-06-31 不存在（2027 年 6 月没有 31 日）" in str(err.value)


# ---------------------------------------------------------------------------------------------
# M, N, O. the command line: cutoff, a path given first, notes on columns


def test_a_future_cutoff_is_said(tmp_path, capsys):
    code, _, err = run_cli(
        capsys,
        "table",
        "--month",
        "2022-01",
        "--cutoff",
        "2099-01-31",
        "--data",
        str(july_as_january(tmp_path)),
    )
    assert code == EXIT_OK and "截止时间 2099-01-31 23:59 晚于现在" in err


def test_a_garbled_cutoff_is_refused_before_reading_data(tmp_path, capsys, monkeypatch):
    from kwstats import sources

    def no_reading(*_a, **_k):
        raise AssertionError("data read before the cutoff was checked")

    monkeypatch.setattr(sources, "load_cases", no_reading)
    code, _, err = run_cli(capsys, "check", "--cutoff", "一月底", "--data", str(july_as_january(tmp_path)))
    assert code == EXIT_USAGE and "截止时间“一月底”无法识别" in err


@pytest.mark.parametrize("command", ["table", "bulletin"])
def test_a_path_written_first_gets_the_data_hint(tmp_path, capsys, command):
    export = july_as_january(tmp_path)
    with pytest.raises(SystemExit) as exc:
        main([command, str(export), "--month", "2022-01"])
    assert exc.value.code == EXIT_USAGE
    assert f"指定数据请用 --data PATH（例如 --data {export}）" in capsys.readouterr().err


def test_notes_on_columns_are_one_line_in_table_and_listed_by_check(tmp_path, capsys):
    """Two files, each with a column nobody knows: two notes."""
    header = "登记编号,业务类型,登记时间,承办单位,办结时间,备注栏\n"
    a = write(tmp_path / "a.csv", ["C1,投诉,2022-01-05 09:00,站前所,,x"], header)
    b = write(tmp_path / "b.csv", ["C2,投诉,2022-01-06 09:00,站前所,,y"], header)
    _, _, err = run_cli(capsys, "table", "--month", "2022-01", "--data", str(a), str(b))
    assert "以下列未识别" not in err
    assert err.count("导出文件的列有 2 条说明") == 1
    _, out, _ = run_cli(capsys, "check", "--month", "2022-01", "--data", str(a), str(b))
    assert out.count("以下列未识别，已忽略：备注栏") == 2


# ---------------------------------------------------------------------------------------------
# Q. why a platform due date could not be checked, counted by cause


def test_unchecked_due_dates_name_their_cause(branch):
    """Three complaints registered 2023-06-01 with the platform's due date; kwstats has none for each:
    no 受理时间 in the export, the rule unconfirmed, the calendar lacking 2027."""
    cases = make_cases(
        [
            {
                "case_id": c,
                "kind": "投诉",
                "unit": "站前所",
                "registered_at": "2023-06-01",
                "due_at": "2023-08-04",
            }
            for c in ("N1", "N2", "N3")
        ]
    )
    cases["due_at"] = pd.to_datetime(cases["due_at"])
    evaluation = pd.DataFrame(
        {
            "case_id": ["N1", "N2", "N3"],
            "key": ["mediation"] * 3,
            "label": ["调解"] * 3,
            "due_date": pd.to_datetime([None, None, None]),
            "status": ["unknown", "unconfirmed", "calendar_missing"],
            "calendar_missing_year": pd.array([pd.NA, pd.NA, 2027], dtype="Int64"),
        }
    )
    check = due_date_check(cases, evaluation, branch, rules=load_deadline_rules())
    assert check.set_index("case_id")["unchecked_reason"].to_dict() == {
        "N1": "导出没有受理时间（期限的起算时间）",
        "N2": "期限规则未确认（deadlines.yaml 中 confirmed: false）",
        "N3": "工作日历未覆盖 2027 年（需补 params/calendar.yaml）",
    }
    (finding,) = due_date_findings(check, "2023-06")
    assert finding.numbers["reasons"] == {
        "导出没有受理时间（期限的起算时间）": 1,
        "期限规则未确认（deadlines.yaml 中 confirmed: false）": 1,
        "工作日历未覆盖 2027 年（需补 params/calendar.yaml）": 1,
    }
    assert "或期限规则未确认，或工作日历未覆盖该年" not in finding.message


# ---------------------------------------------------------------------------------------------
# W. a first export: the cumulative window says the data start later

EPI_HEADER = "登记编号,业务类型,登记时间,承办单位,办结时间,是否涉疫\n"


def test_window_sentence_says_the_data_start_later(tmp_path):
    """Data from March 2024; the window opens 2020-01-23. One flagged complaint, closed."""
    export = write(
        tmp_path / "a.csv",
        ["E1,投诉,2024-03-05 09:00,站前所,2024-03-06 10:00,是", "E2,投诉,2024-03-06 09:00,站前所,,否"],
        EPI_HEADER,
    )
    report = build_report("2024-03", data=[export])
    assert report.sentences()["windows"] == (
        "关于 12315 平台受理疫情案件从 2020 年 1 月 23 日起至 2024 年 3 月 31 日（数据从 2024 年 3 月起，"
        "此前的件未计入），共受理 1 件，办结率 100%。"
    )


def test_window_sentence_prints_no_zero_as_if_counted(tmp_path):
    export = write(tmp_path / "a.csv", ["E1,投诉,2024-03-05 09:00,站前所,,否"], EPI_HEADER)
    windows = build_report("2024-03", data=[export]).sentences()["windows"]
    assert windows == (
        "关于 12315 平台受理疫情案件从 2020 年 1 月 23 日起至 2024 年 3 月 31 日的累计数无法统计："
        "数据从 2024 年 3 月起，其中没有此类案件。"
    )
    assert "0 件" not in windows


# ---------------------------------------------------------------------------------------------
# issue 7: a full disk, --params that is a file, an unbalanced quote, SIGTERM / SIGHUP, a link in
# place of the month's folder


def test_a_full_disk_while_writing_is_one_chinese_line_exit_2(tmp_path, fake, capsys, monkeypatch):
    import kwstats.render

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(kwstats.render, "export_html", full)
    out = tmp_path / "outputs"
    kept = previous_bulletin(out)
    code, _, err = run_cli(
        capsys, "bulletin", "--month", "2022-01", "--data", str(july_as_january(tmp_path)), "--out", str(out)
    )
    assert code == EXIT_USAGE
    assert "所在的磁盘已满" in err and "Traceback" not in err and "No space" not in err
    assert kept.read_text(encoding="utf-8") == "上个版本的通报"
    assert sorted(p.name for p in out.iterdir() if not p.name.endswith(".lock")) == ["2022-01"]


def test_a_full_disk_inside_the_kernel_is_an_os_error():
    error = kernel.kernel_error("OSError", "[Errno 28] No space left on device: 'table.xlsx'", 9, "x", "")
    assert isinstance(error, OSError) and error.errno == errno.ENOSPC


def test_params_that_is_a_file_is_said_in_chinese(tmp_path, capsys):
    not_a_folder = tmp_path / "branch.yaml"
    shutil.copyfile(DEFAULT_PARAMS_DIR / "branch.yaml", not_a_folder)
    code, _, err = run_cli(capsys, "table", "--month", "2022-01", "--sample", "--params", str(not_a_folder))
    assert code == EXIT_USAGE
    assert f"{not_a_folder} 是一个文件，不是文件夹。--params 应指定参数文件所在的文件夹" in err
    assert "Errno" not in err and "Not a directory" not in err


def test_an_unbalanced_quote_is_said_in_chinese_only(tmp_path, capsys):
    export = tmp_path / "q.csv"
    export.write_text(
        HEADER + '"Q1,投诉,2022-01-05 09:00,站前所,\nQ2,投诉,2022-01-06 09:00,站前所,\n', encoding="utf-8"
    )
    code, _, err = run_cli(capsys, "check", "--month", "2022-01", "--data", str(export))
    assert code == EXIT_DATA and "引号" in err
    assert "Error" not in err and "unexpected" not in err


DRIVER = """
import sys, time
import kwstats.commands as commands
def slow(*_a, **_k):
    print("ready", file=sys.stderr, flush=True)
    time.sleep(60)
commands.table = slow
from kwstats.cli import main
sys.exit(main())
"""


@pytest.mark.parametrize(
    ("sig", "code", "word"), [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGHUP, 129, "SIGHUP")]
)
def test_sigterm_and_sighup_end_like_ctrl_c(sig, code, word):
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, "table", "--month", "2022-01", "--sample"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
    )
    try:
        assert proc.stderr.readline().strip() == "ready"
        proc.send_signal(sig)
        assert proc.wait(timeout=30) == code
        rest = [line for line in proc.stderr.read().splitlines() if line.strip()]
    finally:
        proc.kill()
        proc.wait()
    assert len(rest) == 1 and word in rest[0] and rest[0].startswith("已中断")


def test_a_termination_in_a_bulletin_run_cleans_up_like_ctrl_c(tmp_path, fake, capsys):
    fake.fail = lambda: Terminated(signal.SIGTERM)
    out = tmp_path / "outputs"
    kept = previous_bulletin(out)
    code, _, err = run_cli(
        capsys, "bulletin", "--month", "2022-01", "--data", str(july_as_january(tmp_path)), "--out", str(out)
    )
    assert code == 143 and "已中断（收到终止信号 SIGTERM），没有写出新的通报，已有的通报不变。" in err
    assert kept.read_text(encoding="utf-8") == "上个版本的通报"
    assert sorted(p.name for p in out.iterdir() if not p.name.endswith(".lock")) == ["2022-01"]


def test_a_termination_during_a_swap_waits_for_it(monkeypatch):
    def terminated(signum, _frame):
        raise Terminated(signum)

    previous = signal.signal(signal.SIGTERM, terminated)
    done = []
    try:
        with pytest.raises(Terminated), interrupts_deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            done.append("swap finished")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert done == ["swap finished"]


@pytest.mark.parametrize("kind", ["link", "file"])
def test_a_link_or_file_in_place_of_the_months_folder_is_refused(tmp_path, fake, capsys, kind):
    out = tmp_path / "outputs"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "bulletin.html").write_text("别处的文件", encoding="utf-8")
    target = out / "2022-01"
    if kind == "link":
        target.symlink_to(elsewhere, target_is_directory=True)
    else:
        target.write_text("一个文件", encoding="utf-8")
    with pytest.raises(OutputPathError, match="链接" if kind == "link" else "是一个文件"):
        build_bulletin("2022-01", data=[july_as_january(tmp_path)], out_dir=out)
    assert fake.calls == 0
    assert target.is_symlink() if kind == "link" else target.is_file()
    assert (elsewhere / "bulletin.html").read_text(encoding="utf-8") == "别处的文件"
    assert not (out / ".2022-01.old").exists()


def test_a_link_an_older_version_moved_aside_is_removed(tmp_path):
    out = tmp_path / "outputs"
    (out / "2022-01").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / ".2022-01.old").symlink_to(elsewhere, target_is_directory=True)
    clean_leftovers(out, "2022-01")
    assert not (out / ".2022-01.old").is_symlink() and elsewhere.is_dir()


def test_the_run_dataclass_keeps_preview_off_by_default():
    run = resolve_run("2022-01", data=DataSource(()))
    assert not run.preview and not dataclasses.replace(run, official=True).preview
