"""validate, fill, claims and reconcile on template files whose formula columns were not calculated.

Three copies of the same roster and register: recalculated by LibreOffice (clean), saved with
#NAME? in every formula column (as WPS or an Excel without the add-in left the old templates),
and saved by a program that does not calculate (no cached values at all). The commands must
give the same results and totals on all three, and say once per file that the formulas were
recomputed. All people are synthetic (area code 990101 does not exist).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from mutualaid_xl.documents import office
from mutualaid_xl.rules.idcard import check_char
from mutualaid_xl.workbooks import claims as claims_service
from mutualaid_xl.workbooks import fill, reconcile
from mutualaid_xl.workbooks import templates as wt
from mutualaid_xl.workbooks.roster import RosterChecker
from mutualaid_xl.workbooks.sheets import read_sheets

pytestmark = pytest.mark.libreoffice


def fake_id(birth: str, sequence: str) -> str:
    first17 = f"990101{birth}{sequence}"
    return first17 + check_char(first17)


A, B, C = fake_id("19800101", "001"), fake_id("19700202", "012"), fake_id("19650303", "023")
MEMBERS = [("甲", A, "在职", "续互"), ("乙", B, "退休", "新参互"), ("丙", C, "在职", "未参"),
           ("丁", fake_id("19900505", "034"), "在职", "新参互"), ("戊", fake_id("19550101", "045"), "退休", "续互")]
CLAIMS = [(A, dt.date(2021, 6, 1), dt.date(2021, 6, 11), 20000, 3), (B, dt.date(2021, 6, 1), dt.date(2021, 6, 2), 300, 1),
          (A, dt.date(2021, 7, 1), dt.date(2021, 7, 5), 5000, 3), (B, dt.date(2021, 8, 1), dt.date(2021, 8, 21), 300000, 1),
          (C, dt.date(2021, 9, 1), dt.date(2021, 9, 11), 100000, 2)]


def _formula_keys(layout: wt.Layout) -> list[str]:
    return [c.key for c in layout.columns if c.formula]


@pytest.fixture(scope="module")
def copies(tmp_path_factory) -> dict[str, tuple[Path, Path]]:
    base = tmp_path_factory.mktemp("recompute")
    raw = base / "raw"
    raw.mkdir()
    wb = wt.workbook(wt.ROSTER.file)
    ws = wb[wt.ROSTER.sheet]
    ws[wt.ROSTER_UNIT_CELL] = "某单位"
    for offset, (name, number, category, membership) in enumerate(MEMBERS):
        row = wt.ROSTER.first_row + offset
        for key, value in dict(name=name, id_number=number, category=category, membership=membership).items():
            ws[f"{wt.ROSTER.letter(key)}{row}"] = value
    wb.save(raw / "roster.xlsx")
    wb = wt.workbook(wt.CLAIMS.file)
    ws = wb[wt.CLAIMS.sheet]
    for offset, (number, admitted, discharged, self_pay, years) in enumerate(CLAIMS):
        row = wt.CLAIMS.first_row + offset
        for key, value in dict(name="某", id_number=number, admitted=admitted, discharged=discharged,
                               self_pay=self_pay, years=years).items():
            ws[f"{wt.CLAIMS.letter(key)}{row}"] = value
    wb.save(raw / "claims.xlsx")
    clean = base / "clean"
    office.convert(sorted(raw.iterdir()), "xlsx:Calc MS Excel 2007 XML", clean, recalc=True)
    broken = base / "name_error"
    broken.mkdir()
    for file, layout in (("roster.xlsx", wt.ROSTER), ("claims.xlsx", wt.CLAIMS)):
        wb = openpyxl.load_workbook(raw / file)
        ws = wb[layout.sheet]
        for key in _formula_keys(layout):
            letter = layout.letter(key)
            for row in range(layout.first_row, layout.last_row + 1):
                ws[f"{letter}{row}"] = "#NAME?"          # an error value where every formula was
        wb.save(broken / file)
    return {name: (folder / "roster.xlsx", folder / "claims.xlsx")
            for name, folder in (("clean", clean), ("name_error", broken), ("uncalculated", raw))}


def _validate(path: Path):
    checker = RosterChecker("nm-2021", dt.date(2021, 5, 1))
    checker.check_file(read_sheets(path), file=str(path))
    return checker.finish()


def test_formula_cells_really_differ_between_the_copies(copies):
    values = {name: openpyxl.load_workbook(paths[0], data_only=True)[wt.ROSTER.sheet]["I5"].value
              for name, paths in copies.items()}
    assert values == {"clean": 100, "name_error": "#NAME?", "uncalculated": None}


def test_validate_and_fill_give_the_same_results_and_totals(copies, tmp_path):
    results = {name: _validate(paths[0]) for name, paths in copies.items()}
    notes = {name: [p for p in r.problems if "重新计算" in p.reason] for name, r in results.items()}
    assert [len(notes[n]) for n in ("clean", "name_error", "uncalculated")] == [0, 1, 1]
    assert "roster.xlsx" in notes["name_error"][0].reason and "WPS" in notes["name_error"][0].reason
    shown = {name: sorted((p.severity, p.reason, p.row) for p in r.problems if "重新计算" not in p.reason)
             for name, r in results.items()}
    assert shown["name_error"] == shown["clean"] == shown["uncalculated"]
    assert not any("错误值" in reason for _s, reason, _r in shown["name_error"])
    amounts = {name: [(u.unit, u.amount, u.active, u.retired) for u in r.units.values()] for name, r in results.items()}
    assert amounts["clean"] == [("某单位", Decimal(1000), 2, 2)]        # 100 + 400 + 100 + 400; 丙 未参
    assert amounts["name_error"] == amounts["clean"] == amounts["uncalculated"]
    for name, result in results.items():
        out = tmp_path / name
        fill.fill_forms(result, out, forms=True)
        ledger = openpyxl.load_workbook(out / wt.LEDGER.file)[wt.LEDGER.sheet]
        assert ledger[f"{wt.LEDGER.letter('amount')}{wt.LEDGER.first_row}"].value == 1000, name


def test_claims_give_the_same_amounts_and_say_so_once(copies):
    results = {name: claims_service.compute_register(paths[1]) for name, paths in copies.items()}
    totals = {name: r.total_fen for name, r in results.items()}
    assert totals["clean"] == totals["name_error"] == totals["uncalculated"] > 0
    amounts = {name: r.amounts.amount_fen.tolist() for name, r in results.items()}
    assert amounts["name_error"] == amounts["clean"] == amounts["uncalculated"]
    assert [len(results[n].notes) for n in ("clean", "name_error", "uncalculated")] == [0, 1, 1]
    assert "住院天数" in results["name_error"].notes[0] and "补助金额" in results["name_error"].notes[0]
    assert all(not r.problems for r in results.values()), {n: r.problems for n, r in results.items()}


def test_reconcile_reads_the_fees_the_formulas_give(copies, tmp_path):
    export = tmp_path / "export.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["单位名称", "姓名", "身份证号", "交费金额"])
    for name, number, category, membership in MEMBERS:
        if membership != "未参":
            ws.append(["某单位", name, number, 400 if category == "退休" else 100])
    wb.save(export)
    results = {name: reconcile.reconcile([paths[0]], export) for name, paths in copies.items()}
    assert all(not r.differences for r in results.values()), {n: r.differences for n, r in results.items()}
    assert [len(results[n].recomputed) for n in ("clean", "name_error", "uncalculated")] == [0, 1, 1]


def test_the_commands_say_it_once_per_file(copies):
    from typer.testing import CliRunner

    from mutualaid_xl.cli import app

    roster, register = copies["name_error"]
    result = CliRunner().invoke(app, ["validate", str(roster), "--policy", "nm-2021"])
    assert result.output.count("重新计算") == 1 and "错误值" not in result.output, result.output
    result = CliRunner().invoke(app, ["claims", str(register)])
    assert result.exit_code == 0, result.output
    assert result.output.count("重新计算") == 1 and "补助金额合计" in result.output
