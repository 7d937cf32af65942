"""The synthetic sample: January 2022 reproduces the reference, the files are what they claim to be."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import re
import time
from pathlib import Path

import chinese_calendar
import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from kwstats import sample
from kwstats.demo import exports as demo_exports
from kwstats.params import load_branch
from kwstats.schema import CASE_COLUMNS, conform

CUTOFF = pd.Timestamp("2022-01-31 23:59:59")

# The published unit table (reference/bulletin-2022-01-table.csv, rows 1-17), typed in again here:
# unit: accepted, reports, reports_closed, reports_filed, complaints, complaints_closed, complaints_to_case
REFERENCE_UNITS = {
    "站前所": (82, 32, 27, 3, 50, 28, 0),
    "新发所": (11, 2, 2, 0, 9, 6, 0),
    "南广所": (53, 24, 23, 1, 29, 29, 0),
    "东广所": (21, 8, 8, 0, 13, 7, 0),
    "群英所": (72, 25, 23, 2, 47, 45, 0),
    "凯旋所": (61, 18, 16, 0, 43, 38, 0),
    "团山所": (22, 7, 5, 0, 15, 7, 0),
    "柳影所": (104, 38, 36, 0, 66, 46, 0),
    "兴业所": (62, 20, 19, 0, 42, 33, 0),
    "欣园所": (50, 18, 16, 1, 32, 32, 0),
    "兰家所": (54, 28, 28, 0, 26, 26, 0),
    "监管一科": (0, 0, 0, 0, 0, 0, 0),
    "监管二科": (0, 0, 0, 0, 0, 0, 0),
    "监管三科": (9, 0, 0, 0, 9, 9, 0),
    "监管四科": (57, 42, 42, 1, 15, 12, 0),
    "审批办": (0, 0, 0, 0, 0, 0, 0),
    "党群办": (0, 0, 0, 0, 0, 0, 0),
}


@pytest.fixture(scope="module")
def cases() -> pd.DataFrame:
    return sample.generate_cases()


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Path], float]:
    sample.generate_cases()  # build outside the timing
    out = tmp_path_factory.mktemp("sample")
    start = time.perf_counter()
    paths = sample.write_sample(out)
    return paths, time.perf_counter() - start


@pytest.fixture(scope="module")
def sheets(written: tuple[list[Path], float]) -> dict[str, list[list[object]]]:
    """Every file as a list of rows of cells (line n is index n - 1)."""
    out = {}
    for p in written[0]:
        if p.suffix == ".xlsx":
            out[p.name] = (
                CalamineWorkbook.from_path(str(p)).get_sheet_by_index(0).to_python(skip_empty_area=False)
            )
        else:
            text = p.read_bytes().decode(sample.CSV_ENCODINGS[p.stem.removeprefix("12315_")])
            out[p.name] = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    return out


def _month(cases: pd.DataFrame, month: str) -> pd.DataFrame:
    return cases[cases["registered_at"].dt.strftime("%Y-%m") == month]


def _accepted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["kind"] != "咨询"]


def _counts(frame: pd.DataFrame, cutoff: pd.Timestamp) -> tuple[int, ...]:
    reports, complaints = frame[frame["kind"] == "举报"], frame[frame["kind"] == "投诉"]
    return (
        len(reports) + len(complaints),
        len(reports),
        int((reports["closed_at"] <= cutoff).sum()),
        int(reports["filed"].sum()),
        len(complaints),
        int((complaints["closed_at"] <= cutoff).sum()),
        int(complaints["complaint_to_case"].sum()),
    )


# --- January 2022 reproduces the reference --------------------------------------------------------


def test_january_2022_units_match_reference(cases: pd.DataFrame) -> None:
    jan = _accepted(_month(cases, "2022-01"))
    for unit, expected in REFERENCE_UNITS.items():
        assert _counts(jan[jan["unit"] == unit], CUTOFF) == expected, unit


def test_january_2022_global(cases: pd.DataFrame) -> None:
    month = _month(cases, "2022-01")
    jan = _accepted(month)
    accepted, reports, reports_closed, filed, complaints, complaints_closed, to_case = _counts(jan, CUTOFF)
    assert (accepted, reports, reports_closed, filed) == (702, 271, 254, 8)
    assert (complaints, complaints_closed, to_case) == (431, 353, 0)
    assert reports_closed + complaints_closed == 607
    assert accepted - (reports_closed + complaints_closed) == 95
    assert month["unit"].notna().sum() == 702  # 分流: 咨询 are answered by the center, no unit
    assert (month["kind"] == "咨询").sum() > 0
    assert month["urges"].sum() == 0
    closed = month["closed_at"] <= CUTOFF
    assert month.loc[closed, "recovered_loss"].sum() == 60_800
    assert month.loc[~closed, "recovered_loss"].sum() > 0  # recorded at a later closure: must not count
    pending = jan[~(jan["closed_at"] <= CUTOFF)]
    assert pending["closed_at"].notna().all() and (pending["closed_at"] > CUTOFF).all()


def test_january_2022_off_roster(cases: pd.DataFrame) -> None:
    jan = _accepted(_month(cases, "2022-01"))
    off = jan[jan["unit"].isin(sample.OFF_ROSTER_UNITS)]
    assert _counts(off, CUTOFF) == (44, 9, 9, 0, 35, 35, 0)
    assert not set(jan["unit"].dropna()) - set(REFERENCE_UNITS) - set(sample.OFF_ROSTER_UNITS)


def test_january_2022_typical_and_markup_cases(cases: pd.DataFrame) -> None:
    typical = cases[cases["case_id"] == sample.TYPICAL_CASE_ID].iloc[0]
    assert typical["registered_at"].date() == dt.date(2022, 1, 17)
    assert typical["kind"] == "投诉" and typical["goods_category"] == "家具"
    assert "定制家居店" in typical["respondent"] and "柜门" in typical["content"]
    xss = cases[cases["case_id"] == sample.XSS_CASE_ID].iloc[0]
    assert xss["registered_at"].strftime("%Y-%m") == "2022-01"
    assert "<script>alert(1)</script>" in xss["content"] and "<img src=x onerror=alert(1)>" in xss["content"]
    assert cases["content"].str.contains("<", regex=False).sum() == 1


def test_epidemic_window(cases: pd.DataFrame) -> None:
    acc = _accepted(cases)
    window = acc[acc["epidemic"] & (acc["registered_at"] >= "2020-01-23") & (acc["registered_at"] <= CUTOFF)]
    assert len(window) == 18_297
    closed = int((window["closed_at"] <= CUTOFF).sum())
    assert 17_566 <= closed <= 17_747
    assert math.floor(100 * closed / len(window)) == 96
    before = acc[acc["epidemic"] & (acc["registered_at"] < "2020-01-23")]
    assert len(before) > 0 and (before["registered_at"] >= "2020-01-20").all()
    assert (cases["epidemic"] & (cases["kind"] == "咨询")).sum() > 0


# --- the story over three years ------------------------------------------------------------------


def test_monthly_volume(cases: pd.DataFrame) -> None:
    month = cases["registered_at"].dt.strftime("%Y-%m")
    acc = _accepted(cases).groupby(month).size()
    consult = cases[cases["kind"] == "咨询"].groupby(month).size()
    assert list(acc.index) == list(sample.MONTHS)
    for m in sample.MONTHS:
        if m >= "2021-01":
            assert 500 <= acc[m] <= 900, m
        assert 0.10 <= consult[m] / acc[m] <= 0.20, m
    assert all(acc[m] > 3000 for m in ("2020-02", "2020-03", "2020-04"))
    assert acc["2021-02"] < min(acc["2021-01"], acc["2021-03"]) - 60
    assert acc["2022-02"] < min(acc["2022-01"], acc["2022-03"]) - 60
    off = _accepted(cases)
    for unit in sample.OFF_ROSTER_UNITS:
        assert (off[off["unit"] == unit].groupby(month).size().reindex(sample.MONTHS, fill_value=0) > 0).all()
    for unit in ("监管一科", "监管二科", "审批办", "党群办"):
        assert (cases["unit"] == unit).sum() == 0


def _zscores(frame: pd.DataFrame, field: str) -> pd.DataFrame:
    """Each month's count against the mean of the 12 months before it, in Poisson sigmas."""
    counts = frame.groupby([frame["registered_at"].dt.strftime("%Y-%m"), field], observed=True).size()
    table = counts.unstack(fill_value=0).reindex(sample.MONTHS, fill_value=0)
    trailing = table.rolling(12).mean().shift(1)
    z = (table - trailing) / np.sqrt(trailing.clip(lower=1))
    return z.loc["2021-01":].stack().rename("z").reset_index()


@pytest.mark.parametrize("field", ["unit", "goods_category", "problem_category"])
@pytest.mark.parametrize("only_accepted", [True, False])
def test_only_the_planted_spike(cases: pd.DataFrame, field: str, only_accepted: bool) -> None:
    frame = _accepted(cases) if only_accepted else cases
    z = _zscores(frame, field)
    spike = sample.PLANTED_SPIKE
    planted = (z.iloc[:, 0] == spike["month"]) & (
        (z[field] == spike["unit"]) if field == "unit" else (z[field] == spike["category"])
    )
    if field in ("unit", spike["field"]):
        assert planted.sum() == 1 and z.loc[planted, "z"].iloc[0] > 3.5
    others = z.loc[~planted, "z"]
    assert others.max() < 2.5, z.loc[~planted].sort_values("z").tail(3)


def test_spike_cases(cases: pd.DataFrame) -> None:
    spike = sample.PLANTED_SPIKE
    june = _month(cases, spike["month"])
    extra = june[june["respondent"] == spike["respondent"]]
    assert len(extra) == spike["extra"]
    assert (extra["unit"] == spike["unit"]).all() and (extra[spike["field"]] == spike["category"]).all()
    assert (extra["kind"] == spike["kind"]).all()


def test_urges(cases: pd.DataFrame) -> None:
    month = cases["registered_at"].dt.strftime("%Y-%m")
    urges = cases.groupby(month)["urges"].sum()
    assert urges["2022-01"] == 0
    assert (urges > 0).sum() >= 10
    assert cases.loc[cases["kind"] == "咨询", "urges"].sum() == 0


def test_closure_by_export(cases: pd.DataFrame) -> None:
    still_open = cases[cases["closed_at"].isna()]
    assert len(still_open) > 0
    assert (still_open["registered_at"] >= "2022-12-01").all()
    assert (cases["closed_at"].dropna() <= sample.EXPORT_AT).all()


# --- good rows ------------------------------------------------------------------------------------


def test_canonical_table(cases: pd.DataFrame) -> None:
    assert list(cases.columns) == list(CASE_COLUMNS)
    pd.testing.assert_frame_equal(cases, conform(cases))
    assert not cases["case_id"].isna().any()
    assert not cases["case_id"].duplicated().any()
    assert set(cases["kind"].unique()) == {"投诉", "举报", "咨询"}
    assert (cases["recovered_loss"] >= 0).all()
    for col in ("accepted_at", "first_contact_at", "verified_at", "closed_at"):
        assert not (cases[col] < cases["registered_at"]).any(), col
    assert not (cases["closed_at"] < cases["accepted_at"]).any()
    assert not (cases["closed_at"] < cases["verified_at"]).any()
    assert (cases.loc[cases["kind"] == "咨询", "unit"].isna()).all()
    assert cases.loc[cases["kind"] != "咨询", "unit"].notna().all()
    assert cases["registered_at"].min() >= pd.Timestamp("2020-01-01")
    assert cases["registered_at"].max() < pd.Timestamp("2023-01-01")


def test_normal_cases_meet_deadlines(cases: pd.DataFrame) -> None:
    overdue = {d["case_id"] for d in sample.PLANTED_OVERDUE}
    normal = cases[~cases["case_id"].isin(overdue)]
    two, five, days35 = pd.Timedelta(days=2), pd.Timedelta(days=5), pd.Timedelta(days=35)
    comp = normal[normal["kind"] == "投诉"]
    assert comp["accepted_at"].notna().all() and comp["first_contact_at"].notna().all()
    assert ((comp["accepted_at"] - comp["registered_at"]) <= two).all()
    assert ((comp["first_contact_at"] - comp["registered_at"]) <= two).all()
    assert ((comp["closed_at"] - comp["accepted_at"]).dropna() <= days35).all()
    rep = normal[normal["kind"] == "举报"]
    assert rep["verified_at"].notna().all() and rep["accepted_at"].isna().all()
    assert ((rep["verified_at"] - rep["registered_at"]) <= five).all()
    assert ((rep["first_contact_at"] - rep["registered_at"]) <= two).all()


def _workdays_between(start: pd.Timestamp, end: pd.Timestamp) -> int:
    """Working days after `start`'s day up to and including `end`'s day."""
    return len(chinese_calendar.get_workdays(start.date() + dt.timedelta(days=1), end.date()))


def test_planted_overdue(cases: pd.DataFrame) -> None:
    assert 3 <= len(sample.PLANTED_OVERDUE) <= 5
    by_id = cases.set_index("case_id")
    for entry in sample.PLANTED_OVERDUE:
        case = by_id.loc[entry["case_id"]]
        cutoff = pd.Timestamp(entry["cutoff"])
        assert case["registered_at"].strftime("%Y-%m") == entry["month"] != "2022-01"
        assert case["kind"] == entry["kind"]
        if entry["deadline"] == "complaint_acceptance" and entry["status"] == "late":
            assert case["accepted_at"] <= cutoff
            assert _workdays_between(case["registered_at"], case["accepted_at"]) >= 7 + 3
        elif entry["deadline"] == "complaint_acceptance":
            assert pd.isna(case["accepted_at"]) and pd.isna(case["closed_at"])
            assert _workdays_between(case["registered_at"], cutoff) >= 7 + 3
        elif entry["deadline"] == "report_verification":
            assert case["verified_at"] <= cutoff
            assert _workdays_between(case["registered_at"], case["verified_at"]) >= 15 + 3
        else:
            assert entry["deadline"] == "mediation"
            assert case["closed_at"] <= cutoff
            assert _workdays_between(case["accepted_at"], case["closed_at"]) >= 45 + 10
        assert entry["status"] in ("late", "overdue")


def test_planted_numbers(cases: pd.DataFrame) -> None:
    phone = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
    idno = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
    holding = cases[cases["content"].str.contains(phone) | cases["content"].str.contains(idno)]
    assert set(holding["case_id"]) == set(sample.PHONE_CASE_IDS) == set(sample.PLANTED_NUMBERS)
    by_id = cases.set_index("case_id")["content"]
    for case_id, numbers in sample.PLANTED_NUMBERS.items():
        for number in numbers:
            assert number in by_id[case_id]
    assert (_month(cases, "2022-01")["case_id"].isin(sample.PHONE_CASE_IDS)).sum() >= 2


def test_generate_cases_is_deterministic(cases: pd.DataFrame) -> None:
    np.random.seed(1)  # global state must not matter
    demo_exports._build.cache_clear()
    again = sample.generate_cases()
    pd.testing.assert_frame_equal(cases, again)
    again.loc[0, "urges"] = 99  # callers get a copy
    assert sample.generate_cases().loc[0, "urges"] != 99


# --- the files -------------------------------------------------------------------------------------


def test_file_names(written: tuple[list[Path], float]) -> None:
    paths, _ = written
    assert [p.name for p in paths] == [sample.sample_file_name(m) for m in sample.MONTHS]
    assert {p.name for p in paths if p.suffix == ".csv"} == {
        "12315_2020-11.csv", "12315_2021-02.csv", "12315_2021-07.csv"
    }  # fmt: skip


def test_encodings(written: tuple[list[Path], float]) -> None:
    by_name = {p.name: p.read_bytes() for p in written[0]}
    bom = by_name["12315_2020-11.csv"]
    assert bom.startswith(b"\xef\xbb\xbf")
    bom.decode("utf-8")
    plain = by_name["12315_2021-02.csv"]
    assert not plain.startswith(b"\xef\xbb\xbf")
    assert "宽城市场监管分局" in plain.decode("utf-8")
    gb = by_name["12315_2021-07.csv"]
    assert "宽城市场监管分局" in gb.decode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        gb.decode("utf-8")
    assert by_name["12315_2022-01.xlsx"].startswith(b"PK\x03\x04")


def test_write_sample_is_byte_for_byte_deterministic(
    written: tuple[list[Path], float], tmp_path: Path
) -> None:
    again = sample.write_sample(tmp_path)
    digest = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in written[0]}
    assert digest == {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in again}


def test_file_layout(sheets: dict[str, list[list[object]]]) -> None:
    branch = load_branch()
    known = (
        {h for aliases in branch.headers.values() for h in aliases} | set(branch.personal_headers) | {"序号"}
    )
    variants = set()
    for name, rows in sheets.items():
        month = name[6:13]
        y, m = int(month[:4]), int(month[5:])
        assert rows[0][0] == f"宽城市场监管分局12315投诉举报登记表（{y}年{m}月）"
        n_data = len(rows) - 4
        assert str(rows[1][0]).startswith("导出时间：2023-01-06 ") and str(rows[1][0]).endswith(
            f"共 {n_data} 条"
        )
        header = [str(h) for h in rows[2]]
        assert header == sample.HEADER_VARIANTS[y]
        assert set(header) <= known
        variants.add(tuple(header))
        assert rows[-1][0] == f"合计：{n_data}条"
    assert len(variants) == 3


_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y年%m月%d日 %H:%M", "%Y-%m-%d")


def _parse_date(value: object) -> pd.Timestamp:
    if value in ("", None):
        return pd.NaT
    if isinstance(value, dt.datetime):
        return pd.Timestamp(value).round("s")
    if isinstance(value, float):
        return (pd.Timestamp("1899-12-30") + pd.Timedelta(days=value)).round("s")
    for fmt in _DATE_FORMATS:
        try:
            return pd.Timestamp(dt.datetime.strptime(str(value), fmt))
        except ValueError:
            continue
    raise ValueError(value)


def _parse_amount(value: object) -> float:
    if value in ("", None):
        return 0.0
    if isinstance(value, float):
        return value
    return float(str(value).replace(",", "").removesuffix("元"))


def _parse_int(value: object) -> int:
    return 0 if value in ("", None) else int(float(value))  # type: ignore[arg-type]


def test_rows_in_files_are_the_good_cases(cases: pd.DataFrame, sheets: dict[str, list[list[object]]]) -> None:
    branch = load_branch()
    alias = {h: f for f, aliases in branch.headers.items() for h in aliases}
    bad = {(b["file"], b["line"]) for b in sample.PLANTED_BAD_ROWS}
    parsers = {
        "registered_at": _parse_date, "accepted_at": _parse_date, "first_contact_at": _parse_date,
        "verified_at": _parse_date, "closed_at": _parse_date, "recovered_loss": _parse_amount,
        "urges": _parse_int, "filed": lambda v: v == "是", "complaint_to_case": lambda v: v == "是",
        "epidemic": lambda v: v == "是",
    }  # fmt: skip
    seen = 0
    for name, frame in cases.groupby("source_file", observed=True):
        rows = sheets[name]
        cols = {alias[h]: i for i, h in enumerate(rows[2]) if h in alias}
        lines = frame["source_line"].to_numpy()
        data_lines = set(range(4, len(rows)))  # the last line is the total row
        assert set(lines) | {line for f, line in bad if f == name} == data_lines, name
        for rec in frame.itertuples(index=False):
            row = rows[rec.source_line - 1]
            for field, col in cols.items():
                want = getattr(rec, field)
                cell = row[col]
                if field in parsers:
                    got = parsers[field](cell)
                    assert (pd.isna(got) and pd.isna(want)) or got == want, (
                        name,
                        rec.source_line,
                        field,
                        cell,
                        want,
                    )
                else:
                    assert (cell or None) == (None if pd.isna(want) else str(want)), (
                        name,
                        rec.source_line,
                        field,
                    )
            seen += 1
    assert seen == len(cases)


def test_planted_bad_rows(cases: pd.DataFrame, sheets: dict[str, list[list[object]]]) -> None:
    branch = load_branch()
    alias = {h: f for f, aliases in branch.headers.items() for h in aliases}
    reasons = {b["reason"] for b in sample.PLANTED_BAD_ROWS}
    assert reasons == {
        "date",
        "kind",
        "amount",
        "closed_before_registered",
        "duplicate_conflict",
        "missing_id",
    }
    assert 1 <= sum(b["file"] == "12315_2022-01.xlsx" for b in sample.PLANTED_BAD_ROWS) <= 2
    good_ids = set(cases["case_id"])
    for b in sample.PLANTED_BAD_ROWS:
        rows = sheets[b["file"]]
        cols = {alias[h]: i for i, h in enumerate(rows[2]) if h in alias}
        row = rows[b["line"] - 1]
        cell = {f: row[i] for f, i in cols.items()}
        assert b["file"][6:10] in ("2021", "2022")
        if b["reason"] == "missing_id":
            assert cell["case_id"] in ("", None)
            continue
        assert cell["case_id"] == b["case_id"]
        if b["reason"] == "duplicate_conflict":
            original = cases[cases["case_id"] == b["case_id"]].iloc[0]
            assert original["source_file"] == b["file"] and original["source_line"] < b["line"]
            assert cell["content"] != original["content"]
        else:
            assert b["case_id"] not in good_ids
        if b["reason"] == "date":
            assert cell["registered_at"] == b["value"]
            with pytest.raises(ValueError):
                _parse_date(cell["registered_at"])
        elif b["reason"] == "kind":
            assert cell["kind"] == b["value"] not in ("投诉", "举报", "咨询")
        elif b["reason"] == "amount":
            assert _parse_amount(cell["recovered_loss"]) < 0
        elif b["reason"] == "closed_before_registered":
            assert _parse_date(cell["closed_at"]) < _parse_date(cell["registered_at"])


def test_ensure_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def fake_write(out_dir: Path, seed: int = sample.DEFAULT_SEED) -> list[Path]:
        calls.append(seed)
        paths = [Path(out_dir) / sample.sample_file_name(m) for m in sample.MONTHS]
        for p in paths:
            p.write_text("x", encoding="utf-8")
        return paths

    monkeypatch.setattr(demo_exports, "write_sample", fake_write)  # what ensure_sample calls
    out = tmp_path / "data" / "sample"
    (out).mkdir(parents=True)
    (out / "12315_2019-12.xlsx").write_text("stale", encoding="utf-8")
    assert sample.ensure_sample(out) == out
    assert len(calls) == 1 and (out / sample.MARKER_NAME).is_file()
    assert not (out / "12315_2019-12.xlsx").exists()
    sample.ensure_sample(out)
    assert len(calls) == 1  # up to date: not rewritten
    (out / sample.MARKER_NAME).write_text("seed=1\nversion=0\n", encoding="utf-8")
    sample.ensure_sample(out)
    assert len(calls) == 2
    (out / "12315_2021-07.csv").unlink()
    sample.ensure_sample(out)
    assert len(calls) == 3
    assert sample.DEFAULT_SAMPLE_DIR.parts[-2:] == ("data", "sample")
