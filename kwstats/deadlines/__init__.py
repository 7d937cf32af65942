"""Deadlines (SPEC §4): rules from params/deadlines.yaml, judged as of a cutoff.

Each rule version applies to the cases of its kind *registered* within its effective dates; a case
keeps the regime it was registered under. A limit is in working days (``workdays``) or natural days
(``natural_days``, Order 121's 60-day mediation); day counting is `kwstats.workdays`': the start
event's day does not count; a working-day period ends on the n-th working day after it; a
natural-day period ends n days after it, and when that last day is a legal holiday on the first day
after the holiday (Order 121 art. 45; the rule's ``roll_over``). The deadline falls at the end of
that day. Everything is as known at the cutoff: an event after the cutoff has not happened yet.

A rule version whose ``effective_to`` has no later version is repealed: cases registered after it
have no such deadline at all (no row), e.g. 告知举报人 from 2026-04-15 (Order 121 art. 36). A case
registered before a rule's first version, or in a gap between versions, is ``unconfirmed``.

The package, in the order a run uses it:

- :mod:`~kwstats.deadlines.rules`: params/deadlines.yaml read and validated (:func:`load_deadline_rules`);
- :mod:`~kwstats.deadlines.statuses`: what a case × rule can be (met, late, overdue …) and its label;
- :mod:`~kwstats.deadlines.evaluation`: every case × rule judged as of a resolved cutoff
  (:func:`evaluate_deadlines`);
- :mod:`~kwstats.deadlines.overdue`: what a month's bulletin says of them (:func:`overdue_sentence`,
  the calendar's missing years);
- :mod:`~kwstats.deadlines.ontime`: 按时初查率 / 按期办结率 style rates (:func:`on_time_rate`);
- :mod:`~kwstats.deadlines.view`: evaluation rows as the analyst reads them (:func:`deadline_view`).
"""

from kwstats.deadlines.evaluation import EVALUATION_COLUMNS, deadline_columns, evaluate_deadlines
from kwstats.deadlines.ontime import OnTimeRate, on_time_rate
from kwstats.deadlines.overdue import (
    NO_UNIT_LABEL,
    NONE_SENTENCE,
    calendar_missing_in_period,
    calendar_missing_message,
    notice_name,
    overdue_cases,
    overdue_in_period,
    overdue_sentence,
)
from kwstats.deadlines.rules import (
    DEADLINES_FILE,
    DeadlineRule,
    DeadlineRules,
    EndField,
    StartField,
    load_deadline_rules,
)
from kwstats.deadlines.statuses import (
    DECIDED_STATUSES,
    JUDGED_STATUSES,
    OVERDUE_STATUSES,
    STATUS_LABELS,
    STATUSES,
    calendar_missing_label,
)
from kwstats.deadlines.view import DAY_UNIT_LABELS, VIEW_COLUMNS, deadline_view

__all__ = [
    "DAY_UNIT_LABELS",
    "DEADLINES_FILE",
    "DECIDED_STATUSES",
    "EVALUATION_COLUMNS",
    "JUDGED_STATUSES",
    "NONE_SENTENCE",
    "NO_UNIT_LABEL",
    "OVERDUE_STATUSES",
    "STATUSES",
    "STATUS_LABELS",
    "VIEW_COLUMNS",
    "DeadlineRule",
    "DeadlineRules",
    "EndField",
    "OnTimeRate",
    "StartField",
    "calendar_missing_in_period",
    "calendar_missing_label",
    "calendar_missing_message",
    "deadline_view",
    "deadline_columns",
    "evaluate_deadlines",
    "load_deadline_rules",
    "notice_name",
    "on_time_rate",
    "overdue_cases",
    "overdue_in_period",
    "overdue_sentence",
]
