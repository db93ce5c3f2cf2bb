"""Commands for claims registers and reconciliation: `mutualaid claims`, `mutualaid reconcile`."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape
from rich.table import Table

from .errors import MutualAidError

MAX_SHOWN = 30


def _default_out(path: Path, suffix: str) -> Path:
    return path.with_name(f"{path.stem}_{suffix}.xlsx")


def claims(
    register: Path = typer.Argument(..., help="补助登记表（.xlsx/.xls/.ods/.csv），每次住院一行"),
    policy: Optional[str] = typer.Option(None, "--policy", "-p",
                                         help="方案编号，如 nm-2021（默认取登记表“设置”表中的方案编号，否则 nm-2021）"),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="结果工作簿（默认：登记表同目录下 原名_subsidy.xlsx）"),
    detail: bool = typer.Option(True, "--detail/--no-detail", help="是否为每行写计算说明（行数很多时可关闭以加快速度）"),
) -> None:
    """计算整张补助登记表：按身份证号自动得出首次住院和已付补助金，写出补助金额、计入封顶金额和说明。

    原登记表不被改动；结果写入新工作簿（已有同名文件先备份）。有问题的行逐一列出（工作表、行、列、原因），
    此时退出码为 1。
    """
    from .claims import compute_register, masked, write_result
    from .cli import console, fail

    out = out or _default_out(register, "subsidy")
    if out.resolve() == register.resolve():
        fail("结果文件不能与登记表相同（原登记表不会被改动）")
    try:
        with console.status("正在读取并计算登记表…"):
            result = compute_register(register, policy)
            backup = write_result(result, out, detail=detail)
    except MutualAidError as error:
        fail(masked(str(error)))
    except OSError as error:
        fail(f"无法写入 {out}：{error.strerror}")
    table = Table(title=f"补助计算结果（方案 {escape(result.policy.title)}）", show_header=False)
    table.add_row("住院记录", f"{len(result.rows)} 行")
    table.add_row("已计算", f"{result.computed()} 行")
    table.add_row("补助金额合计", f"{result.total_fen / 100:,.2f} 元")
    table.add_row("问题", f"{len(result.problems)} 个")
    console.print(table)
    for error in result.problems[:MAX_SHOWN]:
        console.print(f"[red]问题[/] {escape(masked(str(error)))}", highlight=False)
    if len(result.problems) > MAX_SHOWN:
        console.print(f"……另有 {len(result.problems) - MAX_SHOWN} 个问题，见结果工作簿的“问题”表")
    if backup:
        console.print(f"原有结果文件已备份为 {escape(backup.name)}")
    console.print(f"结果已写入 {escape(str(out))}")
    if result.problems:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("claims")(claims)
