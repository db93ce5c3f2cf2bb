"""Approval forms and the public list from a computed claims register."""

import datetime as dt

from docx import Document
from typer.testing import CliRunner

from mutualaid_xl.documents.claim_forms import write_documents
from mutualaid_xl.workbooks.claims import compute_register
from mutualaid_xl.cli import app
from openpyxl import load_workbook

from mutualaid_xl.workbooks.templates import CLAIMS
from test_claims import A, B, ROWS, _fill as _fill_claims


def _fill(path, rows):
    """The register of test_claims with its 单位 column filled (the approval form's 工作单位)."""
    _fill_claims(path, rows)
    wb = load_workbook(path)
    ws = wb[CLAIMS.sheet]
    column = CLAIMS.letter("unit")
    for r in range(CLAIMS.first_row, CLAIMS.first_row + len(rows)):
        ws[f"{column}{r}"] = "示范机械厂"
    wb.save(path)
    return path


def _text(path):
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


def test_approval_forms_and_masked_public_list(tmp_path):
    result = compute_register(_fill(tmp_path / "登记表.xlsx", ROWS[:4]))
    made = write_documents(result, tmp_path / "docs", issuer="示范职工互助保障办事处", date=dt.date(2021, 10, 8))
    forms = sorted((tmp_path / "docs" / "审批表").glob("*.docx"))
    assert len(forms) == 4 and len(made) == 5
    first = _text(forms[0])  # 张三's first stay: the worked example
    assert "11,240.00" in first and "壹万壹仟贰佰肆拾元整" in first
    assert "10000—100000元" in first and "70%" in first and A in first  # internal form: full ID
    third = _text(forms[3])  # 张三's third stay: cap room 22000
    assert "22,000.00" in third and "剩余 22,000.00" in third
    public = _text(tmp_path / "docs" / "公示名单.docx")
    assert "张*" in public and "李*" in public and "张三" not in public
    assert A not in public and B not in public and A[:4] + "**********" + A[-4:] in public
    assert "217,000.00" in public


def test_cli_claims_with_documents(tmp_path):
    register = _fill(tmp_path / "登记表.xlsx", ROWS[:2])
    result = CliRunner().invoke(app, ["claims", str(register), "--documents", str(tmp_path / "docs"),
                                      "--issuer", "示范办事处"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "docs" / "公示名单.docx").exists()
    assert len(list((tmp_path / "docs" / "审批表").glob("*.docx"))) == 2
