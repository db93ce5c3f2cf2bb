"""A small stand-in for the xlwings Book/Sheet/Range/Name objects the ribbon handlers use.

Cells are a dict {"B3": value} per sheet; a range is a single cell (a 2-D block is written
from its top-left cell) or, for number formats only, an "A1:C9" reference, which is all the
handlers need.
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
    def row(self) -> int:
        return _split(self.ref.split(":")[0])[1]

    @property
    def column(self) -> int:
        return _split(self.ref.split(":")[0])[0]

    def options(self, ndim=None):
        assert ndim == 2
        return _Block(self)

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


def _as_read(value):
    """xlwings reads every number as a float."""
    return float(value) if isinstance(value, int) and not isinstance(value, bool) else value


class _Block:
    """``range.options(ndim=2).value``: the rows of a block, None for empty cells."""

    def __init__(self, rng: FakeRange):
        self.rng = rng

    @property
    def value(self):
        (c1, r1), (c2, r2) = (_split(part) for part in self.rng.ref.split(":"))
        cells = self.rng.sheet.cells
        return [[_as_read(cells.get(f"{get_column_letter(c)}{r}")) for c in range(c1, c2 + 1)]
                for r in range(r1, r2 + 1)]


class FakeSheet:
    def __init__(self, book: FakeBook, name: str):
        self.book, self.name, self.cells, self.formats = book, name, {}, {}
        self.visible = True

    def range(self, ref: str) -> FakeRange:
        return FakeRange(self, ref)

    @property
    def used_range(self) -> FakeRange:
        if not self.cells:
            return FakeRange(self, "A1:A1")
        points = [_split(ref) for ref in self.cells]
        c1, r1 = min(c for c, _ in points), min(r for _, r in points)
        c2, r2 = max(c for c, _ in points), max(r for _, r in points)
        return FakeRange(self, f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}")

    def clear_contents(self):
        self.cells.clear()

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


class FakeBooks:
    def __init__(self):
        self.opened: list[str] = []

    def open(self, fullname):
        self.opened.append(fullname)


class FakeApp:
    def __init__(self):
        self.alerts: list[tuple[str, str]] = []
        self.books = FakeBooks()

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
        """A fake with the values, number formats and workbook-level names of an openpyxl workbook.

        Formula cells are left empty: openpyxl has only their text, Excel would show results.
        """
        book = cls(*wb.sheetnames, fullname=fullname)
        for ws in wb.worksheets:
            sheet = book.sheets[ws.title]
            sheet.visible = ws.sheet_state == "visible"
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is not None and cell.data_type != "f":
                        sheet.cells[cell.coordinate] = cell.value
                    sheet.formats[cell.coordinate] = cell.number_format
        for name, defined in wb.defined_names.items():
            book.names.add(name, "=" + defined.attr_text)
        return book
