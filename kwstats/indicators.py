"""The bulletin's indicators: plain functions over the canonical case table (no I/O).

Convention (SPEC §3): month M covers the cases registered in M; their state is taken as of the
cutoff, by default the last instant of M. A case closed after the cutoff is pending; 咨询 is
counted apart, never in 受理量.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from kwstats.exceptions import ParamsError
from kwstats.params import Branch, CumulativeWindow, parse_month
from kwstats.rates import closure_rate, closure_rates
from kwstats.schema import COMPLAINT, CONSULTATION, REPORT

COUNT_COLUMNS = (
    "accepted",
    "reports",
    "reports_closed",
    "reports_filed",
    "complaints",
    "complaints_closed",
    "complaints_to_case",
    "closed",
)
TABLE_COLUMNS = ("seq", "unit", *COUNT_COLUMNS, "closure_rate_pct")
TABLE_LABELS = {
    "seq": "序号",
    "unit": "单位名称",
    "accepted": "受理量",
    "reports": "举报",
    "reports_closed": "举报办结",
    "reports_filed": "举报立案数",
    "complaints": "投诉",
    "complaints_closed": "投诉办结",
    "complaints_to_case": "诉转案",
    "closed": "总计办结",
    "closure_rate_pct": "办结率",
}
GLOBAL_SEQ, GLOBAL_UNIT = "*", "全局"


def month_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) of the month as Timestamps."""
    year, mon = parse_month(month)
    start = pd.Timestamp(year, mon, 1)
    return start, start + pd.offsets.MonthBegin(1)


def default_cutoff(month: str) -> pd.Timestamp:
    """The last instant of the month: “统计时间截止 M 月末日实时数据”."""
    return month_bounds(month)[1] - pd.Timedelta(1, "ns")


def resolve_cutoff(
    month: str, cutoff: str | dt.date | dt.datetime | pd.Timestamp | None = None
) -> pd.Timestamp:
    """The cutoff to use: the override when given, else the last instant of the month.

    A bare date (``2022-01-20`` on the command line or in params) means the end of that day; a
    time zone is converted to Beijing time and dropped (the exports are naive Beijing times).
    """
    if cutoff is None or (isinstance(cutoff, str) and not cutoff.strip()):
        return default_cutoff(month)
    date_only = isinstance(cutoff, dt.date) and not isinstance(cutoff, dt.datetime)
    if isinstance(cutoff, str):
        text = cutoff.strip()
        date_only = re.fullmatch(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{8}", text) is not None
        if re.fullmatch(r"\d{8}", text):
            text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
        try:
            ts = pd.Timestamp(text.replace("/", "-").replace(".", "-") if date_only else text)
        except (ValueError, TypeError):
            raise ParamsError(
                f"截止时间“{cutoff}”无法识别，应写成 2022-01-31 或 2022-01-31 18:00。"
            ) from None
    else:
        ts = pd.Timestamp(cutoff)
    if ts is pd.NaT or pd.isna(ts):
        raise ParamsError(f"截止时间“{cutoff}”无法识别，应写成 2022-01-31 或 2022-01-31 18:00。")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("Asia/Shanghai").tz_localize(None)
    if date_only:
        ts = ts.normalize() + pd.Timedelta(days=1) - pd.Timedelta(1, "ns")
    if ts < month_bounds(month)[0]:
        raise ParamsError(f"截止时间 {ts:%Y-%m-%d %H:%M} 早于统计月份 {month} 的第一天。")
    return ts


def month_cohort(cases: pd.DataFrame, month: str, cutoff: pd.Timestamp | None = None) -> pd.DataFrame:
    """All cases (any kind) registered in `month` and no later than the cutoff."""
    start, end = month_bounds(month)
    cutoff = default_cutoff(month) if cutoff is None else cutoff
    reg = cases["registered_at"]
    return cases[(reg >= start) & (reg < end) & (reg <= cutoff)]


def accepted_cases(cases: pd.DataFrame) -> pd.DataFrame:
    """Complaints and reports: what 受理量 counts (咨询 apart)."""
    return cases[cases["kind"].isin([COMPLAINT, REPORT])]


def closed_by(cases: pd.DataFrame, cutoff: pd.Timestamp) -> pd.Series:
    """Boolean: closed at or before the cutoff (NaT or later means pending)."""
    return cases["closed_at"].notna() & (cases["closed_at"] <= cutoff)


def _case_flags(cases: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """One row per accepted case with 0/1 columns for each count of the unit table."""
    is_report = (cases["kind"] == REPORT).to_numpy()
    is_complaint = (cases["kind"] == COMPLAINT).to_numpy()
    closed = closed_by(cases, cutoff).to_numpy()
    # 立案 is decided at 核查: known by the cutoff when verified by then (or, undated, closed by then);
    # 诉转案 is known once the complaint is closed. A later export must not change month M.
    verified = cases["verified_at"]
    filed_by = ((verified.notna() & (verified <= cutoff)) | (verified.isna() & closed)).to_numpy()
    flags = pd.DataFrame(
        {
            "accepted": is_report | is_complaint,
            "reports": is_report,
            "reports_closed": is_report & closed,
            "reports_filed": is_report & cases["filed"].to_numpy(dtype=bool) & filed_by,
            "complaints": is_complaint,
            "complaints_closed": is_complaint & closed,
            "complaints_to_case": is_complaint & cases["complaint_to_case"].to_numpy(dtype=bool) & closed,
            "closed": (is_report | is_complaint) & closed,
        },
        index=cases.index,
    ).astype("int64")
    flags["unit"] = cases["unit"].astype("object").where(cases["unit"].notna(), None)
    return flags


def unit_counts(cases: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Counts per unit as found in the data (roster or not), index = unit name."""
    flags = _case_flags(accepted_cases(cases), cutoff)
    flags = flags[flags["unit"].notna()]
    return flags.groupby("unit", sort=True)[list(COUNT_COLUMNS)].sum()


def unit_table(
    cases: pd.DataFrame,
    branch: Branch,
    month: str,
    cutoff: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The bulletin's unit table: 全局 first, then the roster in order (zeros for units without cases)."""
    cutoff = default_cutoff(month) if cutoff is None else cutoff
    cohort = accepted_cases(month_cohort(cases, month, cutoff))
    totals = _case_flags(cohort, cutoff)[list(COUNT_COLUMNS)].sum()
    per_unit = unit_counts(cohort, cutoff).reindex(branch.units, fill_value=0)
    rows = [{"seq": GLOBAL_SEQ, "unit": GLOBAL_UNIT, **{c: int(totals[c]) for c in COUNT_COLUMNS}}]
    for entry in branch.roster:
        rows.append(
            {
                "seq": str(entry.seq),
                "unit": entry.unit,
                **{c: int(per_unit.at[entry.unit, c]) for c in COUNT_COLUMNS},
            }
        )
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS[:-1]))
    table["closure_rate_pct"] = closure_rates(table["closed"], table["accepted"], branch.rate_rule)
    return table


def units_under_threshold(table: pd.DataFrame, threshold: float) -> list[str]:
    """Roster units whose closure rate is under the threshold (blank rates are not under)."""
    roster = table[table["seq"] != GLOBAL_SEQ]
    return roster.loc[roster["closure_rate_pct"] < threshold, "unit"].tolist()


def yuan_to_wan(yuan: float) -> Decimal:
    """元 → 万元 with two decimals, half up (60 800 元 → 6.08)."""
    return (Decimal(str(round(float(yuan), 2))) / Decimal(10000)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


@dataclass(frozen=True)
class WindowResult:
    """A cumulative window (e.g. epidemic-related cases since 2020-01-23) as of the cutoff."""

    key: str
    label: str
    start: dt.date
    cutoff: pd.Timestamp
    count: int
    closed: int
    rate_pct: float
    case_ids: tuple[str, ...] = field(repr=False, default=())


def cumulative_window(
    cases: pd.DataFrame, window: CumulativeWindow, cutoff: pd.Timestamp, rule: str = "truncate"
) -> WindowResult:
    """Accepted cases flagged `window.flag`, registered from the window start to the cutoff."""
    acc = accepted_cases(cases)
    reg = acc["registered_at"]
    mask = (
        acc[window.flag].to_numpy(dtype=bool)
        & (reg >= pd.Timestamp(window.start)).to_numpy()
        & (reg <= cutoff).to_numpy()
    )
    selected = acc[mask]
    closed = int(closed_by(selected, cutoff).sum())
    return WindowResult(
        key=window.key,
        label=window.label,
        start=window.start,
        cutoff=cutoff,
        count=len(selected),
        closed=closed,
        rate_pct=closure_rate(closed, len(selected), rule),
        case_ids=tuple(selected["case_id"].astype(str)),
    )


@dataclass(frozen=True)
class MonthSummary:
    """Every number the bulletin's text carries, for one month as of one cutoff."""

    month: str
    cutoff: pd.Timestamp
    accepted: int
    reports: int
    reports_closed: int
    reports_filed: int
    complaints: int
    complaints_closed: int
    complaints_to_case: int
    closed: int
    pending: int
    consultations: int
    diverted: int
    unassigned: int
    urges: int
    recovered_loss_yuan: float
    recovered_loss_wan: Decimal
    rate_pct: float
    reports_rate_pct: float
    complaints_rate_pct: float
    windows: tuple[WindowResult, ...]
    under_threshold: tuple[str, ...]
    off_roster: dict[str, int]


def summarize(
    cases: pd.DataFrame,
    branch: Branch,
    month: str,
    cutoff: pd.Timestamp | None = None,
    *,
    table: pd.DataFrame | None = None,
) -> MonthSummary:
    """All figures of the bulletin's sentences for `month` (pass `table` if already computed)."""
    cutoff = default_cutoff(month) if cutoff is None else cutoff
    cohort = month_cohort(cases, month, cutoff)
    acc = accepted_cases(cohort)
    if table is None:
        table = unit_table(cases, branch, month, cutoff)
    g = table.iloc[0]
    closed_mask = closed_by(acc, cutoff)
    loss = float(acc.loc[closed_mask, "recovered_loss"].sum())
    per_unit = unit_counts(acc, cutoff)
    off = per_unit[~per_unit.index.isin(branch.units)]
    rule = branch.rate_rule
    return MonthSummary(
        month=month,
        cutoff=cutoff,
        accepted=int(g["accepted"]),
        reports=int(g["reports"]),
        reports_closed=int(g["reports_closed"]),
        reports_filed=int(g["reports_filed"]),
        complaints=int(g["complaints"]),
        complaints_closed=int(g["complaints_closed"]),
        complaints_to_case=int(g["complaints_to_case"]),
        closed=int(g["closed"]),
        pending=int(g["accepted"] - g["closed"]),
        consultations=int((cohort["kind"] == CONSULTATION).sum()),
        diverted=int(acc["unit"].notna().sum()),
        unassigned=int(acc["unit"].isna().sum()),
        urges=int(cohort["urges"].sum()),
        recovered_loss_yuan=loss,
        recovered_loss_wan=yuan_to_wan(loss),
        rate_pct=float(g["closure_rate_pct"]),
        reports_rate_pct=closure_rate(int(g["reports_closed"]), int(g["reports"]), rule),
        complaints_rate_pct=closure_rate(int(g["complaints_closed"]), int(g["complaints"]), rule),
        windows=tuple(cumulative_window(cases, w, cutoff, rule) for w in branch.cumulative_windows),
        under_threshold=tuple(units_under_threshold(table, branch.closure_rate_threshold)),
        off_roster={str(u): int(n) for u, n in off["accepted"].items()},
    )


def cases_behind(
    cases: pd.DataFrame, month: str, cutoff: pd.Timestamp, unit: str | None, column: str
) -> pd.DataFrame:
    """The case rows behind one cell of the unit table (unit None or 全局 = all units)."""
    cohort = accepted_cases(month_cohort(cases, month, cutoff))
    if unit not in (None, GLOBAL_UNIT):
        cohort = cohort[cohort["unit"] == unit]
    flags = _case_flags(cohort, cutoff)
    if column not in COUNT_COLUMNS:
        raise KeyError(f"表中没有“{column}”这一列，可选：{'、'.join(COUNT_COLUMNS)}")
    return cohort[flags[column].to_numpy(dtype=bool)]


def pending_cases(cases: pd.DataFrame, month: str, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Accepted cases of the month still open at the cutoff (办理中)."""
    cohort = accepted_cases(month_cohort(cases, month, cutoff))
    return cohort[~closed_by(cohort, cutoff).to_numpy()]
