"""Handlers for the 职工互助 ribbon buttons: thin adapters between Excel and the services.

Each handler takes the workbook (``xw.Book.caller()`` when called from Excel; tests pass a
fake), calls the same service as the command line and reports back in a Chinese message
box. A problem the clerk can fix (MutualAidError) becomes a message, never a traceback.
Which button runs which handler: ``addin_build.BUTTONS`` and ``mutualaid_xl/buttons/``.
"""

from __future__ import annotations

from .errors import MutualAidError
from .policy import default_policy_id, get_policy, list_policies
from .workbook_templates import POLICY_NAME, SETTINGS_CELLS, SETTINGS_SHEET, fee_standard_text

TITLE = "职工互助"


def _caller(book):
    if book is not None:
        return book
    import xlwings as xw

    return xw.Book.caller()


def _alert(book, message: str, title: str) -> str:
    book.app.alert(message, title=f"{TITLE}：{title}")
    return message


def _named_cell(book, name: str):
    """The cell a workbook-level defined name points to, or None."""
    for defined in book.names:
        if defined.name == name:
            return defined.refers_to_range
    return None


def _add_settings_sheet(book):
    """A 设置 sheet laid out like the templates' (方案编号 in B3), listing the available policies."""
    sheet = book.sheets.add(SETTINGS_SHEET, after=book.sheets[-1])
    ref = SETTINGS_CELLS[POLICY_NAME]
    row = ref[1:]
    sheet.range("A1").value = "设置（本工作簿的公式都按这里的方案计算）"
    sheet.range(f"A{row}").value = POLICY_NAME
    cell = sheet.range(ref)
    cell.number_format = "@"
    cell.value = default_policy_id()
    sheet.range(f"C{row}").value = "方案（每期政策）编号：从下表选一个填入左边单元格"
    table = [["可用方案", "名称", "地区", "期次"]] + [[p.id, p.name, p.region, p.period] for p in list_policies()]
    sheet.range("A6").value = table
    book.names.add(POLICY_NAME, f"='{SETTINGS_SHEET}'!${ref[0]}${row}")
    return cell


def _policy_summary(policy) -> str:
    lines = [f"方案：{policy.title}", f"地区：{policy.region}　期次：{policy.period}",
             f"依据：{policy.documents[0]}"]
    if policy.fees is not None:
        lines.append(f"交费标准：{fee_standard_text(policy)}")
    if policy.participation is not None:
        lines.append(f"单位参互比例下限：{(policy.participation.min_ratio * 100).normalize():f}%")
    return "\n".join(lines)


def settings(book=None) -> str:
    """设置: show which policy the workbook uses and where to change it (adds a 设置 sheet if missing)."""
    book = _caller(book)
    cell = _named_cell(book, POLICY_NAME)
    added = False
    if cell is None:
        if any(sheet.name == SETTINGS_SHEET for sheet in book.sheets):
            return _alert(book, f"工作表“{SETTINGS_SHEET}”已存在，但没有名为“{POLICY_NAME}”的单元格。"
                                f"请在该表选一个单元格填入方案编号，并在“公式→名称管理器”中把它命名为“{POLICY_NAME}”；"
                                f"或把本工作簿的数据复制到职工互助的模板中。", "设置")
        cell = _add_settings_sheet(book)
        added = True
    where = f"工作表“{cell.sheet.name}”单元格 {cell.address.replace('$', '')}"
    value = cell.value
    lines = [f"已添加工作表“{SETTINGS_SHEET}”。" if added else ""]
    try:
        if value is None or str(value).strip() == "":
            policy = get_policy(None)
            lines.append(f"{POLICY_NAME}未填写，按默认方案计算。")
        else:
            policy = get_policy(str(value).strip())
        lines.append(_policy_summary(policy))
    except MutualAidError as error:
        lines.append(f"{POLICY_NAME}“{value}”有误：{error.message}")
    lines.append(f"修改：在{where}填入其他方案编号（mutualaid policies 列出全部方案），"
                 f"然后按 Ctrl+Alt+F9 重算全部公式。")
    cell.sheet.activate()
    cell.select()
    return _alert(book, "\n".join(line for line in lines if line), "设置")
