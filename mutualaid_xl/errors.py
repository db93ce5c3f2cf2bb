"""Exceptions. Every message is Chinese and says where the problem is.

One type per kind of problem; each carries the location (file, sheet, row, column or
argument name) so that the CLI, the ribbon and the worksheet functions can show it.
"""

from __future__ import annotations


class MutualAidError(Exception):
    """Base class: a problem a clerk can fix, with a Chinese message and its location."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        argument: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.file = file
        self.sheet = sheet
        self.row = row
        self.column = column
        self.argument = argument

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(f"文件 {self.file}")
        if self.sheet:
            parts.append(f"工作表「{self.sheet}」")
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column:
            parts.append(f"列「{self.column}」")
        if self.argument:
            parts.append(f"参数 {self.argument}")
        return "，".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}：{self.message}" if where else self.message


class InputError(MutualAidError):
    """A value given by the user (cell, argument, option) cannot be used."""


class PolicyError(MutualAidError):
    """A policy file is missing, invalid, or lacks a value that was asked for."""


class NotConfiguredError(PolicyError):
    """The policy does not define a rule that the calculation needs (本期未配置…)."""


class FileFormatError(MutualAidError):
    """A file cannot be read as the expected kind of workbook or document."""


class ToolMissingError(MutualAidError):
    """An external program (e.g. LibreOffice) is needed but not installed."""
