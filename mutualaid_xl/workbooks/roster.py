"""Roster validation and per-unit summaries (the service behind `mutualaid validate`/`fill`
and the ribbon's 校验名册).

Input is ``sheets.Sheet`` objects (values already in memory, from calamine or from Excel);
nothing here opens or writes a clerk's file except ``write_report``, which writes a new one.

Decisions a clerk should know (also printed in the report's 说明 sheet):
- A row counts only when one of 姓名/身份证号/类别/续互新参互/交费金额 is filled, so rows with
  just a pre-filled 序号 are blank rows.
- 未参 in 续互/新参互 or 交费金额 means "listed but not joining" (昆冶高专工发〔2015〕10号 四（二））:
  such rows are not checked for fee or age and not counted as members.
- Participation ratio = 在职参互人数 / 在职职工人数. 在职职工人数 is taken from a cell above the
  header ("单位总人数：120", "在职职工人数" ...) when the roster has one, else counted from the
  roster as its 在职 rows including 未参 rows (the Kunming rule keeps them listed). A roster
  with neither cannot be checked and gets a 提醒.
- A fee that does not match the policy is reported as an error but counted as written (it is
  what was collected); negative or unreadable fees are not counted.
- The enrolment date for ages: --on, else a 参互日期 column, else a 参互日期 cell above the
  header, else the policy's enrolment start.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Iterable

import numpy as np

from ..rules import dates, engine
from ..rules import idcard
from ..errors import InputError, MutualAidError
from ..rules.idcard import birth_date, mask_id, mask_name, normalize_id, sex as id_sex, age_on
from ..rules.policy import Policy, get_policy, normalize_category
from .sheets import Header, Sheet, blank_header_columns, find_header, header_key, looks_like_formula
from ..rules.values import excel_error, is_blank, normalize_text, parse_bool, parse_date, parse_decimal, parse_whole
from .templates import NOT_JOINING, ROSTER

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


@dataclass(frozen=True)
class _Verdict:
    """What a (类别, 续互/新参互, 交费金额) combination means; computed once per distinct combination."""
    enrolled: bool
    role: str | None                  # 在职 / 退休
    membership: str | None            # 续互 / 新参互
    fee: Decimal | None               # amount counted for the unit
    problems: tuple[tuple[str, str, str], ...] = ()   # (field key, severity, reason)
    category: str = field(init=False)                   # "在职/续互", as the engine takes it

    def __post_init__(self):
        object.__setattr__(self, "category", "/".join(p for p in (self.role, self.membership) if p))


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


# ------------------------------------------------------------------ ID numbers, vectorised

_WEIGHTS = np.array(idcard.WEIGHTS, dtype=np.int64)
_CHECK = np.array([ord(c) for c in idcard.CHECK_CHARS], dtype=np.int64)
_MONTH_DAYS = np.array((0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), dtype=np.int64)


def _fast_valid(texts: list[str]) -> np.ndarray:
    """True where an 18-character text is a valid ID as ``idcard.normalize_id`` would accept it
    unchanged (ASCII digits, X/x, existing birth date, right check digit). False only means
    "let normalize_id decide and say why"."""
    if not texts:
        return np.zeros(0, dtype=bool)
    codes = np.array(texts, dtype="<U18").view(np.uint32).reshape(len(texts), 18).astype(np.int64)
    digits = codes[:, :17] - 48
    ok = ((digits >= 0) & (digits <= 9)).all(axis=1)
    last = codes[:, 17]
    expected = _CHECK[(np.clip(digits, 0, 9) @ _WEIGHTS) % 11]
    ok &= (last == expected) | ((expected == 88) & (last == 120))
    d = np.clip(digits, 0, 9)
    year = d[:, 6] * 1000 + d[:, 7] * 100 + d[:, 8] * 10 + d[:, 9]
    month = d[:, 10] * 10 + d[:, 11]
    day = d[:, 12] * 10 + d[:, 13]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _MONTH_DAYS[np.clip(month, 0, 12)] + ((month == 2) & leap)
    ok &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    return ok


def check_ids(values: list) -> tuple[list[str | None], dict[int, str]]:
    """Canonical IDs (None where invalid) and {index: Chinese reason} for the invalid ones."""
    canonical: list[str | None] = [None] * len(values)
    fast = [i for i, v in enumerate(values) if type(v) is str and len(v) == 18]
    verdict = _fast_valid([values[i] for i in fast])
    for i, good in zip(fast, verdict.tolist()):
        if good:
            text = values[i]
            canonical[i] = text if text[17] != "x" else text.upper()
    reasons = {}
    for i, value in enumerate(values):
        if canonical[i] is not None:
            continue
        try:
            canonical[i] = normalize_id(value)
        except InputError as error:
            reasons[i] = error.message
    return canonical, reasons


# ------------------------------------------------------------------ the checker


class RosterChecker:
    """Validate sheets one after another (duplicates are found across all of them), then
    ``finish()`` for unit-level checks. ``validate()`` is the one-call form."""

    def __init__(self, policy: Policy | str | None = None, on: dt.date | None = None):
        self.policy = policy if isinstance(policy, Policy) else get_policy(policy)
        self.on = on
        self.result = RosterResult(self.policy, on)
        self._seen: dict[str, tuple[str, str, int, str]] = {}
        self._verdicts: dict[tuple, _Verdict] = {}
        self._ages: dict[tuple, str | None] = {}
        self._dates: dict[object, dt.date | str] = {}
        self._run_notes: set[str] = set()
        self._default_on = self._policy_date()

    # -------------------------------------------------------------- helpers

    def _add(self, severity, reason, sheet: Sheet | None = None, row_index=None, col=None, header="", value="",
             file=None):
        self.result.problems.append(Problem(
            severity, reason, file if file is not None else (sheet.file if sheet else ""),
            sheet.name if sheet else "", sheet.excel_row(row_index) if sheet and row_index is not None else None,
            sheet.letter(col) if sheet and col is not None else "", header, value))

    def _note_once(self, severity, reason):
        if reason not in self._run_notes:
            self._run_notes.add(reason)
            self.result.problems.append(Problem(severity, reason))

    def _policy_date(self) -> dt.date | None:
        dates = self.policy.dates
        if dates is not None:
            return dates.enrolment_start or dates.coverage_start
        return None

    def _date(self, value) -> dt.date | str:
        """A date cell, cached by value; a str is the Chinese reason it is not a date."""
        key = (type(value), value)
        found = self._dates.get(key)
        if found is None:
            try:
                found = parse_date(value, "日期")
            except InputError as error:
                found = error.message
            self._dates[key] = found
        return found

    # -------------------------------------------------------------- per-combination rules

    def _verdict(self, key: tuple) -> _Verdict:
        """``key`` is (类别, 续互/新参互, 交费金额, has_fee); 100 and 100.0 share a verdict, "100" does not."""
        self._verdicts[key] = verdict = self._judge(*key)
        return verdict

    def _judge(self, category, membership, fee, has_fee: bool) -> _Verdict:
        problems: list[tuple[str, str, str]] = []
        not_joining = _text(membership) == NOT_JOINING or _text(fee) == NOT_JOINING
        role = member = None
        for key, value in (("category", category), ("membership", membership)):
            if is_blank(value) or (key == "membership" and _text(value) == NOT_JOINING):
                continue
            if excel_error(value):
                problems.append((key, ERROR, f"单元格是错误值 {excel_error(value)}，请先修正"))
                continue
            try:
                words = normalize_category(value)
            except InputError as error:
                problems.append((key, ERROR, error.message.replace("category", "类别")))
                continue
            for word in words:
                if word in ("在职", "退休"):
                    role = word
                else:
                    member = word
            if key == "category" and role is None:
                problems.append((key, ERROR, f"类别“{_text(value)}”没有写明在职还是退休，请填 在职 或 退休"))
        if is_blank(category) and not not_joining:
            problems.append(("category", ERROR, "类别为空，请填 在职 或 退休"))
        if not_joining:
            if has_fee and not is_blank(fee) and _text(fee) != NOT_JOINING:
                problems.append(("fee", WARNING, f"标为“{NOT_JOINING}”却填了交费金额，未计入互助金"))
            return _Verdict(False, role, None, None, tuple(problems))
        if any(severity == ERROR for _k, severity, _r in problems):
            return _Verdict(True, role, member, None, tuple(problems))
        counted = None
        if has_fee and not is_blank(fee):
            try:
                counted = parse_decimal(int(fee) if isinstance(fee, float) and fee.is_integer() else fee, "交费金额")
            except InputError as error:
                problems.append(("fee", ERROR, f"交费金额{error.message}"))
            else:
                if counted == counted.to_integral_value():
                    counted = counted.quantize(Decimal(1))
                if isinstance(fee, str) and not _PLAIN_NUMBER.fullmatch(fee.strip()):
                    problems.append(("fee", WARNING, f"交费金额是文字“{fee}”，已按 {counted} 元读取；"
                                                     "Excel 求和会漏掉文字，请改为数字"))
        if member is None and role and counted is not None:
            member = self._membership_from_fee(counted)
        expected, why = self._expected_fee(role, member, problems, counted)
        if not has_fee or is_blank(fee):
            if expected is not None:
                counted = expected
                if has_fee:
                    problems.append(("fee", WARNING, f"交费金额为空，按方案标准 {expected} 元计入"))
        elif counted is not None:
            if expected is not None and counted != expected:
                problems.append(("fee", ERROR, f"交费金额 {counted} 元与方案 {self.policy.id} 的{why}标准 "
                                               f"{expected} 元不符"))
            elif expected is None and why == "份数" and (wrong := self._share_problem(counted)):
                problems.append(("fee", ERROR, wrong))
        if member is None and membership is not None and is_blank(membership) and not any(
                k in ("membership", "fee") and severity == ERROR for k, severity, _r in problems):
            problems.append(("membership", WARNING, "续互/新参互为空：汇总表的续互/新参互人数不含此人"))
        return _Verdict(True, role, member, counted, tuple(problems))

    def _membership_from_fee(self, amount: Decimal) -> str | None:
        """续互 or 新参互 told by the fee alone, where the policy's fees differ by it
        (昆冶高专工发〔2015〕10号: 已参加者填 80，新参加者填 100)."""
        fees = self.policy.fees
        amounts = fees.amounts if fees else {}
        matches = [m for m in ("续互", "新参互") if amounts.get(m) == amount]
        return matches[0] if len(matches) == 1 and not {"在职", "退休"} & set(amounts) else None

    def _expected_fee(self, role, member, problems, written=None) -> tuple[Decimal | None, str]:
        """The policy's fee for the row, or (None, reason-kind) after recording why not."""
        if self.policy.fees is None:
            self._note_once(WARNING, f"方案 {self.policy.id} 未配置交费标准，未核对交费金额")
            return None, ""
        if not self.policy.fees.amounts and self.policy.shares is not None:
            return None, "份数"
        text = "/".join(p for p in (role, member) if p)
        try:
            amount, chosen = engine.fee_for(self.policy, text)
        except MutualAidError as error:
            key = "membership" if role and not member else "category"
            if key == "membership" and written is not None:
                standards = "、".join(f"{c} {a} 元" for c, a in self.policy.fees.amounts.items())
                problems.append(("fee", ERROR, f"交费金额 {written} 元不是方案 {self.policy.id} 的任何标准"
                                               f"（{standards}），也没有填续互/新参互"))
            elif key == "membership":
                problems.append(("membership", ERROR, f"续互/新参互为空，无法确定交费标准：{error.message}"))
            else:
                problems.append(("category", ERROR, f"类别不在方案中：{error.message}"))
            return None, ""
        return amount, chosen

    def _share_problem(self, amount: Decimal) -> str | None:
        shares = self.policy.shares
        count = amount / shares.fee_per_share
        if count != count.to_integral_value() or not shares.min <= count <= shares.max:
            return (f"交费金额 {amount} 元不是每份 {shares.fee_per_share} 元的 {shares.min}—{shares.max} 份"
                    f"（方案 {self.policy.id}）")
        return None

    def _age(self, id18: str, category: str, on: dt.date) -> str | None:
        """The eligibility verdict, cached by (birth date digits, category, date)."""
        key = (id18[6:14], category, on)
        if self.policy.eligibility is None:
            self._note_once(WARNING, f"方案 {self.policy.id} 未配置参互年龄条件，只核对了出生日期不晚于参互日期")
            try:
                age_on(id18, on)
                reason = None
            except InputError as error:
                reason = error.message
        else:
            try:
                reason = engine.check_eligibility(self.policy, id18, category, on)
            except MutualAidError as error:
                reason = error.message
        self._ages[key] = reason
        return reason

    # -------------------------------------------------------------- sheets

    def _context(self, sheet: Sheet, header: Header) -> dict:
        """Unit name, staff count and date written in cells above the header."""
        found: dict = {}
        for index, row in enumerate(sheet.rows[:header.row_index]):
            for col, value in enumerate(row):
                if not isinstance(value, str) or not value.strip():
                    continue
                label, _sep, rest = normalize_text(value).partition(":")   # NFKC made ： into :
                key = _LABEL_LOOKUP.get(header_key(label)) or _LABEL_LOOKUP.get(
                    re.sub(r"[(（].*?[)）]$", "", header_key(label)))
                if key is None or key in found:
                    continue
                target, where = rest.strip(), col
                if not target:
                    later = [(c, v) for c, v in enumerate(row) if c > col and not is_blank(v)]
                    if not later:
                        continue
                    where, target = later[0]
                found[key] = (target, index, where)
        return found

    def check_sheet(self, sheet: Sheet, *, agent: str = "", unit: str | None = None,
                    fallback: str | None = None) -> bool:
        """Validate one worksheet. Returns False when it is not a roster (no header found).

        The unit is ``unit``, else a 单位名称 cell above the header, else ``fallback`` (the
        file name); a 单位名称 column overrides it row by row."""
        header = find_header(sheet, FIELDS)
        if header is None or "id_number" not in header.columns:
            return False
        for reason, row_index, col, severity in header.notes:
            self._add(severity, reason, sheet, row_index, col)
        missing = [key for key in REQUIRED if key not in header.columns]
        if missing:
            for key in missing:
                self._add(ERROR, f"缺少“{FIELDS[key][0]}”列（可用的表头：{'、'.join(FIELDS[key][:4])}）",
                          sheet, header.row_index)
            return True
        for col in blank_header_columns(sheet, header):
            self._add(WARNING, "这一列有数据但没有表头，未校验；请补上表头或删除", sheet, header.row_index, col)
        if "fee" not in header.columns:
            self._add(WARNING, "名册没有“交费金额”列，互助金按方案标准计算", sheet, header.row_index)
        header_row = sheet.excel_row(header.row_index)
        for row1, col1, row2, col2 in sheet.merged:
            if row1 > header_row and row2 > row1:
                span = f"{sheet.letter(col1 - sheet.origin_col)}{row1}:{sheet.letter(col2 - sheet.origin_col)}{row2}"
                self._add(WARNING, f"{span} 是合并单元格：只有第一行有值，其余各行按空白处理；请取消合并并逐行填写",
                          sheet, row1 - sheet.origin_row, col1 - sheet.origin_col)
        context = self._context(sheet, header)
        sheet_unit = (unit or (_text(context["unit"][0]) if "unit" in context else "") or fallback
                      or Path(sheet.file).stem or sheet.name)
        stated_staff = None
        if "staff" in context:
            value, r, c = context["staff"]
            try:
                stated_staff = parse_whole(value, "单位总人数", minimum=1)
            except InputError as error:
                self._add(ERROR, f"单位总人数{error.message}", sheet, r, c)
        on = self.on
        if on is None and "on" in context and "on" not in header.columns:
            value, r, c = context["on"]
            parsed = self._date(value)
            if isinstance(parsed, str):
                self._add(ERROR, f"参互日期{parsed}", sheet, r, c)
            else:
                on = parsed
        if on is None and "on" not in header.columns:
            on = self._default_on
            if on is None:
                on = dt.date.today()
                self._note_once(WARNING, f"方案 {self.policy.id} 未给出参互日期，年龄按今天 {on} 计算；可用 --on 指定")
        self._rows(sheet, header, agent, sheet_unit, stated_staff, on)
        return True

    def _rows(self, sheet: Sheet, header: Header, agent: str, sheet_unit: str, stated_staff, on):
        cols = header.columns
        titles = header.titles
        width = max(cols.values()) + 1
        data = sheet.rows[header.row_index + 1:]
        first = header.row_index + 1
        get = {key: cols.get(key) for key in FIELDS}
        cn, ci, cc, cm, cf = (get[k] for k in _KEY_FIELDS)
        cu, cs, cb, co = get["unit"], get["sex"], get["birth"], get["on"]
        has_fee = cf is not None
        indexes, ids = [], []
        for offset, row in enumerate(data):
            if len(row) < width:
                row = list(row) + [""] * (width - len(row))
                data[offset] = row
            value = row[ci]
            if (value is None or value == "" or (isinstance(value, str) and not value.strip())) and all(
                    is_blank(row[c]) for c in (cn, cc, cm, cf) if c is not None):
                continue
            indexes.append(offset)
            ids.append(row[ci])
        canonical, id_reasons = check_ids(ids)
        self.result.rows_checked += len(indexes)
        units = self.result.units
        add = self._add
        verdicts, ages = self._verdicts, self._ages
        file = sheet.file
        current_unit = None
        summary = None
        for n, offset in enumerate(indexes):
            row = data[offset]
            r = first + offset
            unit_name = sheet_unit
            if cu is not None:
                value = row[cu]
                if not is_blank(value):
                    unit_name = value.strip() if type(value) is str else _text(value)
            if unit_name != current_unit:
                current_unit = unit_name
                summary = units.get(unit_name)
                if summary is None:
                    summary = units[unit_name] = UnitSummary(
                        unit_name, agent, where=(file, sheet.name, titles.get("category", "")))
                    if cu is None and stated_staff is not None:
                        summary.stated_staff = stated_staff
                if file not in summary.files:
                    summary.files.append(file)
            name = row[cn]
            if not name or type(name) is not str or name[0] in _FORMULA_OR_SPACE:
                if is_blank(name):
                    add(ERROR, "姓名为空", sheet, r, cn, titles["name"])
                elif looks_like_formula(name):
                    add(WARNING, "姓名以 = + - @ 开头，像公式（可能是误粘贴或恶意内容）；报告中按文字保存，请核对",
                        sheet, r, cn, titles["name"], _shown("name", name))
            key = (row[cc], row[cm] if cm is not None else None, row[cf] if has_fee else None, has_fee)
            verdict = verdicts.get(key) or self._verdict(key)
            for key, severity, reason in verdict.problems:
                col = cols.get(key, cc)
                add(severity, reason, sheet, r, col, titles.get(key, ""), _shown(key, row[col]))
            id18 = canonical[n]
            if id18 is None:
                reason = id_reasons[n]
                reason = f"身份证号中的{reason}" if reason.startswith("出生日期") else (
                    reason if reason.startswith("身份证号") else f"身份证号{reason}")
                add(ERROR, reason, sheet, r, ci, titles["id_number"],
                    _shown("id_number", ids[n]))
            else:
                before = self._seen.get(id18)
                if before is None:
                    self._seen[id18] = (file, sheet.name, sheet.excel_row(r), unit_name)
                else:
                    other_file, other_sheet, other_row, other_unit = before
                    if other_file == file and other_sheet == sheet.name:
                        where = f"第 {other_row} 行"
                    else:
                        where = f"文件 {Path(other_file).name} 工作表「{other_sheet}」第 {other_row} 行"
                    if other_unit != unit_name:
                        where += f"（单位：{other_unit}）"
                    add(ERROR, f"身份证号与{where}重复：同一人只能参加一份", sheet, r, ci, titles["id_number"],
                        _shown("id_number", id18))
                row_on, dated = on, False
                if co is not None and not is_blank(row[co]):
                    parsed = self._date(row[co])
                    if isinstance(parsed, str):
                        add(ERROR, f"参互日期{parsed}", sheet, r, co, titles["on"], _shown("on", row[co]))
                        row_on = None
                    else:
                        row_on, dated = self.on or parsed, self.on is None
                elif row_on is None:
                    row_on = self._default_on
                if verdict.enrolled and verdict.role and row_on is not None:
                    age_key = (id18[6:14], verdict.category, row_on)
                    reason = ages[age_key] if age_key in ages else self._age(id18, verdict.category, row_on)
                    if reason:
                        reason = reason.removeprefix("不符合：")
                        window = "办理时间" in reason or "工作日" in reason
                        if window and dated:
                            add(ERROR, f"参互日期{reason}", sheet, r, co, titles["on"], _shown("on", row[co]))
                        elif window:   # the run's date itself: one problem, not one per row
                            self._note_once(ERROR, f"参互日期{reason}")
                        elif "周岁" in reason:
                            add(ERROR, reason, sheet, r, cc, titles["category"], _shown("category", row[cc]))
                        else:
                            add(ERROR, reason, sheet, r, ci, titles["id_number"], _shown("id_number", id18))
                if cs is not None and row[cs] and row[cs] != id_sex(id18) and _text(row[cs]) != id_sex(id18):
                    add(WARNING, f"性别“{_text(row[cs])}”与身份证号（{id_sex(id18)}）不符", sheet, r, cs,
                        titles["sex"], _text(row[cs]))
                if cb is not None and not is_blank(row[cb]):
                    parsed = self._date(row[cb])
                    if isinstance(parsed, str):
                        add(WARNING, f"出生日期{parsed}", sheet, r, cb, titles["birth"], _shown("birth", row[cb]))
                    elif parsed != birth_date(id18):
                        add(WARNING, f"出生日期 {parsed} 与身份证号中的 {birth_date(id18)} 不符", sheet, r, cb,
                            titles["birth"], _shown("birth", row[cb]))
                if verdict.enrolled:
                    self._member_fields(sheet, r, row, header, verdict)
            role = verdict.role
            if verdict.enrolled:
                if role == "在职":
                    summary.active += 1
                    summary.listed_active += 1
                elif role == "退休":
                    summary.retired += 1
                if verdict.membership == "续互":
                    summary.renewed += 1
                elif verdict.membership == "新参互":
                    summary.new += 1
                if verdict.fee is not None:
                    summary.amount += verdict.fee
            else:
                summary.not_joining += 1
                if role != "退休":
                    summary.listed_active += 1

    def _member_fields(self, sheet: Sheet, r: int, row: list, header: Header, verdict: _Verdict) -> None:
        """The fields the seeds ask for: required insurance, retirees' continuity, shares."""
        cols, titles, policy = header.columns, header.titles, self.policy
        checks = policy.checks
        for key in ("basic_insurance", "serious_insurance"):
            col = cols.get(key)
            wanted = _template_header(key)
            if col is None or is_blank(row[col]) or not checks or wanted not in checks.required_insurance:
                continue
            try:
                joined = parse_bool(row[col], key)
            except InputError:
                self._add(ERROR, f"{wanted}应填 是/否", sheet, r, col, titles[key], _text(row[col]))
                continue
            if not joined:
                left = f"；{checks.left_insurance}" if key == "basic_insurance" and checks.left_insurance else ""
                self._add(ERROR, f"未参加{wanted}，不符合参互条件（{checks.source}）{left}", sheet, r, col,
                          titles[key], _text(row[col]))
        years = policy.eligibility.retiree_years if policy.eligibility else []
        if verdict.role == "退休" and years:
            col = cols.get("history")
            required = "、".join(str(y) for y in years)
            if col is None or is_blank(row[col]):
                why = checks.retiree if checks and checks.retiree else policy.eligibility.source
                self._note_once(MANUAL, f"退休人员须为 {required} 年连续参互：名册没有填写“参互历史”，请人工核对（{why}）")
            else:
                missing = [str(y) for y in years if y not in dates.participation_years(row[col])]
                if missing:
                    self._add(ERROR, f"退休人员须为 {required} 年连续参互，参互历史缺少 {'、'.join(missing)} 年"
                              f"（{policy.eligibility.source}）", sheet, r, col, titles["history"], _text(row[col]))
        col = cols.get("shares")
        if col is not None and not is_blank(row[col]):
            try:
                shares = parse_whole(row[col], "shares", minimum=1)
                low, high = (policy.shares.min, policy.shares.max) if policy.shares else (1, 1)
                if not low <= shares <= high:
                    raise InputError(f"须在 {low}—{high} 份之间" if policy.shares else f"方案 {policy.id} 不按份数参互，只能为 1")
            except InputError as error:
                self._add(ERROR, f"份数{error.message}", sheet, r, col, titles["shares"], _text(row[col]))

    # -------------------------------------------------------------- run level

    def check_file(self, sheets: list[Sheet], *, agent: str = "", unit: str | None = None, file: str = "") -> None:
        """All sheets of one workbook: visible roster sheets are validated; hidden ones reported."""
        file = file or (sheets[0].file if sheets else "")
        if file and file not in self.result.files:
            self.result.files.append(file)
        found = False
        rosters = []
        for sheet in sheets:
            if sheet.hidden:
                if sheet.rows and any(not is_blank(v) for row in sheet.rows[:50] for v in row):
                    self._add(WARNING, "这是隐藏的工作表，未校验；如是名册请取消隐藏后再校验", sheet)
                continue
            header = find_header(sheet, FIELDS)
            if header is not None and "id_number" not in header.columns and len(header.columns) >= 3:
                self._add(ERROR, f"找到表头行但没有身份证号列（可用的表头：{'、'.join(FIELDS['id_number'][:5])}）",
                          sheet, header.row_index)
                found = True
            elif header is not None:
                rosters.append(sheet)
        stem = Path(file).stem
        for sheet in rosters:
            fallback = f"{stem}（{sheet.name}）" if len(rosters) > 1 else stem
            found |= self.check_sheet(sheet, agent=agent, unit=unit, fallback=fallback)
        if not found:
            names = "、".join(f"「{s.name}」" for s in sheets if not s.hidden) or "（没有可见的工作表）"
            self.result.problems.append(Problem(
                ERROR, f"没有找到名册表头：工作表 {names} 的前 30 行中没有“姓名”“身份证号”“类别”等表头",
                file, sheets[0].name if len(sheets) == 1 else ""))

    def finish(self) -> RosterResult:
        participation = self.policy.participation
        if participation is not None and participation.renewal_target is not None:
            renewed = sum(u.renewed for u in self.result.units.values())
            self._note_once(MANUAL, f"续会率目标 {participation.renewal_target:.0%}（{participation.source}）：本次名册续互 "
                                    f"{renewed} 人；续会率 = 续互人数 ÷ 上期参互人数，上期人数不在名册中，请人工核对")
        for summary in self.result.units.values():
            file, sheet, header = summary.where
            staff = summary.staff
            if staff is not None and summary.active > staff:
                self.result.problems.append(Problem(
                    ERROR, f"单位“{summary.unit}”在职参互 {summary.active} 人，多于在职职工人数 {staff} 人",
                    file, sheet))
                continue
            if participation is None or summary.active == 0:
                continue
            if staff is None:
                self.result.problems.append(Problem(
                    WARNING, f"单位“{summary.unit}”的参互比例无法核对：名册既没有“单位总人数”，也没有列出"
                             f"不参加（{NOT_JOINING}）的职工", file, sheet))
                continue
            floor = participation.min_ratio
            if participation.small_unit_max_staff and staff <= participation.small_unit_max_staff and \
                    participation.small_unit_min_ratio is not None:
                floor = participation.small_unit_min_ratio
            if summary.ratio < floor:
                self.result.problems.append(Problem(
                    ERROR, f"单位“{summary.unit}”在职参互比例 {summary.ratio:.2%}（{summary.active}/{staff}，"
                           f"在职职工人数{summary.staff_source}）低于方案 {self.policy.id} 的下限 {floor:.0%}",
                    file, sheet, header=header))
        return self.result


def validate(sheets: Iterable[Sheet], *, policy: Policy | str | None = None, on: dt.date | None = None,
             agent: str = "", unit: str | None = None) -> RosterResult:
    """Validate rows already in memory (e.g. from the ribbon); all sheets as one workbook."""
    checker = RosterChecker(policy, on)
    checker.check_file(list(sheets), agent=agent, unit=unit)
    return checker.finish()


# ------------------------------------------------------------------ report

PROBLEM_HEADERS = ("序号", "级别", "文件", "工作表", "行", "列", "表头", "原因", "单元格内容")
UNIT_HEADERS = ("代办点", "单位", "在职职工人数", "人数来源", "在职参互人数", "退休参互人数", "续互人数", "新参互人数",
                "未参人数", "互助金总额", "在职参互比例", "文件")


def problem_rows(result: RosterResult) -> list[list]:
    """The problems as rows under PROBLEM_HEADERS (for a report sheet, in Excel or a file)."""
    return [[i, p.severity, Path(p.file).name if p.file else "", p.sheet, p.row, p.column, p.header, p.reason,
             p.value] for i, p in enumerate(result.problems[:MAX_REPORT_ROWS], 1)]


def unit_rows(result: RosterResult) -> list[list]:
    rows = []
    for s in result.units.values():
        rows.append([s.agent, s.unit, s.staff, s.staff_source, s.active, s.retired, s.renewed, s.new,
                     s.not_joining, s.amount, float(s.ratio) if s.ratio is not None else None,
                     "、".join(Path(f).name for f in s.files)])
    return rows


def notes(result: RosterResult) -> list[str]:
    on = f"{result.on:%Y-%m-%d}" if result.on else "按名册中的参互日期，未填则用方案的办理开始日期"
    return [
        f"方案：{result.policy.title}",
        f"年龄计算日期：{on}",
        f"校验行数：{result.rows_checked}；错误 {result.errors} 个，提醒 {result.warnings} 个",
        "身份证号和姓名在本报告中已打码；请按“行”“列”回到原名册修改，原名册未被改动。",
        f"在职参互比例 = 在职参互人数 / 在职职工人数；名册上方填有“单位总人数”的按填写数，"
        f"否则按名册中在职人员（含“{NOT_JOINING}”）计。",
    ]


def write_report(result: RosterResult, path: Path | str, *, files: list[str] | None = None) -> Path | None:
    """The validation report workbook (校验结果, 单位汇总, 说明), written atomically.
    Returns the backup path when an earlier report was kept."""
    from openpyxl import Workbook

    from .sheets import add_notes_sheet, text_cell, write_atomic

    problems = problem_rows(result) if files is None else [   # this file's problems and the run's own
        row for row in problem_rows(result) if result.problems[row[0] - 1].file in files + [""]]

    def writer(tmp: Path):
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("校验结果")
        ws.freeze_panes = "A2"
        for letter, width in zip("ABCDEFGHI", (7, 6, 24, 14, 7, 5, 12, 60, 22)):
            ws.column_dimensions[letter].width = width
        ws.append(list(PROBLEM_HEADERS))
        for row in problems:
            ws.append([text_cell(ws, v) for v in row])
        if not problems:
            ws.append([None, None, None, None, None, None, None, "未发现问题"])
        ws = wb.create_sheet("单位汇总")
        ws.append(list(UNIT_HEADERS))
        unit_filter = set(files) if files is not None else None
        for summary, row in zip(result.units.values(), unit_rows(result)):
            if unit_filter is None or unit_filter & set(summary.files):
                ws.append([text_cell(ws, v) if isinstance(v, str) else v for v in row])
        add_notes_sheet(wb, notes(result))
        wb.save(tmp)

    return write_atomic(path, writer)
