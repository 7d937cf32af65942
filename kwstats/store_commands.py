"""The case store's and the batch CLI commands as library functions (kwstats.commands' shape):
``ingest``, ``sql``, ``export-parquet``, ``backfill`` and ``bulletin --as-of``. Each returns an :class:`~kwstats.commands.Outcome`; errors are kwstats errors
(StoreBusyError exits 75, StoreNotFoundError and StoreQueryError are usage errors, exit 2).
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from kwstats import backfill as batch
from kwstats import bulletin as official_run
from kwstats import provenance, store
from kwstats.commands import EXIT_DATA, EXIT_OK, Outcome
from kwstats.exceptions import OutputPathError, UsageError
from kwstats.masking import mask_text
from kwstats.outputs import output_error_text
from kwstats.params import DEFAULT_PARAMS_DIR, load_branch
from kwstats.period import Period
from kwstats.render import write_text_atomic
from kwstats.sample import DEFAULT_SAMPLE_DIR, ensure_sample
from kwstats.sample_files import is_current
from kwstats.sources import DataSource, store_source
from kwstats.tables import spreadsheet_safe

SHOWN_ROWS = 200  # rows `kwstats sql` prints; --csv writes them all

Say = Callable[[str], None]


def terminal_progress(stream=None) -> Say:  # noqa: ANN001 - a text stream
    """The store's progress messages for a terminal: ``读取 i/n`` rewritten on one line, the others on
    their own line. Off a terminal only the waits are shown (a script's log stays short)."""
    out = stream if stream is not None else sys.stderr
    tty = out.isatty()
    pending = [False]

    def say(message: str) -> None:
        reading = message.startswith("读取 ")
        if not tty and not message.startswith((store.MSG_WAIT_INGEST, store.MSG_WAIT_READ)):
            return
        if reading:
            print(f"\r{mask_text(message)}".ljust(60), end="", file=out, flush=True)
            pending[0] = True
            return
        if pending[0]:
            print(file=out)
            pending[0] = False
        print(mask_text(message), file=out, flush=True)

    return say


def _file_line(f: store.FileIngest) -> str:
    if f.status == "skipped":
        return f"  {f.name}：{f.note}"
    basis = "导出时间" if f.version_basis == "export" else "文件修改时间"
    return (
        f"  {f.name}：读取 {f.rows_read} 行，采用 {f.rows_used} 行（新增 {f.cases_new} 件，更新 "
        f"{f.cases_updated} 件，比库中旧而未覆盖 {f.cases_older} 件），剔除 {f.rows_set_aside} 行；"
        f"版本按{basis} {f.version_at}"
    )


def ingest(
    paths: Sequence[str | Path],
    *,
    store_dir: str | Path | None = None,
    wait: float | None = None,
    params_dir: str | Path | None = None,
    progress: Say | None = None,
) -> Outcome:
    """Ingest the exports at `paths` into the store: one line per file, then the store's totals.

    Rows set aside are kept in the store with their reasons (``kwstats check`` lists them); they do
    not fail the ingest.
    """
    if not paths:
        raise UsageError("请给出要导入的导出文件或文件夹，例如 kwstats ingest data/2022-02/。")
    branch = load_branch(params_dir or DEFAULT_PARAMS_DIR)
    sample = any(Path(p).expanduser().resolve() == DEFAULT_SAMPLE_DIR.resolve() for p in paths)
    if sample and not is_current(DEFAULT_SAMPLE_DIR):  # `kwstats ingest data/sample` on a fresh clone
        print("生成合成样例数据（首次约需半分钟）……", file=sys.stderr, flush=True)
        ensure_sample()
    summary = store.ingest_into_store(store_dir, list(paths), branch, progress=progress, timeout=wait)
    out = [_file_line(f) for f in summary.files]
    out.append(summary.message())
    if summary.rows_set_aside:
        out.append(
            f"剔除的 {summary.rows_set_aside} 行连同原因保存在案件库中：kwstats check 可查看文件、行号和原因。"
        )
    return Outcome(out=tuple(out), notes=tuple(dict.fromkeys(summary.warnings)))


def sql(
    query: str,
    *,
    store_dir: str | Path | None = None,
    csv: str | Path | None = None,
    wait: float | None = None,
) -> Outcome:
    """Run a read-only SQL query over the store (tables cases, rejected, files); every text masked.

    Without `csv` the first :data:`SHOWN_ROWS` rows are printed; with it every row is written to the
    CSV file (UTF-8 with BOM, what Excel opens).
    """
    if not str(query).strip():
        raise UsageError(
            '请给出 SQL 查询，例如 kwstats sql "SELECT unit, count(*) FROM cases GROUP BY unit"。'
        )
    frame = store.query(store_dir, query, timeout=wait)
    if csv is not None:
        path = Path(csv).expanduser()
        if path.is_dir():
            raise OutputPathError(f"--csv {mask_text(str(path))} 是一个文件夹：请给出 CSV 文件名。")
        try:
            write_text_atomic(path, "\ufeff" + spreadsheet_safe(frame).to_csv(index=False))
        except OSError as exc:
            raise OutputPathError(output_error_text(path.parent, exc, "CSV 输出目录")) from None
        return Outcome(out=(f"查询结果 {len(frame)} 行已写入 {mask_text(str(path))}。",))
    if frame.empty:
        return Outcome(out=(f"查询结果为空（0 行；列：{'、'.join(map(str, frame.columns)) or '无'}）。",))
    shown = frame.head(SHOWN_ROWS)
    with pd.option_context(
        "display.max_columns", None, "display.width", 200, "display.unicode.east_asian_width", True
    ):
        text = shown.to_string(index=False) + "\n"
    notes = ()
    if len(frame) > SHOWN_ROWS:
        notes = (f"查询结果共 {len(frame)} 行，只显示前 {SHOWN_ROWS} 行；加 --csv 文件名 可写出全部。",)
    return Outcome(text=text, notes=notes)


def export_parquet(
    out_dir: str | Path, *, store_dir: str | Path | None = None, wait: float | None = None
) -> Outcome:
    """Write the store's cases as month-partitioned Parquet (``month=YYYY-MM/part-0.parquet``)."""
    out = store.export_parquet(store_dir, out_dir, timeout=wait)
    manifest = json.loads((out / store.EXPORT_MANIFEST).read_text(encoding="utf-8"))
    months = manifest.get("months", [])
    span = f"{months[0]}～{months[-1]}" if months else "无"
    return Outcome(
        out=(
            f"已导出 {manifest['store']['cases']} 件（{len(months)} 个月：{span}）到 {mask_text(str(out))}，"
            "每月一个分区 month=YYYY-MM/part-0.parquet；Spark、Trino、DuckDB 都可直接读取。",
        )
    )


def backfill(
    first: str,
    last: str,
    *,
    data: DataSource | Sequence[str | Path] | None,
    params_dir: str | Path | None = None,
    out_dir: str | Path = "outputs",
    jobs: int | None = None,
    force: bool = False,
    progress: bool = False,
) -> Outcome:
    """Every month's bulletin from `first` to `last` and the index page; exit 1 when a month failed."""
    result = batch.backfill(
        first,
        last,
        data=data,
        params_dir=params_dir,
        out_dir=out_dir,
        jobs=jobs,
        force=force,
        progress=progress,
    )
    out, notes = batch.summary_lines(result)
    return Outcome(out=tuple(out), notes=tuple(notes), code=EXIT_DATA if result.of("failed") else EXIT_OK)


def bulletin_as_of(
    earlier: str | Path,
    *,
    month: str | None = None,
    data: DataSource | Sequence[str | Path] | None,
    params_dir: str | Path | None = None,
    out_dir: str | Path = "outputs",
) -> Outcome:
    """Rebuild a bulletin from exactly the files its record lists (found by hash among `data`).

    `earlier` is the earlier bulletin's folder or its ``bulletin.ipynb``. The rebuild goes to
    ``<out_dir>/按记录重建/<month>/`` (the month's current bulletin is left alone); the cutoff and
    official/draft are the record's. Differences in params or package versions are said as notes,
    and the summary says whether the rebuilt bulletin's fingerprint equals the recorded one.
    """
    path = Path(earlier)
    notebook = path / official_run.OUTPUTS["执行后的 notebook"] if path.is_dir() else path
    rec = provenance.recorded(notebook)
    if rec is None:
        raise UsageError(
            f"{mask_text(str(notebook))} 不是带生成记录的通报 notebook（较早版本生成的通报没有记录）。"
        )
    if month is not None and Period.month(month).key != rec["month"]:
        raise UsageError(f"--month {Period.month(month).key} 与记录中的月份 {rec['month']} 不一致。")
    if data is None or isinstance(data, DataSource):
        raise UsageError(
            "按记录重新生成需要当时的导出文件：请用 --data 指定保存导出文件的文件夹（可以是多个）。"
        )
    files = provenance.as_of_files(rec, data)
    folder = params_dir or DEFAULT_PARAMS_DIR
    notes = provenance.compare(rec, folder)
    target = Path(out_dir) / "按记录重建"
    with tempfile.TemporaryDirectory(prefix="kwstats-as-of-") as scratch:
        source: DataSource | list[Path] = files
        if rec.get("data") == "store":  # the store's content is a function of the files ingested
            store.ingest_into_store(scratch, files, load_branch(folder))
            source = store_source(scratch)
        built = official_run.build_bulletin(
            rec["month"],
            data=source,
            params_dir=params_dir,
            out_dir=target,
            cutoff=pd.Timestamp(rec["cutoff"]),
            draft=not rec.get("official"),
            progress=True,
        )
    now = provenance.recorded(built["执行后的 notebook"]) or {}
    same = now.get("fingerprint") == rec.get("fingerprint")
    verdict = "与记录一致（输入、参数、截止时间相同）" if same else "与记录不同（见上面的提示）"
    out = [f"按记录重新生成 {rec['month']}：使用 {len(files)} 个输入文件，{verdict}。"]
    out += [f"{label}：{p}" for label, p in built.items()]
    return Outcome(out=tuple(out), notes=tuple(notes))
