"""Finding the exports: paths and folders walked, files sniffed by content, file-level errors."""

from __future__ import annotations

import codecs
import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from kwstats.exceptions import InputFileError
from kwstats.masking import mask_text
from kwstats.sample_files import MARKER_NAME as _SAMPLE_MARKER

FORMATS = {".xlsx": "xlsx", ".xls": "xls", ".csv": "csv"}
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip (xlsx), or an empty one
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # an OLE compound file (xls, or a password-protected xlsx)
SNIFF_BYTES = 4096
_ARCHIVE_SUFFIXES = (".zip", ".rar", ".7z")


class NoExportsFoundError(InputFileError):
    """Nothing to read at the given paths: folders (subfolders included) without any .xlsx/.xls/.csv,
    or a path that does not exist. A usage error (a wrong path), not a problem in the data."""


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
                mask_text(f"找不到文件或文件夹：{p}。请检查路径和文件名（包括年份、月份）是否写对。")
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
            raise os_error(folder, exc, what="文件夹") from None
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
                raise os_error(Path(e.path), exc) from None
    return found


def no_exports_error(given: list[Path]) -> NoExportsFoundError:
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
    return NoExportsFoundError(mask_text(text))


def _some(names: list[str], n: int = 3) -> str:
    shown = "、".join(sorted(names)[:n])
    return shown + (f" 等 {len(names)} 个" if len(names) > n else "")


def source_labels(files: list[Path]) -> dict[Path, str]:
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


def read_bytes(path: Path, limit: int = -1) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(limit)
    except OSError as exc:
        raise os_error(path, exc) from None


def sniff(head: bytes, by_extension: str) -> str:
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


def technical(exc: BaseException) -> str:
    """The library's own words, for support staff, at the very end of a message."""
    detail = str(exc).strip()
    return f"（供技术支持参考：[{type(exc).__name__}]{' ' + detail if detail else ''}）"


def os_error(path: Path, exc: OSError, what: str = "文件") -> InputFileError:
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
    return InputFileError(mask_text(f"{path}：无法读取这个{what}，{why}。{todo}。{technical(exc)}"))
