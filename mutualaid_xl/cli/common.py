"""The command line's shared console and error exit, imported by every command module."""

from __future__ import annotations

import sys
from typing import Callable, TextIO

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import MutualAidError
from ..rules.idcard import mask_ids_in
from .names import typed_argument



class MaskedStream:
    """sys.stdout or sys.stderr (looked up at each write, so test runners can swap them) with every
    ID number masked: the one masking step for all screen output, tracebacks included."""

    def __init__(self, stream: Callable[[], TextIO]):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream().write(mask_ids_in(text))
        return len(text)

    def __getattr__(self, attribute):
        return getattr(self._stream(), attribute)


console = Console(file=MaskedStream(lambda: sys.stdout))
err_console = Console(file=MaskedStream(lambda: sys.stderr))


def error_text(error: MutualAidError | str) -> str:
    """The one way an error reaches the screen: Chinese, markup-escaped, ID numbers masked, and an
    internal parameter name replaced by the option the clerk typed."""
    if isinstance(error, MutualAidError) and error.argument:
        error.argument = typed_argument(error.argument)
    return f"[bold red]错误[/]：{escape(mask_ids_in(str(error)))}"


def fail(error: MutualAidError | str, code: int = 2) -> None:
    """Print a Chinese error (never a traceback, never a full ID number) and exit with ``code``."""
    err_console.print(error_text(error), highlight=False)
    raise typer.Exit(code)


MAX_SHOWN = 20   # problems listed on screen; the rest are in the output workbook


def show_problems(problems: list, sheet: str) -> None:
    """The first problems on screen (ID numbers masked), and where the rest are."""
    for error in problems[:MAX_SHOWN]:
        console.print(f"[red]问题[/] {escape(mask_ids_in(str(error)))}", highlight=False)
    if len(problems) > MAX_SHOWN:
        console.print(f"……另有 {len(problems) - MAX_SHOWN} 个问题，见结果工作簿的“{sheet}”表")
