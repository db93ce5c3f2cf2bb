"""The stamped notice and the forms as PDF (LibreOffice), read back with pdfplumber."""

from __future__ import annotations

import re

import openpyxl
import pdfplumber
import pytest

from mutualaid_xl.documents import render as documents

from mutualaid_xl.documents import seal
from mutualaid_xl.rules.idcard import check_char

pytestmark = pytest.mark.libreoffice

A4 = (595.3, 841.9)
MM = 72 / 25.4
BODY = [
    "2020年，市总工会坚持以职工为中心的工作导向，认真履行维护职工合法权益、竭诚服务职工群众的基本职责，推动开展职工医疗互助保障行动。现就有关事项通知如下。",
    "一、指导思想",
    "充分发挥工会在促进建立与完善多层次医疗保障体系中的作用，不断提高职工医疗保障水平。",
    "二、活动内容",
    "（一）参互对象。本市行政辖区内参加城镇职工基本医疗保险的在职职工和参互退休职工。活动采取集体会员制，由所在单位工会统一组织职工参加。",
    "（二）交费标准。按方案规定的标准交纳，每个互助期为一年，每人限交一份。",
    "（三）补助标准。参互职工住院统筹内费用在基本医疗保险和大额补充医疗保险等报销之后的自付部分，进行分段补助。",
    "三、工作要求",
] + [f"（{n}）第{n}项要求。各级工会要高度重视，把职工互助保障纳入年度重点工作统一谋划、统一部署、统一实施，切实抓好宣传发动工作，形成工会上下合力抓的工作格局。"
     for n in "四五六七八九"] + ["最后一段 R&D <试点> 单位要按时报送材料。"]


def red(color) -> bool:
    return color is not None and len(color) == 3 and color[0] > 0.8 and color[1] < 0.3 and color[2] < 0.3


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def notice_pdf(tmp_path_factory):
    folder = tmp_path_factory.mktemp("notice")
    seal_png = seal.specimen_seal("某某市总工会", folder / "样章.png")
    data = {
        "issuer": "某某市总工会", "doc_number": "某工发〔2021〕5号",
        "title": "某某市总工会关于开展2021年度职工医疗互助保障活动的通知",
        "addressees": "各区县总工会，各产业工会", "body": BODY, "attachments": ["活动实施细则", "工作任务分配表"],
        "date": "2021-04-06", "cc": "某某省总工会", "printed_by": "某某市总工会办公室", "printed_date": "2021-04-07",
    }
    docx, pdf = documents.render("notice", data, folder / "通知.docx", seal_png=seal_png, pdf=True)
    assert pdf.suffix == ".pdf" and seal.verify(pdf).ok and seal.verify(docx).ok
    with pdfplumber.open(pdf) as opened:
        yield opened


def test_every_page_is_a4(notice_pdf):
    assert len(notice_pdf.pages) >= 2
    for page in notice_pdf.pages:
        assert (page.width, page.height) == pytest.approx(A4, abs=1)


def test_issuer_marking_red_in_the_top_part_of_page_one(notice_pdf):
    page = notice_pdf.pages[0]
    marking = [c for c in page.chars if red(c["non_stroking_color"])]
    assert "".join(c["text"] for c in marking) == "某某市总工会文件"
    top = min(c["top"] for c in marking)
    assert 37 * MM < top < page.height / 3
    centre = (min(c["x0"] for c in marking) + max(c["x1"] for c in marking)) / 2
    assert centre == pytest.approx((28 + 156 / 2) * MM, abs=6)  # centred on the text block
    assert not [c for p in notice_pdf.pages[1:] for c in p.chars if red(c["non_stroking_color"])]


def test_document_number_above_the_red_line(notice_pdf):
    page = notice_pdf.pages[0]
    lines = [line for line in page.lines + page.rects if red(line.get("stroking_color")) or red(line.get("non_stroking_color"))]
    assert lines, "no red separator line"
    line_top = min(line["top"] for line in lines)
    width = max(line["x1"] for line in lines) - min(line["x0"] for line in lines)
    assert width == pytest.approx(156 * MM, abs=3 * MM)  # across the text block
    (number,) = page.search(r"某工发〔2021〕\s*5\s*号", regex=True)
    marking_bottom = max(c["bottom"] for c in page.chars if red(c["non_stroking_color"]))
    assert marking_bottom < number["top"] < number["bottom"] < line_top
    assert 2 * MM < line_top - number["bottom"] < 8 * MM  # about 4 mm
    title = page.search("某某市总工会关于开展")[0]
    assert title["top"] > line_top


def test_seal_overlaps_the_date_line(notice_pdf):
    # the 版记 may be alone on a last, even page: the seal is on the page with the date
    page = next(p for p in notice_pdf.pages if p.search(r"2021\s*年\s*4\s*月\s*6\s*日", regex=True))
    (date,) = page.search(r"2021\s*年\s*4\s*月\s*6\s*日", regex=True)
    (signer,) = [m for m in page.search("某某市总工会") if m["top"] < date["top"] and m["x0"] > page.width / 2]
    (image,) = page.images
    assert image["x1"] - image["x0"] == pytest.approx(42 * MM, abs=2)
    for text in (date, signer):
        overlap = min(image["x1"], text["x1"]) - max(image["x0"], text["x0"])
        assert overlap > 0.9 * (text["x1"] - text["x0"])  # fallback Latin fonts may widen the digits a little
        assert image["top"] < text["top"] and text["bottom"] < image["bottom"]
    seal_centre = (image["top"] + image["bottom"]) / 2
    assert seal_centre < date["top"]  # signer and date sit in the lower half of the seal
    assert (image["x0"] + image["x1"]) / 2 == pytest.approx((date["x0"] + date["x1"]) / 2, abs=10)


def test_body_text_present_and_in_order(notice_pdf):
    text = squash("".join(page.extract_text() or "" for page in notice_pdf.pages))
    positions = [text.index(squash(p)[:18]) for p in BODY]
    assert positions == sorted(positions)
    assert "最后一段R&D<试点>单位要按时报送材料。" in text
    for later in ("附件：1.活动实施细则", "2.工作任务分配表", "抄送：某某省总工会。", "某某市总工会办公室2021年4月7日印发"):
        assert later in text


def test_imprint_block_is_never_split_over_two_pages(notice_pdf):
    last = squash(notice_pdf.pages[-1].extract_text())
    assert "抄送：某某省总工会。" in last and "2021年4月7日印发" in last


def test_page_numbers_on_every_page_odd_right_even_left(notice_pdf):
    for number, page in enumerate(notice_pdf.pages, start=1):
        (found,) = page.search(rf"—\s*{number}\s*—", regex=True)
        assert found["top"] > page.height - 35 * MM  # below the text block
        sizes = {round(c["size"]) for c in page.chars if c["top"] > page.height - 35 * MM and c["text"].strip()}
        assert sizes == {14}, sizes   # 4号 (14 pt), the digits too
        if number % 2:
            assert found["x0"] > page.width / 2
        else:
            assert found["x1"] < page.width / 2


def fake_id(seq: int) -> str:
    first17 = f"99010119800101{seq:03d}"
    return first17 + check_char(first17)


def test_batch_of_approval_forms_to_pdf_in_one_go(tmp_path):
    rows = tmp_path / "审批清单.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "工作单位", "住院时间", "住院天数", "统筹内自付", "住院补贴", "补助合计", "互助机构", "日期"])
    ws.append(["职工甲", fake_id(1), "甲&乙厂", "6月", 12, "23456.78", 240, "13659.75", "某办事处", "2021-07-01"])
    ws.append(["职工乙", fake_id(2), "丙厂", "7月", 3, 500, 30, 230, "某办事处", "2021-07-02"])
    wb.save(rows)
    seal_png = seal.specimen_seal("某办事处", tmp_path / "章.png")
    produced = documents.render_each("approval_form", rows, tmp_path / "out", seal_png=seal_png, pdf=True)
    pdfs = [p for p in produced if p.suffix == ".pdf"]
    assert [p.name for p in pdfs] == ["职工甲.pdf", "职工乙.pdf"]
    with pdfplumber.open(pdfs[0]) as pdf:
        text = squash(pdf.pages[0].extract_text())
        assert "13,659.75" in text and "人民币壹万叁仟陆佰伍拾玖元柒角伍分" in text and "甲&乙厂" in text
        assert len(pdf.pages[0].images) == 1
    assert all(seal.verify(p).ok for p in produced)
