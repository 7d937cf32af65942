"""One run, resolved once at the edge; the kernel receives plain values and no data path."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from kwstats.cache import save_ingest
from kwstats.exceptions import ParamsError, UsageError
from kwstats.ingest import read_exports
from kwstats.params import DEFAULT_PARAMS_DIR
from kwstats.run import kernel_parameters, notebook_run, resolve_run
from kwstats.sample_files import DEFAULT_SAMPLE_DIR
from kwstats.sources import DataSource

HEADER = "登记编号,业务类型,登记时间,承办单位,办结时间\n"


def _export(path):
    path.write_text(HEADER + "K1,投诉,2022-03-05 09:00,站前所,\n", encoding="utf-8")
    return path


def test_the_month_and_the_cutoff_are_resolved_once(tmp_path):
    params = tmp_path / "params"
    shutil.copytree(DEFAULT_PARAMS_DIR, params)
    (params / "2022-03.yaml").write_text('month: "2022-03"\ncutoff: 2022-03-20\n', encoding="utf-8")
    data = [_export(tmp_path / "a.csv")]
    run = resolve_run("202203", data=data, params_dir=params)
    assert run.period.key == "2022-03" and run.period.cutoff == pd.Timestamp("2022-03-20 23:59:59.999999999")
    assert run.period.folder == "2022-03_截至2022-03-20_2359"  # the month's own cutoff, from its params
    given = resolve_run("2022-3", cutoff="2022-03-25 12:00", data=data, params_dir=params)
    assert given.period.cutoff == pd.Timestamp("2022-03-25 12:00")  # the user's cutoff wins
    assert run.data == DataSource(((tmp_path / "a.csv").resolve(),), sample=False) and not run.sample


def test_data_is_the_given_exports_or_the_sample(tmp_path):
    assert resolve_run("2022-01").sample and resolve_run("2022-01").data.paths == (
        DEFAULT_SAMPLE_DIR.resolve(),
    )
    assert resolve_run("2022-01", data=[DEFAULT_SAMPLE_DIR]).sample  # the sample, given by its folder
    with pytest.raises(FileNotFoundError, match="nope.csv"):
        resolve_run("2022-01", data=[tmp_path / "nope.csv"])


def test_an_official_run_needs_the_months_prose(tmp_path):
    with pytest.raises(ParamsError, match="2019-06.yaml"):
        resolve_run("2019-06", official=True)
    assert resolve_run("2019-06").params.has_month_file is False  # a draft goes on


def test_the_kernel_gets_plain_values_and_no_data_path(tmp_path):
    folder = tmp_path / "导出13812345678"
    folder.mkdir()
    run = resolve_run("2022-03", data=[_export(folder / "三月.csv")])
    values = kernel_parameters(run)
    text = json.dumps(values, ensure_ascii=False)
    assert "13812345678" not in text and "三月" not in text
    assert values["month"] == "2022-03" and values["official"] is False and values["sample"] is False
    ingest = read_exports(list(run.data.paths), run.branch)
    save_ingest(ingest, tmp_path / ".ingest")
    again, cases = notebook_run(
        period=values["period"], params_dir=values["params_dir"], ingest_dir=tmp_path / ".ingest"
    )
    assert again.period == run.period and again.params.dir == run.params.dir
    assert list(cases.cases["case_id"]) == ["K1"]


def test_a_kept_notebook_run_again_says_what_to_do(tmp_path):
    values = kernel_parameters(resolve_run("2022-01"))
    with pytest.raises(UsageError, match="make lab 打开工作副本 work/monthly_bulletin.ipynb"):
        notebook_run(period=values["period"], ingest_dir=tmp_path / ".ingest")
