"""The bulletin notebook as files: its reviewed source, the .ipynb papermill runs, the analyst's copy.

Only ``notebooks/monthly_bulletin.py`` is committed: jupytext's ``py:percent`` text, no outputs,
reviewed like code. The ``.ipynb`` papermill executes is built from it when the source changed,
into a git-ignored cache (``notebooks/.build/``, one file per version of the source, written whole,
so parallel runs never read half a file). ``make lab`` (``python -m kwstats.notebook``) opens a
working copy under ``work/`` (git-ignored): whatever JupyterLab saves there — outputs, case data,
checkpoints — never touches what is committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kwstats.exceptions import KwstatsError

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "notebooks" / "monthly_bulletin.py"
BUILD_DIR = REPO / "notebooks" / ".build"
WORK_DIR = REPO / "work"
WORKING_COPY = "monthly_bulletin.ipynb"


def read_source(source: Path = SOURCE) -> Any:
    """The notebook (an nbformat NotebookNode, no outputs) from its jupytext source.

    Without jupytext's pairing metadata: a copy saved by JupyterLab never writes a ``.py`` beside it.
    """
    import jupytext  # third-party: only building a notebook needs it

    try:
        nb = jupytext.read(source)
    except FileNotFoundError:
        raise KwstatsError(f"找不到通报 notebook 的源文件：{source}") from None
    except Exception as exc:  # jupytext raises several types for a damaged file
        raise KwstatsError(f"无法读取通报 notebook 的源文件 {source}：{exc}") from None
    nb.metadata.pop("jupytext", None)
    return nb


def _write_atomic(nb: Any, target: Path) -> None:
    import nbformat

    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            nbformat.write(nb, fh)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def executable(source: Path = SOURCE, build_dir: Path = BUILD_DIR) -> Path:
    """The ``.ipynb`` papermill runs: built from `source` unless this version of it was built already.

    Named by the source's hash, so a changed source is always rebuilt and a run never sees another
    version's notebook. When `build_dir` cannot be written (a read-only checkout), a folder under the
    system's temporary directory serves instead.
    """
    try:
        digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    except FileNotFoundError:
        raise KwstatsError(f"找不到通报 notebook 的源文件：{source}") from None
    name = f"{source.stem}-{digest}.ipynb"
    for folder in (build_dir, Path(tempfile.gettempdir()) / "kwstats-notebooks"):
        target = folder / name
        if target.is_file():
            return target
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _write_atomic(read_source(source), target)
        except OSError:
            continue
        for old in folder.glob(f"{source.stem}-*.ipynb"):  # earlier versions of the source
            if old != target:
                old.unlink(missing_ok=True)
        return target
    raise KwstatsError(f"无法写出由 {source.name} 生成的 notebook（{build_dir} 和临时目录都不可写）。")


def _code(nb: Any) -> list[tuple[str, str]]:
    """The cells' types and sources, the parameters cell left out (the analyst edits it)."""
    return [
        (c.cell_type, c.source.strip()) for c in nb.cells if "parameters" not in c.metadata.get("tags", [])
    ]


def working_copy(work_dir: Path = WORK_DIR, source: Path = SOURCE) -> tuple[Path, str]:
    """The analyst's copy of the notebook in `work_dir` (outside git), and a line saying what was done.

    An existing copy whose cells (its parameters aside) match the source is kept as it is, with its
    outputs and the month the analyst set; one from an older source is kept under a dated name
    and a fresh copy is written.
    """
    import nbformat

    target = work_dir / WORKING_COPY
    fresh = read_source(source)
    work_dir.mkdir(parents=True, exist_ok=True)
    if target.is_file():
        try:
            current = nbformat.read(target, as_version=4)
        except Exception:  # a damaged copy is replaced like an old one
            current = None
        if current is not None and _code(current) == _code(fresh):
            return target, f"打开工作副本 {target}（与 {source.name} 一致，保留上次的参数和输出）。"
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        kept = target.with_name(f"{target.stem}-旧-{stamp}.ipynb")
        target.replace(kept)
        _write_atomic(fresh, target)
        return target, f"{source.name} 已更新：旧的工作副本改名为 {kept.name}，新副本 {target}。"
    _write_atomic(fresh, target)
    return target, f"已从 {source.name} 生成工作副本 {target}（不在 git 中，随意运行、保存）。"


def lab_command(notebook: Path, extra: Sequence[str] = ()) -> list[str]:
    """The command that opens `notebook` in the venv's JupyterLab, rooted at its folder (as root too:
    a container's only user, where JupyterLab would otherwise refuse to start)."""
    jupyter = Path(sys.executable).with_name("jupyter")
    root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return [str(jupyter), "lab", f"--ServerApp.root_dir={notebook.parent}", notebook.name, *root, *extra]


def main(argv: Sequence[str] | None = None) -> int:
    """``make lab``: write or refresh the working copy, then run JupyterLab on it until Ctrl-C."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        notebook, said = working_copy()
    except KwstatsError as err:
        print(f"错误：{err}", file=sys.stderr)
        return 2
    print(said, file=sys.stderr)
    try:
        return subprocess.run(lab_command(notebook, args), cwd=notebook.parent, check=False).returncode
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
