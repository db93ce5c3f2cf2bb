"""Seals: specimen seal images, the floating seal picture in Word, the stamping log, verify.

Only specimen seals (visibly marked 样章 / SPECIMEN) are generated here; a union's real
seal image is supplied by the union and stays on its machines. Stamping a document puts
the image in front of the text (``wp:anchor``, wrap none) centred on the signer and date,
so no text moves, and appends a line to 盖章记录.csv beside the output so that
``mutualaid verify`` can tell whether the document has changed since it was stamped. Each
line carries a hash over itself and the line before, so a line edited, inserted or appended
by hand breaks the chain. The chain has no secret: it catches edits, not a forger who runs
the same algorithm, and it cannot tell that the last lines were deleted; a PDF that must
prove itself is signed instead (documents.signing), and needs no log.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import getpass
import hashlib
import io
import math
import os
import shutil
import subprocess
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from docx.oxml import parse_xml
from docx.shared import Emu, Mm, Pt
from PIL import Image, ImageDraw, ImageFont

from ..errors import FileFormatError, InputError, ToolMissingError
from ..workbooks.sheets import csv_field
from ..files import install_bytes

SEAL_DIAMETER = Mm(42)
SIGNATURE_STYLE = "发文机关署名"
LOG_NAME = "盖章记录.csv"
LOG_HEADER = ("文件", "盖章时间", "操作人", "印章文件", "印章SHA256", "文档SHA256")
CHAIN_COLUMN = "链哈希"
LOG_COLUMNS = LOG_HEADER + (CHAIN_COLUMN,)
CHAIN_START = "0" * 64
SEAL_RED = (230, 0, 18)

_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "C:/Windows/Fonts/simsun.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
)


# --- specimen seal image ------------------------------------------------------------------

def _cjk_font_file() -> str:
    for candidate in _FONT_FILES:
        if Path(candidate).is_file():
            return candidate
    if shutil.which("fc-list"):
        listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False).stdout
        files = sorted(line.split(":")[0].strip() for line in listed.splitlines() if line.strip())
        if files:
            return files[0]
    raise ToolMissingError("未找到中文字体，无法绘制样章。请安装 fonts-noto-cjk（sudo apt-get install fonts-noto-cjk）。")


def _glyph(char: str, font, size: int, angle: float) -> Image.Image:
    tile = Image.new("RGBA", (size * 2, size * 2), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text((size, size), char, font=font, fill=SEAL_RED + (255,), anchor="mm")
    return tile.rotate(angle, resample=Image.BICUBIC)


def specimen_seal(org: str, out: Path | str, *, pixels: int = 1000) -> Path:
    """Draw a round red specimen seal for ``org`` marked 样章 and SPECIMEN; write it as PNG.

    Not a look-alike of a real seal: no star, a double ring, and 样章 across the centre.
    """
    org = (org or "").strip()
    if not org:
        raise InputError("请填写单位名称。", argument="单位名称")
    if len(org) > 24:
        raise InputError(f"单位名称过长（{len(org)} 字），样章最多容纳 24 字。", argument="单位名称")
    font_file = _cjk_font_file()
    size = pixels
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    c = size / 2
    ring = size * 0.035
    draw.ellipse((ring / 2, ring / 2, size - ring / 2, size - ring / 2), outline=SEAL_RED + (255,), width=round(ring))
    inner = size * 0.085
    draw.ellipse((inner, inner, size - inner, size - inner), outline=SEAL_RED + (255,), width=round(size * 0.008))

    # the name along the upper arc, centred on the top, reading left to right
    span = min(220.0, 24.0 * len(org))
    arc_radius = size / 2 - inner - size * 0.07
    glyph_px = round(min(size * 0.13, 0.85 * arc_radius * math.radians(span) / len(org)))
    font = ImageFont.truetype(font_file, glyph_px, index=0)
    radius = size / 2 - inner - glyph_px * 0.6
    for i, char in enumerate(org):
        angle = -span / 2 + span * (i + 0.5) / len(org)  # degrees from the top, clockwise
        theta = math.radians(angle - 90)
        x, y = c + radius * math.cos(theta), c + radius * math.sin(theta)
        tile = _glyph(char, font, glyph_px, -angle)
        image.alpha_composite(tile, (round(x - tile.width / 2), round(y - tile.height / 2)))

    big = ImageFont.truetype(font_file, round(size * 0.2), index=0)
    draw.text((c, c + size * 0.05), "样 章", font=big, fill=SEAL_RED + (255,), anchor="mm")
    small = ImageFont.truetype(font_file, round(size * 0.065), index=0)
    draw.text((c, c + size * 0.22), "SPECIMEN 仅供演示", font=small, fill=SEAL_RED + (255,), anchor="mm")

    # ink is slightly translucent so that text under the seal stays readable
    alpha = image.getchannel("A").point(lambda a: a * 220 // 255)
    image.putalpha(alpha)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    dpi = round(size / (42 / 25.4))
    data = io.BytesIO()
    image.save(data, "PNG", dpi=(dpi, dpi))
    return install_bytes(data.getvalue(), out)


# --- floating seal picture ----------------------------------------------------------------

_ANCHOR = """<wp:anchor xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
 distT="0" distB="0" distL="0" distR="0" simplePos="0" relativeHeight="251659264" behindDoc="0"
 locked="0" layoutInCell="1" allowOverlap="1">
<wp:simplePos x="0" y="0"/>
<wp:positionH relativeFrom="column"><wp:posOffset>{x}</wp:posOffset></wp:positionH>
<wp:positionV relativeFrom="paragraph"><wp:posOffset>{y}</wp:posOffset></wp:positionV>
<wp:extent cx="{cx}" cy="{cy}"/>
<wp:effectExtent l="0" t="0" r="0" b="0"/>
<wp:wrapNone/>
</wp:anchor>"""


def signature_paragraph(document):
    """The paragraph styled 发文机关署名 (the last one, if a template has several)."""
    found = [p for p in document.paragraphs if p.style is not None and p.style.name == SIGNATURE_STYLE]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                found += [p for p in cell.paragraphs if p.style is not None and p.style.name == SIGNATURE_STYLE]
    if not found:
        raise FileFormatError(f"模板中没有样式为「{SIGNATURE_STYLE}」的段落，不知道印章放在哪里。")
    return found[-1]


def _centre_tab(paragraph) -> Emu | None:
    style = paragraph.style
    sources = [paragraph.paragraph_format] + ([style.paragraph_format] if style is not None else [])
    for fmt in sources:
        for stop in fmt.tab_stops:
            if stop.alignment is not None and stop.alignment.name == "CENTER":
                return Emu(stop.position)
    return None


def _space_before(paragraph) -> int:
    """Space before the paragraph (EMU), which the anchor's vertical offset counts from."""
    style = paragraph.style
    while style is not None:
        if paragraph.paragraph_format.space_before is not None:
            return int(paragraph.paragraph_format.space_before)
        if style.paragraph_format.space_before is not None:
            return int(style.paragraph_format.space_before)
        style = style.base_style
    return 0


def add_floating_seal(document, seal_png: Path | str, paragraph=None, *, diameter: Emu = SEAL_DIAMETER):
    """Anchor ``seal_png`` in front of the text, centred on the signer and date.

    The picture is anchored in the signature paragraph; horizontally it is centred on that
    paragraph's centre tab stop (where the signer and date are centred), vertically its
    centre sits just below the top of the signer line, so signer and date lie in its lower half.
    """
    seal_png = Path(seal_png)
    if not seal_png.is_file():
        raise InputError("印章图片不存在。", file=str(seal_png))
    try:
        with Image.open(seal_png) as probe:
            width_px, height_px = probe.size
    except OSError:
        raise FileFormatError("不是可读取的图片文件（印章应为带透明背景的 PNG）。", file=str(seal_png)) from None
    paragraph = paragraph if paragraph is not None else signature_paragraph(document)
    section = document.sections[-1]
    text_width = section.page_width - section.left_margin - section.right_margin
    cx = int(diameter)
    cy = int(diameter * height_px / width_px)
    centre = _centre_tab(paragraph)
    if centre is None:
        centre = text_width - Pt(4 * 16) - Pt(3 * 16)
    x = int(centre - cx / 2)
    y = int(_space_before(paragraph) + Pt(4) - cy / 2)

    inline = document.part.new_pic_inline(str(seal_png), cx, cy)
    anchor = parse_xml(_ANCHOR.format(x=x, y=y, cx=cx, cy=cy))
    for tag in ("docPr", "cNvGraphicFramePr"):
        node = inline.find("{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}" + tag)
        if node is not None:
            if tag == "docPr":
                node.set("name", "印章")
                node.set("descr", "印章 " + seal_png.name)
            anchor.append(node)
    anchor.append(inline.find("{http://schemas.openxmlformats.org/drawingml/2006/main}graphic"))
    run = paragraph.add_run()
    drawing = parse_xml('<w:drawing xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>')
    drawing.append(anchor)
    run._r.append(drawing)
    return anchor


# --- stamping log and verify --------------------------------------------------------------

def sha256_file(path: Path | str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def log_path(document: Path | str) -> Path:
    return Path(document).resolve().parent / LOG_NAME


def carries_seal(document: Path | str) -> bool:
    """Whether a .docx holds the seal picture that add_floating_seal puts in."""
    try:
        with zipfile.ZipFile(document) as archive:
            return b'name="\xe5\x8d\xb0\xe7\xab\xa0"' in archive.read("word/document.xml")  # name="印章"
    except (OSError, KeyError, zipfile.BadZipFile):
        return False


def _chain(previous: str, record: dict[str, str]) -> str:
    """Each line's hash covers the line before it, so an edited, inserted or appended line shows."""
    text = previous + "\n" + "\t".join(record[column] for column in LOG_HEADER)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _decode_log(data: bytes, log: Path) -> tuple[str, str]:
    """(text, encoding to append in): UTF-8 with or without BOM, or GBK as Excel saves on Chinese Windows."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"  # a superset of GBK, so every later line fits
    except UnicodeDecodeError:
        raise FileFormatError("盖章记录无法读取：既不是 UTF-8 也不是 GBK 编码的 CSV 文件。", file=str(log)) from None


def read_log(log: Path | str) -> tuple[list[dict[str, str]], str]:
    """The records of a stamping log and the encoding it is in; any damage is a Chinese error.

    Checks the header, every line's length and the hash chain, naming the line (as Excel numbers it).
    """
    log = Path(log)
    text, encoding = _decode_log(log.read_bytes(), log)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise FileFormatError(f"盖章记录无法按 CSV 读取（{error}），该文件可能被改动过。", file=str(log)) from None
    if not rows:
        return [], encoding
    header = [cell.strip() for cell in rows[0]]
    missing = [column for column in LOG_COLUMNS if column not in header]
    if missing:
        raise FileFormatError(f"盖章记录缺少列「{'」「'.join(missing)}」，无法核验；该文件可能被改动过。", file=str(log))
    records, previous = [], CHAIN_START
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise FileFormatError(f"盖章记录第 {number} 行有 {len(row)} 项，应为 {len(header)} 项，该行不完整或被改动过。",
                                  file=str(log))
        record = {column: cell.strip() for column, cell in zip(header, row)}
        if _chain(previous, record) != record[CHAIN_COLUMN]:
            raise FileFormatError(f"盖章记录第 {number} 行与前面的记录对不上：该行被改动、插入或手工添加过，"
                                  "记录不再可信。", file=str(log))
        previous = record[CHAIN_COLUMN]
        records.append(record)
    return records, encoding


@contextlib.contextmanager
def _log_lock(log: Path, wait: float = 30.0):
    """One stamping at a time per log (two runs in one folder would otherwise break the chain)."""
    lock = log.with_name(log.name + ".lock")
    deadline = time.monotonic() + wait
    while True:
        try:
            handle = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            try:
                if time.time() - lock.stat().st_mtime > 120:  # left behind by a run that was killed
                    lock.unlink(missing_ok=True)
                    continue
            except FileNotFoundError:
                continue
            if time.monotonic() > deadline:
                raise InputError(f"盖章记录正被另一次盖章使用（{lock.name}），请稍后再试。", file=str(log)) from None
            time.sleep(0.02)
    try:
        yield
    finally:
        os.close(handle)
        lock.unlink(missing_ok=True)


def record_stamping(document: Path | str, seal_png: Path | str) -> dict[str, str]:
    """Append (file, time, user, seal file, seal SHA-256, document SHA-256, chain hash) to 盖章记录.csv.

    A log Excel re-saved as GBK stays GBK; a damaged log is never appended to.
    """
    document, seal_png = Path(document), Path(seal_png)
    log = log_path(document)
    record = {
        "文件": document.name,
        "盖章时间": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "操作人": getpass.getuser(),
        "印章文件": seal_png.name,
        "印章SHA256": sha256_file(seal_png),
        "文档SHA256": sha256_file(document),
    }
    record = {key: csv_field(value) for key, value in record.items()}   # a name like "=1+1" stays text
    with _log_lock(log):
        records, encoding = read_log(log) if log.is_file() else ([], "utf-8-sig")
        record[CHAIN_COLUMN] = _chain(records[-1][CHAIN_COLUMN] if records else CHAIN_START, record)
        existing = log.read_bytes() if log.is_file() else b""
        line = io.StringIO()
        if existing and not existing.endswith(b"\n"):
            line.write("\r\n")
        writer = csv.writer(line, lineterminator="\r\n")
        if not records and not existing.strip():
            writer.writerow(LOG_COLUMNS)
        writer.writerow([record[column] for column in LOG_COLUMNS])
        with open(log, "ab") as handle:
            handle.write(line.getvalue().encode(encoding))
    return record


@dataclass(frozen=True)
class Verification:
    ok: bool
    message: str
    record: dict[str, str] | None = None


def verify(document: Path | str) -> Verification:
    """A signed PDF checks itself; other stamped files are checked against the stamping log beside them."""
    from . import signing

    document = Path(document)
    if not document.is_file():
        raise InputError("文件不存在。", file=str(document))
    if document.suffix.lower() == ".pdf":
        check = signing.verify_pdf(document)
        if check.signed:
            return Verification(check.ok, check.message)
    log = log_path(document)
    unsigned = "该文件没有数字签名，" if document.suffix.lower() == ".pdf" else ""
    if not log.is_file():
        return Verification(False, f"{unsigned}未找到盖章记录 {log}，无法核验（可能未经本工具盖章）。")
    try:
        records = [r for r in read_log(log)[0] if r["文件"] in (document.name, csv_field(document.name))]
    except FileFormatError as error:
        return Verification(False, f"无法核验：{error}")
    if not records:
        return Verification(False, f"{unsigned}盖章记录 {log.name} 中没有这个文件，无法核验（可能未经本工具盖章）。")
    record = records[-1]
    if sha256_file(document) == record["文档SHA256"]:
        return Verification(True, f"文件未改动：与 {record['盖章时间']} 盖章时一致（印章 {record['印章文件']}）。", record)
    return Verification(False, f"文件已改动：与 {record['盖章时间']} 盖章时的内容不一致。", record)
