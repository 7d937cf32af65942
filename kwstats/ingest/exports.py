"""Reading a set of exports: each file found, read by its format, then all rows checked together."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from kwstats.exceptions import InputFileError
from kwstats.ingest.csvfile import read_csv
from kwstats.ingest.excel import read_workbook
from kwstats.ingest.files import (
    FORMATS,
    SNIFF_BYTES,
    expand_paths,
    no_exports_error,
    read_bytes,
    sniff,
    source_labels,
)
from kwstats.ingest.grid import release_memory
from kwstats.ingest.headers import Raw, alias_map, norm_header
from kwstats.ingest.htmltable import read_html
from kwstats.ingest.result import IngestResult
from kwstats.ingest.rows import parse_rows
from kwstats.masking import mask_text
from kwstats.params import Branch


def read_export(path: str | Path, branch: Branch) -> IngestResult:
    """Read one export file (see :func:`read_exports`)."""
    return read_exports([path], branch)


def read_exports(
    paths: Iterable[str | Path] | str | Path,
    branch: Branch,
    progress: Callable[[int, int, str], None] | None = None,
    *,
    now: dt.datetime | pd.Timestamp | None = None,
) -> IngestResult:
    """Read every export in `paths` (files, or folders of .xlsx/.xls/.csv) into one canonical table.

    Folders are read with their subfolders (see :func:`expand_paths`). Duplicates are detected across
    all files read together. `progress(done, total, file_name)` is called after each file. A
    workbook's worksheets are all read when their header is recognised (one :class:`FileReport`
    each); a worksheet without one (a 说明 sheet) is skipped with a warning. Raises
    :class:`NoExportsFoundError` when the paths hold no export at all.

    An event date after the file's export time (its “导出时间” note, see :attr:`FileReport.exported_at`)
    or, when the file does not say, after `now` (default: the clock, Beijing time) is set aside.
    """
    paths = [paths] if isinstance(paths, str | Path) else list(paths)
    files = expand_paths(paths)
    if not files:
        raise no_exports_error([Path(p) for p in paths])
    labels = source_labels(files)
    aliases = alias_map(branch)
    personal = {norm_header(h) for h in branch.personal_headers}
    raws: list[Raw] = []
    warnings: list[str] = []
    for i, path in enumerate(files, start=1):
        try:
            raws.extend(_read_file(path, labels[path], branch, aliases, personal, warnings))
            release_memory()  # what reading the file took and no longer needs
        except InputFileError as exc:
            # every message quotes the path, some a cell: masked, whichever reader raised it
            exc.args = tuple(mask_text(a) for a in exc.args)
            raise
        if progress is not None:
            progress(i, len(files), mask_text(path.name))
    cases, rejected = parse_rows(raws, branch, _beijing_now(now))
    warnings = [mask_text(w) for w in warnings]
    return IngestResult(cases=cases, rejected=rejected, files=[r.report for r in raws], warnings=warnings)


def _beijing_now(now: dt.datetime | pd.Timestamp | None = None) -> pd.Timestamp:
    """`now` (or the clock) as a naive Beijing time, as the exports write their dates."""
    ts = pd.Timestamp.now(tz="Asia/Shanghai") if now is None else pd.Timestamp(now)
    return ts.tz_convert("Asia/Shanghai").tz_localize(None) if ts.tzinfo is not None else ts


def _read_file(
    path: Path,
    source: str,
    branch: Branch,
    aliases: dict[str, tuple[str, int]],
    personal: set[str],
    warnings: list[str],
) -> list[Raw]:
    """Read one file (every worksheet of a workbook), find the header, keep only the mapped columns.

    `source` is how its rows name it (see :func:`source_labels`). The type comes from the content
    (:func:`sniff`): an .xls that is a zip is read as .xlsx, an "Excel export" that is an HTML
    table as a table. Personal columns are dropped here.
    """
    if not path.exists():
        raise InputFileError(f"找不到文件：{path}。请检查路径和文件名。")
    if not path.is_file():
        raise InputFileError(f"{path}：不是普通文件，无法读取。请给出导出文件，或存放导出文件的文件夹。")
    suffix = path.suffix.lower()
    ext_fmt = FORMATS.get(suffix)
    if ext_fmt is None:
        raise InputFileError(
            f"{path}：不是支持的导出格式（只支持 .xlsx、.xls、.csv）。请从 12315 平台重新导出。"
        )
    head = read_bytes(path, SNIFF_BYTES)
    if not head:
        raise InputFileError(
            f"文件是空的（0 字节）：{path}。导出或下载可能没有成功，请从 12315 平台重新导出后再导入。"
        )
    fmt = sniff(head, ext_fmt)
    if fmt == "csv":
        return [read_csv(path, source, branch, aliases, personal, warnings)]
    if fmt == "html-xls":
        return [read_html(path, source, branch, aliases, personal, warnings)]
    if fmt == "xml-xls":
        raise InputFileError(
            f"{path}：这是“XML 表格（Excel 2003）”格式的文件，不能直接读取。"
            f"请用 Excel 或 WPS 打开后另存为 .xlsx 再导入。"
        )
    if fmt == "text":
        raise InputFileError(
            f"{path}：扩展名是 {suffix}，但内容是文本，不是 Excel 工作簿。"
            f"如果是逗号或制表符分隔的表格，请把扩展名改为 .csv 再导入；"
            f"否则请用 Excel 或 WPS 打开后另存为 .xlsx 再导入。"
        )
    if fmt == "binary":
        raise InputFileError(
            f"{path}：扩展名是 {suffix}，但内容既不是 Excel 工作簿，也不是网页表格或文本，无法识别。"
            f"请确认选对了文件，或从 12315 平台重新导出。"
        )
    return read_workbook(path, fmt, source, branch, aliases, personal, warnings)
