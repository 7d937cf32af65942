"""Jobs made once in a second process, a fork of this one, while this one goes on.

The analyst page's charts and ``drilldown.xlsx`` are made this way beside the notebook's other cells
(:class:`kwstats.workbench.Background`): a fork copies nothing, and with two cores the parts then
cost the run little. Results come back one by one through a pipe; a job that fails there comes back
as None (the caller makes it again itself and sees its error). The process ends with the one that
forked it, however that ends (Linux only; elsewhere :func:`can_fork` is False).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
from typing import Any

TIMEOUT_S = 120


def can_fork() -> bool:
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def _die_with(parent: int) -> None:
    """In the forked process: end when the kernel that forked it ends, however it ends (a SIGKILLed
    kernel cannot stop it; nobody would read what it makes)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it ended before that took effect
        os._exit(0)


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _make(jobs: dict[str, Any], send: Any, parent: int) -> None:
    """In the forked process: each job's result as soon as it is made (None for one that failed: the
    parent makes it again and says why)."""
    _die_with(parent)
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - nothing of it reaches the kernel's streams
    for key, job in jobs.items():
        try:
            result = job()
        except Exception:
            result = None
        send.send((key, result))
    send.close()


class Making:
    """The process making the parts, and the pipe their results come back through, one by one."""

    def __init__(self, jobs: dict[str, Any]) -> None:
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_make, args=(jobs, send, os.getpid()), name="kwstats-background", daemon=True
        )
        self._process.start()
        send.close()
        self._made: dict[str, str | None] = {}
        self._left = len(jobs)  # results still to come

    def result(self, key: str) -> str | None:
        """What it made for `key`, waiting for it; None when it could not (or is gone, or silent)."""
        while self._left and key not in self._made:
            try:
                if not self._receive.poll(TIMEOUT_S):
                    raise TimeoutError
                got, value = self._receive.recv()
                self._made[got] = value
                self._left -= 1
            except (EOFError, OSError, TimeoutError):
                self._left = 0
            if not self._left:  # all made, or no more to come: the process is done with
                self._close()
        return self._made.pop(key, None)

    def _close(self) -> None:
        self._receive.close()
        if self._process.is_alive():
            self._process.kill()
        self._process.join(timeout=5)
