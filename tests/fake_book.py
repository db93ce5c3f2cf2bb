"""A small stand-in for the xlwings Book/Sheet/Range/Name objects the ribbon handlers use.

Cells are a dict {(sheet name, "B3"): value}; only single cells and a 2-D block written from
its top-left cell are supported, which is all the handlers need.
"""

from __future__ import annotations

import re

from openpyxl.utils import column_index_from_string, get_column_letter


def _split(ref: str) -> tuple[int, int]:
    letters, digits = re.fullmatch(r"\$?([A-Z]+)\$?(\d+)", ref).groups()
    return column_index_from_string(letters), int(digits)


class FakeRange:
    def __init__(self, sheet: FakeSheet, ref: str):
        self.sheet, self.ref = sheet, ref.replace("$", "")
        self.number_format = sheet.formats.get(self.ref, "General")

    @property
    def address(self) -> str:
        col, row = _split(self.ref)
        return f"${get_column_letter(col)}${row}"

    @property
    def value(self):
        return self.sheet.cells.get(self.ref)

    @value.setter
    def value(self, value):
        col, row = _split(self.ref)
        rows = value if isinstance(value, list) and value and isinstance(value[0], list) else [[value]]
        for i, line in enumerate(rows):
            for j, item in enumerate(line):
                self.sheet.cells[f"{get_column_letter(col + j)}{row + i}"] = item

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        if name == "number_format":
            self.sheet.formats[self.ref] = value

    def select(self):
        self.sheet.book.selected = (self.sheet.name, self.ref)


class FakeSheet:
    def __init__(self, book: FakeBook, name: str):
        self.book, self.name, self.cells, self.formats = book, name, {}, {}

    def range(self, ref: str) -> FakeRange:
        return FakeRange(self, ref)

    def activate(self):
        self.book.active = self.name


class FakeSheets(list):
    def __init__(self, book: FakeBook):
        super().__init__()
        self.book = book

    def add(self, name, after=None):
        if any(s.name == name for s in self):
            raise ValueError(f"sheet {name} exists")
        sheet = FakeSheet(self.book, name)
        self.insert(self.index(after) + 1 if after is not None else 0, sheet)
        return sheet

    def __getitem__(self, key):
        if isinstance(key, str):
            return next(s for s in self if s.name == key)
        return list.__getitem__(self, key)


class FakeName:
    def __init__(self, book: FakeBook, name: str, refers_to: str):
        self.book, self.name, self.refers_to = book, name, refers_to

    @property
    def refers_to_range(self) -> FakeRange:
        sheet, ref = re.fullmatch(r"='?([^'!]+)'?!(\S+)", self.refers_to).groups()
        return self.book.sheets[sheet].range(ref)


class FakeNames(list):
    def __init__(self, book: FakeBook):
        super().__init__()
        self.book = book

    def add(self, name, refers_to):
        self.append(FakeName(self.book, name, refers_to))


class FakeApp:
    def __init__(self):
        self.alerts: list[tuple[str, str]] = []

    def alert(self, prompt, title=None, buttons="ok", mode=None, callback=None):
        self.alerts.append((title, prompt))
        return "ok"


class FakeBook:
    def __init__(self, *sheet_names: str, fullname: str = "/data/roster.xlsx"):
        self.app, self.fullname = FakeApp(), fullname
        self.sheets, self.names = FakeSheets(self), FakeNames(self)
        self.active = self.selected = None
        for name in sheet_names:
            self.sheets.add(name, after=self.sheets[-1] if self.sheets else None)

    @classmethod
    def from_openpyxl(cls, wb, fullname: str = "/data/roster.xlsx") -> FakeBook:
        """A fake with the values, number formats and workbook-level names of an openpyxl workbook."""
        book = cls(*wb.sheetnames, fullname=fullname)
        for ws in wb.worksheets:
            sheet = book.sheets[ws.title]
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is not None:
                        sheet.cells[cell.coordinate] = cell.value
                    sheet.formats[cell.coordinate] = cell.number_format
        for name, defined in wb.defined_names.items():
            book.names.add(name, "=" + defined.attr_text)
        return book
