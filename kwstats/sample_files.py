"""The synthetic sample's layout on disk, importable without pandas (the bulletin's parent process
checks the sample is in place before anything heavy is loaded)."""

from __future__ import annotations

from pathlib import Path

GENERATOR_VERSION = "2"
DEFAULT_SEED = 20220131
DEFAULT_SAMPLE_DIR = Path(__file__).resolve().parent.parent / "data" / "sample"
MARKER_NAME = ".sample-version"
MONTHS: tuple[str, ...] = tuple(f"{y}-{m:02d}" for y in (2020, 2021, 2022) for m in range(1, 13))

#: Months exported as CSV (everything else is .xlsx), with the file's encoding.
CSV_ENCODINGS: dict[str, str] = {"2020-11": "utf-8-sig", "2021-02": "utf-8", "2021-07": "gb18030"}


def sample_file_name(month: str) -> str:
    """The export file name of `month` ('2021-07' -> '12315_2021-07.csv')."""
    return f"12315_{month}.{'csv' if month in CSV_ENCODINGS else 'xlsx'}"


def marker_text(seed: int) -> str:
    return f"seed={seed}\nversion={GENERATOR_VERSION}\n"


def is_current(out: Path, seed: int = DEFAULT_SEED) -> bool:
    """True when `out` holds this generator version's sample for `seed`, every file present."""
    marker = Path(out) / MARKER_NAME
    return (
        marker.is_file()
        and marker.read_text(encoding="utf-8") == marker_text(seed)
        and all((Path(out) / sample_file_name(m)).is_file() for m in MONTHS)
    )
