"""kwstats.fonts: a free CJK font is found, by coverage, with a bundled fallback."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import matplotlib as mpl
import pytest
from matplotlib import font_manager
from matplotlib.figure import Figure

from kwstats import fonts
from kwstats.exceptions import KwstatsError

PHRASE = "宽城分局受理办结率"
NON_FREE = ("simhei", "simsun", "kaiti", "fangsong", "msyh.ttc", "stheiti")


def _draw_chinese(choice: fonts.FontChoice) -> list[str]:
    """Render Chinese text with the font; return any warning messages."""
    with mpl.rc_context(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fonts.use_cjk_font(choice)
        fig = Figure(figsize=(3, 1))
        fig.text(0.1, 0.5, PHRASE + " 80% −1")
        fig.savefig(io.BytesIO(), format="png")
    return [str(w.message) for w in caught]


def test_resolves_a_font_that_covers_chinese() -> None:
    choice = fonts.resolve_cjk_font()
    assert choice.path.is_file()
    assert fonts.font_covers(choice.path, PHRASE, index=choice.index)
    assert fonts.font_covers(choice.path, fonts.COVERAGE_SAMPLE, index=choice.index)
    assert not any(bad in choice.path.name.lower() for bad in NON_FREE)
    assert _draw_chinese(choice) == []


def test_coverage_check_reads_the_cmap() -> None:
    dejavu = font_manager.findfont("DejaVu Sans", fallback_to_default=False)
    assert fonts.font_covers(dejavu, "Abc 123")
    assert not fonts.font_covers(dejavu, PHRASE)


def test_no_non_free_font_is_a_candidate() -> None:
    names = " ".join(fonts.CANDIDATE_FAMILIES).lower()
    for bad in ("simhei", "simsun", "kaiti", "fangsong", "heiti"):
        assert bad not in names


def test_a_font_is_not_trusted_by_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 'Noto Sans CJK SC' entry whose file lacks Chinese glyphs is skipped."""
    dejavu = font_manager.findfont("DejaVu Sans", fallback_to_default=False)
    impostor = font_manager.FontEntry(fname=str(dejavu), name="Noto Sans CJK SC")
    monkeypatch.setattr(fonts, "_system_font_entries", lambda: [impostor])
    choice = fonts.resolve_cjk_font()
    assert choice.source == "mpl-font"
    assert choice.path != Path(dejavu)


def test_system_font_preferred_when_it_covers(monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = fonts._bundled_font_path()
    assert bundled is not None
    entry = font_manager.FontEntry(fname=str(bundled), name="WenQuanYi Micro Hei")
    monkeypatch.setattr(fonts, "_system_font_entries", lambda: [entry])
    choice = fonts.resolve_cjk_font()
    assert (choice.name, choice.source) == ("WenQuanYi Micro Hei", "system")


def test_fallback_to_mpl_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "_system_font_entries", lambda: [])
    choice = fonts.resolve_cjk_font()
    assert choice.source == "mpl-font"
    assert choice.path.name == "NotoSansCJKsc-Regular.otf"
    assert "mpl_font" in choice.path.parts
    assert choice.name == "Noto Sans CJK SC"
    assert _draw_chinese(choice) == []
    assert any(Path(e.fname) == choice.path for e in font_manager.fontManager.ttflist)


def test_nothing_found_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "_system_font_entries", lambda: [])
    monkeypatch.setattr(fonts, "_bundled_font_path", lambda: None)
    with pytest.raises(KwstatsError) as info:
        fonts.resolve_cjk_font()
    message = str(info.value)
    assert "中文" in message
    assert "apt-get install fonts-noto-cjk" in message
    assert "pip install mpl-font" in message


def test_use_cjk_font_sets_rcparams() -> None:
    with mpl.rc_context():
        choice = fonts.use_cjk_font()
        assert mpl.rcParams["font.family"] == ["sans-serif"]
        assert mpl.rcParams["font.sans-serif"][0] == choice.name
        assert mpl.rcParams["axes.unicode_minus"] is False
        found = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
        assert fonts.font_covers(found, PHRASE, index=getattr(found, "face_index", 0))
