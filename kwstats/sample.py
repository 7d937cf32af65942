"""Deterministic synthetic 12315 case exports for 宽城市场监管分局, January 2020 – December 2022.

The shipped sample and the test fixture. `write_sample` writes one export file per month as the
platform gives them (title and note rows, three header variants, mixed date formats, Excel serials,
amounts with 元 or thousands separators, a trailing total row, planted bad rows, three CSV
encodings). `generate_cases` returns the good cases of those files as the canonical case table,
with `source_file` / `source_line` pointing at the row each case is written to.

The design (hard-coded here, never read from the reference files): January 2022 reproduces the
published bulletin's unit table when computed from the rows; unit and category shares are stable
with low-variance noise so that nothing spikes except `PLANTED_SPIKE`; normal cases meet every
deadline except `PLANTED_OVERDUE`; the epidemic window 2020-01-23 .. 2022-01-31 holds 18 297
complaints and reports, 96 % of them closed by 2022-01-31.

Content is written as found in the exports: phone and ID numbers (`PLANTED_NUMBERS`) and markup
(`XSS_CASE_ID`) are *not* masked or escaped here; masking is the ingest's job.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import chinese_calendar
import numpy as np
import pandas as pd
import xlsxwriter

from kwstats.sample_files import (  # noqa: E402  (re-exported: the sample's layout, importable without pandas)
    CSV_ENCODINGS,
    DEFAULT_SAMPLE_DIR,
    DEFAULT_SEED,
    MARKER_NAME,
    MONTHS,
    is_current,
    marker_text,
    sample_file_name,
)
from kwstats.schema import COMPLAINT, CONSULTATION, REPORT, conform

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
# The monthly plan: accepted (投诉+举报) split into non-epidemic and epidemic-flagged counts.

_NONEPI = (
    470, 430, 480, 540, 580, 600, 610, 610, 600, 590, 590, 585,
    585, 480, 590, 590, 595, 600, 600, 600, 600, 595, 600, 605,
    602, 505, 605, 600, 610, 620, 625, 620, 615, 610, 615, 610,
)  # fmt: skip
_EPI_PRE_WINDOW = 12  # 涉疫 cases on 2020-01-20..22, outside the window


def _epidemic_plan() -> tuple[int, ...]:
    """Epidemic-flagged accepted cases per month; Feb–Apr 2020 absorb the window total."""
    rest = [None, None, None, None, 1500, 800, 450, 380, 330, 280, 220, 170,
            130, 110, 125, 122, 120, 118, 116, 114, 112, 110, 108, 105,
            100, 85, 98, 96, 94, 92, 90, 88, 86, 84, 82, 80]  # fmt: skip
    jan_2020_window = 380
    known = jan_2020_window + sum(v for v in rest[4:25] if v is not None)
    surge = EPIDEMIC_WINDOW_TOTAL - known
    feb, mar = round(surge * 37 / 105), round(surge * 40 / 105)
    rest[:4] = [jan_2020_window + _EPI_PRE_WINDOW, feb, mar, surge - feb - mar]
    return tuple(int(v) for v in rest)  # type: ignore[arg-type]


_EPI = _epidemic_plan()
_PLAN: dict[str, tuple[int, int]] = {m: (n, e) for m, n, e in zip(MONTHS, _NONEPI, _EPI, strict=True)}

_ALL_UNITS = ROSTER_UNITS + OFF_ROSTER_UNITS
_UNIT_SHARE = np.array([sum(JANUARY_2022_DESIGN[u][i] for i in (0, 3)) for u in _ALL_UNITS], dtype=float)
_UNIT_REPORT_FRAC = np.array(
    [JANUARY_2022_DESIGN[u][0] / s if s else 0.0 for u, s in zip(_ALL_UNITS, _UNIT_SHARE, strict=True)]
)

_CHANNELS = ("电话", "互联网平台", "微信小程序", "来函", "来访")
_CHANNEL_SHARES = {
    2020: (0.55, 0.32, 0.08, 0.03, 0.02),
    2021: (0.48, 0.33, 0.14, 0.03, 0.02),
    2022: (0.42, 0.34, 0.20, 0.02, 0.02),
}

_GOODS_NONEPI = {
    "食品": 16, "餐饮和住宿服务": 8, "家用电器": 6, "通讯器材": 5, "服装鞋帽": 6, "家具": 4,
    "装修建材": 4, "日用百货": 6, "美容美发服务": 5, "教育培训服务": 4.5, "文化娱乐体育服务": 4,
    "汽车及零部件": 4, "药品及医疗器械": 3, "烟酒": 2, "互联网服务": 5, "房屋及物业服务": 3,
    "其他商品": 8, "其他服务": 6.5,
}  # fmt: skip
_GOODS_EPI = {
    "防疫用品": 34, "食品": 20, "药品及医疗器械": 14, "日用百货": 6, "教育培训服务": 5,
    "文化娱乐体育服务": 5, "旅游服务": 6, "餐饮和住宿服务": 4, "其他商品": 3, "其他服务": 3,
}  # fmt: skip
_PROBLEMS = {
    (COMPLAINT, False): {"质量": 28, "售后服务": 18, "合同": 17, "价格": 8, "虚假宣传": 7, "安全": 4,
                         "计量": 3, "人格尊严": 2, "其他": 13},
    (REPORT, False): {"食品安全": 20, "虚假宣传": 15, "无照经营": 12, "价格": 10, "质量": 10, "广告": 8,
                      "计量": 5, "知识产权": 5, "其他": 15},
    (COMPLAINT, True): {"价格": 35, "质量": 25, "合同": 25, "其他": 15},
    (REPORT, True): {"价格": 60, "质量": 25, "无照经营": 5, "其他": 10},
    (CONSULTATION, False): {"政策法规": 40, "办事流程": 25, "维权途径": 25, "其他": 10},
    (CONSULTATION, True): {"政策法规": 60, "维权途径": 30, "其他": 10},
}  # fmt: skip
# problems that only make sense for some goods
_PROBLEM_GOODS = {
    "食品安全": ("食品", "餐饮和住宿服务", "烟酒"),
    "计量": ("食品", "烟酒", "日用百货", "装修建材", "其他商品", "防疫用品"),
    "知识产权": ("服装鞋帽", "通讯器材", "日用百货", "烟酒", "家用电器", "其他商品", "药品及医疗器械"),
    "安全": ("家用电器", "通讯器材", "汽车及零部件", "装修建材", "日用百货", "其他商品", "家具"),
}
_SPIKE_PROBLEMS = {"合同": 25, "质量": 25, "售后服务": 20, "虚假宣传": 12, "价格": 10, "其他": 8}

# ---------------------------------------------------------------------------------------------
# Working days and the special cases.


def _check(ok: bool, what: str) -> None:
    """A broken design invariant of the generator (a bug here, not bad input)."""
    if not ok:
        raise RuntimeError(f"kwstats.sample: {what}")


def _add_workdays(day: dt.date, n: int) -> dt.date:
    """The n-th working day after `day` (State Council schedule with make-up days)."""
    d = day
    while n > 0:
        d += dt.timedelta(days=1)
        if chinese_calendar.is_workday(d):
            n -= 1
    return d


def _at(day: dt.date, hhmm: str) -> pd.Timestamp:
    return pd.Timestamp(f"{day.isoformat()} {hhmm}")


@dataclass(frozen=True)
class _Special:
    """A hand-written good case that replaces one ordinary case of the same kind and month."""

    case_id: str
    kind: str
    registered: pd.Timestamp
    closed: pd.Timestamp | None
    content: str
    respondent: str | None
    goods: str
    problem: str
    channel: str = "电话"
    accepted: pd.Timestamp | None = None
    contact: pd.Timestamp | None = None
    verified: pd.Timestamp | None = None
    amount: float = 0.0

    @property
    def month(self) -> str:
        return self.registered.strftime("%Y-%m")


def _specials() -> list[_Special]:
    d = dt.date
    a_reg = _at(d(2021, 5, 7), "08:12")
    a_acc = _at(_add_workdays(d(2021, 5, 7), 12), "10:30")
    c_acc = _at(d(2021, 8, 3), "09:20")
    c_close = _at(_add_workdays(d(2021, 8, 3), 70), "15:10")
    b_ver = _at(_add_workdays(d(2022, 3, 1), 20), "15:00")
    return [
        _Special("202105070001", COMPLAINT, a_reg, a_acc + pd.Timedelta(days=6, hours=3),
                 "本人在宽城区鸿运电器商行购买冰箱，使用不久即出现不制冷的质量问题，商家拒绝履行三包义务，要求更换商品。",
                 "宽城区鸿运电器商行", "家用电器", "售后服务",
                 accepted=a_acc, contact=a_reg + pd.Timedelta(minutes=50)),
        _Special("202106080001", COMPLAINT, _at(d(2021, 6, 8), "08:06"), _at(d(2021, 6, 18), "14:20"),
                 "在长春市宽城区福满家具城购买沙发，送货后发现有明显划痕，商家拖延不处理，要求换货，请回电13904318765。",
                 "长春市宽城区福满家具城", "家具", "质量",
                 accepted=_at(d(2021, 6, 8), "09:10"), contact=_at(d(2021, 6, 8), "09:25")),
        _Special("202108030001", COMPLAINT, _at(d(2021, 8, 3), "08:15"), c_close,
                 "在宽城区金鼎装饰工程有限公司办理房屋装修，工期一再拖延，地板铺装质量差，多次协商未果，要求赔偿损失。",
                 "宽城区金鼎装饰工程有限公司", "装修建材", "合同",
                 accepted=c_acc, contact=_at(d(2021, 8, 3), "10:05"), amount=3000.0),
        _Special(DUPLICATED_CASE_ID, COMPLAINT, _at(d(2021, 10, 12), "08:05"), _at(d(2021, 10, 20), "16:00"),
                 "在宽城区众诚通讯器材店购买手机，七日内出现屏幕闪烁，商家拒绝退换，要求退货退款。",
                 "宽城区众诚通讯器材店", "通讯器材", "售后服务",
                 accepted=_at(d(2021, 10, 12), "09:00"), contact=_at(d(2021, 10, 12), "09:30"), amount=1999.0),
        _Special("202111160001", REPORT, _at(d(2021, 11, 16), "08:20"), _at(d(2021, 11, 26), "10:40"),
                 "举报宽城区兴隆烟酒商行销售假冒品牌白酒，举报人联系电话15843107729，请求依法查处。",
                 "宽城区兴隆烟酒商行", "烟酒", "知识产权",
                 contact=_at(d(2021, 11, 16), "13:00"), verified=_at(d(2021, 11, 18), "10:00")),
        _Special("202201060001", COMPLAINT, _at(d(2022, 1, 6), "08:09"), _at(d(2022, 1, 14), "11:30"),
                 f"本人在宽城区美佳美容院办理美容卡，商家停业后拒绝退还余额，本人手机18686541203，身份证号{_ID_A}，要求退还剩余费用。",
                 "宽城区美佳美容院", "美容美发服务", "合同",
                 accepted=_at(d(2022, 1, 6), "09:40"), contact=_at(d(2022, 1, 6), "10:00")),
        _Special(XSS_CASE_ID, COMPLAINT, _at(d(2022, 1, 11), "08:12"), _at(d(2022, 1, 19), "15:30"),
                 "网购商品详情页显示异常，页面代码为<script>alert(1)</script>，商品图片<img src=x onerror=alert(1)>无法显示，"
                 "收到的商品与描述不符，商家拒绝退款，要求退货退款。",
                 "长春恒通电子商务有限公司", "互联网服务", "合同", channel="互联网平台",
                 accepted=_at(d(2022, 1, 11), "09:05"), contact=_at(d(2022, 1, 11), "09:20")),
        _Special(TYPICAL_CASE_ID, COMPLAINT, _at(d(2022, 1, 17), "08:16"), _at(d(2022, 1, 27), "15:40"),
                 "本人在宽城区尚品定制家居店定制柜门，商家上门安装时将家中榻榻米垫子弄坏，且定制柜门存在质量问题，"
                 "多次与商家沟通维修赔偿未果；因定制家具未能按时交付，无法入住新房，租房时间延期，希望市场监管部门帮助维权。",
                 "宽城区尚品定制家居店", "家具", "质量",
                 accepted=_at(d(2022, 1, 17), "09:30"), contact=_at(d(2022, 1, 17), "09:45"), amount=500.0),
        _Special("202201200001", COMPLAINT, _at(d(2022, 1, 20), "08:21"), _at(d(2022, 1, 26), "10:15"),
                 "在宽城区惠民超市购买的牛奶已过保质期，要求退一赔十，联系电话：13500892416。",
                 "宽城区惠民超市", "食品", "质量",
                 accepted=_at(d(2022, 1, 20), "09:10"), contact=_at(d(2022, 1, 20), "09:15")),
        _Special("202203010001", REPORT, _at(d(2022, 3, 1), "08:10"), b_ver + pd.Timedelta(days=2, hours=1),
                 "举报宽城区安康大药房销售无合格证明的血压计，请求依法查处。",
                 "宽城区安康大药房", "药品及医疗器械", "质量",
                 contact=_at(d(2022, 3, 1), "10:30"), verified=b_ver),
        _Special("202205100001", COMPLAINT, _at(d(2022, 5, 10), "08:14"), _at(d(2022, 5, 17), "16:00"),
                 f"在长春市宽城区佳和汽车销售服务有限公司购买二手车，商家隐瞒事故情况，本人身份证号{_ID_B}，要求退车。",
                 "长春市宽城区佳和汽车销售服务有限公司", "汽车及零部件", "虚假宣传",
                 accepted=_at(d(2022, 5, 10), "10:20"), contact=_at(d(2022, 5, 10), "10:40")),
        _Special("202209140001", CONSULTATION, _at(d(2022, 9, 14), "08:11"), _at(d(2022, 9, 14), "08:30"),
                 "来电咨询预付卡退费相关规定，已答复，回访电话17390011234。", None, "其他服务", "政策法规"),
        _Special("202212010001", COMPLAINT, _at(d(2022, 12, 1), "08:18"), None,
                 "在宽城区顺发家电城购买热水器，安装后漏水，商家推诿扯皮，要求赔偿损失。",
                 "宽城区顺发家电城", "家用电器", "质量", contact=_at(d(2022, 12, 1), "10:05")),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Text: respondents, contents, personal data (all fake).

_SHOP_WORDS = ("鑫源", "华联", "惠民", "福满", "众诚", "鸿运", "恒通", "金鼎", "美佳", "兴隆", "佳和", "安康",
               "宏达", "盛世", "百佳", "顺发", "优品", "万家", "德泰", "福瑞", "永盛", "东方", "金诚", "嘉禾",
               "天顺", "瑞丰", "宏利", "家乐", "吉瑞", "北辰")  # fmt: skip
_SHOP_TYPES = {
    "食品": ("超市", "生鲜超市", "食品商店", "烘焙店", "熟食店"),
    "餐饮和住宿服务": ("饭店", "火锅店", "烧烤店", "宾馆", "快餐店"),
    "家用电器": ("电器商行", "家电城", "电器维修部"),
    "通讯器材": ("通讯器材店", "手机卖场", "数码店"),
    "服装鞋帽": ("服装店", "鞋店", "服饰商行"),
    "家具": ("家具城", "家居店", "定制家居店"),
    "装修建材": ("建材商店", "装饰工程有限公司", "门窗厂"),
    "日用百货": ("百货商店", "便利店", "日用品商行"),
    "美容美发服务": ("美容院", "美发店", "美甲店"),
    "教育培训服务": ("教育培训学校", "培训中心", "艺术培训学校"),
    "文化娱乐体育服务": ("健身中心", "游泳馆", "KTV", "网吧"),
    "汽车及零部件": ("汽车销售服务有限公司", "汽车修理厂", "汽配商行"),
    "药品及医疗器械": ("大药房", "医疗器械商店", "药店"),
    "烟酒": ("烟酒商行", "酒业商行"),
    "互联网服务": ("网络科技有限公司", "电子商务有限公司", "网店"),
    "房屋及物业服务": ("物业服务有限公司", "房屋中介", "物业管理有限公司"),
    "旅游服务": ("旅行社", "国际旅行社"),
    "防疫用品": ("大药房", "医疗器械商店", "日用品商行", "便利店"),
    "其他商品": ("商店", "商行", "经销部"),
    "其他服务": ("服务部", "服务中心", "工作室"),
}
_ITEMS = {
    "食品": ("牛奶", "面包", "熟食", "速冻水饺", "月饼", "奶粉", "蔬菜", "大米"),
    "餐饮和住宿服务": ("团购套餐", "火锅套餐", "外卖", "客房"),
    "家用电器": ("冰箱", "洗衣机", "空调", "电视机", "热水器", "油烟机"),
    "通讯器材": ("手机", "平板电脑", "蓝牙耳机", "智能手表"),
    "服装鞋帽": ("羽绒服", "运动鞋", "大衣", "皮鞋"),
    "家具": ("衣柜", "沙发", "床垫", "橱柜", "餐桌"),
    "装修建材": ("地板", "瓷砖", "塑钢窗", "防盗门"),
    "日用百货": ("洗发水", "保温杯", "电动牙刷", "床上用品"),
    "美容美发服务": ("美容卡", "烫染服务", "美甲服务", "护理套餐"),
    "教育培训服务": ("英语课程", "舞蹈课程", "托管服务", "美术课程"),
    "文化娱乐体育服务": ("健身卡", "游泳卡", "私教课", "会员卡"),
    "汽车及零部件": ("二手车", "轮胎", "保养服务", "汽车配件"),
    "药品及医疗器械": ("血压计", "保健品", "药品", "轮椅"),
    "烟酒": ("白酒", "啤酒", "香烟", "红酒"),
    "互联网服务": ("网课会员", "网购商品", "视频会员", "团购券"),
    "房屋及物业服务": ("物业服务", "租房服务", "供暖服务"),
    "旅游服务": ("跟团游", "机票", "景区门票"),
    "防疫用品": ("口罩", "消毒液", "医用酒精", "测温枪", "防护服"),
    "其他商品": ("电动车", "眼镜", "宠物粮", "五金工具"),
    "其他服务": ("干洗服务", "婚纱摄影", "家政服务", "快递服务"),
}
_COMPLAINT_PHRASES = {
    "质量": ("使用不久即出现质量问题", "商品存在明显质量缺陷", "收到的商品与样品不符且有破损"),
    "售后服务": ("商家拒绝履行三包义务", "维修多次仍未修好", "售后迟迟不予处理"),
    "合同": ("商家未按约定履行合同", "要求退还剩余费用遭拒", "商家单方面变更服务内容"),
    "价格": ("结账价格高于标价", "商家涉嫌重复收费", "商家擅自加价"),
    "虚假宣传": ("商家宣传内容与实际严重不符", "商家承诺的赠品未兑现"),
    "安全": ("使用中发生漏电，存在安全隐患", "商品存在安全隐患"),
    "计量": ("商家短斤少两", "实际重量与标注不符"),
    "人格尊严": ("店员态度恶劣并言语侮辱", "店员强行检查顾客随身物品"),
    "其他": ("与商家协商未果", "商家推诿扯皮"),
}
_EPI_COMPLAINT_PHRASES = {
    "价格": ("疫情期间商家大幅涨价", "疫情期间售价明显高于平时"),
    "合同": ("因疫情停业后商家拒绝退还预付费用", "因疫情无法按约履行，商家拒绝退款"),
    "质量": ("所购商品为三无产品", "商品质量不合格"),
    "其他": ("疫情期间商家拒绝按约定发货", "疫情期间商家停业无人处理"),
}
_DEMANDS = ("要求退货退款", "要求更换商品", "要求赔偿损失", "要求商家履行承诺", "希望市场监管部门协调解决",
            "要求退还费用")  # fmt: skip
_REPORT_PHRASES = {
    "食品安全": ("销售过期食品", "后厨卫生条件差", "销售无标签食品"),
    "虚假宣传": ("发布虚假宣传信息", "虚构原价进行促销"),
    "无照经营": ("未取得营业执照从事经营活动", "超范围经营"),
    "价格": ("不明码标价", "存在价格欺诈行为"),
    "质量": ("销售假冒伪劣商品", "销售不合格产品"),
    "广告": ("发布违法广告", "在网络平台发布虚假广告"),
    "计量": ("使用不合格计量器具", "电子秤作弊"),
    "知识产权": ("销售侵犯注册商标专用权的商品", "销售假冒品牌商品"),
    "其他": ("存在违法经营行为", "强制搭售商品"),
}
_EPI_REPORT_PHRASES = {
    "价格": ("疫情期间哄抬{item}价格", "疫情期间{item}价格涨幅过大"),
    "质量": ("销售假冒伪劣{item}", "销售无合格证明的{item}"),
    "无照经营": ("无照销售{item}",),
    "其他": ("疫情期间违规营业", "未落实疫情防控措施"),
}
_CONSULT_TOPICS = {
    "政策法规": ("{item}的三包规定", "网购七日无理由退货规定", "预付卡退费相关规定", "食品安全相关规定"),
    "办事流程": ("个体工商户营业执照办理流程", "食品经营许可证办理流程", "企业年报填报方法"),
    "维权途径": ("购买{item}后发生纠纷如何维权", "投诉处理时限", "如何申请消费调解"),
    "其他": ("12315受理范围", "市场监管部门办公地址及电话"),
}
_EPI_CONSULT_TOPICS = ("疫情期间{item}价格相关规定", "疫情期间退费政策", "疫情期间商家营业规定")
_WHEN = ("近日", "日前", "前几天", "上周", "本月初")
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段钱汤尹常武乔贺"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅鑫宇浩然思佳欣怡子轩雨婷建国志强海燕"
_ROADS = ("亚泰北大街", "长江路", "胜利大街", "北京大街", "青年路", "凯旋路", "柳影路", "兰家大街", "台北大街",
          "东广场街", "南广场街", "站前街", "团山街", "欣园路")  # fmt: skip
_ID_REGIONS = ("220103", "220102", "220104", "220105", "220106", "220122", "220182")


class _Draw:
    """Uniform draws from a numpy Generator, buffered for fast scalar picks."""

    def __init__(self, rng: np.random.Generator, size: int = 4096) -> None:
        self._rng, self._size = rng, size
        self._buf: list[float] = []

    def random(self) -> float:
        if not self._buf:
            self._buf = self._rng.random(self._size).tolist()[::-1]
        return self._buf.pop()

    def pick(self, options: Sequence[str]) -> str:
        return options[int(self.random() * len(options))]


def _respondent(draw: _Draw, goods: str) -> str:
    word, kind = draw.pick(_SHOP_WORDS), draw.pick(_SHOP_TYPES[goods])
    if kind.endswith("有限公司"):
        return f"长春{word}{kind}"
    return f"{draw.pick(('宽城区', '长春市宽城区', '宽城区'))}{word}{kind}"


def _content(draw: _Draw, kind: str, epi: bool, goods: str, problem: str, resp: str | None) -> str:
    item = draw.pick(_ITEMS[goods])
    if kind == CONSULTATION:
        topic = draw.pick(_EPI_CONSULT_TOPICS if epi else _CONSULT_TOPICS[problem]).format(item=item)
        return draw.pick(("咨询{t}。", "来电咨询{t}，已答复。", "消费者咨询{t}，已解答。")).format(t=topic)
    if kind == REPORT:
        table = _EPI_REPORT_PHRASES if epi else _REPORT_PHRASES
        viol = draw.pick(table[problem]).format(item=item)
        template = (
            "举报{r}{v}，请求依法查处。",
            "反映{r}{v}，希望市场监管部门核实处理。",
            "{r}{v}，请相关部门调查处理。",
        )
        return draw.pick(template).format(r=resp, v=viol)
    table = _EPI_COMPLAINT_PHRASES if epi else _COMPLAINT_PHRASES
    phrase = draw.pick(table[problem])
    template = (
        "{w}在{r}购买{i}，{p}，{d}。",
        "消费者反映：在{r}消费{i}，{p}，与商家协商未果，{d}。",
        "本人{w}通过{r}购买{i}，{p}。{d}。",
    )
    return draw.pick(template).format(w=draw.pick(_WHEN), r=resp, i=item, p=phrase, d=draw.pick(_DEMANDS))


def _spike_content(draw: _Draw, problem: str) -> str:
    item = draw.pick(_ITEMS["教育培训服务"])
    phrase = draw.pick(_COMPLAINT_PHRASES[problem])
    return f"在{PLANTED_SPIKE['respondent']}预交{item}费用，机构突然停课，{phrase}，要求退还剩余课时费用。"


_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])


def _people(rng: np.random.Generator, n: int) -> tuple[list[str], list[str], list[str], list[str]]:
    """Fake names, mobile numbers, ID numbers and addresses for `n` rows."""
    draw = _Draw(rng)
    names = []
    for _ in range(n):
        surname, r = draw.pick(_SURNAMES), draw.random()
        if r < 0.3:
            names.append(surname + ("先生" if draw.random() < 0.5 else "女士"))
        else:
            names.append(surname + "".join(draw.pick(_GIVEN) for _ in range(1 + int(r < 0.75))))
    prefix = rng.integers(3, 10, size=n)
    rest = rng.integers(0, 10**9, size=n)
    phones = [f"1{p}{r:09d}" for p, r in zip(prefix.tolist(), rest.tolist(), strict=True)]
    births = (np.datetime64("1950-01-01") + rng.integers(0, 19000, size=n)).astype("datetime64[D]")
    regions = rng.integers(0, len(_ID_REGIONS), size=n)
    serial = rng.integers(0, 1000, size=n)
    first17 = [
        f"{_ID_REGIONS[g]}{str(b).replace('-', '')}{s:03d}"
        for g, b, s in zip(regions.tolist(), births.tolist(), serial.tolist(), strict=True)
    ]
    digits = np.frombuffer("".join(first17).encode(), dtype=np.uint8).reshape(n, 17) - ord("0")
    checks = ((digits * _ID_WEIGHTS).sum(axis=1) % 11).tolist()
    ids = [f + "10X98765432"[c] for f, c in zip(first17, checks, strict=True)]
    roads = rng.integers(0, len(_ROADS), size=n).tolist()
    numbers = rng.integers(1, 999, size=n).tolist()
    addresses = [f"长春市宽城区{_ROADS[r]}{k}号" for r, k in zip(roads, numbers, strict=True)]
    return names, phones, ids, addresses


# ---------------------------------------------------------------------------------------------
# Simulation of one month's cases.

_MIN = pd.Timedelta(minutes=1)


def _allocate(total: int, shares: np.ndarray, rng: np.random.Generator, noise: float = 0.3) -> np.ndarray:
    """Split `total` by `shares` with low-variance noise (well under Poisson), summing exactly."""
    shares = np.asarray(shares, dtype=float)
    expected = shares / shares.sum() * total
    z = np.clip(rng.standard_normal(len(expected)), -2.0, 2.0)
    x = np.maximum(expected + noise * np.sqrt(expected) * z, 0.0)
    x[expected == 0] = 0.0
    if x.sum() > 0:
        x *= total / x.sum()
    base = np.floor(x).astype(int)
    order = np.argsort(-(x - base), kind="stable")
    base[order[: total - base.sum()]] += 1
    return base


def _labels(groups: dict[str, float], n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` labels allocated by share, in random order."""
    names = list(groups)
    counts = _allocate(n, np.array([groups[k] for k in names]), rng)
    out = np.repeat(np.array(names, dtype=object), counts)
    rng.shuffle(out)
    return out


def _match_problems(goods: np.ndarray, labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Hand the problem labels to rows so that e.g. 食品安全 goes with food where possible."""
    out = np.empty(len(goods), dtype=object)
    free = np.ones(len(goods), dtype=bool)
    remaining = list(labels)
    for label, allowed in _PROBLEM_GOODS.items():
        k = remaining.count(label)
        eligible = np.flatnonzero(free & np.isin(goods, list(allowed)))
        take = rng.choice(eligible, size=min(k, len(eligible)), replace=False)
        out[take] = label
        free[take] = False
        for _ in range(len(take)):
            remaining.remove(label)
    rest = np.array(remaining, dtype=object)
    rng.shuffle(rest)
    out[free] = rest
    return out


def _day_weights(year: int, month: int) -> tuple[list[dt.date], np.ndarray]:
    first = dt.date(year, month, 1)
    days = [first + dt.timedelta(days=i) for i in range(31) if (first + dt.timedelta(days=i)).month == month]
    w = np.array([1.0 if chinese_calendar.is_workday(d) else 0.6 for d in days])
    return days, w / w.sum()


def _minutes(rng: np.random.Generator, lo: int, hi: int, n: int) -> pd.TimedeltaIndex:
    return pd.to_timedelta(rng.integers(lo, hi, size=n), unit="m")


def _registration(rng: np.random.Generator, days: list[dt.date], p: np.ndarray, n: int) -> pd.Series:
    """Registration times: a day by weight, 08:30–21:29 (08:00–08:29 is kept for special cases)."""
    idx = rng.choice(len(days), size=n, p=p)
    base = pd.to_datetime(pd.Series([days[i] for i in idx], dtype="object"))
    return base + _minutes(rng, 510, 1290, n)


def _office_time(
    rng: np.random.Generator, reg: pd.Series, offsets: np.ndarray, limit: pd.Timedelta
) -> pd.Series:
    """A time `offsets` days after registration, in office hours when possible, within `limit`."""
    n = len(reg)
    t = reg.dt.normalize() + pd.to_timedelta(offsets, unit="D") + _minutes(rng, 480, 1050, n)
    soonest = reg + _minutes(rng, 10, 70, n)
    t = t.where(t >= soonest, soonest)
    return t.where(t <= reg + limit, reg + limit)


def _events(df: pd.DataFrame, rng: np.random.Generator) -> None:
    """Accepted / contact / verified / closed times that meet every deadline."""
    n = len(df)
    reg = df["registered_at"]
    kind = df["kind"].to_numpy()
    two_days = pd.Timedelta(days=2)
    accepted = _office_time(rng, reg, rng.choice(3, size=n, p=[0.7, 0.25, 0.05]), two_days)
    c_contact = accepted + _minutes(rng, 0, 90, n)
    c_contact = c_contact.where(c_contact <= reg + two_days, reg + two_days)
    r_contact = _office_time(rng, reg, rng.choice(3, size=n, p=[0.6, 0.35, 0.05]), two_days)
    verified = _office_time(
        rng, reg, rng.choice(6, size=n, p=[0.35, 0.3, 0.15, 0.1, 0.05, 0.05]), pd.Timedelta(days=5)
    )

    u = rng.random(n)
    days = np.where(
        u < 0.45, rng.integers(0, 3, n),
        np.where(u < 0.85, rng.integers(3, 10, n), np.where(u < 0.97, rng.integers(10, 20, n), rng.integers(20, 35, n))),
    )  # fmt: skip
    clock = _minutes(rng, 510, 1080, n)
    is_c, is_r, is_q = kind == COMPLAINT, kind == REPORT, kind == CONSULTATION
    start = pd.Series(
        np.where(is_c, np.maximum(accepted, c_contact), np.maximum(verified, r_contact)), index=df.index
    )
    closed = start.dt.normalize() + pd.to_timedelta(days, unit="D") + clock
    floor = start + pd.Timedelta(minutes=30)
    closed = closed.where(closed >= floor, floor)
    closed = closed.where(~is_q, reg + _minutes(rng, 3, 45, n))

    nat = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns]")
    df["accepted_at"] = accepted.where(is_c, nat)
    df["first_contact_at"] = c_contact.where(is_c, r_contact).where(~is_q, nat)
    df["verified_at"] = verified.where(is_r, nat)
    df["closed_at"] = closed


def _simulate_month(month: str, seed: int) -> pd.DataFrame:
    """All good cases registered in `month`, before ids and special cases."""
    year, mon = int(month[:4]), int(month[5:])
    rng = np.random.default_rng([seed, year, mon, 1])
    nonepi, epi = _PLAN[month]
    total = nonepi + epi

    if month == "2022-01":
        unit_counts = _UNIT_SHARE.astype(int)
        report_counts = np.array([JANUARY_2022_DESIGN[u][0] for u in _ALL_UNITS])
    else:
        unit_counts = _allocate(total, _UNIT_SHARE, rng)
        jitter = (
            0.3
            * np.sqrt(unit_counts * _UNIT_REPORT_FRAC)
            * np.clip(rng.standard_normal(len(unit_counts)), -2, 2)
        )
        report_counts = np.clip(np.rint(unit_counts * _UNIT_REPORT_FRAC + jitter), 0, unit_counts).astype(int)
    units, kinds = [], []
    for u, n, r in zip(_ALL_UNITS, unit_counts, report_counts, strict=True):
        units += [u] * int(n)
        kinds += [REPORT] * int(r) + [COMPLAINT] * int(n - r)
    epi_flag = np.zeros(total, dtype=bool)
    epi_flag[rng.choice(total, size=epi, replace=False)] = True

    n_consult = int(round(total * 0.14 * (1 + 0.03 * float(np.clip(rng.standard_normal(), -2, 2)))))
    n_consult_epi = int(round(n_consult * min(0.9, epi / total)))
    consult_epi = np.arange(n_consult) < n_consult_epi

    df = pd.DataFrame(
        {
            "kind": kinds + [CONSULTATION] * n_consult,
            "unit": units + [None] * n_consult,
            "epidemic": np.concatenate([epi_flag, consult_epi]),
        }
    )
    if month == PLANTED_SPIKE["month"]:
        extra = int(PLANTED_SPIKE["extra"])
        spike = pd.DataFrame(
            {"kind": [COMPLAINT] * extra, "unit": [PLANTED_SPIKE["unit"]] * extra, "epidemic": False}
        )
        spike["special"] = "spike"
        df["special"] = ""
        df = pd.concat([df, spike], ignore_index=True)
    else:
        df["special"] = ""
    n = len(df)
    df["respondent"] = pd.Series([None] * n, dtype="object")
    df["content"] = pd.Series([None] * n, dtype="object")

    # categories: allocated by share per group, so monthly counts stay close to their expectation
    df["goods_category"] = pd.Series(pd.NA, index=df.index, dtype="object")
    df["problem_category"] = pd.Series(pd.NA, index=df.index, dtype="object")
    is_spike = (df["special"] == "spike").to_numpy()
    for e in (False, True):
        mask = (df["epidemic"].to_numpy() == e) & ~is_spike
        df.loc[mask, "goods_category"] = _labels(_GOODS_EPI if e else _GOODS_NONEPI, int(mask.sum()), rng)
        for k in _KINDS_ORDER:
            m2 = mask & (df["kind"].to_numpy() == k)
            if m2.any():
                labels = _labels(_PROBLEMS[(k, e)], int(m2.sum()), rng)
                goods = df.loc[m2, "goods_category"].to_numpy()
                df.loc[m2, "problem_category"] = _match_problems(goods, labels, rng)
    if is_spike.any():
        df.loc[is_spike, "goods_category"] = PLANTED_SPIKE["category"]
        df.loc[is_spike, "problem_category"] = _labels(_SPIKE_PROBLEMS, int(is_spike.sum()), rng)

    # registration times
    days, p = _day_weights(year, mon)
    reg = _registration(rng, days, p, n)
    if month == "2020-01":
        epi_rows = np.flatnonzero(df["epidemic"].to_numpy() & (df["kind"] != CONSULTATION).to_numpy())
        pre, within = epi_rows[:_EPI_PRE_WINDOW], epi_rows[_EPI_PRE_WINDOW:]
        reg.iloc[pre] = _registration(rng, days[19:22], np.full(3, 1 / 3), len(pre)).to_numpy()
        reg.iloc[within] = _registration(rng, days[22:], np.full(9, 1 / 9), len(within)).to_numpy()
        c_epi = np.flatnonzero(df["epidemic"].to_numpy() & (df["kind"] == CONSULTATION).to_numpy())
        reg.iloc[c_epi] = _registration(rng, days[20:], np.full(11, 1 / 11), len(c_epi)).to_numpy()
    if is_spike.any():
        reg.iloc[np.flatnonzero(is_spike)] = _registration(
            rng, days[12:17], np.full(5, 0.2), int(is_spike.sum())
        ).to_numpy()
    df["registered_at"] = reg.astype("datetime64[ns]")

    shares = _CHANNEL_SHARES[year]
    df["channel"] = rng.choice(np.array(_CHANNELS, dtype=object), size=n, p=shares)
    df.loc[df["kind"] == CONSULTATION, "channel"] = rng.choice(
        np.array(["电话", "互联网平台"], dtype=object),
        size=int((df["kind"] == CONSULTATION).sum()),
        p=[0.8, 0.2],
    )
    _events(df, rng)

    is_c = (df["kind"] == COMPLAINT).to_numpy()
    is_r = (df["kind"] == REPORT).to_numpy()
    df["recovered_loss"] = np.where(is_c & (rng.random(n) < 0.25), _amounts(rng, n), 0.0)
    df["filed"] = is_r & (rng.random(n) < 0.04)
    df["complaint_to_case"] = is_c & (rng.random(n) < 0.003)
    urges = np.zeros(n, dtype=np.int64)
    accepted_rows = np.flatnonzero(~(df["kind"] == CONSULTATION).to_numpy())
    k = int(rng.integers(0, 5))
    urged = rng.choice(accepted_rows, size=k, replace=False)
    urges[urged] = np.where(rng.random(k) < 0.2, 2, 1)
    df["urges"] = urges

    if month == "2022-01":
        _january_2022(df, rng)
    return df


_AMOUNT_VALUES = np.array([50, 80, 100, 120, 150, 200, 260, 300, 350, 400, 500, 600, 680, 800, 1000, 1200, 1500, 1980,
                           2000, 2600, 3000])  # fmt: skip
_AMOUNT_P = np.array([4, 5, 8, 5, 6, 9, 4, 8, 4, 6, 8, 5, 3, 4, 5, 4, 3, 2, 3, 2, 2], dtype=float)


def _amounts(rng: np.random.Generator, n: int) -> np.ndarray:
    values = rng.choice(_AMOUNT_VALUES, size=n, p=_AMOUNT_P / _AMOUNT_P.sum()).astype(float)
    odd = rng.random(n) < 0.1
    values[odd] = values[odd] - 10.5  # a few amounts like 89.5 or 1,189.50
    return np.maximum(values, 39.5)


# ---------------------------------------------------------------------------------------------
# January 2022: the reference month.

_JAN_CUTOFF = pd.Timestamp("2022-01-31 23:59:59")


def _january_2022(df: pd.DataFrame, rng: np.random.Generator) -> None:
    """Force the per-unit closure counts, filings, urges and amounts of the design."""
    df["closed_by_cutoff"] = True
    df["filed"] = False
    df["complaint_to_case"] = False
    df["urges"] = 0
    df["recovered_loss"] = 0.0
    day = df["registered_at"].dt.day.to_numpy().astype(float)
    for unit, (rep, rep_closed, _, com, com_closed) in JANUARY_2022_DESIGN.items():
        for kind, n, n_closed in ((REPORT, rep, rep_closed), (COMPLAINT, com, com_closed)):
            rows = df.index[(df["unit"] == unit) & (df["kind"] == kind)].to_numpy()
            _check(len(rows) == n, f"January 2022 design: {unit} {kind}")
            if n_closed < n:
                w = day[rows] ** 2
                pending = rng.choice(rows, size=n - n_closed, replace=False, p=w / w.sum())
                df.loc[pending, "closed_by_cutoff"] = False
    for i in df.index:
        _fit_closure(df, i, rng)


def _fit_closure(df: pd.DataFrame, i: int, rng: np.random.Generator) -> None:
    """Move one January-2022 case's events so that its closure falls on the designed side of the cutoff."""
    row = df.loc[i]
    reg, kind = row["registered_at"], row["kind"]
    events = [c for c in ("accepted_at", "first_contact_at", "verified_at") if pd.notna(row[c])]
    latest = max([row[c] for c in events], default=reg)
    closed = row["closed_at"]
    if row["closed_by_cutoff"]:
        if closed <= _JAN_CUTOFF:
            return
        if latest + pd.Timedelta(minutes=30) > _JAN_CUTOFF:
            room = (_JAN_CUTOFF - reg) / 2
            for c in events if latest > reg else ():
                df.at[i, c] = reg + ((row[c] - reg) / (latest - reg) * room).floor("min")
            latest = max([df.at[i, c] for c in events], default=reg)
        lo = latest + pd.Timedelta(minutes=30)
        span = int((_JAN_CUTOFF - lo) / _MIN)
        df.at[i, "closed_at"] = lo + int(rng.integers(0, max(span, 1))) * _MIN
        return
    if closed > _JAN_CUTOFF:
        return
    lo = max(_JAN_CUTOFF + _MIN, latest + pd.Timedelta(minutes=30))
    if kind == COMPLAINT:
        hi = row["accepted_at"] + pd.Timedelta(days=35) - pd.Timedelta(hours=1)
    else:
        hi = reg + pd.Timedelta(days=40)
    hi = min(hi, pd.Timestamp("2022-02-25 17:00"))
    after_holiday = pd.Timestamp("2022-02-07 08:30")
    if hi > after_holiday:
        lo = max(lo, after_holiday)
    day0 = lo.normalize()
    n_days = max((hi.normalize() - day0).days, 0)
    candidate = (
        day0 + pd.Timedelta(days=int(rng.integers(0, n_days + 1))) + int(rng.integers(510, 1080)) * _MIN
    )
    df.at[i, "closed_at"] = min(max(candidate, lo), hi)


def _january_2022_amounts(df: pd.DataFrame, rng: np.random.Generator) -> None:
    """Amounts over January-2022 cases closed by the cutoff sum to exactly JANUARY_2022_RECOVERED."""
    closed_c = df.index[(df["kind"] == COMPLAINT) & df["closed_by_cutoff"] & (df["special"] == "")].to_numpy()
    target = JANUARY_2022_RECOVERED - float(df.loc[df["closed_by_cutoff"], "recovered_loss"].sum())
    values: list[float] = []
    while target - sum(values) > 3000:
        values.append(float(rng.choice(_AMOUNT_VALUES, p=_AMOUNT_P / _AMOUNT_P.sum())))
    last = target - sum(values)
    if last < 50 and values:
        values[-1] += last
    elif last > 0:
        values.append(last)
    chosen = rng.choice(closed_c, size=len(values), replace=False)
    df.loc[chosen, "recovered_loss"] = values
    pending_c = df.index[
        (df["kind"] == COMPLAINT) & ~df["closed_by_cutoff"] & (df["special"] == "")
    ].to_numpy()
    later = rng.choice(pending_c, size=len(pending_c) // 5, replace=False)
    df.loc[later, "recovered_loss"] = _amounts(rng, len(later))
    for unit, (_, _, filed, _, _) in JANUARY_2022_DESIGN.items():
        rows = df.index[(df["unit"] == unit) & (df["kind"] == REPORT) & df["closed_by_cutoff"]].to_numpy()
        df.loc[rng.choice(rows, size=filed, replace=False), "filed"] = True


# ---------------------------------------------------------------------------------------------
# Putting the months together.


def _apply_specials(frames: dict[str, pd.DataFrame], seed: int) -> None:
    rng = np.random.default_rng([seed, 0, 0, 2])
    for sp in _specials():
        df = frames[sp.month]
        ok = (df["kind"] == sp.kind) & (df["special"] == "") & ~df["epidemic"]
        if sp.month == "2022-01":
            ok &= df["closed_by_cutoff"] == (sp.closed is not None and sp.closed <= _JAN_CUTOFF)
        i = int(rng.choice(df.index[ok].to_numpy()))
        for col, value in (
            ("registered_at", sp.registered), ("accepted_at", sp.accepted), ("first_contact_at", sp.contact),
            ("verified_at", sp.verified), ("closed_at", sp.closed),
        ):  # fmt: skip
            df.at[i, col] = pd.NaT if value is None else value
        df.at[i, "content"] = sp.content
        df.at[i, "respondent"] = sp.respondent
        df.at[i, "goods_category"] = sp.goods
        df.at[i, "problem_category"] = sp.problem
        df.at[i, "channel"] = sp.channel
        df.at[i, "recovered_loss"] = sp.amount
        df.at[i, "filed"] = False
        df.at[i, "complaint_to_case"] = False
        df.at[i, "urges"] = 0
        df.at[i, "special"] = sp.case_id


def _texts(df: pd.DataFrame, rng: np.random.Generator) -> None:
    """Respondents, contents and fake personal data for the ordinary rows."""
    draw = _Draw(rng)
    resp, content = [], []
    for kind, epi, goods, problem, special, old_resp, old_content in zip(
        df["kind"].tolist(), df["epidemic"].tolist(), df["goods_category"].tolist(), df["problem_category"].tolist(),
        df["special"].tolist(), df["respondent"].tolist(), df["content"].tolist(), strict=True,
    ):  # fmt: skip
        if special == "spike":
            resp.append(PLANTED_SPIKE["respondent"])
            content.append(_spike_content(draw, problem))
        elif special:
            resp.append(old_resp)
            content.append(old_content)
        else:
            r = None if kind == CONSULTATION else _respondent(draw, goods)
            resp.append(r)
            content.append(_content(draw, kind, bool(epi), goods, problem, r))
    df["respondent"] = resp
    df["content"] = content
    df["name"], df["phone"], df["idno"], df["address"] = _people(rng, len(df))


def _epidemic_closures(frames: dict[str, pd.DataFrame], seed: int) -> None:
    """Keep EPIDEMIC_WINDOW_TOTAL - EPIDEMIC_WINDOW_CLOSED window cases open at the cutoff.

    Besides January 2022's pending cases, these are epidemic reports filed as a case whose
    12315 record was only closed when the case ended, between February and November 2022.
    """
    rng = np.random.default_rng([seed, 0, 0, 3])
    allc = pd.concat(frames, names=["month", "row"])
    window = (
        allc["epidemic"]
        & (allc["kind"] != CONSULTATION)
        & (allc["registered_at"] >= EPIDEMIC_START)
        & (allc["registered_at"] <= EPIDEMIC_CUTOFF)
    )
    _check(int(window.sum()) == EPIDEMIC_WINDOW_TOTAL, f"epidemic window holds {int(window.sum())}")
    open_now = window & ~(allc["closed_at"] <= EPIDEMIC_CUTOFF)
    need = EPIDEMIC_WINDOW_TOTAL - EPIDEMIC_WINDOW_CLOSED - int(open_now.sum())
    _check(need >= 0, f"too many epidemic cases open at the cutoff ({-need} over)")
    pool = window & ~open_now & (allc["kind"] == REPORT) & (allc["special"] == "")
    pool &= allc["registered_at"] < pd.Timestamp("2022-01-01")
    chosen = rng.choice(np.flatnonzero(pool.to_numpy()), size=need, replace=False)
    keys = allc.index[chosen]
    first = pd.Timestamp("2022-02-08")
    for (month, row), d, t in zip(
        keys, rng.integers(0, 296, size=need), rng.integers(540, 1020, size=need), strict=True
    ):
        df = frames[month]
        df.at[row, "closed_at"] = first + pd.Timedelta(days=int(d)) + int(t) * _MIN
        df.at[row, "filed"] = True


def _assign_ids(df: pd.DataFrame, reserved: dict[dt.date, int]) -> pd.DataFrame:
    """Sort by registration and number the cases per day: yyyymmdd + 4-digit daily sequence."""
    df = df.sort_values(["registered_at", "kind"], kind="stable").reset_index(drop=True)
    day = df["registered_at"].dt.date
    seq = df.groupby(day).cumcount().to_numpy() + 1 + np.array([reserved.get(d, 0) for d in day])
    df["case_id"] = [f"{d:%Y%m%d}{s:04d}" for d, s in zip(day, seq, strict=True)]
    specials = df["special"].to_numpy()
    for i in np.flatnonzero([bool(s) and s != "spike" for s in specials]):
        _check(df.at[i, "case_id"] == specials[i], f"special case {specials[i]} got id {df.at[i, 'case_id']}")
    return df


def _finish(df: pd.DataFrame) -> None:
    """Cut the events off at the export time; open cases get a stage, closed ones keep amounts."""
    for col in ("accepted_at", "first_contact_at", "verified_at", "closed_at"):
        df[col] = df[col].astype("datetime64[ns]")
        df.loc[df[col] > EXPORT_AT, col] = pd.NaT
    still_open = df["closed_at"].isna()
    df.loc[still_open, "recovered_loss"] = 0.0
    df.loc[still_open, "complaint_to_case"] = False
    df["filed"] = df["filed"].astype(bool)
    df["complaint_to_case"] = df["complaint_to_case"].astype(bool)


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

# stage words per variant: closed, complaint accepted and open, complaint not accepted, report open
_STAGES = {
    2020: ("已办结", "处理中", "待受理", "处理中"),
    2021: ("办结", "办理中", "待受理", "办理中"),
    2022: ("已办结", "调解中", "待受理", "核查中"),
}
_DATE_FIELDS = ("registered_at", "accepted_at", "first_contact_at", "verified_at", "closed_at")
_EXCEL_EPOCH_DT = dt.datetime(1899, 12, 30)


def _fmt_date(ts: dt.datetime, code: int) -> Any:
    if code == 0:
        return f"{ts.year}-{ts.month:02d}-{ts.day:02d} {ts.hour:02d}:{ts.minute:02d}:{ts.second:02d}"
    if code == 1:
        return f"{ts.year}/{ts.month}/{ts.day} {ts.hour}:{ts.minute:02d}"
    if code == 2:
        return f"{ts.year}年{ts.month}月{ts.day}日 {ts.hour:02d}:{ts.minute:02d}"
    if code == 3:
        return ts
    if code == 4:
        return (ts - _EXCEL_EPOCH_DT) / dt.timedelta(days=1)
    return f"{ts.year}-{ts.month:02d}-{ts.day:02d}"


def _fmt_amount(value: float, code: int, xlsx: bool) -> Any:
    if value == 0:
        return (None, "0", "0.00", 0)[code] if xlsx or code < 3 else "0"
    if code == 0:
        return f"{value:,.2f}"
    if code == 1:
        return f"{value:g}元"
    if code == 3 and xlsx:
        return value
    return f"{value:g}"


@dataclass
class _File:
    month: str
    name: str
    encoding: str | None  # None for xlsx
    headers: list[str]
    rows: list[list[Any]]  # data rows only (good and bad)

    @property
    def title(self) -> str:
        return f"宽城市场监管分局12315投诉举报登记表（{int(self.month[:4])}年{int(self.month[5:])}月）"


def _cells(df: pd.DataFrame, year: int, xlsx: bool, rng: np.random.Generator) -> tuple[list[list[Any]], dict]:
    """Format each case as an export row; return rows and the canonical values they parse to."""
    n = len(df)
    cols = _VARIANTS[year]
    p_date = [0.45, 0.15, 0.10, 0.20, 0.10] if xlsx else [0.6, 0.25, 0.15]
    codes = {f: rng.choice(len(p_date), size=n, p=p_date) for f in _DATE_FIELDS}
    date_only = rng.random(n) < (0.6 if year == 2021 else 0.08)
    amount_code = rng.choice(4, size=n, p=[0.4, 0.25, 0.2, 0.15] if xlsx else [0.45, 0.3, 0.25, 0.0])
    blank_flag = rng.random((n, 3)) < 0.15
    urge_code = rng.integers(0, 2, size=n)
    show_id = rng.random(n) < 0.4
    stages = _STAGES[year]
    canon: dict[str, list[Any]] = {f: [] for f in _DATE_FIELDS}
    dates = {f: df[f].to_numpy(dtype="datetime64[us]").astype(object).tolist() for f in _DATE_FIELDS}
    plain = {c: [_text(v) for v in df[c].tolist()] for c in _TEXT_COLUMNS}
    kinds, losses, urges = df["kind"].tolist(), df["recovered_loss"].tolist(), df["urges"].tolist()
    flag_values = {f: df[f].tolist() for f in _FLAGS}
    fields = [f for _, f in cols]
    rows = []
    for i in range(n):
        values: dict[str, Any] = {c: plain[c][i] for c in _TEXT_COLUMNS}
        for f in _DATE_FIELDS:
            ts = dates[f][i]
            if ts is None:
                values[f] = None
                canon[f].append(None)
                continue
            code = int(codes[f][i])
            if f == "closed_at" and date_only[i]:
                day = dt.datetime(ts.year, ts.month, ts.day)
                if all(day >= dates[g][i] for g in _DATE_FIELDS[:4] if dates[g][i] is not None):
                    code = 5
            values[f] = _fmt_date(ts, code)
            canon[f].append(dt.datetime(ts.year, ts.month, ts.day) if code == 5 else ts)
        kind = kinds[i]
        if dates["closed_at"][i] is not None:
            stage = stages[0]
        elif kind == COMPLAINT:
            stage = stages[1] if dates["accepted_at"][i] is not None else stages[2]
        else:
            stage = stages[3]
        for j, f in enumerate(_FLAGS):
            values[f] = "是" if flag_values[f][i] else (None if blank_flag[i, j] else "否")
        values.update(
            row_no=i + 1,
            kind=kind,
            stage=stage,
            recovered_loss=_fmt_amount(losses[i], int(amount_code[i]), xlsx),
            urges=_fmt_urges(int(urges[i]), bool(urge_code[i]), xlsx),
        )
        if kind == CONSULTATION or not show_id[i]:
            values["idno"] = None
        rows.append([values[f] for f in fields])
    stage_col = fields.index("stage")
    canon["stage"] = [r[stage_col] for r in rows]
    return rows, canon


_TEXT_COLUMNS = ("case_id", "unit", "channel", "goods_category", "problem_category", "respondent", "content",
                 "name", "phone", "idno", "address")  # fmt: skip


def _text(value: Any) -> str | None:
    """A text cell; None (blank) for missing values."""
    return (
        None
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))
        else str(value)
    )


def _fmt_urges(n: int, alt: bool, xlsx: bool) -> Any:
    """催办次数 as a number cell, text, or blank for 0."""
    if xlsx and alt:
        return n
    return str(n) if n or alt else None


def _bad_rows(month: str, year: int, xlsx: bool) -> list[tuple[int, list[Any]]]:
    """The planted bad rows of `month`'s file, with their data positions."""
    out = []
    cols = [f for _, f in _VARIANTS[year]]
    for bad in PLANTED_BAD_ROWS:
        if bad["file"] != sample_file_name(month):
            continue
        case_id = bad["case_id"]
        day = dt.date.fromisoformat(f"{month}-{int(case_id[6:8]) if case_id else 20:02d}")
        reg = _at(day, "08:05" if bad["reason"] == "duplicate_conflict" else "10:20")
        values: dict[str, Any] = {
            "row_no": 0, "case_id": case_id, "kind": COMPLAINT, "registered_at": _fmt_date(reg, 0),
            "unit": "兴业所", "channel": "电话", "accepted_at": _fmt_date(reg + pd.Timedelta(minutes=50), 0),
            "first_contact_at": _fmt_date(reg + pd.Timedelta(minutes=70), 0), "verified_at": None,
            "closed_at": _fmt_date(reg + pd.Timedelta(days=5, hours=4), 0), "stage": _STAGES[year][0],
            "recovered_loss": "0", "filed": "否", "complaint_to_case": "否", "epidemic": "否",
            "goods_category": "服装鞋帽", "problem_category": "质量", "urges": "0",
            "respondent": "宽城区优品服装店", "content": "在宽城区优品服装店购买羽绒服，穿了一周即开线跑绒，要求退货退款。",
            "name": "赵女士", "phone": "13756201984", "idno": None, "address": "长春市宽城区长江路88号",
        }  # fmt: skip
        reason = bad["reason"]
        if reason == "duplicate_conflict":
            values.update(
                unit="凯旋所", goods_category="通讯器材", respondent="宽城区众诚通讯器材店",
                content="在宽城区众诚通讯器材店购买蓝牙耳机，充电后无法开机，商家称人为损坏拒绝维修，要求更换。",
            )  # fmt: skip
        elif reason == "missing_id":
            values["case_id"] = None
        elif reason == "date":
            values["registered_at"] = bad["value"]
        else:
            values[bad["field"]] = bad["value"]
        out.append((bad["line"] - _HEADER_ROWS - 1, [values[f] for f in cols]))
    return sorted(out, key=lambda t: t[0])


def _reserved_days(month: str) -> dict[dt.date, int]:
    out: dict[dt.date, int] = {}
    for bad in PLANTED_BAD_ROWS:
        cid = bad["case_id"]
        if bad["file"] == sample_file_name(month) and cid and bad["reason"] != "duplicate_conflict":
            d = dt.date(int(cid[:4]), int(cid[4:6]), int(cid[6:8]))
            out[d] = out.get(d, 0) + 1
    return out


@functools.lru_cache(maxsize=2)
def _build(seed: int) -> tuple[pd.DataFrame, tuple[_File, ...]]:
    frames = {m: _simulate_month(m, seed) for m in MONTHS}
    _apply_specials(frames, seed)
    _january_2022_amounts(frames["2022-01"], np.random.default_rng([seed, 0, 0, 4]))
    _epidemic_closures(frames, seed)
    files, canon_frames = [], []
    for m in MONTHS:
        year, mon = int(m[:4]), int(m[5:])
        df = _assign_ids(frames[m], _reserved_days(m))
        _finish(df)
        _texts(df, np.random.default_rng([seed, year, mon, 5]))
        xlsx = m not in CSV_ENCODINGS
        rows, canon = _cells(df, year, xlsx, np.random.default_rng([seed, year, mon, 6]))
        name = sample_file_name(m)
        lines = np.arange(len(rows)) + _HEADER_ROWS + 1
        for pos, bad in _bad_rows(m, year, xlsx):
            rows.insert(pos, bad)
            lines[lines >= pos + _HEADER_ROWS + 1] += 1
        if year == 2022:
            row_no_col = HEADER_VARIANTS[2022].index("序号")
            for k, r in enumerate(rows):
                r[row_no_col] = k + 1
        files.append(_File(m, name, CSV_ENCODINGS.get(m), HEADER_VARIANTS[year], rows))
        out = df.drop(
            columns=[c for c in ("name", "phone", "idno", "address", "closed_by_cutoff") if c in df]
        )
        for f, v in canon.items():
            out[f] = v
        out["source_file"] = name
        out["source_line"] = lines
        canon_frames.append(out)
    cases = pd.concat(canon_frames, ignore_index=True)
    cases["unit"] = cases["unit"].where(cases["unit"].notna(), None)
    cases["respondent"] = cases["respondent"].where(cases["respondent"].notna(), None)
    return conform(cases), tuple(files)


# ---------------------------------------------------------------------------------------------
# Public API.


def generate_cases(seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The good cases of the sample exports as the canonical case table (content unmasked)."""
    cases, _ = _build(seed)
    return cases.copy()


def _write_xlsx(path: Path, f: _File, note: str) -> None:
    wb = xlsxwriter.Workbook(
        str(path),
        {
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    wb.set_properties({"created": _XLSX_CREATED, "author": "12315", "title": f.title})
    ws = wb.add_worksheet("登记表")
    ncol = len(f.headers)
    ws.merge_range(
        0, 0, 0, ncol - 1, f.title, wb.add_format({"bold": True, "align": "center", "font_size": 14})
    )
    ws.write_string(1, 0, note)
    ws.write_row(2, 0, f.headers, wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}))
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    put_str, put_num, put_dt = ws.write_string, ws.write_number, ws.write_datetime
    for r, row in enumerate(f.rows, start=_HEADER_ROWS):
        for c, v in enumerate(row):
            t = type(v)
            if t is str:
                put_str(r, c, v)
            elif t is float or t is int:
                put_num(r, c, v)
            elif t is dt.datetime:
                put_dt(r, c, v, date_fmt)
    ws.write_string(_HEADER_ROWS + len(f.rows), 0, f"合计：{len(f.rows)}条")
    ws.set_column(0, ncol - 1, 14)
    ws.freeze_panes(_HEADER_ROWS, 0)
    wb.close()


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _write_csv(path: Path, f: _File, note: str) -> None:
    assert f.encoding is not None
    with path.open("w", encoding=f.encoding, newline="") as fh:
        w = csv.writer(fh)
        pad = [""] * (len(f.headers) - 1)  # as Excel saves a sheet: every row as wide as the table
        w.writerow([f.title, *pad])
        w.writerow([note, *pad])
        w.writerow(f.headers)
        for row in f.rows:
            w.writerow([_csv_cell(v) for v in row])
        w.writerow([f"合计：{len(f.rows)}条", *pad])


def write_sample(out_dir: str | Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write one export file per month into `out_dir`; byte-for-byte deterministic."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _, files = _build(seed)
    paths = []
    for k, f in enumerate(files):
        exported = _NOTE_AT + dt.timedelta(seconds=47 * k)
        note = f"导出时间：{exported:%Y-%m-%d %H:%M:%S}    共 {len(f.rows)} 条"
        path = out / f.name
        (_write_csv if f.encoding else _write_xlsx)(path, f, note)
        paths.append(path)
    return paths


def ensure_sample(out_dir: str | Path | None = None, seed: int = DEFAULT_SEED) -> Path:
    """Write the sample into `out_dir` (default data/sample) unless it is already there; return the dir."""
    out = Path(out_dir) if out_dir is not None else DEFAULT_SAMPLE_DIR
    marker = out / MARKER_NAME
    names = {sample_file_name(m) for m in MONTHS}
    if is_current(out, seed):
        return out
    out.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    for stale in _stale(out.glob("12315_*.*"), names):
        stale.unlink()
    write_sample(out, seed)
    marker.write_text(marker_text(seed), encoding="utf-8")
    return out


def _stale(paths: Iterable[Path], keep: set[str]) -> list[Path]:
    return [p for p in paths if p.suffix in (".xlsx", ".csv") and p.name not in keep]
