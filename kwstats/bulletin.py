"""The official monthly run: papermill executes the notebook, nbconvert makes the HTML, plus the xlsx table.

Everything is written into a scratch folder beside the target and moved into place only when
every output exists, so a failed run never leaves a half-written bulletin where a good one was.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from kwstats.exceptions import NotebookExecutionError
from kwstats.params import DEFAULT_PARAMS_DIR, parse_month

log = logging.getLogger(__name__)
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "monthly_bulletin.ipynb"


def _say(progress: bool, message: str) -> None:
    if progress:
        print(message, file=sys.stderr, flush=True)


def execute_notebook(
    out_path: Path,
    parameters: dict,
    *,
    notebook: Path = NOTEBOOK,
    progress: bool = False,
) -> Path:
    """Run the parameterised notebook with papermill; a failing cell raises NotebookExecutionError."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    try:
        pm.execute_notebook(
            str(notebook),
            str(out_path),
            parameters=parameters,
            kernel_name="python3",
            progress_bar=False,
            cwd=str(notebook.parent),
            log_output=False,
            # keep the kernel's own English start-up chatter off the clerk's terminal
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
            # one save at the end instead of after every cell: the output notebook is ~0.5 MB
            request_save_on_cell_execute=False,
        )
    except PapermillExecutionError as exc:
        raise NotebookExecutionError(
            f"通报 notebook 第 {exc.exec_count} 个单元格执行失败：{exc.ename}: {exc.evalue}。"
            f"已执行的 notebook 保存在 {out_path}，可打开查看出错位置。"
        ) from None
    return out_path


def build_bulletin(
    month: str,
    *,
    data: Sequence[str | Path] | None = None,
    params_dir: str | Path | None = None,
    out_dir: str | Path = "outputs",
    cutoff: str | None = None,
    draft: bool = False,
    progress: bool = False,
) -> dict[str, Path]:
    """Write outputs/<month>/: bulletin.html, bulletin-analyst.html, bulletin.ipynb, table.xlsx.

    Params, the cutoff and the data paths are checked here, before any notebook runs, so that a
    mistake is a usage error naming the file. An official run refuses a month without its params file
    or without any case; `draft=True` builds it anyway, marked 【草稿】 on the page.
    """
    import nbformat

    from kwstats.indicators import default_cutoff, resolve_cutoff
    from kwstats.params import load_branch, load_month, normalize_month
    from kwstats.render import export_html, warm_up
    from kwstats.sample_files import DEFAULT_SAMPLE_DIR, is_current

    month = normalize_month(month)
    params_dir = Path(params_dir).resolve() if params_dir else DEFAULT_PARAMS_DIR
    branch = load_branch(params_dir)
    month_params = load_month(month, params_dir, required=not draft)
    cut = resolve_cutoff(month, cutoff if cutoff else month_params.cutoff)
    if data:
        data_paths = [str(Path(p).resolve()) for p in data]
        missing = [p for p in data_paths if not Path(p).exists()]
        if missing:
            raise FileNotFoundError(f"找不到导出文件或目录：{'、'.join(missing)}")
    else:
        if not is_current(DEFAULT_SAMPLE_DIR):
            from kwstats.sample import ensure_sample

            _say(progress, "生成合成样例数据（首次约需半分钟）……")
            ensure_sample()
        data_paths = [str(DEFAULT_SAMPLE_DIR)]
        log.warning("未指定 --data：使用合成样例数据，通报中会标明“演示”。")
    # A run with an earlier or later cutoff must not overwrite the month's official bulletin.
    folder = month if cut == default_cutoff(month) else f"{month}_截至{cut:%Y-%m-%d_%H%M}"
    out_root = Path(out_dir).resolve()
    out_root.mkdir(parents=True, exist_ok=True)
    final = out_root / folder
    scratch = Path(tempfile.mkdtemp(prefix=f".{month}-", dir=out_root))
    scratch.chmod(0o777 & ~_umask())  # mkdtemp makes it private; the bulletin folder is shared
    try:
        executed = scratch / "bulletin.ipynb"
        _say(progress, f"执行通报 notebook（{month}，约需十几秒）……")
        params = {
            "month": month,
            "data_paths": data_paths,
            "params_dir": str(params_dir),
            "cutoff": cutoff,
            "output_dir": str(scratch),
            "official": not draft,
        }
        # Load nbconvert's templates while the kernel works: the parent is idle until it is done.
        warming = threading.Thread(target=warm_up, name="nbconvert-warm-up", daemon=True)
        warming.start()
        try:
            execute_notebook(executed, params, progress=progress)
        except NotebookExecutionError:
            kept = out_root / f"{folder}-failed.ipynb"
            if executed.exists():
                shutil.copyfile(executed, kept)
            raise _failure(executed, kept) from None
        warming.join()
        nb = nbformat.read(executed, as_version=4)
        _point_parameters_at(nb, scratch, final)
        nbformat.write(nb, executed)
        for warning in notebook_warnings(nb):
            log.warning("%s", warning.lstrip("⚠ "))
        title = bulletin_title(branch.short_name, month)
        _say(progress, "转换为 HTML（正式版、分析版）……")
        export_html(nb, scratch / "bulletin.html", official=True, title=title)
        export_html(nb, scratch / "bulletin-analyst.html", official=False, title=title + "（分析版）")
        if not (scratch / "table.xlsx").exists():
            raise NotebookExecutionError(f"notebook 没有写出统计表 table.xlsx（{executed}）。")
        _replace_dir(scratch, final)
    finally:
        if scratch.exists():
            shutil.rmtree(scratch, ignore_errors=True)
    _say(progress, f"完成：{final}")
    return {
        "正式版": final / "bulletin.html",
        "分析版": final / "bulletin-analyst.html",
        "执行后的 notebook": final / "bulletin.ipynb",
        "统计表": final / "table.xlsx",
    }


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _point_parameters_at(nb, scratch: Path, final: Path) -> None:
    """The kept notebook's injected output_dir names the final folder, not the deleted scratch one."""
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = cell.source.replace(repr(str(scratch)), repr(str(final))).replace(
                str(scratch), str(final)
            )


def notebook_warnings(nb) -> list[str]:
    """The warnings the report showed in the executed notebook (paragraphs of class kw-warning)."""
    import html as html_lib
    import re

    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            body = out.get("data", {}).get("text/html", "")
            body = "".join(body) if isinstance(body, list) else body
            for m in re.finditer(r'<p class="kw-warning">(.*?)</p>', body, flags=re.S):
                found.append(html_lib.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip())
    return list(dict.fromkeys(found))


def _failure(executed: Path, kept: Path) -> Exception:
    """The error to raise for a failed run: a kwstats error raised in the kernel keeps its own type and
    Chinese message (so a params mistake is still a usage error); anything else names the cell."""
    import nbformat

    from kwstats import exceptions

    note = f"已执行的 notebook 保存在 {kept}，可打开查看；原有的通报未被改动。"
    if not executed.exists():
        return NotebookExecutionError(f"通报 notebook 执行失败。{note}")
    nb = nbformat.read(executed, as_version=4)
    code_cells = [
        c
        for c in nb.cells
        if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])
    ]
    for number, cell in enumerate(code_cells, start=1):
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if not errors:
            continue
        ename, evalue = errors[0].get("ename", ""), str(errors[0].get("evalue", "")).rstrip("。")
        from kwstats import ingest

        own = getattr(exceptions, ename, None) or getattr(ingest, ename, None)
        if isinstance(own, type) and issubclass(own, exceptions.KwstatsError):
            return _rebuild(own, f"{evalue}。{note}")
        first_line = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
        return NotebookExecutionError(
            f"通报 notebook 第 {number} 个代码单元格（{first_line[:40]}）出错：{ename}: {evalue}。{note}"
        )
    return NotebookExecutionError(f"通报 notebook 执行失败。{note}")


def _rebuild(kind: type, message: str) -> Exception:
    """An instance of a kwstats exception class carrying `message` (some take structured arguments)."""
    error = Exception.__new__(kind)
    Exception.__init__(error, message)
    return error


def bulletin_title(short_name: str, month: str) -> str:
    """The HTML page title, e.g. 宽城分局 12315 工作动态解读（2022 年 1 月）."""
    year, mon = parse_month(month)
    return f"{short_name} 12315 工作动态解读（{year} 年 {mon} 月）"


def _replace_dir(new: Path, final: Path) -> None:
    """Move `new` to `final`, replacing an older bulletin only once the new one is complete."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old")
        if old.exists():
            shutil.rmtree(old)
        os.replace(final, old)
    os.replace(new, final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
