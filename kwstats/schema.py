"""The canonical case table: one row per case, the same whatever the export looked like.

Every kwstats function after ingest works on a DataFrame with these columns (and only these).
Personal data (names, phone numbers, ID numbers, addresses) is never a column here.

Closure (办结). Most exports carry a closure date (办结时间): a case is closed as of a cutoff when
``closed_at`` is at or before it. Some exports carry no closure-date column at all, only the stage
(当前环节 已办结 / 已归档 / 办理中 …). Their rows have ``closure_basis == "stage"`` and
``closed_by_stage`` True when the stage is one of the branch's ``closed_stages``: such a case counts
as closed whatever the cutoff, because the stage is its state *at the export*, not at the cutoff
(the bulletin says so, see :func:`kwstats.indicators.closure_note`). ``closed_at`` stays NaT: no
date is invented. Rows from an export with neither column have ``closure_basis == "none"``: their
closure is unknown, and closure counts and rates that include them are left blank, never 0.
"""

from __future__ import annotations

import pandas as pd

from kwstats.labels import EXPORT_LABELS

COMPLAINT = "投诉"
REPORT = "举报"
CONSULTATION = "咨询"
KINDS = (COMPLAINT, REPORT, CONSULTATION)

# field -> dtype of the canonical table
DATE_FIELDS = ("registered_at", "accepted_at", "first_contact_at", "verified_at", "closed_at", "due_at")
# dates of things that happened: never after the export (or, when it does not say, after now)
EVENT_DATE_FIELDS = DATE_FIELDS[:5]
CLOSURE_BASES = ("date", "stage", "none")  # see the module doc
FLAG_FIELDS = ("filed", "complaint_to_case", "epidemic")
CATEGORY_FIELDS = ("kind", "unit", "channel", "stage", "goods_category", "problem_category", "closure_basis")
TEXT_FIELDS = ("case_id", "respondent", "content", "result")

CASE_COLUMNS: dict[str, str] = {
    "case_id": "string",  # unique
    "kind": "category",  # 投诉 / 举报 / 咨询
    "registered_at": "datetime64[ns]",  # 登记: defines the month a case belongs to
    "unit": "category",  # 承办单位, the roster's name when it matched one (aliases); <NA> when none
    "channel": "category",
    "accepted_at": "datetime64[ns]",  # 受理/不予受理 decision
    "first_contact_at": "datetime64[ns]",
    "verified_at": "datetime64[ns]",  # 举报 核查
    "closed_at": "datetime64[ns]",  # 办结; NaT while open (and when the export has no closure date)
    "due_at": "datetime64[ns]",  # 到期时间: the platform's own due date (cross-checked, not judged)
    "stage": "category",  # 当前环节 at the export
    "closure_basis": "category",  # "date" / "stage" / "none": where closure comes from (module doc)
    "closed_by_stage": "bool",  # closed by its stage at the export (closure_basis "stage" only)
    "recovered_loss": "float64",  # 元, 0.0 when blank
    "filed": "bool",  # 举报立案
    "complaint_to_case": "bool",  # 诉转案
    "epidemic": "bool",  # 涉疫
    "goods_category": "category",
    "problem_category": "category",
    "urges": "int64",  # 催办次数, 0 when blank
    "respondent": "string",
    "content": "string",  # free text, phone/ID numbers already masked
    "result": "string",  # 处理结果, free text, masked like content
    "source_file": "category",  # file name the row came from
    "source_line": "int64",  # 1-based line/row number in that file, as a clerk sees it
}

REQUIRED_FIELDS = ("case_id", "kind", "registered_at", "unit")

# What a clerk calls each field (messages name fields this way, with the params key in brackets).
FIELD_LABELS = EXPORT_LABELS  # how messages about an export name its fields (kwstats.labels)

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
        if col == "closure_basis":  # hand-made frames: closure from closed_at, as most exports
            s = frame[col] if col in frame else pd.Series(["date"] * n, index=frame.index)
            s = s.astype("object").where(s.notna(), "date")
        elif col in frame:
            s = frame[col]
            # through Python objects only where something is missing (a million numbers as objects
            # is ~100 MB at the ingest's peak)
            if dtype == "bool" and s.isna().any():
                s = s.astype("object").where(s.notna(), False)
            elif dtype in ("int64", "float64") and s.isna().any():
                s = s.astype("object").where(s.notna(), 0)
        elif dtype == "bool":
            s = pd.Series([False] * n, index=frame.index)
        elif dtype in ("int64", "float64"):
            s = pd.Series([0] * n, index=frame.index)
        elif dtype.startswith("datetime"):
            s = pd.Series([pd.NaT] * n, index=frame.index)
        else:
            s = pd.Series([pd.NA] * n, index=frame.index, dtype="object")
        if dtype == "category" and not isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype("object")  # labels as plain str, whatever text dtype the reader gave
        out[col] = s.astype(dtype)
    return pd.DataFrame(out, index=frame.index)
