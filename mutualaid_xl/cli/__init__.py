"""命令行 `mutualaid` (adapter): one module per command group, each adding its commands through register(app).

Exit codes: 0 ok; 1 the data has problems (e.g. validation found errors); 2 bad input or
usage (a clear Chinese message, never a traceback); 3 an internal error (a bug: reported in
one Chinese line without a traceback, so no input can end in one).
"""

from __future__ import annotations

import signal
import sys

import typer

from . import addin, app as app_module, calc, claims, compare, demo, documents, roster, stats, workbooks
from .chinese import ChineseGroup
from .common import MaskedStream

app = typer.Typer(
    cls=ChineseGroup,  # Chinese help and errors for every command, and no traceback for any error
    name="mutualaid",
    help="职工医疗互助工具：计算补助、校验名册、填写报表、生成红头文件。WPS 用户请用本命令行处理同样的工作簿。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)

for _module in (addin, claims, documents, calc, roster, workbooks, demo, compare, stats, app_module):
    _module.register(app)


def _stop(signum, frame):
    raise SystemExit(128 + signum)  # unwinds, so temp folders and locks are cleaned up


def main() -> None:
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = MaskedStream(lambda: stdout), MaskedStream(lambda: stderr)  # tracebacks too
    signal.signal(signal.SIGTERM, _stop)
    app()


if __name__ == "__main__":
    main()
