"""Load and validate the YAML params: the branch (roster, thresholds, aliases) and each month's prose.

What a bureau changes lives in params/, not in code. Files are read with yaml.safe_load and
validated with pydantic so that a typo gives a message naming the file and the field.
"""

from __future__ import annotations

import datetime as dt
import errno
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kwstats.exceptions import ParamsError
from kwstats.period import month_key
from kwstats.period import parse_month as parse_month  # re-exported: callers import it from here
from kwstats.schema import REQUIRED_FIELDS

DEFAULT_PARAMS_DIR = Path(__file__).resolve().parent.parent / "params"

RateRule = Literal["truncate", "round_half_up", "two_decimals"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def normalize_name(text: object) -> str:
    """A name for matching: NFKC (full-width letters, digits and brackets to half-width), no whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


class RosterEntry(_Strict):
    seq: int
    unit: str
    # other names the exports give this unit (its full official name…); matched ignoring whitespace
    # and full-/half-width differences, and replaced by `unit` at ingest
    aliases: list[str] = []


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
    # 当前环节 values that mean closed: used only for an export without a closure-date column
    closed_stages: list[str] = ["已办结", "已归档"]
    # share of the month's accepted cases off the roster above which a warning names them, and above
    # which the official run stops (a draft is still built)
    off_roster_warn_share: float = Field(0.1, ge=0, le=1)
    off_roster_stop_share: float = Field(0.5, ge=0, le=1)
    # which computed deadline the platform's own due date (到期时间) stands for, by kind
    due_at_rules: dict[str, str] = {"投诉": "mediation", "举报": "report_verification"}

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
        owner: dict[str, str] = {}
        for r in roster:
            for name in [r.unit, *r.aliases]:
                key = normalize_name(name)
                if not key:
                    raise ValueError(f"名册中“{r.unit}”有空的别名")
                if owner.setdefault(key, r.unit) != r.unit:
                    raise ValueError(
                        f"名称“{name}”同时属于“{owner[key]}”和“{r.unit}”，请只留在其中一个单位下"
                    )
        return roster

    @model_validator(mode="after")
    def _required_headers(self) -> Branch:
        missing = [f for f in REQUIRED_FIELDS if not self.headers.get(f)]
        if missing:
            raise ValueError(f"headers 缺少必需字段的别名：{'、'.join(missing)}")
        return self

    @property
    def units(self) -> list[str]:
        return [r.unit for r in self.roster]

    def unit_names(self) -> dict[str, str]:
        """Every name a roster unit goes by (its own and its aliases), normalised -> the roster name."""
        return {normalize_name(n): r.unit for r in self.roster for n in (r.unit, *r.aliases)}


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
    """'2022-2' -> '2022-02' (what file and folder names use): :func:`kwstats.period.month_key`."""
    return month_key(month)


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when PyYAML was built with it


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParamsError(f"找不到参数文件：{path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParamsError(_unreadable_message(path, exc)) from None
    try:
        return yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        raise ParamsError(_syntax_message(path, text, exc)) from None
    except (ValueError, TypeError, OverflowError):  # a date YAML recognises that does not exist: 2027-06-31
        raise ParamsError(_bad_value_message(path, text)) from None


def _unreadable_message(path: Path, exc: OSError | UnicodeDecodeError) -> str:
    """Why a params file cannot be read, in Chinese (no system English)."""
    if isinstance(exc, UnicodeDecodeError):
        return f"参数文件 {path} 不是 UTF-8 编码的文字：请用记事本“另存为”，编码选 UTF-8，再运行。"
    if isinstance(exc, NotADirectoryError) or exc.errno == errno.ENOTDIR:
        blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), path.parent)
        return (
            f"找不到参数文件 {path}：{blocker} 是一个文件，不是文件夹。--params 应指定参数文件所在的文件夹"
            f"（例如 params/），不是其中的某个文件。"
        )
    if isinstance(exc, IsADirectoryError):
        return f"参数文件 {path} 是一个文件夹，不是文件：请检查参数目录里的文件。"
    if isinstance(exc, PermissionError):
        return f"没有权限读取参数文件 {path}：请确认文件的读取权限，或请管理员开放权限。"
    return (
        f"参数文件 {path} 无法读取（系统错误 {errno.errorcode.get(exc.errno or 0, '未知')}）：请检查后重试。"
    )


_DATE_LIKE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def _scalars(node: Any) -> Iterator[yaml.ScalarNode]:
    """Every scalar of a composed YAML document, in the file's order."""
    if isinstance(node, yaml.ScalarNode):
        yield node
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _scalars(item)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from _scalars(key)
            yield from _scalars(value)


def _bad_value_message(path: Path, text: str) -> str:
    """A value YAML reads as a date but no calendar has (2027-06-31, 2027-02-29): its line and what to type."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError:
        root = None
    for node in _scalars(root):
        m = _DATE_LIKE.match(node.value)
        if node.tag.endswith(":timestamp") and m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                dt.date(y, mo, d)
            except ValueError:
                return (
                    f"参数文件 {path} 第 {node.start_mark.line + 1} 行：日期 {node.value} 不存在"
                    f"（{y} 年 {mo} 月没有 {d} 日），请写成真实的日期，例如 {y}-{mo:02d}-01。"
                )
    return f"参数文件 {path} 中有无法识别的值：请检查日期（如 2022-01-31）和数字的写法。"


def _line_of_values(root: Any, values: list[str]) -> int | None:
    """1-based line of the first scalar written as one of `values` (the first value found first)."""
    scalars = list(_scalars(root))
    for value in values:
        for node in scalars:
            if node.value == value:
                return node.start_mark.line + 1
    return None


def _syntax_message(path: Path, text: str, exc: yaml.YAMLError) -> str:
    """A clerk's account of a YAML syntax error: the line where the mistake starts and what to type."""
    mark = getattr(exc, "problem_mark", None)
    problem = str(getattr(exc, "problem", "") or exc)
    lines = text.splitlines()
    head = f"参数文件 {path}"
    quote = None
    context_mark = getattr(exc, "context_mark", None)
    if getattr(exc, "context", "") == "while scanning a quoted scalar" and context_mark is not None:
        line = lines[context_mark.line] if context_mark.line < len(lines) else ""
        quote = (context_mark.line + 1, line[context_mark.column : context_mark.column + 1] or '"')
    elif mark is not None:
        quote = _open_quote(lines, mark.line)
    if quote is not None:
        number, q = quote
        return (
            f"{head} 第 {number} 行不是有效的 YAML：这一行以引号 {q} 开头的文字没有结尾的 {q}，"
            f"后面的内容都被当成了这段文字。请在这段文字末尾补上 {q}，或去掉开头的 {q}"
            f"（文字里要用引号时，请用中文引号“”）。"
        )
    if mark is None:
        return f"{head} 不是有效的 YAML：请检查冒号、引号和缩进。（{problem}）"
    where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列"
    if "mapping values are not allowed" in problem:
        return (
            f"{head} {where}不是有效的 YAML：这一行的文字里有半角冒号加空格“: ”，YAML 把它当成了"
            f"“名称: 值”的分隔。请改用全角冒号“：”，或把冒号后面的整段文字用引号括起来，"
            f'例如 title: "标题: 副标题"。'
        )
    line = lines[mark.line] if mark.line < len(lines) else ""
    if "\t" in line[: len(line) - len(line.lstrip())] or "'\\t'" in problem:
        return f"{head} {where}不是有效的 YAML：这一行用了 Tab 缩进，YAML 只认空格，请把 Tab 换成空格。"
    return (
        f"{head} {where}附近不是有效的 YAML：请检查冒号是否为英文半角“:”且后面有空格、"
        f"缩进是否用空格而不是 Tab。（{problem}）"
    )


# a line whose value starts with a quote: `key: "…`, `- "…`, `- key: '…`
_QUOTE_START = re.compile(r"""^\s*(?:-\s+)*(?:[^\s'"#-][^#]*?:\s+)?(['"])""")


def _closing_quote(line: str, start: int, quote: str) -> int | None:
    """Index of the quote that closes a scalar opened with `quote`, searching from `start`."""
    i = start
    while i < len(line):
        ch = line[i]
        if quote == '"' and ch == "\\":
            i += 2
            continue
        if ch == quote:
            if quote == "'" and line[i + 1 : i + 2] == "'":  # '' is a quote inside '…'
                i += 2
                continue
            return i
        i += 1
    return None


def _open_quote(lines: list[str], error_line: int) -> tuple[int, str] | None:
    """(1-based line, quote) of a quoted text left open on an earlier line and still running at
    `error_line` (0-based): PyYAML reports such a mistake where the text finally ends, not where it starts."""
    open_at: tuple[int, str] | None = None
    for i, line in enumerate(lines[: error_line + 1]):
        if open_at is None:
            m = _QUOTE_START.match(line)
            if m and _closing_quote(line, m.end(), m.group(1)) is None:
                open_at = (i, m.group(1))
        elif _closing_quote(line, 0, open_at[1]) is not None:
            if i == error_line:
                break
            open_at = None
    if open_at is None or open_at[0] >= error_line:
        return None
    return open_at[0] + 1, open_at[1]


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
        if isinstance(key, str) and node is not None and not isinstance(node, dict | list):
            continue  # pydantic's name of a union member (cutoff → date), not a place in the file
        if isinstance(key, int) and isinstance(node, list):
            name = ""
            if 0 <= key < len(node) and isinstance(node[key], dict):
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
    value = err.get("input")
    if err["type"] == "string_type" and isinstance(value, dict) and len(value) == 1:
        # `- 说明: 内容`: a half-width colon and a space turned the prose into a `name: value` pair
        key, rest = next(iter(value.items()))
        said = f"{key}: {'' if rest is None else rest}".strip()
        said = said if len(said) <= 30 else said[:30] + "…"
        return (
            f"应为文字，但“{said}”里的半角冒号加空格“: ”让 YAML 把它读成了“名称: 值”。"
            f"请改用全角冒号“：”，或把整行文字用引号括起来"
        )
    return _ERROR_TEXT.get(err["type"], err["msg"])


def _line_of(root: Any, loc: tuple) -> int | None:
    """1-based line of the YAML node at `loc` (or of the nearest enclosing node that exists)."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next(
                (v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(key)), None
            )
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(node.value):
            child = node.value[key]
        if child is not None:
            node, line = child, child.start_mark.line + 1
    return line


def _validate(model: type[BaseModel], data: Any, path: Path) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        try:
            root = yaml.compose(path.read_text(encoding="utf-8"), Loader=_LOADER)
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            root = None
        problems: list[str] = []
        places: set[str] = set()
        for err in exc.errors():
            where = _where(err["loc"], data)
            if where in places:  # one message per place (a union gives one per member)
                continue
            places.add(where)
            top_level_missing = err["type"] == "missing" and len(err["loc"]) == 1
            line = None if top_level_missing else _line_of(root, err["loc"])
            message = _message(err)
            if where == "（整个文件）":  # a check of the whole file: the line of the first date it names
                found = _line_of_values(root, re.findall(r"\d{4}-\d{2}-\d{2}", message))
                if found is not None:
                    problems.append(f"第 {found} 行：{message}")
                    continue
            problems.append(f"{f'第 {line} 行 ' if line else ''}{where}：{message}")
        raise ParamsError(f"参数文件 {path} 有误：{'；'.join(problems)}") from None


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
