"""`mutualaid claims`: a whole register computed like the Excel template, to the fen."""

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from mutualaid_xl.rules import engine
from mutualaid_xl.workbooks.claims import compute_register
from mutualaid_xl.cli import app
from mutualaid_xl.rules.policy import get_policy
from mutualaid_xl.rules.idcard import check_char
from mutualaid_xl.workbooks.templates import CLAIMS

TEMPLATE = Path(__file__).resolve().parents[1] / "workbook_templates" / CLAIMS.file


def synthetic_id(serial: int, born: str = "19750301") -> str:
    """A valid ID number from the unassigned area code 99xxxx (no real person)."""
    first17 = f"990{serial:03d}{born}{serial % 1000:03d}"
    return first17 + check_char(first17)


A, B, C = (synthetic_id(i) for i in (11, 12, 13))
D = dt.date

# name, id, admitted, discharged, days, self-pay, years
ROWS = [
    ("张三", A, D(2021, 6, 1), D(2021, 6, 13), None, 20000, 2),      # worked example: 11240
    ("李四", B, D(2021, 7, 1), D(2021, 7, 3), None, 200, 1),          # 80 + 20 -> minimum 200
    ("张三", A, D(2021, 8, 1), D(2021, 8, 11), None, 300000, 2),      # 2nd stay: no allowance, 217000
    ("张三", A, D(2021, 9, 1), D(2021, 9, 5), None, 50000, 2),        # cap room 250000-228000 = 22000
    (None, None, None, None, None, None, None),                       # blank row in between
    ("李四", B.lower(), D(2021, 9, 1), D(2021, 9, 1), 3, "1,000.50元", 1),  # days given; x lower case is same ID
    ("王五", "123", D(2021, 9, 1), D(2021, 9, 5), None, 5000, 2),     # bad ID: computed, flagged
    ("赵六", C, D(2021, 9, 9), D(2021, 9, 5), None, 5000, 2),         # discharged before admitted
    ("钱七", C, D(2021, 10, 1), D(2021, 10, 3), None, -5, 1),         # negative self-pay
]
EXPECTED = {  # Excel row -> (first stay, paid before, cap part, amount)
    4: ("是", "0.00", "11000.00", "11240.00"),
    5: ("是", "0.00", "180.00", "200.00"),
    6: ("否", "11000.00", "217000.00", "217000.00"),
    7: ("否", "228000.00", "22000.00", "22000.00"),
    9: ("否", "180.00", "400.20", "400.20"),
    10: ("是", "0.00", "2000.00", "2080.00"),
}


def _fill(path: Path, rows=ROWS) -> Path:
    wb = load_workbook(TEMPLATE)
    ws = wb[CLAIMS.sheet]
    keys = ("name", "id_number", "admitted", "discharged", "days", "self_pay", "years")
    for r, row in enumerate(rows, CLAIMS.first_row):
        for key, value in zip(keys, row):
            if value is not None:
                ws[f"{CLAIMS.letter(key)}{r}"] = value
    wb.save(path)
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_register_from_the_template(tmp_path):
    result = compute_register(_fill(tmp_path / "register.xlsx"))
    assert result.policy.id == "nm-2021"                 # from the template's 设置 sheet
    by_row = {result.sheet.excel_row(i): p for p, i in enumerate(result.rows)}
    for excel_row, (first, paid, cap, amount) in EXPECTED.items():
        p = by_row[excel_row]
        assert ("是" if result.first_stay[p] else "否") == first, excel_row
        assert result.paid_before_fen[p] == int(Decimal(paid) * 100), excel_row
        assert result.amounts.cap_part(p) == Decimal(cap), excel_row
        assert result.amounts.amount(p) == Decimal(amount), excel_row
    problems = [(e.row, e.column, e.message) for e in result.problems]
    assert problems == [
        (10, "C（身份证号）", "位数不对：应为18位，实为3位"),
        (11, "E（出院日期）", "出院日期 2021-09-05 早于入院日期 2021-09-09"),
        (12, "H（自付费用）", "不能为负数（-5.0）"),
    ]
    assert result.total_fen == 1124000 + 20000 + 21700000 + 2200000 + 40020 + 208000


def test_each_row_equals_the_scalar_engine(tmp_path):
    """Every computed row is what SUBSIDY gives for the same stay and derived history."""
    result = compute_register(_fill(tmp_path / "register.xlsx"))
    policy = get_policy("nm-2021")
    for p in range(len(result.rows)):
        if result.amounts.amount(p) is None:
            continue
        stay = engine.Stay(self_pay=result.claims.stay(p).self_pay, days=result.claims.stay(p).days,
                           years=result.claims.stay(p).years, first_stay=bool(result.first_stay[p]),
                           paid_before=Decimal(int(result.paid_before_fen[p])) / 100)
        expected = engine.compute_subsidy(policy, stay)
        assert (result.amounts.amount(p), result.amounts.cap_part(p)) == (expected.amount, expected.cap_part)


def test_cli_writes_a_new_workbook_and_keeps_input(tmp_path):
    register = _fill(tmp_path / "register.xlsx")
    before = _digest(register)
    out = tmp_path / "out.xlsx"
    run = CliRunner().invoke(app, ["claims", str(register), "--out", str(out)])
    assert run.exit_code == 1, run.output                 # three rows have problems
    assert _digest(register) == before
    assert A not in run.output and B not in run.output and C not in run.output
    shown = "".join(run.output.split())      # rich wraps long lines
    assert "第11行，列「E（出院日期）」：出院日期2021-09-05早于入院日期2021-09-09" in shown
    ws = load_workbook(out)["计算结果"]
    header = [c.value for c in ws[1]]
    col = {h: i for i, h in enumerate(header)}
    rows = {r[0].value: [c.value for c in r] for r in ws.iter_rows(min_row=2) if isinstance(r[0].value, int)}
    for excel_row, (first, paid, cap, amount) in EXPECTED.items():
        row = rows[excel_row]
        assert row[col["首次住院"]] == first
        assert Decimal(str(row[col["补助金额"]])) == Decimal(amount)
        assert Decimal(str(row[col["计入封顶金额"]])) == Decimal(cap)
        assert Decimal(str(row[col["已付补助金"]])) == Decimal(paid)
    assert "封顶" in rows[7][col["说明"]]
    assert rows[11][col["问题"]].startswith("出院日期")
    total = next(r for r in ws.iter_rows(values_only=True) if r[0] == "合计")
    assert Decimal(str(total[col["补助金额"]])) == Decimal("252920.20")
    problems = list(load_workbook(out)["问题"].iter_rows(min_row=2, values_only=True))
    assert [(p[2], p[3]) for p in problems] == [(10, "C（身份证号）"), (11, "E（出院日期）"), (12, "H（自付费用）")]
    # a second run keeps the first result as a backup
    run = CliRunner().invoke(app, ["claims", str(register), "--out", str(out), "--no-detail"])
    assert run.exit_code == 1
    assert len(list(tmp_path.glob("out.bak-*.xlsx"))) == 1
    assert _digest(register) == before


def test_header_not_in_row_one_and_other_policy(tmp_path):
    """A plain sheet with synonyms in its header row and a Zhangjiakou register (shares, buckets)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "住院登记"
    ws.append(["张家口市职工大病医疗互助 住院补贴登记"])
    ws.append([])
    ws.append(["姓名", "身份证号码", "住院天数", "份数", "自付金额"])
    ws.append(["甲", A, 8, 3, None])      # 5 days x 80 x 3 = 1200
    ws.append(["乙", B, 25, 1, None])     # 10 days x 80 = 800
    ws.append(["甲", A, 15, 3, None])     # 7 x 80 x 3 = 1680
    ws.append(["丙", C, 4, 5, None])      # 5 shares: above the policy's 3
    path = tmp_path / "zjk.xlsx"
    wb.save(path)
    result = compute_register(path, "zjk-14")
    assert [result.amounts.amount(p) for p in range(4)] == [Decimal("1200.00"), Decimal("800.00"),
                                                            Decimal("1680.00"), None]
    assert [(e.row, e.column) for e in result.problems] == [(7, "D（份数）")]
    assert "1—3 份" in result.problems[0].message


def test_row_without_amounts_still_counts_as_a_stay(tmp_path):
    """As in the template: the blank row takes the member's first stay, so it is reported."""
    rows = [("甲", A, None, None, None, None, 1), ("甲", A, D(2021, 6, 1), D(2021, 6, 11), None, 1000, 1)]
    result = compute_register(_fill(tmp_path / "r.xlsx", rows))
    assert result.amounts.amount(0) is None and not result.first_stay[1]
    assert result.amounts.amount(1) == Decimal("400.00")          # no allowance: not the first stay
    assert [(e.row, e.column) for e in result.problems] == [(4, "H（自付费用）")]


def test_not_a_register(tmp_path):
    path = tmp_path / "x.xlsx"
    wb = Workbook()
    wb.active.append(["甲", "乙"])
    wb.save(path)
    run = CliRunner().invoke(app, ["claims", str(path)])
    assert run.exit_code == 2
    assert "找不到补助登记表的表头" in "".join(run.output.split())
    assert not (tmp_path / "x_subsidy.xlsx").exists()


@pytest.mark.parametrize("content", [b"", b"%PDF-1.4 not a sheet"])
def test_unreadable_files(tmp_path, content):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    run = CliRunner().invoke(app, ["claims", str(path)])
    assert run.exit_code == 2 and "Traceback" not in run.output
    assert path.read_bytes() == content
