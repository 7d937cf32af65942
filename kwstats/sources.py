"""Where the case rows come from: the given export paths, or the shipped synthetic sample."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from kwstats.params import Branch

log = logging.getLogger(__name__)


def load_cases(
    branch: Branch,
    data: Sequence[str | Path] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
):
    """Read the exports at `data` (files or folders); without `data`, the synthetic sample (made if absent)."""
    from kwstats import cache
    from kwstats.ingest import expand_paths, read_exports

    if not data:
        from kwstats.sample import ensure_sample

        data = [ensure_sample()]
        log.info("未指定数据，使用合成样例：%s", data[0])
    paths = [Path(p) for p in data]
    files = expand_paths(paths)
    if not files:  # let ingest raise its own clear error
        return read_exports(paths, branch, progress=progress)
    return cache.cached(files, branch, lambda: read_exports(files, branch, progress=progress))
