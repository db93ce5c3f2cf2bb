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
templates_app = typer.Typer(help="Word 模板（红头通知、申请表、审批表、汇总表、公示名单）。", no_args_is_help=True)


def render(
    template: str = typer.Argument(..., help="模板：notice、application_form、approval_form、summary_table、public_list，或 .docx 模板路径"),
    data: Path = typer.Argument(..., help="数据文件：.xlsx（「字段/值」工作表加表格工作表）、.toml 或 .json"),
    out: Path = typer.Argument(..., help="输出 .docx 文件；--each 时为输出文件夹"),
    each: bool = typer.Option(False, "--each", help="批量：工作表每行生成一份文档"),
    name_column: Optional[str] = typer.Option(None, "--name-column", help="--each 时用作文件名的列（默认「文件名」列，否则第一列）"),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="表格工作表名称（默认第一个表格工作表）"),
    seal: Optional[Path] = typer.Option(None, "--seal", help="印章图片（透明背景 PNG），盖在署名和日期上"),
    pdf: bool = typer.Option(False, "--pdf", help="同时用 LibreOffice 导出 PDF"),
    strict: bool = typer.Option(False, "--strict", help="字体无法显示的字符（生僻字）算错误，不生成文档"),
) -> None:
    """按模板生成 Word 文档（可盖章、可导出 PDF）；--each 按工作表逐行批量生成。"""
    from ..documents import render as documents

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UndrawableWarning)
        _render(documents, template, data, out, each, name_column, sheet, seal, pdf, strict)
    for warning in caught:
        if issubclass(warning.category, UndrawableWarning):
            err_console.print(f"[yellow]警告：{escape(str(warning.message))}[/]")


def _render(documents, template, data, out, each, name_column, sheet, seal, pdf, strict) -> None:
    try:
        if each:
            with Progress(TextColumn("生成文档"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                          console=console, transient=True) as bar:
                task = bar.add_task("render", total=None)
                produced = documents.render_each(
                    template, data, out, name_column=name_column, sheet=sheet, seal_png=seal, strict=strict,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
            console.print(f"已生成 {len(produced)} 份文档，位于 {escape(str(out))}")
        else:
            produced = documents.render(template, data, out, seal_png=seal, sheet=sheet, strict=strict)
            console.print(f"已生成 {escape(str(produced[0]))}")
        if pdf:
            with console.status(f"正在用 LibreOffice 导出 {len(produced)} 份 PDF…"):
                pdfs = documents.finish_pdfs(produced, seal)
            console.print(f"已导出 PDF：{escape(str(pdfs[0]))}" + (f" 等 {len(pdfs)} 份" if len(pdfs) > 1 else ""))
        if seal is not None:
            console.print("已盖章并记入盖章记录.csv；可用 mutualaid verify 文件 核验文件是否改动。")
    except MutualAidError as error:
        fail(error)


def seal_specimen(
    org: str = typer.Argument(..., help="单位名称，如 某某市总工会"),
    out: Path = typer.Argument(..., help="输出 PNG 文件"),
) -> None:
    """生成标有「样章」字样的圆形红色演示印章（不可冒充真实印章）。"""
    from ..documents import seal

    try:
        path = seal.specimen_seal(org, out)
    except MutualAidError as error:
        fail(error)
    console.print(f"已生成样章 {escape(str(path))}（仅供演示和测试，正式文件请使用本单位提供的印章图片）")


def verify(file: Path = typer.Argument(..., help="已盖章的 .docx 或 .pdf 文件")) -> None:
    """核验盖章文件自盖章以来是否改动（对照同目录的盖章记录.csv）。退出码：0 未改动，1 已改动或无记录。"""
    from ..documents import seal

    try:
        result = seal.verify(file)
    except MutualAidError as error:
        fail(error)
    if result.ok:
        console.print(f"[green]{escape(result.message)}[/]")
        return
    console.print(f"[bold red]{escape(result.message)}[/]")
    raise typer.Exit(1)


def pdf(
    files: List[Path] = typer.Argument(..., help=".docx/.xlsx 文件（可多个，一次启动 LibreOffice 全部转换）"),
    outdir: Optional[Path] = typer.Option(None, "--outdir", help="输出文件夹（默认与原文件同目录）"),
) -> None:
    """用 LibreOffice 把 Word/Excel 文件导出为 PDF。"""
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
    """重新生成内置 Word 模板（doc_templates/ 与包内副本；每次生成的文件完全相同）。"""
    from ..documents.build import build

    for path in build([outdir] if outdir is not None else None):
        console.print(f"已写入 {escape(str(path))}")


@templates_app.command("fields")
def templates_fields(template: str = typer.Argument(..., help="模板名或 .docx 模板路径")) -> None:
    """列出模板需要的字段。"""
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
    app.command("verify")(verify)
    app.command("pdf")(pdf)
    app.add_typer(templates_app, name="doctemplates")
