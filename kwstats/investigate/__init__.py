"""Investigation: change over time, spikes, threshold history, top categories and drill-down.

Plain functions over the canonical case table (no I/O), for the analyst-only cells of the
notebook (SPEC §6). Counts here are 受理量 (complaints + reports) by month of registration, the
same cohort convention as the unit table: a case belongs to the month it was registered in.
Every table cell can be traced back to its case rows with `drill_down`.

One concept per module; this package re-exports their public names:

- `cohorts`: the rows a number counts (month cohorts, grouping columns, blanks) and `drill_down`
- `change`: counts by month (`monthly_counts`) and their 环比/同比 (`change_by`, `volume_change`)
- `spike`: the spike test (`spikes`, `poisson_sf`, `SPIKE_METHOD`) and `spike_breakdown`
- `thresholds`: closure rates under the threshold (`threshold_history`, `threshold_breaches`)
- `categories`: the month's most frequent values (`top_categories`)
"""

from __future__ import annotations

from kwstats.investigate.categories import top_categories
from kwstats.investigate.change import CHANGE_COLUMNS, change_by, monthly_counts, volume_change
from kwstats.investigate.cohorts import BLANK_LABEL, BY_LABELS, drill_down
from kwstats.investigate.spike import (
    BREAKDOWN_BY,
    DIMENSION_LABELS,
    SPIKE_ALPHA,
    SPIKE_METHOD,
    SPIKE_MIN_COUNT,
    SPIKE_MIN_RATIO,
    SPIKE_WINDOW,
    poisson_sf,
    spike_breakdown,
    spike_method,
    spikes,
)
from kwstats.investigate.thresholds import (
    STREAK_LABEL,
    STREAK_NOTE_LABEL,
    threshold_breaches,
    threshold_history,
)

__all__ = [
    "BLANK_LABEL",
    "BREAKDOWN_BY",
    "BY_LABELS",
    "CHANGE_COLUMNS",
    "DIMENSION_LABELS",
    "SPIKE_ALPHA",
    "SPIKE_METHOD",
    "SPIKE_MIN_COUNT",
    "SPIKE_MIN_RATIO",
    "SPIKE_WINDOW",
    "STREAK_LABEL",
    "STREAK_NOTE_LABEL",
    "change_by",
    "drill_down",
    "monthly_counts",
    "poisson_sf",
    "spike_breakdown",
    "spike_method",
    "spikes",
    "threshold_breaches",
    "threshold_history",
    "top_categories",
    "volume_change",
]
