"""Reconcile unit rosters with a provincial system export (`mutualaid reconcile`).

The seeds require the stamped summary to match the system's data (云医互〔2021〕4号 三（二）3).
Members are matched by normalised ID number; amounts are compared in fen. Found:
- 系统缺少: a joining member of a roster is not in the export;
- 系统多出: a member of the export is in no roster;
- 跨单位重复 / 同单位重复: the same ID twice, in different units or the same one (either side);
- 金额不一致: the member's fee differs between roster and export;
- 单位不一致: the member is under another unit in the export;
and per unit: members and fee totals on both sides with the difference.
Rows marked 未参 (listed, not joining) are not members. Reports mask ID numbers and names.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..errors import InputError, MutualAidError
from ..rules.idcard import mask_id, mask_name, normalize_id
from .roster import FIELDS
from ..rules.policy import get_policy
from .recompute import recompute_roster
from .sheets import (SPREADSHEET_SUFFIXES, Header, Sheet, add_notes_sheet, find_header, header_key, is_tool_output,
                     mark_output, read_sheets, report_row, template_setting, write_atomic)
from ..rules.values import is_blank, normalize_text, parse_decimal
from .templates import NOT_JOINING, POLICY_NAME

MISSING, EXTRA, DUPLICATE_UNITS, DUPLICATE_SAME, AMOUNT, UNIT = (
    "系统缺少", "系统多出", "跨单位重复", "同单位重复", "金额不一致", "单位不一致")
KINDS = (MISSING, EXTRA, DUPLICATE_UNITS, DUPLICATE_SAME, AMOUNT, UNIT)
ROSTER_SIDE, SYSTEM_SIDE = "名册", "系统"
_UNIT_LABELS = {header_key(w) for w in ("单位名称", "参互单位", "参互单位名称", "单位")}


@dataclass(frozen=True)
class Member:
    key: str                  # normalised ID number (or the cleaned text of an invalid one)
    name: str
    unit: str
    fen: int | None           # fee in fen; None when the row has none
    file: str
    sheet: str
    row: int

    @property
    def where(self) -> str:
        return f"{Path(self.file).name}「{self.sheet}」第 {self.row} 行"


@dataclass(frozen=True)
class Difference:
    kind: str
    key: str
    name: str
    detail: str
    roster: tuple[Member, ...] = ()
    system: tuple[Member, ...] = ()
    fen: int = 0              # roster minus system, for amount differences


@dataclass
class UnitLine:
    unit: str
    roster_members: int = 0
    system_members: int = 0
    roster_fen: int = 0
    system_fen: int = 0

    @property
    def difference_fen(self) -> int:
        return self.roster_fen - self.system_fen

    @property
    def matches(self) -> bool:
        return self.roster_members == self.system_members and self.difference_fen == 0


@dataclass
class Reconciliation:
    roster_files: list[str]
    export_file: str
    units: dict[str, UnitLine] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)
    problems: list[MutualAidError] = field(default_factory=list)
    recomputed: list[str] = field(default_factory=list)      # notes: template formulas recomputed, once per file
    skipped: list[str] = field(default_factory=list)   # the tool's own files found in a folder, not read

    def count(self, kind: str) -> int:
        return sum(1 for d in self.differences if d.kind == kind)

    def fen(self, kind: str) -> int:
        return sum(d.fen for d in self.differences if d.kind == kind)

    @property
    def clean(self) -> bool:
        return not self.differences and not self.problems and all(u.matches for u in self.units.values())


def _unit_above(sheet: Sheet, header: Header) -> str | None:
    """A 单位名称 written above the header: "单位名称：X" in one cell or the label then X beside it."""
    for row in sheet.rows[:header.row_index]:
        for col, value in enumerate(row):
            if not isinstance(value, str):
                continue
            label, _sep, rest = normalize_text(value).replace(":", "：").partition("：")
            if header_key(re.sub(r"[(（].*?[)）]$", "", label)) not in _UNIT_LABELS:
                continue
            if rest.strip():
                return rest.strip()
            later = [v for v in row[col + 1:] if not is_blank(v)]
            if later:
                return normalize_text(str(later[0]))
    return None


def _recompute(sheets: list[Sheet], path: Path, notes: list[str]) -> None:
    """A roster made from the template: its 交费金额 formulas as the policy it names computes them."""
    policy_id = template_setting(sheets, POLICY_NAME)
    if policy_id is None:
        return
    try:
        policy = get_policy(str(policy_id))
    except MutualAidError:
        return
    note = recompute_roster(sheets, policy, str(path))
    if note:
        notes.append(note)


def read_members(path: Path | str, side: str, problems: list[MutualAidError],
                 notes: list[str] | None = None) -> list[Member]:
    """Members of every roster-like sheet of a file (rosters: 未参 rows left out)."""
    path = Path(path)
    members: list[Member] = []
    found = False
    sheets = read_sheets(path, skip_hidden=True)
    if notes is not None:
        _recompute(sheets, path, notes)
    for sheet in sheets:
        header = find_header(sheet, FIELDS)
        if sheet.hidden or header is None or "id_number" not in header.columns:
            continue
        found = True
        cols = header.columns
        sheet_unit = _unit_above(sheet, header)
        if sheet_unit is None and "unit" not in cols:
            if side == SYSTEM_SIDE:
                raise InputError("系统导出表没有“单位名称”列，无法按单位对账", file=str(path), sheet=sheet.name)
            sheet_unit = path.stem

        def where(index, key, message):
            col = cols.get(key)
            column = None if col is None else f"{sheet.letter(col)}（{header.titles[key]}）"
            problems.append(MutualAidError(message, file=path.name, sheet=sheet.name, row=sheet.excel_row(index),
                                           column=column))

        def cell(row, key):
            col = cols.get(key)
            return row[col] if col is not None and col < len(row) else None

        for index in range(header.row_index + 1, len(sheet.rows)):
            row = sheet.rows[index]
            raw_id, fee = cell(row, "id_number"), cell(row, "fee")
            if is_blank(raw_id) and is_blank(cell(row, "name")):
                continue
            if NOT_JOINING in (normalize_text(str(cell(row, "membership") or "")), normalize_text(str(fee or ""))):
                continue
            try:
                key = normalize_id(raw_id)
            except InputError as error:
                where(index, "id_number", error.message)
                if is_blank(raw_id):
                    continue
                key = normalize_text(str(raw_id)).upper()
            fen = None
            if "fee" in cols:
                try:
                    fen = int(parse_decimal(fee, "fee") * 100)
                    if fen >= MAX_FEE_FEN:
                        fen = None
                        raise InputError("过大，不像交费金额（是否把身份证号等填到了这一列？）")
                except InputError as error:
                    where(index, "fee", f"交费金额{error.message}")
            unit = cell(row, "unit")
            unit = normalize_text(str(unit)) if not is_blank(unit) else sheet_unit or path.stem
            members.append(Member(key, normalize_text(str(cell(row, "name") or "")), unit, fen, str(path),
                                  sheet.name, sheet.excel_row(index)))
    if not found:
        raise InputError("找不到名单的表头（需要“身份证号”和“姓名”等列）", file=str(path))
    return members


MAX_FEE_FEN = 10**12   # ten billion yuan for one member: no fee, most likely an ID number in the wrong column


def _yuan(fen: int) -> str:
    return f"{Decimal(fen).scaleb(-2):,.2f}"


def roster_files(paths: list[Path | str], skipped: list[str] | None = None) -> list[Path]:
    """The files named, with a folder standing for the spreadsheets directly in it; the tool's own
    reports, outputs and backups (and Office's ~$ lock files) in a folder are skipped and added to ``skipped``."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SPREADSHEET_SUFFIXES)
            ours = [p for p in found if is_tool_output(p)]
            if skipped is not None:
                skipped += [str(p) for p in ours if not p.name.startswith(("~$", "."))]
            found = [p for p in found if p not in ours]
            if not found:
                raise InputError("文件夹中没有表格文件（.xlsx/.xls/.ods/.csv）", file=str(path))
            files += found
        else:
            files.append(path)
    return files


def reconcile(rosters: list[Path | str], export: Path | str) -> Reconciliation:
    skipped: list[str] = []
    rosters = roster_files(rosters, skipped)
    result = Reconciliation([str(p) for p in rosters], str(export), skipped=skipped)
    ours = [m for path in rosters for m in read_members(path, ROSTER_SIDE, result.problems, result.recomputed)]
    theirs = read_members(export, SYSTEM_SIDE, result.problems)
    by_key: dict[str, tuple[list[Member], list[Member]]] = defaultdict(lambda: ([], []))
    for side, members in ((0, ours), (1, theirs)):
        for m in members:
            by_key[m.key][side].append(m)
            line = result.units.setdefault(m.unit, UnitLine(m.unit))
            if side == 0:
                line.roster_members += 1
                line.roster_fen += m.fen or 0
            else:
                line.system_members += 1
                line.system_fen += m.fen or 0
    add = result.differences.append
    for key, (mine, system) in by_key.items():
        name = (mine or system)[0].name
        for side_name, group in ((ROSTER_SIDE, mine), (SYSTEM_SIDE, system)):
            if len(group) > 1:
                units = list(dict.fromkeys(m.unit for m in group))
                kind = DUPLICATE_UNITS if len(units) > 1 else DUPLICATE_SAME
                add(Difference(kind, key, name, f"{side_name}中出现 {len(group)} 次（{'、'.join(units)}）",
                               tuple(mine) if side_name == ROSTER_SIDE else (),
                               tuple(system) if side_name == SYSTEM_SIDE else ()))
        if not system:
            fen = sum(m.fen or 0 for m in mine)
            add(Difference(MISSING, key, name, f"名册有（{mine[0].unit}），系统中没有", tuple(mine), (), fen))
        elif not mine:
            fen = -sum(m.fen or 0 for m in system)
            add(Difference(EXTRA, key, name, f"系统有（{system[0].unit}），名册中没有", (), tuple(system), fen))
        else:
            a, b = mine[0], system[0]
            if a.unit != b.unit:
                add(Difference(UNIT, key, name, f"名册单位“{a.unit}”，系统单位“{b.unit}”", (a,), (b,)))
            if a.fen is not None and b.fen is not None and a.fen != b.fen:
                add(Difference(AMOUNT, key, name, f"名册 {_yuan(a.fen)} 元，系统 {_yuan(b.fen)} 元", (a,), (b,),
                               a.fen - b.fen))
    order = {kind: i for i, kind in enumerate(KINDS)}
    result.differences.sort(key=lambda d: (order[d.kind], d.key))
    return result


# ------------------------------------------------------------------ report

UNIT_HEADERS = ("单位", "名册人数", "系统人数", "人数差", "名册金额", "系统金额", "金额差（名册−系统）", "结果")
DIFF_HEADERS = ("序号", "类型", "身份证号", "姓名", "说明", "金额差（名册−系统）", "名册位置", "系统位置")


def summary_rows(result: Reconciliation) -> list[tuple[str, int, str]]:
    return [(kind, result.count(kind), _yuan(result.fen(kind))) for kind in KINDS]


def write_report(result: Reconciliation, path: Path | str) -> Path | None:
    """对账结果 workbook (单位对账, 差异明细, 读取问题, 说明); IDs and names masked."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    def writer(tmp: Path):
        wb = Workbook(write_only=True)

        def money(ws, fen):
            cell = WriteOnlyCell(ws, Decimal(fen).scaleb(-2))
            cell.number_format = "#,##0.00"
            return cell

        ws = wb.create_sheet("单位对账")
        ws.freeze_panes = "A2"
        ws.column_dimensions["A"].width = 32
        ws.append(list(UNIT_HEADERS))
        for line in sorted(result.units.values(), key=lambda u: (u.matches, u.unit)):
            ws.append(report_row(ws, [line.unit, line.roster_members, line.system_members,
                                    line.roster_members - line.system_members, money(ws, line.roster_fen),
                                    money(ws, line.system_fen), money(ws, line.difference_fen),
                                    "一致" if line.matches else "不一致"]))
        lines = result.units.values()
        ws.append(["合计", sum(u.roster_members for u in lines), sum(u.system_members for u in lines),
                   sum(u.roster_members - u.system_members for u in lines),
                   money(ws, sum(u.roster_fen for u in lines)), money(ws, sum(u.system_fen for u in lines)),
                   money(ws, sum(u.difference_fen for u in lines)), None])
        ws = wb.create_sheet("差异明细")
        ws.freeze_panes = "A2"
        for letter, width in zip("ABCDEFGH", (7, 12, 21, 8, 50, 14, 40, 40)):
            ws.column_dimensions[letter].width = width
        ws.append(list(DIFF_HEADERS))
        for number, d in enumerate(result.differences, 1):
            ws.append(report_row(ws, [number, d.kind, mask_id(d.key), mask_name(d.name), d.detail,
                                    money(ws, d.fen) if d.fen else None, "；".join(m.where for m in d.roster),
                                    "；".join(m.where for m in d.system)]))
        ws = wb.create_sheet("读取问题")
        ws.append(["序号", "位置", "原因"])
        for number, error in enumerate(result.problems, 1):
            ws.append(report_row(ws, [number, error.where(), error.message]))
        add_notes_sheet(wb, notes(result))
        mark_output(wb)
        wb.save(tmp)

    return write_atomic(path, writer)


def notes(result: Reconciliation) -> list[str]:
    lines = [f"系统导出：{Path(result.export_file).name}",
             f"名册：{'、'.join(Path(p).name for p in result.roster_files)}"]
    lines += result.recomputed
    if result.skipped:
        lines.append(f"跳过本工具写出的文件：{'、'.join(Path(p).name for p in result.skipped)}")
    lines += [f"{kind}：{count} 人，金额差 {fen} 元" for kind, count, fen in summary_rows(result)]
    lines.append("按身份证号匹配（15位旧号升为18位、全角与小写x已统一）；标“未参”的人员不计。身份证号与姓名已打码，"
                 "请按“名册位置”“系统位置”找到原行。")
    return lines
