"""The analyst's normal use, in a real JupyterLab: open the working copy `make lab` opens, set the month,
run every cell, save — the tables read well, and nothing git tracks has changed."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from kwstats import notebook
from tests.browser_util import chromium, screenshot
from tests.conftest import REPO

pytestmark = pytest.mark.slow

MONTH = "2022-06"  # the sample's planted spike: every analyst part has something to show
START_TIMEOUT_S = 90
RUN_TIMEOUT_MS = 240_000


def _git_state() -> tuple[set[str], dict[str, str]]:
    """`git status` lines, and the hash of every tracked file under notebooks/ (as on disk)."""
    status = subprocess.run(
        ["git", "status", "--porcelain=v1", "--untracked-files=all"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    tracked = subprocess.run(
        ["git", "ls-files", "notebooks"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    hashes = {f: hashlib.sha256((REPO / f).read_bytes()).hexdigest() for f in tracked if (REPO / f).is_file()}
    return set(status), hashes


def _from_jupyter(line: str) -> bool:
    """A `git status` line that JupyterLab or a notebook run could have caused."""
    path = line[3:]
    return (
        path.startswith(("notebooks/", "work/"))
        or path.endswith((".ipynb", ".xlsx"))
        or any(part in path for part in (".ipynb_checkpoints", ".virtual_documents", "Untitled"))
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read().decode("utf-8"))


@contextlib.contextmanager
def _jupyterlab(copy: Path, scratch: Path) -> Iterator[tuple[str, str, str]]:
    """JupyterLab on 127.0.0.1 serving the working copy's folder; yields the copy's URL, the server's
    base URL and its token.
    Its runtime files, workspaces and settings go to `scratch`; it is shut down whatever happens."""
    port, token = _free_port(), uuid.uuid4().hex
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(scratch / "runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(scratch / "workspaces"),
        "JUPYTERLAB_SETTINGS_DIR": str(scratch / "settings"),
    }
    extra = [
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        "--ServerApp.port_retries=0",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: the test runs Lab's own commands
    ]
    log = (scratch / "jupyterlab.log").open("wb")
    proc = subprocess.Popen(
        notebook.lab_command(copy, extra),
        cwd=copy.parent,
        env=env,
        stdout=log,
        stderr=log,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                _get(f"{base}/api/status?token={token}")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        "JupyterLab 没有启动："
                        + (scratch / "jupyterlab.log").read_text(errors="replace")[-2000:]
                    ) from None
                time.sleep(0.5)
        yield f"{base}/lab/tree/{copy.name}?token={token}", base, token
    finally:
        with contextlib.suppress(OSError):
            request = urllib.request.Request(f"{base}/api/shutdown?token={token}", method="POST")
            urllib.request.urlopen(request, timeout=5)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        log.close()


def test_the_working_copy_runs_in_jupyterlab_and_git_stays_clean(tmp_path: Path, sample_ingest) -> None:
    before, notebooks_before = _git_state()
    work = notebook.WORK_DIR / f".test-{uuid.uuid4().hex[:8]}"  # where `make lab` works, beside its copy
    try:
        copy, _ = notebook.working_copy(work)
        nb = nbformat.read(copy, as_version=4)
        nb.cells[0].source = nb.cells[0].source.replace('month = "2022-01"', f'month = "{MONTH}"')
        nbformat.write(nb, copy)  # the analyst sets the month
        with _jupyterlab(copy, tmp_path) as (url, base, token):
            specs = _get(f"{base}/api/kernelspecs?token={token}")
            argv = specs["kernelspecs"][specs["default"]]["spec"]["argv"]
            # the venv's kernel: "python" is the server's own interpreter (jupyter_client), the venv's
            assert argv[0] == "python" or Path(argv[0]).resolve() == Path(sys.executable).resolve(), argv
            with chromium() as browser:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(url, wait_until="domcontentloaded", timeout=60_000)
                page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
                page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
                page.wait_for_function(
                    "() => window.jupyterapp && window.jupyterapp.shell.currentWidget", timeout=60_000
                )
                # Run All only once the notebook's kernel is connected (before, Lab may run the first cell only)
                page.evaluate(
                    """async () => { const w = window.jupyterapp.shell.currentWidget;
                        await w.context.ready; await w.sessionContext.ready; await w.revealed;
                        await w.sessionContext.session.kernel.info; }"""
                )
                page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")  # Run ▸ Run All
                # done when every code cell shows its execution count and none is waiting or running
                page.wait_for_function(
                    """() => { const ps = Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt'));
                        return ps.length > 0 && ps.every(p => /\\[\\d+\\]/.test(p.textContent)); }""",
                    timeout=RUN_TIMEOUT_MS,
                    polling=500,
                )
                errors = page.locator("[data-mime-type='application/vnd.jupyter.error']")
                assert errors.count() == 0, errors.first.inner_text()[:2000]
                tables = page.locator(".jp-OutputArea table.dataTable")
                page.wait_for_function(
                    "document.querySelectorAll('.jp-OutputArea table.dataTable').length >= 10"
                )
                assert page.locator(".jp-OutputArea #kw-toc").count() == 1
                # the tables read as in the HTML: no header squeezed to a character a line
                lines = page.locator(".jp-OutputArea table.dataTable thead th .dt-column-title").evaluate_all(
                    """ts => ts.filter(t => t.offsetParent).map(t => { const r = document.createRange();
                         r.selectNodeContents(t);
                         return new Set(Array.from(r.getClientRects(), x => Math.round(x.top))).size; })"""
                )
                assert lines and max(lines) <= 2, lines
                assert tables.count() >= 10
                findings = page.locator(
                    ".jp-OutputArea .dt-container", has=page.locator("caption", has_text="发现一览")
                )
                findings.scroll_into_view_if_needed()
                screenshot(page, "jupyterlab-2022-06.png", full_page=False)
                page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")  # as autosave will
                page.wait_for_timeout(2000)
        saved = nbformat.read(copy, as_version=4)
        assert any(c.get("outputs") for c in saved.cells if c.cell_type == "code"), "the run was saved"
    finally:
        shutil.rmtree(work, ignore_errors=True)
        with contextlib.suppress(OSError):
            notebook.WORK_DIR.rmdir()  # only when the test made it (an analyst's copy stays)
    after, notebooks_after = _git_state()
    assert notebooks_after == notebooks_before, "JupyterLab changed a committed notebook file"
    assert sorted(line for line in after - before if _from_jupyter(line)) == []
    if not before:  # a clean checkout (CI) stays clean
        assert after == set()
