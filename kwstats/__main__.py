"""``kwstats`` (the console script) and ``python -m kwstats``.

Loading the libraries takes about a second; a Ctrl-C in that second ends the program here with one
Chinese line and exit code 130, as it would later, instead of a Python traceback. Nothing has been
read or written yet.
"""

from __future__ import annotations

import os
import signal
import sys


def _interrupted_while_loading(_signum: int, _frame: object) -> None:
    os.write(2, "已中断（Ctrl-C），尚未读写任何文件。\n".encode())
    os._exit(130)


signal.signal(signal.SIGINT, _interrupted_while_loading)

from kwstats.cli import main  # noqa: E402 - after the handler: this import is the slow second


def run() -> int:
    """The program: the CLI with Ctrl-C raising KeyboardInterrupt again, which it handles."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    return main()


if __name__ == "__main__":
    sys.exit(run())
