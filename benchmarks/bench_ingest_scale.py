"""Ingest at a province's scale (issue 11), each side in a fresh process, ratios side by side.

1. A 1 000 000-row CSV export (one year; the sample's 2022 columns: title and note rows, personal
   columns, dates in three spellings, amounts with 元 and thousands separators, multi-line cells,
   phone numbers in the content, a trailing total row), generated here under /tmp with a fixed
   seed, never committed. Cold ``read_exports`` + ``unit_table`` for one month, and the whole
   ``kwstats table --month 2022-06 --data FILE`` command (in process, the cache off), against
   DuckDB's bare read of the same file and the same unit table by SQL: wall time and peak memory of
   each process (VmHWM, else ``ru_maxrss``), and the tables must be identical, number for number.
2. A 100 000-row xlsx (the same generator): ``read_exports`` against ``pandas.read_excel`` with
   openpyxl (the naive way; skipped with a message when openpyxl is not installed) and against the
   bare calamine read of the cells.

Targets (issue 11): CSV ≤ 10× DuckDB and ≤ 800 MB; xlsx ≥ 4× faster than openpyxl and ≤ 2× bare
calamine. Each contender runs ``--repeat`` times (default 3), alternating, in fresh processes; the
medians are compared (the machine is shared: single runs vary by 2×). Not a test: run it by hand,
``.venv/bin/python benchmarks/bench_ingest_scale.py`` (``--only csv`` or ``--only xlsx`` runs one
part; ``--rows`` and ``--xlsx-rows`` change the volumes; the files are kept in ``--dir``, default
/tmp/kwstats-bench, and reused while size and seed match; the 1M-row CSV is 335 MiB).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from kwstats.indicators import COUNT_COLUMNS
from kwstats.params import load_branch
from kwstats.sample import HEADER_VARIANTS, OFF_ROSTER_UNITS, ROSTER_UNITS

SEED = 20220601
MONTH = "2022-06"
EXPORTED_AT = "2023-01-06 09:12:33"
HEADER = HEADER_VARIANTS[2022]  # 序号, 表单号, 接收时间, 类型, 来源, 办理单位, 被投诉方, 诉求内容, ...
COUNTS = list(COUNT_COLUMNS)

# ---------------------------------------------------------------------------------------------
# the seeded export


def _pick(rng: np.random.Generator, options: list[str], n: int, p: list[float] | None = None) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=n, p=p)]


def _fmt(ts: pd.Series, spelling: np.ndarray, date_only: np.ndarray | None = None) -> np.ndarray:
    """Timestamps in the platform's spellings: 0 ISO, 1 '2022/6/5 9:31', 2 '2022年6月5日 09:31'."""
    y, m, d = ts.dt.year.astype("Int64").astype(str), ts.dt.month.astype("Int64").astype(str), ts.dt.day
    d = d.astype("Int64").astype(str)
    hh, mm = ts.dt.hour.astype("Int64"), ts.dt.minute.astype("Int64")
    iso = ts.dt.strftime("%Y-%m-%d %H:%M:%S")
    slash = y + "/" + m + "/" + d + " " + hh.astype(str) + ":" + mm.astype(str).str.zfill(2)
    han = y + "年" + m + "月" + d + "日 " + ts.dt.strftime("%H:%M")
    out = np.where(spelling == 0, iso, np.where(spelling == 1, slash, han)).astype(object)
    if date_only is not None:
        out = np.where(date_only, ts.dt.strftime("%Y-%m-%d"), out).astype(object)
    return np.where(ts.isna().to_numpy(), "", out).astype(object)


def export_frame(n: int, seed: int = SEED) -> pd.DataFrame:
    """`n` cases of one year as export cells (text), columns as the sample's 2022 header."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2022-01-01")
    reg = start + pd.to_timedelta(np.sort(rng.integers(0, 365 * 86400, size=n)), unit="s")
    reg = pd.Series(reg)
    kind = _pick(rng, ["投诉", "举报", "咨询"], n, [0.55, 0.30, 0.15])
    units = list(ROSTER_UNITS) + list(OFF_ROSTER_UNITS)
    w = np.array([6, 1, 4, 2, 6, 5, 2, 8, 5, 4, 4, 0.5, 0.5, 1, 4, 0.2, 0.2, 1.5, 1.5])
    unit = _pick(rng, units, n, list(w / w.sum()))
    full = rng.random(n) < 0.2  # the platform's full official names (roster aliases)
    long_names = {
        u: f"长春市市场监督管理局宽城分局{u[:-1]}市场监督管理所" for u in ROSTER_UNITS if u.endswith("所")
    }
    unit = np.where(full, [long_names.get(u, u) for u in unit], unit).astype(object)
    unit[kind == "咨询"] = ""
    shops = ["鑫源", "华联", "惠民", "福满", "众诚", "鸿运", "恒通", "金鼎", "美佳", "兴隆", "佳和", "安康"]
    types = ["超市", "电器商行", "家具城", "通讯器材店", "美容院", "教育培训学校", "汽车销售服务有限公司"]
    resp = "宽城区" + _pick(rng, shops, n) + _pick(rng, types, n)
    resp[kind == "咨询"] = ""
    items = ["冰箱", "手机", "沙发", "牛奶", "课程", "羽绒服", "二手车", "美容卡"]
    problems = ["出现质量问题，商家拒绝退换", "商家拖延不处理", "与宣传不符", "价格欺诈"]
    content = (
        "本人在" + resp + "购买" + _pick(rng, items, n) + "，" + _pick(rng, problems, n) + "，要求退货退款。"
    )
    phone = rng.random(n) < 0.05
    numbers = np.char.add("13", np.char.zfill(rng.integers(0, 10**9, size=n).astype(str), 9)).astype(object)
    content = np.where(phone, content + "联系电话：" + numbers, content)
    multiline = rng.random(n) < 0.001
    content = np.where(multiline, content + "\n补充：商家已停业, 电话无人接听。", content).astype(object)
    spelling = rng.choice(3, size=n, p=[0.8, 0.15, 0.05])
    is_c, is_r = kind == "投诉", kind == "举报"
    accepted = (reg + pd.to_timedelta(rng.integers(600, 3 * 86400, n), unit="s")).where(is_c)
    contact = reg + pd.to_timedelta(rng.integers(600, 86400, n), unit="s")
    verified = (reg + pd.to_timedelta(rng.integers(3600, 10 * 86400, n), unit="s")).where(is_r)
    closed = reg + pd.to_timedelta(3600 + rng.exponential(4 * 86400, n).astype("int64"), unit="s")
    closed = closed.where(rng.random(n) < 0.9)
    exported = pd.Timestamp(EXPORTED_AT)  # nothing happens after the export
    accepted, contact, verified, closed = (
        s.where(s <= exported) for s in (accepted, contact, verified, closed)
    )
    date_only = rng.random(n) < 0.1  # 办结时间 as a bare date
    amount = rng.choice([0, 0, 0, 50, 300, 1200, 1980.5], size=n)
    amount_text = np.where(
        amount == 0,
        "0",
        np.where(rng.random(n) < 0.5, [f"{a:,.2f}" for a in amount], [f"{a:g}元" for a in amount]),
    ).astype(object)
    flag = _pick(rng, ["否", "否", ""], n)
    filed = np.where(is_r & (rng.random(n) < 0.04), "是", flag).astype(object)
    to_case = np.where(is_c & (rng.random(n) < 0.003), "是", flag).astype(object)
    surnames, given = list("王李张刘陈杨赵黄周吴"), list("伟芳娜敏静丽强磊军洋")
    cells = {
        "序号": np.arange(1, n + 1).astype(str).astype(object),
        "表单号": np.char.add("2022", np.char.zfill(np.arange(n).astype(str), 8)).astype(object),
        "接收时间": _fmt(reg, spelling),
        "类型": kind,
        "来源": _pick(rng, ["电话", "互联网平台", "微信小程序", "来函", "来访"], n),
        "办理单位": unit,
        "被投诉方": resp,
        "诉求内容": content,
        "涉及客体分类": _pick(rng, ["食品", "家用电器", "家具", "教育培训服务", "其他商品"], n),
        "涉及问题分类": _pick(rng, ["质量", "合同", "价格", "售后服务", "其他"], n),
        "是否涉疫": _pick(rng, ["否", "否", "是", ""], n),
        "受理时间": _fmt(accepted, spelling),
        "首次联系时间": _fmt(contact, spelling),
        "核查时间": _fmt(verified, spelling),
        "办结时间": _fmt(closed, spelling, date_only),
        "当前环节": np.where(closed.isna(), "处理中", "已办结").astype(object),
        "挽回经济损失（元）": amount_text,
        "是否立案": filed,
        "是否诉转案": to_case,
        "催办次数": _pick(rng, ["", "0", "0", "1"], n),
        "姓名": _pick(rng, surnames, n) + _pick(rng, given, n),
        "手机号码": np.char.add("15", np.char.zfill(rng.integers(0, 10**9, size=n).astype(str), 9)).astype(
            object
        ),
        "联系地址": "长春市宽城区长江路" + rng.integers(1, 999, size=n).astype(str).astype(object) + "号",
    }
    assert list(cells) == HEADER, "the sample's 2022 header changed"
    return pd.DataFrame(cells)


def write_csv(path: Path, n: int, seed: int = SEED) -> None:
    """The export as the platform writes a CSV: title, note, header, rows, total row (UTF-8 with BOM)."""
    import duckdb

    frame = export_frame(n, seed).replace("", None)  # blank cells unquoted, as Excel writes them
    tmp = path.with_suffix(".body")
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute(f"COPY frame TO '{tmp}' (HEADER false, DELIMITER ',')")
    con.close()
    pad = "," * (len(HEADER) - 1)
    with path.open("wb") as out:
        head = (
            f"宽城市场监管分局12315投诉举报登记表（2022年）{pad}\n导出时间：{EXPORTED_AT}    共 {n} 条{pad}\n"
        )
        out.write(b"\xef\xbb\xbf" + (head + ",".join(HEADER) + "\n").encode("utf-8"))
        with tmp.open("rb") as body:
            while chunk := body.read(1 << 24):
                out.write(chunk)
        out.write(f"合计：{n}条{pad}\n".encode())
    tmp.unlink()


def write_xlsx(path: Path, n: int, seed: int = SEED) -> None:
    """The same export as an .xlsx (title and note rows, merged title, total row)."""
    import xlsxwriter

    frame = export_frame(n, seed)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet("登记表")
    ws.write_string(0, 0, "宽城市场监管分局12315投诉举报登记表（2022年）")
    ws.write_string(1, 0, f"导出时间：{EXPORTED_AT}    共 {n} 条")
    ws.write_row(2, 0, HEADER)
    for r, row in enumerate(frame.itertuples(index=False), start=3):
        for c, v in enumerate(row):
            if v:
                ws.write_string(r, c, v)
    ws.write_string(3 + n, 0, f"合计：{n}条")
    wb.close()


def _ensure(path: Path, n: int, writer) -> Path:
    stamp = path.with_suffix(path.suffix + ".stamp")
    want = f"{n} {SEED} {HEADER}"
    if not (path.is_file() and stamp.is_file() and stamp.read_text(encoding="utf-8") == want):
        t = time.perf_counter()
        writer(path, n)
        stamp.write_text(want, encoding="utf-8")
        print(f"  wrote {path} ({path.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t:.0f}s")
    return path


# ---------------------------------------------------------------------------------------------
# the contenders, each run in a fresh process (argv: role, file)


def _kwstats(path: str) -> dict:
    from kwstats.indicators import unit_table
    from kwstats.ingest import read_exports

    branch = load_branch()
    result = read_exports([path], branch)
    table = unit_table(result.cases, branch, MONTH)
    assert result.rows_read == result.rows_used + result.rows_set_aside
    return {
        "table": _rows(table),
        "rows": [result.rows_read, result.rows_used, result.rows_set_aside],
    }


def _kwstats_cli(path: str) -> dict:
    """The whole ``kwstats table --month 2022-06 --data FILE`` path, in this process (the cache is off:
    cold), its CSV output read back."""
    import contextlib
    import io

    from kwstats.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["table", "--month", MONTH, "--data", path, "--format", "csv"])
    assert not code, f"kwstats table exited with {code}"
    table = pd.read_csv(io.StringIO(out.getvalue()), dtype={"seq": str})
    return {"table": _rows(table)}


def _duckdb(path: str) -> dict:
    """The same unit table by SQL over DuckDB's own read of the file (aliases from the same params)."""
    import duckdb

    branch = load_branch()
    con = duckdb.connect()
    names = pd.DataFrame(list(branch.unit_names().items()), columns=["name", "unit"])
    con.register("names", names)
    formats = "['%Y-%m-%d %H:%M:%S', '%Y/%m/%d %H:%M', '%Y年%m月%d日 %H:%M', '%Y-%m-%d']"
    start, end = f"{MONTH}-01", str((pd.Period(MONTH, "M") + 1).start_time.date())
    cutoff = f"TIMESTAMP '{end}' - INTERVAL 1 SECOND"
    sql = f"""
    WITH raw AS (
        SELECT * FROM read_csv('{path}', skip = 2, header = true, all_varchar = true)
    ), cases AS (
        SELECT "类型" AS kind,
               coalesce(names.unit, "办理单位") AS unit,
               try_strptime("接收时间", {formats}) AS reg,
               try_strptime("办结时间", {formats}) AS closed_at,
               try_strptime("核查时间", {formats}) AS verified_at,
               "是否立案" = '是' AS filed, "是否诉转案" = '是' AS to_case
        FROM raw LEFT JOIN names ON names.name = raw."办理单位"
        WHERE "类型" IN ('投诉', '举报')
    ), month AS (
        SELECT *, closed_at IS NOT NULL AND closed_at <= {cutoff} AS closed,
               (verified_at IS NOT NULL AND verified_at <= {cutoff})
               OR (verified_at IS NULL AND closed_at IS NOT NULL AND closed_at <= {cutoff}) AS filed_by
        FROM cases WHERE reg >= TIMESTAMP '{start}' AND reg < TIMESTAMP '{end}'
    ), flags AS (
        SELECT unit, 1 AS accepted, (kind = '举报')::INT AS reports,
               (kind = '举报' AND closed)::INT AS reports_closed,
               (kind = '举报' AND filed AND filed_by)::INT AS reports_filed,
               (kind = '投诉')::INT AS complaints, (kind = '投诉' AND closed)::INT AS complaints_closed,
               (kind = '投诉' AND to_case AND closed)::INT AS complaints_to_case, closed::INT AS closed
        FROM month
    )
    SELECT CASE WHEN grouping(unit) = 1 THEN '全局' ELSE unit END AS unit, {", ".join(f"sum({c})::BIGINT AS {c}" for c in COUNTS)}
    FROM flags GROUP BY GROUPING SETS ((), (unit))
    """
    got = con.sql(sql).df().set_index("unit")
    rows = []
    for seq, unit in [("*", "全局")] + [(str(e.seq), e.unit) for e in branch.roster]:
        counts = [int(got.at[unit, c]) if unit in got.index else 0 for c in COUNTS]
        accepted, closed = counts[0], counts[-1]
        rate = None if accepted == 0 else float(100 * closed // accepted)  # the reference truncates
        rows.append([seq, unit, *counts, rate])
    return {"table": rows}


def _rows(table: pd.DataFrame) -> list[list]:
    out = []
    for r in table.itertuples(index=False):
        rate = None if pd.isna(r.closure_rate_pct) else float(r.closure_rate_pct)
        out.append([str(r.seq), str(r.unit), *(int(getattr(r, c)) for c in COUNTS), rate])
    return out


def _calamine(path: str) -> dict:
    from python_calamine import load_workbook

    with load_workbook(path) as book:
        rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    return {"rows": len(rows)}


def _openpyxl(path: str) -> dict:
    frame = pd.read_excel(path, header=None, engine="openpyxl")
    return {"rows": len(frame)}


def _kwstats_xlsx(path: str) -> dict:
    from kwstats.ingest import read_exports

    result = read_exports([path], load_branch())
    return {"rows": [result.rows_read, result.rows_used, result.rows_set_aside]}


ROLES = {
    "kwstats": _kwstats,
    "kwstats-cli": _kwstats_cli,
    "duckdb": _duckdb,
    "calamine": _calamine,
    "openpyxl": _openpyxl,
    "kwstats-xlsx": _kwstats_xlsx,
}


def _peak_mib() -> float:
    """This process's peak resident memory. VmHWM where Linux has it: ru_maxrss survives exec, so a
    child would report the benchmark parent's peak (the generator's) when that is larger."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _child(role: str, path: str) -> None:
    t = time.perf_counter()
    out = ROLES[role](path)
    out["seconds"] = time.perf_counter() - t
    out["peak_mib"] = _peak_mib()
    print(json.dumps(out, ensure_ascii=False))


def run(role: str, path: Path) -> dict:
    """`role` on `path` in a fresh interpreter (cold: imports and file read included in its process)."""
    env = {**os.environ, "KWSTATS_NO_CACHE": "1"}
    t = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", role, str(path)], capture_output=True, text=True, env=env
    )
    wall = time.perf_counter() - t
    if done.returncode:
        raise SystemExit(f"{role} failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["wall"] = wall
    return out


def _median_runs(roles: list[str], path: Path, repeat: int) -> dict[str, dict]:
    """Each role `repeat` times, alternating (the machine's load falls on all alike); the run of
    median wall time of each, with the largest peak seen."""
    runs: dict[str, list[dict]] = {r: [] for r in roles}
    for _ in range(repeat):
        for r in roles:
            runs[r].append(run(r, path))
    out = {}
    for r, got in runs.items():
        median = sorted(got, key=lambda x: x["wall"])[len(got) // 2]
        out[r] = {**median, "peak_mib": max(x["peak_mib"] for x in got), "walls": [x["wall"] for x in got]}
    return out


def _line(label: str, res: dict) -> str:
    walls = ", ".join(f"{w:.2f}" for w in res["walls"])
    return f"  {label:28}{res['wall']:9.2f}{res['peak_mib']:10.0f}   (runs: {walls})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, alternating; medians shown")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()) / "kwstats-bench")
    parser.add_argument(
        "--only",
        choices=["csv", "xlsx"],
        help="run one part only: the 1M-row CSV or the xlsx (default: both)",
    )
    parser.add_argument("--child", nargs=2, metavar=("ROLE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"machine: {os.cpu_count()} cores (load {load:.1f} at start), Python {sys.version.split()[0]}, "
        f"pandas {pd.__version__}; medians of {args.repeat} alternating fresh processes"
    )

    if args.only != "xlsx":
        _csv_part(args)
    if args.only != "csv":
        _xlsx_part(args)


def _csv_part(args: argparse.Namespace) -> None:
    csv_path = _ensure(args.dir / f"export-{args.rows}.csv", args.rows, write_csv)
    res = _median_runs(["kwstats", "kwstats-cli", "duckdb"], csv_path, args.repeat)
    ours, cli, duck = res["kwstats"], res["kwstats-cli"], res["duckdb"]
    assert ours["table"] == duck["table"], "the unit tables differ"
    assert cli["table"] == duck["table"], "kwstats table's output differs from DuckDB's table"
    print(f"\n{args.rows:,}-row CSV → unit table {MONTH} (numbers identical to DuckDB's)")
    print(f"  rows read / used / set aside: {' / '.join(f'{k:,}' for k in ours['rows'])}")
    print(f"  {'':28}{'wall s':>9}{'peak MiB':>10}")
    print(_line("kwstats read_exports+table", ours))
    print(_line("kwstats table (the CLI)", cli))
    print(_line("DuckDB read_csv+SQL", duck))
    for label, got in (("read_exports+table", ours), ("kwstats table", cli)):
        print(
            f"  ratio, {label}: {got['wall'] / duck['wall']:.1f}× DuckDB's time (target ≤ 10×), "
            f"{got['peak_mib']:.0f} MiB = {got['peak_mib'] * 2**20 / 1e6:.0f} MB peak (target ≤ 800 MB)"
        )


def _xlsx_part(args: argparse.Namespace) -> None:
    xlsx_path = _ensure(args.dir / f"export-{args.xlsx_rows}.xlsx", args.xlsx_rows, write_xlsx)
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        roles = ["kwstats-xlsx", "calamine"]
        print("  pandas.read_excel(openpyxl): skipped, openpyxl is not installed (pip install openpyxl)")
    else:
        roles = ["kwstats-xlsx", "calamine", "openpyxl"]
    res = _median_runs(roles, xlsx_path, args.repeat)
    print(f"\n{args.xlsx_rows:,}-row xlsx ingest")
    print(f"  {'':28}{'wall s':>9}{'peak MiB':>10}")
    print(_line("kwstats read_exports", res["kwstats-xlsx"]))
    print(_line("bare calamine cells", res["calamine"]))
    if "openpyxl" in res:
        print(_line("pandas.read_excel openpyxl", res["openpyxl"]))
    ours_x = res["kwstats-xlsx"]["wall"]
    line = f"  ratio: {ours_x / res['calamine']['wall']:.2f}× bare calamine (target ≤ 2×)"
    if "openpyxl" in res:
        line += f", {res['openpyxl']['wall'] / ours_x:.1f}× faster than openpyxl (target ≥ 4×)"
    print(line)


if __name__ == "__main__":
    main()
