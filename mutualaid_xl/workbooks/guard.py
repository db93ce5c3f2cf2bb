"""Bounds every input file is checked against before a parser (calamine, openpyxl, lxml) sees it.

A crafted workbook can make a parser allocate without bound: one cell far away (calamine
allocates the whole rectangle up to it and aborts the process), a zip bomb, entity
expansion, deep nesting. So the package is checked first, by streaming its XML in chunks
with a time budget: zip entry count, sizes and compression ratio; no DTD at all (OOXML and
ODF never use one, so entities are refused, not resolved); nesting depth; the longest text
run (one cell); the real extent of every sheet from its cell references (the declared
<dimension> is not trusted). A file over a limit is refused with a Chinese message naming
the file and the limit (FileFormatError, exit code 2 on the command line).

The limits are in ``Limits``; each can be changed with an environment variable
MUTUALAID_LIMIT_<NAME> (for example MUTUALAID_LIMIT_CELLS=100000000). The defaults allow a
1,048,576-row sheet of normal width.
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FileFormatError

MB = 1 << 20
CHUNK = 16 * MB
DEPTH_STEP = MB          # nesting is checked at every step (small parts parsed by ElementTree: 4 KB)
EXCEL_ROWS, EXCEL_COLUMNS = 1_048_576, 16_384


@dataclass(frozen=True)
class Limits:
    file_mb: int = 1024          # file size on disk
    entries: int = 5000          # files inside the zip package
    unzipped_mb: int = 4096      # all XML parts together, uncompressed
    ratio: int = 200             # uncompressed / compressed size of a part over 1 MB
    sheets: int = 1000
    cells: int = 60_000_000      # rows x columns of one sheet (a million rows of 57 columns)
    cell_kb: int = 512           # text of one cell as stored in the XML (Excel allows 32,767 characters)
    depth: int = 1000            # XML nesting
    seconds: int = 120           # time for the whole check

    @classmethod
    def from_env(cls) -> "Limits":
        values = {}
        for item in dataclasses.fields(cls):
            name = f"MUTUALAID_LIMIT_{item.name.upper()}"
            text = os.environ.get(name)
            if text is None:
                continue
            if not text.strip().isdigit() or int(text) <= 0:
                raise FileFormatError(f"环境变量 {name} 应为正整数（现为 {text!r}）")
            values[item.name] = int(text)
        return cls(**values)


LIMIT_NAMES = {   # what each limit is called in messages and the README
    "file_mb": "文件大小（MB）", "entries": "压缩包内部件数", "unzipped_mb": "解压后 XML 总大小（MB）",
    "ratio": "压缩比", "sheets": "工作表数", "cells": "单个工作表的单元格范围（行×列）",
    "cell_kb": "单个单元格文字（KB）", "depth": "XML 嵌套层数", "seconds": "检查用时（秒）",
}


def _refuse(path: Path, limits: Limits, what: str, limit: str, sheet: str | None = None) -> FileFormatError:
    setting = f"MUTUALAID_LIMIT_{limit.upper()}"
    return FileFormatError(f"{what}，超过上限（{LIMIT_NAMES[limit]} {getattr(limits, limit):,}，"
                           f"可用环境变量 {setting} 调整），为安全起见不读取；请打开检查后另存再试",
                           file=str(path), sheet=sheet)


@dataclass
class SheetScan:
    errors: list[tuple[int, int, str]] = field(default_factory=list)   # (row, col, "#N/A"), 1-based
    rows: int = 0
    columns: int = 0


_REF_LETTERS = re.compile(rb' r="([A-Za-z]+)')          # a literal start: fast to find
_REF_DIGITS = re.compile(rb' r="[A-Za-z]*(\d+)')
_ANY_REF_LETTERS = re.compile(rb'\sr="([A-Za-z]+)')      # when some reference follows a tab or line break
_ANY_REF_DIGITS = re.compile(rb'\sr="[A-Za-z]*(\d+)')
_ROW = re.compile(rb"<row\b[^>]*?(?:/>|>.*?</row>)", re.S)
_CELLS = re.compile(rb"<c[\s>/]")
_TAG = re.compile(rb"<(c|row)([\s/][^>]*)?>")
_HAS_REFERENCE = re.compile(rb'\sr="')
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})(\d+)"')
_CELL_VALUE = re.compile(rb"<v>([^<]*)</v>")
_ODS_ROW = re.compile(rb"<table:table-row\b([^>]*?)(/>|>(.*?)</table:table-row>)", re.S)
_ODS_CELL = re.compile(rb"<table:(?:covered-)?table-cell\b([^>]*?)(/>|>(.*?)</table:(?:covered-)?table-cell>)", re.S)
_ROWS_REPEATED = re.compile(rb'number-rows-repeated="(\d+)"')
_COLUMNS_REPEATED = re.compile(rb'number-columns-repeated="(\d+)"')


def column_number(letters: bytes) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + char - 64
    return number


class _Budget:
    def __init__(self, path: Path, limits: Limits):
        self.path, self.limits = path, limits
        self.deadline = time.monotonic() + limits.seconds
        self.unzipped = 0

    def tick(self, size: int) -> None:
        self.unzipped += size
        if self.unzipped > self.limits.unzipped_mb * MB:
            raise _refuse(self.path, self.limits, f"解压后的内容超过 {self.limits.unzipped_mb:,} MB", "unzipped_mb")
        if time.monotonic() > self.deadline:
            raise _refuse(self.path, self.limits, f"检查文件用时超过 {self.limits.seconds} 秒", "seconds")


def _declared_entries(path: Path) -> int:
    """The entry count in the zip's end record, read before zipfile builds its whole directory."""
    with open(path, "rb") as handle:
        handle.seek(max(0, path.stat().st_size - 65_557))
        tail = handle.read()
    end = tail.rfind(b"PK\x05\x06")
    return int.from_bytes(tail[end + 10:end + 12], "little") if end >= 0 and len(tail) >= end + 12 else 0


def _open_zip(path: Path, limits: Limits) -> zipfile.ZipFile:
    if _declared_entries(path) > limits.entries:
        raise _refuse(path, limits, f"压缩包里有 {_declared_entries(path):,} 个部件（工作表或图片过多）", "entries")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise FileFormatError("文件已损坏（压缩结构不完整，可能下载或拷贝未完成），无法读取；请找回原文件",
                              file=str(path)) from None
    infos = archive.infolist()
    if len(infos) > limits.entries:
        archive.close()
        raise _refuse(path, limits, f"压缩包里有 {len(infos):,} 个部件（工作表或图片过多）", "entries")
    for info in infos:
        if info.file_size > MB and info.file_size > limits.ratio * max(info.compress_size, 1):
            archive.close()
            raise _refuse(path, limits, f"部件 {info.filename} 的压缩比为 {info.file_size // max(info.compress_size, 1):,} 倍"
                                "（疑似“压缩炸弹”）", "ratio")
    if sum(i.file_size for i in infos if _is_xml(i.filename)) > limits.unzipped_mb * MB:
        archive.close()
        raise _refuse(path, limits, "解压后的内容过大", "unzipped_mb")
    return archive


def _is_xml(name: str) -> bool:
    return name.lower().endswith((".xml", ".rels"))


def _stream(archive: zipfile.ZipFile, name: str, budget: _Budget, cut_at: bytes = b"<", step: int = DEPTH_STEP):
    """The part's bytes in segments that end just before a ``cut_at`` tag (so no tag is split),
    after the checks every XML part gets: no DTD, UTF-8, bounded depth and text runs."""
    path, limits = budget.path, budget.limits
    run = limits.cell_kb * 1024   # text this long has no "<" in some aligned window of this size, or is longer
    depth, carry, first = 0, b"", True
    try:
        with archive.open(name) as stream:
            while True:
                chunk = stream.read(CHUNK)
                budget.tick(len(chunk))
                data = carry + chunk
                if first and data[:2] in (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<"):
                    raise FileFormatError(f"部件 {name} 不是 UTF-8 编码的 XML（Excel、WPS 和 Word 只写 UTF-8），"
                                          "可能是恶意构造的文件，为安全起见不读取", file=str(path))
                first = False
                if not chunk:
                    segment, carry = data, b""
                else:
                    cut = data.rfind(cut_at)
                    if cut <= 0 or len(data) - cut > MB:   # a row longer than 1 MB: cut before any tag
                        cut = data.rfind(b"<")
                    cut = cut if cut > 0 else len(data)
                    segment, carry = data[:cut], data[cut:]
                    if len(carry) > 2 * run:
                        raise _refuse(path, limits, f"部件 {name} 中有超过 {limits.cell_kb:,} KB 的单元格文字", "cell_kb")
                if b"<!DOCTYPE" in segment or b"<!ENTITY" in segment:
                    raise FileFormatError(f"部件 {name} 含有 DTD/实体声明（Excel、WPS 和 Word 保存的文件没有），"
                                          "可能是恶意构造的文件，为安全起见不读取", file=str(path))
                for start in range(0, len(segment), run):
                    if len(segment) - start >= run and segment.find(b"<", start, start + run) < 0:
                        raise _refuse(path, limits, f"部件 {name} 中有超过 {limits.cell_kb:,} KB 的单元格文字", "cell_kb")
                depth -= segment.count(b"<?") + segment.count(b"<!")   # declarations and comments open nothing
                for start in range(0, len(segment), step):
                    window = (start, start + step)
                    depth += segment.count(b"<", *window) - 2 * segment.count(b"</", *window) \
                        - segment.count(b"/>", *window)
                    if depth > limits.depth:
                        raise _refuse(path, limits, f"部件 {name} 的 XML 嵌套超过 {limits.depth:,} 层（疑似恶意构造）", "depth")
                yield segment
                if not chunk:
                    return
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
        raise FileFormatError(f"文件已损坏（部件 {name} 校验失败，可能被篡改或拷贝不完整），无法读取",
                              file=str(path)) from None


def _read_small(archive: zipfile.ZipFile, name: str, budget: _Budget) -> bytes:
    return b"".join(_stream(archive, name, budget, step=4096))


def _sheet_parts(archive: zipfile.ZipFile, budget: _Budget) -> dict[str, str]:
    """Sheet name -> worksheet XML part of an .xlsx (after the workbook parts passed the checks)."""
    import xml.etree.ElementTree as ET

    ns_main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    ns_rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    rels = ET.fromstring(_read_small(archive, "xl/_rels/workbook.xml.rels", budget))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
    workbook = ET.fromstring(_read_small(archive, "xl/workbook.xml", budget))
    sheets = list(workbook.iter(f"{ns_main}sheet"))
    if len(sheets) > budget.limits.sheets:
        raise _refuse(budget.path, budget.limits, f"工作簿有 {len(sheets):,} 个工作表", "sheets")
    parts = {}
    for sheet in sheets:
        target = targets.get(sheet.get(f"{ns_rel}id"), "")
        parts[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return parts


def _scan_sheet(archive: zipfile.ZipFile, part: str, budget: _Budget) -> SheetScan:
    """The real extent (from every cell's reference) and the error cells of one worksheet.

    Error values (#N/A, #DIV/0! ...) are collected here because calamine reads them as ''
    (python-calamine issue #105), which would make an #N/A look like a blank.
    """
    scan = SheetScan()
    for segment in _stream(archive, part, budget, cut_at=b"<row"):
        odd = b'\tr="' in segment or b'\nr="' in segment or b'\rr="' in segment
        letters = set((_ANY_REF_LETTERS if odd else _REF_LETTERS).findall(segment))
        references = (_ANY_REF_DIGITS if odd else _REF_DIGITS).findall(segment)
        digits = set(references)
        if letters:
            longest = max(map(len, letters))
            scan.columns = max(scan.columns, EXCEL_COLUMNS + 1 if longest > 3 else max(map(column_number, letters)))
        if digits:
            longest = max(map(len, digits))
            scan.rows = max(scan.rows, EXCEL_ROWS + 1 if longest > 8 else max(map(int, digits)))
        first, last = segment.find(b"<sheetData"), segment.rfind(b"</sheetData>")
        window = (max(first, 0), last if last >= 0 else len(segment))
        if segment.count(b"<c", *window) + segment.count(b"<row", *window) > len(references):
            _unnumbered(segment[window[0]:window[1]], scan)
        start = 0
        while (hit := segment.find(b't="e"', start)) >= 0:
            begin, end = segment.rfind(b"<c ", 0, hit), segment.find(b"</c>", hit)
            if begin < 0 or end < 0:
                break
            ref, value = _CELL_REF.search(segment, begin, hit + 5), _CELL_VALUE.search(segment, hit, end)
            if ref:
                text = value.group(1).decode("utf-8", "replace") if value else "#VALUE!"
                scan.errors.append((int(ref.group(2)), column_number(ref.group(1)), text))
            start = end
    return scan


def _unnumbered(data: bytes, scan: SheetScan) -> None:
    """Rows or cells without a reference sit after the one before: widen the extent by their count.
    (Reached only when the quick count differs, e.g. for rich text's <color> inside a cell.)"""
    tags = _TAG.findall(data)
    if all(_HAS_REFERENCE.search(attributes) for _name, attributes in tags):
        return
    widths = [len(_CELLS.findall(row)) for row in _ROW.findall(data)] or [len(tags)]
    scan.columns += max(widths)
    scan.rows += len(widths)


def _scan_ods(archive: zipfile.ZipFile, budget: _Budget) -> dict[str, SheetScan]:
    """Extent of an .ods: repeated rows and cells count only up to the last one with content
    (LibreOffice pads every sheet with empty repeated cells up to the last row and column)."""
    scan, row = SheetScan(), 0
    for segment in _stream(archive, "content.xml", budget, cut_at=b"<table:table-row"):
        for found in _ODS_ROW.finditer(segment):
            repeat = _ROWS_REPEATED.search(found.group(1))
            repeat = int(repeat.group(1)) if repeat else 1
            width = column = 0
            for cell in _ODS_CELL.finditer(found.group(3) or b""):
                times = _COLUMNS_REPEATED.search(cell.group(1))
                column += int(times.group(1)) if times else 1
                if b"value-type" in cell.group(1) or (cell.group(3) or b"").strip():
                    width = column
            if width:
                scan.rows, scan.columns = row + repeat, max(scan.columns, width)
            row += repeat
    return {"": scan}


def check(path: Path, kind: str, limits: Limits | None = None) -> dict[str, SheetScan]:
    """Check a spreadsheet or .docx before parsing; returns per-sheet scans of an .xlsx/.ods
    (an .ods has one scan for all its sheets, under the name '')."""
    limits = limits or Limits.from_env()
    size = path.stat().st_size
    if size > limits.file_mb * MB:
        raise _refuse(path, limits, f"文件大小为 {size / MB:,.0f} MB", "file_mb")
    if kind != "zip":
        return {}
    budget = _Budget(path, limits)
    with _open_zip(path, limits) as archive:
        names = set(archive.namelist())
        if "xl/workbook.bin" in names:
            raise FileFormatError("不支持 .xlsb（二进制工作簿）；请在 Excel 中“另存为”.xlsx 再处理", file=str(path))
        if "xl/workbook.xml" in names:
            try:
                parts = _sheet_parts(archive, budget)
            except KeyError:
                parts = {}      # calamine reports what is missing
            except SyntaxError:
                raise FileFormatError("文件已损坏（工作簿结构 XML 不完整），无法读取；请在 Excel 中打开后另存再试",
                                      file=str(path)) from None
            parts.update({p: p for p in names if p.startswith("xl/worksheets/") and p.endswith(".xml")
                          and p not in parts.values()})
            scans = {name: _scan_sheet(archive, part, budget) for name, part in parts.items() if part in names}
            skip = set(parts.values())
        elif "content.xml" in names:
            scans, skip = _scan_ods(archive, budget), {"content.xml"}
        else:
            scans, skip = {}, set()
        for name in sorted(names - skip):
            if _is_xml(name):
                for _ in _stream(archive, name, budget):
                    pass
    for name, scan in scans.items():
        check_extent(path, name, scan.rows, scan.columns, limits)
    return scans


def check_extent(path: Path, sheet: str, rows: int, columns: int, limits: Limits | None = None) -> None:
    """Refuse a sheet whose range is beyond Excel's grid or the cell limit."""
    limits = limits or Limits.from_env()
    if rows > EXCEL_ROWS or columns > EXCEL_COLUMNS or rows * max(columns, 1) > limits.cells:
        raise _refuse(path, limits, f"使用范围太大（{rows:,} 行 × {columns:,} 列），多半是远处的单元格有零星内容",
                      "cells", sheet=sheet or None)


def check_document(path: Path) -> None:
    """The same checks for a .docx template or document (python-docx parses it with lxml)."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head != b"PK\x03\x04":
        raise FileFormatError("不是 Word 文档（.docx）", file=str(path))
    check(path, "zip")


def check_text_file(path: Path) -> None:
    """A size budget for .toml/.json data files."""
    limits = Limits.from_env()
    size = path.stat().st_size
    if size > limits.file_mb * MB:
        raise _refuse(path, limits, f"文件大小为 {size / MB:,.0f} MB", "file_mb")


def check_any(path: Path) -> None:
    """The checks for a file of any kind handed to another program (LibreOffice)."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    check(path, "zip" if head == b"PK\x03\x04" else "other")
