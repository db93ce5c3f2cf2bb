"""命令行 `mutualaid`: one verb per job, Chinese help, exit codes scripts can trust.

Exit codes: 0 ok; 1 the data has problems (e.g. validation found errors); 2 bad input or
usage (a clear Chinese message, never a traceback).
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from .errors import MutualAidError
from .idcard import mask_ids_in

app = typer.Typer(
    help="职工医疗互助工具：计算补助、校验名册、填写报表、生成红头文件。WPS 用户请用本命令行处理同样的工作簿。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
console = Console()
err_console = Console(stderr=True)


def fail(error: MutualAidError | str, code: int = 2) -> None:
    """Print a Chinese error (never a traceback, never a full ID number) and exit with ``code``."""
    err_console.print(f"[bold red]错误[/]：{escape(mask_ids_in(str(error)))}", highlight=False)
    raise typer.Exit(code)


# Each area adds its commands in its own module (cli_*.py) through register(app).
from . import cli_addin, cli_claims, cli_documents, cli_engine, cli_roster, cli_workbooks, demo  # noqa: E402

for _module in (cli_addin, cli_claims, cli_documents, cli_engine, cli_roster, cli_workbooks, demo):
    _module.register(app)


def main() -> None:
    try:
        app()
    except MutualAidError as error:  # a service raised past a command: still no traceback
        err_console.print(f"[bold red]错误[/]：{escape(mask_ids_in(str(error)))}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
