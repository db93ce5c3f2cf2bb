"""The Excel add-in: built from xlwings' own ribbon add-in template, one small file per button.

xlwings' template (``quickstart_addin_ribbon.xlam``) has exactly one ribbon callback,
``RibbonMyAddin.RunMain``, which ignores which button was pressed and runs
``import <file name without .xlam>; <that>.main()``. We keep its VBA byte-identical, so the
only thing that can tell Python which button was pressed is the add-in's file name. Hence one
add-in per button, named after a Python module (``mutualaid_xl.buttons.validate.xlam`` runs
``mutualaid_xl.buttons.validate.main()``), whose ``main`` is a handler in ``ribbon.py``. Each
file declares the same tab and groups by qualified id (``idQ``), so Excel merges the
buttons into one 职工互助 tab. Only ``customUI/customUI.xml`` differs from the template.

The VBA reads its settings as project "myaddin": ``%USERPROFILE%\\.myaddin\\myaddin.conf``
(``~/Library/Containers/com.microsoft.Excel/Data/myaddin.conf`` on macOS), where
``install`` records the Python interpreter. xlwings' own add-in (Import Functions) reads
``~/.xlwings/xlwings.conf``, where ``install`` sets ``UDF Modules``.
"""

from __future__ import annotations

import csv
import io
import locale
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import xlwings

from ..errors import FileFormatError, os_reason
from ..files import write_bytes_atomic

TEMPLATE = Path(xlwings.__file__).parent / "quickstart_addin_ribbon.xlam"
CUSTOM_UI = "customUI/customUI.xml"
VBA_PROJECT = "xl/vbaProject.bin"
CALLBACK = "RibbonMyAddin.RunMain"   # the template's only ribbon callback
VBA_PROJECT_NAME = "myaddin"         # PROJECT_NAME in the template's VBA: names its config file
UDF_MODULE = "mutualaid_xl.udfs"
VERSION_FILE = "XLWINGS_VERSION"
CONF_FILE = "xlwings.conf"
TAB_LABEL = "职工互助"
NAMESPACE = "urn:mutualaid_xl"       # shared by all our add-ins: same tab/group ids merge
GROUPS = {"roster": "名册", "claims": "补助", "documents": "公文", "settings": "设置"}


@dataclass(frozen=True)
class Button:
    key: str          # module mutualaid_xl.buttons.<key>, file mutualaid_xl.buttons.<key>.xlam
    label: str
    group: str        # key of GROUPS
    image: str        # imageMso: a built-in Office icon
    tip: str          # supertip shown under the screentip
    handler: str      # function name in mutualaid_xl.ribbon

    @property
    def module(self) -> str:
        return f"mutualaid_xl.buttons.{self.key}"

    @property
    def file_name(self) -> str:
        return f"{self.module}.xlam"


BUTTONS = (
    Button("validate", "校验名册", "roster", "DataValidation",
           "检查当前名册：身份证号、重复、年龄、类别、交费金额、参互比例、空白；问题写在新的“校验结果”工作表，不改动名册。",
           "validate_roster"),
    Button("fill", "填写汇总表", "roster", "AutoSum",
           "按当前名册填写参互申请表、参互单位台账和年度参互汇总表。", "fill_summaries"),
    Button("claims", "计算补助", "claims", "CalculateNow",
           "用计算引擎重算当前补助登记表的每一笔补助（首次住院、已付补助金按身份证号自动得出），结果和计算说明写入新工作簿。",
           "compute_claims"),
    Button("notice", "生成红头通知", "documents", "FileNew",
           "按“设置”中的方案生成开展职工医疗互助工作的红头通知（Word）。", "make_notice"),
    Button("application", "生成申请表", "documents", "TableInsert",
           "按当前名册生成参互申请表（Word）。", "make_application"),
    Button("seal", "盖章并导出PDF", "documents", "FileSaveAsPdfOrXps",
           "给生成的公文加盖电子印章并导出 PDF。", "stamp_pdf"),
    Button("settings", "设置", "settings", "PropertySheet",
           "查看或修改本工作簿使用的方案（方案编号）；没有“设置”工作表时自动添加。", "settings"),
)


def custom_ui(button: Button) -> str:
    """The ribbon XML of one add-in: the shared tab and group, and this add-in's one button."""
    attrs = {
        "id": f"mutualaid_{button.key}", "label": button.label, "size": "large", "imageMso": button.image,
        "screentip": button.label, "supertip": button.tip, "onAction": CALLBACK,
    }
    button_xml = " ".join(f"{name}={quoteattr(value)}" for name, value in attrs.items())
    return (
        '<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui" '
        f'xmlns:ma={quoteattr(NAMESPACE)}>\n'
        "  <ribbon>\n    <tabs>\n"
        f'      <tab idQ="ma:tab" label={quoteattr(TAB_LABEL)}>\n'
        f'        <group idQ="ma:{button.group}" label={quoteattr(GROUPS[button.group])}>\n'
        f"          <button {button_xml} />\n"
        "        </group>\n      </tab>\n    </tabs>\n  </ribbon>\n</customUI>\n"
    )


def addin_bytes(button: Button, template: Path = TEMPLATE) -> bytes:
    """The template with its customUI replaced; every other part (VBA included) copied byte for byte."""
    try:
        source = zipfile.ZipFile(template)
    except (OSError, zipfile.BadZipFile) as error:
        reason = os_reason(error) if isinstance(error, OSError) else "不是有效的压缩文件"
        raise FileFormatError(f"读不出 xlwings 的加载项模板（{reason}）；请重新安装 xlwings", file=str(template)) from error
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = custom_ui(button).encode("utf-8") if info.filename == CUSTOM_UI else source.read(info)
            target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
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
    """Write one add-in per button and ``xlwings.conf`` into ``directory``; returns (file, outcome)."""
    directory = Path(directory)
    results = [(directory / b.file_name, _put(addin_bytes(b, template), directory / b.file_name)) for b in BUTTONS]
    conf = directory / CONF_FILE
    results.append((conf, _put(conf_text({"UDF Modules": UDF_MODULE}).encode("utf-8"), conf)))
    import xlwings  # the add-ins carry this version's VBA, which must match the Python package

    version = directory / VERSION_FILE
    results.append((version, _put(f"{xlwings.__version__}\n".encode("ascii"), version)))
    return results


def myaddin_conf_path(home: Path, platform: str = sys.platform) -> Path:
    """Where the template's VBA (project "myaddin") looks for its user settings."""
    if platform == "darwin":
        return home / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / f"{VBA_PROJECT_NAME}.conf"
    return home / f".{VBA_PROJECT_NAME}" / f"{VBA_PROJECT_NAME}.conf"


def _merge_conf(path: Path, values: dict[str, str], backup_dir: Path, encoding: str) -> str:
    """Set ``values`` in an xlwings settings file, keeping every other setting in it."""
    merged = read_conf(path, encoding)
    for key, value in values.items():
        for old in [k for k in merged if k.upper() == key.upper()]:
            del merged[old]
        merged[key] = value
    return _put(conf_text(merged).encode(encoding), path, backup_dir)


def install(startup_dir: Path, home: Path, xlwings_conf: Path, interpreter: str, platform: str = sys.platform,
            template: Path = TEMPLATE) -> list[tuple[Path, str]]:
    """Put the add-ins into Excel's startup folder and record the settings they need.

    Built from the xlwings installed here, so the add-ins' VBA matches the Python package.
    ``xlwings_conf``: xlwings' user settings file (``xlwings.USER_CONFIG_FILE``). Backups of
    replaced files go to ``~/.mutualaid/backup``. Returns (file, outcome).
    """
    backup_dir = home / ".mutualaid" / "backup"
    encoding = conf_encoding(platform)
    results = [(startup_dir / b.file_name, _put(addin_bytes(b, template), startup_dir / b.file_name, backup_dir))
               for b in BUTTONS]
    interpreter_key = "INTERPRETER_MAC" if platform == "darwin" else "INTERPRETER_WIN"
    conf = myaddin_conf_path(home, platform)
    results.append((conf, _merge_conf(conf, {interpreter_key: interpreter}, backup_dir, encoding)))
    settings = {"UDF Modules": UDF_MODULE, interpreter_key: interpreter}
    results.append((xlwings_conf, _merge_conf(xlwings_conf, settings, backup_dir, encoding)))
    return results
