"""A cache of ingest results, so the monthly run does not re-parse three years of exports each time.

Entries are data only — Parquet for the two tables, JSON for the file reports and warnings — never
pickles: reading a cache entry cannot run anyone's code. What is read back is validated (columns,
dtypes, counts that add up); anything else is a broken entry, and the exports are read afresh with
a warning.

The key covers everything the result depends on: each file's resolved path, size and modification
time, the branch params, the source of the ingest (kwstats/ingest and every kwstats module it imports), the pandas and pyarrow versions, and
today's date (a file that does not say when it was exported is checked for dates after "now").
Any change means a fresh read. Set KWSTATS_NO_CACHE=1 to bypass it, and KWSTATS_CACHE_DIR to move it
(default: ~/.cache/kwstats).
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import errno
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow

from kwstats.aggregates import (
    MONTHLY_COLUMNS,
    Aggregates,
    case_months_frame,
    monthly_frame,
    windows_frame,
)
from kwstats.ingest import FileReport, IngestResult
from kwstats.params import Branch
from kwstats.schema import CASE_COLUMNS, REJECT_COLUMNS, conform

log = logging.getLogger(__name__)
KEEP = 8  # entries kept in the cache folder
FORMAT = 2  # bump when the entry layout changes
_PACKAGE = Path(__file__).resolve().parent
_FILE_REPORT_FIELDS = {f.name for f in dataclasses.fields(FileReport)}


class BrokenEntryError(ValueError):
    """A cache entry that is not what kwstats writes (truncated, foreign or tampered with)."""


def cache_dir() -> Path:
    return Path(os.environ.get("KWSTATS_CACHE_DIR") or Path.home() / ".cache" / "kwstats")


def enabled() -> bool:
    return os.environ.get("KWSTATS_NO_CACHE", "") not in ("1", "true", "yes")


def _code_digest(package: Path = _PACKAGE) -> str:
    """A digest of the source the ingest runs: kwstats/ingest and every kwstats module it imports,
    however indirectly (an edit of, say, the analyst page does not make the next run re-read)."""
    digest = hashlib.sha256()
    for path in sorted(ingest_sources(package)):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ingest_sources(package: Path = _PACKAGE) -> set[Path]:
    """The package's source files the ingest imports: its ``ingest`` subpackage and, following every
    ``import``/``from … import`` of the package (read from the source, nothing imported), each module
    they reach."""
    name = package.name

    def files_of(module: str) -> list[Path]:
        """The module's file and its packages' __init__ files (importing it runs them all)."""
        parts = module.split(".")[1:]
        found = [package.joinpath(*parts[:i], "__init__.py") for i in range(len(parts) + 1)]
        found.append(package.joinpath(*parts).with_suffix(".py") if parts else package / "__init__.py")
        return [f for f in found if f.is_file()]

    todo = [f for f in (package / "ingest").rglob("*.py")]
    seen: set[Path] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        here = [name, *path.relative_to(package).with_suffix("").parts]
        if here[-1] == "__init__":
            here = here[:-1] + ["_"]  # a package's relative imports start at the package itself
        for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                origin = node.module or ""
                if node.level:
                    origin = ".".join(here[: len(here) - node.level] + ([origin] if origin else []))
                modules = [origin] + [f"{origin}.{a.name}" for a in node.names]
            else:
                continue
            for module in modules:
                if module == name or module.startswith(name + "."):
                    todo.extend(files_of(module))
    return seen


def ingest_key(files: Sequence[Path], branch: Branch) -> str:
    """A digest of the files' identity and of everything ingest depends on."""
    stats = []
    for f in files:
        st = Path(f).stat()
        stats.append([str(Path(f).resolve()), st.st_size, st.st_mtime_ns])
    payload = {
        "format": FORMAT,
        "files": stats,
        "branch": branch.model_dump(mode="json"),
        "code": _code_digest(),
        "pandas": pd.__version__,
        "pyarrow": pyarrow.__version__,
        # ingest sets aside dates after "now" when a file does not say when it was exported
        "today": dt.date.today().isoformat(),
    }
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


# ---- one entry: a folder of cases.parquet, rejected.parquet, meta.json ------------------------


def save_ingest(result: IngestResult, folder: Path) -> None:
    """Write `result` into `folder` (created) as data only."""
    folder.mkdir(parents=True, exist_ok=True)
    result.cases.to_parquet(folder / "cases.parquet", engine="pyarrow", index=False)
    result.rejected.to_parquet(folder / "rejected.parquet", engine="pyarrow", index=False)
    meta = {
        "format": FORMAT,
        "files": [dataclasses.asdict(f) for f in result.files],
        "warnings": list(result.warnings),
    }
    if result.aggregates is not None:  # a month's scoped read: its history, counted
        meta["aggregates"] = _aggregates_meta(result.aggregates)
        result.aggregates.monthly.to_parquet(folder / "monthly.parquet", engine="pyarrow", index=False)
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def _aggregates_meta(agg: Aggregates) -> dict[str, Any]:
    first = agg.first_registered
    return {
        "month": agg.month,
        "cutoff": agg.cutoff.isoformat(),
        "first_registered": None if first is None else first.isoformat(),
        "scoped": agg.scoped,
        "case_months": agg.case_months.to_dict(orient="list"),
        "windows": agg.windows.to_dict(orient="records"),
    }


def _load_aggregates(d: Any, folder: Path) -> Aggregates:
    """The aggregates :func:`save_ingest` wrote; BrokenEntryError unless they are."""
    try:
        monthly = pd.read_parquet(folder / "monthly.parquet", engine="pyarrow")
        if list(monthly.columns) != list(MONTHLY_COLUMNS):
            raise BrokenEntryError("历史汇总的列不对")
        first = d["first_registered"]
        return Aggregates(
            month=str(d["month"]),
            cutoff=pd.Timestamp(d["cutoff"]),
            first_registered=None if first is None else pd.Timestamp(first),
            monthly=monthly_frame(monthly),
            case_months=case_months_frame(pd.DataFrame(d["case_months"], columns=["month", "cases"])),
            windows=windows_frame(d["windows"]),
            scoped=bool(d["scoped"]),
        )
    except (OSError, ValueError, KeyError, TypeError, pyarrow.ArrowException) as exc:
        raise BrokenEntryError("历史汇总缺失或无法解析") from exc


def _file_report(d: Any) -> FileReport:
    if not isinstance(d, dict) or not set(d) <= _FILE_REPORT_FIELDS:
        raise BrokenEntryError("文件记录的字段不对")
    report = FileReport(**d)
    ints = ("header_line", "rows_read", "rows_used", "rows_set_aside", "total_rows", "blank_rows")
    if not all(isinstance(getattr(report, k), int) for k in ints) or not isinstance(report.columns, dict):
        raise BrokenEntryError("文件记录的字段类型不对")
    return report


def load_ingest(folder: Path) -> IngestResult:
    """Read an entry written by :func:`save_ingest`; raise BrokenEntryError unless it is one."""
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        cases = pd.read_parquet(folder / "cases.parquet", engine="pyarrow")
        rejected = pd.read_parquet(folder / "rejected.parquet", engine="pyarrow")
    except (OSError, ValueError, pyarrow.ArrowException) as exc:
        raise BrokenEntryError("缓存文件缺失或无法解析") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise BrokenEntryError("不是本版本程序写的缓存")
    if list(cases.columns) != list(CASE_COLUMNS) or list(rejected.columns) != list(REJECT_COLUMNS):
        raise BrokenEntryError("列与案件表不符")
    # Parquet gives an all-empty category column back as plain nulls; anything else must match.
    wrong = [
        c
        for c, t in CASE_COLUMNS.items()
        if str(cases[c].dtype) != t and not (t == "category" and cases[c].isna().all())
    ]
    if wrong:
        raise BrokenEntryError(f"这些列的类型不对：{'、'.join(wrong)}")
    for col, dtype in CASE_COLUMNS.items():
        if (
            dtype == "category"
            and cases[col].dtype == "category"
            and cases[col].cat.categories.dtype.kind not in "OT"
        ):
            raise BrokenEntryError(f"{col} 列的取值不是文字")
    cases = conform(cases)  # the same dtypes a fresh read gives
    files = [_file_report(d) for d in meta.get("files") or []]
    warnings = meta.get("warnings", [])
    if not isinstance(warnings, list) or not all(isinstance(w, str) for w in warnings):
        raise BrokenEntryError("提示不是文字")
    given = meta.get("aggregates")
    aggregates = _load_aggregates(given, folder) if given is not None else None
    result = IngestResult(
        cases=cases, rejected=rejected, files=files, warnings=warnings, aggregates=aggregates
    )
    # a month's scoped read holds only some of the cases the files' reports count
    scoped = aggregates is not None and aggregates.scoped
    if (not scoped and result.rows_used != len(cases)) or result.rows_set_aside != len(rejected):
        raise BrokenEntryError("行数对不上")
    return result


def cached(files: Sequence[Path], branch: Branch, compute: Callable[[], IngestResult]) -> IngestResult:
    """Return the cached result for these files, or compute, store and return it."""
    if not enabled():
        return compute()
    folder = cache_dir()
    entry = folder / f"ingest-{ingest_key(files, branch)}"
    if entry.exists():
        try:
            result = load_ingest(entry)
            log.info("使用读入缓存：%s", entry)
            return result
        except BrokenEntryError as exc:  # a broken cache entry is never fatal: read afresh
            log.warning("读入缓存 %s 无法使用，已重新读取导出文件（%s）。", entry, exc)
            shutil.rmtree(entry, ignore_errors=True)
    result = compute()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=folder, prefix=".tmp-"))
        save_ingest(result, tmp)
        try:
            os.replace(tmp, entry)  # atomic: readers see a whole entry or none
        except OSError:  # another run stored the same entry first
            shutil.rmtree(tmp, ignore_errors=True)
        _prune(folder)
    except (OSError, ValueError, pyarrow.ArrowException) as exc:
        log.warning("无法写入读入缓存 %s（%s），不影响结果。", folder, _why(exc))
    return result


def _why(exc: BaseException) -> str:
    """A short Chinese reason for a failed cache write (the library's English stays out of messages)."""
    reasons = {
        errno.ENOSPC: "磁盘已满",
        errno.EROFS: "只读的磁盘",
        errno.EACCES: "没有写入权限",
        errno.EPERM: "没有写入权限",
        errno.ENOTDIR: "路径中有一部分是文件",
        errno.EEXIST: "同名文件已存在",
    }
    code = getattr(exc, "errno", None)
    return reasons.get(code, f"系统错误 {errno.errorcode.get(code, '未知')}" if code else "写入失败")


def _prune(folder: Path, keep: int = KEEP) -> None:
    """Keep only the `keep` most recently written entries; drop pickles of older versions unread."""
    for old in folder.glob("ingest-*.pickle"):
        old.unlink(missing_ok=True)
    entries = sorted(
        (p for p in folder.glob("ingest-*") if p.is_dir()), key=lambda p: p.stat().st_mtime_ns, reverse=True
    )
    for old in entries[keep:]:
        shutil.rmtree(old, ignore_errors=True)
