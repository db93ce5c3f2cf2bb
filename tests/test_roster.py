"""Roster services: reading, header synonyms, validation rules, unit summaries, safe writing."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from mutualaid_xl.workbooks import roster

from mutualaid_xl.workbooks import synthetic
from mutualaid_xl.rules.idcard import normalize_id
from mutualaid_xl.rules.id_columns import check_ids
from mutualaid_xl.workbooks.roster import ERROR, WARNING, validate
from mutualaid_xl.workbooks.sheets import Sheet, find_header, read_sheets, set_text, write_atomic
from mutualaid_xl.workbooks.synthetic import fake_id

ON = dt.date(2021, 5, 1)


def person(n, age=35, category="在职", membership="续互", fee=100, name="赵伟"):
    return [name, fake_id(n, dt.date(2021 - age, 3, 15)), category, membership, fee]


def sheet(rows, header=("姓名", "身份证号", "类别", "续互/新参互", "交费金额"), above=(), name="会员名册"):
    return Sheet(name=name, rows=[list(r) for r in above] + [list(header)] + [list(r) for r in rows], file="名册.xlsx")


def reasons(result, severity=None):
    return [p for p in result.problems if severity is None or p.severity == severity]


def test_valid_synthetic_roster_has_no_errors_and_exact_summary():
    data = synthetic.roster(2000, seed=3, units=4)
    result = validate([Sheet("会员名册", [data.header] + data.rows, file="省.xlsx")], policy="nm-2021")
    assert result.rows_checked == 2000
    assert reasons(result, ERROR) == []
    # recount by hand from the generated rows
    for unit in data.units:
        mine = [r for r in data.rows if r[-1] == unit]
        joining = [r for r in mine if r[5] != "未参"]
        summary = result.units[unit]
        assert summary.active == sum(r[4] == "在职" for r in joining)
        assert summary.retired == sum(r[4] == "退休" for r in joining)
        assert summary.renewed == sum(r[5] == "续互" for r in joining)
        assert summary.new == sum(r[5] == "新参互" for r in joining)
        assert summary.amount == sum(Decimal(r[6]) for r in joining)
        assert summary.amount == 100 * summary.active + 400 * summary.retired
        assert summary.not_joining == len(mine) - len(joining)
        assert summary.staff == sum(r[4] == "在职" for r in mine)


def test_header_synonyms_and_position_like_excel():
    rows = [person(1)]
    s = Sheet("名单", [[None] * 7, [None, None, "职工姓名", "公民身份号码", "人员类别", "参互类型", "缴费金额"],
                     [None, None] + rows[0]], file="a.xlsx", origin_row=3, origin_col=2)
    header = find_header(s, roster.FIELDS)
    assert header.columns == {"name": 2, "id_number": 3, "category": 4, "membership": 5, "fee": 6}
    s.rows[2][6] = 90  # the fee cell: Excel row 3 + 2 = 5, column B + 6 = H
    result = validate([s], policy="nm-2021", on=ON)
    [problem] = reasons(result, ERROR)
    assert (problem.sheet, problem.row, problem.column, problem.header) == ("名单", 5, "H", "缴费金额")
    assert "90 元与方案 nm-2021 的在职标准 100 元不符" in problem.reason


def test_xlwings_style_rows_with_none_blanks():
    rows = [person(1), [None, None, None, None, None], person(2, fee=100.0), [None, None, "在职", "续互", None]]
    result = validate([Sheet("会员名册", [["姓名", "身份证号", "类别", "续互/新参互", "交费金额"]] + rows)], policy="nm-2021")
    found = {(p.row, p.column, p.reason) for p in reasons(result)}
    assert (5, "A", "姓名为空") in found
    assert (5, "B", "身份证号为空") in found
    assert (5, "E", "交费金额为空，按方案标准 100 元计入") in found
    assert result.rows_checked == 3


def test_kunming_fees_and_not_joining():
    """yn-12: 续互 80, 新参互 100, 未参 kept on the list and not counted (昆冶高专工发〔2015〕10号)."""
    rows = [person(1, membership="续互", fee=80), person(2, membership="新参互", fee=100),
            person(3, membership=None, fee="未参"), person(4, membership="续互", fee=100),
            person(5, category="退休", age=66, membership="续互", fee=80)]
    result = validate([sheet(rows)], policy="yn-12", on=dt.date(2015, 11, 10))
    errors = reasons(result, ERROR)
    assert [(p.row, p.column) for p in errors] == [(5, "E")]
    assert "80 元" in errors[0].reason and "续互" in errors[0].reason
    summary = result.units["名册"]
    assert (summary.active, summary.retired, summary.not_joining) == (3, 1, 1)
    assert summary.amount == Decimal(80 + 100 + 100 + 80)  # the wrong 100 is counted as collected, and reported
    assert summary.staff == 4 and summary.ratio == Decimal("0.75")
    assert any("未配置参互年龄条件" in p.reason for p in reasons(result, WARNING))


def test_participation_floor_uses_stated_staff():
    rows = [person(n) for n in range(1, 7)]
    low = validate([sheet(rows, above=[["单位名称：", "甲厂工会", "单位总人数：", 9]])], policy="nm-2021", on=ON)
    [problem] = reasons(low, ERROR)
    assert "甲厂工会" in problem.reason and "66.67%（6/9" in problem.reason and "75%" in problem.reason
    ok = validate([sheet(rows, above=[["单位名称：甲厂工会", None, "在职职工人数：8"]])], policy="nm-2021", on=ON)
    assert reasons(ok, ERROR) == [] and ok.units["甲厂工会"].ratio == Decimal("0.75")


def test_participation_counts_not_joining_rows_when_no_staff_cell():
    rows = [person(n) for n in range(1, 4)] + [person(n, membership="未参", fee="未参") for n in range(4, 6)]
    result = validate([sheet(rows)], policy="nm-2021", on=ON)
    assert result.units["名册"].staff == 5
    assert any("60.00%（3/5，在职职工人数按名册在职人数（含未参）" in p.reason for p in reasons(result, ERROR))


def test_duplicates_across_units_name_the_other_file():
    checker = roster.RosterChecker("nm-2021", ON)
    same = person(1)
    checker.check_file([Sheet("名册", [["姓名", "身份证号", "类别"], same[:3]], file="/x/甲.xlsx")])
    checker.check_file([Sheet("名册", [["姓名", "身份证号", "类别"], person(2)[:3], same[:3]], file="/x/乙.xlsx")])
    result = checker.finish()
    [dup] = [p for p in result.problems if "重复" in p.reason]
    assert (dup.file, dup.row, dup.column) == ("/x/乙.xlsx", 3, "B")
    assert "文件 甲.xlsx 工作表「名册」第 2 行（单位：甲）" in dup.reason
    assert same[1] not in dup.reason + dup.value      # masked
    assert dup.value == same[1][:4] + "*" * 10 + same[1][-4:]


def test_fast_id_check_agrees_with_normalize_id():
    rng = random.Random(5)
    values = []
    for n in range(3000):
        text = fake_id(n, dt.date(1950 + n % 60, 1 + n % 12, 1 + n % 28))
        kind = n % 6
        if kind == 1:
            text = text[:17] + rng.choice("0123456789X")
        elif kind == 2:
            text = text[:10] + f"{rng.randint(0, 19):02d}{rng.randint(0, 39):02d}" + text[14:]
        elif kind == 3:
            text = text[:17] + text[17].lower()
        elif kind == 4:
            text = text[:5] + rng.choice("A.- ") + text[6:]
        values.append(text)
    canonical, reasons_ = check_ids(values)
    for index, value in enumerate(values):
        try:
            expected = normalize_id(value)
        except Exception as error:  # noqa: BLE001 - compare the reason
            assert canonical[index] is None and reasons_[index] == error.message
        else:
            assert canonical[index] == expected


def test_age_limits_on_the_enrolment_date():
    # turns 61 the day after 2021-05-01: still 60 on the date, eligible
    born = dt.date(1960, 5, 2)
    edge = ["甲", fake_id(1, born), "在职", "续互", 100]
    over = ["乙", fake_id(2, dt.date(1960, 5, 1)), "在职", "续互", 100]
    result = validate([sheet([edge, over])], policy="nm-2021", on=ON)
    [problem] = reasons(result, ERROR)
    assert problem.row == 3 and problem.column == "C" and "61 周岁" in problem.reason


def test_policy_without_eligibility_still_rejects_future_births():
    row = ["甲", fake_id(1, dt.date(2016, 1, 1)), "在职", "续互", 80]
    result = validate([sheet([row])], policy="yn-12", on=dt.date(2015, 11, 10))
    assert any("晚于参考日期" in p.reason and p.column == "B" for p in reasons(result, ERROR))


def test_write_atomic_keeps_backup_and_survives_failing_writer(tmp_path):
    target = tmp_path / "报告.xlsx"
    target.write_bytes(b"old")
    backup = write_atomic(target, lambda tmp: tmp.write_bytes(b"new"))
    assert target.read_bytes() == b"new" and backup.read_bytes() == b"old"
    assert backup.name.startswith("报告.bak-") and backup.suffix == ".xlsx"

    def broken(tmp):
        tmp.write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic(target, broken)
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name, backup.name])


def test_formula_like_text_is_stored_as_text(tmp_path):
    wb = Workbook()
    ws = wb.active
    for ref, text in (("A1", "=cmd|' /C calc'!A0"), ("A2", "+1+1"), ("A3", "@SUM(1)"), ("A4", "-2+3")):
        set_text(ws[ref], text)
    wb.save(tmp_path / "t.xlsx")
    back = load_workbook(tmp_path / "t.xlsx")["Sheet"]
    assert [c.value for c in back["A"]] == ["=cmd|' /C calc'!A0", "+1+1", "@SUM(1)", "-2+3"]
    assert all(c.data_type == "s" and c.quotePrefix for c in back["A"])
    assert read_sheets(tmp_path / "t.xlsx")[0].rows[0] == ["=cmd|' /C calc'!A0"]


def test_report_workbook_masks_and_keeps_injection_as_text(tmp_path):
    rows = [["=HYPERLINK(\"http://x.invalid\")", fake_id(1, dt.date(1980, 1, 1))[:17] + "0", "在职", "续互", 100]]
    result = validate([sheet(rows)], policy="nm-2021", on=ON)
    path = tmp_path / "r.xlsx"
    roster.write_report(result, path)
    ws = load_workbook(path)["校验结果"]
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    texts = " ".join(str(v) for row in values for v in row)
    assert fake_id(1, dt.date(1980, 1, 1))[:17] not in texts
    name_row = next(row for row in values if row[6] == "姓名")
    assert name_row[8] == "=" + "*" * (len(rows[0][0]) - 1)
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)


def test_synthetic_roster_is_seedable_and_valid_ids(tmp_path):
    a, b = synthetic.roster(50, seed=9), synthetic.roster(50, seed=9)
    assert a.rows == b.rows
    assert len({r[2] for r in synthetic.roster(5000, seed=1).rows}) == 5000
    path = synthetic.write_roster(tmp_path / "r.xlsx", a)
    [s] = read_sheets(path)
    assert s.rows[3][:3] == ["序号", "姓名", "身份证号"] and s.rows[4][2] == a.rows[0][2]
    assert s.rows[1][2] == "示例单位工会"


def test_roster_template_filled_by_a_clerk(tmp_path):
    from mutualaid_xl.workbooks import templates as wt

    wb = wt.workbook(wt.ROSTER.file, "nm-2021")
    ws = wb[wt.ROSTER.sheet]
    ws[wt.ROSTER_UNIT_CELL] = "乙厂工会"
    letters = wt.ROSTER.letters
    people = [("赵伟", fake_id(1, dt.date(1980, 1, 1)), "在职", "续互"),
              ("钱芳", fake_id(2, dt.date(1955, 1, 1)), "退休", "续互"),
              ("孙娜", fake_id(3, dt.date(1990, 1, 1)), "在职", "未参")]
    for offset, (name, number, category, membership) in enumerate(people):
        row = wt.ROSTER.first_row + offset
        for key, value in zip(("name", "id_number", "category", "membership"), (name, number, category, membership)):
            ws[f"{letters[key]}{row}"] = value
    wb.save(tmp_path / "roster.xlsx")
    result = validate(read_sheets(tmp_path / "roster.xlsx"), policy="nm-2021")
    [low] = reasons(result, ERROR)   # one of two in-service staff joins
    assert "乙厂工会" in low.reason and "50.00%（1/2" in low.reason and low.sheet == wt.ROSTER.sheet
    # formulas never calculated (saved by openpyxl): the fee is taken from the policy, with one note for the file
    [note] = reasons(result, WARNING)
    assert note.row is None and "交费金额" in note.reason and "重新计算" in note.reason
    summary = result.units["乙厂工会"]
    assert (summary.active, summary.retired, summary.not_joining, summary.amount) == (1, 1, 1, Decimal(500))
    assert summary.staff == 2 and summary.ratio == Decimal("0.5")


def test_kunming_roster_without_membership_column_reads_it_from_the_fee():
    """交费金额 100 = 新参加, 80 = 已参加第十一期, 未参 = 不参加 (昆冶高专工发〔2015〕10号 四（二）)."""
    header = ("姓名", "身份证号", "类别", "交费金额")
    rows = [["甲", fake_id(1, dt.date(1980, 1, 1)), "在职", 100], ["乙", fake_id(2, dt.date(1981, 1, 1)), "在职", 80],
            ["丙", fake_id(3, dt.date(1982, 1, 1)), "在职", "未参"], ["丁", fake_id(4, dt.date(1983, 1, 1)), "退休", 80],
            ["戊", fake_id(5, dt.date(1984, 1, 1)), "在职", 90]]
    result = validate([sheet(rows, header=header)], policy="yn-12", on=dt.date(2015, 11, 10))
    [wrong] = reasons(result, ERROR)
    assert (wrong.row, wrong.column) == (6, "D")
    assert wrong.reason == "交费金额 90 元不是方案 yn-12 的任何标准（续互 80 元、新参互 100 元），也没有填续互/新参互"
    summary = result.units["名册"]
    assert (summary.new, summary.renewed, summary.not_joining) == (1, 2, 1)
    assert (summary.active, summary.retired, summary.amount) == (3, 1, Decimal(100 + 80 + 80 + 90))  # as written
    assert summary.staff == 4 and summary.ratio == Decimal("0.75")
