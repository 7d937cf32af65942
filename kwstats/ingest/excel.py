"""Excel workbooks (.xlsx, legacy .xls) read with calamine: every visible worksheet whose header is
recognised, hidden ones named in a warning, unreadable files explained."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from kwstats.exceptions import InputFileError
from kwstats.ingest.files import FORMATS, os_error, technical
from kwstats.ingest.headers import (
    HEADER_SCAN_ROWS,
    Raw,
    all_blank,
    body_columns,
    build_raw,
    locate_header,
    matched_fields,
    missing_column,
)
from kwstats.params import Branch
from kwstats.schema import FIELD_LABELS, REQUIRED_FIELDS


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
        raise os_error(path, exc) from None
    except Exception as exc:  # calamine raises several error types for corrupt or foreign files
        raise _unreadable_excel_error(path, fmt, exc) from None
    return sheets, hidden


def _password_error(path: Path) -> InputFileError:
    return InputFileError(f"{path}：文件有密码保护，无法读取。请在 Excel 或 WPS 中去掉密码后另存，再导入。")


def _unreadable_excel_error(path: Path, fmt: str, exc: Exception) -> InputFileError:
    """Why a zip (xlsx) or OLE (xls) file could not be read, in words a clerk can act on."""
    tech = technical(exc)
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


def read_workbook(
    path: Path,
    fmt: str,
    source: str,
    branch: Branch,
    aliases: dict[str, tuple[str, int]],
    personal: set[str],
    warnings: list[str],
) -> list[Raw]:
    """Every worksheet of a workbook whose header is recognised (one :class:`Raw` each).

    `fmt` is the type sniffed from the content ("xlsx" or "xls"). A worksheet without a header is
    skipped with a warning; when none has one, the best candidate's missing column is the error.
    """
    sheets, hidden = _read_excel(path, fmt)
    several = len(sheets) + len(hidden) > 1
    raws: list[Raw] = []
    skipped: list[str] = []
    candidates: list[tuple[int, str, np.ndarray, int]] = []  # (aliases matched, sheet, grid, best row)
    for name, rows in sheets:
        head, header_idx, best = locate_header(rows, aliases)
        if all_blank(rows, head):
            continue  # an empty worksheet holds nothing to lose
        sheet_source = f"{source}[{name}]" if several else source
        if header_idx is not None:
            body, lines = body_columns(rows, header_idx, head.shape[1])
            raws.append(
                build_raw(
                    path, sheet_source, fmt, None, name, head, header_idx, header_idx + 1, body, lines,
                    aliases, personal, warnings,
                )
            )  # fmt: skip
            continue
        matched = matched_fields(head[best], aliases)
        candidates.append((len(matched), name, head, best))
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
        err = missing_column(where, grid[best], aliases, branch)
        if len(candidates) > 1:
            err.args = (f"{err}（其余 {len(candidates) - 1} 个工作表也没有找到表头。）",)
        raise err
    warnings.extend(skipped)
    if hidden:
        names = "、".join(f"“{h}”" for h in hidden)
        warnings.append(f"{source}：隐藏的工作表 {names} 未读取；如其中有案件，请取消隐藏后再导入。")
    return raws
