"""Investigation: change over time, spikes, threshold history, top categories and drill-down.

Plain functions over the canonical case table (no I/O), for the analyst-only cells of the
notebook (SPEC §6). Counts here are 受理量 (complaints + reports) by month of registration, the
same cohort convention as the unit table: a case belongs to the month it was registered in.
Every table cell can be traced back to its case rows with `drill_down`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from kwstats.checks import Finding
from kwstats.indicators import (
    COUNT_COLUMNS,
    TABLE_LABELS,
    accepted_cases,
    cases_behind,
    closed_by,
    month_cohort,
    resolve_cutoff,
)
from kwstats.labels import DIMENSION_LABELS as _DIMENSION_LABELS
from kwstats.labels import GROUP_LABELS
from kwstats.params import Branch
from kwstats.period import Period, month_key
from kwstats.rates import closure_rate, format_rate

# Columns one may break counts down by, and the columns a spike is broken down by, with the label
# people read (kwstats.labels holds every Chinese label).
BY_LABELS: dict[str, str] = GROUP_LABELS
DIMENSION_LABELS: dict[str, str] = _DIMENSION_LABELS
BREAKDOWN_BY = ("goods_category", "problem_category", "respondent", "unit", "channel")
# How a blank value (no unit assigned, category not filled in) is shown and selected.
BLANK_LABEL = "（空）"

CHANGE_COLUMNS = ("本月", "上月", "去年同月", "环比增减", "环比(%)", "同比增减", "同比(%)")
STREAK_LABEL = "连续低于阈值月数"
# threshold_history's extra column, present only when some streak may be longer than the data shows.
STREAK_NOTE_LABEL = "说明"

# Spike test defaults (see `spikes`).
SPIKE_WINDOW = 12
SPIKE_MIN_COUNT = 15
SPIKE_MIN_RATIO = 1.5
SPIKE_ALPHA = 0.01


def spike_method(
    window: int = SPIKE_WINDOW,
    min_count: int = SPIKE_MIN_COUNT,
    min_ratio: float = SPIKE_MIN_RATIO,
    alpha: float = SPIKE_ALPHA,
) -> str:
    """The spike rule in one Chinese paragraph, with its parameters, for the notebook to show."""
    return (
        f"异常增长的判定：把每个单位、每个涉及客体分类、每个涉及问题分类当月的受理量，"
        f"与它自己前 {window} 个月的月平均值比较，按泊松分布计算“当月件数不低于实际件数”的概率 p；"
        f"同时检验的“序列数 × 月数”为 N 时，p 不超过 {alpha:g}/N（Bonferroni 校正），"
        f"且当月不少于 {min_count} 件、不低于前 {window} 个月平均值的 {min_ratio:g} 倍，才列为异常增长。"
        f"数据开头不足 {window} 个月历史的月份不检验；只看增长，不看下降。"
    )


SPIKE_METHOD = spike_method()


# ---------------------------------------------------------------------------------------------
# helpers


def _check_by(by: str) -> None:
    if by not in BY_LABELS:
        raise KeyError(f"不能按“{by}”分组，可选：{'、'.join(BY_LABELS)}")


def _month_key(month: str) -> str:
    """'2022-1' -> '2022-01' (kwstats.period, the one month parser)."""
    return month_key(month)


def _shift_month(month: str, delta: int) -> str:
    return Period.month(month).shift(delta).key


def _labels(series: pd.Series) -> pd.Series:
    """Values as plain strings, blanks as BLANK_LABEL."""
    return series.astype("object").where(series.notna(), BLANK_LABEL).astype(str)


def _months(cases: pd.DataFrame) -> pd.Series:
    """'YYYY-MM' of registration for each row."""
    return cases["registered_at"].dt.to_period("M").astype(str)


def _value_mask(cases: pd.DataFrame, by: str, value: str | None) -> pd.Series:
    """Rows whose `by` equals `value` (BLANK_LABEL or None selects blanks)."""
    col = cases[by]
    if value is None or value == BLANK_LABEL:
        return col.isna()
    return (col.astype("object") == value) & col.notna()


def _ids(frame: pd.DataFrame) -> tuple[str, ...]:
    return tuple(frame["case_id"].astype(str))


def _cohort(cases: pd.DataFrame, month: str, cutoff: pd.Timestamp | None) -> pd.DataFrame:
    """Accepted cases registered in `month` (and no later than the cutoff)."""
    return accepted_cases(month_cohort(cases, _month_key(month), _cutoff(month, cutoff)))


def _cutoff(month: str, cutoff: Any) -> pd.Timestamp:
    """The month's cutoff: end of month by default; a bare date means the end of that day."""
    return Period.month(month, cutoff).cutoff


def _counts_in(cases: pd.DataFrame, month: str, by: str, cutoff: pd.Timestamp | None = None) -> pd.Series:
    """Accepted cases of `month` per value of `by` (index: labels)."""
    cohort = _cohort(cases, month, cutoff)
    return _labels(cohort[by]).value_counts()


def _pct(change: pd.Series, base: pd.Series) -> pd.Series:
    """Change as % of base, one decimal; NaN (blank) where the base is 0."""
    base_f = base.astype("float64")
    out = (100.0 * change.astype("float64") / base_f.where(base_f != 0)).round(1)
    return out.astype("float64")


# ---------------------------------------------------------------------------------------------
# monthly counts and change


def monthly_counts(cases: pd.DataFrame, by: str, cutoff: Any = None) -> pd.DataFrame:
    """Accepted cases per month of registration ('YYYY-MM', index) × value of `by` (columns).

    The grid covers every month from the first to the last month with a case (to the cutoff's
    month when a cutoff is given), zeros filled. Blank values are a column named BLANK_LABEL.
    A cutoff drops the cases registered after it.
    """
    _check_by(by)
    acc = accepted_cases(cases)
    acc = acc[acc["registered_at"].notna()]
    end = None if cutoff is None or cutoff == "" else resolve_cutoff("2000-01", cutoff)
    if end is not None:
        acc = acc[acc["registered_at"] <= end]
    if acc.empty:
        return pd.DataFrame(index=pd.Index([], name="月份", dtype=str), dtype="int64")
    months = acc["registered_at"].dt.to_period("M")
    last = end.to_period("M") if end is not None else months.max()
    grid = pd.period_range(months.min(), max(last, months.max()), freq="M").astype(str)
    table = pd.crosstab(months.astype(str), _labels(acc[by]))
    table = table.reindex(grid, fill_value=0)
    table.index.name = "月份"
    table.columns.name = BY_LABELS[by]
    return table.astype("int64")


def change_by(
    cases: pd.DataFrame, month: str, by: str, branch: Branch | None = None, cutoff: Any = None
) -> pd.DataFrame:
    """This month, last month and the same month last year per value of `by`, with 环比 and 同比.

    Columns (Chinese): the `by` label, 本月, 上月, 去年同月, 环比增减, 环比(%), 同比增减, 同比(%);
    the percentages are one decimal and blank (NaN) where the base is 0. With by="unit" and a
    branch, roster units come first in roster order (zeros included), then any other unit; otherwise
    rows are sorted by this month's count, descending. The months compared are in `.attrs`.
    `cutoff` (default: end of `month`) only limits this month's cohort, as in the unit table.
    """
    _check_by(by)
    month = _month_key(month)
    prev, last_year = _shift_month(month, -1), _shift_month(month, -12)
    first = _first_month(cases)
    now = _counts_in(cases, month, by, cutoff)
    before = _counts_in(cases, prev, by)
    year_ago = _counts_in(cases, last_year, by)
    values = list(dict.fromkeys([*now.index, *before.index, *year_ago.index]))
    frame = pd.DataFrame(
        {
            "本月": now.reindex(values, fill_value=0),
            "上月": before.reindex(values, fill_value=0),
            "去年同月": year_ago.reindex(values, fill_value=0),
        },
        index=pd.Index(values, dtype=object),
    )
    if by == "unit" and branch is not None:
        extra = frame.drop(index=[u for u in branch.units if u in frame.index])
        extra = extra.sort_values(["本月", "上月", "去年同月"], ascending=False, kind="stable")
        order = [*branch.units, *extra.index]
        frame = frame.reindex(order, fill_value=0)
    else:
        frame = frame.sort_index(kind="stable").sort_values(
            ["本月", "上月", "去年同月"], ascending=False, kind="stable"
        )
    frame = frame.astype("int64")
    # A month before the data begins is unknown, not zero: its columns stay blank.
    for col, base in (("上月", prev), ("去年同月", last_year)):
        if first is None or base < first:
            frame[col] = pd.array([pd.NA] * len(frame), dtype="Int64")
    frame["环比增减"] = frame["本月"] - frame["上月"]
    frame["环比(%)"] = _pct(frame["环比增减"], frame["上月"])
    frame["同比增减"] = frame["本月"] - frame["去年同月"]
    frame["同比(%)"] = _pct(frame["同比增减"], frame["去年同月"])
    frame.index.name = BY_LABELS[by]
    out = frame.reset_index()
    out.attrs = {"month": month, "last_month": prev, "last_year": last_year, "by": by, "data_from": first}
    return out


def _first_month(cases: pd.DataFrame) -> str | None:
    """The first month with any registered case in the data (YYYY-MM), or None."""
    reg = cases["registered_at"].dropna()
    return None if reg.empty else reg.min().strftime("%Y-%m")


def _change_phrase(name: str, base: int, change: int, pct: float) -> str:
    if base == 0:
        return f"{name}无法计算（基数为 0）"
    direction = "增长" if change > 0 else "下降" if change < 0 else "持平"
    if change == 0:
        return f"{name}持平"
    return f"{name}{direction} {abs(pct):.1f}%（{change:+d} 件）"


def volume_change(cases: pd.DataFrame, month: str, cutoff: Any = None) -> dict[str, Any]:
    """受理量 of the month against last month (环比) and the same month last year (同比).

    Keys: month, accepted, last_month, last_month_accepted, last_year, last_year_accepted,
    mom_change, mom_pct, yoy_change, yoy_pct (NaN where the base is 0), message (Chinese).
    """
    month = _month_key(month)
    prev, last_year = _shift_month(month, -1), _shift_month(month, -12)
    now = len(_cohort(cases, month, cutoff))
    before = len(_cohort(cases, prev, None))
    year_ago = len(_cohort(cases, last_year, None))
    mom, yoy = now - before, now - year_ago
    mom_pct = round(100.0 * mom / before, 1) if before else float("nan")
    yoy_pct = round(100.0 * yoy / year_ago, 1) if year_ago else float("nan")
    first = _first_month(cases)

    def compared(label: str, name: str, base_month: str, base: int, change: int, pct: float) -> str:
        if first is None or base_month < first:  # unknown, not zero
            return f"{label}（{base_month}）不在数据中（数据从 {first or month} 开始），{name}无法计算"
        return f"{label}（{base_month}）{base} 件，{_change_phrase(name, base, change, pct)}"

    message = (
        f"{month} 受理 {now} 件；{compared('上月', '环比', prev, before, mom, mom_pct)}；"
        f"{compared('去年同月', '同比', last_year, year_ago, yoy, yoy_pct)}。"
    )
    return {
        "month": month,
        "accepted": now,
        "last_month": prev,
        "last_month_accepted": before,
        "last_year": last_year,
        "last_year_accepted": year_ago,
        "mom_change": mom,
        "mom_pct": mom_pct,
        "yoy_change": yoy,
        "yoy_pct": yoy_pct,
        "message": message,
    }


# ---------------------------------------------------------------------------------------------
# spikes


def poisson_sf(k: int, lam: float) -> float:
    """P(X ≥ k) for X ~ Poisson(lam), summed stably in the direction where the terms shrink."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0

    def log_pmf(i: int) -> float:
        return -lam + i * math.log(lam) - math.lgamma(i + 1)

    if k > lam:
        # Upper tail from k upwards: term ratios lam/(i+1) < 1, so the sum converges fast.
        total, term, i = 0.0, 1.0, k
        while term > 1e-17 * total or total == 0.0:
            total += term
            i += 1
            term *= lam / i
        return min(1.0, math.exp(log_pmf(k) + math.log(total)))
    # k ≤ lam: the tail is large; 1 − P(X ≤ k−1), the lower sum taken downwards from k−1.
    total, term = 0.0, 1.0
    for i in range(k - 1, -1, -1):
        total += term
        term *= i / lam
        if term < 1e-17 * total:
            break
    return max(0.0, 1.0 - math.exp(log_pmf(k - 1) + math.log(total)))


def _series_name(field: str, value: str) -> str:
    return value if field == "unit" else f"{BY_LABELS[field]}“{value}”"


def _check_dimension(dim: str) -> None:
    if dim not in DIMENSION_LABELS:
        raise KeyError(f"不能按“{dim}”分解，可选：{'、'.join(DIMENSION_LABELS)}")


def _sources(
    rows: pd.DataFrame,
    months: pd.Series,
    month: str,
    window: int,
    first_month: str,
    dims: Sequence[str],
) -> pd.DataFrame:
    """Where one series' count in `month` comes from, by each of `dims`.

    `rows` are the series' accepted cases, `months` their registration months ('YYYY-MM'). For
    every value of every dimension: its count in `month` and its mean over the `window` months
    before (months before `first_month`, the start of the data, are not in the mean). Columns:
    dim, value, count, baseline, excess (= count − baseline, unrounded); each dimension's rows
    sorted by excess, largest first.
    """
    history = [_shift_month(month, -k) for k in range(window, 0, -1)]
    n_history = sum(1 for m in history if m >= first_month)
    now_mask = (months == month).to_numpy()
    hist_mask = months.isin(history).to_numpy()
    parts = []
    for dim in dims:
        now = _labels(rows.loc[now_mask, dim]).value_counts()
        past = _labels(rows.loc[hist_mask, dim]).value_counts()
        values = list(dict.fromkeys([*now.index, *past.index]))
        part = pd.DataFrame(
            {
                "dim": dim,
                "value": pd.Series(values, dtype=object).astype(str),
                "count": now.reindex(values, fill_value=0).to_numpy(dtype="int64"),
                "baseline": past.reindex(values, fill_value=0).to_numpy(dtype="float64") / max(n_history, 1),
            }
        )
        part["excess"] = part["count"] - part["baseline"]
        parts.append(
            part.sort_values(["excess", "count", "value"], ascending=[False, False, True], kind="stable")
        )
    if not parts:
        return pd.DataFrame(columns=["dim", "value", "count", "baseline", "excess"])
    return pd.concat(parts, ignore_index=True)


def _main_sources(sources: pd.DataFrame, count: int, baseline: float) -> list[dict[str, Any]]:
    """Per dimension, the value that alone explains more than half of the series' excess.

    The value must also have grown faster than the series (count/baseline above the series'), so
    that a value holding most of the series anyway (every case 质量) is not named for taking its
    usual share of the growth; a blank value is never named. Largest excess first (ties: the
    dimensions' order).
    """
    excess = count - baseline
    out = []
    for dim, part in sources.groupby("dim", sort=False):
        best = part.iloc[0]
        faster = best["count"] * baseline > count * best["baseline"]
        if best["value"] != BLANK_LABEL and best["excess"] > 0.5 * excess and faster:
            out.append(
                {
                    "field": str(dim),
                    "value": str(best["value"]),
                    "count": int(best["count"]),
                    "baseline": round(float(best["baseline"]), 2),
                    "excess": round(float(best["excess"]), 2),
                }
            )
    out.sort(key=lambda s: -s["excess"])
    return out


def _source_clause(source: dict[str, Any], window: int) -> str:
    """'，主要来自 涉及客体分类“教育培训服务”（本月 66 件，前 12 个月平均 1.2 件）'."""
    history = (
        f"前 {window} 个月平均 {source['baseline']:.1f} 件"
        if source["baseline"] > 0
        else f"前 {window} 个月没有"
    )
    return (
        f"，主要来自 {DIMENSION_LABELS[source['field']]}“{source['value']}”"
        f"（本月 {source['count']} 件，{history}）"
    )


def spikes(
    cases: pd.DataFrame,
    month: str | None = None,
    by: Sequence[str] = ("unit", "goods_category", "problem_category"),
    window: int = SPIKE_WINDOW,
    min_count: int = SPIKE_MIN_COUNT,
    min_ratio: float = SPIKE_MIN_RATIO,
    alpha: float = SPIKE_ALPHA,
    explain_by: Sequence[str] = BREAKDOWN_BY,
) -> list[Finding]:
    """Months in which a unit's or a category's 受理量 rose far above its own history.

    Method: for every series (each value of each column in `by`; blanks are not a series) and
    every month tested, the baseline is the mean count of the `window` months before it. The
    month is a spike when all of:

    - the Poisson upper tail p = P(X ≥ count | mean = baseline) is at most alpha / N, where N is
      the number of series × months tested in this call (Bonferroni correction);
    - count ≥ min_count (tiny units do not alarm);
    - count ≥ min_ratio × baseline (a real excess, not only a significant one).

    Only upward deviations are flagged. A month is tested only with a full window of history in
    the data (the grid starts at the first month with any case, so nothing before month
    window+1 of the data is judged). `month=None` scans every month with a full window; a given
    month scans only that month (N is then smaller, so a single-month scan is more sensitive).
    A month without a full window gives one "spike_skipped" info finding instead.
    A baseline of 0 (a series new in the data) gives p = 0: such a month is flagged when it
    reaches min_count (its ratio is None). Each finding carries count, baseline, ratio, p, the
    corrected threshold, N and the case ids.

    Where the excess (count − baseline) comes from: for each other column in `explain_by`, the
    value with the largest excess of its own within the series (as in `spike_breakdown`) is kept
    when it alone is more than half of the series' excess and it grew faster than the series (a
    blank value never is). These are
    numbers["sources"] (field, value, count, baseline, excess; largest excess first), and the
    first of them is named in the message (“，主要来自 涉及客体分类“…”（本月 66 件，前 12 个月平均
    1.2 件）”). `explain_by=()` skips this.
    """
    by = tuple(by)
    for field in by:
        _check_by(field)
    explain_by = tuple(explain_by)
    for dim in explain_by:
        _check_dimension(dim)
    acc = accepted_cases(cases)
    acc = acc[acc["registered_at"].notna()]
    if month is not None:
        month = _month_key(month)
        acc = acc[acc["registered_at"] <= _cutoff(month, None)]
    if acc.empty:
        return []
    grids = {
        field: monthly_counts(acc, field, cutoff=None if month is None else _cutoff(month, None))
        for field in by
    }
    grid_months = list(next(iter(grids.values())).index)
    if month is None:
        tested = grid_months[window:]
    else:
        if month not in grid_months or grid_months.index(month) < window:
            have = sum(1 for m in grid_months if m < month)
            return [
                Finding(
                    kind="spike_skipped",
                    severity="info",
                    month=month,
                    message=(
                        f"异常增长检验需要本月之前至少 {window} 个月的数据，现有 {have} 个月，"
                        f"本月未做检验；再积累 {window - have} 个月的导出即可。"
                    ),
                    numbers={"window": window, "history_months": have},
                )
            ]
        tested = [month]
    if not tested:
        return []

    series_count = sum(sum(1 for v in grids[f].columns if v != BLANK_LABEL) for f in by)
    n_tests = series_count * len(tested)
    threshold = alpha / n_tests if n_tests else 0.0
    reg_months = _months(acc)

    found: list[tuple[str, int, float, Finding]] = []
    for order, field in enumerate(by):
        grid = grids[field].drop(columns=[BLANK_LABEL], errors="ignore").astype("float64")
        baseline = grid.rolling(window).mean().shift(1)
        labels = _labels(acc[field])
        for m in tested:
            counts, means = grid.loc[m], baseline.loc[m]
            for value in counts.index:
                count, mean = int(counts[value]), float(means[value])
                if count < min_count or count < min_ratio * mean:
                    continue
                p = poisson_sf(count, mean)
                if p > threshold:
                    continue
                ratio = round(count / mean, 2) if mean > 0 else None
                in_series = (labels == value).to_numpy()
                cell = acc[(reg_months == m).to_numpy() & in_series]
                name = _series_name(field, str(value))
                history = (
                    f"前 {window} 个月平均 {mean:.1f} 件，为平均的 {ratio:.1f} 倍"
                    if mean > 0
                    else f"前 {window} 个月没有案件"
                )
                dims = [d for d in explain_by if d != field]
                main = (
                    _main_sources(
                        _sources(acc[in_series], reg_months[in_series], m, window, grid_months[0], dims),
                        count,
                        mean,
                    )
                    if dims
                    else []
                )
                clause = _source_clause(main[0], window) if main else ""
                found.append(
                    (
                        m,
                        order,
                        p,
                        Finding(
                            kind="spike",
                            unit=str(value) if field == "unit" else None,
                            month=m,
                            message=(
                                f"{name} {m} 受理 {count} 件，{history}"
                                f"（泊松检验 p={p:.2g}，校正后阈值 {threshold:.2g}）{clause}。"
                            ),
                            numbers={
                                "field": field,
                                "value": str(value),
                                "count": count,
                                "baseline": round(mean, 2),
                                "ratio": ratio,
                                "p": p,
                                "threshold": threshold,
                                "tests": n_tests,
                                "window": window,
                                "sources": main,
                            },
                            case_ids=_ids(cell),
                        ),
                    )
                )
    found.sort(key=lambda t: (t[0], t[1], t[2]))
    return [f for *_, f in found]


def spike_breakdown(
    cases: pd.DataFrame,
    finding: Finding,
    by: Sequence[str] = BREAKDOWN_BY,
    top: int = 5,
) -> pd.DataFrame:
    """Where a spike's excess comes from: the spiking series' month, broken down by other columns.

    Within the finding's series (its numbers' field = value) and month, the accepted cases per
    value of each column in `by` (the series' own column is skipped), against that value's mean
    count in the same series over the same trailing window (numbers["window"] months before the
    month; months before the start of the data are not counted). Rows are sorted by the excess
    (本月 − mean), largest first, at most `top` per column, the columns in the order of `by`.
    Blanks are a value of their own (BLANK_LABEL).

    Columns: 维度, 取值, 本月, 前 N 个月平均 (one decimal), 超出 (one decimal). `.attrs` holds
    the finding's field, value, month and window, and the series' count, baseline and excess.
    """
    if finding.kind != "spike":
        raise ValueError(f"只能分解异常增长的发现（spike），这一条是“{finding.kind}”。")
    nums = finding.numbers
    field, value = str(nums["field"]), str(nums["value"])
    window = int(nums.get("window", SPIKE_WINDOW))
    month = _month_key(finding.month or "")
    _check_by(field)
    dims = [d for d in dict.fromkeys(by) if d != field]
    for dim in dims:
        _check_dimension(dim)
    acc = accepted_cases(cases)
    acc = acc[acc["registered_at"].notna() & (acc["registered_at"] <= _cutoff(month, None))]
    mean_label = f"前 {window} 个月平均"
    columns = ["维度", "取值", "本月", mean_label, "超出"]
    attrs = {"field": field, "value": value, "month": month, "window": window}
    if acc.empty:
        out = pd.DataFrame(columns=columns)
        out.attrs = attrs
        return out
    months = _months(acc)
    in_series = (_labels(acc[field]) == value).to_numpy()
    first_month = months.min()
    sources = _sources(acc[in_series], months[in_series], month, window, first_month, dims)
    sources = sources.groupby("dim", sort=False, group_keys=False).head(top)
    series_count = int((months[in_series] == month).sum())
    history = [_shift_month(month, -k) for k in range(window, 0, -1)]
    n_history = sum(1 for m in history if m >= first_month)
    baseline = float(months[in_series].isin(history).sum()) / max(n_history, 1)
    out = pd.DataFrame(
        {
            "维度": sources["dim"].map(DIMENSION_LABELS).to_numpy(dtype=object),
            "取值": sources["value"].to_numpy(dtype=object),
            "本月": sources["count"].to_numpy(dtype="int64"),
            mean_label: sources["baseline"].round(1).to_numpy(dtype="float64"),
            "超出": sources["excess"].round(1).to_numpy(dtype="float64"),
        }
    )
    out.attrs = attrs | {
        "count": series_count,
        "baseline": round(baseline, 2),
        "excess": round(series_count - baseline, 2),
    }
    return out


# ---------------------------------------------------------------------------------------------
# threshold history


def _monthly_rates(
    cases: pd.DataFrame, branch: Branch, month: str, cutoff: Any = None
) -> tuple[list[str], pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Months from the data's first to `month`; accepted, closed and rate per roster unit × month.

    Each month's cohort is taken as of its own month end; `month` itself as of `cutoff` when given.
    """
    month = _month_key(month)
    end_cutoff = _cutoff(month, cutoff)
    acc = accepted_cases(cases)
    acc = acc[acc["registered_at"].notna() & (acc["registered_at"] <= end_cutoff)]
    periods = acc["registered_at"].dt.to_period("M")
    first = min(periods.min(), pd.Period(month, freq="M")) if len(acc) else pd.Period(month, freq="M")
    months = list(pd.period_range(first, pd.Period(month, freq="M"), freq="M").astype(str))
    month_end = periods.dt.end_time.where(periods.astype(str) != month, end_cutoff)
    closed = closed_by(acc, month_end)
    frame = pd.DataFrame(
        {"unit": acc["unit"].astype("object"), "month": periods.astype(str), "closed": closed.astype(int)}
    )
    frame = frame[frame["unit"].isin(branch.units)]
    grouped = frame.groupby(["unit", "month"])["closed"].agg(["size", "sum"])
    accepted = grouped["size"].unstack("month").reindex(index=branch.units, columns=months).fillna(0)
    closed_n = grouped["sum"].unstack("month").reindex(index=branch.units, columns=months).fillna(0)
    accepted, closed_n = accepted.astype("int64"), closed_n.astype("int64")
    rates = pd.DataFrame(
        [
            [closure_rate(int(c), int(a), branch.rate_rule) for c, a in zip(crow, arow, strict=True)]
            for crow, arow in zip(closed_n.to_numpy(), accepted.to_numpy(), strict=True)
        ],
        index=branch.units,
        columns=months,
        dtype="float64",
    )
    return months, accepted, closed_n, rates


def _streaks(rates: pd.DataFrame, threshold: float) -> pd.Series:
    """Months in a row, ending at the last column, with a rate under the threshold (blank breaks it)."""
    under = rates.lt(threshold) & rates.notna()
    out = {}
    for unit, row in under.iterrows():
        n = 0
        for flag in reversed(row.to_list()):
            if not flag:
                break
            n += 1
        out[unit] = n
    return pd.Series(out, dtype="int64")


def _unknown_before(
    cases: pd.DataFrame, month: str, cutoff: Any, streaks: pd.Series
) -> dict[str, str | None]:
    """For each unit under the threshold: the month just before its streak when the data lacks it.

    A streak is known to have begun when the month before it is in the data (the unit was at or
    above the threshold then, or accepted nothing while other cases were registered). When that
    month is before the data's first month, or no case at all was registered in it (a month missing
    from the exports), the data cannot tell: the value is that month; otherwise None.
    """
    month = _month_key(month)
    regs = cases["registered_at"]
    regs = regs[regs.notna() & (regs <= _cutoff(month, cutoff))]
    present = set(regs.dt.to_period("M").astype(str))
    out: dict[str, str | None] = {}
    for unit, streak in streaks.items():
        if streak < 1:
            continue
        before = _shift_month(month, -int(streak))
        out[str(unit)] = None if before in present else before
    return out


def _first_month(cases: pd.DataFrame) -> str | None:
    regs = cases["registered_at"].dropna()
    return str(regs.min().to_period("M")) if len(regs) else None


def _streak_note(streak: int, missing: str, first_month: str | None) -> str:
    """Why the streak may be longer than counted (Chinese, no final punctuation)."""
    if first_month is None or missing < first_month:
        where = "数据中没有更早的月份"
    else:
        where = f"数据中没有 {missing} 的案件"
    if streak == 1:
        return f"{where}，无法判断是否连续"
    return f"{where}，无法判断此前是否也低于阈值，实际连续月数可能更多"


def threshold_history(
    cases: pd.DataFrame, branch: Branch, month: str, months: int = 12, cutoff: Any = None
) -> pd.DataFrame:
    """Each roster unit's closure rate over the last `months` months and its streak under the threshold.

    Columns: 序号, 单位名称, one column per month ('YYYY-MM', oldest first; the rate by
    branch.rate_rule, each month as of its own month end, `month` itself as of `cutoff` when given;
    blank when nothing was accepted), and 连续低于阈值月数: consecutive months ending at `month`
    under branch.closure_rate_threshold, counted back through all the data (a blank month ends it).

    When some unit's streak reaches back to a month the data does not hold (before the data's
    first month, e.g. a single-month export, or a month with no case at all), its count is only
    what the data shows: a last column 说明 (STREAK_NOTE_LABEL) then says so for those units and
    is blank for the others; `.attrs["streak_unknown_before"]` maps each such unit to that month.
    """
    all_months, _, _, rates = _monthly_rates(cases, branch, month, cutoff)
    shown = all_months[-months:]
    streaks = _streaks(rates, branch.closure_rate_threshold).reindex(branch.units)
    table = rates[shown].copy()
    table.insert(0, "单位名称", branch.units)
    table.insert(0, "序号", [e.seq for e in branch.roster])
    table[STREAK_LABEL] = streaks.to_numpy()
    unknown = {u: m for u, m in _unknown_before(cases, month, cutoff, streaks).items() if m is not None}
    if unknown:
        first = _first_month(cases)
        table[STREAK_NOTE_LABEL] = [
            _streak_note(int(streaks[u]), unknown[u], first) if u in unknown else "" for u in branch.units
        ]
    table = table.reset_index(drop=True)
    table.attrs = {"month": _month_key(month), "streak_unknown_before": unknown}
    return table


def threshold_breaches(
    cases: pd.DataFrame, branch: Branch, month: str, months: int = 12, cutoff: Any = None
) -> list[Finding]:
    """Roster units under the closure-rate threshold in `month`, with how long they have been under.

    Each finding's case ids are the unit's cases still pending at the cutoff. numbers["streak"] is
    the months in a row under the threshold that the data shows; numbers["streak_known"] is False
    when the month before the streak is not in the data (before its first month, e.g. a
    single-month export, or a month with no case at all): the message then does not claim the
    unit is under the threshold for the first time (or for exactly that many months).
    """
    month = _month_key(month)
    _, accepted, closed_n, rates = _monthly_rates(cases, branch, month, cutoff)
    streaks = _streaks(rates, branch.closure_rate_threshold)
    unknown = _unknown_before(cases, month, cutoff, streaks)
    first = _first_month(cases)
    end_cutoff = _cutoff(month, cutoff)
    cohort = _cohort(cases, month, end_cutoff)
    threshold = branch.closure_rate_threshold
    findings = []
    for unit in branch.units:
        rate = rates.at[unit, month]
        if pd.isna(rate) or rate >= threshold:
            continue
        n_acc, n_closed, streak = (
            int(accepted.at[unit, month]),
            int(closed_n.at[unit, month]),
            int(streaks[unit]),
        )
        unit_cases = cohort[cohort["unit"] == unit]
        pending = unit_cases[~closed_by(unit_cases, end_cutoff).to_numpy()]
        missing = unknown.get(unit)
        if missing is not None:
            lead = "本月低于阈值" if streak == 1 else f"已连续 {streak} 个月低于阈值"
            since = f"{lead}（{_streak_note(streak, missing, first)}）"
        else:
            since = "本月首次低于阈值" if streak == 1 else f"已连续 {streak} 个月低于阈值"
        findings.append(
            Finding(
                kind="threshold",
                unit=unit,
                month=month,
                message=(
                    f"{unit} {month} 办结率 {format_rate(rate, branch.rate_rule)}（{n_closed}/{n_acc}），"
                    f"低于 {threshold:g}% 的阈值，{since}；办理中 {len(pending)} 件。"
                ),
                numbers={
                    "rate": rate,
                    "closed": n_closed,
                    "accepted": n_acc,
                    "pending": len(pending),
                    "threshold": threshold,
                    "streak": streak,
                    "streak_known": missing is None,
                },
                case_ids=_ids(pending),
            )
        )
    return findings


# ---------------------------------------------------------------------------------------------
# top categories and drill-down


def top_categories(cases: pd.DataFrame, month: str, by: str, n: int = 5, cutoff: Any = None) -> pd.DataFrame:
    """The `n` most frequent values of `by` in the month: 件数, 占比(%) of the month's 受理量, and
    for each channel the share (%) of that row's cases that came through it (unless by="channel").
    """
    _check_by(by)
    cohort = _cohort(cases, month, cutoff)
    total = len(cohort)
    labels = _labels(cohort[by])
    counts = labels.value_counts()
    counts = counts.sort_index(kind="stable").sort_values(ascending=False, kind="stable").head(n)
    frame = pd.DataFrame({BY_LABELS[by]: counts.index.astype(str), "件数": counts.to_numpy(dtype="int64")})
    frame["占比(%)"] = (100.0 * frame["件数"] / total).round(1) if total else float("nan")
    if by != "channel" and total:
        channels = _labels(cohort["channel"])
        shares = pd.crosstab(labels, channels, normalize="index").mul(100).round(1)
        order = channels.value_counts().index
        shares = shares.reindex(index=counts.index, columns=order).fillna(0.0)
        for ch in order:
            frame[f"{ch}占比(%)"] = shares[ch].to_numpy()
    frame.attrs = {"month": _month_key(month), "by": by, "total": total}
    return frame


def drill_down(
    cases: pd.DataFrame,
    month: str,
    cutoff: Any = None,
    *,
    unit: str | None = None,
    column: str = "accepted",
    by: str | None = None,
    value: str | None = None,
) -> pd.DataFrame:
    """The case rows behind one number, exactly those it counts.

    - A unit-table cell: `unit` (None or 全局 for all) and `column` (a unit-table count column).
    - A monthly_counts / change_by / top_categories cell: `by` and `value` (BLANK_LABEL for blanks),
      optionally narrowed to a `unit` and a count `column`. For 上月 or 去年同月 pass that month.
    """
    month = _month_key(month)
    cut = _cutoff(month, cutoff)
    if column not in COUNT_COLUMNS:
        raise KeyError(
            f"没有“{column}”这一项，可选：{'、'.join(f'{c}（{TABLE_LABELS[c]}）' for c in COUNT_COLUMNS)}"
        )
    if by is not None:
        _check_by(by)
        cases = cases[_value_mask(cases, by, value)]
    return cases_behind(cases, month, cut, unit, column)
