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

Modules, in the order of the flow: :mod:`~kwstats.ingest.files` (finding and sniffing files),
:mod:`~kwstats.ingest.csvfile`, :mod:`~kwstats.ingest.excel` and :mod:`~kwstats.ingest.htmltable`
(one reader per format, each giving a grid of text: :mod:`~kwstats.ingest.grid`),
:mod:`~kwstats.ingest.headers` (header row, column mapping, personal columns),
:mod:`~kwstats.ingest.values` (typed parsing of a whole column), :mod:`~kwstats.ingest.rows` (row
checks, duplicates, rows set aside), :mod:`~kwstats.ingest.result` (what is returned) and
:mod:`~kwstats.ingest.exports` (:func:`read_exports`, which runs them in turn).
"""

from kwstats.exceptions import InputFileError, MissingColumnError
from kwstats.ingest.csvfile import CSV_ENCODINGS, decode_bytes
from kwstats.ingest.exports import read_export, read_exports
from kwstats.ingest.files import FORMATS, NoExportsFoundError, expand_paths
from kwstats.ingest.headers import HEADER_SCAN_ROWS
from kwstats.ingest.result import (
    REASON_AMOUNT_TOO_LARGE,
    REASON_BAD_AMOUNT,
    REASON_BAD_DATE,
    REASON_BAD_FLAG,
    REASON_BAD_URGES,
    REASON_CLOSED_BEFORE_REGISTERED,
    REASON_CONFLICT,
    REASON_DATE_OUT_OF_RANGE,
    REASON_DUPLICATE,
    REASON_FUTURE_DATE,
    REASON_FUTURE_DATE_NOW,
    REASON_MISSING_ID,
    REASON_MISSING_KIND,
    REASON_MISSING_REGISTERED,
    REASON_NEGATIVE_AMOUNT,
    REASON_REPEATED_HEADER,
    REASON_TOO_MANY_URGES,
    REASON_TOTAL,
    REASON_UNKNOWN_KIND,
    FileReport,
    IngestResult,
)
from kwstats.ingest.rows import TOTAL_PREFIXES, roster_units
from kwstats.ingest.values import (
    MAX_AMOUNT_YUAN,
    MAX_URGES,
    parse_amounts,
    parse_dates,
    parse_flags,
    parse_urges,
)

__all__ = [
    "CSV_ENCODINGS",
    "FORMATS",
    "HEADER_SCAN_ROWS",
    "MAX_AMOUNT_YUAN",
    "MAX_URGES",
    "REASON_AMOUNT_TOO_LARGE",
    "REASON_BAD_AMOUNT",
    "REASON_BAD_DATE",
    "REASON_BAD_FLAG",
    "REASON_BAD_URGES",
    "REASON_CLOSED_BEFORE_REGISTERED",
    "REASON_CONFLICT",
    "REASON_DATE_OUT_OF_RANGE",
    "REASON_DUPLICATE",
    "REASON_FUTURE_DATE",
    "REASON_FUTURE_DATE_NOW",
    "REASON_MISSING_ID",
    "REASON_MISSING_KIND",
    "REASON_MISSING_REGISTERED",
    "REASON_NEGATIVE_AMOUNT",
    "REASON_REPEATED_HEADER",
    "REASON_TOO_MANY_URGES",
    "REASON_TOTAL",
    "REASON_UNKNOWN_KIND",
    "TOTAL_PREFIXES",
    "FileReport",
    "IngestResult",
    "InputFileError",
    "MissingColumnError",
    "NoExportsFoundError",
    "decode_bytes",
    "expand_paths",
    "parse_amounts",
    "parse_dates",
    "parse_flags",
    "parse_urges",
    "read_export",
    "read_exports",
    "roster_units",
]
