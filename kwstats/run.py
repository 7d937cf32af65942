"""One run, resolved once: the period, the params bundle, the data source and the flags.

:func:`resolve_run` is what every entry point calls with what the user typed (the CLI's options,
the bulletin's arguments, the analyst's notebook parameters): it parses the month and the cutoff,
reads and validates the params folder, and decides where the case rows come from. Below it, code
receives the :class:`Run` and never parses or resolves those again.

The bulletin's kernel does not resolve anything: ``kwstats bulletin`` hands it the resolved period
as plain values and the cases it already read (``ingest_dir``), and :func:`notebook_run` rebuilds
the Run from them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from kwstats.cache import load_ingest
from kwstats.deadlines import DeadlineRules, load_deadline_rules
from kwstats.exceptions import UsageError
from kwstats.ingest import IngestResult
from kwstats.params import DEFAULT_PARAMS_DIR, Branch, Month, load_branch, load_month
from kwstats.period import CutoffLike, Period
from kwstats.prose import ProseReport, stale_prose
from kwstats.sources import DataSource, load_cases, resolve_data
from kwstats.workdays import WorkdayCalendar


@dataclass(frozen=True)
class Params:
    """The params folder as one period reads it: the branch, the month's prose, the deadline rules,
    the working-day calendar and the check of the prose against earlier months.

    The rules, the calendar and the prose check are read on first use (``kwstats table`` needs
    none of them) and then kept; :meth:`load_all` reads them at once, so an official run stops on a
    broken file before any kernel starts.
    """

    dir: Path
    key: str  # the month the prose belongs to ("2022-01")
    branch: Branch
    month: Month

    @property
    def month_file(self) -> Path:
        """params/<month>.yaml (it may not exist: see :attr:`has_month_file`)."""
        return self.dir / f"{self.key}.yaml"

    @property
    def has_month_file(self) -> bool:
        return self.month_file.exists()

    @cached_property
    def rules(self) -> DeadlineRules:
        return load_deadline_rules(self.dir)

    @cached_property
    def calendar(self) -> WorkdayCalendar:
        return WorkdayCalendar.from_params(self.dir)

    @cached_property
    def prose(self) -> ProseReport:
        """Earlier months' text copied unchanged (errors stop an official run; warnings are shown)."""
        return stale_prose(self.key, self.dir, log_warnings=False)

    def load_all(self) -> Params:
        """Read and validate every params file now (ParamsError naming the file and field)."""
        _ = self.rules, self.calendar, self.prose
        return self


def load_params(params_dir: str | Path | None, period: Period, *, required: bool = False) -> Params:
    """The branch and the period's prose from `params_dir` (default: the project's params/).

    `required`: a missing month file is a ParamsError (an official run), not an empty Month.
    """
    folder = Path(params_dir).expanduser().resolve() if params_dir else DEFAULT_PARAMS_DIR
    branch = load_branch(folder)
    month = load_month(period.key, folder, required=required)
    return Params(dir=folder, key=period.key, branch=branch, month=month)


@dataclass(frozen=True)
class Run:
    """Everything one run is about, resolved: what the report, the CLI and the bulletin receive."""

    period: Period
    params: Params
    data: DataSource
    official: bool = False  # an official bulletin: refuses what would make it misleading
    preview: bool = False  # a bulletin built with --draft: its page is always marked 【草稿】

    @property
    def draft(self) -> bool:
        return not self.official

    @property
    def sample(self) -> bool:
        """Built from the synthetic sample: the page says 演示."""
        return self.data.sample

    @property
    def branch(self) -> Branch:
        return self.params.branch


def resolve_run(
    month: object,
    *,
    cutoff: CutoffLike = None,
    data: DataSource | Sequence[str | Path] | None = None,
    params_dir: str | Path | None = None,
    official: bool = False,
    say: Callable[[str], None] | None = None,
) -> Run:
    """Resolve what the user gave, in the order mistakes are reported: the month, the params (the
    month's file required and its typical case new when `official`), the cutoff (given, else the
    month's params, else the month's end), then the data (None: the synthetic sample, written first
    if absent, `say` telling the user)."""
    period = Period.month(month)
    params = load_params(params_dir, period, required=official)
    if official:
        params.prose.raise_errors()
    given = cutoff if not (cutoff is None or (isinstance(cutoff, str) and not cutoff.strip())) else None
    period = period.with_cutoff(given if given is not None else params.month.cutoff)
    source = data if isinstance(data, DataSource) else resolve_data(data, say=say)
    return Run(period=period, params=params, data=source, official=official)


def kernel_parameters(run: Run) -> dict[str, Any]:
    """What ``kwstats bulletin`` injects into the notebook besides ingest_dir and output_dir: plain,
    resolved values, and no data path (a file name may carry a phone number)."""
    return {
        "month": run.period.key,  # what the parameters cell shows; the kernel reads `period`
        "period": run.period.as_dict(),
        "params_dir": str(run.params.dir),
        "official": run.official,
        "sample": run.sample,
    }


def notebook_run(
    month: object = None,
    *,
    data_paths: Sequence[str | Path] | None = None,
    params_dir: str | Path | None = None,
    cutoff: CutoffLike = None,
    official: bool = False,
    period: dict[str, str] | None = None,
    ingest_dir: str | Path | None = None,
    sample: bool = False,
) -> tuple[Run, IngestResult]:
    """The notebook's one entry: the run and its cases.

    Executed by ``kwstats bulletin`` (`period` and `ingest_dir` given), nothing is resolved again:
    the period is read back from its plain values and the cases from the folder the parent wrote.
    In JupyterLab (no `ingest_dir`), the run is resolved here from what the analyst typed, by the
    same :func:`resolve_run` the command line uses.
    """
    if ingest_dir is not None:
        if not (Path(ingest_dir) / "meta.json").is_file():
            raise UsageError(
                "这是 kwstats bulletin 执行后保存的 notebook，它读入的案件只在生成通报时存在，已经删除。"
                "要重新运行，请用 make lab 打开工作副本 work/monthly_bulletin.ipynb，设置 month 和 data_paths 后全部运行。"
            )
        resolved = Period.from_dict(period or {})
        params = load_params(params_dir, resolved, required=official)
        # a bulletin run is official or a --draft preview, never anything in between
        run = Run(
            period=resolved,
            params=params,
            data=DataSource((), sample=sample),
            official=official,
            preview=not official,
        )
        return run, load_ingest(Path(ingest_dir))
    run = resolve_run(month, cutoff=cutoff, data=data_paths, params_dir=params_dir, official=official)
    return run, load_cases(run.branch, run.data)
