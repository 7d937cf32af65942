"""The cases as month-partitioned Parquet (hive style) that Spark, Trino and DuckDB read."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from kwstats import __version__
from kwstats.exceptions import UsageError
from kwstats.schema import CASE_COLUMNS
from kwstats.store.connection import Progress, _reading, _say, _shown, resolve_store_dir
from kwstats.store.schema import _q, _table_columns
from kwstats.store.state import _state

EXPORT_MANIFEST = "_kwstats_export.json"  # '_' prefix: Spark, Hive and Trino skip it as a data file


def export_parquet(
    store_dir: str | Path | None,
    out_dir: str | Path,
    *,
    timeout: float | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write the cases as month-partitioned Parquet, ``out_dir/month=YYYY-MM/part-0.parquet`` (hive style).

    ``month`` is the month of ``registered_at`` (the month a case counts in). Columns: the canonical
    ones plus ``file_sha256``; texts as UTF-8 strings, dates as microsecond timestamps (what Spark,
    Trino and DuckDB all read), flags as booleans. ``_kwstats_export.json`` beside the partitions
    records the store's state. The folder is replaced whole (written beside it, then renamed), and
    only when it is empty or an earlier export.
    """
    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / EXPORT_MANIFEST).is_file())):
        raise UsageError(
            f"输出目录 {_shown(out)} 已存在且不是 kwstats 导出的 Parquet 目录，未覆盖。请换一个目录。"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        directory = resolve_store_dir(store_dir)
        with _reading(directory, timeout, progress) as con:
            state = _state(con, directory)
            have = set(_table_columns(con, "cases"))
            cols = [
                f"CAST({_q(c)} AS TIMESTAMP) AS {_q(c)}" if t.startswith("datetime") else _q(c)
                for c, t in CASE_COLUMNS.items()
                if c in have
            ]
            if state["cases"]:
                select = ", ".join([*cols, "file_sha256", "strftime(registered_at, '%Y-%m') AS month"])
                target = str(tmp).replace("'", "''")
                con.execute(
                    f"COPY (SELECT {select} FROM cases ORDER BY registered_at, case_id) TO '{target}' "
                    "(FORMAT parquet, PARTITION_BY (month), FILENAME_PATTERN 'part-{i}', OVERWRITE_OR_IGNORE)"
                )
        months = sorted(p.name.removeprefix("month=") for p in tmp.glob("month=*"))
        manifest = {"store": state, "months": months, "kwstats_version": __version__}
        (tmp / EXPORT_MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        if out.exists():
            os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _say(progress, f"已导出 {state['cases']} 件、{len(months)} 个月到 {_shown(out)}。")
    return out
