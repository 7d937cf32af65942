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


def test_check_on_sample_reports_planted_rows_and_errata(capsys, sample_ingest):
    from kwstats.sample import PLANTED_BAD_ROWS
    from tests.conftest import REFERENCE_DIR

    code = main(
        ["check", "--month", "2022-01", "--published", str(REFERENCE_DIR / "bulletin-2022-01-table.csv")]
    )
    out = capsys.readouterr().out
    assert code == EXIT_DATA
    assert (
        f"读入 {sample_ingest.rows_read} 行：使用 {sample_ingest.rows_used} 行，剔除 {sample_ingest.rows_set_aside} 行"
        in out
    )
    for planted in PLANTED_BAD_ROWS:
        assert f"{planted['file']} 第 {planted['line']} 行" in out
    assert "南广所办结率印为 99%" in out
    assert "全局举报立案数为 7" in out
    assert "名册外单位" in out


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
    assert main(["bulletin", "--month", "2022-07", "--out", str(tmp_path)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "2022-07.yaml" in err and "month:" in err
    assert not (tmp_path / "2022-07").exists()
    assert main(["bulletin", "--month", "2022-07", "--out", str(tmp_path), "--draft"]) == EXIT_OK
    assert "【草稿】缺少本月说明文字" in (tmp_path / "2022-07" / "bulletin.html").read_text(encoding="utf-8")
