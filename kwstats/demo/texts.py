"""Text: respondents, contents and personal data (all fake)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kwstats.demo.design import PLANTED_SPIKE
from kwstats.schema import CONSULTATION, REPORT

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
