"""Deterministic synthetic 12315 case exports for 宽城市场监管分局, January 2020 – December 2022.

The shipped sample and the test fixture. `write_sample` writes one export file per month as the
platform gives them (title and note rows, three header variants, mixed date formats, Excel serials,
amounts with 元 or thousands separators, a trailing total row, planted bad rows, three CSV
encodings). `generate_cases` returns the good cases of those files as the canonical case table,
with `source_file` / `source_line` pointing at the row each case is written to.

The design (hard-coded here, never read from the reference files): January 2022 reproduces the
published bulletin's unit table when computed from the rows; unit and category shares are stable
with low-variance noise so that nothing spikes except `PLANTED_SPIKE`; normal cases meet every
deadline except `PLANTED_OVERDUE`; the epidemic window 2020-01-23 .. 2022-01-31 holds 18 297
complaints and reports, 96 % of them closed by 2022-01-31.

Content is written as found in the exports: phone and ID numbers (`PLANTED_NUMBERS`) and markup
(`XSS_CASE_ID`) are *not* masked or escaped here; masking is the ingest's job.

Modules: :mod:`~kwstats.demo.design` (the published design and the planted findings),
:mod:`~kwstats.demo.simulate` (one month's cases), :mod:`~kwstats.demo.specials` and
:mod:`~kwstats.demo.texts` (hand-written cases, fake texts and people),
:mod:`~kwstats.demo.assemble` (the months put together), :mod:`~kwstats.demo.layout` (cells as
the platform writes them) and :mod:`~kwstats.demo.exports` (the files). The layout on disk
(file names, marker) is :mod:`kwstats.sample_files`, importable without pandas.
"""

from kwstats.demo.design import (
    DUPLICATED_CASE_ID,
    EPIDEMIC_CUTOFF,
    EPIDEMIC_START,
    EPIDEMIC_WINDOW_CLOSED,
    EPIDEMIC_WINDOW_TOTAL,
    EXPORT_AT,
    HEADER_VARIANTS,
    JANUARY_2022_DESIGN,
    JANUARY_2022_RECOVERED,
    OFF_ROSTER_UNITS,
    PHONE_CASE_IDS,
    PLANTED_BAD_ROWS,
    PLANTED_NUMBERS,
    PLANTED_OVERDUE,
    PLANTED_SPIKE,
    ROSTER_UNITS,
    TYPICAL_CASE_ID,
    XSS_CASE_ID,
)
from kwstats.demo.exports import (
    ensure_sample,
    generate_cases,
    write_sample,
)
from kwstats.sample_files import (
    CSV_ENCODINGS,
    DEFAULT_SAMPLE_DIR,
    DEFAULT_SEED,
    MARKER_NAME,
    MONTHS,
    is_current,
    marker_text,
    sample_file_name,
)

__all__ = [
    "CSV_ENCODINGS",
    "DEFAULT_SAMPLE_DIR",
    "DEFAULT_SEED",
    "DUPLICATED_CASE_ID",
    "EPIDEMIC_CUTOFF",
    "EPIDEMIC_START",
    "EPIDEMIC_WINDOW_CLOSED",
    "EPIDEMIC_WINDOW_TOTAL",
    "EXPORT_AT",
    "HEADER_VARIANTS",
    "JANUARY_2022_DESIGN",
    "JANUARY_2022_RECOVERED",
    "MARKER_NAME",
    "MONTHS",
    "OFF_ROSTER_UNITS",
    "PHONE_CASE_IDS",
    "PLANTED_BAD_ROWS",
    "PLANTED_NUMBERS",
    "PLANTED_OVERDUE",
    "PLANTED_SPIKE",
    "ROSTER_UNITS",
    "TYPICAL_CASE_ID",
    "XSS_CASE_ID",
    "ensure_sample",
    "generate_cases",
    "is_current",
    "marker_text",
    "sample_file_name",
    "write_sample",
]
