"""Shared fixtures: the branch params, hand-made case frames, and the shipped synthetic sample."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from kwstats.params import load_branch
from kwstats.schema import conform

REPO = Path(__file__).resolve().parent.parent
REFERENCE_DIR = Path(os.environ.get("KWSTATS_REFERENCE", REPO / "tests" / "reference"))
os.environ.setdefault("MPLBACKEND", "Agg")
# No test reads a case store it did not make: the default store (data/store, or the developer's
# $KWSTATS_STORE) would otherwise replace the sample wherever a test gives no --data.
os.environ["KWSTATS_STORE"] = tempfile.mkdtemp(prefix="kwstats-tests-no-store-")


@pytest.fixture(scope="session")
def branch():
    return load_branch()


def make_cases(rows: list[dict]) -> pd.DataFrame:
    """A canonical case table from a few dicts; dates as strings are parsed."""
    frame = pd.DataFrame(rows)
    for col in ("registered_at", "accepted_at", "first_contact_at", "verified_at", "closed_at"):
        if col in frame:
            frame[col] = pd.to_datetime(frame[col], format="mixed")
    if "case_id" not in frame:
        frame["case_id"] = [f"C{i:05d}" for i in range(len(frame))]
    return conform(frame)


@pytest.fixture(scope="session")
def sample_ingest(branch):
    """The synthetic sample, generated if absent, read through the real ingest."""
    from kwstats.sources import load_cases

    return load_cases(branch)


@pytest.fixture(scope="session")
def sample_cases(sample_ingest):
    return sample_ingest.cases


@pytest.fixture(scope="session")
def reference_table():
    from kwstats.checks import read_published_table

    path = REFERENCE_DIR / "bulletin-2022-01-table.csv"
    assert path.exists(), f"reference table missing: {path} (set KWSTATS_REFERENCE)"
    return read_published_table(pd.read_csv(path, dtype=str))


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory, branch):
    """The synthetic sample ingested into a case store (once a session)."""
    from kwstats import store as st
    from kwstats.sample import ensure_sample

    store = tmp_path_factory.mktemp("store")
    st.ingest_into_store(store, [ensure_sample()], branch)
    return store
