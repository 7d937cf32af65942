"""Masking of personal numbers in free text."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kwstats.masking import mask_series, mask_text

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
        ("座机043185551234", "座机0431-****1234"),
        ("座机(0431)85551234", "座机0431-****1234"),
        ("（0431）8555123", "0431-***5123"),
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
    "text",
    [
        "2022-01-05 09:31:00 登记",
        "2022/1/5 9:31",
        "2022年1月5日",
        "挽回经济损失60800元",
        "金额1,200.00元",
        "件号1220103002022010500123",  # long case id: more than 18 digits
        "工单20220105000123",  # 14 digits
        "订单号 202201050001234567",  # 18 digits that are no ID (no plausible birth date)
        "数量12345678901234",
        "12315 热线",
        "0.5 元",
        "件号202201110001",  # 12-digit case id
        "202201110001 202201110002",
        "订单号 202201050001234",  # 15 digits, but no plausible YYMMDD after a province code
        "220102900230123",  # 15 digits, province code, but 30 February
        "910102900101123",  # 15 digits, no mainland province code
        "２０２２年１月５日，金额１，２００元。",  # full-width non-personal digits stay full-width
        "2022.01.05",
        "1,200.00元 138.12 元",
        "138.1234",  # an amount, not half a mobile
        "版本 1.138.1234",
    ],
)
def test_non_personal_numbers_untouched(text: str) -> None:
    assert mask_text(text) == text


def test_none_and_na_pass_through() -> None:
    assert mask_text(None) is None
    assert mask_text(pd.NA) is pd.NA
    assert mask_text("") == ""


def test_mask_series_vectorised_and_keeps_missing() -> None:
    s = pd.Series(["电话13812345678", None, "无号码", "0431-85551234"], dtype=object)
    out = mask_series(s)
    assert out.tolist()[0] == "电话138****5678"
    assert out.isna().tolist() == [False, True, False, False]
    assert out.tolist()[2:] == ["无号码", "0431-****1234"]
    assert out.tolist() == [mask_text(x) if isinstance(x, str) else pd.NA for x in s]


def test_idempotent_examples() -> None:
    text = "13812345678 22010219900101123X 0431-85551234 043185551234 +8613912345678"
    once = mask_text(text)
    assert mask_text(once) == once


_TO_ASCII = str.maketrans("０１２３４５６７８９Ｘ－．　", "0123456789X-. ")
_SEPARATED_MOBILE = re.compile(r"(?<!\d)1[3-9]\d(?:[- ]?\d{4}[- ]?|\.\d{4}\.)\d{4}(?!\d)")


def _full_width(text: str) -> str:
    return text.translate(str.maketrans("0123456789X-. ", "０１２３４５６７８９Ｘ－．　"))


_digits = st.text(alphabet="0123456789", min_size=1, max_size=20)
_mobile_plain = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
_mobile_split = st.from_regex(r"1[3-9][0-9]([- ][0-9]{4}[- ]|\.[0-9]{4}\.)[0-9]{4}", fullmatch=True)
_mobile = st.one_of(
    _mobile_plain, _mobile_split, _mobile_plain.map(_full_width), _mobile_split.map(_full_width)
)
_id18 = st.from_regex(
    r"[1-9][0-9]{5}(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9])[0-9]{3}[0-9X]", fullmatch=True
)
_id_spaced = _id18.map(lambda s: f"{s[:6]} {s[6:14]} {s[14:]}")
_id15 = st.from_regex(
    r"(11|22|37|44|65)[0-9]{4}[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}", fullmatch=True
)
_id = st.one_of(_id18, _id_spaced, _id15, _id18.map(_full_width))
_landline = st.from_regex(r"0(10|2[0-9]|[3-9][0-9]{2})-?[0-9]{7,8}", fullmatch=True)
_noise = st.text(alphabet="投诉电话：，。 -+.()（）XxAb元年月日　－．", max_size=4)
_piece = st.one_of(_digits, _mobile, _id, _landline, _noise)
_texts = st.lists(_piece, max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(_texts)
def test_no_mobile_number_survives(text: str) -> None:
    masked = mask_text(text).translate(_TO_ASCII)
    assert MOBILE.search(masked) is None
    assert _SEPARATED_MOBILE.search(masked) is None


# Pieces that stand alone (between Chinese punctuation): each personal one is masked, each other
# one is left exactly as it was.
_dates = st.dates(dt.date(1990, 1, 1), dt.date(2099, 12, 31)).flatmap(
    lambda d: st.sampled_from([d.isoformat(), d.strftime("%Y/%m/%d"), d.strftime("%Y.%m.%d"), f"{d:%Y%m%d}"])
)
_amounts = st.integers(0, 10**9).flatmap(
    lambda n: st.sampled_from([f"{n:,}元", f"{n / 100:,.2f}", f"{n}元", f"￥{n:,}"])
)
_case_ids = st.from_regex(r"20(1[0-9]|2[0-3])(0[1-9]|1[0-2])[0-9]{6}", fullmatch=True)  # 12 digits


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just(True), st.one_of(_mobile, _id, _landline)),
            st.tuples(st.just(False), st.one_of(_dates, _amounts, _case_ids)),
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["，", "。", "；", "、", "（", "：", "\n"]),
)
def test_standalone_pieces(pieces: list[tuple[bool, str]], sep: str) -> None:
    out = mask_text(sep.join(p for _, p in pieces)).split(sep)
    assert len(out) == len(pieces)
    for (personal, piece), got in zip(pieces, out, strict=True):
        if personal:
            assert "*" in got, piece
            assert got.replace("*", "") != piece.translate(_TO_ASCII).replace("*", ""), piece
        else:
            assert got == piece


@settings(max_examples=200, deadline=None)
@given(_texts)
def test_idempotent(text: str) -> None:
    once = mask_text(text)
    assert mask_text(once) == once
