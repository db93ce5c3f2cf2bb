"""The command line in Chinese: every help page, parsing errors naming the typed option,
`policy show` as tables within 80 columns, and operating-system errors translated."""

from __future__ import annotations

import errno
import re
import unicodedata

import pytest
import typer.main
from typer import rich_utils
from typer.testing import CliRunner

from mutualaid_xl.cli import app
from mutualaid_xl.errors import from_os_error
from mutualaid_xl.rules.policy import list_policies

runner = CliRunner()

# Names a clerk meets as they are: programs, formats, the built-in template names typed as values.
ALLOWED = {"mutualaid", "Excel", "Word", "WPS", "PDF", "LibreOffice", "Windows", "macOS", "xlwings", "PNG", "CSV",
           "notice", "application_form", "approval_form", "summary_table", "public_list", "addin",
           "workbook_templates", "mutualaid_demo", "Python"}
BOILERPLATE = ("Usage", "Options", "Arguments", "Commands", "Show this message", "required", "default", "TEXT",
               "INTEGER", " PATH", "<str>", "<int>", "<path>", "<bool>", "env var", "Try ", "…")


def all_commands() -> list[tuple[str, ...]]:
    paths = []

    def walk(command, path):
        paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, path + (name,))

    walk(typer.main.get_command(app), ())
    return paths


def english_words(text: str) -> set[str]:
    text = re.sub(r"(?<![\w-])--?[\w][\w-]*(/--[\w-]+)?", " ", text)     # option names
    text = re.sub(r"[\w./\\-]*\.[A-Za-z0-9]+\b|\b\w+/", " ", text)         # file and folder names, extensions
    text = re.sub(r"\b[A-Z][A-Z0-9_]{3,}\b", " ", text)                    # environment variables
    text = re.sub(r"\b[a-z]+(-[a-z]+)*-\d+\b", " ", text)                  # policy ids such as nm-2021
    text = re.sub(r"\b\d+[A-Z]?\b", " ", text)                             # numbers, ID check characters
    return {word for word in re.findall(r"[A-Za-z][A-Za-z_]*", text)} - ALLOWED


COMMANDS = all_commands()
ALLOWED |= {name for path in COMMANDS for name in path}  # command names are typed like option names


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "mutualaid")
def test_every_help_page_is_chinese_with_an_example(path, monkeypatch):
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert text.lstrip().startswith("用法：mutualaid"), text[:200]
    assert "选项" in text and "显示本帮助并退出。" in text
    for phrase in BOILERPLATE:
        assert phrase not in text, (phrase, text)
    monkeypatch.setattr(rich_utils, "MAX_WIDTH", 400)  # unwrapped, so that no word is cut in two
    wide = runner.invoke(app, [*path, "--help"]).output
    assert not english_words(wide), (english_words(wide), wide)
    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    if not hasattr(command, "commands"):  # a command, not a group: one worked example
        assert re.search(r"示例：mutualaid " + " ".join(path), text), text


def test_help_snapshot_of_cert_specimen():
    result = runner.invoke(app, ["cert", "specimen", "--help"])
    lines = [line.strip() for line in result.output.splitlines() if line.strip()]
    assert lines[0] == "用法：mutualaid cert specimen [选项] {单位名称} {输出的证书文件}"
    assert lines[1] == "生成标有「样章」的自签名数字证书（.p12），仅供演示和测试，不能证明身份。"
    assert "示例：mutualaid cert specimen 某某市总工会 样章证书.p12" in lines
    assert any(line.startswith("╭─ 参数") for line in lines) and any(line.startswith("╭─ 选项") for line in lines)
    assert any("单位名称" in line and "<文本>" in line and "[必填]" in line for line in lines)


def test_a_bad_value_names_the_option_typed_not_the_parameter():
    result = runner.invoke(app, ["subsidy", "--self-pay", "一万", "--days", "3"])
    assert result.exit_code == 2
    assert "--self-pay（自付费用）" in result.output and "self_pay" not in result.output
    result = runner.invoke(app, ["eligible", "11010519491231002X", "在职", "三月"])
    assert result.exit_code == 2 and "参数 参互日期：“三月”不是可识别的日期" in result.output.replace("\n", "")
    assert "on_date" not in result.output
    result = runner.invoke(app, ["subsidy", "-d", "三"])
    assert result.exit_code == 2
    assert "选项 --days（住院天数）：应为整数。" in result.output and "Invalid" not in result.output


def test_usage_errors_are_chinese():
    cases = [
        (["subsidy"], "缺少选项 --days（住院天数）。"),
        (["subsidy", "--dyas", "3"], "没有选项 --dyas。是不是要用 --days"),
        (["subsidy", "--days"], "选项 --days 后面需要一个值。"),
        (["bogus"], "没有命令「bogus」。"),
        (["render", "notice"], "缺少参数「数据文件」。"),
        (["fee", "在职", "退休"], "多余的参数：退休"),
    ]
    for args, expected in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert expected in result.output, (args, result.output)
        assert result.output.startswith(("用法：mutualaid", "错误：")), (args, result.output)
        assert not english_words(result.output.replace(expected, "")), (args, result.output)


def display_width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


@pytest.mark.parametrize("policy", [p.id for p in list_policies()])
def test_policy_show_is_a_chinese_table_within_80_columns(policy):
    result = runner.invoke(app, ["policy", "show", policy])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(display_width(line) for line in lines) <= 80
    body = "\n".join(line for line in lines if not line.startswith(("文件：", "说明：", "依据：")))
    for python in ("True", "False", "None", "{", "}", "['", "':", "Decimal"):
        assert python not in body, python
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", body)  # no field names such as min_ratio
    assert "出处：" in body and "┃ 项目" in body


def test_policy_show_values_a_clerk_reads():
    text = runner.invoke(app, ["policy", "show", "nm-2021"]).output
    for expected in ("单位最低参互比例", "75%", "续会率目标", "95%", "在职 100；退休 400", "至（元）10000，比例 40%",
                     "自第几年 2，每天补贴（元）20", "仅期内首次住院", "按入院日期", "呼和浩特市总工会", "183888 人",
                     "出处：细则第十条第8项"):
        assert expected in text, expected


@pytest.mark.parametrize("code, expected", [
    (errno.EEXIST, "文件已存在"), (errno.EACCES, "没有权限"), (errno.ENOSPC, "磁盘空间不足"),
    (errno.ENAMETOOLONG, "文件名太长"), (errno.EROFS, "只读"),
])
def test_os_errors_are_translated(code, expected):
    error = from_os_error(OSError(code, "English text from the system", "输出/通知.docx"))
    assert expected in str(error) and "输出/通知.docx" in str(error) and "English" not in str(error)


def test_an_os_error_inside_a_command_is_a_chinese_message(tmp_path, monkeypatch):
    from mutualaid_xl.documents import render as documents

    def locked(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "通知.docx"))

    monkeypatch.setattr(documents, "render", locked)
    result = runner.invoke(app, ["render", "notice", "d.toml", str(tmp_path / "通知.docx")])
    output = result.output.replace("\n", "")
    assert result.exit_code == 2
    assert "没有权限" in output and "Word 或 Excel 中打开" in output and "通知.docx" in output
    assert "Permission denied" not in output and "Traceback" not in output


def test_a_full_disk_while_writing_claims_is_reported_in_chinese(tmp_path, monkeypatch):
    from mutualaid_xl.workbooks import claims, templates

    register = tmp_path / "登记表.xlsx"
    templates.workbook(templates.CLAIMS.file, "nm-2021").save(register)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "结果.xlsx"))

    monkeypatch.setattr(claims, "write_result", full)
    result = runner.invoke(app, ["claims", str(register), "--out", str(tmp_path / "结果.xlsx")])
    output = result.output.replace("\n", "")
    assert result.exit_code == 2 and "磁盘空间不足" in output and "No space" not in output, result.output
