"""``kwstats backfill``: every month's bulletin of a range, built in parallel, unchanged months skipped.

1. resolve the range and the data once (the case store, exports, or the sample) and read the cases
   once in this process (the ingest cache then serves the workers);
2. per month: official when its params file (``params/YYYY-MM.yaml``, the prose) exists, else a
   draft (【草稿】, said in the summary and on the index page); its fingerprint
   (kwstats.provenance) compared with the one recorded in the existing bulletin's notebook: equal
   means skipped (``--force`` rebuilds);
3. the rest built by ``kwstats.bulletin.build_bulletin`` in a process pool of ``jobs`` workers
   (default: the machine's cores). Kernels do not race: each worker has its own Jupyter runtime
   folder (connection files), and the workers' first kernels start :data:`STAGGER_SECONDS` apart so
   that two kernels never load their libraries at the same moment on a small machine; a kernel that
   fails to start is retried once. One month failing does not stop the others;
4. one progress bar (tqdm, on stderr, on a terminal), then ``<out>/index.html`` (kwstats.index_page).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from kwstats import bulletin as official_run
from kwstats import index_page, provenance
from kwstats.exceptions import KwstatsError, NotebookExecutionError, UsageError
from kwstats.masking import mask_text
from kwstats.outputs import prepare_out_dir
from kwstats.params import DEFAULT_PARAMS_DIR, load_branch
from kwstats.period import Period
from kwstats.run import resolve_run
from kwstats.sources import DataSource, load_cases, resolve_data

log = logging.getLogger(__name__)
STAGGER_SECONDS = 3.0
MAX_MONTHS = 600


@dataclass
class MonthResult:
    """What happened to one month."""

    month: str
    status: str  # "built", "skipped" or "failed"
    draft: bool
    message: str = ""
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class BackfillResult:
    """Every month of the range, and the index page written."""

    months: list[MonthResult]
    index: Path | None

    def of(self, status: str) -> list[MonthResult]:
        return [m for m in self.months if m.status == status]


def month_range(first: str, last: str) -> list[str]:
    """Every month key from `first` to `last`, both included (UsageError in Chinese when reversed)."""
    a, b = Period.month(first), Period.month(last)
    if a.start > b.start:
        raise UsageError(f"--from {a.key} 晚于 --to {b.key}：请把较早的月份写在 --from。")
    keys = [str(p) for p in pd.period_range(a.key, b.key, freq="M")]
    if len(keys) > MAX_MONTHS:
        raise UsageError(f"一次最多补生成 {MAX_MONTHS} 个月（给出的是 {len(keys)} 个月）。")
    return keys


def spans(months: Sequence[str]) -> str:
    """``2020-01～2021-12、2022-02`` for a list of month keys (runs of consecutive months joined)."""
    out: list[str] = []
    run: list[str] = []
    for m in sorted(months):
        if run and pd.Period(m, "M").ordinal - pd.Period(run[-1], "M").ordinal != 1:
            out.append(run[0] if len(run) == 1 else f"{run[0]}～{run[-1]}")
            run = []
        run.append(m)
    if run:
        out.append(run[0] if len(run) == 1 else f"{run[0]}～{run[-1]}")
    return "、".join(out)


# ---- workers ---------------------------------------------------------------------------------


class _Collect(logging.Handler):
    """A worker's warnings, kept for the parent (printed after the progress bar, not under it)."""

    lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        _Collect.lines.append(record.getMessage())


def _worker_init(counter: Any, stagger: float) -> None:
    """Each worker: its own Jupyter runtime folder, warnings collected, the first start staggered."""
    runtime = tempfile.mkdtemp(prefix="kwstats-kernels-")
    os.environ["JUPYTER_RUNTIME_DIR"] = runtime
    handler = _Collect(level=logging.WARNING)
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    for name in ("papermill", "nbclient", "traitlets", "jupyter_client", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    with counter.get_lock():
        index = counter.value
        counter.value += 1
    time.sleep(index * stagger)


def _build(month: str, data: DataSource, params_dir: str | None, out_dir: str, draft: bool) -> MonthResult:
    """Build one month (in a worker, or in this process with one job)."""
    _Collect.lines = []
    start = time.monotonic()
    for attempt in (1, 2):
        try:
            official_run.build_bulletin(
                month, data=data, params_dir=params_dir, out_dir=out_dir, draft=draft, progress=False
            )
            return MonthResult(
                month, "built", draft, warnings=list(_Collect.lines), seconds=time.monotonic() - start
            )
        except NotebookExecutionError as exc:
            if attempt == 1 and "无法启动" in str(exc):  # a kernel that did not start: once more
                time.sleep(STAGGER_SECONDS)
                continue
            message = str(exc)
        except (KwstatsError, FileNotFoundError) as exc:
            message = str(exc)
        except Exception as exc:  # noqa: BLE001 - one month's failure never stops the others
            message = f"{type(exc).__name__}: {exc}"
        return MonthResult(
            month,
            "failed",
            draft,
            message=mask_text(message),
            warnings=list(_Collect.lines),
            seconds=time.monotonic() - start,
        )
    raise AssertionError("unreachable")


# ---- the plan --------------------------------------------------------------------------------


@dataclass
class _Task:
    month: str
    draft: bool
    fingerprint: str | None
    folder: str


def _plan(
    months: Sequence[str], source: DataSource, params_dir: str | None, out_root: Path, force: bool
) -> tuple[list[_Task], list[MonthResult]]:
    """Which months to build (with draft or official) and which are skipped or fail before building."""
    folder_dir = Path(params_dir).expanduser().resolve() if params_dir else DEFAULT_PARAMS_DIR
    branch = load_branch(folder_dir)
    ingest = None if source.store is not None else load_cases(branch, source)
    inputs, _state = provenance.data_inputs(source, ingest)
    tasks, done = [], []
    for month in months:
        official = (folder_dir / f"{month}.yaml").is_file()
        try:
            run = resolve_run(month, data=source, params_dir=folder_dir, official=official)
        except KwstatsError as exc:
            done.append(MonthResult(month, "failed", not official, message=mask_text(str(exc))))
            continue
        fp = provenance.month_fingerprint(run, inputs)
        folder = run.period.folder
        rec = provenance.recorded(out_root / folder / official_run.OUTPUTS["执行后的 notebook"])
        complete = all((out_root / folder / name).is_file() for name in official_run.OUTPUTS.values())
        if not force and complete and rec is not None and rec.get("fingerprint") == fp:
            done.append(MonthResult(month, "skipped", not official))
        else:
            tasks.append(_Task(month, not official, fp, folder))
    return tasks, done


def backfill(
    first: str,
    last: str,
    *,
    data: DataSource | Sequence[str | Path] | None = None,
    params_dir: str | Path | None = None,
    out_dir: str | Path = "outputs",
    jobs: int | None = None,
    force: bool = False,
    progress: bool = False,
) -> BackfillResult:
    """Build every month from `first` to `last` into `out_dir` (see the module docstring)."""
    months = month_range(first, last)
    if jobs is not None and jobs < 1:
        raise UsageError(f"--jobs 应为正整数，而不是 {jobs}。")
    source = resolve_data(data)
    out_root = prepare_out_dir(out_dir)
    params = str(params_dir) if params_dir else None
    tasks, results = _plan(months, source, params, out_root, force)
    workers = max(1, min(jobs or os.cpu_count() or 1, len(tasks) or 1))
    from tqdm.auto import tqdm  # third-party (comes with papermill): only backfill draws a bar

    bar = tqdm(
        total=len(months),
        desc="生成通报",
        unit="月",
        file=sys.stderr,
        disable=not progress or None,
        initial=len(results),
        dynamic_ncols=True,
    )
    try:
        results += _run(tasks, source, params, str(out_root), workers, bar)
    finally:
        bar.close()
    results.sort(key=lambda r: r.month)
    index = index_page.write_index(out_root)
    return BackfillResult(results, index)


def _run(
    tasks: list[_Task], source: DataSource, params: str | None, out: str, workers: int, bar: Any
) -> list[MonthResult]:
    if not tasks:
        return []
    if workers == 1:
        results = []
        for t in tasks:
            bar.set_postfix_str(t.month)
            results.append(_build(t.month, source, params, out, t.draft))
            bar.update(1)
        return results
    context = multiprocessing.get_context("spawn")  # a clean interpreter: no threads or locks inherited
    counter = context.Value("i", 0)
    results: list[MonthResult] = []
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_worker_init, initargs=(counter, STAGGER_SECONDS)
    ) as pool:
        pending: dict[Future, _Task] = {
            pool.submit(_build, t.month, source, params, out, t.draft): t for t in tasks
        }
        try:
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    task = pending.pop(fut)
                    try:
                        result = fut.result()
                    except Exception as exc:  # noqa: BLE001 - a worker that died
                        result = MonthResult(
                            task.month,
                            "failed",
                            task.draft,
                            message=f"生成进程意外退出（{type(exc).__name__}）",
                        )
                    results.append(result)
                    bar.set_postfix_str(task.month)
                    bar.update(1)
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise
    return results


def summary_lines(result: BackfillResult) -> tuple[list[str], list[str]]:
    """(lines for stdout, notes for stderr) describing a backfill."""
    built, skipped, failed = result.of("built"), result.of("skipped"), result.of("failed")
    out = []
    drafts = [m.month for m in built if m.draft]
    text = f"生成 {len(built)} 个月"
    if drafts:
        text += f"（其中 {len(drafts)} 个月没有本月参数文件，生成为【草稿】：{spans(drafts)}）"
    text += f"；跳过 {len(skipped)} 个输入和参数都未变化的月份"
    if skipped:
        text += f"（{spans([m.month for m in skipped])}）"
    text += f"；失败 {len(failed)} 个。"
    out.append(text)
    for m in failed:
        out.append(f"  {m.month} 未生成：{m.message}")
    if result.index is not None:
        out.append(f"索引页：{result.index}")
    seen: dict[str, list[str]] = {}
    for m in result.months:
        for w in m.warnings:
            seen.setdefault(w, []).append(m.month)
    notes = [f"{w}（{spans(ms)}）" for w, ms in seen.items()]
    return out, notes
