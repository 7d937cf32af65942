import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kwstats.rates import closure_rate, format_rate


@pytest.mark.parametrize(
    ("closed", "accepted", "printed"),
    [
        (55, 82, 67),
        (8, 11, 72),
        (54, 61, 88),
        (12, 22, 54),
        (82, 104, 78),
        (52, 62, 83),
        (68, 72, 94),
        (254, 271, 93),
        (353, 431, 81),
        (607, 702, 86),
        (52, 53, 98),
        (7, 25, 28),
        (54, 54, 100),
    ],
)
def test_reference_rates_truncate(closed, accepted, printed):
    assert closure_rate(closed, accepted, "truncate") == printed
    assert format_rate(closure_rate(closed, accepted), "truncate") == f"{printed}%"


def test_other_rules():
    assert closure_rate(54, 61, "round_half_up") == 89
    assert closure_rate(1, 8, "round_half_up") == 13  # 12.5 rounds half up, not to even
    assert closure_rate(8, 11, "two_decimals") == 72.73
    assert format_rate(closure_rate(8, 11, "two_decimals"), "two_decimals") == "72.73%"


def test_blank_when_nothing_accepted():
    assert math.isnan(closure_rate(0, 0))
    assert format_rate(closure_rate(0, 0)) == ""


def test_unknown_rule_rejected():
    with pytest.raises(ValueError, match="口径"):
        closure_rate(1, 2, "ceil")


@given(st.integers(0, 10_000), st.integers(1, 10_000))
def test_truncation_never_exceeds_exact(closed, accepted):
    closed = min(closed, accepted)
    rate = closure_rate(closed, accepted)
    assert rate <= 100 * closed / accepted + 1e-9
    assert rate > 100 * closed / accepted - 1
