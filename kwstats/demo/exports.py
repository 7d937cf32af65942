"""The sample built once per seed, its good cases, and its files written (xlsx and CSV) with their
title, note, header and total rows."""

from __future__ import annotations

import csv
import datetime as dt
import functools
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter

from kwstats.demo.assemble import _apply_specials, _assign_ids, _epidemic_closures, _finish, _texts
from kwstats.demo.design import _HEADER_ROWS, _NOTE_AT, _XLSX_CREATED, HEADER_VARIANTS
from kwstats.demo.layout import _bad_rows, _cells, _File, _reserved_days
from kwstats.demo.simulate import _january_2022_amounts, _simulate_month
from kwstats.sample_files import (
    CSV_ENCODINGS,
    DEFAULT_SAMPLE_DIR,
    DEFAULT_SEED,
    MARKER_NAME,
    MONTHS,
    is_current,
    marker_text,
    sample_file_name,
)
from kwstats.schema import conform


@functools.lru_cache(maxsize=2)
def _build(seed: int) -> tuple[pd.DataFrame, tuple[_File, ...]]:
    frames = {m: _simulate_month(m, seed) for m in MONTHS}
    _apply_specials(frames, seed)
    _january_2022_amounts(frames["2022-01"], np.random.default_rng([seed, 0, 0, 4]))
    _epidemic_closures(frames, seed)
    files, canon_frames = [], []
    for m in MONTHS:
        year, mon = int(m[:4]), int(m[5:])
        df = _assign_ids(frames[m], _reserved_days(m))
        _finish(df)
        _texts(df, np.random.default_rng([seed, year, mon, 5]))
        xlsx = m not in CSV_ENCODINGS
        rows, canon = _cells(df, year, xlsx, np.random.default_rng([seed, year, mon, 6]))
        name = sample_file_name(m)
        lines = np.arange(len(rows)) + _HEADER_ROWS + 1
        for pos, bad in _bad_rows(m, year, xlsx):
            rows.insert(pos, bad)
            lines[lines >= pos + _HEADER_ROWS + 1] += 1
        if year == 2022:
            row_no_col = HEADER_VARIANTS[2022].index("序号")
            for k, r in enumerate(rows):
                r[row_no_col] = k + 1
        files.append(_File(m, name, CSV_ENCODINGS.get(m), HEADER_VARIANTS[year], rows))
        out = df.drop(
            columns=[c for c in ("name", "phone", "idno", "address", "closed_by_cutoff") if c in df]
        )
        for f, v in canon.items():
            out[f] = v
        out["source_file"] = name
        out["source_line"] = lines
        canon_frames.append(out)
    cases = pd.concat(canon_frames, ignore_index=True)
    cases["unit"] = cases["unit"].where(cases["unit"].notna(), None)
    cases["respondent"] = cases["respondent"].where(cases["respondent"].notna(), None)
    return conform(cases), tuple(files)


# ---------------------------------------------------------------------------------------------
# Public API.


def generate_cases(seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The good cases of the sample exports as the canonical case table (content unmasked)."""
    cases, _ = _build(seed)
    return cases.copy()


def _write_xlsx(path: Path, f: _File, note: str) -> None:
    wb = xlsxwriter.Workbook(
        str(path),
        {
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    wb.set_properties({"created": _XLSX_CREATED, "author": "12315", "title": f.title})
    ws = wb.add_worksheet("登记表")
    ncol = len(f.headers)
    ws.merge_range(
        0, 0, 0, ncol - 1, f.title, wb.add_format({"bold": True, "align": "center", "font_size": 14})
    )
    ws.write_string(1, 0, note)
    ws.write_row(2, 0, f.headers, wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1}))
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    put_str, put_num, put_dt = ws.write_string, ws.write_number, ws.write_datetime
    for r, row in enumerate(f.rows, start=_HEADER_ROWS):
        for c, v in enumerate(row):
            t = type(v)
            if t is str:
                put_str(r, c, v)
            elif t is float or t is int:
                put_num(r, c, v)
            elif t is dt.datetime:
                put_dt(r, c, v, date_fmt)
    ws.write_string(_HEADER_ROWS + len(f.rows), 0, f"合计：{len(f.rows)}条")
    ws.set_column(0, ncol - 1, 14)
    ws.freeze_panes(_HEADER_ROWS, 0)
    wb.close()


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _write_csv(path: Path, f: _File, note: str) -> None:
    assert f.encoding is not None
    with path.open("w", encoding=f.encoding, newline="") as fh:
        w = csv.writer(fh)
        pad = [""] * (len(f.headers) - 1)  # as Excel saves a sheet: every row as wide as the table
        w.writerow([f.title, *pad])
        w.writerow([note, *pad])
        w.writerow(f.headers)
        for row in f.rows:
            w.writerow([_csv_cell(v) for v in row])
        w.writerow([f"合计：{len(f.rows)}条", *pad])


def write_sample(out_dir: str | Path, seed: int = DEFAULT_SEED) -> list[Path]:
    """Write one export file per month into `out_dir`; byte-for-byte deterministic."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _, files = _build(seed)
    paths = []
    for k, f in enumerate(files):
        exported = _NOTE_AT + dt.timedelta(seconds=47 * k)
        note = f"导出时间：{exported:%Y-%m-%d %H:%M:%S}    共 {len(f.rows)} 条"
        path = out / f.name
        (_write_csv if f.encoding else _write_xlsx)(path, f, note)
        paths.append(path)
    return paths


def ensure_sample(out_dir: str | Path | None = None, seed: int = DEFAULT_SEED) -> Path:
    """Write the sample into `out_dir` (default data/sample) unless it is already there; return the dir."""
    out = Path(out_dir) if out_dir is not None else DEFAULT_SAMPLE_DIR
    marker = out / MARKER_NAME
    names = {sample_file_name(m) for m in MONTHS}
    if is_current(out, seed):
        return out
    out.mkdir(parents=True, exist_ok=True)
    marker.unlink(missing_ok=True)
    for stale in _stale(out.glob("12315_*.*"), names):
        stale.unlink()
    write_sample(out, seed)
    marker.write_text(marker_text(seed), encoding="utf-8")
    return out


def _stale(paths: Iterable[Path], keep: set[str]) -> list[Path]:
    return [p for p in paths if p.suffix in (".xlsx", ".csv") and p.name not in keep]
