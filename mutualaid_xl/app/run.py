"""Starting and stopping the page's server, and the desktop shortcut that starts it."""

from __future__ import annotations

import ipaddress
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import webbrowser
from pathlib import Path
from typing import Callable

LOOPBACK = "127.0.0.1"


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serve(host: str = LOOPBACK, port: int = 0, *, open_browser: bool = True, say: Callable[[str], None] = print,
          ready: Callable[[str, object], None] | None = None, max_upload: int | None = None) -> None:
    """Run until Ctrl+C (or ``server.should_exit``); the working folder is removed afterwards.

    ``ready(url, server)`` is called before it listens (tests use it to learn the address and to stop it)."""
    import uvicorn

    from .server import MAX_UPLOAD, create_app

    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.bind((host, port))              # port 0: the system picks a free one
    sock.listen(128)                     # a browser opened before uvicorn starts waits instead of failing
    port = sock.getsockname()[1]
    token = secrets.token_urlsafe(24)
    workdir = Path(tempfile.mkdtemp(prefix="mutualaid-app-"))
    hosts = sorted({host, LOOPBACK, "localhost"} if is_loopback(host) else {host})
    app = create_app(workdir, token, hosts=hosts, max_upload=max_upload or MAX_UPLOAD)
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{LOOPBACK if host in ('0.0.0.0', '::') else shown_host}:{port}/?token={token}"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    app.state.server, app.state.workdir = server, workdir
    say(f"职工互助网页已启动：{url}")
    say("（地址中含一次性令牌，请勿发给他人；按 Ctrl+C 停止，停止时删除临时文件，已保存到文件夹的结果保留）")
    if ready:
        ready(url, server)
    if open_browser:
        webbrowser.open(url)
    try:
        server.run(sockets=[sock])
    finally:
        app.state.jobs.cancel_all()
        shutil.rmtree(workdir, ignore_errors=True)
        sock.close()
        say("已停止，临时文件已删除。")


def _desktop() -> Path:
    home = Path.home()
    if sys.platform.startswith("linux"):
        try:
            found = subprocess.run(["xdg-user-dir", "DESKTOP"], capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            found = ""
        if found and Path(found) != home:
            return Path(found)
    return home / "Desktop"


def make_shortcut(folder: Path | None = None) -> Path:
    """A desktop shortcut that runs `mutualaid app` with this Python: .lnk on Windows, .desktop on Linux,
    .command on macOS. Returns its path."""
    folder = folder or _desktop()
    folder.mkdir(parents=True, exist_ok=True)
    python = Path(sys.executable)
    if sys.platform == "win32":
        target = folder / "职工互助.lnk"
        console_python = python.with_name("python.exe")   # with a console window: closing it stops the page
        script = (f"$s=(New-Object -ComObject WScript.Shell).CreateShortcut('{target}');"
                  f"$s.TargetPath='{console_python}';$s.Arguments='-m mutualaid_xl.cli app';"
                  f"$s.WorkingDirectory='{Path.home()}';$s.Description='职工互助（网页版）';$s.Save()")
        subprocess.run(["powershell", "-NoProfile", "-NonInteractive", "-Command", script], check=True)
        return target
    if sys.platform == "darwin":
        target = folder / "职工互助.command"
        target.write_text(f"#!/bin/sh\nexec '{python}' -m mutualaid_xl.cli app\n", encoding="utf-8")
    else:
        target = folder / "mutualaid-app.desktop"
        target.write_text("[Desktop Entry]\nType=Application\nName=职工互助\nComment=职工医疗互助（网页版）\n"
                          f"Exec=\"{python}\" -m mutualaid_xl.cli app\nTerminal=true\nCategories=Office;\n",
                          encoding="utf-8")
    target.chmod(0o755)
    return target
