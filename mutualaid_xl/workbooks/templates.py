"""The clerks' workbook templates (openpyxl), built by code so they are reproducible.

``build(directory, policy_id)`` writes roster.xlsx, application_form.xlsx, unit_ledger.xlsx,
annual_summary.xlsx, task_allocation.xlsx, claims_register.xlsx, operation_stats.xlsx and a
README.md describing the column layout. The layouts below (ROSTER, CLAIMS, ...) are the one
place that says which header is in which column and row; the fill/validate services import
them instead of repeating letters.

Formula templates use ``{r}`` (this row), ``{p}`` (previous row), ``{f}``/``{l}`` (first/last
data row), ``{h}`` (last header row) and column keys such as ``{id_number}`` for letters.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.datetime import to_excel
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from ..errors import NotConfiguredError
from ..rules.money import yuan
from ..files import write_bytes_atomic
from ..rules.formulas import Params
from ..rules.member_formulas import NOT_JOINING
from ..rules.policy import DEFAULT_POLICY_ID, Policy, get_policy, list_policies
from . import native
from .native import DETAIL_HINT

TEXT, MONEY, COUNT, RATIO, DATE = "@", "0.00", "0", "0.00%", "yyyy-mm-dd"

SETTINGS_SHEET = "设置"
POLICY_NAME = "方案编号"      # workbook-level defined names the formulas pass explicitly
DATE_NAME = "参互日期"
SETTINGS_CELLS = {POLICY_NAME: "B3", DATE_NAME: "B4"}


@dataclass(frozen=True)
class Column:
    key: str                      # ASCII key, also the name used in formula templates
    header: str
    width: float
    fmt: str = "General"
    formula: str | None = None    # None: an input cell (unlocked)
    check: tuple = ()             # data validation: ("list", "a,b") ("whole", min) ("decimal", min) ("date",) ("id",)
    total: str | None = None      # totals row: "sum", or "same" (the row formula on the totals row)
    group: str | None = None      # upper header of a two-level header
    align: str = ""               # horizontal alignment; "" = by format (text left, money right, else centre)
    shrink: bool = False          # shrink long text to fit (names on fixed-height paper forms)
    fixed: bool = False           # values written by the builder from the policy file (locked)

    @property
    def is_input(self) -> bool:
        return self.formula is None and not self.fixed


@dataclass(frozen=True)
class Layout:
    file: str
    sheet: str
    title: str
    header_row: int               # last header row (the one with the column names)
    first_row: int
    last_row: int
    columns: tuple[Column, ...]
    total_row: int | None = None
    landscape: bool = True
    freeze_cols: int = 2
    row_height: float | None = None   # paper forms get room for handwriting; long lists keep Excel's default
    letters: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        letters = {c.key: get_column_letter(i) for i, c in enumerate(self.columns, 1)}
        object.__setattr__(self, "letters", letters)

    def letter(self, key: str) -> str:
        return self.letters[key]

    def column(self, key: str) -> Column:
        return self.columns[list(self.letters).index(key)]

    @property
    def width(self) -> int:
        return len(self.columns)

    @property
    def two_level(self) -> bool:
        return any(c.group for c in self.columns)

    @property
    def top_header_row(self) -> int:
        return self.header_row - 1 if self.two_level else self.header_row

    def formula(self, column: Column, row: int) -> str:
        return column.formula.format(r=row, p=row - 1, f=self.first_row, l=self.last_row,
                                     h=self.header_row, **self.letters)


def _seq(key: str) -> Column:
    return Column("seq", "序号", 6, COUNT, f'=IF(${{{key}}}{{r}}="","",COUNTA(${{{key}}}${{f}}:${{{key}}}{{r}}))')


def _from_id(long: str, short: str) -> str:
    """Pick the 18-digit or the old 15-digit reading of the ID; anything else gives blank."""
    return f'IF(LEN(${{id_number}}{{r}})=18,{long},IF(LEN(${{id_number}}{{r}})=15,{short},""))'


_SEX_DIGIT = 'IF(MOD(VALUE(MID(${id_number}{r},%d,1)),2)=1,"男","女")'
_BIRTH_18 = "DATE(VALUE(MID(${id_number}{r},7,4)),VALUE(MID(${id_number}{r},11,2)),VALUE(MID(${id_number}{r},13,2)))"
_BIRTH_15 = ("DATE(1900+VALUE(MID(${id_number}{r},7,2)),VALUE(MID(${id_number}{r},9,2)),"
             "VALUE(MID(${id_number}{r},11,2)))")
_MEMBERSHIP = ("续互", "新参互", NOT_JOINING)
_YES_NO = "是,否"

ROSTER = Layout(
    file="roster.xlsx", sheet="会员名册", title="职工医疗互助会员名册",
    header_row=4, first_row=5, last_row=504, freeze_cols=3,
    columns=(
        _seq("name"),
        Column("name", "姓名", 10),
        Column("id_number", "身份证号", 21, TEXT, check=("id",)),
        Column("sex", "性别", 6, align="center", formula="=IFERROR(" + _from_id(_SEX_DIGIT % 17, _SEX_DIGIT % 15) + ',"")'),
        Column("birth", "出生日期", 12, DATE, formula="=IFERROR(" + _from_id(_BIRTH_18, _BIRTH_15) + ',"")'),
        Column("age", "年龄", 6, COUNT,
               formula='=IF(${birth}{r}="","",IFERROR(DATEDIF(${birth}{r},IF(${joined}{r}="",' + DATE_NAME
               + ',${joined}{r}),"Y"),""))'),
        Column("category", "类别", 8, check=("list", "在职,退休"), align="center"),
        Column("membership", "续互/新参互", 12, check=("list", ",".join(_MEMBERSHIP)), align="center"),
        Column("fee", "交费金额", 10, MONEY,
               '=IF(${category}{r}&${membership}{r}="","",IF(${membership}{r}="' + NOT_JOINING + '","' + NOT_JOINING
               + '",FEE(${category}{r}&"/"&${membership}{r},' + POLICY_NAME + ")))"),
        Column("eligible", "资格", 30,
               formula='=IF(OR(${id_number}{r}="",${category}{r}&${membership}{r}="",${membership}{r}="' + NOT_JOINING
               + '"),"",ELIGIBLE(${id_number}{r},${category}{r}&"/"&${membership}{r},' + DATE_NAME + ","
               + POLICY_NAME + "))"),
        Column("phone", "联系电话", 14, TEXT),
        Column("note", "备注", 16),
        # Appended (never inserted) so the letters of the columns above stay put.
        Column("branch", "分工会/部门", 14),
        Column("basic_insurance", "城镇职工医保", 8, check=("list", _YES_NO), align="center"),
        Column("serious_insurance", "大病补充医保", 8, check=("list", _YES_NO), align="center"),
        Column("new_form", "新就业形态劳动者", 10, check=("list", _YES_NO), align="center"),
        Column("history", "参互历史", 16, TEXT),
        Column("shares", "份数", 6, COUNT, check=("whole", 1)),
        Column("joined", "参互日期", 11, DATE, check=("date",)),
    ),
)
# Row 2 and 3 of the roster: unit name input and built-in counts of the whole list.
ROSTER_UNIT_CELL = "C2"
ROSTER_COUNTS = {   # label (written left of the cell) -> (cell, formula template, number format)
    "在职参互": ("D3", '=COUNTIFS(${category}${f}:${category}${l},"在职",${membership}${f}:${membership}${l},"<>'
                 + NOT_JOINING + '")', COUNT),
    "退休参互": ("F3", '=COUNTIFS(${category}${f}:${category}${l},"退休",${membership}${f}:${membership}${l},"<>'
                 + NOT_JOINING + '")', COUNT),
    "未参": ("H3", '=COUNTIF(${membership}${f}:${membership}${l},"' + NOT_JOINING + '")', COUNT),
    "互助金合计": ("J3", "=SUM(${fee}${f}:${fee}${l})", MONEY),
}

# Earlier rows of the same member: IDs are compared with &"*" because COUNTIFS/SUMIFS
# would otherwise compare 18-digit texts as numbers (15 significant digits).
_SAME_ID_BEFORE = '${id_number}${h}:${id_number}{p},${id_number}{r}&"*"'
_SUBSIDY_ARGS = ("(${self_pay}{r},${days}{r},${years}{r},${first_stay}{r},${paid_before}{r},"
                 + POLICY_NAME + ",${covered_days}{r},${total_cost}{r},${shares}{r},"
                 "${admitted}{r},${discharged}{r},${joined}{r},${settled}{r},${applied}{r},${late_ok}{r}))")


def _udf(name: str) -> str:
    return '=IF(${id_number}{r}="","",' + name + _SUBSIDY_ARGS


CLAIMS = Layout(
    file="claims_register.xlsx", sheet="补助登记表", title="职工医疗互助补助登记表",
    header_row=3, first_row=4, last_row=503, freeze_cols=3,
    columns=(
        _seq("id_number"),
        Column("name", "姓名", 9),
        Column("id_number", "身份证号", 21, TEXT, check=("id",)),
        Column("admitted", "入院日期", 11, DATE, check=("date",)),
        Column("discharged", "出院日期", 11, DATE, check=("date",)),
        Column("days", "住院天数", 7, COUNT,
               '=IF(OR(${admitted}{r}="",${discharged}{r}=""),"",IF(${discharged}{r}<${admitted}{r},'
               '"出院早于入院",MAX(1,${discharged}{r}-${admitted}{r})))'),
        Column("covered_days", "期内天数", 7, COUNT, check=("whole", 0)),
        Column("self_pay", "自付费用", 11, MONEY, check=("decimal", 0)),
        Column("total_cost", "总费用", 11, MONEY, check=("decimal", 0)),
        Column("years", "连续参互年数", 8, COUNT, check=("whole", 1)),
        Column("shares", "份数", 6, COUNT, check=("whole", 1)),
        Column("first_stay", "首次住院", 8, align="center",
               formula='=IF(${id_number}{r}="","",IF(COUNTIFS(' + _SAME_ID_BEFORE + '),"否","是"))'),
        Column("paid_before", "已付补助金", 11, MONEY,
               '=IF(${id_number}{r}="","",SUMIFS(${cap_part}${h}:${cap_part}{p},' + _SAME_ID_BEFORE + "))"),
        Column("cap_part", "计入封顶金额", 11, MONEY, _udf("SUBSIDY_CAP_PART")),
        Column("amount", "补助金额", 11, MONEY, _udf("SUBSIDY")),
        Column("detail", "说明", 40, formula='=IF(${id_number}{r}="","",IFERROR(SUBSIDY_DETAIL' + _SUBSIDY_ARGS[:-1]
               + ',"' + DETAIL_HINT + '"))'),
        Column("note", "备注", 12),
        # Appended (never inserted) so the letters of the columns above stay put.
        Column("settled", "医保结算日期", 11, DATE, check=("date",)),
        Column("applied", "申请日期", 11, DATE, check=("date",)),
        Column("joined", "参互日期", 11, DATE, check=("date",)),
        Column("late_ok", "逾期特批", 8, check=("list", _YES_NO), align="center"),
        Column("late_note", "特批说明", 20),
        Column("unit", "单位", 16),
        Column("hospital", "医院", 16),
        Column("diagnosis", "诊断", 16),
        Column("serious", "是否重大疾病", 8, check=("list", _YES_NO), align="center"),
        Column("chronic", "门诊特殊慢性病", 8, check=("list", _YES_NO), align="center"),
        Column("cover_start", "保障期起", 11, DATE, check=("date",)),
        Column("cover_end", "保障期止", 11, DATE, check=("date",)),
        Column("approved", "审批日期", 11, DATE, check=("date",)),
        Column("paid_on", "支付日期", 11, DATE, check=("date",)),
    ),
)
CLAIMS_HELP = (
    "填写说明：每次住院一行，按办理顺序自上而下登记，本表只用于一个保障期。住院天数 = 出院日期 − 入院日期"
    "（与医保结算单一致按夜计，当天入出院计 1 天）；期内天数仅跨保障期住院时填写，留空即等于住院天数；"
    "首次住院、已付补助金由同一身份证号在上方各行自动得出，不必填写；计入封顶金额、补助金额由公式按"
    "“设置”表中的方案参数计算（Excel、WPS、LibreOffice 均可，不需要加载项）；说明列需职工互助加载项。"
    "公式也核对申请期限：医保结算日期、申请日期超过期限的行不予补助，除非“逾期特批”填“是”并写明特批说明。"
    "期内天数留空时，公式按本行的保障期起止（或参互日期次日起的保障期）算出期内天数，住院全在保障期外的行不予补助；"
    "门诊特殊慢性病填“是”的行不给住院补贴，起止须在同一个月内。--roster 名册中的参互日期公式看不到，请填在本表。"
    "连续参互年数请填写：留空时公式按 1 年计，"
    "mutualaid claims --roster 则按名册的参互历史得出。"
)

LEDGER = Layout(
    file="unit_ledger.xlsx", sheet="参互单位台账", title="职工住院医疗互助保障活动参互单位台账",
    header_row=4, first_row=5, last_row=104, total_row=105, landscape=False, row_height=20,
    columns=(
        _seq("unit"),
        Column("unit", "参互单位名称", 30, shrink=True),
        Column("staff", "在职职工人数", 10, COUNT, check=("whole", 0), total="sum"),
        Column("active", "在职", 9, COUNT, check=("whole", 0), total="sum", group="参互人数"),
        Column("retired", "退休", 9, COUNT, check=("whole", 0), total="sum", group="参互人数"),
        Column("ratio", "在职参互比例", 10, RATIO,
               '=IF(OR(N(${staff}{r})=0,${active}{r}=""),"",${active}{r}/${staff}{r})', total="same"),
        Column("amount", "互助金总额", 13, MONEY, check=("decimal", 0), total="sum"),
    ),
)

SUMMARY = Layout(
    file="annual_summary.xlsx", sheet="年度参互汇总表", title="年度参互汇总表",
    header_row=3, first_row=4, last_row=53, total_row=54, landscape=False, row_height=20,
    columns=(
        _seq("agent"),
        Column("agent", "代办点名称", 24, shrink=True),
        Column("units", "参互单位数", 9, COUNT, check=("whole", 0), total="sum"),
        Column("renewed", "续互人数", 9, COUNT, check=("whole", 0), total="sum"),
        Column("new", "新参互人数", 9, COUNT, check=("whole", 0), total="sum"),
        Column("active", "在职参互人数", 9, COUNT, check=("whole", 0), total="sum"),
        Column("retired", "退休参互人数", 9, COUNT, check=("whole", 0), total="sum"),
        Column("amount", "互助金总额", 13, MONEY, check=("decimal", 0), total="sum"),
    ),
)

TASKS = Layout(
    file="task_allocation.xlsx", sheet="工作任务分配表", title="职工互助保障活动工作任务分配表",
    header_row=3, first_row=4, last_row=23, total_row=24, landscape=False, row_height=20,
    columns=(
        Column("seq", "序号", 6, COUNT, fixed=True),
        Column("unit", "单位", 34, fixed=True),
        Column("target", "{year}年目标任务（人）", 14, COUNT, fixed=True, total="sum"),
        Column("done", "完成人数", 12, COUNT, check=("whole", 0), total="sum"),
        Column("rate", "完成率", 10, RATIO, '=IF(OR(N(${target}{r})=0,${done}{r}=""),"",${done}{r}/${target}{r})',
               total="same"),
    ),
)

STATS = Layout(
    file="operation_stats.xlsx", sheet="运行情况统计表", title="＿＿＿＿年度职工大病医疗互助活动运行情况统计表",
    header_row=4, first_row=5, last_row=9, freeze_cols=1, row_height=24,
    columns=(
        Column("period", "互助期", 12),
        Column("members", "参与职工人数", 11, COUNT, check=("whole", 0)),
        Column("raised", "筹集资金", 13, MONEY, check=("decimal", 0)),
        Column("remitted", "上缴市总工会金额", 13, MONEY, check=("decimal", 0)),
        Column("returned", "市总累计回拨金额", 13, MONEY, check=("decimal", 0)),
        Column("aided", "救助职工人数", 10, COUNT, check=("whole", 0), group="救助情况"),
        Column("aided_paid", "支付互助金", 13, MONEY, check=("decimal", 0), group="救助情况"),
        Column("serious", "其中救助患重大疾病职工人数", 13, COUNT, check=("whole", 0), group="救助情况"),
        Column("serious_paid", "支付互助金", 13, MONEY, check=("decimal", 0), group="救助情况"),
        Column("balance", "截止12月30日账面累计结余资金", 15, MONEY, check=("decimal", 0)),
    ),
)
STATS_SIGNATURES = "常务副主席签字：　　　　　　　　财务负责人核准签字：　　　　　　　　填表人签字："
STATS_NOTES = (
    "说明：1.参与职工人数、筹集资金以互助期为单位进行统计；",
    "2.救助情况以自然年度即当年1月1日至12月30日进行统计；",
    "3.截至12月30日账面结余资金需扣除已审批但未支付的互助金。",
)

# 参互申请表 (内工发〔2021〕5号 附件1-1) is a form, not a list: its cells by field.
APPLICATION_SHEET = "参互申请表"
APPLICATION_FILE = "application_form.xlsx"
APPLICATION_STATS = (   # (key, header, format, formula or None)
    ("staff", "单位总人数", COUNT, None),
    ("insured", "缴纳城镇职工医保人数", COUNT, None),
    ("renewed", "续互人数", COUNT, None),
    ("new", "新参互人数", COUNT, None),
    ("active", "在职参互人数", COUNT, None),
    ("ratio", "在职参互比例", RATIO, '=IF(N({staff})=0,"",{active}/{staff})'),
    ("retired", "退休参互人数", COUNT, None),
    ("members", "参互总人数", COUNT, '=IF(COUNT({active},{retired})=0,"",N({active})+N({retired}))'),
    ("amount", "互助金总额", MONEY, None),
)
APPLICATION_CELLS = {
    "unit": "C3", "unit_code": "H3", "agent": "C4", "phone": "H4",
    **{key: f"{get_column_letter(i)}6" for i, (key, *_rest) in enumerate(APPLICATION_STATS, 1)},
    "fee_text": "C7",
}

LAYOUTS = (ROSTER, LEDGER, SUMMARY, TASKS, CLAIMS, STATS)

# ------------------------------------------------------------------ styles

_FONT = "宋体"
_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="D9D9D9")
_FORMULA_FILL = PatternFill("solid", fgColor="F2F2F2")
_ALERT_FILL = PatternFill("solid", fgColor="FFC7CE")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_OPEN = Protection(locked=False)
FIXED_STAMP = dt.datetime(2021, 1, 1)   # docProps and zip entry times, so rebuilding gives the same bytes


def _font(size=11, bold=False, name=_FONT):
    return Font(name=name, size=size, bold=bold)


def _merge(ws, ref: str, value=None, *, size=11, bold=False, align=_LEFT, name=_FONT, locked=True):
    ws.merge_cells(ref)
    cell = ws[ref.split(":")[0]]
    cell.value = value
    cell.font = _font(size, bold, name)
    cell.alignment = align
    if not locked:
        cell.protection = _OPEN
    return cell


def _title(ws, text: str, width: int):
    _merge(ws, f"A1:{get_column_letter(width)}1", text, size=18, bold=True, align=_CENTER, name="黑体")
    ws.row_dimensions[1].height = 36


def _validation(check: tuple) -> DataValidation:
    kind = check[0]
    if kind == "list":
        dv = DataValidation(type="list", formula1=f'"{check[1]}"', allow_blank=True)
        dv.error, dv.prompt = f"请从下拉列表选择：{check[1].replace(',', '、')}", f"可选：{check[1].replace(',', '、')}"
    elif kind in ("whole", "decimal"):
        dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1=str(check[1]), allow_blank=True)
        dv.error = f"请填写不小于 {check[1]} 的{'整数' if kind == 'whole' else '数字'}"
    elif kind == "date":
        low, high = (int(to_excel(dt.datetime(y, 1, 1))) for y in (2000, 2100))
        dv = DataValidation(type="date", operator="between", formula1=str(low), formula2=str(high), allow_blank=True)
        dv.error = "请填写日期，如 2021-05-01"
    elif kind == "id":
        dv = DataValidation(type="textLength", operator="between", formula1="15", formula2="18", allow_blank=True)
        dv.error, dv.prompt = "身份证号应为18位（或旧15位），请按文本填写", "按文本填写，勿改成数字（超过15位会丢失）"
    else:  # a layout bug, not user input
        raise ValueError(kind)
    dv.errorTitle, dv.promptTitle = "输入有误", "填写提示"
    dv.showErrorMessage = True
    dv.showInputMessage = bool(dv.prompt)
    return dv


def _page(ws, *, landscape: bool, title_rows: str | None, area: str):
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top, ws.page_margins.bottom, ws.page_margins.footer = 0.6, 0.8, 0.3
    if title_rows:
        ws.print_title_rows = title_rows
    ws.print_area = area
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def _protect(ws):
    ws.protection.sheet = True
    ws.protection.formatColumns = False   # False = allowed: clerks may still widen columns and rows
    ws.protection.formatRows = False


def _headers(ws, layout: Layout, header_text):
    top = layout.top_header_row
    done_groups = set()
    for index, column in enumerate(layout.columns, 1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = column.width
        for row in range(top, layout.header_row + 1):
            cell = ws[f"{letter}{row}"]
            cell.font, cell.alignment, cell.border, cell.fill = _font(bold=True), _CENTER, _BOX, _HEAD_FILL
        if column.group is None:
            if top != layout.header_row:
                ws.merge_cells(f"{letter}{top}:{letter}{layout.header_row}")
            ws[f"{letter}{top}"].value = header_text(column)
            continue
        ws[f"{letter}{layout.header_row}"].value = header_text(column)
        if column.group not in done_groups:
            done_groups.add(column.group)
            members = [i for i, c in enumerate(layout.columns, 1) if c.group == column.group]
            ws.merge_cells(f"{get_column_letter(members[0])}{top}:{get_column_letter(members[-1])}{top}")
            ws[f"{letter}{top}"].value = column.group
    for row in range(top, layout.header_row + 1):
        ws.row_dimensions[row].height = 24 if top != layout.header_row else 42


def _body(ws, layout: Layout):
    for index, column in enumerate(layout.columns, 1):
        letter = get_column_letter(index)
        horizontal = column.align or {TEXT: "left", "General": "left", MONEY: "right", RATIO: "right"}.get(
            column.fmt, "center")
        align = Alignment(horizontal=horizontal, vertical="center", shrink_to_fit=column.shrink)
        for row in range(layout.first_row, layout.last_row + 1):
            if index == 1 and layout.row_height:
                ws.row_dimensions[row].height = layout.row_height
            cell = ws[f"{letter}{row}"]
            cell.number_format, cell.alignment, cell.border = column.fmt, align, _BOX
            cell.font = _font()
            if column.is_input:
                cell.protection = _OPEN
            elif column.formula:
                cell.value = layout.formula(column, row)
                cell.fill = _FORMULA_FILL
        if column.check:
            dv = _validation(column.check)
            dv.add(f"{letter}{layout.first_row}:{letter}{layout.last_row}")
            ws.add_data_validation(dv)
    if layout.total_row:
        write_totals(ws, layout)


def write_totals(ws, layout: Layout):
    row = layout.total_row
    for index, column in enumerate(layout.columns, 1):
        letter = get_column_letter(index)
        cell = ws[f"{letter}{row}"]
        cell.font, cell.border, cell.fill, cell.number_format = _font(bold=True), _BOX, _FORMULA_FILL, column.fmt
        cell.alignment = _CENTER if column.fmt not in (MONEY, RATIO) else Alignment(horizontal="right")
        if column.total == "sum":
            cell.value = f"=SUM({letter}{layout.first_row}:{letter}{layout.last_row})"
        elif column.total == "same":
            cell.value = layout.formula(column, row)
    ws[f"B{row}"].value = "合计"   # column B holds the unit/agent name in every list with totals


def _list_sheet(wb: Workbook, layout: Layout, *, header_text=lambda c: c.header):
    ws = wb.active
    ws.title = layout.sheet
    _title(ws, layout.title, layout.width)
    _headers(ws, layout, header_text)
    _body(ws, layout)
    last = layout.total_row or layout.last_row
    _page(ws, landscape=layout.landscape, title_rows=f"{layout.top_header_row}:{layout.header_row}",
          area=f"A1:{get_column_letter(layout.width)}{last}")
    ws.freeze_panes = f"{get_column_letter(layout.freeze_cols + 1)}{layout.first_row}"
    _protect(ws)
    return ws


def _meta_line(ws, row: int, width: int, left: str, right: str = "日期：　　　年　　月　　日"):
    """A line like 机构名称：＿＿＿  日期：年 月 日 with an unlocked input beside the label."""
    split = _meta_split(width)
    _merge(ws, f"A{row}:{get_column_letter(split)}{row}", left, locked=False)
    _merge(ws, f"{get_column_letter(split + 1)}{row}:{get_column_letter(width)}{row}", right,
           align=Alignment(horizontal="right", vertical="center"), locked=False)
    ws.row_dimensions[row].height = 24


def _ratio_alert(ws, ref: str, policy: Policy):
    """Shade ratios below the policy's participation floor."""
    if policy.participation is None:
        return
    first = ref.split(":")[0]
    floor = policy.participation.min_ratio
    ws.conditional_formatting.add(ref, FormulaRule(formula=[f'AND(ISNUMBER({first}),{first}<{floor})'],
                                                   fill=_ALERT_FILL))


def _settings_sheet(wb: Workbook, policy: Policy, *, with_date: bool):
    ws = wb.create_sheet(SETTINGS_SHEET)
    _title(ws, "设置（本工作簿的公式都按这里的方案计算）", 3)
    ws.column_dimensions["A"].width, ws.column_dimensions["B"].width, ws.column_dimensions["C"].width = 12, 16, 70
    rows = [(POLICY_NAME, policy.id, "方案（每期政策）编号；命令 mutualaid policies 列出全部可用方案", TEXT)]
    if with_date:
        start = policy.dates.enrolment_start if policy.dates else None
        rows.append((DATE_NAME, start, "办理参互手续的日期：用于计算年龄和参互资格；请改为本单位的实际日期", DATE))
    for name, value, note, fmt in rows:
        ref = SETTINGS_CELLS[name]
        row = int(ref[1:])
        ws[f"A{row}"] = name
        ws[f"A{row}"].font = _font(bold=True)
        cell = ws[ref]
        cell.value, cell.number_format, cell.protection, cell.border = value, fmt, _OPEN, _BOX
        cell.font = _font()
        ws[f"C{row}"] = note
        ws[f"C{row}"].alignment = _LEFT
        wb.defined_names[name] = DefinedName(name, attr_text=f"{quote_sheetname(SETTINGS_SHEET)}!${ref[0]}${ref[1:]}")
    ids = ",".join(p.id for p in list_policies())
    if len(ids) <= 255:   # Excel's limit for a typed-in list; beyond it the cell is simply free text
        dv = DataValidation(type="list", formula1=f'"{ids}"', allow_blank=False, errorStyle="warning",
                            errorTitle="未知方案", error="不是内置方案；若是自备方案（MUTUALAID_POLICY_PATH）可继续")
        dv.add(SETTINGS_CELLS[POLICY_NAME])
        ws.add_data_validation(dv)
    if with_date:
        dv = _validation(("date",))
        dv.add(SETTINGS_CELLS[DATE_NAME])
        ws.add_data_validation(dv)
    _page(ws, landscape=False, title_rows=None, area="A1:C4")
    _protect(ws)
    return ws


# ------------------------------------------------------------------ the workbooks


def _roster(policy: Policy) -> Workbook:
    wb = Workbook()
    ws = _list_sheet(wb, ROSTER)
    _merge(ws, "A2:B2", "单位名称（盖章）：", bold=True)
    _merge(ws, f"{ROSTER_UNIT_CELL}:F2", None, locked=False)
    ws["G2"], ws["H2"] = "方案：", f"={POLICY_NAME}"
    ws["I2"], ws["J2"] = "参互日期：", f"={DATE_NAME}"
    ws["J2"].number_format = DATE
    _merge(ws, "A3:B3", "本名册统计：", bold=True)
    for label, (ref, formula, fmt) in ROSTER_COUNTS.items():
        label_cell = ws.cell(row=3, column=ws[ref].column - 1, value=label)
        label_cell.alignment = Alignment(horizontal="right")
        ws[ref] = formula.format(f=ROSTER.first_row, l=ROSTER.last_row, **ROSTER.letters)
        ws[ref].number_format = fmt
    for row in (2, 3):
        for cell in ws[row]:
            cell.font = _font(bold=cell.column <= 2)
    for ref in ["H2", "J2", *(ref for ref, _f, _m in ROSTER_COUNTS.values())]:
        ws[ref].alignment = Alignment(horizontal="left")
    eligible = f"{ROSTER.letter('eligible')}{ROSTER.first_row}"
    ws.conditional_formatting.add(
        f"{eligible}:{ROSTER.letter('eligible')}{ROSTER.last_row}",
        FormulaRule(formula=[f'OR(LEFT({eligible},3)="不符合",LEFT({eligible},3)="#错误")'], fill=_ALERT_FILL),
    )
    _settings_sheet(wb, policy, with_date=True)
    params = Params(SETTINGS_SHEET, native.PARAM_FIRST_ROW)
    native.roster_formulas(wb, policy, ROSTER, DATE_NAME, POLICY_NAME, params)
    native.write_params(wb, SETTINGS_SHEET, policy, params)
    return wb


def _claims(policy: Policy) -> Workbook:
    wb = Workbook()
    ws = _list_sheet(wb, CLAIMS)
    _merge(ws, f"A2:{get_column_letter(CLAIMS.width)}2", CLAIMS_HELP, size=9)
    ws.row_dimensions[2].height = 72
    amount = f"{CLAIMS.letter('amount')}{CLAIMS.first_row}"
    ws.conditional_formatting.add(
        f"{amount}:{CLAIMS.letter('detail')}{CLAIMS.last_row}",
        FormulaRule(formula=[f'LEFT(${CLAIMS.letter("amount")}{CLAIMS.first_row},3)="#错误"'], fill=_ALERT_FILL),
    )
    _settings_sheet(wb, policy, with_date=False)
    params = Params(SETTINGS_SHEET, native.PARAM_FIRST_ROW)
    native.register_formulas(wb, policy, CLAIMS, POLICY_NAME, params)
    native.write_params(wb, SETTINGS_SHEET, policy, params)
    return wb


def _amount_text(amount: Decimal) -> str:
    return str(int(amount)) if amount == amount.to_integral_value() else yuan(amount)


_FEE_WHO = {"在职": "在职职工", "退休": "参互退休职工", "续互": "续互职工", "新参互": "新参互职工"}


def fee_standard_text(policy: Policy) -> str:
    """“在职职工每人每期100元，参互退休职工每人每期400元” from the policy's fees."""
    fees = policy.require("fees", "交费标准")
    parts = [f"{_FEE_WHO[c]}每人每期{_amount_text(a)}元" for c, a in fees.amounts.items()]
    if fees.per_share is not None:
        parts.append(f"每份{_amount_text(fees.per_share)}元")
    return "，".join(parts)


def _application(policy: Policy) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = APPLICATION_SHEET
    width = len(APPLICATION_STATS)
    for index in range(1, width + 1):
        ws.column_dimensions[get_column_letter(index)].width = 13
    _title(ws, "职工住院医疗互助保障活动参互申请表", width)
    _merge(ws, f"A2:{get_column_letter(width)}2", f"（{policy.name}）", align=_CENTER)

    def box(ref, value=None, *, bold=False, locked=True, fmt="General", height=None):
        cell = _merge(ws, ref, value, bold=bold, align=_CENTER if bold else _LEFT, locked=locked)
        cell.number_format = fmt
        for row in ws[ref]:
            for part in row:
                part.border = _BOX
        if height:
            ws.row_dimensions[cell.row].height = height

    box("A3:B3", "单位名称\n（工会盖章）", bold=True, height=40)
    box(f"{APPLICATION_CELLS['unit']}:E3", locked=False)
    box("F3:G3", "单位编码", bold=True)
    box(f"{APPLICATION_CELLS['unit_code']}:I3", locked=False, fmt=TEXT)
    box("A4:B4", "代办员", bold=True, height=28)
    box(f"{APPLICATION_CELLS['agent']}:E4", locked=False)
    box("F4:G4", "联系电话", bold=True)
    box(f"{APPLICATION_CELLS['phone']}:I4", locked=False, fmt=TEXT)
    for index, (key, header, fmt, formula) in enumerate(APPLICATION_STATS, 1):
        letter = get_column_letter(index)
        head, cell = ws[f"{letter}5"], ws[APPLICATION_CELLS[key]]
        head.value, head.font, head.alignment = header, _font(bold=True), _CENTER
        head.border, head.fill = _BOX, _HEAD_FILL
        cell.number_format, cell.border, cell.font, cell.alignment = fmt, _BOX, _font(), _CENTER
        if formula:
            cell.value, cell.fill = formula.format(**APPLICATION_CELLS), _FORMULA_FILL
        else:
            cell.protection = _OPEN
            dv = _validation(("decimal" if fmt == MONEY else "whole", 0))
            dv.add(cell.coordinate)
            ws.add_data_validation(dv)
    ws.row_dimensions[5].height, ws.row_dimensions[6].height = 42, 30
    _ratio_alert(ws, APPLICATION_CELLS["ratio"], policy)
    fee_text = fee_standard_text(policy)
    box("A7:B7", "互助金交纳标准", bold=True, height=40)
    box(f"{APPLICATION_CELLS['fee_text']}:I7", fee_text + "。")
    box("A8:B8", "互助机构意见\n（盖章）", bold=True, height=90)
    box("C8:I8", "\n\n\n　　　　　　　　　　　　　　　　　　　　　　　年　　月　　日")
    box("A9:B9", "互助机构经办人\n（签字）", bold=True, height=40)
    box("C9:I9", locked=False)
    _merge(ws, "A10:I10", "说明：单位编码：参互单位系统登录时的单位账号，由各办事处、代办点提供；"
           f"互助金总额：按{fee_text}累加填写。", size=10)
    ws.row_dimensions[10].height = 36
    _page(ws, landscape=True, title_rows=None, area="A1:I10")
    _protect(ws)
    return wb


def _ledger(policy: Policy) -> Workbook:
    wb = Workbook()
    ws = _list_sheet(wb, LEDGER)
    _meta_line(ws, 2, LEDGER.width, "机构名称：")
    letter = LEDGER.letter("ratio")
    _ratio_alert(ws, f"{letter}{LEDGER.first_row}:{letter}{LEDGER.total_row}", policy)
    return wb


def _summary(policy: Policy) -> Workbook:
    wb = Workbook()
    ws = _list_sheet(wb, SUMMARY)
    _meta_line(ws, 2, SUMMARY.width, "办事处名称：")
    return wb


def _tasks(policy: Policy) -> Workbook:
    targets = policy.require("targets", "工作任务分配表")
    if len(targets.units) != TASKS.last_row - TASKS.first_row + 1:
        raise NotConfiguredError(
            f"方案 {policy.id} 的任务分配表有 {len(targets.units)} 个单位，模板按 "
            f"{TASKS.last_row - TASKS.first_row + 1} 个排版"
        )
    wb = Workbook()
    ws = _list_sheet(wb, TASKS, header_text=lambda c: c.header.format(year=targets.year))
    _merge(ws, f"A2:{get_column_letter(TASKS.width)}2", f"（{targets.year}年　依据：{targets.source}）",
           size=10, align=_CENTER)
    for offset, item in enumerate(targets.units):
        row = TASKS.first_row + offset
        ws[f"{TASKS.letter('seq')}{row}"] = offset + 1
        ws[f"{TASKS.letter('unit')}{row}"] = item.unit
        ws[f"{TASKS.letter('target')}{row}"] = item.target
    return wb


def _stats(policy: Policy) -> Workbook:
    wb = Workbook()
    ws = _list_sheet(wb, STATS)
    ws["A1"].protection = _OPEN   # the clerk writes the year into the title
    _meta_line(ws, 2, STATS.width, "填报单位（盖章）：", "　　　　年　　月　　日")
    row = STATS.last_row + 2
    _merge(ws, f"A{row}:{get_column_letter(STATS.width)}{row}", STATS_SIGNATURES)
    ws.row_dimensions[row].height = 30
    for offset, note in enumerate(STATS_NOTES, 2):
        _merge(ws, f"A{row + offset}:{get_column_letter(STATS.width)}{row + offset}", note, size=10)
    ws.print_area = f"A1:{get_column_letter(STATS.width)}{row + 1 + len(STATS_NOTES)}"
    return wb


BUILDERS = {
    ROSTER.file: _roster, APPLICATION_FILE: _application, LEDGER.file: _ledger, SUMMARY.file: _summary,
    TASKS.file: _tasks, CLAIMS.file: _claims, STATS.file: _stats,
}


# ------------------------------------------------------------------ writing


def _bytes(wb: Workbook) -> bytes:
    """The workbook as .xlsx bytes with fixed timestamps, so an unchanged template rebuilds identically."""
    wb.properties.creator = wb.properties.lastModifiedBy = "mutualaid_xl"
    wb.properties.created = FIXED_STAMP
    raw = io.BytesIO()
    wb.save(raw)
    stamp = FIXED_STAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(), data)
            target.writestr(zipfile.ZipInfo(info.filename, FIXED_STAMP.timetuple()[:6]), data,
                            compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _write(data: bytes, path: Path) -> str:
    """Write ``data`` to ``path``; an existing different file is kept as a backup. Returns what happened."""
    if path.exists() and path.read_bytes() == data:
        return "未变"
    return "已更新（原文件已备份）" if write_bytes_atomic(data, path) else "已生成"


def workbook(file: str, policy_id: str | None = None) -> Workbook:
    """One template as an openpyxl Workbook (not saved)."""
    return BUILDERS[file](get_policy(policy_id or DEFAULT_POLICY_ID))


def _meta_split(width: int) -> int:
    """Row 2 of the list forms: name label+input in A..split, date in split+1..width."""
    return max(2, width - 2)


def _readme_notes() -> dict[str, str]:
    def meta(layout: Layout, what: str) -> str:
        date_cell = f"{get_column_letter(_meta_split(layout.width) + 1)}2"
        return f"A2 整格写“{what}＋名称”，{date_cell} 为日期。"

    return {
        ROSTER.file: "依据：各地会员名册；交费金额栏写法见昆冶高专工发〔2015〕10号 四（二）。"
        f"单位名称填在 {ROSTER_UNIT_CELL}；第 3 行统计："
        + "，".join(f"{label} {ref}" for label, (ref, _f, _m) in ROSTER_COUNTS.items())
        + f"。“续互/新参互”可选“{NOT_JOINING}”：不参加的人员留在名册中，交费金额显示“{NOT_JOINING}”。"
        f"工作表“{SETTINGS_SHEET}”：{POLICY_NAME} {SETTINGS_CELLS[POLICY_NAME]}，{DATE_NAME} "
        f"{SETTINGS_CELLS[DATE_NAME]}（同名的工作簿名称，公式显式引用）。"
        "分工会/部门以后各列是各地通知要求登记的项目：城镇职工医保、大病补充医保、新就业形态劳动者填 是/否"
        "（退出城镇职工医保的终止补助，内工发〔2021〕5号 细则第二十条；云南各期要求两项医保都参加）；"
        "参互历史写参加过的年度，如“2019、2020、2021”或“2019-2021”，用于连续参互年数和退休人员连续参互的核对；"
        "份数用于按份参互的方案；参互日期是本人办结参互手续的日期，保障期从其次日起算（细则第四条），"
        f"留空则用“{SETTINGS_SHEET}”表的{DATE_NAME}；年龄和资格按这个日期计算，资格还核对本期办理时间和"
        f"“每月前几个工作日”一类的规定（“{SETTINGS_SHEET}”表列出 build 时按国务院节假日安排算出的工作日，含调休上班日）。",
        LEDGER.file: "依据：内工发〔2021〕5号 附件1-2。" + meta(LEDGER, "机构名称：") + "在职参互比例低于方案的参互比例下限时标红。",
        SUMMARY.file: "依据：内工发〔2021〕5号 附件1-3。" + meta(SUMMARY, "办事处名称："),
        TASKS.file: "依据：内工发〔2021〕5号 附件2。年份、单位和目标任务取自方案文件的 [targets]；方案没有 [targets] 时不生成本表。",
        CLAIMS.file: f"第 2 行为填写说明：{CLAIMS_HELP.removeprefix('填写说明：')}"
        f"工作表“{SETTINGS_SHEET}”：{POLICY_NAME} {SETTINGS_CELLS[POLICY_NAME]}。"
        "备注以后各列由 `mutualaid claims` 读取：医保结算日期和申请日期核对申请期限（如医保结算后九十日内，"
        "细则第十三条），逾期的行不予补助，除非“逾期特批”填“是”并在“特批说明”写明理由；参互日期（或 --roster "
        "名册中的参互日期）得出本人保障期和期内天数，并核对按入院或出院时间所在期核算（细则第十四条）；"
        "门诊特殊慢性病填“是”的行按月结算、不给住院补贴（细则第十条注③）；诊断含生育、妊娠、分娩的行列为待人工核对"
        "（细则第十八条注⑥）。医院、诊断、是否重大疾病、单位、保障期起止、审批日期、支付日期供审批表和统计使用。"
        "期内天数、连续参互年数填了就以填写的为准。",
        STATS.file: "依据：张工办〔2020〕51号 附件1。标题中的年份由填表人填写（A1 未锁定）；" + meta(STATS, "填报单位（盖章）：")
        + f"第 {STATS.last_row + 2} 行签字栏，其下为说明 1—3。“互助期”列是为区分各行而加的（原表无此列）。",
    }


def readme_text() -> str:
    """workbook_templates/README.md, generated from the layouts above."""
    lines = [
        "# 工作簿模板（由 `mutualaid templates build` 生成，请勿手工修改）",
        "",
        "重新生成：`mutualaid templates build [目录] [--policy 方案编号]`。列的位置在",
        "`mutualaid_xl/workbooks/templates.py` 的 ROSTER、CLAIMS、LEDGER、SUMMARY、TASKS、STATS、",
        "APPLICATION_CELLS 中定义，填表和校验程序从那里取，不要另写列号。",
        "",
        "灰底是公式（工作表保护，无密码，可在“审阅”中撤销保护）；白底是填写处。A4 纸，宽表横向，",
        f"按页宽缩放，每页重复表头。名册和登记表预留了 {ROSTER.last_row - ROSTER.first_row + 1} 行公式，"
        "打印前请选中已填写的行，",
        "打印“选定区域”。交费金额、资格、计入封顶金额、补助金额是普通公式，Excel、WPS、LibreOffice",
        "都能计算，不需要加载项：方案参数由 build 写在“设置”表（每行注明文号），中间结果在隐藏工作表",
        f"“{native.ROSTER_HELPER}”“{native.REGISTER_HELPER}”。只有登记表的“说明”列用加载项函数 SUBSIDY_DETAIL，",
        f"未安装加载项时显示“{DETAIL_HINT}”。方案的某一块无法写成公式时，build 会说明，该列保留加载项函数。",
        "",
    ]
    notes = _readme_notes()
    for layout in LAYOUTS:
        extent = f"数据第 {layout.first_row}—{layout.last_row} 行"
        if layout.total_row:
            extent += f"，合计第 {layout.total_row} 行"
        two_level = f"两级表头从第 {layout.top_header_row} 行起，" if layout.two_level else ""
        lines += [f"## {layout.file}：{layout.sheet}", "", f"表头第 {layout.header_row} 行（{two_level}{extent}）。",
                  "", "| 列 | 表头 | 键 | 填写/公式 |", "|---|---|---|---|"]
        for column in layout.columns:
            header = column.header.replace("{year}", "（方案年份）")
            header = f"{column.group}／{header}" if column.group else header
            if column.is_input:
                how = "填写"
            elif column.fixed:
                how = "方案文件给出（锁定）"
            elif column.key in native.NATIVE_COLUMNS.get(layout.file, ()):
                how = "普通公式，按“设置”表的方案参数计算（见隐藏工作表）"
            else:
                how = "`" + layout.formula(column, layout.first_row).replace("|", "\\|") + "`"
            lines.append(f"| {layout.letter(column.key)} | {header} | {column.key} | {how} |")
        lines += ["", notes[layout.file], ""]
    lines += [f"## {APPLICATION_FILE}：{APPLICATION_SHEET}", "",
              "依据：内工发〔2021〕5号 附件1-1。在职参互比例 = 在职参互人数 ÷ 单位总人数，低于方案的参互比例下限时标红。",
              "", "| 单元格 | 内容 | 键 | 填写/公式 |", "|---|---|---|---|"]
    fields = {key: (header, formula) for key, header, _fmt, formula in APPLICATION_STATS}
    fields.update(unit=("单位名称", None), unit_code=("单位编码", None), agent=("代办员", None),
                  phone=("联系电话", None), fee_text=("互助金交纳标准", "按方案的交费标准生成的文字"))
    for key, ref in APPLICATION_CELLS.items():
        header, formula = fields[key]
        how = "填写" if formula is None else (f"`{formula.format(**APPLICATION_CELLS)}`" if "=" in formula else formula)
        lines.append(f"| {ref} | {header} | {key} | {how} |")
    return "\n".join(lines) + "\n"


def build(directory: Path | str = "workbook_templates", policy_id: str | None = None) -> list[tuple[Path, str]]:
    """Build every template into ``directory``; returns (path, what happened) per file."""
    policy = get_policy(policy_id or DEFAULT_POLICY_ID)
    directory = Path(directory)
    results = []
    for file, builder in BUILDERS.items():
        try:
            data = _bytes(builder(policy))
        except NotConfiguredError as error:   # e.g. a policy without [targets] has no task table
            results.append((directory / file, f"跳过：{error.message}"))
            continue
        status = _write(data, directory / file)
        note = native.native_note(policy) if file == CLAIMS.file else None
        results.append((directory / file, status + (f"；{note}" if note else "")))
    readme = directory / "README.md"
    results.append((readme, _write(readme_text().encode("utf-8"), readme)))
    return results
