"""GB/T 9704 page flow, attachments, forms that add up, required fields and fonts (issue 11).

The LibreOffice test exports a reproduced notice, an approval form and a 60-row public list in one
go and measures the PDFs with pdfplumber."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from decimal import Decimal

import pdfplumber
import pytest

from mutualaid_xl.cli.demo import NM_NOTICE
from mutualaid_xl.documents import layout
from mutualaid_xl.documents import render as documents
from mutualaid_xl.documents.claim_forms import adjustments, write_documents
from mutualaid_xl.errors import InputError
from mutualaid_xl.workbooks.claims import computed_positions, compute_register, stay_result
from test_claim_documents import _fill
from test_claims import ROWS

MM = 72 / 25.4
RARE = "\U0002A6D6"  # CJK Extension B, not in Noto CJK


def test_doc_number_checked_and_explained():
    assert layout.check_doc_number("内工发〔2021〕5号") == "内工发〔2021〕5号"
    with pytest.raises(InputError) as error:
        layout.check_doc_number("内工发[2021]第05号")
    message = error.value.message
    assert "〔〕" in message and "第" in message and "虚位" in message and "「内工发〔2021〕5号」" in message
    with pytest.raises(InputError, match="格式不对"):
        layout.check_doc_number("内工发2021年5号")


def test_title_lines_break_between_words():
    assert layout.title_lines("内蒙古自治区总工会关于开展2021年度职工医疗互助保障行动的通知", 20) == [
        "内蒙古自治区总工会关于开展", "2021年度职工医疗互助保障行动的通知"]
    lines = layout.title_lines("示范市2021年度职工医疗互助补助金发放公示名单（第三期）", 22)
    assert len(lines) == 2 and lines[-1].endswith("（第三期）") and all(len(line) <= 22 for line in lines)
    assert layout.title_lines("甲乙丙|丁戊", 20) == ["甲乙丙", "丁戊"]  # the clerk's own break
    assert layout.title_lines("短标题", 20) == ["短标题"]


def test_blank_required_fields_are_named():
    with pytest.raises(InputError) as error:
        documents.Renderer("notice").render_bytes({"issuer": "某市总工会", "doc_number": "", "title": " ",
                                                    "addressees": "", "body": [], "date": "2021-04-06"})
    for name in ("发文字号", "标题", "主送机关", "正文"):
        assert name in error.value.message
    with pytest.raises(InputError) as error:
        documents.Renderer("approval_form").render_bytes({
            "member": "", "id_number": "", "unit": "", "stay": "2021年6月1日至2021年6月13日", "days": 12,
            "self_pay": 1000, "allowance": 0, "amount": 400, "issuer": "某办事处", "date": "2021-10-08"})
    assert all(name in error.value.message for name in ("姓名", "身份证号", "工作单位"))


def test_approval_rows_add_up_to_the_total(tmp_path):
    result = compute_register(_fill(tmp_path / "登记表.xlsx", ROWS))
    for position in computed_positions(result):
        computed = stay_result(result, position)
        rows = [b["subsidy"] for b in computed.bands] + [a["amount"] for a in adjustments(computed)]
        assert sum(rows, Decimal(0)) == computed.amount
    capped = stay_result(result, computed_positions(result)[3])  # 张三's third stay: cap room 22000
    assert {a["label"]: a["amount"] for a in adjustments(capped)}["封顶扣减"] < 0


def test_undrawable_characters_warn_or_fail():
    data = {"title": "公示", "period": "7天", "issuer": "某工会", "date": "2021-05-01",
            "rows": [{"name": "张三", "id_number": "110101199001011234", "unit": f"{RARE}厂", "amount": 100}]}
    with pytest.warns(layout.UndrawableWarning, match="U\\+2A6D6"):
        documents.Renderer("public_list").render_bytes(data)
    with pytest.raises(InputError, match="U\\+2A6D6"):
        documents.Renderer("public_list", strict=True).render_bytes(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        documents.Renderer("public_list").render_bytes({**data, "rows": [{**data["rows"][0], "unit": "某厂"}]})


# --- measured in the PDFs --------------------------------------------------------------------

def _words(page, text):
    return [w for w in page.extract_words() if text in w["text"]]


@pytest.mark.libreoffice
def test_pdf_page_flow_forms_and_lists(tmp_path):
    notice = documents.render("notice", NM_NOTICE, tmp_path / "通知.docx")[0]
    result = compute_register(_fill(tmp_path / "登记表.xlsx", ROWS[:1]))
    forms = write_documents(result, tmp_path / "docs", issuer="示范办事处", date=dt.date(2021, 10, 8))
    rows = [{"name": f"张{n}", "id_number": "110101199001011234", "unit": "示范机械厂", "amount": n}
            for n in range(1, 61)]
    public = documents.render("public_list", {"title": "2021年度职工医疗互助补助金发放公示名单（第三期）",
                                              "period": "7天", "issuer": "某工会", "date": "2021-10-08",
                                              "rows": rows}, tmp_path / "名单.docx")[0]
    notice_pdf, approval_pdf, public_pdf = documents.export_pdfs([notice, forms[0], public])

    with pdfplumber.open(notice_pdf) as pdf:
        pages = pdf.pages
        assert len(pages) % 2 == 0
        last = pages[-1]
        printed = _words(last, "印发")
        assert printed and 0 < last.height - 35 * MM - printed[-1]["bottom"] < 20  # at the foot of the text block
        flat = [(p.extract_text() or "").replace(" ", "") for p in pages]
        dated = [n for n, t in enumerate(flat) if "2021年4月6日" in t]
        assert len(dated) == 1 and "内蒙古自治区总工会\n2021年4月6日" in flat[dated[0]]  # signer and date together
        for number, page in enumerate(pages, 1):
            marks = [w for w in page.extract_words() if w["top"] > page.height - 35 * MM and w["text"] == str(number)]
            assert marks, f"第{number}页没有页码"
            assert (marks[0]["x0"] > page.width / 2) == (number % 2 == 1)  # odd right, even left
        text = "\n".join(flat)
        assert "2021年度职工医疗互助保障行动的通知" in text.replace(" ", "")  # title broken between words
        labels = [(n, w) for n, p in enumerate(pages) for w in _words(p, "附件") if w["text"] in ("附件1", "附件", )]
        assert any(w["x0"] < 28 * MM + 5 and w["top"] < 37 * MM + 20 for _, w in labels)  # 附件1 top left
        assert "呼和浩特市总工会" in text and "31755" in text and "第一章" in text

    with pdfplumber.open(approval_pdf) as pdf:
        assert len(pdf.pages) == 1
        text = pdf.pages[0].extract_text()
        tables = pdf.pages[0].extract_tables()
        calc = next(t for t in tables if t[0][0] == "自付费用分段")
        rows = calc[1:next(n for n, row in enumerate(calc) if row[0].startswith("补助金额合计"))]
        amounts = [Decimal(row[-1].replace(",", "")) for row in rows]
        total = Decimal(re.search(r"￥([\d,.]+)", text).group(1).replace(",", ""))
        assert sum(amounts) == total == Decimal("11240.00")
        assert "示范机械厂" in text  # 工作单位 from the register

    with pdfplumber.open(public_pdf) as pdf:
        tables = [t for page in pdf.pages for t in page.extract_tables()[:1]]
        assert len(tables) >= 2
        seen = []
        for table in tables:
            assert table[0][:3] == ["序号", "姓名", "身份证号"]  # the header row on every page
            for row in table[1:]:
                if row[0] and row[0].isdigit():
                    assert row[1] and row[3] and row[4]  # no row split over two pages
                    seen.append(int(row[0]))
        assert seen == list(range(1, 61))


@pytest.mark.libreoffice
def test_blank_page_and_imprint_page_carry_no_page_number(tmp_path):
    """GB/T 9704 7.5: when a blank page precedes the 版记 page, neither carries a page number; every
    other page does. Bodies of 10 and 28 paragraphs end on an even page with no room for the 版记."""
    from test_pdf import BODY

    data = {"issuer": "某某市总工会", "doc_number": "某工发〔2021〕5号", "title": "某某市总工会关于开展职工医疗互助保障活动的通知",
            "addressees": "各区县总工会", "date": "2021-04-06", "cc": "某某省总工会", "printed_by": "某某市总工会办公室",
            "printed_date": "2021-04-07", "attachments": ["活动实施细则", "工作任务分配表"]}
    notices = [documents.render("notice", {**data, "body": (BODY * 4)[:n]}, tmp_path / f"通知{n}.docx")[0]
               for n in (10, 14, 28)]
    blank_pages = 0
    for pdf_path in documents.export_pdfs(notices):
        with pdfplumber.open(pdf_path) as pdf:
            pages = pdf.pages
            assert len(pages) % 2 == 0 and _words(pages[-1], "印发")
            foot = [page.height - 35 * MM for page in pages]
            text = [[w for w in p.extract_words() if w["top"] < f] for p, f in zip(pages, foot)]
            numbers = [[w["text"] for w in p.extract_words() if w["top"] > f] for p, f in zip(pages, foot)]
            blank = [n for n, words in enumerate(text) if not words]
            assert blank in ([], [len(pages) - 2]), pdf_path.name   # only ever the page before the 版记 page
            for n, marks in enumerate(numbers):
                unnumbered = bool(blank) and n >= len(pages) - 2
                assert (marks == []) == unnumbered, (pdf_path.name, n + 1, marks)
                assert unnumbered or str(n + 1) in "".join(marks)
            blank_pages += len(blank)
    assert blank_pages >= 1   # the case this test is about did occur
