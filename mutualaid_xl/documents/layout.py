"""GB/T 9704-2012 page flow for rendered documents: 发文字号 check, title line breaks, attachment pages,
signature kept with the body, characters the fonts cannot draw, and the 版记 at the foot of an even page."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from functools import lru_cache
from itertools import combinations
from pathlib import Path

from docx.enum.text import WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt

from ..errors import InputError

# --- 发文字号 --------------------------------------------------------------------------------

_DOC_NUMBER = re.compile(r"^(?P<code>\S+?)\s*[〔\[［(（【](?P<year>\d{4})[〕\]］)）】]\s*(?P<di>第?)\s*(?P<no>\d+)\s*号$")


def check_doc_number(text: str) -> str:
    """The 发文字号 as written, if it follows GB/T 9704 (机关代字〔年份〕序号号); otherwise an error saying why."""
    text = str(text).strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    found = _DOC_NUMBER.match(text)
    if not found:
        raise InputError(f"发文字号「{text}」格式不对：应为 机关代字〔年份〕序号号，如 内工发〔2021〕5号。", argument="发文字号")
    right = f"{found['code']}〔{found['year']}〕{int(found['no'])}号"
    if right != text:
        reasons = []
        if "〔" not in text or "〕" not in text:
            reasons.append("年份用六角括号〔〕")
        if found["di"]:
            reasons.append("序号前不加“第”")
        if found["no"].startswith("0"):
            reasons.append("序号不编虚位（5号，不写05号）")
        why = "、".join(reasons) or "去掉多余空格"
        raise InputError(f"发文字号「{text}」不合 GB/T 9704：{why}。应写为「{right}」。", argument="发文字号")
    return right


# --- title lines ---------------------------------------------------------------------------

# places where a title may break: after these ...
_BREAK_AFTER = ("关于", "开展", "印发", "转发", "做好", "年度", "总工会", "工会", "、", "，")
# ... or before these
_BREAK_BEFORE = ("的通知", "的意见", "的办法", "的决定", "的报告", "（", "活动", "实施细则", "补助金", "公示名单",
                 "汇总表", "审批表", "申请表", "职工医疗", "职工住院")


def _width(text: str) -> float:
    return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in text)


def title_lines(title: str, per_line: int) -> list[str]:
    """Title lines broken at word boundaries, as balanced as possible.

    A clerk sets the breaks with a line break or "|" in the title; those are kept as they are.
    A title that fits on one line, or has no good break point, is left whole.
    """
    title = str(title).strip()
    if "|" in title or "\n" in title:
        return [part.strip() for part in re.split(r"[|\n]", title) if part.strip()]
    if _width(title) <= per_line:
        return [title]
    points = {i + len(w) for w in _BREAK_AFTER for i in _find_all(title, w)}
    points |= {i for w in _BREAK_BEFORE for i in _find_all(title, w)}
    points = sorted(p for p in points if 0 < p < len(title) and not _inside_bracket(title, p))
    return _best_split(title, points, per_line) or [title]


def _find_all(text: str, word: str):
    start = text.find(word)
    while start != -1:
        yield start
        start = text.find(word, start + 1)


def _inside_bracket(text: str, point: int) -> bool:
    head = text[:point]
    return head.count("（") > head.count("）") or head.count("(") > head.count(")")


def _best_split(text: str, points: list[int], per_line: int) -> list[str] | None:
    """Fewest lines, then the smallest difference between the longest and shortest line."""
    best, best_key = None, None
    for count in range(2, 5):
        for cuts in combinations(points, count - 1):
            edges = [0, *cuts, len(text)]
            lines = [text[a:b] for a, b in zip(edges, edges[1:])]
            widths = [_width(line) for line in lines]
            if max(widths) > per_line:
                continue
            key = (max(widths) - min(widths),)
            if best_key is None or key < best_key:
                best, best_key = lines, key
        if best:
            return best
    return None


# --- attachments ---------------------------------------------------------------------------

_CHAPTER = re.compile(r"^第[一二三四五六七八九十]+章")
_ARTICLE = re.compile(r"^(第[一二三四五六七八九十百]+条)[\s　]*")
_NOTE_MARKS = "①②③④⑤⑥⑦⑧⑨⑩"


def add_attachments(doc, pages: list[dict]) -> None:
    """附件 pages after the signature, before the 版记: "附件N" top-left, its title, 章/条 text or a table.

    Footnotes are given as notes = ["…", …] and referred to in the text with ①②…; they are printed
    at the end of the attachment under a short rule.
    """
    imprint = _imprint_table(doc)
    before = imprint.getprevious()
    if before is not None and before.tag == qn("w:p") and not "".join(before.itertext()).strip():
        imprint = before  # the empty line above the 版记 stays there (LibreOffice adds a blank page otherwise)
    for number, page in enumerate(pages, 1):
        label = _paragraph_before(doc, imprint, "附件标识", "")
        label.add_run().add_break(WD_BREAK.PAGE)  # LibreOffice adds a blank page for page_break_before here
        label.add_run(f"附件{page.get('number', number)}")
        for line in title_lines(page["title"], 20):
            _paragraph_before(doc, imprint, "附件标题", line)
        _paragraph_before(doc, imprint, "附件标题", "").paragraph_format.space_after = Pt(0)
        for text in page.get("text", []):
            _attachment_paragraph(doc, imprint, str(text))
        if page.get("table"):
            _table_before(doc, imprint, page["table"], page.get("widths"))
        notes = page.get("notes", [])
        if notes:
            _paragraph_before(doc, imprint, "附件注释", "").paragraph_format.space_before = Pt(6)
            for mark, note in zip(_NOTE_MARKS, notes):
                _paragraph_before(doc, imprint, "附件注释", f"{mark} {note}")


def _imprint_table(doc):
    tables = doc.tables
    return tables[-1]._tbl if tables and tables[-1]._tbl.tblPr.find(qn("w:tblpPr")) is not None else doc.paragraphs[-1]._p


def _paragraph_before(doc, anchor, style: str, text: str):
    from docx.text.paragraph import Paragraph

    p = OxmlElement("w:p")
    anchor.addprevious(p)
    paragraph = Paragraph(p, doc._body)
    paragraph.style = doc.styles[style]
    if text:
        paragraph.add_run(text)
    return paragraph


def _attachment_paragraph(doc, anchor, text: str) -> None:
    if _CHAPTER.match(text):
        _paragraph_before(doc, anchor, "附件章", re.sub(r"章[\s　]*", "章　", text, count=1))
        return
    article = _ARTICLE.match(text)
    p = _paragraph_before(doc, anchor, "公文正文", "" if article else text)
    if article:
        head = p.add_run(article.group(1) + "　")
        head.font.name = None
        rpr = head._r.get_or_add_rPr()
        fonts = OxmlElement("w:rFonts")
        fonts.set(qn("w:eastAsia"), "黑体")
        rpr.insert(0, fonts)
        p.add_run(text[article.end():])


def _table_before(doc, anchor, rows: list[list], widths: list[float] | None) -> None:
    """A grid table whose first row repeats on every page and whose rows never split."""
    from docx.shared import Mm

    columns = len(rows[0])
    table = doc.add_table(rows=len(rows), cols=columns)
    table.style = doc.styles["Table Grid"]
    widths = widths or [156 / columns] * columns
    table.autofit = False
    for column, width in zip(table.columns, widths):
        column.width = Mm(width)
    for r, (row, values) in enumerate(zip(table.rows, rows)):
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        if r == 0:
            tr_pr.append(OxmlElement("w:tblHeader"))
        for cell, value, width in zip(row.cells, values, widths):
            cell.width = Mm(width)
            p = cell.paragraphs[0]
            p.style = doc.styles["附件表格"]
            run = p.add_run("" if value is None else str(value))
            run.bold = r == 0
    anchor.addprevious(table._tbl)
    spacer = OxmlElement("w:p")
    anchor.addprevious(spacer)


# --- signature with the body ---------------------------------------------------------------

def keep_signature_with_body(doc, signature_style: str) -> None:
    """The blank lines, signer and date stay on the page of the last body line (never a date alone)."""
    paragraphs = doc.paragraphs
    index = next((i for i, p in enumerate(paragraphs) if p.style is not None and p.style.name == signature_style), None)
    if index is None:
        return
    i = index - 1
    while i >= 0:
        fmt = paragraphs[i].paragraph_format
        fmt.keep_with_next = True
        if paragraphs[i].text.strip():
            fmt.widow_control = True  # at least two lines of a split last paragraph come along
            break
        i -= 1
    paragraphs[index].paragraph_format.keep_with_next = True


# --- fonts ---------------------------------------------------------------------------------

class UndrawableWarning(UserWarning):
    """Characters no installed font can draw (they would print as empty boxes)."""


_ALWAYS_DRAWN = {"\t", "\n", "\r", " ", "\u3000", "\u00a0"}


@lru_cache(maxsize=None)
def _font_cmap(family: str) -> frozenset[int] | None:
    """The code points of the font fontconfig uses for ``family`` (None where fc-match is missing)."""
    if shutil.which("fc-match") is None:
        return None
    try:
        out = subprocess.run(["fc-match", "-f", "%{file}|%{index}", family], capture_output=True, text=True,
                             timeout=10).stdout
        path, _, index = out.partition("|")
        from fontTools.ttLib import TTFont

        font = TTFont(path, fontNumber=int(index or 0), lazy=True)
        return frozenset(font.getBestCmap() or {})
    except Exception:  # an unreadable font file: no check rather than a failed document
        return None


def undrawable(texts: list[tuple[str, str]], families: tuple[str, ...]) -> list[str]:
    """Problems "「𠀾」(U+2003E CJK UNIFIED IDEOGRAPH-2003E) 在 第3段" for characters no font can draw."""
    cmaps = [c for c in (_font_cmap(f) for f in families) if c is not None]
    if not cmaps:
        return []
    problems = []
    for where, text in texts:
        for ch in dict.fromkeys(text):
            if ch in _ALWAYS_DRAWN or any(ord(ch) in cmap for cmap in cmaps):
                continue
            name = unicodedata.name(ch, "")
            problems.append(f"「{ch}」（U+{ord(ch):04X} {name}）在{where}")
    return problems


def document_texts(doc) -> list[tuple[str, str]]:
    """(place, text) for every paragraph and table cell of a python-docx document."""
    texts = [(f"第{i}段", p.text) for i, p in enumerate(doc.paragraphs, 1) if p.text]
    for t, table in enumerate(doc.tables, 1):
        for r, row in enumerate(table.rows, 1):
            for cell in row.cells:
                if cell.text:
                    texts.append((f"表{t}第{r}行", cell.text))
    return texts


# --- the 版记 at the foot of an even page (PDF) -------------------------------------------

_MM = 72 / 25.4
BOTTOM_MARGIN_PT = 35 * _MM  # the notice's bottom margin (build.py)
TOP_MARGIN_PT = 37 * _MM
_IMPRINT_PAD_PT = 8  # from the text of the first / last 版记 line to the table's rules


def has_floating_imprint(docx: Path) -> bool:
    from docx import Document

    table = _imprint_table(Document(str(docx)))
    return table.tag == qn("w:tbl")


def imprint_spacing(pdf: Path, spacer_pt: float) -> tuple[int, float] | None:
    """How to move the 版记 to the foot of an even page: (page breaks, spacer pt), None if it is there.

    ``pdf`` is the export of ``with_imprint_spacer(…, 0, spacer_pt)``: the 版记 in the text flow
    right below the spacer, so the room below it is measured directly.
    """
    import pdfplumber

    with pdfplumber.open(str(pdf)) as document:
        pages = document.pages
        for number in range(len(pages), 0, -1):
            words = pages[number - 1].extract_words()
            printed = [w for w in words if w["text"].endswith("印发")]
            if printed:
                break
        else:
            return None
        page = pages[number - 1]
        printed = printed[-1]
        first = min((w for w in words if w["text"].startswith("抄送")), key=lambda w: w["top"], default=printed)
        bottom = page.height - BOTTOM_MARGIN_PT
        room = bottom - (printed["bottom"] + _IMPRINT_PAD_PT)
        if number % 2 == 0:
            return None if number == len(pages) and room < 6 else (0, spacer_pt + room - 3)
        height = printed["bottom"] - first["top"] + 2 * _IMPRINT_PAD_PT
        above = any(w["bottom"] < first["top"] - 1 for w in words)
        return (1 if above else 2), bottom - TOP_MARGIN_PT - height - 6


def with_imprint_spacer(docx: Path, out: Path, breaks: int, height_pt: float) -> Path:
    """A copy of ``docx`` for PDF export: the 版记 table in the text flow, page breaks and a spacer above it."""
    from docx import Document
    from docx.enum.text import WD_LINE_SPACING

    doc = Document(str(docx))
    table = _imprint_table(doc)
    position = table.find(qn("w:tblPr")).find(qn("w:tblpPr")) if table.tag == qn("w:tbl") else None
    if position is not None:
        position.getparent().remove(position)
    before = table.getprevious()
    if before is not None and before.tag == qn("w:p") and not "".join(before.itertext()).strip():
        before.getparent().remove(before)  # the empty line kept for the floating 版记
    if breaks == 2:   # a blank page, then the 版记 page: neither carries a page number (GB/T 9704 7.5)
        _unnumbered_from_here(doc, table)
        _paragraph_before(doc, table, "Normal", "")
    spacer = _paragraph_before(doc, table, "Normal", "")
    fmt = spacer.paragraph_format
    fmt.page_break_before = breaks > 0
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(max(1.0, height_pt))
    fmt.space_before = fmt.space_after = Pt(0)
    doc.save(str(out))
    return out


def _unnumbered_from_here(doc, anchor) -> None:
    """End the section just before ``anchor`` (the body keeps its page numbers); the new section,
    starting on the next page, has empty footers."""
    import copy

    from docx.section import Section

    last = anchor.getprevious()
    if last is None or last.tag != qn("w:p"):
        last = _paragraph_before(doc, anchor, "Normal", "")._p
        fmt = last.get_or_add_pPr()
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:line"), "20")   # 1 pt: the carrier of the section break takes no room
        spacing.set(qn("w:lineRule"), "exact")
        fmt.append(spacing)
    body = doc.element.body.sectPr
    last.get_or_add_pPr()._insert_sectPr(copy.deepcopy(body))
    for reference in body.findall(qn("w:footerReference")):
        body.remove(reference)
    section = Section(body, doc.part)
    for footer in (section.footer, section.even_page_footer, section.first_page_footer):
        footer.is_linked_to_previous = False
