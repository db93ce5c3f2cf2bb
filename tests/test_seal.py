"""Specimen seals, the floating seal picture, the stamping log and verify."""

from __future__ import annotations

import csv
import hashlib

import pytest
from docx import Document
from PIL import Image

from mutualaid_xl.documents import render as documents

from mutualaid_xl.documents import seal
from mutualaid_xl.errors import FileFormatError, InputError

WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"


def red(pixel) -> bool:
    r, g, b, a = pixel
    return a > 100 and r > 180 and g < 80 and b < 80


def test_specimen_seal_is_round_red_transparent_and_marked(tmp_path):
    path = seal.specimen_seal("某某市总工会", tmp_path / "样章.png")
    image = Image.open(path)
    assert image.mode == "RGBA" and image.size == (1000, 1000)
    assert image.getpixel((5, 5))[3] == 0 and image.getpixel((995, 995))[3] == 0  # corners transparent
    assert red(image.getpixel((500, 18)))  # the outer ring at the top
    assert red(image.getpixel((18, 500)))  # and at the left
    # 样章 across the centre: a band full of red ink, where a real seal would have a star
    band = [image.getpixel((x, y)) for x in range(300, 700, 4) for y in range(480, 620, 4)]
    assert sum(map(red, band)) > 300
    assert image.info["dpi"][0] == pytest.approx(605, abs=1)  # 1000 px = 42 mm


def test_specimen_seal_rejects_empty_or_huge_names(tmp_path):
    with pytest.raises(InputError):
        seal.specimen_seal(" ", tmp_path / "a.png")
    with pytest.raises(InputError, match="过长"):
        seal.specimen_seal("某" * 30, tmp_path / "a.png")


def test_different_unions_get_different_specimens(tmp_path):
    a = seal.specimen_seal("甲工会", tmp_path / "a.png")
    b = seal.specimen_seal("乙工会", tmp_path / "b.png")
    assert seal.sha256_file(a) != seal.sha256_file(b)


def signed_document(tmp_path, seal_png):
    data = {"title": "审批表", "member": "甲", "id_number": "110101199001011234", "unit": "厂", "stay": "6月", "days": 1, "self_pay": 1,
            "allowance": 0, "amount": 1, "issuer": "某办事处", "date": "2021-07-01"}
    return documents.render("approval_form", data, tmp_path / "审批.docx", seal_png=seal_png)[0]


def test_stamping_log_records_file_time_seal_hash_and_document_hash(tmp_path):
    seal_png = seal.specimen_seal("某办事处", tmp_path / "章.png")
    out = signed_document(tmp_path, seal_png)
    with open(tmp_path / "盖章记录.csv", encoding="utf-8-sig", newline="") as handle:
        (record,) = list(csv.DictReader(handle))
    assert record["文件"] == "审批.docx"
    assert record["印章文件"] == "章.png"
    assert record["印章SHA256"] == hashlib.sha256(seal_png.read_bytes()).hexdigest()
    assert record["文档SHA256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert record["盖章时间"][:4].isdigit()
    anchors = Document(out)._element.findall(f".//{WP}anchor")
    assert len(anchors) == 1


def test_verify_unchanged_changed_and_unknown(tmp_path):
    seal_png = seal.specimen_seal("某办事处", tmp_path / "章.png")
    out = signed_document(tmp_path, seal_png)
    assert seal.verify(out).ok
    data = bytearray(out.read_bytes())
    data[-100] ^= 1
    out.write_bytes(bytes(data))
    result = seal.verify(out)
    assert not result.ok and "已改动" in result.message
    other = tmp_path / "其他.docx"
    other.write_bytes(b"x")
    assert not seal.verify(other).ok
    lonely = tmp_path / "sub" / "x.docx"
    lonely.parent.mkdir()
    lonely.write_bytes(b"x")
    assert "未找到盖章记录" in seal.verify(lonely).message


def test_restamping_verifies_against_the_latest_record(tmp_path):
    seal_png = seal.specimen_seal("某办事处", tmp_path / "章.png")
    signed_document(tmp_path, seal_png)
    out = signed_document(tmp_path, seal_png)  # re-render: the old file is kept as a backup
    assert seal.verify(out).ok
    assert len(list(tmp_path.glob("审批.bak-*.docx"))) == 1


def test_template_without_signature_paragraph_cannot_be_stamped(tmp_path):
    doc = Document()
    doc.add_paragraph("{{ title }}")
    plain = tmp_path / "plain.docx"
    doc.save(plain)
    seal_png = seal.specimen_seal("某办事处", tmp_path / "章.png")
    with pytest.raises(FileFormatError, match="发文机关署名"):
        documents.render(plain, {"title": "x"}, tmp_path / "o.docx", seal_png=seal_png)
    assert not (tmp_path / "o.docx").exists() and not (tmp_path / "盖章记录.csv").exists()


def test_seal_that_is_not_an_image(tmp_path):
    fake = tmp_path / "章.png"
    fake.write_text("not a png")
    with pytest.raises(FileFormatError, match="PNG"):
        signed_document(tmp_path, fake)


def test_stamp_an_existing_document_without_touching_it(tmp_path):
    data = {"issuer": "某工会", "doc_number": "某发〔2021〕2号", "title": "通知", "addressees": "各单位",
            "body": ["正文。"], "date": "2021-03-01"}
    plain = documents.render("notice", data, tmp_path / "通知.docx")[0]
    before = plain.read_bytes()
    seal_png = seal.specimen_seal("某工会", tmp_path / "章.png")
    (stamped,) = documents.stamp(plain, seal_png, pdf=False)
    assert stamped.name == "通知-盖章.docx" and plain.read_bytes() == before
    signature = next(p for p in Document(stamped).paragraphs if p.style.name == seal.SIGNATURE_STYLE)
    assert len(signature._p.findall(f".//{WP}anchor")) == 1
    assert seal.verify(stamped).ok
    with pytest.raises(FileFormatError, match="docx"):
        documents.stamp(seal_png, seal_png, pdf=False)


def test_seal_offset_counts_from_below_the_space_before(tmp_path):
    """Forms give the signature paragraph space before; the seal still centres on the signer line."""
    seal_png = seal.specimen_seal("某办事处", tmp_path / "章.png")
    doc = Document(signed_document(tmp_path, seal_png))
    signature = seal.signature_paragraph(doc)
    before = signature.style.paragraph_format.space_before
    assert before > 0
    anchor = signature._p.find(f".//{WP}anchor")
    y = int(anchor.find(f"{WP}positionV/{WP}posOffset").text)
    cy = int(anchor.find(f"{WP}extent").get("cy"))
    assert y + cy // 2 == pytest.approx(before + 4 * 12700, abs=2)
