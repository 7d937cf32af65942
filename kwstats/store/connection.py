"""Where the store is and how it is opened: locations, connections that wait for DuckDB's file lock, the
in-process writer lock, short read-only connections (format checked), messages shown masked.

DuckDB locks the file: one writer, or any number of readers. A second ingest retries, saying
“另一个导入正在进行，等待……” (a reader: “案件库正在导入数据，等待……”), and gives up with
:class:`~kwstats.store.errors.StoreBusyError` after ``timeout`` seconds (default 600, env
``KWSTATS_STORE_WAIT``).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kwstats.masking import mask_text
from kwstats.store.errors import StoreBusyError, StoreError, StoreNotFoundError
from kwstats.store.schema import _check_format

if TYPE_CHECKING:
    import duckdb
else:

    class _DuckDB:
        """duckdb, imported on first use: every run imports the store (kwstats.sources), few open one."""

        def __getattr__(self, name: str) -> Any:
            import duckdb  # third-party, ~0.2 s: only a run that reads or writes a store needs it

            return getattr(duckdb, name)

    duckdb = _DuckDB()

log = logging.getLogger(__name__)

STORE_FILE = "cases.duckdb"
DEFAULT_STORE_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "store"
STORE_ENV = "KWSTATS_STORE"
WAIT_ENV = "KWSTATS_STORE_WAIT"
DEFAULT_WAIT_SECONDS = 600.0
MSG_WAIT_INGEST = "另一个导入正在进行，等待……"
MSG_WAIT_READ = "案件库正在导入数据，等待……"
_POLL_SECONDS = 0.2
_WAIT_REMINDER_SECONDS = 30.0
_PROCESS_LOCKS: dict[str, threading.Lock] = {}
_PROCESS_LOCKS_GUARD = threading.Lock()

Progress = Callable[[str], None]


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
