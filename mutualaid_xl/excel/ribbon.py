"""Handlers for the 职工互助 ribbon buttons: thin adapters between Excel and the services.

Each handler takes the workbook (``xw.Book.caller()`` when called from Excel; tests pass a
fake), calls the same service as the command line and reports back in a Chinese message
box. A problem the clerk can fix (MutualAidError) becomes a message, never a traceback.
Every button calls the add-in's one VBA callback, which passes the button's id to
``run_button``; which id runs which handler: ``excel.addin.BUTTONS``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from ..errors import InputError, MutualAidError, os_reason
from ..files import temp_folder
from ..rules.policy import default_policy_id, get_policy, list_policies
from ..workbooks.sheets import Sheet
from ..rules.values import is_blank, parse_date
from ..workbooks.templates import DATE_NAME, POLICY_NAME, SETTINGS_CELLS, SETTINGS_SHEET, fee_standard_text

TITLE = "职工互助"
PROBLEMS_SHEET, UNITS_SHEET = "校验结果", "单位汇总"
SEAL_NAME = "印章文件"     # optional defined name: the path of the seal image
SEAL_FILE = "印章.png"     # else this file beside the workbook


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


# ------------------------------------------------------------------ reading the workbook


def _guard(book, title: str, work) -> str:
    """Run ``work()`` (returns the message); a problem the clerk can fix becomes the message."""
    try:
        message = work()
    except MutualAidError as error:
        message = f"没有完成：{error}"
    except OSError as error:  # e.g. an output file open in Excel or WPS, a read-only folder
        message = f"没有完成：无法读写文件 {error.filename or ''}（{os_reason(error)}）；如该文件正在打开，请先关闭再试"
    return _alert(book, message, title)


def _setting(book, name: str):
    cell = _named_cell(book, name)
    value = None if cell is None else cell.value
    return None if is_blank(value) else value


def _policy_id(book) -> str | None:
    value = _setting(book, POLICY_NAME)
    return None if value is None else str(value).strip()


def _on_date(book) -> dt.date | None:
    value = _setting(book, DATE_NAME)
    return None if value is None else parse_date(value, DATE_NAME)


def _sheets(book) -> list[Sheet]:
    """The workbook's sheets as open in Excel (unsaved edits included), without 设置 and our reports."""
    sheets = []
    for sheet in book.sheets:
        if sheet.name in (SETTINGS_SHEET, PROBLEMS_SHEET, UNITS_SHEET):
            continue
        used = sheet.used_range
        sheets.append(Sheet(sheet.name, used.options(ndim=2).value, file=book.fullname, origin_row=used.row,
                            origin_col=used.column, hidden=not sheet.visible))
    return sheets


def _validate(book):
    from ..workbooks import roster

    return roster.validate(_sheets(book), policy=_policy_id(book), on=_on_date(book))


def _workbook_path(book) -> Path:
    fullname = str(book.fullname)
    path = Path(fullname)
    if "://" in fullname or not path.is_absolute():
        raise InputError("请先把工作簿保存到本机文件夹（生成的文件放在工作簿旁边）", file=fullname)
    return path


def _beside(book, what: str) -> Path:
    """``<workbook folder>/<workbook name>-<what>``: where generated files go."""
    path = _workbook_path(book)
    return path.parent / f"{path.stem}-{what}"


def _cell(value):
    return float(value) if isinstance(value, Decimal) else value


def _write_report(book, name: str, headers, rows, text_columns: str):
    """Write a report sheet of ours: a new sheet, or our earlier report of that name rewritten.

    Columns holding the clerk's text are formatted as text first, so a value such as
    "=1+1" stays text instead of becoming a formula.
    """
    existing = next((s for s in book.sheets if s.name == name), None)
    if existing is not None:
        if existing.range("A1").value != headers[0] or existing.range("B1").value != headers[1]:
            raise InputError(f"工作簿里已有一个不是本程序生成的“{name}”工作表；请把它改名后再试", sheet=name)
        existing.clear_contents()
        sheet = existing
    else:
        sheet = book.sheets.add(name, after=book.sheets[-1])
    last = len(rows) + 1
    for letter in text_columns:
        sheet.range(f"{letter}1:{letter}{last}").number_format = "@"
    sheet.range("A1").value = [list(headers)] + [[_cell(v) for v in row] for row in rows]
    return sheet


# ------------------------------------------------------------------ the buttons


def run_button(control_id: str, book=None) -> str:
    """The ribbon's one entry point: the add-in's ``OnButton`` passes the pressed button's id."""
    from .addin import BUTTONS

    handler = next((b.handler for b in BUTTONS if b.id == control_id), None)
    if handler is None:
        return _alert(_caller(book), f"没有按钮“{control_id}”对应的功能：加载项与已安装的程序版本不一致，"
                                     f"请关闭 Excel 后重新运行 mutualaid addin install", "按钮")
    return globals()[handler](book)


def validate_roster(book=None) -> str:
    """校验名册: validate the roster sheets; problems go to a 校验结果 sheet, the roster stays as it is."""
    from ..workbooks import roster

    book = _caller(book)

    def work():
        result = _validate(book)
        rows = roster.problem_rows(result) or [[None] * 7 + ["未发现问题", None]]
        sheet = _write_report(book, PROBLEMS_SHEET, roster.PROBLEM_HEADERS, rows, "CDGHI")
        _write_report(book, UNITS_SHEET, roster.UNIT_HEADERS, roster.unit_rows(result), "ABDL")
        sheet.activate()
        return "\n".join([*roster.notes(result),
                          f"问题清单见工作表“{PROBLEMS_SHEET}”，各单位人数与参互比例见“{UNITS_SHEET}”。"])

    return _guard(book, "校验名册", work)


def fill_summaries(book=None) -> str:
    """填写汇总表: 参互申请表, 参互单位台账 and 年度参互汇总表 filled from this roster, beside the workbook."""
    from ..workbooks import fill

    book = _caller(book)

    def work():
        result = _validate(book)
        folder = _beside(book, "报表")
        written = fill.fill_forms(result, folder)
        lines = [f"已填写 {len(written)} 个文件，位于 {folder}："]
        lines += [f"  {path.relative_to(folder)}" + (f"（旧文件备份为 {backup.name}）" if backup else "")
                  for path, backup in written]
        if result.errors or result.warnings:
            lines.append(f"注意：名册有 {result.errors} 个错误、{result.warnings} 个提醒，"
                         f"请按“校验名册”查看并改正后重新填写。")
        return "\n".join(lines)

    return _guard(book, "填写汇总表", work)


def compute_claims(book=None) -> str:
    """计算补助: the whole claims register recomputed by the engine into a new workbook, which is opened."""
    from ..workbooks import claims

    book = _caller(book)

    def work():
        out = _beside(book, "补助计算.xlsx")
        with temp_folder(out.parent) as tmp:   # the snapshot holds personal data: never the system temp folder
            result = claims.compute_register(_snapshot(book, tmp), _policy_id(book))
        backup = claims.write_result(result, out)
        book.app.books.open(str(out))
        lines = [*claims.notes(result), f"结果已写入 {out}（已打开）。"]
        if backup:
            lines.append(f"原有结果文件已备份为 {backup.name}。")
        if result.problems:
            lines.append(f"有 {len(result.problems)} 个问题，见结果工作簿的“问题”表。")
        return "\n".join(lines)

    return _guard(book, "计算补助", work)


def _produced(paths: list[Path]) -> str:
    return "\n".join(["已生成：", *(f"  {path}" for path in paths)])


def _snapshot(book, folder: Path) -> Path:
    """The workbook's values as open in Excel (unsaved edits included) saved as an .xlsx in ``folder``,
    for services that read files; the clerk's file is never touched."""
    from openpyxl import Workbook

    copy = Workbook()
    copy.remove(copy.active)
    for sheet in book.sheets:
        if sheet.name in (PROBLEMS_SHEET, UNITS_SHEET):
            continue
        used = sheet.used_range
        ws = copy.create_sheet(sheet.name)
        ws.sheet_state = "visible" if sheet.visible else "hidden"
        for i, row in enumerate(used.options(ndim=2).value):
            for j, value in enumerate(row):
                if not is_blank(value):
                    ws.cell(used.row + i, used.column + j, _cell(value))
    path = folder / f"{_workbook_path(book).stem}.xlsx"
    copy.save(path)
    return path


def _notice(book, seal_png: Path | None, pdf: bool) -> list[Path]:
    """The notice from this workbook's 字段/值 sheet, beside the workbook."""
    from ..documents import render as documents

    out = _beside(book, "通知.docx")
    with temp_folder(out.parent) as tmp:
        data = documents.load_data(_snapshot(book, tmp))
    return documents.render("notice", data, out, seal_png=seal_png, pdf=pdf)


def make_notice(book=None) -> str:
    """生成红头通知: the notice (Word) from this workbook's 字段/值 sheet (发文机关, 标题, 正文 …)."""
    book = _caller(book)
    return _guard(book, "生成红头通知", lambda: _produced(_notice(book, None, False)))


def make_application(book=None) -> str:
    """生成申请表: one 参互申请表 (Word) per unit of this roster, beside the workbook."""
    from ..documents import render as documents

    book = _caller(book)

    def work():
        result = _validate(book)
        produced = documents.render_applications(result, _beside(book, "申请表"))
        lines = [_produced(produced)]
        if result.errors:
            lines.append(f"注意：名册有 {result.errors} 个错误，请按“校验名册”查看并改正后重新生成。")
        return "\n".join(lines)

    return _guard(book, "生成申请表", work)


def _seal_png(book) -> Path:
    value = _setting(book, SEAL_NAME)
    path = Path(str(value).strip()) if value is not None else _workbook_path(book).parent / SEAL_FILE
    if not path.is_file():
        raise InputError(f"找不到印章图片 {path}：请把本单位提供的印章图片（透明背景 PNG）存为工作簿旁的“{SEAL_FILE}”，"
                         f"或在名为“{SEAL_NAME}”的单元格中填写其完整路径（演示可用 mutualaid seal specimen 生成样章）")
    return path


def stamp_pdf(book=None) -> str:
    """盖章并导出PDF: the notice of this workbook with the seal over the signature, as .docx and PDF."""
    book = _caller(book)

    def work():
        produced = _notice(book, _seal_png(book), True)
        return _produced(produced) + "\n已记入盖章记录.csv；可用 mutualaid verify 文件 核验文件此后是否改动。"

    return _guard(book, "盖章并导出PDF", work)


STATS_YEAR_NAME = "统计年度"   # optional defined names of the register workbook for 运行统计
STATS_MONEY_NAMES = {"opening": "上期结余", "remitted": "上缴市总工会金额", "returned": "市总累计回拨金额"}
ROSTER_FOLDER = "名册"         # the rosters: this folder beside the workbook


def run_statistics(book=None) -> str:
    """运行统计: this claims register and the rosters in the 名册 folder beside it give the 运行情况统计表
    and the 收支公示 (张工办〔2020〕51号 附件1), written to ``<workbook>-运行统计`` and opened. The year is
    the defined name 统计年度 (else this year); 上期结余, 上缴市总工会金额 and 市总累计回拨金额 come from
    defined names of those names when the workbook has them, else the clerk types them into the sheet."""
    from ..documents.fund_statement import write_statement
    from ..rules.values import parse_decimal, parse_whole
    from ..workbooks import stats

    book = _caller(book)

    def work():
        path = _workbook_path(book)
        rosters = path.parent / ROSTER_FOLDER
        if not rosters.is_dir():
            raise InputError(f"请把各单位的会员名册放在工作簿旁边的“{ROSTER_FOLDER}”文件夹中", file=str(rosters))
        year_value = _setting(book, STATS_YEAR_NAME)
        year = dt.date.today().year if year_value is None else parse_whole(year_value, STATS_YEAR_NAME)
        money = {key: None if _setting(book, name) is None else parse_decimal(_setting(book, name), name)
                 for key, name in STATS_MONEY_NAMES.items()}
        folder = _beside(book, "运行统计")
        with temp_folder(folder.parent) as tmp:   # the snapshot holds personal data: never the system temp folder
            register = _snapshot(book, tmp)
            result = stats.compute_stats([rosters], [register], year, policy=_policy_id(book), **money)
        out = folder / f"运行情况统计表_{year}.xlsx"
        stats.write_stats(result, out)
        made = write_statement(result, folder / f"互助金收支情况公示_{year}.docx", issuer=path.stem)
        book.app.books.open(str(out))
        lines = [f"{year}年度运行情况统计表已写入 {out}（已打开），收支公示：{made[0].name}。"]
        lines += [f"缺少：{name}" for name in result.missing]
        if result.problems:
            lines.append(f"有 {len(result.problems)} 个问题，见统计表的“数据来源”表。")
        return "\n".join(lines)

    return _guard(book, "运行统计", work)
