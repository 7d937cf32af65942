"""Ingest speed and memory on the synthetic sample (36 monthly files, ~46 000 rows), side by side.

Speed: kwstats.ingest (python-calamine) against pandas.read_excel with openpyxl reading the same
xlsx files raw — the naive way a clerk's script would do it — median of alternating runs.
Memory: the canonical table (categoricals) against the same table with every column as object.
Not a test: run it by hand (`.venv/bin/python benchmarks/bench_ingest.py`).
"""

from __future__ import annotations

import argparse
import statistics
import time

import pandas as pd

from kwstats.ingest import read_exports
from kwstats.params import load_branch
from kwstats.sample import ensure_sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    branch = load_branch()
    folder = ensure_sample()
    xlsx = sorted(folder.glob("*.xlsx"))
    ours, naive = [], []
    for _ in range(args.runs):
        t = time.perf_counter()
        result = read_exports([folder], branch)
        ours.append(time.perf_counter() - t)
        try:
            t = time.perf_counter()
            for f in xlsx:
                pd.read_excel(f, header=None, engine="openpyxl")
            naive.append(time.perf_counter() - t)
        except ImportError:
            naive.append(float("nan"))
    o, n = statistics.median(ours), statistics.median(naive)
    print(f"kwstats ingest, all {len(result.files)} files parsed and checked: {o:.2f}s")
    print(f"pandas+openpyxl, only reading the {len(xlsx)} xlsx files raw:   {n:.2f}s   ratio {o / n:.2f}x")
    cases = result.cases
    lean = cases.memory_usage(deep=True).sum()
    fat = cases.astype(object).memory_usage(deep=True).sum()
    print(
        f"canonical table {len(cases)} rows: {lean / 2**20:.1f} MiB; all-object: {fat / 2**20:.1f} MiB; "
        f"ratio {lean / fat:.2f}x"
    )


if __name__ == "__main__":
    main()
