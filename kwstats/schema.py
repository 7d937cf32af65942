"""The canonical case table: one row per case, the same whatever the export looked like.

Every kwstats function after ingest works on a DataFrame with these columns (and only these).
Personal data (names, phone numbers, ID numbers, addresses) is never a column here.
"""

from __future__ import annotations

import pandas as pd

COMPLAINT = "投诉"
REPORT = "举报"
CONSULTATION = "咨询"
KINDS = (COMPLAINT, REPORT, CONSULTATION)

# field -> dtype of the canonical table
DATE_FIELDS = ("registered_at", "accepted_at", "first_contact_at", "verified_at", "closed_at")
FLAG_FIELDS = ("filed", "complaint_to_case", "epidemic")
CATEGORY_FIELDS = ("kind", "unit", "channel", "stage", "goods_category", "problem_category")
TEXT_FIELDS = ("case_id", "respondent", "content")

CASE_COLUMNS: dict[str, str] = {
    "case_id": "string",  # unique
    "kind": "category",  # 投诉 / 举报 / 咨询
    "registered_at": "datetime64[ns]",  # 登记: defines the month a case belongs to
    "unit": "category",  # 承办单位; <NA> when the platform assigned none
    "channel": "category",
    "accepted_at": "datetime64[ns]",  # 受理/不予受理 decision
    "first_contact_at": "datetime64[ns]",
    "verified_at": "datetime64[ns]",  # 举报 核查
    "closed_at": "datetime64[ns]",  # 办结; NaT while open
    "stage": "category",
    "recovered_loss": "float64",  # 元, 0.0 when blank
    "filed": "bool",  # 举报立案
    "complaint_to_case": "bool",  # 诉转案
    "epidemic": "bool",  # 涉疫
    "goods_category": "category",
    "problem_category": "category",
    "urges": "int64",  # 催办次数, 0 when blank
    "respondent": "string",
    "content": "string",  # free text, phone/ID numbers already masked
    "source_file": "category",  # file name the row came from
    "source_line": "int64",  # 1-based line/row number in that file, as a clerk sees it
}

REQUIRED_FIELDS = ("case_id", "kind", "registered_at", "unit")

# What a clerk calls each field (messages name fields this way, with the params key in brackets).
FIELD_LABELS = {
    "case_id": "登记编号",
    "kind": "业务类型",
    "registered_at": "登记时间",
    "unit": "承办单位",
    "channel": "来源渠道",
    "accepted_at": "受理时间",
    "first_contact_at": "首次联系时间",
    "verified_at": "核查时间",
    "closed_at": "办结时间",
    "stage": "办理状态",
    "recovered_loss": "挽回经济损失",
    "filed": "是否立案",
    "complaint_to_case": "是否诉转案",
    "epidemic": "是否涉疫",
    "goods_category": "涉及客体分类",
    "problem_category": "涉及问题分类",
    "urges": "催办次数",
    "respondent": "被投诉方",
    "content": "登记内容",
}

# Columns of the set-aside table (rows rejected at ingest).
REJECT_COLUMNS = ("source_file", "source_line", "column", "value", "reason", "case_id")


def empty_cases() -> pd.DataFrame:
    """An empty canonical case table with the right dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in CASE_COLUMNS.items()})


def conform(frame: pd.DataFrame) -> pd.DataFrame:
    """Return `frame` with exactly the canonical columns and dtypes (missing optional columns filled)."""
    out = {}
    n = len(frame)
    for col, dtype in CASE_COLUMNS.items():
        if col in frame:
            s = frame[col]
            if dtype == "bool":
                s = s.astype("object").where(s.notna(), False)
            elif dtype in ("int64", "float64"):
                s = s.astype("object").where(s.notna(), 0)
        elif dtype == "bool":
            s = pd.Series([False] * n, index=frame.index)
        elif dtype in ("int64", "float64"):
            s = pd.Series([0] * n, index=frame.index)
        elif dtype.startswith("datetime"):
            s = pd.Series([pd.NaT] * n, index=frame.index)
        else:
            s = pd.Series([pd.NA] * n, index=frame.index, dtype="object")
        out[col] = s.astype(dtype)
    return pd.DataFrame(out, index=frame.index)
