"""The store's errors (messages in Chinese; the CLI maps busy to exit 75, the usage errors to exit 2)."""

from __future__ import annotations

from kwstats.exceptions import KwstatsError, UsageError


class StoreError(KwstatsError):
    """The case store cannot be used (not a store, another format, a DuckDB failure)."""


class StoreNotFoundError(StoreError, UsageError):
    """No store in the given folder: nothing has been ingested there (a wrong path)."""


class StoreBusyError(StoreError):
    """Another process held the store for longer than the wait allowed."""


class StoreQueryError(StoreError, UsageError):
    """An analyst's SQL could not run (a syntax error, an unknown column, a write)."""
