"""Workbook templates as openpyxl sees them: sheets, headers, formulas, validations, print setup."""

from __future__ import annotations

import datetime as dt
import inspect
import re
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from mutualaid_xl import udfs
from mutualaid_xl.workbooks import native
from mutualaid_xl.workbooks import templates as wt
from mutualaid_xl.cli import app
from mutualaid_xl.rules.policy import DEFAULT_POLICY_ID, get_policy

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "workbook_templates"
FILES = ["roster.xlsx", "application_form.xlsx", "unit_ledger.xlsx", "annual_summary.xlsx",
         "task_allocation.xlsx", "claims_register.xlsx", "operation_stats.xlsx"]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("templates")
    outcomes = wt.build(directory)
    assert [path.name for path, _ in outcomes] == FILES + ["README.md"]
    assert all(outcome == "已生成" for _, outcome in outcomes)
    return directory


def load(directory: Path, name: str):
    return openpyxl.load_workbook(directory / name)


def header_row(ws, row: int, width: int) -> list:
    return [ws.cell(row=row, column=c).value for c in range(1, width + 1)]


def letters_by_header(ws, row: int) -> dict[str, str]:
    return {cell.value: cell.column_letter for cell in ws[row] if cell.value}


def validation_for(ws, ref: str):
    found = [dv for dv in ws.data_validations.dataValidation if ref in dv.sqref]
    assert found, f"{ws.title}!{ref} 没有数据验证"
    return found[0]


# ---------------------------------------------------------------- building


def test_rebuild_is_byte_identical_and_changes_keep_a_backup(built, tmp_path):
    target = tmp_path / "t"
    wt.build(target)
    first = {p.name: p.read_bytes() for p in target.iterdir()}
    assert {o for _, o in wt.build(target)} == {"未变"}
    assert {p.name: p.read_bytes() for p in target.iterdir()} == first
    (target / "roster.xlsx").write_bytes(b"clerk's edited copy")
    outcomes = dict((p.name, o) for p, o in wt.build(target))
    assert outcomes["roster.xlsx"].startswith("已更新")
    assert (target / "roster.xlsx").read_bytes() == first["roster.xlsx"]
    backups = list(target.glob("roster.bak-*.xlsx"))
    assert len(backups) == 1 and backups[0].read_bytes() == b"clerk's edited copy"


def _snapshot(path: Path) -> dict:
    """What a template says (values, formulas, formats, locks, merges, validations, print setup)."""
    wb = openpyxl.load_workbook(path)
    sheets = {}
    for ws in wb.worksheets:
        cells = [(c.coordinate, c.value, c.number_format, c.protection.locked)
                 for row in ws.iter_rows() for c in row if c.value is not None or not c.protection.locked]
        sheets[ws.title] = (
            cells, sorted(str(r) for r in ws.merged_cells.ranges),
            sorted((str(dv.sqref), dv.type, dv.formula1, dv.formula2) for dv in ws.data_validations.dataValidation),
            ws.print_title_rows, ws.print_area, ws.freeze_panes, ws.page_setup.orientation,
        )
    names = {name: dn.attr_text for name, dn in wb.defined_names.items()}
    return {"sheets": sheets, "names": names}


@pytest.mark.parametrize("name", FILES)
def test_committed_templates_are_up_to_date(built, name):
    assert _snapshot(COMMITTED / name) == _snapshot(built / name), (
        f"workbook_templates/{name} 与生成结果不一致：请运行 mutualaid templates build 并提交")


def test_committed_readme_matches_layouts():
    assert (COMMITTED / "README.md").read_text(encoding="utf-8") == wt.readme_text()


def test_cli_builds_and_reports(tmp_path):
    result = CliRunner().invoke(app, ["templates", "build", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "roster.xlsx" in result.output and "已生成" in result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(FILES + ["README.md"])
    result = CliRunner().invoke(app, ["templates", "build", str(tmp_path / "x"), "--policy", "no-such"])
    assert result.exit_code == 2
    assert "未知的方案编号" in result.output and "Traceback" not in result.output
    (tmp_path / "a-file").write_text("x")
    result = CliRunner().invoke(app, ["templates", "build", str(tmp_path / "a-file")])
    assert result.exit_code == 2 and "不是文件夹" in result.output.replace("\n", "") and "a-file" in result.output


def test_policy_without_targets_or_fees_skips_those_files(tmp_path):
    outcomes = {p.name: o for p, o in wt.build(tmp_path, "beijing")}
    assert outcomes["task_allocation.xlsx"].startswith("跳过") and "targets" in outcomes["task_allocation.xlsx"]
    assert outcomes["application_form.xlsx"].startswith("跳过") and "fees" in outcomes["application_form.xlsx"]
    assert outcomes["claims_register.xlsx"] == "已生成"
    wb = load(tmp_path, "claims_register.xlsx")
    assert wb[wt.SETTINGS_SHEET][wt.SETTINGS_CELLS[wt.POLICY_NAME]].value == "beijing"


# ---------------------------------------------------------------- common print and protection setup


@pytest.mark.parametrize("name", FILES)
def test_every_sheet_prints_on_a4_fit_to_width_and_is_protected(built, name):
    wb = load(built, name)
    for ws in wb.worksheets:
        assert ws.protection.sheet
        if ws.sheet_state == "hidden":   # the native formulas' helper sheets are not printed
            assert ws.title in (native.ROSTER_HELPER, native.REGISTER_HELPER)
            continue
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_area
        assert ws.protection.sheet
        assert ws.merged_cells.ranges, "标题行应合并居中"
        title = ws["A1"]
        assert title.value and title.font.bold


@pytest.mark.parametrize("layout", wt.LAYOUTS, ids=lambda layout: layout.file)
def test_list_sheets_freeze_and_repeat_their_headers(built, layout):
    ws = load(built, layout.file)[layout.sheet]
    assert ws.freeze_panes == f"{wt.get_column_letter(layout.freeze_cols + 1)}{layout.first_row}"
    assert ws.print_title_rows == f"${layout.top_header_row}:${layout.header_row}"
    assert ws.page_setup.orientation == ("landscape" if layout.width >= 9 else "portrait")
    for column in layout.columns:
        letter = layout.letter(column.key)
        for row in (layout.first_row, layout.last_row):
            cell = ws[f"{letter}{row}"]
            assert cell.protection.locked == (not column.is_input), f"{cell.coordinate} 锁定状态不对"
            if column.formula:
                assert isinstance(cell.value, str) and cell.value.startswith("="), cell.coordinate


# ---------------------------------------------------------------- roster


ROSTER_HEADERS = ["序号", "姓名", "身份证号", "性别", "出生日期", "年龄", "类别", "续互/新参互", "交费金额", "资格",
                  "联系电话", "备注", "分工会/部门", "城镇职工医保", "大病补充医保", "新就业形态劳动者", "参互历史", "份数",
                  "参互日期"]


def test_roster_columns_formats_and_validations(built):
    wb = load(built, "roster.xlsx")
    assert wb.sheetnames == ["会员名册", "设置", native.ROSTER_HELPER]
    ws = wb["会员名册"]
    assert header_row(ws, 4, len(ROSTER_HEADERS) + 1) == ROSTER_HEADERS + [None]
    col = letters_by_header(ws, 4)
    assert {key: wt.ROSTER.letter(key) for key in ("id_number", "category", "fee")} == {
        "id_number": col["身份证号"], "category": col["类别"], "fee": col["交费金额"]}
    assert wt.ROSTER.column("membership").header == "续互/新参互"
    for row in (5, 200, 504):
        assert ws[f"{col['身份证号']}{row}"].number_format == "@"
        assert ws[f"{col['联系电话']}{row}"].number_format == "@"
        assert ws[f"{col['交费金额']}{row}"].number_format == "0.00"
        assert ws[f"{col['出生日期']}{row}"].number_format == "yyyy-mm-dd"
    assert ws["A505"].value is None and ws[f"{col['身份证号']}505"].protection.locked
    assert validation_for(ws, f"{col['类别']}5").formula1 == '"在职,退休"'
    assert validation_for(ws, f"{col['类别']}504").type == "list"
    assert validation_for(ws, f"{col['续互/新参互']}5").formula1 == '"续互,新参互,未参"'
    id_check = validation_for(ws, f"{col['身份证号']}5")
    assert (id_check.type, id_check.formula1, id_check.formula2) == ("textLength", "15", "18")
    assert f"A1:{wt.ROSTER.letter('joined')}1" in {str(r) for r in ws.merged_cells.ranges}


def test_roster_formulas_pass_policy_and_date_explicitly(built):
    wb = load(built, "roster.xlsx")
    ws = wb["会员名册"]
    fee, eligible, age, sex = (ws[f"{c}7"].value for c in ("I", "J", "F", "D"))
    # native formulas: no add-in function; the policy's numbers come from the 设置 table
    assert "FEE(" not in fee and "ELIGIBLE(" not in eligible
    assert fee.startswith("=IF('会员名册'!$G7&'会员名册'!$H7=\"\",\"\",")    # blank rows stay blank
    assert '"未参"' in fee                          # 昆冶高专工发〔2015〕10号: 不参加填“未参”
    assert f"'{native.ROSTER_HELPER}'!$C7" in fee and '方案编号="nm-2021"' in fee and '方案编号="nm-2021"' in eligible
    helper = wb[native.ROSTER_HELPER]
    assert any("参互日期" in str(helper.cell(7, c).value) for c in range(1, helper.max_column + 1))
    joined = wt.ROSTER.letter("joined")
    assert f'DATEDIF($E7,IF(${joined}7="",参互日期,${joined}7)' in age     # the row's own date wins
    assert "MID($C7,17,1)" in sex and "MID($C7,15,1)" in sex
    settings = wb["设置"]
    policy = get_policy(DEFAULT_POLICY_ID)
    assert settings["B3"].value == DEFAULT_POLICY_ID
    assert settings["B4"].value.date() == policy.dates.enrolment_start
    # 细则第三条's monthly windows: the official working days, with adjusted workdays, cited
    workdays = {settings.cell(r, 2).value.date(): (settings.cell(r, 1).value, settings.cell(r, 3).value)
                for r in range(1, settings.max_row + 1) if str(settings.cell(r, 1).value).startswith("工作日：")}
    assert workdays[dt.date(2021, 10, 9)][0] == "工作日：2021-10 第 2 个"        # a Saturday workday
    assert not any(dt.date(2021, 10, d) in workdays for d in range(1, 8))       # National Day
    assert dt.date(2021, 12, 10) in workdays and dt.date(2021, 12, 13) not in workdays
    assert all("chinese-calendar" in src and "细则第三条" in src for _l, src in workdays.values())
    assert not settings["B3"].protection.locked and not settings["B4"].protection.locked
    assert {n: d.attr_text for n, d in wb.defined_names.items()} == {"方案编号": "'设置'!$B$3", "参互日期": "'设置'!$B$4"}
    assert DEFAULT_POLICY_ID in validation_for(settings, "B3").formula1


# ---------------------------------------------------------------- claims register


CLAIMS_HEADERS = ["序号", "姓名", "身份证号", "入院日期", "出院日期", "住院天数", "期内天数", "自付费用", "总费用",
                  "连续参互年数", "份数", "首次住院", "已付补助金", "计入封顶金额", "补助金额", "说明", "备注"]
# SUBSIDY's parameters and the register column each one must read
SUBSIDY_SOURCES = {"self_pay": "自付费用", "days": "住院天数", "years": "连续参互年数", "first_stay": "首次住院",
                   "paid_before": "已付补助金", "policy": "方案编号", "covered_days": "期内天数",
                   "total_cost": "总费用", "shares": "份数", "admitted": "入院日期", "discharged": "出院日期",
                   "joined": "参互日期", "settled": "医保结算日期", "applied": "申请日期", "late_ok": "逾期特批"}


def test_claims_register_columns(built):
    wb = load(built, "claims_register.xlsx")
    assert wb.sheetnames == ["补助登记表", "设置", native.REGISTER_HELPER]
    ws = wb["补助登记表"]
    assert header_row(ws, 3, 17) == CLAIMS_HEADERS
    assert "出院日期 − 入院日期" in ws["A2"].value and "当天入出院计 1 天" in ws["A2"].value
    col = letters_by_header(ws, 3)
    for header in ("自付费用", "总费用", "已付补助金", "计入封顶金额", "补助金额"):
        assert ws[f"{col[header]}4"].number_format == "0.00"
    assert ws[f"{col['身份证号']}503"].number_format == "@"
    assert validation_for(ws, f"{col['入院日期']}4").type == "date"
    assert validation_for(ws, f"{col['连续参互年数']}4").formula1 == "1"
    assert ws[f"{col['住院天数']}9"].value == '=IF(OR($D9="",$E9=""),"",IF($E9<$D9,"出院早于入院",MAX(1,$E9-$D9)))'


def test_claims_first_stay_and_paid_before_look_only_at_earlier_rows_of_the_same_id(built):
    ws = load(built, "claims_register.xlsx")["补助登记表"]
    assert ws["L4"].value == '=IF($C4="","",IF(COUNTIFS($C$3:$C3,$C4&"*"),"否","是"))'
    assert ws["L9"].value == '=IF($C9="","",IF(COUNTIFS($C$3:$C8,$C9&"*"),"否","是"))'
    assert ws["M9"].value == '=IF($C9="","",SUMIFS($N$3:$N8,$C$3:$C8,$C9&"*"))'


@pytest.mark.parametrize("header", ["计入封顶金额", "补助金额"])
def test_claims_amounts_are_native_formulas(built, header):
    ws = load(built, "claims_register.xlsx")["补助登记表"]
    formula = ws[f"{letters_by_header(ws, 3)[header]}12"].value
    assert formula.startswith("=IF('补助登记表'!$C12=\"\",\"\",") and f"'{native.REGISTER_HELPER}'!$" in formula
    assert "SUBSIDY" not in formula


def test_claims_explanation_uses_the_add_in_with_a_hint_without_it(built):
    function, header = "SUBSIDY_DETAIL", "说明"
    ws = load(built, "claims_register.xlsx")["补助登记表"]
    col = letters_by_header(ws, 3)
    header_of = {letter: h for h, letter in col.items()}
    formula = ws[f"{col[header]}12"].value
    match = re.fullmatch(r'=IF\(\$C12="","",IFERROR\(' + function + r'\((.*)\),"' + native.DETAIL_HINT + r'"\)\)', formula)
    assert match, formula
    arguments = match.group(1).split(",")
    sources = [header_of[a[1:-2]] if a.startswith("$") else a for a in arguments]
    parameters = list(inspect.signature(getattr(udfs, function)).parameters)
    assert sources == [SUBSIDY_SOURCES[p] for p in parameters]


# ---------------------------------------------------------------- application form


def test_application_form_fields_and_fee_text_from_policy(built):
    ws = load(built, "application_form.xlsx")["参互申请表"]
    assert ws.title == "参互申请表"
    assert header_row(ws, 5, 9) == ["单位总人数", "缴纳城镇职工医保人数", "续互人数", "新参互人数", "在职参互人数",
                                    "在职参互比例", "退休参互人数", "参互总人数", "互助金总额"]
    labels = {ws[ref].value for ref in ("A3", "F3", "A4", "F4", "A7", "A8", "A9")}
    assert labels == {"单位名称\n（工会盖章）", "单位编码", "代办员", "联系电话", "互助金交纳标准",
                      "互助机构意见\n（盖章）", "互助机构经办人\n（签字）"}
    assert ws["C7"].value == "在职职工每人每期100元，参互退休职工每人每期400元。"
    assert "退休职工每人每期400元累加填写" in ws["A10"].value
    assert ws["F6"].value == '=IF(N(A6)=0,"",E6/A6)' and ws["F6"].number_format == "0.00%"
    assert ws["H6"].value == '=IF(COUNT(E6,G6)=0,"",N(E6)+N(G6))'
    assert ws["I6"].number_format == "0.00" and ws["H3"].number_format == "@"
    for key in ("unit", "unit_code", "agent", "phone", "staff", "active", "amount"):
        assert not ws[wt.APPLICATION_CELLS[key]].protection.locked, key
    assert ws["F6"].protection.locked and ws["C7"].protection.locked
    rule = ws.conditional_formatting._cf_rules
    assert any("F6<0.75" in r.formula[0] for rules in rule.values() for r in rules)


def test_fee_text_follows_the_policy_file(tmp_path, monkeypatch):
    source = get_policy("nm-2021").path.read_text(encoding="utf-8")
    changed = source.replace('id = "nm-2021"', 'id = "test-fee"').replace(
        'amounts = { "在职" = 100, "退休" = 400 }', 'amounts = { "在职" = 120, "退休" = 385.5 }')
    assert changed.count("test-fee") == 1 and "385.5" in changed
    (tmp_path / "test-fee.toml").write_text(changed, encoding="utf-8")
    monkeypatch.setenv("MUTUALAID_POLICY_PATH", str(tmp_path))
    wt.build(tmp_path / "out", "test-fee")
    ws = load(tmp_path / "out", "application_form.xlsx")["参互申请表"]
    assert ws["C7"].value == "在职职工每人每期120元，参互退休职工每人每期385.50元。"
    assert "（内蒙古职工住院医疗互助保障2021年度（第三期））" == ws["A2"].value


def test_fee_text_for_share_and_renewal_priced_policies():
    assert wt.fee_standard_text(get_policy("zjk-14")) == "每份20元"
    assert wt.fee_standard_text(get_policy("yn-12")) == "续互职工每人每期80元，新参互职工每人每期100元"


# ---------------------------------------------------------------- ledger, summary, tasks, stats


def test_unit_ledger_two_level_header_and_totals(built):
    ws = load(built, "unit_ledger.xlsx")["参互单位台账"]
    assert header_row(ws, 3, 7) == ["序号", "参互单位名称", "在职职工人数", "参互人数", None, "在职参互比例", "互助金总额"]
    assert header_row(ws, 4, 7) == [None, None, None, "在职", "退休", None, None]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A3:A4", "B3:B4", "D3:E3", "F3:F4", "A1:G1"} <= merged
    assert ws["A2"].value == "机构名称：" and "年" in ws["F2"].value
    assert ws["B105"].value == "合计"
    assert [ws[f"{c}105"].value for c in "CDEG"] == ["=SUM(C5:C104)", "=SUM(D5:D104)", "=SUM(E5:E104)", "=SUM(G5:G104)"]
    assert ws["F105"].value == '=IF(OR(N($C105)=0,$D105=""),"",$D105/$C105)'
    assert ws["G50"].number_format == "0.00" and ws["F50"].number_format == "0.00%"
    assert validation_for(ws, "C5").type == "whole"


def test_annual_summary_columns_and_totals(built):
    ws = load(built, "annual_summary.xlsx")["年度参互汇总表"]
    assert ws["A1"].value == "年度参互汇总表" and ws["A2"].value == "办事处名称："
    assert header_row(ws, 3, 8) == ["序号", "代办点名称", "参互单位数", "续互人数", "新参互人数", "在职参互人数",
                                    "退休参互人数", "互助金总额"]
    assert ws["B54"].value == "合计" and ws["H54"].value == "=SUM(H4:H53)" and ws["C54"].value == "=SUM(C4:C53)"


def test_task_allocation_has_the_20_units_and_targets_of_the_policy(built):
    ws = load(built, "task_allocation.xlsx")["工作任务分配表"]
    targets = get_policy(DEFAULT_POLICY_ID).targets
    assert header_row(ws, 3, 5) == ["序号", "单位", "2021年目标任务（人）", "完成人数", "完成率"]
    rows = [(ws[f"A{r}"].value, ws[f"B{r}"].value, ws[f"C{r}"].value) for r in range(4, 24)]
    assert rows == [(i, t.unit, t.target) for i, t in enumerate(targets.units, 1)]
    # spot checks against the printed table of 内工发〔2021〕5号 附件2
    assert rows[0] == (1, "呼和浩特市总工会", 183888)
    assert rows[19] == (20, "内蒙古森林工业集团有限责任公司工会", 31755)
    assert ws["B24"].value == "合计" and ws["C24"].value == "=SUM(C4:C23)"
    assert ws["E10"].value == '=IF(OR(N($C10)=0,$D10=""),"",$D10/$C10)'
    assert ws["E24"].value == '=IF(OR(N($C24)=0,$D24=""),"",$D24/$C24)'
    assert ws["C10"].protection.locked and not ws["D10"].protection.locked


def test_operation_stats_matches_the_zhangjiakou_form(built):
    ws = load(built, "operation_stats.xlsx")["运行情况统计表"]
    assert ws["A1"].value.endswith("年度职工大病医疗互助活动运行情况统计表")
    assert ws["A2"].value == "填报单位（盖章）："
    assert header_row(ws, 3, 10) == ["互助期", "参与职工人数", "筹集资金", "上缴市总工会金额", "市总累计回拨金额",
                                     "救助情况", None, None, None, "截止12月30日账面累计结余资金"]
    assert header_row(ws, 4, 10)[5:9] == ["救助职工人数", "支付互助金", "其中救助患重大疾病职工人数", "支付互助金"]
    assert "F3:I3" in {str(r) for r in ws.merged_cells.ranges}
    text = [ws[f"A{r}"].value for r in range(10, 16)]
    assert any(t and "常务副主席签字" in t and "财务负责人核准签字" in t and "填表人签字" in t for t in text)
    notes = "".join(t for t in text if t)
    for part in ("1.参与职工人数、筹集资金以互助期为单位进行统计", "2.救助情况以自然年度",
                 "3.截至12月30日账面结余资金需扣除已审批但未支付的互助金"):
        assert part in notes
    assert ws["C5"].number_format == "0.00" and ws["B5"].number_format == "0"
    assert ws.print_area.endswith("$J$15")


def test_readme_names_every_column_letter():
    text = wt.readme_text()
    for layout in wt.LAYOUTS:
        assert f"## {layout.file}：{layout.sheet}" in text
        for column in layout.columns:
            assert f"| {layout.letter(column.key)} |" in text and f"| {column.key} |" in text
    for key, ref in wt.APPLICATION_CELLS.items():
        assert f"| {ref} |" in text and f"| {key} |" in text



# Functions Excel 2010, WPS 表格 and LibreOffice all compute (no LET, LAMBDA, XLOOKUP, dynamic arrays).
BUILT_IN = {"IF", "IFERROR", "OR", "AND", "NOT", "LEN", "MID", "LEFT", "RIGHT", "VALUE", "MOD", "DATE", "DATEDIF",
            "MAX", "MIN", "N", "INT", "ROUND", "ABS", "COUNT", "COUNTA", "COUNTIF", "COUNTIFS", "SUM", "SUMIFS",
            "SUMPRODUCT", "ISNUMBER", "INDEX", "MATCH", "TRIM", "SUBSTITUTE", "UPPER", "TEXT", "YEAR", "MONTH", "DAY"}


@pytest.mark.parametrize("name", FILES)
def test_formulas_call_only_excel_built_ins_and_our_worksheet_functions(built, name):
    """A misspelt or renamed function would show #NAME? in every row of a clerk's workbook."""
    wb = load(built, name)
    used = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    text = re.sub(r'"[^"]*"', "", cell.value)       # ignore text inside quotes
                    used |= set(re.findall(r"([A-Z][A-Z0-9_.]*)\(", text))
        for rule in (r for rules in ws.conditional_formatting._cf_rules.values() for r in rules):
            used |= set(re.findall(r"([A-Z][A-Z0-9_.]*)\(", re.sub(r'"[^"]*"', "", rule.formula[0])))
    # only the register's explanation column keeps an add-in function (inside IFERROR, nothing depends on it)
    assert used - BUILT_IN == ({"SUBSIDY_DETAIL"} if name == "claims_register.xlsx" else set()), used - BUILT_IN


def test_a_block_formulas_cannot_express_keeps_the_add_in_and_the_build_says_which(tmp_path, monkeypatch):
    """A user's policy whose cap differs by category: the register has no category column."""
    source = get_policy("hangzhou").path.read_text(encoding="utf-8")
    changed = source.replace('id = "hangzhou"', 'id = "test-cat"').replace(
        "per_period = 30200", 'per_period = { "在职" = 30200, "退休" = 20000 }')
    assert changed.count('"退休" = 20000') == 1
    (tmp_path / "test-cat.toml").write_text(changed, encoding="utf-8")
    monkeypatch.setenv("MUTUALAID_POLICY_PATH", str(tmp_path))
    outcomes = {p.name: o for p, o in wt.build(tmp_path / "out", "test-cat")}
    assert "[subsidy.cap] per_period" in outcomes[wt.CLAIMS.file] and "加载项" in outcomes[wt.CLAIMS.file]
    wb = load(tmp_path / "out", wt.CLAIMS.file)
    ws = wb[wt.CLAIMS.sheet]
    assert "SUBSIDY(" in ws[f"{wt.CLAIMS.letter('amount')}4"].value
    assert native.REGISTER_HELPER not in wb.sheetnames
    assert not any(ws.cell(r, 1).value for r in range(native.PARAM_FIRST_ROW, native.PARAM_FIRST_ROW + 5)
                   for ws in [wb[wt.SETTINGS_SHEET]])
    assert "已生成" in outcomes[wt.ROSTER.file]


def test_settings_sheet_carries_the_policy_parameters_with_their_sources(built):
    ws = load(built, wt.CLAIMS.file)[wt.SETTINGS_SHEET]
    rows = {ws.cell(r, 1).value: (ws.cell(r, 2).value, ws.cell(r, 3).value)
            for r in range(native.PARAM_FIRST_ROW, ws.max_row + 1) if ws.cell(r, 1).value}
    policy = get_policy(DEFAULT_POLICY_ID)
    assert rows["第 1 段上限（元，含）"][0] == 10000 and rows["第 3 段补助比例"][0] == 1
    assert rows["保底金额（元）"] == (200, policy.subsidy.minimum.source)
    assert rows["住院补贴：连续参互 3 年起（元/天）"][0] == 30
    assert all(source for _value, source in rows.values())           # every row names its 文号 and article
    assert rows["每期封顶（元）"] == (250000, policy.subsidy.cap.source)
    assert ws.cell(native.PARAM_TITLE_ROW - 2, 1).value.startswith("依据文件：" + policy.documents[0])
    assert "按方案 nm-2021" in ws.cell(native.PARAM_TITLE_ROW - 1, 1).value
    assert "mutualaid templates build" in ws.cell(native.PARAM_TITLE_ROW - 1, 1).value
