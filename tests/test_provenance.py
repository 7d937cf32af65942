"""Provenance: what a bulletin records it was built from, the fingerprint backfill compares, the
footer, and finding the recorded files again. Hashes are checked against hashlib over the files'
bytes; counts are worked by hand from the rows written in each test."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from kwstats import provenance
from kwstats import store as st
from kwstats.exceptions import UsageError
from kwstats.params import DEFAULT_PARAMS_DIR
from kwstats.run import resolve_run
from kwstats.sources import load_cases, store_source

HEADER = "登记编号,业务类型,登记时间,承办单位,办结时间,挽回经济损失,登记内容"


def export(path: Path, rows: list[str], exported_at: str = "2022-01-05 09:00:00") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([f"导出时间：{exported_at},,,,,,", HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def params(tmp_path) -> Path:
    """A copy of the project's params, plus two month files: one before 2021-11 and one after."""
    folder = tmp_path / "params"
    shutil.copytree(DEFAULT_PARAMS_DIR, folder)
    (folder / "2021-10.yaml").write_text("# 十月\n", encoding="utf-8")
    (folder / "2021-12.yaml").write_text("# 十二月\n", encoding="utf-8")
    return folder


@pytest.fixture
def quarter(tmp_path) -> Path:
    """October, November, December: one file each, one complaint closed and one report open per month."""
    folder = tmp_path / "data"
    for m in ("10", "11", "12"):
        export(
            folder / f"2021-{m}.csv",
            [
                f"C{m},投诉,2021-{m}-03 10:00,站前所,2021-{m}-05 10:00,0,",
                f"R{m},举报,2021-{m}-04 10:00,新发所,,0,",
            ],
        )
    return folder


def fingerprints(data, params: Path) -> dict[str, str]:
    out = {}
    for month in ("2021-10", "2021-11", "2021-12"):
        run = resolve_run(month, data=data, params_dir=params)
        ingest = None if run.data.store is not None else load_cases(run.branch, run.data)
        inputs, _ = provenance.data_inputs(run.data, ingest)
        out[month] = provenance.month_fingerprint(run, inputs)
    return out


def test_the_record_holds_every_hash_masked_names_versions_and_the_months_totals(tmp_path, params):
    phone_file = export(
        tmp_path / "data" / "来电13812345678.csv", ["C1,投诉,2021-11-03 10:00,站前所,2021-11-05 10:00,0,"]
    )
    other = export(
        tmp_path / "data" / "b.csv",
        ["R1,举报,2021-11-04 10:00,新发所,,0,", "R2,举报,2021-12-01 10:00,新发所,,0,"],
    )
    run = resolve_run("2021-11", data=[tmp_path / "data"], params_dir=params)
    rec = provenance.record(run, load_cases(run.branch, run.data))
    by_hash = {i["sha256"]: i for i in rec["inputs"]}
    assert set(by_hash) == {sha(phone_file), sha(other)}
    assert by_hash[sha(phone_file)]["name"] == "来电138****5678.csv"
    assert (
        by_hash[sha(other)]["cases"] == 2 and by_hash[sha(other)]["first_registered"] == "2021-11-04 10:00:00"
    )
    # the standing files and the month files up to November; not December's
    assert {p["name"]: p["sha256"] for p in rec["params"]} == {
        n: sha(params / n) for n in ("branch.yaml", "calendar.yaml", "deadlines.yaml", "2021-10.yaml")
    }
    assert rec["packages"]["pandas"] == pd.__version__
    assert rec["lock_sha256"] == sha(provenance.LOCK_FILE)
    assert (rec["data"], rec["store"], rec["official"], rec["month"]) == ("files", None, False, "2021-11")
    # November by hand: C1 closed, R1 open (R2 is December's): 2 accepted, 1 closed, 50 %
    assert (
        rec["totals"]["accepted"] == 2
        and rec["totals"]["closed"] == 1
        and rec["totals"]["closure_rate_pct"] == 50
    )
    assert "13812345678" not in str(rec)


def test_a_later_months_file_does_not_change_an_earlier_months_fingerprint(quarter, params):
    before = fingerprints([quarter], params)
    assert len(set(before.values())) == 3
    with open(quarter / "2021-12.csv", "a", encoding="utf-8") as fh:
        fh.write("C12b,投诉,2021-12-20 10:00,站前所,,0,\n")
    after_december = fingerprints([quarter], params)
    assert after_december["2021-10"] == before["2021-10"] and after_december["2021-11"] == before["2021-11"]
    assert after_december["2021-12"] != before["2021-12"]
    with open(quarter / "2021-10.csv", "a", encoding="utf-8") as fh:  # history of every later month
        fh.write("C10b,投诉,2021-10-20 10:00,站前所,,0,\n")
    after_october = fingerprints([quarter], params)
    assert all(after_october[m] != after_december[m] for m in after_october)
    (params / "branch.yaml").write_text((params / "branch.yaml").read_text("utf-8") + "\n# 改动\n", "utf-8")
    after_params = fingerprints([quarter], params)
    assert all(after_params[m] != after_october[m] for m in after_params)


def test_from_the_store_a_newer_export_of_a_case_changes_its_month_and_later_ones(
    tmp_path, quarter, params, branch
):
    store = tmp_path / "store"
    st.ingest_into_store(store, [quarter], branch)
    before = fingerprints(store_source(store), params)
    # a February export carrying November's report, now closed
    export(
        tmp_path / "new" / "2022-02.csv",
        ["R11,举报,2021-11-04 10:00,新发所,2021-11-20 10:00,0,"],
        "2022-02-01 09:00:00",
    )
    st.ingest_into_store(store, [tmp_path / "new"], branch)
    after = fingerprints(store_source(store), params)
    assert after["2021-10"] == before["2021-10"]
    assert after["2021-11"] != before["2021-11"] and after["2021-12"] != before["2021-12"]
    run = resolve_run("2021-11", data=store_source(store), params_dir=params)
    rec = provenance.record(run, load_cases(run.branch, run.data))
    assert rec["store"]["digest"] == st.store_state(store)["digest"] and rec["data"] == "store"
    assert rec["totals"]["closed"] == 2  # C11 and, from the newer export, R11


def test_the_footer_escapes_names_and_shows_the_hashes():
    rec = {
        "format": 1,
        "month": "2021-11",
        "cutoff": "2021-11-30T23:59:59",
        "official": False,
        "data": "files",
        "fingerprint": "f" * 64,
        "inputs": [{"name": "<b>x</b>.csv", "sha256": "a" * 64, "cases": 1, "first_registered": None}],
        "params": [{"name": "branch.yaml", "sha256": "b" * 64}],
        "packages": {"pandas": "2.0"},
        "kwstats_version": "0.1.0",
        "python": "3.11",
        "lock_sha256": "c" * 64,
        "store": None,
    }
    html = provenance.footer_html(rec)
    assert "&lt;b&gt;x&lt;/b&gt;.csv" in html and "<b>x" not in html
    assert "aaaa aaaa aaaa" in html and "bbbb bbbb bbbb" in html and "草稿" in html
    # a digest whose hex holds a phone-like digit run is never shown as one
    rec["inputs"][0]["sha256"] = "13812345678" + "f" * 53
    assert "1381 2345 678f" in provenance.footer_html(rec)
    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", provenance.footer_html(rec))
    assert provenance.footer_html(None) == ""


def test_as_of_finds_the_recorded_files_by_hash_whatever_their_names(tmp_path, quarter, params):
    run = resolve_run("2021-12", data=[quarter], params_dir=params)
    rec = provenance.record(run, load_cases(run.branch, run.data))
    kept = tmp_path / "archive"
    kept.mkdir()
    for i, f in enumerate(sorted(quarter.iterdir())):
        shutil.copy(f, kept / f"第{i}个.csv")
    found = provenance.as_of_files(rec, [kept])
    assert sorted(sha(p) for p in found) == sorted(sha(f) for f in quarter.iterdir())
    (kept / "第1个.csv").unlink()
    with pytest.raises(UsageError, match="2021-11.csv"):
        provenance.as_of_files(rec, [kept])
    assert provenance.compare(rec, params) == []
    (params / "deadlines.yaml").write_text(
        (params / "deadlines.yaml").read_text("utf-8") + "\n# x\n", "utf-8"
    )
    assert any("deadlines.yaml" in n for n in provenance.compare(rec, params))
