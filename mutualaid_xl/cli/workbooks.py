"""Commands for the workbook templates: `mutualaid templates build`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import MutualAidError, os_reason
from ..rules.policy import DEFAULT_POLICY_ID
from .common import console, fail

templates_app = typer.Typer(help="工作簿模板：会员名册、参互申请表、台账、汇总表、任务分配表、补助登记表、运行情况统计表。",
                            no_args_is_help=True)


@templates_app.command("build")
def build(
    directory: Path = typer.Argument(Path("workbook_templates"), help="输出目录（默认 workbook_templates）"),
    policy: str = typer.Option(DEFAULT_POLICY_ID, "--policy", "-p",
                               help="按哪个方案生成（交费标准文字、任务分配表、名册默认方案）"),
) -> None:
    """生成全部工作簿模板和列说明 README.md。内容未变的文件不动；有变化时旧文件改名备份（NAME.bak-日期时间.xlsx）。

    示例：mutualaid templates build workbook_templates --policy nm-2021
    """
    from ..workbooks.templates import build as build_templates

    try:
        results = build_templates(directory, policy)
    except MutualAidError as error:
        fail(error)
    except OSError as error:
        fail(f"无法写入目录 {directory}：请确认它是一个可写的文件夹（{os_reason(error)}）")
    table = Table(title=f"工作簿模板：{escape(str(directory))}（方案 {escape(policy)}）")
    table.add_column("文件")
    table.add_column("结果")
    for path, outcome in results:
        table.add_row(escape(path.name), escape(outcome))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(templates_app, name="templates")
