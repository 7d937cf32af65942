"""Putting the months together: special cases placed, texts written, epidemic closures kept open,
case ids numbered per day, events cut off at the export time."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from kwstats.demo.design import (
    EPIDEMIC_CUTOFF,
    EPIDEMIC_START,
    EPIDEMIC_WINDOW_CLOSED,
    EPIDEMIC_WINDOW_TOTAL,
    EXPORT_AT,
    PLANTED_SPIKE,
)
from kwstats.demo.simulate import _JAN_CUTOFF, _MIN
from kwstats.demo.specials import _check, _specials
from kwstats.demo.texts import _content, _Draw, _people, _respondent, _spike_content
from kwstats.schema import CONSULTATION, REPORT

# ---------------------------------------------------------------------------------------------
# Putting the months together.


def _apply_specials(frames: dict[str, pd.DataFrame], seed: int) -> None:
    rng = np.random.default_rng([seed, 0, 0, 2])
    for sp in _specials():
        df = frames[sp.month]
        ok = (df["kind"] == sp.kind) & (df["special"] == "") & ~df["epidemic"]
        if sp.month == "2022-01":
            ok &= df["closed_by_cutoff"] == (sp.closed is not None and sp.closed <= _JAN_CUTOFF)
        i = int(rng.choice(df.index[ok].to_numpy()))
        for col, value in (
            ("registered_at", sp.registered), ("accepted_at", sp.accepted), ("first_contact_at", sp.contact),
            ("verified_at", sp.verified), ("closed_at", sp.closed),
        ):  # fmt: skip
            df.at[i, col] = pd.NaT if value is None else value
        df.at[i, "content"] = sp.content
        df.at[i, "respondent"] = sp.respondent
        df.at[i, "goods_category"] = sp.goods
        df.at[i, "problem_category"] = sp.problem
        df.at[i, "channel"] = sp.channel
        df.at[i, "recovered_loss"] = sp.amount
        df.at[i, "filed"] = False
        df.at[i, "complaint_to_case"] = False
        df.at[i, "urges"] = 0
        df.at[i, "special"] = sp.case_id


def _texts(df: pd.DataFrame, rng: np.random.Generator) -> None:
    """Respondents, contents and fake personal data for the ordinary rows."""
    draw = _Draw(rng)
    resp, content = [], []
    for kind, epi, goods, problem, special, old_resp, old_content in zip(
        df["kind"].tolist(), df["epidemic"].tolist(), df["goods_category"].tolist(), df["problem_category"].tolist(),
        df["special"].tolist(), df["respondent"].tolist(), df["content"].tolist(), strict=True,
    ):  # fmt: skip
        if special == "spike":
            resp.append(PLANTED_SPIKE["respondent"])
            content.append(_spike_content(draw, problem))
        elif special:
            resp.append(old_resp)
            content.append(old_content)
        else:
            r = None if kind == CONSULTATION else _respondent(draw, goods)
            resp.append(r)
            content.append(_content(draw, kind, bool(epi), goods, problem, r))
    df["respondent"] = resp
    df["content"] = content
    df["name"], df["phone"], df["idno"], df["address"] = _people(rng, len(df))


def _epidemic_closures(frames: dict[str, pd.DataFrame], seed: int) -> None:
    """Keep EPIDEMIC_WINDOW_TOTAL - EPIDEMIC_WINDOW_CLOSED window cases open at the cutoff.

    Besides January 2022's pending cases, these are epidemic reports filed as a case whose
    12315 record was only closed when the case ended, between February and November 2022.
    """
    rng = np.random.default_rng([seed, 0, 0, 3])
    allc = pd.concat(frames, names=["month", "row"])
    window = (
        allc["epidemic"]
        & (allc["kind"] != CONSULTATION)
        & (allc["registered_at"] >= EPIDEMIC_START)
        & (allc["registered_at"] <= EPIDEMIC_CUTOFF)
    )
    _check(int(window.sum()) == EPIDEMIC_WINDOW_TOTAL, f"epidemic window holds {int(window.sum())}")
    open_now = window & ~(allc["closed_at"] <= EPIDEMIC_CUTOFF)
    need = EPIDEMIC_WINDOW_TOTAL - EPIDEMIC_WINDOW_CLOSED - int(open_now.sum())
    _check(need >= 0, f"too many epidemic cases open at the cutoff ({-need} over)")
    pool = window & ~open_now & (allc["kind"] == REPORT) & (allc["special"] == "")
    pool &= allc["registered_at"] < pd.Timestamp("2022-01-01")
    chosen = rng.choice(np.flatnonzero(pool.to_numpy()), size=need, replace=False)
    keys = allc.index[chosen]
    first = pd.Timestamp("2022-02-08")
    for (month, row), d, t in zip(
        keys, rng.integers(0, 296, size=need), rng.integers(540, 1020, size=need), strict=True
    ):
        df = frames[month]
        df.at[row, "closed_at"] = first + pd.Timedelta(days=int(d)) + int(t) * _MIN
        df.at[row, "filed"] = True


def _assign_ids(df: pd.DataFrame, reserved: dict[dt.date, int]) -> pd.DataFrame:
    """Sort by registration and number the cases per day: yyyymmdd + 4-digit daily sequence."""
    df = df.sort_values(["registered_at", "kind"], kind="stable").reset_index(drop=True)
    day = df["registered_at"].dt.date
    seq = df.groupby(day).cumcount().to_numpy() + 1 + np.array([reserved.get(d, 0) for d in day])
    df["case_id"] = [f"{d:%Y%m%d}{s:04d}" for d, s in zip(day, seq, strict=True)]
    specials = df["special"].to_numpy()
    for i in np.flatnonzero([bool(s) and s != "spike" for s in specials]):
        _check(df.at[i, "case_id"] == specials[i], f"special case {specials[i]} got id {df.at[i, 'case_id']}")
    return df


def _finish(df: pd.DataFrame) -> None:
    """Cut the events off at the export time; open cases get a stage, closed ones keep amounts."""
    for col in ("accepted_at", "first_contact_at", "verified_at", "closed_at"):
        df[col] = df[col].astype("datetime64[ns]")
        df.loc[df[col] > EXPORT_AT, col] = pd.NaT
    still_open = df["closed_at"].isna()
    df.loc[still_open, "recovered_loss"] = 0.0
    df.loc[still_open, "complaint_to_case"] = False
    df["filed"] = df["filed"].astype(bool)
    df["complaint_to_case"] = df["complaint_to_case"].astype(bool)
