"""A branch's first export: any amount of history (1 day, 1 month, 7 months) builds, saying what needs more.

The shipped sample always has 36 months; these inputs are made here, of the shapes a new user has.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest

from kwstats import checks, investigate, page, views
from kwstats.params import DEFAULT_PARAMS_DIR
from kwstats.report import build_report

HEADER = ["登记编号", "业务类型", "登记时间", "承办单位", "受理时间", "办结时间"]


def write_export(path: Path, months: list[str], per_month: int = 4, day_only: bool = False) -> Path:
    """A small export: `per_month` cases in each month (2 complaints, 2 reports at two units)."""
    rows = []
    n = 0
    for m in months:
        days = [1] if day_only else range(1, per_month + 1)
        for k in range(per_month):
            day = list(days)[k % len(list(days))]
            n += 1
            reg = f"{m}-{day:02d} 09:{k:02d}:00"
            kind = "投诉" if k % 2 == 0 else "举报"
            unit = "站前所" if k < 2 else "新发所"
            closed = "" if k == per_month - 1 else f"{m}-{day:02d} 16:00:00"
            rows.append([f"K{n:05d}", kind, reg, unit, f"{m}-{day:02d} 10:00:00", closed])
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def month_params_dir(tmp_path: Path, month: str) -> Path:
    """A params dir with the shipped branch params and a fresh prose file for `month`."""
    params = tmp_path / "params"
    params.mkdir()
    for name in ("branch.yaml", "deadlines.yaml", "calendar.yaml"):
        shutil.copy(DEFAULT_PARAMS_DIR / name, params / name)
    year, mon = month.split("-")
    (params / f"{month}.yaml").write_text(
        f'month: "{month}"\n'
        "context: [本月平台运行平稳。]\n"
        "performance: [各单位按时联系消费者。]\n"
        "typical_case:\n"
        "  title: 首月案例\n"
        f"  body: [{int(year)} 年 {int(mon)} 月 2 日，分局收到消费者投诉，经调解达成一致。]\n",
        encoding="utf-8",
    )
    return params


HISTORIES = {
    "one_day": (["2024-03"], True),
    "one_month": (["2024-03"], False),
    "seven_months": ([f"2023-{m:02d}" for m in range(9, 13)] + ["2024-01", "2024-02", "2024-03"], False),
}


@pytest.mark.parametrize("history", list(HISTORIES))
def test_every_analyst_view_builds_on_short_history(tmp_path: Path, history: str, monkeypatch) -> None:
    monkeypatch.setenv("KWSTATS_NO_CACHE", "1")
    months, day_only = HISTORIES[history]
    export = write_export(tmp_path / "export.csv", months, day_only=day_only)
    report = build_report(
        "2024-03", data=[export], params_dir=month_params_dir(tmp_path, "2024-03"), official=True
    )
    # 4 cases in March: 2 complaints + 2 reports, the last one open (worked by hand).
    glob = report.table.iloc[0]
    assert (glob["accepted"], glob["closed"]) == (4, 3)
    cases, month, cut, branch = report.cases, report.month, report.cutoff, report.branch
    views_ = [
        views.ingest_summary(report.ingest),
        views.rejected_view(report.ingest),
        checks.findings_frame(list(report.findings)),
        views.deadline_summary(report),
        views.overdue_view(report),
        report.on_time,
        views.pending_view(report),
        investigate.threshold_history(cases, branch, month, cutoff=cut),
    ] + [
        investigate.change_by(cases, month, by, branch, cutoff=cut)
        for by in ("unit", "problem_category", "goods_category")
    ]
    assert all(isinstance(v, pd.DataFrame) for v in views_)
    assert investigate.volume_change(cases, month, cutoff=cut)["message"]
    spikes = investigate.spikes(cases, month)
    assert [f.kind for f in spikes] == ["spike_skipped"]
    have = len(months) - 1  # months of history before March
    assert f"现有 {have} 个月" in spikes[0].message and "至少 12 个月" in spikes[0].message
    assert page.chart_html(report).startswith('<figure class="kw-chart">')


@pytest.mark.slow
@pytest.mark.parametrize(("history", "draft"), [("one_month", False), ("seven_months", True)])
def test_bulletin_builds_from_a_first_export(tmp_path: Path, history: str, draft: bool, monkeypatch) -> None:
    from kwstats.bulletin import build_bulletin

    monkeypatch.setenv("KWSTATS_NO_CACHE", "1")
    months, day_only = HISTORIES[history]
    export = write_export(tmp_path / "export.csv", months, day_only=day_only)
    params = month_params_dir(tmp_path, "2024-03")
    if draft:  # a clerk's preview before the month's prose is written
        (params / "2024-03.yaml").unlink()
    out = build_bulletin("2024-03", data=[export], params_dir=params, out_dir=tmp_path / "out", draft=draft)
    official = out["正式版"].read_text(encoding="utf-8")
    analyst = out["分析版"].read_text(encoding="utf-8")
    assert "受理举报件共 2 件，办结 1 件" in official.replace("\n", "")
    assert ("【草稿】" in official) is draft
    assert "至少 12 个月" in analyst
    assert "Traceback" not in analyst


def test_change_views_say_a_month_before_the_data_is_unknown(tmp_path: Path) -> None:
    from kwstats.investigate import change_by, volume_change
    from kwstats.params import load_branch
    from kwstats.sources import load_cases

    export = write_export(tmp_path / "export.csv", ["2024-03"])
    cases = load_cases(load_branch(), [export]).cases
    message = volume_change(cases, "2024-03")["message"]
    assert "上月（2024-02）不在数据中（数据从 2024-03 开始），环比无法计算" in message
    assert "去年同月（2023-03）不在数据中" in message
    table = change_by(cases, "2024-03", "unit", load_branch())
    row = table.set_index(table.columns[0]).loc["站前所"]
    assert row["本月"] == 2 and pd.isna(row["上月"]) and pd.isna(row["环比(%)"]) and pd.isna(row["同比增减"])
    # with last month in the data, a unit without cases then is a real zero
    export2 = write_export(tmp_path / "export2.csv", ["2024-02", "2024-03"])
    cases2 = load_cases(load_branch(), [export2]).cases
    assert "上月（2024-02）4 件，环比持平" in volume_change(cases2, "2024-03")["message"]
