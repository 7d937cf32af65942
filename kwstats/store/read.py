"""The stored cases read back as ingest gives them: month filters in SQL, rows set aside, file reports."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kwstats.aggregates import BLANK, Aggregates, aggregates_from_cases
from kwstats.ingest import FileReport, IngestResult
from kwstats.params import CumulativeWindow, normalize_month
from kwstats.period import Period
from kwstats.schema import CASE_COLUMNS, REJECT_COLUMNS, conform, empty_cases
from kwstats.store.aggregates import ACCEPTED, aggregates_from_store, instant
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


SeriesPicker = Callable[[pd.DataFrame, Aggregates], Sequence[tuple[str, str, str, str]]]


def _scope_rows(
    con: duckdb.DuckDBPyConnection, period: Period, open_from: pd.Timestamp | None
) -> tuple[pd.DataFrame, list[str], str]:
    """The rows a month's pages need: every case registered from the month's start to its end or
    the cutoff, whichever is later; the complaints and reports registered up to the cutoff (and from
    `open_from`, the first day any deadline rule covers) still open at the month's start (deadlines);
    each file's context (:func:`_context_cases`)."""
    have = set(_table_columns(con, "cases"))
    cols = [c for c in CASE_COLUMNS if c in have]
    select = ", ".join(_q(c) for c in cols)
    start, cut = instant(period.start), instant(period.cutoff)
    since = "" if open_from is None else "AND registered_at >= ?"
    params = [start, instant(period.end), cut, cut] + ([] if open_from is None else [instant(open_from)])
    table = con.sql(
        f"""SELECT {select} FROM cases
            WHERE (registered_at >= ? AND (registered_at < ? OR registered_at <= ?))
               OR (registered_at <= ? {since} AND {ACCEPTED} AND (closed_at IS NULL OR closed_at >= ?))""",
        params=[*params, start],
    ).to_arrow_table()
    extra = _context_cases(con, select, [period.key])
    if extra is not None and extra.num_rows:
        table = pa.concat_tables([table, extra.cast(table.schema)])
    return _frame(table, cols), cols, select


def _frame(table: pa.Table, cols: list[str]) -> pd.DataFrame:
    """Arrow rows as the canonical case table: registration order, each case once."""
    table = table.sort_by([("registered_at", "ascending"), ("case_id", "ascending")])
    frame = table.to_pandas(categories=[c for c in cols if CASE_COLUMNS[c] == "category"])
    if len(frame) and pc.count_distinct(table["case_id"], mode="all").as_py() < len(frame):
        frame = frame.drop_duplicates("case_id", keep="first")
    return conform(frame).reset_index(drop=True)


def _series_rows(
    con: duckdb.DuckDBPyConnection, select: str, wanted: Sequence[tuple[str, str, str, str]]
) -> pa.Table | None:
    """The accepted cases of each (field, value) series registered in [first, next) months: the rows
    a spike's breakdown counts."""
    parts, params = [], []
    for field, value, first, until in wanted:
        if field not in CASE_COLUMNS:
            raise ValueError(f"未知的分组列：{field}")
        match = f"{_q(field)} IS NULL" if value == BLANK else f"CAST({_q(field)} AS VARCHAR) = ?"
        parts.append(
            f"(SELECT {select} FROM cases WHERE registered_at >= ? AND registered_at < ? AND {ACCEPTED} AND {match})"
        )
        params += [instant(pd.Timestamp(f"{first}-01")), instant(pd.Timestamp(f"{until}-01"))]
        params += [] if value == BLANK else [value]
    if not parts:
        return None
    return con.sql(" UNION ALL ".join(parts), params=params).to_arrow_table()


def load_month_scope(
    store_dir: str | Path | None,
    period: Period,
    windows: Sequence[CumulativeWindow] = (),
    *,
    open_from: pd.Timestamp | None = None,
    series: SeriesPicker | None = None,
    timeout: float | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """What one month's bulletin reads from the store: the rows its pages need and, for everything
    before the month, kwstats.aggregates counted in SQL (``IngestResult.aggregates``, scoped).

    The rows (:func:`_scope_rows`), plus, for each series `series` picks from them and the
    aggregates (field, value, first month, month after the last: the spikes whose breakdown counts
    their rows), that series' accepted cases of those months. Every row set aside; the file reports
    count what the store holds of each file now, as a whole read gives them.
    """
    with _reading(resolve_store_dir(store_dir), timeout, progress) as con:
        if not _has_tables(con):
            cases, warnings = _read_cases(con, [period.key], context=True)
            aggregates = aggregates_from_cases(cases, period, windows)
        else:
            cases, cols, select = _scope_rows(con, period, open_from)
            warnings = []
            missing = [c for c in CASE_COLUMNS if c not in cols]
            if missing:
                warnings.append(
                    f"案件库缺少列 {'、'.join(missing)}（案件库由较早版本建立），按空值处理；"
                    "需要这些列时，请换一个空目录重新导入导出文件。"
                )
            aggregates = aggregates_from_store(con, period, windows)
            wanted = list(series(cases, aggregates)) if series is not None else []
            extra = _series_rows(con, select, wanted)
            if extra is not None and extra.num_rows:
                cases = _frame_merge(cases, extra, cols)
        rejected = _read_rejected(con)
        reports, file_warnings = _read_reports(con, held=True)
    return IngestResult(
        cases=cases,
        rejected=rejected,
        files=reports,
        warnings=warnings + file_warnings,
        aggregates=dataclasses.replace(aggregates, scoped=True),
    )


def _frame_merge(cases: pd.DataFrame, extra: pa.Table, cols: list[str]) -> pd.DataFrame:
    """`cases` with the rows of `extra` it lacks, in registration order."""
    more = _frame(extra, cols)
    more = more[~more["case_id"].isin(cases["case_id"])]
    if more.empty:
        return cases
    both = pd.concat([cases, more], ignore_index=True)
    both = both.sort_values(["registered_at", "case_id"], kind="stable")
    return conform(both).reset_index(drop=True)
