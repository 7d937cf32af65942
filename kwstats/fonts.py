"""Pick a free CJK font for matplotlib so charts show Chinese, not boxes.

Order: an installed system font that really covers the bulletin's characters (checked through
its character map, not its name), else the OFL Noto Sans CJK SC that the ``mpl-font`` package
ships. Non-free fonts (SimHei, SimSun, …) are never chosen or shipped.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
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
BUNDLED_RELPATH = Path("fonts") / "noto" / "NotoSansCJKsc-Regular.otf"

INSTALL_HINT = (
    "未找到可显示中文的字体，图表中的汉字会显示为方框。请安装其一后重试："
    "系统字体 `sudo apt-get install fonts-noto-cjk`（或 Windows/macOS 自带的微软雅黑、苹方），"
    "或 Python 包 `pip install mpl-font`。"
)


@dataclass(frozen=True)
class FontChoice:
    """The CJK font chosen for charts."""

    name: str  # family name as matplotlib knows it
    path: Path  # font file (.ttf/.otf/.ttc)
    index: int = 0  # face index inside a .ttc collection
    source: Literal["system", "mpl-font"] = "system"


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


def _bundled_font_path() -> Path | None:
    """Path of mpl-font's Noto Sans CJK SC Regular, without importing mpl_font (it imports pyplot)."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / BUNDLED_RELPATH
        if candidate.is_file():
            return candidate
    return None


def _find_system_font(families: Iterable[str]) -> FontChoice | None:
    entries = list(_system_font_entries())
    for family in families:
        matches = [e for e in entries if e.name == family]
        # Regular weight first, so the recorded path is the face used for normal text.
        matches.sort(key=lambda e: (e.style != "normal", abs(_weight(e.weight) - 400)))
        for entry in matches:
            index = int(getattr(entry, "index", 0) or 0)
            if _covers(str(entry.fname), index, COVERAGE_SAMPLE):
                return FontChoice(name=family, path=Path(entry.fname), index=index, source="system")
    return None


def _weight(weight: object) -> int:
    if isinstance(weight, int):
        return weight
    return font_manager.weight_dict.get(str(weight), 400)


def _bundled_font() -> FontChoice | None:
    path = _bundled_font_path()
    if path is None or not _covers(str(path), 0, COVERAGE_SAMPLE):
        return None
    name = font_manager.ttfFontProperty(ft2font.FT2Font(str(path))).name
    return FontChoice(name=name, path=path, index=0, source="mpl-font")


def resolve_cjk_font(families: Iterable[str] = CANDIDATE_FAMILIES) -> FontChoice:
    """Return a font that covers the bulletin's Chinese: system font first, then mpl-font's Noto.

    Raises KwstatsError (in Chinese, saying what to install) when there is none.
    """
    choice = _find_system_font(families) or _bundled_font()
    if choice is None:
        raise KwstatsError(INSTALL_HINT)
    return choice


def register_font(choice: FontChoice) -> None:
    """Make sure matplotlib's font manager knows the chosen font file."""
    known = {(str(e.fname), int(getattr(e, "index", 0) or 0)) for e in font_manager.fontManager.ttflist}
    if (str(choice.path), choice.index) not in known:
        font_manager.fontManager.addfont(str(choice.path))


def use_cjk_font(choice: FontChoice | None = None) -> FontChoice:
    """Resolve (if not given) and register the CJK font, and make it matplotlib's default sans-serif."""
    choice = choice or resolve_cjk_font()
    register_font(choice)
    mpl.rcParams["font.family"] = ["sans-serif"]
    mpl.rcParams["font.sans-serif"] = [choice.name, "DejaVu Sans"]
    mpl.rcParams["axes.unicode_minus"] = False
    return choice
