"""Claims from dates, in the sources' own words (内工发〔2021〕5号 细则第三、四、十三、十四条)."""

import datetime as dt

import pytest
from openpyxl import load_workbook

from mutualaid_xl.errors import InputError, NotConfiguredError
from mutualaid_xl.rules import dates
from mutualaid_xl.rules.policy import get_policy
from mutualaid_xl.rules.values import parse_date, parse_decimal, parse_whole
from mutualaid_xl.udfs import ELIGIBLE, SUBSIDY, SUBSIDY_DETAIL
from mutualaid_xl.workbooks.claims import compute_register, write_result
from mutualaid_xl.workbooks.templates import CLAIMS, ROSTER
from tests.test_claims import TEMPLATE, synthetic_id

D = dt.date
NM = get_policy("nm-2021")
MEMBER = synthetic_id(21, "19800101")


# ------------------------------------------------------------ 细则第三条: enrolment windows


@pytest.mark.parametrize("day, verdict", [
    ("2021-09-30", True),                      # 集中办理时间 5月1日至9月30日
    ("2021-10-01", "不是工作日"),               # 国庆节
    ("2021-10-07", "不是工作日"),               # 国庆节假期
    ("2021-10-08", True),                      # 节后第 1 个工作日
    ("二〇二一年十月九日", True),               # 星期六调休上班：第 2 个工作日
    ("2021年10月13号", True),                  # 第 5 个工作日
    ("2021-10-14", "是当月第 6 个工作日"),      # 第 6 个：超出“前５个工作日”
    ("2021-10-20", "是当月第 10 个工作日"),     # the issue's example
    ("2021-11-05", True),                      # 11月1日—5日（周一至周五）
    ("2021-11-08", "是当月第 6 个工作日"),
    ("2021-12-11", "不在本期参互办理时间"),     # 12月10日前办结完毕
])
def test_october_to_december_only_the_first_five_working_days(day, verdict):
    result = ELIGIBLE(MEMBER, "在职", day)
    if verdict is True:
        assert result is True
    else:
        assert result.startswith("不符合") and verdict in result and "细则第三条" in result


def test_national_day_and_adjusted_workdays_come_from_the_official_calendar():
    assert not dates.is_workday(D(2021, 10, 4))          # 国庆节
    assert dates.is_workday(D(2021, 9, 26))              # 星期日调休上班
    assert dates.workday_number(D(2021, 10, 9)) == 2
    assert dates.CALENDAR_YEARS[0] == 2004 and dates.CALENDAR_YEARS[1] >= 2026
    with pytest.raises(NotConfiguredError, match="工作日历只覆盖 2004"):
        dates.is_workday(D(dates.CALENDAR_YEARS[1] + 1, 10, 8))


# ------------------------------------------------------------ 细则第四条、第十四条: cover and periods


def test_cover_starts_the_day_after_enrolment_for_a_year():
    assert dates.cover(NM, D(2021, 6, 5)) == (D(2021, 6, 6), D(2022, 6, 5))
    assert dates.cover(NM, None) is None                 # nothing to decide from
    assert dates.cover(get_policy("yn-12"), None) == (D(2016, 1, 1), D(2016, 12, 31))


def test_a_stay_across_the_end_of_cover_is_prorated_by_the_days_inside():
    # joined 2021-06-05: cover until 2022-06-05; 12 nights from 2022-06-01, 5 of them inside
    assert dates.covered_days(D(2022, 6, 1), D(2022, 6, 13), dates.cover(NM, D(2021, 6, 5))) == 5
    amount = SUBSIDY(20000, None, 2, admitted="2022-06-01", discharged="2022年6月13日", joined="2021-06-05")
    assert amount == 3433.33          # 20000×5/12 = 8333.33 × 40% = 3333.33, + 5 天 × 20 元
    detail = SUBSIDY_DETAIL(20000, None, 2, admitted="2022-06-01", discharged="2022-06-13", joined="2021-06-05")
    assert "期内5/12天" in detail
    assert SUBSIDY(20000, 12, 2, covered_days=12, joined="2021-06-05", admitted="2022-06-01",
                   discharged="2022-06-13") == 11240.0   # a typed 期内天数 wins


def test_a_stay_outside_cover_pays_nothing_and_says_why():
    message = SUBSIDY(20000, None, 2, admitted="2022-07-01", discharged="2022-07-05", joined="2021-06-05")
    assert message.startswith("#错误: 参数 joined（参互日期）") and "不在保障期" in message


def test_rules_of_the_admission_period_apply():
    period = dates.cover(NM, D(2021, 6, 5))
    assert dates.period_problem(NM, D(2022, 6, 1), D(2022, 6, 13), period) is None
    problem = dates.period_problem(NM, D(2021, 6, 1), D(2021, 6, 10), period)
    assert "入院日期 2021-06-01 不在本期保障期" in problem and "细则第十四条" in problem
    yn = get_policy("yn-14")       # 按出院时间所在期
    assert "出院日期" in dates.period_problem(yn, D(2017, 12, 20), D(2019, 1, 3), (D(2018, 1, 1), D(2018, 12, 31)))


# ------------------------------------------------------------ 细则第十三条: 医保结算后九十日内


@pytest.mark.parametrize("applied, late", [("2021-09-11", False), ("2021-09-12", True)])
def test_a_claim_ninety_days_after_settlement(applied, late):
    result = SUBSIDY(20000, 12, 2, settled="2021-06-13", applied=applied)
    if late:
        assert result.startswith("#错误: 参数 applied（申请日期）：逾期申请")
        assert "截至 2021-09-11" in result and "细则第十三条" in result
        assert SUBSIDY(20000, 12, 2, settled="2021-06-13", applied=applied, late_ok="是") == 11240.0
    else:
        assert result == 11240.0


def test_consecutive_years_from_the_participation_history():
    assert dates.participation_years("2019、2020、2021") == {2019, 2020, 2021}
    assert dates.participation_years("２０１９年-2021年") == {2019, 2020, 2021}
    assert dates.consecutive_years({2019, 2020, 2021}, 2021) == 3
    assert dates.consecutive_years({2018, 2020, 2021}, 2021) == 2
    assert dates.period_year(NM) == 2021


# ------------------------------------------------------------ dates and numbers clerks write


@pytest.mark.parametrize("text", ["2021年5月1号", "二〇二一年五月一日", "2021 年 5 月 1 日", "2021年5月1日 10:00",
                                  "２０２１年５月１日", "44317", "４４３１７", "2021-05-01 10:00:00", "2021/5/1",
                                  "20210501", "2021.5.1", 44317, 44317.5])
def test_chinese_dates_text_serials_and_full_width_digits(text):
    assert parse_date(text, "on_date") == D(2021, 5, 1)


@pytest.mark.parametrize("text", ["二〇二一年二月三十日", "二〇二一年十十月一日", "2021年13月1日", "0", "9999999"])
def test_impossible_dates_are_refused(text):
    with pytest.raises(InputError) as error:
        parse_date(text, "on_date")
    assert error.value.argument == "on_date"


@pytest.mark.parametrize("parse, value, argument, words", [
    (parse_whole, 367, "days", "一次住院不会超过 366"),
    (parse_whole, 10**30, "days", "一次住院不会超过 366"),
    (parse_whole, 101, "years", "连续参互年数不会超过 100"),
    (parse_decimal, 10**12, "self_pay", "须小于 1 万亿"),
    (parse_decimal, "1e400".replace("e400", "0" * 40), "paid_before", "须小于 1 万亿"),
])
def test_values_no_claim_can_have_are_refused(parse, value, argument, words):
    with pytest.raises(InputError, match=words) as error:
        parse(value, argument)
    assert error.value.argument == argument
    assert parse_whole(366, "days") == 366 and parse_whole(100, "years") == 100


def test_the_issue_examples_give_clear_messages():
    assert SUBSIDY(10**13, 5).startswith("#错误: 参数 self_pay（自付费用）：")
    assert SUBSIDY(1000, 10**30).startswith("#错误: 参数 days（住院天数）：一次住院不会超过 366")


# ------------------------------------------------------------ the register and `mutualaid claims`

A, B, C, E = (synthetic_id(i) for i in (31, 32, 33, 34))
REGISTER = [  # name, id, admitted, discharged, self-pay, years, settled, applied, joined, 逾期特批, 特批说明, 诊断, 慢性病
    ("甲", A, D(2021, 8, 1), D(2021, 8, 13), 20000, 2, D(2021, 8, 13), D(2021, 11, 11), D(2021, 6, 5), None, None,
     "肺炎", None),                                                    # the 90th day: paid 11240
    ("乙", B, D(2021, 8, 1), D(2021, 8, 13), 20000, 2, D(2021, 8, 13), D(2021, 11, 12), D(2021, 6, 5), None, None,
     None, None),                                                      # the 91st day: withheld
    ("丙", C, D(2021, 8, 1), D(2021, 8, 13), 20000, 2, D(2021, 8, 13), D(2021, 12, 1), D(2021, 6, 5), "是",
     "住院期间病危，家属无法办理", None, None),                         # late with exception: paid
    ("丁", E, D(2022, 6, 1), D(2022, 6, 13), 20000, 2, None, None, D(2021, 6, 5), None, None, "妊娠剧吐", None),
    ("甲", A, D(2021, 9, 1), D(2021, 9, 30), 3000, 2, None, None, D(2021, 6, 5), None, None, "尿毒症血液透析", "是"),
]
REGISTER_KEYS = ("name", "id_number", "admitted", "discharged", "self_pay", "years", "settled", "applied", "joined",
                 "late_ok", "late_note", "diagnosis", "chronic")


def _register(path, rows=REGISTER):
    wb = load_workbook(TEMPLATE)
    ws = wb[CLAIMS.sheet]
    for r, row in enumerate(rows, CLAIMS.first_row):
        for key, value in zip(REGISTER_KEYS, row):
            if value is not None:
                ws[f"{CLAIMS.letter(key)}{r}"] = value
    wb.save(path)
    return path


def test_register_from_dates(tmp_path):
    result = compute_register(_register(tmp_path / "register.xlsx"))
    amounts = {p: result.amounts.amount_fen[p] for p in range(len(result.rows)) if p not in result.amounts.errors}
    assert amounts == {0: 1124000, 2: 1124000, 3: 343333, 4: 120000}
    late = result.amounts.errors[1].message
    assert late.startswith("逾期申请：医保结算 2021-08-13 后 90 日内应申请（截至 2021-11-11）") and "细则第十三条" in late
    problems = {e.row: e.message for e in result.problems}
    assert problems[CLAIMS.first_row + 1] == late
    assert "逾期特批：住院期间病危，家属无法办理" in result.dates.note[2]
    assert result.cells["covered_days"][3] == 5 and "期内 5 天 / 共 12 天" in result.dates.note[3]
    assert "注⑥" in result.dates.manual[3][0]
    assert result.dates.chronic[4] and result.amounts.parts_num[4].tolist()[1] == 0   # no allowance
    assert "注③" in result.dates.manual[4][0]
    out = tmp_path / "out.xlsx"
    write_result(result, out)
    ws = load_workbook(out)["计算结果"]
    header = [c.value for c in ws[1]]
    assert header[-2:] == ["日期核对", "待人工核对"]
    assert ws.cell(4, header.index("日期核对") + 1).value.startswith("逾期申请")


def test_register_takes_enrolment_and_history_from_the_roster(tmp_path):
    rows = [("甲", A, D(2022, 6, 1), D(2022, 6, 13), 20000, None, None, None, None, None, None, None, None)]
    roster = tmp_path / "roster.xlsx"
    wb = load_workbook(TEMPLATE.with_name(ROSTER.file))
    ws = wb[ROSTER.sheet]
    for key, value in (("name", "甲"), ("id_number", A), ("category", "在职"), ("membership", "续互"),
                       ("history", "2019、2020"), ("joined", D(2021, 6, 5))):
        ws[f"{ROSTER.letter(key)}{ROSTER.first_row}"] = value
    wb.save(roster)
    result = compute_register(_register(tmp_path / "r.xlsx", rows), roster=roster)
    assert result.cells["years"][0] == 3 and result.cells["covered_days"][0] == 5
    assert result.amounts.amount_fen[0] == 348333   # 20000×5/12×40% = 3333.33, + 5 天 × 30 元（连续 3 年）


# ------------------------------------------------------------ the roster's new fields


def test_roster_validation_report_with_the_new_fields(tmp_path):
    from mutualaid_xl.workbooks import roster
    from mutualaid_xl.workbooks.sheets import read_sheets
    from mutualaid_xl.workbooks.synthetic import fake_id

    path = tmp_path / "名册.xlsx"
    wb = load_workbook(TEMPLATE.with_name(ROSTER.file))
    ws = wb[ROSTER.sheet]
    people = [  # name, category, born, 分工会/部门, 城镇职工医保, 大病补充医保, 新就业形态, 参互历史, 份数, 参互日期
        ("甲", "在职", D(1985, 3, 1), "一车间", "是", "是", "否", "2019、2020", 1, D(2021, 10, 8)),
        ("乙", "在职", D(1985, 3, 2), "二车间", "否", "是", "否", None, None, D(2021, 6, 1)),
        ("丙", "退休", D(1960, 3, 3), "离退休", "是", "否", "否", "2020", None, D(2021, 6, 1)),
        ("丁", "在职", D(1990, 3, 4), "一车间", "是", "是", "是", "2019-2021", 2, D(2021, 10, 14)),
        ("戊", "退休", D(1958, 3, 5), "离退休", "是", "是", "否", "2019-2020", None, D(2021, 6, 1)),
    ]
    keys = ("name", "category", "id_number", "branch", "basic_insurance", "serious_insurance", "new_form", "history",
            "shares", "joined")
    for r, (name, category, born, *rest) in enumerate(people, ROSTER.first_row):
        values = (name, category, fake_id(r, born), *rest)
        for key, value in zip(keys, values):
            if value is not None:
                ws[f"{ROSTER.letter(key)}{r}"] = value
        ws[f"{ROSTER.letter('membership')}{r}"] = "续互"
    wb.save(path)
    result = roster.validate(read_sheets(path), policy="nm-2021")
    found = {(p.row, p.column): p.reason for p in result.problems if p.row}
    first = ROSTER.first_row
    assert "未参加城镇职工医保" in found[(first + 1, ROSTER.letter("basic_insurance"))]
    assert "细则第二十条" in found[(first + 1, ROSTER.letter("basic_insurance"))]
    assert "参互历史缺少 2019 年" in found[(first + 2, ROSTER.letter("history"))]
    assert "份数" in found[(first + 3, ROSTER.letter("shares"))]
    assert "第 6 个工作日" in found[(first + 3, ROSTER.letter("joined"))]
    assert not any(p.row == first or p.row == first + 4 for p in result.problems if p.severity == roster.ERROR)
    assert (first + 2, ROSTER.letter("serious_insurance")) not in found   # nm does not require it
    manual = [p.reason for p in result.problems if p.severity == roster.MANUAL]
    assert any(reason.startswith("续会率目标 95%") and "续互 5 人" in reason for reason in manual)
    report = tmp_path / "report.xlsx"
    roster.write_report(result, report)
    shown = [[c.value for c in row] for row in load_workbook(report).worksheets[0].iter_rows()]
    assert any(row[1] == "待人工核对" and "续会率" in row[7] for row in shown)
    assert any(row[1] == "错误" and row[5] == ROSTER.letter("history") for row in shown)


def test_yunnan_requires_both_insurances(tmp_path):
    from mutualaid_xl.workbooks import roster
    from mutualaid_xl.workbooks.sheets import Sheet
    from mutualaid_xl.workbooks.synthetic import fake_id

    rows = [["姓名", "身份证号", "类别", "续互/新参互", "城镇职工医保", "大病补充医保"],
            ["甲", fake_id(1, D(1980, 1, 1)), "在职", "续互", "是", "否"]]
    result = roster.validate([Sheet("名册", rows, file="名册.xlsx")], policy="yn-18", on=D(2022, 1, 5))
    assert any("未参加大病补充医保" in p.reason and "云医互〔2021〕4号" in p.reason for p in result.problems)


def test_consecutive_years_from_earlier_periods_rosters(tmp_path):
    from openpyxl import Workbook

    def plain_roster(path, joined):
        wb = Workbook()
        wb.active.append(["姓名", "身份证号", "类别", "参互日期"])
        wb.active.append(["甲", A, "在职", joined])
        wb.save(path)
        return path

    rosters = [plain_roster(tmp_path / f"{year}.xlsx", D(year, 6, 5)) for year in (2019, 2020, 2021)]
    rows = [("甲", A, D(2021, 8, 1), D(2021, 8, 13), 20000, None, None, None, None, None, None, None, None)]
    result = compute_register(_register(tmp_path / "r.xlsx", rows), roster=rosters)
    assert result.cells["years"][0] == 3 and "按名册参互历史" in result.dates.note[0]
    assert result.amounts.amount_fen[0] == 1100000 + 12 * 3000     # 连续参互三年以上每天 30 元
    result = compute_register(_register(tmp_path / "r2.xlsx", rows), roster=[rosters[0], rosters[2]])
    assert result.cells["years"][0] == 1                            # 2020 missing: the run restarts in 2021


def test_mutualaid_claims_with_rosters_and_a_late_claim(tmp_path):
    from openpyxl import Workbook
    from typer.testing import CliRunner

    from mutualaid_xl.cli import app

    roster = tmp_path / "名册.xlsx"
    wb = Workbook()
    wb.active.append(["姓名", "身份证号", "类别", "参互日期", "参互历史"])
    wb.active.append(["甲", A, "在职", D(2021, 6, 5), "2020"])
    wb.save(roster)
    rows = [("甲", A, D(2021, 8, 1), D(2021, 8, 13), 20000, None, D(2021, 8, 13), D(2021, 11, 12), None, None, None,
             None, None)]
    register, out = _register(tmp_path / "登记表.xlsx", rows), tmp_path / "结果.xlsx"
    run = CliRunner().invoke(app, ["claims", str(register), "--roster", str(roster), "--out", str(out)])
    assert run.exit_code == 1, run.output
    assert "逾期申请" in run.output and "补助金额合计" in run.output
    ws = load_workbook(out)["计算结果"]
    assert ws["J2"].value == 2 and ws["O2"].value is None          # 连续 2 年 from the roster; nothing paid


def test_mutualaid_subsidy_refuses_days_no_stay_can_have():
    from typer.testing import CliRunner

    from mutualaid_xl.cli import app

    run = CliRunner().invoke(app, ["subsidy", "-s", "20000", "-d", str(10**30)])
    shown = run.output.replace("\n", "")
    assert run.exit_code == 2 and "--days（住院天数）" in shown and "一次住院不会超过 366" in shown


def test_approval_form_prints_the_register_fields(tmp_path):
    from docx import Document

    from mutualaid_xl.documents.claim_forms import write_documents

    rows = [("甲", A, D(2021, 8, 1), D(2021, 8, 13), 20000, 2, D(2021, 8, 13), D(2021, 9, 1), None, None, None,
             "急性心肌梗死", None)]
    path = _register(tmp_path / "r.xlsx", rows)
    wb = load_workbook(path)
    wb[CLAIMS.sheet][f"{CLAIMS.letter('hospital')}{CLAIMS.first_row}"] = "示范市第一医院"
    wb[CLAIMS.sheet][f"{CLAIMS.letter('unit')}{CLAIMS.first_row}"] = "示范机械厂"
    wb[CLAIMS.sheet][f"{CLAIMS.letter('approved')}{CLAIMS.first_row}"] = D(2021, 9, 10)
    wb.save(path)
    made = write_documents(compute_register(path), tmp_path / "docs", issuer="示范市职工互助保障办事处")
    form = Document(made[0])
    cells = [c.text for t in form.tables for row in t.rows for c in row.cells]
    for text in ("急性心肌梗死", "示范市第一医院", "示范机械厂", "2021年9月1日"):
        assert text in cells, text
    assert any("2021年9月10日" in p.text for p in form.paragraphs)
    public = Document(made[-1])
    assert not any("心肌" in c.text for t in public.tables for row in t.rows for c in row.cells)


def test_typed_covered_days_and_years_win_in_the_register(tmp_path):
    rows = [("甲", A, D(2022, 7, 1), D(2022, 7, 13), 20000, 1, None, None, D(2021, 6, 5), None, None, None, None)]
    path = _register(tmp_path / "r.xlsx", rows)
    wb = load_workbook(path)
    wb[CLAIMS.sheet][f"{CLAIMS.letter('covered_days')}{CLAIMS.first_row}"] = 12
    wb.save(path)
    result = compute_register(path)
    assert result.problems == [] and result.cells["years"][0] == 1
    assert result.amounts.amount_fen[0] == 1100000 + 12 * 1000      # as typed: 12 天, 1 年
    assert "入院日期 2022-07-01 不在本期保障期" in result.dates.manual[0][0]
