"""The Excel add-in mutualaid_xl.xlam: ribbon XML against the Office schema, the VBA project read
back with olefile/olevba, every button id mapped to a handler, build and install.

No Excel here: what Excel does with the file (compiling the VBA, showing the tab, calling
Python) is not tested; the README says so.
"""

import inspect
import io
import re
import sys
import zipfile
from pathlib import Path

import olefile
import pytest
from fake_book import FakeBook
from lxml import etree
from typer.testing import CliRunner

from mutualaid_xl import udfs
from mutualaid_xl.cli import app
from mutualaid_xl.excel import addin as addin_build
from mutualaid_xl.excel import ribbon, vba
from mutualaid_xl.excel import udfs as excel_udfs
from mutualaid_xl.excel.addin import (
    ADDIN_FILE,
    BUTTONS,
    CALLBACK,
    CUSTOM_UI,
    OLD_ADDINS,
    TEMPLATE,
    VBA_PROJECT,
)

ROOT = Path(__file__).resolve().parent.parent
REPO_ADDIN = ROOT / "addin"
UI = "{http://schemas.microsoft.com/office/2006/01/customui}"
XS = "{http://www.w3.org/2001/XMLSchema}"
ISSUE_BUTTONS = ["校验名册", "填写汇总表", "计算补助", "运行统计", "生成红头通知", "生成申请表", "盖章并导出PDF", "设置"]
olevba = pytest.importorskip("oletools.olevba")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    directory = tmp_path_factory.mktemp("addin")
    results = addin_build.build(directory)
    return directory, results


@pytest.fixture(scope="module")
def parts(built):
    directory, _ = built
    with zipfile.ZipFile(directory / ADDIN_FILE) as z:
        assert z.testzip() is None
        return {name: z.read(name) for name in z.namelist()}


@pytest.fixture(scope="module")
def macros(parts):
    parser = olevba.VBA_Parser(ADDIN_FILE, data=parts[VBA_PROJECT])
    found = {stream.split("/")[-1]: code for _, stream, _, code in parser.extract_macros()}
    parser.close()
    return found


def office_schema() -> etree.XMLSchema:
    """The 2006 customUI schema (tests/data/customUI.xsd, from the Office RibbonX Editor). libxml2
    rejects attributes that an extension declares again although its base type has them; those
    repeated declarations are dropped, which changes no rule."""
    tree = etree.parse(str(ROOT / "tests" / "data" / "customUI.xsd"))
    groups = {g.get("name"): g for g in tree.getroot().findall(XS + "attributeGroup")}

    def names(group) -> set:
        own = {a.get("name") for a in group.findall(XS + "attribute")}
        return own.union(*(names(groups[r.get("ref")]) for r in group.findall(XS + "attributeGroup")))

    for _ in range(50):
        try:
            return etree.XMLSchema(tree)
        except etree.XMLSchemaParseError as error:
            found = re.search(r"complex type '(\w+)': Duplicate attribute use '(\w+)'", str(error))
            assert found, error
            extension = tree.getroot().find(f"{XS}complexType[@name='{found[1]}']").find(f".//{XS}extension")
            repeated = next((r for r in extension.findall(XS + "attributeGroup")
                             if found[2] in names(groups[r.get("ref")])), None)
            if repeated is None:
                repeated = extension.find(f"{XS}attribute[@name='{found[2]}']")
            extension.remove(repeated)
    raise AssertionError("schema does not compile")


# ------------------------------------------------------------------ the file


def test_build_writes_one_addin_and_the_xlwings_version(built):
    directory, results = built
    assert sorted(p.name for p in directory.iterdir()) == sorted([ADDIN_FILE, "XLWINGS_VERSION"])
    assert {outcome for _, outcome in results} == {"已生成"}
    assert (directory / "XLWINGS_VERSION").read_text() == __import__("xlwings").__version__ + "\n"
    assert ADDIN_FILE.isascii()


def test_the_addin_is_the_template_with_ribbon_vba_and_settings_sheet_replaced(parts):
    with zipfile.ZipFile(TEMPLATE) as z:
        template = {name: z.read(name) for name in z.namelist()}
    assert list(parts) == list(template)
    changed = {name for name in parts if parts[name] != template[name]}
    assert changed == {CUSTOM_UI, VBA_PROJECT, "xl/workbook.xml"}
    assert parts["xl/workbook.xml"] == template["xl/workbook.xml"].replace(b"_myaddin.conf", b"_mutualaid.conf")


# ------------------------------------------------------------------ the ribbon


def test_ribbon_xml_is_valid_against_the_office_schema(parts):
    schema = office_schema()
    document = etree.fromstring(parts[CUSTOM_UI])
    assert schema.validate(document), schema.error_log
    broken = etree.fromstring(parts[CUSTOM_UI].replace(b'size="large"', b'size="huge"', 1))
    assert not schema.validate(broken)   # the schema does check
    duplicate = etree.fromstring(parts[CUSTOM_UI].replace(b'id="mutualaid_fill"', b'id="mutualaid_validate"'))
    assert not schema.validate(duplicate)


def test_one_tab_with_all_buttons_in_order_all_calling_the_dispatcher(parts):
    root = etree.fromstring(parts[CUSTOM_UI])
    tabs = root.findall(f"{UI}ribbon/{UI}tabs/{UI}tab")
    assert [t.get("label") for t in tabs] == ["职工互助"]
    groups = tabs[0].findall(f"{UI}group")
    assert [g.get("label") for g in groups] == ["名册", "补助", "公文", "设置"]
    buttons = tabs[0].findall(f".//{UI}button")
    assert [b.get("label") for b in buttons] == ISSUE_BUTTONS
    assert [b.get("id") for b in buttons] == [b.id for b in BUTTONS]
    assert {b.get("onAction") for b in buttons} == {CALLBACK} == {"MutualAidRibbon.OnButton"}
    for element in buttons:
        assert element.get("screentip") == element.get("label")
        assert element.get("imageMso") and element.get("size") == "large"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in element.get("supertip"))


@pytest.mark.parametrize("button", BUTTONS, ids=lambda b: b.key)
def test_every_button_id_runs_its_handler(monkeypatch, button):
    calls = []
    for other in BUTTONS:
        monkeypatch.setattr(ribbon, other.handler, lambda book=None, name=other.handler: calls.append((name, book)))
    book = FakeBook("名册")
    ribbon.run_button(button.id, book)
    assert calls == [(button.handler, book)]


def test_an_unknown_button_id_is_explained_not_raised():
    book = FakeBook("名册")
    message = ribbon.run_button("mutualaid_nothing", book)
    assert "mutualaid_nothing" in message and "mutualaid addin install" in message
    assert book.app.alerts == [("职工互助：按钮", message)]


# ------------------------------------------------------------------ the VBA project


def test_vba_project_has_its_own_name_and_the_expected_modules(parts, macros):
    ole = olefile.OleFileIO(io.BytesIO(parts[VBA_PROJECT]), raise_defects=olefile.DEFECT_INCORRECT)
    project = ole.openstream("PROJECT").read().decode("cp1252")
    ole.close()
    assert 'Name="MutualAidXL"' in project and "MyAddin" not in project
    assert sorted(macros) == sorted(["ThisWorkbook", "Sheet2", "Dictionary", "xlwings", "MutualAidRibbon",
                                     "MutualAidFunctions"])
    assert vba.Template.read(parts[VBA_PROJECT]).modules.keys() == macros.keys()
    assert 'Public Const PROJECT_NAME As String = "mutualaid"' in macros["xlwings"]
    assert "RunMain" not in "".join(macros.values())
    assert all(code.isascii() for code in macros.values())


def _decrypt(hex_text: str) -> tuple[int, int, bytes]:
    """MS-OVBA 2.4.3.3 data decryption: (version, project key, data)."""
    data = bytes.fromhex(hex_text)
    seed, version_enc, key_enc = data[:3]
    plain1, enc1, enc2, out = seed ^ key_enc, key_enc, version_enc, []
    for byte_enc in data[3:]:
        byte = byte_enc ^ ((enc2 + plain1) & 0xFF)
        out.append(byte)
        enc2, enc1, plain1 = enc1, byte_enc, byte
    body = bytes(out[(seed & 6) // 2:])
    return seed ^ version_enc, seed ^ key_enc, body[4:4 + int.from_bytes(body[:4], "little")]


def test_project_id_is_its_own_and_its_protection_fields_decrypt_with_it(parts):
    def fields(blob):
        ole = olefile.OleFileIO(io.BytesIO(blob))
        text = ole.openstream("PROJECT").read().decode("cp1252")
        ole.close()
        return dict(re.findall(r'^(ID|CMG|DPB|GC)="([^"]*)"', text, re.MULTILINE))

    with zipfile.ZipFile(TEMPLATE) as z:
        template = fields(z.read(VBA_PROJECT))
    ours = fields(parts[VBA_PROJECT])
    assert ours["ID"] != template["ID"]
    for project in (template, ours):   # the decryption is right: it reads the template's fields too
        key = sum(project["ID"].encode()) & 0xFF
        assert _decrypt(project["CMG"]) == (2, key, bytes(4))        # not protected
        assert _decrypt(project["DPB"]) == (2, key, b"\0")           # no password
        assert _decrypt(project["GC"]) == (2, key, b"\xff")          # visible


def test_the_one_dispatcher_passes_the_control_id_to_python(macros, monkeypatch):
    callbacks = [line.strip() for code in macros.values() for line in code.splitlines() if "IRibbonControl" in line]
    assert callbacks == ["Sub OnButton(control As IRibbonControl)"]
    call = re.search(r'RunPython "(.*)" & control\.Id & "(.*)"', macros["MutualAidRibbon"])
    pressed = []
    monkeypatch.setattr(ribbon, "run_button", lambda control_id, book=None: pressed.append(control_id))
    for button in BUTTONS:   # the Python text VBA builds for this button, run as RunPython would
        exec(call[1] + button.id + call[2], {})  # noqa: S102 - our own VBA string, as RunPython runs it
    assert pressed == [b.id for b in BUTTONS]


def test_every_worksheet_function_has_a_wrapper_in_the_addin(macros):
    code = macros["MutualAidFunctions"]
    for name in udfs.__all__:
        params = list(inspect.signature(getattr(udfs, name)).parameters.values())
        required = [p.name for p in params if p.default is inspect.Parameter.empty]
        signature = ", ".join(required + [f"Optional {p.name}" for p in params if p.name not in required])
        assert f"Function {name}({signature})\r\n" in code
        args = ", ".join(p.name for p in params)
        assert (f'{name} = XLPy.CallUDF("mutualaid_xl.udfs", "{name}", Array({args}), ActiveWorkbook, '
                f"Application.Caller)") in code
    assert len(re.findall(r"^Function ", code, re.MULTILINE)) == len(udfs.__all__)


def test_function_descriptions_decode_to_the_chinese_docs(macros):
    """RegisterFunctions spells Chinese as UTF-16 hex for U(); decoded the way U() does, it is the docstring."""
    code = macros["MutualAidFunctions"]
    texts = []
    for line in code.splitlines():
        assigned = re.match(r'\s+(\w+(?:\(\d+\))?) = (\1 & )?U\("([0-9A-F]*)"\)$', line)
        if assigned:
            piece = bytes.fromhex(assigned[3]).decode("utf-16-be")
            if assigned[2]:
                texts[-1] += piece
            else:
                texts.append(piece)
    assert "职工互助" in texts
    for name in udfs.__all__:
        assert inspect.getdoc(getattr(udfs, name))[:255] in texts
        assert f"\"'!{name}\", Description:=d, Category:=c, ArgumentDescriptions:=a" in code
        assert all(doc in texts for doc in excel_udfs.ARGUMENT_DOCS[name].values())


def test_compression_round_trips_through_oletools():
    with zipfile.ZipFile(TEMPLATE) as z:
        big = vba.Template.read(z.read(VBA_PROJECT)).modules["xlwings"].source.encode("cp1252")
    assert len(big) > 40_000
    samples = [big, big[:4096], big[:4097], b"", b"a", b"abc" * 5000, bytes(range(256)) * 15]
    for data in samples:
        packed = vba.compress(data)
        assert bytes(olevba.decompress_stream(bytearray(packed))) == data
        assert vba.decompress(packed) == data
    assert len(vba.compress(big)) < len(big) / 2


def test_streams_are_stored_compressed_and_source_only(parts, macros):
    ole = olefile.OleFileIO(io.BytesIO(parts[VBA_PROJECT]), raise_defects=olefile.DEFECT_INCORRECT)
    assert ole.openstream("VBA/_VBA_PROJECT").read()[:4] == b"\xcc\x61\xff\xff"   # version 0xFFFF: recompile
    for name, code in macros.items():
        stored = ole.openstream(f"VBA/{name}").read()
        assert vba.decompress(stored).decode("cp1252").replace("\r\n", "\n").rstrip() == code.replace(
            "\r\n", "\n").rstrip()
    ole.close()


# ------------------------------------------------------------------ build and install


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
            f"{name} 与本机 xlwings {installed} 生成的不一致：请运行 mutualaid addin build")


def test_rebuild_keeps_an_unchanged_file_and_backs_up_a_changed_one(tmp_path):
    addin_build.build(tmp_path)
    assert set(dict(addin_build.build(tmp_path)).values()) == {"未变"}
    target = tmp_path / ADDIN_FILE
    target.write_bytes(b"old")
    assert dict(addin_build.build(tmp_path))[target].startswith("已更新（旧文件备份为 ")
    backups = list(tmp_path.glob("mutualaid_xl.bak-*.xlam"))
    assert [b.read_bytes() for b in backups] == [b"old"]


def test_install_puts_the_addin_in_startup_and_retires_the_seven_old_ones(tmp_path):
    startup, home = tmp_path / "XLSTART", tmp_path / "home"
    startup.mkdir()
    for name in OLD_ADDINS:
        (startup / name).write_bytes(f"old {name}".encode())
    (startup / "个人宏.xlsb").write_bytes(b"someone else's")
    conf = home / ".mutualaid" / "mutualaid.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text('"CONDA PATH","C:\\conda"\r\n', encoding="utf-8")
    results = addin_build.install(startup, home, r"C:\Python311\python.exe", platform="win32x")
    assert sorted(p.name for p in startup.iterdir()) == sorted([ADDIN_FILE, "个人宏.xlsb"])
    assert (startup / ADDIN_FILE).read_bytes() == addin_build.addin_bytes()
    backup = home / ".mutualaid" / "backup"
    kept = {re.sub(r"\.bak-[\d-]+", "", p.name): p.read_bytes() for p in backup.iterdir()}
    assert kept == {**{name: f"old {name}".encode() for name in OLD_ADDINS},
                    "mutualaid.conf": b'"CONDA PATH","C:\\conda"\r\n'}   # the settings before they changed
    assert [p.name for p, _ in results] == [ADDIN_FILE, *OLD_ADDINS, "mutualaid.conf"]
    assert all(outcome.startswith("旧加载项已移除（备份为 ") for _, outcome in results[1:-1])
    assert addin_build.read_conf(conf) == {"CONDA PATH": "C:\\conda", "INTERPRETER_WIN": r"C:\Python311\python.exe"}
    again = addin_build.install(startup, home, r"C:\Python311\python.exe", platform="win32x")
    assert [(p.name, outcome) for p, outcome in again] == [(ADDIN_FILE, "未变"), ("mutualaid.conf", "未变")]


def test_install_on_macos_uses_the_sandboxed_settings_file(tmp_path):
    results = dict(addin_build.install(tmp_path / "s", tmp_path, "/usr/bin/python3", platform="darwin"))
    conf = tmp_path / "Library/Containers/com.microsoft.Excel/Data/mutualaid.conf"
    assert results[conf] == "已生成"
    assert addin_build.read_conf(conf) == {"INTERPRETER_MAC": "/usr/bin/python3"}


def test_settings_files_use_the_ansi_code_page_on_windows(monkeypatch):
    monkeypatch.setattr(addin_build.locale, "getpreferredencoding", lambda do_setlocale=True: "cp936")
    assert addin_build.conf_encoding("win32") == "cp936"
    assert addin_build.conf_encoding("darwin") == "utf-8"


def test_readme_clerk_steps_follow_what_install_does():
    """Step 3 of the README names what install does, in install's order, and says what is untested."""
    readme = (ROOT / "README.md").read_text("utf-8")
    step = readme[readme.index("### 第三步"):readme.index("### 第四步")]
    said = ["mutualaid addin install", "mutualaid_xl.xlam", "XLSTART", "mutualaid_xl.buttons.",
            r"%USERPROFILE%\.mutualaid\backup", r"%USERPROFILE%\.mutualaid\mutualaid.conf"]
    positions = [step.index(text) for text in said]
    assert positions == sorted(positions)
    assert "尚未在真实的 Excel 中试过" in readme
    assert "Import Functions" not in readme and "另存为" not in step


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
    assert [p.name for p in tmp_path.glob("*.xlam")] == [ADDIN_FILE]


def _as_windows(monkeypatch, tmp_path):
    """`mutualaid addin install` as on Windows: Excel's startup folder faked."""
    import xlwings.cli

    startup, home = tmp_path / "XLSTART", tmp_path / "home"
    startup.mkdir()
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(xlwings.cli, "get_addin_dir", lambda global_location=False: str(startup))
    return startup, home


def test_install_command_on_windows_reports_what_it_did(monkeypatch, tmp_path):
    startup, home = _as_windows(monkeypatch, tmp_path)
    (startup / OLD_ADDINS[0]).write_bytes(b"old")
    result = CliRunner().invoke(app, ["addin", "install"])
    assert result.exit_code == 0, result.output
    text = "".join(result.output.split())
    assert "已安装职工互助加载项" in text and "旧加载项已移除" in text and "mutualaid_xl.xlam" in text
    assert sorted(p.name for p in startup.iterdir()) == [ADDIN_FILE]
    assert addin_build.read_conf(home / ".mutualaid" / "mutualaid.conf") == {"INTERPRETER_WIN": sys.executable}


def test_install_command_says_what_to_do_when_a_file_is_locked(monkeypatch, tmp_path):
    startup, _ = _as_windows(monkeypatch, tmp_path)

    def locked(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(startup / ADDIN_FILE))

    monkeypatch.setattr(addin_build, "install", locked)
    result = CliRunner().invoke(app, ["addin", "install"])
    assert result.exit_code == 2
    assert "请先关闭所有Excel窗口" in "".join(result.output.split())
    assert "Traceback" not in result.output
