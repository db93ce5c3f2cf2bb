"""Command `mutualaid app`: the ribbon's actions on a local web page (for WPS and every clerk without the add-in)."""

from __future__ import annotations

from typing import Optional

import typer
from rich.markup import escape

from .common import console, err_console, fail


def app_command(
    port: int = typer.Option(0, "--port", help="端口（默认自动选一个空闲端口）"),
    host: Optional[str] = typer.Option(None, "--host", help="监听地址（默认只监听本机 127.0.0.1；给出其他地址时局域网内他人也可能访问）"),
    no_browser: bool = typer.Option(False, "--no-browser", help="不自动打开浏览器（测试、服务器上使用）"),
    shortcut: bool = typer.Option(False, "--shortcut", help="在桌面放一个快捷方式，以后双击即可启动"),
) -> None:
    """在浏览器中使用职工互助：校验名册、填写汇总表、计算补助、生成红头通知和申请表、盖章导出 PDF、查看方案、单次计算。

    示例：mutualaid app --shortcut
    """
    from ..app.run import LOOPBACK, is_loopback, make_shortcut, serve

    if shortcut:
        try:
            path = make_shortcut()
        except (OSError, RuntimeError) as error:
            fail(f"无法创建快捷方式：{error}")
        console.print(f"已在桌面创建快捷方式：{escape(str(path))}（双击即可启动）", highlight=False)
        return
    if host is not None and not is_loopback(host):
        err_console.print(f"[bold yellow]警告[/]：监听 {escape(host)}，同一网络中的其他电脑也能连到本机；"
                          "名册含身份证号，请只在可信网络中这样做。", highlight=False)
    try:
        serve(host or LOOPBACK, port, open_browser=not no_browser,
              say=lambda text: console.print(escape(text), highlight=False, soft_wrap=True))
    except KeyboardInterrupt:   # uvicorn re-raises Ctrl+C after its clean shutdown: stopping is the normal end
        pass
    except OSError as error:
        fail(f"无法在 {host or LOOPBACK}:{port} 启动：{error.strerror}（端口可能已被占用，可换一个 --port）")


def register(app: typer.Typer) -> None:
    app.command("app")(app_command)
