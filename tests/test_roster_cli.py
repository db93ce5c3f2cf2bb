"""`mutualaid validate` and `mutualaid fill` end to end on synthetic rosters."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from mutualaid_xl.workbooks import synthetic
from mutualaid_xl.workbooks import templates as wt
from mutualaid_xl.cli import app

runner = CliRunner()
BAD = Path(__file__).parent / "data" / "bad"


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def unit_roster(path: Path, count: int, seed: int, unit: str) -> synthetic.SyntheticRoster:
    data = synthetic.roster(count, seed=seed, policy="nm-2021")
    # distinct people per file: shift the fake sequence numbers by the seed
    for row in data.rows:
        born = dt.date(int(row[2][6:10]), int(row[2][10:12]), int(row[2][12:14]))
        row[2] = synthetic.fake_id(seed * 10_000 + row[0], born)
        row[3] = "男" if int(row[2][16]) % 2 else "女"
    synthetic.write_roster(path, data, unit=unit)
    return data


def test_validate_writes_report_next_to_input_and_keeps_old_one(tmp_path):
    path = tmp_path / "名册.xlsx"
    unit_roster(path, 120, 1, "甲厂工会")
    before = digest(path)
    result = invoke("validate", path)
    assert result.exit_code == 0, result.output
    report = tmp_path / "名册.校验报告.xlsx"
    assert report.exists() and digest(path) == before
    wb = load_workbook(report)
    assert wb.sheetnames == ["校验结果", "单位汇总", "说明"]
    unit = [c.value for c in wb["单位汇总"][2]]
    assert unit[1] == "甲厂工会"
    first = report.read_bytes()
    result = invoke("validate", path)
    backups = list(tmp_path.glob("名册.校验报告.bak-*.xlsx"))
    assert len(backups) == 1 and backups[0].read_bytes() == first
    assert digest(path) == before


def test_validate_folder_by_agent_with_duplicates_and_masked_output(tmp_path):
    (tmp_path / "东城代办点").mkdir()
    (tmp_path / "西城代办点").mkdir()
    a = unit_roster(tmp_path / "东城代办点" / "甲.xlsx", 30, 1, "甲厂工会")
    unit_roster(tmp_path / "西城代办点" / "乙.xlsx", 30, 2, "乙厂工会")
    data = synthetic.roster(3, seed=2)
    data.rows[1][2] = a.rows[0][2]
    synthetic.write_roster(tmp_path / "西城代办点" / "丙.xlsx", data, unit="丙厂工会")
    result = invoke("validate", tmp_path, "--report", tmp_path / "out" / "全部.xlsx")
    assert result.exit_code == 1
    masked = a.rows[0][2][:4] + "*" * 10 + a.rows[0][2][-4:]
    assert masked in result.output and a.rows[0][2] not in result.output
    wb = load_workbook(tmp_path / "out" / "全部.xlsx")
    [dup] = [row for row in wb["校验结果"].iter_rows(min_row=2, values_only=True) if "重复" in row[7]]
    assert dup[2:6] == ("丙.xlsx", "会员名册", 6, "C") and "甲.xlsx" in dup[7] and dup[8] == masked
    units = {row[1].value: row[0].value for row in wb["单位汇总"].iter_rows(min_row=2)}
    assert units == {"甲厂工会": "东城代办点", "乙厂工会": "西城代办点", "丙厂工会": "西城代办点"}
    assert not list(tmp_path.rglob("*.校验报告.xlsx"))   # one combined report only


def test_unreadable_file_exit_2_but_others_still_checked(tmp_path):
    good = tmp_path / "好.xlsx"
    unit_roster(good, 10, 1, "甲厂工会")
    shutil.copy(BAD / "corrupt_truncated.xlsx", tmp_path / "坏.xlsx")
    result = invoke("validate", good, tmp_path / "坏.xlsx")
    assert result.exit_code == 2
    assert "坏.xlsx" in result.output and "已损坏" in result.output
    assert (tmp_path / "好.校验报告.xlsx").exists()
    assert not (tmp_path / "坏.校验报告.xlsx").exists()


@pytest.mark.parametrize("args,message", [
    (["--on", "明天"], "不是可识别的日期"),
    (["--policy", "no-such"], "未知的方案编号"),
])
def test_bad_options_exit_2(tmp_path, args, message):
    path = tmp_path / "名册.xlsx"
    unit_roster(path, 5, 1, "甲厂工会")
    result = invoke("validate", path, *args)
    assert result.exit_code == 2 and message in result.output


def test_report_may_not_replace_the_roster(tmp_path):
    path = tmp_path / "名册.xlsx"
    unit_roster(path, 5, 1, "甲厂工会")
    before = digest(path)
    result = invoke("validate", path, "--report", path)
    assert result.exit_code == 2 and "名册不能被覆盖" in result.output
    assert digest(path) == before and [p.name for p in tmp_path.iterdir()] == ["名册.xlsx"]


def test_unwritable_report_folder_exit_2(tmp_path):
    path = tmp_path / "名册.xlsx"
    unit_roster(path, 5, 1, "甲厂工会")
    blocker = tmp_path / "不是文件夹"
    blocker.write_text("x")
    result = invoke("validate", path, "--report", blocker / "报告.xlsx")
    assert result.exit_code == 2 and "上级是一个文件" in result.output.replace("\n", "")


def test_missing_path_exit_2(tmp_path):
    result = invoke("validate", tmp_path / "没有.xlsx")
    assert result.exit_code == 2 and "找不到文件" in result.output


def test_fill_merges_units_per_agent(tmp_path):
    src = tmp_path / "名册"
    for agent, units in (("东城代办点", ("甲厂工会", "乙厂工会")), ("西城代办点", ("丙厂工会",))):
        (src / agent).mkdir(parents=True)
    made = {}
    for seed, (agent, unit) in enumerate((("东城代办点", "甲厂工会"), ("东城代办点", "乙厂工会"),
                                          ("西城代办点", "丙厂工会")), 1):
        made[unit] = (agent, unit_roster(src / agent / f"{unit}.xlsx", 40 + seed, seed, unit))
    hashes = {p: digest(p) for p in src.rglob("*.xlsx")}
    out = tmp_path / "输出"
    result = invoke("fill", src, "--into", out, "--office", "某某办事处")
    assert result.exit_code == 0, result.output
    assert {p: digest(p) for p in src.rglob("*.xlsx")} == hashes

    def expected(rows):
        joining = [r for r in rows if r[5] != "未参"]
        return dict(active=sum(r[4] == "在职" for r in joining), retired=sum(r[4] == "退休" for r in joining),
                    renewed=sum(r[5] == "续互" for r in joining), new=sum(r[5] == "新参互" for r in joining),
                    amount=sum(Decimal(r[6]) for r in joining), staff=sum(r[4] == "在职" for r in rows))

    summary = load_workbook(out / wt.SUMMARY.file)[wt.SUMMARY.sheet]
    col = {c.key: i for i, c in enumerate(wt.SUMMARY.columns)}
    by_agent = {}
    for row in summary.iter_rows(min_row=wt.SUMMARY.first_row, max_row=wt.SUMMARY.first_row + 1, values_only=True):
        by_agent[row[col["agent"]]] = row
    for agent in ("东城代办点", "西城代办点"):
        units = [e for a, e in ((a, expected(d.rows)) for a, d in made.values()) if a == agent]
        row = by_agent[agent]
        assert row[col["units"]] == len(units)
        for key in ("renewed", "new", "active", "retired"):
            assert row[col[key]] == sum(u[key] for u in units)
        assert Decimal(str(row[col["amount"]])) == sum(u["amount"] for u in units)
    assert summary["A2"].value == "办事处名称：某某办事处"

    ledger = load_workbook(out / "unit_ledger-东城代办点.xlsx")[wt.LEDGER.sheet]
    lcol = {c.key: i for i, c in enumerate(wt.LEDGER.columns)}
    rows = {row[lcol["unit"]]: row for row in ledger.iter_rows(min_row=wt.LEDGER.first_row, max_row=wt.LEDGER.first_row + 1,
                                                               values_only=True)}
    assert set(rows) == {"甲厂工会", "乙厂工会"}
    first = rows["甲厂工会"]
    want = expected(made["甲厂工会"][1].rows)
    assert (first[lcol["staff"]], first[lcol["active"]], first[lcol["retired"]]) == (
        want["staff"], want["active"], want["retired"])
    assert Decimal(str(first[lcol["amount"]])) == want["amount"]

    forms = sorted((out / "application_forms").iterdir())
    assert len(forms) == 3
    form = load_workbook(forms[2])[wt.APPLICATION_SHEET]
    want = expected(made["丙厂工会"][1].rows)
    cells = wt.APPLICATION_CELLS
    assert form[cells["unit"]].value == "丙厂工会"
    assert [form[cells[k]].value for k in ("staff", "renewed", "new", "active", "retired")] == [
        want[k] for k in ("staff", "renewed", "new", "active", "retired")]
    assert Decimal(str(form[cells["amount"]].value)) == want["amount"]
    assert form[cells["ratio"]].data_type == "f"

    again = invoke("fill", src, "--into", out, "--no-forms")
    assert again.exit_code == 0
    kept = list(tmp_path.glob("输出.bak-*"))   # the old folder, whole; the new one never mixes in old forms
    assert len(kept) == 1 and len(list((kept[0] / "application_forms").iterdir())) == 3
    assert not (out / "application_forms").exists() and (out / wt.SUMMARY.file).is_file()


def test_fill_extends_ledger_beyond_template_rows(tmp_path):
    data = synthetic.roster(3000, seed=4, units=130)
    path = synthetic.write_roster(tmp_path / "省.xlsx", data)
    out = tmp_path / "out"
    result = invoke("fill", path, "--into", out, "--no-forms")
    assert result.exit_code == 0, result.output
    ws = load_workbook(out / wt.LEDGER.file)[wt.LEDGER.sheet]
    last = wt.LEDGER.first_row + 129
    total = last + 1
    letter = wt.LEDGER.letters
    assert ws[f"{letter['unit']}{last}"].value == data.units[-1]
    assert ws[f"{letter['unit']}{total}"].value == "合计"
    assert ws[f"{letter['active']}{total}"].value == f"=SUM({letter['active']}{wt.LEDGER.first_row}:{letter['active']}{last})"
    assert ws[f"{letter['ratio']}{last}"].data_type == "f"
    assert ws.print_area.endswith(f"${total}")
    refs = [str(dv.sqref) for dv in ws.data_validations.dataValidation]
    assert f"{letter['staff']}{wt.LEDGER.first_row}:{letter['staff']}{last}" in refs


def test_fill_with_errors_exits_1_and_writes_reports(tmp_path):
    shutil.copy(BAD / "bad_roster.xlsx", tmp_path / "bad_roster.xlsx")
    result = invoke("fill", tmp_path / "bad_roster.xlsx", "--into", tmp_path / "out")
    assert result.exit_code == 1
    assert (tmp_path / "out" / "校验报告" / "bad_roster.校验报告.xlsx").exists()
    assert (tmp_path / "out" / wt.APPLICATION_FILE).exists()


@pytest.mark.libreoffice
def test_grown_ledger_totals_recalculate_in_libreoffice(tmp_path):
    from mutualaid_xl.documents.office import recalculate_xlsx

    data = synthetic.roster(2000, seed=6, units=120)
    path = synthetic.write_roster(tmp_path / "省.xlsx", data)
    result = invoke("fill", path, "--into", tmp_path / "out", "--no-forms")
    assert result.exit_code == 0, result.output
    done = recalculate_xlsx(tmp_path / "out" / wt.LEDGER.file, tmp_path / "recalc.xlsx")
    ws = load_workbook(done, data_only=True)[wt.LEDGER.sheet]
    letter = wt.LEDGER.letters
    first, last = wt.LEDGER.first_row, wt.LEDGER.first_row + 119
    total = last + 1
    for key in ("staff", "active", "retired", "amount"):
        column = [ws[f"{letter[key]}{row}"].value or 0 for row in range(first, last + 1)]
        assert ws[f"{letter[key]}{total}"].value == pytest.approx(sum(column))
    joining = [r for r in data.rows if r[5] != "未参"]
    assert ws[f"{letter['amount']}{total}"].value == sum(r[6] for r in joining)
    assert ws[f"{letter['seq']}{last}"].value == 120
    staff, active = ws[f"{letter['staff']}{total}"].value, ws[f"{letter['active']}{total}"].value
    assert ws[f"{letter['ratio']}{total}"].value == pytest.approx(active / staff)


@pytest.mark.libreoffice
@pytest.mark.parametrize("target", ["xls:MS Excel 97", "ods"])
def test_xls_and_ods_rosters_read_like_xlsx(tmp_path, target):
    from mutualaid_xl.documents.office import convert

    data = synthetic.roster(60, seed=8)
    data.rows[3][6] = 90                                   # one wrong fee
    path = synthetic.write_roster(tmp_path / "名册.xlsx", data, unit="丁厂工会")
    [converted] = convert([path], target, tmp_path / "out")
    result = invoke("validate", converted, "--report", tmp_path / "r.xlsx")
    assert result.exit_code == 1
    rows = [r for r in load_workbook(tmp_path / "r.xlsx")["校验结果"].iter_rows(min_row=2, values_only=True)]
    errors = [(r[2], r[4], r[5]) for r in rows if r[1] == "错误"]
    assert errors == [(converted.name, 8, "G")]


def test_policy_and_date_come_from_the_templates_settings_sheet(tmp_path):
    """Without --policy the roster's own 设置 sheet (方案编号) decides, as in Excel."""
    from mutualaid_xl.workbooks.templates import POLICY_NAME, SETTINGS_CELLS, SETTINGS_SHEET

    data = synthetic.roster(6, seed=5, policy="yn-14", not_joining_share=0)
    path = synthetic.write_roster(tmp_path / "名册.xlsx", data, unit="示范单位")
    wb = load_workbook(path)
    ws = wb.create_sheet(SETTINGS_SHEET)
    ws[SETTINGS_CELLS[POLICY_NAME]] = "yn-14"
    wb.save(path)
    report = tmp_path / "r.xlsx"
    default = runner.invoke(app, ["validate", str(path), "--report", str(report)])
    assert default.exit_code == 0, default.output  # yn-14 fees (120/150) accepted
    forced = runner.invoke(app, ["validate", str(path), "--report", str(report), "--policy", "nm-2021"])
    assert forced.exit_code == 1  # nm-2021 prices by 在职/退休 with other amounts
