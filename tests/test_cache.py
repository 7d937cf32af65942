import os

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


def test_cache_hit_equals_fresh_read_and_change_invalidates(tmp_path, cache_home, branch):
    f = tmp_path / "a.csv"
    _export(f, ["A1,投诉,2022-01-03,站前所"])
    first = load_cases(branch, [f])
    assert len(list(cache_home.glob("ingest-*.pickle"))) == 1
    second = load_cases(branch, [f])
    assert second.cases.equals(first.cases) and second.rows_read == first.rows_read
    _export(f, ["A1,投诉,2022-01-03,站前所", "A2,举报,2022-01-04,新发所"])
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 1_000_000))
    third = load_cases(branch, [f])
    assert len(third.cases) == 2
    assert len(list(cache_home.glob("ingest-*.pickle"))) == 2


def test_cache_can_be_bypassed_and_survives_corruption(tmp_path, cache_home, branch, monkeypatch):
    f = tmp_path / "a.csv"
    _export(f, ["A1,投诉,2022-01-03,站前所"])
    load_cases(branch, [f])
    (entry,) = cache_home.glob("ingest-*.pickle")
    entry.write_bytes(b"not a pickle")
    assert len(load_cases(branch, [f]).cases) == 1
    monkeypatch.setenv("KWSTATS_NO_CACHE", "1")
    assert not cache.enabled()
    assert len(load_cases(branch, [f]).cases) == 1
