"""Units named otherwise (issue 8 §9): roster aliases, matched without whitespace and width
differences at ingest; a month mostly off the roster is loud, and stops the official run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from kwstats import indicators
from kwstats.checks import OffRosterError, off_roster_share
from kwstats.exceptions import ParamsError
from kwstats.ingest import read_export, roster_units
from kwstats.params import DEFAULT_PARAMS_DIR, Branch, load_branch
from kwstats.report import build_report
from tests.conftest import make_cases
from tests.test_ingest import row, write_csv

MONTH = "2022-03"


def with_roster(branch: Branch, roster: list[dict], **over: object) -> Branch:
    data = branch.model_dump(mode="json")
    data["roster"] = roster
    data.update(over)
    return Branch.model_validate(data)


def test_every_roster_unit_goes_by_its_full_official_names(branch) -> None:
    """The shipped roster: each unit has aliases, none shared, each mapping back to the unit."""
    assert all(entry.aliases for entry in branch.roster)
    names = branch.unit_names()
    assert names["长春市市场监督管理局宽城分局站前市场监督管理所"] == "站前所"
    assert names["宽城分局新发市场监督管理所"] == "新发所"
    assert names["宽城分局市场监管一科"] == "监管一科"
    assert len(names) == len(branch.roster) * 3  # the short name and two aliases each, all distinct


def test_matching_ignores_whitespace_and_width(branch) -> None:
    found = pd.Series(
        [
            "长春市市场监督管理局宽城分局站前市场监督管理所",
            " 宽城分局 新发市场监督管理所 ",
            "宽城分局\u3000南广市场监督管理所",  # ideographic space
            "宽城分局\n东广市场监督管理所",
            "站前所",
            "原合心所",  # off the roster: kept as found
            pd.NA,
        ],
        dtype="object",
    )
    got = roster_units(found, branch).tolist()
    assert got[:6] == ["站前所", "新发所", "南广所", "东广所", "站前所", "原合心所"]
    assert pd.isna(got[6])
    custom = with_roster(branch, [{"seq": 1, "unit": "一号所", "aliases": ["第1（A）监管所"]}])
    assert roster_units(pd.Series(["第１(Ａ)监管所", "第 1 (A) 监管所"]), custom).tolist() == ["一号所"] * 2


def test_an_alias_of_two_units_is_refused(tmp_path: Path) -> None:
    shutil.copytree(DEFAULT_PARAMS_DIR, tmp_path / "p")
    path = tmp_path / "p" / "branch.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "{seq: 2, unit: 新发所, aliases: [", "{seq: 2, unit: 新发所, aliases: [宽城分局 站前市场监督管理所, "
    )
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        load_branch(tmp_path / "p")
    assert "名称“宽城分局 站前市场监督管理所”同时属于“站前所”和“新发所”" in str(info.value)


def test_official_names_in_an_export_land_on_the_roster(tmp_path: Path, branch) -> None:
    rows = [
        row(1, 登记时间="2022-03-02 09:00", 承办单位="长春市市场监督管理局宽城分局站前市场监督管理所"),
        row(2, 登记时间="2022-03-03 09:00", 承办单位="宽城分局站前市场监督管理所", 办结时间=""),
        row(3, 登记时间="2022-03-04 09:00", 承办单位="宽城分局新发市场监督管理所", 业务类型="举报"),
        row(4, 登记时间="2022-03-05 09:00", 承办单位="长春市市场监督管理局宽城分局市场监管四科"),
        row(5, 登记时间="2022-03-06 09:00", 承办单位="执法大队"),
    ]
    rows = [{**r, "受理时间": "", "办结时间": r["办结时间"] and "2022-03-10 10:00"} for r in rows]
    result = read_export(write_csv(tmp_path / "m.csv", rows), branch)
    assert result.rows_used == 5
    table = indicators.unit_table(result.cases, branch, MONTH).set_index("unit")
    # by hand: 站前所 2 complaints, 1 closed; 新发所 1 report closed; 监管四科 1 complaint closed
    assert tuple(table.loc["全局", ["accepted", "closed"]]) == (5, 4)
    assert tuple(table.loc["站前所", ["accepted", "complaints", "closed", "closure_rate_pct"]]) == (
        2,
        2,
        1,
        50.0,
    )
    assert tuple(table.loc["新发所", ["accepted", "reports", "reports_closed"]]) == (1, 1, 1)
    assert tuple(table.loc["监管四科", ["accepted", "closed"]]) == (1, 1)
    share = off_roster_share(result.cases, branch, MONTH)
    assert (share.off_roster, share.accepted, share.names) == (1, 5, {"执法大队": 1})
    assert share.share == pytest.approx(0.2) and share.warn and not share.stop


def month_cases(units: list[str | None]) -> pd.DataFrame:
    return make_cases(
        [
            {
                "kind": "投诉",
                "unit": u,
                "registered_at": f"2022-03-{i + 1:02d} 09:00",
                "closed_at": f"2022-03-{i + 2:02d}",
            }
            for i, u in enumerate(units)
        ]
    )


def test_off_roster_share_warns_above_ten_percent_naming_names_and_lines(branch) -> None:
    # 4 of 10 accepted off the roster: 2 under a name like 站前所's, 1 unlike any unit, 1 without unit
    units = ["站前所"] * 6 + ["长春市宽城区站前市场监管所", "长春市宽城区站前市场监管所", "某某街道办", None]
    consult = make_cases([{"kind": "咨询", "unit": "某某街道办", "registered_at": "2022-03-02"}])
    cases = pd.concat([month_cases(units), consult], ignore_index=True)
    share = off_roster_share(cases, branch, MONTH)
    assert (share.accepted, share.off_roster, share.unassigned) == (10, 4, 1)  # 咨询 not accepted
    assert share.names == {"长春市宽城区站前市场监管所": 2, "某某街道办": 1}
    assert share.share == pytest.approx(0.4) and share.warn and not share.stop
    msg = share.message
    assert "受理 10 件中有 4 件（40%）不在名册的任何单位下" in msg
    assert "“长春市宽城区站前市场监管所” 2 件、“某某街道办” 1 件" in msg
    assert "没有承办单位的 1 件" in msg
    line = msg.split("把对应单位的行改为：")[1].split("。")[0]
    entry = yaml.safe_load(line.strip())[0]  # the line to paste is valid YAML
    assert entry["seq"] == 1 and entry["unit"] == "站前所"
    assert entry["aliases"][-1] == "长春市宽城区站前市场监管所"
    assert entry["aliases"][:-1] == list(branch.roster[0].aliases)
    assert "“某某街道办” 看不出是哪个名册单位" in msg


def test_a_few_off_roster_cases_are_no_warning(branch) -> None:
    """The reference's 44 of 702 (6 %) stay a reconciliation finding, not a warning."""
    share = off_roster_share(month_cases(["站前所"] * 15 + ["执法大队"]), branch, MONTH)
    assert share.off_roster == 1 and not share.warn and share.message == ""


def test_nothing_accepted_is_no_share(branch) -> None:
    share = off_roster_share(month_cases(["站前所"]), branch, "2022-04")
    assert (share.accepted, share.share, share.warn) == (0, 0.0, False)


def test_odd_names_are_quoted_in_the_line_to_paste(branch) -> None:
    share = off_roster_share(month_cases(["站前所: 二组, [临时]"] * 3), branch, MONTH)
    line = share.message.split("把对应单位的行改为：")[1].split("。")[0]
    assert yaml.safe_load(line.strip())[0]["aliases"][-1] == "站前所: 二组, [临时]"


@pytest.fixture
def params_dir(tmp_path: Path) -> Path:
    out = tmp_path / "params"
    out.mkdir()
    for name in ("branch.yaml", "calendar.yaml", "deadlines.yaml"):
        shutil.copy(DEFAULT_PARAMS_DIR / name, out / name)
    (out / f"{MONTH}.yaml").write_text(
        f'month: "{MONTH}"\ntypical_case:\n  title: 三月的案例\n  body:\n    - 2022 年 3 月 3 日，某所调解了一起退货纠纷。\n',
        encoding="utf-8",
    )
    return out


def test_official_run_stops_when_most_cases_miss_the_roster(tmp_path: Path, params_dir: Path, branch) -> None:
    rows = [
        row(i, 登记时间=f"2022-03-0{i} 09:00", 受理时间="", 办结时间="2022-03-09", 承办单位=unit)
        for i, unit in enumerate(["宽城分局站前所", "宽城分局站前所", "宽城分局站前所", "站前所"], start=1)
    ]
    result = read_export(write_csv(tmp_path / "m.csv", rows), branch)
    with pytest.raises(OffRosterError) as info:
        build_report(MONTH, params_dir=params_dir, ingest=result, official=True)
    text = str(info.value)
    assert "受理 4 件中有 3 件（75%）不在名册的任何单位下" in text
    assert "“宽城分局站前所” 3 件" in text and "正式通报不予生成" in text and "--draft" in text
    draft = build_report(MONTH, params_dir=params_dir, ingest=result, official=False)
    assert any("“宽城分局站前所” 3 件" in w for w in draft.warnings)
    assert "本月多数案件的承办单位不在名册中" in draft.draft_reasons
    # adding the alias makes the same export an official bulletin
    path = params_dir / "branch.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "aliases: [长春市市场监督管理局宽城分局站前市场监督管理所,",
            "aliases: [宽城分局站前所, 长春市市场监督管理局宽城分局站前市场监督管理所,",
        ),
        encoding="utf-8",
    )
    fixed = load_branch(params_dir)
    again = read_export(tmp_path / "m.csv", fixed)
    report = build_report(MONTH, params_dir=params_dir, ingest=again, official=True)
    assert report.table.set_index("unit").loc["站前所", "accepted"] == 4
    assert not any("不在名册" in w for w in report.warnings)
