"""kwstats.aggregates over the store, in SQL: the months before a bulletin's month counted where the
cases are, so that only small tables leave DuckDB.

The same definitions as :func:`kwstats.aggregates.aggregates_from_cases` (the pandas back end, and
the oracle the tests hold this to): a month's accepted cases are its complaints and reports, closed
"by its own end" is ``closed_at`` before the next month's first instant or closed by the stage at
the export, a blank value is ``（空）``. Each query reads a few columns; the month filter on
``registered_at`` lets DuckDB skip the row groups after the month (cases are stored in registration
order).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from kwstats.aggregates import (
    BLANK,
    FIELDS,
    Aggregates,
    case_months_frame,
    monthly_frame,
    windows_frame,
)
from kwstats.params import CumulativeWindow
from kwstats.period import Period
from kwstats.schema import CASE_COLUMNS, COMPLAINT, REPORT
from kwstats.store.connection import duckdb
from kwstats.store.schema import _q, _table_columns

ACCEPTED = f"kind IN ('{COMPLAINT}', '{REPORT}')"


def instant(stamp: pd.Timestamp) -> object:
    """A Timestamp as DuckDB takes it (microseconds: the store's precision, so `<=` is unchanged)."""
    return pd.Timestamp(stamp).floor("us").to_pydatetime()


def _column(have: set[str], name: str, missing: str = "NULL") -> str:
    """A case column by its quoted name, or `missing` when an older store lacks it."""
    return _q(name) if name in have else missing


def _key(stamp: object) -> str:
    return f"{pd.Timestamp(stamp):%Y-%m}"


def aggregates_from_store(
    con: duckdb.DuckDBPyConnection,
    period: Period,
    windows: Iterable[CumulativeWindow] = (),
    *,
    scoped: bool = True,
) -> Aggregates:
    """The aggregates of `period`'s month (its cutoff for the windows), counted in the store's SQL."""
    have = set(_table_columns(con, "cases"))
    start = instant(period.start)
    first = con.execute("SELECT min(registered_at) FROM cases").fetchall()[0][0]
    months = con.execute(
        "SELECT date_trunc('month', registered_at) AS m, count(*) FROM cases WHERE registered_at < ? GROUP BY 1",
        [start],
    ).fetchall()
    case_months = pd.DataFrame([(_key(m), int(n)) for m, n in months], columns=["month", "cases"])
    stage = f"coalesce({_column(have, 'closed_by_stage', 'false')}, false)"
    own_end = "date_trunc('month', registered_at) + INTERVAL 1 MONTH"
    fields = ", ".join(_column(have, f) + f" AS {_q(f)}" for f in FIELDS)
    sets = ", ".join(f"(m, {_q(f)})" for f in FIELDS)
    grouping = ", ".join(f"grouping({_q(f)}) AS {_q('g_' + f)}" for f in FIELDS)
    rows = con.execute(
        f"""
        WITH acc AS (
            SELECT date_trunc('month', registered_at) AS m, {fields},
                   (closed_at IS NOT NULL AND closed_at < {own_end}) OR {stage} AS closed
            FROM cases WHERE registered_at < ? AND {ACCEPTED}
        )
        SELECT m, {", ".join(_q(f) for f in FIELDS)}, {grouping},
               count(*) AS accepted, count(*) FILTER (WHERE closed) AS closed
        FROM acc GROUP BY GROUPING SETS ({sets})
        """,
        [start],
    ).fetchall()
    parts = []
    n = len(FIELDS)
    for row in rows:
        m, values, groups, accepted, closed = row[0], row[1 : 1 + n], row[1 + n : 1 + 2 * n], row[-2], row[-1]
        i = groups.index(0)  # the grouping set this row belongs to
        value = values[i]
        parts.append((_key(m), FIELDS[i], BLANK if value is None else str(value), int(accepted), int(closed)))
    monthly = pd.DataFrame(parts, columns=["month", "field", "value", "accepted", "closed"])
    cut = instant(period.cutoff)
    window_rows = []
    for w in windows:
        if w.flag not in CASE_COLUMNS:  # params validate the flag; never interpolate anything else
            raise ValueError(f"未知的累计口径标志列：{w.flag}")
        flag = f"coalesce({_column(have, w.flag, 'false')}, false)"
        unknown = f"coalesce({_column(have, 'closure_basis')} = 'none', false)"
        count, closed, any_unknown = con.execute(
            f"""
            SELECT count(*),
                   count(*) FILTER (WHERE (closed_at IS NOT NULL AND closed_at <= ?) OR {stage}),
                   coalesce(bool_or({unknown}), false)
            FROM cases WHERE {ACCEPTED} AND {flag} AND registered_at >= ? AND registered_at <= ?
            """,
            [cut, instant(pd.Timestamp(w.start)), cut],
        ).fetchall()[0]
        window_rows.append(
            {"key": w.key, "count": int(count), "closed": int(closed), "unknown": bool(any_unknown)}
        )
    return Aggregates(
        month=period.key,
        cutoff=period.cutoff,
        first_registered=None if first is None else pd.Timestamp(first),
        monthly=monthly_frame(monthly),
        case_months=case_months_frame(case_months),
        windows=windows_frame(window_rows),
        scoped=scoped,
    )
