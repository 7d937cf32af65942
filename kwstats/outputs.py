"""The output folder of a run: checked before anything starts, locked per month, written aside in a
scratch folder and swapped into place in one step.

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
4. writes every output into a fresh scratch folder ``.M-xxxxxxxx`` beside the target (the cases
   read in step 1 wait there in ``.ingest`` for the kernel, and are removed before the swap);
5. once all four outputs exist, swaps the scratch folder and ``M`` in one
   ``renameat2(RENAME_EXCHANGE)`` (Linux), or renames it to ``M`` when there was none: a reader sees
   the old bulletin or the new one, never neither. The old one, now under the scratch name, is then
   deleted (by step 3 of the next run if this one is killed first);
6. where the exchange is not available (another OS, a file system without it), ``M`` is renamed to
   ``.M.old`` and the scratch folder to ``M``; a kill between the two renames is repaired by step 3
   of the next run, which puts ``.M.old`` back.

``M`` stays a plain folder, so ``outputs/2022-01/bulletin.html`` opens, copies and zips as before,
and a folder written by an older kwstats is replaced the same way. A file or a link where ``M`` goes is
refused before anything is read (:func:`check_target`): kwstats neither replaces a clerk's link nor
writes where it points.

Ctrl-C (KeyboardInterrupt) anywhere: the kernel is shut down (kwstats.kernel), the scratch folder
removed, the previous bulletin untouched, and KeyboardInterrupt reaches the caller (the CLI prints one
line and exits 130). The CLI turns SIGTERM and SIGHUP into the same (``exceptions.Terminated``, exit
143 and 129). A swap or a clean-up in progress is finished first (:func:`interrupts_deferred`).
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
from collections.abc import Iterator
from pathlib import Path

from kwstats.exceptions import MonthLockedError, OutputPathError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


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
    if aside.exists() or aside.is_symlink():  # a folder; a file or a link an older kwstats moved aside
        if not final.exists() and not final.is_symlink():
            os.rename(aside, final)
            log.warning("上次运行在替换通报时被中断：已把原有通报恢复到 %s。", final)
        else:
            _remove(aside)
            removed.append(aside)
    pattern = _scratch_pattern(folder)
    for entry in out_root.iterdir():
        if pattern.fullmatch(entry.name) and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _remove(path: Path) -> None:
    """Delete a folder with its contents, or a file, or a link (never what the link points to)."""
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    else:
        shutil.rmtree(path, ignore_errors=True)


def check_target(out_root: Path, folder: str) -> None:
    """The month's folder is a plain folder or absent: a file or a link in its place is refused with
    OutputPathError (a usage error), before anything is read or written."""
    final = out_root / folder
    if final.is_symlink():
        raise OutputPathError(
            f"{final} 是一个链接，不是通报文件夹：kwstats 不替换、也不写入链接指向的地方。"
            "请把这个链接移走或改名，或用 --out 指定其他输出目录。"
        )
    if final.exists() and not final.is_dir():
        raise OutputPathError(
            f"{final} 是一个文件，不是通报文件夹：请把它移走或改名，或用 --out 指定其他输出目录。"
        )


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


def replace_dir(new: Path, final: Path) -> None:
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
    if aside.exists() or aside.is_symlink():
        _remove(aside)
    os.replace(final, aside)
    os.replace(new, final)
    _remove(aside)  # a folder, or a file or link that took the folder's place since the run began


# what ends a run: Ctrl-C, and the terminations the CLI turns into the same clean-up (not on Windows)
_ENDING_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[list[int]]:
    """Ctrl-C, SIGTERM or SIGHUP during the block is noted, not acted on: a swap or a clean-up is
    never cut in half. A Ctrl-C is then dropped (the step it would have undone is done); a termination
    is delivered once the block has ended."""
    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    seen: list[int] = []
    previous = {
        sig: signal.signal(sig, lambda signum, _frame: seen.append(signum)) for sig in _ENDING_SIGNALS
    }
    try:
        yield seen
    finally:
        for sig, handler in previous.items():
            if handler is None:
                handler = signal.default_int_handler if sig == signal.SIGINT else signal.SIG_DFL
            signal.signal(sig, handler)
        ending = [s for s in seen if s != signal.SIGINT]
        if ending:
            signal.raise_signal(ending[0])


@contextlib.contextmanager
def scratch_folder(out_root: Path, folder: str) -> Iterator[Path]:
    """A fresh scratch folder ``.<folder>-xxxxxxxx`` beside the target, as shareable as the bulletin
    folder, removed when the block ends whatever ends it (a swapped-in scratch name is gone already)."""
    try:
        scratch = Path(tempfile.mkdtemp(prefix=f".{folder}-", dir=out_root))
        scratch.chmod(0o777 & ~_umask())  # mkdtemp makes it private; the bulletin folder is shared
    except OSError as exc:
        raise OutputPathError(output_error_text(out_root, exc)) from None
    try:
        yield scratch
    finally:
        with interrupts_deferred():
            if scratch.exists():
                shutil.rmtree(scratch, ignore_errors=True)


def swap_in(scratch: Path, final: Path) -> None:
    """Put the complete scratch folder in place of `final`; a late Ctrl-C does not undo the swap."""
    with interrupts_deferred():
        try:
            replace_dir(scratch, final)
        except OSError as exc:
            raise OutputPathError(output_error_text(final.parent, exc)) from None


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
