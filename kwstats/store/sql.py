"""An analyst's SQL over the store: read-only, no access to other files, every text in the result masked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kwstats.masking import mask_series, mask_text
from kwstats.store.connection import Progress, _reading, duckdb, resolve_store_dir
from kwstats.store.errors import StoreQueryError


def _mask_value(value: Any) -> Any:
    """Mask every text inside a value of a query result (texts, bytes, lists, dicts, structs)."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, bytes | bytearray):
        return mask_text(bytes(value).decode("utf-8", errors="replace"))
    if isinstance(value, dict):
        return {mask_text(k) if isinstance(k, str) else k: _mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_mask_value(v) for v in value)
    if isinstance(value, np.ndarray):
        return [_mask_value(v) for v in value.tolist()]
    return value


def _mask_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text column (and every text nested in other object columns) masked; names too."""
    out = {}
    for col in frame.columns:
        s = frame[col]
        if isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s.dtype):
            if s.dtype == object and not s.dropna().map(lambda v: isinstance(v, str)).all():
                s = s.map(_mask_value, na_action="ignore")
            else:
                s = mask_series(s)
        elif s.dtype == object:
            s = s.map(_mask_value, na_action="ignore")
        out[mask_text(str(col))] = s
    return pd.DataFrame(out, index=frame.index)


def query(
    store_dir: str | Path | None, sql: str, *, timeout: float | None = None, progress: Progress | None = None
) -> pd.DataFrame:
    """Run an analyst's SQL over the store (tables ``cases``, ``rejected``, ``files``) read-only; texts masked.

    The connection is read-only and has no access to other files, so a query can neither change the
    store nor read or write anything else. Raises :class:`StoreQueryError` (in Chinese) when the SQL
    cannot run.
    """
    config = {"enable_external_access": False, "lock_configuration": True}
    with _reading(resolve_store_dir(store_dir), timeout, progress, config) as con:
        try:
            rel = con.sql(sql)
            frame = pd.DataFrame() if rel is None else rel.to_arrow_table().to_pandas()
        except duckdb.Error as exc:
            raise StoreQueryError(f"SQL 无法执行：{mask_text(str(exc).strip())}") from None
    return _mask_frame(frame)
