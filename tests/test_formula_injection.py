"""No live formula from data in any output: every writer is fed cells such as =HYPERLINK(…),
=cmd|' /C calc'!A0, +1+1 and @SUM(1); every output is opened and checked.

Workbooks: no formula at all in the computed outputs (validation report, claims result,
reconcile report); in the filled templates only the templates' own formulas, none holding
data. Word documents: no field codes. The stamp log CSV: no field starts with = + - @ tab
or CR (OWASP's CSV-injection rule), and verify still finds the record.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import sys
import zipfile
from pathlib import Path

from openpyxl import Workbook
from typer.testing import CliRunner

from mutualaid_xl.cli import app
from mutualaid_xl.workbooks.sheets import FORMULA_START, set_text

sys.path.insert(0, str(Path(__file__).parent / "data"))
from make_bad import member, roster_book  # noqa: E402

PAYLOADS = ['=HYPERLINK("http://example.invalid","点我")', "=cmd|' /C calc'!A0", "+1+1", "@SUM(1)", "-2+3"]
MARKERS = ("HYPERLINK", "cmd|", "1+1", "SUM(1)", "2+3")
runner = CliRunner()


def _roster(path: Path) -> Path:
    rows = [member(1, PAYLOADS[0]), member(2, PAYLOADS[1], category=PAYLOADS[2]), member(3, PAYLOADS[3], fee=PAYLOADS[3]),
            member(4, "赵伟", membership=PAYLOADS[4])]
    roster_book(rows, unit=PAYLOADS[1], staff=4).save(path)
    return path


def _register(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "入院日期", "出院日期", "自付费用", "连续参互年数", "工作单位"])
    ids = [member(n, "")[2] for n in range(1, 5)]
    ws.append([PAYLOADS[0], ids[0], dt.date(2021, 6, 1), dt.date(2021, 6, 9), 20000, 2, PAYLOADS[1]])
    ws.append([PAYLOADS[1], PAYLOADS[2], dt.date(2021, 6, 1), dt.date(2021, 6, 9), 100, 1, PAYLOADS[0]])
    ws.append([PAYLOADS[3], ids[2], dt.date(2021, 6, 1), dt.date(2021, 6, 9), PAYLOADS[3], 1, PAYLOADS[2]])
    for row in ws.iter_rows():
        for cell in row:
            set_text(cell, cell.value)
    wb.save(path)
    return path


def _export(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(["单位名称", "身份证号", "姓名", "交费金额"])
    ws.append([PAYLOADS[0], member(1, "")[2], PAYLOADS[2], PAYLOADS[3]])
    ws.append([PAYLOADS[1], member(9, "")[2], PAYLOADS[1], 100])
    for row in ws.iter_rows():
        for cell in row:
            set_text(cell, cell.value)
    wb.save(path)
    return path


def _public_list_data(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "字段"
    for key, value in (("字段", "值"), ("标题", PAYLOADS[0]), ("公示期", "2021年7月1日至7月7日"),
                       ("公示单位", PAYLOADS[1]), ("日期", "2021-07-01")):
        set_text(ws.cell(ws.max_row + 1 if ws.max_row > 1 or ws["A1"].value else 1, 1), key)
        set_text(ws.cell(ws.max_row, 2), value)
    rows = wb.create_sheet("名单")
    rows.append(["姓名", "身份证号", "工作单位", "补助金额"])
    for payload in PAYLOADS:
        rows.append([payload, member(5, "")[2], payload, 100])
    for row in rows.iter_rows():
        for cell in row:
            set_text(cell, cell.value)
    wb.save(path)
    return path


def _formulas(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return [formula for name in archive.namelist() if name.startswith("xl/worksheets/")
                for formula in re.findall(r"<f(?:\s[^>]*)?>(.*?)</f>", archive.read(name).decode())]


def _texts(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "".join(archive.read(n).decode() for n in archive.namelist() if n.endswith(".xml"))


def test_no_writer_turns_data_into_a_formula(tmp_path):
    roster, register, export = _roster(tmp_path / "名册.xlsx"), _register(tmp_path / "登记表.xlsx"), \
        _export(tmp_path / "系统导出.xlsx")
    out = tmp_path / "out"
    seal = out / "seal.png"
    runs = [
        ["validate", str(roster), "--report", str(out / "validate.xlsx"), "--on", "2021-05-01"],
        ["fill", str(roster), "--into", str(out / "filled"), "--office", PAYLOADS[1], "--on", "2021-05-01"],
        ["claims", str(register), "--out", str(out / "claims.xlsx"), "--documents", str(out / "claim_docs")],
        ["reconcile", str(roster), "--against", str(export), "--out", str(out / "reconcile.xlsx")],
        ["seal", "specimen", "示例工会", str(seal)],
        ["render", "public_list", str(_public_list_data(tmp_path / "公示.xlsx")), str(out / "=cmd公示.docx"),
         "--seal", str(seal)],
    ]
    for args in runs:
        result = runner.invoke(app, args)
        assert result.exit_code in (0, 1), (args[0], result.output)

    books = sorted(out.rglob("*.xlsx"))
    filled = [p for p in books if "filled" in p.parts]
    assert {p.name for p in books} >= {"validate.xlsx", "claims.xlsx", "reconcile.xlsx"} and len(filled) >= 3
    for book in books:
        formulas = _formulas(book)
        if book not in filled:
            assert formulas == [], (book.name, formulas)
        for formula in formulas:
            assert not any(marker in formula for marker in MARKERS), (book.name, formula)
    # the data did reach the outputs, as text (names are masked in the validation report)
    assert "cmd|" in _texts(out / "validate.xlsx")
    assert "HYPERLINK" in _texts(out / "claims.xlsx") and "cmd|" in _texts(out / "claims.xlsx")
    assert any("cmd|" in _texts(p) for p in filled)      # the unit name and the office in the filled forms

    documents = sorted(out.rglob("*.docx"))
    assert len(documents) >= 3
    for document in documents:
        with zipfile.ZipFile(document) as archive:
            xml = archive.read("word/document.xml").decode()
        assert "fldSimple" not in xml and "instrText" not in xml, document.name

    log = out / "盖章记录.csv"
    with open(log, encoding="utf-8-sig", newline="") as handle:
        records = list(csv.DictReader(handle))
    assert records and all(not v.startswith(FORMULA_START) for r in records for v in r.values())
    assert records[-1]["文件"] == "'=cmd公示.docx"
    verified = runner.invoke(app, ["verify", str(out / "=cmd公示.docx")])
    assert verified.exit_code == 0, verified.output
