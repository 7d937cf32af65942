"""The store's tables and their format: DDL, the format check, small SQL helpers.

Tables: ``meta`` (key/value: format, ingest sequence), ``files`` (one row per file ingested),
``cases`` (the canonical columns of :data:`kwstats.schema.CASE_COLUMNS` plus ``file_sha256``,
``version_at``, ``version_name``) and ``rejected`` (:data:`kwstats.schema.REJECT_COLUMNS` plus
``file_sha256``). Dates are stored as ``TIMESTAMP_NS``, exactly as the canonical table holds them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kwstats.schema import CASE_COLUMNS, REJECT_COLUMNS
from kwstats.store.errors import StoreError

if TYPE_CHECKING:
    import duckdb

FORMAT = "1"  # bump when the table layout changes incompatibly

_SQL_TYPES = {
    "string": "VARCHAR",
    "category": "VARCHAR",
    "datetime64[ns]": "TIMESTAMP_NS",
    "bool": "BOOLEAN",
    "float64": "DOUBLE",
    "int64": "BIGINT",
}
_VERSION_COLUMNS = {"file_sha256": "VARCHAR", "version_at": "TIMESTAMP_NS", "version_name": "VARCHAR"}
_REJECT_TYPES = {c: ("BIGINT" if c == "source_line" else "VARCHAR") for c in REJECT_COLUMNS}
_FILES_COLUMNS = {
    "sha256": "VARCHAR",
    "name": "VARCHAR",
    "path": "VARCHAR",
    "size": "BIGINT",
    "exported_at": "VARCHAR",  # as the file states it, or NULL
    "mtime": "TIMESTAMP_NS",
    "version_at": "TIMESTAMP_NS",  # what "newer" compares (module doc)
    "version_basis": "VARCHAR",  # "export" or "mtime"
    "ingest_seq": "BIGINT",
    "ingested_at": "TIMESTAMP",
    "rows_read": "BIGINT",
    "rows_used": "BIGINT",
    "rows_set_aside": "BIGINT",
    "cases_new": "BIGINT",
    "cases_updated": "BIGINT",
    "cases_older": "BIGINT",
    "params_digest": "VARCHAR",
    "kwstats_version": "VARCHAR",
    "reports": "VARCHAR",  # JSON list of FileReport (paths, labels and sheet names masked)
    "warnings": "VARCHAR",  # JSON list of texts (masked)
    "demo": "BOOLEAN",  # read from a synthetic-sample folder (its marker file): pages say 演示
    # the earliest and latest registration among the cases the file holds now (NULL: none), kept by
    # every ingest: a month's read finds its files' other cases without scanning the table
    "first_held": "TIMESTAMP_NS",
    "last_held": "TIMESTAMP_NS",
}


def _has_tables(con: duckdb.DuckDBPyConnection) -> bool:
    names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    return {"meta", "files", "cases", "rejected"} <= names


def _check_format(con: duckdb.DuckDBPyConnection) -> None:
    if not _has_tables(con):
        return
    row = _one(con, "SELECT value FROM meta WHERE key = 'format'")
    if row is not None and row[0] != FORMAT:
        raise StoreError(
            f"案件库格式版本为 {row[0]}，本程序只能读写版本 {FORMAT}。请用与之相符的 kwstats 版本，"
            "或换一个空目录重新导入导出文件。"
        )


def _table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


def _one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...] | None:
    """The first row of `sql`, the result read to its end (DuckDB keeps an unfinished result open)."""
    rows = con.execute(sql).fetchall()
    return rows[0] if rows else None


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    case_cols = {**{c: _SQL_TYPES[t] for c, t in CASE_COLUMNS.items()}, **_VERSION_COLUMNS}
    reject_cols = {**_REJECT_TYPES, "file_sha256": "VARCHAR"}
    con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR)")
    for table, cols in (("files", _FILES_COLUMNS), ("cases", case_cols), ("rejected", reject_cols)):
        body = ", ".join(f"{_q(c)} {t}" for c, t in cols.items())
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({body})")
        have = set(_table_columns(con, table))
        for col, typ in cols.items():  # a store made before a column was added to the schema
            if col not in have:
                con.execute(f"ALTER TABLE {table} ADD COLUMN {_q(col)} {typ}")
    row = _one(con, "SELECT value FROM meta WHERE key = 'format'")
    if row is None:
        con.execute("INSERT INTO meta VALUES ('format', ?), ('ingest_seq', '0')", [FORMAT])
    elif row[0] != FORMAT:
        _check_format(con)


def update_held_spans(con: duckdb.DuckDBPyConnection) -> None:
    """Set every file's ``first_held``/``last_held`` from the cases it holds now (inside the ingest)."""
    con.execute(
        "UPDATE files SET first_held = s.lo, last_held = s.hi FROM (SELECT file_sha256, min(registered_at) AS lo, "
        "max(registered_at) AS hi FROM cases GROUP BY 1) s WHERE files.sha256 = s.file_sha256"
    )
    con.execute(
        "UPDATE files SET first_held = NULL, last_held = NULL "
        "WHERE sha256 NOT IN (SELECT DISTINCT file_sha256 FROM cases)"
    )


def _store_counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    return (
        int(_one(con, "SELECT count(*) FROM cases")[0]),
        int(_one(con, "SELECT count(*) FROM rejected")[0]),
    )
