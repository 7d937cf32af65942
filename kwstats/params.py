"""Load and validate the YAML params: the branch (roster, thresholds, aliases) and each month's prose.

What a bureau changes lives in params/, not in code. Files are read with yaml.safe_load and
validated with pydantic so that a typo gives a message naming the file and the field.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kwstats.exceptions import ParamsError

DEFAULT_PARAMS_DIR = Path(__file__).resolve().parent.parent / "params"

RateRule = Literal["truncate", "round_half_up", "two_decimals"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RosterEntry(_Strict):
    seq: int
    unit: str


class CumulativeWindow(_Strict):
    key: str
    label: str
    flag: Literal["epidemic", "filed", "complaint_to_case"]
    start: dt.date


class Branch(_Strict):
    """The branch: who publishes, which units are ranked, and how rates are printed."""

    name: str
    short_name: str
    section: str
    center: str = "12315 投诉举报中心"
    roster: list[RosterEntry]
    closure_rate_threshold: float = Field(80, ge=0, le=100)
    rate_rule: RateRule = "truncate"
    cumulative_windows: list[CumulativeWindow] = []
    headers: dict[str, list[str]]
    personal_headers: list[str] = []
    kinds: dict[str, str] = {"complaint": "投诉", "report": "举报", "consultation": "咨询"}
    # 工作动态解读's standing introduction; a month's params may replace it
    introduction: list[str] = []
    official_extra_indicators: list[
        Literal["按时初查率", "按期办结率", "同比环比", "问题分类", "客体分类", "来源渠道"]
    ] = []

    @field_validator("roster")
    @classmethod
    def _roster_unique(cls, roster: list[RosterEntry]) -> list[RosterEntry]:
        names = [r.unit for r in roster]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"名册中单位重复：{'、'.join(dupes)}")
        seqs = [r.seq for r in roster]
        dup_seqs = sorted({q for q in seqs if seqs.count(q) > 1})
        if dup_seqs:
            raise ValueError(f"名册中序号重复：{'、'.join(str(q) for q in dup_seqs)}")
        return roster

    @model_validator(mode="after")
    def _required_headers(self) -> Branch:
        from kwstats.schema import REQUIRED_FIELDS

        missing = [f for f in REQUIRED_FIELDS if not self.headers.get(f)]
        if missing:
            raise ValueError(f"headers 缺少必需字段的别名：{'、'.join(missing)}")
        return self

    @property
    def units(self) -> list[str]:
        return [r.unit for r in self.roster]


def _paragraphs(value: Any) -> Any:
    """A single paragraph may be written as plain text instead of a one-item list."""
    return [value] if isinstance(value, str) else value


class TypicalCase(_Strict):
    title: str
    body: list[str]

    _one_paragraph = field_validator("body", mode="before")(_paragraphs)


class Month(_Strict):
    """One month's prose: what the section writes by hand around the computed sentences."""

    month: str  # "YYYY-MM"
    introduction: list[str] = []
    context: list[str] = []
    performance: list[str] = []
    typical_case: TypicalCase | None = None
    # override of the default cutoff (end of month); a bare date means the end of that day
    cutoff: dt.datetime | dt.date | None = None

    _one_paragraph = field_validator("introduction", "context", "performance", mode="before")(_paragraphs)

    @field_validator("month", mode="before")
    @classmethod
    def _month_format(cls, v: Any) -> str:
        return normalize_month(str(v))


def normalize_month(month: str) -> str:
    """'2022-2' -> '2022-02' (what file and folder names use); raises ParamsError like parse_month."""
    year, mon = parse_month(month)
    return f"{year}-{mon:02d}"


def parse_month(month: str) -> tuple[int, int]:
    """'2022-01' -> (2022, 1); raises ParamsError with a clerk-readable message."""
    try:
        year_s, month_s = str(month).strip().split("-")
        year, mon = int(year_s), int(month_s)
        if not 1 <= mon <= 12 or len(year_s) != 4 or not 1 <= len(month_s) <= 2:
            raise ValueError
    except ValueError:
        raise ParamsError(f"月份“{month}”格式不对，应写成 YYYY-MM，例如 2022-01。") from None
    return year, mon


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamsError(f"找不到参数文件：{path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParamsError(f"参数文件无法读取：{path}（{exc}）") from None
    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # C parser when built
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列附近" if mark is not None else ""
        raise ParamsError(
            f"参数文件 {path} {where}不是有效的 YAML：请检查冒号是否为英文半角“:”且后面有空格、缩进是否用空格而不是 Tab。"
            f"（{getattr(exc, 'problem', '') or exc}）"
        ) from None


_ERROR_TEXT = {
    "missing": "缺少这一项",
    "extra_forbidden": "不认识这一项（拼写错了？）",
    "float_parsing": "应为数字，例如 80",
    "float_type": "应为数字，例如 80",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "string_type": "应为文字",
    "list_type": "应为列表（每项一行，行首写“- ”）",
    "dict_type": "应为“名称: 值”的形式",
    "date_from_datetime_parsing": "日期格式不对，应写成 2022-01-31",
    "date_parsing": "日期格式不对，应写成 2022-01-31",
    "datetime_parsing": "日期时间格式不对，应写成 2022-01-31 或 2022-01-31 18:00",
    "datetime_from_date_parsing": "日期时间格式不对，应写成 2022-01-31 或 2022-01-31 18:00",
    "less_than_equal": "数值太大",
    "greater_than_equal": "数值太小",
}


def _where(loc: tuple, data: Any) -> str:
    """A clerk's path to the field: 1-based list positions, and the unit's name for roster entries."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int):
            name = ""
            if isinstance(node, list) and 0 <= key < len(node) and isinstance(node[key], dict):
                name = node[key].get("unit") or node[key].get("title") or ""
            parts.append(f"第 {key + 1} 项" + (f"（{name}）" if name else ""))
        else:
            parts.append(str(key))
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            node = None
    return " → ".join(parts) or "（整个文件）"


def _message(err: dict) -> str:
    if err["type"] == "literal_error":
        return f"只能取：{err.get('ctx', {}).get('expected', '')}"
    if err["type"] == "value_error":
        return str(err.get("ctx", {}).get("error", err["msg"]))
    return _ERROR_TEXT.get(err["type"], err["msg"])


def _validate(model: type[BaseModel], data: Any, path: Path) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "；".join(f"{_where(err['loc'], data)}：{_message(err)}" for err in exc.errors())
        raise ParamsError(f"参数文件 {path} 有误：{problems}") from None


def load_branch(params_dir: str | Path = DEFAULT_PARAMS_DIR) -> Branch:
    path = Path(params_dir) / "branch.yaml"
    return _validate(Branch, _read_yaml(path), path)


def load_month(month: str, params_dir: str | Path = DEFAULT_PARAMS_DIR, *, required: bool = False) -> Month:
    """The month's prose from params/<month>.yaml; an empty Month when absent unless `required`."""
    month = normalize_month(month)
    path = Path(params_dir) / f"{month}.yaml"
    if not path.exists():
        if required:
            raise ParamsError(
                f"找不到本月参数文件：{path}。请复制上个月的文件，改名为 {month}.yaml，"
                f'把其中的 month: 改成 "{month}"，再改写本月的文字和典型案例。'
            )
        return Month(month=month)
    data = _read_yaml(path) or {}
    if isinstance(data, dict):
        data.setdefault("month", month)
    month_params = _validate(Month, data, path)
    if month_params.month != month:
        raise ParamsError(f"参数文件 {path} 写的月份是 {month_params.month}，与文件名 {month} 不一致。")
    return month_params
