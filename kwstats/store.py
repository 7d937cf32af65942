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
  Each file is read as if alone with :func:`kwstats.ingest.read_exports` (see :func:`_read_files`),
  so a case appearing in two exports is a newer version, never a “duplicate” set aside;
  duplicates within one export are still set aside by ingest. Rows are as ingest made them with
  the branch params of that day (unit aliases, headers): each file records the params' digest, and
  a changed roster calls for a fresh store.
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
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from kwstats import __version__
from kwstats.exceptions import KwstatsError, UsageError
from kwstats.ingest import (
    REASON_CONFLICT,
    REASON_DUPLICATE,
    FileReport,
    IngestResult,
    expand_paths,
    read_exports,
)
from kwstats.masking import mask_series, mask_text
from kwstats.params import Branch, normalize_month
from kwstats.sample_files import MARKER_NAME
from kwstats.schema import CASE_COLUMNS, REJECT_COLUMNS, conform, empty_cases

if TYPE_CHECKING:
    import duckdb
else:

    class _DuckDB:
        """duckdb, imported on first use: every run imports this module (kwstats.sources), few open a store."""

        def __getattr__(self, name: str) -> Any:
            import duckdb  # third-party, ~0.2 s: only a run that reads or writes a store needs it

            return getattr(duckdb, name)

    duckdb = _DuckDB()

log = logging.getLogger(__name__)

STORE_FILE = "cases.duckdb"
DEFAULT_STORE_DIR = Path(__file__).resolve().parent.parent / "data" / "store"
STORE_ENV = "KWSTATS_STORE"
WAIT_ENV = "KWSTATS_STORE_WAIT"
DEFAULT_WAIT_SECONDS = 600.0
FORMAT = "1"  # bump when the table layout changes incompatibly
EXPORT_MANIFEST = "_kwstats_export.json"  # '_' prefix: Spark, Hive and Trino skip it as a data file
MSG_WAIT_INGEST = "另一个导入正在进行，等待……"
MSG_WAIT_READ = "案件库正在导入数据，等待……"
_POLL_SECONDS = 0.2
_WAIT_REMINDER_SECONDS = 30.0
# Test hook (used by tests/test_store.py to kill an ingest inside its transaction): sleep this many
# seconds just before COMMIT, after touching the marker file.
_TEST_PAUSE_ENV = "KWSTATS_STORE_TEST_PAUSE"
_TEST_MARKER_ENV = "KWSTATS_STORE_TEST_MARKER"

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
_FILE_REPORT_FIELDS = {f.name for f in dataclasses.fields(FileReport)}
_PROCESS_LOCKS: dict[str, threading.Lock] = {}
_PROCESS_LOCKS_GUARD = threading.Lock()

Progress = Callable[[str], None]


class StoreError(KwstatsError):
    """The case store cannot be used (not a store, another format, a DuckDB failure)."""


class StoreNotFoundError(StoreError, UsageError):
    """No store in the given folder: nothing has been ingested there (a wrong path)."""


class StoreBusyError(StoreError):
    """Another process held the store for longer than the wait allowed."""


class StoreQueryError(StoreError, UsageError):
    """An analyst's SQL could not run (a syntax error, an unknown column, a write)."""


# ---------------------------------------------------------------------------------------------
# locations and connections


def resolve_store_dir(store_dir: str | Path | None = None) -> Path:
    """The store folder: `store_dir` when given, else ``$KWSTATS_STORE``, else ``data/store``."""
    if store_dir is not None and str(store_dir).strip():
        return Path(store_dir)
    env = os.environ.get(STORE_ENV, "").strip()
    return Path(env) if env else DEFAULT_STORE_DIR


def store_exists(store_dir: str | Path | None = None) -> bool:
    """True when the folder holds a store file (something was ingested there, or is being)."""
    return (resolve_store_dir(store_dir) / STORE_FILE).is_file()


def _wait_seconds(timeout: float | None) -> float:
    if timeout is not None:
        return max(0.0, float(timeout))
    try:
        return max(0.0, float(os.environ.get(WAIT_ENV, DEFAULT_WAIT_SECONDS)))
    except ValueError:
        return DEFAULT_WAIT_SECONDS


def _say(progress: Progress | None, message: str, level: int = logging.INFO) -> None:
    if progress is not None:
        progress(message)
    else:
        log.log(level, message)


def _is_lock_error(exc: BaseException) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


def _shown(path: str | Path) -> str:
    """A path as messages show it (masked like every text that came from outside)."""
    return mask_text(str(path))


def _technical(exc: BaseException) -> str:
    return mask_text(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)


def _connect(
    db: Path,
    *,
    read_only: bool,
    timeout: float | None,
    progress: Progress | None,
    waiting: str,
    config: dict[str, Any] | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open `db`, retrying while another process holds its lock; StoreBusyError after the wait."""
    if read_only and not db.is_file():
        raise StoreNotFoundError(
            f"找不到案件库：{_shown(db)}。请先运行 kwstats ingest 导入导出文件，或用 --store 指定案件库目录。"
        )
    settings = dict(config or {})
    locked = bool(settings.pop("lock_configuration", False))
    limit = _wait_seconds(timeout)
    start = time.monotonic()
    told = 0.0
    while True:
        try:
            return _quiet(duckdb.connect(str(db), read_only=read_only, config=settings), locked)
        except duckdb.Error as exc:
            if not _is_lock_error(exc):
                raise StoreError(f"无法打开案件库 {_shown(db)}（{_technical(exc)}）。") from None
            waited = time.monotonic() - start
            if waited >= limit:
                raise StoreBusyError(
                    f"案件库 {_shown(db)} 正被另一个进程（导入或查询）占用，已等待 {waited:.0f} 秒仍未释放。"
                    "请等它结束后再试。"
                ) from None
            if told == 0.0:
                _say(progress, waiting, logging.WARNING)
                told = time.monotonic()
            elif time.monotonic() - told >= _WAIT_REMINDER_SECONDS:
                _say(progress, f"{waiting}（已等待 {waited:.0f} 秒）", logging.WARNING)
                told = time.monotonic()
            time.sleep(_POLL_SECONDS)


def _quiet(con: duckdb.DuckDBPyConnection, lock_configuration: bool) -> duckdb.DuckDBPyConnection:
    """No progress bar (DuckDB draws it on stdout, among a command's output); then lock the settings."""
    con.execute("SET enable_progress_bar = false")
    if lock_configuration:
        con.execute("SET lock_configuration = true")
    return con


@contextmanager
def _process_lock(db: Path, timeout: float | None, progress: Progress | None) -> Iterator[None]:
    """Serialise writers within this process (DuckDB's file lock only separates processes)."""
    key = str(db.resolve())
    with _PROCESS_LOCKS_GUARD:
        lock = _PROCESS_LOCKS.setdefault(key, threading.Lock())
    if not lock.acquire(blocking=False):
        _say(progress, MSG_WAIT_INGEST, logging.WARNING)
        if not lock.acquire(timeout=_wait_seconds(timeout)):
            raise StoreBusyError(
                f"案件库 {_shown(db)} 正在由本进程的另一个导入写入，等待超时。请等它结束后再试。"
            )
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _reading(
    directory: Path,
    timeout: float | None,
    progress: Progress | None,
    config: dict[str, Any] | None = None,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short read-only connection to the store in `directory` (format checked), closed on exit."""
    con = _connect(
        directory / STORE_FILE,
        read_only=True,
        timeout=timeout,
        progress=progress,
        waiting=MSG_WAIT_READ,
        config=config,
    )
    try:
        _check_format(con)
        yield con
    finally:
        con.close()


class Store:
    """A handle on one store, ``<dir>/cases.duckdb``.

    Every call opens a short read-only connection and closes it again, so a handle kept in a notebook
    never holds the lock that an ingest needs. Writes go through :meth:`ingest` only.
    """

    def __init__(
        self,
        store_dir: str | Path | None = None,
        *,
        timeout: float | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.directory = resolve_store_dir(store_dir)
        self.path = self.directory / STORE_FILE
        self.timeout = timeout
        self.progress = progress

    def __repr__(self) -> str:
        return f"Store({str(self.directory)!r})"

    def exists(self) -> bool:
        return self.path.is_file()

    def ingest(self, files: Iterable[str | Path] | str | Path, branch: Branch) -> IngestSummary:
        return ingest_into_store(self.directory, files, branch, progress=self.progress, timeout=self.timeout)

    def load(self, months: Sequence[str] | str | None = None) -> IngestResult:
        return load_cases_from_store(
            self.directory, months=months, timeout=self.timeout, progress=self.progress
        )

    def cases(self, months: Sequence[str] | str | None = None) -> pd.DataFrame:
        return self.load(months).cases

    def query(self, sql: str) -> pd.DataFrame:
        return query(self.directory, sql, timeout=self.timeout, progress=self.progress)

    def state(self) -> dict[str, Any]:
        return store_state(self.directory, timeout=self.timeout, progress=self.progress)

    def export_parquet(self, out_dir: str | Path) -> Path:
        return export_parquet(self.directory, out_dir, timeout=self.timeout, progress=self.progress)


def open_store(
    store_dir: str | Path | None = None, *, timeout: float | None = None, progress: Progress | None = None
) -> Store:
    """A handle on an existing store: StoreNotFoundError when there is none, StoreError when it is unusable."""
    store = Store(store_dir, timeout=timeout, progress=progress)
    with _reading(store.directory, timeout, progress):
        pass
    return store


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


# ---------------------------------------------------------------------------------------------
# ingest


@dataclass
class FileIngest:
    """What happened to one file in an ingest call."""

    name: str  # file name, masked
    path: str
    sha256: str
    status: str  # "ingested" or "skipped"
    note: str = ""  # why skipped (Chinese)
    version_at: str | None = None  # the time that orders it ("YYYY-MM-DD HH:MM:SS")
    version_basis: str | None = None  # "export" (its 导出时间) or "mtime" (file modification time)
    rows_read: int = 0
    rows_used: int = 0
    rows_set_aside: int = 0
    cases_new: int = 0  # rows used: cases the store did not hold
    cases_updated: int = 0  # rows used: replaced an older version
    cases_older: int = 0  # rows used: the store (or another file of the call) holds a newer version


@dataclass
class IngestSummary:
    """The outcome of :func:`ingest_into_store`; ``rows_used = cases_new + cases_updated + cases_older``."""

    store: Path
    files: list[FileIngest]
    cases_total: int  # cases in the store afterwards
    rejected_total: int  # rows set aside in the store afterwards
    warnings: list[str] = field(default_factory=list)

    def _sum(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.files)

    rows_read = property(lambda self: self._sum("rows_read"))
    rows_used = property(lambda self: self._sum("rows_used"))
    rows_set_aside = property(lambda self: self._sum("rows_set_aside"))
    cases_new = property(lambda self: self._sum("cases_new"))
    cases_updated = property(lambda self: self._sum("cases_updated"))
    cases_older = property(lambda self: self._sum("cases_older"))

    @property
    def ingested(self) -> list[FileIngest]:
        return [f for f in self.files if f.status == "ingested"]

    @property
    def skipped(self) -> list[FileIngest]:
        return [f for f in self.files if f.status == "skipped"]

    def message(self) -> str:
        """One Chinese paragraph for clerks."""
        text = f"导入 {len(self.ingested)} 个文件"
        if self.skipped:
            text += f"，跳过 {len(self.skipped)} 个已导入过的文件"
        text += (
            f"：读取 {self.rows_read} 行，采用 {self.rows_used} 行（新增 {self.cases_new} 件，"
            f"更新 {self.cases_updated} 件，比库中旧而未覆盖 {self.cases_older} 件），"
            f"剔除 {self.rows_set_aside} 行。案件库 {_shown(self.store)} 现有 {self.cases_total} 件，"
            f"剔除行 {self.rejected_total} 行。"
        )
        return text


@dataclass
class _Read:
    """One file read for the store (cases as Arrow, no Python objects kept)."""

    info: FileIngest
    path: Path
    size: int
    exported_at: str | None
    mtime: pd.Timestamp
    version_at: pd.Timestamp
    cases: pa.Table
    rejected: pa.Table
    reports: list[FileReport]
    warnings: list[str]


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def params_digest(branch: Branch) -> str:
    """A digest of the branch params, recorded with every file ingested (they shape the rows)."""
    payload = json.dumps(branch.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def _export_time(value: Any) -> pd.Timestamp | None:
    """The export time a FileReport states; a bare date is the end of that day (to the microsecond)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        return None
    if ts is pd.NaT or pd.isna(ts):
        return None
    if ts.tzinfo is not None:
        ts = ts.tz_convert("Asia/Shanghai").tz_localize(None)
    if isinstance(value, str) and len(value.strip()) <= 10:  # "2022-02-01": some time that day
        ts = ts.normalize() + pd.Timedelta(days=1) - pd.Timedelta(1, "us")
    return ts.floor("us")


def _mtime(path: Path) -> pd.Timestamp:
    ns = path.stat().st_mtime_ns
    return pd.Timestamp(ns, unit="ns", tz="UTC").tz_convert("Asia/Shanghai").tz_localize(None).floor("us")


def _known_files(db: Path, timeout: float | None, progress: Progress | None) -> dict[str, str]:
    """sha256 -> file name of the files already in the store (empty when there is no store yet)."""
    if not db.is_file():
        return {}
    con = _connect(db, read_only=True, timeout=timeout, progress=progress, waiting=MSG_WAIT_INGEST)
    try:
        _check_format(con)
        if not _has_tables(con):
            return {}
        return dict(con.execute("SELECT sha256, name FROM files").fetchall())
    finally:
        con.close()


def _to_read(path: Path, sha: str, result: IngestResult) -> _Read:
    """One file's ingest result, kept as Arrow tables for the merge."""
    exported = [getattr(r, "exported_at", None) for r in result.files]
    stamps = [t for t in (_export_time(v) for v in exported) if t is not None]
    mtime = _mtime(path)
    version_at, basis = (max(stamps), "export") if stamps else (mtime, "mtime")
    exported_text = next((str(v) for v in exported if v is not None), None)
    info = FileIngest(
        name=mask_text(path.name),
        path=str(path),
        sha256=sha,
        status="ingested",
        version_at=f"{version_at:%Y-%m-%d %H:%M:%S}",
        version_basis=basis,
        rows_read=result.rows_read,
        rows_used=result.rows_used,
        rows_set_aside=result.rows_set_aside,
    )
    frame = result.cases if list(result.cases.columns) == list(CASE_COLUMNS) else conform(result.cases)
    cases = pa.Table.from_pandas(frame, preserve_index=False)
    rejected = pa.Table.from_pandas(result.rejected[list(REJECT_COLUMNS)], preserve_index=False)
    return _Read(
        info=info,
        path=path,
        size=path.stat().st_size,
        exported_at=exported_text,
        mtime=mtime,
        version_at=version_at,
        cases=cases,
        rejected=rejected,
        reports=list(result.files),
        warnings=list(result.warnings),
    )


def _read_files(to_read: list[tuple[Path, str]], branch: Branch, progress: Progress | None) -> list[_Read]:
    """Read the new files, each as if read alone (a case in two exports is two versions, not a duplicate).

    Several files are first read in one ingest pass (much faster than one pass each); that result
    is used only when it cannot differ from reading each file alone: distinct file names, and no
    row set aside as a duplicate of a row in another file. Otherwise each file is read on its own.
    """

    def tell(done: int, total: int, name: str) -> None:
        _say(progress, f"读取 {done}/{total}：{mask_text(name)}")

    if len(to_read) > 1 and len({p.name for p, _ in to_read}) == len(to_read):
        parts = _split(read_exports([p for p, _ in to_read], branch, progress=tell), [p for p, _ in to_read])
        if parts is not None:
            return [_to_read(path, sha, part) for (path, sha), part in zip(to_read, parts, strict=True)]
        _say(progress, "有案件出现在多个文件中，逐个文件重新读取……")
    return [
        _to_read(
            path,
            sha,
            read_exports([path], branch, progress=lambda _d, _t, name, i=i: tell(i, len(to_read), name)),
        )
        for i, (path, sha) in enumerate(to_read, start=1)
    ]


def _split(result: IngestResult, paths: list[Path]) -> list[IngestResult] | None:
    """`result` of reading `paths` together, split per file; None when a file's share could differ alone."""
    templates = [REASON_DUPLICATE, REASON_CONFLICT]
    if not all(isinstance(t, str) and "{" in t for t in templates):
        return None
    prefixes = tuple(t.split("{")[0] for t in templates)
    where = {p.resolve(): k for k, p in enumerate(paths)}
    label_file: dict[str, int] = {}
    for report in result.files:
        k = where.get(Path(report.path).resolve())
        if k is None or report.source in label_file:
            return None
        label_file[report.source] = k
    masked_file: dict[str, int] = {}
    for label, k in label_file.items():
        if masked_file.setdefault(mask_text(label), k) != k:
            return None
    cases, rejected = result.cases, result.rejected
    case_file = _file_numbers(cases["source_file"], label_file)
    rejected_file = _file_numbers(rejected["source_file"], masked_file)
    if (case_file < 0).any() or (rejected_file < 0).any():
        return None
    duplicate = rejected["reason"].fillna("").str.startswith(prefixes).to_numpy(dtype=bool)
    if duplicate.any():  # within one file only: the row kept must come from the same file
        dup_ids = rejected["case_id"][duplicate]
        # an id that masking changed matches nothing here, and the files are read one by one
        held = cases["case_id"].isin(dup_ids.dropna()).to_numpy(dtype=bool)
        holders = dict(zip(cases["case_id"][held].tolist(), case_file[held].tolist(), strict=True))
        for case_id, k in zip(dup_ids, rejected_file[duplicate].tolist(), strict=True):
            if pd.isna(case_id) or holders.get(case_id) != k:
                return None
    parts = []
    for k in range(len(paths)):
        labels = [label for label, j in label_file.items() if j == k]
        mine = tuple(f"{label}：" for label in labels)
        parts.append(
            IngestResult(
                cases=cases[case_file == k],
                rejected=rejected[rejected_file == k].reset_index(drop=True),
                files=[r for r in result.files if label_file[r.source] == k],
                warnings=[w for w in result.warnings if w.startswith(mine)],
            )
        )
    claimed = {w for part in parts for w in part.warnings}
    parts[0].warnings += [w for w in result.warnings if w not in claimed]  # none is lost
    return parts


def _file_numbers(labels: pd.Series, numbers: dict[str, int]) -> np.ndarray:
    """The file number of each row's label (-1 when unknown), through the categories when categorical."""
    if isinstance(labels.dtype, pd.CategoricalDtype):
        lookup = np.array([numbers.get(str(c), -1) for c in labels.cat.categories] + [-1], dtype=np.int64)
        return lookup[labels.cat.codes.to_numpy()]  # code -1 (missing) picks the trailing -1
    return labels.map(lambda v: numbers.get(v, -1) if isinstance(v, str) else -1).to_numpy(dtype=np.int64)


def ingest_into_store(
    store_dir: str | Path | None,
    files: Iterable[str | Path] | str | Path,
    branch: Branch,
    *,
    progress: Progress | None = None,
    timeout: float | None = None,
) -> IngestSummary:
    """Read the exports at `files` (files or folders) and merge them into the store, atomically.

    Files already in the store (same SHA-256) are skipped; see the module doc for which version of
    a case wins. `progress(message)` receives Chinese progress and waiting messages (without it they
    are logged). Raises the ingest's own errors for an unreadable file (the store is untouched),
    :class:`StoreBusyError` when another process holds the store past `timeout` seconds.
    """
    directory = resolve_store_dir(store_dir)
    db = directory / STORE_FILE
    given = [files] if isinstance(files, str | Path) else list(files)
    paths = expand_paths(given)
    if not paths:  # let ingest raise its own clear error (no export at these paths)
        read_exports(given, branch)
        paths = []
    known = _known_files(db, timeout, progress)
    infos: list[FileIngest] = []
    to_read: list[tuple[Path, str]] = []
    seen: dict[str, str] = {}
    for path in paths:
        sha = file_sha256(path)
        name = mask_text(path.name)
        if sha in known:
            note = f"已导入过（内容与库中的 {mask_text(known[sha])} 相同），跳过"
            infos.append(FileIngest(name=name, path=str(path), sha256=sha, status="skipped", note=note))
        elif sha in seen:
            note = f"内容与本次的 {seen[sha]} 相同，跳过"
            infos.append(FileIngest(name=name, path=str(path), sha256=sha, status="skipped", note=note))
        else:
            seen[sha] = name
            to_read.append((path, sha))
    reads = _read_files(to_read, branch, progress) if to_read else []
    warnings = [w for r in reads for w in r.warnings]
    if not reads:
        cases_total, rejected_total = _counts(db, timeout, progress)
        return IngestSummary(directory, infos, cases_total, rejected_total, warnings)
    directory.mkdir(parents=True, exist_ok=True)
    with _process_lock(db, timeout, progress):
        con = _connect(db, read_only=False, timeout=timeout, progress=progress, waiting=MSG_WAIT_INGEST)
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                cases_total, rejected_total = _merge(con, reads, branch, progress)
                _test_pause()
                con.execute("COMMIT")
            except BaseException:
                with suppress(duckdb.Error):  # a failed COMMIT has already ended the transaction
                    con.execute("ROLLBACK")
                raise
        except duckdb.Error as exc:
            raise StoreError(
                f"写入案件库 {_shown(db)} 失败，案件库保持导入前的状态（{_technical(exc)}）。"
            ) from None
        finally:
            con.close()
    infos += [r.info for r in reads]
    order = {str(p): k for k, p in enumerate(paths)}
    infos.sort(key=lambda f: order.get(f.path, len(order)))
    summary = IngestSummary(directory, infos, cases_total, rejected_total, warnings)
    log.info("%s", summary.message())  # the caller shows the summary (kwstats ingest prints it)
    return summary


def _counts(db: Path, timeout: float | None, progress: Progress | None) -> tuple[int, int]:
    if not db.is_file():
        return 0, 0
    con = _connect(db, read_only=True, timeout=timeout, progress=progress, waiting=MSG_WAIT_INGEST)
    try:
        if not _has_tables(con):
            return 0, 0
        return (
            int(_one(con, "SELECT count(*) FROM cases")[0]),
            int(_one(con, "SELECT count(*) FROM rejected")[0]),
        )
    finally:
        con.close()


def _test_pause() -> None:
    """The test hook of the module doc: touch the marker, then sleep inside the transaction."""
    pause = os.environ.get(_TEST_PAUSE_ENV)
    if not pause:
        return
    marker = os.environ.get(_TEST_MARKER_ENV)
    if marker:
        Path(marker).write_text(str(os.getpid()), encoding="utf-8")
    time.sleep(float(pause))


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


def _newer(a: str, b: str) -> str:
    """SQL: the version key of row alias `a` is greater than that of `b` (module doc)."""
    return (
        f"({a}.version_at > {b}.version_at OR ({a}.version_at = {b}.version_at AND "
        f"({a}.version_name > {b}.version_name OR ({a}.version_name = {b}.version_name AND "
        f"{a}.file_sha256 > {b}.file_sha256))))"
    )


def _merge(
    con: duckdb.DuckDBPyConnection, reads: list[_Read], branch: Branch, progress: Progress | None
) -> tuple[int, int]:
    """Inside the open transaction: stage the files' rows, apply newer-wins, record files and rejections."""
    _ensure_schema(con)
    present = {r[0] for r in con.execute("SELECT sha256 FROM files").fetchall()}
    for r in reads:  # ingested meanwhile by another process: skip now
        if r.info.sha256 in present:
            r.info.status, r.info.note = "skipped", "已由同时进行的另一个导入写入，跳过"
            r.info.rows_read = r.info.rows_used = r.info.rows_set_aside = 0
    reads = [r for r in reads if r.info.status == "ingested"]
    if not reads:
        return _store_counts(con)
    # The files' rows are scanned from their Arrow tables where they are; only keys are materialised.
    select = ", ".join(f"CAST({_q(c)} AS {_SQL_TYPES[t]}) AS {_q(c)}" for c, t in CASE_COLUMNS.items())
    rej_select = ", ".join(f"CAST({_q(c)} AS {t})" for c, t in _REJECT_TYPES.items())
    con.execute(
        "CREATE OR REPLACE TEMP TABLE versions (file_sha256 VARCHAR, version_at TIMESTAMP_NS, version_name VARCHAR)"
    )
    parts = []
    for k, r in enumerate(reads):
        con.register(f"incoming_{k}", r.cases)
        con.register(f"incoming_rejected_{k}", r.rejected)
        con.execute(
            "INSERT INTO versions VALUES ($sha, $at, $name)",
            {"sha": r.info.sha256, "at": r.version_at.to_pydatetime(), "name": mask_text(r.path.name)},
        )
        con.execute(
            f"INSERT INTO rejected ({', '.join(_q(c) for c in (*REJECT_COLUMNS, 'file_sha256'))}) "
            f"SELECT {rej_select}, $sha FROM incoming_rejected_{k}",
            {"sha": r.info.sha256},
        )
        parts.append(
            f"SELECT {select}, '{r.info.sha256}' AS file_sha256 FROM incoming_{k}"
        )  # hex: no quoting
    con.execute("CREATE OR REPLACE TEMP VIEW staged AS " + " UNION ALL ".join(parts))
    # the newest version of each case among the files of this call, then against the store
    con.execute(
        "CREATE OR REPLACE TEMP TABLE best AS SELECT s.case_id, v.* FROM staged s JOIN versions v USING (file_sha256) "
        "QUALIFY row_number() OVER (PARTITION BY s.case_id ORDER BY v.version_at DESC, v.version_name DESC, "
        "v.file_sha256 DESC) = 1"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE winners AS SELECT b.case_id, b.file_sha256, s.case_id IS NOT NULL AS replaces "
        f"FROM best b LEFT JOIN cases s ON s.case_id = b.case_id WHERE s.case_id IS NULL OR {_newer('b', 's')}"
    )
    staged = dict(con.execute("SELECT file_sha256, count(*) FROM staged GROUP BY 1").fetchall())
    won = {
        sha: (int(new), int(upd))
        for sha, new, upd in con.execute(
            "SELECT file_sha256, count(*) FILTER (WHERE NOT replaces), count(*) FILTER (WHERE replaces) "
            "FROM winners GROUP BY 1"
        ).fetchall()
    }
    con.execute("DELETE FROM cases WHERE case_id IN (SELECT case_id FROM winners WHERE replaces)")
    columns = ", ".join(_q(c) for c in (*CASE_COLUMNS, *_VERSION_COLUMNS))
    picked = ", ".join(
        [*(f"s.{_q(c)}" for c in CASE_COLUMNS), "s.file_sha256", "v.version_at", "v.version_name"]
    )
    con.execute(
        f"INSERT INTO cases ({columns}) SELECT {picked} FROM staged s "
        "JOIN winners w ON w.case_id = s.case_id AND w.file_sha256 = s.file_sha256 "
        "JOIN versions v ON v.file_sha256 = s.file_sha256 ORDER BY s.registered_at, s.case_id"
    )
    con.execute("DROP VIEW staged")
    for name in ("winners", "best", "versions"):
        con.execute(f"DROP TABLE {name}")
    for k in range(len(reads)):
        con.unregister(f"incoming_{k}")
        con.unregister(f"incoming_rejected_{k}")
    seq = int(_one(con, "SELECT CAST(value AS BIGINT) FROM meta WHERE key = 'ingest_seq'")[0]) + 1
    con.execute("UPDATE meta SET value = ? WHERE key = 'ingest_seq'", [str(seq)])
    digest = params_digest(branch)
    now = dt.datetime.now()
    for r in reads:
        new, upd = won.get(r.info.sha256, (0, 0))
        r.info.cases_new, r.info.cases_updated = new, upd
        r.info.cases_older = int(staged.get(r.info.sha256, 0)) - new - upd
        values = {
            "sha256": r.info.sha256,
            "name": mask_text(r.path.name),
            "path": mask_text(str(r.path)),
            "size": r.size,
            "exported_at": r.exported_at,
            "mtime": r.mtime.to_pydatetime(),
            "version_at": r.version_at.to_pydatetime(),
            "version_basis": r.info.version_basis,
            "ingest_seq": seq,
            "ingested_at": now,
            "rows_read": r.info.rows_read,
            "rows_used": r.info.rows_used,
            "rows_set_aside": r.info.rows_set_aside,
            "cases_new": new,
            "cases_updated": upd,
            "cases_older": r.info.cases_older,
            "params_digest": digest,
            "kwstats_version": __version__,
            "reports": json.dumps([_masked_report(f) for f in r.reports], ensure_ascii=False, default=str),
            "warnings": json.dumps([mask_text(w) for w in r.warnings], ensure_ascii=False),
            "demo": is_demo_file(r.path),
        }
        cols = ", ".join(_q(c) for c in values)
        marks = ", ".join("?" for _ in values)
        con.execute(f"INSERT INTO files ({cols}) VALUES ({marks})", list(values.values()))
    update_held_spans(con)
    _say(progress, f"已写入 {len(reads)} 个文件，正在提交……")
    return _store_counts(con)


def _masked_report(report: FileReport) -> dict[str, Any]:
    """A file report as the store keeps it: its path, label and sheet name masked (SPEC §2)."""
    d = dataclasses.asdict(report)
    for key in ("path", "source", "sheet"):
        if isinstance(d.get(key), str):
            d[key] = mask_text(d[key])
    return d


def is_demo_file(path: str | Path) -> bool:
    """True when the file lies in a synthetic-sample folder (one holding the sample's marker file)."""
    return any((folder / MARKER_NAME).is_file() for folder in Path(path).resolve().parents)


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


# ---------------------------------------------------------------------------------------------
# reading back


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


# ---------------------------------------------------------------------------------------------
# analysts: SQL, Parquet, state


def _mask_value(value: Any) -> Any:
    """Mask every text inside a value of a query result (texts, bytes, lists, dicts, structs)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, bytes | bytearray):
        return mask_text(bytes(value).decode("utf-8", errors="replace"))
    if isinstance(value, dict):
        return {mask_text(k) if isinstance(k, str) else k: _mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_mask_value(v) for v in value)
    if isinstance(value, np.ndarray):
        return [_mask_value(v) for v in value.tolist()]
    return value


def _mask_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text column (and every text nested in other object columns) masked; names too."""
    out = {}
    for col in frame.columns:
        s = frame[col]
        if isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s.dtype):
            if s.dtype == object and not s.dropna().map(lambda v: isinstance(v, str)).all():
                s = s.map(_mask_value, na_action="ignore")
            else:
                s = mask_series(s)
        elif s.dtype == object:
            s = s.map(_mask_value, na_action="ignore")
        out[mask_text(str(col))] = s
    return pd.DataFrame(out, index=frame.index)


def query(
    store_dir: str | Path | None, sql: str, *, timeout: float | None = None, progress: Progress | None = None
) -> pd.DataFrame:
    """Run an analyst's SQL over the store (tables ``cases``, ``rejected``, ``files``) read-only; texts masked.

    The connection is read-only and has no access to other files, so a query can neither change the
    store nor read or write anything else. Raises :class:`StoreQueryError` (in Chinese) when the SQL
    cannot run.
    """
    config = {"enable_external_access": False, "lock_configuration": True}
    with _reading(resolve_store_dir(store_dir), timeout, progress, config) as con:
        try:
            rel = con.sql(sql)
            frame = pd.DataFrame() if rel is None else rel.to_arrow_table().to_pandas()
        except duckdb.Error as exc:
            raise StoreQueryError(f"SQL 无法执行：{mask_text(str(exc).strip())}") from None
    return _mask_frame(frame)


def export_parquet(
    store_dir: str | Path | None,
    out_dir: str | Path,
    *,
    timeout: float | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write the cases as month-partitioned Parquet, ``out_dir/month=YYYY-MM/part-0.parquet`` (hive style).

    ``month`` is the month of ``registered_at`` (the month a case counts in). Columns: the canonical
    ones plus ``file_sha256``; texts as UTF-8 strings, dates as microsecond timestamps (what Spark,
    Trino and DuckDB all read), flags as booleans. ``_kwstats_export.json`` beside the partitions
    records the store's state. The folder is replaced whole (written beside it, then renamed), and
    only when it is empty or an earlier export.
    """
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / EXPORT_MANIFEST).is_file())):
        raise UsageError(
            f"输出目录 {_shown(out)} 已存在且不是 kwstats 导出的 Parquet 目录，未覆盖。请换一个目录。"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        directory = resolve_store_dir(store_dir)
        with _reading(directory, timeout, progress) as con:
            state = _state(con, directory)
            have = set(_table_columns(con, "cases"))
            cols = [
                f"CAST({_q(c)} AS TIMESTAMP) AS {_q(c)}" if t.startswith("datetime") else _q(c)
                for c, t in CASE_COLUMNS.items()
                if c in have
            ]
            if state["cases"]:
                select = ", ".join([*cols, "file_sha256", "strftime(registered_at, '%Y-%m') AS month"])
                target = str(tmp).replace("'", "''")
                con.execute(
                    f"COPY (SELECT {select} FROM cases ORDER BY registered_at, case_id) TO '{target}' "
                    "(FORMAT parquet, PARTITION_BY (month), FILENAME_PATTERN 'part-{i}', OVERWRITE_OR_IGNORE)"
                )
        months = sorted(p.name.removeprefix("month=") for p in tmp.glob("month=*"))
        manifest = {"store": state, "months": months, "kwstats_version": __version__}
        (tmp / EXPORT_MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        if out.exists():
            os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _say(progress, f"已导出 {state['cases']} 件、{len(months)} 个月到 {_shown(out)}。")
    return out


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
