"""The bulletin's indicators: plain functions over the canonical case table (no I/O).

Convention (SPEC §3): month M covers the cases registered in M; their state is taken as of the
cutoff, by default the last instant of M. A case closed after the cutoff is pending; 咨询 is
counted apart, never in 受理量.

Closure from an export without a closure date is its stage at the export (``closed_by_stage``, see
:mod:`kwstats.schema`), said by :func:`closure_note`. A case whose export has neither is of unknown
closure: the rates it enters are blank (NaN), never 0 %.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pandas as pd

from kwstats import labels
from kwstats.aggregates import Aggregates, window_counts
from kwstats.masking import mask_text
from kwstats.params import Branch, CumulativeWindow
from kwstats.period import Period
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
TABLE_LABELS = {c: labels.TABLE_LABELS[c] for c in TABLE_COLUMNS}  # the unit table's Chinese headers
GLOBAL_SEQ, GLOBAL_UNIT = "*", "全局"


def month_bounds(month: str | Period) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) of the month as Timestamps (a Period's own bounds)."""
    period = month if isinstance(month, Period) else Period.month(month)
    return period.start, period.end


def default_cutoff(month: str | Period) -> pd.Timestamp:
    """The last instant of the month: “统计时间截止 M 月末日实时数据”."""
    period = month if isinstance(month, Period) else Period.month(month)
    return period.default_cutoff


def resolve_cutoff(
    month: str | Period, cutoff: str | dt.date | dt.datetime | pd.Timestamp | None = None
) -> pd.Timestamp:
    """The cutoff to use: the override when given, else the last instant of the month.

    A thin wrapper over :meth:`kwstats.period.Period.with_cutoff`, the one cutoff parser.
    """
    period = month if isinstance(month, Period) else Period.month(month)
    return period.with_cutoff(cutoff).cutoff


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
    """Boolean: closed at or before the cutoff (NaT or later means pending).

    A case from an export without a closure date counts when its stage at the export says closed
    (``closed_by_stage``): the export's state, not the cutoff's.
    """
    closed = cases["closed_at"].notna() & (cases["closed_at"] <= cutoff)
    if "closed_by_stage" in cases:
        closed = closed | cases["closed_by_stage"].astype(bool)
    return closed


def closure_unknown(cases: pd.DataFrame) -> pd.Series:
    """Boolean: the case's export carries neither a closure date nor a stage (closure unknown)."""
    if "closure_basis" not in cases:
        return pd.Series(False, index=cases.index)
    return (cases["closure_basis"] == "none").fillna(False).astype(bool)


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
    rates = closure_rates(table["closed"], table["accepted"], branch.rate_rule)
    # a row holding a case of unknown closure has no rate: blank, never a 0 % from a missing column
    unknown = closure_unknown(cohort)
    by_unit = cohort.loc[unknown, "unit"].astype("object").value_counts()
    unknown_rows = [int(unknown.sum())] + [int(by_unit.get(e.unit, 0)) for e in branch.roster]
    table["closure_rate_pct"] = rates.where(pd.Series(unknown_rows, index=table.index) == 0)
    return table


def units_under_threshold(table: pd.DataFrame, threshold: float) -> list[str]:
    """Roster units whose closure rate is under the threshold (blank rates are not under)."""
    roster = table[table["seq"] != GLOBAL_SEQ]
    return roster.loc[roster["closure_rate_pct"] < threshold, "unit"].tolist()


def yuan_to_wan(yuan: float) -> Decimal:
    """元 → 万元 with two decimals, half up (60 800 元 → 6.08).

    Ingest sets aside amounts above 100 亿元, so sums stay small; the precision here is enough for
    any finite float all the same (the default 28 digits would raise InvalidOperation from 1e26 on).
    """
    if not math.isfinite(float(yuan)):
        raise ValueError(f"挽回经济损失合计不是有限数：{yuan}")
    with localcontext() as ctx:
        ctx.prec = 400
        wan = (Decimal(str(round(float(yuan), 2))) / Decimal(10000)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
    return wan


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
    rate = closure_rate(closed, len(selected), rule)
    return WindowResult(
        key=window.key,
        label=window.label,
        start=window.start,
        cutoff=cutoff,
        count=len(selected),
        closed=closed,
        rate_pct=float("nan") if closure_unknown(selected).any() else rate,
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
    # accepted cases whose closure is unknown (their export has neither 办结时间 nor 当前环节): the
    # closed counts leave them out, `pending` too, and every rate they enter is NaN
    closure_unknown: int = 0
    # accepted cases counted closed by their stage at the export (no closure date in their export)
    closed_by_stage: int = 0
    # accepted cases whose closure, closed or not, is their stage at the export
    stage_basis: int = 0
    # what the bulletin must say about where closure comes from ("" when every case has a closure date)
    closure_note: str = ""
    closure_note_official: str = ""  # its short form, for the bulletin's table note


def summarize(
    cases: pd.DataFrame,
    branch: Branch,
    month: str,
    cutoff: pd.Timestamp | None = None,
    *,
    table: pd.DataFrame | None = None,
    aggregates: Aggregates | None = None,
) -> MonthSummary:
    """All figures of the bulletin's sentences for `month` (pass `table` if already computed).

    The cumulative windows are counted by kwstats.aggregates (`aggregates` for this month and
    cutoff, else from `cases` now)."""
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
    unknown = closure_unknown(acc)
    no_stage = pd.Series(False, index=acc.index)
    by_stage = acc["closed_by_stage"].astype(bool) if "closed_by_stage" in acc else no_stage
    is_report, is_complaint = acc["kind"] == REPORT, acc["kind"] == COMPLAINT
    nan = float("nan")
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
        pending=int(g["accepted"] - g["closed"]) - int(unknown.sum()),
        consultations=int((cohort["kind"] == CONSULTATION).sum()),
        diverted=int(acc["unit"].notna().sum()),
        unassigned=int(acc["unit"].isna().sum()),
        urges=int(cohort["urges"].sum()),
        recovered_loss_yuan=loss,
        recovered_loss_wan=yuan_to_wan(loss),
        rate_pct=float(g["closure_rate_pct"]),
        reports_rate_pct=nan
        if (unknown & is_report).any()
        else closure_rate(int(g["reports_closed"]), int(g["reports"]), rule),
        complaints_rate_pct=nan
        if (unknown & is_complaint).any()
        else closure_rate(int(g["complaints_closed"]), int(g["complaints"]), rule),
        windows=_windows(cases, branch, month, cutoff, aggregates),
        under_threshold=tuple(units_under_threshold(table, branch.closure_rate_threshold)),
        off_roster={str(u): int(n) for u, n in off["accepted"].items()},
        closure_unknown=int(unknown.sum()),
        closed_by_stage=int(by_stage.sum()),
        stage_basis=int((acc["closure_basis"].astype("object") == "stage").sum())
        if "closure_basis" in acc
        else 0,
        closure_note=closure_note(cases, branch, month, cutoff),
        closure_note_official=closure_note(cases, branch, month, cutoff, official=True),
    )


def _windows(
    cases: pd.DataFrame, branch: Branch, month: str, cutoff: pd.Timestamp, aggregates: Aggregates | None
) -> tuple[WindowResult, ...]:
    """The branch's cumulative windows as of the cutoff, from the aggregates' counts."""
    counted = None
    if aggregates is not None:
        if aggregates.month != month or aggregates.cutoff != cutoff or aggregates.scoped:
            aggregates.check(month, cutoff)  # a scoped table cannot be recounted: say so
        if aggregates.month == month and aggregates.cutoff == cutoff:
            counted = aggregates.windows
    if counted is None or set(counted["key"]) != {w.key for w in branch.cumulative_windows}:
        counted = window_counts(cases, branch.cumulative_windows, cutoff)
    by_key = counted.set_index("key")
    out = []
    for w in branch.cumulative_windows:
        count, closed, unknown = (
            int(by_key.at[w.key, "count"]),
            int(by_key.at[w.key, "closed"]),
            bool(by_key.at[w.key, "unknown"]),
        )
        rate = closure_rate(closed, count, branch.rate_rule)
        out.append(
            WindowResult(
                key=w.key,
                label=w.label,
                start=w.start,
                cutoff=cutoff,
                count=count,
                closed=closed,
                rate_pct=float("nan") if unknown else rate,
            )
        )
    return tuple(out)


STAGE_CLOSURE_NOTE = "办结情况取自导出时的办理环节（当前环节），是导出时的状态，不是截止时间的状态"


def closure_note(
    cases: pd.DataFrame,
    branch: Branch,
    month: str,
    cutoff: pd.Timestamp | None = None,
    *,
    official: bool = False,
) -> str:
    """Where the month's closures come from, when not from closure dates: one Chinese note, or "".

    Said once wherever the month's numbers are shown (check, table, analyst view, the official
    note). `official=True` gives the short form for the bulletin's table note; the analyst form also
    lists the stage values found, which ones counted as closed, and what to add to params.
    """
    cutoff = default_cutoff(month) if cutoff is None else cutoff
    acc = accepted_cases(month_cohort(cases, month, cutoff))
    if "closure_basis" not in acc or acc.empty:
        return ""
    basis = acc["closure_basis"].astype("object")
    n_stage, n_none = int((basis == "stage").sum()), int((basis == "none").sum())
    parts = []
    if n_stage:
        parts.append(f"本月 {n_stage} 件的导出没有办结时间，{STAGE_CLOSURE_NOTE}。")
        if not official:
            staged = acc[basis == "stage"]
            closed = staged["closed_by_stage"].astype(bool)
            values = staged["stage"].astype("object").fillna("（空）")
            counted = values[closed].value_counts()
            other = values[~closed].value_counts()
            listed = "、".join(f"{mask_text(str(v))} {n} 件" for v, n in counted.items())
            rest = "、".join(f"{mask_text(str(v))} {n} 件" for v, n in other.items())
            parts.append(
                f"其中计为办结 {int(closed.sum())} 件（{listed or '无'}），计为未办结 {int((~closed).sum())} 件"
                f"（{rest or '无'}）。表示办结的环节见 params/branch.yaml 的 closed_stages"
                f"（现为 {'、'.join(branch.closed_stages)}），如有遗漏请补上。"
            )
    if n_none:
        parts.append(
            f"本月 {n_none} 件的导出既没有办结时间，也没有当前环节：办结情况无法统计，"
            f"涉及这些件的办结率留空（不是 0%），办结数不含这些件。"
        )
    return "".join(parts)


def cases_behind(
    cases: pd.DataFrame, month: str, cutoff: pd.Timestamp, unit: str | None, column: str
) -> pd.DataFrame:
    """The case rows behind one cell of the unit table (unit None or 全局 = all units; the column by
    its field name or the header the page shows, 受理量 …)."""
    cohort = accepted_cases(month_cohort(cases, month, cutoff))
    if unit not in (None, GLOBAL_UNIT):
        cohort = cohort[cohort["unit"] == unit]
    flags = _case_flags(cohort, cutoff)
    if column not in COUNT_COLUMNS:
        with contextlib.suppress(KeyError):  # an unknown label is said below, with the choices
            column = labels.field_from_label(column)
    if column not in COUNT_COLUMNS:
        raise KeyError(f"表中没有“{column}”这一列，可选：{'、'.join(COUNT_COLUMNS)}")
    return cohort[flags[column].to_numpy(dtype=bool)]


def pending_cases(cases: pd.DataFrame, month: str, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Accepted cases of the month still open at the cutoff (办理中)."""
    cohort = accepted_cases(month_cohort(cases, month, cutoff))
    return cohort[~closed_by(cohort, cutoff).to_numpy()]
