"""Exports merged into the store: idempotent, newer wins, atomic, one writer at a time.

- **Idempotent.** Each file ingested is recorded in the ``files`` table by its SHA-256; a file whose
  content is already there (whatever its name) is skipped.
- **Newer wins, older never overwrites.** A case (``case_id``) is replaced only by a row whose file
  key (:mod:`kwstats.store.incoming`) is greater than that of the stored row; an older export's row
  is counted (``cases_older``) and otherwise ignored.
- **Atomic.** One ingest call is one DuckDB transaction (BEGIN … COMMIT, ROLLBACK on any
  exception); exports are read before the lock is taken, so readers are held only while rows are merged.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kwstats import __version__
from kwstats.ingest import FileReport, expand_paths, read_exports
from kwstats.masking import mask_text
from kwstats.params import Branch
from kwstats.sample_files import MARKER_NAME
from kwstats.schema import CASE_COLUMNS, REJECT_COLUMNS
from kwstats.store.connection import (
    MSG_WAIT_INGEST,
    STORE_FILE,
    Progress,
    _connect,
    _process_lock,
    _say,
    _shown,
    _technical,
    duckdb,
    resolve_store_dir,
)
from kwstats.store.errors import StoreError
from kwstats.store.incoming import FileIngest, _Read, _read_files, file_sha256
from kwstats.store.schema import (
    _REJECT_TYPES,
    _SQL_TYPES,
    _VERSION_COLUMNS,
    _check_format,
    _ensure_schema,
    _has_tables,
    _one,
    _q,
    _store_counts,
    update_held_spans,
)

log = logging.getLogger(__name__)
# Test hook (used by tests/test_store.py to kill an ingest inside its transaction): sleep this many
# seconds just before COMMIT, after touching the marker file.
_TEST_PAUSE_ENV = "KWSTATS_STORE_TEST_PAUSE"
_TEST_MARKER_ENV = "KWSTATS_STORE_TEST_MARKER"


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


def params_digest(branch: Branch) -> str:
    """A digest of the branch params, recorded with every file ingested (they shape the rows)."""
    payload = json.dumps(branch.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


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
