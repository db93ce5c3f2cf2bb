"""How the command line names a parameter to the clerk: the option as typed, with its Chinese name."""

from __future__ import annotations

import re

from typer._click.globals import get_current_context
from typer.core import TyperArgument


def label(param) -> str:
    """A parameter's Chinese name: its help text up to the first punctuation, without Latin words."""
    head = re.split(r"[：:，,；;（(。]", param.help or "", maxsplit=1)[0]
    return "".join(word for word in head.split() if not re.search(r"[A-Za-z0-9._/\\-]", word))


def hint(param) -> str:
    """How an error names a parameter: the option as typed on the command line, with its Chinese name."""
    name = label(param)
    if isinstance(param, TyperArgument):
        return f"参数「{param.metavar or name or param.name}」"
    typed = next((opt for opt in param.opts if opt.startswith("--")), param.opts[0])
    return f"{typed}（{name}）" if name else typed


def typed_argument(argument: str | None) -> str | None:
    """The option a clerk typed for an internal parameter name (``self_pay`` -> ``--self-pay（自付费用）``)."""
    ctx = get_current_context(silent=True)
    if ctx is None or not argument:
        return argument
    for param in ctx.command.params:
        if param.name == argument:
            return (param.metavar or label(param) or argument) if isinstance(param, TyperArgument) else hint(param)
    return argument
