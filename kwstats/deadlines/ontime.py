"""按时初查率 / 按期办结率 style rates: the share of `met` among the decided rows of one or more deadlines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from kwstats.deadlines.statuses import STATUSES


@dataclass(frozen=True)
class OnTimeRate:
    """Share of `met` among decided rows (met + late + overdue) of one or more deadlines."""

    keys: tuple[str, ...]
    label: str
    met: int
    late: int
    overdue: int
    counts: dict[str, int] = field(default_factory=dict)  # every status, for the analyst

    @property
    def decided(self) -> int:
        return self.met + self.late + self.overdue

    @property
    def rate_pct(self) -> float:
        """Unrounded percentage; NaN when nothing is decided (round with the branch's rate rule)."""
        return 100.0 * self.met / self.decided if self.decided else float("nan")


def on_time_rate(evaluation: pd.DataFrame, key: str | Sequence[str]) -> OnTimeRate:
    """按时初查率 / 按期办结率 style rate for a deadline key (or several keys pooled).

    E.g. ``on_time_rate(ev, "first_contact")`` for 按时初查率 and ``on_time_rate(ev, "mediation")``
    for 按期办结率. Pending, unknown, not_applicable and unconfirmed rows are not decided and stay out
    of the rate; their counts are in ``.counts``.
    """
    keys = (key,) if isinstance(key, str) else tuple(key)
    rows = evaluation[evaluation["key"].isin(keys)]
    counts = {s: int((rows["status"] == s).sum()) for s in STATUSES}
    labels = list(dict.fromkeys(rows["label"])) or list(keys)
    return OnTimeRate(
        keys=keys,
        label="、".join(str(lbl) for lbl in labels),
        met=counts["met"],
        late=counts["late"],
        overdue=counts["overdue"],
        counts=counts,
    )
