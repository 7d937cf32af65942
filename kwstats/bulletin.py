"""The official monthly run, as a list of named steps (like papermill's ``execute_notebook``).

1. resolve the run (month, params, cutoff, data) and read every params file — mistakes are usage
   errors naming the file, before anything starts;
2. check the output folder (kwstats.outputs);
3. read the cases in this process and refuse an official run for a month without any complaint or
   report, or with most cases off the roster (kwstats.preflight);
4. under the month's lock, in a scratch folder: hand the cases to the kernel as data (``.ingest``),
   execute the notebook with resolved parameters (kwstats.kernel), relay its warnings, convert it to
   the official and analyst HTML (kwstats.render), and swap the folder into place (kwstats.outputs).

The details of each step live in its module; this one holds none of its own.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from kwstats import kernel, provenance, render
from kwstats.cache import save_ingest
from kwstats.exceptions import KwstatsError, NotebookExecutionError, OutputPathError
from kwstats.outputs import (
    check_target,
    clean_leftovers,
    month_lock,
    output_error_text,
    prepare_out_dir,
    scratch_folder,
    swap_in,
)
from kwstats.period import CutoffLike, Period
from kwstats.preflight import preflight
from kwstats.run import Run, kernel_parameters, resolve_run
from kwstats.sources import load_month, progress_line

log = logging.getLogger(__name__)
INGEST_DIR = ".ingest"  # inside the scratch folder: the cases the parent read, for the kernel
OUTPUTS = {
    "正式版": "bulletin.html",
    "分析版": "bulletin-analyst.html",
    "执行后的 notebook": "bulletin.ipynb",
    "统计表": "table.xlsx",
    "下钻明细": "drilldown.xlsx",  # written by the notebook's analyst cells (kwstats.workbench)
}


def _say(progress: bool, message: str) -> None:
    if progress:
        print(message, file=sys.stderr, flush=True)


def build_bulletin(
    month: str,
    *,
    data: Sequence[str | Path] | None = None,
    params_dir: str | Path | None = None,
    out_dir: str | Path = "outputs",
    cutoff: CutoffLike = None,
    draft: bool = False,
    progress: bool = False,
    wait: bool = True,
) -> dict[str, Path]:
    """Write outputs/<month>/: bulletin.html, bulletin-analyst.html, bulletin.ipynb, table.xlsx,
    drilldown.xlsx.

    An official run refuses a month without its params file, with an earlier month's typical case,
    without any case or with most cases off the roster; `draft=True` builds it anyway, marked
    【草稿】 on the page. Without `data`, the synthetic sample is used (the page says 演示).
    `wait=False`: raise MonthLockedError instead of waiting while another run holds the month.
    """
    run = resolve_run(
        month,
        cutoff=cutoff,
        data=data,
        params_dir=params_dir,
        official=not draft,
        say=lambda m: _say(progress, m),
    )
    run.params.load_all()  # deadline rules, calendar: a broken file stops here, not in the kernel
    if run.sample:
        log.warning("使用合成样例数据（演示用的虚构案件），通报中会标明“演示”。")
    out_root = prepare_out_dir(out_dir)
    check_target(out_root, run.period.folder)  # a file or a link where the month's folder goes
    ingest = load_month(  # from the store: the month's rows and the aggregates of before
        run.branch,
        run.data,
        run.period,
        run.params.rules,
        progress=progress_line if progress and sys.stderr.isatty() else None,
    )
    checked = preflight(run, ingest)
    if checked.set_aside:
        log.warning("%s", checked.set_aside)
    built_from = provenance.record(run, ingest)  # input/params hashes, versions: the notebook's metadata
    folder = run.period.folder  # another cutoff never overwrites the month's official bulletin
    failed = out_root / f"{folder}-failed.ipynb"
    with month_lock(out_root, folder, wait=wait):
        clean_leftovers(out_root, folder)
        check_target(out_root, folder)
        with scratch_folder(out_root, folder) as scratch, kernel.started(scratch) as early:
            # the kernel boots and imports its libraries while this process writes the cases for it
            # and loads papermill and nbconvert
            try:  # a full disk (or one turned read-only) while writing: one Chinese line, exit 2
                save_ingest(ingest, scratch / INGEST_DIR)
                kernel.load_papermill()  # first: nbconvert's import would delay the kernel's start
                # nbconvert loads while the kernel works (the parent only waits for the kernel then)
                warming = threading.Thread(target=render.warm_up, name="nbconvert-warm-up", daemon=True)
                warming.start()
                executed = _execute(run, scratch, failed, progress, early)
                shutil.rmtree(scratch / INGEST_DIR)
                provenance.stamp(executed, built_from, scratch / OUTPUTS["执行后的 notebook"])
                warming.join()
                _convert(run, executed, scratch, progress)
            except OSError as exc:
                raise OutputPathError(output_error_text(out_root, exc)) from None
            swap_in(scratch, out_root / folder)
        with contextlib.suppress(OSError):  # an earlier failure's notebook no longer says anything true
            failed.unlink(missing_ok=True)
    final = out_root / folder
    _say(progress, f"完成：{final}")
    return {label: final / name for label, name in OUTPUTS.items()}


def _execute(run: Run, scratch: Path, kept: Path, progress: bool, early: kernel.Kernel | None = None):
    """Execute the notebook in the scratch folder; relay its warnings (the set-aside line was said
    already). A failed run keeps its executed notebook beside the month's folder."""
    executed = scratch / OUTPUTS["执行后的 notebook"]
    parameters = {**kernel_parameters(run), "ingest_dir": INGEST_DIR, "output_dir": "."}
    _say(progress, f"执行通报 notebook（{run.period.key}，约需十几秒）……")
    try:
        nb = kernel.execute_notebook(
            executed,
            parameters,
            cwd=scratch,
            failure_note=f"已执行的 notebook 保存在 {kept}，可打开查看；原有的通报未被改动。",
            kernel=early,
        )
    except KwstatsError:  # the kernel's error, as its own kwstats class or NotebookExecutionError
        _keep(executed, kept)
        raise
    notices = kernel.notebook_warnings(nb)
    for notice in notices:
        if notice["kind"] not in ("set_aside", "column_notes"):
            log.warning("%s", notice["message"])
    columns = [n["message"] for n in notices if n["kind"] == "column_notes"]
    if columns:  # listed in the analyst page and by check: one line here
        log.warning(
            "导出文件的列有 %d 条说明（同一项有两列时用了哪一列、哪些列未识别），不影响统计；见分析版"
            "的 ⚠ 提示，或运行 kwstats check --month %s。",
            len(columns),
            run.period.key,
        )
    return nb


def _keep(executed: Path, kept: Path) -> None:
    with contextlib.suppress(OSError):  # a full disk must not hide the notebook's own error
        if executed.exists():
            shutil.copyfile(executed, kept)


def _convert(run: Run, nb, scratch: Path, progress: bool) -> None:
    """The official and the analyst HTML from the executed notebook; the table the kernel wrote."""
    title = bulletin_title(run.branch.short_name, run.period)
    _say(progress, "转换为 HTML（正式版、分析版）……")
    render.export_html(nb, scratch / OUTPUTS["正式版"], official=True, title=title)
    render.export_html(nb, scratch / OUTPUTS["分析版"], official=False, title=title + "（分析版）")
    for label in ("统计表", "下钻明细"):
        if not (scratch / OUTPUTS[label]).exists():
            raise NotebookExecutionError(f"notebook 没有写出{label} {OUTPUTS[label]}（{scratch}）。")


def bulletin_title(short_name: str, period: Period | str) -> str:
    """The HTML page title, e.g. 宽城分局 12315 工作动态解读（2022 年 1 月）."""
    p = period if isinstance(period, Period) else Period.month(period)
    return f"{short_name} 12315 工作动态解读（{p.title}）"
