"""The export layout: each case formatted as a row of cells as the platform writes them, and the
planted bad rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kwstats.demo.design import _FLAGS, _HEADER_ROWS, _VARIANTS, PLANTED_BAD_ROWS
from kwstats.demo.specials import _at
from kwstats.sample_files import (
    sample_file_name,
)
from kwstats.schema import COMPLAINT, CONSULTATION

# stage words per variant: closed, complaint accepted and open, complaint not accepted, report open
_STAGES = {
    2020: ("已办结", "处理中", "待受理", "处理中"),
    2021: ("办结", "办理中", "待受理", "办理中"),
    2022: ("已办结", "调解中", "待受理", "核查中"),
}
_DATE_FIELDS = ("registered_at", "accepted_at", "first_contact_at", "verified_at", "closed_at")
_EXCEL_EPOCH_DT = dt.datetime(1899, 12, 30)


def _fmt_date(ts: dt.datetime, code: int) -> Any:
    if code == 0:
        return f"{ts.year}-{ts.month:02d}-{ts.day:02d} {ts.hour:02d}:{ts.minute:02d}:{ts.second:02d}"
    if code == 1:
        return f"{ts.year}/{ts.month}/{ts.day} {ts.hour}:{ts.minute:02d}"
    if code == 2:
        return f"{ts.year}年{ts.month}月{ts.day}日 {ts.hour:02d}:{ts.minute:02d}"
    if code == 3:
        return ts
    if code == 4:
        return (ts - _EXCEL_EPOCH_DT) / dt.timedelta(days=1)
    return f"{ts.year}-{ts.month:02d}-{ts.day:02d}"


def _fmt_amount(value: float, code: int, xlsx: bool) -> Any:
    if value == 0:
        return (None, "0", "0.00", 0)[code] if xlsx or code < 3 else "0"
    if code == 0:
        return f"{value:,.2f}"
    if code == 1:
        return f"{value:g}元"
    if code == 3 and xlsx:
        return value
    return f"{value:g}"


@dataclass
class _File:
    month: str
    name: str
    encoding: str | None  # None for xlsx
    headers: list[str]
    rows: list[list[Any]]  # data rows only (good and bad)

    @property
    def title(self) -> str:
        return f"宽城市场监管分局12315投诉举报登记表（{int(self.month[:4])}年{int(self.month[5:])}月）"


def _cells(df: pd.DataFrame, year: int, xlsx: bool, rng: np.random.Generator) -> tuple[list[list[Any]], dict]:
    """Format each case as an export row; return rows and the canonical values they parse to."""
    n = len(df)
    cols = _VARIANTS[year]
    p_date = [0.45, 0.15, 0.10, 0.20, 0.10] if xlsx else [0.6, 0.25, 0.15]
    codes = {f: rng.choice(len(p_date), size=n, p=p_date) for f in _DATE_FIELDS}
    date_only = rng.random(n) < (0.6 if year == 2021 else 0.08)
    amount_code = rng.choice(4, size=n, p=[0.4, 0.25, 0.2, 0.15] if xlsx else [0.45, 0.3, 0.25, 0.0])
    blank_flag = rng.random((n, 3)) < 0.15
    urge_code = rng.integers(0, 2, size=n)
    show_id = rng.random(n) < 0.4
    stages = _STAGES[year]
    canon: dict[str, list[Any]] = {f: [] for f in _DATE_FIELDS}
    dates = {f: df[f].to_numpy(dtype="datetime64[us]").astype(object).tolist() for f in _DATE_FIELDS}
    plain = {c: [_text(v) for v in df[c].tolist()] for c in _TEXT_COLUMNS}
    kinds, losses, urges = df["kind"].tolist(), df["recovered_loss"].tolist(), df["urges"].tolist()
    flag_values = {f: df[f].tolist() for f in _FLAGS}
    fields = [f for _, f in cols]
    rows = []
    for i in range(n):
        values: dict[str, Any] = {c: plain[c][i] for c in _TEXT_COLUMNS}
        for f in _DATE_FIELDS:
            ts = dates[f][i]
            if ts is None:
                values[f] = None
                canon[f].append(None)
                continue
            code = int(codes[f][i])
            if f == "closed_at" and date_only[i]:
                day = dt.datetime(ts.year, ts.month, ts.day)
                if all(day >= dates[g][i] for g in _DATE_FIELDS[:4] if dates[g][i] is not None):
                    code = 5
            values[f] = _fmt_date(ts, code)
            canon[f].append(dt.datetime(ts.year, ts.month, ts.day) if code == 5 else ts)
        kind = kinds[i]
        if dates["closed_at"][i] is not None:
            stage = stages[0]
        elif kind == COMPLAINT:
            stage = stages[1] if dates["accepted_at"][i] is not None else stages[2]
        else:
            stage = stages[3]
        for j, f in enumerate(_FLAGS):
            values[f] = "是" if flag_values[f][i] else (None if blank_flag[i, j] else "否")
        values.update(
            row_no=i + 1,
            kind=kind,
            stage=stage,
            recovered_loss=_fmt_amount(losses[i], int(amount_code[i]), xlsx),
            urges=_fmt_urges(int(urges[i]), bool(urge_code[i]), xlsx),
        )
        if kind == CONSULTATION or not show_id[i]:
            values["idno"] = None
        rows.append([values[f] for f in fields])
    stage_col = fields.index("stage")
    canon["stage"] = [r[stage_col] for r in rows]
    return rows, canon


_TEXT_COLUMNS = ("case_id", "unit", "channel", "goods_category", "problem_category", "respondent", "content",
                 "name", "phone", "idno", "address")  # fmt: skip


def _text(value: Any) -> str | None:
    """A text cell; None (blank) for missing values."""
    return (
        None
        if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))
        else str(value)
    )


def _fmt_urges(n: int, alt: bool, xlsx: bool) -> Any:
    """催办次数 as a number cell, text, or blank for 0."""
    if xlsx and alt:
        return n
    return str(n) if n or alt else None


def _bad_rows(month: str, year: int, xlsx: bool) -> list[tuple[int, list[Any]]]:
    """The planted bad rows of `month`'s file, with their data positions."""
    out = []
    cols = [f for _, f in _VARIANTS[year]]
    for bad in PLANTED_BAD_ROWS:
        if bad["file"] != sample_file_name(month):
            continue
        case_id = bad["case_id"]
        day = dt.date.fromisoformat(f"{month}-{int(case_id[6:8]) if case_id else 20:02d}")
        reg = _at(day, "08:05" if bad["reason"] == "duplicate_conflict" else "10:20")
        values: dict[str, Any] = {
            "row_no": 0, "case_id": case_id, "kind": COMPLAINT, "registered_at": _fmt_date(reg, 0),
            "unit": "兴业所", "channel": "电话", "accepted_at": _fmt_date(reg + pd.Timedelta(minutes=50), 0),
            "first_contact_at": _fmt_date(reg + pd.Timedelta(minutes=70), 0), "verified_at": None,
            "closed_at": _fmt_date(reg + pd.Timedelta(days=5, hours=4), 0), "stage": _STAGES[year][0],
            "recovered_loss": "0", "filed": "否", "complaint_to_case": "否", "epidemic": "否",
            "goods_category": "服装鞋帽", "problem_category": "质量", "urges": "0",
            "respondent": "宽城区优品服装店", "content": "在宽城区优品服装店购买羽绒服，穿了一周即开线跑绒，要求退货退款。",
            "name": "赵女士", "phone": "13756201984", "idno": None, "address": "长春市宽城区长江路88号",
        }  # fmt: skip
        reason = bad["reason"]
        if reason == "duplicate_conflict":
            values.update(
                unit="凯旋所", goods_category="通讯器材", respondent="宽城区众诚通讯器材店",
                content="在宽城区众诚通讯器材店购买蓝牙耳机，充电后无法开机，商家称人为损坏拒绝维修，要求更换。",
            )  # fmt: skip
        elif reason == "missing_id":
            values["case_id"] = None
        elif reason == "date":
            values["registered_at"] = bad["value"]
        else:
            values[bad["field"]] = bad["value"]
        out.append((bad["line"] - _HEADER_ROWS - 1, [values[f] for f in cols]))
    return sorted(out, key=lambda t: t[0])


def _reserved_days(month: str) -> dict[dt.date, int]:
    out: dict[dt.date, int] = {}
    for bad in PLANTED_BAD_ROWS:
        cid = bad["case_id"]
        if bad["file"] == sample_file_name(month) and cid and bad["reason"] != "duplicate_conflict":
            d = dt.date(int(cid[:4]), int(cid[4:6]), int(cid[6:8]))
            out[d] = out.get(d, 0) + 1
    return out
