"""A whole claims register (补助登记表) computed with the engine (`mutualaid claims`).

One row per stay. Columns are found by their header names (the header need not be row 1).
首次住院 and 已付补助金 are derived exactly as the Excel template does: a stay is the first
when no earlier row has the same ID number, and 已付补助金 is the sum of the earlier rows'
计入封顶金额 (rows with an error or a blank amount count 0, as SUMIFS ignores text). Whatever
those two columns hold in the file is ignored. 住院天数 left empty is derived from the dates
as the template's formula does: 出院日期 − 入院日期, at least 1. The other dates (参互日期,
医保结算日期, 申请日期) are read by claim_dates before the engine runs.

Amounts and the one-line 说明 come from the column engine, a member's 2nd, 3rd ... stays in
later passes so each sees the cap parts paid before.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable

import numpy as np

from ..rules import dates, engine
from ..errors import InputError, MutualAidError
from ..rules.idcard import normalize_id
from ..rules.policy import Policy, get_policy
from .sheets import (Header, RowWriter, Sheet, fast_workbook, find_header, read_sheets, template_setting,
                     write_atomic)
from ..rules.values import excel_error, is_blank, normalize_text, parse_date, parse_text
from .recompute import register_is_template, register_note
from ..rules.columns import ClaimColumns, SubsidyColumns, subsidy_columns
from .claim_dates import ClaimDates, derive_dates, read_members
from .templates import CLAIMS, POLICY_NAME


def _template(key: str) -> str:
    return next(c.header for c in CLAIMS.columns if c.key == key)


FIELDS: dict[str, tuple[str, ...]] = {
    "name": (_template("name"), "职工姓名", "会员姓名"),
    "id_number": (_template("id_number"), "身份证号码", "公民身份号码", "身份证", "证件号码"),
    "admitted": (_template("admitted"), "入院时间"),
    "discharged": (_template("discharged"), "出院时间"),
    "days": (_template("days"), "天数", "住院天数（天）"),
    "covered_days": (_template("covered_days"), "期内住院天数", "保障期内天数"),
    "self_pay": (_template("self_pay"), "自付金额", "统筹内自付", "自付部分", "个人自付"),
    "total_cost": (_template("total_cost"), "住院总费用", "医疗总费用", "总金额"),
    "years": (_template("years"), "连续年数", "参互年数", "连续参互期数"),
    "shares": (_template("shares"), "参互份数"),
    "settled": (_template("settled"), "结算日期", "医保结算时间", "结算时间"),
    "applied": (_template("applied"), "申请时间", "申领日期", "报送日期"),
    "joined": (_template("joined"), "参互时间", "入会日期", "办理日期"),
    "late_ok": (_template("late_ok"), "逾期特批（是/否）", "特批"),
    "late_note": (_template("late_note"), "特批理由", "特批原因"),
    "unit": (_template("unit"), "单位名称", "所在单位", "工作单位", "参互单位名称"),
    "category": ("人员类别",),   # for the approval forms only
    "hospital": (_template("hospital"), "医院名称", "住院医院", "就诊医院"),
    "diagnosis": (_template("diagnosis"), "疾病诊断", "诊断结果", "病种", "疾病名称"),
    "serious": (_template("serious"), "重大疾病", "是否大病"),
    "chronic": (_template("chronic"), "门诊慢性病", "特殊慢性病", "门诊特殊慢病"),
    "cover_start": (_template("cover_start"), "保障期开始", "保障起始日期"),
    "cover_end": (_template("cover_end"), "保障期结束", "保障截止日期"),
    "approved": (_template("approved"), "审核日期", "审批时间"),
    "paid_on": (_template("paid_on"), "发放日期", "支付时间"),
}
INPUTS = tuple(FIELDS)
OUT_HEADERS = ("原行号", "姓名", "身份证号", "入院日期", "出院日期", "住院天数", "期内天数", "自付费用", "总费用",
               "连续参互年数", "份数", "首次住院", "已付补助金", "计入封顶金额", "补助金额", "说明", "问题",
               "日期核对", "待人工核对")


@dataclass
class ClaimsResult:
    file: str
    sheet: Sheet
    header: Header
    policy: Policy
    rows: list[int]                    # indexes into sheet.rows of the claims
    cells: dict[str, list]             # input values per field, aligned with rows (days derived)
    keys: list[str | None]             # member key per row (normalised ID), None when the ID is blank
    first_stay: np.ndarray
    paid_before_fen: np.ndarray
    claims: ClaimColumns               # the input columns (without the derived history)
    amounts: SubsidyColumns
    problems: list[MutualAidError] = field(default_factory=list)
    row_problem: dict[int, str] = field(default_factory=dict)   # position -> reason shown in 问题
    dates: ClaimDates | None = None
    notes: list[str] = field(default_factory=list)               # once per file, e.g. formulas recomputed

    @property
    def total_fen(self) -> int:
        return int(self.amounts.amount_fen.sum())

    def computed(self) -> int:
        return len(self.rows) - int(self.amounts.blank.sum()) - len(self.amounts.errors)


def _pick_sheet(sheets: list[Sheet], path: Path) -> tuple[Sheet, Header]:
    ordered = sorted(sheets, key=lambda s: s.name != CLAIMS.sheet)
    for sheet in ordered:
        if sheet.hidden:
            continue
        header = find_header(sheet, FIELDS)
        if header and "id_number" in header.columns and ({"self_pay", "total_cost", "days"} & set(header.columns)):
            return sheet, header
    raise InputError(
        f"找不到补助登记表的表头：需要“{_template('id_number')}”以及“{_template('self_pay')}”或"
        f"“{_template('total_cost')}”“{_template('days')}”等列（可用模板 {CLAIMS.file}）", file=str(path))


def _cell(row: list, col: int | None):
    return row[col] if col is not None and col < len(row) else None


def compute_register(path: Path | str, policy: Policy | str | None = None,
                     roster: Path | str | list | None = None, *, summaries: bool = True) -> ClaimsResult:
    """Read and compute a claims register; problems are collected per row, never raised.
    ``roster`` (this period's, and earlier periods' rosters) gives members' 参互日期 and
    participation history where the register has none. ``summaries``: each row's 说明 too
    (callers that only need amounts leave them out)."""
    path = Path(path)
    sheets = read_sheets(path)
    sheet, header = _pick_sheet(sheets, path)
    if not isinstance(policy, Policy):
        in_book = template_setting(sheets, POLICY_NAME)
        policy = get_policy(policy or (None if in_book is None else parse_text(in_book, "policy")))
    cols = {key: header.columns.get(key) for key in INPUTS}
    problems: list[MutualAidError] = []
    row_problem: dict[int, str] = {}

    def problem(position: int, key: str | None, reason: str) -> None:
        col = cols.get(key) if key else None
        column = f"{sheet.letter(col)}（{header.titles[key]}）" if col is not None else None
        problems.append(MutualAidError(reason, file=path.name, sheet=sheet.name,
                                       row=sheet.excel_row(rows[position]), column=column))
        row_problem.setdefault(position, reason)

    template = register_is_template(sheet)

    def filled(value) -> bool:   # in a template, an uncalculated 住院天数 formula is not data
        return not is_blank(value) and not (template and excel_error(value))

    rows = [i for i in range(header.row_index + 1, len(sheet.rows))
            if any(filled(_cell(sheet.rows[i], c)) for c in cols.values())]
    cells = {key: [_cell(sheet.rows[i], cols[key]) for i in rows] for key in INPUTS}
    cached_days = list(cells["days"])
    if template:   # 住院天数 is the template's formula: always what the dates give
        for position, days in enumerate(cached_days):
            both = not is_blank(cells["admitted"][position]) and not is_blank(cells["discharged"][position])
            if both or excel_error(days):
                cells["days"][position] = ""
    keys: list[str | None] = []
    for position, value in enumerate(cells["id_number"]):
        if is_blank(value):
            keys.append(None)
            problem(position, "id_number", "身份证号为空：有住院数据的行必须填写身份证号")
            continue
        try:
            keys.append(normalize_id(value))
        except InputError as error:
            keys.append(normalize_text(str(value)).upper())
            problem(position, "id_number", error.message)
    for position, days in enumerate(cells["days"]):
        if not is_blank(days) or is_blank(cells["admitted"][position]) or is_blank(cells["discharged"][position]):
            continue
        try:
            start = parse_date(cells["admitted"][position], "admitted")
            end = parse_date(cells["discharged"][position], "discharged")
        except InputError as error:
            problem(position, error.argument, error.message)
            continue
        if end < start:
            problem(position, "discharged", f"出院日期 {end:%Y-%m-%d} 早于入院日期 {start:%Y-%m-%d}")
        else:
            cells["days"][position] = dates.stay_days(start, end)
    derived = derive_dates(policy, cells, keys, read_members(roster) if roster else {}, problem)

    claims = ClaimColumns.from_cells(cells["self_pay"], cells["days"], cells["years"], None, None,
                                     cells["covered_days"], cells["total_cost"], cells["shares"])
    n = len(rows)
    first_stay, paid_before = np.ones(n, bool), np.zeros(n, np.int64)
    amounts = SubsidyColumns(np.zeros(n, np.int64), np.zeros(n, np.int64), np.ones(n, bool), {}, {},
                             np.zeros((n, 3), np.int64), np.ones(n, np.int64), [None] * n if summaries else None)
    member = {k: i for i, k in enumerate(dict.fromkeys(k for k in keys if k is not None))}
    codes = np.array([-1 if k is None else member[k] for k in keys], np.int64)
    rank = np.zeros(n, np.int64)
    seen: dict[int, int] = {}
    for position, code in enumerate(codes.tolist()):
        if code >= 0:
            rank[position] = seen.get(code, 0)
            seen[code] = rank[position] + 1
    paid = np.zeros(len(member), np.int64)
    for r in range(int(rank.max(initial=-1)) + 1):   # a member's r-th stay sees the stays before it
        idx = np.flatnonzero((rank == r) & (codes >= 0))
        first_stay[idx], paid_before[idx] = r == 0, paid[codes[idx]]
        part = _pass(policy, derived, claims, idx, first_stay[idx], paid_before[idx], summaries)
        np.add.at(paid, codes[idx], part.cap_part_fen)
        amounts.amount_fen[idx], amounts.cap_part_fen[idx] = part.amount_fen, part.cap_part_fen
        amounts.blank[idx] = part.blank
        amounts.parts_num[idx], amounts.parts_den[idx] = part.parts_num, part.parts_den
        amounts.errors.update({int(idx[i]): e for i, e in part.errors.items()})
        amounts.scalar_results.update({int(idx[i]): s for i, s in part.scalar_results.items()})
        for i, text in zip(idx.tolist(), part.summaries or ()):
            amounts.summaries[i] = text
    for position in np.flatnonzero(amounts.blank & (codes >= 0)).tolist():
        problem(position, "self_pay" if "self_pay" in header.columns else "days",
                "自付费用和住院天数都为空：本行未计算，但按登记表公式仍算作该会员的一次住院，请补全或删除本行")
    for position, reason in derived.withheld.items():
        if position not in amounts.errors and not amounts.blank[position]:
            amounts.errors[position] = InputError(reason)
    for position, error in sorted(amounts.errors.items()):
        if error.argument == "days" and position in row_problem:
            continue  # the dates already say why 住院天数 is missing
        problem(position, error.argument if error.argument in INPUTS else None, error.message)
    problems.sort(key=lambda e: e.row or 0)
    result = ClaimsResult(str(path), sheet, header, policy, rows, cells, keys, first_stay, paid_before, claims,
                          amounts, problems, row_problem, derived)
    if template:
        note = _formula_note(result, cached_days)
        if note:
            result.notes.append(note)
    return result


def _formula_note(result: ClaimsResult, cached_days: list) -> str | None:
    """Whether the file's own formula results differ from the engine's (said once per file)."""
    from openpyxl.utils import column_index_from_string

    sheet, amounts = result.sheet, result.amounts
    cached, computed = {}, {}
    for key, fen in (("cap_part", amounts.cap_part_fen), ("amount", amounts.amount_fen)):
        col = column_index_from_string(CLAIMS.letter(key)) - sheet.origin_col
        cached[key] = [_cell(sheet.rows[i], col) for i in result.rows]
        computed[key] = ["" if amounts.blank[p] else None if p in amounts.errors else yuan_of_fen(fen[p])
                         for p in range(len(result.rows))]
    return register_note(result.file, result.policy, cached_days, result.cells["days"], cached, computed)


def _pass(policy: Policy, derived: ClaimDates, claims: ClaimColumns, idx, first_stay, paid_before,
          summaries: bool) -> SubsidyColumns:
    """One pass of the register: chronic outpatient rows with their policy, withheld rows paying 0."""
    part = subsidy_columns(policy, claims.take(idx).with_history(first_stay, paid_before), summaries)
    chronic = derived.chronic[idx]
    if chronic.any():
        sub = np.flatnonzero(chronic)
        other = subsidy_columns(derived.chronic_policy, claims.take(idx[sub]).with_history(first_stay[sub],
                                                                                           paid_before[sub]), summaries)
        for name in ("amount_fen", "cap_part_fen", "blank", "parts_num", "parts_den"):
            getattr(part, name)[sub] = getattr(other, name)
        for i, text in zip(sub.tolist(), other.summaries or ()):
            part.summaries[i] = text
        for store in ("errors", "scalar_results"):
            mine = getattr(part, store)
            for i in sub.tolist():
                mine.pop(i, None)
            mine.update({int(sub[i]): value for i, value in getattr(other, store).items()})
    held = np.array([int(i) in derived.withheld for i in idx.tolist()], bool)
    part.amount_fen[held], part.cap_part_fen[held] = 0, 0
    return part


def stay_result(result: ClaimsResult, position: int) -> engine.SubsidyResult:
    """The scalar engine's result (with its explanation) for a computed row, history included."""
    if position in result.amounts.scalar_results:
        return result.amounts.scalar_results[position]
    stay = dataclasses.replace(result.claims.stay(position), first_stay=bool(result.first_stay[position]),
                               paid_before=yuan_of_fen(result.paid_before_fen[position]))
    chronic = result.dates is not None and result.dates.chronic[position]
    return engine.compute_subsidy(result.dates.chronic_policy if chronic else result.policy, stay)


def explanation(result: ClaimsResult, position: int) -> str:
    """The one-line 说明 of a computed row (from the column engine when computed with summaries)."""
    if result.amounts.summaries is not None:
        return result.amounts.summaries[position]
    return stay_result(result, position).summary


def computed_positions(result: ClaimsResult) -> list[int]:
    return [p for p in range(len(result.rows)) if not result.amounts.blank[p] and p not in result.amounts.errors]


def yuan_of_fen(value: int) -> Decimal:
    return Decimal(int(value)).scaleb(-2).quantize(Decimal("0.01"))


WIDTHS = (7, 9, 21, 11, 11, 7, 7, 11, 11, 8, 6, 8, 11, 11, 11, 60, 40, 40, 50)


def write_result(result: ClaimsResult, out: Path | str, *, detail: bool = True,
                 progress: Callable[[int], None] | None = None) -> Path | None:
    """The computed register as a new workbook (计算结果, 问题, 说明); returns the kept backup.
    ``progress`` is called with the number of rows written, every 1,000 rows.

    Written with xlsxwriter in constant-memory mode (rows go to disk as they are written);
    amounts are whole fen / 100, which xlsxwriter stores as the exact 2-decimal text."""
    amounts, cells = result.amounts, result.cells

    def writer(tmp: Path):
        wb = fast_workbook(tmp)
        money = wb.add_format({"num_format": "#,##0.00"})
        ws = wb.add_worksheet("计算结果")
        ws.freeze_panes(1, 0)
        for index, width in enumerate(WIDTHS):
            ws.set_column(index, index, width)
        rows = RowWriter(wb, ws)
        rows.append(OUT_HEADERS)
        formats = [None] * 12 + [money, money, money] + [None] * 4
        inputs = [cells[k] for k in ("name", "id_number", "admitted", "discharged", "days", "covered_days",
                                     "self_pay", "total_cost", "years", "shares")]
        paid_before = (result.paid_before_fen / 100).tolist()
        cap_part, amount = (amounts.cap_part_fen / 100).tolist(), (amounts.amount_fen / 100).tolist()
        for position, index in enumerate(result.rows):
            done = not amounts.blank[position] and position not in amounts.errors
            key = result.keys[position] is not None
            values = [result.sheet.excel_row(index), *(column[position] for column in inputs),
                      ("是" if result.first_stay[position] else "否") if key else None,
                      paid_before[position] if key else None,
                      cap_part[position] if done else None, amount[position] if done else None,
                      explanation(result, position) if done and detail else None,
                      result.row_problem.get(position),
                      result.dates.note.get(position) if result.dates else None,
                      "；".join(result.dates.manual.get(position, ())) if result.dates else None]
            if values[2] is not None and not isinstance(values[2], str):
                values[2] = str(values[2])
            rows.append(values, formats)
            if progress and (position + 1) % 1000 == 0:
                progress(position + 1)
        rows.append(["合计", *[None] * 12, yuan_of_fen(amounts.cap_part_fen.sum()), yuan_of_fen(result.total_fen)],
                    formats)
        rows = RowWriter(wb, wb.add_worksheet("问题"))
        rows.append(["序号", "工作表", "行", "列", "原因"])
        for number, error in enumerate(result.problems, 1):
            rows.append([number, error.sheet, error.row, error.column, error.message])
        if not result.problems:
            rows.append([None, None, None, None, "未发现问题"])
        ws = wb.add_worksheet("说明")
        ws.set_column(0, 0, 100)
        rows = RowWriter(wb, ws)
        for line in notes(result):
            rows.append([line])
        wb.close()

    return write_atomic(out, writer)


def notes(result: ClaimsResult) -> list[str]:
    return [
        f"方案：{result.policy.title}",
        f"来源：{Path(result.file).name}，工作表「{result.sheet.name}」，共 {len(result.rows)} 行住院记录；"
        f"计算 {result.computed()} 行，问题 {len(result.problems)} 个；补助金额合计 {yuan_of_fen(result.total_fen):,} 元",
        "首次住院、已付补助金按同一身份证号在上方各行得出（与模板公式相同），文件中原有的这两列不使用。",
        "住院天数为空时按 出院日期 − 入院日期（至少 1 天）计算。原登记表未被改动。",
        *(result.dates.notes if result.dates else ()),
        *result.notes,
    ]
