"""Chinese labels of the analyst's tables: the one place that says what a column is called.

Two vocabularies meet on the analyst page: the canonical case fields (a drill-down shows case rows
with these headers) and the unit table's columns (受理量, 办结率 …). ``CASE_LABELS`` and
``TABLE_LABELS`` give the label each one is shown with; ``ALIASES`` lists the other names the
same thing goes by elsewhere (export headers, the 同比/环比 tables, older pages), so that
:func:`field_from_label` takes whatever the analyst copied from the page.

This module is a leaf: it imports nothing from kwstats, so every other module may import it.
"""

from __future__ import annotations

import re
import unicodedata

# Canonical case fields (kwstats.schema.CASE_COLUMNS) -> the header a drill-down shows.
CASE_LABELS: dict[str, str] = {
    "case_id": "登记编号",
    "kind": "类型",
    "registered_at": "登记时间",
    "unit": "承办单位",
    "channel": "来源渠道",
    "accepted_at": "受理时间",
    "first_contact_at": "首次联系时间",
    "verified_at": "核查时间",
    "closed_at": "办结时间",
    "due_at": "到期时间",
    "stage": "当前环节",
    "closure_basis": "办结依据",
    "closed_by_stage": "按环节办结",
    "recovered_loss": "挽回损失(元)",
    "filed": "是否立案",
    "complaint_to_case": "是否诉转案",
    "epidemic": "是否涉疫",
    "goods_category": "客体分类",
    "problem_category": "问题分类",
    "urges": "催办次数",
    "respondent": "被投诉/举报方",
    "content": "内容（已脱敏）",
    "result": "处理结果（已脱敏）",
    "source_file": "来源文件",
    "source_line": "行号",
}

# Unit-table columns (kwstats.indicators.TABLE_COLUMNS) and the summary's 办理中 -> their header.
TABLE_LABELS: dict[str, str] = {
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
    "pending": "办理中",
}

# Other names of the same fields, as other tables, export headers and earlier pages show them.
ALIASES: dict[str, tuple[str, ...]] = {
    "case_id": ("编号", "工单号", "表单号", "件号"),
    "kind": ("业务类型", "诉求类型"),
    "unit": ("单位", "处理部门", "处理单位", "办理单位"),
    "channel": ("来源", "诉求来源"),
    "accepted_at": ("受理决定时间",),
    "closed_at": ("办结日期",),
    "stage": ("办理状态", "环节"),
    "recovered_loss": ("挽回经济损失", "挽回经济损失(元)", "挽回损失"),
    "filed": ("举报立案", "立案"),
    "goods_category": ("涉及客体分类",),
    "problem_category": ("涉及问题分类",),
    "respondent": ("被投诉方", "被举报方", "当事人名称"),
    "content": ("内容", "登记内容", "诉求内容"),
    "result": ("处理结果",),
    "source_line": ("行",),
    "closure_rate_pct": ("办结率(%)",),
    "accepted": ("受理",),
    "closed": ("办结",),
}

# Fields the analyst's count tables group by (kwstats.investigate), with their column header.
GROUP_LABELS: dict[str, str] = {
    "unit": "单位名称",
    "goods_category": "涉及客体分类",
    "problem_category": "涉及问题分类",
    "channel": "诉求来源",
    "kind": "类型",
}

# Fields a spike is broken down by (kwstats.investigate.spike_breakdown), as its 维度 column says them.
# 被投诉/举报方 is free text, so it is a dimension there but not a grouping.
DIMENSION_LABELS: dict[str, str] = {
    "goods_category": "涉及客体分类",
    "problem_category": "涉及问题分类",
    "respondent": "被投诉/举报方",
    "unit": "承办单位",
    "channel": "诉求来源",
    "kind": "类型",
}

# The export's own vocabulary: how messages about an export's columns name a field (the headers a
# clerk finds in the file, e.g. "缺少必需列“登记内容”").
EXPORT_LABELS: dict[str, str] = {
    "case_id": "登记编号",
    "kind": "业务类型",
    "registered_at": "登记时间",
    "unit": "承办单位",
    "channel": "来源渠道",
    "accepted_at": "受理时间",
    "first_contact_at": "首次联系时间",
    "verified_at": "核查时间",
    "closed_at": "办结时间",
    "due_at": "到期时间",
    "stage": "办理状态",
    "closure_basis": "办结依据",
    "closed_by_stage": "按环节办结",
    "recovered_loss": "挽回经济损失",
    "filed": "是否立案",
    "complaint_to_case": "是否诉转案",
    "epidemic": "是否涉疫",
    "goods_category": "涉及客体分类",
    "problem_category": "涉及问题分类",
    "urges": "催办次数",
    "respondent": "被投诉方",
    "content": "登记内容",
    "result": "处理结果",
}

# The columns a drill-down (case rows behind a number) shows, in this order. Personal data is
# never a column of the case table; free text in these columns is masked wherever it is shown.
DRILL_FIELDS: tuple[str, ...] = (
    "case_id",
    "kind",
    "unit",
    "registered_at",
    "accepted_at",
    "first_contact_at",
    "verified_at",
    "closed_at",
    "stage",
    "channel",
    "goods_category",
    "problem_category",
    "recovered_loss",
    "respondent",
    "content",
    "source_file",
    "source_line",
)


def _key(text: str) -> str:
    """A label for lookup: NFKC (full-width brackets and letters to half-width), no whitespace, lower case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def _lookup() -> dict[str, str]:
    """Every key and label (normalised) -> its field; refuses a label that would name two fields."""
    out: dict[str, str] = {}

    def add(name: str, field: str) -> None:
        key = _key(name)
        if out.setdefault(key, field) != field:
            raise ValueError(f"标签“{name}”同时对应“{out[key]}”和“{field}”")

    for labels in (CASE_LABELS, TABLE_LABELS):
        for field, label in labels.items():
            add(field, field)
            add(label, field)
    for field, names in ALIASES.items():
        for name in names:
            add(name, field)
    return out


_LOOKUP = _lookup()


def field_from_label(label_or_field: str) -> str:
    """The field a label names: an English key (``accepted``) or the Chinese shown on the page (``受理量``).

    Whitespace, full-width brackets and letter case do not matter. Raises KeyError (in Chinese,
    with what is accepted) for anything else.
    """
    if not isinstance(label_or_field, str) or not label_or_field.strip():
        raise KeyError(
            f"“{label_or_field}”不是列名；请写页面上的中文表头（如 受理量）或字段名（如 accepted）。"
        )
    field = _LOOKUP.get(_key(label_or_field))
    if field is None:
        shown = "、".join(dict.fromkeys([*TABLE_LABELS.values(), *CASE_LABELS.values()]))
        raise KeyError(f"没有名为“{label_or_field}”的列。可用的表头：{shown}（也可写对应的英文字段名）。")
    return field


def case_label(field: str) -> str:
    """The header a case field is shown with (the field itself when it has no label)."""
    return CASE_LABELS.get(field, field)


def table_label(column: str) -> str:
    """The header a unit-table column is shown with (the column itself when it has no label)."""
    return TABLE_LABELS.get(column, column)
