"""kwstats backfill and its index page.

The fast tests check the month range and the index page over folders made in the test (records
written by hand). The slow one builds three tiny months for real (papermill, two workers), reruns
with nothing changed (all skipped), changes one input file (only its month rebuilt), and opens the
index in Chromium with the network cut off. (Finding a record's files again for --as-of:
tests/test_provenance.py.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kwstats import backfill, index_page
from kwstats.cli import EXIT_OK, EXIT_USAGE, main
from kwstats.exceptions import UsageError
from kwstats.render import assert_offline, find_scripts

HEADER = "登记编号,业务类型,登记时间,承办单位,办结时间,挽回经济损失,登记内容"


def test_month_range_and_spans():
    assert backfill.month_range("2021-11", "2022-02") == ["2021-11", "2021-12", "2022-01", "2022-02"]
    assert len(backfill.month_range("2020-01", "2022-12")) == 36
    with pytest.raises(UsageError, match="晚于"):
        backfill.month_range("2022-02", "2022-01")
    assert (
        backfill.spans(["2020-01", "2020-02", "2020-03", "2020-05", "2021-01"])
        == "2020-01～2020-03、2020-05、2021-01"
    )


def test_backfill_usage_errors_exit_2(tmp_path, capsys):
    assert (
        main(["backfill", "--from", "2022-03", "--to", "2022-01", "--sample", "--out", str(tmp_path)])
        == EXIT_USAGE
    )
    assert "晚于" in capsys.readouterr().err
    assert main(["backfill", "--from", "2022-01", "--to", "2022-02", "--out", str(tmp_path)]) == EXIT_USAGE
    assert "正式通报需要真实数据" in capsys.readouterr().err


def _fake_month(out: Path, month: str, record: dict | None) -> None:
    folder = out / month
    folder.mkdir(parents=True)
    (folder / "bulletin.html").write_text("<html></html>", encoding="utf-8")
    metadata = {"kwstats": record} if record else {}
    (folder / "bulletin.ipynb").write_text(json.dumps({"cells": [], "metadata": metadata}), encoding="utf-8")


def test_the_index_links_every_month_with_its_recorded_numbers_and_is_offline(tmp_path):
    def rec(accepted, closed, rate, official, sample=False):
        totals = {"accepted": accepted, "closed": closed, "closure_rate_pct": rate, "threshold": 80.0}
        return {"format": 1, "official": official, "sample": sample, "branch": "宽城分局", "totals": totals}

    _fake_month(tmp_path, "2021-11", rec(11, 8, 72.0, official=False))
    _fake_month(tmp_path, "2021-12", rec(0, 0, None, official=False))
    _fake_month(tmp_path, "2022-01", rec(702, 607, 86.0, official=True, sample=True))
    _fake_month(tmp_path, "2022-02", None)  # built before records existed
    (tmp_path / "not-a-month").mkdir()
    page = index_page.write_index(tmp_path)
    html = page.read_text(encoding="utf-8")
    assert assert_offline(html) == [] and find_scripts(html) == []
    for month in ("2021-11", "2021-12", "2022-01", "2022-02"):
        for name in ("bulletin.html", "bulletin-analyst.html", "table.xlsx"):
            assert f'href="{month}/{name}"' in html
    assert "not-a-month" not in html
    rows = re.findall(
        r"<tr[^>]*><td>(.*?)</td><td>(.*?)</td><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td>",
        html,
    )
    assert rows == [
        ("2021 年 11 月", "草稿", "11", "8", "72%"),
        ("2021 年 12 月", "草稿", "0", "0", ""),
        ("2022 年 1 月", "正式、演示", "702", "607", "86%"),
        ("2022 年 2 月", "（无生成记录）", "", "", ""),
    ]
    assert "其中 2 个月标为【草稿】" in html and "演示" in html
    assert html.count('<img src="data:image/png;base64,') == 1
    assert "宽城分局 12315 工作动态解读 · 各月通报" in html


def _export(path: Path, rows: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "\n".join(["导出时间：2022-01-05 09:00:00,,,,,,", HEADER, *rows]) + "\n", encoding="utf-8"
    )


@pytest.mark.slow
def test_backfill_skips_unchanged_months_rebuilds_a_changed_one_and_writes_an_offline_index(tmp_path, capsys):
    from tests.browser_util import open_offline

    data, out = tmp_path / "data", tmp_path / "out"
    for m in ("10", "11", "12"):  # per month: a complaint closed, a report open
        _export(
            data / f"2021-{m}.csv",
            [
                f"C{m},投诉,2021-{m}-03 10:00,站前所,2021-{m}-05 10:00,0,",
                f"R{m},举报,2021-{m}-04 10:00,新发所,,0,",
            ],
        )
    args = ["backfill", "--from", "2021-10", "--to", "2021-12", "--data", str(data), "--out", str(out)]
    assert main([*args, "--jobs", "2"]) == EXIT_OK
    first = capsys.readouterr()
    assert "生成 3 个月（其中 3 个月没有本月参数文件，生成为【草稿】：2021-10～2021-12）" in first.out
    assert "跳过 0 个" in first.out and "失败 0 个" in first.out
    stamps = {m: (out / m / "bulletin.html").stat().st_mtime_ns for m in ("2021-10", "2021-11", "2021-12")}

    assert main([*args, "--jobs", "2"]) == EXIT_OK  # nothing changed: nothing built
    assert "生成 0 个月；跳过 3 个输入和参数都未变化的月份（2021-10～2021-12）" in capsys.readouterr().out
    assert all((out / m / "bulletin.html").stat().st_mtime_ns == t for m, t in stamps.items())

    with open(data / "2021-12.csv", "a", encoding="utf-8") as fh:  # December gets a third case, closed
        fh.write("C12b,投诉,2021-12-20 10:00,站前所,2021-12-21 10:00,0,\n")
    assert main([*args, "--jobs", "1"]) == EXIT_OK
    assert (
        "生成 1 个月" in (text := capsys.readouterr().out)
        and "跳过 2 个" in text
        and "（2021-10～2021-11）" in text
    )
    assert (out / "2021-10" / "bulletin.html").stat().st_mtime_ns == stamps["2021-10"]
    assert (out / "2021-12" / "bulletin.html").stat().st_mtime_ns != stamps["2021-12"]
    record = json.loads((out / "2021-12" / "bulletin.ipynb").read_text("utf-8"))["metadata"]["kwstats"]
    assert record["totals"]["accepted"] == 3 and record["totals"]["closed"] == 2  # by hand
    analyst = (out / "2021-12" / "bulletin-analyst.html").read_text("utf-8")
    fp = record["fingerprint"]
    assert f"{fp[:4]} {fp[4:8]} {fp[8:12]}" in analyst and "kw-provenance" in analyst

    index = out / "index.html"
    html = index.read_text("utf-8")
    assert assert_offline(html) == [] and find_scripts(html) == []
    with open_offline(index) as (page, requests):
        assert requests == []
        assert page.locator("a[href$='bulletin.html']").count() == 3
        assert page.locator("img").evaluate("img => img.naturalWidth") > 0
