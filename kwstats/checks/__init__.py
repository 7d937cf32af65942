"""Reconciliation checks: findings that say where numbers do not add up, and which cases are behind.

Findings are plain data (kind, message, numbers, case ids) so the notebook can render them and the
CLI can print them. The checks report inconsistencies; they never correct them.

The package, one kind of check per module:

- :mod:`~kwstats.checks.findings`: :class:`Finding`, their Chinese labels and a display table;
- :mod:`~kwstats.checks.cases`: a month's case rows (:func:`reconcile`) and the rows set aside at
  ingest (:func:`ingest_findings`);
- :mod:`~kwstats.checks.published`: a unit table on its own (:func:`check_table`) and against the
  published one (:func:`compare_tables`, :func:`read_published_table`);
- :mod:`~kwstats.checks.roster`: the share of the month no roster unit counts (:func:`off_roster_share`,
  :class:`OffRosterError`);
- :mod:`~kwstats.checks.due_dates`: the platform's due date against the computed deadlines
  (:func:`due_date_check`, :func:`due_date_findings`).
"""

from kwstats.checks.cases import MARKUP_PATTERN, ingest_findings, reconcile
from kwstats.checks.due_dates import DUE_CHECK_COLUMNS, DUE_STATUS_LABELS, due_date_check, due_date_findings
from kwstats.checks.findings import KIND_LABELS, SEVERITY_LABELS, Finding, findings_frame
from kwstats.checks.published import PUBLISHED_COLUMNS, check_table, compare_tables, read_published_table
from kwstats.checks.roster import OffRosterError, OffRosterShare, off_roster_share

__all__ = [
    "DUE_CHECK_COLUMNS",
    "DUE_STATUS_LABELS",
    "KIND_LABELS",
    "MARKUP_PATTERN",
    "PUBLISHED_COLUMNS",
    "SEVERITY_LABELS",
    "Finding",
    "OffRosterError",
    "OffRosterShare",
    "check_table",
    "compare_tables",
    "due_date_check",
    "due_date_findings",
    "findings_frame",
    "ingest_findings",
    "off_roster_share",
    "read_published_table",
    "reconcile",
]
