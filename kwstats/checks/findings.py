"""A finding: one thing an analyst should look at, as plain data (kind, message, numbers, case ids)
so the notebook can render it and the CLI can print it; the Chinese names of kinds and severities."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

KIND_LABELS = {
    "off_roster": "名册外单位",
    "unassigned": "未分流",
    "roster_gap": "全局与名册差额",
    "closed_before_registered": "办结早于登记",
    "duplicate_id": "编号重复",
    "markup_in_text": "内容含标记",
    "closed_more_than_accepted": "办结多于受理",
    "rate_mismatch": "办结率不符",
    "global_below_units": "全局小于单位合计",
    "units_below_global": "单位合计小于全局",
    "cell_mismatch": "与公布表不符",
    "set_aside": "导入剔除",
    "spike": "异常波动",
    "spike_skipped": "波动未判断",
    "threshold": "低于阈值",
    "overdue": "超期",
    "due_mismatch": "到期日不符",
    "due_unchecked": "到期日未核对",
    "calendar_missing": "日历未覆盖",
    "empty_month": "本月无案件",
}
SEVERITY_LABELS = {"error": "错误", "warning": "注意", "info": "信息"}


@dataclass(frozen=True)
class Finding:
    """One thing an analyst should look at."""

    kind: str  # a stable code for scripts; KIND_LABELS gives the Chinese name
    message: str
    unit: str | None = None
    month: str | None = None
    numbers: dict[str, Any] = field(default_factory=dict)
    case_ids: tuple[str, ...] = ()
    severity: str = "warning"  # "error" for impossible data, "warning" for anomalies, "info"

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "unit": self.unit,
            "month": self.month,
            "message": self.message,
            "numbers": dict(self.numbers),
            "case_ids": list(self.case_ids),
        }


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    """Findings as a table for display (case ids shortened to a count and the first few)."""
    rows = []
    for f in findings:
        ids = list(f.case_ids)
        rows.append(
            {
                "类别": KIND_LABELS.get(f.kind, f.kind),
                "级别": SEVERITY_LABELS.get(f.severity, f.severity),
                "单位": f.unit or "",
                "说明": f.message,
                "涉及件数": len(ids),
                "案件编号（前 5 个）": "、".join(ids[:5]),
            }
        )
    return pd.DataFrame(rows, columns=["类别", "级别", "单位", "说明", "涉及件数", "案件编号（前 5 个）"])
