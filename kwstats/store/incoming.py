"""Exports read for the store: each file as if read alone, its version time, kept as Arrow tables.

A file's version key is ``(version_at, name, sha256)``. ``version_at`` is the export time the file
states (its “导出时间” note, read by ingest into :attr:`kwstats.ingest.FileReport.exported_at`; a
bare date means the end of that day), or, when it states none, the file's modification time (as a
naive Beijing time). Each file is read as if alone with :func:`kwstats.ingest.read_exports` (see
:func:`_read_files`), so a case appearing in two exports is a newer version, never a “duplicate” set
aside; duplicates within one export are still set aside by ingest.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from kwstats.ingest import REASON_CONFLICT, REASON_DUPLICATE, FileReport, IngestResult, read_exports
from kwstats.masking import mask_text
from kwstats.params import Branch
from kwstats.schema import CASE_COLUMNS, REJECT_COLUMNS, conform
from kwstats.store.connection import Progress, _say


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
