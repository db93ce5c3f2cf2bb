"""What roster validation finds and counts: problems, unit summaries, the result; the header spellings."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ...rules.idcard import mask_id, mask_name
from ...rules.policy import Policy
from ...rules.values import is_blank, normalize_text
from ..sheets import header_key
from ..templates import ROSTER

ERROR, WARNING, MANUAL = "错误", "提醒", "待人工核对"   # 待人工核对: a rule the data cannot decide, with its article



def _template_header(key: str) -> str:
    return next(c.header for c in ROSTER.columns if c.key == key)


FIELDS: dict[str, tuple[str, ...]] = {
    "name": (_template_header("name"), "职工姓名", "会员姓名", "参互职工姓名", "名字"),
    "id_number": (_template_header("id_number"), "身份证号码", "公民身份号码", "公民身份证号码", "身份证",
                  "居民身份证号码", "居民身份证号", "身份证件号码", "证件号码", "证件号"),
    "category": (_template_header("category"), "人员类别", "人员类型", "职工类别", "在职/退休", "在职或退休",
                 "在职退休", "身份类别"),
    "membership": (_template_header("membership"), "续互新参互", "续互或新参互", "参互类型", "参互类别",
                   "参互情况", "参加情况", "续参/新参"),
    "fee": (_template_header("fee"), "缴费金额", "互助金", "互助金额", "互助金金额", "应交金额", "交费", "缴费",
            "金额"),
    "unit": ("单位名称", "单位", "所在单位", "工作单位", "参互单位", "参互单位名称", "分工会"),
    "sex": (_template_header("sex"),),
    "birth": (_template_header("birth"), "出生年月日"),
    "on": (_template_header("joined"), "办理日期", "入会日期"),
    "branch": (_template_header("branch"), "分工会（部门）", "部门", "所在部门", "科室", "车间"),
    "basic_insurance": (_template_header("basic_insurance"), "城镇职工基本医疗保险", "基本医疗保险", "基本医保",
                        "参加城镇职工医保", "职工医保"),
    "serious_insurance": (_template_header("serious_insurance"), "大病补充医疗保险", "大病保险", "大病医保",
                          "大额补充医保", "参加大病补充医保"),
    "new_form": (_template_header("new_form"), "新就业形态", "是否新就业形态劳动者"),
    "history": (_template_header("history"), "参互年度", "历年参互情况", "参互记录", "已参加年度"),
    "shares": (_template_header("shares"), "参互份数", "份"),
}
REQUIRED = ("name", "id_number", "category")
_KEY_FIELDS = ("name", "id_number", "category", "membership", "fee")
_LABELS = {   # cells above the header: label -> what it gives
    "unit": ("单位名称", "参互单位", "参互单位名称", "单位"),
    "staff": ("单位总人数", "在职职工人数", "职工总人数", "单位职工人数", "在职职工总数", "职工人数"),
    "on": ("参互日期", "办理日期"),
}
_LABEL_LOOKUP = {header_key(word): key for key, words in _LABELS.items() for word in words}
MAX_REPORT_ROWS = 1_000_000
_FORMULA_OR_SPACE = frozenset(" \u3000=+-@\t\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")   # ASCII only: \d would take full-width digits


@dataclass(frozen=True)
class Problem:
    severity: str                 # 错误 / 提醒
    reason: str                   # Chinese, never containing a full ID number
    file: str = ""
    sheet: str = ""
    row: int | None = None        # Excel row number as the clerk sees it
    column: str = ""              # Excel column letter
    header: str = ""              # the header text of that column
    value: str = ""               # the cell as shown (ID numbers and names masked)

    def where(self) -> str:
        parts = [f"文件 {Path(self.file).name}" if self.file else "", f"工作表「{self.sheet}」" if self.sheet else "",
                 f"第 {self.row} 行" if self.row else "", f"{self.column}列" if self.column else ""]
        parts = [p for p in parts if p]
        if self.header:
            parts.append(f"「{self.header}」")
        return "，".join(parts)

    def __str__(self) -> str:
        return f"[{self.severity}] {self.where()}：{self.reason}"


@dataclass
class UnitSummary:
    unit: str
    agent: str = ""
    files: list[str] = field(default_factory=list)
    stated_staff: int | None = None     # from a 单位总人数 cell
    listed_active: int = 0              # 在职 rows including 未参
    not_joining: int = 0
    active: int = 0
    retired: int = 0
    renewed: int = 0
    new: int = 0
    amount: Decimal = Decimal(0)
    where: tuple[str, str, str] = ("", "", "")   # file, sheet, cell/column for unit-level problems

    @property
    def members(self) -> int:
        return self.active + self.retired

    @property
    def staff(self) -> int | None:
        if self.stated_staff is not None:
            return self.stated_staff
        return self.listed_active if self.not_joining else None

    @property
    def staff_source(self) -> str:
        if self.stated_staff is not None:
            return "名册填写"
        return "按名册在职人数（含未参）" if self.not_joining else "无法确定"

    @property
    def ratio(self) -> Decimal | None:
        staff = self.staff
        return Decimal(self.active) / Decimal(staff) if staff else None


@dataclass
class RosterResult:
    policy: Policy
    on: dt.date | None
    problems: list[Problem] = field(default_factory=list)
    units: dict[str, UnitSummary] = field(default_factory=dict)
    rows_checked: int = 0
    files: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == ERROR)

    @property
    def warnings(self) -> int:
        return len(self.problems) - self.errors


def _shown(key: str, value) -> str:
    if is_blank(value):
        return ""
    if key == "id_number":
        return mask_id(value if not isinstance(value, float) else f"{value:.0f}")
    if key == "name":
        return mask_name(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _text(value) -> str:
    return "" if value is None else normalize_text(str(value))
