"""The ingest cache: data only (Parquet + JSON), validated on read, never fatal, never executable."""

from __future__ import annotations

import json
import logging
import os
import pickle
import re
from pathlib import Path

import pandas as pd
import pytest

from kwstats import cache
from kwstats.sources import load_cases


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KWSTATS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("KWSTATS_NO_CACHE", raising=False)
    return tmp_path / "cache"


def _export(path, rows):
    lines = ["登记编号,业务类型,登记时间,承办单位"] + rows
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _entries(cache_home: Path) -> list[Path]:
    return [p for p in cache_home.glob("ingest-*") if p.is_dir()]


def test_cache_hit_equals_fresh_read_and_change_invalidates(tmp_path, cache_home, branch):
    f = tmp_path / "a.csv"
    _export(f, ["A1,投诉,2022-01-03,站前所", "合计,,,"])
    first = load_cases(branch, [f])
    (entry,) = _entries(cache_home)
    assert sorted(p.name for p in entry.iterdir()) == ["cases.parquet", "meta.json", "rejected.parquet"]
    second = load_cases(branch, [f])
    pd.testing.assert_frame_equal(second.cases, first.cases)
    pd.testing.assert_frame_equal(second.rejected, first.rejected)
    assert second.files == first.files and second.warnings == first.warnings
    assert (second.rows_read, second.rows_used, second.rows_set_aside) == (2, 1, 1)
    _export(f, ["A1,投诉,2022-01-03,站前所", "A2,举报,2022-01-04,新发所"])
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 1_000_000))
    third = load_cases(branch, [f])
    assert len(third.cases) == 2
    assert len(_entries(cache_home)) == 2


def test_cache_can_be_bypassed(tmp_path, cache_home, branch, monkeypatch):
    f = tmp_path / "a.csv"
    _export(f, ["A1,投诉,2022-01-03,站前所"])
    monkeypatch.setenv("KWSTATS_NO_CACHE", "1")
    assert not cache.enabled()
    assert len(load_cases(branch, [f]).cases) == 1
    assert not cache_home.exists()


class _Planted:
    """Unpickling this creates a file: proof that code ran."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self):
        return (Path.touch, (self.target,))


def _broken_entries(entry: Path, tmp_path: Path):
    """Ways a cache entry can be wrong: truncated, foreign, tampered with."""
    cases = pd.read_parquet(entry / "cases.parquet")
    meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
    yield "not parquet", lambda: (entry / "cases.parquet").write_bytes(b"not parquet")
    yield "pickle as parquet", lambda: (entry / "cases.parquet").write_bytes(pickle.dumps({"x": 1}))
    yield "other frame", lambda: pd.DataFrame({"a": [1]}).to_parquet(entry / "cases.parquet")
    yield "wrong dtypes", lambda: cases.astype(str).to_parquet(entry / "cases.parquet")
    yield (
        "counts lie",
        lambda: (entry / "meta.json").write_text(
            json.dumps({**meta, "files": [{**meta["files"][0], "rows_used": 99}]}), encoding="utf-8"
        ),
    )
    yield "meta not json", lambda: (entry / "meta.json").write_text("{", encoding="utf-8")
    yield "meta list", lambda: (entry / "meta.json").write_text("[1, 2]", encoding="utf-8")
    yield (
        "unknown field",
        lambda: (entry / "meta.json").write_text(
            json.dumps({**meta, "files": [{**meta["files"][0], "evil": 1}]}), encoding="utf-8"
        ),
    )
    yield "missing file", lambda: (entry / "rejected.parquet").unlink()


def test_broken_entries_are_read_afresh_with_a_warning(tmp_path, cache_home, branch, caplog):
    f = tmp_path / "a.csv"
    _export(f, ["A1,投诉,2022-01-03,站前所", "A2,举报,2022-01-04,新发所"])
    good = load_cases(branch, [f])
    (entry,) = _entries(cache_home)
    pristine = {p.name: p.read_bytes() for p in entry.iterdir()}
    for name, breaker in list(_broken_entries(entry, tmp_path)):
        entry.mkdir(exist_ok=True)
        for fname, data in pristine.items():
            (entry / fname).write_bytes(data)
        breaker()
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="kwstats.cache"):
            again = load_cases(branch, [f])
        pd.testing.assert_frame_equal(again.cases, good.cases, obj=name)
        (msg,) = [r.getMessage() for r in caplog.records if "读入缓存" in r.getMessage()]
        assert "重新读取" in msg, name
        reason = msg.rsplit("（", 1)[1]
        if name != "wrong dtypes":  # that one names the canonical columns
            assert not re.search("[A-Za-z]{3,}", reason), (name, reason)  # Chinese, no library English


def test_a_planted_pickle_is_never_unpickled(tmp_path, cache_home, branch):
    f = tmp_path / "a.csv"
    _export(f, ["A1,投诉,2022-01-03,站前所"])
    key = cache.ingest_key([f], branch)
    proof = tmp_path / "code-ran"
    cache_home.mkdir(parents=True)
    for name in (f"ingest-{key}.pickle", f"ingest-{key}.pkl"):
        (cache_home / name).write_bytes(pickle.dumps(_Planted(proof)))
    assert len(load_cases(branch, [f]).cases) == 1
    assert not proof.exists()
    assert not (cache_home / f"ingest-{key}.pickle").exists()  # old-format entries are pruned unread


def test_unwritable_cache_is_not_fatal(tmp_path, monkeypatch, branch, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("KWSTATS_CACHE_DIR", str(blocker / "cache"))  # a folder under a file
    monkeypatch.delenv("KWSTATS_NO_CACHE", raising=False)
    f = tmp_path / "a.csv"
    _export(f, ["A1,投诉,2022-01-03,站前所"])
    with caplog.at_level(logging.WARNING, logger="kwstats.cache"):
        assert len(load_cases(branch, [f]).cases) == 1
    (msg,) = [r.getMessage() for r in caplog.records if "无法写入读入缓存" in r.getMessage()]
    assert msg.endswith("（路径中有一部分是文件），不影响结果。")


def test_the_key_follows_the_ingest_source_only(tmp_path):
    """The key's code digest covers the ingest package and what it imports (directly, indirectly,
    relatively), read from the source: an edit there means a fresh read; an edit of a module the
    ingest never imports (the analyst page, say) does not."""
    from kwstats.cache import _code_digest, ingest_sources

    pkg = tmp_path / "kwstats"
    (pkg / "ingest").mkdir(parents=True)
    (pkg / "masking").mkdir()
    files = {
        "__init__.py": "",
        "ingest/__init__.py": "from kwstats.ingest.rows import read\n",
        "ingest/rows.py": "from . import values\nfrom kwstats import masking\n",
        "ingest/values.py": "import kwstats.schema as schema\n",
        "masking/__init__.py": "from .text import mask\n",
        "masking/text.py": "import re\n",
        "schema.py": "import pandas\n",
        "workbench.py": "from kwstats.ingest import read\n",
    }
    for name, text in files.items():
        (pkg / name).write_text(text, encoding="utf-8")
    reached = {p.relative_to(pkg).as_posix() for p in ingest_sources(pkg)}
    assert reached == {
        "__init__.py",  # importing kwstats.anything runs it
        "ingest/__init__.py",
        "ingest/rows.py",
        "ingest/values.py",
        "masking/__init__.py",
        "masking/text.py",
        "schema.py",
    }
    before = _code_digest(pkg)
    (pkg / "workbench.py").write_text("# the analyst page changed\n", encoding="utf-8")
    assert _code_digest(pkg) == before
    (pkg / "masking/text.py").write_text("import re  # a masking rule changed\n", encoding="utf-8")
    assert _code_digest(pkg) != before
