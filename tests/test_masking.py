"""Masking of personal data in text: shapes (mask_text) and a row's own values (mask_known).

Expected values are worked by hand from the documented rule: a mobile keeps its first 3 and last 4
digits, a landline its area code and last 4, an ID number its first 6 and last 4, a bank card its
first and last 4, a bare local number its last 4; the layout (separators) is kept and the masked
number comes out in ASCII. The property tests build numbers in every layout themselves and check
that none survives.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kwstats.masking import KnownValues, mask_known, mask_known_rows, mask_series, mask_text, personal_header

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13812345678", "138****5678"),
        ("联系电话：13812345678，请回电", "联系电话：138****5678，请回电"),
        ("手机19912345678。", "手机199****5678。"),
        ("+8613812345678", "+86138****5678"),
        ("138-1234-5678", "138-****-5678"),
        ("身份证号22010219900101123X", "身份证号220102********123X"),
        ("身份证 220102199001011234 号", "身份证 220102********1234 号"),
        ("id 22010219900101123x", "id 220102********123x"),
        ("座机0431-85551234", "座机0431-****1234"),
        ("座机043185551234", "座机0431****1234"),
        ("座机(0431)85551234", "座机(0431)****1234"),
        ("（0431）8555123", "(0431)***5123"),
        ("北京010-12345678", "北京010-****5678"),
        # full-width digits are matched; the masked number comes out in ASCII, the rest stays
        ("电话１３８１２３４５６７８，请回电（谢谢）。", "电话138****5678，请回电（谢谢）。"),
        ("电话：１３８－１２３４－５６７８。", "电话：138-****-5678。"),
        ("身份证２２０１０２１９９００１０１１２３Ｘ", "身份证220102********123X"),
        # separators inside mobiles
        ("138.1234.5678", "138.****.5678"),
        ("138 1234 5678", "138 **** 5678"),
        ("手机 139 1234-5678 或", "手机 139 ****-5678 或"),
        ("+86 138 1234 5678", "+86 138 **** 5678"),
        # ID numbers written 6-8-4 with spaces, and 15-digit old ID numbers
        ("身份证 220102 19900101 1234", "身份证 220102 ******** 1234"),
        ("身份证220102 199001011234", "身份证220102 ********1234"),
        ("老身份证220102900101123号", "老身份证220102******123号"),
        ("110105491231002", "110105******002"),
        # masking a number sets a neighbour free: it is masked too
        ("13812340431-85551234", "138****0431-****1234"),
    ],
)
def test_patterns(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # mobile layouts of issue 7
        ("0086 138 0000 0003", "0086 138 **** 0003"),
        ("008613800000003", "0086138****0003"),
        ("+86-138-0000-0003", "+86-138-****-0003"),
        ("(+86)13800000003", "(+86)138****0003"),
        ("138—0000—0003", "138-****-0003"),
        ("138——0000——0003", "138--****--0003"),
        ("138–0000–0003", "138-****-0003"),
        ("138\u00a00000\u00a00003", "138 **** 0003"),
        ("138\u30000000\u30000003", "138 **** 0003"),
        ("138  0000  0003", "138  ****  0003"),
        ("138 - 0000 - 0003", "138 - **** - 0003"),
        ("138_1234_5678", "138_****_5678"),
        ("138/1234/5678", "138/****/5678"),
        ("138一1234一5678", "138-****-5678"),
        ("138 12345678", "138 ****5678"),
        ("1381234 5678", "138**** 5678"),
        ("1381 2345 678", "138* ***5 678"),
        ("电话：١٣٨١٢٣٤٥٦٧٨", "电话：138****5678"),  # Arabic-Indic digits
        ("138\u200b1234\u200b5678", "138 **** 5678"),  # zero-width spaces count as spaces
        # landlines
        ("0431-8000-0004", "0431-****-0004"),
        ("0431 8000 0005", "0431 **** 0005"),
        ("(0431)8000-0006", "(0431)****-0006"),
        ("（0431）80000007", "(0431)****0007"),
        ("( 0431 ) 8000 0008", "( 0431 ) **** 0008"),
        ("+86 431 8555 1234", "+86 431 **** 1234"),
        ("0086-10-12345678", "0086-10-****5678"),
        # a bare local number after a keyword
        ("电话8555123", "电话***5123"),
        ("座机：8555-1234", "座机：****-1234"),
        ("联系方式：85551234。", "联系方式：****1234。"),
        ("Tel: 85551234", "Tel: ****1234"),
        ("TEL：8555 1234", "TEL：**** 1234"),
        ("联系电话（座机）85551234", "联系电话（座机）****1234"),
        # ID numbers in other layouts
        ("220102-19900307-0006", "220102-********-0006"),
        ("220102 19900307 0006", "220102 ******** 0006"),
        ("220102 1990 0307 0006", "220102 **** **** 0006"),
        ("220102-1990-03-07-000x", "220102-****-**-**-000x"),
        ("身份证：２２０１０２　１９９００３０７　０００６", "身份证：220102 ******** 0006"),
        # e-mail addresses
        ("邮箱 zhang.san@qq.com 联系", "邮箱 ***@qq.com 联系"),
        ("联系13812345678@163.com", "联系***@163.com"),
        ("ｗａｎｇ＠ｆｏｏｍａｉｌ．ｃｎ", "***@foomail.cn"),
        ("a_b+c@mail.example.org。", "***@mail.example.org。"),
        # bank cards: grouped always; contiguous when Luhn-valid with a card's first digit, or named
        ("卡号 6222 0212 3456 7890", "卡号 6222 **** **** 7890"),
        ("6222-0212-3456-7890-123", "6222-****-****-***0-123"),
        ("6222 0212 3456 7890123", "6222 **** **** ***0123"),
        ("退款到4111111111111111", "退款到4111********1111"),  # the well-known Visa test number
        ("6200000000000005", "6200********0005"),  # the UnionPay test number
        ("银行卡号：4111111111111112", "银行卡号：4111********1112"),  # fails Luhn, but named
        ("账户 1234567890123456789", "账户 1234***********6789"),
    ],
)
def test_issue_7_layouts(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # any standalone run of 16-19 digits is a card number, whatever its check digit and column
        ("兰家所 6228480012345678", "兰家所 6228********5678"),  # fails the Luhn check
        ("网络6228480012340204", "网络6228********0204"),
        ("兰家所 6222020200112233999", "兰家所 6222***********3999"),  # 19 digits
        ("订单号 202201050001234567", "订单号 2022**********4567"),  # 18 digits, no birth date in it
        ("订单号 4111111111111112", "订单号 4111********1112"),
        # mobiles written 3-4-4 with commas, 、 or over several lines (a cell split over lines)
        ("可回电138，1234，0013联系", "可回电138，****，0013联系"),
        ("138、1234、0021", "138、****、0021"),
        ("138,1234,0022", "138,****,0022"),
        ("138\n1234\n0023", "138\n****\n0023"),
        ("138\r\n1234\r\n0023", "138\r\n****\r\n0023"),
        ("138， 1234， 0024", "138， ****， 0024"),
        # a space between every two digits
        ("回电 1 3 8 1 2 3 4 0 0 1 9 。", "回电 1 3 8 * * * * 0 0 1 9 。"),
        ("2 2 0 1 0 2 1 9 9 0 0 3 0 7 0 0 0 6", "2 2 0 1 0 2 * * * * * * * * 0 0 0 6"),  # an ID number
        # Chinese numerals (幺 = 1, 两 = 2, 〇 / 零 = 0), also mixed with digits or spaced
        ("一三八一二三四〇〇一四", "138****0014"),
        ("幺三八一二三四零零二四", "138****0024"),
        ("电话：一三九 两两三四 五六七八。", "电话：139 **** 5678。"),
        ("138一二三四〇〇一五", "138****0015"),
        ("身份证二二〇一〇二一九九〇〇三〇七〇〇〇六", "身份证220102********0006"),
        ("壹叁捌壹贰叁肆零零壹陆", "138****0016"),
        # e-mail addresses written with spaces or to fool a scraper: (at), [at], 【at】, #, (dot)
        ("zhaoliu @ 126.com", "*** @ 126.com"),
        ("abc123(at)qq.com", "***(at)qq.com"),
        ("发到abc123（at）qq.com", "发到***(at)qq.com"),
        ("wang[AT]example.com.cn", "***[AT]example.com.cn"),
        ("li【at】qq.com", "***【at】qq.com"),
        ("abc#qq.com", "***#qq.com"),
        ("zhao(at)foo(dot)cn", "***(at)foo(dot)cn"),
        # a QQ number after its name
        ("QQ号 123456789", "QQ号 *******89"),
        ("qq：10001", "qq：***01"),
    ],
)
def test_adversarial_layouts(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "退一赔三",
        "一二三四五六七八九〇一二",  # 12 Chinese numerals: no number of any shape
        "二〇二二年一月五日",
        "三三两两",
        "3#1.5米",  # no domain
        "C#.net",
        "wx(at)foo",
        "1 2 3 4 5",
        "T 1 2 3 4 5 6 7 8 9 0 1 2",  # 12 spaced digits: no shape
        "1,234,567元",
        "件号1220103002022010500123",
    ],
)
def test_adversarial_lookalikes_untouched(text: str) -> None:
    assert mask_text(text) == text


def test_the_rows_case_id_is_no_card_number() -> None:
    case_id = "202401050001234567"  # 18 digits, no ID number (no birth date at 7-14)
    assert mask_text(case_id, keep=case_id) == case_id
    assert mask_text(f"与{case_id}同一人", keep=case_id) == f"与{case_id}同一人"
    # another number of that length is masked; keep protects nothing else
    assert mask_text("卡6228480012345678", keep=case_id) == "卡6228********5678"
    assert mask_text("13812345678", keep="13812345678") == "138****5678"
    s = pd.Series(["6228480012345678", "6228480012345678", None], dtype="string")
    ids = pd.Series(["6228480012345678", "T1", "T2"], dtype="string")
    assert mask_series(s, keep=ids).tolist()[:2] == ["6228480012345678", "6228********5678"]
    assert mask_series(s, keep=ids).isna().tolist() == [False, False, True]


@pytest.mark.parametrize(
    "text",
    [
        "2022-01-05 09:31:00 登记",
        "2022/1/5 9:31",
        "2022年1月5日",
        "2022年1月5日 13时31分",
        "挽回经济损失60800元",
        "金额1,200.00元",
        "1,234.50",
        "件号1220103002022010500123",  # long case id: more than 19 digits
        "工单20220105000123",  # 14 digits
        "数量12345678901234",
        "12315 热线",
        "热线12315",
        "电话投诉 3 件",
        "电话2022年1月5日回访",
        "0.5 元",
        "件号202201110001",  # 12-digit case id
        "202201110001 202201110002",
        "20220105",
        "T1",
        "TS2022010500012",
        "订单号 202201050001234",  # 15 digits, but no plausible YYMMDD after a province code
        "220102900230123",  # 15 digits, province code, but 30 February
        "910102900101123",  # 15 digits, no mainland province code
        "２０２２年１月５日，金额１，２００元。",  # full-width non-personal digits stay full-width
        "2022.01.05",
        "1,200.00元 138.12 元",
        "138.1234",  # an amount, not half a mobile
        "版本 1.138.1234",
        "no digits here @ all",
        "@宽城分局",
        "12345678",  # a bare 8-digit number without a keyword
    ],
)
def test_non_personal_numbers_untouched(text: str) -> None:
    assert mask_text(text) == text


def test_invisible_characters_kept_when_nothing_is_masked() -> None:
    text = "站前所\u200b食品"
    assert mask_text(text) == text


def test_none_and_na_pass_through() -> None:
    assert mask_text(None) is None
    assert mask_text(pd.NA) is pd.NA
    assert mask_text("") == ""
    assert mask_text(12) == 12


def test_mask_series_vectorised_and_keeps_missing() -> None:
    s = pd.Series(["电话13812345678", None, "无号码", "0431-85551234"], dtype=object)
    out = mask_series(s)
    assert out.tolist()[0] == "电话138****5678"
    assert out.isna().tolist() == [False, True, False, False]
    assert out.tolist()[2:] == ["无号码", "0431-****1234"]


def test_idempotent_examples() -> None:
    text = "13812345678 22010219900101123X 0431-85551234 043185551234 +8613912345678 a@b.cn 电话8555 1234"
    once = mask_text(text)
    assert mask_text(once) == once
    # found by hypothesis: the digits left after a masked run joined 一 and the digits after it into
    # a 17-digit card number only on the second call
    once = mask_text("+8613000000000100000一200001010000")
    assert once == "+8613***********0000*********0000" and mask_text(once) == once


# ---------------------------------------------------------------------------------------------
# property tests: numbers in every layout

_FW = str.maketrans("0123456789", "０１２３４５６７８９")
_AR = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_TO_ASCII = str.maketrans("０１２３４５６７８９٠١٢٣٤٥٦٧٨٩ＸＸ", "01234567890123456789XX")
_SEPS = [" ", "  ", "-", "—", "——", "–", "－", "_", "/", "\u00a0", "\u3000", " - ", "\u2009", "一", "\u200b"]


def _render(digits: str, cuts: list[int], seps: list[str], script: str) -> str:
    """`digits` split at `cuts` with the separators `seps`, in ASCII, full-width or Arabic-Indic."""
    table = {"ascii": None, "full": _FW, "arabic": _AR}[script]
    out, prev = [], 0
    for cut, sep in zip(cuts, seps, strict=False):
        out += [digits[prev:cut], sep]
        prev = cut
    out.append(digits[prev:])
    text = "".join(out)
    return text.translate(table) if table else text


def _layout(digits: st.SearchStrategy[str], groupings: list[list[int]]) -> st.SearchStrategy[tuple[str, str]]:
    """(plain digits, rendered) for numbers drawn from `digits` written in one of `groupings`."""

    @st.composite
    def build(draw: st.DrawFn) -> tuple[str, str]:
        d = draw(digits)
        cuts = draw(st.sampled_from(groupings))
        seps = draw(st.lists(st.sampled_from(_SEPS), min_size=len(cuts), max_size=len(cuts)))
        script = draw(st.sampled_from(["ascii", "ascii", "full", "arabic"]))
        return d, _render(d, cuts, seps, script)

    return build()


def _d(n: int) -> st.SearchStrategy[str]:
    """n random digits (plain strategies: from_regex is slow to draw from)."""
    return st.text("0123456789", min_size=n, max_size=n)


def _join(*parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(*parts).map("".join)


def _one(choices: str | list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(list(choices))


_mobile_digits = _join(st.just("1"), _one("3456789"), _d(9))
_mobile = st.one_of(
    _layout(_mobile_digits, [[], [3, 7], [3], [7], [4, 8]]),
    _mobile_digits.map(lambda d: (d, f"{d[:3]}.{d[3:7]}.{d[7:]}")),
    st.tuples(
        _mobile_digits, st.sampled_from(["+86", "+86 ", "0086", "0086-", "86", "(+86)", "＋８６ "])
    ).map(lambda t: (t[0], t[1] + t[0])),
    _mobile_digits.map(lambda d: (d, " ".join(d))),  # a space between every two digits
)
_landline_digits = _join(
    st.one_of(st.just("010"), _join(st.just("02"), _d(1)), _join(st.just("0"), _one("3456789"), _d(2))),
    _one("23456789"),
    st.one_of(_d(6), _d(7)),
)


def _landline_cuts(d: str) -> list[list[int]]:
    area = 3 if d[1] in "12" else 4
    return [[], [area], [area, len(d) - 4]]


_landline = _landline_digits.flatmap(lambda d: _layout(st.just(d), _landline_cuts(d)))
_landline_paren = _landline_digits.map(
    lambda d: (d, f"（{d[:3]}）{d[3:]}" if d[1] in "12" else f"({d[:4]}) {d[4:]}")
)
_local_kw = st.tuples(
    st.sampled_from(["电话", "座机", "联系电话：", "Tel ", "手机号码是", "联系方式："]),
    _join(_one("23456789"), st.one_of(_d(6), _d(7))),
    st.sampled_from([[], [-4]]),
    st.sampled_from([" ", "-", "—"]),
).map(lambda t: (t[1], t[0] + (_render(t[1], [len(t[1]) - 4], [t[3]], "ascii") if t[2] else t[1])))
_id18_digits = st.tuples(
    _join(_one("123456789"), _d(5)),
    st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)),
    _d(3),
    _one("0123456789X"),
).map(lambda t: f"{t[0]}{t[1]:%Y%m%d}{t[2]}{t[3]}")
_id18 = _layout(_id18_digits, [[], [6, 14], [6, 10, 14], [6], [14], [6, 10, 12, 14]])
_id15_digits = st.tuples(
    _one(["11", "22", "37", "44", "65"]), _d(4), st.dates(dt.date(1900, 1, 1), dt.date(1999, 12, 31)), _d(3)
).map(lambda t: f"{t[0]}{t[1]}{t[2]:%y%m%d}{t[3]}")
_id15 = _layout(_id15_digits, [[], [6, 12]])
_card_grouped = _layout(
    _join(_one("34569"), st.one_of(_d(15), _d(16), _d(17), _d(18))),
    [[4, 8, 12], [4, 8, 12, 16]],
)


def _luhn_complete(body: str) -> str:
    """`body` + its Luhn check digit (worked digit by digit, independently of the code under test)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # these become the odd positions from the right once the check digit is added
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def test_luhn_helper_on_known_numbers() -> None:
    assert _luhn_complete("411111111111111") == "4111111111111111"
    assert _luhn_complete("620000000000000") == "6200000000000005"
    assert _luhn_complete("7992739871") == "79927398713"  # the textbook example


_card_luhn = (
    st.tuples(
        st.sampled_from(["62", "4", "51", "55", "9", "35"]),
        st.integers(16, 19),
        st.text("0123456789", min_size=18, max_size=18),
    )
    .map(lambda t: _luhn_complete((t[0] + t[2])[: t[1] - 1]))
    .map(lambda d: (d, d))
)
# any run of 16-19 digits is a card number, whatever its check digit
_card_plain = st.integers(16, 19).flatmap(_d).map(lambda d: (d, d))
_personal = st.one_of(
    _mobile, _landline, _landline_paren, _local_kw, _id18, _id15, _card_grouped, _card_luhn, _card_plain
)
_noise = st.text(alphabet="投诉本人请回电话：，。（）() -+.XxAbc元年月日\u3000－．", max_size=6)


def _digits_and_stars(text: str) -> str:
    """The text's digits (any script) and stars, everything else removed."""
    return re.sub(r"[^0-9*Xx]", "", text.translate(_TO_ASCII).upper())


@settings(max_examples=600, deadline=None)
@given(_noise, _personal, _noise)
def test_no_number_survives_in_any_layout(before: str, planted: tuple[str, str], after: str) -> None:
    digits, rendered = planted
    # the noise holds no digits, so the number stands alone; keep a letter from gluing onto an X
    masked = mask_text(f"{before}{rendered}。{after}")
    assert "*" in masked, rendered
    assert digits.upper() not in _digits_and_stars(masked), (rendered, masked)


_emails = st.tuples(
    st.text("abcxyz", min_size=1, max_size=3),
    st.text("abc019._", max_size=8),
    st.text("az09", min_size=1, max_size=2),
    st.text("qmail0163", min_size=1, max_size=8),
    _one(["com", "cn", "net"]),
).map(lambda t: f"{t[0]}{t[1]}{t[2]}@{t[3]}.{t[4]}")


@settings(max_examples=200, deadline=None)
@given(_noise, _emails, st.sampled_from(["", "，", " ", "。"]))
def test_no_email_survives(before: str, email: str, after: str) -> None:
    local = email.split("@")[0]
    masked = mask_text(f"{before} {email}{after}")
    assert email not in masked
    assert f"{local}@" not in masked
    assert "***@" + email.split("@")[1] in masked


_AT_FORMS = [" @ ", "@ ", "(at)", "（at）", "[AT]", "【at】", "#", " (at) "]


@settings(max_examples=200, deadline=None)
@given(_noise, _emails, st.sampled_from(_AT_FORMS), st.sampled_from(["", "，", " ", "。"]))
def test_no_obfuscated_email_survives(before: str, email: str, at: str, after: str) -> None:
    local, domain = email.split("@")
    masked = mask_text(f"{before} {local}{at}{domain}{after}")
    assert f"{local}{at}" not in masked, masked
    assert "***" in masked and domain in masked


# Chinese numerals, each digit in one of its forms (or left a digit), spaces between some of them
_CN_FORMS = {
    "0": "〇零", "1": "一幺壹", "2": "二两贰", "3": "三叁", "4": "四肆",
    "5": "五伍", "6": "六陆", "7": "七柒", "8": "八捌", "9": "九玖",
}  # fmt: skip
_CN_TO_ASCII = str.maketrans({c: d for d, forms in _CN_FORMS.items() for c in forms})


@st.composite
def _in_chinese(draw: st.DrawFn) -> tuple[str, str]:
    d = draw(st.one_of(_mobile_digits, _id18_digits.filter(lambda x: x[-1] != "X"), _id15_digits))
    chars = [draw(st.sampled_from(_CN_FORMS[ch] + (ch if k else ""))) for k, ch in enumerate(d)]
    cuts = draw(st.sets(st.integers(1, len(d) - 1), max_size=3))
    seps = {c: draw(st.sampled_from([" ", "\u3000"])) for c in cuts}
    return d, "".join(seps.get(k, "") + ch for k, ch in enumerate(chars))


@settings(max_examples=300, deadline=None)
@given(_noise, _in_chinese(), _noise)
def test_no_number_in_chinese_numerals_survives(before: str, planted: tuple[str, str], after: str) -> None:
    digits, rendered = planted
    masked = mask_text(f"{before}{rendered}。{after}")
    assert "*" in masked, rendered
    assert digits not in _digits_and_stars(masked.translate(_CN_TO_ASCII)), (rendered, masked)


@settings(max_examples=200, deadline=None)
@given(_noise, _mobile_digits, st.sampled_from([",", "，", "、", "\n", "\r\n", "， ", " 、 "]), _noise)
def test_mobile_split_by_commas_or_lines_never_survives(before: str, d: str, sep: str, after: str) -> None:
    masked = mask_text(f"{before}{d[:3]}{sep}{d[3:7]}{sep}{d[7:]}。{after}")
    assert d not in _digits_and_stars(masked), masked


# random concatenations: whatever the neighbours, no standalone mobile survives
_digits = st.text(alphabet="0123456789", min_size=1, max_size=20)
_SEPARATED_MOBILE = re.compile(r"(?<!\d)1[3-9]\d(?:[- ]?\d{4}[- ]?|\.\d{4}\.)\d{4}(?!\d)")
_piece = st.one_of(_digits, _personal.map(lambda t: t[1]), _noise)
_texts = st.lists(_piece, max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(_texts)
def test_no_mobile_number_survives(text: str) -> None:
    masked = mask_text(text).translate(_TO_ASCII).replace("\u3000", " ").replace("－", "-").replace("．", ".")
    assert MOBILE.search(masked) is None
    assert _SEPARATED_MOBILE.search(masked) is None


# Pieces that stand alone (between Chinese punctuation): each personal one is masked, each other
# one is left exactly as it was.
_dates = st.dates(dt.date(1990, 1, 1), dt.date(2099, 12, 31)).flatmap(
    lambda d: st.sampled_from(
        [
            d.isoformat(),
            d.strftime("%Y/%m/%d"),
            d.strftime("%Y.%m.%d"),
            f"{d:%Y%m%d}",
            f"{d.year}年{d.month}月{d.day}日",
            f"{d.isoformat()} 09:31:00",
            f"{d:%Y/%m/%d} 14:05",
        ]
    )
)
_amounts = st.integers(0, 10**9).flatmap(
    lambda n: st.sampled_from([f"{n:,}元", f"{n / 100:,.2f}", f"{n}元", f"￥{n:,}", f"挽回{n}元"])
)
_case_ids = st.one_of(
    st.tuples(st.dates(dt.date(2010, 1, 1), dt.date(2023, 12, 31)), _d(4)).map(
        lambda t: f"{t[0]:%Y%m%d}{t[1]}"
    ),
    _join(_one(["T", "TS", "A"]), st.one_of(_d(1), _d(3), _d(6))),  # T1, TS123
    st.tuples(st.dates(dt.date(2010, 1, 1), dt.date(2023, 12, 31)), _d(5)).map(
        lambda t: f"122010300{t[0]:%Y%m%d}{t[1]}"  # 22 digits
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just(True), _personal.map(lambda t: t[1])),
            st.tuples(st.just(False), st.one_of(_dates, _amounts, _case_ids)),
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["，", "。", "；", "、", "\n"]),
)
def test_standalone_pieces(pieces: list[tuple[bool, str]], sep: str) -> None:
    out = mask_text(sep.join(p for _, p in pieces)).split(sep)
    assert len(out) == len(pieces)
    for (personal, piece), got in zip(pieces, out, strict=True):
        if personal:
            assert "*" in got, piece
        else:
            assert got == piece


@settings(max_examples=300, deadline=None)
@given(_texts)
def test_idempotent(text: str) -> None:
    once = mask_text(text)
    assert mask_text(once) == once


# ---------------------------------------------------------------------------------------------
# a row's own personal values


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("本人王小明于1月5日购买", ["王小明"], "本人王**于1月5日购买"),
        ("王明确表示不退", ["王明"], "王*确表示不退"),  # over-masking a word is the safe side
        ("欧阳娜娜来电", ["欧阳娜娜"], "欧***来电"),
        ("孙先生来电反映", ["孙先生"], "孙先生来电反映"),  # surname + 先生 stays, as published
        ("李女士称", ["李女士"], "李女士称"),
        ("王先生称王小明是其家属", ["王小明"], "王先生称王**是其家属"),
        ("住长春市宽城区胜利路12号", ["吉林省长春市宽城区胜利路12号"], "住************"),
        ("家住胜利路12号3楼", ["长春市宽城区胜利路12号"], "家住******3楼"),
        ("长春市宽城区的商户", ["长春市宽城区"], "长春市宽城区的商户"),  # a district names nobody
        ("回电138 1234 5678", ["13812345678"], "回电138 **** 5678"),
        ("回电+86 138 1234 5678", ["13812345678"], "回电+86 138 **** 5678"),
        ("打8555 1234找我", ["0431-85551234"], "打**** 1234找我"),
        ("座机0431 8555 1234", ["+86 431 8555 1234"], "座机0431 **** 1234"),
        ("打043185551234找我", ["+86 431 8555 1234"], "打0431****1234找我"),
        ("请拨 4318 5551 234", ["+86 431 8555 1234"], "请拨 431* ***1 234"),  # no known shape
        ("证件22010219900307000X已登记", ["22010219900307000X"], "证件220102********000X已登记"),
        ("证件 22 0102 1990 0307 000X", ["22010219900307000X"], "证件 22 0102 **** **** 000X"),
        ("电话１３８１２３４５６７８", ["13812345678"], "电话１３８****５６７８"),
        ("匿名来电", ["匿名"], "匿名来电"),
        ("无", ["无"], "无"),
        ("王小明13812345678", ["王小明 13812345678"], "王**138****5678"),
        ("日期2022-01-05 金额60800元", ["13812345678", "王小明"], "日期2022-01-05 金额60800元"),
        # written slightly differently: full-width digits, spaces or dashes inside a name
        ("住在宽城区团山街１７０号", ["长春市宽城区团山街170号"], "住在**********"),
        ("地址团山街170号", ["团山街１７０号"], "地址*******"),
        ("李四反映", ["李 四"], "李*反映"),
        ("李 四反映", ["李四"], "李 *反映"),
        ("虚  竹反映；虚-竹；虚·竹", ["虚竹"], "虚  *反映；虚-*；虚·*"),
        ("王　小　明来电", ["王小明"], "王　*　*来电"),  # ideographic spaces
        ("王小明、李四来电", ["王小明 李四"], "王**、李*来电"),
        ("住胜利路 12 号", ["胜利路12号"], "住*** ** *"),
    ],
)
def test_mask_known(text: str, values: list[str], expected: str) -> None:
    assert mask_known(text, values) == expected


@pytest.mark.parametrize(
    "header",
    ["投诉人姓名", "联系人电话", "家庭住址", "举报人姓名", "来电人姓名", "联系方式", "证件号", "电子邮箱"]
    + ["来电号码", "投诉人", "手机号码", "身份证号（18位）", "QQ号", "微信号", "联系人", "E-mail"],
)
def test_personal_headers_by_their_words(header: str) -> None:
    assert personal_header(header)


@pytest.mark.parametrize(
    "header",
    ["经营地址详细地址", "涉及主体名称", "被投诉方地址", "单位电话", "事发地址", "首次联系时间", "证件类型"]
    + ["电话回访结果", "投诉人类型", "处理结果", "备注", "登记内容", ""],
)
def test_other_headers_are_not_personal(header: str) -> None:
    assert not personal_header(header)


def test_mask_known_passes_missing_through() -> None:
    assert mask_known(None, ["王小明"]) is None
    assert mask_known(pd.NA, ["王小明"]) is pd.NA
    assert mask_known("王小明", [None, pd.NA, ""]) == "王小明"


def test_mask_known_rows_uses_each_rows_own_values() -> None:
    content = np.array(["本人王小明", "本人李四来电", "", None, "王小明的邻居"], dtype=object)
    unit = np.array(["站前所", "站前所（李四）", "新发所", "新发所", "南广所"], dtype=object)
    names = np.array(["王小明", "李四", "张三", "赵五", "孙先生"], dtype=object)
    phones = np.array(["", "13812345678", None, "", ""], dtype=object)
    c, u = mask_known_rows([content, unit], [names, phones])
    # row 5's own name is 孙先生: 王小明 there is somebody else's, not this row's
    assert c.tolist() == ["本人王**", "本人李*来电", "", None, "王小明的邻居"]
    assert u.tolist() == ["站前所", "站前所（李*）", "新发所", "新发所", "南广所"]
    assert content.tolist()[0] == "本人王小明"  # inputs untouched


def test_mask_known_rows_without_personal_columns() -> None:
    col = np.array(["本人王小明"], dtype=object)
    assert mask_known_rows([col], [])[0].tolist() == ["本人王小明"]


_given_names = st.text(alphabet="小明华丽强军芳伟敏静", min_size=1, max_size=2)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from("王李张刘陈杨黄赵吴周"), _given_names, _noise, _noise)
def test_known_name_never_survives(surname: str, given_name: str, before: str, after: str) -> None:
    name = surname + given_name
    out = mask_known(f"{before}{name}{after}", [name])
    assert name not in out


# the quick row test of mask_known_rows never skips a row that mask_known would change
_own_values = st.one_of(
    _join(st.sampled_from("王李张欧"), st.text("小明华阳丽", min_size=1, max_size=3)),
    st.sampled_from(
        ["孙先生", "匿名", "长春市宽城区", "长春市宽城区胜利路12号", "胜利路1234-5678", "王小明、李四"]
        + ["李 四", "虚-竹", "胜利路１２号", "王·小明", "a!!", "Zhang San"]
    ),
    _mobile.map(lambda t: t[1]),
    _landline.map(lambda t: t[1]),
    _id18_digits,
    _join(st.just("王小明 "), _mobile_digits),
    st.just(""),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(_own_values, _own_values), min_size=1, max_size=4),
    st.lists(
        st.sampled_from(
            [
                "本人",
                "王小明",
                "李四",
                "胜利路12号",
                "5678",
                "12345678",
                "，",
                "电话 ",
                "李 四",
                "虚  竹",
                "胜利路１２号",
            ]
            + ["王-小明", "zhang san", "ZhangSan", "a"]
        ),
        max_size=6,
    ),
    st.data(),
)
def test_mask_known_rows_equals_mask_known(
    rows: list[tuple[str, str]], words: list[str], data: st.DataObject
) -> None:
    texts = []
    for values in rows:
        # each row's text: some words and, maybe, one of its own values in another layout
        own = data.draw(st.sampled_from([*values, ""]))
        texts.append("".join(words) + own.replace(" ", "").replace("-", " ") + "。")
    dates = ["王小明2022-01-05" for _ in rows]
    personal = [np.array([r[k] for r in rows], dtype=object) for k in (0, 1)]
    got_text, got_date = mask_known_rows(
        [np.array(texts, dtype=object), np.array(dates, dtype=object)], personal, names_only=[1]
    )
    for i, values in enumerate(rows):
        assert got_text[i] == mask_known(texts[i], values)
        assert got_date[i] == KnownValues(values).mask(dates[i], numbers=False)


_GAPS = ["", " ", "  ", "-", "·", "\u3000", "_", "—"]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from("王李张刘陈杨黄赵吴周"), _given_names, _noise, _noise, st.data())
def test_known_name_written_apart_never_survives(
    surname: str, given_name: str, before: str, after: str, data: st.DataObject
) -> None:
    name = surname + given_name
    written = "".join(ch + data.draw(st.sampled_from(_GAPS)) for ch in name[:-1]) + name[-1]
    value = data.draw(st.sampled_from(_GAPS)).join(name)  # the 姓名 cell may be spaced too
    out = mask_known(f"{before}{written}{after}", [value])
    assert name not in re.sub(r"[\s\-_·—]", "", out), (written, value, out)


@settings(max_examples=300, deadline=None)
@given(_noise, _personal, _noise, st.booleans())
def test_known_number_never_survives(before: str, planted: tuple[str, str], after: str, same: bool) -> None:
    digits, rendered = planted
    # the personal column holds the number as written there, or plainly
    value = rendered if same else digits
    masked = mask_known(f"{before}{rendered}。{after}", [value])
    assert "*" in masked, rendered
    assert digits.upper() not in _digits_and_stars(masked), (rendered, masked)
