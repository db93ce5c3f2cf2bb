"""方案测算 (`mutualaid compare`) and drafts (`mutualaid policy new`): amounts as `mutualaid claims`
gives them for each policy, to the fen; the 汇总 figures by hand; bad drafts and registers."""

import datetime as dt
import hashlib
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from mutualaid_xl.cli import app
from mutualaid_xl.rules.idcard import check_char

runner = CliRunner()
D = dt.date


def synthetic_id(serial: int, born: str = "19750301") -> str:
    """A valid ID number from the unassigned area code 99xxxx (no real person)."""
    first17 = f"991{serial:03d}{born}{serial % 1000:03d}"
    return first17 + check_char(first17)


A, B, C = (synthetic_id(i) for i in (1, 2, 3))
# name, id, admitted, discharged, self-pay, years
ROWS = [
    ("张三", A, D(2021, 6, 1), D(2021, 6, 13), 20000, 2),
    ("李四", B, D(2021, 7, 1), D(2021, 7, 3), 200, 1),
    ("张三", A, D(2021, 8, 1), D(2021, 8, 11), 300000, 2),
    ("王五", C, D(2021, 9, 1), D(2021, 9, 5), 5000, 3),
    ("李四", B, D(2021, 10, 1), D(2021, 10, 2), 0, 1),
]


def write_register(path: Path, rows=ROWS, headers=("姓名", "身份证号", "入院日期", "出院日期", "自付费用", "连续参互年数")):
    wb = Workbook()
    ws = wb.active
    ws.title = "补助登记表"
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    wb.save(path)
    return path


def make_draft(tmp_path: Path, edit) -> Path:
    draft = tmp_path / "nm-2022-draft.toml"
    result = runner.invoke(app, ["policy", "new", "--from", "nm-2021", str(draft)])
    assert result.exit_code == 0, result.output
    draft.write_text(edit(draft.read_text(encoding="utf-8")), encoding="utf-8")
    return draft


def proposal(text: str) -> str:
    """Raise the first band to 50% and the minimum to 300 yuan."""
    text = text.replace("{ upto = 10000, rate = 0.40 }", "{ upto = 10000, rate = 0.50 }")
    return re.sub(r"(\[subsidy\.minimum\][^\[]*?amount = )200", r"\g<1>300", text, flags=re.S)


def claims_amounts(register: Path, policy: str, out: Path) -> list:
    result = runner.invoke(app, ["claims", str(register), "--policy", policy, "--out", str(out), "--no-detail"])
    assert result.exit_code in (0, 1), result.output
    ws = load_workbook(out)["计算结果"]
    headers = [c.value for c in ws[1]]
    col = headers.index("补助金额")
    return [r[col] for r in ws.iter_rows(min_row=2, values_only=True) if r[0] != "合计"]


def test_policy_new_writes_a_draft_that_loads(tmp_path):
    draft = make_draft(tmp_path, lambda t: t)
    text = draft.read_text(encoding="utf-8")
    assert 'kind = "draft"' in text and 'id = "nm-2022-draft"' in text and "（草案）" in text
    assert "细则第十条" in text   # sources and comments kept
    from mutualaid_xl.rules.policy import load_policy_file
    assert load_policy_file(draft).kind == "draft"


def test_compare_equals_claims_for_both_policies_to_the_fen(tmp_path, monkeypatch):
    register = write_register(tmp_path / "登记表.xlsx")
    draft = make_draft(tmp_path, proposal)
    before = hashlib.sha256(register.read_bytes()).hexdigest(), hashlib.sha256(draft.read_bytes()).hexdigest()
    out = tmp_path / "out"
    result = runner.invoke(app, ["compare", str(register), "--policy", "nm-2021", "--against", str(draft),
                                 "--into", str(out)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert before == (hashlib.sha256(register.read_bytes()).hexdigest(), hashlib.sha256(draft.read_bytes()).hexdigest())
    book = out / "方案测算_nm-2021_nm-2022-draft.xlsx"
    wb = load_workbook(book)
    assert wb.sheetnames[0] == "测算明细"
    rows = list(wb["测算明细"].iter_rows(min_row=2, values_only=True))
    current = claims_amounts(register, "nm-2021", tmp_path / "a.xlsx")
    monkeypatch.setenv("MUTUALAID_POLICY_PATH", str(tmp_path))   # `mutualaid claims` takes the draft by id
    proposed = claims_amounts(register, "nm-2022-draft", tmp_path / "b.xlsx")
    assert [r[5] for r in rows[:-1]] == current
    assert [r[6] for r in rows[:-1]] == proposed
    # by hand (细则第十条): 张三 1st stay 20000: 10000×40% + 10000×70% = 11000 + 12 days × 20 = 11240;
    # proposal 10000×50% + 7000 + 240 = 12240
    assert (rows[0][5], rows[0][6], rows[0][7]) == (11240, 12240, 1000)
    # 李四 200 yuan, 2 days: 80 + 20 = 100 -> minimum 200; proposal 100 + 20 -> minimum 300
    assert (rows[1][5], rows[1][6]) == (200, 300)
    # 张三 2nd stay 300000: 4000 + 63000 + 150000 = 217000; proposal 5000 + 63000 + 150000 = 218000
    assert (rows[2][5], rows[2][6]) == (217000, 218000)
    # 王五 5000, 4 days at 30: 2000 + 120 = 2120; proposal 2500 + 120
    assert (rows[3][5], rows[3][6]) == (2120, 2620)
    # 李四 self-pay 0: nothing to subsidise, no minimum
    assert (rows[4][5], rows[4][6]) == (0, 0)
    total = rows[-1]
    assert total[0] == "合计" and total[5] == 11240 + 200 + 217000 + 2120 and total[6] == 12240 + 300 + 218000 + 2620
    assert total[7] == total[6] - total[5]
    assert "230,560.00" in result.output and "233,160.00" in result.output and "2,600.00" in result.output
    assert "3 人多得，0 人少得" in result.output

    summary = {r[0]: r[1:] for r in wb["汇总"].iter_rows(values_only=True) if r[0]}
    # bands cut at nm's 10000 / 100000 / 250000
    assert summary["0—10,000 元"][:4] == (3, 200 + 2120, 300 + 2620, 600)
    assert summary["10,000—100,000 元"][:3] == (1, 11240, 12240)
    assert summary["250,000 元以上"][:3] == (1, 217000, 218000)
    assert summary["因保底补足而提高的人数"][:2] == (1, 1)
    assert summary["达到期内封顶的人数"][:2] == (0, 0)
    differences = {r[0]: r[1:] for r in wb["参数差异"].iter_rows(min_row=2, values_only=True)}
    assert differences["subsidy.minimum.amount"] == ("200", "300", "草案")
    assert differences["subsidy.bands.brackets[1].rate"] == ("0.40", "0.50", "草案")
    assert len(differences) == 2
    with zipfile.ZipFile(book) as z:
        chart = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert chart and "汇总" in z.read(chart[0]).decode()


def test_compare_with_rosters_gives_fee_income(tmp_path):
    register = write_register(tmp_path / "登记表.xlsx")
    draft = make_draft(tmp_path, lambda t: re.sub(r'"在职" = 100', '"在职" = 120', t))
    roster = tmp_path / "名册.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号", "类别", "续互/新参互"])
    ws.append(["张三", A, "在职", "续互"])
    ws.append(["李四", B, "退休", "续互"])
    ws.append(["王五", C, "在职", "新参互"])
    ws.append(["王五", C, "在职", "新参互"])        # repeated: counted once, listed
    ws.append(["赵六", "123", "在职", "续互"])       # invalid ID: listed, not counted
    wb.save(roster)
    out = tmp_path / "out"
    result = runner.invoke(app, ["compare", str(register), "-p", "nm-2021", "-a", str(draft), "-r", str(roster),
                                 "--into", str(out)], terminal_width=200)
    assert result.exit_code == 0, result.output
    wb = load_workbook(out / "方案测算_nm-2021_nm-2022-draft.xlsx")
    summary = {r[0]: r[1:] for r in wb["汇总"].iter_rows(values_only=True) if r[0]}
    fees = _fees("nm-2021")
    assert summary["计入人数"][:2] == (3, 3)
    assert summary["互助金收入"][:2] == (2 * fees["在职"] + fees["退休"], 2 * 120 + fees["退休"])
    problems = [r[5] for r in wb["问题"].iter_rows(min_row=2, values_only=True)]
    assert any("重复" in p for p in problems) and any("本行未计入" in p for p in problems)


def _fees(policy_id):
    from mutualaid_xl.rules.policy import get_policy
    return {k: int(v) for k, v in get_policy(policy_id).fees.amounts.items()}


def test_draft_with_a_schema_error_names_the_key(tmp_path):
    register = write_register(tmp_path / "登记表.xlsx")
    draft = make_draft(tmp_path, lambda t: t.replace("max_days = 30", "max_dayz = 30"))
    result = runner.invoke(app, ["compare", str(register), "-p", "nm-2021", "-a", str(draft), "--into", str(tmp_path)],
                           terminal_width=200)
    assert result.exit_code == 2
    assert "subsidy.allowance.max_dayz" in result.output and "不认识的键" in result.output


def test_register_without_needed_columns_is_named(tmp_path):
    register = write_register(tmp_path / "登记表.xlsx", rows=[("张三", A, 3)], headers=("姓名", "身份证号", "备注"))
    result = runner.invoke(app, ["compare", str(register), "-p", "nm-2021", "-a", "nm-2021", "--into", str(tmp_path)],
                           terminal_width=200)
    assert result.exit_code == 2
    assert "自付费用" in result.output and "住院天数" in result.output


def test_policy_new_refuses_a_bad_file_name(tmp_path):
    result = runner.invoke(app, ["policy", "new", "--from", "nm-2021", str(tmp_path / "测算.toml")])
    assert result.exit_code == 2 and "小写字母" in result.output


@pytest.mark.libreoffice
def test_chart_shows_in_libreoffice_pdf(tmp_path):
    import subprocess

    from mutualaid_xl.documents.office import to_pdf

    register = write_register(tmp_path / "登记表.xlsx")
    draft = make_draft(tmp_path, proposal)
    out = tmp_path / "out"
    assert runner.invoke(app, ["compare", str(register), "-p", "nm-2021", "-a", str(draft), "--into", str(out)]).exit_code == 0
    pdf = to_pdf([out / "方案测算_nm-2021_nm-2022-draft.xlsx"], tmp_path / "pdf")[0]
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "各自付费用分段补助合计（元）" in text   # the chart's title, drawn by LibreOffice
    assert "测算方案" in text and "250,000 元以上" in text


def test_a_self_pay_written_as_text_falls_in_its_band(tmp_path):
    register = write_register(tmp_path / "登记表.xlsx", rows=[("张三", A, D(2021, 6, 1), D(2021, 6, 13), "20,000元", 2)])
    out = tmp_path / "out"
    result = runner.invoke(app, ["compare", str(register), "-p", "nm-2021", "-a", "nm-2021", "--into", str(out)])
    assert result.exit_code == 0, result.output
    summary = {r[0]: r[1:] for r in load_workbook(out / "方案测算_nm-2021_nm-2021.xlsx")["汇总"].iter_rows(values_only=True)
               if r[0]}
    assert summary["10,000—100,000 元"][:3] == (1, 11240, 11240) and summary["0—10,000 元"][0] == 0
    differences = [r for r in load_workbook(out / "方案测算_nm-2021_nm-2021.xlsx")["参数差异"].iter_rows(values_only=True)]
    assert differences[1][0] == "两个方案的参数相同"


def test_members_at_the_cap_under_each_policy(tmp_path):
    # nm-2021: 补助金 at most 250000 a period (细则第十条). 300000 self-pay gives 217000, a second one the rest
    # (33000) and so reaches the cap; with the cap raised to 300000 the second stay gets 300000 − 217000 = 83000,
    # and the cap is reached again.
    rows = [("张三", A, D(2021, 6, 1), D(2021, 6, 13), 300000, 2), ("张三", A, D(2021, 8, 1), D(2021, 8, 3), 300000, 2),
            ("李四", B, D(2021, 7, 1), D(2021, 7, 3), 300000, 1)]
    register = write_register(tmp_path / "登记表.xlsx", rows=rows)
    draft = make_draft(tmp_path, lambda t: t.replace("per_period = 250000", "per_period = 300000"))
    out = tmp_path / "out"
    result = runner.invoke(app, ["compare", str(register), "-p", "nm-2021", "-a", str(draft), "--into", str(out)],
                           terminal_width=200)
    assert result.exit_code == 0, result.output
    wb = load_workbook(out / "方案测算_nm-2021_nm-2022-draft.xlsx")
    amounts = [(r[5], r[6]) for r in wb["测算明细"].iter_rows(min_row=2, max_row=4, values_only=True)]
    assert amounts == [(217240, 217240), (33000, 83000), (217020, 217020)]
    summary = {r[0]: r[1:] for r in wb["汇总"].iter_rows(values_only=True) if r[0]}
    assert summary["达到期内封顶的人数"][:2] == (1, 1)
    assert "1 人多得，0 人少得" in result.output
