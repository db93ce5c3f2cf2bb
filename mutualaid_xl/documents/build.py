"""Build the Word templates (docxtpl) reproducibly with python-docx: `mutualaid doctemplates build`.

The notice follows GB/T 9704-2012: A4, 37 mm top and 28 mm left margins, a 156 x 225 mm
text block, 3号仿宋 body on a 28.95 pt line pitch (22 lines of 28 characters), red issuer
marking, red separator line, page numbers "— n —" (odd pages right, even pages left).
Font names are the ones on clerks' Windows machines; LibreOffice substitutes free CJK fonts.

Each template is written twice, byte-identical: to ``doc_templates/`` in the source tree
(what clerks and reviewers open) and to ``mutualaid_xl/data/doc_templates/`` (what the
installed package uses). Re-running the build gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "data" / "doc_templates"
SOURCE_DIR = Path(__file__).resolve().parents[2] / "doc_templates"

RED = RGBColor(0xFF, 0x00, 0x00)
FANGSONG, XIAOBIAOSONG, HEITI, KAITI, SONGTI = "仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312", "宋体"
LATIN = "Times New Roman"
BODY_PT = 16  # 3号
LINE_PT = 28.95  # 225 mm / 22 lines
TEXT_WIDTH = Mm(156)
SIGNATURE_STYLE = "发文机关署名"  # the seal is anchored in the paragraph with this style
SIGNATURE_CENTRE = Mm(156) - Pt(4 * BODY_PT) - Pt(3 * BODY_PT)  # date right-indented 4 chars, ~6 chars wide
_FIXED_TIME = dt.datetime(2021, 1, 1)


# --- small formatting helpers -------------------------------------------------------------

def _set_fonts(target, east: str, *, size: float | None = None, bold: bool | None = None, color: RGBColor | None = None):
    """Font of a run or a style, with the East Asian face set explicitly (w:eastAsia)."""
    font = target.font
    font.name = LATIN
    rpr = target._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), east)
    fonts.set(qn("w:ascii"), LATIN)
    fonts.set(qn("w:hAnsi"), LATIN)
    if size is not None:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    if color is not None:
        font.color.rgb = color


def _paragraph_style(doc, name: str, east: str = FANGSONG, *, size: float = BODY_PT, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
                     color=None, bold=None, line: float | None = LINE_PT, first_indent_chars: float = 0,
                     left_chars: float = 0, before: float = 0, after: float = 0):
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.quick_style = True
    _set_fonts(style, east, size=size, bold=bold, color=color)
    fmt = style.paragraph_format
    fmt.alignment = align
    if line is None:
        fmt.line_spacing = 1.0
    else:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(line)
    fmt.first_line_indent = Pt(first_indent_chars * size)
    fmt.left_indent = Pt(left_chars * size)
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    fmt.widow_control = False
    return style


def _para(doc_or_cell, text: str = "", style: str | None = None, **run_fonts):
    p = doc_or_cell.add_paragraph(style=style)
    if text:
        run = p.add_run(text)
        if run_fonts:
            _set_fonts(run, **run_fonts)
    return p


def _control(doc, tag: str):
    """A paragraph holding only a docxtpl {%p ... %} tag (removed when rendering)."""
    return _para(doc, "{%p " + tag + " %}", style="Normal")


def _border(element_pr, side: str, *, size_eighths: int, color: str = "000000", space: int = 0):
    """Add a single-line border on ``side`` to a w:pPr/w:tcPr/w:tblPr borders element."""
    edge = OxmlElement(f"w:{side}")
    edge.set(qn("w:val"), "single")
    edge.set(qn("w:sz"), str(size_eighths))
    edge.set(qn("w:space"), str(space))
    edge.set(qn("w:color"), color)
    element_pr.append(edge)


def _paragraph_border_bottom(paragraph_or_style, *, size_eighths: int, color: str, space_pt: int):
    ppr = paragraph_or_style._element.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    _border(borders, "bottom", size_eighths=size_eighths, color=color, space=space_pt)
    # w:pBdr must come before w:spacing/w:ind/w:jc in w:pPr
    anchor = next((c for c in ppr if c.tag in {qn("w:shd"), qn("w:tabs"), qn("w:spacing"), qn("w:ind"), qn("w:jc")}), None)
    if anchor is None:
        ppr.append(borders)
    else:
        anchor.addprevious(borders)


def _page_field(paragraph) -> None:
    """Insert a PAGE field into ``paragraph``, one run per field part, each in 4号宋体 (LibreOffice
    sizes the page number by the run holding the field's result)."""
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = paragraph.add_run()
        _set_fonts(run, SONGTI, size=14)
        if kind:
            node = OxmlElement("w:fldChar")
            node.set(qn("w:fldCharType"), kind)
        elif text.strip() == "PAGE":
            node = OxmlElement("w:instrText")
            node.set(qn("xml:space"), "preserve")
            node.text = text
        else:
            node = OxmlElement("w:t")
            node.text = text
        run._r.append(node)


def _a4(doc, *, top=37, bottom=35, left=28, right=26, landscape=False, footer=23):
    section = doc.sections[0]
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
    else:
        section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(top), Mm(bottom)
    section.left_margin, section.right_margin = Mm(left), Mm(right)
    section.header_distance, section.footer_distance = Mm(15), Mm(footer)
    return section


def _page_numbers(doc, section):
    """"— n —" in 4号宋体: odd pages right (1 char in), even pages left (1 char in)."""
    doc.settings.odd_and_even_pages_header_footer = True
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0]
        p.alignment = align
        p.paragraph_format.left_indent = Pt(14) if align == WD_ALIGN_PARAGRAPH.LEFT else 0
        p.paragraph_format.right_indent = Pt(14) if align == WD_ALIGN_PARAGRAPH.RIGHT else 0
        _set_fonts(p.add_run("— "), SONGTI, size=14)
        _page_field(p)
        _set_fonts(p.add_run(" —"), SONGTI, size=14)


def _base(landscape=False, **margins):
    doc = Document()
    props = doc.core_properties
    props.author = props.last_modified_by = "mutualaid_xl"
    props.created = props.modified = _FIXED_TIME
    props.revision = 1
    normal = doc.styles["Normal"]
    _set_fonts(normal, FANGSONG, size=BODY_PT)
    spacing = OxmlElement("w:spacing")  # -0.25 pt per character: 28 characters of 3号 fit 156 mm
    spacing.set(qn("w:val"), "-5")
    normal._element.get_or_add_rPr().find(qn("w:sz")).addprevious(spacing)  # schema order: spacing before sz
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)
    section = _a4(doc, landscape=landscape, **margins)
    return doc, section


def _table(doc, rows: int, widths_mm: list[float], *, style="Table Grid", size: float = 12, row_mm: float = 9,
           header: bool = False):
    """A grid table whose rows never split over two pages; ``header``: the first row repeats on every page."""
    table = doc.add_table(rows=rows, cols=len(widths_mm))
    for index, row in enumerate(table.rows):
        row.height, row.height_rule = Mm(row_mm), WD_ROW_HEIGHT_RULE.AT_LEAST
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        if header and index == 0:
            tr_pr.append(OxmlElement("w:tblHeader"))
    table.style = doc.styles[style]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm):
            cell.width = Mm(width)
    for column, width in zip(table.columns, widths_mm):
        column.width = Mm(width)
    return table


def _cell(cell, text: str, *, size: float = 12, east: str = FANGSONG, bold: bool = False, align=WD_ALIGN_PARAGRAPH.CENTER):
    p = cell.paragraphs[0]
    p.alignment = align
    if text:
        _set_fonts(p.add_run(text), east, size=size, bold=bold)
    return p


def _cell_vcenter(table):
    for row in table.rows:
        for cell in row.cells:
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


# --- the notice ---------------------------------------------------------------------------

def build_notice():
    doc, section = _base()
    _page_numbers(doc, section)
    _paragraph_style(doc, "发文机关标志", XIAOBIAOSONG, size=36, align=WD_ALIGN_PARAGRAPH.CENTER, color=RED, line=None,
                     before=Mm(35).pt)
    number = _paragraph_style(doc, "发文字号", align=WD_ALIGN_PARAGRAPH.CENTER, before=2 * LINE_PT)
    _paragraph_border_bottom(number, size_eighths=12, color="FF0000", space_pt=11)  # red line 4 mm below
    _paragraph_style(doc, "公文标题", XIAOBIAOSONG, size=22, align=WD_ALIGN_PARAGRAPH.CENTER, line=36, before=2 * LINE_PT,
                     after=LINE_PT)
    _paragraph_style(doc, "主送机关")
    _paragraph_style(doc, "公文正文", first_indent_chars=2)
    _paragraph_style(doc, "附件说明", left_chars=5, first_indent_chars=-3)
    _paragraph_style(doc, "附件续行", left_chars=5)
    for name in (SIGNATURE_STYLE, "成文日期"):
        style = _paragraph_style(doc, name, align=WD_ALIGN_PARAGRAPH.LEFT)
        style.paragraph_format.tab_stops.add_tab_stop(SIGNATURE_CENTRE, WD_TAB_ALIGNMENT.CENTER)
    _paragraph_style(doc, "版记", size=14, align=WD_ALIGN_PARAGRAPH.LEFT, left_chars=1)
    _paragraph_style(doc, "附注", first_indent_chars=2)
    _paragraph_style(doc, "附件标识", HEITI, align=WD_ALIGN_PARAGRAPH.LEFT)
    _paragraph_style(doc, "附件标题", XIAOBIAOSONG, size=22, align=WD_ALIGN_PARAGRAPH.CENTER, line=36)
    _paragraph_style(doc, "附件章", HEITI, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph_style(doc, "附件注释", size=12, align=WD_ALIGN_PARAGRAPH.LEFT, line=None, left_chars=1.5, first_indent_chars=-1.5)
    _paragraph_style(doc, "附件表格", size=12, align=WD_ALIGN_PARAGRAPH.CENTER, line=None, before=2, after=2)

    _para(doc, "{{r issuer_marking }}", "发文机关标志")
    _para(doc, "{{ doc_number }}", "发文字号")
    _para(doc, "{{ title }}", "公文标题")
    _para(doc, "{{ addressees }}：", "主送机关")
    _control(doc, "for p in body")
    _control(doc, "if p.level == 1")
    p = _para(doc, style="公文正文")
    _set_fonts(p.add_run("{{ p.head }}"), HEITI)
    p.add_run("{{ p.rest }}")
    _control(doc, "elif p.level == 2")
    p = _para(doc, style="公文正文")
    _set_fonts(p.add_run("{{ p.head }}"), KAITI)
    p.add_run("{{ p.rest }}")
    _control(doc, "else")
    _para(doc, "{{ p.head }}{{ p.rest }}", "公文正文")
    _control(doc, "endif")
    _control(doc, "endfor")
    _control(doc, "if attachments")
    _para(doc, "", "公文正文")
    _control(doc, "endif")
    _control(doc, "for a in attachments")
    _control(doc, "if loop.first")
    _para(doc, "附件：{% if attachments|length > 1 %}{{ loop.index }}.{% endif %}{{ a }}", "附件说明")
    _control(doc, "else")
    _para(doc, "{{ loop.index }}.{{ a }}", "附件续行")
    _control(doc, "endif")
    _control(doc, "endfor")
    _para(doc, "", "公文正文")
    _para(doc, "", "公文正文")
    _para(doc, "\t{{ signer }}", SIGNATURE_STYLE)
    _para(doc, "\t{{ date|cn_date }}", "成文日期")
    _control(doc, "if note")
    _para(doc, "（{{ note }}）", "附注")
    _control(doc, "endif")
    _para(doc, "", "公文正文")  # LibreOffice keeps the imprint in the text flow: leave a line before it
    _imprint(doc)
    return doc


def _imprint(doc):
    """版记: 抄送 and 印发 rows between rules, floated to the bottom of the last page."""
    table = doc.add_table(rows=4, cols=1)
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    position = OxmlElement("w:tblpPr")
    for key, value in (("w:leftFromText", "0"), ("w:rightFromText", "0"), ("w:vertAnchor", "margin"),
                       ("w:horzAnchor", "margin"), ("w:tblpXSpec", "center"), ("w:tblpYSpec", "bottom")):
        position.set(qn(key), value)
    tbl_pr.insert(0, position)
    borders = OxmlElement("w:tblBorders")
    _border(borders, "top", size_eighths=8)
    _border(borders, "bottom", size_eighths=8)
    _border(borders, "insideH", size_eighths=4)
    tbl_pr.find(qn("w:tblLayout")).addprevious(borders)
    table.columns[0].width = TEXT_WIDTH
    texts = ("{%tr if cc %}", "抄送：{{ cc }}。", "{%tr endif %}", "{{ printed_by }}\t{{ printed_date|cn_date }}印发")
    for row, text in zip(table.rows, texts):
        row.cells[0].width = TEXT_WIDTH
        p = row.cells[0].paragraphs[0]
        p.style = doc.styles["版记"]
        p.paragraph_format.keep_with_next = True  # never split 抄送 and 印发 over two pages
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
        p.add_run(text)
    p.paragraph_format.tab_stops.add_tab_stop(TEXT_WIDTH - Pt(28) - Mm(2), WD_TAB_ALIGNMENT.RIGHT)
    end = doc.add_paragraph(style="Normal")  # a document must not end with a table
    end.paragraph_format.line_spacing = Pt(1)


# --- forms --------------------------------------------------------------------------------

def _form_base(title_tag: str, *, landscape=False):
    doc, section = _base(landscape=landscape, top=25, bottom=25, left=25, right=25, footer=12)
    _page_numbers(doc, section)
    _paragraph_style(doc, "表格标题", XIAOBIAOSONG, size=20, align=WD_ALIGN_PARAGRAPH.CENTER, line=None, after=12)
    _paragraph_style(doc, "表头信息", size=12, align=WD_ALIGN_PARAGRAPH.LEFT, line=None, after=6)
    _paragraph_style(doc, "表注", size=10.5, align=WD_ALIGN_PARAGRAPH.LEFT, line=None, before=6)
    style = _paragraph_style(doc, SIGNATURE_STYLE, size=14, align=WD_ALIGN_PARAGRAPH.LEFT, line=None, before=24)
    style.paragraph_format.tab_stops.add_tab_stop(Mm(120), WD_TAB_ALIGNMENT.CENTER)
    style = _paragraph_style(doc, "成文日期", size=14, align=WD_ALIGN_PARAGRAPH.LEFT, line=None, before=6)
    style.paragraph_format.tab_stops.add_tab_stop(Mm(120), WD_TAB_ALIGNMENT.CENTER)
    _para(doc, title_tag, "表格标题")
    return doc


def _label_value_rows(table, start: int, pairs: list[tuple[str, str]], *, label_cols=(0, 2)):
    """Fill rows with label/value pairs, two pairs per row (label, value, label, value)."""
    for index, (label, value) in enumerate(pairs):
        row = table.rows[start + index // 2]
        col = label_cols[index % 2]
        _cell(row.cells[col], label, bold=True)
        _cell(row.cells[col + 1], value, align=WD_ALIGN_PARAGRAPH.LEFT)


def build_application_form():
    doc = _form_base("{{ title }}")
    _para(doc, "互助期：{{ period }}", "表头信息")
    table = _table(doc, 8, [38, 42, 38, 42])
    _label_value_rows(table, 0, [
        ("单位名称\n（工会盖章）", "{{ unit }}"), ("单位编码", "{{ unit_code }}"),
        ("代办员", "{{ agent }}"), ("联系电话", "{{ phone }}"),
        ("缴纳城镇职工\n医保人数", "{{ insured_count }}"), ("在职职工人数", "{{ staff_total }}"),
        ("续互人数", "{{ renew_count }}"), ("新参互人数", "{{ new_count }}"),
        ("在职参互人数", "{{ active_count }}"), ("退休参互人数", "{{ retired_count }}"),
        ("在职参互比例", "{{ active_ratio }}"), ("参互总人数", "{{ member_total }}"),
        ("互助金总额\n（元）", "{{ fee_total|yuan }}"), ("互助金总额\n（大写）", "{{ fee_total|rmb_upper }}"),
    ])
    row = table.rows[7]
    _cell(row.cells[0], "互助金交纳标准", bold=True)
    merged = row.cells[1].merge(row.cells[3])
    _cell(merged, "{{ fee_note }}", align=WD_ALIGN_PARAGRAPH.LEFT)
    opinion = _table(doc, 2, [38, 122])
    _cell(opinion.rows[0].cells[0], "互助机构意见\n（盖章）", bold=True)
    _cell(opinion.rows[0].cells[1], "\n\n", align=WD_ALIGN_PARAGRAPH.LEFT)
    _cell(opinion.rows[1].cells[0], "互助机构经办人\n（签字）", bold=True)
    _cell(opinion.rows[1].cells[1], "\t\t\t\t年　　月　　日", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _cell_vcenter(table)
    _cell_vcenter(opinion)
    _para(doc, "说明：单位编码为参互单位系统登录时的单位账号，由各办事处、代办点提供；互助金总额按交纳标准逐人累加填写。", "表注")
    _para(doc, "\t{{ unit }}（盖章）", SIGNATURE_STYLE)
    _para(doc, "\t{{ date|cn_date }}", "成文日期")
    return doc


def build_approval_form():
    doc = _form_base("{{ title }}")
    _para(doc, "方案：{{ scheme }}", "表头信息").paragraph_format.space_after = Pt(0)
    _para(doc, "编号：{{ claim_no }}", "表头信息")
    # labels short enough for one line in the 26 mm label column: the form must fit one A4 page
    table = _table(doc, 8, [26, 54, 26, 54], row_mm=6.5)
    _label_value_rows(table, 0, [
        ("姓名", "{{ member }}"), ("身份证号", "{{ id_number }}"),
        ("工作单位", "{{ unit }}"), ("人员类别", "{{ category }}"),
        ("就诊医院", "{{ hospital }}"), ("住院时间", "{{ stay }}"),
        ("诊断", "{{ diagnosis }}"), ("重大疾病", "{{ serious }}"),
        ("保障期", "{{ cover }}"), ("门诊慢病", "{{ chronic }}"),
        ("结算日期", "{{ settled }}"), ("申请日期", "{{ applied }}"),
        ("住院天数", "{{ days }}"), ("自付（元）", "{{ self_pay|yuan }}"),
        ("住院补贴", "{{ allowance|yuan }}"), ("补助合计", "{{ amount|yuan }}"),
    ])
    _cell_vcenter(table)
    _para(doc, "补助计算", "表头信息").paragraph_format.space_before = Pt(6)
    bands = _table(doc, 7, [55, 40, 25, 40], row_mm=6, header=True)
    for cell, text in zip(bands.rows[0].cells, ("自付费用分段", "段内金额（元）", "补助比例", "补助金额（元）")):
        _cell(cell, text, bold=True)
    bands.rows[1].cells[0].paragraphs[0].add_run("{%tr for b in bands %}")
    for cell, text in zip(bands.rows[2].cells, ("{{ b.band }}", "{{ b.base|yuan }}", "{{ b.ratio }}", "{{ b.subsidy|yuan }}")):
        _cell(cell, text)
    bands.rows[3].cells[0].paragraphs[0].add_run("{%tr endfor %}")
    # allowance, cap, minimum top-up and rounding: with the band rows they add up to the total below
    bands.rows[4].cells[0].paragraphs[0].add_run("{%tr for a in adjustments %}")
    _cell(bands.rows[5].cells[0], "{{ a.label }}")
    _cell(bands.rows[5].cells[1].merge(bands.rows[5].cells[2]), "{{ a.note }}", size=10.5)
    _cell(bands.rows[5].cells[3], "{{ a.amount|yuan }}")
    bands.rows[6].cells[0].paragraphs[0].add_run("{%tr endfor %}")
    total = _table(doc, 2, [55, 105], row_mm=8)
    _cell(total.rows[0].cells[0], "补助金额合计（小写）", bold=True)
    _cell(total.rows[0].cells[1], "￥{{ amount|yuan }}", align=WD_ALIGN_PARAGRAPH.LEFT)
    _cell(total.rows[1].cells[0], "补助金额合计（大写）", bold=True)
    _cell(total.rows[1].cells[1], "人民币{{ amount|rmb_upper }}", align=WD_ALIGN_PARAGRAPH.LEFT)
    _control(doc, "if lines")
    _para(doc, "计算说明：", "表注")
    _control(doc, "endif")
    _control(doc, "for line in lines")
    _para(doc, "{{ line }}", "表注")
    _control(doc, "endfor")
    approvals = _table(doc, 3, [40, 120], row_mm=10)
    for row, label in zip(approvals.rows, ("经办人意见", "审核意见", "审批意见")):
        _cell(row.cells[0], label, bold=True)
        _cell(row.cells[1], "签字：　　　　　　　　年　　月　　日", align=WD_ALIGN_PARAGRAPH.RIGHT)
        row.cells[0].vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        row.cells[1].vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.BOTTOM
    approvals.rows[0].cells[0].paragraphs[0].paragraph_format.space_before = Pt(8)
    _para(doc, "\t{{ issuer }}（盖章）", SIGNATURE_STYLE).paragraph_format.keep_with_next = True
    _para(doc, "\t{{ date|cn_date }}", "成文日期")
    return doc


def build_summary_table():
    doc = _form_base("{{ title }}", landscape=True)
    _para(doc, "{{ office_label }}：{{ office }}\t\t\t\t日期：{{ date|cn_date }}", "表头信息")
    widths = [14, 70, 28, 28, 28, 30, 30, 36]
    heads = ("序号", "{{ name_label }}", "参互单位数", "续互人数", "新参互人数", "在职参互人数", "退休参互人数", "互助金总额（元）")
    keys = ("units", "renew", "new", "active", "retired")
    table = _table(doc, 5, widths, size=11, row_mm=7, header=True)
    for cell, text in zip(table.rows[0].cells, heads):
        _cell(cell, text, bold=True, size=11)
    table.rows[1].cells[0].paragraphs[0].add_run("{%tr for r in rows %}")
    values = ["{{ loop.index }}", "{{ r.name }}"] + ["{{ r.%s }}" % k for k in keys] + ["{{ r.fee_total|yuan }}"]
    for cell, text in zip(table.rows[2].cells, values):
        _cell(cell, text, size=11, align=WD_ALIGN_PARAGRAPH.LEFT if text == "{{ r.name }}" else WD_ALIGN_PARAGRAPH.CENTER)
    table.rows[3].cells[0].paragraphs[0].add_run("{%tr endfor %}")
    totals = ["", "合计"] + ["{{ rows|total('%s') }}" % k for k in keys] + ["{{ rows|total('fee_total')|yuan }}"]
    for cell, text in zip(table.rows[4].cells, totals):
        _cell(cell, text, size=11, bold=True)
    _para(doc, "填表人：{{ prepared_by }}\t\t\t\t审核人：{{ checked_by }}", "表注")
    return doc


def build_public_list():
    doc = _form_base("{{ title }}")
    _paragraph_style(doc, "公示说明", size=14, first_indent_chars=2, line=24, after=6)
    _control(doc, "if intro")
    _para(doc, "{{ intro }}", "公示说明")
    _control(doc, "endif")
    table = _table(doc, 5, [14, 22, 48, 46, 30], size=11, row_mm=7, header=True)
    for cell, text in zip(table.rows[0].cells, ("序号", "姓名", "身份证号", "工作单位", "补助金额（元）")):
        _cell(cell, text, bold=True, size=11)
    table.rows[1].cells[0].paragraphs[0].add_run("{%tr for r in rows %}")
    for cell, text in zip(table.rows[2].cells, ("{{ loop.index }}", "{{ r.name }}", "{{ r.id_number }}", "{{ r.unit }}", "{{ r.amount|yuan }}")):
        _cell(cell, text, size=11)
    table.rows[3].cells[0].paragraphs[0].add_run("{%tr endfor %}")
    for cell, text in zip(table.rows[4].cells, ("", "合计", "{{ rows|length }} 人次", "", "{{ rows|total('amount')|yuan }}")):
        _cell(cell, text, size=11, bold=True)
    _para(doc, "公示期：{{ period }}。如有异议，请在公示期内向{{ issuer }}反映{% if contact %}（联系电话：{{ contact }}）{% endif %}。", "表注")
    _para(doc, "\t{{ issuer }}", SIGNATURE_STYLE)
    _para(doc, "\t{{ date|cn_date }}", "成文日期")
    return doc


def build_fund_statement():
    """互助金收支情况公示: the notice's GB/T 9704 page (margins, 3号仿宋 on 28.95 pt lines, page
    numbers), a title, the figures as a two-column table, and the issuer. Aggregates only."""
    doc, section = _base()
    _page_numbers(doc, section)
    _paragraph_style(doc, "公文标题", XIAOBIAOSONG, size=22, align=WD_ALIGN_PARAGRAPH.CENTER, line=36, before=LINE_PT,
                     after=LINE_PT)
    _paragraph_style(doc, "公文正文", first_indent_chars=2)
    for name in (SIGNATURE_STYLE, "成文日期"):
        style = _paragraph_style(doc, name, align=WD_ALIGN_PARAGRAPH.LEFT)
        style.paragraph_format.tab_stops.add_tab_stop(SIGNATURE_CENTRE, WD_TAB_ALIGNMENT.CENTER)
    _para(doc, "{{ title }}", "公文标题")
    _para(doc, "{{ intro }}", "公文正文")
    table = _table(doc, 4, [96, 60], size=BODY_PT, row_mm=10)
    for cell, text in zip(table.rows[0].cells, ("项目", "金额（元）或人数")):
        _cell(cell, text, size=14, east=HEITI)
    table.rows[1].cells[0].paragraphs[0].add_run("{%tr for r in rows %}")
    _cell(table.rows[2].cells[0], "{{ r.item }}", size=14, align=WD_ALIGN_PARAGRAPH.LEFT)
    _cell(table.rows[2].cells[1], "{{ r.value }}", size=14, align=WD_ALIGN_PARAGRAPH.RIGHT)
    table.rows[3].cells[0].paragraphs[0].add_run("{%tr endfor %}")
    _cell_vcenter(table)
    _control(doc, "for line in note")
    _para(doc, "{{ line }}", "公文正文")
    _control(doc, "endfor")
    _para(doc, "", "公文正文")
    _para(doc, "\t{{ issuer }}", SIGNATURE_STYLE)
    _para(doc, "\t{{ date|cn_date }}", "成文日期")
    return doc


BUILDERS: dict[str, Callable] = {
    "notice.docx": build_notice,
    "application_form.docx": build_application_form,
    "approval_form.docx": build_approval_form,
    "summary_table.docx": build_summary_table,
    "public_list.docx": build_public_list,
    "fund_statement.docx": build_fund_statement,
}


def _reproducible_bytes(doc) -> bytes:
    """The .docx bytes with fixed zip timestamps, so a rebuild gives identical files."""
    raw = io.BytesIO()
    doc.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: (i.filename != "[Content_Types].xml", i.filename)):
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def _declare(doc, name: str):
    """Which template this is, and whether it is public, kept in the file so that renamed copies keep them."""
    from .render import PUBLIC_MARK

    doc.core_properties.category = Path(name).stem
    doc.core_properties.keywords = PUBLIC_MARK if name == "public_list.docx" else ""
    return doc


def template_bytes() -> dict[str, bytes]:
    return {name: _reproducible_bytes(_declare(builder(), name)) for name, builder in BUILDERS.items()}


def build(dirs: list[Path] | None = None) -> list[Path]:
    """Write every template into each of ``dirs`` (default: package data, and the source tree if present)."""
    written = []
    in_source_tree = (SOURCE_DIR.parent / "pyproject.toml").is_file()
    targets = dirs if dirs is not None else ([SOURCE_DIR] if in_source_tree else []) + [PACKAGE_DIR]
    for name, data in template_bytes().items():
        for folder in targets:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            tmp = path.with_name(f".{name}.tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
            written.append(path)
    return written
