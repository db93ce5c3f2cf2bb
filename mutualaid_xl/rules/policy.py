"""Policy files: one TOML file per scheme period, validated on load.

Built-in files live in ``mutualaid_xl/policies/``; extra directories are named in the
environment variable ``MUTUALAID_POLICY_PATH`` (separated by os.pathsep) and are searched
first, so a union can add a scheme or correct a built-in one without touching code.
Every rule block carries ``source`` (文号 and article). The schema is documented in
``mutualaid_xl/policies/README.md`` with a commented example.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..errors import NotConfiguredError, PolicyError, os_reason

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "policies"
DEFAULT_POLICY_ID = "nm-2021"
CATEGORIES = ("在职", "退休", "续互", "新参互")
CATEGORY_ALIASES = {
    "在职": "在职", "在职职工": "在职", "in-service": "在职", "inservice": "在职", "active": "在职",
    "employed": "在职", "employee": "在职", "working": "在职",
    "退休": "退休", "退休职工": "退休", "参互退休职工": "退休", "retired": "退休", "retiree": "退休",
    "续互": "续互", "续参": "续互", "续保": "续互", "renewal": "续互", "renew": "续互", "renewing": "续互",
    "新参互": "新参互", "新参": "新参互", "新参加": "新参互", "新增": "新参互", "new": "新参互",
}

Money = Decimal
# A value that may differ by category: a number, or a table {在职 = 100, 退休 = 400}.
ByCategory = Union[Decimal, dict[str, Decimal]]


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    source: str = Field(min_length=2, description="文号和条款，如 内工发〔2021〕5号 附件1 第十条")


def _check_categories(value):
    if isinstance(value, dict):
        unknown = [key for key in value if key not in CATEGORIES]
        if unknown:
            raise ValueError(f"未知的人员类别 {unknown}，可用：{'、'.join(CATEGORIES)}")
    return value


def _non_negative(value):
    numbers = value.values() if isinstance(value, dict) else [value]
    if any(number is not None and number < 0 for number in numbers):
        raise ValueError("不能为负数")
    return value


def by_category(value: ByCategory | None, category: str | None, what: str, policy_id: str):
    """Resolve a possibly category-dependent value for ``category``."""
    if not isinstance(value, dict):
        return value
    if category is None:
        raise NotConfiguredError(f"方案 {policy_id} 的{what}按人员类别区分，请给出类别（{'/'.join(value)}）")
    if category not in value:
        raise NotConfiguredError(f"方案 {policy_id} 未配置类别“{category}”的{what}")
    return value[category]


class Fees(_Block):
    amounts: dict[str, Money] = Field(description="每人每期交费标准，按类别")
    per_share: Money | None = None

    _cats = field_validator("amounts")(_check_categories)
    _nonneg = field_validator("amounts")(_non_negative)


class Shares(_Block):
    fee_per_share: Money
    min: int = Field(1, ge=1)
    max: int = Field(1, ge=1)


class AgeRange(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    min: int | None = Field(None, ge=0, le=150)
    max: int | None = Field(None, ge=0, le=150)


class Eligibility(_Block):
    age: dict[str, AgeRange] = Field(description="按类别的年龄范围（周岁，含两端）")
    note: str | None = None
    retiree_years: list[int] = Field(default_factory=list, description="退休人员须连续参互的年度（如 2019、2020）")

    _cats = field_validator("age")(_check_categories)


class Participation(_Block):
    min_ratio: Decimal = Field(ge=0, le=1, description="单位在职职工参互比例下限（含）")
    small_unit_max_staff: int | None = Field(None, ge=1)
    small_unit_min_ratio: Decimal | None = Field(None, ge=0, le=1)
    renewal_target: Decimal | None = Field(None, ge=0, le=1)


class Dates(_Block):
    enrolment_start: dt.date | None = None
    enrolment_end: dt.date | None = None
    coverage_start: dt.date | None = None
    coverage_end: dt.date | None = None
    coverage_months: int | None = Field(None, ge=1, description="从办结次日起的保障月数")
    rule_period_by: Literal["admission", "discharge"] | None = None
    claim_deadline_days: int | None = Field(None, ge=1, description="医保结算后多少天内申请")
    monthly_from: dt.date | None = Field(None, description="自此日起只在每月前若干个工作日办理参互")
    monthly_workdays: int | None = Field(None, ge=1, le=31)
    rule_sources: dict[str, str] = Field(default_factory=dict, description="单条规则的原文，键为本块的键名")
    milestones: dict[str, dt.date] = Field(default_factory=dict)


class Deductible(_Block):
    first_stay: ByCategory
    later_stay: ByCategory | None = None

    _cats = field_validator("first_stay", "later_stay")(_check_categories)
    _nonneg = field_validator("first_stay", "later_stay")(_non_negative)


class Gate(_Block):
    threshold: ByCategory = Field(description="基数不超过此数（含）不予补助")

    _cats = field_validator("threshold")(_check_categories)


class Band(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    upto: Money | None = Field(None, gt=0, description="本段上限（含）；最后一段可省略表示不封顶")
    rate: Decimal = Field(ge=0, le=1)


class Bands(_Block):
    brackets: list[Band] = Field(min_length=1)

    @field_validator("brackets")
    @classmethod
    def _increasing(cls, brackets: list[Band]):
        limits = [b.upto for b in brackets]
        if any(limit is None for limit in limits[:-1]):
            raise ValueError("只有最后一段可以省略 upto")
        bounded = [limit for limit in limits if limit is not None]
        if bounded != sorted(bounded) or len(set(bounded)) != len(bounded):
            raise ValueError("各段上限 upto 必须严格递增")
        return brackets


class YearRate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    from_years: int = Field(ge=1)
    rate: Money = Field(ge=0)


class DayBucket(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    upto_days: int | None = Field(None, ge=1)
    paid_days: int = Field(ge=0)


class Allowance(_Block):
    rate: ByCategory | None = Field(None, description="每天补贴金额")
    rate_by_years: list[YearRate] | None = Field(None, description="按连续参互年数的日补贴")
    waiting_days: int = Field(0, ge=0, description="前若干天不补，如北京“第4天起”为 3")
    max_days: int | None = Field(None, ge=1)
    buckets: list[DayBucket] | None = Field(None, description="按住院天数分档的补贴天数")
    first_stay_only: bool = False
    per_share: bool = False

    _cats = field_validator("rate")(_check_categories)

    @model_validator(mode="after")
    def _one_rate(self):
        if (self.rate is None) == (self.rate_by_years is None):
            raise ValueError("rate 与 rate_by_years 必须且只能填一个")
        if self.rate_by_years is not None:
            years = [r.from_years for r in self.rate_by_years]
            if years[0] != 1 or years != sorted(set(years)):
                raise ValueError("rate_by_years 须从 from_years = 1 开始且严格递增")
        if self.buckets is not None and self.buckets[-1].upto_days is not None:
            raise ValueError("buckets 的最后一档须省略 upto_days（覆盖更长的住院）")
        return self


class Cap(_Block):
    per_period: ByCategory | None = Field(None, description="每人每个保障期补助金上限")
    per_stay: ByCategory | None = None
    includes_allowance: bool = Field(False, description="住院补贴是否计入封顶")

    _cats = field_validator("per_period", "per_stay")(_check_categories)
    _nonneg = field_validator("per_period", "per_stay")(_non_negative)


class Minimum(_Block):
    amount: ByCategory

    _cats = field_validator("amount")(_check_categories)


class Subsidy(_Block):
    base: Literal["self_pay", "total_cost", "none"] = Field(
        description="计算基数：自付费用、总费用，或 none（只有住院补贴）"
    )
    rounding_unit: Decimal = Field(Decimal("0.01"), gt=0)
    prorate: bool = Field(False, description="跨保障期住院按期内天数比例核算（只在原文这样规定时写 true）")
    bands: Bands | None = None
    deductible: Deductible | None = None
    gate: Gate | None = None
    allowance: Allowance | None = None
    cap: Cap | None = None
    minimum: Minimum | None = None
    interpretations: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _needs_rate(self):
        if self.base == "none" and self.bands is not None:
            raise ValueError("base = \"none\" 时不能有 bands")
        return self


class UnitTarget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    unit: str = Field(min_length=1)
    target: int = Field(ge=0)


class Targets(_Block):
    year: int
    units: list[UnitTarget] = Field(min_length=1)


class Checks(_Block):
    """Rules the data may not decide: each text (with its article) is shown to the clerk as 待人工核对."""
    maternity: str | None = Field(None, description="生育住院（诊断含生育、妊娠、分娩等）")
    chronic: str | None = Field(None, description="门诊特殊慢性病：按月结算，无住院补贴")
    left_insurance: str | None = Field(None, description="退出城镇职工基本医疗保险")
    retiree: str | None = Field(None, description="退休人员连续参互")
    required_insurance: list[Literal["城镇职工医保", "大病补充医保"]] = Field(
        default_factory=list, description="须参加的医保（名册中为“否”的报错）")


class Exclusions(_Block):
    items: list[str] = Field(min_length=1, description="除外责任")


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    schema_version: Literal[1]
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    region: str
    period: str
    kind: Literal["production", "reference", "draft"]  # draft: a proposal for 方案测算
    documents: list[str] = Field(min_length=1, description="依据文件（文号 + 标题）")
    notes: list[str] = Field(default_factory=list)
    fees: Fees | None = None
    shares: Shares | None = None
    eligibility: Eligibility | None = None
    participation: Participation | None = None
    dates: Dates | None = None
    subsidy: Subsidy | None = None
    targets: Targets | None = None
    exclusions: Exclusions | None = None
    checks: Checks | None = None

    path: Path | None = Field(None, exclude=True)

    @property
    def title(self) -> str:
        return f"{self.id}（{self.name}）"

    def require(self, block: str, what: str):
        value = getattr(self, block)
        if value is None:
            raise NotConfiguredError(
                f"本期未配置{what}（方案 {self.id}：{self.name}）；请在方案文件中补充 [{block}]"
            )
        return value


def normalize_category(value: str) -> list[str]:
    """'在职/续互', 'retired', '新参互' -> canonical categories; raises on unknown words."""
    import re

    from ..errors import InputError
    from .values import normalize_text

    words = [w for w in re.split(r"[/,，、;；\s|+]+", normalize_text(str(value))) if w]
    if not words:
        raise InputError("类别为空", argument="category")
    found = []
    for word in words:
        canonical = CATEGORY_ALIASES.get(word.lower()) or CATEGORY_ALIASES.get(word)
        if canonical is None:
            raise InputError(
                f"未知的类别“{word}”，可用：在职、退休、续互、新参互（或 in-service、retired、renewal、new）",
                argument="category",
            )
        found.append(canonical)
    return found


# ---------------------------------------------------------------- loading

_ERROR_WORDS = {
    "missing": "缺少必填项",
    "extra_forbidden": "不认识的键（拼写错误？）",
    "decimal_parsing": "应为数字",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "date_from_datetime_parsing": "应为日期，如 2021-05-01",
    "date_parsing": "应为日期，如 2021-05-01",
    "date_type": "应为日期，如 2021-05-01",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "string_type": "应为文字（加引号）",
    "string_too_short": "不能为空",
    "literal_error": "取值不在允许范围内",
    "greater_than": "必须大于",
    "greater_than_equal": "必须不小于",
    "less_than_equal": "必须不大于",
    "too_short": "至少要有一项",
    "list_type": "应为列表 [...]",
    "dict_type": "应为表 {...}",
    "model_type": "应为表 {...}",
    "string_pattern_mismatch": "格式不对（只能用小写字母、数字和连字符）",
}


def _describe(error: dict) -> str:
    key = ".".join(str(part) for part in error["loc"] if not str(part).startswith("function-after"))
    word = _ERROR_WORDS.get(error["type"], "")
    detail = error.get("msg", "")
    if error["type"] == "value_error":
        detail = detail.removeprefix("Value error, ")
        word = ""
    ctx = error.get("ctx") or {}
    limit = next((str(v) for k, v in ctx.items() if k in ("gt", "ge", "le", "lt", "expected")), "")
    message = word + (f" {limit}" if limit and word else "") if word else detail
    return f"键 {key or '(顶层)'}：{message}（输入：{error.get('input')!r}）" if "input" in error else f"键 {key}：{message}"


def load_policy_file(path: Path) -> Policy:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    except OSError as error:
        raise PolicyError(f"无法读取方案文件：{os_reason(error)}", file=str(path)) from None
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"TOML 语法错误：{error}", file=str(path)) from None
    try:
        policy = Policy.model_validate(data)
    except ValidationError as error:
        problems = "；".join(_describe(e) for e in error.errors()[:5])
        raise PolicyError(f"方案文件不符合格式：{problems}", file=str(path)) from None
    if policy.id != path.stem:
        raise PolicyError(f"键 id：方案编号“{policy.id}”须与文件名“{path.stem}”一致", file=str(path))
    return policy.model_copy(update={"path": path})


def policy_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("MUTUALAID_POLICY_PATH", "").split(os.pathsep) if p.strip()]
    return extra + [BUILTIN_DIR]


def _policy_files() -> dict[str, Path]:
    """id -> file; user directories win over the built-in ones."""
    dirs = tuple(d for d in policy_dirs() if d.is_dir())
    return _scan(dirs, tuple(d.stat().st_mtime_ns for d in dirs))


@lru_cache(maxsize=8)
def _scan(dirs: tuple[Path, ...], mtimes: tuple[int, ...]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for directory in dirs:
        for path in sorted(directory.glob("*.toml")):
            found.setdefault(path.stem, path)
    return found


@lru_cache(maxsize=64)
def _load_cached(path: str, mtime_ns: int) -> Policy:
    return load_policy_file(Path(path))


def default_policy_id() -> str:
    return os.environ.get("MUTUALAID_POLICY", "").strip() or DEFAULT_POLICY_ID


def get_policy(policy_id: str | None = None) -> Policy:
    """Load a policy by id (None: env MUTUALAID_POLICY, else nm-2021)."""
    wanted = (policy_id or "").strip() or default_policy_id()
    files = _policy_files()
    path = files.get(wanted) or files.get(wanted.lower())
    if path is None:
        raise PolicyError(
            f"未知的方案编号“{wanted}”；可用：{'、'.join(sorted(files))}（mutualaid policies 查看全部）",
            argument="policy",
        )
    return _load_cached(str(path), path.stat().st_mtime_ns)


def list_policies() -> list[Policy]:
    return [get_policy(policy_id) for policy_id in sorted(_policy_files())]
