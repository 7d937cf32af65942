"""Command line: a thin layer over the Python API.

Exit codes scripts can trust (the same text is the --help epilog and the README's):
0 ok; 1 data problems; 2 usage or params errors; 75 another run holds the month (``--no-wait``);
130 interrupted by Ctrl-C. argparse's own messages are given in Chinese (:class:`ChineseArgumentParser`).
"""

from __future__ import annotations

import argparse
import logging
import re
import signal
import sys
import threading
from collections.abc import Sequence

from kwstats import __version__, commands
from kwstats.commands import EXIT_DATA, EXIT_INTERRUPTED, EXIT_LOCKED, EXIT_OK, EXIT_USAGE, Outcome
from kwstats.exceptions import KwstatsError, UsageError
from kwstats.masking import mask_text
from kwstats.run import resolve_run
from kwstats.sources import progress_line

__all__ = ["EXIT_DATA", "EXIT_INTERRUPTED", "EXIT_LOCKED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]
log = logging.getLogger("kwstats")

EXIT_CODES_HELP = """\
退出码：
  0    正常完成。
  1    数据有问题：check 发现本月的错误（不可能的数据、与公布表不一致）或与本月有关的剔除行
       （来自含本月案件的文件，或编号是本月的案件）；其他月份文件里的剔除行只列出、不影响退出码，
       无论核对哪个月都是同一规则。bulletin：notebook 执行失败，或正式通报的月份没有案件。
  2    用法或参数错误：参数写错或缺少、文件或文件夹找不到、参数文件有误、输出目录不可写、
       bulletin 没有指定 --data（也没有 --sample）。
  75   另一个运行正在生成同一个月的通报（bulletin --no-wait）；稍后再试。
  130  被 Ctrl-C 中断；已有的通报不变。"""

_INTERRUPTED = {
    "bulletin": "已中断（Ctrl-C），原有通报未改动。",
    "sample": "已中断（Ctrl-C），样例文件可能不完整，请重新运行 kwstats sample。",
}

# argparse's messages (Python 3.11–3.13), most specific first; applied until none matches.
_ARGPARSE_MESSAGES: list[tuple[str, str]] = [
    (r"the following arguments are required: (.*)", r"缺少必需的参数：\1"),
    (r"unrecognized arguments: (.*)", r"无法识别的参数：\1"),
    (r"invalid choice: (.*?) \(choose from (.*)\)", r"无效的取值 \1（可选：\2）"),
    (r"expected one argument", "后面需要一个值"),
    (r"expected at least one argument", "后面至少需要一个值"),
    (r"expected at most one argument", "后面最多只能有一个值"),
    (r"expected (\d+) arguments?", r"后面需要 \1 个值"),
    (r"invalid int value: (.*)", r"应为整数，而不是 \1"),
    (r"invalid float value: (.*)", r"应为数字，而不是 \1"),
    (r"invalid (\S+) value: (.*)", r"取值无效：\2"),
    (r"not allowed with argument (.*)", r"不能与参数 \1 同时使用"),
    (r"ignored explicit argument (.*)", r"不接受取值 \1"),
    (r"ambiguous option: (\S+) could match (.*)", r"参数 \1 有歧义，可能是：\2"),
    (r"one of the arguments (.*) is required", r"必须给出以下参数之一：\1"),
    (r"unknown parser (.*?) \(choices: (.*)\)", r"没有命令 \1（可用的命令：\2）"),
    (r"argument (\S+): (.*)", r"参数 \1：\2"),
]


def say_error(line: str) -> None:
    """Every error and warning line the CLI prints goes out here: masked (a message may quote a file
    name or a cell holding personal data), on stderr."""
    print(mask_text(line), file=sys.stderr, flush=True)


def translate_argparse_message(message: str) -> str:
    """argparse's English error message in Chinese (unknown ones are kept, after 参数错误)."""
    for pattern, replacement in _ARGPARSE_MESSAGES:
        m = re.fullmatch(pattern, message, flags=re.S)
        if m:
            text = m.expand(replacement)
            if pattern.startswith("argument "):  # the inner message is one of the above
                return f"参数 {m.group(1)}：{translate_argparse_message(m.group(2))}"
            return text
    return message if re.search(r"[\u4e00-\u9fff]", message) else f"参数错误：{message}"


class ChineseHelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help with a Chinese usage heading; the epilog's line breaks kept."""

    def add_usage(self, usage, actions, groups, prefix=None) -> None:
        super().add_usage(usage, actions, groups, prefix="用法：" if prefix is None else prefix)


class ChineseArgumentParser(argparse.ArgumentParser):
    """ArgumentParser whose headings, -h/--help and errors are in Chinese; errors exit 2."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)
        add_help = kwargs.pop("add_help", True)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        if add_help:
            self.add_argument("-h", "--help", action="help", help="显示本帮助并退出")

    def format_help(self) -> str:
        return re.sub(r"^(位置参数|选项):$", r"\1：", super().format_help(), flags=re.M)

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        say_error(f"错误：{translate_argparse_message(message)}（{self.prog} --help 查看用法）")
        sys.exit(EXIT_USAGE)


def _common(p: argparse.ArgumentParser, *, official: bool = False) -> None:
    p.add_argument("--params", metavar="DIR", default=None, help="参数目录（默认：项目的 params/）")
    source = p.add_mutually_exclusive_group()
    source.add_argument(
        "--data",
        metavar="PATH",
        nargs="+",
        default=None,
        help="12315 导出文件或文件夹，可多个；文件夹连同子文件夹一起读取（其中的合成样例文件夹除外）",
    )
    source.add_argument(
        "--sample",
        action="store_true",
        help="使用合成样例数据（演示用的虚构案件）"
        + (
            "；正式通报必须用 --data 指定真实数据，只有演示时才用它"
            if official
            else "；不指定 --data 时默认也用它，但会提示"
        ),
    )
    p.add_argument("--cutoff", metavar="DATETIME", default=None, help="统计截止时间（默认：该月最后一刻）")


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(
        prog="kwstats",
        description="12315 投诉举报月度工作动态：从平台导出的案件明细计算统计表与通报。",
        epilog=EXIT_CODES_HELP,
    )
    parser.add_argument(
        "--version", action="version", version=f"kwstats {__version__}", help="显示版本并退出"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="输出调试日志")
    sub = parser.add_subparsers(dest="command", metavar="命令", required=True)

    p = sub.add_parser(
        "sample",
        help="生成合成样例导出文件（2020-01 至 2022-12）",
        description="生成确定性的合成 12315 导出文件。",
        epilog=EXIT_CODES_HELP,
    )
    p.add_argument("--out", metavar="DIR", default=None, help="输出目录（默认：data/sample）")
    p.add_argument("--seed", type=int, default=None, help="随机种子（默认固定，结果可复现）")

    p = sub.add_parser(
        "table",
        help="打印某月单位统计表",
        description="计算并打印某月各监管责任主体办件统计表。",
        epilog=EXIT_CODES_HELP,
    )
    p.add_argument("--month", required=True, metavar="YYYY-MM", help="统计月份，例如 2022-01")
    p.add_argument(
        "--format", choices=["csv", "markdown"], default="markdown", help="输出格式（默认 markdown）"
    )
    _common(p)

    p = sub.add_parser(
        "check",
        help="检查导出文件：读入、剔除行与核对结果",
        description="读入导出文件，报告使用行数、剔除行及原因、核对发现；可与公布表逐格比对。"
        "数据用 --data 指定（也可以直接写在 check 后面）。",
        epilog=EXIT_CODES_HELP,
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="导出文件或文件夹（同 --data）")
    p.add_argument("--month", metavar="YYYY-MM", default=None, help="核对的月份（默认：数据中最后一个月）")
    p.add_argument("--published", metavar="CSV", default=None, help="已公布的统计表 CSV（与参考表同列名）")
    _common(p)

    p = sub.add_parser(
        "bulletin",
        help="生成某月通报（正式版 HTML、分析版 HTML、执行后的 notebook、统计表 xlsx）",
        description="用 papermill 执行月度 notebook，再用 nbconvert 转成 HTML，写入 outputs/YYYY-MM/。"
        "必须用 --data 指定 12315 导出文件或文件夹；只是演示时用 --sample。"
        "同一个月同时只有一个运行写入，后来的运行排队等待（--no-wait 则直接退出，退出码 75）。",
        epilog=EXIT_CODES_HELP,
    )
    p.add_argument("--month", required=True, metavar="YYYY-MM", help="通报月份，例如 2022-01")
    p.add_argument("--out", metavar="DIR", default="outputs", help="输出目录（默认 outputs）")
    p.add_argument(
        "--draft",
        action="store_true",
        help="草稿：缺少本月参数文件、本月没有案件、多数案件不在名册中，或本月典型案例与之前某个月的相同时"
        "也生成，页面标明【草稿】",
    )
    p.add_argument(
        "--no-wait",
        action="store_true",
        help="另一个运行正在生成同一个月时不等待，直接退出（退出码 75）",
    )
    _common(p, official=True)
    return parser


def _data(args: argparse.Namespace) -> list[str] | None:
    """The data paths given (check's positional paths and --data alike); None means the sample."""
    paths = list(getattr(args, "paths", None) or []) + list(args.data or [])
    if paths and args.sample:
        raise UsageError("--sample 与数据路径不能同时使用：要么用 --data 指定导出文件，要么用 --sample。")
    if not paths and not args.sample:
        if args.command == "bulletin":
            raise UsageError(
                "正式通报需要真实数据：请用 --data 指定 12315 导出文件或所在文件夹（例如 --data data/）；"
                "只是演示时，加 --sample 使用合成样例。"
            )
        log.warning(
            "未指定 --data：使用合成样例数据（演示用的虚构案件，不是真实数据）；"
            "真实数据请用 --data 指定导出文件或文件夹。"
        )
    return paths or None


def _progress() -> commands.Progress | None:
    return progress_line if sys.stderr.isatty() else None


def _cmd_sample(args: argparse.Namespace) -> Outcome:
    return commands.sample(args.out, args.seed)


def _cmd_table(args: argparse.Namespace) -> Outcome:
    run = resolve_run(args.month, cutoff=args.cutoff, data=_data(args), params_dir=args.params)
    return commands.table(run, args.format, progress=_progress())


def _cmd_check(args: argparse.Namespace) -> Outcome:
    return commands.check(
        _data(args),
        month=args.month,
        cutoff=args.cutoff,
        params_dir=args.params,
        published=args.published,
        progress=_progress(),
    )


def _cmd_bulletin(args: argparse.Namespace) -> Outcome:
    return commands.bulletin(
        args.month,
        data=_data(args),
        params_dir=args.params,
        out_dir=args.out,
        cutoff=args.cutoff,
        draft=args.draft,
        wait=not args.no_wait,
    )


class _ChineseLevels(logging.Formatter):
    """Log lines as clerks read them: 注意：…, 错误：…"""

    NAMES = {"DEBUG": "调试", "INFO": "信息", "WARNING": "注意", "ERROR": "错误", "CRITICAL": "严重错误"}

    def format(self, record: logging.LogRecord) -> str:
        return f"{self.NAMES.get(record.levelname, record.levelname)}：{record.getMessage()}"


class _MaskedHandler(logging.Handler):
    """Log lines go out through :func:`say_error`, like every other error and warning line."""

    def emit(self, record: logging.LogRecord) -> None:
        say_error(self.format(record))


COMMANDS = {"sample": _cmd_sample, "table": _cmd_table, "check": _cmd_check, "bulletin": _cmd_bulletin}


def _ignore_interrupts(argv: Sequence[str] | None) -> None:
    """As the program (argv from the command line), let no further Ctrl-C interrupt the exit; a caller
    passing argv (tests, scripts) keeps its own handler."""
    if argv is None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _print(outcome: Outcome) -> int:
    for note in outcome.notes:
        say_error(f"注意：{note}")
    for line in outcome.out:
        print(line)
    if outcome.text:
        print(outcome.text, end="")
    return outcome.code


def main(argv: Sequence[str] | None = None) -> int:
    command = None
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        command = args.command
        handler = _MaskedHandler()
        handler.setFormatter(_ChineseLevels())
        logging.basicConfig(
            level=logging.DEBUG if args.verbose else logging.WARNING, handlers=[handler], force=True
        )
        if not args.verbose:  # the libraries' own English log lines are not for clerks
            for name in ("papermill", "nbclient", "traitlets", "jupyter_client", "asyncio"):
                logging.getLogger(name).setLevel(logging.CRITICAL)
        code = _print(COMMANDS[args.command](args))
        _ignore_interrupts(argv)  # done: a Ctrl-C while the interpreter exits does not undo the result
        return code
    except KeyboardInterrupt:
        _ignore_interrupts(argv)  # a second Ctrl-C does not turn into a traceback
        say_error(_INTERRUPTED.get(command or "", "已中断（Ctrl-C）。"))
        return EXIT_INTERRUPTED
    except (KwstatsError, FileNotFoundError) as exc:
        say_error(f"错误：{exc}")
        return commands.exit_code(exc)


if __name__ == "__main__":
    sys.exit(main())
