"""The templates' built-in formulas, recalculated by LibreOffice with sample rows filled in.

Every computed column is a native formula now (交费金额, 资格, 计入封顶金额, 补助金额), so
LibreOffice computes all of them, as WPS or an Excel without the add-in would; only the
register's 说明 column calls the add-in and shows a hint instead. No cell of any sheet may
hold an error value. All people are synthetic (area code 990101 does not exist).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import openpyxl
import pytest

from mutualaid_xl.documents import office

from mutualaid_xl import udfs
from mutualaid_xl.workbooks import native as native_formulas
from mutualaid_xl.workbooks import templates as wt
from mutualaid_xl.rules.values import EXCEL_ERRORS
from mutualaid_xl.rules.idcard import age_on, birth_date, check_char, normalize_id, sex
from mutualaid_xl.rules.policy import DEFAULT_POLICY_ID, get_policy

pytestmark = pytest.mark.libreoffice


def fake_id(birth: str, sequence: str) -> str:
    first17 = f"990101{birth}{sequence}"
    return first17 + check_char(first17)


# Two members whose IDs share the first 15 digits: Excel's COUNTIFS/SUMIFS would compare them
# as numbers (15 significant digits) without the &"*" the templates add (LibreOffice does not
# have that flaw, so test_workbook_templates.py pins the &"*" in the formula text).
A, B, C = fake_id("19800101", "001"), fake_id("19800101", "011"), fake_id("19750615", "022")
ROSTER_PEOPLE = [  # name, id, category, membership, fee as FEE() would show it
    ("甲一", fake_id("19800229", "001"), "在职", "续互", 100),
    ("乙二", fake_id("19610501", "002"), "退休", "新参互", 400),
    ("丙三", fake_id("19900101", "013"), "在职", "未参", None),
    ("丁四", "990101610502002", "在职", "续互", 100),      # old 15-digit number, born 1961-05-02
    ("戊五", fake_id("20050502", "024"), "在职", "新参互", 100),
    ("己六", fake_id("19950315", "035"), "退休", "未参", None),
]
CLAIMS_ROWS = [  # id, admitted, discharged, self-pay, consecutive years (nm-2021 rules)
    (A, dt.date(2021, 6, 1), dt.date(2021, 6, 11), 20000, 3),
    (B, dt.date(2021, 6, 1), dt.date(2021, 6, 1), 300, 1),
    (A, dt.date(2021, 7, 1), dt.date(2021, 7, 5), 5000, 3),
    (C, dt.date(2021, 7, 3), dt.date(2021, 7, 4), 1000, 2),
    (B, dt.date(2021, 8, 1), dt.date(2021, 8, 21), 300000, 1),
    (A, dt.date(2021, 9, 9), dt.date(2021, 9, 1), 1000, 3),       # discharge typed before admission
    (B, dt.date(2021, 9, 1), dt.date(2021, 9, 11), 100000, 1),
]


def cap_parts_as_excel_shows_them() -> list:
    """Run SUBSIDY_CAP_PART down the register the way Excel would, row by row."""
    paid: dict[str, float] = {}
    shown = []
    for number, admitted, discharged, self_pay, years in CLAIMS_ROWS:
        days = "出院早于入院" if discharged < admitted else max(1, (discharged - admitted).days)
        value = udfs.SUBSIDY_CAP_PART(self_pay, days, years, number not in paid, paid.get(number, 0), DEFAULT_POLICY_ID)
        shown.append(value)
        paid[number] = paid.get(number, 0) + (value if isinstance(value, float) else 0)
    return shown


# Birthdays around the enrolment date (the 60th birthday on, before and after it; 29 February
# on a 28 February enrolment date) and a spread of others, for DATEDIF against idcard.age_on.
AGES_ON = dt.date(2021, 2, 28)
AGE_IDS = [fake_id(birth, f"{n:03d}") for n, birth in enumerate(
    ["19610228", "19610227", "19610301", "19600229", "19800229", "20040228", "20050301", "19991231", "20000101",
     "19560228", "19700615", "19881111"], start=100)] + ["990101610228003", "990101610301004"]
LEDGER_ROWS = [("单位甲", 100, 75, 3, Decimal("8700.00")), ("单位乙", 40, 40, 0, Decimal("4000.00")),
               ("单位丙", None, 0, 2, Decimal("800.00")), ("单位丁", 7, 5, 1, Decimal("900.50"))]
SUMMARY_ROWS = [("代办点一", 12, 800, 150, 900, 50, Decimal("110000.00")),
                ("代办点二", 3, 100, 20, 110, 10, Decimal("15000.40"))]
DONE = {0: 183888, 4: 100000, 19: 20000}   # 完成人数 by unit index


def fill(ws, layout: wt.Layout, rows: list[dict]):
    for offset, values in enumerate(rows):
        for key, value in values.items():
            if value is not None:
                ws[f"{layout.letter(key)}{layout.first_row + offset}"] = value


@pytest.fixture(scope="module")
def recalculated(tmp_path_factory) -> dict[str, openpyxl.Workbook]:
    base = tmp_path_factory.mktemp("recalc")
    wt.build(base / "templates")
    filled, out = base / "filled", base / "out"
    filled.mkdir()

    def edit(name, change, save_as=None):
        wb = openpyxl.load_workbook(base / "templates" / name)
        change(wb)
        wb.save(filled / (save_as or name))

    edit(wt.ROSTER.file, lambda wb: fill(wb[wt.ROSTER.sheet], wt.ROSTER, [
        dict(name=n, id_number=i, category=c, membership=m) for n, i, c, m, _f in ROSTER_PEOPLE]))
    def ages(wb):
        wb[wt.SETTINGS_SHEET][wt.SETTINGS_CELLS[wt.DATE_NAME]] = AGES_ON
        fill(wb[wt.ROSTER.sheet], wt.ROSTER, [dict(name="某", id_number=i, category="在职", membership="续互")
                                              for i in AGE_IDS])

    edit(wt.ROSTER.file, ages, "roster_ages.xlsx")
    edit(wt.CLAIMS.file, lambda wb: fill(wb[wt.CLAIMS.sheet], wt.CLAIMS, [
        dict(name="某", id_number=i, admitted=a, discharged=d, self_pay=p, years=y) for i, a, d, p, y in CLAIMS_ROWS]))
    edit(wt.LEDGER.file, lambda wb: fill(wb[wt.LEDGER.sheet], wt.LEDGER, [
        dict(unit=u, staff=s, active=a, retired=r, amount=float(m)) for u, s, a, r, m in LEDGER_ROWS]))
    edit(wt.SUMMARY.file, lambda wb: fill(wb[wt.SUMMARY.sheet], wt.SUMMARY, [
        dict(agent=g, units=u, renewed=rn, new=n, active=a, retired=r, amount=float(m))
        for g, u, rn, n, a, r, m in SUMMARY_ROWS]))
    edit(wt.TASKS.file, lambda wb: fill(wb[wt.TASKS.sheet], wt.TASKS, [
        dict(done=DONE.get(i)) for i in range(20)]))

    def application(wb):
        ws = wb[wt.APPLICATION_SHEET]
        for key, value in dict(staff=80, insured=78, renewed=50, new=13, active=60, retired=3).items():
            ws[wt.APPLICATION_CELLS[key]] = value

    edit(wt.APPLICATION_FILE, application)
    office.convert(sorted(filled.iterdir()), "xlsx:Calc MS Excel 2007 XML", out, recalc=True)
    return {p.name: openpyxl.load_workbook(p, data_only=True) for p in out.iterdir()}


def money(value) -> Decimal:
    return Decimal(str(round(value, 2))).quantize(Decimal("0.01"))


def column(ws, layout: wt.Layout, key: str, count: int) -> list:
    letter = layout.letter(key)
    return [ws[f"{letter}{layout.first_row + i}"].value for i in range(count)]


def test_roster_derives_sex_birth_and_age_from_the_id(recalculated):
    ws = recalculated[wt.ROSTER.file][wt.ROSTER.sheet]
    on = get_policy(DEFAULT_POLICY_ID).dates.enrolment_start     # the 参互日期 default
    n = len(ROSTER_PEOPLE)
    ids = [normalize_id(p[1]) for p in ROSTER_PEOPLE]
    assert column(ws, wt.ROSTER, "sex", n) == [sex(i) for i in ids]
    assert [d.date() for d in column(ws, wt.ROSTER, "birth", n)] == [birth_date(i) for i in ids]
    assert column(ws, wt.ROSTER, "age", n) == [age_on(i, on) for i in ids]
    # values a clerk checks by hand: born 1980-02-29 is 41 on 2021-05-01; 1961-05-02 is still 59
    assert column(ws, wt.ROSTER, "age", n)[0] == 41 and column(ws, wt.ROSTER, "age", n)[3] == 59
    assert column(ws, wt.ROSTER, "sex", n)[:4] == ["男", "女", "男", "女"]
    assert column(ws, wt.ROSTER, "seq", n) == list(range(1, n + 1))


def test_roster_age_matches_the_validator_around_birthdays(recalculated):
    ws = recalculated["roster_ages.xlsx"][wt.ROSTER.sheet]
    ages = column(ws, wt.ROSTER, "age", len(AGE_IDS))
    assert ages == [age_on(normalize_id(i), AGES_ON) for i in AGE_IDS]
    assert ages[:5] == [60, 60, 59, 60, 40]      # a 29 February birthday is not reached on 28 February


def test_roster_marks_non_participants_and_counts(recalculated):
    ws = recalculated[wt.ROSTER.file][wt.ROSTER.sheet]
    assert column(ws, wt.ROSTER, "fee", len(ROSTER_PEOPLE))[2] == "未参"
    assert column(ws, wt.ROSTER, "eligible", len(ROSTER_PEOPLE))[2] is None
    counts = {label: ws[ref].value for label, (ref, _f, _m) in wt.ROSTER_COUNTS.items()}
    assert counts == {"在职参互": 3, "退休参互": 1, "未参": 2, "互助金合计": 700}
    assert ws["H2"].value == DEFAULT_POLICY_ID


def test_roster_blank_rows_stay_blank(recalculated):
    ws = recalculated[wt.ROSTER.file][wt.ROSTER.sheet]
    for row in (wt.ROSTER.first_row + len(ROSTER_PEOPLE), wt.ROSTER.last_row):
        assert [ws.cell(row=row, column=c).value for c in range(1, wt.ROSTER.width + 1)] == [None] * wt.ROSTER.width


def test_claims_first_stay_paid_before_and_days(recalculated):
    ws = recalculated[wt.CLAIMS.file][wt.CLAIMS.sheet]
    n = len(CLAIMS_ROWS)
    assert column(ws, wt.CLAIMS, "first_stay", n) == ["是", "是", "否", "是", "否", "否", "否"]
    paid = [money(v) for v in column(ws, wt.CLAIMS, "paid_before", n)]
    # 11000 = A's first stay without its 300 allowance (not counted toward the cap); 190 = 120 + 70 top-up
    assert paid == [Decimal(x) for x in ("0.00", "0.00", "11000.00", "0.00", "190.00", "13000.00", "217190.00")]
    assert column(ws, wt.CLAIMS, "days", n) == [10, 1, 4, 1, 20, "出院早于入院", 10]
    assert column(ws, wt.CLAIMS, "seq", n) == list(range(1, n + 1))
    blank = wt.CLAIMS.first_row + n
    assert [ws.cell(row=blank, column=c).value for c in range(1, wt.CLAIMS.width + 1)] == [None] * wt.CLAIMS.width


def test_claims_subsidy_from_the_values_libreoffice_derived(recalculated):
    """SUBSIDY called with what the register's formulas hand it, as Excel would."""
    wb = recalculated[wt.CLAIMS.file]
    ws, policy = wb[wt.CLAIMS.sheet], wb[wt.SETTINGS_SHEET][wt.SETTINGS_CELLS[wt.POLICY_NAME]].value
    amounts = []
    for offset in range(len(CLAIMS_ROWS)):
        row = {key: ws[f"{wt.CLAIMS.letter(key)}{wt.CLAIMS.first_row + offset}"].value for key in wt.CLAIMS.letters}
        amounts.append(udfs.SUBSIDY(row["self_pay"], row["days"], row["years"], row["first_stay"], row["paid_before"],
                                    policy, row["covered_days"], row["total_cost"], row["shares"]))
    assert amounts[:5] + amounts[6:] == [11300.0, 200.0, 2000.0, 420.0, 217000.0, 32810.0]   # last one hits the cap
    assert amounts[5].startswith("#错误") and "住院天数" in amounts[5]
    native = column(ws, wt.CLAIMS, "amount", len(CLAIMS_ROWS))
    assert native[:5] + native[6:] == amounts[:5] + amounts[6:]          # the template's own formulas agree
    assert native[5] == "#错误: 出院早于入院"
    cap_parts = column(ws, wt.CLAIMS, "cap_part", len(CLAIMS_ROWS))
    by_add_in = cap_parts_as_excel_shows_them()
    assert cap_parts[:5] + cap_parts[6:] == by_add_in[:5] + by_add_in[6:]
    assert cap_parts[5] == "#错误: 出院早于入院" and by_add_in[5].startswith("#错误")
    assert set(column(ws, wt.CLAIMS, "detail", len(CLAIMS_ROWS))) == {native_formulas.DETAIL_HINT}


def test_roster_fee_and_eligibility_without_the_add_in(recalculated):
    ws = recalculated[wt.ROSTER.file][wt.ROSTER.sheet]
    assert column(ws, wt.ROSTER, "fee", len(ROSTER_PEOPLE)) == [f if f is not None else "未参" for *_p, f in ROSTER_PEOPLE]
    eligible = column(ws, wt.ROSTER, "eligible", len(ROSTER_PEOPLE))
    assert eligible[:2] + eligible[3:4] == [True, True, True]
    assert eligible[4] == "不符合：2021-05-01 时 15 周岁，在职人员年龄须在 16—60 周岁之间"
    assert eligible[2] is None and eligible[5] is None                     # 未参: not checked


def test_no_cell_of_any_template_holds_an_error_value(recalculated):
    found = [f"{name} {ws.title}!{cell.coordinate} = {cell.value}" for name, wb in recalculated.items()
             for ws in wb.worksheets for row in ws.iter_rows() for cell in row
             if cell.data_type == "e" or (isinstance(cell.value, str) and cell.value.strip() in EXCEL_ERRORS)]
    assert len(recalculated) == 7 and not found, found[:20]


def test_ledger_totals_and_ratios(recalculated):
    ws = recalculated[wt.LEDGER.file][wt.LEDGER.sheet]
    assert column(ws, wt.LEDGER, "ratio", 4) == [0.75, 1, None, pytest.approx(5 / 7, rel=1e-12)]
    total = wt.LEDGER.total_row
    assert [ws[f"{wt.LEDGER.letter(k)}{total}"].value for k in ("staff", "active", "retired")] == [147, 120, 6]
    assert ws[f"{wt.LEDGER.letter('ratio')}{total}"].value == pytest.approx(120 / 147, rel=1e-12)
    assert money(ws[f"{wt.LEDGER.letter('amount')}{total}"].value) == Decimal("14400.50")
    assert column(ws, wt.LEDGER, "seq", 5) == [1, 2, 3, 4, None]


def test_annual_summary_totals(recalculated):
    ws = recalculated[wt.SUMMARY.file][wt.SUMMARY.sheet]
    total = wt.SUMMARY.total_row
    values = [ws[f"{wt.SUMMARY.letter(k)}{total}"].value for k in ("units", "renewed", "new", "active", "retired")]
    assert values == [15, 900, 170, 1010, 60]
    assert money(ws[f"{wt.SUMMARY.letter('amount')}{total}"].value) == Decimal("125000.40")


def test_task_allocation_completion_rates(recalculated):
    ws = recalculated[wt.TASKS.file][wt.TASKS.sheet]
    targets = [u.target for u in get_policy(DEFAULT_POLICY_ID).targets.units]
    rates = column(ws, wt.TASKS, "rate", 20)
    assert rates[0] == 1 and rates[4] == pytest.approx(100000 / 144438, rel=1e-12)
    assert rates[19] == pytest.approx(20000 / 31755, rel=1e-12)
    assert rates[1] is None                      # not reported yet: blank, not 0%
    total = wt.TASKS.total_row
    assert ws[f"{wt.TASKS.letter('target')}{total}"].value == sum(targets)
    assert ws[f"{wt.TASKS.letter('done')}{total}"].value == sum(DONE.values())
    assert ws[f"{wt.TASKS.letter('rate')}{total}"].value == pytest.approx(sum(DONE.values()) / sum(targets), rel=1e-12)


def test_application_form_ratio_and_total(recalculated):
    ws = recalculated[wt.APPLICATION_FILE][wt.APPLICATION_SHEET]
    assert ws[wt.APPLICATION_CELLS["ratio"]].value == 0.75
    assert ws[wt.APPLICATION_CELLS["members"]].value == 63
