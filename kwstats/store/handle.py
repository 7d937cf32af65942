"""A handle on one store (for notebooks and scripts): the package's functions bound to a folder."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from kwstats.ingest import IngestResult
from kwstats.params import Branch
from kwstats.store.connection import STORE_FILE, Progress, _reading, resolve_store_dir
from kwstats.store.ingest import IngestSummary, ingest_into_store
from kwstats.store.parquet import export_parquet
from kwstats.store.read import load_cases_from_store
from kwstats.store.sql import query
from kwstats.store.state import store_state


class Store:
    """A handle on one store, ``<dir>/cases.duckdb``.

    Every call opens a short read-only connection and closes it again, so a handle kept in a notebook
    never holds the lock that an ingest needs. Writes go through :meth:`ingest` only.
    """

    def __init__(
        self,
        store_dir: str | Path | None = None,
        *,
        timeout: float | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.directory = resolve_store_dir(store_dir)
        self.path = self.directory / STORE_FILE
        self.timeout = timeout
        self.progress = progress

    def __repr__(self) -> str:
        return f"Store({str(self.directory)!r})"

    def exists(self) -> bool:
        return self.path.is_file()

    def ingest(self, files: Iterable[str | Path] | str | Path, branch: Branch) -> IngestSummary:
        return ingest_into_store(self.directory, files, branch, progress=self.progress, timeout=self.timeout)

    def load(self, months: Sequence[str] | str | None = None) -> IngestResult:
        return load_cases_from_store(
            self.directory, months=months, timeout=self.timeout, progress=self.progress
        )

    def cases(self, months: Sequence[str] | str | None = None) -> pd.DataFrame:
        return self.load(months).cases

    def query(self, sql: str) -> pd.DataFrame:
        return query(self.directory, sql, timeout=self.timeout, progress=self.progress)

    def state(self) -> dict[str, Any]:
        return store_state(self.directory, timeout=self.timeout, progress=self.progress)

    def export_parquet(self, out_dir: str | Path) -> Path:
        return export_parquet(self.directory, out_dir, timeout=self.timeout, progress=self.progress)


def open_store(
    store_dir: str | Path | None = None, *, timeout: float | None = None, progress: Progress | None = None
) -> Store:
    """A handle on an existing store: StoreNotFoundError when there is none, StoreError when it is unusable."""
    store = Store(store_dir, timeout=timeout, progress=progress)
    with _reading(store.directory, timeout, progress):
        pass
    return store
