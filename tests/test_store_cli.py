"""The case store's commands: ingest, --store for table/check, sql, export-parquet, exit 75 when busy.

Every store is made inside the test from a few CSV rows; expected numbers are counted by hand from
those rows.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from kwstats import store as st
from kwstats.cli import EXIT_DATA, EXIT_LOCKED, EXIT_OK, EXIT_USAGE, main

HEADER = "登记编号,业务类型,登记时间,承办单位,办结时间,挽回经济损失,登记内容"
PHONE, PHONE_IN_NAME, PHONE_IN_FOLDER = "13812345678", "13912345678", "13787654321"


def export(path: Path, rows: list[str], exported_at: str = "2022-02-01 09:00:00") -> Path:
    """A CSV export: 导出时间 on line 1, the header on line 2, rows from line 3."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([f"导出时间：{exported_at},,,,,,", HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def two_months(tmp_path) -> Path:
    """December: 2 cases (1 closed) and one row with an unreadable date; January: 3 cases (2 closed);
    February: 1 case and one row with an unreadable date."""
    folder = tmp_path / "exports"
    export(
        folder / "2021-12.csv",
        [
            "D1,投诉,2021-12-03 10:00,站前所,2021-12-05 10:00,0,",
            "D2,举报,2021-12-06 10:00,新发所,,0,",
            "DX,投诉,某天,站前所,,0,",
        ],
    )
    export(
        folder / "2022-01.csv",
        [
            f"J1,投诉,2022-01-03 10:00,站前所,2022-01-05 10:00,100,来电 {PHONE} 投诉",
            "J2,举报,2022-01-04 11:00,新发所,2022-01-20 09:00,0,",
            "J3,举报,2022-01-06 11:00,新发所,,0,",
        ],
    )
    export(
        folder / "2022-02.csv",
        ["F1,投诉,2022-02-03 10:00,站前所,,0,", "FX,举报,某天,新发所,,0,"],
        "2022-03-01 09:00:00",
    )
    return folder


def test_ingest_prints_one_line_per_file_and_a_second_run_changes_nothing(tmp_path, two_months, capsys):
    store = tmp_path / "store"
    assert main(["ingest", str(two_months), "--store", str(store)]) == EXIT_OK
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("  2021-12.csv：读取 3 行，采用 2 行（新增 2 件") and "剔除 1 行" in out[0]
    assert out[1].startswith("  2022-01.csv：读取 3 行，采用 3 行（新增 3 件")
    assert out[2].startswith("  2022-02.csv：读取 2 行，采用 1 行（新增 1 件") and "剔除 1 行" in out[2]
    assert "现有 6 件" in out[3] and "剔除行 2 行" in out[3]
    assert main(["ingest", str(two_months), "--store", str(store)]) == EXIT_OK
    again = capsys.readouterr().out
    assert again.count("已导入过（") == 3 and "跳过 3 个已导入过的文件" in again and "现有 6 件" in again
    assert st.store_state(store)["ingest_seq"] == 1  # nothing written the second time


def test_ingest_help_and_usage_errors_are_chinese(tmp_path, capsys):
    for command in ("ingest", "sql", "export-parquet", "backfill"):
        with pytest.raises(SystemExit) as exc:
            main([command, "--help"])
        assert exc.value.code == 0
        assert "用法" in capsys.readouterr().out
    assert main(["ingest", str(tmp_path / "没有这个文件.csv"), "--store", str(tmp_path / "s")]) == EXIT_USAGE
    assert "没有这个文件.csv" in capsys.readouterr().err
    assert main(["table", "--month", "2022-01", "--store", str(tmp_path / "空")]) == EXIT_USAGE
    assert "找不到案件库" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["table", "--month", "2022-01", "--store", str(tmp_path), "--data", str(tmp_path)])
    assert exc.value.code == EXIT_USAGE
    assert "不能与参数" in capsys.readouterr().err
    assert main(["check", str(tmp_path), "--store", str(tmp_path)]) == EXIT_USAGE
    assert "--store 与数据路径不能同时使用" in capsys.readouterr().err


def test_the_store_keeps_no_phone_number_from_file_or_folder_names(tmp_path, branch):
    folder = tmp_path / f"王五{PHONE_IN_FOLDER}"
    path = export(
        folder / f"张三{PHONE_IN_NAME}.csv",
        [f"J1,投诉,2022-01-03 10:00,站前所,,0,电话 {PHONE}", "JX,投诉,某天,站前所,,0,"],
    )
    store = tmp_path / "store"
    st.ingest_into_store(store, [path], branch)
    con = duckdb.connect(str(store / st.STORE_FILE), read_only=True)
    try:
        texts = []
        for table in ("files", "cases", "rejected", "meta"):
            frame = con.sql(f"SELECT * FROM {table}").to_df()
            texts += [str(v) for v in frame.astype(str).to_numpy().ravel()]
    finally:
        con.close()
    joined = "\n".join(texts)
    for number in (PHONE, PHONE_IN_NAME, PHONE_IN_FOLDER):
        assert number not in joined
    assert "张三139****5678.csv" in joined  # the name is still told, masked


def test_table_and_check_from_the_store_equal_those_from_the_files(tmp_path, two_months, capsys):
    store = tmp_path / "store"
    assert main(["ingest", str(two_months), "--store", str(store)]) == EXIT_OK
    capsys.readouterr()
    assert main(["table", "--month", "2022-01", "--format", "csv", "--data", str(two_months)]) == EXIT_OK
    from_files = capsys.readouterr()
    assert main(["table", "--month", "2022-01", "--format", "csv", "--store", str(store)]) == EXIT_OK
    from_store = capsys.readouterr()
    assert from_store.out == from_files.out
    # by hand: 3 accepted (1 complaint, 2 reports), closed 2 by 01-31: 66 % truncated
    assert from_store.out.splitlines()[1] == "*,全局,3,2,1,0,1,1,0,2,66"
    assert from_store.err == from_files.err
    # check: December's unreadable row is December's (its file), so January passes and December fails
    assert main(["check", "--month", "2022-01", "--store", str(store)]) == EXIT_OK
    jan = capsys.readouterr().out
    assert (
        "其他月份文件中的剔除行 2 行" in jan and "2021-12.csv 第 5 行" in jan and "2022-02.csv 第 4 行" in jan
    )
    assert main(["check", "--month", "2021-12", "--store", str(store)]) == EXIT_DATA


def test_the_default_store_is_read_when_it_exists_and_no_data_is_given(
    tmp_path, two_months, capsys, monkeypatch
):
    store = tmp_path / "default-store"
    monkeypatch.setenv(st.STORE_ENV, str(store))
    assert main(["ingest", str(two_months)]) == EXIT_OK
    assert (store / st.STORE_FILE).is_file()
    capsys.readouterr()
    assert main(["table", "--month", "2021-12", "--format", "csv"]) == EXIT_OK
    out = capsys.readouterr()
    assert out.out.splitlines()[1] == "*,全局,2,1,0,0,1,1,0,1,50"
    assert "合成样例" not in out.err  # the store, not the sample
    # files still work with --data, and --sample still means the sample
    extra = export(tmp_path / "other" / "x.csv", ["Y1,投诉,2021-12-09 10:00,站前所,,0,"])
    assert main(["table", "--month", "2021-12", "--format", "csv", "--data", str(extra)]) == EXIT_OK
    assert capsys.readouterr().out.splitlines()[1] == "*,全局,1,0,0,0,1,0,0,0,0"


def test_sql_is_masked_read_only_and_writes_every_row_to_csv(tmp_path, two_months, capsys):
    store = tmp_path / "store"
    main(["ingest", str(two_months), "--store", str(store)])
    capsys.readouterr()
    assert (
        main(["sql", "SELECT case_id, content FROM cases WHERE case_id = 'J1'", "--store", str(store)])
        == EXIT_OK
    )
    out = capsys.readouterr().out
    assert "138****5678" in out and PHONE not in out
    assert main(["sql", "DELETE FROM cases", "--store", str(store)]) == EXIT_USAGE
    assert "SQL 无法执行" in capsys.readouterr().err
    assert main(["sql", "SELECT * FROM read_csv('/etc/passwd')", "--store", str(store)]) == EXIT_USAGE
    capsys.readouterr()
    target = tmp_path / "结果.csv"
    assert (
        main(
            [
                "sql",
                "SELECT case_id, content FROM cases ORDER BY case_id",
                "--store",
                str(store),
                "--csv",
                str(target),
            ]
        )
        == EXIT_OK
    )
    assert "6 行" in capsys.readouterr().out
    frame = pd.read_csv(target, encoding="utf-8-sig", dtype=str)
    assert frame["case_id"].tolist() == ["D1", "D2", "F1", "J1", "J2", "J3"]
    assert PHONE not in target.read_text(encoding="utf-8-sig")
    assert st.store_state(store)["cases"] == 6


def test_export_parquet_command_writes_one_partition_per_month(tmp_path, two_months, capsys):
    store = tmp_path / "store"
    main(["ingest", str(two_months), "--store", str(store)])
    capsys.readouterr()
    out = tmp_path / "parquet"
    assert main(["export-parquet", "--out", str(out), "--store", str(store)]) == EXIT_OK
    assert "已导出 6 件（3 个月：2021-12～2022-02）" in capsys.readouterr().out
    counts = duckdb.sql(
        f"SELECT month, count(*) FROM read_parquet('{out}/*/*.parquet', hive_partitioning = true) GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert counts == [("2021-12", 2), ("2022-01", 3), ("2022-02", 1)]


def test_a_store_held_by_another_process_exits_75(tmp_path, two_months, capsys):
    store = tmp_path / "store"
    main(["ingest", str(two_months / "2021-12.csv"), "--store", str(store)])
    capsys.readouterr()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('held', flush=True); time.sleep(30)",
            str(store / st.STORE_FILE),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        start = time.monotonic()
        code = main(["ingest", str(two_months / "2022-01.csv"), "--store", str(store), "--wait", "0.5"])
        assert code == EXIT_LOCKED and time.monotonic() - start < 20
        assert "正被另一个进程" in capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
    assert main(["ingest", str(two_months / "2022-01.csv"), "--store", str(store)]) == EXIT_OK
    assert st.store_state(store)["cases"] == 5


def test_a_store_made_from_the_sample_folder_is_a_demo(tmp_path, branch):
    from kwstats.sample_files import MARKER_NAME
    from kwstats.sources import store_source

    folder = tmp_path / "sample"
    export(folder / "2022-01.csv", ["J1,投诉,2022-01-03 10:00,站前所,,0,"])
    (folder / MARKER_NAME).write_text("seed 1\n", encoding="utf-8")
    st.ingest_into_store(tmp_path / "demo", [folder], branch)
    assert store_source(tmp_path / "demo").sample
    real = export(tmp_path / "real" / "2022-01.csv", ["J1,投诉,2022-01-03 10:00,站前所,,0,"])
    st.ingest_into_store(tmp_path / "real-store", [real], branch)
    assert not store_source(tmp_path / "real-store").sample
    assert os.environ[st.STORE_ENV] != str(tmp_path)  # conftest: no test reads a store it did not make


def test_a_store_whose_case_a_newer_export_replaced_still_adds_up_for_the_kernel(tmp_path, branch):
    from kwstats.cache import load_ingest, save_ingest

    a = export(
        tmp_path / "a.csv",
        [
            "X,投诉,2022-01-03 10:00,站前所,,0,",
            "Y,举报,2022-01-04 10:00,新发所,,0,",
            "Z,投诉,某天,站前所,,0,",
        ],
    )
    b = export(
        tmp_path / "b.csv", ["X,投诉,2022-01-03 10:00,站前所,2022-01-20 10:00,0,"], "2022-03-01 09:00:00"
    )
    st.ingest_into_store(tmp_path / "store", [a, b], branch)
    result = st.load_cases_from_store(tmp_path / "store")
    # by hand: X from b (newer), Y from a; Z set aside; a's old X replaced
    assert sorted(result.cases["case_id"]) == ["X", "Y"]
    assert (result.rows_read, result.rows_used, result.rows_set_aside) == (3, 2, 1)
    assert {f.source: (f.rows_read, f.rows_used, f.rows_set_aside) for f in result.files} == {
        "a.csv": (2, 1, 1),
        "b.csv": (1, 1, 0),
    }
    assert any("1 行是同一案件较早导出的版本" in w for w in result.warnings)
    save_ingest(result, tmp_path / "handoff")  # what the bulletin hands its kernel
    again = load_ingest(tmp_path / "handoff")
    assert again.rows_used == 2 and len(again.cases) == 2


def test_ingest_of_the_sample_folder_writes_the_sample_first_on_a_fresh_clone(tmp_path, monkeypatch, capsys):
    from kwstats import store_commands
    from kwstats.sample_files import MARKER_NAME

    sample = tmp_path / "data" / "sample"  # absent, as in a fresh clone
    written = []

    def ensure() -> Path:
        export(sample / "2022-01.csv", ["J1,投诉,2022-01-03 10:00,站前所,,0,"])
        (sample / MARKER_NAME).write_text("seed\n", encoding="utf-8")
        written.append(sample)
        return sample

    monkeypatch.setattr(store_commands, "DEFAULT_SAMPLE_DIR", sample)
    monkeypatch.setattr(store_commands, "is_current", lambda folder: folder.is_dir())
    monkeypatch.setattr(store_commands, "ensure_sample", ensure)
    assert main(["ingest", str(sample), "--store", str(tmp_path / "store")]) == EXIT_OK
    assert written == [sample] and "生成合成样例数据" in capsys.readouterr().err
    assert st.store_state(tmp_path / "store")["files"][0]["demo"]
    assert main(["ingest", str(sample), "--store", str(tmp_path / "store")]) == EXIT_OK
    assert written == [sample]  # present now: not written again


def test_sql_csv_keeps_formulas_planted_in_an_export_as_text(tmp_path, capsys):
    """登记内容 and 承办单位 beginning with = + - @ would run as formulas when the clerk opens the CSV in
    Excel or WPS: each is written with a leading apostrophe; numbers stay numbers."""
    folder = tmp_path / "exports"
    export(
        folder / "2022-01.csv",
        [
            'H1,投诉,2022-01-03 10:00,站前所,,5,"=HYPERLINK(""http://evil.example/u"",""点我"")"',
            "H2,投诉,2022-01-04 10:00,@SUM(1+1)所,,0,+cmd|' /C calc'!A0",
            "H3,投诉,2022-01-05 10:00,站前所,,0,-2+3",
            "H4,投诉,2022-01-06 10:00,站前所,,0,普通的投诉内容",
        ],
    )
    store = tmp_path / "store"
    assert main(["ingest", str(folder), "--store", str(store)]) == EXIT_OK
    target = tmp_path / "out.csv"
    query = "SELECT case_id, unit, content, recovered_loss FROM cases ORDER BY case_id"
    assert main(["sql", query, "--store", str(store), "--csv", str(target)]) == EXIT_OK
    capsys.readouterr()
    rows = list(csv.reader(target.read_text(encoding="utf-8-sig").splitlines()))
    cells = {r[0]: r[1:] for r in rows[1:]}
    assert set(cells) == {"H1", "H2", "H3", "H4"}, (rows, capsys.readouterr())
    assert cells["H1"][1].startswith("'=HYPERLINK(")
    assert cells["H2"][0] == "'@SUM(1+1)所" and cells["H2"][1].startswith("'+cmd")
    assert cells["H3"][1] == "'-2+3"
    assert cells["H4"][1] == "普通的投诉内容"
    assert float(cells["H1"][2]) == 5.0  # a number is not text: no apostrophe
    # headers made of case text (a pivot on 被投诉方) or named so in the query
    query = 'SELECT count(*) AS "=HYPERLINK(1)", 2 AS "@SUM(1)", 3 AS "普通" FROM cases'
    assert main(["sql", query, "--store", str(store), "--csv", str(target)]) == EXIT_OK
    header = next(csv.reader(target.read_text(encoding="utf-8-sig").splitlines()))
    assert header == ["'=HYPERLINK(1)", "'@SUM(1)", "普通"]
