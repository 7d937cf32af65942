"""Command line: a thin layer over the Python API.

Exit codes scripts can trust: 0 ok, 1 data problems (bad rows set aside, failed checks, a failed
notebook), 2 usage or params errors (bad arguments, missing files, invalid params).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from kwstats import __version__
from kwstats.exceptions import InputFileError, KwstatsError, ParamsError

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2
log = logging.getLogger("kwstats")


def _progress(done: int, total: int, name: str) -> None:
    print(
        f"\r读取 {done}/{total}：{name}".ljust(60),
        end="" if done < total else "\n",
        file=sys.stderr,
        flush=True,
    )


def _common(p: argparse.ArgumentParser, *, data: bool = True) -> None:
    p.add_argument("--params", metavar="DIR", default=None, help="参数目录（默认：项目的 params/）")
    if data:
        p.add_argument(
            "--data",
            metavar="PATH",
            nargs="+",
            default=None,
            help="导出文件或目录，可多个（默认：合成样例，缺失时自动生成）",
        )
    p.add_argument("--cutoff", metavar="DATETIME", default=None, help="统计截止时间（默认：该月最后一刻）")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kwstats",
        description="12315 投诉举报月度工作动态：从平台导出的案件明细计算统计表与通报。",
        epilog="退出码：0 正常；1 数据有问题（check 发现剔除行、不可能的数据或与公布表不一致，或 notebook 执行失败）；"
        "2 用法或参数错误。",
    )
    parser.add_argument("--version", action="version", version=f"kwstats {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="输出调试日志")
    sub = parser.add_subparsers(dest="command", metavar="命令", required=True)

    p = sub.add_parser(
        "sample",
        help="生成合成样例导出文件（2020-01 至 2022-12）",
        description="生成确定性的合成 12315 导出文件。",
    )
    p.add_argument("--out", metavar="DIR", default=None, help="输出目录（默认：data/sample）")
    p.add_argument("--seed", type=int, default=None, help="随机种子（默认固定，结果可复现）")

    p = sub.add_parser(
        "table", help="打印某月单位统计表", description="计算并打印某月各监管责任主体办件统计表。"
    )
    p.add_argument("--month", required=True, metavar="YYYY-MM", help="统计月份，例如 2022-01")
    p.add_argument(
        "--format", choices=["csv", "markdown"], default="markdown", help="输出格式（默认 markdown）"
    )
    _common(p)

    p = sub.add_parser(
        "check",
        help="检查导出文件：读入、剔除行与核对结果",
        description="读入导出文件，报告使用行数、剔除行及原因、核对发现；可与公布表逐格比对。",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="导出文件或目录（默认：合成样例）")
    p.add_argument("--month", metavar="YYYY-MM", default=None, help="核对的月份（默认：数据中最后一个月）")
    p.add_argument("--published", metavar="CSV", default=None, help="已公布的统计表 CSV（与参考表同列名）")
    _common(p, data=False)

    p = sub.add_parser(
        "bulletin",
        help="生成某月通报（正式版 HTML、分析版 HTML、执行后的 notebook、统计表 xlsx）",
        description="用 papermill 执行月度 notebook，再用 nbconvert 转成 HTML，写入 outputs/YYYY-MM/。",
    )
    p.add_argument("--month", required=True, metavar="YYYY-MM", help="通报月份，例如 2022-01")
    p.add_argument("--out", metavar="DIR", default="outputs", help="输出目录（默认 outputs）")
    p.add_argument(
        "--draft",
        action="store_true",
        help="草稿：缺少本月参数文件或本月没有案件时也生成，页面标明【草稿】",
    )
    _common(p)
    return parser


def _cmd_sample(args: argparse.Namespace) -> int:
    from kwstats import sample

    out = Path(args.out) if args.out else sample.DEFAULT_SAMPLE_DIR
    kwargs = {} if args.seed is None else {"seed": args.seed}
    files = sample.write_sample(out, **kwargs)
    print(f"已生成 {len(files)} 个样例导出文件：{out}")
    return EXIT_OK


def _load(args: argparse.Namespace, paths: Sequence[str] | None):
    from kwstats.params import DEFAULT_PARAMS_DIR, load_branch
    from kwstats.sources import load_cases

    branch = load_branch(args.params or DEFAULT_PARAMS_DIR)
    missing = [p for p in paths or [] if not Path(p).exists()]
    if missing:
        raise FileNotFoundError(f"找不到导出文件或目录：{'、'.join(str(p) for p in missing)}")
    result = load_cases(branch, paths, progress=_progress if sys.stderr.isatty() else None)
    return branch, result


def _warn_set_aside(result, month: str, cutoff) -> None:
    """table still succeeds with rows set aside, but never silently."""
    from kwstats.indicators import month_cohort

    bad = result.rejected[result.rejected["reason"] != "合计行"] if len(result.rejected) else result.rejected
    if len(bad):
        files = set(month_cohort(result.cases, month, cutoff)["source_file"].astype(str))
        here = int(bad["source_file"].astype(str).isin(files).sum())
        log.warning(
            "导入时剔除 %d 行问题数据（其中本月的文件 %d 行），未计入统计；运行 kwstats check 查看文件、行号和原因。",
            len(bad),
            here,
        )
    for warning in getattr(result, "warnings", []):
        log.warning("%s", warning)


def _cmd_table(args: argparse.Namespace) -> int:
    from kwstats.indicators import resolve_cutoff, unit_table
    from kwstats.tables import table_csv, table_markdown

    branch, result = _load(args, args.data)
    cutoff = resolve_cutoff(args.month, args.cutoff)
    _warn_set_aside(result, args.month, cutoff)
    table = unit_table(result.cases, branch, args.month, cutoff)
    print(
        table_csv(table, branch.rate_rule)
        if args.format == "csv"
        else table_markdown(table, branch.rate_rule),
        end="",
    )
    return EXIT_OK


def _cmd_check(args: argparse.Namespace) -> int:
    import io

    import pandas as pd

    from kwstats.checks import check_table, compare_tables, read_published_table
    from kwstats.report import build_report

    branch, result = _load(args, args.paths)
    cases = result.cases
    print(f"读入 {result.rows_read} 行：使用 {result.rows_used} 行，剔除 {result.rows_set_aside} 行。")
    for f in result.files:
        print(f"  {f.source}：读入 {f.rows_read}，使用 {f.rows_used}，剔除 {f.rows_set_aside}")
    for warning in getattr(result, "warnings", []):
        print(f"  注意：{warning}")
    totals = result.rejected[result.rejected["reason"] == "合计行"]
    bad = result.rejected[result.rejected["reason"] != "合计行"]
    if len(totals):
        print(f"合计行 {len(totals)} 行（每个文件末尾的“合计”行，不是案件，已剔除）。")
    if len(bad):
        print(f"剔除的问题行 {len(bad)} 行：")
        for r in bad.itertuples(index=False):
            print(f"  {r.source_file} 第 {r.source_line} 行 [{r.column}]：{r.reason}（值：{r.value}）")
    month = args.month
    if month is None:
        if cases.empty:
            print("没有可用的案件。")
            return EXIT_DATA
        month = cases["registered_at"].max().strftime("%Y-%m")
    logging.getLogger("kwstats.report").setLevel(logging.ERROR)  # prose warnings concern the bulletin only
    report = build_report(month, params_dir=args.params, cutoff=args.cutoff, ingest=result)
    findings = [f for f in report.findings if f.kind != "set_aside"] + report.investigation_findings()
    if args.published:
        try:
            from kwstats.ingest import decode_bytes

            raw = Path(args.published).read_bytes()
            text, _ = decode_bytes(Path(args.published), raw)
            published = read_published_table(pd.read_csv(io.StringIO(text), dtype=str))
        except (OSError, ValueError) as exc:
            raise InputFileError(f"公布表无法读取：{args.published}（{exc}）") from None
        findings += check_table(published, branch.rate_rule, source="公布表")
        findings += compare_tables(published, report.table, branch.rate_rule)
    print(f"{month} 核对发现 {len(findings)} 条：")
    for f in findings:
        ids = (
            f"（案件：{'、'.join(f.case_ids[:5])}{' 等' if len(f.case_ids) > 5 else ''}）"
            if f.case_ids
            else ""
        )
        print(f"  [{f.label}] {f.message}{ids}")
    # Exit 1 means the data has problems (rows set aside, impossible rows, disagreement with the
    # publication); anomalies for the analyst (off-roster units, thresholds, spikes) do not fail a script.
    problems = [f for f in findings if f.severity == "error"]
    # Rows set aside count against this month when they come from the files holding its cases
    # (history files' old problems are listed above but do not fail every later month).
    month_files = set(
        report.cases.loc[report.cases.index.isin(cohort_index(report)), "source_file"].astype(str)
    )
    bad = result.rejected[result.rejected["reason"] != "合计行"] if len(result.rejected) else result.rejected
    has_rejects = bool(len(bad)) and (
        args.month is None or bad["source_file"].astype(str).isin(month_files).any()
    )
    return EXIT_DATA if problems or has_rejects else EXIT_OK


def cohort_index(report):
    """Index of the report month's cases (any kind) in the case table."""
    from kwstats.indicators import month_cohort

    return month_cohort(report.cases, report.month, report.cutoff).index


def _cmd_bulletin(args: argparse.Namespace) -> int:
    from kwstats.bulletin import build_bulletin

    outputs = build_bulletin(
        args.month,
        data=args.data,
        params_dir=args.params,
        out_dir=args.out,
        cutoff=args.cutoff,
        draft=args.draft,
        progress=True,
    )
    for label, path in outputs.items():
        print(f"{label}：{path}")
    return EXIT_OK


class _ChineseLevels(logging.Formatter):
    """Log lines as clerks read them: 注意：…, 错误：…"""

    NAMES = {"DEBUG": "调试", "INFO": "信息", "WARNING": "注意", "ERROR": "错误", "CRITICAL": "严重错误"}

    def format(self, record: logging.LogRecord) -> str:
        return f"{self.NAMES.get(record.levelname, record.levelname)}：{record.getMessage()}"


COMMANDS = {"sample": _cmd_sample, "table": _cmd_table, "check": _cmd_check, "bulletin": _cmd_bulletin}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_ChineseLevels())
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, handlers=[handler], force=True
    )
    try:
        if getattr(args, "month", None):
            from kwstats.params import normalize_month

            args.month = normalize_month(args.month)  # 2022-2 → 2022-02, as file and folder names use
        return COMMANDS[args.command](args)
    except (ParamsError, FileNotFoundError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_USAGE
    except InputFileError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        # a folder without any export is a wrong path (usage); an unreadable file is a data problem
        from kwstats.ingest import NoExportsFoundError

        return EXIT_USAGE if isinstance(exc, NoExportsFoundError) else EXIT_DATA
    except KwstatsError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_DATA


if __name__ == "__main__":
    sys.exit(main())
