"""The validation report: problem and unit rows, and the report workbook."""

from __future__ import annotations

from pathlib import Path

from ..templates import NOT_JOINING
from .model import MAX_REPORT_ROWS, RosterResult


PROBLEM_HEADERS = ("序号", "级别", "文件", "工作表", "行", "列", "表头", "原因", "单元格内容")
UNIT_HEADERS = ("代办点", "单位", "在职职工人数", "人数来源", "在职参互人数", "退休参互人数", "续互人数", "新参互人数",
                "未参人数", "互助金总额", "在职参互比例", "文件")


def problem_rows(result: RosterResult) -> list[list]:
    """The problems as rows under PROBLEM_HEADERS (for a report sheet, in Excel or a file)."""
    return [[i, p.severity, Path(p.file).name if p.file else "", p.sheet, p.row, p.column, p.header, p.reason,
             p.value] for i, p in enumerate(result.problems[:MAX_REPORT_ROWS], 1)]


def unit_rows(result: RosterResult) -> list[list]:
    rows = []
    for s in result.units.values():
        rows.append([s.agent, s.unit, s.staff, s.staff_source, s.active, s.retired, s.renewed, s.new,
                     s.not_joining, s.amount, float(s.ratio) if s.ratio is not None else None,
                     "、".join(Path(f).name for f in s.files)])
    return rows


def notes(result: RosterResult) -> list[str]:
    on = f"{result.on:%Y-%m-%d}" if result.on else "按名册中的参互日期，未填则用方案的办理开始日期"
    return [
        f"方案：{result.policy.title}",
        f"年龄计算日期：{on}",
        f"校验行数：{result.rows_checked}；错误 {result.errors} 个，提醒 {result.warnings} 个",
        "身份证号和姓名在本报告中已打码；请按“行”“列”回到原名册修改，原名册未被改动。",
        f"在职参互比例 = 在职参互人数 / 在职职工人数；名册上方填有“单位总人数”的按填写数，"
        f"否则按名册中在职人员（含“{NOT_JOINING}”）计。",
    ]


def write_report(result: RosterResult, path: Path | str, *, files: list[str] | None = None) -> Path | None:
    """The validation report workbook (校验结果, 单位汇总, 说明), written atomically.
    Returns the backup path when an earlier report was kept."""
    from openpyxl import Workbook

    from ..sheets import add_notes_sheet, mark_output, report_cell, write_atomic

    problems = problem_rows(result) if files is None else [   # this file's problems and the run's own
        row for row in problem_rows(result) if result.problems[row[0] - 1].file in files + [""]]

    def writer(tmp: Path):
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("校验结果")
        ws.freeze_panes = "A2"
        for letter, width in zip("ABCDEFGHI", (7, 6, 24, 14, 7, 5, 12, 60, 22)):
            ws.column_dimensions[letter].width = width
        ws.append(list(PROBLEM_HEADERS))
        for row in problems:
            ws.append([report_cell(ws, v) for v in row])
        if not problems:
            ws.append([None, None, None, None, None, None, None, "未发现问题"])
        ws = wb.create_sheet("单位汇总")
        ws.append(list(UNIT_HEADERS))
        unit_filter = set(files) if files is not None else None
        for summary, row in zip(result.units.values(), unit_rows(result)):
            if unit_filter is None or unit_filter & set(summary.files):
                ws.append([report_cell(ws, v) for v in row])
        add_notes_sheet(wb, notes(result))
        mark_output(wb)
        wb.save(tmp)

    return write_atomic(path, writer)
