"""The Excel add-in files: built from xlwings' template, VBA untouched, ribbon XML and button mapping."""

import importlib
import inspect
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mutualaid_xl.excel import addin as addin_build

from mutualaid_xl.excel import ribbon
from mutualaid_xl.excel.addin import BUTTONS, CALLBACK, CUSTOM_UI, TEMPLATE, VBA_PROJECT
from mutualaid_xl.cli import app

REPO_ADDIN = Path(__file__).resolve().parent.parent / "addin"
UI = "{http://schemas.microsoft.com/office/2006/01/customui}"
ISSUE_BUTTONS = ["校验名册", "填写汇总表", "计算补助", "生成红头通知", "生成申请表", "盖章并导出PDF", "设置"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    directory = tmp_path_factory.mktemp("addin")
    results = addin_build.build(directory)
    return directory, results


def _parts(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        return {name: z.read(name) for name in z.namelist()}


def _button(xml: bytes) -> ET.Element:
    root = ET.fromstring(xml)
    tabs = root.findall(f"{UI}ribbon/{UI}tabs/{UI}tab")
    assert len(tabs) == 1
    buttons = tabs[0].findall(f".//{UI}button")
    assert len(buttons) == 1
    return buttons[0]


def test_build_writes_one_addin_per_button_and_the_conf(built):
    directory, results = built
    assert sorted(p.name for p in directory.iterdir()) == sorted(
        [b.file_name for b in BUTTONS] + ["xlwings.conf", "XLWINGS_VERSION"])
    assert {outcome for _, outcome in results} == {"已生成"}
    assert (directory / "XLWINGS_VERSION").read_text() == __import__("xlwings").__version__ + "\n"
    assert (directory / "xlwings.conf").read_bytes() == b'"UDF Modules","mutualaid_xl.udfs"\r\n'
    assert all(name.isascii() for name in (b.file_name for b in BUTTONS))


def test_every_addin_is_the_template_with_only_the_ribbon_replaced(built):
    directory, _ = built
    template = _parts(TEMPLATE)
    for button in BUTTONS:
        parts = _parts(directory / button.file_name)
        assert list(parts) == list(template)
        assert parts[VBA_PROJECT] == template[VBA_PROJECT]
        assert {k: v for k, v in parts.items() if k != CUSTOM_UI} == {k: v for k, v in template.items() if k != CUSTOM_UI}
        assert parts[CUSTOM_UI] != template[CUSTOM_UI]


def test_ribbon_xml_is_well_formed_and_merges_into_one_tab(built):
    directory, _ = built
    labels, tabs, groups = [], set(), {}
    for button in BUTTONS:
        xml = _parts(directory / button.file_name)[CUSTOM_UI]
        root = ET.fromstring(xml)
        tab = root.find(f"{UI}ribbon/{UI}tabs/{UI}tab")
        group = tab.find(f"{UI}group")
        tabs.add((tab.get("idQ"), tab.get("label")))
        assert groups.setdefault(group.get("idQ"), group.get("label")) == group.get("label")
        element = _button(xml)
        assert element.get("onAction") == CALLBACK
        assert element.get("screentip") == element.get("label") == button.label
        assert element.get("imageMso") and element.get("size") == "large"
        assert len(element.get("supertip")) <= 1024 and any("\u4e00" <= ch <= "\u9fff" for ch in element.get("supertip"))
        labels.append(element.get("label"))
        assert b'xmlns:ma="urn:mutualaid_xl"' in xml  # the qualified ids share one namespace
    assert tabs == {("ma:tab", "职工互助")}
    assert set(groups.values()) == {"名册", "补助", "公文", "设置"}
    assert labels == ISSUE_BUTTONS
    assert len({b.key for b in BUTTONS}) == len(BUTTONS)


def test_the_template_vba_runs_the_module_named_like_the_addin_file():
    """The design rests on this: RunMain is the only ribbon callback and imports <file stem>."""
    olevba = pytest.importorskip("oletools.olevba")
    parser = olevba.VBA_Parser(str(TEMPLATE))
    modules = {stream.split("/")[-1]: code for _, stream, _, code in parser.extract_macros()}
    parser.close()
    assert "Sub RunMain(control As IRibbonControl)" in modules["RibbonMyAddin"]
    assert "mymodule = Left(ThisWorkbook.Name, (InStrRev(ThisWorkbook.Name, \".\"" in modules["RibbonMyAddin"]
    assert 'RunPython "import " & mymodule & ";" & mymodule & ".main()"' in modules["RibbonMyAddin"]
    callbacks = [m for code in modules.values() for m in code.splitlines() if "IRibbonControl" in m]
    assert callbacks == ["Sub RunMain(control As IRibbonControl)"]


@pytest.mark.parametrize("button", BUTTONS, ids=lambda b: b.key)
def test_every_button_resolves_to_a_handler_in_ribbon_py(button):
    stem = button.file_name[: button.file_name.rindex(".")]  # what RunMain imports
    module = importlib.import_module(stem)
    handler = getattr(ribbon, button.handler)
    assert module.main is handler
    assert inspect.isfunction(handler) and handler.__module__ == "mutualaid_xl.excel.ribbon"
    assert list(inspect.signature(handler).parameters) == ["book"]


def test_committed_addin_matches_a_fresh_build(built):
    directory, _ = built
    made_with = (REPO_ADDIN / addin_build.VERSION_FILE).read_text().strip()
    installed = __import__("xlwings").__version__
    if made_with != installed:
        pytest.skip(f"addin/ was built from xlwings {made_with}, this machine has {installed}")
    committed = sorted(p.name for p in REPO_ADDIN.iterdir() if p.name != "README.md")
    assert committed == sorted(p.name for p in directory.iterdir())
    for name in committed:
        assert (REPO_ADDIN / name).read_bytes() == (directory / name).read_bytes(), (
            f"{name} 与 xlwings {__import__('xlwings').__version__} 的模板不一致：请运行 mutualaid addin build")


def test_rebuild_keeps_unchanged_files_and_backs_up_changed_ones(tmp_path):
    addin_build.build(tmp_path)
    target = tmp_path / BUTTONS[0].file_name
    target.write_bytes(b"old")
    outcome = dict(addin_build.build(tmp_path))
    assert outcome[target].startswith("已更新（旧文件备份为 ")
    assert [outcome[tmp_path / b.file_name] for b in BUTTONS[1:]] == ["未变"] * (len(BUTTONS) - 1)
    backups = list(tmp_path.glob(f"{target.stem}.bak-*.xlam"))
    assert len(backups) == 1 and backups[0].read_bytes() == b"old"


def test_install_puts_addins_in_startup_and_merges_settings(tmp_path):
    startup, home = tmp_path / "XLSTART", tmp_path / "home"
    xlwings_conf = home / ".xlwings" / "xlwings.conf"
    xlwings_conf.parent.mkdir(parents=True)
    xlwings_conf.write_text('"CONDA PATH","C:\\conda"\r\n"UDF MODULES","other"\r\n', encoding="utf-8")
    (startup).mkdir()
    old = startup / BUTTONS[0].file_name
    old.write_bytes(b"an older add-in")
    results = dict(addin_build.install(startup, home, xlwings_conf, r"C:\Python311\python.exe", platform="win32x"))
    for button in BUTTONS:
        assert _parts(startup / button.file_name)[VBA_PROJECT] == _parts(TEMPLATE)[VBA_PROJECT]
    # Excel opens every file in XLSTART: the backup must be elsewhere
    assert sorted(p.name for p in startup.iterdir()) == sorted(b.file_name for b in BUTTONS)
    backups = list((home / ".mutualaid" / "backup").glob("*.xlam"))
    assert [b.read_bytes() for b in backups] == [b"an older add-in"]
    assert results[old].startswith("已更新")
    myaddin = home / ".myaddin" / "myaddin.conf"
    assert addin_build.read_conf(myaddin) == {"INTERPRETER_WIN": r"C:\Python311\python.exe"}
    assert addin_build.read_conf(xlwings_conf) == {
        "CONDA PATH": "C:\\conda", "UDF Modules": "mutualaid_xl.udfs", "INTERPRETER_WIN": r"C:\Python311\python.exe"}
    again = dict(addin_build.install(startup, home, xlwings_conf, r"C:\Python311\python.exe", platform="win32x"))
    assert set(again.values()) == {"未变"}


def test_install_on_macos_uses_the_sandboxed_settings_file(tmp_path):
    results = dict(addin_build.install(tmp_path / "s", tmp_path, tmp_path / "x.conf", "/usr/bin/python3",
                                       platform="darwin"))
    conf = tmp_path / "Library/Containers/com.microsoft.Excel/Data/myaddin.conf"
    assert results[conf] == "已生成"
    assert addin_build.read_conf(conf) == {"INTERPRETER_MAC": "/usr/bin/python3"}


def test_settings_files_use_the_ansi_code_page_on_windows(monkeypatch):
    monkeypatch.setattr(addin_build.locale, "getpreferredencoding", lambda do_setlocale=True: "cp936")
    assert addin_build.conf_encoding("win32") == "cp936"
    assert addin_build.conf_encoding("darwin") == "utf-8"


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="the refusal is for systems without Excel")
def test_install_refuses_clearly_where_excel_cannot_run():
    result = CliRunner().invoke(app, ["addin", "install"])
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "Excel加载项只能在Windows或macOS" in text.replace(" ", "") and "mutualaid --help" in text
    assert "Traceback" not in result.output


def test_addin_build_command(tmp_path):
    result = CliRunner().invoke(app, ["addin", "build", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert len(list(tmp_path.glob("*.xlam"))) == len(BUTTONS)


def _as_windows(monkeypatch, tmp_path, returncode=0):
    """`mutualaid addin install` as on Windows: Excel's folders and xlwings' own installer faked."""
    import subprocess

    import xlwings
    import xlwings.cli

    from mutualaid_xl.cli import addin as cli_addin

    startup, home = tmp_path / "XLSTART", tmp_path / "home"
    startup.mkdir()
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(xlwings.cli, "get_addin_dir", lambda global_location=False: str(startup))
    monkeypatch.setattr(xlwings, "USER_CONFIG_FILE", str(home / ".xlwings" / "xlwings.conf"))
    commands = []
    monkeypatch.setattr(cli_addin.subprocess, "run",
                        lambda command, check: commands.append(command) or subprocess.CompletedProcess(command, returncode))
    return startup, home, commands


def test_install_command_on_windows_reports_what_it_did(monkeypatch, tmp_path):
    startup, home, commands = _as_windows(monkeypatch, tmp_path)
    result = CliRunner().invoke(app, ["addin", "install"])
    assert result.exit_code == 0, result.output
    text = "".join(result.output.split())
    assert "已安装职工互助加载项" in text and "Excel启动时会自动打开上面7个加载项" in text
    assert "已安装xlwings加载项" in text
    assert sorted(p.name for p in startup.iterdir()) == sorted(b.file_name for b in BUTTONS)
    assert addin_build.read_conf(home / ".myaddin" / "myaddin.conf") == {"INTERPRETER_WIN": sys.executable}
    assert commands == [[sys.executable, "-m", "xlwings.cli", "addin", "install"]]


def test_install_command_says_what_to_do_when_a_file_is_locked(monkeypatch, tmp_path):
    startup, _, _ = _as_windows(monkeypatch, tmp_path)

    def locked(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(startup / BUTTONS[0].file_name))

    monkeypatch.setattr(addin_build, "install", locked)
    result = CliRunner().invoke(app, ["addin", "install"])
    assert result.exit_code == 2
    assert "请先关闭所有Excel窗口" in "".join(result.output.split())
    assert "Traceback" not in result.output


def test_install_command_when_the_xlwings_addin_fails(monkeypatch, tmp_path):
    _as_windows(monkeypatch, tmp_path, returncode=1)
    result = CliRunner().invoke(app, ["addin", "install"])
    assert result.exit_code == 0
    assert "xlwings加载项没有装好" in "".join(result.output.split())
