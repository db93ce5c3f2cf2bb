"""The rosters' members as the fund counts them (`mutualaid stats`, `mutualaid compare --rosters`).

A member counts once by ID number across all rosters given; the fee is the one the policy
computes for the member's 类别 and 续互/新参互 (engine.fee_for), not the amount typed. Rows
marked 未参 are listed but not counted. A row that cannot be counted (blank or invalid ID
number, a 类别 the policy has no fee for) or a repeated ID number becomes a problem naming
file, sheet, row and column: nothing is counted silently or dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError, MutualAidError
from ..rules import engine
from ..rules.idcard import normalize_id
from ..rules.policy import Policy
from ..rules.values import is_blank, normalize_text
from .reconcile import roster_files
from .roster import FIELDS
from .sheets import find_header, read_sheets, template_setting
from .templates import NOT_JOINING, POLICY_NAME


@dataclass(frozen=True)
class Member:
    key: str               # normalised ID number
    category: str          # "在职/续互" as fee_for takes it
    file: str
    sheet: str
    row: int


@dataclass
class RosterFile:
    file: str
    policy_id: str | None  # from the roster's 设置 sheet, when it has one
    rows: int = 0          # rows with member data
    members: list[Member] = field(default_factory=list)
    not_joining: int = 0


@dataclass
class Members:
    files: list[RosterFile] = field(default_factory=list)
    problems: list[MutualAidError] = field(default_factory=list)

    @property
    def members(self) -> list[Member]:
        return [m for f in self.files for m in f.members]


def _text(value) -> str:
    return "" if is_blank(value) else normalize_text(str(value))


def read_members(paths: list[Path | str]) -> Members:
    """Every roster file (folders stand for the spreadsheets in them); IDs deduplicated across all."""
    out = Members()
    seen: dict[tuple, str] = {}   # (the roster's policy, ID): once per period
    for path in roster_files(paths):
        sheets = read_sheets(path, skip_hidden=True)
        setting = template_setting(sheets, POLICY_NAME)
        book = RosterFile(path.name, None if setting is None else _text(setting))
        out.files.append(book)
        found = False
        for sheet in sheets:
            header = None if sheet.hidden else find_header(sheet, FIELDS)
            if header is None or "id_number" not in header.columns:
                continue
            found = True
            cols = header.columns

            def cell(row, key):
                col = cols.get(key)
                return row[col] if col is not None and col < len(row) else None

            def problem(index, key, reason):
                col = cols.get(key)
                column = f"{sheet.letter(col)}（{header.titles[key]}）" if col is not None else None
                out.problems.append(MutualAidError(reason, file=path.name, sheet=sheet.name,
                                                   row=sheet.excel_row(index), column=column))

            if "category" not in cols:
                problem(header.row_index, None, f"缺少“{FIELDS['category'][0]}”列：无法按方案计算交费金额，本表未计入")
                continue
            for index in range(header.row_index + 1, len(sheet.rows)):
                row = sheet.rows[index]
                if all(is_blank(cell(row, k)) for k in ("name", "id_number", "category", "membership", "fee")):
                    continue
                book.rows += 1
                membership = _text(cell(row, "membership"))
                if membership == NOT_JOINING or _text(cell(row, "fee")) == NOT_JOINING:
                    book.not_joining += 1
                    continue
                raw = cell(row, "id_number")
                if is_blank(raw):
                    problem(index, "id_number", "身份证号为空：本行未计入参与人数和筹集资金")
                    continue
                try:
                    key = normalize_id(raw)
                except InputError as error:
                    problem(index, "id_number", f"身份证号{error.message.removeprefix('身份证号')}：本行未计入参与人数和筹集资金")
                    continue
                where = f"{path.name} 工作表「{sheet.name}」第 {sheet.excel_row(index)} 行"
                if (book.policy_id, key) in seen:
                    problem(index, "id_number", f"身份证号与 {seen[book.policy_id, key]} 重复：只计一次")
                    continue
                category = _text(cell(row, "category"))
                if not category:
                    problem(index, "category", "类别为空：本行未计入参与人数和筹集资金")
                    continue
                seen[book.policy_id, key] = where
                book.members.append(Member(key, category + (f"/{membership}" if membership else ""),
                                           path.name, sheet.name, sheet.excel_row(index)))
        if not found:
            out.problems.append(MutualAidError("没有找到名册表头（姓名、身份证号、类别）：本文件未计入", file=path.name))
    return out


def fees(members: list[Member], policy: Policy) -> tuple[int, int, list[MutualAidError]]:
    """(fee income in fen, members counted) under ``policy``; a member whose category has no fee
    is a problem and not counted."""
    total, counted, problems, cache = 0, 0, [], {}
    for m in members:
        if m.category not in cache:
            try:
                cache[m.category] = int(engine.fee_for(policy, m.category)[0].scaleb(2))
            except MutualAidError as error:
                cache[m.category] = error
        fee = cache[m.category]
        if isinstance(fee, MutualAidError):
            problems.append(MutualAidError(f"{fee.message}：本行未计入筹集资金", file=m.file, sheet=m.sheet, row=m.row))
        else:
            total, counted = total + fee, counted + 1
    return total, counted, problems
