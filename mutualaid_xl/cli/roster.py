"""Commands for rosters: validate (校验名册) and fill (填写申请表、台账、汇总表)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..errors import MutualAidError, os_reason
from ..files import check_output_file, staged_folder
from ..rules.idcard import mask_ids_in
from ..workbooks import roster as roster_service
from ..workbooks.roster import ERROR, RosterResult, write_report
from ..workbooks.sheets import REPORT_SUFFIX, SPREADSHEET_SUFFIXES, is_tool_output
from ..rules.values import parse_date
from .common import console, err_console, fail

SHOWN = 20
OPEN_HINT = "；如果该文件正在 Excel/WPS 中打开，请先关闭再试"

POLICY_OPTION = typer.Option(None, "--policy", "-p", help="方案编号，如 nm-2021（默认取环境变量 MUTUALAID_POLICY，否则 nm-2021）")
ON_OPTION = typer.Option(None, "--on", help="参互（办理）日期，用于计算年龄，如 2021-05-01；默认按名册中的参互日期，"
                                            "未填则用方案的办理开始日期")
AGENT_OPTION = typer.Option(None, "--agent", help="代办点名称（默认：文件夹中的下一级子文件夹名，直接给出的文件不分代办点）")
ROSTERS_ARGUMENT = typer.Argument(..., help="名册文件（.xlsx/.xls/.ods/.csv）或文件夹（含子文件夹中的全部名册）")


def collect_inputs(paths: List[Path], agent: Optional[str], exclude: Optional[Path] = None
                   ) -> tuple[list[tuple[Path, str]], list[Path]]:
    """(file, 代办点) for every roster named or found in the folders, in a stable order, and the files
    skipped there: the tool's own reports, outputs and backups, and anything under ``exclude`` (the output folder)."""
    found: list[tuple[Path, str]] = []
    skipped: list[Path] = []
    skip = exclude.resolve() if exclude else None
    for path in paths:
        if path.is_dir():
            for file in sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SPREADSHEET_SUFFIXES):
                relative = file.relative_to(path).parts
                if (skip and skip in file.resolve().parents) or any(
                        part.startswith(".") or ".bak-" in part for part in relative[:-1]) or is_tool_output(file):
                    if not file.name.startswith(("~$", ".")):
                        skipped.append(file)
                    continue
                found.append((file, agent or (relative[0] if len(relative) > 1 else path.resolve().name)))
        else:
            found.append((path, agent or ""))
    return found, skipped


def _say_skipped(skipped: list[Path]) -> None:
    if skipped:
        names = "、".join(p.name for p in skipped[:SHOWN]) + (f" 等 {len(skipped)} 个" if len(skipped) > SHOWN else "")
        console.print(f"已跳过本工具写出的文件（报告、输出、备份）：{escape(names)}", highlight=False)


def _progress() -> Progress:

    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console, transient=True)


def check_files(inputs: list[tuple[Path, str]], policy_id: Optional[str], on: Optional[dt.date]
                ) -> tuple[RosterResult, list[Path], list[Path]]:
    """roster.check_files with a progress bar on the console."""
    with _progress() as progress:
        task = progress.add_task("校验名册", total=len(inputs))
        return roster_service.check_files(inputs, policy_id, on, progress=lambda done, path: progress.update(
            task, completed=done, description=f"读取并校验 {escape(path.name)}"))


def _show(result: RosterResult, title: str) -> None:

    if result.problems:
        shown = sorted(result.problems, key=lambda p: p.severity != ERROR)[:SHOWN]   # errors first
        table = Table(title=f"{title}（前 {min(SHOWN, len(result.problems))} 个，共 {len(result.problems)} 个；"
                            "身份证号、姓名已打码）")
        for column in ("级别", "位置", "原因", "内容"):
            table.add_column(column, overflow="fold")
        for problem in shown:
            style = "red" if problem.severity == ERROR else "yellow"
            # masked before rich folds a narrow column (a split ID would escape the screen's masking)
            table.add_row(f"[{style}]{problem.severity}[/]", *(escape(mask_ids_in(text)) for text in
                                                               (problem.where(), problem.reason, problem.value)))
        console.print(table)
    console.print(f"校验 {result.rows_checked} 行（{len(result.files)} 个文件，{len(result.units)} 个单位）："
                  f"错误 [red]{result.errors}[/] 个，提醒 [yellow]{result.warnings}[/] 个。", highlight=False)


def _date(text: Optional[str]) -> Optional[dt.date]:
    return None if text is None else parse_date(text, "--on")


def _write_reports(result: RosterResult, targets: list[tuple[Path, list[str] | None]], shown=lambda path: path) -> None:
    for path, files in targets:
        backup = write_report(result, path, files=files)
        kept = f"（原报告已备份为 {backup.name}）" if backup else ""
        console.print(f"校验报告：{escape(str(shown(path)))}{escape(kept)}", highlight=False)


def validate(
    rosters: List[Path] = ROSTERS_ARGUMENT,
    policy: Optional[str] = POLICY_OPTION,
    on: Optional[str] = ON_OPTION,
    report: Optional[Path] = typer.Option(None, "--report", "-o", help="把全部结果写进这一个报告工作簿"
                                                                      "（默认：每个名册旁边写 名册名.校验报告.xlsx）"),
    agent: Optional[str] = AGENT_OPTION,
) -> None:
    """校验名册：身份证号（无效、重复、存成数字丢位）、年龄、交费金额、类别、空白、单位参互比例。

    原名册不会被改动；报告写在名册旁边（名册名.校验报告.xlsx，已有的旧报告先备份）。
    退出码：0 无错误；1 发现错误；2 有文件无法读取或参数有误。

    示例：mutualaid validate 名册文件夹 --on 2021-05-01
    """

    try:
        inputs, skipped = collect_inputs(rosters, agent)
        _say_skipped(skipped)
        if not inputs:
            fail("没有找到名册文件（.xlsx/.xls/.ods/.csv）")
        if report:
            check_output_file(report, ".xlsx")
        if report and any(report.resolve() == path.resolve() for path, _agent in inputs):
            fail(f"报告文件 {report} 就是要校验的名册；请换一个文件名，名册不能被覆盖")
        result, readable, unreadable = check_files(inputs, policy, _date(on))
        _show(result, "名册问题")
        targets = [(report, None)] if report else [
            (path.with_name(path.name + REPORT_SUFFIX) if path.suffix.lower() != ".xlsx"
             else path.with_name(path.stem + REPORT_SUFFIX), [str(path)]) for path in readable]
        _write_reports(result, targets)
    except MutualAidError as error:
        fail(error)
    except OSError as error:
        fail(f"无法写入报告：{os_reason(error)}（{error.filename}）{OPEN_HINT}")
    if unreadable:
        raise typer.Exit(2)
    if result.errors:
        raise typer.Exit(1)


def fill(
    rosters: List[Path] = ROSTERS_ARGUMENT,
    into: Path = typer.Option(..., "--into", "-d", help="输出文件夹：年度参互汇总表、参互单位台账、参互申请表和校验报告写在这里"),
    policy: Optional[str] = POLICY_OPTION,
    on: Optional[str] = ON_OPTION,
    agent: Optional[str] = AGENT_OPTION,
    office: str = typer.Option("", "--office", help="办事处名称（填在汇总表上）"),
    forms: bool = typer.Option(True, "--forms/--no-forms", help="是否为每个单位生成参互申请表（上万个单位时可关闭以节省时间）"),
) -> None:
    """由一个或多个名册填写年度参互汇总表、参互单位台账和每个单位的参互申请表。

    一个文件夹的单位名册合并为一张汇总表（子文件夹按代办点分行、各出一本台账）；
    有问题的名册各写一份校验报告到 输出文件夹/校验报告/。原名册不会被改动；全部写完后才替换输出文件夹，
    原有的输出文件夹整体备份为 文件夹名.bak-日期时间（保留最近5份）。
    退出码：0 无错误；1 名册有错误（表格仍按现有数据填写，请改正后重新生成）；2 有文件无法读取。

    示例：mutualaid fill 名册文件夹 --into 输出 --office 示范市职工互助保障办事处
    """

    from ..workbooks.fill import fill_forms

    try:
        inputs, skipped = collect_inputs(rosters, agent, exclude=into)
        _say_skipped(skipped)
        if not inputs:
            fail("没有找到名册文件（.xlsx/.xls/.ods/.csv）")
        if any(into.resolve() in path.resolve().parents for path, _agent in inputs):
            fail(f"名册不能放在输出文件夹 {into} 里：输出文件夹每次整体换成新生成的文件")
        result, readable, unreadable = check_files(inputs, policy, _date(on))
        _show(result, "名册问题")
        if not result.units:
            fail("没有可用的名册数据，未填写任何表格")
        with_problems = {p.file for p in result.problems if p.file}
        with staged_folder(into) as stage:   # an interrupted run leaves the old folder as it was
            _write_reports(result, [(stage.path / "校验报告" / (path.stem + REPORT_SUFFIX), [str(path)])
                                    for path in readable if str(path) in with_problems], shown=stage.final)
            with _progress() as progress:
                total = 1 + len({s.agent for s in result.units.values()}) + (len(result.units) if forms else 0)
                task = progress.add_task("填写表格", total=total)
                written = fill_forms(result, stage.path, office=office, forms=forms,
                                     progress=lambda text: progress.update(task, advance=1, description=escape(text)))
        for path, _backup in written[:12]:
            console.print(f"已写入：{escape(str(stage.final(path)))}", highlight=False)
        if len(written) > 12:
            console.print(f"……共写入 {len(written)} 个文件", highlight=False)
        if stage.backup:
            console.print(f"原输出文件夹已整体备份为 {escape(stage.backup.name)}", highlight=False)
    except MutualAidError as error:
        fail(error)
    except OSError as error:
        fail(f"无法写入：{os_reason(error)}（{error.filename}）{OPEN_HINT}")
    if unreadable:
        raise typer.Exit(2)
    if result.errors:
        console.print("[red]名册有错误[/]：表格已按现有数据填写，请按校验报告改正后重新生成。")
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
    app.command("fill")(fill)
