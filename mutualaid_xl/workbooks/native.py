"""Native formulas in the templates: the policy's parameter table on 设置, the hidden helper
sheets, and the computed columns that need no add-in (from ``rules.formulas``).

The layouts stay in ``templates``; this module gets them as arguments (templates imports it).
"""

from __future__ import annotations

from openpyxl.styles import Alignment, Font, Protection

from ..rules import formulas as fx
from ..rules import member_formulas as mfx
from ..rules.policy import Policy

PARAM_TITLE_ROW = 7        # on 设置: the title of the parameter table, its header, then one row per value
PARAM_FIRST_ROW = PARAM_TITLE_ROW + 2
REGISTER_HELPER = "补助计算"
ROSTER_HELPER = "名册计算"
DETAIL_HINT = "说明需安装职工互助加载项"
NATIVE_COLUMNS = {"roster.xlsx": ("fee", "eligible"), "claims_register.xlsx": ("cap_part", "amount")}


def _rows(formula: str, first: int, last: int):
    for row in range(first, last + 1):
        yield row, formula.replace("§", str(row))


def _helper_sheet(wb, helper: fx.Helper, header_row: int, first: int, last: int) -> None:
    ws = wb.create_sheet(helper.sheet)
    ws.sheet_state = "hidden"
    ws["A1"] = "本表是模板公式的中间结果（由 mutualaid templates build 生成），请勿修改"
    for index, (header, formula) in enumerate(helper.columns, 1):
        ws.cell(header_row, index, header)
        for row, text in _rows(formula, first, last):
            ws.cell(row, index, text)
    ws.protection.sheet = True


def write_params(wb, settings_sheet: str, policy: Policy, params: fx.Params) -> None:
    """The parameter table under the 设置 sheet's settings, with the policy it was built for."""
    ws = wb[settings_sheet]
    bold = Font(name="宋体", bold=True)
    notes = {PARAM_TITLE_ROW - 2: "依据文件：" + "；".join(policy.documents),
             PARAM_TITLE_ROW - 1: f"本工作簿的公式按方案 {policy.id}（{policy.name}）生成，下表数值取自方案文件；"
             f"换方案请运行 mutualaid templates build 目录 --policy 方案编号 重新生成，只改上面的方案编号不会换算。"}
    for row, note in notes.items():
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
        ws.cell(row, 1, note).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[row].height = 15 * (1 + len(note) // 60)
    ws.cell(PARAM_TITLE_ROW, 1, "方案参数（公式读取本表，请勿修改；依据为方案文件中该条规则的文号和条款）").font = bold
    for col, head in enumerate(("参数", "值", "依据（文号）"), 1):
        ws.cell(PARAM_TITLE_ROW + 1, col, head).font = bold
    for offset, (label, value, source) in enumerate(params.rows):
        row = params.first_row + offset
        ws.cell(row, 1, label)
        ws.cell(row, 2, value).protection = Protection(locked=True)
        ws.cell(row, 3, source).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width or 0, 34)
    ws.print_area = f"A1:C{params.first_row + len(params.rows)}"


def register_formulas(wb, policy: Policy, layout, policy_name: str, params: fx.Params) -> str | None:
    """Native 补助金额 and 计入封顶金额 in a register; returns why not (the add-in functions stay) or None."""
    ws = wb[layout.sheet]
    row_id = f'${layout.letter("id_number")}§'
    if policy.subsidy is None:
        missing = f'=IF({row_id}="","","{fx.ERROR_PREFIX}本期未配置补助规则（方案 {policy.id}）")'
        cells = {"amount": missing, "cap_part": missing}
    else:
        reg = fx.Register(layout.sheet, layout.letters, policy_name)
        try:
            made = fx.subsidy_formulas(policy, reg, params, REGISTER_HELPER)
        except fx.NotNative as error:
            return str(error)
        _helper_sheet(wb, made.helper, layout.header_row, layout.first_row, layout.last_row)
        cells = {"amount": made.amount, "cap_part": made.cap_part}
    for key, formula in cells.items():
        letter = layout.letter(key)
        for row, text in _rows(formula, layout.first_row, layout.last_row):
            ws[f"{letter}{row}"] = text
    return None


def roster_formulas(wb, policy: Policy, layout, date_name: str, policy_name: str, params: fx.Params) -> None:
    """Native 交费金额 and 资格 in a roster."""
    ws = wb[layout.sheet]
    made = mfx.member_formulas(policy, mfx.Roster(layout.sheet, layout.letters, date_name, policy_name),
                               params, ROSTER_HELPER)
    _helper_sheet(wb, made.helper, layout.header_row, layout.first_row, layout.last_row)
    for key, formula in (("fee", made.fee), ("eligible", made.eligible)):
        letter = layout.letter(key)
        for row, text in _rows(formula, layout.first_row, layout.last_row):
            ws[f"{letter}{row}"] = text


def native_note(policy: Policy) -> str | None:
    """Why a register built for ``policy`` keeps the add-in functions, or None."""
    if policy.subsidy is None:
        return None
    try:
        fx.subsidy_formulas(policy, fx.Register("x", _LETTERS, "x"), fx.Params("x", 1), "x")
    except fx.NotNative as error:
        return f"补助金额、计入封顶金额仍用加载项函数：{error}"
    return None


_LETTERS = {k: "A" for k in ("id_number", "days", "covered_days", "self_pay", "total_cost", "years", "shares",
                              "first_stay", "paid_before", "admitted", "discharged", "settled", "applied", "late_ok",
                              "late_note", "joined", "cover_start", "cover_end", "chronic")}
