"""The monthly plan and the simulation of one month's good cases; January 2022 fitted to the
published unit table."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import numpy as np
import pandas as pd

from kwstats.demo.design import (
    _KINDS_ORDER,
    EPIDEMIC_WINDOW_TOTAL,
    JANUARY_2022_DESIGN,
    JANUARY_2022_RECOVERED,
    OFF_ROSTER_UNITS,
    PLANTED_SPIKE,
    ROSTER_UNITS,
)
from kwstats.demo.specials import _check
from kwstats.sample_files import (
    MONTHS,
)
from kwstats.schema import COMPLAINT, CONSULTATION, REPORT

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
