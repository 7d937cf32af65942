"""The stored cases read back as ingest gives them: month filters in SQL, rows set aside, file reports."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa

from kwstats.ingest import FileReport, IngestResult
from kwstats.params import normalize_month
from kwstats.schema import CASE_COLUMNS, REJECT_COLUMNS, conform, empty_cases
from kwstats.store.connection import Progress, _reading, duckdb, resolve_store_dir
from kwstats.store.schema import _has_tables, _q, _table_columns

_FILE_REPORT_FIELDS = {f.name for f in dataclasses.fields(FileReport)}


def _month_filter(months: Sequence[str] | str | None) -> tuple[str, list[dt.datetime]]:
    if months is None:
        return "", []
    months = [months] if isinstance(months, str) else list(months)
    parts, params = [], []
    for m in months:
        start = pd.Timestamp(f"{normalize_month(m)}-01")
        parts.append("(registered_at >= ? AND registered_at < ?)")
        params += [start.to_pydatetime(), (start + pd.offsets.MonthBegin(1)).to_pydatetime()]
    return ("WHERE " + " OR ".join(parts)) if parts else "WHERE false", params


def _read_cases(
    con: duckdb.DuckDBPyConnection, months: Sequence[str] | str | None, context: bool = False
) -> tuple[pd.DataFrame, list[str]]:
    if not _has_tables(con):
        return empty_cases(), []
    have = set(_table_columns(con, "cases"))
    cols = [c for c in CASE_COLUMNS if c in have]
    missing = [c for c in CASE_COLUMNS if c not in have]
    warnings = []
    if missing:
        warnings.append(
            f"案件库缺少列 {'、'.join(missing)}（案件库由较早版本建立），按空值处理；"
            "需要这些列时，请换一个空目录重新导入导出文件。"
        )
    where, params = _month_filter(months)
    select = ", ".join(_q(c) for c in cols)
    table = con.sql(
        f"SELECT {select} FROM cases {where} ORDER BY registered_at, case_id", params=params
    ).to_arrow_table()
    if context and where:
        extra = _context_cases(con, select, months)
        if extra is not None and extra.num_rows:
            table = pa.concat_tables([table, extra.cast(table.schema)]).sort_by(
                [("registered_at", "ascending"), ("case_id", "ascending")]
            )
    # category columns straight to pandas categoricals: conform() then has nothing to convert (5× faster)
    frame = table.to_pandas(categories=[c for c in cols if CASE_COLUMNS[c] == "category"])
    del table
    return conform(frame).reset_index(drop=True), warnings


def _context_cases(
    con: duckdb.DuckDBPyConnection, select: str, months: Sequence[str] | str | None
) -> pa.Table | None:
    """Each file with rows set aside: a case of it outside `months`, and one after them, where it has such.

    What :func:`load_cases_from_store`'s `context` promises for one month: the file's earliest case
    is outside the month when any is before it, its latest when any is after it. The files'
    ``first_held``/``last_held`` name the instants, so only the row groups holding them are read.
    """
    columns = set(_table_columns(con, "files"))
    if not {"first_held", "last_held"} <= columns:  # a store from before: one scan instead
        spans = con.execute(
            "SELECT file_sha256, min(registered_at), max(registered_at) FROM cases "
            "WHERE file_sha256 IN (SELECT DISTINCT file_sha256 FROM rejected) GROUP BY 1"
        ).fetchall()
    else:
        spans = con.execute(
            "SELECT sha256, first_held, last_held FROM files WHERE sha256 IN (SELECT DISTINCT file_sha256 FROM rejected)"
        ).fetchall()
    keys = {normalize_month(m) for m in ([months] if isinstance(months, str) else list(months or []))}
    last = max(keys) if keys else ""
    points = []  # (file, instant): one case outside the months, and one after them when there is one
    for sha, lo, hi in spans:
        if lo is None:
            continue
        lo_key, hi_key = f"{pd.Timestamp(lo):%Y-%m}", f"{pd.Timestamp(hi):%Y-%m}"
        if lo_key not in keys:
            points.append((sha, lo))
        if hi_key not in keys and hi_key > last and not (lo_key not in keys and lo_key > last):
            points.append((sha, hi))
    if not points:
        return None
    # one small query per instant: each reads only the row group holding it (an IN list would scan all)
    one = f"(SELECT {select} FROM cases WHERE registered_at = ? AND file_sha256 = ? ORDER BY case_id LIMIT 1)"
    params = [v for sha, t in points for v in (t, sha)]
    return con.sql(" UNION ALL ".join([one] * len(points)), params=params).to_arrow_table()


def _read_rejected(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    cols = list(REJECT_COLUMNS)
    if not _has_tables(con):
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "source_line" else "string") for c in cols})
    select = ", ".join(_q(c) for c in cols)
    frame = (
        con.sql(f"SELECT {select} FROM rejected ORDER BY source_file, source_line, file_sha256")
        .to_arrow_table()
        .to_pandas()
    )
    for c in cols:
        frame[c] = frame[c].astype("int64" if c == "source_line" else "string")
    return frame[cols].reset_index(drop=True)


def _read_reports(con: duckdb.DuckDBPyConnection, held: bool = False) -> tuple[list[FileReport], list[str]]:
    """The file reports recorded at ingest and the files' warnings.

    `held=True` (every case read): each report counts what the store holds of its file now — rows
    used = its cases not replaced since by a newer export, rows set aside = its rejected rows, rows
    read = their sum — so that rows read = used + set aside holds for the cases returned; a warning
    says how many rows newer exports replaced.
    """
    if not _has_tables(con):
        return [], []
    reports: list[FileReport] = []
    warnings: list[str] = []
    counts: dict[tuple[str, str | None], list[int]] = {}
    if held:
        for table, k in (("cases", 0), ("rejected", 1)):
            for sha, label, n in con.execute(
                f"SELECT file_sha256, source_file, count(*) FROM {table} GROUP BY 1, 2"
            ).fetchall():
                for key in ((sha, label), (sha, None)):
                    counts.setdefault(key, [0, 0])[k] += int(n)
    replaced = 0
    rows = con.execute(
        "SELECT sha256, reports, warnings FROM files ORDER BY version_at, name, sha256"
    ).fetchall()
    for sha, rep_text, warn_text in rows:
        mine = [d for d in json.loads(rep_text or "[]") if isinstance(d, dict)]
        for d in mine:
            report = FileReport(**{k: v for k, v in d.items() if k in _FILE_REPORT_FIELDS})
            if held:
                used, aside = counts.get((sha, report.source) if len(mine) > 1 else (sha, None), [0, 0])
                replaced += max(0, report.rows_used - used)
                report.rows_used, report.rows_set_aside, report.rows_read = used, aside, used + aside
                report.total_rows = min(report.total_rows, aside)
            reports.append(report)
        warnings += [w for w in json.loads(warn_text or "[]") if isinstance(w, str)]
    if replaced:
        warnings.append(
            f"案件库中有 {replaced} 行是同一案件较早导出的版本，已由较新的导出取代（每件案件以最新导出为准），"
            "不计入读入、使用的行数。"
        )
    return reports, warnings


def load_cases_from_store(
    store_dir: str | Path | None = None,
    *,
    months: Sequence[str] | str | None = None,
    timeout: float | None = None,
    progress: Progress | None = None,
    context: bool = False,
) -> IngestResult:
    """The stored cases (registered in `months`, when given) and every row set aside, as ingest gives them.

    The month filter runs in the store's SQL (DuckDB skips the row groups outside it). `context=True`
    adds, for each file holding rows set aside, its earliest and latest case outside `months`: what
    telling a month's set-aside rows from other months' needs (kwstats.setaside: does the file hold
    cases of other months, of later ones). Computations over the months themselves ignore them.

    ``cases`` has exactly the columns and dtypes of :data:`kwstats.schema.CASE_COLUMNS`;
    ``rejected`` has :data:`kwstats.schema.REJECT_COLUMNS` (all of them: a row set aside has no
    reliable month). ``files`` are the file reports recorded at ingest; read whole, each counts
    what the store holds of its file now (rows a newer export replaced are said in a warning), so
    rows read = used + set aside holds as for a fresh read; with `months`, they are as recorded.
    """
    with _reading(resolve_store_dir(store_dir), timeout, progress) as con:
        cases, warnings = _read_cases(con, months, context)
        rejected = _read_rejected(con)
        reports, file_warnings = _read_reports(con, held=months is None)
    return IngestResult(cases=cases, rejected=rejected, files=reports, warnings=warnings + file_warnings)
