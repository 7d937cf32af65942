"""Command line: a thin layer over the Python API.

Exit codes scripts can trust (the same text is the --help epilog and the README's):
0 ok; 1 data problems; 2 usage or params errors; 75 another run holds the month (``--no-wait``);
130 interrupted by Ctrl-C; 143 / 129 ended by SIGTERM / SIGHUP, cleaned up like a Ctrl-C. argparse's
own messages are given in Chinese (:class:`ChineseArgumentParser`).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import re
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from kwstats import __version__, commands, store_commands
from kwstats.commands import EXIT_DATA, EXIT_INTERRUPTED, EXIT_LOCKED, EXIT_OK, EXIT_USAGE, Outcome
from kwstats.exceptions import KwstatsError, Terminated, UsageError
from kwstats.masking import mask_text
from kwstats.period import parse_cutoff
from kwstats.sources import DataSource, chosen_store, progress_line

__all__ = ["EXIT_DATA", "EXIT_INTERRUPTED", "EXIT_LOCKED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]
log = logging.getLogger("kwstats")

EXIT_CODES_HELP = """\
退出码：
  0    正常完成。
  1    数据有问题：check 发现本月的错误（本月没有案件、不可能的数据、与公布表不一致）或与本月
       有关的剔除行（来自含本月案件的文件、编号是本月的案件，或看不出属于哪个月的行——例如整个
       文件的登记时间都无法识别）；其他月份文件里的剔除行只列出、不影响退出码，无论核对哪个月都是
       同一规则。bulletin：notebook 执行失败，或正式通报的月份没有案件。
  2    用法或参数错误：参数写错或缺少、文件或文件夹找不到、参数文件有误、截止时间无法识别、
       输出目录不可写或磁盘已满、输出目录里该月的位置是文件或链接、bulletin 没有指定 --data
       （也没有 --sample）。
  75   另一个运行正在生成同一个月的通报（bulletin --no-wait），或案件库一直被另一个导入占用
       （超过 --wait 秒）；稍后再试。
  129  终端被关闭（SIGHUP）而中断；与 Ctrl-C 一样清理，已有的通报不变。
  130  被 Ctrl-C 中断；已有的通报不变。
  143  被终止（SIGTERM，例如 kill 或定时任务超时）；与 Ctrl-C 一样清理，已有的通报不变。"""

# how a run was ended, for the one line said when it was (Ctrl-C, or a signal the CLI treats alike)
_ENDED_BY = {"SIGTERM": "收到终止信号 SIGTERM", "SIGHUP": "终端已关闭，收到 SIGHUP"}
_INTERRUPTED = {
    "bulletin": "已中断（Ctrl-C），没有写出新的通报，已有的通报不变。",
    "ingest": "已中断（Ctrl-C），案件库保持导入前的状态。",
    "backfill": "已中断（Ctrl-C）：已完成的月份已写出，其余月份的原有通报未改动。",
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
        say_error(
            f"错误：{translate_argparse_message(message)}{_path_hint(message)}（{self.prog} --help 查看用法）"
        )
        sys.exit(EXIT_USAGE)


def _path_hint(message: str) -> str:
    """For an unrecognised argument that is an existing file or folder (data written first, as
    ``kwstats table data/``): how to give data."""
    m = re.fullmatch(r"unrecognized arguments: (.*)", message, flags=re.S)
    if not m:
        return ""
    words = m.group(1).split()
    found = next((w for w in [m.group(1), *words] if w and not w.startswith("-") and Path(w).exists()), None)
    return f"；指定数据请用 --data PATH（例如 --data {found}）" if found else ""


def _common(p: argparse.ArgumentParser, *, official: bool = False, cutoff: bool = True) -> None:
    p.add_argument("--params", metavar="DIR", default=None, help="参数目录（默认：项目的 params/）")
    source = p.add_mutually_exclusive_group()
    source.add_argument(
        "--store",
        metavar="DIR",
        default=None,
        help="从案件库读取（kwstats ingest 导入的目录）；不写 --data、--sample 时，"
        "data/store/（或环境变量 KWSTATS_STORE）存在就用它",
    )
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
    if cutoff:
        p.add_argument(
            "--cutoff", metavar="DATETIME", default=None, help="统计截止时间（默认：该月最后一刻）"
        )


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
        "也生成；草稿的页面一律标明【草稿】（即使一切齐全）",
    )
    p.add_argument(
        "--no-wait",
        action="store_true",
        help="另一个运行正在生成同一个月时不等待，直接退出（退出码 75）",
    )
    p.add_argument(
        "--as-of",
        metavar="EARLIER",
        default=None,
        help="按一份较早通报的生成记录重新生成（EARLIER 为其文件夹或 bulletin.ipynb）：从 --data 给出的文件夹中"
        "按 SHA-256 找到当时的输入文件，用当时的截止时间，写入 输出目录/按记录重建/",
    )
    _common(p, official=True)
    _store_parsers(sub)
    return parser


def _wait_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--wait",
        metavar="SECONDS",
        type=float,
        default=None,
        help="案件库被另一个导入占用时最多等待的秒数（默认 600，或环境变量 KWSTATS_STORE_WAIT）；"
        "超时退出，退出码 75",
    )


def _store_parsers(sub: argparse._SubParsersAction) -> None:
    """ingest, sql, export-parquet, backfill: the case store and batch commands."""
    store_help = "案件库目录（默认 data/store/，或环境变量 KWSTATS_STORE）"
    p = sub.add_parser(
        "ingest",
        help="把导出文件导入案件库（同一文件只导入一次，新导出更新旧导出）",
        description="把 12315 导出文件导入案件库：每件案件只保留一份，以最新的导出为准；"
        "同一文件再次导入不改变任何内容；导入中途出错或被中断，案件库保持导入前的状态。"
        "剔除的行连同原因一起保存，kwstats check 可查看。",
        epilog=EXIT_CODES_HELP,
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="导出文件或文件夹（文件夹连同子文件夹一起读取）")
    p.add_argument("--store", metavar="DIR", default=None, help=store_help)
    p.add_argument("--params", metavar="DIR", default=None, help="参数目录（默认：项目的 params/）")
    _wait_option(p)

    p = sub.add_parser(
        "sql",
        help="用 SQL 查询案件库（只读，个人信息已遮蔽）",
        description="在案件库上执行只读 SQL 查询。表：cases（案件）、rejected（剔除行及原因）、"
        "files（导入的文件）。结果中的文字一律遮蔽个人信息；查询不能修改案件库，也不能读写其他文件。"
        '例：kwstats sql "SELECT unit, count(*) AS n FROM cases GROUP BY unit ORDER BY n DESC"',
        epilog=EXIT_CODES_HELP,
    )
    p.add_argument("query", metavar="SQL", help="SQL 查询语句（用引号括起来）")
    p.add_argument("--store", metavar="DIR", default=None, help=store_help)
    p.add_argument(
        "--csv", metavar="FILE", default=None, help="把全部结果写入 CSV 文件（默认只在屏幕上显示前 200 行）"
    )
    _wait_option(p)

    p = sub.add_parser(
        "export-parquet",
        help="把案件库导出为按月分区的 Parquet（供 Spark、Trino、DuckDB 读取）",
        description="把案件库中的案件导出为按登记月份分区的 Parquet 文件夹：DIR/month=YYYY-MM/part-0.parquet。"
        "目录整体替换；已存在且不是 kwstats 导出的目录不会被覆盖。",
        epilog=EXIT_CODES_HELP,
    )
    p.add_argument("--out", metavar="DIR", required=True, help="输出目录")
    p.add_argument("--store", metavar="DIR", default=None, help=store_help)
    _wait_option(p)

    p = sub.add_parser(
        "backfill",
        help="补生成一段月份的通报（并行），并写出索引页 index.html",
        description="逐月生成 --from 至 --to 每个月的通报（多个进程并行），输入文件和参数都未变化的月份跳过；"
        "没有本月参数文件（说明文字、典型案例）的月份生成为【草稿】。最后写出 输出目录/index.html："
        "每个月的链接和受理、办结、办结率的趋势图，离线可打开。",
        epilog=EXIT_CODES_HELP,
    )
    p.add_argument("--from", dest="first", required=True, metavar="YYYY-MM", help="第一个月，例如 2020-01")
    p.add_argument("--to", dest="last", required=True, metavar="YYYY-MM", help="最后一个月，例如 2022-12")
    p.add_argument("--jobs", type=int, default=None, metavar="N", help="同时生成的月份数（默认：CPU 核数）")
    p.add_argument("--out", metavar="DIR", default="outputs", help="输出目录（默认 outputs）")
    p.add_argument("--force", action="store_true", help="未变化的月份也重新生成")
    _common(p, official=True, cutoff=False)


def _data(args: argparse.Namespace) -> DataSource | list[str] | None:
    """The data paths given (check's positional paths and --data alike), or the case store (--store, or
    data/store/ when it exists and no data is named); None means the sample."""
    paths = list(getattr(args, "paths", None) or []) + list(args.data or [])
    if paths and args.sample:
        raise UsageError("--sample 与数据路径不能同时使用：要么用 --data 指定导出文件，要么用 --sample。")
    if paths and args.store:
        raise UsageError(
            "--store 与数据路径不能同时使用：要么用 --data 指定导出文件，要么用 --store 读取案件库。"
        )
    store = chosen_store(args.store, other_data=bool(paths) or args.sample)
    if store is not None:
        return store
    if not paths and not args.sample:
        if args.command in ("bulletin", "backfill"):
            raise UsageError(
                "正式通报需要真实数据：请用 --data 指定 12315 导出文件或所在文件夹（例如 --data data/），"
                "或先用 kwstats ingest 导入案件库；只是演示时，加 --sample 使用合成样例。"
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
    return commands.table(
        args.month,
        cutoff=args.cutoff,
        data=_data(args),
        params_dir=args.params,
        fmt=args.format,
        progress=_progress(),
    )


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
    if args.as_of:
        return store_commands.bulletin_as_of(
            args.as_of, month=args.month, data=args.data, params_dir=args.params, out_dir=args.out
        )
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


def _cmd_ingest(args: argparse.Namespace) -> Outcome:
    return store_commands.ingest(
        args.paths,
        store_dir=args.store,
        wait=args.wait,
        params_dir=args.params,
        progress=store_commands.terminal_progress(),
    )


def _cmd_sql(args: argparse.Namespace) -> Outcome:
    return store_commands.sql(args.query, store_dir=args.store, csv=args.csv, wait=args.wait)


def _cmd_export_parquet(args: argparse.Namespace) -> Outcome:
    return store_commands.export_parquet(args.out, store_dir=args.store, wait=args.wait)


def _cmd_backfill(args: argparse.Namespace) -> Outcome:
    return store_commands.backfill(
        args.first,
        args.last,
        data=_data(args),
        params_dir=args.params,
        out_dir=args.out,
        jobs=args.jobs,
        force=args.force,
        progress=sys.stderr.isatty(),
    )


COMMANDS = {
    "sample": _cmd_sample,
    "table": _cmd_table,
    "check": _cmd_check,
    "bulletin": _cmd_bulletin,
    "ingest": _cmd_ingest,
    "sql": _cmd_sql,
    "export-parquet": _cmd_export_parquet,
    "backfill": _cmd_backfill,
}


def _raise_terminated(signum: int, _frame: object) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def _terminations_as_interrupts() -> Iterator[None]:
    """SIGTERM and SIGHUP end a command the way Ctrl-C does (kernel shut down, scratch folder removed,
    one Chinese line) instead of killing it on the spot; the previous handlers come back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = [getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n)]
    previous = {sig: signal.signal(sig, _raise_terminated) for sig in wanted}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


def _check_cutoff(args: argparse.Namespace) -> None:
    """--cutoff, parsed before any data is read (a garbled one is a usage error at once); a cutoff in
    the future is said, since cases and closures after now are not in any export yet."""
    given = getattr(args, "cutoff", None)
    if not given or not str(given).strip():
        return
    cutoff = parse_cutoff(given, not_before=pd.Timestamp.min, what="")
    now = pd.Timestamp.now(tz="Asia/Shanghai").tz_localize(None)
    if cutoff is not None and cutoff > now:
        log.warning(
            "截止时间 %s 晚于现在（%s）：此后的受理和办结还没有发生，统计的是目前导出中的状态；"
            "到截止时间之后再导出、再运行，数字才是截止时的。",
            f"{cutoff:%Y-%m-%d %H:%M}",
            f"{now:%Y-%m-%d %H:%M}",
        )


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
        _check_cutoff(args)
        with _terminations_as_interrupts():
            code = _print(COMMANDS[args.command](args))
            _ignore_interrupts(argv)  # done: a Ctrl-C while the interpreter exits does not undo the result
        return code
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM / SIGHUP (Terminated)
        _ignore_interrupts(argv)  # a second Ctrl-C does not turn into a traceback
        line = _INTERRUPTED.get(command or "", "已中断（Ctrl-C）。")
        if isinstance(exc, Terminated):
            line = line.replace("Ctrl-C", _ENDED_BY.get(signal.Signals(exc.signum).name, "收到终止信号"))
        with contextlib.suppress(OSError):  # the terminal may be gone (SIGHUP)
            say_error(line)
        return commands.exit_code(exc)
    except (KwstatsError, FileNotFoundError) as exc:
        say_error(f"错误：{exc}")
        return commands.exit_code(exc)


if __name__ == "__main__":
    sys.exit(main())
