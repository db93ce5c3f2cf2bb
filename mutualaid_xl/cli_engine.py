"""Commands for policies and single calculations: policies, policy show, subsidy, fee, eligible."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
