"""Roster validation, sheet by sheet and file by file: finds the header, reads the cells above it,
runs the per-row pass (rows.py) and, at the end, the per-unit checks (units.py)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Iterable

from ...errors import InputError
from ...rules.policy import Policy, get_policy
from ...rules.values import is_blank, normalize_text, parse_date, parse_whole
from ..native import REGISTER_HELPER, ROSTER_HELPER
from ..recompute import recompute_roster
from ..sheets import Header, Sheet, blank_header_columns, find_header, header_key
from .member import MemberRules
from .model import _LABEL_LOOKUP, ERROR, FIELDS, REQUIRED, WARNING, Problem, RosterResult, _text
from .rows import check_rows
from .units import unit_problems


def sheet_context(sheet: Sheet, header: Header) -> dict:
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


class RosterChecker:
    """Validate sheets one after another (duplicates are found across all of them), then
    ``finish()`` for unit-level checks. ``validate()`` is the one-call form."""

    def __init__(self, policy: Policy | str | None = None, on: dt.date | None = None):
        self.policy = policy if isinstance(policy, Policy) else get_policy(policy)
        self.on = on
        self.result = RosterResult(self.policy, on)
        self.seen: dict[str, tuple[str, str, int, str]] = {}   # ID -> where first seen, across files
        self._dates: dict[object, dt.date | str] = {}
        self._run_notes: set[str] = set()
        self.members = MemberRules(self.policy, self.note_once)
        self.default_on = self._policy_date()

    # -------------------------------------------------------------- helpers

    def add(self, severity, reason, sheet: Sheet | None = None, row_index=None, col=None, header="", value="",
             file=None):
        self.result.problems.append(Problem(
            severity, reason, file if file is not None else (sheet.file if sheet else ""),
            sheet.name if sheet else "", sheet.excel_row(row_index) if sheet and row_index is not None else None,
            sheet.letter(col) if sheet and col is not None else "", header, value))

    def note_once(self, severity, reason):
        if reason not in self._run_notes:
            self._run_notes.add(reason)
            self.result.problems.append(Problem(severity, reason))

    def _policy_date(self) -> dt.date | None:
        dates = self.policy.dates
        if dates is not None:
            return dates.enrolment_start or dates.coverage_start
        return None

    def date(self, value) -> dt.date | str:
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

    def check_sheet(self, sheet: Sheet, *, agent: str = "", unit: str | None = None,
                    fallback: str | None = None) -> bool:
        """Validate one worksheet. Returns False when it is not a roster (no header found).

        The unit is ``unit``, else a 单位名称 cell above the header, else ``fallback`` (the
        file name); a 单位名称 column overrides it row by row."""
        header = find_header(sheet, FIELDS)
        if header is None or "id_number" not in header.columns:
            return False
        for reason, row_index, col, severity in header.notes:
            self.add(severity, reason, sheet, row_index, col)
        missing = [key for key in REQUIRED if key not in header.columns]
        if missing:
            for key in missing:
                self.add(ERROR, f"缺少“{FIELDS[key][0]}”列（可用的表头：{'、'.join(FIELDS[key][:4])}）",
                          sheet, header.row_index)
            return True
        for col in blank_header_columns(sheet, header):
            self.add(WARNING, "这一列有数据但没有表头，未校验；请补上表头或删除", sheet, header.row_index, col)
        if "fee" not in header.columns:
            self.add(WARNING, "名册没有“交费金额”列，互助金按方案标准计算", sheet, header.row_index)
        header_row = sheet.excel_row(header.row_index)
        for row1, col1, row2, col2 in sheet.merged:
            if row1 > header_row and row2 > row1:
                span = f"{sheet.letter(col1 - sheet.origin_col)}{row1}:{sheet.letter(col2 - sheet.origin_col)}{row2}"
                self.add(WARNING, f"{span} 是合并单元格：只有第一行有值，其余各行按空白处理；请取消合并并逐行填写",
                          sheet, row1 - sheet.origin_row, col1 - sheet.origin_col)
        context = sheet_context(sheet, header)
        sheet_unit = (unit or (_text(context["unit"][0]) if "unit" in context else "") or fallback
                      or Path(sheet.file).stem or sheet.name)
        stated_staff = None
        if "staff" in context:
            value, r, c = context["staff"]
            try:
                stated_staff = parse_whole(value, "单位总人数", minimum=1)
            except InputError as error:
                self.add(ERROR, f"单位总人数{error.message}", sheet, r, c)
        on = self.on
        if on is None and "on" in context and "on" not in header.columns:
            value, r, c = context["on"]
            parsed = self.date(value)
            if isinstance(parsed, str):
                self.add(ERROR, f"参互日期{parsed}", sheet, r, c)
            else:
                on = parsed
        if on is None and "on" not in header.columns:
            on = self.default_on
            if on is None:
                on = dt.date.today()
                self.note_once(WARNING, f"方案 {self.policy.id} 未给出参互日期，年龄按今天 {on} 计算；可用 --on 指定")
        check_rows(self, sheet, header, agent, sheet_unit, stated_staff, on)
        return True

    def check_file(self, sheets: list[Sheet], *, agent: str = "", unit: str | None = None, file: str = "") -> None:
        """All sheets of one workbook: visible roster sheets are validated; hidden ones reported."""
        file = file or (sheets[0].file if sheets else "")
        if file and file not in self.result.files:
            self.result.files.append(file)
        note = recompute_roster(sheets, self.policy, file)
        if note:
            self.add(WARNING, note, file=file)
        found = False
        rosters = []
        for sheet in sheets:
            if sheet.hidden and sheet.name in (ROSTER_HELPER, REGISTER_HELPER):
                continue   # the native formulas' helper sheet
            if sheet.hidden:
                if sheet.rows and any(not is_blank(v) for row in sheet.rows[:50] for v in row):
                    self.add(WARNING, "这是隐藏的工作表，未校验；如是名册请取消隐藏后再校验", sheet)
                continue
            header = find_header(sheet, FIELDS)
            if header is not None and "id_number" not in header.columns and len(header.columns) >= 3:
                self.add(ERROR, f"找到表头行但没有身份证号列（可用的表头：{'、'.join(FIELDS['id_number'][:5])}）",
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
        """Unit-level checks after the last sheet; the result."""
        self.result.problems.extend(unit_problems(self.policy, self.result))
        return self.result


def validate(sheets: Iterable[Sheet], *, policy: Policy | str | None = None, on: dt.date | None = None,
             agent: str = "", unit: str | None = None) -> RosterResult:
    """Validate rows already in memory (e.g. from the ribbon); all sheets as one workbook."""
    checker = RosterChecker(policy, on)
    checker.check_file(list(sheets), agent=agent, unit=unit)
    return checker.finish()
