"""What each button of the page does: read the uploads, call the service the CLI and the ribbon call,
and describe the outcome for the page (lines, tables, files). No rule of the scheme lives here."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from ..errors import InputError
from ..rules.idcard import mask_ids_in, mask_name
from ..rules.values import YEARS, parse_date, parse_decimal, parse_whole
from .jobs import Job

Form = dict[str, str]            # the page's text fields
Uploads = dict[str, list[Path]]  # the page's file fields: "files"; "seal" and "cert" for 盖章并导出PDF; "register" for 运行统计


def _policy(form: Form) -> str | None:
    return form.get("policy") or None


def _on(form: Form) -> dt.date | None:
    text = form.get("on") or ""
    return parse_date(text, "参互日期") if text else None


def _need(files: list[Path], what: str) -> list[Path]:
    if not files:
        raise InputError(f"请先选择{what}")
    return files


def _check_rosters(job: Job, files: list[Path], form: Form):
    from ..workbooks import roster

    inputs = [(path, "") for path in _need(files, "名册文件（.xlsx/.xls/.ods/.csv）")]
    result, _readable, _unreadable = roster.check_files(
        inputs, _policy(form), _on(form), progress=lambda done, path: job.tick(done, len(inputs), f"读取并校验 {path.name}"))
    return result


def _problems_table(result) -> dict:
    from ..workbooks import roster

    return {"title": f"名册问题（共 {len(result.problems)} 个；身份证号、姓名已打码）",
            "headers": list(roster.PROBLEM_HEADERS), "rows": roster.problem_rows(result)}


def validate(job: Job, uploads: Uploads, form: Form) -> dict:
    """校验名册: the problems with sheet, row and column, and the report workbook."""
    from ..workbooks import roster

    result = _check_rosters(job, uploads["files"], form)
    job.tick(step="写出校验报告")
    roster.write_report(result, job.out / "校验报告.xlsx")
    units = {"title": "各单位人数与参互比例", "headers": list(roster.UNIT_HEADERS), "rows": roster.unit_rows(result)}
    return {"lines": roster.notes(result), "tables": [_problems_table(result), units]}


def fill(job: Job, uploads: Uploads, form: Form) -> dict:
    """填写汇总表: 年度参互汇总表, 参互单位台账 and the 参互申请表 of every unit."""
    from ..workbooks import fill as service

    result = _check_rosters(job, uploads["files"], form)
    if not result.units:
        raise InputError("没有可用的名册数据，未填写任何表格")
    total = 1 + len({s.agent for s in result.units.values()}) + len(result.units)
    steps = iter(range(1, total + 1))
    written = service.fill_forms(result, job.out, office=form.get("office", ""),
                                 progress=lambda text: job.tick(next(steps), total, text))
    lines = [f"已填写 {len(written)} 个文件。"]
    if result.errors or result.warnings:
        lines.append(f"注意：名册有 {result.errors} 个错误、{result.warnings} 个提醒，请按“校验名册”查看并改正后重新填写。")
    return {"lines": lines, "tables": [_problems_table(result)] if result.problems else []}


SHOWN_CLAIMS = 500


def claims(job: Job, uploads: Uploads, form: Form) -> dict:
    """计算补助: the register recomputed into a result workbook; each row's explanation viewable."""
    from ..workbooks import claims as service

    register = _need(uploads["files"], "补助登记表")[0]
    job.tick(step="读取并计算登记表")
    result = service.compute_register(register, _policy(form))
    total = len(result.rows)
    service.write_result(result, job.out / f"{register.stem}_subsidy.xlsx",
                         progress=lambda done: job.tick(done, total, "写出结果"))
    rows, details = [], []
    for position in service.computed_positions(result)[:SHOWN_CLAIMS]:
        stay = service.stay_result(result, position)
        rows.append([result.sheet.excel_row(result.rows[position]), mask_name(result.cells["name"][position]),
                     f"{service.yuan_of_fen(result.amounts.amount_fen[position]):,}", stay.summary])
        details.append(stay.lines)
    shown = f"前 {len(rows)} 行" if len(rows) < result.computed() else f"{len(rows)} 行"
    tables = [{"title": f"补助金额（{shown}；点“说明”看逐项计算）", "headers": ["行", "姓名", "补助金额（元）", "说明"],
               "rows": rows, "details": details}]
    if result.problems:
        tables.append({"title": f"问题（{len(result.problems)} 个）", "headers": ["工作表", "行", "列", "原因"],
                       "rows": [[e.sheet, e.row, e.column, mask_ids_in(e.message)] for e in result.problems]})
    return {"lines": service.notes(result), "tables": tables}


def _notice_data(files: list[Path], form: Form) -> dict | Path:
    """The notice's fields: a data sheet when one was uploaded, else the fields typed on the page."""
    from ..documents import render as documents

    if files:
        return files[0]
    data = {}
    for name in documents.FIELDS["notice"]:
        text = (form.get(name) or "").strip()
        if text:
            data[name] = [line.strip() for line in text.splitlines() if line.strip()] \
                if name in documents.LIST_FIELDS else text
    if not data:
        raise InputError("请上传含“字段/值”工作表的数据文件，或在页面上填写通知的各项")
    return data


def notice(job: Job, uploads: Uploads, form: Form) -> dict:
    """生成红头通知 (Word)."""
    from ..documents import render as documents

    job.tick(step="生成红头通知")
    produced = documents.render("notice", _notice_data(uploads["files"], form), job.out / "通知.docx")
    return {"lines": [f"已生成 {produced[0].name}。"]}


def application(job: Job, uploads: Uploads, form: Form) -> dict:
    """生成申请表: one 参互申请表 (Word) per unit of the roster."""
    from ..documents import render as documents

    result = _check_rosters(job, uploads["files"], form)
    produced = documents.render_applications(result, job.out, progress=lambda done, total: job.tick(
        done, total, "生成申请表"))
    lines = [f"已生成 {len(produced)} 份参互申请表。"]
    if result.errors:
        lines.append(f"注意：名册有 {result.errors} 个错误，请按“校验名册”查看并改正后重新生成。")
    return {"lines": lines}


def _signer(job: Job, uploads: Uploads, form: Form):
    """The signing key of the uploaded certificate (.p12/.pfx), or None. The certificate file is deleted
    from the job folder as soon as it is read, and the password is taken out of the form: neither stays."""
    from ..documents import signing

    password = form.pop("password", "")
    if not uploads.get("cert"):
        if password:
            raise InputError("填写了证书密码，但没有选择数字证书（.p12/.pfx）；不签名时请清空密码")
        return None
    try:
        job.tick(step="读取数字证书")
        return signing.load_signer(uploads["cert"][0], password)
    finally:
        for path in uploads["cert"]:
            path.unlink(missing_ok=True)


def seal(job: Job, uploads: Uploads, form: Form) -> dict:
    """盖章并导出PDF: a Word file stamped, or the notice rendered from its data with the seal, as .docx and PDF;
    with a certificate the PDF is signed (PAdES) as `mutualaid render --pdf --seal --sign` signs it."""
    from ..documents import render as documents

    signer = _signer(job, uploads, form)   # first: a wrong password stops the job before anything is written
    files, seal_png = uploads["files"], uploads["seal"][0] if uploads["seal"] else None
    if seal_png is None:
        raise InputError("请选择印章图片（透明背景 PNG）")
    source = files[0] if files else None
    if source is not None and source.suffix.lower() == ".docx":
        produced = documents.stamp(source, seal_png, job.out / f"{source.stem}-盖章.docx", pdf=False)
    else:
        produced = documents.render("notice", _notice_data(files, form), job.out / "通知.docx", seal_png=seal_png)
    job.tick(step="盖章并用 LibreOffice 导出 PDF" + ("，加数字签名" if signer else ""))
    produced += documents.finish_pdfs(produced, seal_png, signer)
    done = (["PDF 已加数字签名（印章即签章外观），复制到别处也可核验；Word 文件已记入盖章记录.csv。"] if signer
            else ["已记入盖章记录.csv。"])
    return {"lines": [f"已生成 {'、'.join(p.name for p in produced)}。", *done,
                      "可在“核验”页（或用 mutualaid verify 文件）核验文件此后是否改动。"]}


def verify(job: Job, uploads: Uploads, form: Form) -> dict:
    """核验: each PDF or Word file checked as `mutualaid verify` checks it: a signed PDF by its signature,
    another stamped file against the 盖章记录.csv uploaded with it."""
    from ..documents import seal as stamping

    files = _need(uploads["files"], "要核验的文件（PDF；Word 文件请同时选择它的盖章记录.csv）")
    logs = [path for path in files if path.suffix.lower() == ".csv"]
    if len(logs) > 1:
        raise InputError("一次只能核验一份盖章记录（.csv）；不同文件夹的文件请分开核验")
    if logs:
        logs[0].replace(job.inbox / stamping.LOG_NAME)   # verify looks for the log beside the file, by this name
    documents = [path for path in files if path.suffix.lower() != ".csv"]
    _need(documents, "要核验的文件（PDF 或 Word）")
    folder = f"{job.inbox.resolve()}{os.sep}"
    rows = []
    for done, path in enumerate(documents):
        job.tick(done, len(documents), f"核验 {path.name}")
        result = stamping.verify(path)
        rows.append([path.name, "通过" if result.ok else "未通过", mask_ids_in(result.message.replace(folder, ""))])
    failed = sum(row[1] != "通过" for row in rows)
    summary = (f"核验 {len(rows)} 个文件：全部未改动。" if not failed
               else f"核验 {len(rows)} 个文件：{failed} 个已改动或无法核验。")
    return {"lines": [summary], "tables": [{"title": "核验结果", "headers": ["文件", "结果", "说明"], "rows": rows}]}


def _stats_inputs(form: Form) -> tuple[int, dict]:
    """The year and what the data cannot know (上期结余 and the rest, 截止日期), as `mutualaid stats` takes them."""
    year = parse_whole(_need_text(form, "year", "统计年度"), "统计年度")
    if not YEARS[0] <= year <= YEARS[1]:
        raise InputError(f"统计年度 {year} 不在 {YEARS[0]}—{YEARS[1]} 之间", argument="统计年度")
    cut = (form.get("as_of") or "").strip()
    as_of = parse_date(cut, "截止日期") if cut else None
    money = {key: None if not (form.get(key) or "").strip() else parse_decimal(form[key], label)
             for key, label in (("opening", "上期结余"), ("remitted", "上缴市总工会金额"), ("returned", "市总累计回拨金额"))}
    return year, {"as_of": as_of, **money}


def _need_text(form: Form, key: str, what: str) -> str:
    text = (form.get(key) or "").strip()
    if not text:
        raise InputError(f"请填写{what}")
    return text


def statistics(job: Job, uploads: Uploads, form: Form) -> dict:
    """运行统计: the 运行情况统计表 and the 收支公示, as `mutualaid stats` writes them."""
    from ..documents.fund_statement import write_statement
    from ..workbooks.stats import compute_stats, summary_rows, write_stats

    year, given = _stats_inputs(form)
    issuer = _need_text(form, "issuer", "公示单位")
    rosters = _need(uploads["files"], "会员名册（可多个）")
    registers = _need(uploads["register"], "补助登记表（需有审批日期、支付日期、是否重大疾病列）")
    job.tick(1, 3, "读取名册和登记表并统计")
    result = compute_stats(rosters, registers, year, policy=_policy(form), **given)
    job.tick(2, 3, "写出运行情况统计表")
    write_stats(result, job.out / f"运行情况统计表_{year}.xlsx")
    job.tick(3, 3, "生成收支公示")
    write_statement(result, job.out / f"互助金收支情况公示_{year}.docx", issuer=issuer)
    lines = [f"{year}年度运行情况（截至 {result.as_of:%Y-%m-%d}）："]
    lines += [f"{label} {figures}" for label, figures in summary_rows(result)]
    lines += [f"缺少：{name}" for name in result.missing]
    tables = []
    if result.problems:
        lines.append(f"有 {len(result.problems)} 个问题，见下表（每个问题写明如何处理），也列在统计表的“数据来源”表。")
        tables.append({"title": f"问题（{len(result.problems)} 个；身份证号已打码）",
                       "headers": ["文件", "工作表", "行", "列", "原因"],
                       "rows": [[Path(e.file).name if e.file else "", e.sheet, e.row, e.column, mask_ids_in(e.message)]
                                for e in result.problems]})
    return {"lines": lines, "tables": tables}


ACTIONS = {"validate": ("校验名册", validate), "fill": ("填写汇总表", fill), "claims": ("计算补助", claims),
           "notice": ("生成红头通知", notice), "application": ("生成申请表", application),
           "seal": ("盖章并导出PDF", seal), "verify": ("核验", verify),
           "statistics": ("运行统计", statistics)}
