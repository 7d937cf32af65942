"""A cache of ingest results, so the monthly run does not re-parse three years of exports each time.

The key covers everything the result depends on: each file's resolved path, size and modification
time, the branch's header aliases, personal headers and kinds, the source of the ingest code, and
the pandas version. Any change means a fresh read. Set KWSTATS_NO_CACHE=1 to bypass it, and
KWSTATS_CACHE_DIR to move it (default: ~/.cache/kwstats).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from kwstats.params import Branch

log = logging.getLogger(__name__)
_CODE = ("ingest.py", "masking.py", "schema.py", "cache.py")
KEEP = 8  # entries kept in the cache folder


def cache_dir() -> Path:
    return Path(os.environ.get("KWSTATS_CACHE_DIR") or Path.home() / ".cache" / "kwstats")


def enabled() -> bool:
    return os.environ.get("KWSTATS_NO_CACHE", "") not in ("1", "true", "yes")


def ingest_key(files: Sequence[Path], branch: Branch) -> str:
    """A digest of the files' identity and of everything ingest depends on."""
    here = Path(__file__).resolve().parent
    stats = []
    for f in files:
        st = Path(f).stat()
        stats.append([str(Path(f).resolve()), st.st_size, st.st_mtime_ns])
    payload = {
        "files": stats,
        "branch": branch.model_dump(mode="json", include={"headers", "personal_headers", "kinds"}),
        "code": [hashlib.sha256((here / name).read_bytes()).hexdigest() for name in _CODE],
        "pandas": pd.__version__,
    }
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def cached(files: Sequence[Path], branch: Branch, compute: Callable[[], object]) -> object:
    """Return the cached result for these files, or compute, store and return it."""
    if not enabled():
        return compute()
    path = cache_dir() / f"ingest-{ingest_key(files, branch)}.pickle"
    if path.exists():
        try:
            with path.open("rb") as fh:
                result = pickle.load(fh)
            log.info("使用读入缓存：%s", path)
            return result
        except Exception as exc:  # a broken cache file is never fatal: read afresh
            log.warning("读入缓存损坏，重新读取（%s）", exc)
    result = compute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        _prune(path.parent)
    except OSError as exc:
        log.warning("无法写入读入缓存（%s），不影响结果。", exc)
    return result


def _prune(folder: Path, keep: int = KEEP) -> None:
    """Keep only the `keep` most recently written entries."""
    entries = sorted(folder.glob("ingest-*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in entries[keep:]:
        old.unlink(missing_ok=True)
