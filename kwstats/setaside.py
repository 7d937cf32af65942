"""Rows set aside at ingest, as one month sees them: its own, other months' (earlier or later), and totals.

The rule is written once here (the CLI, the bulletin's parent and the report all use it): a 合计行
(``kwstats.ingest.REASON_TOTAL``, a file's trailing total row) is not a problem at all; any other row
set aside belongs to the month when

- it comes from a file holding cases of the month, or
- its case id is one of the month's cases (a conflicting duplicate), or
- its registration date, where the set-aside table records one, falls in the month, or
- nothing tells its month: no registration date recorded for it, and its file holds no usable case of
  any other month (a whole export set aside, every 登记时间 unreadable, is the month's — conservative).

Every other row belongs to another month: listed, never counted against the month, and called history
(历史数据) only when that month is earlier.
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


def _registered(bad: pd.DataFrame) -> pd.Series:
    """The registration date of each row set aside, where the set-aside table records one."""
    if "registered_at" not in bad:
        return pd.Series(pd.NaT, index=bad.index, dtype="datetime64[ns]")
    return pd.to_datetime(bad["registered_at"], errors="coerce")


def _texts(values: pd.Series) -> set[str | None]:
    """The distinct values as text, None for a missing one (each distinct value converted once: a
    scope holds ~10⁵ rows)."""
    return {v if isinstance(v, str) else None for v in pd.Series(values.unique()).astype(str)}


def _among(values: pd.Series, texts: set[str | None]) -> pd.Series:
    """Boolean: the value (one of a few rows set aside) is one of `texts`, a missing one when they
    hold a missing one (as pandas' isin says, which would first convert `texts` value by value)."""
    found = [(v if isinstance(v, str) else None) in texts for v in values]
    return pd.Series(found, index=values.index, dtype=bool)


def _files_outside(cases: pd.DataFrame, period: Period) -> set[str]:
    """The files holding a case registered outside the period."""
    reg = cases["registered_at"]
    return _texts(cases.loc[reg.notna() & ~((reg >= period.start) & (reg < period.end)), "source_file"])


def split_set_aside(
    result: IngestResult, month: str | Period, cutoff: pd.Timestamp | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Problem rows set aside at ingest, split into (the month's, other months'); total rows are neither."""
    rejected = result.rejected
    if rejected is None or not len(rejected):
        return rejected, rejected
    period = _period(month, cutoff)
    bad = problem_rows(rejected)
    cohort = month_cohort(
        result.cases[["registered_at", "case_id", "source_file"]], period.key, period.cutoff
    )
    files = _texts(cohort["source_file"])
    ids = _texts(cohort["case_id"].dropna())
    elsewhere = _files_outside(result.cases, period)
    source = bad["source_file"].astype(str)
    reg = _registered(bad)
    mine = (
        _among(source, files)
        | _among(bad["case_id"].astype(str), ids)
        | ((reg >= period.start) & (reg < period.end)).fillna(False)
        | (reg.isna() & ~_among(source, elsewhere))
    ).to_numpy(dtype=bool)
    return bad[mine], bad[~mine]


def later_rows(result: IngestResult, others: pd.DataFrame, month: str | Period) -> pd.Series:
    """Of the other months' rows (:func:`split_set_aside`'s second part), those of a later month: the
    row's registration date, where recorded, is after the month, else its file holds a case after it."""
    period = _period(month, None)
    if others is None or not len(others):
        return pd.Series(False, index=getattr(others, "index", None), dtype=bool)
    reg = _registered(others)
    cases = result.cases
    after = _texts(cases.loc[cases["registered_at"] >= period.end, "source_file"])
    by_file = _among(others["source_file"].astype(str), after)
    return ((reg >= period.end) | (reg.isna() & by_file)).fillna(False).astype(bool)


def other_months(result: IngestResult, others: pd.DataFrame, month: str | Period) -> str:
    """What the other months' rows are: 历史数据, 之后的月份, or n 行为历史数据，m 行属于之后的月份."""
    later = int(later_rows(result, others, month).sum())
    earlier = len(others) - later
    if not later:
        return "历史数据"
    if not earlier:
        return "之后的月份"
    return f"{earlier} 行为历史数据，{later} 行属于之后的月份"


def others_text(result: IngestResult, others: pd.DataFrame, month: str | Period) -> str:
    """其他月份的文件（历史数据）, （之后的月份）, or both counted."""
    return f"其他月份的文件（{other_months(result, others, month)}）"


def set_aside_message(
    result: IngestResult, month: str | Period, cutoff: pd.Timestamp | None = None
) -> str | None:
    """The clerk's line about rows set aside, scoped to the month (None when there are none)."""
    period = _period(month, cutoff)
    mine, others = split_set_aside(result, period)
    if mine is None or (not len(mine) and not len(others)):
        return None
    key = period.key
    check = f"运行 kwstats check --month {key} 查看文件、行号和原因。"
    where = others_text(result, others, period) if len(others) else ""
    if len(mine):
        more = f"；另有 {len(others)} 行属于{where}，不影响本月" if len(others) else ""
        return f"导入时剔除 {len(mine)} 行与 {key} 有关的问题数据，未计入统计{more}。{check}"
    return f"导入时剔除的 {len(others)} 行问题数据都属于{where}，不影响 {key} 的统计。{check}"
