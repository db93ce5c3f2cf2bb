"""Reconciliation of unit rosters with a system export, on a synthetic pair with planted differences."""

import csv
import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from mutualaid_xl.workbooks import synthetic
from mutualaid_xl.cli import app
from mutualaid_xl.workbooks.reconcile import (AMOUNT, DUPLICATE_SAME, DUPLICATE_UNITS, EXTRA, MISSING, UNIT, reconcile)
from mutualaid_xl.workbooks.templates import NOT_JOINING

EXPORT_HEADER = ["序号", "单位名称", "姓名", "身份证号", "交费金额"]


def _rosters(tmp_path: Path):
    """Three unit rosters (two with the unit in the cell above the header, one with a 单位名称 column)."""
    data = synthetic.roster(90, seed=5, units=3)
    unit_col = data.header.index(synthetic.UNIT_HEADER)
    files, members = [], []
    for n, unit in enumerate(data.units):
        rows = [r for r in data.rows if r[unit_col] == unit]
        keep_column = n == 2
        header = data.header if keep_column else data.header[:unit_col]
        part = synthetic.SyntheticRoster(header, [r if keep_column else r[:unit_col] for r in rows], [unit])
        files.append(synthetic.write_roster(tmp_path / f"unit{n + 1}.xlsx", part, unit=unit))
        members += [dict(unit=unit, name=r[1], id=r[2], fee=Decimal(r[6])) for r in rows if r[5] != NOT_JOINING]
    assert len(members) < 90  # some listed members do not join (未参) and must not count
    return files, members


def _write_export(path: Path, members) -> Path:
    rows = [[i, m["unit"], m["name"], m["id"], str(m["fee"])] for i, m in enumerate(members, 1)]
    if path.suffix == ".csv":
        with open(path, "w", newline="", encoding="utf-8-sig") as handle:
            csv.writer(handle).writerows([EXPORT_HEADER, *rows])
    else:
        wb = Workbook()
        ws = wb.active
        ws.title = "导出数据"
        ws.append(["参互人员明细（系统导出）"])
        ws.append(EXPORT_HEADER)
        for row in rows:
            ws.append(row)
        wb.save(path)
    return path


def _digests(paths):
    return {p: hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths}


@pytest.fixture(params=[".csv", ".xlsx"])
def planted(request, tmp_path):
    files, members = _rosters(tmp_path)
    system = [dict(m) for m in members]
    missing = [system.pop(3), system.pop(40)]                              # 2 not in the system
    extra = dict(unit=members[0]["unit"], name="新人", id=synthetic.fake_id(9_999_001, dt.date(1980, 1, 2)),
                 fee=Decimal("100"))
    system.append(extra)                                                    # 1 only in the system
    system[5]["fee"] = Decimal("99.99")                                     # 1 amount off by one fen
    moved = system[10]
    other = next(u for u in {m["unit"] for m in members} if u != moved["unit"])
    moved["unit"] = other                                                   # 1 under another unit
    # the same person also listed in unit 2's roster (a duplicate across units)
    twin = next(m for m in members if m["unit"] != members[-1]["unit"])
    wb = load_workbook(files[2])
    ws = wb.active
    ws.append([999, twin["name"], twin["id"], "男", "在职", "续互", 100, members[-1]["unit"]])
    wb.save(files[2])
    export = _write_export(tmp_path / f"export{request.param}", system)
    return dict(files=files, members=members, system=system, missing=missing, extra=extra,
                off=system[5], moved=moved, twin=twin, export=export)


def test_each_kind_of_difference_is_found(planted):
    result = reconcile(planted["files"], planted["export"])
    assert result.count(MISSING) == 2
    assert result.fen(MISSING) == sum(int(m["fee"] * 100) for m in planted["missing"])
    assert {d.key for d in result.differences if d.kind == MISSING} == {m["id"] for m in planted["missing"]}
    assert result.count(EXTRA) == 1 and result.fen(EXTRA) == -10000
    assert [d.key for d in result.differences if d.kind == EXTRA] == [planted["extra"]["id"]]
    assert result.count(AMOUNT) == 1
    amount = next(d for d in result.differences if d.kind == AMOUNT)
    original = next(m for m in planted["members"] if m["id"] == planted["off"]["id"])
    assert amount.key == original["id"] and amount.fen == int((original["fee"] - Decimal("99.99")) * 100)
    assert result.count(UNIT) == 1
    assert [d.key for d in result.differences if d.kind == UNIT] == [planted["moved"]["id"]]
    assert result.count(DUPLICATE_UNITS) == 1 and result.count(DUPLICATE_SAME) == 0
    duplicate = next(d for d in result.differences if d.kind == DUPLICATE_UNITS)
    assert duplicate.key == planted["twin"]["id"] and len(duplicate.roster) == 2
    assert not result.problems


def test_unit_totals_to_the_fen(planted):
    result = reconcile(planted["files"], planted["export"])
    roster_side = planted["members"] + [dict(planted["twin"], unit=planted["members"][-1]["unit"], fee=Decimal(100))]
    for unit, line in result.units.items():
        ours = [m for m in roster_side if m["unit"] == unit]
        theirs = [m for m in planted["system"] if m["unit"] == unit]
        assert (line.roster_members, line.system_members) == (len(ours), len(theirs)), unit
        assert line.roster_fen == sum(int(m["fee"] * 100) for m in ours), unit
        assert line.system_fen == sum(int(m["fee"] * 100) for m in theirs), unit
    assert sum(u.difference_fen for u in result.units.values()) == (
        sum(int(m["fee"] * 100) for m in roster_side) - sum(int(m["fee"] * 100) for m in planted["system"]))


def test_cli_report_masks_ids_and_keeps_inputs(planted, tmp_path):
    inputs = [*planted["files"], planted["export"]]
    before = _digests(inputs)
    out = tmp_path / "report.xlsx"
    run = CliRunner().invoke(app, ["reconcile", *map(str, planted["files"]), "--against", str(planted["export"]),
                                   "--out", str(out)])
    assert run.exit_code == 1, run.output
    shown = "".join(run.output.split())
    for kind, count in ((MISSING, 2), (EXTRA, 1), (DUPLICATE_UNITS, 1), (AMOUNT, 1), (UNIT, 1), (DUPLICATE_SAME, 0)):
        assert f"│{kind}│{count}│" in shown
    everyone = {m["id"] for m in planted["members"]} | {planted["extra"]["id"]}
    assert not any(i in run.output for i in everyone)
    wb = load_workbook(out)
    assert wb.sheetnames == ["单位对账", "差异明细", "读取问题", "说明"]
    cells = [str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert not any(i in c for c in cells for i in everyone)
    kinds = [r[1] for r in wb["差异明细"].iter_rows(min_row=2, values_only=True)]
    assert kinds.count(MISSING) == 2 and kinds.count(EXTRA) == 1
    assert _digests(inputs) == before


def test_matching_data_is_clean(tmp_path):
    files, members = _rosters(tmp_path)
    export = _write_export(tmp_path / "export.csv", members)
    result = reconcile(files, export)
    assert result.clean and not result.differences
    run = CliRunner().invoke(app, ["reconcile", *map(str, files), "--against", str(export),
                                   "--out", str(tmp_path / "r.xlsx")])
    assert run.exit_code == 0, run.output


def test_a_folder_of_rosters(tmp_path):
    folder = tmp_path / "rosters"
    folder.mkdir()
    files, members = _rosters(folder)
    (folder / "~$unit1.xlsx").write_bytes(b"lock")          # Excel's lock file is not a roster
    export = _write_export(tmp_path / "export.xlsx", members)
    result = reconcile([folder], export)
    assert result.roster_files == [str(f) for f in sorted(files)]
    assert result.clean


def test_export_without_unit_column(tmp_path):
    files, members = _rosters(tmp_path)
    path = tmp_path / "export.csv"
    path.write_text(f"姓名,身份证号,交费金额\n甲,{members[0]['id']},100\n", encoding="utf-8")
    run = CliRunner().invoke(app, ["reconcile", *map(str, files), "--against", str(path)])
    assert run.exit_code == 2
    assert "没有“单位名称”列" in "".join(run.output.split())
