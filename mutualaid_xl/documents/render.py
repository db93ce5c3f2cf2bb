"""Render Word documents from the templates: notices, forms, summary tables, public lists.

Data comes from an .xlsx workbook, a TOML or a JSON file (or a plain dict from other code).
Templates are rendered by docxtpl in a sandboxed Jinja environment with autoescape, so text
with ``&``, ``<`` or quotes survives and a template edited by a clerk cannot run code;
every template variable must be supplied (a missing one is an error naming it, not a blank).
A template that declares itself public (标记 公开 in its properties) gets names and ID numbers
masked here, whatever the template does and whatever its file is called.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
import os
import re
import signal
import threading
import time
import zipfile
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from docxtpl import DocxTemplate, RichText
from jinja2 import StrictUndefined, Template, TemplateError, UndefinedError
from markupsafe import escape
from jinja2.sandbox import SandboxedEnvironment

from ..rules import money
from . import layout, seal, signing
from ..errors import FileFormatError, InputError, MutualAidError
from ..rules.idcard import mask_id, mask_ids_in, mask_name
from ..files import OutputError, safe_file_name, staged_folder
from ..files import install_bytes
from .office import _FONT_STAND_INS, to_pdf
from ..rules.values import cn_date, is_blank, parse_date, parse_decimal
from ..workbooks import guard

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "data" / "doc_templates"
PUBLIC_MARK = "公开"   # in a template's keywords (标记): names and ID numbers are masked in what it renders
TEMPLATE_NAMES = ("notice", "application_form", "approval_form", "summary_table", "public_list", "fund_statement")

# Fields of each built-in template: name -> Chinese label (what a clerk's sheet may use instead).
FIELDS: dict[str, dict[str, str]] = {
    "notice": {
        "issuer": "发文机关", "doc_number": "发文字号", "title": "标题", "addressees": "主送机关",
        "body": "正文", "attachments": "附件", "signer": "署名", "date": "成文日期", "cc": "抄送",
        "printed_by": "印发机关", "printed_date": "印发日期", "issuer_marking": "发文机关标志", "note": "附注",
    },
    "application_form": {
        "title": "标题", "period": "互助期", "unit": "单位名称", "unit_code": "单位编码", "agent": "代办员",
        "phone": "联系电话", "insured_count": "缴纳城镇职工医保人数", "staff_total": "在职职工人数",
        "renew_count": "续互人数", "new_count": "新参互人数", "active_count": "在职参互人数",
        "retired_count": "退休参互人数", "active_ratio": "在职参互比例", "member_total": "参互总人数",
        "fee_total": "互助金总额", "fee_note": "互助金交纳标准", "date": "日期",
    },
    "approval_form": {
        "title": "标题", "scheme": "方案", "claim_no": "编号", "member": "姓名", "id_number": "身份证号",
        "unit": "工作单位", "category": "人员类别", "hospital": "就诊医院", "stay": "住院时间",
        "diagnosis": "诊断", "serious": "重大疾病", "cover": "保障期", "chronic": "门诊特殊慢性病",
        "settled": "医保结算日期", "applied": "申请日期",
        "days": "住院天数", "self_pay": "统筹内自付", "allowance": "住院补贴", "amount": "补助合计",
        "bands": "分段补助", "adjustments": "补助调整", "lines": "计算说明", "issuer": "互助机构", "date": "日期",
    },
    "summary_table": {
        "title": "标题", "office_label": "机构类别", "office": "机构名称", "name_label": "名称列标题",
        "date": "日期", "rows": "明细", "prepared_by": "填表人", "checked_by": "审核人",
    },
    "public_list": {
        "title": "标题", "intro": "说明", "rows": "名单", "period": "公示期", "issuer": "公示单位",
        "contact": "联系电话", "date": "日期",
    },
    "fund_statement": {
        "title": "标题", "intro": "说明", "rows": "收支情况", "note": "附注", "issuer": "公示单位", "date": "日期",
    },
}
ROW_FIELDS: dict[str, str] = {
    "姓名": "name", "名称": "name", "代办点名称": "name", "办事处名称": "name", "单位名称": "name",
    "身份证号": "id_number", "身份证号码": "id_number", "工作单位": "unit", "单位": "unit",
    "补助金额": "amount", "金额": "amount", "补助合计": "amount",
    "参互单位数": "units", "续互人数": "renew", "新参互人数": "new", "在职参互人数": "active",
    "退休参互人数": "retired", "互助金总额": "fee_total",
    "项目": "item", "数值": "value",
    "分段": "band", "自付费用分段": "band", "段内金额": "base", "补助比例": "ratio", "比例": "ratio",
}
DEFAULTS: dict[str, dict[str, object]] = {
    "notice": {"attachments": [], "cc": "", "note": ""},
    "application_form": {"title": "职工医疗互助保障活动参互申请表", "unit_code": "", "agent": "", "phone": "",
                         "insured_count": "", "staff_total": "", "active_ratio": ""},
    "approval_form": {"title": "职工医疗互助补助审批表", "scheme": "", "claim_no": "", "bands": [], "adjustments": [],
                      "lines": [], "category": "", "hospital": "", "diagnosis": "", "serious": "", "cover": "",
                      "chronic": "", "settled": "", "applied": ""},
    "summary_table": {"title": "年度参互汇总表", "office_label": "办事处名称", "name_label": "代办点名称",
                      "prepared_by": "", "checked_by": ""},
    "public_list": {"intro": "", "contact": ""},
    "fund_statement": {"note": []},
}
LIST_FIELDS = {"body", "lines"}
TEMPLATE_LIST_FIELDS = {"fund_statement": {"note"}}   # the notice's note (附注) is one text
MONEY_FIELDS = {"self_pay", "allowance", "amount", "fee_total"}  # checked before rendering
# characters per title line: 2号 (22 pt) over 156 mm for the notice, 20 pt over 160 / 247 mm for forms
TITLE_CHARS = {"notice": 20, "summary_table": 35}
DATE_FIELDS = {"date", "printed_date"}
# Fields filled from another one when absent; a missing source is reported instead of them.
DERIVED = {"issuer_marking": "issuer", "signer": "issuer", "printed_by": "issuer", "printed_date": "date"}
# Never shown in a public list, whatever the data holds.
PRIVATE_KEYS = {"diagnosis", "诊断", "疾病", "病种", "病名", "疾病名称", "诊断结果", "phone", "电话", "联系电话",
                "address", "住址", "bank_account", "银行账号"}

_H1 = re.compile(r"^[一二三四五六七八九十]+、")
_H2 = re.compile(r"^[（(][一二三四五六七八九十]+[）)]")
# the faces the templates name (LibreOffice substitutes free CJK fonts for those a machine lacks)
FONT_FAMILIES = tuple(dict.fromkeys(name for names, _ in _FONT_STAND_INS.values() for name in names))
_MARKING_WIDTH_PT = 430  # a little under the 156 mm text width


# --- Jinja filters ------------------------------------------------------------------------

def _money(value) -> Decimal:
    return parse_decimal(value, "金额", allow_negative=True)


def filter_yuan(value) -> str:
    return money.yuan(_money(value))


def filter_rmb_upper(value) -> str:
    return money.rmb_upper(_money(value))


def filter_cn_date(value) -> str:
    return cn_date(parse_date(value, "日期"))


def filter_total(rows, key: str):
    """Exact sum of ``key`` over table rows (integers stay integers)."""
    total = sum((_money(row[key]) for row in rows if not is_blank(row.get(key))), Decimal(0))
    return int(total) if total == total.to_integral_value() else total


# What one rendering may use: a clerk's template must not exhaust the machine.
MAX_RANGE = 100_000            # items of range()
MAX_SEQUENCE = 1_000_000       # characters or items made by * or +
MAX_OUTPUT = 50_000_000        # characters of rendered XML in one document
MAX_SECONDS = 60.0             # per document


class TemplateLimitError(Exception):
    """A template went past one of the limits above (the message is Chinese)."""


class _LimitedTemplate(Template):
    def render(self, *args, **kwargs) -> str:
        env = self.environment
        pieces = []
        try:
            for piece in self.root_render_func(self.new_context(dict(*args, **kwargs))):
                env.produced(len(piece))
                pieces.append(piece)
        except Exception:
            self.environment.handle_exception()
        return "".join(pieces)


class _Environment(SandboxedEnvironment):
    """Sandboxed, with the limits above; remembers compiled templates, since docxtpl recompiles the
    same XML for every document."""

    intercepted_binops = frozenset({"*", "+", "**"})
    template_class = _LimitedTemplate

    def __init__(self, **options):
        super().__init__(**options)
        self._compiled: dict[str, object] = {}
        self.globals["range"] = self._range
        self.start()

    def start(self) -> None:
        self.deadline = time.monotonic() + MAX_SECONDS
        self.output = 0

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise TemplateLimitError(f"渲染超过 {MAX_SECONDS:.0f} 秒")

    def produced(self, size: int) -> None:
        self.output += size
        if self.output > MAX_OUTPUT:
            raise TemplateLimitError(f"输出超过 {MAX_OUTPUT // 1_000_000} MB")
        self.check_time()

    def _range(self, *args):
        items = range(*args)
        if len(items) > MAX_RANGE:
            raise TemplateLimitError(f"range 长度超过 {MAX_RANGE}")
        return items

    def call_binop(self, context, operator, left, right):
        self.check_time()
        sized = (str, list, tuple)
        if operator == "*" and isinstance(left, int) != isinstance(right, int):
            seq, times = (left, right) if isinstance(right, int) else (right, left)
            if isinstance(seq, sized) and len(seq) * times > MAX_SEQUENCE:
                raise TemplateLimitError(f"重复生成的文字或列表超过 {MAX_SEQUENCE} 个字符")
        if operator == "+" and isinstance(left, sized) and isinstance(right, sized) \
                and len(left) + len(right) > MAX_SEQUENCE:
            raise TemplateLimitError(f"拼接的文字或列表超过 {MAX_SEQUENCE} 个字符")
        if operator == "**" and isinstance(left, int) and isinstance(right, int) \
                and abs(left) > 1 and right * max(1, abs(left).bit_length()) > 100_000:
            raise TemplateLimitError("乘方结果过大")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context, __obj, *args, **kwargs):
        __self.check_time()
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj, attribute):
        self.check_time()
        return super().getattr(obj, attribute)

    def from_string(self, source, globals=None, template_class=None):
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        if source not in self._compiled:
            self._compiled[source] = super().from_string(source)
        return self._compiled[source]


@contextmanager
def _alarm(seconds: float):
    """Stops a template loop that calls nothing (the checks above never run there); main thread, POSIX."""
    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise TemplateLimitError(f"渲染超过 {seconds:.0f} 秒")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds + 1)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def jinja_env() -> SandboxedEnvironment:
    env = _Environment(autoescape=True, undefined=StrictUndefined)
    env.filters.update(
        yuan=filter_yuan, rmb_upper=filter_rmb_upper, cn_date=filter_cn_date, total=filter_total,
        mask_name=mask_name, mask_id=mask_id,
    )
    return env


# --- data loading -------------------------------------------------------------------------

def _clean(value):
    """A cell value as the templates want it: whole floats as int, dates as date, text stripped."""
    if isinstance(value, float):
        return int(value) if value.is_integer() else Decimal(repr(value))
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time() else value
    if isinstance(value, str):
        return value.strip()
    return value


def _is_key_value(header: list) -> bool:
    first = str(header[0]).strip().lower() if header else ""
    return first in {"字段", "field", "项目"}


@dataclass
class SheetData:
    fields: dict[str, object] = field(default_factory=dict)
    tables: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    row_numbers: dict[str, list[int]] = field(default_factory=dict)


def read_workbook(path: Path) -> SheetData:
    """Key/value sheets (first header 字段) become fields; other sheets become tables of rows.

    Repeated keys in a key/value sheet make a list (e.g. several 正文 or 附件 rows).
    """
    from ..workbooks.sheets import read_sheets

    data = SheetData()
    for sheet in read_sheets(path, skip_hidden=True):
        name = sheet.name
        # keep Excel's row numbers for error messages while skipping empty rows
        rows = [(sheet.excel_row(index), [_clean(v) for v in row]) for index, row in enumerate(sheet.rows)
                if any(not is_blank(v) for v in row)]
        if not rows:
            continue
        header = [str(h).strip() if not is_blank(h) else "" for h in rows[0][1]]
        if _is_key_value(header):
            for _, row in rows[1:]:
                key = str(row[0]).strip() if row and not is_blank(row[0]) else ""
                if not key:
                    continue
                value = row[1] if len(row) > 1 else ""
                if key in data.fields:
                    previous = data.fields[key]
                    data.fields[key] = (previous if isinstance(previous, list) else [previous]) + [value]
                else:
                    data.fields[key] = value
            continue
        table, numbers = [], []
        for number, row in rows[1:]:
            table.append({h: ("" if is_blank(v) else v) for h, v in zip(header, row) if h})
            numbers.append(number)
        data.tables[name] = table
        data.row_numbers[name] = numbers
    return data


def load_data(path: Path | str, sheet: str | None = None) -> dict[str, object]:
    """Fields for one document from .xlsx, .toml or .json (table sheets become lists of rows)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("数据文件不存在。", file=str(path))
    suffix = path.suffix.lower()
    guard.check_text_file(path)
    try:
        if suffix == ".toml":
            with open(path, "rb") as handle:
                return tomllib.load(handle)
        if suffix == ".json":
            with open(path, encoding="utf-8-sig") as handle:
                loaded = json.load(handle, parse_float=Decimal)
            if not isinstance(loaded, dict):
                raise FileFormatError("JSON 顶层应为对象（{…}），每个键是一个字段。", file=str(path))
            return loaded
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise FileFormatError(f"文件格式有误：{error}", file=str(path)) from None
    except RecursionError:
        raise FileFormatError("文件嵌套层数过深，不是模板数据", file=str(path)) from None
    if suffix in {".xlsx", ".xlsm", ".xls", ".ods"}:
        data = read_workbook(path)
        result = dict(data.fields)
        tables = data.tables
        if sheet is not None:
            if sheet not in tables:
                raise InputError(f"工作簿中没有表格工作表「{sheet}」。", file=str(path), sheet=sheet)
            tables = {sheet: tables[sheet]}
        if len(tables) == 1:
            result["rows"] = next(iter(tables.values()))
        else:
            result.update(tables)
        return result
    raise InputError("数据文件应为 .xlsx、.toml 或 .json。", file=str(path))


# --- preparing the context ----------------------------------------------------------------

def template_key(template: Path | str) -> str:
    return Path(template).stem


def _as_list(value) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [line.strip() for line in value.splitlines() if line.strip()]
    if isinstance(value, (list, tuple)):
        out = []
        for item in value:
            out.extend(_as_list(item) if isinstance(item, str) else [item])
        return out
    return [value]


def _rows(value, what: str) -> list[dict]:
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise InputError("应为表格（多行记录）。", argument=what)
    return [{ROW_FIELDS.get(str(k).strip(), str(k).strip()): v for k, v in row.items()} for row in value]


def _paragraph(text: str) -> dict[str, object]:
    """One body paragraph split into a heading part and the rest (一、 黑体, （一） 楷体)."""
    for level, pattern in ((1, _H1), (2, _H2)):
        if pattern.match(text):
            stop = text.find("。")
            if stop == -1 or stop == len(text) - 1:
                return {"level": level, "head": text, "rest": ""}
            return {"level": level, "head": text[: stop + 1], "rest": text[stop + 1:]}
    return {"level": 0, "head": text, "rest": ""}


def issuer_marking(text: str) -> RichText:
    """发文机关标志 in red 小标宋, as large as fits on one line of the text block (at most 60 pt)."""
    width_em = sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in text) or 1
    size_pt = max(22, min(60, int(_MARKING_WIDTH_PT / width_em)))
    rich = RichText()
    # rPr children in schema order (rFonts, color, sz), which RichText.add does not keep
    rich.xml = (
        '<w:r><w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}" w:eastAsia="{font}"/><w:color w:val="FF0000"/>'
        '<w:sz w:val="{hp}"/><w:szCs w:val="{hp}"/></w:rPr><w:t xml:space="preserve">{text}</w:t></w:r>'
    ).format(font="方正小标宋简体", hp=size_pt * 2, text=escape(text))
    return rich


def prepare(template: str, data: dict, public: bool | None = None) -> dict[str, object]:
    """The render context: labels mapped to field names, defaults, lists, masking (``public``:
    names and ID numbers masked, private fields dropped; default: the public_list template)."""
    public = template == "public_list" if public is None else public
    labels = {label: name for name, label in FIELDS.get(template, {}).items()}
    context: dict[str, object] = dict(DEFAULTS.get(template, {}))
    given: dict[str, str] = {}  # field -> the key the data used, so errors name the clerk's column
    for key, value in data.items():
        name = labels.get(str(key).strip(), str(key).strip())
        context[name] = value
        given[name] = str(key).strip()
    for key in MONEY_FIELDS & context.keys():
        context[key] = parse_decimal(context[key], given[key])
    for key in DATE_FIELDS & context.keys():
        if context[key] is not None:
            context[key] = parse_date(context[key], given[key])
    for key in (LIST_FIELDS | TEMPLATE_LIST_FIELDS.get(template, set())) & context.keys():
        context[key] = [str(item) for item in _as_list(context[key])]
    for key in ("rows", "bands"):
        if key in context:
            context[key] = _rows(context[key], FIELDS.get(template, {}).get(key, key))
    if not is_blank(context.get("title")):
        context["title"] = "\n".join(layout.title_lines(context["title"], TITLE_CHARS.get(template, 22)))
    if template == "notice":
        _prepare_notice(context)
    if public:
        context["rows"] = [
            {**{k: v for k, v in row.items() if k not in PRIVATE_KEYS},
             "name": mask_name(row.get("name")), "id_number": mask_id(row.get("id_number"))}
            for row in context.get("rows", [])
        ]
        if "member" in context:
            context["member"] = mask_name(context["member"])
        context = {k: _mask_ids(v) for k, v in context.items()}
    return {k: v for k, v in context.items() if v is not None}


def _mask_ids(value):
    """Any ID number in any text of a public document is masked, wherever the data put it."""
    if isinstance(value, str):
        return mask_ids_in(value)
    if isinstance(value, list):
        return [_mask_ids(item) for item in value]
    if isinstance(value, dict):
        return {k: _mask_ids(v) for k, v in value.items()}
    return value


_CORE = re.compile(rb"<cp:(category|keywords)>([^<]*)</cp:\1>")


def declared(blob: bytes) -> tuple[str | None, bool]:
    """What a .docx template declares in its properties (Word: 文件 > 信息 > 属性): the built-in template
    it is (类别, e.g. public_list) and whether it is public (标记 contains 公开). A renamed copy keeps both."""
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as docx:
            info = docx.getinfo("docProps/core.xml")
            core = docx.read(info) if info.file_size < 1_000_000 else b""
    except (KeyError, zipfile.BadZipFile):
        return None, False
    found = {m.group(1).decode(): html.unescape(m.group(2).decode("utf-8", "replace")) for m in _CORE.finditer(core)}
    kind = found.get("category", "").strip()
    return (kind if kind in FIELDS else None), PUBLIC_MARK in found.get("keywords", "")


def _attachment_pages(value) -> tuple[list[str], list[dict]]:
    """附件: names for the 附件说明, and the pages of those given with content (title, text, table, notes)."""
    names, pages = [], []
    for number, item in enumerate(value if isinstance(value, list) else _as_list(value), 1):
        if isinstance(item, dict):
            page = {{"标题": "title", "正文": "text", "表格": "table", "注释": "notes", "列宽": "widths"}.get(k, k): v
                    for k, v in item.items()}
            if is_blank(page.get("title")):
                raise InputError(f"第{number}个附件没有标题（title）。", argument="附件")
            page["text"] = [str(t) for t in _as_list(page.get("text"))]
            page["notes"] = [str(t) for t in _as_list(page.get("notes"))]
            page["number"] = number
            names.append(str(page["title"]).replace("|", ""))
            pages.append(page)
        else:
            names.extend(str(t) for t in _as_list(item))
    return names, pages


def _prepare_notice(context: dict) -> None:
    if "attachments" in context:
        context["attachments"], context["attachment_pages"] = _attachment_pages(context["attachments"])
    if not is_blank(context.get("doc_number")):
        context["doc_number"] = layout.check_doc_number(context["doc_number"])
    issuer = context.get("issuer")
    context.setdefault("signer", issuer)
    context.setdefault("printed_by", issuer)
    context.setdefault("printed_date", context.get("date"))
    if "addressees" in context:
        context["addressees"] = str(context["addressees"]).rstrip(":：")
    if "body" in context:
        context["body"] = [_paragraph(p) for p in context["body"]]
    marking = context.get("issuer_marking") or (f"{issuer}文件" if issuer else None)
    if marking:
        context["issuer_marking"] = issuer_marking(str(marking))


# --- rendering ----------------------------------------------------------------------------

def template_path(template: Path | str) -> Path:
    """A template by name (notice, notice.docx) from $MUTUALAID_TEMPLATE_PATH or the package, or a path."""
    candidate = Path(template)
    if candidate.suffix.lower() == ".docx" and candidate.is_file():
        return candidate
    name = candidate.name if candidate.suffix else candidate.name + ".docx"
    folders = [Path(p) for p in os.environ.get("MUTUALAID_TEMPLATE_PATH", "").split(os.pathsep) if p]
    for folder in folders + [PACKAGE_TEMPLATES]:
        if (folder / name).is_file():
            return folder / name
    known = "、".join(TEMPLATE_NAMES)
    raise InputError(f"找不到模板「{template}」。内置模板：{known}；也可给出 .docx 模板文件的路径。", argument="模板")


def _empty(value) -> bool:
    if isinstance(value, RichText):
        return not str(value.xml).strip()
    return is_blank(value) or (isinstance(value, (list, tuple)) and not value)


class Renderer:
    """One template, loaded and checked once, rendered to many documents."""

    def __init__(self, template: Path | str, *, strict: bool = False):
        self.strict = strict  # characters the fonts cannot draw are an error, not a warning
        self.path = template_path(template)
        guard.check_document(self.path)
        self.blob = self.path.read_bytes()
        kind, public = declared(self.blob)
        self.key = kind or template_key(self.path)
        self.public = public or self.key == "public_list"
        self.env = jinja_env()
        try:
            self.variables = DocxTemplate(io.BytesIO(self.blob)).get_undeclared_template_variables(self.env)
        except TemplateError as error:
            raise FileFormatError(f"模板语法有误：{error}", file=str(self.path)) from None
        except Exception as error:  # python-docx/lxml raise many types for a package that is not a usable .docx
            raise FileFormatError(f"不是可用的 Word 模板（{type(error).__name__}）", file=str(self.path)) from None

    def required(self) -> set[str]:
        """Template variables without a default; they must not be blank."""
        optional = DEFAULTS.get(self.key, {}).keys() | DERIVED.keys()
        sources = {DERIVED[v] for v in self.variables if v in DERIVED}  # e.g. issuer, which the signer repeats
        return {v for v in self.variables | sources if v not in optional and self.key in FIELDS}

    def missing(self, context: dict) -> list[str]:
        return sorted(self.variables - context.keys())

    def _label(self, name: str) -> str:
        label = FIELDS.get(self.key, {}).get(name)
        return f"{name}（{label}）" if label else name

    def render_bytes(self, data: dict, *, seal_png: Path | str | None = None) -> bytes:
        context = prepare(self.key, data, self.public)
        missing = sorted({DERIVED[m] if DERIVED.get(m) and DERIVED[m] not in context else m
                          for m in self.missing(context)})
        if missing:
            names = "、".join(self._label(m) for m in missing)
            raise InputError(f"缺少模板「{self.path.name}」需要的字段：{names}。")
        blank = [m for m in sorted(self.required()) if _empty(context.get(m))]
        if blank:
            names = "、".join(self._label(m) for m in blank)
            raise InputError(f"必填字段为空：{names}（模板「{self.path.name}」）。",
                             argument=FIELDS.get(self.key, {}).get(blank[0], blank[0]) if len(blank) == 1 else None)
        doc = DocxTemplate(io.BytesIO(self.blob))
        self.env.start()
        try:
            with _alarm(MAX_SECONDS):
                doc.render(context, jinja_env=self.env, autoescape=True)
        except (TemplateLimitError, MemoryError, OverflowError, RecursionError) as error:
            reason = str(error) if isinstance(error, TemplateLimitError) else "占用内存或计算量过大"
            raise FileFormatError(f"模板「{self.path.name}」超出沙箱限制：{reason}。请检查模板中的循环和表达式。",
                                  file=str(self.path)) from None
        except UndefinedError as error:
            found = re.search(r"attribute '([^']+)'", str(error))
            name = found.group(1) if found else str(error)
            raise InputError(f"表格数据缺少列「{name}」（模板「{self.path.name}」需要）。") from None
        except TemplateError as error:
            raise FileFormatError(f"模板无法渲染：{error}", file=str(self.path)) from None
        if context.get("attachment_pages"):
            layout.add_attachments(doc.docx, context["attachment_pages"])
        layout.keep_signature_with_body(doc.docx, seal.SIGNATURE_STYLE)
        problems = layout.undrawable(layout.document_texts(doc.docx), FONT_FAMILIES)
        if problems:
            text = "字体无法显示以下字符（会印成空框）：" + "；".join(problems) + "。请安装含这些字的字体（如 花园明朝）。"
            if self.strict:
                raise InputError(text)
            warnings.warn(text, layout.UndrawableWarning, stacklevel=2)
        if seal_png is not None:
            seal.add_floating_seal(doc.docx, seal_png)
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()

    def render_to(self, data: dict, out: Path | str, *, seal_png: Path | str | None = None) -> Path:
        out = Path(out)
        if out.suffix.lower() != ".docx":
            raise InputError("输出文件应以 .docx 结尾。", file=str(out))
        if seal_png is not None and seal.log_path(out).is_file():
            seal.read_log(seal.log_path(out))  # a damaged log stops the run before anything is written
        produced = install_bytes(self.render_bytes(data, seal_png=seal_png), out)
        if seal_png is not None:
            seal.record_stamping(produced, seal_png)
        return produced


def finish_pdfs(docs: list[Path], seal_png: Path | str | None = None, signer=None) -> list[Path]:
    """Export rendered documents to PDF in one LibreOffice start.

    The PDF of a stamped document is signed with ``signer`` (see documents.signing), or else gets
    a stamping log record; documents without a seal get neither.
    """
    pdfs = export_pdfs([Path(d) for d in docs])
    if seal_png is not None:
        for doc in docs:
            if not seal.carries_seal(doc):
                continue
            pdf = Path(doc).with_suffix(".pdf")  # to_pdf writes beside each document
            if signer is not None:
                signing.sign_pdf(pdf, signer, seal_png)
            else:
                seal.record_stamping(pdf, seal_png)
    return pdfs


def export_pdfs(docs: list[Path]) -> list[Path]:
    """PDFs beside the documents, in one LibreOffice start (two when a notice's 版记 must move).

    In Word the 版记 floats to the foot of the last page; LibreOffice lays it out in the text flow.
    So notices are exported from a copy with the 版记 in the flow, measured, and exported again with
    the space above it that puts it at the foot of an even page (GB/T 9704-2012).
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix="mutualaid-pdf-") as tmp:
        sources = []
        for number, doc in enumerate(docs):
            if doc.suffix.lower() == ".docx" and layout.has_floating_imprint(doc):
                folder = Path(tmp) / str(number)
                folder.mkdir()
                doc = layout.with_imprint_spacer(doc, folder / doc.name, 0, 1)
            sources.append(doc)
        pdfs, again = [], []
        for doc, source, made in zip(docs, sources, to_pdf(sources)):
            target = doc.with_suffix(".pdf")
            if source != doc:
                move = layout.imprint_spacing(made, 1)
                if move is not None:
                    again.append((layout.with_imprint_spacer(doc, source, *move), target))
                    pdfs.append(target)
                    continue
                install_bytes(made.read_bytes(), target)
            pdfs.append(target)
        for made, (_, target) in zip(to_pdf([source for source, _ in again]) if again else [], again):
            install_bytes(made.read_bytes(), target)
    return pdfs


def render(template: Path | str, data: dict | Path | str, out: Path | str, *,
           seal_png: Path | str | None = None, pdf: bool = False, sheet: str | None = None,
           strict: bool = False) -> list[Path]:
    """Render one document (and its PDF); returns the produced files.

    Characters no font can draw give a layout.UndrawableWarning, or an error with ``strict``."""
    renderer = Renderer(template, strict=strict)
    values = data if isinstance(data, dict) else load_data(data, sheet)
    produced = [renderer.render_to(values, out, seal_png=seal_png)]
    if pdf:
        produced += finish_pdfs(produced[:1], seal_png)
    return produced


def render_applications(result, folder: Path | str, *, today: dt.date | None = None,
                        progress: Callable[[int, int], None] | None = None) -> list[Path]:
    """One 参互申请表 (Word) per unit of a validated roster (workbooks.roster.RosterResult), named after the unit.
    ``progress(done, total)`` is called before each unit."""
    from ..workbooks.fill import application_document_data

    if not result.units:
        raise InputError("名册中没有可汇总的单位；请先校验名册查看问题")
    renderer = Renderer("application_form")
    today = today or dt.date.today()
    produced = []
    for done, summary in enumerate(result.units.values()):
        if progress:
            progress(done, len(result.units))
        produced.append(renderer.render_to(application_document_data(summary, result.policy, today),
                                           Path(folder) / f"{safe_file_name(summary.unit)}.docx"))
    return produced


def stamp(document: Path | str, seal_png: Path | str, out: Path | str | None = None, *, pdf: bool = True) -> list[Path]:
    """Stamp an existing .docx (e.g. a notice the clerk has edited) and export its PDF.

    The input is never modified: the stamped copy goes to ``out`` (default NAME-盖章.docx beside it).
    """
    from docx import Document

    document = Path(document)
    if not document.is_file():
        raise InputError("文件不存在。", file=str(document))
    guard.check_document(document)
    try:
        doc = Document(str(document))
    except Exception:  # python-docx raises several types for files that are not .docx
        raise FileFormatError("不是可读取的 Word (.docx) 文件。", file=str(document)) from None
    seal.add_floating_seal(doc, seal_png)
    data = io.BytesIO()
    doc.save(data)
    target = Path(out) if out is not None else document.with_name(f"{document.stem}-盖章.docx")
    produced = [install_bytes(data.getvalue(), target)]
    seal.record_stamping(produced[0], seal_png)
    if pdf:
        produced += finish_pdfs(produced[:1], seal_png)
    return produced


def each_rows(rows_path: Path | str, sheet: str | None = None) -> tuple[str, list[dict], list[int], dict]:
    """The rows for a batch: (sheet name, rows, their Excel row numbers, common fields)."""
    rows_path = Path(rows_path)
    if rows_path.suffix.lower() not in {".xlsx", ".xlsm", ".xls", ".ods"}:
        raise InputError("批量生成（--each）需要 .xlsx 工作簿，每行一份文档。", file=str(rows_path))
    if not rows_path.is_file():
        raise InputError("数据文件不存在。", file=str(rows_path))
    data = read_workbook(rows_path)
    if sheet is None:
        if not data.tables:
            raise InputError("工作簿中没有表格工作表（第一行为列标题，每行一份文档）。", file=str(rows_path))
        sheet = next(iter(data.tables))
    elif sheet not in data.tables:
        raise InputError("工作簿中没有这个表格工作表。", file=str(rows_path), sheet=sheet)
    return sheet, data.tables[sheet], data.row_numbers[sheet], data.fields


def render_each(template: Path | str, rows_path: Path | str, outdir: Path | str, *,
                name_column: str | None = None, sheet: str | None = None,
                seal_png: Path | str | None = None, pdf: bool = False,
                progress: Callable[[int, int], None] | None = None, strict: bool = False) -> list[Path]:
    """One document per row of a sheet, named from ``name_column`` (default 文件名, else the first column).

    Errors name the sheet, the Excel row and the column. Returns the produced files.
    """
    rows_path, outdir = Path(rows_path), Path(outdir)
    renderer = Renderer(template, strict=strict)
    sheet, rows, numbers, common = each_rows(rows_path, sheet)
    if not rows:
        raise InputError("表格没有数据行。", file=str(rows_path), sheet=sheet)
    headers = list(rows[0].keys())
    if name_column is None:
        name_column = "文件名" if "文件名" in headers else headers[0]
    elif name_column not in headers:
        raise InputError(f"没有这一列（现有列：{'、'.join(headers)}）。", file=str(rows_path), sheet=sheet,
                         column=name_column)
    produced: list[Path] = []
    used: set[str] = set()
    with staged_folder(outdir) as stage:   # the documents replace the folder only when all are made
        for done, (row, number) in enumerate(zip(rows, numbers), start=1):
            if is_blank(row.get(name_column)):
                raise InputError("文件名为空。", file=str(rows_path), sheet=sheet, row=number, column=name_column)
            base = safe_file_name(row[name_column])
            name, n = base, 1
            while name.lower() in used:
                n += 1
                name = f"{base}-{n}"
            used.add(name.lower())
            try:
                produced.append(renderer.render_to({**common, **row}, stage.path / f"{name}.docx", seal_png=seal_png))
            except OutputError:
                raise
            except MutualAidError as error:
                column = error.argument if error.argument in row else error.column
                raise type(error)(error.message, file=str(rows_path), sheet=sheet, row=number, column=column,
                                  argument=None if column == error.argument else error.argument) from None
            if progress:
                progress(done, len(rows))
        if pdf:
            produced += finish_pdfs(list(produced), seal_png)
    return [stage.final(path) for path in produced]


def template_fields(template: Path | str) -> list[tuple[str, str, str]]:
    """(field, Chinese label, note) for every variable a template uses, for help texts."""
    renderer = Renderer(template)
    labels = FIELDS.get(renderer.key, {})
    defaults = DEFAULTS.get(renderer.key, {})
    rows = []
    names = set(renderer.variables)
    if renderer.key == "notice":
        names |= {DERIVED[n] for n in names if n in DERIVED}
    for name in sorted(names):
        if renderer.key == "notice" and name in DERIVED:
            note = f"可省略，默认由 {DERIVED[name]} 生成"
        elif name in defaults:
            note = "可省略" + (f"，默认“{defaults[name]}”" if isinstance(defaults[name], str) and defaults[name] else "")
        else:
            note = "必填"
        rows.append((name, labels.get(name, ""), note))
    return rows
