"""运行情况统计表 (张工办〔2020〕51号 附件1) from the rosters and the claims registers (`mutualaid stats`).

说明 1: 参与职工人数 and 筹集资金 per 互助期 — each roster's period is its 设置 sheet's policy
(or --policy); members count once by ID within a period, the fee is the policy's (members.py).
说明 2: 救助情况 for the natural year, 1 January to the cut-off (12月30日, or --as-of), by the
register's 支付日期; 重大疾病 by its 是否重大疾病 column. Amounts are what `mutualaid claims` computes.
说明 3: the balance is a native formula: 上期结余 + 筹集资金 − 上缴 + 回拨 − 已支付 − 已审批未支付, the
last term counting claims approved (审批日期) on or before the cut-off and not paid by then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from openpyxl.styles import Alignment, Protection

from ..errors import InputError, MutualAidError
from ..rules.idcard import mask_ids_in
from ..rules.money import round_half_up
from ..rules.policy import Policy, get_policy
from ..rules.values import is_blank, parse_bool, parse_date
from .claims import FIELDS as CLAIM_FIELDS, ClaimsResult, computed_positions, compute_register, yuan_of_fen
from .members import Members, fees, read_members
from .reconcile import roster_files
from .sheets import find_header, write_atomic
from .templates import STATS, workbook

REGISTER_FIELDS = {
    "approved": ("审批日期", "审核日期", "批准日期"),
    "paid": ("支付日期", "发放日期", "付款日期"),
    "serious": ("是否重大疾病", "重大疾病", "是否大病"),
}


@dataclass
class Period:
    label: str
    policy: Policy
    files: list[str]
    rows: int
    members: int
    raised_fen: int


@dataclass
class Aid:
    """The natural year's 救助情况 from the registers; None where a column is missing."""
    members: int | None = None
    paid_fen: int | None = None
    benefit_fen: int | None = None      # 补助金 (with 保底补足)
    allowance_fen: int | None = None    # 住院补贴
    serious: int | None = None
    serious_fen: int | None = None
    unpaid_fen: int | None = None
    rows: int = 0
    paid_rows: int = 0
    unpaid_rows: int = 0
    files: list[str] = field(default_factory=list)


@dataclass
class Stats:
    year: int
    as_of: dt.date
    periods: list[Period]
    aid: Aid
    opening: Decimal | None
    remitted: Decimal | None
    returned: Decimal | None
    problems: list[MutualAidError] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)   # figures the data cannot give

    @property
    def start(self) -> dt.date:
        return dt.date(self.year, 1, 1)


def _periods(members: Members, policy: str | None, problems: list) -> list[Period]:
    groups: dict[str, list] = {}
    for book in members.files:
        groups.setdefault(policy or book.policy_id or "", []).append(book)
    out = []
    for policy_id, books in groups.items():
        chosen = get_policy(policy_id or None)
        total, counted, found = fees([m for b in books for m in b.members], chosen)
        problems += found
        out.append(Period(chosen.period, chosen, [b.file for b in books], sum(b.rows for b in books), counted, total))
    return out


class _RegisterRows:
    """The register's 审批日期, 支付日期 and 是否重大疾病 cells of one computed row; bad cells become problems."""

    def __init__(self, result: ClaimsResult, problems: list):
        self.result, self.problems = result, problems
        header = find_header(result.sheet, {**CLAIM_FIELDS, **REGISTER_FIELDS})
        self.titles = header.titles if header else {}
        self.cols = {k: header.columns.get(k) if header else None for k in REGISTER_FIELDS}

    def _error(self, index: int, key: str, message: str) -> None:
        sheet = self.result.sheet
        self.problems.append(MutualAidError(message, file=Path(self.result.file).name, sheet=sheet.name,
                                            row=sheet.excel_row(index),
                                            column=f"{sheet.letter(self.cols[key])}（{self.titles[key]}）"))

    def value(self, index: int, key: str, parse):
        col = self.cols[key]
        row = self.result.sheet.rows[index]
        cell = row[col] if col is not None and col < len(row) else None
        if is_blank(cell):
            return None
        try:
            return parse(cell, REGISTER_FIELDS[key][0])
        except InputError as error:
            self._error(index, key, error.message)
            return None


def _aid(registers: list[Path], policy: str | None, start: dt.date, end: dt.date, problems: list,
         missing: list) -> Aid:
    aid = Aid(0, 0, 0, 0, 0, 0, 0)
    members, serious = set(), set()
    lacking: set[str] = set()
    for path in roster_files(registers):
        result: ClaimsResult = compute_register(path, policy, summaries=False)
        problems += result.problems
        aid.files.append(path.name)
        aid.rows += len(result.rows)
        cells = _RegisterRows(result, problems)
        for key, col in cells.cols.items():
            if col is None:
                lacking.add(key)
                problems.append(MutualAidError(
                    f"登记表没有“{REGISTER_FIELDS[key][0]}”列（可用：{'、'.join(REGISTER_FIELDS[key])}）："
                    f"{_NEEDS[key]}无法统计", file=path.name, sheet=result.sheet.name))
        for position in computed_positions(result):
            index = result.rows[position]
            paid = cells.value(index, "paid", parse_date)
            approved = cells.value(index, "approved", parse_date)
            amount = int(result.amounts.amount_fen[position])
            if paid is not None and start <= paid <= end:
                aid.paid_rows += 1
                aid.paid_fen += amount
                allowance = int(round_half_up(result.amounts.parts(position)[1], Decimal("0.01")).scaleb(2))
                aid.allowance_fen += allowance
                aid.benefit_fen += amount - allowance
                members.add(result.keys[position])
                if cells.value(index, "serious", parse_bool):
                    aid.serious_fen += amount
                    serious.add(result.keys[position])
            elif approved is not None and approved <= end and (paid is None or paid > end):
                aid.unpaid_rows += 1
                aid.unpaid_fen += amount
    aid.members, aid.serious = len(members), len(serious)
    if "paid" in lacking:
        aid.members = aid.paid_fen = aid.benefit_fen = aid.allowance_fen = aid.serious = aid.serious_fen = None
        missing += ["救助职工人数", "支付互助金", "其中救助患重大疾病职工人数及支付互助金"]
    elif "serious" in lacking:
        aid.serious = aid.serious_fen = None
        missing.append("其中救助患重大疾病职工人数及支付互助金")
    if "approved" in lacking:
        aid.unpaid_fen = None
        missing.append("已审批未支付的互助金（结余未扣除）")
    return aid


_NEEDS = {"approved": "已审批未支付的互助金", "paid": "救助职工人数和支付互助金", "serious": "重大疾病救助人数和金额"}


def compute_stats(rosters: list[Path | str], registers: list[Path | str], year: int, *, as_of: dt.date | None = None,
                  policy: str | None = None, opening: Decimal | None = None, remitted: Decimal | None = None,
                  returned: Decimal | None = None) -> Stats:
    as_of = as_of or dt.date(year, 12, 30)
    problems: list[MutualAidError] = []
    missing: list[str] = []
    members = read_members(rosters)
    problems += members.problems
    periods = _periods(members, policy, problems)
    aid = _aid([Path(p) for p in registers], policy, dt.date(year, 1, 1), as_of, problems, missing)
    for name, value in (("上期结余", opening), ("上缴市总工会金额", remitted), ("市总累计回拨金额", returned)):
        if value is None:
            missing.append(f"{name}（请在表中填写或用选项给出）")
    return Stats(year, as_of, periods, aid, opening, remitted, returned, problems, missing)


def balance_fen(stats: Stats) -> int | None:
    """说明 3's balance, as the sheet's formula computes it; None when a term is unknown."""
    aid = stats.aid
    given = (stats.opening, stats.remitted, stats.returned)
    if None in given or aid.paid_fen is None or aid.unpaid_fen is None:
        return None
    opening, remitted, returned = (int(v.scaleb(2)) for v in given)
    raised = sum(p.raised_fen for p in stats.periods)
    return opening + raised - remitted + returned - aid.paid_fen - aid.unpaid_fen


def summary_rows(stats: Stats) -> list[tuple[str, str]]:
    """(label, figures) of the year on one screen: the command's table and the web page's lines."""
    rows = [(p.label, f"参与 {p.members} 人，筹集 {yuan_of_fen(p.raised_fen):,} 元") for p in stats.periods]
    aid = stats.aid
    if aid.members is not None:
        rows.append(("救助", f"{aid.members} 人，支付 {yuan_of_fen(aid.paid_fen):,} 元"))
    if aid.serious is not None:
        rows.append(("其中重大疾病", f"{aid.serious} 人，支付 {yuan_of_fen(aid.serious_fen):,} 元"))
    if aid.unpaid_fen is not None:
        rows.append(("已审批未支付", f"{yuan_of_fen(aid.unpaid_fen):,} 元"))
    return rows


# ------------------------------------------------------------------ the workbook


def _yuan(fen: int | None) -> Decimal | None:
    return None if fen is None else Decimal(fen).scaleb(-2)


def write_stats(stats: Stats, out: Path | str) -> Path | None:
    """The filled 运行情况统计表 with its 数据来源 sheet."""
    wb = workbook(STATS.file, stats.periods[0].policy.id if stats.periods else None)
    ws = wb[STATS.sheet]
    ws["A1"] = f"{stats.year}年度职工大病医疗互助活动运行情况统计表"
    col = {c.key: STATS.letter(c.key) for c in STATS.columns}
    capacity = STATS.last_row - STATS.first_row   # the last row holds the year's totals
    if len(stats.periods) > capacity:
        raise InputError(f"名册涉及 {len(stats.periods)} 个互助期，统计表只有 {capacity} 行")
    for offset, period in enumerate(stats.periods):
        row = STATS.first_row + offset
        ws[f"{col['period']}{row}"] = period.label
        ws[f"{col['period']}{row}"].alignment = Alignment(vertical="center", wrap_text=True)
        ws[f"{col['members']}{row}"] = period.members
        ws[f"{col['raised']}{row}"] = _yuan(period.raised_fen)
    total = STATS.last_row
    first, last = STATS.first_row, STATS.last_row - 1
    ws[f"{col['period']}{total}"] = f"{stats.year}年度合计"
    ws[f"{col['members']}{total}"] = f"=SUM({col['members']}{first}:{col['members']}{last})"
    ws[f"{col['raised']}{total}"] = f"=SUM({col['raised']}{first}:{col['raised']}{last})"
    aid = stats.aid
    for key, value in (("remitted", stats.remitted), ("returned", stats.returned), ("aided", aid.members),
                       ("aided_paid", _yuan(aid.paid_fen)), ("serious", aid.serious),
                       ("serious_paid", _yuan(aid.serious_fen))):
        ws[f"{col[key]}{total}"] = value
    # the inputs of the balance below the notes: 上期结余 typed or given, 已审批未支付 from the registers
    block = STATS.last_row + 7
    opening, unpaid = f"C{block}", f"C{block + 1}"
    ws[f"A{block}"], ws[opening] = "上期结余", stats.opening
    ws[f"A{block + 1}"], ws[unpaid] = "已审批未支付的互助金", _yuan(aid.unpaid_fen)
    for ref in (opening, unpaid, f"{col['remitted']}{total}", f"{col['returned']}{total}"):
        ws[ref].protection = Protection(locked=False)
        ws[ref].number_format = "0.00"
    ws[f"D{block}"] = "（上年度账面结余，未扣除已审批未支付；由填表人填写或用 --opening-balance 给出）"
    ws[f"D{block + 1}"] = f"（审批日期不晚于 {stats.as_of:%Y年%-m月%-d日}、当日未支付的补助）"
    ws[f"{col['balance']}{total}"] = (
        f"={opening}+{col['raised']}{total}-{col['remitted']}{total}+{col['returned']}{total}"
        f"-{col['aided_paid']}{total}-{unpaid}")
    ws.print_area = f"A1:{col['balance']}{block + 1}"
    _sources(wb.create_sheet("数据来源"), stats)
    return write_atomic(out, lambda tmp: wb.save(tmp))


def _sources(ws, stats: Stats) -> None:
    aid = stats.aid
    window = f"支付日期在 {stats.start:%Y-%m-%d} 至 {stats.as_of:%Y-%m-%d}"
    files = "、".join(aid.files)
    ws.append(["数字", "值", "来源文件", "行数", "依据"])
    for period in stats.periods:
        ws.append([f"{period.label} 参与职工人数", period.members, "、".join(period.files), period.rows,
                   f"名册有效会员按身份证号计一次（方案 {period.policy.id}）"])
        ws.append([f"{period.label} 筹集资金", _yuan(period.raised_fen), "、".join(period.files), period.rows,
                   "每人按方案的交费标准计算"])
    ws.append(["救助职工人数", aid.members, files, aid.paid_rows, window + "，按身份证号计一次"])
    ws.append(["支付互助金", _yuan(aid.paid_fen), files, aid.paid_rows, window + "，按方案计算的补助金额"])
    ws.append(["其中补助金", _yuan(aid.benefit_fen), files, aid.paid_rows, "补助金（含保底补足）"])
    ws.append(["其中住院补贴", _yuan(aid.allowance_fen), files, aid.paid_rows, "住院补贴"])
    ws.append(["其中救助患重大疾病职工人数", aid.serious, files, aid.paid_rows, window + "，是否重大疾病为“是”"])
    ws.append(["重大疾病支付互助金", _yuan(aid.serious_fen), files, aid.paid_rows, window + "，是否重大疾病为“是”"])
    ws.append(["已审批未支付的互助金", _yuan(aid.unpaid_fen), files, aid.unpaid_rows,
               f"审批日期不晚于 {stats.as_of:%Y-%m-%d}，且当日未支付"])
    ws.append([])
    for name in stats.missing:
        ws.append(["缺少", name])
    ws.append([])
    ws.append(["问题", "文件", "工作表", "行", "列", "原因"])
    for number, error in enumerate(stats.problems, 1):
        ws.append([number, error.file, error.sheet, error.row, error.column, mask_ids_in(error.message)])
    for letter, width in zip("ABCDEF", (30, 14, 30, 8, 20, 60)):
        ws.column_dimensions[letter].width = width
    ws.page_setup.orientation, ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = "landscape", 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
