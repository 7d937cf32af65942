"""The design of the synthetic sample, hard-coded here (never read from the reference files):
January 2022 as published, the planted findings (spike, overdue cases, bad rows, personal
numbers, markup), the export time, and the header variants of the platform's versions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from kwstats.schema import COMPLAINT, CONSULTATION, REPORT

#: The state of the data: every export was taken on this morning.
EXPORT_AT = pd.Timestamp("2023-01-06 09:00:00")
_NOTE_AT = dt.datetime(2023, 1, 6, 9, 12, 33)
_XLSX_CREATED = dt.datetime(2023, 1, 6, 9, 30, 0)


ROSTER_UNITS: tuple[str, ...] = (
    "站前所", "新发所", "南广所", "东广所", "群英所", "凯旋所", "团山所", "柳影所", "兴业所",
    "欣园所", "兰家所", "监管一科", "监管二科", "监管三科", "监管四科", "审批办", "党群办",
)  # fmt: skip
#: Units that handle cases but are not on the roster (全局 counts them; checks report them).
OFF_ROSTER_UNITS: tuple[str, ...] = ("执法大队", "原合心所")

#: January 2022 by unit: (reports, reports closed, reports filed, complaints, complaints closed),
#: as of 2022-01-31 23:59:59. Roster rows are the published unit table; the off-roster units
#: hold the 44 cases (9 reports, 35 complaints, all closed) that make 全局 702.
JANUARY_2022_DESIGN: dict[str, tuple[int, int, int, int, int]] = {
    "站前所": (32, 27, 3, 50, 28),
    "新发所": (2, 2, 0, 9, 6),
    "南广所": (24, 23, 1, 29, 29),
    "东广所": (8, 8, 0, 13, 7),
    "群英所": (25, 23, 2, 47, 45),
    "凯旋所": (18, 16, 0, 43, 38),
    "团山所": (7, 5, 0, 15, 7),
    "柳影所": (38, 36, 0, 66, 46),
    "兴业所": (20, 19, 0, 42, 33),
    "欣园所": (18, 16, 1, 32, 32),
    "兰家所": (28, 28, 0, 26, 26),
    "监管一科": (0, 0, 0, 0, 0),
    "监管二科": (0, 0, 0, 0, 0),
    "监管三科": (0, 0, 0, 9, 9),
    "监管四科": (42, 42, 1, 15, 12),
    "审批办": (0, 0, 0, 0, 0),
    "党群办": (0, 0, 0, 0, 0),
    "执法大队": (6, 6, 0, 16, 16),
    "原合心所": (3, 3, 0, 19, 19),
}
JANUARY_2022_RECOVERED = 60_800.0  # 元, over January-2022 cases closed by the cutoff

EPIDEMIC_START = pd.Timestamp("2020-01-23")
EPIDEMIC_CUTOFF = pd.Timestamp("2022-01-31 23:59:59")
EPIDEMIC_WINDOW_TOTAL = 18_297  # 投诉+举报 flagged 涉疫, registered in the window
EPIDEMIC_WINDOW_CLOSED = 17_650  # of those, closed by EPIDEMIC_CUTOFF (96 %)

#: One unit, one goods category, one month: extra complaints on top of normal.
PLANTED_SPIKE: dict[str, Any] = {
    "unit": "柳影所",
    "field": "goods_category",
    "category": "教育培训服务",
    "month": "2022-06",
    "kind": COMPLAINT,
    "extra": 65,
    "respondent": "长春市宽城区启航教育培训学校",
}

XSS_CASE_ID = "202201110001"
TYPICAL_CASE_ID = "202201170001"  # the bulletin's typical case: custom cabinet doors, 2022-01-17
DUPLICATED_CASE_ID = "202110120001"  # good case whose id a later bad row repeats


def _id_number(first17: str) -> str:
    """Append the GB 11643 check character to 17 digits (a well-formed fake ID number)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c) * w for c, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


_ID_A = _id_number("22010319880715451")
_ID_B = _id_number("22010419920315002")

#: Cases whose content holds a phone or ID number (raw, as in the export), with the numbers.
PLANTED_NUMBERS: dict[str, list[str]] = {
    "202106080001": ["13904318765"],
    "202111160001": ["15843107729"],
    "202201060001": ["18686541203", _ID_A],
    "202201200001": ["13500892416"],
    "202205100001": [_ID_B],
    "202209140001": ["17390011234"],
}
PHONE_CASE_IDS: list[str] = list(PLANTED_NUMBERS)

#: Planted deadline breaches. `status` holds at `cutoff` and at every later cutoff up to export.
#: Deadlines in working days: complaint_acceptance 7 and first_contact 7 from registration,
#: report_verification 15 from registration, mediation 45 from acceptance to closure.
PLANTED_OVERDUE: list[dict[str, str]] = [
    {"case_id": "202105070001", "month": "2021-05", "kind": COMPLAINT, "deadline": "complaint_acceptance",
     "status": "late", "cutoff": "2021-05-31 23:59:59", "note": "accepted 12 working days after registration"},
    {"case_id": "202108030001", "month": "2021-08", "kind": COMPLAINT, "deadline": "mediation",
     "status": "late", "cutoff": "2021-11-30 23:59:59", "note": "closed 70 working days after acceptance"},
    {"case_id": "202203010001", "month": "2022-03", "kind": REPORT, "deadline": "report_verification",
     "status": "late", "cutoff": "2022-03-31 23:59:59", "note": "verified 20 working days after registration"},
    {"case_id": "202212010001", "month": "2022-12", "kind": COMPLAINT, "deadline": "complaint_acceptance",
     "status": "overdue", "cutoff": "2022-12-31 23:59:59", "note": "never accepted, still open at export"},
]  # fmt: skip

#: Bad rows as a clerk finds them: file, 1-based line (title and header rows counted), reason, the
#: row's case_id, the flawed canonical `field`, its header `column` in that file (added below) and
#: the cell text `value`. None of them is in generate_cases(). The total row (`合计：N条`) is not a
#: bad row. The duplicate repeats the id of a good row earlier in the same file.
PLANTED_BAD_ROWS: list[dict[str, Any]] = [
    {"file": "12315_2021-03.xlsx", "line": 153, "reason": "date", "case_id": "202103150001",
     "field": "registered_at", "value": "2021-13-45"},
    {"file": "12315_2021-05.xlsx", "line": 303, "reason": "kind", "case_id": "202105200001",
     "field": "kind", "value": "建议"},
    {"file": "12315_2021-07.csv", "line": 415, "reason": "amount", "case_id": "202107130001",
     "field": "recovered_loss", "value": "-300"},
    {"file": "12315_2021-09.xlsx", "line": 524, "reason": "closed_before_registered", "case_id": "202109140001",
     "field": "closed_at", "value": "2021-09-13 16:05:00"},
    {"file": "12315_2021-10.xlsx", "line": 604, "reason": "duplicate_conflict", "case_id": DUPLICATED_CASE_ID,
     "field": "case_id", "value": DUPLICATED_CASE_ID},
    {"file": "12315_2021-12.xlsx", "line": 81, "reason": "missing_id", "case_id": None,
     "field": "case_id", "value": ""},
    {"file": "12315_2022-01.xlsx", "line": 237, "reason": "kind", "case_id": "202201250001",
     "field": "kind", "value": "建议"},
    {"file": "12315_2022-01.xlsx", "line": 644, "reason": "closed_before_registered", "case_id": "202201260001",
     "field": "closed_at", "value": "2022-01-25 15:40:00"},
]  # fmt: skip

_HEADER_ROWS = 3  # title, note, header: data starts on line 4
_KINDS_ORDER = (COMPLAINT, REPORT, CONSULTATION)
_FLAGS = ("filed", "complaint_to_case", "epidemic")


# ---------------------------------------------------------------------------------------------
# Export layout: header variants and cell formats.

_VARIANTS: dict[int, list[tuple[str, str]]] = {
    2020: [("登记编号", "case_id"), ("业务类型", "kind"), ("登记时间", "registered_at"), ("承办单位", "unit"),
           ("诉求来源", "channel"), ("受理时间", "accepted_at"), ("首次联系时间", "first_contact_at"),
           ("核查时间", "verified_at"), ("办结时间", "closed_at"), ("当前环节", "stage"),
           ("挽回经济损失(元)", "recovered_loss"), ("是否立案", "filed"), ("是否诉转案", "complaint_to_case"),
           ("是否涉疫", "epidemic"), ("涉及客体分类", "goods_category"), ("涉及问题分类", "problem_category"),
           ("催办次数", "urges"), ("被投诉方", "respondent"), ("登记内容", "content"), ("姓名", "name"),
           ("来电号码", "phone"), ("地址", "address")],
    2021: [("工单号", "case_id"), ("诉求类型", "kind"), ("交办时间", "registered_at"), ("处理部门", "unit"),
           ("来源渠道", "channel"), ("受理决定时间", "accepted_at"), ("首次联系时间", "first_contact_at"),
           ("核查时间", "verified_at"), ("办结日期", "closed_at"), ("办理状态", "stage"),
           ("挽回经济损失", "recovered_loss"), ("是否立案", "filed"), ("是否诉转案", "complaint_to_case"),
           ("涉疫情", "epidemic"), ("涉及客体分类", "goods_category"), ("涉及问题分类", "problem_category"),
           ("催办次数", "urges"), ("当事人名称", "respondent"), ("诉求内容", "content"), ("姓名", "name"),
           ("联系电话", "phone"), ("身份证号", "idno")],
    2022: [("序号", "row_no"), ("表单号", "case_id"), ("接收时间", "registered_at"), ("类型", "kind"),
           ("来源", "channel"), ("办理单位", "unit"), ("被投诉方", "respondent"), ("诉求内容", "content"),
           ("涉及客体分类", "goods_category"), ("涉及问题分类", "problem_category"), ("是否涉疫", "epidemic"),
           ("受理时间", "accepted_at"), ("首次联系时间", "first_contact_at"), ("核查时间", "verified_at"),
           ("办结时间", "closed_at"), ("当前环节", "stage"), ("挽回经济损失（元）", "recovered_loss"),
           ("是否立案", "filed"), ("是否诉转案", "complaint_to_case"), ("催办次数", "urges"), ("姓名", "name"),
           ("手机号码", "phone"), ("联系地址", "address")],
}  # fmt: skip
#: Header row of each variant, by the year of the files that use it.
HEADER_VARIANTS: dict[int, list[str]] = {y: [h for h, _ in cols] for y, cols in _VARIANTS.items()}
for _bad in PLANTED_BAD_ROWS:  # the header of the flawed cell in that file
    _bad["column"] = dict((f, h) for h, f in _VARIANTS[int(_bad["file"][6:10])])[_bad["field"]]
