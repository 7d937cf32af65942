"""End to end: personal data planted in every column and every layout leaves no trace in any output.

The export is made here (not the sample): personal values sit in the unit, channel, category,
respondent, content and stage columns, in the file's name, and in the row's own 姓名/地址/来电号码
columns recurring in its content. The official run has every extra indicator switched on, so the
categories and channels reach the official page too. Every output is scanned: both HTML pages, the
executed notebook, table.xlsx (its XML), every other file written, and the CLI's stdout and stderr.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from kwstats.params import DEFAULT_PARAMS_DIR

pytestmark = pytest.mark.slow

# (planted text, the digits or words that must never come out)
PLANTED = {
    "mobile_spaced": ("138 1234 5671", "13812345671"),
    "mobile_0086": ("0086 13912345672", "13912345672"),
    "mobile_dashes": ("137—1234—5673", "13712345673"),
    "mobile_nbsp": ("136\u00a01234\u00a05674", "13612345674"),
    "mobile_ideographic": ("135\u30001234\u30005675", "13512345675"),
    "mobile_underscore": ("134_1234_5676", "13412345676"),
    "mobile_slash": ("133/1234/5677", "13312345677"),
    "mobile_fullwidth": ("１５８１２３４５６７８", "15812345678"),
    "landline_dashed": ("0431-8000-0004", "043180000004"),
    "landline_spaced": ("0431 8000 0005", "043180000005"),
    "landline_paren": ("(0431)80000006", "043180000006"),
    "landline_bare": ("电话85550007", "85550007"),
    "id_dashed": ("220102-19900307-0016", "220102199003070016"),
    "id_spaced": ("220102 19900307 0024", "220102199003070024"),
    "id_plain": ("22010219850611003X", "22010219850611003X"),
    "bank_card": ("6222 0212 3456 7890 128", "6222021234567890128"),
    "email": ("wangxm1990@example.com", "wangxm1990@example.com"),
}
NAME, ADDRESS, OWN_PHONE = "王小明", "宽城区胜利大街88号", "18643219876"
FILE_PHONE = "13700001111"
SECRETS = [d for _, d in PLANTED.values()] + [NAME, ADDRESS, OWN_PHONE, FILE_PHONE]

HEADER = [
    "登记编号", "业务类型", "登记时间", "承办单位", "诉求来源", "受理时间", "办结时间", "当前环节",
    "涉及客体分类", "涉及问题分类", "被投诉方", "登记内容", "挽回经济损失", "姓名", "地址", "来电号码",
]  # fmt: skip


def _export(folder: Path) -> Path:
    """Cases in January 2024; each planted layout appears in every text column of some row."""
    rows = []
    layouts = list(PLANTED.values())
    columns = ["unit", "channel", "stage", "goods", "problem", "respondent", "content"]
    n = 0
    for col in columns:
        for planted, _ in layouts:
            n += 1
            day = 2 + n % 20
            text = {c: "" for c in columns}
            text[col] = f"联系{planted}"
            rows.append(
                [
                    f"H{n:04d}",
                    "投诉" if n % 3 else "举报",
                    f"2024-01-{day:02d} 09:00:00",
                    text["unit"] or ("站前所" if n % 2 else "新发所"),
                    text["channel"] or "电话",
                    f"2024-01-{day:02d} 10:00:00",
                    f"2024-01-{day + 1:02d} 10:00:00" if n % 4 else "",
                    text["stage"] or "已办结",
                    text["goods"] or "食品",
                    text["problem"] or "质量",
                    text["respondent"] or "某超市",
                    text["content"] or f"本人{NAME}，住{ADDRESS}，电话{OWN_PHONE}，投诉超市。",
                    "100",
                    NAME,
                    ADDRESS,
                    OWN_PHONE,
                ]
            )
    path = folder / f"导出{FILE_PHONE}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def _params(tmp_path: Path) -> Path:
    params = tmp_path / "params"
    params.mkdir()
    for name in ("deadlines.yaml", "calendar.yaml"):
        shutil.copy(DEFAULT_PARAMS_DIR / name, params / name)
    branch = yaml.safe_load((DEFAULT_PARAMS_DIR / "branch.yaml").read_text(encoding="utf-8"))
    branch["official_extra_indicators"] = [
        "按时初查率",
        "按期办结率",
        "同比环比",
        "问题分类",
        "客体分类",
        "来源渠道",
    ]
    for key in ("off_roster_stop_share",):  # the planted units are off the roster on purpose
        if key in branch:
            branch[key] = 1.0
    (params / "branch.yaml").write_text(yaml.safe_dump(branch, allow_unicode=True), encoding="utf-8")
    (params / "2024-01.yaml").write_text(
        'month: "2024-01"\ncontext: [本月平稳。]\nperformance: [按时联系。]\n'
        "typical_case:\n  title: 案例\n  body: [2024 年 1 月 5 日，分局调解一起投诉。]\n",
        encoding="utf-8",
    )
    return params


def _visible(path: Path) -> str:
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    return path.read_text(encoding="utf-8", errors="replace")


_SEPARATORS = re.compile(r"(?<=[0-9])[\s\u00a0\u3000\-_/—–.()（）]+(?=[0-9])")


def _leaks(text: str) -> list[str]:
    import html
    import unicodedata

    plain = unicodedata.normalize("NFKC", html.unescape(text))
    squashed = _SEPARATORS.sub("", plain)
    return [s for s in SECRETS if s in plain or s in squashed]


def test_no_personal_data_in_any_output(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    export = _export(data)
    params = _params(tmp_path)
    out = tmp_path / "out"
    env_cmd = [sys.executable, "-m", "kwstats.cli"]
    runs = [
        ["bulletin", "--month", "2024-01", "--data", str(export), "--params", str(params), "--out", str(out)],
        ["table", "--month", "2024-01", "--data", str(export), "--params", str(params)],
        ["check", "--month", "2024-01", "--data", str(export), "--params", str(params)],
    ]
    for args in runs:
        proc = subprocess.run(env_cmd + args, capture_output=True, text=True, timeout=180)
        assert "Traceback" not in proc.stderr, proc.stderr
        assert _leaks(proc.stdout + proc.stderr) == [], args[0]
        if args[0] == "bulletin":
            assert proc.returncode == 0, proc.stderr
    written = [p for p in out.rglob("*") if p.is_file()]
    assert {p.name for p in written} >= {
        "bulletin.html",
        "bulletin-analyst.html",
        "bulletin.ipynb",
        "table.xlsx",
    }
    for path in written:
        assert _leaks(_visible(path)) == [], path.name
    # the planted names of the file itself still lead the clerk to it, masked
    analyst = (out / "2024-01" / "bulletin-analyst.html").read_text(encoding="utf-8")
    assert "导出137****1111.csv" in analyst
