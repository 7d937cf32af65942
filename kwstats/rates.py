"""The closure-rate rule: how a ratio becomes the printed percentage.

The reference truncates (8/11 = 72.7 % is printed 72 %); other bureaus round or print two
decimals. The rule is a branch param. Integer arithmetic avoids float surprises at the edges
(e.g. 7/25 must truncate to 28, not 27.999…).
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

RULES = ("truncate", "round_half_up", "two_decimals")


def closure_rate(closed: int, accepted: int, rule: str = "truncate") -> float:
    """Percentage closed of accepted under `rule`; NaN when nothing was accepted."""
    if rule not in RULES:
        raise ValueError(f"未知的办结率口径“{rule}”，可选：{'、'.join(RULES)}")
    if accepted < 0 or closed < 0:
        raise ValueError("件数不能为负")
    if accepted == 0:
        return float("nan")
    exact = Decimal(100 * int(closed)) / Decimal(int(accepted))
    if rule == "truncate":
        return float(exact.quantize(Decimal(1), rounding=ROUND_DOWN))
    if rule == "round_half_up":
        return float(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def closure_rates(closed: pd.Series, accepted: pd.Series, rule: str = "truncate") -> pd.Series:
    """Vectorised closure_rate over aligned Series."""
    values = [closure_rate(int(c), int(a), rule) for c, a in zip(closed, accepted, strict=True)]
    return pd.Series(values, index=closed.index, dtype="float64")


def format_rate(value: float, rule: str = "truncate") -> str:
    """'86%' (or '86.47%' under two_decimals); '' when the rate is blank."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if rule == "two_decimals":
        return f"{value:.2f}%"
    return f"{int(value)}%"
