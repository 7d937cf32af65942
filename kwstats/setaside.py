"""Rows set aside at ingest, as one month sees them: its own, other months' (history), and totals.

The rule is written once here (the CLI, the bulletin's parent and the report all use it): a 合计行
(``kwstats.ingest.REASON_TOTAL``, a file's trailing total row) is not a problem at all; any other row
set aside belongs to the month when it comes from a file holding cases of the month, when its case id
is one of the month's cases (a conflicting duplicate), or when its registration date, where the
set-aside table records one, falls in the month. Everything else is history: listed, never counted
against the month.
"""

from __future__ import annotations

import pandas as pd

from kwstats.indicators import month_cohort
from kwstats.ingest import REASON_TOTAL, IngestResult
from kwstats.period import Period


def total_rows(rejected: pd.DataFrame) -> pd.DataFrame:
    """The files' trailing total rows (合计/总计/小计): set aside, but not problems."""
    if rejected is None or not len(rejected):
        return rejected
    return rejected[rejected["reason"] == REASON_TOTAL]


def problem_rows(rejected: pd.DataFrame) -> pd.DataFrame:
    """Every row set aside except the total rows."""
    if rejected is None or not len(rejected):
        return rejected
    return rejected[rejected["reason"] != REASON_TOTAL]


def _period(month: str | Period, cutoff: pd.Timestamp | None) -> Period:
    return month if isinstance(month, Period) else Period.month(month, cutoff)


def split_set_aside(
    result: IngestResult, month: str | Period, cutoff: pd.Timestamp | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Problem rows set aside at ingest, split into (the month's, history's); total rows are neither."""
    rejected = result.rejected
    if rejected is None or not len(rejected):
        return rejected, rejected
    period = _period(month, cutoff)
    bad = problem_rows(rejected)
    cohort = month_cohort(result.cases, period.key, period.cutoff)
    files = set(cohort["source_file"].astype(str))
    ids = set(cohort["case_id"].dropna().astype(str))
    mine = bad["source_file"].astype(str).isin(files) | bad["case_id"].astype(str).isin(ids)
    if "registered_at" in bad:
        reg = pd.to_datetime(bad["registered_at"], errors="coerce")
        mine |= ((reg >= period.start) & (reg < period.end)).fillna(False).to_numpy()
    return bad[mine.to_numpy()], bad[~mine.to_numpy()]


def set_aside_message(
    result: IngestResult, month: str | Period, cutoff: pd.Timestamp | None = None
) -> str | None:
    """The clerk's line about rows set aside, scoped to the month (None when there are none)."""
    period = _period(month, cutoff)
    mine, history = split_set_aside(result, period)
    if mine is None or (not len(mine) and not len(history)):
        return None
    key = period.key
    check = f"运行 kwstats check --month {key} 查看文件、行号和原因。"
    if len(mine):
        more = f"；另有 {len(history)} 行属于其他月份的文件（历史数据），不影响本月" if len(history) else ""
        return f"导入时剔除 {len(mine)} 行与 {key} 有关的问题数据，未计入统计{more}。{check}"
    return f"导入时剔除的 {len(history)} 行问题数据都属于其他月份的文件（历史数据），不影响 {key} 的统计。{check}"
