"""Read 12315 platform exports (.xlsx, legacy .xls, .csv) into the canonical case table.

Folders are read recursively (hidden folders and files, ``~$`` lock files and the synthetic sample's
folder are skipped). A file's type is sniffed from its first bytes, not only its extension: a zip
is read as .xlsx and an OLE file as .xls whatever they are called, and an ".xls" that is really an
HTML table (what the platform's "Excel export" often is) is parsed as one (``format`` "html-xls").

Exports differ between platform versions and provinces: headers have several spellings (aliases
in params/branch.yaml), title and note rows sit above the header, total rows trail the data, dates
come as text in several formats or as Excel serials, amounts carry 元 or thousands separators and
flags are 是/否. :func:`read_exports` turns any mix of them into one canonical table
(:func:`kwstats.schema.conform`). Every worksheet of a workbook whose header is recognised is read,
with one :class:`FileReport` each; rows then name their sheet: ``source_file`` is ``file.xlsx[sheet]``
in a workbook of several sheets (just ``file.xlsx`` otherwise). :func:`decode_bytes` decodes a CSV
(UTF-8, UTF-8 with BOM or GB18030) for other readers too.

Nothing is lost silently: a file that cannot be read raises :class:`InputFileError` naming it, a
missing required column raises :class:`MissingColumnError`, and every bad row is set aside in
``IngestResult.rejected`` with its file, line, column, raw value and a reason in Chinese, so that
``rows_read == rows_used + rows_set_aside``. Personal columns are dropped as soon as the header is
known, after each row's own values (姓名, 地址, numbers) have been masked where they recur in its
other cells; every text field but the case id, every text of the rows set aside, file and sheet
names, headers and the warnings are masked (:mod:`kwstats.masking`) before they leave this module.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import os
import re
import stat
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kwstats.exceptions import InputFileError, MissingColumnError
from kwstats.masking import mask_known_rows, mask_series, mask_text
from kwstats.params import Branch, normalize_name
from kwstats.sample_files import MARKER_NAME as _SAMPLE_MARKER
from kwstats.schema import (
    CASE_COLUMNS,
    DATE_FIELDS,
    EVENT_DATE_FIELDS,
    FIELD_LABELS,
    FLAG_FIELDS,
    REJECT_COLUMNS,
    REQUIRED_FIELDS,
    conform,
)

FORMATS = {".xlsx": "xlsx", ".xls": "xls", ".csv": "csv"}
HEADER_SCAN_ROWS = 30
TOTAL_PREFIXES = ("合计", "总计", "小计")
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip (xlsx), or an empty one
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # an OLE compound file (xls, or a password-protected xlsx)
_SNIFF_BYTES = 4096
_ARCHIVE_SUFFIXES = (".zip", ".rar", ".7z")
_MAX_SPAN = 1000  # colspan/rowspan beyond this is taken as 1 (a broken or hostile page)

# Rejection reasons (stable texts: the notebook and the checks group by them).
REASON_TOTAL = "合计行"
REASON_REPEATED_HEADER = "重复的表头行"
REASON_MISSING_ID = "编号为空"
REASON_MISSING_KIND = "业务类型为空"
REASON_UNKNOWN_KIND = "业务类型无法识别（应为 {kinds}）"
REASON_MISSING_REGISTERED = "登记时间为空"
REASON_BAD_DATE = "日期无法识别"
REASON_DATE_OUT_OF_RANGE = "日期不合理（年份应在 1990—2099 之间）"
REASON_BAD_AMOUNT = "金额无法识别"
REASON_NEGATIVE_AMOUNT = "金额为负数"
REASON_AMOUNT_TOO_LARGE = "金额不合理（超过 100 亿元）"
REASON_FUTURE_DATE = "日期晚于文件的导出时间 {at}"
REASON_FUTURE_DATE_NOW = "日期在未来（晚于读取时的当前时间 {at}）"
REASON_BAD_FLAG = "是/否值无法识别（应为 是、否、Y、N、1、0、√）"
REASON_BAD_URGES = "催办次数不是非负整数"
REASON_CLOSED_BEFORE_REGISTERED = "办结时间早于登记时间"
REASON_DUPLICATE = "重复行，与 {file} 第 {line} 行相同"
REASON_CONFLICT = "编号重复但内容不同（{columns}），已保留 {file} 第 {line} 行"

# Cell texts that mean "nothing" in typed columns (dates, amount, flags, urges).
_BLANK_TOKENS = ["-", "--", "—", "——", "/", "无", "null", "NULL", "None", "nan", "NaN", "NaT"]
_TRUE = ["是", "y", "yes", "1", "1.0", "√", "✓", "✔", "true"]
_FALSE = ["否", "n", "no", "0", "0.0", "×", "✗", "false"]
_MIN_YEAR, _MAX_YEAR = 1990, 2099
# An amount (挽回经济损失, 元) above this is no recovered loss but a typo or a hostile cell (1e308, 31
# digits): it is set aside. 100 亿元 is far above any consumer case, and keeps every sum exact in the
# Decimal arithmetic of 万元 (28 significant digits).
MAX_AMOUNT_YUAN = 1e10
_NS_YEARS = (1678, 2261)  # representable in datetime64[ns]
_SERIAL_MIN, _SERIAL_MAX = 20000, 80000
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")  # 1900 date system, Lotus leap-year bug included

_DATE_RE = re.compile(
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[\sT]*(?P<ap>上午|下午)?\s*(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{1,2})"
    r"(?:\s*[:分]\s*(?P<S>\d{1,2})(?:\.\d+)?)?\s*[分秒]?)?$"
)
_COMPACT_DATE_RE = re.compile(
    r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})?)?$"
)
_SERIAL_RE = re.compile(r"^\d{5}(?:\.\d+)?$")
_GROUPED_NUMBER_RE = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d*)?万?")  # well-formed thousands separators
_TEXT_FIELDS = (
    "case_id",
    "unit",
    "channel",
    "stage",
    "goods_category",
    "problem_category",
    "respondent",
    "content",
    "result",
)
# Every text field is masked (SPEC §2: whatever its column) except the case id: it is the key that
# duplicates, the case store and the analyst's look-up in the platform depend on, and real ids
# (region + date + sequence, 18 digits) can have the shape of an ID number.
_MASKED_FIELDS = tuple(f for f in _TEXT_FIELDS if f != "case_id")
_QUIET_HEADERS = {"序号", "行号"}  # ignored without a warning
_COALESCED_FIELDS = ("respondent", "content")  # several columns may carry them (被投诉方 / 被举报方)


class NoExportsFoundError(InputFileError):
    """Nothing to read at the given paths: folders (subfolders included) without any .xlsx/.xls/.csv,
    or a path that does not exist. A usage error (a wrong path), not a problem in the data."""


@dataclass
class FileReport:
    """What was read from one export file."""

    path: str
    format: str  # by content: "xlsx" / "xls" / "csv" / "html-xls" (an HTML table named .xls or .xlsx)
    encoding: str | None  # csv and html-xls: "utf-8", "utf-8-sig" (with BOM), "gb18030" (or "utf-16")
    header_line: int  # 1-based line of the header row
    rows_read: int  # non-blank rows below the header (total rows included)
    rows_used: int
    rows_set_aside: int
    total_rows: int  # 合计/总计/小计 rows (also counted in rows_set_aside)
    blank_rows: int  # fully blank rows, skipped and not in rows_read
    columns: dict[str, str]  # field -> header found
    unmapped_headers: list[str] = field(default_factory=list)  # ignored columns (no alias matched)
    personal_headers: list[str] = field(default_factory=list)  # personal columns dropped unread
    sheet: str | None = None  # Excel: the worksheet read (one FileReport per worksheet read)
    # as in `source_file`: "file.xlsx", or "file.xlsx[sheet]" in a workbook of several sheets; files of
    # the same name read together are told apart by their folders ("2022-01/file.xlsx")
    source: str = ""
    # 导出时间 as a title or note row above the header states it ("2022-02-01 09:12:33", or a bare
    # "2022-02-01": some time that day); event dates after it are set aside. Text, so the report
    # stays plain data.
    exported_at: str | None = None

    def __post_init__(self) -> None:
        if not self.source:
            self.source = Path(self.path).name


@dataclass
class IngestResult:
    """The canonical cases, the rows set aside, and a report per file (per worksheet read for Excel)."""

    cases: pd.DataFrame
    rejected: pd.DataFrame
    files: list[FileReport]
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_used(self) -> int:
        return sum(f.rows_used for f in self.files)

    @property
    def rows_set_aside(self) -> int:
        return sum(f.rows_set_aside for f in self.files)

    def summary(self) -> str:
        """One Chinese sentence for clerks: files, rows read, used, set aside and why."""
        n_files = len({f.path for f in self.files})
        sheets = f"（{len(self.files)} 个工作表）" if len(self.files) > n_files else ""
        text = (
            f"读取 {n_files} 个文件{sheets}共 {self.rows_read} 行：采用 {self.rows_used} 行，"
            f"搁置 {self.rows_set_aside} 行"
        )
        if self.rows_set_aside:
            heads = self.rejected["reason"].str.extract(r"^([^，（]+)", expand=False)
            counts = sorted(heads.value_counts(sort=False).items(), key=lambda kv: -kv[1])
            text += "（" + "，".join(f"{k} {v}" for k, v in counts) + "）"
        return text + "。"


@dataclass
class _Raw:
    """One file (or worksheet) after header detection: the mapped columns as text, one row per data row."""

    report: FileReport
    cells: dict[str, np.ndarray]  # field -> object array of text
    lines: np.ndarray  # source line of each row
    first: np.ndarray  # first non-empty cell of each row (for total rows)
    first_header: np.ndarray  # header of that cell
    headers: dict[str, str]  # field -> header as found


# ---------------------------------------------------------------------------------------------
# public API


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
        raise _no_exports_error([Path(p) for p in paths])
    labels = _source_labels(files)
    aliases = _alias_map(branch)
    personal = {_norm_header(h) for h in branch.personal_headers}
    raws: list[_Raw] = []
    warnings: list[str] = []
    for i, path in enumerate(files, start=1):
        raws.extend(_read_file(path, labels[path], branch, aliases, personal, warnings))
        if progress is not None:
            progress(i, len(files), mask_text(path.name))
    cases, rejected = _parse_all(raws, branch, _beijing_now(now))
    warnings = [mask_text(w) for w in warnings]
    return IngestResult(cases=cases, rejected=rejected, files=[r.report for r in raws], warnings=warnings)


def _beijing_now(now: dt.datetime | pd.Timestamp | None = None) -> pd.Timestamp:
    """`now` (or the clock) as a naive Beijing time, as the exports write their dates."""
    ts = pd.Timestamp.now(tz="Asia/Shanghai") if now is None else pd.Timestamp(now)
    return ts.tz_convert("Asia/Shanghai").tz_localize(None) if ts.tzinfo is not None else ts


def expand_paths(paths: Iterable[str | Path] | str | Path) -> list[Path]:
    """Files to read: given files and folders' exports, each once, sorted by (name, full path).

    Folders are walked with their subfolders (``data/`` holding ``data/2022-01/…``); hidden folders
    and files (a leading dot, or the Windows hidden attribute, so ``.kwstats*`` folders too), ``~$``
    lock files and subfolders holding the synthetic sample (its ``.sample-version`` marker) are
    skipped. A given file is taken whatever its name. A path that does not exist raises
    :class:`NoExportsFoundError`; an unreadable folder raises :class:`InputFileError`.

    The order is that of the file names whatever the order of the arguments, so "the first
    occurrence in file-name order" (duplicates) never depends on how the files were given.
    """
    out: list[Path] = []
    seen: set[Path] = set()
    if isinstance(paths, str | Path):
        paths = [paths]
    for p in map(Path, paths):
        if p.is_dir():
            candidates: Sequence[Path] = _walk(p)
        elif p.exists():
            candidates = [p]
        else:
            raise NoExportsFoundError(
                f"找不到文件或文件夹：{p}。请检查路径和文件名（包括年份、月份）是否写对。"
            )
        for c in candidates:
            key = c.resolve()
            if key not in seen:
                seen.add(key)
                out.append(c)
    return sorted(out, key=lambda c: (c.name, str(c.resolve())))


def _skipped_entry(entry: os.DirEntry) -> bool:
    """Hidden (leading dot, or the Windows hidden attribute) or an Office lock file (~$…)."""
    if entry.name.startswith((".", "~$")):
        return True
    if os.name == "nt":
        attrs = getattr(entry.stat(follow_symlinks=False), "st_file_attributes", 0)
        return bool(attrs & stat.FILE_ATTRIBUTE_HIDDEN)
    return False


def _walk(root: Path, others: list[Path] | None = None, samples: list[Path] | None = None) -> list[Path]:
    """The exports under `root`, subfolders included; `others` and `samples` collect what is passed over.

    `others`: files that are not exports (by extension); `samples`: synthetic-sample subfolders.
    Symbolic links are followed, each folder walked once.
    """
    found: list[Path] = []
    stack = [root]
    visited: set[str] = set()
    while stack:
        folder = stack.pop()
        real = os.path.realpath(folder)
        if real in visited:
            continue
        visited.add(real)
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:
            raise _os_error(folder, exc, what="文件夹") from None
        for e in entries:
            try:
                if _skipped_entry(e):
                    continue
                path = Path(e.path)
                if e.is_dir():
                    if (path / _SAMPLE_MARKER).is_file():
                        if samples is not None:
                            samples.append(path)
                    else:
                        stack.append(path)
                elif e.is_file():
                    if path.suffix.lower() in FORMATS:
                        found.append(path)
                    elif others is not None:
                        others.append(path)
            except OSError as exc:
                raise _os_error(Path(e.path), exc) from None
    return found


def _no_exports_error(given: list[Path]) -> NoExportsFoundError:
    """The error when the given paths (existing folders, by then) hold no export at all."""
    if not given:
        return NoExportsFoundError(
            "没有给出任何导出文件或文件夹。请指定 12315 平台导出的文件，或存放它们的文件夹。"
        )
    others: list[Path] = []
    samples: list[Path] = []
    for folder in given:
        _walk(folder, others, samples)
    text = (
        f"在文件夹 {'、'.join(str(f) for f in given)} 及其子文件夹中没有找到任何导出文件"
        f"（查找的是 .xlsx、.xls、.csv 文件）。请确认路径是否正确，导出文件是否已放进去。"
    )
    archives = [f.name for f in others if f.suffix.lower() in _ARCHIVE_SUFFIXES]
    rest = [f.name for f in others if f.suffix.lower() not in _ARCHIVE_SUFFIXES]
    if archives:
        text += f"其中有压缩包（{_some(archives)}），请先解压再导入。"
    if rest:
        text += f"其中的其他文件（{_some(rest)}）不是导出格式，未读取。"
    if samples:
        text += f"合成样例文件夹（{_some([str(s) for s in samples])}）不会与其他数据一起读取，如需读取请单独给出。"
    return NoExportsFoundError(text)


def _some(names: list[str], n: int = 3) -> str:
    shown = "、".join(sorted(names)[:n])
    return shown + (f" 等 {len(names)} 个" if len(names) > n else "")


def _source_labels(files: list[Path]) -> dict[Path, str]:
    """How rows name their file: the file name, with as many parent folders as tell apart files of
    the same name read together ("2022-01/export.xlsx" and "2022-02/export.xlsx")."""
    by_name: dict[str, list[Path]] = {}
    for f in files:
        by_name.setdefault(f.name, []).append(f)
    labels: dict[Path, str] = {}
    for group in by_name.values():
        if len(group) == 1:
            labels[group[0]] = group[0].name
            continue
        parts = [f.resolve().parts for f in group]
        for k in range(2, max(len(p) for p in parts) + 1):
            tails = ["/".join(p[-k:]) for p in parts]
            if len(set(tails)) == len(tails):
                break
        labels.update(zip(group, tails, strict=True))
    return labels


# ---------------------------------------------------------------------------------------------
# reading files into grids of text


def _cell_str(x: Any) -> str:
    """A cell as stripped text; Excel numbers without spurious '.0', datetimes in ISO form."""
    if type(x) is str:
        x = x.strip()
        if x[:2] == '="' and x[-1:] == '"' and len(x) > 2:  # CSV idiom keeping long numbers as text
            return x[2:-1].strip()
        return x
    if x is None:
        return ""
    if isinstance(x, bool):
        return "TRUE" if x else "FALSE"
    if isinstance(x, float):
        if math.isnan(x):
            return ""
        if x.is_integer() and abs(x) < 1e16:
            return str(int(x))
        return repr(x)
    if isinstance(x, dt.datetime):
        return x.isoformat(sep=" ")
    if isinstance(x, dt.date | dt.time):
        return x.isoformat()
    return str(x).strip()


_to_text = np.frompyfunc(_cell_str, 1, 1)


def _read_excel(path: Path, fmt: str) -> tuple[list[tuple[str, list[list[Any]]]], list[str]]:
    """(name, rows) of each visible worksheet in workbook order, and the hidden worksheets left unread.

    `fmt` is the type sniffed from the content ("xlsx" or "xls"); when the extension says otherwise
    the workbook is opened from the file's bytes, so that the reader goes by content too. Rows come
    with empty leading rows kept, so that row i is Excel row i + 1. When no worksheet is visible,
    all are read.
    """
    from python_calamine import PasswordError, SheetTypeEnum, SheetVisibleEnum, load_workbook

    by_extension = FORMATS.get(path.suffix.lower()) == fmt
    try:
        with open(path, "rb") as fh, load_workbook(str(path) if by_extension else fh) as book:
            # closed at once: Windows locks open files
            worksheets = [m for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
            if not worksheets:
                raise InputFileError(f"{path}：文件中没有工作表。请确认导出是否完整，必要时重新导出。")
            visible = [m for m in worksheets if m.visible == SheetVisibleEnum.Visible] or worksheets
            hidden = [m.name for m in worksheets if m not in visible]
            sheets = [
                (m.name, book.get_sheet_by_name(m.name).to_python(skip_empty_area=False)) for m in visible
            ]
    except InputFileError:
        raise
    except PasswordError:
        raise _password_error(path) from None
    except OSError as exc:
        raise _os_error(path, exc) from None
    except Exception as exc:  # calamine raises several error types for corrupt or foreign files
        raise _unreadable_excel_error(path, fmt, exc) from None
    return sheets, hidden


def _password_error(path: Path) -> InputFileError:
    return InputFileError(f"{path}：文件有密码保护，无法读取。请在 Excel 或 WPS 中去掉密码后另存，再导入。")


def _technical(exc: BaseException) -> str:
    """The library's own words, for support staff, at the very end of a message."""
    detail = str(exc).strip()
    return f"（供技术支持参考：[{type(exc).__name__}]{' ' + detail if detail else ''}）"


def _unreadable_excel_error(path: Path, fmt: str, exc: Exception) -> InputFileError:
    """Why a zip (xlsx) or OLE (xls) file could not be read, in words a clerk can act on."""
    tech = _technical(exc)
    reexport = "请从 12315 平台重新导出该文件后再导入"
    if fmt == "xlsx":
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            names = None  # not even a readable zip: truncated or damaged
        if names is not None and "xl/workbook.xml" not in names:
            if "word/document.xml" in names:
                what, todo = "Word 文档", "请确认选对了文件"
            elif any(n.startswith("ppt/") for n in names):
                what, todo = "PowerPoint 文档", "请确认选对了文件"
            else:
                what, todo = "压缩包（zip）", "如果是下载的压缩包，请先解压，再导入其中的导出文件"
            return InputFileError(f"{path}：这个文件是{what}，不是 Excel 工作簿。{todo}。{tech}")
        return InputFileError(
            f"{path}：文件看起来已损坏（可能没有下载完整，或复制时中断），无法按 Excel 工作簿读取。"
            f"{reexport}；如果只有这一份，可以试着用 Excel 或 WPS 打开，另存为 .xlsx 再导入。{tech}"
        )
    try:
        data = path.read_bytes()
    except OSError:
        data = b""
    if "EncryptedPackage".encode("utf-16-le") in data:  # an encrypted (password) xlsx is an OLE file
        return _password_error(path)
    return InputFileError(
        f"{path}：文件看起来已损坏，或不是 Excel 97-2003 工作簿（.xls），无法读取。"
        f"{reexport}；如果能用 Excel 或 WPS 打开，请另存为 .xlsx 再导入。{tech}"
    )


def _os_error(path: Path, exc: OSError, what: str = "文件") -> InputFileError:
    """A system error reading `path`, said in Chinese with what to do."""
    if isinstance(exc, PermissionError):
        why = "没有读取权限，或正被其他程序（如 Excel、WPS）占用"
        todo = "请关闭打开着它的程序、确认有读取权限后重试"
    elif isinstance(exc, FileNotFoundError):
        why = "在读取时已不存在（可能刚被移动、改名或删除）"
        todo = "请检查后重试"
    else:
        why = "读取时出错（可能是网络盘或 U 盘已断开，或磁盘有问题）"
        todo = "请把它复制到本机硬盘后重试"
    return InputFileError(f"{path}：无法读取这个{what}，{why}。{todo}。{_technical(exc)}")


@dataclass
class _Decoded:
    text: str
    encoding: str  # "utf-8", "utf-8-sig" or "gb18030"
    utf8_error: str | None = None  # where UTF-8 failed, when the text was read as GB18030


def _utf8_error_at(data: bytes, exc: UnicodeDecodeError, bom: int) -> str:
    """'第 L 行第 N 字节' of a UTF-8 decoding error (1-based, BOM included in the byte count)."""
    pos = exc.start + bom
    line = data[:pos].count(b"\n") + 1
    return f"第 {line} 行（第 {pos + 1} 字节）"


def _decode_detail(path: Path, data: bytes) -> _Decoded:
    if b"\x00" in data[:4096]:
        raise InputFileError(
            f"{path}：不是文本 CSV 文件（可能是 UTF-16 编码或二进制文件）。"
            f"请用 Excel 打开后另存为“CSV UTF-8（逗号分隔）”或 .xlsx 再导入。"
        )
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return _Decoded(data[bom:].decode("utf-8"), "utf-8-sig" if bom else "utf-8")
    except UnicodeDecodeError as exc:
        where = _utf8_error_at(data, exc, bom)
    try:
        return _Decoded(data.decode("gb18030"), "gb18030", where)
    except UnicodeDecodeError as exc:
        gb_where = f"第 {exc.start + 1} 字节"
    raise InputFileError(
        f"{path}：无法识别文件编码（试过 UTF-8、UTF-8 BOM、GB18030）：{where}处无法按 UTF-8 解码，"
        f"{gb_where}处也无法按 GB18030 解码。"
        f"请用 Excel 打开后另存为“CSV UTF-8（逗号分隔）”或 .xlsx 再导入。"
    )


def decode_bytes(path: str | Path, data: bytes) -> tuple[str, str]:
    """Decode a CSV file's bytes as UTF-8 (with or without BOM), else GB18030.

    Returns (text, encoding) with encoding "utf-8", "utf-8-sig" (BOM, removed from the text) or
    "gb18030". Raises :class:`InputFileError` naming `path` when the bytes are neither (or look like
    UTF-16 or a binary file).
    """
    decoded = _decode_detail(Path(path), data)
    return decoded.text, decoded.encoding


def _parse_csv(path: Path, text: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """CSV records and the line on which each starts (quoted fields may span lines).

    A cell may be as long as the file (the csv module's default cap of 131 072 characters would
    refuse a long 登记内容). A quote that is never closed would swallow every later line into one
    cell: that is an error naming the line where the quoted cell starts, not a silent loss.
    """
    old_limit = csv.field_size_limit()
    csv.field_size_limit(max(old_limit, min(len(text) + 1, 2**31 - 1)))  # C long on Windows
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows: list[list[str]] = []
        lines: list[int] = []
        prev = 0
        try:
            for rec in reader:
                rows.append(rec)
                lines.append(prev + 1)
                prev = reader.line_num
            if rows:  # the last record again, strictly: does it end inside an open quote?
                tail = "".join(io.StringIO(text, newline="").readlines()[lines[-1] - 1 :])
                try:
                    for _ in csv.reader(io.StringIO(tail, newline=""), delimiter=delimiter, strict=True):
                        pass
                except csv.Error as exc:
                    if "end of data" in str(exc):
                        prev = lines[-1] - 1
                        raise
        except csv.Error as exc:
            raise InputFileError(
                f'{path}：第 {prev + 1} 行附近 CSV 格式有误，可能是某个格子的引号（"）没有成对，'
                f"使后面的内容都连成了一格。请用记事本或 Excel 查看这一行，改正后再导入，"
                f"或从平台重新导出为 .xlsx。{_technical(exc)}"
            ) from None
    finally:
        csv.field_size_limit(old_limit)
    return rows, lines


def _grid(rows: list[list[Any]]) -> np.ndarray:
    """Rows (possibly ragged) as a 2-D object array of stripped text."""
    if not rows:
        return np.empty((0, 0), dtype=object)
    width = max(len(r) for r in rows)
    if width == 0:
        return np.full((len(rows), 0), "", dtype=object)
    if any(len(r) != width for r in rows):
        rows = [list(r) + [""] * (width - len(r)) for r in rows]
    cells = np.empty((len(rows), width), dtype=object)
    cells[:] = rows
    return _to_text(cells).astype(object)


# ---------------------------------------------------------------------------------------------
# header detection and column mapping


def _norm_header(h: Any) -> str:
    """Header text for matching: NFKC (full-width parentheses -> half-width), no whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(h)))


def _alias_map(branch: Branch) -> dict[str, tuple[str, int]]:
    """Normalised alias -> (field, priority); the first field listing an alias wins."""
    out: dict[str, tuple[str, int]] = {}
    for fld, aliases in branch.headers.items():
        for prio, alias in enumerate(aliases):
            out.setdefault(_norm_header(alias), (fld, prio))
    return out


def _find_header(grid: np.ndarray, aliases: dict[str, tuple[str, int]]) -> tuple[int | None, int]:
    """(index of the header row or None, index of the best candidate row for the error message)."""
    required = set(REQUIRED_FIELDS)
    best, best_count, widest, widest_count = 0, 0, 0, -1
    for r in range(min(HEADER_SCAN_ROWS, grid.shape[0])):
        cells = [_norm_header(c) for c in grid[r] if c]
        matched = {aliases[c][0] for c in cells if c in aliases}
        if required <= matched:
            return r, r
        if len(matched) > best_count:
            best, best_count = r, len(matched)
        if len(cells) > widest_count:
            widest, widest_count = r, len(cells)
    return None, best if best_count else widest


def _map_columns(
    header: np.ndarray, aliases: dict[str, tuple[str, int]], personal: set[str]
) -> tuple[dict[str, list[int]], list[str], list[str]]:
    """field -> column indices (best alias first), unmapped headers, personal headers."""
    candidates: dict[str, list[tuple[int, int]]] = {}
    unmapped: list[str] = []
    dropped: list[str] = []
    for j, h in enumerate(header):
        if not h:
            continue
        key = _norm_header(h)
        if key in personal:
            dropped.append(h)
        elif key in aliases:
            fld, prio = aliases[key]
            candidates.setdefault(fld, []).append((prio, j))
        else:
            unmapped.append(h)
    columns: dict[str, list[int]] = {}
    for fld, cands in candidates.items():
        ordered = [j for _, j in sorted(cands)]
        if fld in _COALESCED_FIELDS or len(ordered) == 1:
            columns[fld] = ordered
        else:
            columns[fld] = ordered[:1]
            unmapped.extend(str(header[j]) for j in ordered[1:])
    return columns, unmapped, dropped


def _read_bytes(path: Path, limit: int = -1) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(limit)
    except OSError as exc:
        raise _os_error(path, exc) from None


def _sniff(head: bytes, by_extension: str) -> str:
    """The file's type from its first bytes: "xlsx" (zip), "xls" (OLE), else for a .csv "csv", and
    for a .xls/.xlsx "html-xls" (markup), "xml-xls" (Excel 2003 XML), "text" or "binary"."""
    if head.startswith(_ZIP_MAGIC):
        return "xlsx"
    if head.startswith(_OLE_MAGIC):
        return "xls"
    if by_extension == "csv":
        return "csv"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head.decode("utf-16", errors="ignore")
    else:  # tags are ASCII in UTF-8 and GB18030 alike
        text = head.removeprefix(codecs.BOM_UTF8).decode("latin-1")
    text = text.lstrip().lower()
    if text.startswith("<"):
        if "<html" not in text and ("<workbook" in text or "<ss:workbook" in text):
            return "xml-xls"
        return "html-xls"
    return "binary" if b"\x00" in head else "text"


def _read_file(
    path: Path,
    source: str,
    branch: Branch,
    aliases: dict[str, tuple[str, int]],
    personal: set[str],
    warnings: list[str],
) -> list[_Raw]:
    """Read one file (every worksheet of a workbook), find the header, keep only the mapped columns.

    `source` is how its rows name it (see :func:`_source_labels`). The type comes from the content
    (:func:`_sniff`): an .xls that is a zip is read as .xlsx, an "Excel export" that is an HTML
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
    head = _read_bytes(path, _SNIFF_BYTES)
    if not head:
        raise InputFileError(
            f"文件是空的（0 字节）：{path}。导出或下载可能没有成功，请从 12315 平台重新导出后再导入。"
        )
    fmt = _sniff(head, ext_fmt)
    if fmt == "csv":
        return [_read_csv(path, source, branch, aliases, personal, warnings)]
    if fmt == "html-xls":
        return [_read_html(path, source, branch, aliases, personal, warnings)]
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

    sheets, hidden = _read_excel(path, fmt)
    several = len(sheets) + len(hidden) > 1
    raws: list[_Raw] = []
    skipped: list[str] = []
    candidates: list[tuple[int, str, np.ndarray, int]] = []  # (aliases matched, sheet, grid, best row)
    for name, rows in sheets:
        grid = _grid(rows)
        if grid.size == 0 or not (grid != "").any():
            continue  # an empty worksheet holds nothing to lose
        header_idx, best = _find_header(grid, aliases)
        sheet_source = f"{source}[{name}]" if several else source
        if header_idx is not None:
            lines = list(range(1, grid.shape[0] + 1))
            raws.append(
                _build_raw(
                    path, sheet_source, fmt, None, name, grid, lines, header_idx, aliases, personal, warnings
                )
            )
            continue
        matched = _matched_fields(grid[best], aliases)
        candidates.append((len(matched), name, grid, best))
        why = (
            f"缺少必需列“{FIELD_LABELS[next(f for f in REQUIRED_FIELDS if f not in matched)]}”"
            if matched
            else f"前 {HEADER_SCAN_ROWS} 行中没有可识别的表头"
        )
        skipped.append(f"{source}：工作表“{name}”没有找到案件表头（{why}），未读取。")
    if not raws and not candidates:
        raise InputFileError(f"{path}：文件是空的，没有任何内容。请确认导出是否成功。")
    if not raws:
        _, name, grid, best = max(candidates, key=lambda c: c[0])  # first of the best on ties
        where = f"{path}[{name}]" if several else str(path)
        err = _missing_column(where, grid[best], aliases, branch)
        if len(candidates) > 1:
            err.args = (f"{err}（其余 {len(candidates) - 1} 个工作表也没有找到表头。）",)
        raise err
    warnings.extend(skipped)
    if hidden:
        names = "、".join(f"“{h}”" for h in hidden)
        warnings.append(f"{source}：隐藏的工作表 {names} 未读取；如其中有案件，请取消隐藏后再导入。")
    return raws


def _matched_fields(header: np.ndarray, aliases: dict[str, tuple[str, int]]) -> set[str]:
    keys = (_norm_header(h) for h in header if h)
    return {aliases[k][0] for k in keys if k in aliases}


def _missing_column(
    where: str, header: np.ndarray, aliases: dict[str, tuple[str, int]], branch: Branch
) -> MissingColumnError:
    """The error for a header row (the best candidate) that lacks a required column."""
    found = [mask_text(str(h)) for h in header if h]  # the best candidate may be a row of data
    matched = _matched_fields(header, aliases)
    missing = next(f for f in REQUIRED_FIELDS if f not in matched)
    return MissingColumnError(mask_text(where), missing, list(branch.headers[missing]), found)


def _read_csv(
    path: Path,
    source: str,
    branch: Branch,
    aliases: dict[str, tuple[str, int]],
    personal: set[str],
    warnings: list[str],
) -> _Raw:
    data = _read_bytes(path)
    decoded = _decode_detail(path, data)
    text = decoded.text
    rows, lines = _parse_csv(path, text, ",")
    grid = _grid(rows)
    header_idx, best = _find_header(grid, aliases)
    if header_idx is None and "\t" in text:
        tab_rows, tab_lines = _parse_csv(path, text, "\t")
        tab_grid = _grid(tab_rows)
        tab_idx, _ = _find_header(tab_grid, aliases)
        if tab_idx is not None:
            rows, lines, grid, header_idx = tab_rows, tab_lines, tab_grid, tab_idx
    if grid.size == 0 or not (grid != "").any():
        raise InputFileError(f"{path}：文件是空的，没有任何内容。请确认导出是否成功。")
    if header_idx is None:
        err = _missing_column(str(path), grid[best], aliases, branch)
        if decoded.utf8_error is not None:
            if _matched_fields(grid[best], aliases):  # a real GB18030 export lacking a column
                err.args = (f"{err}（文件按 GB18030 编码读取。）",)
            else:
                shown = "、".join(h[:20] for h in err.headers[:8]) or "（空）"
                err.args = (
                    f"{path}：文件不是有效的 UTF-8（{decoded.utf8_error}处无法按 UTF-8 解码），"
                    f"按 GB18030 读出的表头像乱码：{shown}。"
                    f"请用 Excel 或记事本打开后另存为 UTF-8 或 GB18030（ANSI）编码的 CSV 再导入。"
                    f"（{err}）",
                )
        raise err
    return _build_raw(
        path, source, "csv", decoded.encoding, None, grid, lines, header_idx, aliases, personal, warnings
    )


class _TableParser(HTMLParser):
    """The rows of every <table> in a page, as lists of cell text in document order.

    Cell text is what a browser (or Excel) shows: runs of whitespace collapsed to one space, <br> a
    line break, &nbsp; a space. colspan and rowspan are spread out with empty cells so that columns
    stay aligned; <script> and <style> are skipped.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._colspan = 1
        self._rowspan = 1
        self._pending: dict[int, int] = {}  # column -> rows below still covered by a rowspan
        self._covered: set[int] = set()  # columns of the current row covered from above
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "tr":
            self._end_row()
            self._start_row()
        elif tag in ("td", "th"):
            self._end_cell()
            if self._row is None:  # a cell without <tr>
                self._start_row()
            a = dict(attrs)
            self._colspan, self._rowspan = _span(a.get("colspan")), _span(a.get("rowspan"))
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")
        elif tag == "table":
            self._end_row()
            self._pending.clear()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th"):
            self._end_cell()
        elif tag in ("tr", "table"):
            self._end_row()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" and self._cell is not None:
            self._cell.append("\n")
        elif tag in ("td", "th"):  # <td/>: an empty cell
            self.handle_starttag(tag, attrs)
            self._end_cell()

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._skip:
            self._cell.append(re.sub(r"[ \t\r\n\f\xa0]+", " ", data))

    def close(self) -> None:
        super().close()
        self._end_row()

    def _start_row(self) -> None:
        self._row = []
        self._covered = {c for c, n in self._pending.items() if n > 0}

    def _skip_covered(self) -> None:
        assert self._row is not None
        while len(self._row) in self._covered:
            self._row.append("")

    def _end_cell(self) -> None:
        if self._cell is None or self._row is None:
            self._cell = None
            return
        text = re.sub(r" *\n *", "\n", "".join(self._cell)).strip()
        self._cell = None
        self._skip_covered()
        col = len(self._row)
        self._row.append(text)
        self._row.extend([""] * (self._colspan - 1))
        if self._rowspan > 1:
            for c in range(col, col + self._colspan):
                self._pending[c] = self._rowspan - 1

    def _end_row(self) -> None:
        self._end_cell()
        if self._row is None:
            return
        if self._covered:
            self._skip_covered()
        self.rows.append(self._row)
        for c in self._covered:
            self._pending[c] -= 1
            if self._pending[c] <= 0:
                del self._pending[c]
        self._row, self._covered = None, set()


def _span(value: str | None) -> int:
    try:
        n = int(str(value).strip().rstrip(";"))
    except ValueError:
        return 1
    return n if 1 <= n <= _MAX_SPAN else 1


def _decode_html(path: Path, data: bytes) -> tuple[str, str]:
    """A page's text and encoding: UTF-16 (with BOM), UTF-8 (with or without BOM), else GB18030."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = [("utf-16", data)]
    else:
        bom = data.startswith(codecs.BOM_UTF8)
        candidates = [
            ("utf-8-sig" if bom else "utf-8", data.removeprefix(codecs.BOM_UTF8)),
            ("gb18030", data),
        ]
    for encoding, raw in candidates:
        try:
            return raw.decode("utf-8" if encoding == "utf-8-sig" else encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InputFileError(
        f"{path}：这是网页格式的表格，但无法识别文字编码（试过 UTF-8、GB18030）。"
        f"请用 Excel 或 WPS 打开后另存为 .xlsx 再导入。"
    )


def _read_html(
    path: Path,
    source: str,
    branch: Branch,
    aliases: dict[str, tuple[str, int]],
    personal: set[str],
    warnings: list[str],
) -> _Raw:
    """An "Excel export" that is an HTML table: its rows go through the same header detection and
    mapping as a CSV's. Line numbers are table rows (1-based, all tables of the page in order), as
    Excel shows them when it opens the file."""
    text, encoding = _decode_html(path, _read_bytes(path))
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    if not parser.rows:
        raise InputFileError(
            f"{path}：扩展名是 {path.suffix}，实际是网页（HTML）文件，但里面没有表格。"
            f"请从 12315 平台重新导出，或用 Excel 打开后另存为 .xlsx 再导入。"
        )
    grid = _grid(parser.rows)
    if grid.size == 0 or not (grid != "").any():
        raise InputFileError(f"{path}：文件是空的，表格里没有任何内容。请确认导出是否成功。")
    header_idx, best = _find_header(grid, aliases)
    if header_idx is None:
        raise _missing_column(str(path), grid[best], aliases, branch)
    lines = list(range(1, grid.shape[0] + 1))
    return _build_raw(
        path, source, "html-xls", encoding, None, grid, lines, header_idx, aliases, personal, warnings
    )


def _build_raw(
    path: Path,
    source: str,
    fmt: str,
    encoding: str | None,
    sheet: str | None,
    grid: np.ndarray,
    lines: list[int],
    header_idx: int,
    aliases: dict[str, tuple[str, int]],
    personal: set[str],
    warnings: list[str],
) -> _Raw:
    """The mapped columns of the rows below the header (personal columns dropped unread)."""
    source = mask_text(source)
    header = grid[header_idx]
    columns, unmapped, dropped = _map_columns(header, aliases, personal)
    body = grid[header_idx + 1 :]
    body_lines = np.asarray(lines[header_idx + 1 :], dtype=np.int64)
    blank = ~(body != "").any(axis=1) if body.shape[1] else np.ones(len(body), bool)
    body, body_lines = body[~blank], body_lines[~blank]

    # first non-empty cell of each row (any column, personal ones included) for total-row detection
    if len(body):
        first_j = (body != "").argmax(axis=1)
        first = body[np.arange(len(body)), first_j]
        first_header = np.array([str(header[j]) or f"第{j + 1}列" for j in first_j], dtype=object)
    else:
        first = first_header = np.empty(0, dtype=object)

    cells: dict[str, np.ndarray] = {}
    for fld, js in columns.items():
        col = body[:, js[0]]
        for j in js[1:]:
            col = np.where(col == "", body[:, j], col)
        cells[fld] = col
    # before the personal columns go: each row's own 姓名/地址/numbers, masked where they recur in
    # its other cells (the case id excepted: see _MASKED_FIELDS)
    own = [body[:, j] for j, h in enumerate(header) if h and _norm_header(h) in personal]
    if own and len(body):
        names = [f for f in cells if f != "case_id"]
        # dates, amounts and the first cell (mostly the case id): names only
        typed = [k for k, f in enumerate(names) if f not in _TEXT_FIELDS] + [len(names)]
        *masked, first = mask_known_rows([cells[f] for f in names] + [first], own, names_only=typed)
        cells.update(zip(names, masked, strict=True))

    headers = {fld: str(header[js[0]]) for fld, js in columns.items()}
    ids = pd.Series(cells.get("case_id", np.empty(0, dtype=object)), dtype="str")
    if ids.str.fullmatch(r"\d(?:\.\d+)?[eE]\+\d+").any():
        warnings.append(
            f"{source}：有编号显示为科学计数法（如 1.22E+21），可能被 Excel 打开另存时改坏，"
            f"不同的件会被当成重复。请直接使用平台导出的原文件。"
        )
    # a second column for a field already mapped (工单号 beside 表单号): said apart from unknown columns
    shadowed = [h for h in unmapped if _norm_header(h) in aliases]
    for h in shadowed:
        fld = aliases[_norm_header(h)][0]
        label = FIELD_LABELS.get(fld, fld)
        warnings.append(
            f"{source}：“{h}”与“{headers[fld]}”都可作{label}列，按 params/branch.yaml 中 headers.{fld} "
            f"的先后采用“{headers[fld]}”，“{h}”列未使用。"
        )
    noted = [h for h in unmapped if _norm_header(h) not in _QUIET_HEADERS and h not in shadowed]
    if noted:
        warnings.append(f"{source}：以下列未识别，已忽略：{'、'.join(noted)}。")
    if not len(body):
        warnings.append(f"{source}：表头下没有数据行。")
    report = FileReport(
        path=mask_text(str(path)),
        format=fmt,
        encoding=encoding,
        header_line=int(lines[header_idx]),
        rows_read=len(body),
        rows_used=0,
        rows_set_aside=0,
        total_rows=0,
        blank_rows=int(blank.sum()),
        columns={fld: mask_text(h) for fld, h in headers.items()},
        unmapped_headers=[mask_text(h) for h in unmapped],
        personal_headers=[mask_text(h) for h in dropped],
        sheet=mask_text(sheet),
        source=source,
        exported_at=_export_time(grid[:header_idx]),
    )
    return _Raw(report, cells, body_lines, first, first_header, headers)


_EXPORT_LABEL_RE = re.compile(r"(?:导出|下载)(?:时间|日期)\s*[:：]?\s*")
_EXPORT_DATE_RE = re.compile(
    r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
    r"(?:[\sT]*\d{1,2}\s*[:：时]\s*\d{1,2}(?:\s*[:：分]\s*\d{1,2})?\s*[分秒]?)?"
)


def _export_time(title_rows: np.ndarray) -> str | None:
    """The export time a title or note row states (“导出时间：2022-02-01 09:12:33”), or None.

    The date may follow the label in the same cell or sit in the next non-empty cell. Returned as
    ``YYYY-MM-DD HH:MM:SS``, or ``YYYY-MM-DD`` when the row gives no time.
    """
    for row in title_rows:
        texts = [str(c) for c in row if c]
        for k, cell in enumerate(texts):
            label = _EXPORT_LABEL_RE.search(cell)
            if label is None:
                continue
            rest = cell[label.end() :].strip() or (texts[k + 1] if k + 1 < len(texts) else "")
            found = _EXPORT_DATE_RE.match(rest.strip())
            if found is None:
                continue
            text = found.group(0).strip()
            values, bad, out_of_range = parse_dates(pd.Series([text]))
            if bad.iloc[0] or out_of_range.iloc[0] or pd.isna(values.iloc[0]):
                continue
            has_time = re.search(r"\d\s*[:：时]\s*\d", text) is not None
            return f"{values.iloc[0]:%Y-%m-%d %H:%M:%S}" if has_time else f"{values.iloc[0]:%Y-%m-%d}"
    return None


# ---------------------------------------------------------------------------------------------
# value parsers (vectorised; each returns values and a mask of unparseable cells)


def _blank_typed(s: pd.Series) -> pd.Series:
    """Mask of cells that are empty or a placeholder such as '-' or '无'."""
    return (s == "") | s.isin(_BLANK_TOKENS)


def parse_dates(s: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Stripped text -> datetime64[ns]; returns (values, unparseable mask, out-of-range mask).

    Accepts ``2022-01-05 09:31[:00]``, ``2022/1/5 9:31``, ``2022.01.05``, ``2022年1月5日 09:31``,
    ``2022/1/5 下午3:31`` (上午/下午: 12-hour clock), ``20220105`` and Excel serials (20000-80000,
    1900 date system) as numbers or text.
    """
    s = s.astype("str")
    empty = _blank_typed(s)
    values = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    iso = ~empty & s.str.slice(4, 5).isin(["-", "/"]) & (s.str.len() >= 8)
    if iso.any():  # the common forms, parsed in C
        values[iso] = _parse_dates_iso(s[iso])
    todo = ~empty & values.isna()
    if todo.any():
        values[todo] = _parse_dates_slow(s[todo])
    bad = ~empty & values.isna()
    years = values.dt.year
    out_of_range = values.notna() & ((years < _MIN_YEAR) | (years > _MAX_YEAR))
    values[out_of_range] = pd.NaT
    return values, bad, out_of_range


def _parse_dates_iso(s: pd.Series) -> pd.Series:
    """``2022-01-05 09:31[:00]``, ``2022/1/5 9:31`` and the like, to the second; NaT where not."""
    nat = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    try:
        got = pd.to_datetime(s, format="ISO8601", errors="coerce")
    except (ValueError, TypeError):  # e.g. time-zone offsets: left to the slow path (and rejected)
        return nat
    if got.dt.tz is not None:
        return nat
    got = got.where(got.dt.year.between(*_NS_YEARS))
    return got.dt.round("s").astype("datetime64[ns]")


def _parse_dates_slow(s: pd.Series) -> pd.Series:
    """The other date spellings, by regex; NaT where nothing fits."""
    norm = s.str.normalize("NFKC").str.replace("：", ":")
    parts = norm.str.extract(_DATE_RE)
    compact = norm.str.extract(_COMPACT_DATE_RE)
    parts = parts.where(parts["y"].notna(), compact)
    hour = pd.to_numeric(parts["H"])
    if "ap" in parts:  # 下午 3 -> 15 (下午 12 stays 12), 上午 12 -> 0; 上午 13 is no time
        pm, am = parts["ap"] == "下午", parts["ap"] == "上午"
        hour = hour.where(~(pm & (hour < 12)), hour + 12)
        hour = hour.where(~(am & (hour == 12)), 0)
        hour = hour.where(~(am & (hour > 12)), 99)
    comp = pd.DataFrame(
        {
            "year": pd.to_numeric(parts["y"]),
            "month": pd.to_numeric(parts["m"]),
            "day": pd.to_numeric(parts["d"]),
            "hour": hour.fillna(0),
            "minute": pd.to_numeric(parts["M"]).fillna(0),
            "second": pd.to_numeric(parts["S"]).fillna(0),
        },
        index=s.index,
    )
    clock_ok = (comp["hour"] < 24) & (comp["minute"] < 60) & (comp["second"] < 60)
    has = comp["year"].between(*_NS_YEARS) & clock_ok  # beyond: not representable, so unparseable
    values = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    if has.any():
        values[has] = pd.to_datetime(comp[has], errors="coerce").astype("datetime64[ns]")
    is_serial = norm.str.fullmatch(_SERIAL_RE) & comp["year"].isna()
    if is_serial.any():
        num = pd.to_numeric(norm[is_serial])
        ok = num.between(_SERIAL_MIN, _SERIAL_MAX)
        secs = (num[ok] * 86400).round().astype("int64")
        values[ok[ok].index] = (_EXCEL_EPOCH + pd.to_timedelta(secs, unit="s")).astype("datetime64[ns]")
    return values


def parse_amounts(s: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """'1,200.00' / '300元' / '￥300' / '1.2万' -> float 元; returns (values, unparseable, negative).

    Thousands separators must sit every three digits ('12,345', '1,200.00'); '3,00' or '1,2,3' is
    unparseable, not 300 or 123. 'nan' and 'inf' are no amounts: unparseable, not blank or infinite.
    Amounts above :data:`MAX_AMOUNT_YUAN` are returned as they are (the caller sets them aside).
    """
    s = s.astype("str")
    empty = _blank_typed(s) & ~s.str.lower().eq("nan")
    t = s.str.normalize("NFKC").str.replace(r"[\s¥￥]|人民币|RMB|元$", "", regex=True)
    grouped = t.str.contains(",", regex=False)
    t = t.where(~grouped | t.str.fullmatch(_GROUPED_NUMBER_RE), "?").str.replace(",", "", regex=False)
    wan = t.str.endswith("万")
    t = t.str.removesuffix("万")
    num = pd.to_numeric(
        t.where(t.str.fullmatch(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")), errors="coerce"
    )
    num = num.where(~wan, num * 10000)
    bad = ~empty & (num.isna() | ~np.isfinite(num.fillna(0)))
    negative = ~bad & ~empty & (num < 0)
    values = num.where(~empty & ~bad, 0.0).astype("float64")
    return values, bad, negative


def parse_flags(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """是/否/Y/N/1/0/√ -> bool (blank -> False); returns (values, unparseable mask)."""
    t = s.astype("str").str.lower()
    empty = _blank_typed(t)
    true = t.isin(_TRUE)
    bad = ~empty & ~true & ~t.isin(_FALSE)
    return true.astype(bool), bad


def parse_urges(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Non-negative integer (blank -> 0, '2次' accepted); returns (values, unparseable mask)."""
    t = s.astype("str").str.normalize("NFKC").str.removesuffix("次").str.strip()
    empty = _blank_typed(t)
    num = pd.to_numeric(t.where(t.str.fullmatch(r"\+?\d+(?:\.0*)?")), errors="coerce")
    bad = ~empty & num.isna()
    values = num.where(~empty & ~bad, 0).astype("int64")
    return values, bad


# ---------------------------------------------------------------------------------------------
# parsing all rows, rejections, duplicates


class _Rejections:
    """First problem of each row wins; later checks skip rows already set aside."""

    def __init__(self, n: int, file_idx: np.ndarray, headers: list[dict[str, str]]) -> None:
        self.reason = np.full(n, None, dtype=object)
        self.column = np.full(n, None, dtype=object)
        self.value = np.full(n, None, dtype=object)
        self.file_idx = file_idx
        self.headers = headers

    @property
    def open(self) -> np.ndarray:
        return pd.isna(self.reason)

    def header_of(self, fld: str) -> np.ndarray:
        by_file = np.array([h.get(fld, fld) for h in self.headers], dtype=object)
        return by_file[self.file_idx]

    def add(self, mask: Any, reason: Any, column: Any, value: Any) -> np.ndarray:
        m = np.asarray(mask, dtype=bool) & self.open
        for arr, v in ((self.reason, reason), (self.column, column), (self.value, value)):
            arr[m] = v[m] if isinstance(v, np.ndarray) else v
        return m

    def add_field(self, mask: Any, reason: Any, fld: str, raw: pd.DataFrame) -> np.ndarray:
        return self.add(mask, reason, self.header_of(fld), raw[fld].to_numpy(dtype=object))


def _concat(raws: list[_Raw], fld: str) -> pd.Series:
    """One field over all files as a text Series ('' where a file lacks the column)."""
    parts = [r.cells.get(fld, np.full(len(r.lines), "", dtype=object)) for r in raws]
    return pd.Series(np.concatenate(parts) if parts else np.empty(0, dtype=object), dtype="str")


def _parse_all(raws: list[_Raw], branch: Branch, now: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse all files' rows together: set aside bad rows and duplicates, conform the rest.

    `now` (naive Beijing time) bounds the event dates of files that do not state their export time.
    """
    fields = [c for c in CASE_COLUMNS if c not in ("source_file", "source_line")]
    raw = pd.DataFrame({fld: _concat(raws, fld) for fld in fields})
    file_idx = np.repeat(np.arange(len(raws)), [len(r.lines) for r in raws])
    lines = np.concatenate([r.lines for r in raws]).astype(np.int64)
    first = pd.Series(np.concatenate([r.first for r in raws]), dtype="str")
    first_header = np.concatenate([r.first_header for r in raws])
    names = np.array([r.report.source for r in raws], dtype=object)
    rej = _Rejections(len(raw), file_idx, [r.headers for r in raws])

    case_id = raw["case_id"]
    id_total = case_id.str.startswith(TOTAL_PREFIXES).to_numpy(dtype=bool)
    is_total = first.str.startswith(TOTAL_PREFIXES).to_numpy(dtype=bool) | id_total
    total_col = np.where(id_total, rej.header_of("case_id"), first_header)
    total_val = np.where(id_total, case_id.to_numpy(object), first.to_numpy(object))
    total_mask = rej.add(is_total, REASON_TOTAL, total_col, total_val)
    id_aliases = set(branch.headers["case_id"]) | {_norm_header(a) for a in branch.headers["case_id"]}
    rej.add_field(case_id.isin(id_aliases), REASON_REPEATED_HEADER, "case_id", raw)
    rej.add_field(case_id == "", REASON_MISSING_ID, "case_id", raw)

    kind = raw["kind"]
    kinds = list(branch.kinds.values())
    rej.add_field(kind == "", REASON_MISSING_KIND, "kind", raw)
    rej.add_field(~kind.isin(kinds), REASON_UNKNOWN_KIND.format(kinds="、".join(kinds)), "kind", raw)

    parsed: dict[str, pd.Series] = {}
    limit, limit_reason = _date_limits(raws, now)
    limit_by_row = limit[file_idx]
    rej.add_field(_blank_typed(raw["registered_at"]), REASON_MISSING_REGISTERED, "registered_at", raw)
    for fld in DATE_FIELDS:
        values, bad, out_of_range = parse_dates(raw[fld])
        rej.add_field(bad, REASON_BAD_DATE, fld, raw)
        rej.add_field(out_of_range, REASON_DATE_OUT_OF_RANGE, fld, raw)
        if fld in EVENT_DATE_FIELDS:  # 到期时间 lies in the future by nature
            future = (values.to_numpy(dtype="datetime64[ns]") > limit_by_row) & values.notna().to_numpy()
            rej.add_field(future, limit_reason[file_idx], fld, raw)
        parsed[fld] = values
    amount, bad, negative = parse_amounts(raw["recovered_loss"])
    rej.add_field(bad, REASON_BAD_AMOUNT, "recovered_loss", raw)
    rej.add_field(negative, REASON_NEGATIVE_AMOUNT, "recovered_loss", raw)
    rej.add_field(amount > MAX_AMOUNT_YUAN, REASON_AMOUNT_TOO_LARGE, "recovered_loss", raw)
    parsed["recovered_loss"] = amount.where(amount <= MAX_AMOUNT_YUAN, 0.0)
    for fld in FLAG_FIELDS:
        values, bad = parse_flags(raw[fld])
        rej.add_field(bad, REASON_BAD_FLAG, fld, raw)
        parsed[fld] = values
    parsed["urges"], bad = parse_urges(raw["urges"])
    rej.add_field(bad, REASON_BAD_URGES, "urges", raw)

    reg, closed = parsed["registered_at"], parsed["closed_at"]
    # a date-only 办结日期 on the day of registration is not "before" it
    date_only_same_day = (closed == closed.dt.normalize()) & (closed.dt.normalize() == reg.dt.normalize())
    rej.add_field((closed < reg) & ~date_only_same_day, REASON_CLOSED_BEFORE_REGISTERED, "closed_at", raw)

    parsed["kind"] = kind
    for fld in _TEXT_FIELDS:
        parsed[fld] = raw[fld] if fld == "case_id" else raw[fld].replace("", pd.NA)
    parsed["unit"] = roster_units(parsed["unit"], branch)
    parsed["closure_basis"], parsed["closed_by_stage"] = _closure(raws, file_idx, raw["stage"], branch)
    parsed["source_file"] = pd.Series(names[file_idx], dtype="str")
    parsed["source_line"] = pd.Series(lines, dtype="int64")
    cases = pd.DataFrame(parsed, index=raw.index)

    _reject_duplicates(cases, rej)

    ok = rej.open
    out = cases[ok].reset_index(drop=True)
    for fld in _MASKED_FIELDS:
        out[fld] = mask_series(out[fld])
    out = conform(out)
    rejected = _rejected_frame(rej, cases, raw)

    set_aside = np.bincount(file_idx[~ok], minlength=len(raws))
    totals = np.bincount(file_idx[total_mask], minlength=len(raws))
    for i, r in enumerate(raws):
        r.report.rows_set_aside = int(set_aside[i])
        r.report.rows_used = r.report.rows_read - int(set_aside[i])
        r.report.total_rows = int(totals[i])
    return out, rejected


def _date_limits(raws: list[_Raw], now: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """Per file: the latest possible event date (its export time, else `now`) and the reason to give."""
    limits, reasons = [], []
    for r in raws:
        shown = r.report.exported_at
        at = None if shown is None else pd.Timestamp(shown)
        if at is not None and len(shown) == 10:  # a bare date: the export happened some time that day
            at = at + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
        if at is not None and at <= now:
            limits.append(at)
            reasons.append(REASON_FUTURE_DATE.format(at=shown))
        else:
            limits.append(now)
            reasons.append(REASON_FUTURE_DATE_NOW.format(at=f"{now:%Y-%m-%d %H:%M}"))
    return np.array(limits, dtype="datetime64[ns]"), np.array(reasons, dtype=object)


def roster_units(units: pd.Series, branch: Branch) -> pd.Series:
    """Unit names as the roster writes them: a roster name or one of its aliases, compared without
    whitespace and full-/half-width differences, becomes the roster's name; other names stay as found."""
    names = branch.unit_names()
    text = units.astype("string")
    key = text.str.normalize("NFKC").str.replace(r"\s+", "", regex=True)
    mapped = key.map(names, na_action="ignore")
    return mapped.where(mapped.notna(), text).astype("object").where(text.notna(), pd.NA)


def _closure(
    raws: list[_Raw], file_idx: np.ndarray, stage: pd.Series, branch: Branch
) -> tuple[pd.Series, pd.Series]:
    """closure_basis and closed_by_stage of each row (see :mod:`kwstats.schema`).

    A file with a closure-date column: "date". Without one but with a stage column: "stage", and
    closed when the stage is one of ``branch.closed_stages``. With neither: "none" (unknown).
    """
    basis_of_file = np.array(
        ["date" if "closed_at" in r.headers else "stage" if "stage" in r.headers else "none" for r in raws],
        dtype=object,
    )
    basis = basis_of_file[file_idx] if len(raws) else np.empty(0, dtype=object)
    closed_words = {normalize_name(w) for w in branch.closed_stages}
    key = stage.str.normalize("NFKC").str.replace(r"\s+", "", regex=True)
    by_stage = (basis == "stage") & key.isin(closed_words).to_numpy(dtype=bool)
    return pd.Series(basis, index=stage.index, dtype="object"), pd.Series(by_stage, index=stage.index)


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Elementwise equality of two aligned Series, where missing equals missing."""
    eq = (a == b).fillna(False).to_numpy(dtype=bool)
    return eq | (a.isna().to_numpy() & b.isna().to_numpy())


def _reject_duplicates(cases: pd.DataFrame, rej: _Rejections) -> None:
    """Set aside later rows whose case id was already seen: identical, or conflicting (first kept)."""
    open_rows = cases[rej.open]
    dup = open_rows["case_id"].duplicated(keep="first")
    if not dup.any():
        return
    firsts = open_rows[~dup].set_index("case_id")
    later = open_rows[dup]
    ref = firsts.loc[later["case_id"]].set_index(later.index)
    where = ref["source_file"].to_numpy(dtype=object)
    line = ref["source_line"].to_numpy(dtype=np.int64)
    at = later.index.to_numpy()
    differing = np.full(len(later), "", dtype=object)
    for c in CASE_COLUMNS:
        if c in ("case_id", "source_file", "source_line", "closure_basis", "closed_by_stage"):
            continue
        header = rej.header_of(c)[at]
        differing = differing + np.where(_same(later[c], ref[c]), "", "、" + header)
    reasons = np.array(
        [
            REASON_CONFLICT.format(columns=f"不同的列：{d[1:]}", file=f, line=n)
            if d
            else REASON_DUPLICATE.format(file=f, line=n)
            for d, f, n in zip(differing, where, line, strict=True)
        ],
        dtype=object,
    )
    full = np.empty(len(cases), dtype=object)
    full[at] = reasons
    mask = np.zeros(len(cases), dtype=bool)
    mask[at] = True
    rej.add(mask, full, rej.header_of("case_id"), cases["case_id"].to_numpy(dtype=object))


def _rejected_frame(rej: _Rejections, cases: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
    """The set-aside rows in REJECT_COLUMNS, in file and line order; every text masked.

    Rows set aside can hold anything (a trailing note such as 制表人：张三 联系电话：… lands in the
    编号 column), so each text column goes through :func:`kwstats.masking.mask_series`.
    """
    bad = ~rej.open
    case_id = raw["case_id"][bad]
    reasons = pd.Series(rej.reason[bad], index=case_id.index, dtype="string")
    no_id = (case_id == "") | reasons.isin([REASON_TOTAL, REASON_REPEATED_HEADER])
    frame = pd.DataFrame(
        {
            "source_file": cases["source_file"][bad].astype("string"),
            "source_line": cases["source_line"][bad].astype("int64"),
            "column": pd.Series(rej.column[bad], index=case_id.index, dtype="string"),
            "value": pd.Series(rej.value[bad], index=case_id.index, dtype="string"),
            "reason": reasons,
            "case_id": case_id.astype("string").mask(no_id, pd.NA),
        }
    )
    for col in ("source_file", "column", "value", "reason", "case_id"):
        frame[col] = mask_series(frame[col])
    return frame[list(REJECT_COLUMNS)].reset_index(drop=True)
