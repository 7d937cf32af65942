"""The notebook is reviewed as text: only its jupytext source is committed, the .ipynb papermill runs is
built from it, and the analyst's JupyterLab copy lives outside git."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_output

from kwstats import notebook
from kwstats.render import TOC_TAG
from tests.conftest import REPO

PY = REPO / "notebooks" / "monthly_bulletin.py"


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=True).stdout


def test_only_the_source_is_committed():
    """No notebook file in git (JupyterLab's autosave could write outputs into it): the .py only."""
    tracked = [f for f in _git("ls-files", "--", "*.ipynb").splitlines() if (REPO / f).exists()]
    assert tracked == [] and PY.is_file()


def test_what_lab_and_the_runs_write_is_ignored_by_git():
    paths = [
        "work/monthly_bulletin.ipynb",
        "work/.ipynb_checkpoints/monthly_bulletin-checkpoint.ipynb",
        "work/drilldown.xlsx",
        "notebooks/.build/monthly_bulletin-0123456789abcdef.ipynb",
        "notebooks/monthly_bulletin.ipynb",
    ]
    ignored = _git("check-ignore", "--no-index", *paths).splitlines()
    assert ignored == paths


def test_source_reads_as_a_tagged_thin_notebook():
    nb = notebook.read_source()
    tags = [set(c.metadata.get("tags", [])) for c in nb.cells]
    assert "parameters" in tags[0]
    assert "jupytext" not in nb.metadata, "a copy saved in JupyterLab must not write a paired .py"
    assert nb.metadata["kernelspec"]["name"] == "python3"
    # the table of contents is an analyst cell, before the official cells
    toc = [i for i, t in enumerate(tags) if TOC_TAG in t]
    official = [
        i for i, (c, t) in enumerate(zip(nb.cells, tags, strict=True)) if c.cell_type == "code" and not t
    ]
    assert len(toc) == 1 and "analyst" in tags[toc[0]] and toc[0] < official[0]
    # every markdown cell is analyst-only: the official bulletin's text comes from kwstats
    for cell, t in zip(nb.cells, tags, strict=True):
        if cell.cell_type == "markdown":
            assert "analyst" in t
    # the notebook stays thin: no arithmetic on cases in cells
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "groupby" not in code and ".sum(" not in code
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


def test_the_notebook_papermill_runs_is_built_once_per_version_of_the_source(tmp_path: Path):
    source = tmp_path / "monthly_bulletin.py"
    shutil.copyfile(PY, source)
    build = tmp_path / "build"
    first = notebook.executable(source, build)
    assert first.parent == build and first.suffix == ".ipynb"
    stamp = first.stat().st_mtime_ns
    assert notebook.executable(source, build) == first and first.stat().st_mtime_ns == stamp
    built = nbformat.read(first, as_version=4)
    assert [c.source for c in built.cells] == [c.source for c in notebook.read_source(source).cells]
    # a changed source gives another file; the old version is removed
    source.write_text(PY.read_text(encoding="utf-8") + "\n# %%\nx = 1\n", encoding="utf-8")
    second = notebook.executable(source, build)
    assert second != first and not first.exists()
    assert nbformat.read(second, as_version=4).cells[-1].source == "x = 1"


def test_working_copy_keeps_the_analysts_run_and_replaces_an_old_copy(tmp_path: Path):
    source = tmp_path / "monthly_bulletin.py"
    shutil.copyfile(PY, source)
    work = tmp_path / "work"
    copy, said = notebook.working_copy(work, source)
    assert copy == work / "monthly_bulletin.ipynb" and "生成工作副本" in said
    # the analyst sets a month and runs it: both survive the next `make lab`
    nb = nbformat.read(copy, as_version=4)
    nb.cells[0].source = nb.cells[0].source.replace('month = "2022-01"', 'month = "2022-06"')
    nb.cells[1].outputs = [new_output("stream", name="stdout", text="ran\n")]
    nbformat.write(nb, copy)
    again, said = notebook.working_copy(work, source)
    assert again == copy and "保留" in said
    kept = nbformat.read(copy, as_version=4)
    assert 'month = "2022-06"' in kept.cells[0].source and kept.cells[1].outputs
    # a newer source: the old copy is kept under another name, a fresh one written
    source.write_text(PY.read_text(encoding="utf-8") + "\n# %%\nx = 1\n", encoding="utf-8")
    fresh, said = notebook.working_copy(work, source)
    old = list(work.glob("monthly_bulletin-旧-*.ipynb"))
    assert len(old) == 1 and old[0].name in said
    assert json.loads(old[0].read_text(encoding="utf-8"))["cells"][1]["outputs"]
    assert 'month = "2022-01"' in nbformat.read(fresh, as_version=4).cells[0].source


def test_lab_opens_the_copy_with_the_venvs_jupyter(tmp_path: Path):
    command = notebook.lab_command(tmp_path / "work" / "monthly_bulletin.ipynb")
    assert Path(command[0]).parent == Path(sys.executable).parent and Path(command[0]).name == "jupyter"
    assert command[1:4] == ["lab", f"--ServerApp.root_dir={tmp_path / 'work'}", "monthly_bulletin.ipynb"]
    assert command[4:] == (["--allow-root"] if os.geteuid() == 0 else [])
