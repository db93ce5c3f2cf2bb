"""Privacy by construction and output files that never surprise (issue 15): IDs anywhere in the data
never reach the screen or a report in full, public templates mask by what they declare, the template
sandbox's limits, odd output names, locked targets."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from typer.testing import CliRunner

from mutualaid_xl.cli import app
from mutualaid_xl.documents import render as documents
from mutualaid_xl.errors import FileFormatError
from mutualaid_xl.rules.idcard import check_char

runner = CliRunner()
FULL_ID = re.compile(r"\d{17}[\dX]|\d{15}")


def fake_id(birth: str, seq: int) -> str:
    first17 = f"110101{birth}{seq:03d}"
    return first17 + check_char(first17)


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def workbook_texts(path: Path) -> str:
    wb = openpyxl.load_workbook(path, read_only=True)
    return "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row
                     if v is not None)


def docx_text(path: Path) -> str:
    doc = Document(str(path))
    return "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])


def _ids_everywhere(path: Path, rows: int = 8) -> list[str]:
    """A roster whose data sits in the wrong columns: an ID in every column, as text, number and 15 digits."""
    wb = openpyxl.Workbook()
    ws = wb.active
    headers = ["序号", "姓名", "身份证号", "人员类别", "续互/新参互", "交费金额", "备注", "单位名称"]
    ws.append(headers)
    placed = []
    for r in range(rows):
        row = []
        for c in range(len(headers)):
            value = fake_id("19800101", r * 10 + c)
            placed.append(value)
            row.append(int(value[:15]) if c == 0 else value[:6] + value[8:17] if c == 6 else value)
            if c == 6:
                placed[-1] = row[-1]
        ws.append(row)
    wb.save(path)
    return placed


def test_ids_in_every_roster_column_never_appear_in_full(tmp_path):
    roster = tmp_path / "名册" / "甲厂.xlsx"
    roster.parent.mkdir()
    placed = _ids_everywhere(roster)
    result = invoke("validate", roster.parent)
    report = roster.with_name("甲厂.校验报告.xlsx")
    assert result.exit_code == 1 and report.is_file()
    fill = invoke("fill", roster.parent, "--into", tmp_path / "输出")
    texts = [result.output, fill.output, workbook_texts(report)]
    texts += [workbook_texts(p) for p in (tmp_path / "输出").rglob("*.xlsx")]
    for text in texts:
        assert not FULL_ID.search(text), FULL_ID.search(text).group()
        assert not any(value in text for value in placed)
    assert "1101" in workbook_texts(report)   # masked, not dropped


def test_ids_in_every_register_column_never_appear_in_full_on_screen(tmp_path):
    register = tmp_path / "登记表.xlsx"
    placed = _ids_everywhere(register)
    result = invoke("claims", register, "-o", tmp_path / "结果.xlsx")
    against = tmp_path / "系统.xlsx"
    shutil.copy(register, against)
    reconcile = invoke("reconcile", register, "--against", against, "-o", tmp_path / "对账.xlsx")
    texts = [result.output, reconcile.output]
    if (tmp_path / "对账.xlsx").exists():
        texts.append(workbook_texts(tmp_path / "对账.xlsx"))
    for text in texts:
        assert not FULL_ID.search(text) and not any(value in text for value in placed)


def test_a_renamed_public_template_keeps_masking(tmp_path):
    renamed = tmp_path / "公示名单2025.docx"
    shutil.copy(documents.template_path("public_list"), renamed)
    secret = fake_id("19800101", 12)
    data = {"标题": "补助金发放公示", "公示期": "2025年7月1日至7月7日", "公示单位": "某某办事处", "日期": "2025-07-01",
            "说明": f"如对 {secret} 有异议请反映",
            "名单": [{"姓名": "王小明", "身份证号": secret, "工作单位": "甲厂", "补助金额": "100", "诊断": "肺炎"}]}
    text = docx_text(documents.render(renamed, data, tmp_path / "公示.docx")[0])
    assert "王*" in text and "1101**********" in text and "100.00" in text   # defaults and labels kept too
    for leak in ("王小明", secret, "肺炎"):
        assert leak not in text
    approval = tmp_path / "审批表副本.docx"     # internal: renamed, still full data and its defaults
    shutil.copy(documents.template_path("approval_form"), approval)
    assert documents.Renderer(approval).key == "approval_form" and not documents.Renderer(approval).public


@pytest.mark.parametrize("expression, reason", [
    ("{% for i in range(10**9) %}x{% endfor %}", "range"),
    ("{{ 'a' * 10**9 }}", "重复"),
    ("{{ ('a' * 900000) + ('b' * 900000) }}", "拼接"),
    ("{{ 2 ** 1000000000 }}", "乘方"),
    ("{% for i in range(100000) %}{{ 'a' * 1000 }}{% endfor %}", "输出超过"),
    ("{% set r = [1] * 100000 %}{% for i in r %}{% for j in r %}{% endfor %}{% endfor %}", "秒"),
])
def test_template_sandbox_limits_give_a_chinese_error_naming_the_template(tmp_path, monkeypatch, expression, reason):
    monkeypatch.setattr(documents, "MAX_SECONDS", 1.0 if reason == "秒" else 60.0)
    doc = Document()
    doc.add_paragraph(expression)
    evil = tmp_path / "我的模板.docx"
    doc.save(evil)
    with pytest.raises(FileFormatError, match=f"模板「我的模板.docx」超出沙箱限制：.*{reason}"):
        documents.render(evil, {}, tmp_path / "out.docx")
    assert not (tmp_path / "out.docx").exists()


def test_each_with_long_reserved_and_bidi_names(tmp_path):
    rows = tmp_path / "清单.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["文件名", "标题", "发文机关", "发文字号", "主送机关", "正文", "成文日期"])
    names = ["某" * 90 + "甲", "某" * 90 + "乙", "CON", "nul", "张三\u202egpj.exe", "李\u200b四"]
    for name in names:
        ws.append([name, "通知", "某某工会", "某工〔2025〕1号", "各单位", "正文。", "2025-07-01"])
    wb.save(rows)
    result = invoke("render", "notice", rows, tmp_path / "out", "--each")
    assert result.exit_code == 0, result.output
    made = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(made) == 6 and all(len(n.encode()) <= 160 and n.endswith(".docx") for n in made)
    assert {"CON_.docx", "nul_.docx", "张三gpj.exe.docx", "李四.docx"} <= set(made)


def test_folder_as_output_file_is_refused(tmp_path):
    register = tmp_path / "登记表.xlsx"
    _ids_everywhere(register, rows=2)
    folder = tmp_path / "结果"
    folder.mkdir()
    (folder / "别动.txt").write_text("x")
    data = tmp_path / "通知.json"
    data.write_text('{"title": "t", "issuer": "某工会", "body": "正文", "date": "2025-07-01", "doc_number": "某工发〔2025〕1号", '
                    '"addressees": "各单位"}', encoding="utf-8")
    docx_folder = tmp_path / "通知.docx"
    docx_folder.mkdir()
    result = invoke("render", "notice", data, docx_folder)
    assert result.exit_code == 2 and "文件夹" in result.output and docx_folder.is_dir()
    for command in (["claims", register, "-o", folder], ["validate", register, "-o", folder],
                    ["reconcile", register, "--against", register, "-o", folder]):
        result = invoke(*command)
        assert result.exit_code == 2 and "文件夹" in result.output, result.output
    result = invoke("claims", register, "-o", tmp_path / "结果2")   # no suffix: not written as a bare file
    assert result.exit_code == 2 and ".xlsx" in result.output and not (tmp_path / "结果2").exists()
    assert (folder / "别动.txt").read_text() == "x"


def test_read_only_target_is_named_with_a_hint_in_render_and_claims(tmp_path, monkeypatch):
    import os
    import subprocess

    data = tmp_path / "通知.json"
    data.write_text('{"title": "t", "issuer": "某工会", "body": "正文", "date": "2025-07-01", "doc_number": "某工发〔2025〕1号", '
                    '"addressees": "各单位"}', encoding="utf-8")
    target = tmp_path / "通知.docx"
    target.write_bytes(b"old")
    locked = subprocess.run(["chattr", "+i", str(target)], capture_output=True).returncode == 0 \
        and not os.access(target, os.W_OK)
    if not locked:   # what Windows does while Word holds the file
        real = os.replace

        def refuse(src, dst):
            if Path(dst).name == "通知.docx":
                raise PermissionError(13, "Permission denied", str(dst))
            return real(src, dst)
        monkeypatch.setattr(os, "replace", refuse)
    try:
        result = invoke("render", "notice", data, target)
    finally:
        if locked:
            subprocess.run(["chattr", "-i", str(target)], check=True)
    shown = result.output.replace("\n", "")
    assert result.exit_code == 2 and "通知.docx" in shown and "Word" in shown and "Traceback" not in shown
    assert target.read_bytes() == b"old"


def test_folder_runs_skip_and_list_the_tools_own_reports_and_outputs(tmp_path):
    from mutualaid_xl.workbooks import synthetic

    folder = tmp_path / "名册"
    folder.mkdir()
    for n in range(2):
        synthetic.write_roster(folder / f"单位{n}.xlsx", synthetic.roster(6, seed=n), unit=f"单位{n}")
    first = invoke("validate", folder)
    assert first.exit_code in (0, 1), first.output
    assert sorted(p.name for p in folder.iterdir()) == ["单位0.xlsx", "单位0.校验报告.xlsx", "单位1.xlsx",
                                                        "单位1.校验报告.xlsx"]
    (folder / "单位0.校验报告.xlsx").rename(folder / "旧报告.xlsx")   # renamed: still recognised by its mark
    assert invoke("claims", folder / "单位0.xlsx", "-o", folder / "结果.xlsx").exit_code in (0, 1, 2)
    second = invoke("validate", folder)
    shown = second.output.replace("\n", "")
    assert second.exit_code in (0, 1) and "已跳过本工具写出的文件" in shown and "旧报告.xlsx" in shown
    assert "校验 12 行（2 个文件" in shown
    export = tmp_path / "系统.xlsx"
    synthetic.write_roster(export, synthetic.roster(6, seed=0), unit="单位0")
    result = invoke("reconcile", folder, "--against", export, "-o", tmp_path / "对账.xlsx")
    shown = result.output.replace("\n", "")
    assert result.exit_code in (0, 1) and "已跳过本工具写出的" in shown and "旧报告.xlsx" in shown, result.output
