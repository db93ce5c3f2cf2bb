"""Commands for claims registers and reconciliation: `mutualaid claims`, `mutualaid reconcile`."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from ..errors import MutualAidError, os_reason
from ..files import check_output_file
from ..rules.idcard import mask_ids_in
from .common import MAX_SHOWN, console, fail, show_problems



def _default_out(path: Path, suffix: str) -> Path:
    return path.with_name(f"{path.stem}_{suffix}.xlsx")


def claims(
    register: Path = typer.Argument(..., help="补助登记表（.xlsx/.xls/.ods/.csv），每次住院一行"),
    policy: Optional[str] = typer.Option(None, "--policy", "-p",
                                         help="方案编号，如 nm-2021（默认取登记表“设置”表中的方案编号，否则 nm-2021）"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="结果工作簿（默认：登记表同目录下 原名_subsidy.xlsx）"),
    detail: bool = typer.Option(True, "--detail/--no-detail", help="是否为每行写计算说明（行数很多时可关闭以加快速度）"),
    documents: Optional[Path] = typer.Option(None, "--documents", "-D",
                                             help="同时生成每笔补助的审批表和公示名单（姓名、身份证号打码）到此文件夹"),
    issuer: str = typer.Option("职工互助保障办事处", "--issuer", help="审批表和公示名单上的互助机构名称"),
    seal_png: Optional[Path] = typer.Option(None, "--seal", help="盖在审批表和公示名单上的印章图片（PNG）"),
    pdf: bool = typer.Option(False, "--pdf", help="同时导出 PDF（需要 LibreOffice）"),
    roster: Optional[List[Path]] = typer.Option(
        None, "--roster", "-r",
        help="会员名册（可多次给出：本期和往期名册）：登记表没有参互日期时取名册的参互日期，按参互历史和往期名册得出连续参互年数"),
) -> None:
    """计算整张补助登记表：按身份证号自动得出首次住院和已付补助金，写出补助金额、计入封顶金额和说明。

    原登记表不被改动；结果写入新工作簿（已有同名文件先备份）。有问题的行逐一列出（工作表、行、列、原因），此时退出码为 1。

    示例：mutualaid claims 补助登记表.xlsx --documents 文书 --seal 样章.png
    """
    from ..documents.claim_forms import write_documents
    from ..workbooks.claims import compute_register, write_result, yuan_of_fen

    out = out or _default_out(register, "subsidy")
    if out.resolve() == register.resolve():
        fail("结果文件不能与登记表相同（原登记表不会被改动）")
    try:
        check_output_file(out, ".xlsx")
        with console.status("正在读取并计算登记表…"):
            result = compute_register(register, policy, roster or None, summaries=detail)
        with Progress(TextColumn("写出结果"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=console, transient=True) as bar:
            task = bar.add_task("", total=len(result.rows))
            backup = write_result(result, out, detail=detail, progress=lambda done: bar.update(task, completed=done))
        made = []
        if documents is not None:
            with Progress(TextColumn("生成审批表"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                          console=console, transient=True) as bar:
                task = bar.add_task("", total=result.computed())
                made = write_documents(result, documents, issuer=issuer, seal_png=seal_png, pdf=pdf,
                                       progress=lambda done: bar.update(task, completed=done))
    except MutualAidError as error:
        fail(error)   # fail masks ID numbers and names the option the clerk typed
    except OSError as error:
        fail(f"无法写入 {out}：{os_reason(error)}")
    table = Table(title=f"补助计算结果（方案 {escape(result.policy.title)}）", show_header=False)
    table.add_row("住院记录", f"{len(result.rows)} 行")
    table.add_row("已计算", f"{result.computed()} 行")
    table.add_row("补助金额合计", f"{yuan_of_fen(result.total_fen):,} 元")
    table.add_row("问题", f"{len(result.problems)} 个")
    console.print(table)
    for note in result.notes:
        console.print(f"[yellow]提醒[/] {escape(note)}", highlight=False)
    show_problems(result.problems, "问题")
    if backup:
        console.print(f"原有结果文件已备份为 {escape(backup.name)}")
    console.print(f"结果已写入 {escape(str(out))}")
    if made:
        console.print(f"审批表和公示名单：{len(made)} 个文件，在 {escape(str(documents))}")
    if result.problems:
        raise typer.Exit(1)


def reconcile(
    rosters: List[Path] = typer.Argument(..., help="各单位的会员名册（可多个；可给文件夹，表示其中全部表格；或一个含“单位名称”列的合并名册）"),
    against: Path = typer.Option(..., "--against", "-a", help="省（市）互助系统导出的名单（.xlsx/.xls/.csv），需有单位名称、身份证号、交费金额列"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="对账结果工作簿（默认：导出文件同目录下 原名_reconcile.xlsx）"),
) -> None:
    """名册与系统导出数据对账：系统缺少、系统多出、跨单位重复、金额不一致，以及各单位人数和金额合计。

    有差异时退出码为 1。身份证号和姓名在屏幕和结果工作簿中均打码；输入文件不被改动。

    示例：mutualaid reconcile 名册文件夹 --against 系统导出.xlsx
    """
    from ..workbooks.reconcile import reconcile as run, summary_rows, write_report
    from ..workbooks.claims import yuan_of_fen

    out = out or _default_out(against, "reconcile")
    if out.resolve() in {p.resolve() for p in [*rosters, against]}:
        fail("结果文件不能与输入文件相同（输入文件不会被改动）")
    try:
        check_output_file(out, ".xlsx")
        with console.status("正在读取名册和系统导出数据…"):
            result = run(rosters, against)
            backup = write_report(result, out)
    except MutualAidError as error:
        fail(error)   # fail masks ID numbers and names the option the clerk typed
    except OSError as error:
        fail(f"无法写入 {out}：{os_reason(error)}")
    table = Table(title="对账结果")
    for column in ("类型", "人数", "金额差（名册−系统，元）"):
        table.add_column(column)
    for kind, count, amount in summary_rows(result):
        table.add_row(kind, str(count), amount)
    console.print(table)
    if result.skipped:
        console.print(f"已跳过本工具写出的 {len(result.skipped)} 个文件（报告、结果、备份）："
                      + escape("、".join(Path(p).name for p in result.skipped[:MAX_SHOWN])), highlight=False)
    units = [u for u in result.units.values() if not u.matches]
    console.print(f"单位：{len(result.units)} 个，其中 {len(units)} 个人数或金额不一致")
    for line in units[:MAX_SHOWN]:
        console.print(f"  {escape(line.unit)}：名册 {line.roster_members} 人 {yuan_of_fen(line.roster_fen):,} 元，"
                      f"系统 {line.system_members} 人 {yuan_of_fen(line.system_fen):,} 元", highlight=False)
    for note in result.recomputed:
        console.print(f"[yellow]提醒[/] {escape(note)}", highlight=False)
    for error in result.problems[:MAX_SHOWN]:
        console.print(f"[red]读取问题[/] {escape(mask_ids_in(str(error)))}", highlight=False)
    if backup:
        console.print(f"原有结果文件已备份为 {escape(backup.name)}")
    console.print(f"对账明细已写入 {escape(str(out))}")
    if not result.clean:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("claims")(claims)
    app.command("reconcile")(reconcile)
