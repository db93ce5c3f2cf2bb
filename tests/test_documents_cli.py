"""The document commands: render, render --each, seal specimen, verify, pdf, doctemplates."""

from __future__ import annotations

import openpyxl
import pytest
from docx import Document
from typer.testing import CliRunner

from mutualaid_xl.cli import app
from mutualaid_xl.rules.idcard import check_char

runner = CliRunner()

NOTICE_TOML = """
"发文机关" = "某某工会"
"发文字号" = "某工发〔2021〕9号"
"标题" = "关于A&B<互助>的通知"
"主送机关" = "各基层工会"
"正文" = ["一、总体要求", "各单位按时报送。"]
"成文日期" = 2021-05-06
"""


def fake_id(seq: int) -> str:
    first17 = f"99010119800101{seq:03d}"
    return first17 + check_char(first17)


def test_render_with_seal_then_verify(tmp_path):
    data = tmp_path / "通知.toml"
    data.write_text(NOTICE_TOML, encoding="utf-8")
    seal_png = tmp_path / "样章.png"
    result = runner.invoke(app, ["seal", "specimen", "某某工会", str(seal_png)])
    assert result.exit_code == 0, result.output
    assert "样章" in result.output and seal_png.is_file()
    out = tmp_path / "out" / "通知.docx"
    result = runner.invoke(app, ["render", "notice", str(data), str(out), "--seal", str(seal_png)])
    assert result.exit_code == 0, result.output
    assert "关于A&B<互助>的通知" in [p.text for p in Document(out).paragraphs]
    result = runner.invoke(app, ["verify", str(out)])
    assert result.exit_code == 0 and "未改动" in result.output
    out.write_bytes(out.read_bytes() + b"\0")
    result = runner.invoke(app, ["verify", str(out)])
    assert result.exit_code == 1 and "已改动" in result.output


def test_missing_field_is_a_chinese_error_with_exit_code_2(tmp_path):
    data = tmp_path / "通知.toml"
    data.write_text(NOTICE_TOML.replace('"发文字号" = "某工发〔2021〕9号"\n', ""), encoding="utf-8")
    result = runner.invoke(app, ["render", "notice", str(data), str(tmp_path / "x.docx")])
    assert result.exit_code == 2
    assert "doc_number（发文字号）" in result.output
    assert "Traceback" not in result.output


def test_render_each_names_files_from_a_column(tmp_path):
    rows = tmp_path / "清单.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "工作单位", "住院时间", "住院天数", "统筹内自付", "住院补贴", "补助合计", "互助机构", "日期"])
    for i in range(1, 6):
        ws.append([f"职工{i}", fake_id(i), "甲厂", "6月", 2, 100 * i, 20, 40 * i + 20, "某办事处", "2021-07-01"])
    wb.save(rows)
    outdir = tmp_path / "审批表"
    result = runner.invoke(app, ["render", "approval_form", str(rows), str(outdir), "--each", "--name-column", "姓名"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in outdir.glob("*.docx")) == [f"职工{i}.docx" for i in range(1, 6)]
    assert "已生成 5 份文档" in result.output


def test_unknown_template_and_missing_tool_messages(tmp_path, monkeypatch):
    result = runner.invoke(app, ["render", "nope", str(tmp_path / "a.toml"), str(tmp_path / "a.docx")])
    assert result.exit_code == 2 and "找不到模板" in result.output
    from mutualaid_xl.documents import office

    monkeypatch.setenv("MUTUALAID_SOFFICE", str(tmp_path / "no-soffice"))
    doc = tmp_path / "a.docx"
    Document().save(doc)
    result = runner.invoke(app, ["pdf", str(doc)])
    assert result.exit_code == 2 and "libreoffice-writer-nogui" in result.output
    assert office.INSTALL_HINT[:10] in result.output


def test_doctemplates_fields_lists_chinese_labels():
    result = runner.invoke(app, ["doctemplates", "fields", "notice"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert any("doc_number" in line and "发文字号" in line for line in lines)
    assert any("issuer_marking" in line and "issuer" in line.split("issuer_marking")[1] for line in lines)


def test_doctemplates_build_to_a_folder(tmp_path):
    result = runner.invoke(app, ["doctemplates", "build", "--outdir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.glob("*.docx")) == sorted(
        ["notice.docx", "application_form.docx", "approval_form.docx", "summary_table.docx", "public_list.docx",
         "fund_statement.docx"])


@pytest.mark.libreoffice
def test_pdf_command_converts_several_files(tmp_path):
    files = []
    for name in ("甲", "乙"):
        doc = Document()
        doc.add_paragraph(f"文件{name}")
        path = tmp_path / f"{name}.docx"
        doc.save(path)
        files.append(str(path))
    result = runner.invoke(app, ["pdf", *files, "--outdir", str(tmp_path / "pdf")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "pdf").glob("*.pdf")) == ["乙.pdf", "甲.pdf"]
