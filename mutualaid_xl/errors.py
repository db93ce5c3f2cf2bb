"""Exceptions. Every message is Chinese and says where the problem is.

One type per kind of problem; each carries the location (file, sheet, row, column or
argument name) so that the CLI, the ribbon and the worksheet functions can show it.
"""

from __future__ import annotations

import errno


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


_OS_REASONS = {
    errno.EEXIST: "文件已存在",
    errno.EACCES: "没有权限写入或读取（文件可能正在 Word 或 Excel 中打开，或是只读的）",
    errno.EPERM: "没有权限写入或读取（文件可能正在 Word 或 Excel 中打开，或是只读的）",
    errno.ENOSPC: "磁盘空间不足",
    errno.ENAMETOOLONG: "文件名太长，请缩短文件名或文件夹名",
    errno.ENOENT: "文件或文件夹不存在",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.ENOTDIR: "路径中有一段不是文件夹",
    errno.EROFS: "所在磁盘只读",
    errno.EBUSY: "文件正被其他程序占用",
    errno.EDQUOT: "超出磁盘配额",
    errno.EMFILE: "同时打开的文件太多",
}
_WINDOWS_REASONS = {32: "文件正被其他程序占用（可能在 Word 或 Excel 中打开）", 206: "文件名或路径太长"}


def os_reason(error: OSError) -> str:
    """Why an operating-system call failed, in Chinese (never the system's English strerror)."""
    reason = _WINDOWS_REASONS.get(getattr(error, "winerror", None)) or _OS_REASONS.get(error.errno)
    if reason is None:
        reason = f"操作系统报告错误（错误号 {error.errno}）" if error.errno else "读写文件时出错"
    return reason


def from_os_error(error: OSError) -> MutualAidError:
    """An operating-system error as a Chinese message naming the file (the one place they are translated)."""
    reason = os_reason(error)
    files = [str(f) for f in (error.filename, getattr(error, "filename2", None)) if f]
    return MutualAidError(f"{reason}。", file=" → ".join(files) or None)
