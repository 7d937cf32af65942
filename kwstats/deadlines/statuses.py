"""What one case × rule can be when judged, and its Chinese label.

Statuses (one row per case × rule of its kind; 咨询 have no deadlines; cases registered after the
cutoff are not evaluated):

======================  ==========================================================================
met                     end event on or before the due date
late                    end event after the due date (done, but late)
overdue                 no end event by the cutoff and the due date has passed
pending                 no end event, not yet due; also: the start event has not happened by the
                        cutoff and the case is still open (the clock has not started)
unknown                 cannot be judged from the data: the start date is missing on a closed case
                        (or registration date missing); the case was closed without the end event's
                        date; the export does not carry the end event's field at all (see
                        `recorded_fields`); or the rule's end event is not in the data (``end:
                        null``, e.g. 告知举报人 — the due date is still computed)
not_applicable          a rule with ``end: null`` whose start event has not happened (e.g. no filing
                        decision yet, so no reporter to inform yet)
unconfirmed             the rule in force at registration is not confirmed (``confirmed: false``)
                        or no rule covers that date: never judged, and never with an older rule
calendar_missing        the due date needs a year that neither the chinese-calendar package nor
                        params/calendar.yaml covers (`calendar_missing_year` names it): not judged,
                        never guessed; judged as soon as the year is added to params
======================  ==========================================================================
"""

from __future__ import annotations

STATUSES = (
    "met",
    "late",
    "overdue",
    "pending",
    "not_applicable",
    "unknown",
    "unconfirmed",
    "calendar_missing",
)
STATUS_LABELS: dict[str, str] = {
    "met": "按期",
    "late": "超期完成",
    "overdue": "超期未完成",
    "pending": "未到期",
    "not_applicable": "不适用",
    "unknown": "无法判断",
    "unconfirmed": "期限规则未确认",
    "calendar_missing": "日历未覆盖",  # per row: 日历未覆盖（需补 2027 年）
}
OVERDUE_STATUSES = ("late", "overdue")
DECIDED_STATUSES = ("met", "late", "overdue")
JUDGED_STATUSES = ("met", "late", "overdue", "pending")


def calendar_missing_label(year: int) -> str:
    """The status label of a case whose deadline needs `year`, e.g. 日历未覆盖（需补 2027 年）."""
    return f"{STATUS_LABELS['calendar_missing']}（需补 {year} 年）"
