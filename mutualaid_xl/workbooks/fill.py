"""Filling the clerks' forms from validated rosters (the service behind `mutualaid fill` and
the ribbon's 填写汇总表).

The forms are the workbook templates of ``workbook_templates`` built for the policy in use
(so the fee text matches), with values written into the cells its layouts name:
参互申请表 (one per unit), 参互单位台账 (one per 代办点) and 年度参互汇总表 (one row per
代办点). Lists longer than a template's rows are extended with the same styles, formulas,
validations and totals. ``*_values`` give the plain values for callers that write into a
workbook already open in Excel.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path

from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.cell_range import CellRange, MultiCellRange

from . import templates as wt
from ..rules.policy import Policy
from .roster import RosterResult, UnitSummary
from ..files import safe_file_name
from ..rules.idcard import mask_ids_in
from .sheets import mark_output, set_text, write_atomic
from ..rules.values import cn_date

NO_AGENT = "（未分代办点）"


def application_values(summary: UnitSummary) -> dict[str, object]:
    """参互申请表 fields (keys of ``workbook_templates.APPLICATION_CELLS``) for one unit."""
    return {"unit": summary.unit, "staff": summary.staff, "renewed": summary.renewed, "new": summary.new,
            "active": summary.active, "retired": summary.retired, "amount": summary.amount}


def ledger_values(units: Iterable[UnitSummary]) -> list[dict[str, object]]:
    """参互单位台账 rows (keys of ``workbook_templates.LEDGER`` input columns)."""
    return [{"unit": s.unit, "staff": s.staff, "active": s.active, "retired": s.retired, "amount": s.amount}
            for s in units]


def summary_values(units: Iterable[UnitSummary]) -> list[dict[str, object]]:
    """年度参互汇总表 rows, one per 代办点, in order of first appearance."""
    rows: dict[str, dict] = {}
    for s in units:
        row = rows.setdefault(s.agent or NO_AGENT, {"agent": s.agent or NO_AGENT, "units": 0, "renewed": 0, "new": 0,
                                                    "active": 0, "retired": 0, "amount": Decimal(0)})
        row["units"] += 1
        for key in ("renewed", "new", "active", "retired", "amount"):
            row[key] += getattr(s, key)
    return list(rows.values())


def application_document_data(summary: UnitSummary, policy: Policy, today: dt.date) -> dict[str, object]:
    """Fields of the Word 参互申请表 (doc_templates/application_form.docx) for one unit."""
    ratio = summary.ratio
    return {
        "unit": summary.unit, "period": policy.period, "insured_count": "",
        "staff_total": "" if summary.staff is None else summary.staff,
        "renew_count": summary.renewed, "new_count": summary.new, "active_count": summary.active,
        "retired_count": summary.retired, "member_total": summary.members,
        "active_ratio": "" if ratio is None else f"{ratio:.2%}", "fee_total": summary.amount,
        "fee_note": wt.fee_standard_text(policy) if policy.fees is not None else "", "date": today,
    }


def summary_document_data(result: RosterResult, office: str, today: dt.date) -> dict[str, object]:
    """Fields of the Word 年度参互汇总表 (doc_templates/summary_table.docx): one row per 代办点."""
    rows = [{"name": row["agent"], "units": row["units"], "renew": row["renewed"], "new": row["new"],
             "active": row["active"], "retired": row["retired"], "fee_total": row["amount"]}
            for row in summary_values(result.units.values())]
    return {"title": f"{result.policy.period}参互汇总表", "office": office, "date": today, "rows": rows}


# ------------------------------------------------------------------ writing into templates


def _stretch(ref: str, old: tuple[int, ...], new: dict[int, int]) -> str:
    """Move the bottom edge of each range in ``ref`` that ends on an old last/total row."""
    parts = []
    for part in ref.split():
        low_col, low_row, high_col, high_row = range_boundaries(part)
        if high_row in old:
            high_row = new[high_row]
        parts.append(CellRange(min_col=low_col, min_row=low_row, max_col=high_col, max_row=high_row).coord)
    return " ".join(parts)


def _fit(ws, layout: wt.Layout, count: int) -> wt.Layout:
    """Make room for ``count`` data rows: extra rows copy the last data row's style and formulas;
    the totals row moves down; validations, conditional formats and print area follow."""
    capacity = layout.last_row - layout.first_row + 1
    if count <= capacity:
        return layout
    extra = count - capacity
    grown = dataclasses.replace(layout, last_row=layout.last_row + extra,
                                total_row=layout.total_row + extra if layout.total_row else None)
    styles = [ws.cell(layout.last_row, c)._style for c in range(1, layout.width + 1)]
    total_styles = [ws.cell(layout.total_row, c)._style for c in range(1, layout.width + 1)] if layout.total_row else []
    if layout.total_row:
        for c in range(1, layout.width + 1):
            ws.cell(layout.total_row, c).value = None
    for row in range(layout.last_row + 1, grown.last_row + 1):
        for index, column in enumerate(layout.columns, 1):
            cell = ws.cell(row, index)
            cell._style = styles[index - 1]
            if column.formula:
                cell.value = grown.formula(column, row)
    if grown.total_row:
        for index, style in enumerate(total_styles, 1):
            ws.cell(grown.total_row, index)._style = style
        wt.write_totals(ws, grown)
    moved = {layout.last_row: grown.last_row}
    if layout.total_row:
        moved[layout.total_row] = grown.total_row
    for dv in ws.data_validations.dataValidation:
        dv.sqref = MultiCellRange(_stretch(str(dv.sqref), tuple(moved), moved))
    rules = [(str(cf.sqref), list(cf.rules)) for cf in ws.conditional_formatting]
    ws.conditional_formatting = ConditionalFormattingList()
    for ref, cf_rules in rules:
        for rule in cf_rules:
            ws.conditional_formatting.add(_stretch(ref, tuple(moved), moved), rule)
    last = grown.total_row or grown.last_row
    ws.print_area = f"A1:{get_column_letter(layout.width)}{last}"
    return grown


def _meta(ws, left: str, today: dt.date):
    """The 机构名称/办事处名称 line in row 2 and its date."""
    label = ws["A2"].value or ""
    set_text(ws["A2"], f"{label}{left}")
    for merged in ws.merged_cells.ranges:
        if merged.min_row == 2 and merged.min_col > 1:
            ws.cell(2, merged.min_col).value = f"日期：{cn_date(today)}"


def _write_list(ws, layout: wt.Layout, rows: list[dict]):
    layout = _fit(ws, layout, len(rows))
    letters = layout.letters
    for offset, values in enumerate(rows):
        row = layout.first_row + offset
        for key, value in values.items():
            cell = ws[f"{letters[key]}{row}"]
            set_text(cell, mask_ids_in(value)) if isinstance(value, str) else setattr(cell, "value", value)


def _save(wb, path: Path) -> Path | None:
    mark_output(wb)
    return write_atomic(path, lambda tmp: wb.save(tmp))


def fill_forms(result: RosterResult, into: Path | str, *, office: str = "", forms: bool = True,
               today: dt.date | None = None, progress: Callable[[str], None] | None = None,
               ) -> list[tuple[Path, Path | None]]:
    """Write the summary, ledgers and (with ``forms``) application forms into ``into``.

    Returns (written file, kept backup or None) for each file.
    """
    into = Path(into)
    today = today or dt.date.today()
    policy_id = result.policy.id
    units = list(result.units.values())
    written = []

    def step(text):
        if progress:
            progress(text)

    wb = wt.workbook(wt.SUMMARY.file, policy_id)
    ws = wb[wt.SUMMARY.sheet]
    _meta(ws, office, today)
    _write_list(ws, wt.SUMMARY, summary_values(units))
    path = into / wt.SUMMARY.file
    written.append((path, _save(wb, path)))
    step(wt.SUMMARY.sheet)

    by_agent: dict[str, list[UnitSummary]] = {}
    for s in units:
        by_agent.setdefault(s.agent or NO_AGENT, []).append(s)
    for agent, members in by_agent.items():
        wb = wt.workbook(wt.LEDGER.file, policy_id)
        ws = wb[wt.LEDGER.sheet]
        _meta(ws, "" if agent == NO_AGENT else agent, today)
        _write_list(ws, wt.LEDGER, ledger_values(members))
        name = wt.LEDGER.file if len(by_agent) == 1 else f"{Path(wt.LEDGER.file).stem}-{safe_file_name(agent)}.xlsx"
        path = into / name
        written.append((path, _save(wb, path)))
        step(f"{wt.LEDGER.sheet} {agent}")

    if forms:
        wb = wt.workbook(wt.APPLICATION_FILE, policy_id)   # built once; every unit sets the same cells
        ws = wb[wt.APPLICATION_SHEET]
        for number, summary in enumerate(units, 1):
            for key, value in application_values(summary).items():
                cell = ws[wt.APPLICATION_CELLS[key]]
                set_text(cell, mask_ids_in(value)) if isinstance(value, str) else setattr(cell, "value", value)
            if len(units) == 1:
                path = into / wt.APPLICATION_FILE
            else:
                path = into / "application_forms" / f"{number:05d}-{safe_file_name(mask_ids_in(summary.unit))}.xlsx"
            written.append((path, _save(wb, path)))
            step(f"{wt.APPLICATION_SHEET} {summary.unit}")
    return written
