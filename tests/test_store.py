"""The case store: idempotent, newer-wins, atomic (a killed ingest), concurrent, equal to the files.

Small exports are written inside each test; the expected values are worked by hand from those rows.
The sample is ingested once (session fixture) for the store-versus-files equality over every sample
month and for the Parquet oracle, a plain SQL query over the partitions written from SPEC §3.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from kwstats import store as st
from kwstats.exceptions import InputFileError, UsageError
from kwstats.indicators import resolve_cutoff, unit_table
from kwstats.sample_files import MONTHS
from kwstats.schema import CASE_COLUMNS, REJECT_COLUMNS
from kwstats.store import incoming as store_incoming
from kwstats.store import ingest as store_ingest

REPO = Path(__file__).resolve().parent.parent
HEADER = "登记编号,业务类型,登记时间,承办单位,办结时间,挽回经济损失,登记内容"


def write_export(path: Path, rows: list[str], exported_at: str | None = "2022-02-01 09:00:00") -> Path:
    """A CSV export: an optional 导出时间 note row, the header, the rows (data starts on line 3 with the note)."""
    lines = ([f"导出时间：{exported_at},,,,,,"] if exported_at else []) + [HEADER] + rows
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cases_of(store_dir: Path) -> pd.DataFrame:
    return st.load_cases_from_store(store_dir).cases.set_index("case_id")


def _snapshot(store_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    loaded = st.load_cases_from_store(store_dir)
    return loaded.cases, loaded.rejected, st.store_state(store_dir)


def _assert_same_snapshot(a: tuple, b: tuple) -> None:
    pd.testing.assert_frame_equal(a[0], b[0])
    pd.testing.assert_frame_equal(a[1], b[1])
    assert a[2] == b[2]


# ---- idempotence, newer wins ------------------------------------------------------------------


def test_same_file_twice_changes_nothing(tmp_path, branch):
    a = write_export(
        tmp_path / "a.csv", ["A1,投诉,2022-01-03 10:00,站前所,,0,", "A2,举报,2022-01-04 11:00,新发所,,0,"]
    )
    store = tmp_path / "store"
    first = st.ingest_into_store(store, [a], branch)
    assert (first.rows_read, first.rows_used, first.rows_set_aside, first.cases_new) == (2, 2, 0, 2)
    before = _snapshot(store)
    again = st.ingest_into_store(store, [a], branch)
    copy = tmp_path / "copy of a.csv"
    copy.write_bytes(a.read_bytes())
    renamed = st.ingest_into_store(store, [copy], branch)
    for summary in (again, renamed):
        assert [f.status for f in summary.files] == ["skipped"]
        assert "已导入过" in summary.files[0].note
        assert (summary.rows_read, summary.cases_new, summary.cases_total) == (0, 0, 2)
    _assert_same_snapshot(before, _snapshot(store))
    assert before[2]["ingest_seq"] == 1 and len(before[2]["files"]) == 1


def test_newer_export_updates_older_never_overwrites_whatever_the_order(tmp_path, branch):
    # a.csv, exported 2022-02-01: X open, Y. b.csv, exported 2022-03-01: X closed on 02-10, Z.
    a = write_export(
        tmp_path / "a.csv",
        ["X,投诉,2022-01-05 09:00,站前所,,0,旧", "Y,举报,2022-01-06 09:00,新发所,,0,"],
        exported_at="2022-02-01 09:00:00",
    )
    b = write_export(
        tmp_path / "b.csv",
        ["Z,投诉,2022-02-02 09:00,南广所,,0,", "X,投诉,2022-01-05 09:00,站前所,2022-02-10 16:00,1200,新"],
        exported_at="2022-03-01 09:00:00",
    )
    one, two, three = tmp_path / "s1", tmp_path / "s2", tmp_path / "s3"
    st.ingest_into_store(one, [a], branch)
    later = st.ingest_into_store(one, [b], branch)
    assert (later.cases_new, later.cases_updated, later.cases_older) == (1, 1, 0)
    st.ingest_into_store(two, [b], branch)
    older = st.ingest_into_store(two, [a], branch)
    assert (older.cases_new, older.cases_updated, older.cases_older) == (1, 0, 1)
    both = st.ingest_into_store(three, [b, a], branch)  # one call: the order given does not matter
    assert (both.rows_used, both.cases_new, both.cases_updated, both.cases_older) == (4, 3, 0, 1)
    for store in (one, two, three):
        cases = cases_of(store)
        assert sorted(cases.index) == ["X", "Y", "Z"]
        x = cases.loc["X"]
        assert x["closed_at"] == pd.Timestamp("2022-02-10 16:00")
        assert (x["recovered_loss"], x["content"]) == (1200.0, "新")
        assert (x["source_file"], x["source_line"]) == ("b.csv", 4)  # note row 1, header 2, Z 3, X 4
        assert (cases.loc["Y", "source_file"], cases.loc["Y", "source_line"]) == ("a.csv", 4)
    pd.testing.assert_frame_equal(cases_of(one), cases_of(two))
    pd.testing.assert_frame_equal(cases_of(one), cases_of(three))
    assert st.store_state(one)["digest"] == st.store_state(two)["digest"] == st.store_state(three)["digest"]


def test_files_read_together_give_what_each_file_read_alone_gives(tmp_path, branch, monkeypatch):
    a = write_export(
        tmp_path / "a.csv",
        [
            "A1,投诉,2022-01-03 10:00,站前所,,0,甲",
            "A1,投诉,2022-01-03 10:00,站前所,,0,乙",
            "A2,投诉,坏日期,新发所,,0,",
        ],
    )
    b = tmp_path / "b.csv"  # a column no alias matches: a warning naming b.csv
    b.write_text(f"{HEADER},备注\nB1,举报,2022-01-04 10:00,新发所,,0,,x\n", encoding="utf-8")
    c = write_export(tmp_path / "c.csv", ["C1,投诉,2022-01-05 10:00,南广所,2022-01-06 10:00,0,"])
    together: list[str] = []
    st.ingest_into_store(tmp_path / "s1", [a, b, c], branch, progress=together.append)
    monkeypatch.setattr(store_incoming, "_split", lambda *args: None)  # each file alone
    st.ingest_into_store(tmp_path / "s2", [a, b, c], branch)
    one, two = _snapshot(tmp_path / "s1"), _snapshot(tmp_path / "s2")
    pd.testing.assert_frame_equal(one[0], two[0])
    pd.testing.assert_frame_equal(one[1], two[1])
    assert one[2]["digest"] == two[2]["digest"]
    sql = "SELECT name, warnings, rows_read, rows_used, rows_set_aside FROM files ORDER BY name"
    pd.testing.assert_frame_equal(st.query(tmp_path / "s1", sql), st.query(tmp_path / "s2", sql))
    rejected = st.load_cases_from_store(tmp_path / "s1").rejected
    assert rejected[["source_file", "source_line", "case_id"]].values.tolist() == [
        ["a.csv", 4, "A1"],
        ["a.csv", 5, "A2"],
    ]
    assert "备注" in st.query(tmp_path / "s1", "SELECT warnings FROM files WHERE name = 'b.csv'").iloc[0, 0]
    assert not any("逐个" in m for m in together)
    monkeypatch.undo()
    # a case in two files of one call: read one by one, so the newer is a version, not a duplicate
    d = write_export(
        tmp_path / "d.csv", ["C1,投诉,2022-01-05 10:00,南广所,,0,"], exported_at="2022-01-20 09:00:00"
    )
    told: list[str] = []
    summary = st.ingest_into_store(tmp_path / "s3", [c, d], branch, progress=told.append)
    assert any("逐个文件重新读取" in m for m in told)
    assert (summary.rows_set_aside, summary.cases_new, summary.cases_older) == (0, 1, 1)
    assert cases_of(tmp_path / "s3").loc["C1", "source_file"] == "c.csv"


def test_without_export_time_the_file_time_decides_then_the_name(tmp_path, branch):
    # z-first.csv is named last but was saved first: the later file time wins, not the name.
    early = write_export(tmp_path / "z-first.csv", ["X,投诉,2022-01-05 09:00,站前所,,0,"], exported_at=None)
    late = write_export(
        tmp_path / "a-second.csv", ["X,投诉,2022-01-05 09:00,站前所,2022-01-20 10:00,0,"], exported_at=None
    )
    os.utime(early, (1_650_000_000, 1_650_000_000))
    os.utime(late, (1_650_086_400, 1_650_086_400))  # one day later
    summary = st.ingest_into_store(tmp_path / "s", [late, early], branch)
    assert {f.name: f.version_basis for f in summary.files} == {
        "a-second.csv": "mtime",
        "z-first.csv": "mtime",
    }
    assert cases_of(tmp_path / "s").loc["X", "source_file"] == "a-second.csv"
    # the same export time: the file name breaks the tie (b.csv after a.csv)
    a = write_export(tmp_path / "t" / "a.csv", ["Q,投诉,2022-01-05 09:00,站前所,,0,"])
    b = write_export(tmp_path / "t" / "b.csv", ["Q,投诉,2022-01-05 09:00,站前所,2022-01-07 09:00,0,"])
    st.ingest_into_store(tmp_path / "s2", [b], branch)
    assert st.ingest_into_store(tmp_path / "s2", [a], branch).cases_older == 1
    assert cases_of(tmp_path / "s2").loc["Q", "source_file"] == "b.csv"


def test_rows_set_aside_keep_their_reasons(tmp_path, branch):
    f = write_export(
        tmp_path / "a.csv",
        [
            "A1,投诉,2022-01-03 10:00,站前所,,0,",
            "A2,投诉,不是日期,站前所,,0,",
            "A3,投诉,2022-01-04 10:00,新发所,,-5,",
        ],
    )
    summary = st.ingest_into_store(tmp_path / "s", [f], branch)
    assert (summary.rows_read, summary.rows_used, summary.rows_set_aside) == (3, 1, 2)
    rejected = st.load_cases_from_store(tmp_path / "s").rejected
    assert list(rejected.columns) == list(REJECT_COLUMNS)
    assert rejected["source_line"].dtype == "int64" and rejected["reason"].dtype == "string"
    got = rejected[["source_file", "source_line", "case_id", "reason"]].values.tolist()
    assert got == [["a.csv", 4, "A2", "日期无法识别"], ["a.csv", 5, "A3", "金额为负数"]]
    digest = st.query(tmp_path / "s", "SELECT DISTINCT file_sha256 FROM rejected")["file_sha256"].tolist()
    assert digest == [st.file_sha256(f)]


def test_loaded_cases_have_the_canonical_dtypes_and_months_filter(tmp_path, branch):
    f = write_export(
        tmp_path / "a.csv",
        [
            "A1,投诉,2022-01-31 23:59:59,站前所,2022-01-31 23:59:59,60800,",
            "A2,举报,2022-02-01 00:00:00,新发所,,0,",
        ],
        exported_at="2022-03-01",
    )
    st.ingest_into_store(tmp_path / "s", [f], branch)
    everything = st.load_cases_from_store(tmp_path / "s")
    assert {c: str(t) for c, t in everything.cases.dtypes.items()} == CASE_COLUMNS
    january = st.load_cases_from_store(tmp_path / "s", months=["2022-01"]).cases
    assert january["case_id"].tolist() == ["A1"]
    assert january["recovered_loss"].tolist() == [60800.0]
    assert st.load_cases_from_store(tmp_path / "s", months="2022-02").cases["case_id"].tolist() == ["A2"]
    assert len(st.load_cases_from_store(tmp_path / "s", months=[]).cases) == 0
    # a bare export date counts as the end of that day
    assert st.store_state(tmp_path / "s")["files"][0]["version_at"] == "2022-03-01 23:59:59"


# ---- atomicity --------------------------------------------------------------------------------


def test_a_failing_ingest_leaves_the_store_as_before(tmp_path, branch, monkeypatch):
    store = tmp_path / "s"
    a = write_export(tmp_path / "a.csv", ["A1,投诉,2022-01-03 10:00,站前所,,0,"])
    st.ingest_into_store(store, [a], branch)
    before = _snapshot(store)
    b = write_export(
        tmp_path / "b.csv",
        ["A1,投诉,2022-01-03 10:00,站前所,2022-01-09 10:00,0,", "B1,举报,2022-01-05,新发所,,0,"],
        exported_at="2022-02-02 09:00:00",
    )

    def boom() -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store_ingest, "_test_pause", boom)  # fails after every row is written, before COMMIT
    with pytest.raises(RuntimeError):
        st.ingest_into_store(store, [b], branch)
    _assert_same_snapshot(before, _snapshot(store))
    monkeypatch.undo()
    # an unreadable file among the inputs: nothing is written, the error names the file
    bad = tmp_path / "c.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(InputFileError, match="c.xlsx"):
        st.ingest_into_store(store, [b, bad], branch)
    _assert_same_snapshot(before, _snapshot(store))
    assert st.ingest_into_store(store, [b], branch).cases_updated == 1


def test_a_file_ingested_meanwhile_by_another_process_is_skipped(tmp_path, branch, monkeypatch):
    store = tmp_path / "s"
    a = write_export(tmp_path / "a.csv", ["A1,投诉,2022-01-03 10:00,站前所,,0,"])
    st.ingest_into_store(store, [a], branch)
    monkeypatch.setattr(store_ingest, "_known_files", lambda *args: {})  # as if read before the other commit
    summary = st.ingest_into_store(store, [a], branch)
    assert [f.status for f in summary.files] == ["skipped"] and summary.rows_read == 0
    assert st.store_state(store)["ingest_seq"] == 1 and summary.cases_total == 1


def _big_export(path: Path, n: int) -> Path:
    rows = [
        f"K{i:06d},{'投诉' if i % 3 else '举报'},2022-01-{1 + i % 28:02d} 09:{i % 60:02d},"
        f"{'站前所' if i % 2 else '新发所'},{'2022-01-29 10:00' if i % 4 else ''},{i % 7},第{i}件"
        for i in range(n)
    ]
    return write_export(path, rows, exported_at="2022-02-05 09:00:00")


def _ingest_process(store: Path, export: Path, marker: Path, pause: float) -> subprocess.Popen:
    code = textwrap.dedent(
        f"""
        from kwstats.params import load_branch
        from kwstats.store import ingest_into_store
        ingest_into_store({str(store)!r}, [{str(export)!r}], load_branch())
        """
    )
    env = {**os.environ, "KWSTATS_STORE_TEST_PAUSE": str(pause), "KWSTATS_STORE_TEST_MARKER": str(marker)}
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO, env=env, stderr=subprocess.PIPE, text=True
    )


def _wait_for(marker: Path, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not marker.exists():
        assert proc.poll() is None, f"ingest process ended early: {proc.stderr.read()}"
        assert time.monotonic() < deadline, "ingest process never reached its transaction"
        time.sleep(0.05)


def test_a_killed_ingest_leaves_the_store_unchanged_and_a_second_ingest_is_told(tmp_path, branch):
    store = tmp_path / "s"
    small = write_export(
        tmp_path / "a.csv", ["K000001,投诉,2022-01-02 09:00,站前所,,0,旧", "A1,举报,2022-01-03,新发所,,0,"]
    )
    st.ingest_into_store(store, [small], branch)
    before = _snapshot(store)
    # More rows than a DuckDB row group (122 880): the uncommitted rows are written into the store file
    # before COMMIT (optimistic writes), so the kill hits a file that holds uncommitted data.
    big = _big_export(tmp_path / "big.csv", 130_000)
    marker = tmp_path / "in-transaction"
    proc = _ingest_process(store, big, marker, pause=120)
    try:
        _wait_for(marker, proc)  # every row of big.csv is written, not committed
        other = write_export(tmp_path / "c.csv", ["C1,投诉,2022-01-03,站前所,,0,"])
        with pytest.raises(st.StoreBusyError, match="正被另一个进程"):
            st.ingest_into_store(store, [other], branch, timeout=0.5)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    _assert_same_snapshot(before, _snapshot(store))
    assert cases_of(store).loc["K000001", "content"] == "旧"
    # not corrupted, not locked: the next ingest goes in whole
    summary = st.ingest_into_store(store, [other], branch)
    assert (summary.cases_new, summary.cases_total) == (1, 3)
    assert sorted(cases_of(store).index) == ["A1", "C1", "K000001"]


def test_a_second_ingest_waits_for_the_first(tmp_path, branch):
    store = tmp_path / "s"
    first = write_export(tmp_path / "a.csv", ["A1,投诉,2022-01-03 10:00,站前所,,0,"])
    marker = tmp_path / "in-transaction"
    proc = _ingest_process(store, first, marker, pause=1.0)
    try:
        _wait_for(marker, proc)
        second = write_export(tmp_path / "b.csv", ["B1,举报,2022-01-04 10:00,新发所,,0,"])
        messages: list[str] = []
        summary = st.ingest_into_store(store, [second], branch, timeout=60, progress=messages.append)
    finally:
        proc.wait(60)
    assert proc.returncode == 0, proc.stderr.read()
    assert st.MSG_WAIT_INGEST in messages
    assert summary.cases_new == 1 and summary.cases_total == 2
    state = st.store_state(store)
    assert sorted(f["name"] for f in state["files"]) == ["a.csv", "b.csv"]
    assert sorted(f["ingest_seq"] for f in state["files"]) == [1, 2]


# ---- analysts: SQL, Parquet, state ------------------------------------------------------------


def test_query_is_read_only_confined_and_masked(tmp_path, branch):
    f = write_export(tmp_path / "a.csv", ["A1,投诉,2022-01-03 10:00,站前所,,0,商家不退款"])
    store = tmp_path / "s"
    st.ingest_into_store(store, [f], branch)
    frame = st.query(
        store,
        "SELECT unit, count(*) AS n, '请回电 13812345678' AS note, ['身份证 220102199001011234'] AS ids "
        "FROM cases GROUP BY unit",
    )
    assert frame.to_dict("records") == [
        {"unit": "站前所", "n": 1, "note": "请回电 138****5678", "ids": ["身份证 220102********1234"]}
    ]
    for sql in (
        "DELETE FROM cases",
        "CREATE TABLE t AS SELECT 1",
        f"SELECT * FROM read_csv('{f}')",
        "SELEC 1",
    ):
        with pytest.raises(st.StoreQueryError, match="SQL 无法执行"):
            st.query(store, sql)
    assert st.store_state(store)["cases"] == 1
    with pytest.raises(st.StoreNotFoundError, match="找不到案件库"):
        st.query(tmp_path / "nowhere", "SELECT 1")


def test_a_store_handle_holds_no_lock_between_calls(tmp_path, branch):
    with pytest.raises(st.StoreNotFoundError, match="kwstats ingest"):
        st.open_store(tmp_path / "s")
    a = write_export(tmp_path / "a.csv", ["A1,投诉,2022-01-03 10:00,站前所,,0,"])
    st.ingest_into_store(tmp_path / "s", [a], branch)
    handle = st.open_store(tmp_path / "s")
    assert handle.cases()["case_id"].tolist() == ["A1"]
    b = write_export(
        tmp_path / "b.csv", ["B1,举报,2022-02-03 10:00,新发所,,0,"], exported_at="2022-03-01 09:00"
    )
    assert handle.ingest([b], branch).cases_new == 1  # would fail if the handle kept a connection open
    assert handle.cases(months="2022-02")["case_id"].tolist() == ["B1"]
    assert handle.query("SELECT count(*) AS n FROM cases")["n"].tolist() == [2]
    assert handle.state()["cases"] == 2


def test_store_location_from_argument_environment_or_default(tmp_path, monkeypatch):
    monkeypatch.delenv(st.STORE_ENV, raising=False)
    assert st.resolve_store_dir(None) == st.DEFAULT_STORE_DIR
    assert st.DEFAULT_STORE_DIR == REPO / "data" / "store"  # the repository's data/store, not the package's
    monkeypatch.setenv(st.STORE_ENV, str(tmp_path / "env"))
    assert st.resolve_store_dir(None) == tmp_path / "env"
    assert st.resolve_store_dir(tmp_path / "arg") == tmp_path / "arg"
    assert not st.store_exists()


def test_a_store_made_before_a_column_existed_still_loads(tmp_path, branch):
    f = write_export(tmp_path / "a.csv", ["A1,投诉,2022-01-03 10:00,站前所,,0,"])
    store = tmp_path / "s"
    st.ingest_into_store(store, [f], branch)
    con = duckdb.connect(str(store / st.STORE_FILE))
    con.execute('ALTER TABLE cases DROP COLUMN "result"')
    con.close()
    loaded = st.load_cases_from_store(store)
    assert {c: str(t) for c, t in loaded.cases.dtypes.items()} == CASE_COLUMNS
    assert loaded.cases["result"].isna().all()
    assert any("result" in w for w in loaded.warnings)
    g = write_export(tmp_path / "b.csv", ["B1,投诉,2022-01-04 10:00,站前所,,0,"])
    st.ingest_into_store(store, [g], branch)  # the column comes back
    assert not st.load_cases_from_store(store).warnings


def test_an_empty_a_broken_and_a_foreign_format_store(tmp_path, branch):
    empty = tmp_path / "empty"
    empty.mkdir()
    duckdb.connect(str(empty / st.STORE_FILE)).close()  # a first ingest killed before COMMIT leaves this
    loaded = st.load_cases_from_store(empty)
    assert len(loaded.cases) == 0 and len(loaded.rejected) == 0
    assert {c: str(t) for c, t in loaded.cases.dtypes.items()} == CASE_COLUMNS
    assert st.store_state(empty)["cases"] == 0
    f = write_export(tmp_path / "a.csv", ["A1,投诉,2022-01-03 10:00,站前所,,0,"])
    assert st.ingest_into_store(empty, [f], branch).cases_total == 1
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / st.STORE_FILE).write_bytes(b"this is not a database" * 500)
    with pytest.raises(st.StoreError, match="无法打开案件库"):
        st.load_cases_from_store(broken)
    con = duckdb.connect(str(empty / st.STORE_FILE))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'format'")
    con.close()
    with pytest.raises(st.StoreError, match="格式版本为 99"):
        st.ingest_into_store(
            empty, [write_export(tmp_path / "b.csv", ["B1,投诉,2022-01-03,站前所,,0,"])], branch
        )


def test_parquet_export_layout_and_refusal(tmp_path, branch):
    f = write_export(
        tmp_path / "a.csv",
        ["A1,投诉,2022-01-03 10:00,站前所,,0,", "A2,举报,2022-02-03 10:00,新发所,,0,"],
        exported_at="2022-03-01 09:00:00",
    )
    store = tmp_path / "s"
    st.ingest_into_store(store, [f], branch)
    out = st.export_parquet(store, tmp_path / "pq")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.parquet")) == [
        "month=2022-01/part-0.parquet",
        "month=2022-02/part-0.parquet",
    ]
    import pyarrow.dataset as ds

    table = ds.dataset(out, format="parquet", partitioning="hive").to_table()
    assert sorted(zip(table["month"].to_pylist(), table["case_id"].to_pylist(), strict=True)) == [
        ("2022-01", "A1"),
        ("2022-02", "A2"),
    ]
    st.export_parquet(store, out)  # an earlier export is replaced
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="未覆盖"):
        st.export_parquet(store, foreign)
    assert (foreign / "notes.txt").exists()


# ---- the sample: store equals files, and the Parquet oracle -----------------------------------


@pytest.fixture(scope="session")
def sample_from_store(sample_store):
    return st.load_cases_from_store(sample_store)


def test_store_equals_files_for_every_sample_month(sample_ingest, sample_from_store, branch):
    files, stored = sample_ingest, sample_from_store
    a = files.cases.sort_values("case_id").reset_index(drop=True)
    b = stored.cases.sort_values("case_id").reset_index(drop=True)
    assert list(b.columns) == list(a.columns) and list(b.dtypes.astype(str)) == list(a.dtypes.astype(str))
    for col in a.columns:  # every value of every case (labels of categories compared as texts)
        x, y = a[col], b[col]
        if isinstance(x.dtype, pd.CategoricalDtype):
            x, y = x.astype("string"), y.astype("string")
        assert x.equals(y), col
    keys = ["source_file", "source_line"]
    pd.testing.assert_frame_equal(
        files.rejected.sort_values(keys).reset_index(drop=True),
        stored.rejected.sort_values(keys).reset_index(drop=True),
    )
    for month in MONTHS:
        cutoff = resolve_cutoff(month, None)
        expected = unit_table(files.cases, branch, month, cutoff)
        pd.testing.assert_frame_equal(unit_table(stored.cases, branch, month, cutoff), expected, obj=month)


ORACLE = """
WITH c AS (
    SELECT * FROM read_parquet('{root}/*/*.parquet', hive_partitioning = true)
    WHERE month = $month AND kind IN ('投诉', '举报')
), f AS (
    SELECT unit, kind, filed, complaint_to_case,
           closed_at IS NOT NULL AND closed_at < $next AS closed,
           verified_at < $next OR (verified_at IS NULL AND closed_at < $next) AS decided
    FROM c
)
SELECT CASE WHEN grouping(unit) = 1 THEN '全局' ELSE unit END AS unit,
       count(*) AS accepted,
       count(*) FILTER (WHERE kind = '举报') AS reports,
       count(*) FILTER (WHERE kind = '举报' AND closed) AS reports_closed,
       count(*) FILTER (WHERE kind = '举报' AND filed AND decided) AS reports_filed,
       count(*) FILTER (WHERE kind = '投诉') AS complaints,
       count(*) FILTER (WHERE kind = '投诉' AND closed) AS complaints_closed,
       count(*) FILTER (WHERE kind = '投诉' AND complaint_to_case AND closed) AS complaints_to_case,
       count(*) FILTER (WHERE closed) AS closed,
       (100 * count(*) FILTER (WHERE closed)) // count(*) AS closure_rate_pct
FROM f
GROUP BY GROUPING SETS ((unit), ())
"""


def test_month_table_from_a_plain_sql_query_over_the_parquet_partitions(
    sample_store, sample_from_store, branch, tmp_path
):
    root = st.export_parquet(sample_store, tmp_path / "parquet")
    counts = ["accepted", "reports", "reports_closed", "reports_filed", "complaints", "complaints_closed"]
    counts += ["complaints_to_case", "closed"]
    con = duckdb.connect()
    for month in ("2020-01", "2020-11", "2021-07", "2021-10", "2022-01", "2022-12"):
        start = pd.Timestamp(f"{month}-01")
        params = {"month": month, "next": (start + pd.offsets.MonthBegin(1)).to_pydatetime()}
        oracle = con.execute(ORACLE.format(root=root), params).df().dropna(subset=["unit"]).set_index("unit")
        library = unit_table(sample_from_store.cases, branch, month, resolve_cutoff(month, None)).set_index(
            "unit"
        )
        assert oracle.loc["全局", "accepted"] > 0
        for unit in library.index:
            want = oracle.loc[unit] if unit in oracle.index else None
            got = library.loc[unit]
            for col in counts:
                assert got[col] == (0 if want is None else want[col]), (month, unit, col)
            rate = float("nan") if want is None else float(want["closure_rate_pct"])
            assert (pd.isna(got["closure_rate_pct"]) and pd.isna(rate)) or got["closure_rate_pct"] == rate
    con.close()
