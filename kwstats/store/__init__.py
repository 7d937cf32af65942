"""The case store: every export kept once, in one DuckDB file (``<dir>/cases.duckdb``).

Analysts download an export every month and a case's state changes between exports. The store
keeps each case once, in the version of the newest export that carried it:

- **Idempotent.** Each file ingested is recorded in the ``files`` table by its SHA-256; a file whose
  content is already there (whatever its name) is skipped, so ingesting the same file twice
  changes nothing.
- **Newer wins, older never overwrites.** Every file gets a version key ``(version_at, name,
  sha256)``. ``version_at`` is the export time the file states (its “导出时间” note, read by ingest
  into :attr:`kwstats.ingest.FileReport.exported_at`; a bare date means the end of that day), or,
  when it states none, the file's modification time (as a naive Beijing time). Ties are broken by
  the file name (as stored: masked), then by the hash, so the order never depends on the order files are given or
  ingested. A case (``case_id``) is replaced only by a row whose file key is greater than that of
  the stored row; an older export's row is counted (``cases_older``) and otherwise ignored.
- **Provenance.** Each case keeps ``source_file`` and ``source_line`` and the file's hash
  (``file_sha256``: a file's identity, whatever its name); file names, paths, sheet names and the
  files' warnings are stored masked (a file name may carry a phone number, SPEC §2); the rows set aside at ingest are kept with their reasons in ``rejected``.
  Each file is read as if alone with :func:`kwstats.ingest.read_exports` (see
  :func:`kwstats.store.incoming._read_files`), so a case appearing in two exports is a newer version,
  never a “duplicate” set aside; duplicates within one export are still set aside by ingest. Rows are
  as ingest made them with the branch params of that day (unit aliases, headers): each file records
  the params' digest, and a changed roster calls for a fresh store.
- **Atomic.** One ingest call is one DuckDB transaction (BEGIN … COMMIT, ROLLBACK on any
  exception), and a process killed half-way leaves the store as it was: DuckDB logs nothing
  uncommitted, and row groups it wrote ahead into the file stay unreferenced until COMMIT.
- **Concurrency.** DuckDB locks the file: one writer, or any number of readers. A second ingest
  retries, saying “另一个导入正在进行，等待……” (a reader: “案件库正在导入数据，等待……”), and gives
  up with :class:`StoreBusyError` after ``timeout`` seconds (default 600, env
  ``KWSTATS_STORE_WAIT``). Exports are read before the lock is taken, and every call opens and
  closes its own connection, so readers are held only while rows are merged.

Tables: ``meta`` (key/value: format, ingest sequence), ``files`` (one row per file ingested),
``cases`` (the canonical columns of :data:`kwstats.schema.CASE_COLUMNS` plus ``file_sha256``,
``version_at``, ``version_name``) and ``rejected`` (:data:`kwstats.schema.REJECT_COLUMNS` plus
``file_sha256``). Dates are stored as ``TIMESTAMP_NS``, exactly as the canonical table holds them.

Nothing executable is read back: the store is data (DuckDB tables, Parquet, JSON text).

Modules, lower to higher: ``errors`` (the store's errors), ``schema`` (tables, format, DDL),
``connection`` (location, connections that wait for the lock), ``incoming`` (exports read for the
store, versioned), ``ingest`` (the atomic, newer-wins merge), ``read`` (cases back, month-filtered),
``sql`` (an analyst's masked read-only SQL), ``state`` (provenance), ``parquet`` (month-partitioned
export), ``handle`` (:class:`Store`). This package re-exports their public names.
"""

from __future__ import annotations

from kwstats.store.aggregates import aggregates_from_store
from kwstats.store.connection import (
    DEFAULT_STORE_DIR,
    DEFAULT_WAIT_SECONDS,
    MSG_WAIT_INGEST,
    MSG_WAIT_READ,
    STORE_ENV,
    STORE_FILE,
    WAIT_ENV,
    Progress,
    resolve_store_dir,
    store_exists,
)
from kwstats.store.errors import StoreBusyError, StoreError, StoreNotFoundError, StoreQueryError
from kwstats.store.handle import Store, open_store
from kwstats.store.incoming import FileIngest, file_sha256
from kwstats.store.ingest import IngestSummary, ingest_into_store, is_demo_file, params_digest
from kwstats.store.parquet import EXPORT_MANIFEST, export_parquet
from kwstats.store.read import load_cases_from_store, load_month_scope
from kwstats.store.schema import FORMAT, update_held_spans
from kwstats.store.sql import query
from kwstats.store.state import store_state

__all__ = [
    "aggregates_from_store",
    "load_month_scope",
    "DEFAULT_STORE_DIR",
    "DEFAULT_WAIT_SECONDS",
    "EXPORT_MANIFEST",
    "FORMAT",
    "MSG_WAIT_INGEST",
    "MSG_WAIT_READ",
    "STORE_ENV",
    "STORE_FILE",
    "WAIT_ENV",
    "FileIngest",
    "IngestSummary",
    "Progress",
    "Store",
    "StoreBusyError",
    "StoreError",
    "StoreNotFoundError",
    "StoreQueryError",
    "export_parquet",
    "file_sha256",
    "ingest_into_store",
    "is_demo_file",
    "load_cases_from_store",
    "open_store",
    "params_digest",
    "query",
    "resolve_store_dir",
    "store_exists",
    "store_state",
    "update_held_spans",
]
