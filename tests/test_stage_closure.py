"""An export without a closure date (issue 8 §8): closure from the stage, said so; never a 0 % from
a missing column; the layout's new headers; the platform's due date cross-checked.

The export is made here in exactly the layout seen in the field; every expected number is counted
by hand from the rows below.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kwstats import indicators
from kwstats.checks import due_date_check, due_date_findings
from kwstats.ingest import read_export
from kwstats.tables import table_csv
from tests.conftest import make_cases

MONTH = "2023-06"
LAYOUT = [
    "序号",
    "业务类型",
    "表单号",
    "工单号",
    "工单标题",
    "登记内容",
    "当前环节",
    "交办时间",
    "到期时间",
    "来电号码",
    "诉求来源",
    "来电人姓名",
    "涉及主体名称",
    "处理部门",
    "处理结果",
    "挽回经济损失",
    "加倍赔偿金额",
    "经营地址详细地址",
    "涉及客体分类",
    "涉及问题分类",
    "是否诉转案",
    "业务性质",
]
ZQ_FULL = "长春市市场监督管理局宽城分局站前市场监督管理所"
ZQ_SHORT_FULL = "宽城分局站前市场监督管理所"
XF_FULL = "长春市市场监督管理局宽城分局新发市场监督管理所"
PHONE = "13912345678"

# (业务类型, 表单号, 工单号, 当前环节, 交办时间, 处理部门, 挽回经济损失, 是否诉转案)
ROWS = [
    ("投诉", "BD001", "GD001", "已办结", "2023-06-01 09:00", ZQ_FULL, "200", "否"),
    ("投诉", "BD001", "GD002", "已归档", "2023-06-02 09:00", ZQ_SHORT_FULL, "0", "是"),  # same 表单号
    ("投诉", "BD002", "GD003", "办理中", "2023-06-05 10:00", "站前所", "500", "否"),
    ("举报", "BD003", "GD004", "已办结", "2023-06-06 10:00", XF_FULL, "", "否"),
    ("举报", "BD004", "GD005", "待签收", "2023-06-28 15:00", "宽城分局　新发市场监督管理所", "", "否"),
    ("投诉", "BD005", "GD006", "已办结", "2023-06-07 08:00", "宽城分局市场监管一科", "1000", "否"),
    ("咨询", "BD006", "GD007", "已办结", "2023-06-08 08:00", "站前所", "", "否"),
    ("投诉", "BD007", "GD008", "已办结", "2023-06-09 08:00", "某某街道办事处", "300", "否"),
    ("投诉", "BD008", "GD009", "已办结", "2023-05-30 08:00", "站前所", "700", "否"),  # May
    ("举报", "BD009", "GD010", " 已办结 ", "2023-06-12 08:00", XF_FULL, "", "否"),
]


def write_layout(path: Path, *, drop: tuple[str, ...] = ()) -> Path:
    header = [h for h in LAYOUT if h not in drop]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["12345 工单导出"])
        w.writerow(["导出时间：2023-07-03 08:30:00"])
        w.writerow(header)
        for i, (kind, form, order, stage, at, unit, loss, to_case) in enumerate(ROWS, start=1):
            cells = {
                "序号": i,
                "业务类型": kind,
                "表单号": form,
                "工单号": order,
                "工单标题": f"关于{kind}的工单",
                "登记内容": f"来电人反映问题，回电{PHONE}。",
                "当前环节": stage,
                "交办时间": at,
                "到期时间": "2023-07-20 17:00",
                "来电号码": PHONE,
                "诉求来源": "12345热线",
                "来电人姓名": "王小明",
                "涉及主体名称": "某某超市",
                "处理部门": unit,
                "处理结果": f"已电话联系{PHONE}，调解成功。",
                "挽回经济损失": loss,
                "加倍赔偿金额": "",
                "经营地址详细地址": "宽城区某路 1 号",
                "涉及客体分类": "食品",
                "涉及问题分类": "质量",
                "是否诉转案": to_case,
                "业务性质": "普通件",
            }
            w.writerow([cells[h] for h in header])
    return path


def expected_table() -> dict[str, tuple]:
    """Counted by hand from ROWS (June only; 咨询 apart): unit -> (accepted, reports, reports_closed,
    reports_filed, complaints, complaints_closed, complaints_to_case, closed, rate)."""
    return {
        "全局": (8, 3, 2, 0, 5, 4, 1, 6, 75.0),  # 6/8
        "站前所": (3, 0, 0, 0, 3, 2, 1, 2, 66.0),  # GD001-GD003, 2/3 truncated
        "新发所": (3, 3, 2, 0, 0, 0, 0, 2, 66.0),  # GD004, GD005, GD010
        "监管一科": (1, 0, 0, 0, 1, 1, 0, 1, 100.0),  # GD006
    }


@pytest.fixture
def stage_export(tmp_path: Path, branch):
    return read_export(write_layout(tmp_path / "工单导出.csv"), branch)


def test_layout_is_read_with_its_headers(stage_export) -> None:
    result = stage_export
    assert result.rows_read == result.rows_used + result.rows_set_aside
    assert (result.rows_read, result.rows_used) == (10, 10)
    (report,) = result.files
    assert report.exported_at == "2023-07-03 08:30:00"
    assert report.columns["case_id"] == "工单号"  # params order, not column order
    assert report.columns["respondent"] == "涉及主体名称"
    assert report.columns["unit"] == "处理部门"
    assert report.columns["result"] == "处理结果"
    assert report.columns["due_at"] == "到期时间"
    assert report.columns["kind"] == "业务类型"
    assert "closed_at" not in report.columns
    assert set(report.personal_headers) == {"来电号码", "来电人姓名"}
    cases = result.cases.set_index("case_id")
    assert sorted(cases.index) == [f"GD{i:03d}" for i in range(1, 11)]  # GD002 is no duplicate of GD001
    assert cases.loc["GD001", "respondent"] == "某某超市"
    assert cases.loc["GD001", "due_at"] == pd.Timestamp("2023-07-20 17:00")
    assert pd.isna(cases["closed_at"]).all()  # no date is invented
    assert set(cases["closure_basis"]) == {"stage"}
    assert cases["closed_by_stage"].to_dict() == {
        "GD001": True,
        "GD002": True,
        "GD003": False,
        "GD004": True,
        "GD005": False,
        "GD006": True,
        "GD007": True,
        "GD008": True,
        "GD009": True,
        "GD010": True,  # " 已办结 " stripped
    }
    # free text of the result column is masked; personal columns are gone
    assert PHONE not in "".join(cases["result"].astype(str)) and "调解成功" in cases.loc["GD001", "result"]
    assert not any(PHONE in str(v) for v in cases.astype(str).to_numpy().ravel())
    warned = " ".join(result.warnings)
    assert "“表单号”与“工单号”都可作登记编号列" in warned and "“表单号”列未使用" in warned
    assert "“业务性质”与“业务类型”都可作业务类型列" in warned


def test_unit_table_counts_closure_from_the_stage(stage_export, branch) -> None:
    table = indicators.unit_table(stage_export.cases, branch, MONTH).set_index("unit")
    expected = expected_table()
    cols = [*indicators.COUNT_COLUMNS, "closure_rate_pct"]
    for unit, values in expected.items():
        assert tuple(table.loc[unit, cols]) == values, unit
    others = table.drop(index=list(expected))
    assert (others[list(indicators.COUNT_COLUMNS)] == 0).all().all()
    assert others["closure_rate_pct"].isna().all()  # no cases: blank, not 0 %


def test_summary_says_where_closure_comes_from(stage_export, branch) -> None:
    s = indicators.summarize(stage_export.cases, branch, MONTH)
    assert (s.accepted, s.closed, s.pending, s.consultations) == (8, 6, 2, 1)
    assert (s.reports_rate_pct, s.complaints_rate_pct, s.rate_pct) == (66.0, 80.0, 75.0)  # 2/3, 4/5, 6/8
    assert float(s.recovered_loss_yuan) == 1500.0  # 200 + 0 + 1000 + 300 (GD003 open, GD009 in May)
    assert s.closed_by_stage == 6 and s.closure_unknown == 0
    assert indicators.STAGE_CLOSURE_NOTE == (
        "办结情况取自导出时的办理环节（当前环节），是导出时的状态，不是截止时间的状态"
    )
    assert indicators.STAGE_CLOSURE_NOTE in s.closure_note
    assert "计为办结 6 件（已办结 5 件、已归档 1 件）" in s.closure_note
    assert "计为未办结 2 件" in s.closure_note and "办理中 1 件" in s.closure_note
    official = indicators.closure_note(stage_export.cases, branch, MONTH, official=True)
    assert official == f"本月 8 件的导出没有办结时间，{indicators.STAGE_CLOSURE_NOTE}。"


def test_stage_closure_is_the_exports_state_whatever_the_cutoff(stage_export, branch) -> None:
    """An earlier cutoff cannot undo a closure known only as of the export: the note says so."""
    cut = indicators.resolve_cutoff(MONTH, "2023-06-15")
    table = indicators.unit_table(stage_export.cases, branch, MONTH, cut).set_index("unit")
    # registered by 06-15: GD001-GD004, GD006, GD008, GD010 (GD005 on 06-28 is later): 7, closed 6
    assert (table.loc["全局", "accepted"], table.loc["全局", "closed"]) == (7, 6)


def test_no_closure_date_and_no_stage_is_unknown_not_zero(tmp_path: Path, branch) -> None:
    result = read_export(write_layout(tmp_path / "x.csv", drop=("当前环节",)), branch)
    assert set(result.cases["closure_basis"]) == {"none"}
    table = indicators.unit_table(result.cases, branch, MONTH)
    assert table["closure_rate_pct"].isna().all()
    s = indicators.summarize(result.cases, branch, MONTH, table=table)
    assert s.closure_unknown == 8 and s.closed == 0 and s.pending == 0
    assert all(np.isnan(v) for v in (s.rate_pct, s.reports_rate_pct, s.complaints_rate_pct))
    assert "办结情况无法统计" in s.closure_note and "不是 0%" in s.closure_note
    rows = list(csv.DictReader(io.StringIO(table_csv(table))))
    assert rows[0]["unit"] == "全局" and rows[0]["accepted"] == "8" and rows[0]["closure_rate_pct"] == ""
    assert all(r["closure_rate_pct"] == "" for r in rows)


def test_closure_dates_and_stage_mixed_across_files(branch) -> None:
    """History from a 12315 export with 办结时间 keeps its dates; the stage-only month does not change it."""
    cases = make_cases(
        [
            {"kind": "投诉", "unit": "站前所", "registered_at": "2023-06-03", "closed_at": "2023-06-10"},
            {"kind": "投诉", "unit": "站前所", "registered_at": "2023-06-03", "closed_at": "2023-07-10"},
        ]
    )
    s = indicators.summarize(cases, branch, MONTH)
    assert (s.accepted, s.closed, s.closure_note) == (2, 1, "")


# ---------------------------------------------------------------------------------------------
# 到期时间 against the computed deadlines


def test_due_date_cross_check_says_where_they_disagree(branch) -> None:
    cases = make_cases(
        [
            {
                "case_id": "A",
                "kind": "投诉",
                "unit": "站前所",
                "registered_at": "2023-06-01",
                "due_at": "2023-08-04 17:00",
            },
            {
                "case_id": "B",
                "kind": "投诉",
                "unit": "站前所",
                "registered_at": "2023-06-01",
                "due_at": "2023-08-07",
            },
            {
                "case_id": "C",
                "kind": "举报",
                "unit": "新发所",
                "registered_at": "2023-06-01",
                "due_at": "2023-06-21",
            },
            {
                "case_id": "D",
                "kind": "举报",
                "unit": "新发所",
                "registered_at": "2023-06-01",
                "due_at": "2023-06-20",
            },
            {"case_id": "E", "kind": "投诉", "unit": "新发所", "registered_at": "2023-06-01"},  # no due date
        ]
    )
    cases["due_at"] = pd.to_datetime(cases["due_at"])
    # an evaluation as kwstats.deadlines gives it (only the columns the check reads), made by hand
    evaluation = pd.DataFrame(
        {
            "case_id": ["A", "A", "B", "C", "D", "E"],
            "key": [
                "complaint_acceptance",
                "mediation",
                "mediation",
                "report_verification",
                "report_verification",
                "mediation",
            ],
            "label": ["投诉受理决定", "调解", "调解", "举报核查及立案决定", "举报核查及立案决定", "调解"],
            "due_date": pd.to_datetime(
                ["2023-06-12", "2023-08-04", "2023-08-04", "2023-06-21", None, "2023-08-04"]
            ),
        }
    )
    check = due_date_check(cases, evaluation, branch).set_index("case_id")
    assert check["status"].to_dict() == {"A": "agree", "B": "disagree", "C": "agree", "D": "not_computed"}
    assert check.loc["B", "difference_days"] == 3  # platform 08-07, computed 08-04
    assert check.loc["A", "key"] == "mediation"  # the rule the branch says 到期时间 stands for
    findings = due_date_findings(check.reset_index(), MONTH)
    kinds = [f.kind for f in findings]
    assert kinds == ["due_mismatch", "due_unchecked"]
    assert findings[0].case_ids == ("B",) and "平台 2023-08-07、计算 2023-08-04" in findings[0].message
    assert findings[1].case_ids == ("D",)


def test_unknown_closure_blanks_only_the_rates_it_enters(branch) -> None:
    cases = make_cases(
        [
            {"kind": "投诉", "unit": "站前所", "registered_at": "2023-06-01", "closed_at": "2023-06-05"},
            {"kind": "举报", "unit": "站前所", "registered_at": "2023-06-02"},
            {"kind": "投诉", "unit": "新发所", "registered_at": "2023-06-03", "closure_basis": "none"},
        ]
    )
    table = indicators.unit_table(cases, branch, MONTH)
    rates = table.set_index("unit")["closure_rate_pct"]
    assert rates["站前所"] == 50.0  # 1/2, all known
    assert np.isnan(rates["新发所"])
    assert np.isnan(rates["全局"])  # 全局 holds the unknown case
    s = indicators.summarize(cases, branch, MONTH, table=table)
    assert (s.accepted, s.closed, s.closure_unknown, s.pending) == (3, 1, 1, 1)
    assert s.reports_rate_pct == 0.0  # the one report is known and open
    assert np.isnan(s.complaints_rate_pct)  # one of the two complaints is unknown


def test_official_sentences_say_it_too(stage_export, tmp_path: Path, branch) -> None:
    from kwstats import text

    s = indicators.summarize(stage_export.cases, branch, MONTH)
    note = text.table_note(s, branch)
    assert "办结情况取自导出时的办理环节（当前环节），是导出时的状态，不是截止时间的状态" in note
    unknown = read_export(write_layout(tmp_path / "x.csv", drop=("当前环节",)), branch)
    s2 = indicators.summarize(unknown.cases, branch, MONTH)
    sentence = text.closed_sentence(s2)
    # June's accepted complaints and reports in ROWS: 8 (one 咨询 and one May case left out), all unknown
    assert "另有 8 件的导出既无办结时间也无办理环节，办结情况未统计。" in sentence
    assert "0%" not in text.reports_sentence(s2, branch.rate_rule)
