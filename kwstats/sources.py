"""Where the case rows come from: the given export files and folders, the case store, or the shipped
synthetic sample.

:func:`resolve_data` is the one place that decides it (the CLI, the bulletin and the notebook all
call it; :func:`chosen_store` decides when the case store is used); :func:`load_cases` reads what it
resolved, through the ingest cache or from the store.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kwstats import cache, investigate, store
from kwstats.aggregates import Aggregates
from kwstats.deadlines import DeadlineRules
from kwstats.ingest import IngestResult, expand_paths, read_exports
from kwstats.params import Branch
from kwstats.period import Period
from kwstats.sample import DEFAULT_SAMPLE_DIR, ensure_sample
from kwstats.sample_files import MARKER_NAME, is_current

log = logging.getLogger(__name__)

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class DataSource:
    """A run's data, resolved: absolute paths of the exports (files or folders) and whether it is
    the synthetic sample (pages built from it say 演示). No paths: rows handed over already read,
    or, with `store`, the case store in that folder (kwstats.store)."""

    paths: tuple[Path, ...]
    sample: bool = False
    store: Path | None = None


def store_source(store_dir: str | Path | None = None) -> DataSource:
    """The case store at `store_dir` (default: $KWSTATS_STORE, else data/store) as a run's data;
    StoreNotFoundError when nothing was ingested there. Built from sample files: 演示."""
    state = store.store_state(store_dir)
    folder = store.resolve_store_dir(store_dir).expanduser().resolve()
    return DataSource((), sample=any(f.get("demo") for f in state["files"]), store=folder)


def chosen_store(store_dir: str | Path | None, *, other_data: bool) -> DataSource | None:
    """The store a command reads: the one given (``--store``), else the default one when it exists
    and no other data was named (``--data``/``--sample``); None: read files as before."""
    if store_dir is not None and str(store_dir).strip():
        return store_source(store_dir)
    if not other_data and store.store_exists():
        return store_source(None)
    return None


def resolve_data(
    data: DataSource | Sequence[str | Path] | None, *, say: Callable[[str], None] | None = None
) -> DataSource:
    """The exports at `data`, or without it the synthetic sample (written first if absent; `say`
    tells the user it takes a while). Paths that do not exist raise FileNotFoundError naming them.
    A DataSource (the store, say) is returned as it is."""
    if isinstance(data, DataSource):
        return data
    if not data:
        if say is not None and not is_current(DEFAULT_SAMPLE_DIR):
            say("生成合成样例数据（首次约需半分钟）……")
        return DataSource((ensure_sample().resolve(),), sample=True)
    paths = tuple(Path(p).expanduser().resolve() for p in data)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError(f"找不到导出文件或目录：{'、'.join(missing)}")
    return DataSource(paths, sample=DEFAULT_SAMPLE_DIR.resolve() in paths)


def skipped_sample_folders(paths: Sequence[str | Path]) -> list[Path]:
    """Synthetic-sample folders inside the given folders: ingest passes them over (a folder given
    itself is read)."""
    found = []
    for given in map(Path, paths):
        if not given.is_dir():
            continue
        for root, dirs, _files in os.walk(given, followlinks=True):
            keep = []
            for d in sorted(dirs):
                if d.startswith((".", "~$")):
                    continue
                if (Path(root) / d / MARKER_NAME).is_file():
                    found.append(Path(root) / d)
                else:
                    keep.append(d)
            dirs[:] = keep
    return found


def load_cases(
    branch: Branch,
    data: DataSource | Sequence[str | Path] | None = None,
    progress: Progress | None = None,
    *,
    months: Sequence[str] | None = None,
) -> IngestResult:
    """Read the exports of `data` (a resolved source, or paths for :func:`resolve_data`; None: the sample).

    From the store, `months` (keys "YYYY-MM") limits the cases read to those registered in them (the
    filter runs in the store's SQL), plus what scoping the rows set aside needs (each such file's
    earliest and latest other case: kwstats.store.load_cases_from_store's `context`); every row set
    aside is read. Exports are always read whole.
    """
    source = resolve_data(data)
    if source.store is not None:
        return store.load_cases_from_store(source.store, months=months, context=months is not None)
    for folder in skipped_sample_folders(source.paths):
        log.warning(
            "%s 是合成样例文件夹，与其他数据放在一起时不读取；要用样例请单独给出它或用 --sample。", folder
        )
    paths = list(source.paths)
    files = expand_paths(paths)
    if not files:  # let ingest raise its own clear error
        return read_exports(paths, branch, progress=progress)
    return cache.cached(files, branch, lambda: read_exports(files, branch, progress=progress))


def load_month(
    branch: Branch,
    data: DataSource,
    period: Period,
    rules: DeadlineRules | None = None,
    progress: Progress | None = None,
) -> IngestResult:
    """The cases one month's bulletin reads.

    From the store, only the rows its pages need (the month's, the cases still open at its start
    that a deadline rule covers, those behind its spikes' breakdowns) and everything earlier as
    kwstats.aggregates counted in SQL (kwstats.store.load_month_scope). From exports, every case
    (read whole anyway); the report counts the aggregates from them.
    """
    if data.store is None:
        return load_cases(branch, data, progress)
    return store.load_month_scope(
        data.store,
        period,
        branch.cumulative_windows,
        open_from=rules_start(rules),
        series=lambda cases, past: spiking_series(cases, period.key, past, period.cutoff),
    )


def rules_start(rules: DeadlineRules | None) -> pd.Timestamp | None:
    """The first registration day any deadline rule covers: a case registered earlier has no
    deadline (kwstats.deadlines marks it 未确认 and no month reports it). None: no bound."""
    if rules is None:
        return None
    days = [v.effective_from for key in rules.deadline_keys() for v in rules.versions(key)]
    return pd.Timestamp(min(days)) if days else None


def spiking_series(
    cases: pd.DataFrame, month: str, past: Aggregates, cutoff: pd.Timestamp | None = None
) -> list[tuple[str, str, str, str]]:
    """The month's spiking series as of `cutoff` (kwstats.investigate.spikes with its defaults) and
    the months whose rows their breakdown counts: (field, value, first month, the month itself)."""
    found = investigate.spikes(cases, month, explain_by=(), aggregates=past, cutoff=cutoff)
    out = []
    for f in found:
        if f.kind == "spike":
            window = int(f.numbers["window"])
            first = Period.month(month).shift(-window).key
            out.append((str(f.numbers["field"]), str(f.numbers["value"]), first, month))
    return out


def progress_line(done: int, total: int, name: str) -> None:
    """`读取 3/36：name` on one terminal line, rewritten as files are read."""
    print(
        f"\r读取 {done}/{total}：{name}".ljust(60),
        end="" if done < total else "\n",
        file=sys.stderr,
        flush=True,
    )
