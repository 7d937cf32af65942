"""What a bulletin was built from: input and params hashes, the store's state, package versions.

Every bulletin records, in its executed notebook's metadata (``nb.metadata["kwstats"]``) and the
analyst page's footer, a :func:`record`:

- ``inputs``: every export it read, by SHA-256 (the file's identity; names masked), with the earliest
  registration among its cases; from the case store, the store's files (hash, version, cases held);
- ``params``: the SHA-256 of each params file the month reads (``branch.yaml``, ``deadlines.yaml``,
  ``calendar.yaml`` and the month files up to this one: the prose check compares with earlier months);
- ``store``: the store's state digest and ingest sequence (kwstats.store.store_state), when built from it;
- ``packages``: the installed version of every package the lock file (``requirements.lock``) pins,
  the lock file's own hash, Python's and kwstats' versions;
- ``totals``: the month's 全局 row (accepted, closed, rate), computed from the case rows, which the
  index page of ``kwstats backfill`` charts;
- ``fingerprint``: one digest of what decides the month's numbers (below). ``kwstats backfill`` skips a
  month whose existing bulletin carries the fingerprint the month would get now.

A month's numbers are taken as of its cutoff over cases registered up to the cutoff, so the inputs
that decide them are the files holding such a case (and, conservatively, files holding none at all):
a later month's export does not change an earlier month's fingerprint unless it carries a newer
version of one of its cases. The fingerprint covers those inputs' hashes, the params files above,
the cutoff, official or draft, the data's kind (files or store) and the kwstats version (not each
source edit: after changing kwstats itself, rebuild with ``kwstats backfill --force``).

Rebuilding as of then: :func:`as_of_files` finds the recorded inputs (at least those that can change the month) by hash among the exports the
analyst kept; ``kwstats bulletin --as-of <earlier bulletin.ipynb> --data data/`` builds from exactly those
(:func:`compare` says which params files or package versions differ from the record).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import importlib.metadata
import json
import platform
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from kwstats import __version__, store
from kwstats.exceptions import UsageError
from kwstats.indicators import unit_table
from kwstats.ingest import IngestResult, expand_paths
from kwstats.masking import mask_text
from kwstats.params import Branch
from kwstats.run import Run
from kwstats.sources import DataSource

FORMAT = 1
METADATA_KEY = "kwstats"
LOCK_FILE = Path(__file__).resolve().parent.parent / "requirements.lock"
STANDING_PARAMS = ("branch.yaml", "deadlines.yaml", "calendar.yaml")
_MONTH_FILE = re.compile(r"(\d{4}-\d{2})\.yaml")
_LOCK_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==")
_HASHES: dict[tuple[str, int, int], str] = {}  # (path, size, mtime_ns) -> sha256, for one process


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file (remembered per path, size and modification time within the process)."""
    p = Path(path)
    st = p.stat()
    key = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _HASHES:
        _HASHES[key] = store.file_sha256(p)
    return _HASHES[key]


# ---- params and packages --------------------------------------------------------------------


def params_files(params_dir: str | Path, month: str) -> list[dict[str, str]]:
    """The params files month `month` reads, each with its SHA-256, in name order."""
    folder = Path(params_dir)
    out = []
    for path in sorted(folder.glob("*.yaml")):
        m = _MONTH_FILE.fullmatch(path.name)
        if path.name in STANDING_PARAMS or (m and m.group(1) <= month):
            out.append({"name": path.name, "sha256": file_sha256(path)})
    return out


def locked_packages(lock_file: Path = LOCK_FILE) -> list[str]:
    """The package names the lock file pins (kwstats' declared requirements without one)."""
    if lock_file.is_file():
        names = [m.group(1) for m in map(_LOCK_LINE.match, lock_file.read_text("utf-8").splitlines()) if m]
        if names:
            return names
    requires = importlib.metadata.requires("kwstats") or []
    return sorted({re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0] for r in requires})


def package_versions(lock_file: Path = LOCK_FILE) -> dict[str, str]:
    """The installed version of every locked package ("未安装" when one is missing)."""
    versions = {}
    for name in locked_packages(lock_file):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "未安装"
    return versions


# ---- inputs ---------------------------------------------------------------------------------


def _stamp(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d %H:%M:%S}"


def file_inputs(source: DataSource, ingest: IngestResult) -> list[dict[str, Any]]:
    """The exports a files-based run read: masked name, SHA-256, size, cases and earliest registration."""
    files = expand_paths(list(source.paths))
    label_path: dict[str, Path] = {}
    for report in ingest.files:
        label_path[report.source] = Path(report.path).resolve()
    cases = ingest.cases
    first: dict[Path, pd.Timestamp] = {}
    count: dict[Path, int] = {}
    if len(cases):
        grouped = cases.groupby(cases["source_file"].astype("object"), observed=True)["registered_at"]
        for label, (n, reg) in grouped.agg(["count", "min"]).iterrows():
            path = label_path.get(str(label))
            if path is None:
                continue
            count[path] = count.get(path, 0) + int(n)
            if pd.notna(reg) and (path not in first or reg < first[path]):
                first[path] = reg
    out = []
    for f in files:
        path = Path(f).resolve()
        out.append(
            {
                "name": mask_text(path.name),
                "sha256": file_sha256(path),
                "size": path.stat().st_size,
                "cases": count.get(path, 0),
                "first_registered": _stamp(first.get(path)),
            }
        )
    return out


def store_inputs(state: dict[str, Any]) -> list[dict[str, Any]]:
    """The store's files as inputs: masked name, SHA-256, version, cases held and earliest registration."""
    return [
        {
            "name": f["name"],
            "sha256": f["sha256"],
            "version_at": f["version_at"],
            "cases": f["cases_held"],
            "first_registered": f.get("first_registered"),
        }
        for f in state["files"]
    ]


def data_inputs(source: DataSource, ingest: IngestResult | None = None) -> tuple[list[dict], dict | None]:
    """(inputs, store state or None) for a run's data; files need the ingest result they gave."""
    if source.store is not None:
        state = store.store_state(source.store)
        summary = {k: state[k] for k in ("digest", "ingest_seq", "cases", "rejected", "format")}
        return store_inputs(state), {**summary, "files": len(state["files"])}
    if ingest is None:
        raise ValueError("files-based inputs need the ingest result")
    return file_inputs(source, ingest), None


def relevant(inputs: Iterable[dict[str, Any]], cutoff: pd.Timestamp) -> list[dict[str, Any]]:
    """The inputs that can change a month at `cutoff`: holding a case registered by then, or none."""
    limit = f"{cutoff:%Y-%m-%d %H:%M:%S}"
    return [i for i in inputs if i.get("first_registered") is None or i["first_registered"] <= limit]


def fingerprint(
    *,
    kind: str,
    inputs: Sequence[dict[str, Any]],
    params: Sequence[dict[str, str]],
    cutoff: pd.Timestamp,
    official: bool,
) -> str:
    """One digest of what decides a month's bulletin (module docstring)."""
    payload = {
        "format": FORMAT,
        "kind": kind,
        "inputs": sorted([i["sha256"], i.get("version_at")] for i in relevant(inputs, cutoff)),
        "params": sorted([p["name"], p["sha256"]] for p in params),
        "cutoff": pd.Timestamp(cutoff).isoformat(),
        "official": bool(official),
        "kwstats": __version__,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def month_fingerprint(run: Run, inputs: Sequence[dict[str, Any]]) -> str:
    """The fingerprint of `run`'s month over the data's `inputs` (:func:`data_inputs`)."""
    return fingerprint(
        kind="store" if run.data.store is not None else "files",
        inputs=inputs,
        params=params_files(run.params.dir, run.period.key),
        cutoff=run.period.cutoff,
        official=run.official,
    )


def totals(cases: pd.DataFrame, branch: Branch, month: str, cutoff: pd.Timestamp) -> dict[str, Any]:
    """The month's 全局 row as plain numbers (rate already rounded by the branch's rule; None if blank)."""
    row = unit_table(cases, branch, month, cutoff).iloc[0]
    rate = row["closure_rate_pct"]
    return {
        "accepted": int(row["accepted"]),
        "closed": int(row["closed"]),
        "closure_rate_pct": None if pd.isna(rate) else float(rate),
        "threshold": float(branch.closure_rate_threshold),
        "rate_rule": branch.rate_rule,
    }


def record(run: Run, ingest: IngestResult) -> dict[str, Any]:
    """Everything the month's bulletin is built from (module docstring), as JSON-ready data."""
    inputs, state = data_inputs(run.data, ingest)
    return {
        "format": FORMAT,
        "month": run.period.key,
        "cutoff": run.period.cutoff.isoformat(),
        "official": run.official,
        "sample": run.sample,
        "branch": run.branch.short_name,
        "data": "store" if run.data.store is not None else "files",
        "inputs": inputs,
        "params": params_files(run.params.dir, run.period.key),
        "store": state,
        "kwstats_version": __version__,
        "python": platform.python_version(),
        "packages": package_versions(),
        "lock_sha256": file_sha256(LOCK_FILE) if LOCK_FILE.is_file() else None,
        "totals": totals(ingest.cases, run.branch, run.period.key, run.period.cutoff),
        "fingerprint": month_fingerprint(run, inputs),
        "built_at": dt.datetime.now().isoformat(timespec="seconds"),
    }


# ---- in the notebook ------------------------------------------------------------------------


def stamp(nb: Any, rec: dict[str, Any], path: str | Path) -> None:
    """Put `rec` into the executed notebook's metadata and write it to `path` again."""
    import nbformat  # third-party: only a bulletin run writes a notebook

    nb.metadata[METADATA_KEY] = rec
    nbformat.write(nb, str(path))


def recorded(notebook: str | Path) -> dict[str, Any] | None:
    """The record in an executed bulletin notebook (None when it has none or cannot be read)."""
    try:
        meta = json.loads(Path(notebook).read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError, AttributeError):
        return None
    rec = meta.get(METADATA_KEY) if isinstance(meta, dict) else None
    return rec if isinstance(rec, dict) and rec.get("format") == FORMAT else None


def footer_html(rec: dict[str, Any] | None) -> str:
    """The analyst page's footer: the hashes and versions the bulletin was built from ("" without a record)."""
    if not rec:
        return ""
    e = html.escape
    # 12 hex digits in groups of four: enough to tell files apart, never a digit run that reads as a number
    short = lambda h: " ".join(e(str(h or "")[i : i + 4]) for i in range(0, 12, 4)).strip()  # noqa: E731
    kind = "案件库" if rec.get("data") == "store" else "导出文件"
    lines = [
        f"<p>生成依据（{e(str(rec.get('month', '')))}，统计截止 {e(str(rec.get('cutoff', ''))[:19].replace('T', ' '))}，"
        f"{'正式' if rec.get('official') else '草稿'}，生成于 {e(str(rec.get('built_at', '')).replace('T', ' '))}）："
        f"数据来自{kind}；指纹 <code>{short(rec.get('fingerprint'))}</code>。"
        "每个文件以 SHA-256 标识（只显示前 12 位；完整值在 bulletin.ipynb 的元数据中），据此可按当时的文件重新生成。</p>"
    ]
    state = rec.get("store")
    if state:
        lines.append(
            f"<p>案件库状态 <code>{short(state.get('digest'))}</code>（第 {e(str(state.get('ingest_seq')))} 次导入，"
            f"{e(str(state.get('files')))} 个文件，{e(str(state.get('cases')))} 件）。</p>"
        )
    rows = "".join(
        f"<tr><td>{e(str(i.get('name', '')))}</td><td><code>{short(i.get('sha256'))}</code></td>"
        f"<td>{e(str(i.get('cases', '')))}</td><td>{e(str(i.get('first_registered') or ''))}</td></tr>"
        for i in rec.get("inputs", [])
    )
    lines.append(
        f"<details><summary>输入文件 {len(rec.get('inputs', []))} 个</summary><table class='kw-provenance'>"
        "<thead><tr><th>文件</th><th>SHA-256</th><th>案件</th><th>最早登记</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></details>"
    )
    params = "、".join(f"{e(p['name'])} <code>{short(p['sha256'])}</code>" for p in rec.get("params", []))
    lines.append(f"<p>参数文件：{params}。</p>")
    packages = "、".join(f"{e(k)} {e(str(v))}" for k, v in sorted(rec.get("packages", {}).items()))
    lines.append(
        f"<details><summary>软件版本：kwstats {e(str(rec.get('kwstats_version')))}，Python "
        f"{e(str(rec.get('python')))}，锁定文件 requirements.lock <code>{short(rec.get('lock_sha256'))}</code>"
        f"</summary><p>{packages}</p></details>"
    )
    return f'<footer class="kw-provenance">{"".join(lines)}</footer>'


# ---- rebuilding as of a record --------------------------------------------------------------


def as_of_files(rec: dict[str, Any], data: Sequence[str | Path]) -> list[Path]:
    """The files among `data` (files or folders) whose hashes the record lists, one per hash.

    Every input that can change the month (:func:`relevant`: holding a case registered by its
    cutoff) must be found; a later month's file is taken when present. Raises UsageError naming the
    recorded files that none of the given files matches.
    """
    wanted = {i["sha256"]: i for i in rec.get("inputs", [])}
    needed = {i["sha256"] for i in relevant(rec.get("inputs", []), pd.Timestamp(rec["cutoff"]))}
    found: dict[str, Path] = {}
    for path in expand_paths([Path(p) for p in data]):
        sha = file_sha256(path)
        if sha in wanted and sha not in found:
            found[sha] = Path(path)
    missing = [w for sha, w in wanted.items() if sha in needed and sha not in found]
    if missing:
        names = "、".join(f"{w.get('name')}（{w['sha256'][:12]}）" for w in missing[:10])
        more = f" 等 {len(missing)} 个" if len(missing) > 10 else ""
        raise UsageError(
            f"按记录重新生成需要当时的全部输入文件，在给出的目录中找不到：{names}{more}。"
            "请用 --data 指定保存这些导出文件的文件夹。"
        )
    return [found[sha] for sha in wanted if sha in found]


def compare(rec: dict[str, Any], params_dir: str | Path) -> list[str]:
    """What differs between the record and this machine: params files, kwstats, package versions."""
    notes = []
    now = {p["name"]: p["sha256"] for p in params_files(params_dir, str(rec.get("month", "9999-99")))}
    then = {p["name"]: p["sha256"] for p in rec.get("params", [])}
    changed = sorted(n for n in then.keys() | now.keys() if then.get(n) != now.get(n))
    if changed:
        notes.append(
            f"参数文件与当时不同：{'、'.join(changed)}。要完全按当时重建，请先取回当时的参数"
            "（例如 git log -- params/ 找到当时的版本）。"
        )
    if rec.get("kwstats_version") != __version__:
        notes.append(f"kwstats 版本当时为 {rec.get('kwstats_version')}，现在为 {__version__}。")
    versions = package_versions()
    diff = [
        f"{k} {v}→{versions.get(k, '未安装')}"
        for k, v in sorted(rec.get("packages", {}).items())
        if versions.get(k) != v
    ]
    if diff:
        notes.append(
            f"软件包版本与当时不同：{'、'.join(diff[:8])}{' 等' if len(diff) > 8 else ''}。"
            "按当时的 requirements.lock 安装（pip install -r requirements.lock）可得到相同的环境。"
        )
    return notes
