"""The case store at a province's scale, and the batch (issue 11): every figure measured in a fresh
process, printed side by side with its target at the end.

1. **Month table from a 10 000 000-case store.** The store is generated here, seeded, straight into
   DuckDB through SQL (ten years, 2013-01 … 2022-12, ~83 000 cases a month, one export file a month
   with two rows set aside each), never committed; it is kept in ``--dir`` and reused while its
   size and seed match. ``load_cases_from_store(months=[M])`` (the filter runs in SQL) + ``unit_table``
   in a fresh process: wall time and peak memory (``ru_maxrss``); the same through the CLI
   (``kwstats table --store``, interpreter start and imports included). The table must equal a plain
   SQL query over the store, number for number. Targets: ≤ 2 s wall, ≤ 1 GB.
2. **A month's full bulletin from the store** against the floor of benchmarks/bench_bulletin.py
   (papermill executing a one-cell notebook importing the same libraries, then one nbconvert
   export), alternating runs. The bulletin reads the month's scope (kwstats.store.load_month_scope:
   the month's rows, the cases still open at its start that a deadline rule covers, its spikes'
   series) and its history as small aggregates counted in SQL (kwstats.aggregates): on a store of
   ``--bulletin-rows`` cases (default 1 000 000: a city's ten years; ``--bulletin-rows 1000000
   10000000`` for a city's and a province's, each against its own interleaved floor runs). The parent's peak memory is printed beside. Target: ≤ 1.5×.
3. **Backfill**: the synthetic sample ingested into a store, then ``kwstats backfill --from 2020-01
   --to 2022-12 --jobs 2`` against 36 sequential ``kwstats bulletin`` runs of the same months, and a
   rerun with nothing changed. Targets: ≤ 0.6× the sequential runs; rerun ≤ 5 s.

Not a test: ``.venv/bin/python benchmarks/bench_store.py`` (``--skip-bulletin``, ``--skip-backfill``,
``--rows`` to change the volume). Heavy on a small machine: run it once.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pandas as pd
from bench_bulletin import FLOOR_SCRIPT  # benchmarks/ is on sys.path when run as a script

from kwstats import store as st
from kwstats.params import load_branch

SEED = 20221231
MONTH = "2022-06"
FIRST, LAST = "2013-01-01", "2023-01-01"  # ten years of registrations
REPO = Path(__file__).resolve().parent.parent
KWSTATS = [sys.executable, "-m", "kwstats.cli"]
COUNTS = ["accepted", "reports", "reports_closed", "reports_filed", "complaints", "complaints_closed"]
COUNTS += ["complaints_to_case", "closed"]

# ---------------------------------------------------------------------------------------------
# the seeded store


def _list(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def generate_store(directory: Path, rows: int, seed: int = SEED) -> Path:
    """A store of `rows` generated cases in `directory` (made once; reused while rows and seed match)."""
    stamp = directory / "bench.json"
    want = {"rows": rows, "seed": seed, "format": st.FORMAT, "layout": 3}
    if stamp.is_file() and json.loads(stamp.read_text()) == want and (directory / st.STORE_FILE).is_file():
        return directory
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    branch = load_branch()
    with tempfile.TemporaryDirectory() as tmp:  # the schema, as an ingest makes it
        seed_file = Path(tmp) / "seed.csv"
        seed_file.write_text(
            "登记编号,业务类型,登记时间,承办单位,办结时间\nX,投诉,2022-01-01 10:00,站前所,\n",
            encoding="utf-8",
        )
        st.ingest_into_store(directory, [seed_file], branch)
    units = branch.units
    start = time.perf_counter()
    con = duckdb.connect(str(directory / st.STORE_FILE))
    con.execute("DELETE FROM cases; DELETE FROM files; DELETE FROM rejected;")
    span_us = (pd.Timestamp(LAST) - pd.Timestamp(FIRST)) // pd.Timedelta(1, "us")
    con.execute(f"""
        CREATE TEMP TABLE g AS
        SELECT i,
               CAST(hash(i, {seed}) % 1000000007 AS BIGINT) AS h1, CAST(hash(i, {seed} + 1) % 1000000007 AS BIGINT) AS h2, CAST(hash(i, {seed} + 2) % 1000000007 AS BIGINT) AS h3,
               CAST(hash(i, {seed} + 3) % 1000000007 AS BIGINT) AS h4, CAST(hash(i, {seed} + 4) % 1000000007 AS BIGINT) AS h5,
               TIMESTAMP '{FIRST}' + to_microseconds(CAST(i * ({span_us} / {rows}) AS BIGINT)) AS reg
        FROM range({rows}) t(i)
    """)
    con.execute(f"""
        INSERT INTO cases (case_id, kind, registered_at, unit, channel, accepted_at, first_contact_at,
            verified_at, closed_at, due_at, stage, closure_basis, closed_by_stage, recovered_loss, filed,
            complaint_to_case, epidemic, goods_category, problem_category, urges, respondent, content,
            result, source_file, source_line, file_sha256, version_at, version_name)
        SELECT 'G' || lpad(CAST(i AS VARCHAR), 9, '0'),
               k.kind, reg,
               CASE WHEN h2 % 100 < 5 THEN NULL ELSE {_list(units)}[1 + (h2 // 100) % {len(units)}] END,
               ['电话', '互联网平台', '微信小程序', '来函', '来访'][1 + h3 % 5],
               reg + to_seconds(CAST(3600 + h3 % 86400 AS BIGINT)),
               reg + to_seconds(CAST(7200 + h3 % 172800 AS BIGINT)),
               CASE WHEN k.kind = '举报' THEN reg + to_seconds(CAST(86400 + h4 % 864000 AS BIGINT)) END,
               CASE WHEN h4 % 100 < 90 THEN reg + to_seconds(CAST(3600 + (h4 // 100) % 1728000 AS BIGINT)) END,
               NULL, NULL, 'date', false,
               CASE WHEN h5 % 10 = 0 THEN CAST(h5 % 5000 AS DOUBLE) ELSE 0 END,
               k.kind = '举报' AND h5 % 40 = 1, k.kind = '投诉' AND h5 % 50 = 2,
               reg >= TIMESTAMP '2020-01-23' AND h5 % 20 = 3,
               ['食品', '日用百货', '家用电器', '通讯器材', '交通工具', '服装鞋帽', '餐饮和住宿服务'][1 + h1 % 7],
               ['质量', '合同', '售后服务', '价格', '虚假宣传', '其他'][1 + (h1 // 7) % 6],
               0, '某某商贸有限公司' || CAST(h1 % 5000 AS VARCHAR), '消费者反映所购商品存在质量问题，要求退货。',
               NULL, 'export-' || strftime(reg, '%Y-%m') || '.xlsx', CAST(3 + i % 100000 AS BIGINT),
               sha256('bench-' || strftime(reg, '%Y-%m')), TIMESTAMP '2023-01-06 09:00:00',
               'export-' || strftime(reg, '%Y-%m') || '.xlsx'
        FROM g, LATERAL (SELECT CASE WHEN h1 % 100 < 55 THEN '投诉' WHEN h1 % 100 < 85 THEN '举报'
                                     ELSE '咨询' END AS kind) k
        ORDER BY reg, i
    """)
    con.execute("""
        INSERT INTO rejected (source_file, source_line, "column", value, reason, case_id, file_sha256)
        SELECT source_file, 100003 + n, '登记时间', '某天', '日期无法识别', NULL, file_sha256
        FROM (SELECT DISTINCT source_file, file_sha256 FROM cases), range(2) r(n)
    """)
    con.execute(f"""
        INSERT INTO files (sha256, name, path, size, exported_at, mtime, version_at, version_basis, ingest_seq,
            ingested_at, rows_read, rows_used, rows_set_aside, cases_new, cases_updated, cases_older,
            params_digest, kwstats_version, reports, warnings, demo)
        SELECT file_sha256, any_value(source_file), any_value(source_file), 0, '2023-01-06 09:00:00',
               TIMESTAMP '2023-01-06 09:00:00', TIMESTAMP '2023-01-06 09:00:00', 'export', 1, now(),
               count(*) + 2, count(*), 2, count(*), 0, 0, '{st.params_digest(branch)}', 'bench',
               '[' || CAST(json_object('path', any_value(source_file), 'format', 'xlsx', 'encoding', NULL,
                   'header_line', 2, 'rows_read', count(*) + 2, 'rows_used', count(*), 'rows_set_aside', 2,
                   'total_rows', 0, 'blank_rows', 0, 'columns', json_object(), 'unmapped_headers', json_array(),
                   'personal_headers', json_array(), 'sheet', NULL, 'source', any_value(source_file),
                   'exported_at', '2023-01-06 09:00:00') AS VARCHAR) || ']', '[]', false
        FROM cases GROUP BY file_sha256
    """)
    st.update_held_spans(con)
    con.execute("UPDATE meta SET value = '1' WHERE key = 'ingest_seq'")
    con.execute("CHECKPOINT")
    con.close()
    stamp.write_text(json.dumps(want))
    size = (directory / st.STORE_FILE).stat().st_size / 2**30
    print(f"generated {rows:,} cases in {time.perf_counter() - start:.0f}s ({size:.2f} GiB)", flush=True)
    return directory


# ---------------------------------------------------------------------------------------------
# measuring a fresh process


def measured(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> tuple[float, float, str]:
    """(wall seconds, peak MiB of that process (``wait4``'s ``ru_maxrss``), stdout) of a command."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=cwd, env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text = out.read().decode("utf-8", errors="replace")
        if proc.returncode != 0:
            raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err.read().decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024, text


TABLE_SCRIPT = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from kwstats.indicators import unit_table
from kwstats.params import load_branch
from kwstats.store import load_cases_from_store
t1 = time.perf_counter()
branch = load_branch()
loaded = load_cases_from_store(sys.argv[1], months=[sys.argv[2]], context=True)
t2 = time.perf_counter()
table = unit_table(loaded.cases, branch, sys.argv[2])
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "table": t3 - t2, "rows": len(loaded.cases),
                  "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "result": table.to_dict(orient="records")}, default=str))
"""

ORACLE = """
WITH f AS (
    SELECT unit, kind, filed, complaint_to_case,
           closed_at IS NOT NULL AND closed_at < $next AS closed,
           verified_at < $next OR (verified_at IS NULL AND closed_at < $next) AS decided
    FROM cases WHERE registered_at >= $start AND registered_at < $next AND kind IN ('投诉', '举报')
)
SELECT CASE WHEN grouping(unit) = 1 THEN '全局' ELSE unit END AS unit,
       count(*) AS accepted,
       count(*) FILTER (WHERE kind = '举报') AS reports,
       count(*) FILTER (WHERE kind = '举报' AND closed) AS reports_closed,
       count(*) FILTER (WHERE kind = '举报' AND filed AND decided) AS reports_filed,
       count(*) FILTER (WHERE kind = '投诉') AS complaints,
       count(*) FILTER (WHERE kind = '投诉' AND closed) AS complaints_closed,
       count(*) FILTER (WHERE kind = '投诉' AND complaint_to_case AND closed) AS complaints_to_case,
       count(*) FILTER (WHERE closed) AS closed
FROM f GROUP BY GROUPING SETS ((unit), ())
"""


def oracle_table(store_dir: Path, month: str) -> dict[str, dict[str, int]]:
    start = pd.Timestamp(f"{month}-01")
    params = {"start": start.to_pydatetime(), "next": (start + pd.offsets.MonthBegin(1)).to_pydatetime()}
    con = duckdb.connect(str(store_dir / st.STORE_FILE), read_only=True)
    try:
        frame = con.execute(ORACLE, params).df()
    finally:
        con.close()
    frame = frame.dropna(subset=["unit"])
    return {r["unit"]: {c: int(r[c]) for c in COUNTS} for r in frame.to_dict(orient="records")}


def bench_table(store_dir: Path, month: str) -> list[tuple[str, str, str]]:
    wall, peak, out = measured([sys.executable, "-c", TABLE_SCRIPT, str(store_dir), month])
    res = json.loads(out)
    want = oracle_table(store_dir, month)
    got = {r["unit"]: {c: int(r[c]) for c in COUNTS} for r in res["result"]}
    same = all(got[u] == (want.get(u) or dict.fromkeys(COUNTS, 0)) for u in got)
    print(
        f"month table ({month}, {res['rows']:,} cases of the month): process {wall:.2f}s "
        f"(imports {res['import']:.2f}s, load {res['load']:.2f}s, table {res['table']:.2f}s), "
        f"peak {res['maxrss_mib']:.0f} MiB; equal to plain SQL: {same}",
        flush=True,
    )
    cli_wall, _, _ = measured(
        [*KWSTATS, "table", "--store", str(store_dir), "--month", month, "--format", "csv"]
    )
    print(f"kwstats table --store: {cli_wall:.2f}s", flush=True)
    verdict = "ok" if wall <= 2.0 and res["maxrss_mib"] <= 1024 and same else "MISSED"
    return [
        (
            f"month table, {st.store_state(store_dir)['cases']:,}-case store (process)",
            f"{wall:.2f} s, {res['maxrss_mib']:.0f} MiB",
            f"≤ 2 s, ≤ 1 GiB: {verdict}",
        ),
        ("  load + table inside it", f"{res['load'] + res['table']:.2f} s", ""),
        ("  kwstats table --store (CLI)", f"{cli_wall:.2f} s", ""),
        ("  equal to plain SQL", str(same), "True"),
    ]


# ---------------------------------------------------------------------------------------------
# the bulletin from the store against the floor

# the floor is bench_bulletin's, so both benchmarks divide by the same thing

BULLETIN_SCRIPT = r"""
import sys
from kwstats.bulletin import build_bulletin
from kwstats.sources import store_source
build_bulletin(sys.argv[2], data=store_source(sys.argv[1]), out_dir=sys.argv[3], draft=True)
"""


def bench_bulletin(store_dir: Path, month: str, runs: int) -> list[tuple[str, str, str]]:
    floor, bulletin, peaks = [], [], []
    with tempfile.TemporaryDirectory() as work:
        measured([sys.executable, "-c", FLOOR_SCRIPT, work])  # warm the file cache
        for i in range(runs):
            floor.append(measured([sys.executable, "-c", FLOOR_SCRIPT, work])[0])
            wall, peak, _ = measured(
                [sys.executable, "-c", BULLETIN_SCRIPT, str(store_dir), month, f"{work}/out"]
            )
            bulletin.append(wall)
            peaks.append(peak)
            print(
                f"run {i + 1}: floor {floor[-1]:.2f}s, bulletin from the store {bulletin[-1]:.2f}s",
                flush=True,
            )
    f, b = statistics.median(floor), statistics.median(bulletin)
    rows = st.store_state(store_dir)["cases"]
    verdict = "ok" if b / f <= 1.5 else "MISSED"
    return [
        (
            f"bulletin from a {rows:,}-case store",
            f"{b:.2f} s vs floor {f:.2f} s = {b / f:.2f}× (parent peak {max(peaks):.0f} MiB)",
            f"≤ 1.5×: {verdict}",
        ),
    ]


# ---------------------------------------------------------------------------------------------
# backfill


def bench_backfill(work: Path, jobs: int) -> list[tuple[str, str, str]]:
    from kwstats.backfill import month_range
    from kwstats.sample import ensure_sample

    sample = ensure_sample()
    store_dir = work / "store"
    env = {"KWSTATS_STORE": str(store_dir)}
    measured([*KWSTATS, "ingest", str(sample)], env=env)
    months = month_range("2020-01", "2022-12")
    seq_out = work / "sequential"
    start = time.perf_counter()
    for m in months:  # as a clerk would run them, one command a month
        draft = [] if (REPO / "params" / f"{m}.yaml").is_file() else ["--draft"]
        measured([*KWSTATS, "bulletin", "--month", m, "--out", str(seq_out), *draft], env=env)
    sequential = time.perf_counter() - start
    print(f"36 sequential kwstats bulletin runs: {sequential:.0f}s", flush=True)
    args = [*KWSTATS, "backfill", "--from", months[0], "--to", months[-1], "--out", str(work / "batch")]
    parallel, _, out = measured([*args, "--jobs", str(jobs)], env=env)
    print(f"kwstats backfill --jobs {jobs}: {parallel:.0f}s ({out.strip().splitlines()[0]})", flush=True)
    rerun, _, out = measured([*args, "--jobs", str(jobs)], env=env)
    print(f"rerun, nothing changed: {rerun:.2f}s ({out.strip().splitlines()[0]})", flush=True)
    ratio = parallel / sequential
    return [
        (
            f"36-month backfill, {jobs} workers",
            f"{parallel:.0f} s vs {sequential:.0f} s sequential = {ratio:.2f}×",
            f"≤ 0.6×: {'ok' if ratio <= 0.6 else 'MISSED'}",
        ),
        ("  rerun with nothing changed", f"{rerun:.2f} s", f"≤ 5 s: {'ok' if rerun <= 5 else 'MISSED'}"),
    ]


def generated(directory: Path, rows: int) -> Path:
    """:func:`generate_store` in a child process: DuckDB's gigabytes stay out of this one, whose size
    every measured child would otherwise inherit in ``ru_maxrss`` (it survives fork and exec)."""
    code = "import sys; from pathlib import Path; import bench_store as b; b.generate_store(Path(sys.argv[1]), int(sys.argv[2]))"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent)}
    subprocess.run([sys.executable, "-c", code, str(directory), str(rows)], check=True, env=env)
    return directory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=10_000_000, help="cases in the store (default 10 000 000)"
    )
    parser.add_argument(
        "--bulletin-rows",
        type=int,
        nargs="+",
        default=[1_000_000],
        help="cases in the bulletin's store; several sizes are measured one after the other (default 1 000 000)",
    )
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "kwstats-bench-store")
    parser.add_argument("--runs", type=int, default=3, help="alternating bulletin/floor runs (default 3)")
    parser.add_argument("--jobs", type=int, default=2, help="backfill workers (default 2)")
    parser.add_argument("--skip-bulletin", action="store_true")
    parser.add_argument("--skip-backfill", action="store_true")
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} cores, {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB",
        flush=True,
    )
    results = bench_table(generated(args.dir / f"rows-{args.rows}", args.rows), MONTH)
    if not args.skip_bulletin:
        for rows in args.bulletin_rows:
            results += bench_bulletin(generated(args.dir / f"rows-{rows}", rows), MONTH, args.runs)
    if not args.skip_backfill:
        with tempfile.TemporaryDirectory() as work:
            results += bench_backfill(Path(work), args.jobs)
    width = max(len(r[0]) for r in results)
    print("\n" + "measure".ljust(width), "| measured | target")
    for name, value, target in results:
        print(name.ljust(width), "|", value, "|", target)


if __name__ == "__main__":
    main()
