"""The per-row pass over one roster sheet: names, ID numbers (vectorised), duplicates across the
run, fee and category verdicts, ages on the enrolment date, sex and birth date; counts per unit."""

from __future__ import annotations

from pathlib import Path

from ...rules.id_columns import check_ids
from ...rules.idcard import birth_date, sex as id_sex
from ...rules.values import is_blank
from ..sheets import Header, Sheet, looks_like_formula
from .fields import check_member_fields
from .model import _FORMULA_OR_SPACE, _KEY_FIELDS, ERROR, FIELDS, WARNING, UnitSummary, _shown, _text


def check_rows(checker, sheet: Sheet, header: Header, agent: str, sheet_unit: str, stated_staff, on):
    """Check every member row of one sheet and count it for its unit (``checker``: the RosterChecker
    whose result, caches and problem list the rows go to)."""
    cols = header.columns
    titles = header.titles
    width = max(cols.values()) + 1
    data = sheet.rows[header.row_index + 1:]
    first = header.row_index + 1
    get = {key: cols.get(key) for key in FIELDS}
    cn, ci, cc, cm, cf = (get[k] for k in _KEY_FIELDS)
    cu, cs, cb, co = get["unit"], get["sex"], get["birth"], get["on"]
    has_fee = cf is not None
    indexes, ids = [], []
    for offset, row in enumerate(data):
        if len(row) < width:
            row = list(row) + [""] * (width - len(row))
            data[offset] = row
        value = row[ci]
        if (value is None or value == "" or (isinstance(value, str) and not value.strip())) and all(
                is_blank(row[c]) for c in (cn, cc, cm, cf) if c is not None):
            continue
        indexes.append(offset)
        ids.append(row[ci])
    canonical, id_reasons = check_ids(ids)
    checker.result.rows_checked += len(indexes)
    units = checker.result.units
    add = checker.add
    verdicts, ages = checker.members.verdicts, checker.members.ages
    file = sheet.file
    current_unit = None
    summary = None
    for n, offset in enumerate(indexes):
        row = data[offset]
        r = first + offset
        unit_name = sheet_unit
        if cu is not None:
            value = row[cu]
            if not is_blank(value):
                unit_name = value.strip() if type(value) is str else _text(value)
        if unit_name != current_unit:
            current_unit = unit_name
            summary = units.get(unit_name)
            if summary is None:
                summary = units[unit_name] = UnitSummary(
                    unit_name, agent, where=(file, sheet.name, titles.get("category", "")))
                if cu is None and stated_staff is not None:
                    summary.stated_staff = stated_staff
            if file not in summary.files:
                summary.files.append(file)
        name = row[cn]
        if not name or type(name) is not str or name[0] in _FORMULA_OR_SPACE:
            if is_blank(name):
                add(ERROR, "姓名为空", sheet, r, cn, titles["name"])
            elif looks_like_formula(name):
                add(WARNING, "姓名以 = + - @ 开头，像公式（可能是误粘贴或恶意内容）；报告中按文字保存，请核对",
                    sheet, r, cn, titles["name"], _shown("name", name))
        key = (row[cc], row[cm] if cm is not None else None, row[cf] if has_fee else None, has_fee)
        verdict = verdicts.get(key) or checker.members.verdict(key)
        for key, severity, reason in verdict.problems:
            col = cols.get(key, cc)
            add(severity, reason, sheet, r, col, titles.get(key, ""), _shown(key, row[col]))
        id18 = canonical[n]
        if id18 is None:
            reason = id_reasons[n]
            reason = f"身份证号中的{reason}" if reason.startswith("出生日期") else (
                reason if reason.startswith("身份证号") else f"身份证号{reason}")
            add(ERROR, reason, sheet, r, ci, titles["id_number"],
                _shown("id_number", ids[n]))
        else:
            before = checker.seen.get(id18)
            if before is None:
                checker.seen[id18] = (file, sheet.name, sheet.excel_row(r), unit_name)
            else:
                other_file, other_sheet, other_row, other_unit = before
                if other_file == file and other_sheet == sheet.name:
                    where = f"第 {other_row} 行"
                else:
                    where = f"文件 {Path(other_file).name} 工作表「{other_sheet}」第 {other_row} 行"
                if other_unit != unit_name:
                    where += f"（单位：{other_unit}）"
                add(ERROR, f"身份证号与{where}重复：同一人只能参加一份", sheet, r, ci, titles["id_number"],
                    _shown("id_number", id18))
            row_on, dated = on, False
            if co is not None and not is_blank(row[co]):
                parsed = checker.date(row[co])
                if isinstance(parsed, str):
                    add(ERROR, f"参互日期{parsed}", sheet, r, co, titles["on"], _shown("on", row[co]))
                    row_on = None
                else:
                    row_on, dated = checker.on or parsed, checker.on is None
            elif row_on is None:
                row_on = checker.default_on
            if verdict.enrolled and verdict.role and row_on is not None:
                age_key = (id18[6:14], verdict.category, row_on)
                reason = ages[age_key] if age_key in ages else checker.members.age(id18, verdict.category, row_on)
                if reason:
                    reason = reason.removeprefix("不符合：")
                    window = "办理时间" in reason or "工作日" in reason
                    if window and dated:
                        add(ERROR, f"参互日期{reason}", sheet, r, co, titles["on"], _shown("on", row[co]))
                    elif window:   # the run's date itself: one problem, not one per row
                        checker.note_once(ERROR, f"参互日期{reason}")
                    elif "周岁" in reason:
                        add(ERROR, reason, sheet, r, cc, titles["category"], _shown("category", row[cc]))
                    else:
                        add(ERROR, reason, sheet, r, ci, titles["id_number"], _shown("id_number", id18))
            if cs is not None and row[cs] and row[cs] != id_sex(id18) and _text(row[cs]) != id_sex(id18):
                add(WARNING, f"性别“{_text(row[cs])}”与身份证号（{id_sex(id18)}）不符", sheet, r, cs,
                    titles["sex"], _text(row[cs]))
            if cb is not None and not is_blank(row[cb]):
                parsed = checker.date(row[cb])
                if isinstance(parsed, str):
                    add(WARNING, f"出生日期{parsed}", sheet, r, cb, titles["birth"], _shown("birth", row[cb]))
                elif parsed != birth_date(id18):
                    add(WARNING, f"出生日期 {parsed} 与身份证号中的 {birth_date(id18)} 不符", sheet, r, cb,
                        titles["birth"], _shown("birth", row[cb]))
            if verdict.enrolled:
                check_member_fields(checker, sheet, r, row, header, verdict)
        role = verdict.role
        if verdict.enrolled:
            if role == "在职":
                summary.active += 1
                summary.listed_active += 1
            elif role == "退休":
                summary.retired += 1
            if verdict.membership == "续互":
                summary.renewed += 1
            elif verdict.membership == "新参互":
                summary.new += 1
            if verdict.fee is not None:
                summary.amount += verdict.fee
        else:
            summary.not_joining += 1
            if role != "退休":
                summary.listed_active += 1
