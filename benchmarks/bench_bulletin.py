"""Time `kwstats bulletin` for 2022-01 against the floor, alternating runs, and print the median ratio.

Floor: papermill executing a one-cell notebook that imports the same libraries, then nbconvert to
HTML — the cost of the machinery alone. Target: the bulletin at most 1.5x the floor.
Not a test: these machines are shared and noisy, so only the ratio of interleaved runs means much.

    .venv/bin/python benchmarks/bench_bulletin.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR_SCRIPT = r"""
import sys, nbformat, papermill as pm
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_notebook
work = sys.argv[1]
nb = new_notebook(cells=[new_code_cell(
    "import pandas, seaborn, matplotlib, kwstats.report, kwstats.charts, kwstats.ingest, kwstats.investigate"
)])
nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
nbformat.write(nb, f"{work}/floor.ipynb")
pm.execute_notebook(f"{work}/floor.ipynb", f"{work}/floor-out.ipynb", kernel_name="python3", progress_bar=False)
body, _ = HTMLExporter(template_name="lab").from_filename(f"{work}/floor-out.ipynb")
open(f"{work}/floor.html", "w", encoding="utf-8").write(body)
"""

BULLETIN_SCRIPT = r"""
import sys
from kwstats.bulletin import build_bulletin
build_bulletin("2022-01", out_dir=sys.argv[1])
"""


def timed(script: str, work: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", script, work], check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each, alternating (default 5)")
    args = parser.parse_args()
    from kwstats.sample import ensure_sample

    ensure_sample()  # generating the sample is set-up, not part of the monthly run
    floor, bulletin = [], []
    with tempfile.TemporaryDirectory() as work:
        timed(FLOOR_SCRIPT, work)  # warm the file cache once for both
        for i in range(args.runs):
            floor.append(timed(FLOOR_SCRIPT, work))
            bulletin.append(timed(BULLETIN_SCRIPT, str(Path(work) / "out")))
            print(f"run {i + 1}: floor {floor[-1]:.2f}s  bulletin {bulletin[-1]:.2f}s", flush=True)
    f, b = statistics.median(floor), statistics.median(bulletin)
    print(f"median floor {f:.2f}s, median bulletin {b:.2f}s, ratio {b / f:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
