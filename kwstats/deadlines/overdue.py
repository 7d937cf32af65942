"""What a month's bulletin says of the deadlines: the rows overdue or done late in the period, the
overdue sentence, and the rows a missing calendar year leaves unjudged."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from kwstats.deadlines.statuses import JUDGED_STATUSES, OVERDUE_STATUSES, calendar_missing_label
from kwstats.workdays import WorkdayCalendar, package_years

NO_UNIT_LABEL = "未分配单位"
NONE_SENTENCE = "本月无初、核查及办结超期件。"


def notice_name(year: int) -> str:
    """The State Council notice a clerk copies a year's holidays from."""
    return f"《国务院办公厅关于{year}年部分节假日安排的通知》"


def overdue_cases(evaluation: pd.DataFrame) -> pd.DataFrame:
    """The rows past a deadline at the cutoff: late (done after due) or overdue (not done, due passed)."""
    return evaluation[evaluation["status"].isin(OVERDUE_STATUSES)].reset_index(drop=True)


def overdue_in_period(evaluation: pd.DataFrame, start: pd.Timestamp, cutoff: pd.Timestamp) -> pd.DataFrame:
    """What a month's bulletin reports as 超期: the rows still overdue at the cutoff (whatever month the
    case was registered in) and the rows done late within [start, cutoff].

    Evaluate every case registered up to the cutoff, then select with this, so a complaint of
    August whose mediation ran past its limit shows in the month the limit passed or it closed late.
    """
    status = evaluation["status"]
    done = evaluation["done_at"]
    late_here = (status == "late") & (done >= start) & (done <= cutoff)
    return evaluation[(status == "overdue") | late_here].reset_index(drop=True)


def _unit_name(unit: object) -> str:
    return NO_UNIT_LABEL if pd.isna(unit) else str(unit)


def calendar_missing_in_period(
    evaluation: pd.DataFrame, start: pd.Timestamp, cutoff: pd.Timestamp
) -> pd.DataFrame:
    """The rows a month's bulletin cannot judge for a missing calendar year: still open at the
    cutoff, or done within [start, cutoff] (the rows `overdue_in_period` would have to weigh)."""
    status = evaluation["status"]
    done = evaluation["done_at"]
    here = done.isna() | ((done >= start) & (done <= cutoff))
    return evaluation[(status == "calendar_missing") & here].reset_index(drop=True)


def _years_text(years: Iterable[int]) -> str:
    return "、".join(str(y) for y in sorted(set(years)))


def _missing_years(evaluation: pd.DataFrame) -> list[int]:
    """Years whose calendar some due date needs (judged or not)."""
    return sorted({int(y) for y in evaluation["calendar_missing_year"].dropna()})


def calendar_missing_message(evaluation: pd.DataFrame, calendar: WorkdayCalendar) -> str | None:
    """One message (check, analyst view, warnings) when some rows need a calendar year nobody supplies:
    how many cases, which year(s) to add to params/calendar.yaml, and the notice to copy from."""
    years = _missing_years(evaluation)
    if not years:
        return None
    unjudged = evaluation["status"] == "calendar_missing"
    n = evaluation.loc[unjudged, "case_id"].nunique()
    n_due = evaluation.loc[evaluation["calendar_missing_year"].notna(), "case_id"].nunique()
    pkg = calendar.package_years or tuple(package_years())
    pkg_text = (
        f"chinese-calendar 包只有 {pkg[0]}–{pkg[-1]} 年的数据" if pkg else "chinese-calendar 包没有数据"
    )
    path = calendar.params_path
    ytext = _years_text(years)
    labels = "、".join(f"“{calendar_missing_label(y)}”" for y in years)
    notices = "、".join(notice_name(y) for y in years)
    how = (
        f"请照{notices}，在 {path} 的 years 下补入 {ytext} 年：holidays 写放假日期段（整段照抄，"
        f"含其中的周六、周日），workdays 写调休上班的周六、周日。"
    )
    if not n:  # every such case was done, or is still open, within days the calendar covers
        return (
            f"工作日历未覆盖 {ytext} 年：{n_due} 件的到期日落在 {ytext} 年，{pkg_text}，{path} 也没有补充。"
            f"这些件目前都已按期办理或尚未到期，不影响本次判断；到期日要补上日历后才能算出。{how}"
        )
    return (
        f"工作日历未覆盖 {ytext} 年：{n} 件的办理时限要用到 {ytext} 年的放假安排，而 {pkg_text}，"
        f"{path} 也没有补充，这些件暂未判断是否超期（标为{labels}），其他件照常判断。"
        f"请照{notices}，在 {path} 的 years 下补入 {ytext} 年：holidays 写放假日期段（整段照抄，"
        f"含其中的周六、周日），workdays 写调休上班的周六、周日；补好后重新运行，这些件即可判断。"
    )


def overdue_sentence(
    evaluation: pd.DataFrame, unit_order: Sequence[str] | None = None, *, judged: bool | None = None
) -> str:
    """The bulletin's overdue sentence, counts computed.

    Cases are counted once in the total even when past more than one deadline; per deadline and per
    unit, each case once. Units follow `unit_order` (e.g. the roster) when given, else most cases
    first. Cases whose rule is unconfirmed, or whose deadline needs a calendar year not supplied, are
    said to be unjudged, never silently counted as on time. `judged`: whether any case of the period
    was judged at all (default: any row of `evaluation` was), for a caller that passes only the
    overdue and unjudged rows.
    """
    late = overdue_cases(evaluation)
    late_ids = set(late["case_id"])
    status = evaluation["status"]
    unconfirmed_ids = set(evaluation.loc[status == "unconfirmed", "case_id"]) - late_ids
    missing_ids = set(evaluation.loc[status == "calendar_missing", "case_id"]) - late_ids - unconfirmed_ids
    if judged is None:
        judged = bool(status.isin(JUDGED_STATUSES).any())
    reasons = []
    if unconfirmed_ids:
        reasons.append(f"{len(unconfirmed_ids)} 件适用的期限规则尚未确认，未作超期判断")
    if missing_ids:
        ytext = _years_text(_missing_years(evaluation[evaluation["case_id"].isin(missing_ids)]))
        reasons.append(f"{len(missing_ids)} 件因 {ytext} 年工作日历未补充，暂未判断是否超期")
    unjudged = f"另有 {'；'.join(reasons)}。" if reasons else ""

    if late.empty:
        if not reasons:
            return NONE_SENTENCE
        if not judged:
            return f"本月 {'；'.join(reasons)}。"
        return "本月已判断的件中无初、核查及办结超期件；" + unjudged

    rank = {u: i for i, u in enumerate(unit_order or [])}
    parts = []
    key_col = evaluation["key"]
    keys = (
        list(key_col.cat.categories)
        if isinstance(key_col.dtype, pd.CategoricalDtype)
        else list(dict.fromkeys(key_col))
    )
    for key in keys:
        rows = late[late["key"] == key].drop_duplicates("case_id")
        if rows.empty:
            continue
        counts = rows["unit"].astype(object).map(_unit_name).value_counts(sort=False)
        units = sorted(counts.index, key=lambda u: (rank.get(u, len(rank)), -counts[u], u))
        by_unit = "、".join(f"{u} {counts[u]} 件" for u in units)
        parts.append(f"{rows['label'].iloc[0]}超期 {len(rows)} 件（{by_unit}）")
    total = late["case_id"].nunique()
    return f"本月有超期件 {total} 件：{'，'.join(parts)}。" + unjudged
