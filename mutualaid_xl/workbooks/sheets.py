"""Reading clerks' workbooks fast and safely, and writing outputs without losing data.

Reading: python-calamine for .xlsx/.xlsm/.xls/.ods (many times faster than openpyxl), the
csv module for .csv; every file passes ``guard.check`` (sizes, zip bombs, DTDs, the real
extent of each sheet) before a parser sees it. A ``Sheet`` keeps the values as a list of rows plus the position of
the first cell, so every value can be named the way the clerk sees it ("C17"). The same
``Sheet`` is built by the ribbon from a range already open in Excel. Input files are only
ever opened for reading.

Writing: ``write_atomic`` writes to a temp file in the target's folder and renames it;
an existing file is first kept as NAME.bak-YYYYmmdd-HHMMSS.ext. ``text_cell``/``set_text``
store user text that starts with = + - @ as text, never as a formula.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from openpyxl.utils import get_column_letter

from ..errors import FileFormatError
from . import guard
from ..files import write_atomic  # noqa: F401 - the readers' callers write with it
from ..rules.idcard import mask_ids_in
from ..rules.values import normalize_text

SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptionInfo".encode("utf-16-le")
_SIGNATURES = (   # what a file that is not a spreadsheet usually is
    (b"%PDF", "PDF 文件"),
    (b"\x89PNG", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF8", "GIF 图片"),
    (b"Rar!", "RAR 压缩包"),
    (b"7z\xbc\xaf", "7z 压缩包"),
    (b"{\\rtf", "RTF 文档"),
)


@dataclass
class Sheet:
    """One worksheet's values: ``rows[i][j]`` is the cell at Excel row ``origin_row + i``,
    column ``origin_col + j``. Empty cells are '' or None."""

    name: str
    rows: list[list]
    file: str = ""
    origin_row: int = 1
    origin_col: int = 1
    hidden: bool = False
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # (row1, col1, row2, col2), 1-based

    def excel_row(self, index: int) -> int:
        return self.origin_row + index

    def letter(self, index: int) -> str:
        return column_letter(self.origin_col + index)


@lru_cache(maxsize=512)
def column_letter(number: int) -> str:
    return get_column_letter(number)


# ------------------------------------------------------------------ reading


def _kind(path: Path, head: bytes) -> str:
    """'zip', 'ole', 'csv' or raise FileFormatError saying what the file is instead."""
    name = str(path)
    if not head:
        raise FileFormatError("文件是空的（0 字节），不是有效的表格；请重新导出或另存后再试", file=name)
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(_OLE):
        return "ole"
    for magic, what in _SIGNATURES:
        if head.startswith(magic):
            raise FileFormatError(f"这是 {what}，不是电子表格；请提供 Excel（.xlsx/.xls）、WPS/ODS 或 CSV 文件", file=name)
    sample = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if sample.startswith((b"<html", b"<!doctype html", b"<table", b"<?xml")):
        raise FileFormatError(
            "这是网页（HTML/XML）格式的文件，只是扩展名像表格；请用 Excel 打开后“另存为”.xlsx 再处理", file=name)
    if path.suffix.lower() in (".csv", ".txt"):
        return "csv"
    raise FileFormatError(
        f"不是可识别的电子表格（扩展名 {path.suffix or '无'}）；请提供 .xlsx、.xls、.ods 或 .csv 文件", file=name)


def _check_zip(path: Path) -> None:
    with zipfile.ZipFile(path) as archive:   # guard.check has opened it already
        names = set(archive.namelist())
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names or "content.xml" in names:
        return
    if "word/document.xml" in names:
        raise FileFormatError("这是 Word 文档（.docx），不是电子表格", file=str(path))
    if "ppt/presentation.xml" in names:
        raise FileFormatError("这是 PowerPoint 演示文稿，不是电子表格", file=str(path))
    raise FileFormatError("这是一个压缩包，里面没有工作簿，不是电子表格", file=str(path))


def _check_ole(path: Path) -> None:
    # An encrypted .xlsx is an OLE container holding EncryptionInfo/EncryptedPackage streams.
    with open(path, "rb") as handle:
        directory_area = handle.read(1 << 20)
    if _ENCRYPTED_STREAM in directory_area or path.suffix.lower() in (".xlsx", ".xlsm"):
        raise FileFormatError(
            "文件设置了打开密码（已加密），程序无法读取；请在 Excel 中打开，"
            "“文件—信息—保护工作簿—用密码进行加密”清空密码后保存，再处理", file=str(path))


def _decode_csv(data: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileFormatError("CSV 文件的文字编码无法识别（应为 UTF-8 或 GBK）", file=str(path))  # pragma: no cover


def _read_csv(path: Path) -> list[Sheet]:
    text = _decode_csv(path.read_bytes(), path)
    if "\x00" in text:
        raise FileFormatError("不是文本表格（含二进制内容），不能按 CSV 读取", file=str(path))
    try:
        rows = [list(row) for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error:
        raise FileFormatError("CSV 文件中有一格文字超过 128 KB（或引号不成对），不是名册数据", file=str(path)) from None
    limits = guard.Limits.from_env()
    if len(rows) * max(map(len, rows), default=1) > limits.cells:
        raise FileFormatError(f"CSV 文件范围太大（超过 {limits.cells:,} 个单元格，可用环境变量 MUTUALAID_LIMIT_CELLS 调整）",
                              file=str(path))
    return [Sheet(name=path.stem, rows=rows, file=str(path))]


def _calamine_error(error: Exception, path: Path) -> FileFormatError:
    text = str(error)
    if "password" in text.lower() or type(error).__name__ == "PasswordError":
        return FileFormatError("文件设置了密码，程序无法读取；请取消密码后另存再处理", file=str(path))
    detail = text.splitlines()[0][:120] if text else type(error).__name__
    return FileFormatError(f"文件已损坏或格式不完整，无法读取（{detail}）；请在 Excel 中打开后另存再试", file=str(path))


def read_sheets(path: Path | str, *, skip_hidden: bool = False) -> list[Sheet]:
    """All worksheets of a workbook, never modifying the file (hidden ones come with no rows
    when ``skip_hidden``).

    Raises FileFormatError with a Chinese reason for files that are missing, empty, not
    spreadsheets, encrypted or corrupt.
    """
    import python_calamine

    path = Path(path)
    if not path.exists():
        raise FileFormatError("找不到文件", file=str(path))
    if path.is_dir():
        raise FileFormatError("这是文件夹，不是表格文件", file=str(path))
    with open(path, "rb") as handle:
        head = handle.read(512)
    kind = _kind(path, head)
    scans = guard.check(path, kind)
    if kind == "csv":
        return _read_csv(path)
    if kind == "zip":
        _check_zip(path)
    else:
        _check_ole(path)
    sheets = []
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        try:
            for meta in book.sheets_metadata:
                if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                    continue
                hidden = meta.visible != python_calamine.SheetVisibleEnum.Visible
                if hidden and skip_hidden:
                    sheets.append(Sheet(name=meta.name, rows=[], file=str(path), hidden=True))
                    continue
                scan = scans.get(meta.name, guard.SheetScan())
                sheet = book.get_sheet_by_name(meta.name)
                guard.check_extent(path, meta.name, sheet.total_height, sheet.total_width)   # .xls: not scanned
                rows = sheet.to_python(skip_empty_area=False)
                merged = [(a[0] + 1, a[1] + 1, b[0] + 1, b[1] + 1) for a, b in (sheet.merged_cell_ranges or [])]
                for row, col, text in scan.errors:
                    if row <= len(rows) and col <= len(rows[row - 1]):
                        rows[row - 1][col - 1] = text
                sheets.append(Sheet(name=meta.name, rows=rows, file=str(path), hidden=hidden, merged=merged))
        finally:
            book.close()
    except FileFormatError:
        raise
    except Exception as error:  # calamine's own errors (zip, xml, password, cfb) all mean: unreadable
        raise _calamine_error(error, path) from None
    return sheets


# ------------------------------------------------------------------ headers


def header_key(value) -> str:
    """A header cell as comparable text: NFKC, no spaces or line breaks, no * or ：, no trailing (...)."""
    if value is None:
        return ""
    text = normalize_text(str(value))
    text = re.sub(r"[\s*＊:：]", "", text)
    return text


def _bare(text: str) -> str:
    return re.sub(r"[(（\[【].*?[)）\]】]$", "", text)


@dataclass
class Header:
    row_index: int                      # index into Sheet.rows of the (last) header row; data follows
    columns: dict[str, int]             # field key -> column index into the row
    titles: dict[str, str]              # field key -> the header text as written
    top_index: int = 0                  # first header row (differs for a two-level header)
    notes: list[tuple[str, int, int | None, str]] = field(default_factory=list)  # (reason, row, column, severity)


def find_header(sheet: Sheet, fields: dict[str, tuple[str, ...]], *, scan: int = 30) -> Header | None:
    """The row (among the first ``scan``) whose cells name most of ``fields``.

    ``fields`` maps a key to its accepted header texts (synonyms). A header matches exactly
    or after dropping a trailing note in brackets ("身份证号（18位）"). Returns None when no
    row names at least two fields.
    """
    lookup = {header_key(word): key for key, words in fields.items() for word in words}

    def match(row) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for col, value in enumerate(row):
            if isinstance(value, str) and value:
                text = header_key(value)
                key = lookup.get(text) or lookup.get(_bare(text))
                if key:
                    found.setdefault(key, []).append(col)
        return found

    rows = sheet.rows[:scan + 1]
    matches = [match(row) for row in rows]
    best: tuple[int, int, dict, dict] | None = None
    spans = [(r1 - sheet.origin_row, r2 - sheet.origin_row) for r1, _c1, r2, _c2 in sheet.merged if r2 > r1]
    for index, found in enumerate(matches):
        # a two-level header (names merged down over two rows, sub-headers under a group title)
        two_level = index + 1 < len(matches) and any(r1 <= index < r2 for r1, r2 in spans)
        below = {k: v for k, v in matches[index + 1].items() if k not in found} if two_level else {}
        count = len(found) + len(below)
        if len(found) >= 1 and count >= 2 and (best is None or count > best[1]):
            best = (index, count, found, below)
    if best is None:
        return None
    index, _count, found, below = best
    titles = {k: header_key(sheet.rows[index][cols[0]]) for k, cols in found.items()}
    titles.update({k: header_key(sheet.rows[index + 1][cols[0]]) for k, cols in below.items()})
    found = {**found, **below}
    header = Header(index + 1 if below else index, {k: cols[0] for k, cols in found.items()}, titles, index)
    for key, cols in found.items():
        if len(cols) > 1:
            others = "、".join(sheet.letter(c) for c in cols[1:])
            header.notes.append((f"表头“{header.titles[key]}”出现多次，按第一列 {sheet.letter(cols[0])} 读取，"
                                 f"忽略 {others} 列", header.row_index, cols[1], "提醒"))
    first_row, last_row = sheet.excel_row(index), sheet.excel_row(header.row_index)
    for row1, col1, row2, col2 in sheet.merged:
        if row1 <= last_row and row2 >= first_row and (col2 > col1 or row2 > row1):
            first = col1 - sheet.origin_col
            span = f"{column_letter(col1)}{row1}:{column_letter(col2)}{row2}"
            header.notes.append((f"表头单元格 {span} 是合并单元格；已按左上角的表头读取，"
                                 "建议取消合并，每列一个表头", row1 - sheet.origin_row, first if first >= 0 else None,
                                 "提醒"))
    return header


def blank_header_columns(sheet: Sheet, header: Header, data_rows: int = 200) -> list[int]:
    """Columns with data below the header but no header text: their values would be lost."""
    heads = sheet.rows[header.top_index: header.row_index + 1]
    below = sheet.rows[header.row_index + 1: header.row_index + 1 + data_rows]
    width = max((len(r) for r in below), default=0)
    missing = []
    for col in range(width):
        if any(col < len(head) and head[col] not in (None, "") and str(head[col]).strip() for head in heads):
            continue
        if any(col < len(r) and r[col] not in (None, "") for r in below):
            missing.append(col)
    return missing


# ------------------------------------------------------------------ writing


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def set_text(cell, value):
    """Assign ``value``; text that Excel could take for a formula is stored as text."""
    cell.value = value
    if looks_like_formula(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def csv_field(value) -> str:
    """A CSV field no spreadsheet runs: text starting with = + - @ tab or CR gets a leading '
    (OWASP's rule against CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def text_row(ws, values) -> list:
    """A write-only row: every text value through ``text_cell``."""
    return [text_cell(ws, v) if isinstance(v, str) else v for v in values]


def text_cell(ws, value):
    """A write-only cell for ``value`` (same rule as ``set_text``)."""
    from openpyxl.cell import WriteOnlyCell

    if not looks_like_formula(value):
        return value
    return set_text(WriteOnlyCell(ws), value)


OUTPUT_MARK = "mutualaid 输出"   # in the workbook's keywords: reports and filled forms, never templates
REPORT_SUFFIX = ".校验报告.xlsx"


def mark_output(wb) -> None:
    """Mark a workbook the tool wrote, so that reading a folder of rosters skips it."""
    wb.properties.keywords = OUTPUT_MARK


def is_tool_output(path: Path) -> bool:
    """A report, filled form, backup, temp or lock file of this tool (or an Office ~$ lock file)."""
    name = path.name
    if name.startswith(("~$", ".")) or name.endswith(REPORT_SUFFIX) or ".bak-" in name:
        return True
    if path.suffix.lower() not in {".xlsx", ".xlsm"}:
        return False
    try:
        with zipfile.ZipFile(path) as book:
            info = book.getinfo("docProps/core.xml")
            return info.file_size < 1_000_000 and OUTPUT_MARK.encode() in book.read(info)
    except (KeyError, OSError, zipfile.BadZipFile):
        return False


def report_row(ws, values) -> list:
    """A write-only report row: every text value through ``report_cell``."""
    return [report_cell(ws, v) for v in values]


def report_cell(ws, value):
    """A write-only cell for a report a clerk may pass on: text has every ID number masked."""
    return text_cell(ws, mask_ids_in(value) if isinstance(value, str) else value)


def fast_workbook(path: Path | str):
    """An xlsxwriter workbook for large outputs: constant-memory mode (each row goes to disk as
    it is written), and text is never turned into a formula, a number or a hyperlink."""
    import xlsxwriter

    path = Path(path)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "strings_to_numbers": False,
                                         "tmpdir": str(path.parent)})
    wb.set_properties({"keywords": OUTPUT_MARK})   # a tool output: folder runs skip it
    return wb


class RowWriter:
    """Appends rows of Python values to an xlsxwriter sheet, each value by its type; text that
    Excel could take for a formula is stored as text with a quote prefix (as ``set_text``)."""

    def __init__(self, wb, ws):
        self.ws, self.row = ws, 0
        self.quoted = wb.add_format({"quote_prefix": True})
        self.date = wb.add_format({"num_format": "yyyy-mm-dd"})

    def append(self, values, formats=None) -> None:
        ws, row = self.ws, self.row
        for col, value in enumerate(values):
            kind = type(value)
            if value is None:
                continue
            style = formats[col] if formats else None
            if kind is str:
                ws.write_string(row, col, value, self.quoted if value.startswith(FORMULA_START) else style)
            elif kind is bool:
                ws.write_boolean(row, col, value, style)
            elif kind in (int, float, Decimal) and math.isfinite(value):
                ws.write_number(row, col, value, style)
            elif isinstance(value, (dt.date, dt.time, dt.timedelta)):
                ws.write_datetime(row, col, value, style or self.date)
            else:
                ws.write_string(row, col, str(value), style)
        self.row += 1


def add_notes_sheet(wb, lines) -> None:
    """A 说明 sheet (one line of text a row) at the end of a write-only report workbook."""
    ws = wb.create_sheet("说明")
    ws.column_dimensions["A"].width = 100
    for line in lines:
        ws.append([report_cell(ws, line)])


def template_setting(sheets: list[Sheet], name: str):
    """A value the templates keep on their 设置 sheet (方案编号, 参互日期), or None."""
    from .templates import SETTINGS_CELLS, SETTINGS_SHEET

    ref = SETTINGS_CELLS[name]
    row, col = int(ref[1:]) - 1, ord(ref[0]) - ord("A")
    for sheet in sheets:
        if sheet.name == SETTINGS_SHEET:
            r, c = row - (sheet.origin_row - 1), col - (sheet.origin_col - 1)
            if 0 <= r < len(sheet.rows) and 0 <= c < len(sheet.rows[r]):
                value = sheet.rows[r][c]
                return None if value is None or (isinstance(value, str) and not value.strip()) else value
    return None
