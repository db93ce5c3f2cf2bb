"""LibreOffice runner: finding soffice, PDF export, formula recalculation, backups."""

from __future__ import annotations

from decimal import Decimal

import openpyxl
import pytest
from docx import Document

from mutualaid_xl.documents import office
from mutualaid_xl.errors import FileFormatError, InputError, MutualAidError, ToolMissingError


def test_missing_soffice_names_apt_packages(monkeypatch, tmp_path):
    monkeypatch.delenv("MUTUALAID_SOFFICE", raising=False)
    monkeypatch.setattr(office.shutil, "which", lambda name: None)
    monkeypatch.setattr(office, "_CANDIDATES", ())
    with pytest.raises(ToolMissingError) as info:
        office.find_soffice()
    assert "libreoffice-writer-nogui" in str(info.value)
    assert "libreoffice-calc-nogui" in str(info.value)


def test_configured_soffice_must_exist(monkeypatch, tmp_path):
    monkeypatch.setenv("MUTUALAID_SOFFICE", str(tmp_path / "nope" / "soffice"))
    with pytest.raises(ToolMissingError, match="MUTUALAID_SOFFICE"):
        office.find_soffice()


def test_missing_input_is_named(tmp_path):
    with pytest.raises(InputError) as info:
        office.to_pdf([tmp_path / "缺失.docx"])
    assert "缺失.docx" in str(info.value)


def test_batches_never_share_a_stem(tmp_path):
    a, b, c = tmp_path / "x" / "通知.docx", tmp_path / "y" / "通知.docx", tmp_path / "表.docx"
    batches = office._batches([a, b, c])
    assert batches == [[a, c], [b]]


def test_install_file_keeps_backup(tmp_path):
    old = tmp_path / "out.pdf"
    old.write_bytes(b"old")
    new = tmp_path / "new.bin"
    new.write_bytes(b"new")
    office.install_file(new, old)
    assert old.read_bytes() == b"new"
    backups = list(tmp_path.glob("out.bak-*.pdf"))
    assert len(backups) == 1 and backups[0].read_bytes() == b"old"


@pytest.mark.libreoffice
def test_recalculate_xlsx_fills_cached_values(tmp_path):
    src = tmp_path / "汇总.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "补助"
    ws["A1"], ws["A2"], ws["A3"] = 1234.5, 765.5, "=SUM(A1:A2)"
    ws["B1"] = '=ROUND(A1*0.35,2)'
    wb.save(src)
    before = src.read_bytes()
    assert openpyxl.load_workbook(src, data_only=True)["补助"]["A3"].value is None

    dst = office.recalculate_xlsx(src, tmp_path / "out" / "汇总-已重算.xlsx")

    assert src.read_bytes() == before  # input untouched
    values = openpyxl.load_workbook(dst, data_only=True)["补助"]
    assert Decimal(str(values["A3"].value)) == Decimal("2000")
    assert Decimal(str(values["B1"].value)) == Decimal("432.08")
    # formulas survive
    assert openpyxl.load_workbook(dst)["补助"]["A3"].value == "=SUM(A1:A2)"


@pytest.mark.libreoffice
def test_recalculate_in_place_keeps_backup(tmp_path):
    src = tmp_path / "册.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"], wb.active["A2"] = 2, "=A1*3"
    wb.save(src)
    office.recalculate_xlsx(src, src)
    assert openpyxl.load_workbook(src, data_only=True).active["A2"].value == 6
    assert len(list(tmp_path.glob("册.bak-*.xlsx"))) == 1


@pytest.mark.libreoffice
def test_many_docx_to_pdf_in_one_start(tmp_path):
    import pdfplumber

    sources = []
    for i, sub in enumerate(["a", "b", "a"]):
        d = tmp_path / sub
        d.mkdir(exist_ok=True)
        doc = Document()
        doc.add_paragraph(f"第{i}号文件 R&D <测试>")
        path = d / f"文件{i}.docx"
        doc.save(path)
        sources.append(path)
    outdir = tmp_path / "pdf"
    pdfs = office.to_pdf(sources, outdir)
    assert [p.name for p in pdfs] == ["文件0.pdf", "文件1.pdf", "文件2.pdf"]
    for i, pdf in enumerate(pdfs):
        with pdfplumber.open(pdf) as opened:
            assert f"第{i}号文件 R&D <测试>" in opened.pages[0].extract_text()


@pytest.mark.libreoffice
def test_broken_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "坏.docx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(FileFormatError) as info:
        office.to_pdf([bad], tmp_path / "pdf")
    assert "坏.docx" in str(info.value)


@pytest.mark.libreoffice
def test_timeout_kills_libreoffice(tmp_path):
    doc = Document()
    doc.add_paragraph("超时")
    src = tmp_path / "慢.docx"
    doc.save(src)
    with pytest.raises(MutualAidError, match="秒内未完成"):
        office.to_pdf([src], tmp_path / "pdf", timeout=0.3)
    assert not (tmp_path / "pdf" / "慢.pdf").exists()


def test_fontconfig_stand_ins_for_official_fonts(tmp_path, monkeypatch):
    monkeypatch.setattr(office.sys, "platform", "linux")
    system = tmp_path / "fonts.conf.system"
    system.write_text("<fontconfig/>", encoding="utf-8")
    monkeypatch.setattr(office, "_SYSTEM_FONTCONFIG", system)
    env = office._fontconfig_env(tmp_path)
    conf = (tmp_path / "fonts.conf").read_text(encoding="utf-8")
    assert env["FONTCONFIG_FILE"] == str(tmp_path / "fonts.conf")
    assert f"<include ignore_missing=\"yes\">{system}</include>" in conf
    assert "<string>方正小标宋简体</string>" in conf and "<const>bold</const>" in conf
    assert "<string>AR PL UKai CN</string><string>Noto Serif CJK SC</string>" in conf  # first installed wins
    monkeypatch.setattr(office.sys, "platform", "win32")
    assert office._fontconfig_env(tmp_path) is None


def test_batches_keep_command_lines_short(tmp_path):
    files = [tmp_path / f"{'长' * 40}{i:04d}.docx" for i in range(1000)]
    batches = office._batches(files)
    assert sum(len(b) for b in batches) == 1000 and [f for b in batches for f in b] == files
    assert 1 < len(batches) < 30  # still many files per LibreOffice start
    assert all(sum(len(str(f.resolve())) + 3 for f in b) <= office._MAX_COMMAND_CHARS for b in batches)
