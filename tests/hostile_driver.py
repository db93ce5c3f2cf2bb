"""Run every command that reads files on every hostile file, each in its own process.

    python tests/hostile_driver.py DIR WORK      # prints one JSON object per run
    python tests/hostile_driver.py DIR WORK --markdown

The driver imports the program once and forks a child per (file, command), so a crash (a
signal, an abort in native code) is seen as such; the child's peak memory comes from
os.wait4's resource usage. Used by tests/test_hostile_files.py and for the README table.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["COLUMNS"] = "400"   # rich reads it when the consoles are made: no wrapped file names

from mutualaid_xl.cli import main  # noqa: E402
from mutualaid_xl.documents import render  # noqa: E402,F401 - imported once, before forking
from mutualaid_xl.workbooks import claims, fill, reconcile  # noqa: E402,F401

TIMEOUT = 30
COMMANDS = {
    "validate": lambda f, w: ["validate", f, "--report", f"{w}/report.xlsx"],
    "fill": lambda f, w: ["fill", f, "--into", f"{w}/filled", "--no-forms"],
    "claims": lambda f, w: ["claims", f, "--out", f"{w}/claims.xlsx"],
    "reconcile": lambda f, w: ["reconcile", f, "--against", f, "--out", f"{w}/reconcile.xlsx"],
    "render（数据）": lambda f, w: ["render", "public_list", f, f"{w}/list.docx"],
    "render --each": lambda f, w: ["render", "approval_form", f, f"{w}/forms", "--each"],
    "render（模板）": lambda f, w: ["render", f, f"{w}/data.json", f"{w}/out.docx"],
    "doctemplates fields": lambda f, w: ["doctemplates", "fields", f],
    "pdf": lambda f, w: ["pdf", f, "--outdir", f"{w}/pdf"],
}


def _child(args: list[str], work: Path) -> None:
    out = os.open(work / "output.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    os.dup2(out, 1)
    os.dup2(out, 2)
    sys.argv = ["mutualaid", *args]
    code = 0
    try:
        main()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)


def run(file: Path, command: str, work: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    (work / "data.json").write_text('{"title": "示例"}', encoding="utf-8")
    args = COMMANDS[command](str(file), str(work))
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(args, work)
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - start > TIMEOUT:
            os.kill(pid, signal.SIGKILL)
            _done, status, usage = os.wait4(pid, 0)
            break
        time.sleep(0.01)
    seconds = time.monotonic() - start
    scale = 1 if sys.platform == "darwin" else 1024
    return {
        "file": file.name, "command": command, "seconds": round(seconds, 2),
        "memory_mb": round(usage.ru_maxrss * scale / 2**20),
        "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "output": (work / "output.txt").read_text(encoding="utf-8", errors="replace"),
    }


def markdown(results: list[dict]) -> str:
    commands = list(COMMANDS)
    lines = ["| 文件 | " + " | ".join(commands) + " | 最长用时 | 峰值内存 |", "|---" * (len(commands) + 3) + "|"]
    for name in sorted({r["file"] for r in results}):
        mine = {r["command"]: r for r in results if r["file"] == name}
        cells = [f"退出码 {mine[c]['exit']}" if mine[c]["exit"] is not None else f"信号 {mine[c]['signal']}"
                 for c in commands]
        slowest = max(r["seconds"] for r in mine.values())
        memory = max(r["memory_mb"] for r in mine.values())
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {slowest:.1f} s | {memory} MB |")
    return "\n".join(lines)


def main_driver(argv: list[str]) -> None:
    folder, work = Path(argv[0]), Path(argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))   # a runaway child cannot take the machine
    results = []
    for n, file in enumerate(sorted(p for p in folder.iterdir() if p.is_file())):
        for m, command in enumerate(COMMANDS):
            result = run(file, command, work / f"{n}-{m}")
            results.append(result)
            if "--markdown" not in argv:
                print(json.dumps(result, ensure_ascii=False), flush=True)
    if "--markdown" in argv:
        print(markdown(results))


if __name__ == "__main__":
    main_driver(sys.argv[1:])
