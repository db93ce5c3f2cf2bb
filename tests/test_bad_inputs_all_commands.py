"""Every file of the bad-input corpus through every batch command: a Chinese message and a
non-zero exit code, never a traceback, and the input byte-identical afterwards."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mutualaid_xl.cli import app

BAD = Path(__file__).parent / "data" / "bad"
FILES = sorted(p.name for p in BAD.iterdir() if p.is_file())   # hostile/: tests/test_hostile_files.py
runner = CliRunner()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


COMMANDS = {
    "fill": lambda src, tmp: ["fill", str(src), "--into", str(tmp / "out"), "--no-forms"],
    "claims": lambda src, tmp: ["claims", str(src), "--out", str(tmp / "claims.xlsx")],
    "reconcile": lambda src, tmp: ["reconcile", str(src), "--against", str(src), "--out", str(tmp / "rec.xlsx")],
    "render": lambda src, tmp: ["render", "public_list", str(src), str(tmp / "list.docx")],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name", FILES)
def test_no_traceback_and_input_unchanged(name, command, tmp_path):
    src = BAD / name
    before = _digest(src)
    result = runner.invoke(app, COMMANDS[command](src, tmp_path))
    assert _digest(src) == before, "the input was modified"
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code == 0:
        return  # e.g. reconciling a file against itself may legitimately find no difference
    assert result.exit_code in (1, 2)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.output), result.output  # a Chinese message
