"""What an ingest returns: the canonical cases, the rows set aside with their reasons, and a report
per file read (per worksheet for Excel)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # a type only: kwstats.aggregates is above ingest
    from kwstats.aggregates import Aggregates

# Rejection reasons (stable texts: the notebook and the checks group by them).
REASON_TOTAL = "合计行"
REASON_REPEATED_HEADER = "重复的表头行"
REASON_MISSING_ID = "编号为空"
REASON_MISSING_KIND = "业务类型为空"
REASON_UNKNOWN_KIND = "业务类型无法识别（应为 {kinds}）"
REASON_MISSING_REGISTERED = "登记时间为空"
REASON_BAD_DATE = "日期无法识别"
REASON_DATE_OUT_OF_RANGE = "日期不合理（年份应在 1990—2099 之间）"
REASON_BAD_AMOUNT = "金额无法识别"
REASON_NEGATIVE_AMOUNT = "金额为负数"
REASON_AMOUNT_TOO_LARGE = "金额不合理（超过 100 亿元）"
REASON_FUTURE_DATE = "日期晚于文件的导出时间 {at}"
REASON_FUTURE_DATE_NOW = "日期在未来（晚于读取时的当前时间 {at}）"
REASON_BAD_FLAG = "是/否值无法识别（应为 是、否、Y、N、1、0、√）"
REASON_BAD_URGES = "催办次数不是非负整数"
REASON_TOO_MANY_URGES = "催办次数不合理（超过 1000 次）"
REASON_CLOSED_BEFORE_REGISTERED = "办结时间早于登记时间"
REASON_DUPLICATE = "重复行，与 {file} 第 {line} 行相同"
REASON_CONFLICT = "编号重复但内容不同（{columns}），已保留 {file} 第 {line} 行"


@dataclass
class FileReport:
    """What was read from one export file."""

    path: str
    format: str  # by content: "xlsx" / "xls" / "csv" / "html-xls" (an HTML table named .xls or .xlsx)
    encoding: str | None  # csv and html-xls: "utf-8", "utf-8-sig" (with BOM), "gb18030" (or "utf-16")
    header_line: int  # 1-based line of the header row
    rows_read: int  # non-blank rows below the header (total rows included)
    rows_used: int
    rows_set_aside: int
    total_rows: int  # 合计/总计/小计 rows (also counted in rows_set_aside)
    blank_rows: int  # fully blank rows, skipped and not in rows_read
    columns: dict[str, str]  # field -> header found
    unmapped_headers: list[str] = field(default_factory=list)  # ignored columns (no alias matched)
    personal_headers: list[str] = field(default_factory=list)  # personal columns dropped unread
    sheet: str | None = None  # Excel: the worksheet read (one FileReport per worksheet read)
    # as in `source_file`: "file.xlsx", or "file.xlsx[sheet]" in a workbook of several sheets; files of
    # the same name read together are told apart by their folders ("2022-01/file.xlsx")
    source: str = ""
    # 导出时间 as a title or note row above the header states it ("2022-02-01 09:12:33", or a bare
    # "2022-02-01": some time that day); event dates after it are set aside. Text, so the report
    # stays plain data.
    exported_at: str | None = None

    def __post_init__(self) -> None:
        if not self.source:
            self.source = Path(self.path).name


@dataclass
class IngestResult:
    """The canonical cases, the rows set aside, and a report per file (per worksheet read for Excel)."""

    cases: pd.DataFrame
    rejected: pd.DataFrame
    files: list[FileReport]
    warnings: list[str] = field(default_factory=list)
    # A month's scoped read (kwstats.store.load_month_scope): `cases` holds only the rows the month's
    # pages need, and these count everything before the month; None: `cases` is every case read.
    aggregates: Aggregates | None = None

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_used(self) -> int:
        return sum(f.rows_used for f in self.files)

    @property
    def rows_set_aside(self) -> int:
        return sum(f.rows_set_aside for f in self.files)

    def summary(self) -> str:
        """One Chinese sentence for clerks: files, rows read, used, set aside and why."""
        n_files = len({f.path for f in self.files})
        sheets = f"（{len(self.files)} 个工作表）" if len(self.files) > n_files else ""
        text = (
            f"读取 {n_files} 个文件{sheets}共 {self.rows_read} 行：采用 {self.rows_used} 行，"
            f"搁置 {self.rows_set_aside} 行"
        )
        if self.rows_set_aside:
            heads = self.rejected["reason"].str.extract(r"^([^，（]+)", expand=False)
            counts = sorted(heads.value_counts(sort=False).items(), key=lambda kv: -kv[1])
            text += "（" + "，".join(f"{k} {v}" for k, v in counts) + "）"
        return text + "。"
