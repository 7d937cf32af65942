"""A unit table checked: its own consistency (rates, closed against accepted, 全局 against the units)
and, cell by cell, a published table against the computed one."""

from __future__ import annotations

import pandas as pd

from kwstats.checks.findings import Finding
from kwstats.indicators import COUNT_COLUMNS, GLOBAL_UNIT, TABLE_LABELS
from kwstats.rates import closure_rate, format_rate

PUBLISHED_COLUMNS = ("seq", "unit", *COUNT_COLUMNS, "closure_rate_pct")


def check_table(table: pd.DataFrame, rule: str = "truncate", source: str = "表") -> list[Finding]:
    """Internal consistency of a unit table (published or computed).

    Reports: a printed rate that the row's own numbers do not give under `rule`; closed more
    than accepted; 全局 smaller than the sum of the units (impossible); 全局 larger than the
    sum of the units (cases outside the roster, one finding for all columns).
    """
    findings: list[Finding] = []
    is_global = table["unit"] == GLOBAL_UNIT
    for _, row in table.iterrows():
        accepted, closed = int(row["accepted"]), int(row["closed"])
        unit = str(row["unit"])
        printed = row["closure_rate_pct"]
        if (
            closed > accepted
            or int(row["reports_closed"]) > int(row["reports"])
            or int(row["complaints_closed"]) > int(row["complaints"])
        ):
            findings.append(
                Finding(
                    kind="closed_more_than_accepted",
                    severity="error",
                    unit=unit,
                    message=f"{source}中{unit}办结数大于受理数。",
                    numbers={"accepted": accepted, "closed": closed},
                )
            )
        expected = closure_rate(closed, accepted, rule)
        printed_blank = pd.isna(printed)
        if printed_blank != pd.isna(expected) or (not printed_blank and float(printed) != expected):
            findings.append(
                Finding(
                    kind="rate_mismatch",
                    severity="error",
                    unit=unit,
                    message=(
                        f"{source}中{unit}办结率印为 {format_rate(printed, rule) or '空'}，"
                        f"但 {closed}/{accepted} 按本局口径应为 {format_rate(expected, rule) or '空'}。"
                    ),
                    numbers={
                        "closed": closed,
                        "accepted": accepted,
                        "printed": printed,
                        "expected": expected,
                    },
                )
            )
    if is_global.sum() == 1:
        global_row = table[is_global].iloc[0]
        units = table[~is_global]
        excess, deficit = {}, {}
        for col in COUNT_COLUMNS:
            diff = int(global_row[col]) - int(units[col].astype(int).sum())
            if diff > 0:
                excess[col] = diff
            elif diff < 0:
                deficit[col] = diff
        for col, diff in deficit.items():
            findings.append(
                Finding(
                    kind="global_below_units",
                    severity="error",
                    unit=GLOBAL_UNIT,
                    message=(
                        f"{source}中全局{TABLE_LABELS[col]}为 {int(global_row[col])}，"
                        f"而各单位合计 {int(units[col].astype(int).sum())}，全局反而少 {-diff}。"
                    ),
                    numbers={
                        "column": col,
                        "global": int(global_row[col]),
                        "units_sum": int(units[col].astype(int).sum()),
                    },
                )
            )
        if excess:
            parts = "，".join(f"{TABLE_LABELS[c]}差 {d}" for c, d in excess.items())
            findings.append(
                Finding(
                    kind="units_below_global",
                    severity="warning",
                    unit=GLOBAL_UNIT,
                    message=(
                        f"{source}中各单位受理量合计 {int(units['accepted'].astype(int).sum())}，"
                        f"全局 {int(global_row['accepted'])}：{parts}（名册外单位的案件）。"
                    ),
                    numbers={"excess": excess},
                )
            )
    return findings


def compare_tables(published: pd.DataFrame, computed: pd.DataFrame, rule: str = "truncate") -> list[Finding]:
    """Every cell where a published table and the computation disagree (matched by unit name)."""
    findings: list[Finding] = []
    comp = computed.set_index("unit")
    for _, row in published.iterrows():
        unit = str(row["unit"])
        if unit not in comp.index:
            findings.append(
                Finding(kind="cell_mismatch", unit=unit, message=f"公布表中的“{unit}”不在计算结果中。")
            )
            continue
        for col in (*COUNT_COLUMNS, "closure_rate_pct"):
            pub, calc = row[col], comp.at[unit, col]
            if pd.isna(pub) and pd.isna(calc):
                continue
            if pd.isna(pub) or pd.isna(calc) or float(pub) != float(calc):
                if col == "closure_rate_pct":
                    shown_pub, shown_calc = format_rate(pub, rule) or "空", format_rate(calc, rule) or "空"
                else:
                    shown_pub, shown_calc = str(int(pub)), str(int(calc))
                findings.append(
                    Finding(
                        kind="cell_mismatch",
                        severity="error",
                        unit=unit,
                        message=f"{unit}的{TABLE_LABELS[col]}：公布 {shown_pub}，计算 {shown_calc}。",
                        numbers={"column": col, "published": pub, "computed": calc},
                    )
                )
    return findings


def read_published_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Normalise a published table (the reference CSV's columns) to the computed table's dtypes."""
    by_label = {label: key for key, label in TABLE_LABELS.items()}
    frame = frame.rename(columns=lambda c: by_label.get(str(c).strip(), str(c).strip()))
    missing = [c for c in PUBLISHED_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(
            f"公布表缺少列：{'、'.join(TABLE_LABELS[c] for c in missing)}；表头应为"
            f" {','.join(PUBLISHED_COLUMNS)} 或 {','.join(TABLE_LABELS[c] for c in PUBLISHED_COLUMNS)}"
        )
    out = frame[list(PUBLISHED_COLUMNS)].copy()
    out["seq"] = out["seq"].astype(str)
    out["unit"] = out["unit"].astype(str)
    for col in COUNT_COLUMNS:
        out[col] = pd.to_numeric(out[col]).astype("int64")
    rates = out["closure_rate_pct"].astype("string").str.strip().str.rstrip("%")
    out["closure_rate_pct"] = pd.to_numeric(rates, errors="coerce").astype("float64")
    return out
