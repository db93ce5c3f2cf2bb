"""Commands for the Excel add-in: `mutualaid addin build` and `mutualaid addin install`."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import MutualAidError
from .common import console, fail

addin_app = typer.Typer(help="Excel 加载项（职工互助选项卡）：生成与安装。", no_args_is_help=True)

NOT_SUPPORTED = (
    "Excel 加载项只能在 Windows 或 macOS 上的 Microsoft Excel 中使用（WPS 表格也不支持）。"
    "在本机请用命令行处理同样的工作簿：mutualaid --help 列出全部命令，例如 mutualaid validate 名册.xlsx（校验名册）、"
    "mutualaid fill 名册.xlsx --into 输出文件夹（填写汇总表）、mutualaid claims 补助登记表.xlsx（计算补助）、"
    "mutualaid render notice 数据.xlsx 通知.docx（生成红头通知）。"
)


def _table(title: str, results) -> Table:
    table = Table(title=title)
    table.add_column("文件")
    table.add_column("结果")
    for path, outcome in results:
        table.add_row(escape(str(path)), escape(outcome))
    return table


@addin_app.command("build")
def build(directory: Path = typer.Argument(Path("addin"), help="输出目录（默认 addin）")) -> None:
    """由 xlwings 自带的加载项模板生成职工互助加载项 mutualaid_xl.xlam（一个文件，八个按钮，SUBSIDY 等函数）。内容未变的文件不动。

    示例：mutualaid addin build addin
    """
    from ..excel.addin import build as build_addin

    try:
        results = build_addin(directory)
    except MutualAidError as error:
        fail(error)
    console.print(_table("职工互助加载项", results))


@addin_app.command("install")
def install() -> None:
    """把职工互助加载项 mutualaid_xl.xlam 装进 Excel 的启动文件夹（XLSTART），移走旧版的 7 个加载项，并记录本机 Python 的位置。

    只支持 Windows 和 macOS；在其他系统上说明原因并以退出码 2 结束。运行前请关闭 Excel。

    示例：mutualaid addin install
    """

    if sys.platform not in ("win32", "darwin"):
        fail(NOT_SUPPORTED)
    from xlwings.cli import get_addin_dir

    from ..excel.addin import install as install_addin

    try:
        startup_dir = Path(get_addin_dir())
    except Exception as error:  # noqa: BLE001 - Excel missing or not startable: explain, no traceback
        fail(f"找不到 Excel 的启动文件夹（XLSTART）：{error}。请确认本机已安装 Microsoft Excel 并能正常打开。")
    try:
        results = install_addin(startup_dir, Path.home(), sys.executable)
    except PermissionError as error:
        fail(f"文件被占用，无法写入（{error.filename}）：请先关闭所有 Excel 窗口，再运行 mutualaid addin install。")
    except MutualAidError as error:
        fail(error)
    console.print(_table("已安装职工互助加载项", results))
    console.print(f"Excel 启动时会自动打开 mutualaid_xl.xlam：“职工互助”选项卡有 7 个按钮，"
                  f"任何工作簿都可以用 SUBSIDY、FEE、ELIGIBLE 等函数；调用的 Python：{escape(sys.executable)}。")
    console.print("下一步：重新打开 Excel，按 README 的“经办人安装”第四步检查选项卡和函数。")


def register(app: typer.Typer) -> None:
    app.add_typer(addin_app, name="addin")
