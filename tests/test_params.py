"""Params YAML errors a clerk can act on: the file, the line where the mistake starts, what to type instead.

Each YAML text below is small and its line numbers are counted by hand (line 1 is `month: …`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from kwstats.exceptions import ParamsError
from kwstats.params import DEFAULT_PARAMS_DIR, _read_yaml, _validate, load_month


def _month_error(tmp_path: Path, text: str) -> str:
    (tmp_path / "2022-02.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ParamsError) as err:
        load_month("2022-02", tmp_path)
    message = str(err.value)
    assert str(tmp_path / "2022-02.yaml") in message
    assert "Traceback" not in message
    return message


def test_half_width_colon_in_a_list_item(tmp_path: Path) -> None:
    text = (
        'month: "2022-02"\n'  # 1
        "context:\n"  # 2
        "  - 第一段。\n"  # 3
        "  - 说明: 本月受理量上升。\n"  # 4: read as {说明: 本月受理量上升。}
    )
    message = _month_error(tmp_path, text)
    assert "第 4 行 context → 第 2 项" in message
    assert "“说明: 本月受理量上升。”" in message
    assert "全角冒号“：”" in message and "引号" in message


def test_half_width_colon_in_a_title(tmp_path: Path) -> None:
    text = (
        'month: "2022-02"\n'  # 1
        "typical_case:\n"  # 2
        "  title: 预付卡纠纷: 商家闭店\n"  # 3: the second “: ” is at column 3 + len("title: 预付卡纠纷") = 15
        "  body: 正文。\n"  # 4
    )
    message = _month_error(tmp_path, text)
    assert "第 3 行第 15 列" in message
    assert "全角冒号“：”" in message and 'title: "标题: 副标题"' in message
    assert "mapping values" not in message


def test_unclosed_quote_at_the_end_of_the_file(tmp_path: Path) -> None:
    text = (
        'month: "2022-02"\n'  # 1
        "typical_case:\n"  # 2
        '  title: "预付卡纠纷\n'  # 3: the quote opens here and never closes
        "  body:\n"  # 4
        "    - 第一段。\n"  # 5
        "    - 第二段。\n"  # 6: PyYAML reports the end of the file, line 7
    )
    message = _month_error(tmp_path, text)
    assert "第 3 行" in message and "第 7 行" not in message
    assert '补上 "' in message


def test_unclosed_quote_closed_by_a_later_quote(tmp_path: Path) -> None:
    text = (
        'month: "2022-02"\n'  # 1
        "context:\n"  # 2
        '  - "第一段。\n'  # 3: opens
        "  - 第二段。\n"  # 4
        "performance:\n"  # 5
        '  - "第三段。"\n'  # 6: its first quote closes line 3's; PyYAML complains here
    )
    message = _month_error(tmp_path, text)
    assert "第 3 行" in message and "第 6 行" not in message


def test_unclosed_single_quote(tmp_path: Path) -> None:
    text = (
        'month: "2022-02"\n'  # 1
        "context:\n"  # 2
        "  - '他说''好''\n"  # 3: '' is an escaped quote, so this one is left open
        "  - 第二段。\n"  # 4
    )
    message = _month_error(tmp_path, text)
    assert "第 3 行" in message and "补上 '" in message


def test_a_closed_multi_line_quote_is_not_blamed(tmp_path: Path) -> None:
    text = (
        'month: "2022-02"\n'  # 1
        "context:\n"  # 2
        '  - "第一段，\n'  # 3: a quoted text over two lines is valid YAML
        '    接着写。"\n'  # 4
        "performance:\n"  # 5
        "\t- 第二段。\n"  # 6: a tab
    )
    message = _month_error(tmp_path, text)
    assert "第 6 行第 1 列" in message and "这一行用了 Tab 缩进" in message
    assert "第 3 行" not in message


def test_field_errors_name_their_line_once(tmp_path: Path) -> None:
    text = (
        'month: "2022-02"\n'  # 1
        "typical_case:\n"  # 2
        "  title: 标题\n"  # 3
        "  body: 正文。\n"  # 4
        "  note: 多写的一项\n"  # 5
        "cutoff: 二月底\n"  # 6
    )
    message = _month_error(tmp_path, text)
    assert "第 5 行 typical_case → note：不认识这一项" in message
    # cutoff may be a date or a date-time: one message, not one per kind, and no pydantic type names
    assert message.count("cutoff") == 1 and "第 6 行 cutoff：" in message
    assert "datetime" not in message


def test_mapping_keys_that_are_numbers_are_not_list_positions(tmp_path: Path) -> None:
    class Year(BaseModel):
        model_config = ConfigDict(extra="forbid")
        holidays: list[str]

    class Calendar(BaseModel):
        years: dict[int, Year]

    path = tmp_path / "calendar.yaml"
    path.write_text("years:\n  2027:\n    holiday: [2027-01-01]\n", encoding="utf-8")
    with pytest.raises(ParamsError) as err:
        _validate(Calendar, _read_yaml(path), path)
    message = str(err.value)
    assert "第 3 行 years → 2027 → holiday：不认识这一项" in message
    assert "第 2028 项" not in message


def test_valid_params_still_load() -> None:
    month = load_month("2022-01", DEFAULT_PARAMS_DIR)
    assert month.typical_case is not None and month.typical_case.title == "家具定制质量差 返工维修没商量"
