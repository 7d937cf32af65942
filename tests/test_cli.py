import pytest

from kwstats.cli import EXIT_DATA, EXIT_OK, EXIT_USAGE, main


def test_help_is_chinese_and_lists_commands(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for word in ("sample", "table", "check", "bulletin", "退出码"):
        assert word in out


def test_usage_errors_exit_2(capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["table"])  # --month missing
    assert exc.value.code == EXIT_USAGE
    assert main(["table", "--month", "2022-13"]) == EXIT_USAGE
    assert "YYYY-MM" in capsys.readouterr().err
    assert main(["table", "--month", "2022-01", "--data", str(tmp_path / "nope.xlsx")]) == EXIT_USAGE
    assert "nope.xlsx" in capsys.readouterr().err
    assert main(["table", "--month", "2022-01", "--params", str(tmp_path)]) == EXIT_USAGE
    assert "branch.yaml" in capsys.readouterr().err


def test_unreadable_file_exits_1_and_names_it(capsys, tmp_path):
    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes(b"this is not a spreadsheet")
    assert main(["check", str(bad)]) == EXIT_DATA
    assert "坏文件.xlsx" in capsys.readouterr().err


def test_check_on_sample_reports_planted_rows_and_errata(capsys):
    """Expected from outside check: the generator's planted rows (2 in January's file, 6 in others),
    one 合计 row at the end of each of the 36 monthly files, and the reference's three errata
    (SPEC §7): 南广所 52/53 printed 99 %, 立案 7 against the units' 8, 44 cases off the roster."""
    import re

    from kwstats.sample import PLANTED_BAD_ROWS
    from kwstats.sample_files import MONTHS
    from tests.conftest import REFERENCE_DIR

    code = main(
        ["check", "--month", "2022-01", "--published", str(REFERENCE_DIR / "bulletin-2022-01-table.csv")]
    )
    out = capsys.readouterr().out
    assert code == EXIT_DATA  # January's own file has two bad rows
    read, used, aside = map(int, re.search(r"读入 (\d+) 行：使用 (\d+) 行，剔除 (\d+) 行", out).groups())
    assert read == used + aside and aside == len(PLANTED_BAD_ROWS) + len(MONTHS)
    assert f"合计行 {len(MONTHS)} 行" in out
    january = [p for p in PLANTED_BAD_ROWS if "2022-01" in p["file"]]
    assert len(january) == 2
    assert f"与 2022-01 有关的剔除行 {len(january)} 行" in out
    assert f"其他月份文件中的剔除行 {len(PLANTED_BAD_ROWS) - len(january)} 行" in out
    for planted in PLANTED_BAD_ROWS:
        assert f"{planted['file']} 第 {planted['line']} 行" in out
    assert "南广所办结率印为 99%" in out
    assert "全局举报立案数为 7" in out
    assert "各单位受理量合计 658 件，全局 702 件，差 44 件，均为名册外或未分流的案件。" in out


def test_table_markdown_ok(capsys):
    assert main(["table", "--month", "2022-01"]) == EXIT_OK
    assert "| * | 全局 | 702 |" in capsys.readouterr().out


def test_cutoff_errors_are_usage_errors(capsys):
    assert main(["table", "--month", "2022-01", "--cutoff", "foo"]) == EXIT_USAGE
    assert "截止时间" in capsys.readouterr().err
    assert main(["table", "--month", "2022-01", "--cutoff", "2022-01-31T23:59+08:00"]) == EXIT_OK


def test_check_exit_code_tracks_data_problems_not_business_findings(tmp_path, capsys):
    clean = tmp_path / "clean.csv"
    clean.write_text(
        "登记编号,业务类型,登记时间,承办单位,办结时间\n"
        "C1,投诉,2022-01-05 09:00,站前所,2022-01-06 10:00\n"
        "C2,投诉,2022-01-06 09:00,站前所,\n",
        encoding="utf-8",
    )
    assert main(["check", str(clean), "--month", "2022-01"]) == EXIT_OK
    assert "[低于阈值] 站前所" in capsys.readouterr().out  # reported, but not a data problem
    bad = tmp_path / "bad.csv"
    bad.write_text(clean.read_text(encoding="utf-8") + "C3,建议,2022-01-07 09:00,站前所,\n", encoding="utf-8")
    assert main(["check", str(bad), "--month", "2022-01"]) == EXIT_DATA
    assert "bad.csv 第 4 行" in capsys.readouterr().out


def test_table_warns_about_rows_set_aside(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "登记编号,业务类型,登记时间,承办单位\nC1,投诉,2022-01-05,站前所\nC2,建议,2022-01-05,站前所\n",
        encoding="utf-8",
    )
    assert main(["table", "--month", "2022-01", "--data", str(bad)]) == EXIT_OK
    assert "剔除 1 行" in capsys.readouterr().err


def test_month_is_normalised(capsys):
    assert main(["table", "--month", "2022-1", "--format", "csv"]) == EXIT_OK
    assert "*,全局,702," in capsys.readouterr().out


def test_bulletin_without_month_prose_is_a_usage_error(tmp_path, capsys):
    assert main(["bulletin", "--month", "2022-07", "--out", str(tmp_path), "--sample"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "2022-07.yaml" in err and "month:" in err
    assert not (tmp_path / "2022-07").exists()
    assert main(["bulletin", "--month", "2022-07", "--out", str(tmp_path), "--draft", "--sample"]) == EXIT_OK
    assert "【草稿】缺少本月说明文字" in (tmp_path / "2022-07" / "bulletin.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# the commands and the messages a clerk reads (issue 8 §5)

HEADER = "登记编号,业务类型,登记时间,承办单位,办结时间\n"


def _export(path, month: str, bad: bool = False):
    """Two complaints of `month` (one closed), and with `bad` a third row of an unknown kind."""
    rows = f"{month[:4]}{month[5:]}1,投诉,{month}-05 09:00,站前所,{month}-06 10:00\n{month[:4]}{month[5:]}2,投诉,{month}-06 09:00,新发所,\n"
    if bad:
        rows += f"{month[:4]}{month[5:]}3,建议,{month}-07 09:00,站前所,\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["table"], "缺少必需的参数：--month"),
        (["tabel"], "参数 命令：无效的取值 'tabel'"),
        (["table", "--month"], "参数 --month：后面需要一个值"),
        (["table", "--month", "2022-01", "--colour"], "无法识别的参数：--colour"),
        (["table", "--month", "2022-01", "--format", "xls"], "参数 --format：无效的取值 'xls'"),
        (["table", "--month", "2022-01", "--data"], "参数 --data：后面至少需要一个值"),
        (["sample", "--seed", "abc"], "参数 --seed：应为整数，而不是 'abc'"),
        (
            ["table", "--month", "2022-01", "--sample", "--data", "x.csv"],
            "参数 --data：不能与参数 --sample 同时使用",
        ),
    ],
)
def test_argparse_errors_are_chinese(capsys, argv, expected):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == EXIT_USAGE
    err = capsys.readouterr().err
    assert expected in err
    assert err.startswith("用法：kwstats")
    for english in (
        "usage:",
        "error:",
        "the following",
        "invalid choice",
        "expected",
        "unrecognized",
        "argument",
    ):
        assert english not in err


def test_help_headings_are_chinese(capsys):
    for argv in (["--help"], ["bulletin", "--help"], ["check", "-h"]):
        with pytest.raises(SystemExit):
            main(argv)
        out = capsys.readouterr().out
        assert out.startswith("用法：kwstats") and "选项：" in out and "显示本帮助并退出" in out
        for english in ("usage:", "options:", "positional arguments", "show this help"):
            assert english not in out
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "位置参数：" in out
    for code in ("0 ", "1 ", "2 ", "75 ", "130 "):
        assert f"\n  {code}" in out, f"exit code {code} missing from --help"


def test_data_is_given_the_same_way_to_all_three_commands(tmp_path, capsys, monkeypatch):
    from kwstats import bulletin

    export = str(_export(tmp_path / "a.csv", "2022-01"))
    assert main(["check", "--data", export, "--month", "2022-01"]) == EXIT_OK
    assert "读入 2 行" in capsys.readouterr().out
    assert main(["check", export, "--month", "2022-01"]) == EXIT_OK  # the positional is kept as an alias
    assert "读入 2 行" in capsys.readouterr().out
    assert main(["table", "--data", export, "--month", "2022-01", "--format", "csv"]) == EXIT_OK
    assert "*,全局,2,0,0,0,2,1,0,1,50" in capsys.readouterr().out
    seen = {}
    monkeypatch.setattr(bulletin, "build_bulletin", lambda month, **kw: seen.update(kw) or {})
    assert main(["bulletin", "--month", "2022-01", "--data", export]) == EXIT_OK
    assert seen["data"] == [export]
    assert main(["check", export, "--sample"]) == EXIT_USAGE
    assert "--sample 与数据路径不能同时使用" in capsys.readouterr().err


def test_official_bulletin_refuses_the_sample_unless_asked(tmp_path, capsys, monkeypatch):
    from kwstats import bulletin

    calls = []
    monkeypatch.setattr(bulletin, "build_bulletin", lambda month, **kw: calls.append(kw) or {})
    assert main(["bulletin", "--month", "2022-01", "--out", str(tmp_path)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "--data" in err and "--sample" in err and calls == []
    assert main(["bulletin", "--month", "2022-01", "--out", str(tmp_path), "--sample"]) == EXIT_OK
    assert calls[0]["data"] is None  # the library's None: the synthetic sample, marked 演示
    from tests.conftest import REPO

    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert "kwstats bulletin --month $(MONTH) --sample" in makefile


def test_table_without_data_says_it_uses_the_sample(capsys):
    assert main(["table", "--month", "2022-01"]) == EXIT_OK
    err = capsys.readouterr().err
    assert "未指定 --data：使用合成样例数据" in err
    assert main(["table", "--month", "2022-01", "--sample"]) == EXIT_OK
    assert "未指定 --data" not in capsys.readouterr().err


def test_a_data_folder_skips_the_sample_subfolder_and_says_so(tmp_path, capsys):
    from kwstats.sample_files import MARKER_NAME

    data = tmp_path / "data"
    _export(data / "2022-01" / "一月.csv", "2022-01")
    _export(data / "sample" / "12315_2022-01.csv", "2022-01", bad=True)
    (data / "sample" / MARKER_NAME).write_text("seed=1\n", encoding="utf-8")
    assert main(["check", "--data", str(data), "--month", "2022-01"]) == EXIT_OK
    captured = capsys.readouterr()
    assert "读入 2 行" in captured.out and "12315_2022-01.csv" not in captured.out
    assert f"{data / 'sample'} 是合成样例文件夹" in captured.err
    # given itself, the sample folder is read
    assert main(["check", "--data", str(data / "sample"), "--month", "2022-01"]) == EXIT_DATA
    assert "读入 3 行" in capsys.readouterr().out
    # a folder holding nothing but the sample: a usage error that says why
    (data / "2022-01" / "一月.csv").unlink()
    assert main(["check", "--data", str(data), "--month", "2022-01"]) == EXIT_USAGE
    assert "合成样例文件夹" in capsys.readouterr().err


def test_set_aside_rows_are_scoped_to_the_month(tmp_path, capsys):
    """One bad row in December's file, one in January's; February's file is clean."""
    dec = str(_export(tmp_path / "2021-12.csv", "2021-12", bad=True))
    jan = str(_export(tmp_path / "2022-01.csv", "2022-01", bad=True))
    feb = str(_export(tmp_path / "2022-02.csv", "2022-02"))
    assert main(["table", "--month", "2022-01", "--data", dec, jan, feb]) == EXIT_OK
    err = capsys.readouterr().err
    assert "剔除 1 行与 2022-01 有关的问题数据" in err and "另有 1 行属于其他月份的文件（历史数据）" in err
    assert main(["table", "--month", "2022-02", "--data", dec, jan, feb]) == EXIT_OK
    err = capsys.readouterr().err
    assert "剔除的 2 行问题数据都属于其他月份的文件（历史数据），不影响 2022-02 的统计" in err


def test_check_exit_code_is_one_rule_for_every_month(tmp_path, capsys):
    """Exit 1 iff the month has rows set aside (or errors) of its own; history rows are listed only."""
    dec = str(_export(tmp_path / "2021-12.csv", "2021-12", bad=True))
    jan = str(_export(tmp_path / "2022-01.csv", "2022-01"))
    feb = str(_export(tmp_path / "2022-02.csv", "2022-02", bad=True))
    files = ["--data", dec, jan, feb]
    assert main(["check", *files, "--month", "2021-12"]) == EXIT_DATA
    out = capsys.readouterr().out
    assert "与 2021-12 有关的剔除行 1 行" in out and "2021-12.csv 第 4 行" in out
    assert main(["check", *files, "--month", "2022-01"]) == EXIT_OK
    out = capsys.readouterr().out
    assert (
        "其他月份文件中的剔除行 2 行" in out and "2021-12.csv 第 4 行" in out and "2022-02.csv 第 4 行" in out
    )
    assert main(["check", *files, "--month", "2022-02"]) == EXIT_DATA
    assert main(["check", *files]) == EXIT_DATA  # the last month (2022-02), same rule
    assert "2022-02 核对发现" in capsys.readouterr().out


def test_table_says_what_the_numbers_rest_on(tmp_path, capsys):
    """An export without 办结时间 (closure from 当前环节) and with two of three cases at a unit off the
    roster: the table is printed, and stderr says both, as the bulletin would."""
    export = tmp_path / "stage.csv"
    export.write_text(
        "登记编号,业务类型,登记时间,承办单位,当前环节\n"
        "S1,投诉,2022-01-05 09:00,某某局,已办结\n"
        "S2,投诉,2022-01-06 09:00,某某局,处理中\n"
        "S3,举报,2022-01-07 09:00,站前所,已办结\n",
        encoding="utf-8",
    )
    assert main(["table", "--month", "2022-01", "--data", str(export), "--format", "csv"]) == EXIT_OK
    captured = capsys.readouterr()
    assert "*,全局,3,1,1,0,2,1,0,2,66" in captured.out
    assert "注意：2022-01 受理 3 件中有 2 件（67%）不在名册的任何单位下" in captured.err
    assert "注意：本月 3 件的导出没有办结时间，办结情况取自导出时的办理环节（当前环节）" in captured.err
    assert main(["check", "--data", str(export), "--month", "2022-01"]) == EXIT_OK
    assert "办结情况：本月 3 件的导出没有办结时间" in capsys.readouterr().out


def test_error_lines_are_masked(tmp_path, capsys):
    """A path with a phone number in it reaches the clerk's terminal masked."""
    missing = tmp_path / "导出13812345678.csv"
    assert main(["table", "--month", "2022-01", "--data", str(missing)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "13812345678" not in err and "导出138****5678.csv" in err


def test_ctrl_c_while_the_program_loads_is_one_chinese_line(tmp_path):
    """A Ctrl-C in the first second (the libraries loading) ends with exit 130 and one Chinese line,
    as later in the run, never a Python traceback."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kwstats",
            "bulletin",
            "--month",
            "2022-01",
            "--sample",
            "--out",
            str(tmp_path),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    # until it is loading the libraries (numpy mapped: after Python's own start-up, which a Ctrl-C
    # may still end with a traceback, and before the run starts)
    while time.monotonic() < deadline and "numpy" not in Path(f"/proc/{proc.pid}/maps").read_text():
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert [line for line in err.splitlines() if line.startswith("已中断")], err
    assert not list(tmp_path.glob("2022-01*")), "nothing written"
