"""`mutualaid demo`: the whole set is produced, amounts are right, and nothing public shows a full ID."""

import re

import pdfplumber
import pytest
from docx import Document
from typer.testing import CliRunner

from mutualaid_xl.cli import demo
from mutualaid_xl.cli import app
from mutualaid_xl.workbooks.sheets import read_sheets

ID = re.compile(r"\d{17}[\dX]")


def _docx_text(path):
    doc = Document(str(path))
    return "\n".join([p.text for p in doc.paragraphs] +
                     [c.text for t in doc.tables for row in t.rows for c in row.cells])


def _all_ids(folder):
    ids = set()
    for path in (folder / "rosters").glob("*.xlsx"):
        for sheet in read_sheets(path):
            ids |= {cell for row in sheet.rows for cell in row if isinstance(cell, str) and ID.fullmatch(cell)}
    return ids


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo") / "out"
    result = CliRunner().invoke(app, ["demo", str(folder)])
    assert result.exit_code == 0, result.output
    return folder, result.output


def test_demo_produces_the_whole_set(demo_run):
    folder, output = demo_run
    for name in ("subsidy_examples.md", "reports/roster_report.xlsx", "workbooks/annual_summary.xlsx",
                 "workbooks/unit_ledger.xlsx", "workbooks/claims_register_subsidy.xlsx", "documents/通知.docx",
                 "documents/公示名单.docx", "documents/年度参互汇总表.docx", "documents/specimen_seal.png"):
        assert (folder / name).is_file(), name
    assert len(list((folder / "documents" / "审批表").glob("*.docx"))) == len(demo.DEMO_CLAIMS)
    assert len(list((folder / "documents" / "申请表").glob("*.docx"))) == len(demo.UNITS)
    assert "演示文件已生成" in output
    examples = (folder / "subsidy_examples.md").read_text("utf-8")
    assert "应付 11,240.00 元（壹万壹仟贰佰肆拾元整）" in examples


def test_public_list_amounts(demo_run):
    folder, _ = demo_run
    text = _docx_text(folder / "documents" / "公示名单.docx")
    # member 0: 20000, 12 d, year 2 -> 4000+7000+240 = 11240; 180000 later -> 147000 (cap room 239000);
    # 150000 later -> 117000 but room 250000-158000 = 92000. member 1: 200 -> minimum 200;
    # member 2: 12345.67, 14 d, year 3 -> 4000+1641.969+420 = 6061.97; member 3: 40 -> 200.
    for amount in ("11,240.00", "147,000.00", "92,000.00", "6,061.97", "256,701.97"):
        assert amount in text
    assert "内蒙古" in text  # the scheme name comes from the policy file


def test_notice_numbers_come_from_the_policy(demo_run):
    folder, _ = demo_run
    text = _docx_text(folder / "documents" / "通知.docx")
    assert "在职职工每人每期100元，参互退休职工每人每期400元" in text
    assert "0—10000元部分按40%" in text and "250,000.00元" in text and "75%" in text
    assert "2021年5月1日至2021年12月10日" in text


def test_nothing_public_shows_a_full_id(demo_run):
    folder, output = demo_run
    ids = _all_ids(folder)
    assert len(ids) >= 100
    public = _docx_text(folder / "documents" / "公示名单.docx")
    logs = "".join(p.read_text("utf-8") for p in folder.rglob("盖章记录.csv"))
    for text in (public, logs, output):
        assert not ids & set(ID.findall(text))
    assert re.search(r"\d{4}\*{10}[\dX]{4}", public)
    assert "诊断" not in public
    names = {row[1] for sheet in read_sheets(folder / "rosters" / "unit1.xlsx") for row in sheet.rows[4:] if row[1]}
    assert len(names) >= 20
    for text in (public, logs, output):
        assert not [name for name in names if name in text]


@pytest.mark.libreoffice
def test_demo_pdfs(demo_run):
    folder, _ = demo_run
    pdf = folder / "documents" / "公示名单.pdf"
    with pdfplumber.open(pdf) as opened:
        text = "".join(page.extract_text() for page in opened.pages)
    assert "256,701.97" in text and not _all_ids(folder) & set(ID.findall(text))
    assert (folder / "documents" / "通知.pdf").is_file()
    assert len(list((folder / "documents" / "审批表").glob("*.pdf"))) == len(demo.DEMO_CLAIMS)


@pytest.mark.libreoffice
def test_demo_signs_the_stamped_pdfs_with_the_specimen_certificate(demo_run):
    from mutualaid_xl.documents import seal, signing

    folder, output = demo_run
    docs = folder / "documents"
    assert "specimen_cert.p12" in output and demo.DEMO_PASSWORD in output
    for pdf, body in ((docs / "通知.pdf", "示范市总工会"), (docs / "公示名单.pdf", "示范市职工互助保障办事处")):
        check = signing.verify_pdf(pdf)
        assert check.signed and check.ok and f"{body}（样章）" in check.message, pdf   # each body signs its own
    assert not signing.verify_pdf(docs / "年度参互汇总表.pdf").signed  # carries no seal, so no signature
    logged = {r["文件"] for r in seal.read_log(docs / seal.LOG_NAME)[0]}
    assert logged == {"通知.docx", "公示名单.docx"}  # only the stamped Word files; no unstamped one


def test_demo_without_a_chinese_font_still_produces_the_documents(tmp_path, monkeypatch):
    from mutualaid_xl.documents import seal
    from mutualaid_xl.errors import ToolMissingError

    def no_font():
        raise ToolMissingError("未找到中文字体，无法绘制样章。")

    monkeypatch.setattr(seal, "_cjk_font_file", no_font)
    produced, notes = demo.build(tmp_path, pdf=False)
    assert notes == ["未盖样章：未找到中文字体，无法绘制样章。"]
    assert (tmp_path / "documents" / "通知.docx") in produced
    assert not (tmp_path / "documents" / "specimen_seal.png").exists()
