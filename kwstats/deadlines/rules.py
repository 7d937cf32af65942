"""params/deadlines.yaml: deadline rule versions with their effective dates, read and validated."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kwstats.params import DEFAULT_PARAMS_DIR, _read_yaml, _validate
from kwstats.workdays import DayUnit, RollOver

DEADLINES_FILE = "deadlines.yaml"

StartField = Literal["registered_at", "accepted_at", "verified_at"]
EndField = Literal["accepted_at", "first_contact_at", "verified_at", "closed_at"]


class DeadlineRule(BaseModel):
    """One version of a deadline rule, in force for cases registered in [effective_from, effective_to]."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)
    kind: Literal["投诉", "举报"]
    start: StartField
    end: EndField | None
    workdays: int | None = Field(None, ge=1)
    natural_days: int | None = Field(None, ge=1)
    roll_over: RollOver | None = None
    extension_workdays: int | None = Field(None, ge=1)
    basis: str = Field(min_length=1)
    effective_from: dt.date
    effective_to: dt.date | None = None
    confirmed: bool
    note: str = ""

    @model_validator(mode="after")
    def _coherent(self) -> DeadlineRule:
        if self.workdays is not None and self.natural_days is not None:
            raise ValueError(
                f"规则 {self.key} 同时填写了 workdays 和 natural_days：时限只能按工作日或按自然日之一计算"
            )
        if self.confirmed and self.limit is None:
            raise ValueError(
                f"规则 {self.key} 标为 confirmed: true，但没有填写时限："
                "workdays（工作日数）或 natural_days（自然日数）"
            )
        if self.roll_over is not None and self.natural_days is None:
            raise ValueError(f"规则 {self.key} 的 roll_over 只用于按自然日计算的时限（natural_days）")
        if self.extension_workdays is not None and self.workdays is None:
            raise ValueError(f"规则 {self.key} 的 extension_workdays 只用于按工作日计算的时限（workdays）")
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise ValueError(f"规则 {self.key} 的 effective_to 早于 effective_from")
        if self.start == self.end:
            raise ValueError(f"规则 {self.key} 的起算事件与完成事件相同（{self.start}）")
        return self

    @property
    def limit(self) -> int | None:
        """The limit in the rule's own unit (working or natural days)."""
        return self.workdays if self.workdays is not None else self.natural_days

    @property
    def day_unit(self) -> DayUnit:
        return "natural" if self.natural_days is not None else "workday"

    @property
    def rolls_over(self) -> RollOver:
        """How a natural-day period ending on a day off moves (Order 121 art. 45 by default)."""
        return self.roll_over or "legal_holiday"

    def in_force(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


class DeadlineRules(BaseModel):
    """All rule versions; keys keep the order of their first appearance in the file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: list[DeadlineRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _versions_consistent(self) -> DeadlineRules:
        for key in self.deadline_keys():
            versions = self.versions(key)
            kinds = {v.kind for v in versions}
            if len(kinds) > 1:
                raise ValueError(f"规则 {key} 的各版本适用的件不一致：{'、'.join(sorted(kinds))}")
            for a, b in zip(versions, versions[1:], strict=False):
                if a.effective_to is None or a.effective_to >= b.effective_from:
                    raise ValueError(
                        f"规则 {key} 的生效日期段重叠：{a.effective_from}～{a.effective_to or '至今'} "
                        f"与 {b.effective_from} 起"
                    )
        return self

    def deadline_keys(self) -> list[str]:
        return list(dict.fromkeys(r.key for r in self.rules))

    def versions(self, key: str) -> list[DeadlineRule]:
        """The versions of `key`, by effective_from."""
        return sorted((r for r in self.rules if r.key == key), key=lambda r: r.effective_from)

    def label(self, key: str) -> str:
        return self.versions(key)[-1].label

    def rule_for(self, key: str, day: dt.date) -> DeadlineRule | None:
        """The version of `key` in force for a case registered on `day` (None when none is)."""
        return next((r for r in self.versions(key) if r.in_force(day)), None)

    def repealed_after(self, key: str) -> dt.date | None:
        """The last day `key` applies to (its last version's effective_to), None while in force."""
        return self.versions(key)[-1].effective_to


def load_deadline_rules(params_dir: str | Path = DEFAULT_PARAMS_DIR) -> DeadlineRules:
    """Read and validate params/deadlines.yaml (ParamsError naming the file and field when wrong)."""
    path = Path(params_dir) / DEADLINES_FILE
    return _validate(DeadlineRules, _read_yaml(path), path)
