"""A month's most frequent values of a column (categories, units, channels): count, share, channel mix."""

from __future__ import annotations

from typing import Any

import pandas as pd

from kwstats.investigate.cohorts import BY_LABELS, _check_by, _cohort, _labels, _month_key


def top_categories(cases: pd.DataFrame, month: str, by: str, n: int = 5, cutoff: Any = None) -> pd.DataFrame:
    """The `n` most frequent values of `by` in the month: 件数, 占比(%) of the month's 受理量, and
    for each channel the share (%) of that row's cases that came through it (unless by="channel").
    """
    _check_by(by)
    cohort = _cohort(cases, month, cutoff)
    total = len(cohort)
    labels = _labels(cohort[by])
    counts = labels.value_counts()
    counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable").head(n)
    frame = pd.DataFrame({BY_LABELS[by]: counts.index.astype(str), "件数": counts.to_numpy(dtype="int64")})
    frame["占比(%)"] = (100.0 * frame["件数"] / total).round(1) if total else float("nan")
    if by != "channel" and total:
        channels = _labels(cohort["channel"])
        shares = pd.crosstab(labels, channels, normalize="index").mul(100).round(1)
        order = channels.value_counts().index
        shares = shares.reindex(index=counts.index, columns=order).fillna(0.0)
        for ch in order:
            frame[f"{ch}占比(%)"] = shares[ch].to_numpy()
    frame.attrs = {"month": _month_key(month), "by": by, "total": total}
    return frame
