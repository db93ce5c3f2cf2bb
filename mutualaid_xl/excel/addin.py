"""The Excel add-in ``mutualaid_xl.xlam``: one file, one VBA project of its own, one ribbon callback.

Built from xlwings' ribbon add-in template (``quickstart_addin_ribbon.xlam``), of which it keeps
the workbook parts and the VBA modules ``xlwings`` (RunPython, the UDF bridge), ``Dictionary``
and the document modules. Its VBA project is written anew, as source only (see ``vba.py``):

- project ``MutualAidXL`` (the template's is ``MyAddin``), its xlwings settings read as
  ``mutualaid`` (``%USERPROFILE%\\.mutualaid\\mutualaid.conf``, where ``install`` records the
  Python interpreter);
- module ``MutualAidRibbon`` with the one ribbon callback ``OnButton(control)``, which passes
  ``control.Id`` to ``ribbon.run_button``; every button's ``onAction`` names it;
- module ``MutualAidFunctions``: the worksheet-function wrappers xlwings' ImportPythonUDFsToAddin
  would write (``XLPy.CallUDF("mutualaid_xl.udfs", …)``), so any open workbook can use
  ``=SUBSIDY()`` while the add-in is loaded, and the registration of their Chinese descriptions.

The template's ``RibbonMyAddin.RunMain`` is left out. Which button runs which handler: BUTTONS.
"""

from __future__ import annotations

import csv
import inspect
import io
import locale
import shutil
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import xlwings

from ..errors import FileFormatError, os_reason
from ..files import backup_name, write_bytes_atomic
from . import vba

TEMPLATE = Path(xlwings.__file__).parent / "quickstart_addin_ribbon.xlam"
ADDIN_FILE = "mutualaid_xl.xlam"
CUSTOM_UI = "customUI/customUI.xml"
VBA_PROJECT = "xl/vbaProject.bin"
PROJECT_NAME = "MutualAidXL"          # the VBA project's name
CONF_NAME = "mutualaid"               # PROJECT_NAME in xlwings' VBA module: names its settings file
RIBBON_MODULE, FUNCTIONS_MODULE = "MutualAidRibbon", "MutualAidFunctions"
CALLBACK = f"{RIBBON_MODULE}.OnButton"
UDF_MODULE = "mutualaid_xl.udfs"
VERSION_FILE = "XLWINGS_VERSION"
TAB_LABEL = "职工互助"
GROUPS = {"roster": "名册", "claims": "补助", "documents": "公文", "settings": "设置"}
KEPT_MODULES = ("ThisWorkbook", "Sheet2", "Dictionary", "xlwings")   # from the template
# Earlier versions installed one add-in per button; install backs them up and removes them.
OLD_ADDINS = tuple(f"mutualaid_xl.buttons.{key}.xlam"
                   for key in ("validate", "fill", "claims", "notice", "application", "seal", "settings"))


@dataclass(frozen=True)
class Button:
    key: str
    label: str
    group: str        # key of GROUPS
    image: str        # imageMso: a built-in Office icon
    tip: str          # supertip shown under the screentip
    handler: str      # function name in mutualaid_xl.excel.ribbon

    @property
    def id(self) -> str:
        """The ribbon control id, which OnButton passes to ``ribbon.run_button``."""
        return f"mutualaid_{self.key}"


BUTTONS = (
    Button("validate", "校验名册", "roster", "DataValidation",
           "检查当前名册：身份证号、重复、年龄、类别、交费金额、参互比例、空白；问题写在新的“校验结果”工作表，不改动名册。",
           "validate_roster"),
    Button("fill", "填写汇总表", "roster", "AutoSum",
           "按当前名册填写参互申请表、参互单位台账和年度参互汇总表。", "fill_summaries"),
    Button("claims", "计算补助", "claims", "CalculateNow",
           "用计算引擎重算当前补助登记表的每一笔补助（首次住院、已付补助金按身份证号自动得出），结果和计算说明写入新工作簿。",
           "compute_claims"),
    Button("stats", "运行统计", "claims", "ChartInsert",
           "按当前补助登记表和旁边“名册”文件夹中的名册填写运行情况统计表，并生成互助金收支情况公示（Word）。",
           "run_statistics"),
    Button("notice", "生成红头通知", "documents", "FileNew",
           "按“设置”中的方案生成开展职工医疗互助工作的红头通知（Word）。", "make_notice"),
    Button("application", "生成申请表", "documents", "TableInsert",
           "按当前名册生成参互申请表（Word）。", "make_application"),
    Button("seal", "盖章并导出PDF", "documents", "FileSaveAsPdfOrXps",
           "给生成的公文加盖电子印章并导出 PDF。", "stamp_pdf"),
    Button("settings", "设置", "settings", "PropertySheet",
           "查看或修改本工作簿使用的方案（方案编号）；没有“设置”工作表时自动添加。", "settings"),
)


def custom_ui() -> str:
    """The ribbon XML: the 职工互助 tab, its groups in order, every button calling OnButton."""
    groups: dict[str, list[str]] = {}
    for button in BUTTONS:
        attrs = {
            "id": button.id, "label": button.label, "size": "large", "imageMso": button.image,
            "screentip": button.label, "supertip": button.tip, "onAction": CALLBACK,
        }
        groups.setdefault(button.group, []).append(
            "          <button " + " ".join(f"{name}={quoteattr(value)}" for name, value in attrs.items()) + " />\n")
    body = "".join(f'        <group id="mutualaid_group_{key}" label={quoteattr(GROUPS[key])}>\n'
                   + "".join(buttons) + "        </group>\n" for key, buttons in groups.items())
    return (
        '<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui">\n'
        "  <ribbon>\n    <tabs>\n"
        f'      <tab id="mutualaid_tab" label={quoteattr(TAB_LABEL)}>\n{body}      </tab>\n'
        "    </tabs>\n  </ribbon>\n</customUI>\n"
    )


# ------------------------------------------------------------------ the VBA modules


def _vba_text(variable: str, text: str) -> list[str]:
    """VBA lines setting ``variable`` to ``text``; VBA source stays ASCII (the project's code page
    is the template's), so Chinese text is spelled as UTF-16 hex and decoded by U()."""
    hexes = text.encode("utf-16-be").hex().upper()
    parts = [hexes[i:i + 200] for i in range(0, len(hexes), 200)] or [""]
    return [f'    {variable} = U("{parts[0]}")'] + [f'    {variable} = {variable} & U("{p}")' for p in parts[1:]]


def _wrapper(name: str, function) -> list[str]:
    """One function as xlwings' ImportPythonUDFsToAddin writes it (udfs.generate_vba_wrapper, add-in case)."""
    params = list(inspect.signature(function).parameters.values())
    signature = ", ".join(("Optional " if p.default is not inspect.Parameter.empty else "") + p.name for p in params)
    args = f"Array({', '.join(p.name for p in params)})"
    return [
        f"Function {name}({signature})",
        '    #If App = "Microsoft Excel" Then',
        "        If TypeOf Application.Caller Is Range Then On Error GoTo failed",
        f'        {name} = XLPy.CallUDF("{UDF_MODULE}", "{name}", {args}, ActiveWorkbook, Application.Caller)',
        "        Exit Function",
        "    #Else",
        f'        {name} = XLPy.CallUDF("{UDF_MODULE}", "{name}", {args})',
        "        Exit Function",
        "    #End If",
        "failed:",
        f"    {name} = Err.Description",
        "End Function",
        "",
    ]


def _registration(functions: dict) -> list[str]:
    """RegisterFunctions: the functions' Chinese descriptions and category for Insert Function.
    Excel may refuse MacroOptions for an add-in; the functions work without it."""
    from . import udfs

    lines = ["Sub RegisterFunctions()", "    Dim d As String, c As String", "    Dim a() As String",
             "    On Error Resume Next", *_vba_text("c", udfs.CATEGORY)]
    docs = udfs.ARGUMENT_DOCS
    for name, function in functions.items():
        params = list(inspect.signature(function).parameters)
        lines += [*_vba_text("d", (inspect.getdoc(function) or name)[:255]), f"    ReDim a(0 To {len(params) - 1})"]
        for k, param in enumerate(params):
            lines += _vba_text(f"a({k})", docs[name].get(param, param)[:255])
        lines.append(f"    Application.MacroOptions Macro:=\"'\" & ThisWorkbook.Name & \"'!{name}\", "
                     "Description:=d, Category:=c, ArgumentDescriptions:=a")
    return lines + ["End Sub", "", "Private Function U(hexText As String) As String",
                    "    Dim i As Long", "    For i = 1 To Len(hexText) Step 4",
                    '        U = U & ChrW(CLng("&H" & Mid$(hexText, i, 4)))', "    Next i", "End Function", ""]


def functions_module() -> str:
    from . import udfs  # Excel calls them as mutualaid_xl.udfs, which re-exports these

    functions = {name: getattr(udfs, name) for name in udfs.__all__}
    lines = [f'Attribute VB_Name = "{FUNCTIONS_MODULE}"',
             "' The worksheet functions of mutualaid_xl.udfs, as xlwings' ImportPythonUDFsToAddin writes them.",
             "#Const App = \"Microsoft Excel\" 'Adjust when using outside of Excel", ""]
    for name, function in functions.items():
        lines += _wrapper(name, function)
    return "\r\n".join(lines + _registration(functions))


def ribbon_module() -> str:
    return "\r\n".join([
        f'Attribute VB_Name = "{RIBBON_MODULE}"',
        "' The one callback of every button on the ribbon tab: Python learns from the id which button it was.",
        "Sub OnButton(control As IRibbonControl)",
        '    RunPython "import mutualaid_xl.excel.ribbon as ribbon; ribbon.run_button(\'" & control.Id & "\')"',
        "End Sub", ""])


def vba_modules(template: vba.Template) -> list[vba.Module]:
    missing = [name for name in KEPT_MODULES if name not in template.modules]
    xlwings_source = template.modules.get("xlwings", vba.Module("", "", "")).source
    setting = 'Public Const PROJECT_NAME As String = "myaddin"'
    if missing or setting not in xlwings_source:
        raise FileFormatError(f"xlwings 的加载项模板与预期不同（缺少 {missing or setting}）；请安装 xlwings 0.37 版",
                              file=str(TEMPLATE))
    kept = {name: template.modules[name] for name in KEPT_MODULES}
    kept["xlwings"] = vba.Module("xlwings", "standard",
                                 xlwings_source.replace(setting, setting.replace("myaddin", CONF_NAME)))
    this = kept["ThisWorkbook"]
    kept["ThisWorkbook"] = vba.Module(this.name, this.kind, this.source.rstrip("\r\n") + "\r\n"
                                      "Private Sub Workbook_Open()\r\n    RegisterFunctions\r\nEnd Sub\r\n")
    return [*kept.values(), vba.Module(RIBBON_MODULE, "standard", ribbon_module()),
            vba.Module(FUNCTIONS_MODULE, "standard", functions_module())]


def addin_bytes(template: Path = TEMPLATE) -> bytes:
    """The add-in: the template's parts, with our ribbon, our VBA project and the settings sheet renamed."""
    try:
        source = zipfile.ZipFile(template)
    except (OSError, zipfile.BadZipFile) as error:
        reason = os_reason(error) if isinstance(error, OSError) else "不是有效的压缩文件"
        raise FileFormatError(f"读不出 xlwings 的加载项模板（{reason}）；请重新安装 xlwings", file=str(template)) from error
    with source:
        template_project = vba.Template.read(source.read(VBA_PROJECT))
        project = vba.project_bin(template_project, PROJECT_NAME, vba_modules(template_project))
        replaced = {CUSTOM_UI: custom_ui().encode("utf-8"), VBA_PROJECT: project,
                    "xl/workbook.xml": source.read("xl/workbook.xml").replace(b'name="_myaddin.conf"',
                                                                              f'name="_{CONF_NAME}.conf"'.encode())}
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as target:
            for info in source.infolist():
                target.writestr(info, replaced.get(info.filename) or source.read(info), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def conf_text(values: dict[str, str]) -> str:
    """xlwings' settings-file format: one ``"KEY","value"`` line per setting."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    for key, value in values.items():
        writer.writerow([key, value])
    return out.getvalue()


def conf_encoding(platform: str = sys.platform) -> str:
    """VBA reads settings files in the ANSI code page on Windows (GBK on Chinese Windows)."""
    return locale.getpreferredencoding(False) if platform == "win32" else "utf-8"


def read_conf(path: Path, encoding: str = "utf-8") -> dict[str, str]:
    if not path.exists():
        return {}
    text = path.read_bytes().decode(encoding, errors="replace").lstrip("\ufeff")
    return {row[0]: row[1] if len(row) > 1 else "" for row in csv.reader(io.StringIO(text)) if row}


def _put(data: bytes, path: Path, backup_dir: Path | None = None) -> str:
    """Write ``data`` to ``path`` through a temp file; a different old file is kept as a backup.

    Returns what happened, in Chinese. ``backup_dir``: where backups go (Excel opens every file
    in XLSTART, so a backup must never stay there).
    """
    if path.exists() and path.read_bytes() == data:
        return "未变"
    backup = write_bytes_atomic(data, path, backup_dir=backup_dir)
    return f"已更新（旧文件备份为 {backup}）" if backup else "已生成"


def build(directory: Path | str = "addin", template: Path = TEMPLATE) -> list[tuple[Path, str]]:
    """Write the add-in and the xlwings version it was built from into ``directory``; returns (file, outcome)."""
    directory = Path(directory)
    target, version = directory / ADDIN_FILE, directory / VERSION_FILE
    return [(target, _put(addin_bytes(template), target)),
            (version, _put(f"{xlwings.__version__}\n".encode("ascii"), version))]


def conf_path(home: Path, platform: str = sys.platform) -> Path:
    """Where the add-in's xlwings VBA (PROJECT_NAME "mutualaid") reads its user settings."""
    if platform == "darwin":
        return home / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / f"{CONF_NAME}.conf"
    return home / f".{CONF_NAME}" / f"{CONF_NAME}.conf"


def _merge_conf(path: Path, values: dict[str, str], backup_dir: Path, encoding: str) -> str:
    """Set ``values`` in an xlwings settings file, keeping every other setting in it."""
    merged = read_conf(path, encoding)
    for key, value in values.items():
        for old in [k for k in merged if k.upper() == key.upper()]:
            del merged[old]
        merged[key] = value
    return _put(conf_text(merged).encode(encoding), path, backup_dir)


def _retire(path: Path, backup_dir: Path) -> str:
    """Move an old add-in out of XLSTART into the backup folder."""
    backup_dir.mkdir(parents=True, exist_ok=True)
    target = backup_name(backup_dir / path.name)
    shutil.move(str(path), target)
    return f"旧加载项已移除（备份为 {target}）"


def install(startup_dir: Path, home: Path, interpreter: str, platform: str = sys.platform,
            template: Path = TEMPLATE) -> list[tuple[Path, str]]:
    """What ``mutualaid addin install`` does, in this order (the README's clerk steps follow it):

    1. build ``mutualaid_xl.xlam`` from the xlwings installed here (its VBA must match the
       Python package) and put it into Excel's startup folder ``startup_dir`` (XLSTART);
    2. move the seven add-ins of earlier versions (``mutualaid_xl.buttons.*.xlam``) out of it;
    3. record the Python ``interpreter`` in the add-in's settings file (``conf_path``).

    Replaced and removed files are kept in ``~/.mutualaid/backup`` (never in XLSTART, whose
    every file Excel opens). Returns (file, outcome) per step.
    """
    backup_dir = home / ".mutualaid" / "backup"
    target = startup_dir / ADDIN_FILE
    results = [(target, _put(addin_bytes(template), target, backup_dir))]
    results += [(startup_dir / name, _retire(startup_dir / name, backup_dir))
                for name in OLD_ADDINS if (startup_dir / name).exists()]
    key = "INTERPRETER_MAC" if platform == "darwin" else "INTERPRETER_WIN"
    conf = conf_path(home, platform)
    results.append((conf, _merge_conf(conf, {key: interpreter}, backup_dir, conf_encoding(platform))))
    return results
