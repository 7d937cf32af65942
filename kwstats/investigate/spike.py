"""The spike test (异常增长): months in which a unit's or a category's 受理量 rose far above its history.

A Poisson upper tail against the series' own trailing mean, Bonferroni-corrected (`spikes`), and
where the excess comes from (`spike_breakdown`; the main source is named in each finding). The rule
in one Chinese paragraph: SPIKE_METHOD. The module is `spike`, singular: `investigate.spikes` is
the function.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from kwstats.aggregates import Aggregates, for_month
from kwstats.checks import Finding
from kwstats.indicators import accepted_cases
from kwstats.investigate.change import monthly_counts
from kwstats.investigate.cohorts import (
    BLANK_LABEL,
    BY_LABELS,
    _check_by,
    _cutoff,
    _first_accepted,
    _ids,
    _labels,
    _month_key,
    _months,
    _shift_month,
)
from kwstats.labels import DIMENSION_LABELS as _DIMENSION_LABELS

# The columns a spike is broken down by, with the label its 维度 column shows.
DIMENSION_LABELS: dict[str, str] = _DIMENSION_LABELS
BREAKDOWN_BY = ("goods_category", "problem_category", "respondent", "unit", "channel")

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
    *,
    aggregates: Aggregates | None = None,
    cutoff: Any = None,
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

    For a given month the series before it are kwstats.aggregates' (`aggregates`, or counted from
    `cases`); the breakdown counts the spiking series' own rows (a scoped case table holds them).
    A given month is counted as of `cutoff` (default: its end), as the bulletin's table counts it;
    the finding records it (numbers["cutoff"]) for its chart and breakdown.
    """
    by = tuple(by)
    for field in by:
        _check_by(field)
    explain_by = tuple(explain_by)
    for dim in explain_by:
        _check_dimension(dim)
    acc = accepted_cases(cases)
    acc = acc[acc["registered_at"].notna()]
    past, cut = None, None
    if month is not None:
        month = _month_key(month)
        cut = _cutoff(month, cutoff)
        acc = acc[acc["registered_at"] <= cut]
        past = for_month(cases, month, cut, aggregates)
    grids = {
        field: monthly_counts(acc if past is None else cases, field, cutoff=cut, aggregates=past)
        for field in by
    }
    if not by or next(iter(grids.values())).empty:
        return []
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
                                **({"cutoff": cut.isoformat()} if cut is not None else {}),
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
    *,
    aggregates: Aggregates | None = None,
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
    cut = _cutoff(month, nums.get("cutoff"))  # as of the cutoff the finding was counted at
    acc = acc[acc["registered_at"].notna() & (acc["registered_at"] <= cut)]
    mean_label = f"前 {window} 个月平均"
    columns = ["维度", "取值", "本月", mean_label, "超出"]
    attrs = {"field": field, "value": value, "month": month, "window": window}
    if acc.empty:
        out = pd.DataFrame(columns=columns)
        out.attrs = attrs
        return out
    months = _months(acc)
    in_series = (_labels(acc[field]) == value).to_numpy()
    first_month = _first_accepted(
        aggregates if aggregates is None or aggregates.month == month else None, months
    )
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
