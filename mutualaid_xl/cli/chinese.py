"""The command line's frame in Chinese: help (用法, 参数, 选项, 命令) and the errors of parsing.

Applied to every command when the command tree is built (``ChineseGroup`` is the root group's
class), so a command added later is framed without doing anything. Typer has no translation
hook, so this sets its help strings and, per command, the usage metavars; it relies on
typer's internals (pinned in pyproject.toml) and tests/test_cli_chinese.py checks every help page.
"""

from __future__ import annotations

import re
import sys

import typer
from rich.markup import escape
from rich.text import Text
from typer import rich_utils
from typer._click import exceptions as click_errors
from typer._click.core import Context
from typer._click.formatting import HelpFormatter
from typer.core import TyperArgument, TyperGroup, TyperOption, _TyperParameter

from .common import err_console, error_text
from .names import hint, label

HELP_TEXT = "显示本帮助并退出。"
_TYPES = {"str": "文本", "int": "整数", "float": "数字", "path": "路径", "file": "文件", "dir": "文件夹",
          "datetime": "日期时间", "bool": "是/否", "Path": "路径", "Decimal": "金额"}

rich_utils.DEPRECATED_STRING = "（已停用）"
rich_utils.DEFAULT_STRING = "[默认：{}]"
rich_utils.ENVVAR_STRING = "[环境变量：{}]"
rich_utils.REQUIRED_LONG_STRING = "[必填]"
rich_utils.ARGUMENTS_PANEL_TITLE = "参数"
rich_utils.OPTIONS_PANEL_TITLE = "选项"
rich_utils.COMMANDS_PANEL_TITLE = "命令"
rich_utils.ABORTED_TEXT = "已取消。"


class _Formatter(HelpFormatter):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "用法：" if prefix is None else prefix)


Context.formatter_class = _Formatter

_display_type = _TyperParameter.display_type


def _chinese_type(self, ctx) -> str:
    shown = _display_type(self, ctx)
    inner = shown[1:-1] if shown.startswith("<") and shown.endswith(">") else shown
    many = re.fullmatch(r"list\[(\w+)\]", inner)
    if many and many.group(1) in _TYPES:
        return f"<多个{_TYPES[many.group(1)]}>"
    return f"<{_TYPES[inner]}>" if inner in _TYPES else shown


_TyperParameter.display_type = _chinese_type
_option_type = TyperOption.display_type_rich
TyperOption.display_type_rich = lambda self, ctx: None if self.is_flag else _option_type(self, ctx)
_option_default = TyperOption._get_default_string


def _flag_default(self, **kwargs) -> str:
    """A flag's default as the option itself (--pdf), not its bare name."""
    shown = _option_default(self, **kwargs)
    flags = [opt for opt in (*self.opts, *self.secondary_opts) if opt.lstrip("-") == shown]
    return flags[0] if self.is_flag and flags else shown


TyperOption._get_default_string = _flag_default


def _folded(make):
    """Rich cuts a long run of Chinese (no spaces) with … in typer's tables; fold it instead."""
    def wrapper(*args, **kwargs):
        shown = make(*args, **kwargs)
        parts = getattr(shown, "renderables", [shown])
        if not all(isinstance(part, Text) for part in parts):
            return shown
        text = Text(" ").join(parts)
        text.overflow = "fold"
        return text
    return wrapper


rich_utils._get_parameter_help = _folded(rich_utils._get_parameter_help)
rich_utils._make_command_help = _folded(rich_utils._make_command_help)


def _frame(command) -> None:
    """Chinese usage pieces, argument names and help-option text for ``command`` and its subcommands."""
    command.options_metavar = "[选项]"
    if hasattr(command, "subcommand_metavar"):
        command.subcommand_metavar = "命令 [参数]..."
    for param in command.params:
        if isinstance(param, TyperArgument) and param.metavar is None:
            param.metavar = label(param) or "参数"
    help_option = command.get_help_option(Context(command))
    if help_option is not None:
        help_option.help = HELP_TEXT
    for sub in getattr(command, "commands", {}).values():
        _frame(sub)


_MESSAGES = (  # typer's own wording of command-line errors -> Chinese
    (r"No such command '(.+)'\.", "没有命令「{0}」。"),
    (r"Missing command\.", "缺少命令。"),
    (r"Got unexpected extra arguments?(?:\(s\))? \((.+)\)", "多余的参数：{0}"),
    (r"Option '(.+)' requires an argument\.", "选项 {0} 后面需要一个值。"),
    (r"Option '(.+)' requires (\d+) arguments\.", "选项 {0} 后面需要 {1} 个值。"),
    (r"Option '(.+)' does not take a value\.", "选项 {0} 不带值。"),
    (r"Argument '(.+)' takes (\d+) values\.", "参数 {0} 需要 {1} 个值。"),
    (r"'(.*)' is not one of (.+)\.", "「{0}」不是可选的值（可选：{1}）。"),
    (r"\w+ '(.+)' does not exist\.", "「{0}」不存在。"),
    (r"\w+ '(.+)' is a file\.", "「{0}」是文件，这里应为文件夹。"),
    (r"\w+ '(.+)' is a directory\.", "「{0}」是文件夹，这里应为文件。"),
    (r"\w+ '(.+)' is not readable\.", "「{0}」无法读取。"),
    (r"\w+ '(.+)' is not writable\.", "「{0}」无法写入。"),
)
_VALUE = {"int": "应为整数", "float": "应为数字", "bool": "应为是或否", "datetime": "应为日期"}


def _translated(text: str) -> str | None:
    for pattern, chinese in _MESSAGES:
        found = re.fullmatch(pattern, text.strip())
        if found:
            return chinese.format(*found.groups())
    return None


def message(error: click_errors.ClickException) -> str:
    """A Chinese message for an error typer found while reading the command line."""
    param = getattr(error, "param", None)
    if isinstance(error, click_errors.NoSuchOption):
        text = f"没有选项 {error.option_name}。"
        return text + (f"是不是要用 {'、'.join(error.possibilities)}？" if error.possibilities else "")
    if isinstance(error, click_errors.MissingParameter):
        if param is None:
            return "缺少参数。"
        return f"缺少{hint(param)}。" if isinstance(param, TyperArgument) else f"缺少选项 {hint(param)}。"
    if isinstance(error, click_errors.BadParameter):
        kind = param.type_descriptor.annotation if param is not None else None
        why = _translated(error.message) or _VALUE.get(getattr(kind, "__name__", ""), "")
        if not why:
            why = error.message if re.search(r"[\u4e00-\u9fff]", error.message) else "值无效。"
        why = why if why.endswith("。") else why + "。"
        if param is None:
            return why
        return f"{hint(param)}：{why}" if isinstance(param, TyperArgument) else f"选项 {hint(param)}：{why}"
    return _translated(error.format_message()) or error.format_message()


class ChineseGroup(TyperGroup):
    """The root group: frames the whole tree in Chinese and reports every error in Chinese."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        from ..errors import MutualAidError, from_os_error

        _frame(self)
        if not standalone_mode:  # a caller that handles typer's exceptions itself
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_errors.ClickException as error:
            if type(error).__name__ == "NoArgsIsHelpError":  # the help was shown
                sys.exit(2)
            ctx = getattr(error, "ctx", None)
            usage = f"{escape(ctx.get_usage())}\n" if ctx is not None else ""
            command = f"（查看帮助：{ctx.command_path} --help）" if ctx is not None else ""
            err_console.print(usage + error_text(message(error) + command), highlight=False)
            sys.exit(2)
        except typer.Abort:
            err_console.print(rich_utils.ABORTED_TEXT)
            sys.exit(1)
        except MutualAidError as error:  # a service raised past a command: still no traceback
            err_console.print(error_text(error), highlight=False)
            sys.exit(2)
        except OSError as error:
            err_console.print(error_text(from_os_error(error)), highlight=False)
            sys.exit(2)
        except Exception as error:  # noqa: BLE001 - a bug; its text may hold input data, so only the type is shown
            err_console.print(error_text(f"程序内部错误（{type(error).__name__}），请把所用文件和命令报告给维护人员"),
                              highlight=False)
            sys.exit(3)
        sys.exit(result if isinstance(result, int) else 0)
