"""What each CLI command does, as library functions: each returns what to print and a verdict.

The CLI (kwstats.cli) only converts arguments, calls one of these and prints the :class:`Outcome`;
the exit policy lives here. Exit codes scripts can trust: 0 ok; 1 data problems; 2 usage or params
errors; 75 another run holds the month (``--no-wait``); 130 interrupted by Ctrl-C; 129 and 143 ended
by SIGHUP and SIGTERM (cleaned up like a Ctrl-C).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kwstats import bulletin as official_run
from kwstats import sample as demo
from kwstats import sources, views
from kwstats.checks import Finding, check_table, compare_tables, read_published_table
from kwstats.exceptions import (
    InputFileError,
    MonthLockedError,
    OutputPathError,
    ParamsError,
    Terminated,
    UsageError,
)
from kwstats.indicators import unit_table
from kwstats.ingest import IngestResult, NoExportsFoundError, decode_bytes
from kwstats.ingest.headers import is_column_note
from kwstats.outputs import output_error_text, prepare_out_dir
from kwstats.params import DEFAULT_PARAMS_DIR, load_branch
from kwstats.period import CutoffLike
from kwstats.preflight import preflight
from kwstats.report import build_report
from kwstats.run import Run, resolve_run
from kwstats.sample_files import MARKER_NAME, marker_text
from kwstats.setaside import other_months, split_set_aside, total_rows
from kwstats.sources import Progress, resolve_data
from kwstats.store import StoreBusyError
from kwstats.tables import table_csv, table_markdown

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2
EXIT_LOCKED = 75  # EX_TEMPFAIL (sysexits.h): try again later
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells report for Ctrl-C
EXIT_HANGUP = 129  # 128 + SIGHUP: the terminal was closed
EXIT_TERMINATED = 143  # 128 + SIGTERM: kill, a service manager, a timeout


@dataclass(frozen=True)
class Outcome:
    """A command's result: lines for stdout, notes for stderr (warnings), and the exit code."""

    out: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    code: int = EXIT_OK
    text: str = ""  # output printed as is (a table), after `out`


def exit_code(exc: BaseException) -> int:
    """The exit code for an error that ended a command (see the module docstring)."""
    if isinstance(exc, Terminated):
        return 128 + exc.signum
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, ParamsError | UsageError | FileNotFoundError | NoExportsFoundError):
        return EXIT_USAGE  # a folder without any export is a wrong path, not a data problem
    if isinstance(exc, MonthLockedError | StoreBusyError):
        return EXIT_LOCKED
    return EXIT_DATA  # InputFileError (an unreadable file) and every other kwstats error


def sample(out_dir: str | Path | None, seed: int | None) -> Outcome:
    """Write the synthetic exports and the marker that makes a folder walk pass them over."""
    out = prepare_out_dir(out_dir if out_dir else demo.DEFAULT_SAMPLE_DIR, what="样例输出目录")
    seed = demo.DEFAULT_SEED if seed is None else seed
    try:
        files = demo.write_sample(out, seed=seed)
        (out / MARKER_NAME).write_text(marker_text(seed), encoding="utf-8")
    except OSError as exc:
        raise OutputPathError(output_error_text(out, exc, "样例输出目录")) from None
    return Outcome(out=(f"已生成 {len(files)} 个样例导出文件：{out}",))


def _month_notes(run: Run, ingest: IngestResult) -> list[str]:
    """What every view of a month says beside its numbers: a month without cases, rows set aside for
    it, the export's warnings (the notes on columns summed up in one line: `check` lists them), units
    off the roster, where closures come from."""
    checked = preflight(run, ingest)
    notes = [n for n in (checked.empty, checked.set_aside) if n]
    notes += [w for w in ingest.warnings if not is_column_note(w)]
    notes += column_notes_line(ingest.warnings, run.period.key)
    notes += [n for n in (checked.roster.message, checked.closure_note) if n]
    return notes


def column_notes_line(warnings: Sequence[str], key: str) -> list[str]:
    """The notes on which columns were used or ignored, as one line (none when there are none)."""
    n = sum(1 for w in warnings if is_column_note(w))
    if not n:
        return []
    return [
        f"导出文件的列有 {n} 条说明（同一项有两列时用了哪一列、哪些列未识别），不影响统计；"
        f"运行 kwstats check --month {key} 查看。"
    ]


def table(
    month: str,
    *,
    cutoff: CutoffLike = None,
    data: Sequence[str | Path] | None = None,
    params_dir: str | Path | None = None,
    fmt: str = "markdown",
    progress: Progress | None = None,
) -> Outcome:
    """The month's unit table as markdown or CSV, the month's notes on stderr."""
    run = resolve_run(month, cutoff=cutoff, data=data, params_dir=params_dir)
    # from the case store only the month is read (the table needs no history)
    ingest = sources.load_cases(run.branch, run.data, progress=progress, months=[run.period.key])
    rows = unit_table(ingest.cases, run.branch, run.period.key, run.period.cutoff)
    rule = run.branch.rate_rule
    text = table_csv(rows, rule) if fmt == "csv" else table_markdown(rows, rule)
    return Outcome(notes=tuple(_month_notes(run, ingest)), text=text)


def _rows(title: str, rows: pd.DataFrame) -> list[str]:
    return [title] + [
        f"  {r.source_file} 第 {r.source_line} 行 [{r.column}]：{r.reason}（值：{r.value}）"
        for r in rows.itertuples(index=False)
    ]


def read_published(path: str | Path, rule: str) -> pd.DataFrame:
    """A published unit table (CSV in any encoding the exports use); InputFileError naming it."""
    try:
        raw = Path(path).read_bytes()
        text, _ = decode_bytes(Path(path), raw)
        return read_published_table(pd.read_csv(io.StringIO(text), dtype=str))
    except (OSError, ValueError) as exc:
        raise InputFileError(f"公布表无法读取：{path}（{exc}）") from None


def check_verdict(findings: Sequence[Finding], month_rows_set_aside: int) -> int:
    """One rule whatever the month: errors of the month (impossible rows, disagreement with the
    publication) and rows set aside that belong to the month fail; anomalies for the analyst
    (off-roster units, thresholds, spikes) and other months' set-aside rows do not."""
    problems = [f for f in findings if f.severity == "error"]
    return EXIT_DATA if problems or month_rows_set_aside else EXIT_OK


def check(
    data: Sequence[str | Path] | None,
    *,
    month: str | None = None,
    cutoff: CutoffLike = None,
    params_dir: str | Path | None = None,
    published: str | Path | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """Rows read, used and set aside, the month's findings, and optionally the published table's
    disagreements with the computed one. Without `month`: the last month in the data."""
    source = resolve_data(data)
    if month is None:
        ingest = sources.load_cases(load_branch(params_dir or DEFAULT_PARAMS_DIR), source, progress)
        out = _read_lines(ingest)
        if ingest.cases.empty:
            return Outcome(out=(*out, "没有可用的案件。"), code=EXIT_DATA)
        month = ingest.cases["registered_at"].max().strftime("%Y-%m")
        run = resolve_run(month, cutoff=cutoff, data=source, params_dir=params_dir)
    else:
        run = resolve_run(month, cutoff=cutoff, data=source, params_dir=params_dir)
        ingest = sources.load_cases(run.branch, source, progress)
        out = _read_lines(ingest)
    key = run.period.key
    totals = total_rows(ingest.rejected)
    if totals is not None and len(totals):
        out.append(f"合计行 {len(totals)} 行（每个文件末尾的“合计”行，不是案件，已剔除）。")
    mine, history = split_set_aside(ingest, run.period)
    if len(mine):
        why = "来自含本月案件的文件、编号是本月的案件，或看不出属于哪个月"
        out += _rows(f"与 {key} 有关的剔除行 {len(mine)} 行（{why}；计入退出码）：", mine)
    if len(history):
        what = other_months(ingest, history, run.period)
        out += _rows(
            f"其他月份文件中的剔除行 {len(history)} 行（{what}：只列出，不影响 {key} 的退出码）：", history
        )
    report = build_report(run, ingest)
    if report.summary.closure_note:
        out.append(f"办结情况：{report.summary.closure_note}")
    checked = preflight(run, ingest)
    roster = checked.roster
    if roster.accepted:
        out.append(
            f"名册外：受理 {roster.accepted} 件中 {roster.off_roster} 件（{100 * roster.share:.0f}%）"
            f"不在名册的任何单位下（提示线 {100 * run.branch.off_roster_warn_share:.0f}%，"
            f"正式通报停止线 {100 * run.branch.off_roster_stop_share:.0f}%）。"
        )
    if roster.message:
        out.append(f"  {roster.message}")
    findings = [f for f in report.findings if f.kind != "set_aside"] + views.investigation_findings(report)
    if checked.empty:  # a month without any case is no clean bill of health
        findings.insert(0, Finding(kind="empty_month", severity="error", month=key, message=checked.empty))
    if published:
        table = read_published(published, run.branch.rate_rule)
        findings += check_table(table, run.branch.rate_rule, source="公布表")
        findings += compare_tables(table, report.table, run.branch.rate_rule)
    out.append(f"{key} 核对发现 {len(findings)} 条：")
    for f in findings:
        more = " 等" if len(f.case_ids) > 5 else ""
        ids = f"（案件：{'、'.join(f.case_ids[:5])}{more}）" if f.case_ids else ""
        out.append(f"  [{f.label}] {f.message}{ids}")
    return Outcome(out=tuple(out), code=check_verdict(findings, len(mine)))


def _read_lines(ingest: IngestResult) -> list[str]:
    out = [f"读入 {ingest.rows_read} 行：使用 {ingest.rows_used} 行，剔除 {ingest.rows_set_aside} 行。"]
    out += [
        f"  {f.source}：读入 {f.rows_read}，使用 {f.rows_used}，剔除 {f.rows_set_aside}" for f in ingest.files
    ]
    out += [f"  注意：{w}" for w in ingest.warnings]
    return out


def bulletin(
    month: str,
    *,
    data: Sequence[str | Path] | None,
    params_dir: str | Path | None,
    out_dir: str | Path,
    cutoff: CutoffLike,
    draft: bool,
    wait: bool,
) -> Outcome:
    """Build the month's bulletin (kwstats.bulletin) and list the four outputs."""
    outputs = official_run.build_bulletin(
        month,
        data=data,
        params_dir=params_dir,
        out_dir=out_dir,
        cutoff=cutoff,
        draft=draft,
        progress=True,
        wait=wait,
    )
    return Outcome(out=tuple(f"{label}：{path}" for label, path in outputs.items()))
