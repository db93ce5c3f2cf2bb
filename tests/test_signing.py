"""Signed PDFs (PAdES with a specimen certificate) and the hash-chained stamping log."""

from __future__ import annotations

import re
import shutil
import subprocess

import pdfplumber
import pytest
from PIL import Image
from typer.testing import CliRunner

from mutualaid_xl.cli import app
from mutualaid_xl.documents import render as documents
from mutualaid_xl.documents import seal, signing
from mutualaid_xl.errors import FileFormatError, InputError

PASSWORD = "演示密码-1"
NOTICE = {
    "issuer": "某某市总工会", "doc_number": "某工发〔2021〕5号", "title": "关于开展职工医疗互助活动的通知",
    "addressees": "各基层工会", "body": ["现将有关事项通知如下。", "一、参互对象。本市在职职工。"],
    "date": "2021-04-06",
}
runner = CliRunner()


@pytest.fixture(scope="module")
def specimen(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cert")
    return signing.specimen_certificate("某某市总工会", folder / "样章证书.p12", PASSWORD)


@pytest.fixture(scope="module")
def signed(tmp_path_factory, specimen):
    """A notice rendered with the seal, exported by LibreOffice and signed: (pdf, seal png)."""
    folder = tmp_path_factory.mktemp("signed")
    seal_png = seal.specimen_seal("某某市总工会", folder / "章.png")
    doc = documents.render("notice", NOTICE, folder / "通知.docx", seal_png=seal_png)[0]
    (pdf,) = documents.finish_pdfs([doc], seal_png, signing.load_signer(specimen, PASSWORD))
    return pdf, seal_png


def test_specimen_certificate_is_marked_and_password_protected(specimen):
    signer = signing.load_signer(specimen, PASSWORD)
    subject = signer.signing_cert.subject.native
    assert subject["common_name"] == "某某市总工会（样章）"
    assert "样章" in subject["organizational_unit_name"]
    with pytest.raises(InputError, match="密码不对"):
        signing.load_signer(specimen, "错误密码")
    with pytest.raises(InputError, match="不能为空"):
        signing.specimen_certificate("某工会", specimen.parent / "x.p12", "")


libreoffice = pytest.mark.libreoffice


@libreoffice
def test_pdfsig_reports_the_signature_valid_over_the_whole_file(signed):
    if not shutil.which("pdfsig"):
        pytest.skip("pdfsig 未安装（apt-get install poppler-utils）")
    pdf, _ = signed
    report = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True).stdout
    assert report.count("Signature #") == 1
    assert "Signature Validation: Signature is Valid." in report
    assert "Total document signed" in report
    assert "Signature Type: ETSI.CAdES.detached" in report  # PAdES
    assert "某某市总工会（样章）" in report


@libreoffice
def test_seal_is_the_visible_signature_drawn_once_where_the_seal_was(signed, tmp_path):
    pdf, _ = signed
    with pdfplumber.open(pdf) as document:
        assert not [im for page in document.pages for im in page.images if im["x1"] - im["x0"] > 100]  # off the page
        ((number, widget),) = [(page.page_number, a) for page in document.pages for a in page.annots
                               if a["data"].get("FT") and a["data"]["FT"].name == "Sig"]
        x0, top, x1, bottom = widget["x0"], widget["top"], widget["x1"], widget["bottom"]
        assert x1 - x0 == pytest.approx(42 / 25.4 * 72, abs=2)
        (date,) = document.pages[number - 1].search(r"2021\s*年\s*4\s*月\s*6\s*日", regex=True)
        assert (date["x0"] + date["x1"]) / 2 == pytest.approx((x0 + x1) / 2, abs=10)  # over the date, as stamped
        assert top < date["top"] < bottom
    # the appearance is drawn: red ink inside the field when the page is rendered
    subprocess.run(["pdftoppm", "-r", "36", "-png", "-f", str(number), "-l", str(number), str(pdf), str(tmp_path / "p")],
                   check=True)
    (png,) = tmp_path.glob("p*.png")
    image = Image.open(png).convert("RGB")
    scale = 36 / 72
    box = [round(v * scale) for v in (x0, top, x1, bottom)]
    pixels = [image.getpixel((x, y)) for x in range(box[0], box[2]) for y in range(box[1], box[3])]
    assert sum(1 for r, g, b in pixels if r > 180 and g < 110 and b < 110) > 0.05 * len(pixels)


@libreoffice
def test_verify_works_on_a_copy_without_any_log(signed, tmp_path):
    pdf, _ = signed
    copy = tmp_path / "转发" / "通知副本.pdf"
    copy.parent.mkdir()
    shutil.copy(pdf, copy)
    result = seal.verify(copy)
    assert result.ok, result.message
    assert "签名有效" in result.message and "某某市总工会（样章）" in result.message and "样章证书" in result.message
    cli = runner.invoke(app, ["verify", str(copy)])
    assert cli.exit_code == 0 and "签名有效" in cli.output
    changed = tmp_path / "改过.pdf"
    changed.write_bytes(copy.read_bytes()[:-1] + b"X")
    cli = runner.invoke(app, ["verify", str(copy), str(changed)])
    assert cli.exit_code == 1 and "通知副本.pdf：签名有效" in cli.output and "改过.pdf：" in cli.output


def signed_ranges(data: bytes) -> list[tuple[int, int]]:
    a, b, c, d = map(int, re.search(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data).groups())
    return [(a, a + b), (c, c + d)]


@libreoffice
@pytest.mark.parametrize("where", ["header", "page content", "last byte"])
def test_one_changed_byte_fails_verify(signed, tmp_path, where):
    pdf, _ = signed
    data = bytearray(pdf.read_bytes())
    (start, end), (start2, end2) = signed_ranges(bytes(data))
    position = {"header": 12, "page content": (start + end) // 2, "last byte": end2 - 2}[where]
    data[position] = ord("7") if data[position] != ord("7") else ord("8")
    changed = tmp_path / "改过.pdf"
    changed.write_bytes(bytes(data))
    result = seal.verify(changed)
    assert not result.ok and ("改动" in result.message or "损坏" in result.message), result.message
    cli = runner.invoke(app, ["verify", str(changed)])
    assert cli.exit_code == 1 and "Traceback" not in cli.output


@libreoffice
def test_text_appended_after_signing_fails_verify(signed, tmp_path):
    pdf, _ = signed
    changed = tmp_path / "追加.pdf"
    changed.write_bytes(pdf.read_bytes() + b"\n1 0 obj\n(x)\nendobj\n")
    assert not seal.verify(changed).ok


@libreoffice
def test_cli_render_sign_makes_a_signed_pdf_and_logs_only_the_word_file(tmp_path, specimen, monkeypatch):
    monkeypatch.setenv(signing.PASSWORD_ENV, PASSWORD)
    seal_png = seal.specimen_seal("某某市总工会", tmp_path / "章.png")
    data = tmp_path / "通知.json"
    data.write_text('{"发文机关": "某某市总工会", "发文字号": "某工发〔2021〕5号", "标题": "关于互助的通知", '
                    '"主送机关": "各基层工会", "正文": "现将有关事项通知如下。", "成文日期": "2021-04-06"}', encoding="utf-8")
    result = runner.invoke(app, ["render", "notice", str(data), str(tmp_path / "n.docx"), "--seal", str(seal_png),
                                 "--pdf", "--sign", str(specimen)])
    assert result.exit_code == 0, result.output
    assert signing.verify_pdf(tmp_path / "n.pdf").ok
    records, _ = seal.read_log(tmp_path / seal.LOG_NAME)
    assert [r["文件"] for r in records] == ["n.docx"]


def test_sign_needs_pdf_and_seal_and_the_right_password(tmp_path, specimen, monkeypatch):
    data = tmp_path / "d.json"
    data.write_text("{}", encoding="utf-8")
    out = str(tmp_path / "n.docx")
    result = runner.invoke(app, ["render", "notice", str(data), out, "--sign", str(specimen)])
    assert result.exit_code == 2 and "--pdf" in result.output
    monkeypatch.setenv(signing.PASSWORD_ENV, "不对")
    result = runner.invoke(app, ["render", "notice", str(data), out, "--pdf", "--seal", str(specimen),
                                 "--sign", str(specimen)])
    assert result.exit_code == 2 and "密码不对" in result.output.replace("\n", "") and not (tmp_path / "n.docx").exists()


def test_cli_cert_specimen_asks_for_the_password_twice(tmp_path, monkeypatch):
    monkeypatch.delenv(signing.PASSWORD_ENV, raising=False)
    out = tmp_path / "u.p12"
    result = runner.invoke(app, ["cert", "specimen", "某工会", str(out)], input="pw-1\npw-1\n")
    assert result.exit_code == 0, result.output
    assert "pw-1" not in result.output  # not echoed
    assert "证书 u.p12 的密码：" in result.output and "请再输入一次密码：" in result.output
    assert signing.load_signer(out, "pw-1").signing_cert.subject.native["common_name"] == "某工会（样章）"
    result = runner.invoke(app, ["cert", "specimen", "某工会", str(tmp_path / "v.p12")], input="pw-1\npw-2\n")
    assert result.exit_code == 2 and "两次输入的密码不一致" in result.output and not (tmp_path / "v.p12").exists()


# --- the stamping log ---------------------------------------------------------------------

APPROVAL = {"title": "审批表", "member": "甲", "id_number": "990101199001010011", "unit": "厂", "stay": "6月", "days": 1, "self_pay": 1,
            "allowance": 0, "amount": 1, "issuer": "某办事处", "date": "2021-07-01"}


@pytest.fixture
def stamped(tmp_path):
    seal_png = seal.specimen_seal("某办事处", tmp_path / "章.png")
    docs = [documents.render("approval_form", APPROVAL, tmp_path / f"审批{i}.docx", seal_png=seal_png)[0]
            for i in (1, 2)]
    return docs, seal_png, tmp_path / seal.LOG_NAME


def test_only_documents_that_carry_a_seal_are_logged(tmp_path, monkeypatch):
    seal_png = seal.specimen_seal("某办事处", tmp_path / "章.png")
    sealed = documents.render("approval_form", APPROVAL, tmp_path / "有章.docx", seal_png=seal_png)[0]
    plain = documents.render("approval_form", APPROVAL, tmp_path / "无章.docx")[0]
    assert seal.carries_seal(sealed) and not seal.carries_seal(plain)

    def fake_pdf(docs):  # LibreOffice is not the subject here
        for doc in docs:
            doc.with_suffix(".pdf").write_bytes(b"%PDF-1.7 " + doc.name.encode())
        return [doc.with_suffix(".pdf") for doc in docs]

    monkeypatch.setattr(documents, "to_pdf", fake_pdf)
    documents.finish_pdfs([sealed, plain], seal_png)
    names = [r["文件"] for r in seal.read_log(tmp_path / seal.LOG_NAME)[0]]
    assert names == ["有章.docx", "有章.pdf"]
    assert not seal.verify(tmp_path / "无章.pdf").ok


def test_edited_log_line_is_detected(stamped):
    docs, _, log = stamped
    text = log.read_text(encoding="utf-8-sig")
    log.write_text(text.replace("审批1.docx", "审批9.docx"), encoding="utf-8-sig")
    result = seal.verify(docs[1])
    assert not result.ok and "第 2 行" in result.message and "无法核验" in result.message


def test_edited_document_with_a_hand_appended_line_is_detected(stamped):
    docs, _, log = stamped
    docs[1].write_bytes(docs[1].read_bytes() + b"changed")
    records, _ = seal.read_log(log)
    forged = dict(records[-1], 文档SHA256=seal.sha256_file(docs[1]))
    with open(log, "a", encoding="utf-8", newline="") as handle:
        handle.write(",".join(forged[c] for c in seal.LOG_COLUMNS) + "\r\n")
    result = seal.verify(docs[1])
    assert not result.ok and re.search("第 4 行.*手工添加", result.message)
    result = runner.invoke(app, ["verify", str(docs[1])])
    assert result.exit_code == 1 and "第 4 行" in result.output.replace("\n", "") and "Traceback" not in result.output


def test_damaged_log_is_never_appended_to(stamped):
    docs, seal_png, log = stamped
    log.write_text(log.read_text(encoding="utf-8-sig").replace("章.png", "印.png"), encoding="utf-8-sig")
    before = log.read_bytes()
    with pytest.raises(FileFormatError):
        documents.render("approval_form", APPROVAL, docs[0].parent / "审批3.docx", seal_png=seal_png)
    assert log.read_bytes() == before and not (docs[0].parent / "审批3.docx").exists()


def test_log_resaved_by_excel_as_gbk_still_verifies_and_stays_gbk(stamped):
    docs, seal_png, log = stamped
    text = log.read_text(encoding="utf-8-sig")
    log.write_bytes(text.encode("gbk"))  # Excel on Chinese Windows: ANSI (GBK), no BOM
    assert seal.verify(docs[0]).ok
    documents.render("approval_form", APPROVAL, docs[0].parent / "审批3.docx", seal_png=seal_png)
    data = log.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # no UTF-8 line appended to the GBK file
    assert data.decode("gbk").count("审批") == 3
    assert seal.verify(docs[0].parent / "审批3.docx").ok


def test_log_in_utf8_without_bom_and_with_bom(stamped):
    docs, _, log = stamped
    text = log.read_text(encoding="utf-8-sig")
    log.write_bytes(text.encode("utf-8"))
    assert seal.verify(docs[1]).ok


def test_log_with_a_missing_column_gives_a_chinese_message(stamped):
    docs, _, log = stamped
    lines = [line.split(",") for line in log.read_text(encoding="utf-8-sig").splitlines()]
    log.write_text("\n".join(",".join(cells[:2] + cells[3:]) for cells in lines), encoding="utf-8-sig")  # no 操作人
    assert "缺少列「操作人」" in seal.verify(docs[0]).message
    with pytest.raises(FileFormatError, match="缺少列「操作人」"):
        seal.read_log(log)
    result = runner.invoke(app, ["verify", str(docs[0])])
    assert result.exit_code == 1 and "缺少列「操作人」" in result.output and "Traceback" not in result.output


def test_log_that_is_not_text_gives_a_chinese_message(stamped):
    docs, _, log = stamped
    log.write_bytes(b"\xff\xfe\x00\x81\x30" * 20)
    result = runner.invoke(app, ["verify", str(docs[0])])
    assert result.exit_code == 1 and "UTF-8" in result.output and "GBK" in result.output


def test_concurrent_stampings_in_one_folder_keep_the_chain(tmp_path):
    import threading

    seal_png = seal.specimen_seal("某办事处", tmp_path / "章.png")
    docs = []
    for i in range(4):
        doc = tmp_path / f"文{i}.docx"
        doc.write_bytes(f"文档{i}".encode())
        docs.append(doc)

    def stamp_many(doc):
        for _ in range(10):
            seal.record_stamping(doc, seal_png)

    threads = [threading.Thread(target=stamp_many, args=(doc,)) for doc in docs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records, _ = seal.read_log(tmp_path / seal.LOG_NAME)  # raises if two runs broke the chain
    assert len(records) == 40 and not (tmp_path / (seal.LOG_NAME + ".lock")).exists()
