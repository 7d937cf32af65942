"""Working days and the hand-written special cases (overdue, typical, with numbers or markup)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import chinese_calendar
import pandas as pd

from kwstats.demo.design import _ID_A, _ID_B, DUPLICATED_CASE_ID, TYPICAL_CASE_ID, XSS_CASE_ID
from kwstats.schema import COMPLAINT, CONSULTATION, REPORT

# ---------------------------------------------------------------------------------------------
# Working days and the special cases.


def _check(ok: bool, what: str) -> None:
    """A broken design invariant of the generator (a bug here, not bad input)."""
    if not ok:
        raise RuntimeError(f"kwstats.demo: {what}")


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
