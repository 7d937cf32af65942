"""The notebook boundary: papermill runs the bulletin notebook in a kernel, and what comes back is data.

- In: plain, resolved parameters (see :func:`kwstats.run.kernel_parameters`), relative to the
  scratch folder the kernel runs in, so the kept notebook names neither scratch nor data paths.
- Warnings: the notebook records the report's notices as one output of the mime type
  :data:`WARNINGS_MIME` (:func:`record_warnings`); the parent reads them from the executed notebook
  papermill returns (:func:`notebook_warnings`).
- Errors: papermill's ``PapermillExecutionError`` carries ``ename``, ``evalue`` and ``exec_count``; a
  kwstats error raised in the kernel is raised again here as its own class, built from its message
  (:meth:`kwstats.exceptions.KwstatsError.from_message`), so a params mistake is still a usage error;
  anything else becomes :class:`NotebookExecutionError` naming the cell.

A bulletin starts its kernel early (:func:`started`): the kernel boots and imports the notebook's
libraries (:data:`WARM_UP`) while the parent is still writing the cases and loading papermill, and
:func:`execute_notebook` then runs the notebook in it. No kernel outlives :func:`execute_notebook` or
:func:`started`, whatever ends it (Ctrl-C included). The kernel runs in its
own session (jupyter_client), so a terminal's Ctrl-C reaches only this process, and its stdout/stderr
go to an anonymous temporary file, so nothing it prints while being shut down reaches the terminal.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import signal
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from kwstats import notebook as bulletin_notebook
from kwstats.exceptions import KwstatsError, NotebookExecutionError, error_class
from kwstats.outputs import interrupts_deferred

WARNINGS_MIME = "application/vnd.kwstats.warnings+json"
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]  # keep its English start-up chatter off the terminal
# What the notebook's first cell imports, imported by a kernel started early, before its first cell:
# silent (no execution count, nothing in the notebook), so the kept notebook is the same either way.
WARM_UP = (
    "import itables, matplotlib, pandas, seaborn\n"
    "import kwstats.report, kwstats.page, kwstats.views, kwstats.workbench, kwstats.investigate\n"
    "from IPython.display import HTML, display"
)


class _KernelWatch:
    """The kernels one papermill run starts: their output goes to a temporary file, not the terminal,
    and any still alive when the run ends (Ctrl-C during shut-down, say) is killed."""

    def __init__(self) -> None:
        self.output = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self.processes: list = []  # subprocess.Popen
        self.connection_files: list[str] = []

    def manager_class(self) -> type:
        from jupyter_client import AsyncKernelManager  # third-party, loaded only when a kernel runs

        watch = self

        class QuietKernelManager(AsyncKernelManager):
            async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
                kw["stdout"] = kw["stderr"] = watch.output
                await super()._async_launch_kernel(kernel_cmd, **kw)
                watch.processes.append(self.provisioner.process)
                watch.connection_files.append(self.connection_file)

        return QuietKernelManager

    def tail(self, lines: int = 3) -> str:
        """The kernel's last lines of output (for a kernel that died)."""
        self.output.seek(0)
        text = self.output.read().decode("utf-8", errors="replace")
        return " / ".join([line.strip() for line in text.splitlines() if line.strip()][-lines:])

    def close(self) -> None:
        """Kill any kernel still running (its whole process group), then drop the output file."""
        for proc in self.processes:
            if proc.poll() is not None:
                continue
            with contextlib.suppress(OSError):
                if hasattr(os, "killpg"):
                    os.killpg(proc.pid, signal.SIGKILL)  # the kernel leads its own session
                else:
                    proc.kill()
            with contextlib.suppress(Exception):
                proc.wait(timeout=5)
            for conn in self.connection_files:
                with contextlib.suppress(OSError, TypeError):
                    Path(conn).unlink(missing_ok=True)
        self.output.close()


class Kernel:
    """A kernel started before papermill runs the notebook in it (:func:`started`).

    It runs in `cwd` and is already importing :data:`WARM_UP` when this returns; papermill's client
    connects to it later and finds the imports done. :meth:`close` kills it (idempotent)."""

    def __init__(self, cwd: Path) -> None:
        from jupyter_client.session import Session  # third-party, loaded only when a kernel runs
        from jupyter_core.utils import run_sync

        self.watch = _KernelWatch()
        self.manager = self.watch.manager_class()(kernel_name="python3")
        self._run_sync = run_sync
        self._client = None
        try:
            run_sync(self.manager.start_kernel)(cwd=str(cwd), extra_arguments=KERNEL_ARGUMENTS)
            # A session of its own: clients of one session share a ZeroMQ identity, and the kernel
            # would then ignore papermill's client (connecting second) while this one is connected.
            session = self.manager.session
            own = Session(key=session.key, signature_scheme=session.signature_scheme)
            self._client = self.manager.client(session=own)
            self._client.start_channels(iopub=False, stdin=False, hb=False, control=False)  # only to send
            self._client.execute(WARM_UP, silent=True, store_history=False)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.stop_channels()
        self.watch.close()  # kills the kernel: nothing is left to ask it
        with contextlib.suppress(Exception):
            self._run_sync(self.manager.cleanup_resources)()  # its connection file


@contextlib.contextmanager
def started(cwd: Path) -> Iterator[Kernel | None]:
    """A kernel started now in `cwd`, for :func:`execute_notebook`'s `kernel`; killed when the block
    ends. None when it cannot start here: papermill then starts one itself (and says why it cannot)."""
    try:
        running: Kernel | None = Kernel(cwd)
    except Exception:
        running = None
    try:
        yield running
    finally:
        if running is not None:
            with interrupts_deferred():
                running.close()


def load_papermill() -> None:
    """Import papermill now (it is slow to import, and only a bulletin run needs it), and IPython with
    it: the kernel's start (jupyter_client's kernelspec imports IPython.paths) and nbconvert's warm-up
    thread (its lexer imports IPython) must not import IPython at the same time from two threads, which
    fails half-way ("partially initialized module 'IPython.paths'")."""
    import IPython  # noqa: F401
    import IPython.paths  # noqa: F401
    import papermill  # noqa: F401


def execute_notebook(
    out_path: Path,
    parameters: dict[str, Any],
    *,
    cwd: Path,
    notebook: Path | None = None,
    failure_note: str = "",
    kernel: Kernel | None = None,
) -> Any:
    """Run the parameterised notebook with papermill in `cwd`; return the executed notebook (also
    written to `out_path`). `notebook` defaults to the .ipynb built from notebooks/monthly_bulletin.py
    (kwstats.notebook). `kernel`: one :func:`started` in `cwd` (else papermill starts one). A failing
    cell raises :func:`kernel_error`'s exception, `failure_note` appended (where the failed notebook is
    kept)."""
    import papermill as pm  # third-party and slow to import: only a bulletin run needs it
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    watch = kernel.watch if kernel is not None else _KernelWatch()
    started_here = {"km": kernel.manager} if kernel is not None else {}
    try:
        return pm.execute_notebook(
            str(notebook or bulletin_notebook.executable()),
            str(out_path),
            parameters=parameters,
            kernel_name="python3",
            progress_bar=False,
            cwd=str(cwd),
            log_output=False,
            extra_arguments=KERNEL_ARGUMENTS,
            kernel_manager_class=watch.manager_class(),
            # one save at the end instead of after every cell: the output notebook is ~0.5 MB
            request_save_on_cell_execute=False,
            **started_here,
        )
    except PapermillExecutionError as exc:
        raise kernel_error(exc.ename, exc.evalue, exc.exec_count, exc.source, failure_note) from None
    except (DeadKernelError, RuntimeError, TimeoutError) as exc:
        tail = watch.tail()
        raise NotebookExecutionError(
            f"通报 notebook 的内核意外退出或无法启动（{type(exc).__name__}）"
            + (f"，内核最后的输出：{tail}" if tail else "")
            + "。请重新运行；如仍失败，请把这条信息交给技术人员。"
        ) from None
    finally:
        with interrupts_deferred():
            if kernel is not None:
                kernel.close()
            else:
                watch.close()


_OS_ERRORS = {"OSError", "IOError"}
_FULL_OR_READ_ONLY = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


def kernel_error(
    ename: str, evalue: str, exec_count: int | None = None, source: str = "", note: str = ""
) -> KwstatsError | OSError:
    """The error to raise for a cell that failed with `ename: evalue`: a kwstats error keeps its own
    class and Chinese message (so a params mistake is still a usage error); a full or read-only disk
    (the kernel writes only in the run's scratch folder) is the OSError it was, for the caller to
    say as an output-folder error; anything else names the cell by its execution count (the
    ``In [n]`` of the kept notebook) and its first line."""
    code = re.match(r"\[Errno (\d+)\]", str(evalue))
    if ename in _OS_ERRORS and code and int(code.group(1)) in _FULL_OR_READ_ONLY:
        return OSError(int(code.group(1)), os.strerror(int(code.group(1))))
    cls = error_class(ename)
    if cls is not None:
        return cls.from_message(f"{str(evalue).rstrip('。')}。{note}")
    first_line = next((line.strip() for line in str(source).splitlines() if line.strip()), "")
    where = f"第 {exec_count} 个单元格" if exec_count else "一个单元格"
    if first_line:
        where += f"（{first_line[:40]}）"
    return NotebookExecutionError(f"通报 notebook {where}出错：{ename}: {evalue}。{note}")


def record_warnings(notices: Sequence[Any]) -> None:
    """In the kernel: display the report's notices (``kind``, ``message``) as data for the parent.

    The empty text/plain keeps JupyterLab and the analyst HTML from showing anything for it.
    """
    from IPython.display import display  # the kernel has IPython; the parent never calls this

    payload = [{"kind": str(n.kind), "message": str(n.message)} for n in notices]
    display({WARNINGS_MIME: payload, "text/plain": ""}, raw=True)


def notebook_warnings(nb: Any) -> list[dict[str, str]]:
    """The notices the notebook recorded with :func:`record_warnings`, in order, each once."""
    found: list[dict[str, str]] = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            for item in out.get("data", {}).get(WARNINGS_MIME, []):
                if item not in found:
                    found.append(dict(item))
    return found
