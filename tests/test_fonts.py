"""kwstats.fonts: a free CJK font is found, by coverage, with a bundled fallback."""

from __future__ import annotations

import dataclasses
import io
import logging
import warnings
from collections.abc import Callable
from pathlib import Path

import matplotlib as mpl
import pytest
from matplotlib import font_manager, ft2font
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
    monkeypatch.setattr(fonts, "_fontconfig_listing", lambda: f"Noto Sans CJK SC\t{dejavu}\t0\n")
    choice = fonts.resolve_cjk_font()
    assert choice.source == "mpl-font"
    assert choice.path != Path(dejavu)


def test_system_font_preferred_when_it_covers(monkeypatch: pytest.MonkeyPatch) -> None:
    regular, bold = _bundled(fonts.BUNDLED_REGULAR), _bundled(fonts.BUNDLED_BOLD)
    entries = [_entry(regular, "WenQuanYi Micro Hei"), _entry(bold, "WenQuanYi Micro Hei")]
    monkeypatch.setattr(fonts, "_system_font_entries", lambda: entries)
    choice = fonts.resolve_cjk_font()
    assert (choice.name, choice.source) == ("WenQuanYi Micro Hei", "system")
    assert (choice.path, choice.bold_path) == (regular, bold)


def test_fallback_to_mpl_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "_system_font_entries", lambda: [])
    monkeypatch.setattr(fonts, "_fontconfig_listing", lambda: "")
    choice = fonts.resolve_cjk_font()
    assert choice.source == "mpl-font"
    assert choice.path.name == "NotoSansCJKsc-Regular.otf"
    assert choice.bold_path == choice.path.with_name("NotoSansCJKsc-Bold.otf")
    assert "mpl_font" in choice.path.parts
    assert choice.name == "Noto Sans CJK SC"
    assert _draw_chinese(choice) == []
    assert any(Path(e.fname) == choice.path for e in font_manager.fontManager.ttflist)


def test_nothing_found_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "_system_font_entries", lambda: [])
    monkeypatch.setattr(fonts, "_fontconfig_listing", lambda: "")
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


# --- bold is bold, and no font warning reaches an output -------------------------------------


def _bundled(name: str) -> Path:
    path = fonts._bundled_font_path()
    assert path is not None
    return path.with_name(name)


def _entry(path: Path, family: str) -> font_manager.FontEntry:
    """The font manager's record of a file, under a family name chosen by the test."""
    real = font_manager.ttfFontProperty(ft2font.FT2Font(str(path)))
    return dataclasses.replace(real, name=family)


def _findfont_messages(caplog: pytest.LogCaptureFixture, draw: Callable[[], None]) -> list[str]:
    """Run draw() and return what matplotlib's font manager logged (the lines that reached outputs)."""
    with caplog.at_level(logging.DEBUG, logger="matplotlib.font_manager"):
        caplog.clear()
        draw()
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def _draw_bold(family: list[str], weight: str = "bold") -> None:
    fig = Figure(figsize=(3, 1))
    fig.text(0.1, 0.5, PHRASE, fontfamily=family, fontweight=weight)
    fig.savefig(io.BytesIO(), format="png")


def test_resolved_font_has_a_real_bold_face() -> None:
    """Noto Sans CJK (system .ttc, or mpl-font's .otf) ships Bold: bold text must use that file."""
    choice = fonts.resolve_cjk_font()
    assert choice.has_bold
    assert (choice.bold_path, choice.bold_index) != (choice.path, choice.index)
    bold_face = ft2font.FT2Font(str(choice.bold_path), face_index=choice.bold_index)
    assert bold_face.style_flags & ft2font.StyleFlags.BOLD
    with mpl.rc_context():
        fonts.use_cjk_font(choice)
        found = font_manager.findfont(font_manager.FontProperties(family=[choice.name], weight="bold"))
        regular = font_manager.findfont(font_manager.FontProperties(family=[choice.name]))
    assert Path(found) == choice.bold_path and Path(regular) == choice.path
    assert found != regular


def test_bold_text_logs_no_findfont_warning(caplog: pytest.LogCaptureFixture) -> None:
    with mpl.rc_context():
        choice = fonts.use_cjk_font()
        messages = _findfont_messages(caplog, lambda: _draw_bold([choice.name, "DejaVu Sans"]))
    assert messages == []


def test_findfont_capture_sees_a_missing_bold(caplog: pytest.LogCaptureFixture) -> None:
    """Negative control: a family registered with its Regular file only does log the warning."""
    regular = _bundled(fonts.BUNDLED_REGULAR)
    entry = _entry(regular, "KW Regular Only Test")
    font_manager.fontManager.ttflist.append(entry)
    font_manager.fontManager._findfont_cached.cache_clear()
    try:
        messages = _findfont_messages(caplog, lambda: _draw_bold(["KW Regular Only Test"]))
    finally:
        font_manager.fontManager.ttflist.remove(entry)
        font_manager.fontManager._findfont_cached.cache_clear()
    assert any("Failed to find font weight bold" in m for m in messages), messages


def test_stale_font_cache_is_completed_from_fontconfig(monkeypatch: pytest.MonkeyPatch) -> None:
    """matplotlib's cache knows only the Regular face; fontconfig lists the Bold file: use both."""
    regular, bold = _bundled(fonts.BUNDLED_REGULAR), _bundled(fonts.BUNDLED_BOLD)
    monkeypatch.setattr(fonts, "_system_font_entries", lambda: [_entry(regular, "Noto Sans CJK SC")])
    monkeypatch.setattr(
        fonts, "_fontconfig_listing", lambda: f"Noto Sans CJK SC,Noto Sans CJK SC Bold\t{bold}\t0\n"
    )
    choice = fonts.resolve_cjk_font()
    assert (choice.source, choice.path, choice.bold_path) == ("system", regular, bold)


def test_regular_only_system_family_gives_way_to_the_bundled_bold(monkeypatch: pytest.MonkeyPatch) -> None:
    regular = _bundled(fonts.BUNDLED_REGULAR)
    monkeypatch.setattr(fonts, "_system_font_entries", lambda: [_entry(regular, "WenQuanYi Micro Hei")])
    monkeypatch.setattr(fonts, "_fontconfig_listing", lambda: "")
    choice = fonts.resolve_cjk_font()
    assert choice.source == "mpl-font"
    assert choice.bold_path is not None and choice.bold_path.name == "NotoSansCJKsc-Bold.otf"
    assert fonts.bold_weight(choice) == "bold"


def test_without_any_bold_face_bold_is_not_requested(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Only a Regular face anywhere: the chart draws its emphasis in the regular weight, silently."""
    regular = _bundled(fonts.BUNDLED_REGULAR)
    family = "KW Regular Only Family"
    entry = _entry(regular, family)
    monkeypatch.setattr(fonts, "CANDIDATE_FAMILIES", (family,))
    monkeypatch.setattr(fonts, "_system_font_entries", lambda: [entry])
    monkeypatch.setattr(fonts, "_fontconfig_listing", lambda: "")
    monkeypatch.setattr(fonts, "_bundled_font_path", lambda: None)
    choice = fonts.resolve_cjk_font(fonts.CANDIDATE_FAMILIES)
    assert (choice.name, choice.has_bold) == (family, False)
    assert fonts.bold_weight(choice) == "normal"
    font_manager.fontManager.ttflist.append(entry)
    font_manager.fontManager._findfont_cached.cache_clear()
    try:
        with mpl.rc_context():
            messages = _findfont_messages(caplog, lambda: _draw_bold([family], fonts.bold_weight(choice)))
    finally:
        font_manager.fontManager.ttflist.remove(entry)
        font_manager.fontManager._findfont_cached.cache_clear()
    assert messages == []


def test_fontconfig_listing_is_parsed_by_family(monkeypatch: pytest.MonkeyPatch) -> None:
    bold = _bundled(fonts.BUNDLED_BOLD)
    listing = "\n".join(
        [
            f"Other Family\t{bold}\t0",  # not a candidate
            f"Noto Sans CJK SC\t{bold}\tx",  # malformed index
            "garbage line",
            f"Noto Sans CJK SC,Noto Sans CJK SC Bold\t{bold}\t0",
            "Noto Sans CJK SC\t/nonexistent/font.ttc\t0",  # unreadable file
        ]
    )
    monkeypatch.setattr(fonts, "_fontconfig_listing", lambda: listing)
    entries = fonts._fontconfig_entries(["Noto Sans CJK SC"])
    assert [(Path(e.fname), e.weight) for e in entries] == [(bold, 700)]
