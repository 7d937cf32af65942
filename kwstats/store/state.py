"""The store's state for provenance: its files, row counts and a digest of its content."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd

from kwstats.masking import mask_text
from kwstats.store.connection import STORE_FILE, Progress, _reading, duckdb, resolve_store_dir
from kwstats.store.schema import FORMAT, _has_tables, _one, _store_counts, _table_columns


def store_state(
    store_dir: str | Path | None = None, *, timeout: float | None = None, progress: Progress | None = None
) -> dict[str, Any]:
    """The store's state for provenance: its files (hash, version, rows), row counts and a digest.

    The digest covers the files ingested (hashes, versions, params) and the row counts: the store's
    content is a function of the set of files ingested, whatever the order they came in.
    """
    directory = resolve_store_dir(store_dir)
    with _reading(directory, timeout, progress) as con:
        return _state(con, directory)


def _state(con: duckdb.DuckDBPyConnection, directory: Path) -> dict[str, Any]:
    files: list[dict[str, Any]] = []
    ingest_seq, n_cases, n_rejected = 0, 0, 0
    if _has_tables(con):
        held, first = {}, {}
        for sha, n, reg in con.execute(
            "SELECT file_sha256, count(*), min(registered_at) FROM cases GROUP BY 1"
        ).fetchall():
            held[sha], first[sha] = n, reg
        demo = "coalesce(demo, false)" if "demo" in _table_columns(con, "files") else "false"  # older stores
        rows = con.execute(
            "SELECT sha256, name, exported_at, version_at, version_basis, ingest_seq, ingested_at, rows_read, "
            f"rows_used, rows_set_aside, params_digest, kwstats_version, {demo} "
            "FROM files ORDER BY version_at, name, sha256"
        ).fetchall()
        for sha, name, exp, ver, basis, seq, at, n_read, n_used, n_aside, pdig, kver, demo in rows:
            files.append(
                {
                    "sha256": sha,
                    "name": mask_text(name),
                    "exported_at": exp,
                    "version_at": f"{pd.Timestamp(ver):%Y-%m-%d %H:%M:%S}",
                    "version_basis": basis,
                    "ingest_seq": int(seq),
                    "ingested_at": f"{pd.Timestamp(at):%Y-%m-%d %H:%M:%S}",
                    "rows_read": int(n_read),
                    "rows_used": int(n_used),
                    "rows_set_aside": int(n_aside),
                    "cases_held": int(held.get(sha, 0)),
                    # the earliest registration among the cases it holds (None: holds none)
                    "first_registered": None
                    if first.get(sha) is None
                    else f"{pd.Timestamp(first[sha]):%Y-%m-%d %H:%M:%S}",
                    "params_digest": pdig,
                    "kwstats_version": kver,
                    "demo": bool(demo),
                }
            )
        ingest_seq = int(_one(con, "SELECT value FROM meta WHERE key = 'ingest_seq'")[0])
        n_cases, n_rejected = _store_counts(con)
    content = {
        "files": sorted([f["sha256"], f["version_at"], f["params_digest"]] for f in files),
        "cases": n_cases,
        "rejected": n_rejected,
    }
    return {
        "path": str(directory / STORE_FILE),
        "format": FORMAT,
        "ingest_seq": ingest_seq,
        "files": files,
        "cases": n_cases,
        "rejected": n_rejected,
        "digest": hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest(),
        "duckdb_version": duckdb.__version__,
    }
