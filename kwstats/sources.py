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
    from kwstats.ingest import read_exports

    if not data:
        from kwstats.sample import ensure_sample

        data = [ensure_sample()]
        log.info("未指定数据，使用合成样例：%s", data[0])
    return read_exports([Path(p) for p in data], branch, progress=progress)
