"""命令行 `mutualaid` (adapter): one module per command group, each adding its commands through register(app).

Exit codes: 0 ok; 1 the data has problems (e.g. validation found errors); 2 bad input or
usage (a clear Chinese message, never a traceback).
"""

from __future__ import annotations

import signal
import sys

import typer

from ..errors import MutualAidError
from . import addin, calc, claims, demo, documents, roster, workbooks
from .common import MaskedStream, err_console, error_text

app = typer.Typer(
    help="职工医疗互助工具：计算补助、校验名册、填写报表、生成红头文件。WPS 用户请用本命令行处理同样的工作簿。",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)

for _module in (addin, claims, documents, calc, roster, workbooks, demo):
    _module.register(app)


def _stop(signum, frame):
    raise SystemExit(128 + signum)  # unwinds, so temp folders and locks are cleaned up


def main() -> None:
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = MaskedStream(lambda: stdout), MaskedStream(lambda: stderr)  # tracebacks too
    signal.signal(signal.SIGTERM, _stop)
    try:
        app()
    except MutualAidError as error:  # a service raised past a command: still no traceback
        err_console.print(error_text(error), highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
