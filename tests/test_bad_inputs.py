"""The bad-input corpus (tests/data/bad, made by tests/data/make_bad.py) through `mutualaid validate`.

Each file must give a Chinese reason with its place (sheet, row, column), the right exit code
(1 data problems, 2 unreadable), never a traceback, and leave the input byte-identical.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from mutualaid_xl.cli import app

BAD = Path(__file__).parent / "data" / "bad"
LONG_NAME = "二〇二一年度第三期职工住院医疗互助保障活动参互会员名册（第一分工会汇总）"
R = "会员名册"

# file -> (exit code, [(sheet, row, column, part of the reason)])
CASES = {
    "empty.xlsx": (2, [("", None, "", "文件是空的（0 字节）")]),
    "empty.csv": (2, [("", None, "", "文件是空的（0 字节）")]),
    "not_spreadsheet.xlsx": (2, [("", None, "", "这是 PDF 文件，不是电子表格")]),
    "picture.xls": (2, [("", None, "", "这是 PNG 图片，不是电子表格")]),
    "web_export.xls": (2, [("", None, "", "网页（HTML/XML）格式")]),
    "word_document.xlsx": (2, [("", None, "", "这是 Word 文档")]),
    "corrupt_truncated.xlsx": (2, [("", None, "", "文件已损坏")]),
    "corrupt_xml.xlsx": (2, [("", None, "", "文件已损坏或格式不完整")]),
    "password.xlsx": (2, [("", None, "", "设置了打开密码")]),
    "huge_range.xlsx": (2, [(R, None, "", "使用范围太大（1,048,576 行 × 16,384 列）")]),
    "blank_workbook.xlsx": (1, [("Sheet", None, "", "没有找到名册表头")]),
    "wrong_headers.xlsx": (1, [(R, None, "", "没有找到名册表头")]),
    "no_id_column.xlsx": (1, [(R, 4, "", "没有身份证号列")]),
    "merged_cells.xlsx": (1, [(R, 2, "A", "表头单元格 A2:A3 是合并单元格"), (R, 2, "D", "D2:E2 是合并单元格"),
                              (R, 4, "D", "D4:D8 是合并单元格"), (R, 5, "D", "类别为空"), (R, 8, "D", "类别为空")]),
    "blank_rows.xlsx": (1, [(R, 9, "C", "身份证号为空")]),
    "hidden_sheet.xlsx": (1, [(R, None, "", "隐藏的工作表"), ("", None, "", "没有找到名册表头")]),
    "long_sheet_name.xlsx": (1, [(LONG_NAME, 6, "G", "交费金额 90 元与方案 nm-2021 的在职标准 100 元不符")]),
    "text_numbers.xlsx": (1, [(R, 5, "G", "交费金额是文字“100元”，已按 100 元读取"),
                              (R, 6, "G", "交费金额是文字“１００”，已按 100 元读取"),
                              (R, 7, "G", "交费金额 1000 元与方案 nm-2021 的在职标准 100 元不符"),
                              (R, 9, "G", "“￥100”，已按 100 元读取")]),
    "fullwidth.xlsx": (1, [(R, 6, "C", "校验位错误")]),
    "excel_errors.xlsx": (1, [(R, 5, "C", "错误值 #DIV/0!"), (R, 6, "G", "错误值 #N/A"), (R, 7, "E", "错误值 #VALUE!")]),
    "text_dates.xlsx": (1, [(R, 10, "I", "参互日期“2021-13-01”不是存在的日期"),
                            (R, 11, "I", "参互日期“五月一日”不是可识别的日期"),
                            (R, 11, "H", "出生日期“去年”不是可识别的日期")]),
    "numeric_ids.xlsx": (1, [(R, 5, "C", "身份证号存成了数字，末几位已丢失"), (R, 6, "C", "存成了数字")]),
    "future_birth.xlsx": (1, [(R, 6, "C", "出生日期 2031-06-01 晚于参考日期 2021-05-01")]),
    "negative_amounts.xlsx": (1, [(R, 5, "G", "交费金额不能为负数（-100）"), (R, 6, "G", "交费金额不能为负数（-100）")]),
    "formula_injection.xlsx": (1, [(R, 5, "B", "像公式"), (R, 6, "B", "像公式"), (R, 7, "B", "像公式"),
                                   (R, 8, "B", "像公式"), (R, 8, "C", "身份证号位数不对")]),
    "low_participation.xlsx": (1, [(R, None, "", "在职参互比例 60.00%（6/10，在职职工人数名册填写）低于方案 nm-2021 的下限 75%")]),
    "gbk.csv": (1, [("gbk", 3, "E", "交费金额 50 元与方案 nm-2021 的在职标准 100 元不符")]),
}
# rows that must come out clean (file -> Excel rows)
CLEAN_ROWS = {
    "blank_rows.xlsx": {5, 7, 8},
    "fullwidth.xlsx": {5, 7},
    "text_dates.xlsx": {5, 6, 7, 8, 9},
    "numeric_ids.xlsx": {7},
    "excel_errors.xlsx": set(),
}

runner = CliRunner()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_validate(tmp_path: Path, *files: Path):
    report = tmp_path / "报告.xlsx"
    before = {f: digest(f) for f in files}
    result = runner.invoke(app, ["validate", *map(str, files), "--report", str(report)])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert {f: digest(f) for f in files} == before, "an input file was modified"
    rows = []
    if report.exists():
        ws = load_workbook(report)["校验结果"]
        rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2) if row[1].value]
    return result, rows


def test_every_corpus_file_has_a_case():
    made = {p.name for p in BAD.iterdir() if p.is_file()}
    assert made - set(CASES) == {"bad_roster.xlsx", "duplicates_a.xlsx", "duplicates_b.xlsx"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(name, tmp_path):
    code, expected = CASES[name]
    path = BAD / name
    result, rows = run_validate(tmp_path, path)
    assert result.exit_code == code, result.output
    if code == 2:
        assert "错误" in result.output
    found = [(r[3] or "", r[4], r[5] or "", r[7]) for r in rows if r[2] == name]
    for sheet, row, column, text in expected:
        assert any(s == sheet and r == row and c == column and text in reason for s, r, c, reason in found), (
            f"{name}: missing {(sheet, row, column, text)} in {found}")
    if name in CLEAN_ROWS:
        flagged = {r for _s, r, _c, _t in found if r is not None}
        assert not flagged & CLEAN_ROWS[name]


def test_duplicates_across_two_unit_rosters(tmp_path):
    result, rows = run_validate(tmp_path, BAD / "duplicates_a.xlsx", BAD / "duplicates_b.xlsx")
    assert result.exit_code == 1
    dups = [(r[2], r[4], r[5], r[7]) for r in rows if "重复" in r[7]]
    assert dups == [
        ("duplicates_a.xlsx", 7, "C", "身份证号与第 5 行重复：同一人只能参加一份"),
        ("duplicates_b.xlsx", 5, "C", "身份证号与文件 duplicates_a.xlsx 工作表「会员名册」第 5 行（单位：甲单位工会）重复：同一人只能参加一份"),
    ]


KITCHEN_SINK = [   # (row, column, part of the reason): at least 15 kinds of problems
    (4, "J", "有数据但没有表头"),
    (6, "B", "姓名为空"),
    (7, "C", "身份证号为空"),
    (8, "C", "校验位错误"),
    (9, "C", "位数不对：应为18位，实为17位"),
    (10, "C", "存成了数字"),
    (11, "C", "身份证号中的出生日期 19900230 不存在"),
    (12, "C", "出生日期 2030-01-01 晚于参考日期 2021-05-01"),
    (13, "C", "身份证号与第 5 行重复"),
    (14, "E", "62 周岁，在职人员年龄须在 16—60 周岁之间"),
    (15, "E", "15 周岁，在职人员年龄须在 16—60 周岁之间"),
    (16, "E", "72 周岁，退休人员年龄须不超过 70 周岁"),
    (17, "G", "交费金额 80 元与方案 nm-2021 的在职标准 100 元不符"),
    (18, "G", "交费金额不能为负数"),
    (19, "G", "交费金额“一百元”不是数字"),
    (20, "G", "交费金额是 Excel 错误值 #N/A"),
    (21, "E", "类别为空"),
    (22, "E", "未知的类别“临时工”"),
    (23, "F", "未知的类别“老会员”"),
    (24, "D", "性别“不详”与身份证号"),
    (25, "H", "出生日期 1970-01-01 与身份证号中的 1986-03-15 不符"),
    (26, "I", "参互日期“2021-02-30”不是存在的日期"),
    (27, "B", "像公式"),
    (28, "G", "交费金额是文字“100元”"),
    (31, "G", "错误值 #DIV/0!"),
    (32, "E", "错误值 #VALUE!"),
    (33, "I", "参互日期2020-01-01 不在本期参互办理时间"),
]


def test_bad_roster_reports_every_problem_with_its_place(tmp_path):
    result, rows = run_validate(tmp_path, BAD / "bad_roster.xlsx")
    assert result.exit_code == 1
    found = [(r[3], r[4], r[5], r[7]) for r in rows]
    for row, column, text in KITCHEN_SINK:
        assert any(s == "会员名册" and r == row and c == column and text in reason for s, r, c, reason in found), (
            row, column, text, [f for f in found if f[1] == row])
    assert len({text.split("“")[0][:6] for _r, _c, text in KITCHEN_SINK}) >= 15
    assert any(s == "旧名册" and "隐藏的工作表" in reason for s, _r, _c, reason in found)
    assert any("示例综合问题单位" in reason and "低于方案 nm-2021 的下限 75%" in reason for *_x, reason in found)
    # the good row, the 未参 row and the 提醒-only rows carry no 错误
    errors = {r[4] for r in rows if r[1] == "错误"}
    assert not errors & {5, 27, 28, 29, 30}
    # every problem is in Chinese and none shows a full ID number
    from mutualaid_xl.workbooks.sheets import read_sheets

    ids = {str(v) for row in read_sheets(BAD / "bad_roster.xlsx")[0].rows for v in row if isinstance(v, str)
           and len(v) == 18 and v[:17].isdigit()}
    text = result.output + " ".join(str(v) for r in rows for v in r)
    assert ids and not any(i in text for i in ids)
