"""The ribbon buttons against a fake book: same results as the services the CLI uses."""

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from fake_book import FakeBook
from openpyxl import load_workbook

from mutualaid_xl.workbooks import claims

from mutualaid_xl.workbooks import fill

from mutualaid_xl.excel import ribbon

from mutualaid_xl.workbooks import roster

from mutualaid_xl.documents import seal

from mutualaid_xl.workbooks import synthetic
from mutualaid_xl.rules.idcard import check_char
from mutualaid_xl.workbooks.sheets import read_sheets
from mutualaid_xl.workbooks.templates import CLAIMS, ROSTER, SUMMARY

REPO = Path(__file__).resolve().parent.parent


def _id(serial: int, born: str = "19800101") -> str:
    first17 = f"990{serial:03d}{born}{serial % 1000:03d}"
    return first17 + check_char(first17)


def _bad_roster(tmp_path) -> Path:
    """A synthetic roster (nm-2021) with a few problems a clerk makes."""
    data = synthetic.roster(12, seed=3, policy="nm-2021", not_joining_share=0)
    rows = data.rows
    id_col, fee_col = data.header.index("身份证号"), data.header.index("交费金额")
    rows[2][id_col] = rows[2][id_col][:-1] + ("0" if rows[2][id_col][-1] != "0" else "1")  # wrong check digit
    rows[5][id_col] = rows[4][id_col]                                                    # duplicate
    rows[7][fee_col] = 90                                                                # not the policy's fee
    return synthetic.write_roster(tmp_path / "roster.xlsx", data, unit="晨光机械厂")


def _first_data_row(path: Path) -> int:
    ws = load_workbook(path)[ROSTER.sheet]
    return next(row[0].row for row in ws.iter_rows() if row[0].value == "序号") + 1


def _book(path: Path) -> FakeBook:
    return FakeBook.from_openpyxl(load_workbook(path), fullname=str(path))


def _report(book, name):
    sheet = book.sheets[name]
    block = sheet.used_range.options(ndim=2).value
    return block[0], block[1:]


def test_validate_writes_the_services_report_and_leaves_the_roster_alone(tmp_path):
    path = _bad_roster(tmp_path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    book = _book(path)
    roster_cells = dict(book.sheets[ROSTER.sheet].cells)
    message = ribbon.validate_roster(book)

    expected = roster.validate(read_sheets(path))
    headers, rows = _report(book, "校验结果")
    assert headers == list(roster.PROBLEM_HEADERS)
    assert rows == [[ribbon._cell(v) for v in row] for row in roster.problem_rows(expected)]
    reasons = {(row[4], row[5]): row[7] for row in rows}  # (Excel row, column) -> reason
    first = _first_data_row(path)
    assert reasons[(first + 2, "C")].startswith("身份证号校验位错误")
    assert reasons[(first + 5, "C")] == f"身份证号与第 {first + 4} 行重复：同一人只能参加一份"
    assert reasons[(first + 7, "G")] == "交费金额 90 元与方案 nm-2021 的在职标准 100 元不符"
    assert all(row[6] for row in rows if row[4])  # a row's problem names the column's header
    assert book.sheets["校验结果"].formats["I1:I%d" % (len(rows) + 1)] == "@"
    headers, units = _report(book, "单位汇总")
    assert headers == list(roster.UNIT_HEADERS) and [u[1] for u in units] == ["晨光机械厂"]
    assert f"错误 {expected.errors} 个，提醒 {expected.warnings} 个" in message
    assert book.sheets[ROSTER.sheet].cells == roster_cells and book.active == "校验结果"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest

    ribbon.validate_roster(book)  # a second press rewrites our report, adds nothing
    assert [s.name for s in book.sheets].count("校验结果") == 1 and _report(book, "校验结果")[1] == rows


def test_validate_never_overwrites_a_sheet_it_did_not_write(tmp_path):
    book = _book(_bad_roster(tmp_path))
    book.sheets.add("校验结果", after=book.sheets[-1]).cells["A1"] = "我的笔记"
    message = ribbon.validate_roster(book)
    assert message.startswith("没有完成：") and "请把它改名后再试" in message
    assert book.sheets["校验结果"].cells == {"A1": "我的笔记"}


def test_validate_uses_the_workbooks_policy_and_date(tmp_path):
    book = _book(_bad_roster(tmp_path))
    book.sheets.add("设置", after=book.sheets[-1])
    book.sheets["设置"].cells.update({"B3": "zjk-14", "B4": dt.datetime(2014, 1, 1)})
    book.names.add("方案编号", "='设置'!$B$3")
    book.names.add("参互日期", "='设置'!$B$4")
    message = ribbon.validate_roster(book)
    assert "方案：zjk-14" in message and "年龄计算日期：2014-01-01" in message


def test_fill_writes_the_forms_beside_the_workbook(tmp_path):
    path = _bad_roster(tmp_path)
    book = _book(path)
    message = ribbon.fill_summaries(book)
    folder = tmp_path / "roster-报表"
    result = roster.validate(read_sheets(path))
    assert f"已填写 3 个文件，位于 {folder}" in message
    assert "注意：名册有" in message
    ws = load_workbook(folder / SUMMARY.file)[SUMMARY.sheet]
    (expected,) = fill.summary_values(result.units.values())
    assert ws[f"{SUMMARY.letter('amount')}{SUMMARY.first_row}"].value == expected["amount"]
    assert ws[f"{SUMMARY.letter('active')}{SUMMARY.first_row}"].value == expected["active"]
    assert (folder / "unit_ledger.xlsx").is_file() and (folder / "application_form.xlsx").is_file()


def test_buttons_that_write_files_ask_for_a_saved_workbook(tmp_path):
    book = _book(_bad_roster(tmp_path))
    book.fullname = "工作簿1"
    assert "请先把工作簿保存到本机文件夹" in ribbon.fill_summaries(book)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roster.xlsx"]


def test_claims_button_recomputes_the_register_into_a_new_workbook(tmp_path):
    wb = load_workbook(REPO / "workbook_templates" / CLAIMS.file)
    ws = wb[CLAIMS.sheet]
    a, b = _id(11, "19750301"), _id(12, "19750301")
    rows = [("张三", a, dt.datetime(2021, 6, 1), dt.datetime(2021, 6, 13), 20000, 2),   # 11240 (worked example)
            ("李四", b, dt.datetime(2021, 7, 1), dt.datetime(2021, 7, 3), 200, 1),      # minimum 200
            ("张三", a, dt.datetime(2021, 8, 1), dt.datetime(2021, 8, 11), 300000, 2)]  # 2nd stay: 217000
    for r, row in enumerate(rows, CLAIMS.first_row):
        for key, value in zip(("name", "id_number", "admitted", "discharged", "self_pay", "years"), row):
            ws[f"{CLAIMS.letter(key)}{r}"] = value
    book = FakeBook.from_openpyxl(wb, fullname=str(tmp_path / "register.xlsx"))
    message = ribbon.compute_claims(book)
    out = tmp_path / "register-补助计算.xlsx"
    assert book.app.books.opened == [str(out)]
    assert "补助金额合计 228,440.00 元" in message and "方案：nm-2021" in message
    result = load_workbook(out)["计算结果"]
    header = [c.value for c in result[1]]
    assert header == list(claims.OUT_HEADERS)
    got = [(row[0].value, row[11].value, Decimal(str(row[12].value)), Decimal(str(row[14].value)))
           for row in result.iter_rows(min_row=2, max_row=4)]
    assert got == [(4, "是", Decimal("0"), Decimal("11240")), (5, "是", Decimal("0"), Decimal("200")),
                   (6, "否", Decimal("11000"), Decimal("217000"))]
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # only the new workbook was written


NOTICE = [("字段", "值"), ("发文机关", "某某市总工会"), ("发文字号", "某工发〔2021〕5号"),
          ("标题", "关于开展2021年度职工医疗互助保障活动的通知"), ("主送机关", "各县区工会："),
          ("正文", "一、活动内容"), ("正文", "本期互助自2021年7月1日起。"), ("成文日期", dt.datetime(2021, 4, 6))]


def _notice_book(tmp_path) -> FakeBook:
    book = FakeBook("通知", fullname=str(tmp_path / "notice.xlsx"))
    book.sheets["通知"].range("A1").value = [list(row) for row in NOTICE]
    return book


def test_notice_button_renders_the_notice_from_the_open_workbook(tmp_path):
    book = _notice_book(tmp_path)
    message = ribbon.make_notice(book)
    out = tmp_path / "notice-通知.docx"
    assert message == f"已生成：\n  {out}"
    text = "\n".join(p.text for p in docx.Document(out).paragraphs)
    assert "关于开展2021年度\n职工医疗互助保障活动的通知" in text and "本期互助自2021年7月1日起。" in text
    assert "某工发〔2021〕5号" in text


def test_notice_with_a_missing_field_says_which(tmp_path):
    book = _notice_book(tmp_path)
    del book.sheets["通知"].cells["A4"], book.sheets["通知"].cells["B4"]  # 标题
    message = ribbon.make_notice(book)
    assert message.startswith("没有完成：") and "标题" in message
    assert not (tmp_path / "notice-通知.docx").exists()


def test_application_button_writes_one_form_per_unit(tmp_path):
    path = _bad_roster(tmp_path)
    message = ribbon.make_application(_book(path))
    out = tmp_path / "roster-申请表" / "晨光机械厂.docx"
    assert message.startswith(f"已生成：\n  {out}")
    (unit,) = roster.validate(read_sheets(path)).units.values()
    cells = [c.text for t in docx.Document(out).tables for r in t.rows for c in r.cells]
    assert cells[cells.index("单位名称\n（工会盖章）") + 1] == "晨光机械厂"
    assert cells[cells.index("在职参互人数") + 1] == str(unit.active)
    assert cells[cells.index("互助金总额\n（元）") + 1] == f"{unit.amount:,.2f}"


def test_stamp_needs_a_seal_image(tmp_path):
    message = ribbon.stamp_pdf(_notice_book(tmp_path))
    assert "找不到印章图片" in message and "印章.png" in message
    assert not (tmp_path / "notice-通知.docx").exists()


@pytest.mark.libreoffice
def test_stamp_seals_the_notice_and_exports_pdf(tmp_path):
    seal.specimen_seal("某某市总工会", tmp_path / "印章.png")
    message = ribbon.stamp_pdf(_notice_book(tmp_path))
    docx_out, pdf_out = tmp_path / "notice-通知.docx", tmp_path / "notice-通知.pdf"
    assert message.startswith(f"已生成：\n  {docx_out}\n  {pdf_out}")
    assert pdf_out.read_bytes().startswith(b"%PDF")
    assert seal.verify(pdf_out).ok and seal.verify(docx_out).ok


def test_a_file_system_problem_becomes_a_chinese_message(tmp_path):
    path = _bad_roster(tmp_path)
    (tmp_path / f"{path.stem}-报表").write_text("a file where the output folder should go")
    book = _book(path)
    message = ribbon.fill_summaries(book)
    assert message.startswith("没有完成：") and "roster-报表" in message and "不是文件夹" in message
