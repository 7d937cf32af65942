"""Masking of personal numbers in free text."""

from __future__ import annotations

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


_digits = st.text(alphabet="0123456789", min_size=1, max_size=20)
_mobile = st.from_regex(r"1[3-9]\d{9}", fullmatch=True)
_id = st.from_regex(r"[1-9]\d{5}(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d)\d{3}[0-9X]", fullmatch=True)
_landline = st.from_regex(r"0(10|2\d|[3-9]\d{2})-?\d{7,8}", fullmatch=True)
_noise = st.text(alphabet="投诉电话：，。 -+()（）XxAb元年月日", max_size=4)
_piece = st.one_of(_digits, _mobile, _id, _landline, _noise)
_texts = st.lists(_piece, max_size=12).map("".join)


@settings(max_examples=200, deadline=None)
@given(_texts)
def test_no_mobile_number_survives(text: str) -> None:
    masked = mask_text(text)
    assert MOBILE.search(masked) is None


@settings(max_examples=200, deadline=None)
@given(_texts)
def test_idempotent(text: str) -> None:
    once = mask_text(text)
    assert mask_text(once) == once
