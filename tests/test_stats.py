"""`mutualaid stats`: the 运行情况统计表 of a synthetic county, figures checked with plain sums."""

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from fake_book import FakeBook
from openpyxl import Workbook, load_workbook
from openpyxl.workbook.defined_name import DefinedName
from typer.testing import CliRunner

from mutualaid_xl.cli import app
from mutualaid_xl.excel import ribbon
from mutualaid_xl.rules.idcard import check_char

runner = CliRunner()
D = dt.date


def synthetic_id(serial: int, born: str = "19750301") -> str:
    first17 = f"992{serial:03d}{born}{serial % 1000:03d}"
    return first17 + check_char(first17)


A, B, C, E, F = (synthetic_id(i) for i in (1, 2, 3, 5, 6))
R = synthetic_id(4, "19500301")   # a retiree

REGISTER_HEADERS = ("姓名", "身份证号", "入院日期", "出院日期", "自付费用", "连续参互年数", "审批日期", "支付日期", "是否重大疾病")
# amounts under nm-2021 (细则第十条), worked by hand:
REGISTER = [
    ("张三", A, D(2021, 6, 1), D(2021, 6, 13), 20000, 2, D(2021, 6, 20), D(2021, 6, 25), "是"),   # 11000 + 12×20 = 11240
    ("李四", B, D(2020, 12, 1), D(2020, 12, 3), 200, 1, D(2020, 12, 10), D(2020, 12, 20), "否"),  # 200, paid in 2020
    ("张三", A, D(2021, 8, 1), D(2021, 8, 11), 300000, 2, D(2021, 8, 20), D(2021, 9, 1), "是"),   # 2nd stay: 217000
    ("王五", C, D(2021, 12, 1), D(2021, 12, 5), 5000, 3, D(2021, 12, 20), D(2022, 1, 10), "否"),  # 2120, unpaid at 12-30
    ("李四", B, D(2021, 3, 1), D(2021, 3, 3), 200, 1, D(2021, 3, 10), D(2021, 12, 31), "否"),     # 80 -> 200, paid 12-31
    ("赵六", E, D(2021, 5, 1), D(2021, 5, 5), 5000, 3, D(2021, 5, 15), D(2021, 5, 20), None),     # 2000 + 120 = 2120
    ("孙七", F, D(2021, 11, 1), D(2021, 11, 5), 5000, 3, None, None, None),                       # not approved yet
]
FEE_ACTIVE, FEE_RETIRED = 100, 400   # nm-2021 [fees], 内工发〔2021〕5号 二（二）


def write_book(path: Path, headers, rows) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def county(tmp_path: Path, register_headers=REGISTER_HEADERS, register=REGISTER):
    rosters = tmp_path / "名册"
    rosters.mkdir()
    head = ("姓名", "身份证号", "类别", "续互/新参互")
    write_book(rosters / "一单位.xlsx", head, [("张三", A, "在职", "续互"), ("李四", B, "在职", "续互")])
    write_book(rosters / "二单位.xlsx", head, [("王五", C, "在职", "新参互"), ("钱八", R, "退休", "续互"),
                                               ("张三", A, "在职", "续互")])          # A again: once, listed
    write_book(rosters / "三单位.xlsx", head, [("赵六", E, "在职", "续互"), ("某某", "123", "在职", "续互"),
                                               ("周九", F, "在职", "未参")])          # bad ID listed; 未参 not counted
    register_path = write_book(tmp_path / "登记表.xlsx", register_headers, register)
    return rosters, register_path


def digest(paths):
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]


def run_stats(tmp_path, *extra):
    rosters, register = county(tmp_path)
    files = [*sorted(rosters.iterdir()), register]
    before = digest(files)
    out = tmp_path / "统计"
    result = runner.invoke(app, ["stats", "--rosters", str(rosters), "--claims", str(register), "--year", "2021",
                                 "--into", str(out), *extra,
                                 *(() if "--issuer" in extra else ("--issuer", "某某县总工会"))], terminal_width=200)
    assert digest(files) == before
    return result, out / "运行情况统计表_2021.xlsx"


def figures(path: Path) -> dict:
    ws = load_workbook(path)["运行情况统计表"]
    return {cell.value: [c.value for c in row] for row in ws.iter_rows(min_row=5, max_row=9) for cell in row[:1]}


def test_statistics_of_a_county(tmp_path):
    result, book = run_stats(tmp_path, "--opening-balance", "50000", "--remitted", "100", "--returned", "30")
    assert result.exit_code == 1, result.output   # the bad ID row is a problem
    rows = figures(book)
    period = rows["2021年度（第三期）"]
    members = 5                                   # A, B, C, R, E: A counted once, "123" and 未参 not
    raised = 4 * FEE_ACTIVE + FEE_RETIRED
    assert period[1:3] == [members, raised]
    total = rows["2021年度合计"]
    paid = 11240 + 217000 + 2120                  # paid 2021-01-01 .. 12-30
    unpaid = 2120 + 200                           # approved by 12-30, paid later
    assert total[3:9] == [100, 30, 2, paid, 1, 11240 + 217000]
    assert total[9].startswith("=")               # the balance is a native formula
    ws = load_workbook(book)["运行情况统计表"]
    assert ws["C16"].value == 50000 and ws["C17"].value == unpaid
    sources = [r for r in load_workbook(book)["数据来源"].iter_rows(values_only=True)]
    named = {r[0]: r for r in sources if r and r[0]}
    assert named["其中住院补贴"][1] == 12 * 20 + 4 * 30 and named["其中补助金"][1] == paid - 360
    assert named["已审批未支付的互助金"][3] == 2
    problems = [r[5] for r in sources if r and isinstance(r[0], int)]
    assert any("重复" in p for p in problems) and any("身份证号" in p and "本行未计入" in p for p in problems)
    assert "参与 5 人" in result.output and "230,360.00" in result.output


@pytest.mark.libreoffice
def test_balance_formula_by_value_in_libreoffice(tmp_path):
    from mutualaid_xl.documents.office import recalculate_xlsx

    _result, book = run_stats(tmp_path, "--opening-balance", "50000", "--remitted", "100", "--returned", "30")
    recalculated = recalculate_xlsx(book, tmp_path / "recalc.xlsx")
    ws = load_workbook(recalculated, data_only=True)["运行情况统计表"]
    rows = {row[0].value: [c.value for c in row] for row in ws.iter_rows(min_row=5, max_row=9)}
    raised = 4 * FEE_ACTIVE + FEE_RETIRED
    paid = 11240 + 217000 + 2120
    assert rows["2021年度合计"][9] == pytest.approx(50000 + raised - 100 + 30 - paid - (2120 + 200), abs=0.001)


def test_register_without_payment_date_names_the_column(tmp_path):
    headers = tuple(h for h in REGISTER_HEADERS if h != "支付日期")
    register = [tuple(v for h, v in zip(REGISTER_HEADERS, row) if h != "支付日期") for row in REGISTER]
    rosters, path = county(tmp_path, headers, register)
    out = tmp_path / "统计"
    result = runner.invoke(app, ["stats", "-r", str(rosters), "-c", str(path), "--year", "2021", "--issuer", "某县总工会", "--into", str(out)],
                           terminal_width=200)
    assert result.exit_code == 1
    assert "没有“支付日期”列" in result.output and "缺少 救助职工人数" in result.output
    rows = figures(out / "运行情况统计表_2021.xlsx")
    assert rows["2021年度（第三期）"][1:3] == [5, 4 * FEE_ACTIVE + FEE_RETIRED]   # still filled
    assert rows["2021年度合计"][5] is None


def _statement_text(docx: Path) -> str:
    from docx import Document

    doc = Document(docx)
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_fund_statement_holds_the_figures_and_no_personal_data(tmp_path):
    result, book = run_stats(tmp_path, "--opening-balance", "50000", "--remitted", "100", "--returned", "30",
                             "--issuer", "某某县总工会")
    text = _statement_text(book.parent / "互助金收支情况公示_2021.docx").replace("\n", "")   # the title is set in lines
    raised, paid, unpaid = 4 * FEE_ACTIVE + FEE_RETIRED, 11240 + 217000 + 2120, 2120 + 200
    balance = 50000 + raised - 100 + 30 - paid - unpaid
    for figure in (f"{raised:,.2f}", f"{paid:,.2f}", f"{paid - 360:,.2f}", "360.00", f"{unpaid:,.2f}",
                   f"{balance:,.2f}", "某某县总工会2021年度职工医疗互助金收支情况公示", "2021年12月30日"):
        assert figure in text, figure
    for name, id_number in (("张三", A), ("李四", B), ("王五", C), ("赵六", E)):
        assert name not in text and id_number not in text and id_number[-4:] not in text


@pytest.mark.libreoffice
def test_fund_statement_pdf(tmp_path):
    import subprocess

    result, book = run_stats(tmp_path, "--opening-balance", "50000", "--pdf")
    pdf = book.parent / "互助金收支情况公示_2021.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "230,360.00" in text and "2,320.00" in text and "未统计" in text   # remitted/returned not given
    assert "张三" not in text


def test_ribbon_run_statistics_from_the_open_register(tmp_path):
    rosters, register = county(tmp_path)
    wb = load_workbook(register)
    ws = wb.create_sheet("参数")
    ws["A1"], ws["B1"], ws["A2"], ws["B2"] = "统计年度", 2021, "上期结余", 50000
    wb.defined_names["统计年度"] = DefinedName("统计年度", attr_text="'参数'!$B$1")
    wb.defined_names["上期结余"] = DefinedName("上期结余", attr_text="'参数'!$B$2")
    book = FakeBook.from_openpyxl(wb, fullname=str(tmp_path / "登记表.xlsx"))
    message = ribbon.run_statistics(book)
    out = tmp_path / "登记表-运行统计" / "运行情况统计表_2021.xlsx"
    assert book.app.books.opened == [str(out)], message
    assert "缺少：上缴市总工会金额" in message and "有 2 个问题" in message
    rows = figures(out)
    assert rows["2021年度合计"][5:7] == [2, 11240 + 217000 + 2120]
    assert (out.parent / "互助金收支情况公示_2021.docx").is_file()


@pytest.mark.parametrize("args, aided, paid, unpaid", [
    (["--year", "2021", "--as-of", "2021-12-31"], 3, 11240 + 217000 + 2120 + 200, 2120),   # 李四's 12-31 payment counts
    (["--year", "2020"], 1, 200, 0),                                                      # the other natural year
])
def test_natural_year_and_cut_off(tmp_path, args, aided, paid, unpaid):
    rosters, register = county(tmp_path)
    out = tmp_path / "统计"
    result = runner.invoke(app, ["stats", "-r", str(rosters), "-c", str(register), *args, "--issuer", "某县总工会", "--into", str(out)])
    assert result.exit_code == 1, result.output
    book = next(out.glob("运行情况统计表_*.xlsx"))
    assert [v for v in figures(book).values() if v[0] and "合计" in v[0]][0][5:7] == [aided, paid]
    assert load_workbook(book)["运行情况统计表"]["C17"].value == unpaid


def test_an_unreadable_payment_date_is_named_and_not_counted(tmp_path):
    register = [REGISTER[0][:7] + ("2021年13月1日", "是"), *REGISTER[1:]]
    rosters, path = county(tmp_path, REGISTER_HEADERS, register)
    out = tmp_path / "统计"
    result = runner.invoke(app, ["stats", "-r", str(rosters), "-c", str(path), "--year", "2021", "--issuer", "某县总工会", "--into", str(out)],
                           terminal_width=200)
    assert result.exit_code == 1
    assert "第 2 行" in result.output and "H（支付日期）" in result.output
    assert figures(out / "运行情况统计表_2021.xlsx")["2021年度合计"][5:7] == [2, 217000 + 2120]


def test_rosters_of_two_periods_are_counted_per_period(tmp_path):
    rosters, register = county(tmp_path)
    wb = Workbook()
    ws = wb.active
    for row in (("姓名", "身份证号", "类别", "续互/新参互"), ("张三", A, "在职", "续互"), ("吴十", synthetic_id(7), "在职", "新参互")):
        ws.append(row)
    settings = wb.create_sheet("设置")
    settings["A3"], settings["B3"] = "方案编号", "yn-14"      # the templates' 设置 sheet: 方案编号 in B3
    wb.save(rosters / "上期单位.xlsx")
    out = tmp_path / "统计"
    result = runner.invoke(app, ["stats", "-r", str(rosters), "-c", str(register), "--year", "2021", "--issuer", "某县总工会", "--into", str(out)])
    assert result.exit_code == 1, result.output
    rows = figures(out / "运行情况统计表_2021.xlsx")
    assert rows["2021年度（第三期）"][1:3] == [5, 4 * FEE_ACTIVE + FEE_RETIRED]
    assert rows["第十四期（2018年）"][1:3] == [2, 120 + 150]   # A counts in each period; 续互 120, 新参互 150
    assert rows["2021年度合计"][1:3] == ["=SUM(B5:B8)", "=SUM(C5:C8)"]


def test_the_issuer_of_the_public_statement_must_be_given(tmp_path):
    rosters, register = county(tmp_path)
    result = runner.invoke(app, ["stats", "-r", str(rosters), "-c", str(register), "--year", "2021",
                                 "--into", str(tmp_path / "统计")], terminal_width=200)
    assert result.exit_code == 2 and "--issuer" in result.output
    assert not (tmp_path / "统计").exists()
