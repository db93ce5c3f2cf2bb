"""Commands for documents: render, seal specimen, verify, pdf, doctemplates build."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ..documents.layout import UndrawableWarning
from ..errors import MutualAidError
from .common import console, err_console, fail

seal_app = typer.Typer(help="印章：生成演示用样章。", no_args_is_help=True)
cert_app = typer.Typer(help="数字证书：生成演示用样章证书。", no_args_is_help=True)
templates_app = typer.Typer(help="Word 模板（红头通知、申请表、审批表、汇总表、公示名单、收支公示）。", no_args_is_help=True)


def render(
    template: str = typer.Argument(..., help="模板：notice、application_form、approval_form、summary_table、public_list，或 .docx 模板路径"),
    data: Path = typer.Argument(..., help="数据文件：.xlsx（「字段/值」工作表加表格工作表）、.toml 或 .json"),
    out: Path = typer.Argument(..., help="输出 .docx 文件；--each 时为输出文件夹"),
    each: bool = typer.Option(False, "--each", help="批量：工作表每行生成一份文档"),
    name_column: Optional[str] = typer.Option(None, "--name-column", help="文件名所在的列（--each 时；默认「文件名」列，否则第一列）"),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="表格工作表名称（默认第一个表格工作表）"),
    seal: Optional[Path] = typer.Option(None, "--seal", help="印章图片（透明背景 PNG），盖在署名和日期上"),
    pdf: bool = typer.Option(False, "--pdf", help="同时用 LibreOffice 导出 PDF"),
    sign: Optional[Path] = typer.Option(None, "--sign", help="数字签名证书（.p12），给盖章的 PDF 加数字签名，印章即签章外观"),
    strict: bool = typer.Option(False, "--strict", help="字体无法显示的字符（生僻字）算错误，不生成文档"),
) -> None:
    """按模板生成 Word 文档（可盖章、可导出 PDF）；--each 按工作表逐行批量生成。

    示例：mutualaid render notice 通知.toml 通知.docx --seal 样章.png --pdf --sign 样章证书.p12
    """
    from ..documents import render as documents

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UndrawableWarning)
        _render(documents, template, data, out, each, name_column, sheet, seal, pdf, sign, strict)
    for warning in caught:
        if issubclass(warning.category, UndrawableWarning):
            err_console.print(f"[yellow]警告：{escape(str(warning.message))}[/]")


def _render(documents, template, data, out, each, name_column, sheet, seal, pdf, sign, strict) -> None:
    try:
        signer = _signer(sign, pdf=pdf, seal=seal)
        if each:
            with Progress(TextColumn("生成文档"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                          console=console, transient=True) as bar:
                task = bar.add_task("render", total=None)
                produced = documents.render_each(
                    template, data, out, name_column=name_column, sheet=sheet, seal_png=seal, pdf=pdf, strict=strict,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
            console.print(f"已生成 {len(produced)} 份文档，位于 {escape(str(out))}")
        else:
            produced = documents.render(template, data, out, seal_png=seal, sheet=sheet, strict=strict)
            console.print(f"已生成 {escape(str(produced[0]))}")
        if pdf and not each:   # --each made its PDFs in the staging folder
            with console.status(f"正在用 LibreOffice 导出 {len(produced)} 份 PDF…"):
                pdfs = documents.finish_pdfs(produced, seal, signer)
            console.print(f"已导出 PDF：{escape(str(pdfs[0]))}" + (f" 等 {len(pdfs)} 份" if len(pdfs) > 1 else ""))
        if signer is not None:
            console.print("盖章的 PDF 已加数字签名（无需盖章记录，复制到别处也可核验）；Word 文件已记入盖章记录.csv。"
                          "可用 mutualaid verify 文件 核验文件是否改动。")
        elif seal is not None:
            console.print("已盖章并记入盖章记录.csv；可用 mutualaid verify 文件 核验文件是否改动。")
    except MutualAidError as error:
        fail(error)


def _password(p12: Path, *, new: bool = False) -> str:
    """The certificate password: $MUTUALAID_CERT_PASSWORD, else asked for without echo (never an option,
    which would end up in the shell history)."""
    from ..documents.signing import password_from_env
    from ..errors import InputError

    password = password_from_env()
    if password:
        return password
    password = typer.prompt(f"证书 {p12.name} 的密码", hide_input=True, prompt_suffix="：")
    if new and typer.prompt("请再输入一次密码", hide_input=True, prompt_suffix="：") != password:
        raise InputError("两次输入的密码不一致。", argument="密码")
    return password


def _signer(sign: Optional[Path], *, pdf: bool, seal: Optional[Path]):
    """The signing key of --sign, checked before anything is written."""
    from ..documents import signing
    from ..errors import InputError

    if sign is None:
        return None
    if not pdf:
        raise InputError("数字签名加在 PDF 上，请同时给出 --pdf。", argument="--sign（数字签名证书）")
    if seal is None:
        raise InputError("数字签名以印章为签章外观，请同时给出 --seal 印章图片。", argument="--sign（数字签名证书）")
    return signing.load_signer(sign, _password(sign))


def cert_specimen(
    name: str = typer.Argument(..., help="单位名称，如 某某市总工会"),
    out: Path = typer.Argument(..., help="输出的证书文件（.p12）"),
) -> None:
    """生成标有「样章」的自签名数字证书（.p12），仅供演示和测试，不能证明身份。

    密码取自环境变量 MUTUALAID_CERT_PASSWORD，未设置时提示输入（不回显）。

    示例：mutualaid cert specimen 某某市总工会 样章证书.p12
    """
    from ..documents import signing

    try:
        path = signing.specimen_certificate(name, out, _password(out, new=True))
    except MutualAidError as error:
        fail(error)
    console.print(f"已生成样章证书 {escape(str(path))}（自签名，仅供演示和测试；正式签名请使用证书机构颁发的证书）")


def seal_specimen(
    org: str = typer.Argument(..., help="单位名称，如 某某市总工会"),
    out: Path = typer.Argument(..., help="输出 PNG 文件"),
) -> None:
    """生成标有「样章」字样的圆形红色演示印章（不可冒充真实印章）。

    示例：mutualaid seal specimen 某某市总工会 样章.png
    """
    from ..documents import seal

    try:
        path = seal.specimen_seal(org, out)
    except MutualAidError as error:
        fail(error)
    console.print(f"已生成样章 {escape(str(path))}（仅供演示和测试，正式文件请使用本单位提供的印章图片）")


def verify(files: List[Path] = typer.Argument(..., help="已盖章的文件（Word 或 PDF，可多个）")) -> None:
    """核验盖章文件自盖章以来是否改动：带数字签名的 PDF 核验签名本身（复制到别处也可核验），
    其他文件对照同目录的盖章记录.csv。退出码：0 全部未改动，1 有文件已改动或无法核验。

    示例：mutualaid verify 通知.pdf 审批表/*.pdf
    """
    from ..documents import seal

    failed = 0
    for file in files:
        try:
            result = seal.verify(file)
        except MutualAidError as error:
            fail(error)
        prefix = f"{escape(file.name)}：" if len(files) > 1 else ""
        console.print(f"[{'green' if result.ok else 'bold red'}]{prefix}{escape(result.message)}[/]")
        failed += not result.ok
    if failed:
        raise typer.Exit(1)


def pdf(
    files: List[Path] = typer.Argument(..., help=".docx/.xlsx 文件（可多个，一次启动 LibreOffice 全部转换）"),
    outdir: Optional[Path] = typer.Option(None, "--outdir", help="输出文件夹（默认与原文件同目录）"),
) -> None:
    """用 LibreOffice 把 Word/Excel 文件导出为 PDF。

    示例：mutualaid pdf 通知.docx 汇总表.xlsx --outdir 导出
    """
    from ..documents.office import to_pdf

    try:
        produced = to_pdf(files, outdir)
    except MutualAidError as error:
        fail(error)
    for path in produced:
        console.print(f"已导出 {escape(str(path))}")


@templates_app.command("build")
def templates_build(
    outdir: Optional[Path] = typer.Option(None, "--outdir", help="写到这个文件夹（供修改后用 MUTUALAID_TEMPLATE_PATH 启用）；默认更新内置模板"),
) -> None:
    """重新生成内置 Word 模板（doc_templates/ 与包内副本；每次生成的文件完全相同）。

    示例：mutualaid doctemplates build --outdir 我的模板
    """
    from ..documents.build import build

    for path in build([outdir] if outdir is not None else None):
        console.print(f"已写入 {escape(str(path))}")


@templates_app.command("fields")
def templates_fields(template: str = typer.Argument(..., help="模板名或 .docx 模板路径")) -> None:
    """列出模板需要的字段。

    示例：mutualaid doctemplates fields notice
    """
    from ..documents.render import template_fields

    from rich.table import Table

    try:
        rows = template_fields(template)
    except MutualAidError as error:
        fail(error)
    table = Table(title=f"模板 {escape(template)} 的字段（数据中可用字段名或中文名）")
    for column in ("字段", "中文名", "说明"):
        table.add_column(column, no_wrap=column == "字段")
    for row in rows:
        table.add_row(*row)
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("render")(render)
    seal_app.command("specimen")(seal_specimen)
    app.add_typer(seal_app, name="seal")
    cert_app.command("specimen")(cert_specimen)
    app.add_typer(cert_app, name="cert")
    app.command("verify")(verify)
    app.command("pdf")(pdf)
    app.add_typer(templates_app, name="doctemplates")
