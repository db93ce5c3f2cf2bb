"""`mutualaid demo`: a complete period run on built-in synthetic data.

Everything is made up (names, ID numbers from unassigned area codes, the union "示范市总工会")
and every seal is a specimen marked 样章; the stamped PDFs are signed with a specimen
certificate (also marked 样章, password DEMO_PASSWORD). The steps are the clerk's day: unit rosters ->
validation report -> filled ledger, summary and application forms -> claims register
computed -> approval forms and masked public list -> stamped red-header notice -> PDFs.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import typer
from rich.table import Table

from ..documents import render as documents
from ..rules import engine
from ..documents import seal, signing
from ..workbooks import synthetic
from ..workbooks import templates as wt
from ..documents.claim_forms import write_documents
from ..workbooks.claims import compute_register, write_result
from ..errors import ToolMissingError
from ..workbooks.fill import application_document_data, fill_forms, summary_document_data
from ..rules.money import rmb_upper, yuan
from ..rules.policy import Policy, get_policy
from ..workbooks.roster import RosterChecker, write_report
from ..workbooks.sheets import read_sheets
from ..rules.values import cn_date
from .common import console

POLICY_ID = "nm-2021"
ISSUER = "示范市总工会"
OFFICE = "示范市职工互助保障办事处"
AGENT = "示范市直代办点"
# the Inner Mongolia 2021 notice with its 实施细则 and 任务分配表, reproduced from a data file
NM_NOTICE = Path(__file__).resolve().parents[1] / "data" / "examples" / "nm-2021-notice.toml"
UNITS = ("示范市第一中学工会", "示范市人民医院工会", "示范市机械厂工会")
MEMBERS_PER_UNIT = 40
DEMO_PASSWORD = "mutualaid-demo"  # of the specimen certificate; stated in the demo's output

# Synthetic stays that show each rule of nm-2021: bands, allowance by years, minimum, cap, pro-rating.
DEMO_STAYS = [
    ("分段+补贴（细则示例）", engine.Stay(Decimal("20000"), 12, years=2)),
    ("保底200元", engine.Stay(Decimal("200"), 2)),
    ("大额，补贴最多30天", engine.Stay(Decimal("300000"), 40, years=3)),
    ("期内再次住院，封顶余额不足", engine.Stay(Decimal("1000"), 5, first_stay=False, paid_before=Decimal("249900"))),
    ("跨保障期按天数折算", engine.Stay(Decimal("50000"), 20, covered_days=10)),
]
# Claims register rows: (member index in the first unit, admitted, discharged, self-pay, consecutive years).
# Member 0 stays three times, so the register shows 首次住院 / 已付补助金 and the period cap at work.
DEMO_CLAIMS = [
    (0, dt.date(2021, 6, 1), dt.date(2021, 6, 13), Decimal("20000"), 2),
    (1, dt.date(2021, 7, 1), dt.date(2021, 7, 3), Decimal("200"), 1),
    (0, dt.date(2021, 8, 1), dt.date(2021, 8, 21), Decimal("180000"), 2),
    (2, dt.date(2021, 8, 5), dt.date(2021, 8, 19), Decimal("12345.67"), 3),
    (0, dt.date(2021, 9, 10), dt.date(2021, 9, 30), Decimal("150000"), 2),
    (3, dt.date(2021, 10, 8), dt.date(2021, 10, 9), Decimal("40"), 1),
]


def write_subsidy_examples(directory: Path, policy: Policy) -> Path:
    parts = [f"# 补助计算示例（{policy.name}）\n"]
    for title, stay in DEMO_STAYS:
        result = engine.compute_subsidy(policy, stay)
        parts.append(f"## {title}：应付 {yuan(result.amount)} 元（{rmb_upper(result.amount)}）\n")
        parts.extend(f"- {line}" for line in result.lines)
        parts.append("")
    path = directory / "subsidy_examples.md"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def _cited(document: str) -> str:
    """A source as a notice cites it: 《标题》（文号）, from the policy's "文号 标题（日期）"."""
    match = re.match(r"(\S+〔\d{4}〕\d+号)\s*(.+?)(（\d{4}年\d{1,2}月\d{1,2}日）)?$", document)
    return f"《{match.group(2)}》（{match.group(1)}）" if match else document


def notice_data(policy: Policy) -> dict:
    """A forwarding notice whose numbers all come from the policy file."""
    bands = "；".join(f"{row['band']}部分按{row['ratio']}" for row in
                     engine.compute_subsidy(policy, engine.Stay(Decimal(10**9), 1)).bands)
    dates = policy.dates
    return {
        "issuer": ISSUER, "doc_number": "示工发〔2021〕5号",
        "title": f"{ISSUER}关于开展{policy.period}职工医疗互助保障活动的通知",
        "addressees": "各县区总工会，各产业工会，各直属基层工会",
        "body": [
            f"根据{_cited(policy.documents[0])}精神，现将本市{policy.period}职工医疗互助保障活动有关事项通知如下。",
            "一、参互对象和时间",
            f"（一）参互对象。本市参加城镇职工基本医疗保险的在职职工和参互退休职工，由单位工会统一组织参加，"
            f"同一单位参加的职工不得少于全部职工的{policy.participation.min_ratio:.0%}。",
            f"（二）办理时间。{cn_date(dates.enrolment_start)}至{cn_date(dates.enrolment_end)}。",
            "二、交费和补助标准",
            f"（一）交费标准。{wt.fee_standard_text(policy)}。",
            f"（二）补助标准。住院自付部分分段补助：{bands}；每个保障期补助最高"
            f"{yuan(policy.subsidy.cap.per_period)}元；补助金与住院补贴合计不足"
            f"{yuan(policy.subsidy.minimum.amount)}元的补足。",
            "三、工作要求",
            "各单位要认真核对名册，确保参互人员信息准确、交款金额与参互人数相符，按时报送参互申请表和汇总表。",
        ],
        "attachments": ["参互申请表", "年度参互汇总表"],
        "date": dt.date(2021, 4, 20), "cc": "示范省总工会", "printed_by": f"{ISSUER}办公室",
        "printed_date": dt.date(2021, 4, 21),
    }


def _claims_register(path: Path, policy: Policy, members: list[list], unit: str) -> Path:
    wb = wt.workbook(wt.CLAIMS.file, policy.id)
    ws = wb[wt.CLAIMS.sheet]
    unit_column = wt.CLAIMS.letter("unit")  # 工作单位 on the approval forms
    for offset, (member, admitted, discharged, self_pay, years) in enumerate(DEMO_CLAIMS):
        row = wt.CLAIMS.first_row + offset
        name, id_number = members[member][1], members[member][2]
        for key, value in (("name", name), ("id_number", id_number), ("admitted", admitted),
                           ("discharged", discharged), ("self_pay", float(self_pay)), ("years", years)):
            ws[f"{wt.CLAIMS.letter(key)}{row}"] = value
        ws[f"{unit_column}{row}"] = unit  # the demo's claims are all from the first unit
    wb.save(path)
    return path


def build(directory: Path, *, pdf: bool = True, today: dt.date = dt.date(2021, 10, 20)) -> tuple[list[Path], list[str]]:
    """Produce the demo set in ``directory``; returns the files and notes (e.g. PDF skipped)."""
    policy = get_policy(POLICY_ID)
    on = policy.dates.enrolment_start + dt.timedelta(days=31)
    folders = {name: directory / name for name in ("rosters", "workbooks", "documents", "reports")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    produced: list[Path] = [write_subsidy_examples(directory, policy)]

    checker = RosterChecker(policy, on)
    first_members: list[list] = []
    for number, unit in enumerate(UNITS, 1):
        data = synthetic.roster(MEMBERS_PER_UNIT, seed=number, policy=policy, on=on)
        path = synthetic.write_roster(folders["rosters"] / f"unit{number}.xlsx", data, unit=unit)
        first_members = first_members or [row for row in data.rows if row[4] == "在职"]
        checker.check_file(read_sheets(path), agent=AGENT, file=str(path))
        produced.append(path)
    roster_result = checker.finish()
    write_report(roster_result, folders["reports"] / "roster_report.xlsx")
    produced.append(folders["reports"] / "roster_report.xlsx")
    produced += [path for path, _backup in fill_forms(roster_result, folders["workbooks"], office=OFFICE, today=today)]

    register = _claims_register(folders["workbooks"] / "claims_register.xlsx", policy, first_members, UNITS[0])
    claims_result = compute_register(register, policy)
    write_result(claims_result, folders["workbooks"] / "claims_register_subsidy.xlsx")
    produced += [register, folders["workbooks"] / "claims_register_subsidy.xlsx"]

    docs = folders["documents"]
    notes = []
    try:   # each body stamps and signs its own documents: the union its notice, the office the claim forms
        seal_png = seal.specimen_seal(ISSUER, docs / "specimen_seal.png")
        office_seal = seal.specimen_seal(OFFICE, docs / "specimen_seal_office.png")
    except ToolMissingError as error:  # no CJK font on this machine: documents without the seal
        seal_png = office_seal = None
        notes.append(f"未盖样章：{error.message}")
    certificate = signing.specimen_certificate(ISSUER, docs / "specimen_cert.p12", DEMO_PASSWORD)
    office_certificate = signing.specimen_certificate(OFFICE, docs / "specimen_cert_office.p12", DEMO_PASSWORD)
    produced += [certificate, office_certificate]
    union = [documents.render("notice", notice_data(policy), docs / "通知.docx", seal_png=seal_png)[0],
             documents.render("notice", NM_NOTICE, docs / "内工发〔2021〕5号（复现）.docx")[0]]
    application = documents.Renderer("application_form")
    for summary in roster_result.units.values():
        target = docs / "申请表" / f"{documents.safe_file_name(summary.unit)}.docx"
        union.append(application.render_to(application_document_data(summary, policy, today), target))
    office = [documents.render("summary_table", summary_document_data(roster_result, OFFICE, today),
                               docs / "年度参互汇总表.docx")[0]]
    office += write_documents(claims_result, docs, issuer=OFFICE, date=today, seal_png=office_seal)
    produced += [path for path in (seal_png, office_seal, *union, *office) if path is not None]

    if pdf:
        try:
            produced += documents.finish_pdfs(union, seal_png, signing.load_signer(certificate, DEMO_PASSWORD))
            produced += documents.finish_pdfs(office, office_seal,
                                              signing.load_signer(office_certificate, DEMO_PASSWORD))
        except ToolMissingError as error:
            notes.append(f"未生成 PDF：{error.message}")
    return produced, notes


def demo(
    directory: Path = typer.Argument(Path("mutualaid_demo"), help="输出目录（默认 ./mutualaid_demo）"),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="是否导出 PDF（需要 LibreOffice）"),
) -> None:
    """用内置的虚构数据完整演示一遍：名册校验、填好的台账和汇总表、补助登记表计算、审批表、公示名单、盖样章的红头通知和 PDF。

    示例：mutualaid demo 演示 --no-pdf
    """

    policy = get_policy(POLICY_ID)
    table = Table(title=f"补助计算示例（{policy.id}）")
    for column in ("情形", "应付（元）", "说明"):
        table.add_column(column)
    for title, stay in DEMO_STAYS:
        result = engine.compute_subsidy(policy, stay)
        table.add_row(title, yuan(result.amount), result.summary)
    console.print(table)
    with console.status("正在生成演示文件（名册、工作簿、文书、PDF）…"):
        produced, notes = build(directory, pdf=pdf)
    console.print(f"[bold green]演示文件已生成（{len(produced)} 个），在 {directory.resolve()}：[/]", highlight=False)
    for path in produced:
        console.print(f"  {path.relative_to(directory)}", highlight=False)
    if pdf:
        console.print(f"盖章的 PDF 已用样章证书 documents/specimen_cert.p12（密码 {DEMO_PASSWORD}）签名，"
                      "可用 mutualaid verify 核验。", highlight=False)
    for note in notes:
        console.print(f"[yellow]{note}[/]", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
