"""Pick a free CJK font for matplotlib so charts show Chinese, not boxes, and bold is bold.

Order: an installed system family that really covers the bulletin's characters (checked through
its character map, not its name) and has a bold face, else the OFL Noto Sans CJK SC (Regular and
Bold) that the ``mpl-font`` package ships, else a system family without bold. When matplotlib's
font cache predates the system's CJK fonts, fontconfig is asked for their files. Non-free fonts
(SimHei, SimSun, …) are never chosen or shipped.
"""

from __future__ import annotations

import importlib.util
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import matplotlib as mpl
from matplotlib import font_manager, ft2font

from kwstats.exceptions import KwstatsError

# Preferred system families, best first. Only names that matplotlib reports for free or
# OS-bundled fonts; SimHei and similar non-free fonts are deliberately absent.
CANDIDATE_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Sarasa Gothic SC",
)

# Characters the charts and tables use; a font must have every one of them in its cmap.
COVERAGE_SAMPLE = (
    "宽城分局受理办结率示意图阈值举报投诉总计件数监管所科审批党群办低于达到无、（）：% 0123456789"
)

BUNDLED_PACKAGE = "mpl_font"
BUNDLED_DIR = Path("fonts") / "noto"
BUNDLED_REGULAR = "NotoSansCJKsc-Regular.otf"
BUNDLED_BOLD = "NotoSansCJKsc-Bold.otf"
BUNDLED_RELPATH = BUNDLED_DIR / BUNDLED_REGULAR

REGULAR_WEIGHT = 400
BOLD_WEIGHT = 700
MIN_BOLD_WEIGHT = 600  # semibold and heavier pass for bold; medium (500) does not

INSTALL_HINT = (
    "未找到可显示中文的字体，图表中的汉字会显示为方框。请安装其一后重试："
    "系统字体 `sudo apt-get install fonts-noto-cjk`（或 Windows/macOS 自带的微软雅黑、苹方），"
    "或 Python 包 `pip install mpl-font`。"
)


@dataclass(frozen=True)
class FontChoice:
    """The CJK font chosen for charts: one family, its regular face and (if any) its bold face."""

    name: str  # family name as matplotlib knows it
    path: Path  # regular face file (.ttf/.otf/.ttc)
    index: int = 0  # face index inside a .ttc collection
    source: Literal["system", "mpl-font"] = "system"
    bold_path: Path | None = None  # bold face file; None when the family has no bold
    bold_index: int = 0

    @property
    def has_bold(self) -> bool:
        """True when bold text is drawn with a real bold face (never a faked or regular one)."""
        return self.bold_path is not None


@lru_cache(maxsize=64)
def _covers(path: str, index: int, sample: str) -> bool:
    """True when the font face at path/index maps every character of sample to a glyph."""
    try:
        cmap = ft2font.FT2Font(path, face_index=index).get_charmap()
    except (OSError, RuntimeError, ValueError):
        return False
    return all(ord(ch) in cmap for ch in sample if not ch.isspace())


def font_covers(path: str | Path, text: str = COVERAGE_SAMPLE, index: int = 0) -> bool:
    """True when the font file (face ``index``) has a glyph for every character of text."""
    return _covers(str(path), index, text)


def _system_font_entries() -> Iterable[font_manager.FontEntry]:
    """Fonts matplotlib knows about (patched away in tests)."""
    return list(font_manager.fontManager.ttflist)


def _fontconfig_listing() -> str:
    """``family<TAB>file<TAB>index`` lines of the Chinese fonts fontconfig knows ('' without fc-list)."""
    try:
        done = subprocess.run(
            ["fc-list", "-f", "%{family}\t%{file}\t%{index}\n", ":lang=zh"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout if done.returncode == 0 else ""


def _fontconfig_entries(families: Iterable[str]) -> list[font_manager.FontEntry]:
    """Faces of the candidate families that fontconfig lists (patched away in tests).

    matplotlib reads its own font cache, built the first time it ran: fonts installed later
    (e.g. ``fonts-noto-cjk`` after the virtualenv was first used) are missing from it.
    """
    wanted = set(families)
    entries: list[font_manager.FontEntry] = []
    for line in _fontconfig_listing().splitlines():
        parts = line.split("\t")
        if len(parts) != 3 or not parts[2].strip().isdigit():
            continue
        names, fname, index = parts[0], parts[1], int(parts[2])
        if not wanted & {n.strip() for n in names.split(",")}:
            continue
        try:
            entries.append(font_manager.ttfFontProperty(ft2font.FT2Font(fname, face_index=index)))
        except (OSError, RuntimeError, ValueError, NotImplementedError):
            continue
    return entries


def _weight(weight: object) -> int:
    if isinstance(weight, int):
        return weight
    return font_manager.weight_dict.get(str(weight), REGULAR_WEIGHT)


def _index(entry: font_manager.FontEntry) -> int:
    return int(getattr(entry, "index", 0) or 0)


def _face(
    entries: Sequence[font_manager.FontEntry], family: str, bold: bool
) -> font_manager.FontEntry | None:
    """The upright face of ``family`` nearest to regular (or bold) weight that covers the sample."""
    target = BOLD_WEIGHT if bold else REGULAR_WEIGHT
    matches = [
        e
        for e in entries
        if e.name == family and e.style == "normal" and (_weight(e.weight) >= MIN_BOLD_WEIGHT) == bold
    ]
    matches.sort(key=lambda e: abs(_weight(e.weight) - target))
    for entry in matches:
        if _covers(str(entry.fname), _index(entry), COVERAGE_SAMPLE):
            return entry
    return None


def _choices(entries: Sequence[font_manager.FontEntry], families: Iterable[str]) -> list[FontChoice]:
    """A FontChoice for each family (in order) that has a covering regular face."""
    out: list[FontChoice] = []
    for family in families:
        regular = _face(entries, family, bold=False)
        if regular is None:
            continue
        bold = _face(entries, family, bold=True)
        out.append(
            FontChoice(
                name=family,
                path=Path(regular.fname),
                index=_index(regular),
                source="system",
                bold_path=Path(bold.fname) if bold is not None else None,
                bold_index=_index(bold) if bold is not None else 0,
            )
        )
    return out


def _find_system_font(families: Iterable[str]) -> FontChoice | None:
    """The first candidate family installed on the system, preferring one with a bold face."""
    families = tuple(families)
    entries = list(_system_font_entries())
    found = _choices(entries, families)
    if not any(c.has_bold for c in found):
        extra = _fontconfig_entries(families)
        if extra:
            found = _choices(entries + extra, families)
    return next((c for c in found if c.has_bold), found[0] if found else None)


def _bundled_dirs() -> list[Path]:
    """mpl-font's Noto folder(s), found without importing mpl_font (it imports pyplot)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return []
    return [Path(location) / BUNDLED_DIR for location in spec.submodule_search_locations]


def _bundled_font_path() -> Path | None:
    """Path of mpl-font's Noto Sans CJK SC Regular."""
    for folder in _bundled_dirs():
        if (folder / BUNDLED_REGULAR).is_file():
            return folder / BUNDLED_REGULAR
    return None


def _bundled_font() -> FontChoice | None:
    path = _bundled_font_path()
    if path is None or not _covers(str(path), 0, COVERAGE_SAMPLE):
        return None
    name = font_manager.ttfFontProperty(ft2font.FT2Font(str(path))).name
    bold = path.with_name(BUNDLED_BOLD)
    has_bold = bold.is_file() and _covers(str(bold), 0, COVERAGE_SAMPLE)
    return FontChoice(name=name, path=path, index=0, source="mpl-font", bold_path=bold if has_bold else None)


def resolve_cjk_font(families: Iterable[str] = CANDIDATE_FAMILIES) -> FontChoice:
    """Return a font that covers the bulletin's Chinese, with a bold face whenever one exists.

    A system family with bold first, then mpl-font's Noto Sans CJK SC (Regular + Bold), then a
    system family without bold. Raises KwstatsError (in Chinese, saying what to install) when
    there is none.
    """
    system = _find_system_font(families)
    if system is not None and system.has_bold:
        return system
    bundled = _bundled_font()
    if bundled is not None and (bundled.has_bold or system is None):
        return bundled
    if system is None:
        raise KwstatsError(INSTALL_HINT)
    return system


def _faces_of(choice: FontChoice) -> list[tuple[Path, int]]:
    faces = [(choice.path, choice.index)]
    if choice.bold_path is not None:
        faces.append((choice.bold_path, choice.bold_index))
    return faces


def register_font(choice: FontChoice) -> None:
    """Make sure matplotlib's font manager knows the chosen regular and bold faces."""
    manager = font_manager.fontManager
    known = {(str(e.fname), _index(e)) for e in manager.ttflist}
    for path, index in _faces_of(choice):
        if (str(path), index) not in known:
            manager.addfont(str(path))  # a .ttc adds all its faces
            known = {(str(e.fname), _index(e)) for e in manager.ttflist}


def use_cjk_font(choice: FontChoice | None = None) -> FontChoice:
    """Resolve (if not given) and register the CJK font, and make it matplotlib's default sans-serif."""
    choice = choice or resolve_cjk_font()
    register_font(choice)
    mpl.rcParams["font.family"] = ["sans-serif"]
    mpl.rcParams["font.sans-serif"] = [choice.name, "DejaVu Sans"]
    mpl.rcParams["axes.unicode_minus"] = False
    return choice


def bold_weight(choice: FontChoice) -> Literal["bold", "normal"]:
    """The weight to ask for when text should be bold: 'normal' if the family has no bold face.

    Asking matplotlib for a weight the family lacks logs ``findfont: Failed to find font weight``
    into every output; the charts carry their meaning by hatching, so bold is only emphasis.
    """
    return "bold" if choice.has_bold else "normal"
