"""Generate the hostile-file corpus in tests/data/bad/hostile/: files crafted to make a parser
allocate without bound, expand entities, read other files or nest without end.

Run from the repository root:  python tests/data/make_hostile.py
Every part is written by hand with fixed zip timestamps, so regenerating gives the same
bytes (tests/test_hostile_files.py checks that and runs each file through every command).
Synthetic data only (area code 99xxxx).
"""

from __future__ import annotations

import struct
import sys
import zipfile
import zlib
from pathlib import Path

OUT = Path(__file__).parent / "bad" / "hostile"
STAMP = (2021, 5, 1, 0, 0, 0)
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
ID = "990001198503150016"     # synthetic: area code 99xxxx does not exist
LAUGHS = ('<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
          + "]>\n")
EXTERNAL = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY net SYSTEM "http://example.invalid/x">]>\n'


def write_zip(path: Path, parts: dict[str, bytes | str], level: int = 6) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data.encode() if isinstance(data, str) else data, compresslevel=level)
    return path


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def sheet_xml(rows: str, *, dimension: str | None = "A1:C2", prologue: str = "", tail: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (HEAD + prologue + f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}">{dim}<sheetData>{rows}</sheetData>'
            + tail + "</worksheet>")


ROSTER_ROWS = ('<row r="1">' + cell("A1", "姓名") + cell("B1", "身份证号") + cell("C1", "类别") + "</row>"
               '<row r="2">' + cell("A2", "赵伟") + cell("B2", ID) + cell("C2", "在职") + "</row>")


def xlsx(path: Path, sheets: list[str], shared: str | None = None) -> Path:
    names = "".join(f'<sheet name="表{i}" sheetId="{i}" r:id="rId{i}"/>' for i in range(1, len(sheets) + 1))
    rels = "".join(f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                   for i in range(1, len(sheets) + 1))
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                        for i in range(1, len(sheets) + 1))
    if shared is not None:
        rels += f'<Relationship Id="rIdS" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        overrides += ('<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                      'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
    parts: dict[str, bytes | str] = {
        "[Content_Types].xml": HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        + overrides + "</Types>",
        "_rels/.rels": HEAD + f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
        f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": HEAD + f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{names}</sheets></workbook>',
        "xl/_rels/workbook.xml.rels": HEAD + f'<Relationships xmlns="{PKG}">{rels}</Relationships>',
    }
    for i, sheet in enumerate(sheets, 1):
        parts[f"xl/worksheets/sheet{i}.xml"] = sheet
    if shared is not None:
        parts["xl/sharedStrings.xml"] = shared
    return write_zip(path, parts)


def shared_strings(items: str, prologue: str = "") -> str:
    return HEAD + prologue + f'<sst xmlns="{MAIN}">{items}</sst>'


def shared_sheet() -> str:
    return sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c>' + cell("B1", "身份证号") + "</row>"
                     '<row r="2"><c r="A2" t="s"><v>1</v></c>' + cell("B2", ID) + "</row>", dimension="A1:B2")


def zip_bomb(path: Path, gigabytes: float = 1.0) -> None:
    """A worksheet whose XML inflates to ``gigabytes`` of blanks (about 1,000 : 1)."""
    head = sheet_xml(ROSTER_ROWS).split("</sheetData>")[0].encode()
    size = int(gigabytes * (1 << 30))
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = b" " * (1 << 24)
    body = [packer.compress(head)]
    crc, left = zlib.crc32(head), size
    while left > 0:
        piece = block[:min(left, len(block))]
        body.append(packer.compress(piece))
        crc, left = zlib.crc32(piece, crc), left - len(piece)
    tail = b"</sheetData></worksheet>"
    body += [packer.compress(tail), packer.flush()]
    crc = zlib.crc32(tail, crc)
    xlsx(path, [sheet_xml(ROSTER_ROWS)])
    _replace_deflated(path, "xl/worksheets/sheet1.xml", b"".join(body), crc, len(head) + size + len(tail))


def _replace_deflated(path: Path, name: str, compressed: bytes, crc: int, size: int):
    """Rewrite the package with one member given as a ready deflate stream (too big to build in memory)."""
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    with open(path, "wb") as out:
        central = []
        for info, data in members:
            offset = out.tell()
            raw = name.encode()
            if info.filename == name:
                stored, crc_, usize = compressed, crc, size
            else:
                packer = zlib.compressobj(6, zlib.DEFLATED, -15)
                stored, crc_, usize = packer.compress(data) + packer.flush(), zlib.crc32(data), len(data)
                raw = info.filename.encode()
            date = (STAMP[0] - 1980) << 9 | STAMP[1] << 5 | STAMP[2]
            fields = (20, 0x800, 8, 0, date, crc_, len(stored), usize, len(raw))
            out.write(b"PK\x03\x04" + struct.pack("<HHHHHIIIHH", *fields, 0) + raw + stored)
            central.append(b"PK\x01\x02" + struct.pack("<HHHHHHIIIHHHHHII", 20, *fields, 0, 0, 0, 0, 0o644 << 16,
                                                       offset) + raw)
        start = out.tell()
        directory = b"".join(central)
        out.write(directory + b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, len(central), len(central),
                                                          len(directory), start, 0))


def docx(path: Path, prologue: str, body: str) -> None:
    word = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    write_zip(path, {
        "[Content_Types].xml": HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        "_rels/.rels": HEAD + f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
        f'Type="{REL}/officeDocument" Target="word/document.xml"/></Relationships>',
        "word/document.xml": HEAD + prologue + f'<w:document xmlns:w="{word}"><w:body><w:p><w:r><w:t>{body}'
        "</w:t></w:r></w:p></w:body></w:document>",
    })


def ods_repeated(path: Path) -> None:
    """One value repeated over 1,048,576 rows x 16,384 columns: a few hundred bytes."""
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    content = (HEAD + f'<office:document-content xmlns:office="{office}" '
               'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
               'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
               '<office:spreadsheet><table:table table:name="会员名册"><table:table-row table:number-rows-repeated='
               '"1048576"><table:table-cell table:number-columns-repeated="16384" office:value-type="string">'
               "<text:p>在职</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>"
               "</office:body></office:document-content>")
    manifest = (HEAD + '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                '<manifest:file-entry manifest:full-path="/" '
                'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype", STAMP), "application/vnd.oasis.opendocument.spreadsheet")
    with zipfile.ZipFile(path, "a") as archive:
        for name, data in (("content.xml", content), ("META-INF/manifest.xml", manifest)):
            info = zipfile.ZipInfo(name, STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data.encode())


def main(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    far = '<row r="1048576">' + cell("XFD1048576", "x") + "</row>"
    xlsx(out / "lying_dimension.xlsx", [sheet_xml(ROSTER_ROWS + far, dimension="A1:C2")])
    xlsx(out / "missing_dimension.xlsx", [sheet_xml(ROSTER_ROWS + far, dimension=None)])
    xlsx(out / "far_cell.xlsx", [sheet_xml(ROSTER_ROWS + far, dimension="A1:XFD1048576")])
    xlsx(out / "far_cell_no_reference.xlsx", [sheet_xml(
        ROSTER_ROWS + '<row r="1048576">' + "<c/>" * 16383 + '<c t="inlineStr"><is><t>x</t></is></c></row>')])
    zip_bomb(out / "zip_bomb.xlsx")
    zip_bomb(out / "zip_bomb_lying_size.xlsx", gigabytes=0.25)
    _lie_about_size(out / "zip_bomb_lying_size.xlsx", "xl/worksheets/sheet1.xml")
    xlsx(out / "entities_sheet.xlsx", [sheet_xml(ROSTER_ROWS + '<row r="3">' + cell("A3", "&lol9;") + "</row>",
                                                 prologue=LAUGHS, dimension="A1:C3")])
    xlsx(out / "external_entity_sheet.xlsx", [sheet_xml(
        ROSTER_ROWS + '<row r="3">' + cell("A3", "&xxe;&net;") + "</row>", prologue=EXTERNAL, dimension="A1:C3")])
    xlsx(out / "entities_shared_strings.xlsx", [shared_sheet()],
         shared_strings('<si><t>姓名</t></si><si><t>&lol9;</t></si>', LAUGHS))
    xlsx(out / "external_entity_shared_strings.xlsx", [shared_sheet()],
         shared_strings('<si><t>姓名</t></si><si><t>&xxe;</t></si>', EXTERNAL))
    xlsx(out / "deep_nesting.xlsx", [sheet_xml(ROSTER_ROWS, tail="<x>" * 200_000 + "</x>" * 200_000)])
    xlsx(out / "big_cell.xlsx", [shared_sheet()],
         shared_strings("<si><t>姓名</t></si><si><t>" + "赵" * (10 * (1 << 20) // 3) + "</t></si>"))
    xlsx(out / "many_sheets.xlsx", [sheet_xml(ROSTER_ROWS)] * 10_000)
    ods_repeated(out / "repeated_cells.ods")
    docx(out / "entities.docx", LAUGHS, "&lol9;")
    docx(out / "external_entity.docx", EXTERNAL, "&xxe;")
    docx(out / "deep_nesting.docx", "", "x" + "<w:r>" * 100_000 + "</w:r>" * 100_000)
    return sorted(out.iterdir())


def _lie_about_size(path: Path, name: str) -> None:
    """Make the zip directory claim the member inflates to 1 KB (it inflates to 256 MB)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    local = info.header_offset
    struct.pack_into("<I", data, local + 22, 1024)
    position = 0
    while (position := data.find(b"PK\x01\x02", position)) >= 0:
        length = struct.unpack_from("<H", data, position + 28)[0]
        if data[position + 46:position + 46 + length] == name.encode():
            struct.pack_into("<I", data, position + 24, 1024)
        position += 4
    path.write_bytes(bytes(data))


if __name__ == "__main__":
    made = main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
    print(f"wrote {len(made)} files to {made[0].parent}")
