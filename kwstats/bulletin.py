"""The official monthly run: papermill executes the notebook, nbconvert makes the HTML, plus the xlsx table.

How a run replaces the month's bulletin (one atomic step)
---------------------------------------------------------
A run for month M writes ``<out>/M/`` (``M_截至…`` for another cutoff; "the folder" below). It

1. checks params, cutoff, data and the output folder, reads the cases (ingest cache) and refuses an
   official run for a month without any complaint or report — all before a kernel starts;
2. takes the folder's lock, ``<out>/.M.lock`` (``fcntl.flock``, held for the whole run; the lock file
   stays). A second run for the same folder waits, saying so (``另一个运行正在生成 M，等待……``), or
   with ``wait=False`` (``kwstats bulletin --no-wait``) raises :class:`MonthLockedError` (exit 75);
3. under the lock, clears what killed runs left: scratch folders ``.M-xxxxxxxx`` (no live run can own
   one, it would hold the lock), and restores ``.M.old`` when ``M`` is missing (see 6);
4. writes every output into a fresh scratch folder ``.M-xxxxxxxx`` beside the target;
5. once all four outputs exist, swaps the scratch folder and ``M`` in one
   ``renameat2(RENAME_EXCHANGE)`` (Linux), or renames it to ``M`` when there was none: a reader sees
   the old bulletin or the new one, never neither. The old one, now under the scratch name, is then
   deleted (by step 3 of the next run if this one is killed first);
6. where the exchange is not available (another OS, a file system without it), ``M`` is renamed to
   ``.M.old`` and the scratch folder to ``M``; a kill between the two renames is repaired by step 3
   of the next run, which puts ``.M.old`` back.

``M`` stays a plain folder, so ``outputs/2022-01/bulletin.html`` opens, copies and zips as before,
and a folder written by an older kwstats is replaced the same way.

Ctrl-C (KeyboardInterrupt) anywhere: the kernel is shut down (killed if it does not stop), the
scratch folder removed, the previous bulletin untouched, and KeyboardInterrupt reaches the caller
(the CLI prints one line and exits 130). The kernel runs in its own session (jupyter_client), so a
terminal's Ctrl-C reaches only this process, and its stdout/stderr go to an anonymous temporary
file, so nothing it prints while being shut down reaches the terminal.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from kwstats.exceptions import EmptyMonthError, MonthLockedError, NotebookExecutionError, OutputPathError
from kwstats.params import DEFAULT_PARAMS_DIR, parse_month

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "monthly_bulletin.ipynb"
_SET_ASIDE_WARNING = "导入时剔除"  # the report's whole-history count; the parent logs the month's own


def _say(progress: bool, message: str) -> None:
    if progress:
        print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# the kernel


class _KernelWatch:
    """The kernels one papermill run starts: their output goes to a temporary file, not the terminal,
    and any still alive when the run ends (Ctrl-C during shut-down, say) is killed."""

    def __init__(self) -> None:
        self.output = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self.processes: list = []  # subprocess.Popen
        self.connection_files: list[str] = []

    def manager_class(self) -> type:
        from jupyter_client import AsyncKernelManager

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


def execute_notebook(
    out_path: Path,
    parameters: dict,
    *,
    notebook: Path = NOTEBOOK,
    progress: bool = False,
) -> Path:
    """Run the parameterised notebook with papermill; a failing cell raises NotebookExecutionError.

    No kernel outlives this call, whatever ends it (KeyboardInterrupt included).
    """
    import papermill as pm
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    watch = _KernelWatch()
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
            kernel_manager_class=watch.manager_class(),
            # one save at the end instead of after every cell: the output notebook is ~0.5 MB
            request_save_on_cell_execute=False,
        )
    except PapermillExecutionError as exc:
        raise NotebookExecutionError(
            f"通报 notebook 第 {exc.exec_count} 个单元格执行失败：{exc.ename}: {exc.evalue}。"
            f"已执行的 notebook 保存在 {out_path}，可打开查看出错位置。"
        ) from None
    except (DeadKernelError, RuntimeError, TimeoutError) as exc:
        tail = watch.tail()
        raise NotebookExecutionError(
            f"通报 notebook 的内核意外退出或无法启动（{type(exc).__name__}）"
            + (f"，内核最后的输出：{tail}" if tail else "")
            + "。请重新运行；如仍失败，请把这条信息交给技术人员。"
        ) from None
    finally:
        with _interrupts_deferred():
            watch.close()
    return out_path


# ---------------------------------------------------------------------------------------------
# the output folder


def prepare_out_dir(out_dir: str | Path, *, what: str = "输出目录") -> Path:
    """Create `out_dir` if needed and check that files can be written in it.

    A path that is a file, lies under a file, is not writable or is on a read-only disk raises
    :class:`OutputPathError` with one Chinese sentence naming it (a usage error for the CLI).
    """
    root = Path(out_dir).expanduser().resolve()
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=root):
            pass
    except OSError as exc:
        raise OutputPathError(output_error_text(root, exc, what)) from None
    return root


def output_error_text(path: Path, exc: OSError, what: str = "输出目录") -> str:
    """One Chinese sentence for an OSError met while writing under `path`."""
    if path.exists() and not path.is_dir():
        return f"{what} {path} 是一个文件，不是文件夹：请用 --out 指定一个文件夹。"
    if isinstance(exc, NotADirectoryError) or exc.errno == errno.ENOTDIR:
        blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
        where = f"上级 {blocker} 是一个文件" if blocker else "路径中有一部分是文件"
        return f"无法创建{what} {path}：{where}，不是文件夹。请用 --out 指定一个文件夹。"
    if exc.errno == errno.EROFS:
        return f"{what} {path} 在只读的磁盘上，无法写入：请用 --out 指定一个可写的文件夹。"
    if isinstance(exc, PermissionError):
        return f"没有权限写入{what} {path}：请用 --out 指定一个有写权限的文件夹，或请管理员开放权限。"
    if exc.errno == errno.ENOSPC:
        return f"{what} {path} 所在的磁盘已满：请清理磁盘空间，或用 --out 指定其他文件夹。"
    code = errno.errorcode.get(exc.errno or 0, "未知")
    return f"{what} {path} 无法写入（系统错误 {code}）：请用 --out 指定其他文件夹。"


def _lock_path(out_root: Path, folder: str) -> Path:
    return out_root / f".{folder}.lock"


def _try_lock(fd: int) -> bool:
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    import msvcrt  # Windows: a byte-range lock on the first byte

    os.lseek(fd, 0, os.SEEK_SET)
    try:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def _wait_lock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)  # Ctrl-C interrupts the wait
        return
    while not _try_lock(fd):
        time.sleep(0.5)


@contextlib.contextmanager
def month_lock(out_root: Path, folder: str, *, wait: bool = True) -> Iterator[None]:
    """Hold `<out_root>/.<folder>.lock` for the block: one run per output folder at a time.

    Another holder means waiting (a warning says so) or, with `wait=False`, MonthLockedError.
    """
    path = _lock_path(out_root, folder)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise OutputPathError(output_error_text(out_root, exc)) from None
    acquired = False
    try:
        if not _try_lock(fd):
            holder = _holder(fd)
            if not wait:
                raise MonthLockedError(
                    f"另一个运行{holder}正在生成 {folder}（{out_root / folder}）：请等它结束后再运行，"
                    "或去掉 --no-wait 排队等待。"
                )
            log.warning("另一个运行%s正在生成 %s，等待……", holder, folder)
            _wait_lock(fd)
        acquired = True
        if fcntl is not None:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        if acquired and fcntl is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
        os.close(fd)  # releases the lock


def _holder(fd: int) -> str:
    """（进程 1234） when the lock file names the process holding it."""
    with contextlib.suppress(OSError, ValueError, AttributeError):  # os.pread: POSIX only
        pid = int(os.pread(fd, 32, 0).decode().strip())
        return f"（进程 {pid}）"
    return ""


def _scratch_pattern(folder: str) -> re.Pattern[str]:
    """Scratch folders of `folder`: tempfile.mkdtemp(prefix='.<folder>-') names (8 random characters)."""
    return re.compile(rf"\.{re.escape(folder)}-[a-z0-9_]{{8}}")


def clean_leftovers(out_root: Path, folder: str) -> list[Path]:
    """What killed runs left for `folder`: restore `.folder.old` when `folder` is missing, delete
    stale scratch folders. Call it holding the folder's lock. Returns the folders removed."""
    final, aside = out_root / folder, out_root / f".{folder}.old"
    removed = []
    if aside.is_dir() and not aside.is_symlink():
        if not final.exists() and not final.is_symlink():
            os.rename(aside, final)
            log.warning("上次运行在替换通报时被中断：已把原有通报恢复到 %s。", final)
        else:
            shutil.rmtree(aside, ignore_errors=True)
            removed.append(aside)
    pattern = _scratch_pattern(folder)
    for entry in out_root.iterdir():
        if pattern.fullmatch(entry.name) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _exchange(a: Path, b: Path) -> bool:
    """Swap two directory entries in one step (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):  # glibc before 2.28, musl
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _replace_dir(new: Path, final: Path) -> None:
    """Put the complete folder `new` in place of `final` (see the module docstring, steps 5 and 6).

    Called holding the folder's lock.
    """
    if not final.exists() and not final.is_symlink():
        os.rename(new, final)
        return
    if final.is_dir() and not final.is_symlink() and _exchange(new, final):
        shutil.rmtree(new, ignore_errors=True)  # the previous bulletin, now under the scratch name
        return
    aside = final.with_name(f".{final.name}.old")
    if aside.exists():
        shutil.rmtree(aside)
    os.replace(final, aside)
    os.replace(new, final)
    shutil.rmtree(aside, ignore_errors=True)


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[list[bool]]:
    """Ctrl-C during the block is noted, not raised: a swap or a clean-up is never cut in half."""
    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    seen: list[bool] = []
    previous = signal.signal(signal.SIGINT, lambda *_: seen.append(True))
    try:
        yield seen
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)


# ---------------------------------------------------------------------------------------------
# the cases of the month


def split_set_aside(result, month: str, cutoff=None):
    """Rows set aside at ingest, split into (the month's, history's); 合计行 (totals) are neither.

    A row is the month's when it comes from a file that holds cases of the month, when its case id
    is one of the month's cases (a conflicting duplicate), or when its registration date, where the
    set-aside table records one, falls in the month. Every other row belongs to other months' files.
    """
    from kwstats.indicators import month_bounds, month_cohort

    rejected = result.rejected
    if rejected is None or not len(rejected):
        return rejected, rejected
    bad = rejected[rejected["reason"] != "合计行"]
    cohort = month_cohort(result.cases, month, cutoff)
    files = set(cohort["source_file"].astype(str))
    ids = set(cohort["case_id"].dropna().astype(str))
    mine = bad["source_file"].astype(str).isin(files) | bad["case_id"].astype(str).isin(ids)
    if "registered_at" in bad:
        import pandas as pd

        start, end = month_bounds(month)
        reg = pd.to_datetime(bad["registered_at"], errors="coerce")
        mine |= ((reg >= start) & (reg < end)).fillna(False).to_numpy()
    return bad[mine.to_numpy()], bad[~mine.to_numpy()]


def set_aside_message(result, month: str, cutoff=None) -> str | None:
    """The clerk's line about rows set aside, scoped to the month (None when there are none)."""
    mine, history = split_set_aside(result, month, cutoff)
    if mine is None or (not len(mine) and not len(history)):
        return None
    check = f"运行 kwstats check --month {month} 查看文件、行号和原因。"
    if len(mine):
        more = f"；另有 {len(history)} 行属于其他月份的文件（历史数据），不影响本月" if len(history) else ""
        return f"导入时剔除 {len(mine)} 行与 {month} 有关的问题数据，未计入统计{more}。{check}"
    return f"导入时剔除的 {len(history)} 行问题数据都属于其他月份的文件（历史数据），不影响 {month} 的统计。{check}"


def skipped_sample_folders(paths: Sequence[str | Path]) -> list[Path]:
    """Synthetic-sample folders inside the given folders: ingest passes them over (a folder given
    itself is read)."""
    from kwstats.sample_files import MARKER_NAME

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


def count_accepted(result, month: str, cutoff) -> int:
    """Complaints and reports registered in `month` (what 受理量 counts)."""
    from kwstats.indicators import accepted_cases, month_cohort

    return len(accepted_cases(month_cohort(result.cases, month, cutoff)))


# ---------------------------------------------------------------------------------------------
# the run


def build_bulletin(
    month: str,
    *,
    data: Sequence[str | Path] | None = None,
    params_dir: str | Path | None = None,
    out_dir: str | Path = "outputs",
    cutoff: str | None = None,
    draft: bool = False,
    progress: bool = False,
    wait: bool = True,
) -> dict[str, Path]:
    """Write outputs/<month>/: bulletin.html, bulletin-analyst.html, bulletin.ipynb, table.xlsx.

    Params, the cutoff, the data paths, the output folder and the month's cases are checked here,
    before any kernel starts, so that a mistake is a usage error naming the file. An official run
    refuses a month without its params file or without any case; `draft=True` builds it anyway,
    marked 【草稿】 on the page. Without `data`, the synthetic sample is used (the page says 演示).
    `wait=False`: raise MonthLockedError instead of waiting while another run holds the month.
    """
    from kwstats.indicators import default_cutoff, resolve_cutoff
    from kwstats.params import load_branch, load_month, normalize_month
    from kwstats.render import warm_up
    from kwstats.sample_files import DEFAULT_SAMPLE_DIR, is_current

    month = normalize_month(month)
    params_dir = Path(params_dir).resolve() if params_dir else DEFAULT_PARAMS_DIR
    branch = load_branch(params_dir)
    month_params = load_month(month, params_dir, required=not draft)
    if not draft:  # last month's typical case must not go out again (warnings: the report shows them)
        from kwstats.prose import stale_prose

        stale_prose(month, params_dir, log_warnings=False).raise_errors()
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
        log.warning("使用合成样例数据（演示用的虚构案件），通报中会标明“演示”。")
    out_root = prepare_out_dir(out_dir)
    # Load nbconvert's templates meanwhile: the parent is otherwise idle while cases load and the kernel works.
    warming = threading.Thread(target=warm_up, name="nbconvert-warm-up", daemon=True)
    warming.start()
    _check_cases(branch, data_paths, month, cut, draft=draft, progress=progress)
    # A run with an earlier or later cutoff must not overwrite the month's official bulletin.
    folder = month if cut == default_cutoff(month) else f"{month}_截至{cut:%Y-%m-%d_%H%M}"
    params = {
        "month": month,
        "data_paths": data_paths,
        "params_dir": str(params_dir),
        "cutoff": cutoff,
        "official": not draft,
    }
    with month_lock(out_root, folder, wait=wait):
        clean_leftovers(out_root, folder)
        final = _run_locked(out_root, folder, month, params, branch.short_name, warming, progress)
    _say(progress, f"完成：{final}")
    return {
        "正式版": final / "bulletin.html",
        "分析版": final / "bulletin-analyst.html",
        "执行后的 notebook": final / "bulletin.ipynb",
        "统计表": final / "table.xlsx",
    }


def _check_cases(branch, data_paths: list[str], month: str, cut, *, draft: bool, progress: bool) -> None:
    """Read the cases in this process (the ingest cache makes the kernel's read cheap): an official
    run for a month without cases stops here, and rows set aside are reported for the month."""
    from kwstats.sources import load_cases

    for sample in skipped_sample_folders(data_paths):
        log.warning(
            "%s 是合成样例文件夹，与其他数据放在一起时不读取；要用样例请单独给出它或用 --sample。", sample
        )
    result = load_cases(
        branch, data_paths, progress=_progress_line if progress and sys.stderr.isatty() else None
    )
    if not draft and count_accepted(result, month, cut) == 0:
        raise EmptyMonthError(
            f"{month} 没有任何投诉、举报案件：请确认导出文件是否包含本月；如果本月确实为零，请用 --draft 生成草稿。"
        )
    message = set_aside_message(result, month, cut)
    if message:
        log.warning("%s", message)


def _progress_line(done: int, total: int, name: str) -> None:
    print(
        f"\r读取 {done}/{total}：{name}".ljust(60),
        end="" if done < total else "\n",
        file=sys.stderr,
        flush=True,
    )


def _run_locked(
    out_root: Path,
    folder: str,
    month: str,
    params: dict,
    short_name: str,
    warming: threading.Thread,
    progress: bool,
) -> Path:
    """Execute, convert and swap in, holding the folder's lock; the scratch folder never outlives it."""
    import nbformat

    from kwstats.render import export_html

    final = out_root / folder
    try:
        scratch = Path(tempfile.mkdtemp(prefix=f".{folder}-", dir=out_root))
        scratch.chmod(0o777 & ~_umask())  # mkdtemp makes it private; the bulletin folder is shared
    except OSError as exc:
        raise OutputPathError(output_error_text(out_root, exc)) from None
    try:
        executed = scratch / "bulletin.ipynb"
        _say(progress, f"执行通报 notebook（{month}，约需十几秒）……")
        try:
            execute_notebook(executed, {**params, "output_dir": str(scratch)}, progress=progress)
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
            if not warning.lstrip("⚠ ").startswith(_SET_ASIDE_WARNING):  # logged for the month already
                log.warning("%s", warning.lstrip("⚠ "))
        title = bulletin_title(short_name, month)
        _say(progress, "转换为 HTML（正式版、分析版）……")
        export_html(nb, scratch / "bulletin.html", official=True, title=title)
        export_html(nb, scratch / "bulletin-analyst.html", official=False, title=title + "（分析版）")
        if not (scratch / "table.xlsx").exists():
            raise NotebookExecutionError(f"notebook 没有写出统计表 table.xlsx（{executed}）。")
        with _interrupts_deferred():  # the run is complete: a late Ctrl-C does not undo the swap
            try:
                _replace_dir(scratch, final)
            except OSError as exc:
                raise OutputPathError(output_error_text(out_root, exc)) from None
    finally:
        with _interrupts_deferred():
            if scratch.exists():
                shutil.rmtree(scratch, ignore_errors=True)
    return final


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
