"""`mutualaid stats`: the 运行情况统计表 (张工办〔2020〕51号 附件1) from the rosters and registers."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import MutualAidError, os_reason
from ..rules.values import parse_date, parse_decimal
from .common import console, fail, show_problems



def stats(
    rosters: List[Path] = typer.Option(..., "--rosters", "-r", help="会员名册（文件或文件夹，可多次给出）"),
    claims: List[Path] = typer.Option(..., "--claims", "-c", help="补助登记表（文件或文件夹，可多次给出），需有支付日期、审批日期、是否重大疾病列"),
    year: int = typer.Option(..., "--year", "-y", help="统计的自然年度，如 2020"),
    into: Path = typer.Option(Path("."), "--into", "-d", help="结果文件夹（写入 运行情况统计表_年度.xlsx）"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="截止日期（默认该年12月30日）"),
    policy: Optional[str] = typer.Option(None, "--policy", "-p", help="方案编号（默认取名册、登记表“设置”表中的方案）"),
    opening: Optional[str] = typer.Option(None, "--opening-balance", help="上期结余（元）"),
    remitted: Optional[str] = typer.Option(None, "--remitted", help="上缴市总工会金额（元）"),
    returned: Optional[str] = typer.Option(None, "--returned", help="市总累计回拨金额（元）"),
    issuer: str = typer.Option(..., "--issuer", help="收支公示的公示单位（必填：公示上署这个单位的名称）"),
    pdf: bool = typer.Option(False, "--pdf", help="收支公示同时导出 PDF（需要 LibreOffice）"),
) -> None:
    """填写运行情况统计表：参与职工人数和筹集资金按互助期取自名册，救助情况按自然年度取自登记表，
    结余为表中可见的公式（扣除已审批未支付的互助金）。另有“数据来源”表说明每个数字的来源。
    同时写出互助金收支情况公示（.docx，--pdf 时另有 PDF），只有汇总数字，没有姓名和身份证号。

    输入文件不被改动；有问题的行逐一列出，此时退出码为 1。

    示例：mutualaid stats --rosters 名册 --claims 登记表.xlsx --year 2020 --opening-balance 120000 --issuer 某县总工会 --into 统计
    """
    from ..documents.fund_statement import write_statement
    from ..workbooks.stats import compute_stats, summary_rows, write_stats

    try:
        cut = None if as_of is None else parse_date(as_of, "as_of")
        money = [None if v is None else parse_decimal(v, name)
                 for v, name in ((opening, "opening"), (remitted, "remitted"), (returned, "returned"))]
        with console.status("正在统计…"):
            result = compute_stats(rosters, claims, year, as_of=cut, policy=policy, opening=money[0],
                                   remitted=money[1], returned=money[2])
            out = into / f"运行情况统计表_{year}.xlsx"
            backup = write_stats(result, out)
            made = write_statement(result, into / f"互助金收支情况公示_{year}.docx", issuer=issuer, pdf=pdf)
    except MutualAidError as error:
        fail(error)
    except OSError as error:
        fail(f"无法写入 {into}：{os_reason(error)}")
    table = Table(title=f"{year}年度运行情况（截至 {result.as_of:%Y-%m-%d}）", show_header=False)
    for label, figures in summary_rows(result):
        table.add_row(escape(label), figures)
    console.print(table)
    for name in result.missing:
        console.print(f"[yellow]缺少[/] {escape(name)}", highlight=False)
    show_problems(result.problems, "数据来源")
    if backup:
        console.print(f"原有结果文件已备份为 {escape(backup.name)}")
    console.print(f"统计表已写入 {escape(str(out))}")
    console.print(f"收支公示：{'、'.join(escape(p.name) for p in made)}")
    if result.problems:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("stats")(stats)
