"""Evaluation rows as the analyst reads them: Chinese headers, limits and time taken with their unit."""

from __future__ import annotations

import pandas as pd

DAY_UNIT_LABELS: dict[str, str] = {"workday": "个工作日", "natural": "日"}


def _days_text(n: object, unit: object) -> str:
    if pd.isna(n) or pd.isna(unit):
        return ""
    return f"{int(n)} {DAY_UNIT_LABELS.get(str(unit), str(unit))}"


VIEW_COLUMNS = {
    "case_id": "登记编号",
    "unit": "承办单位",
    "label": "期限",
    "limit": "时限",
    "registered_at": "登记时间",
    "due_date": "到期日",
    "extended_due_date": "延长后到期日",
    "done_at": "完成时间",
    "taken": "用时",
    "status_label": "状态",
}


def deadline_view(rows: pd.DataFrame) -> pd.DataFrame:
    """Evaluation rows as the analyst reads them: Chinese headers, limits and time taken with their
    unit (7 个工作日, 60 日); 延长后到期日 only where the rule allows an extension."""
    if rows.empty:
        return pd.DataFrame(columns=list(VIEW_COLUMNS.values()))
    out = rows.assign(
        limit=[_days_text(n, u) for n, u in zip(rows["limit_days"], rows["day_unit"], strict=True)],
        taken=[_days_text(n, u) for n, u in zip(rows["days_taken"], rows["day_unit"], strict=True)],
    )
    return out[list(VIEW_COLUMNS)].rename(columns=VIEW_COLUMNS).reset_index(drop=True)
