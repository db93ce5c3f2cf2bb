"""A VBA project written as source only, the way .NET's EPPlus writes one: an OLE compound file
(MS-CFB) holding the PROJECT streams and one stream per module with its source compressed per
MS-OVBA 2.4.1 and no compiled p-code (``_VBA_PROJECT`` version 0xFFFF), so Excel compiles the
modules when it opens the file.

Read back with ``olefile``/``oletools`` in the tests; nothing here has been opened by Excel on
this machine (there is none).
"""

from __future__ import annotations

import io
import re
import struct
import uuid
from dataclasses import dataclass

import olefile

_CHUNK = 4096
_SECTOR, _MINI, _CUTOFF = 512, 64, 4096
_FREE, _END, _FATSECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")


# ------------------------------------------------------------------ MS-OVBA 2.4.1 compression


def _bit_count(position: int) -> int:
    """Bits of a copy token's offset at ``position`` bytes into a decompressed chunk."""
    return max((position - 1).bit_length(), 4)


def _compress_chunk(chunk: bytes) -> bytes:
    out = bytearray()
    seen: dict[bytes, list[int]] = {}
    pos, n = 0, len(chunk)
    while pos < n:
        flag_at, flags = len(out), 0
        out.append(0)
        for bit in range(8):
            if pos >= n:
                break
            bits = _bit_count(pos) if pos else 4
            longest, offset = 0, 0
            limit = min((0xFFFF >> bits) + 3, n - pos)
            for start in reversed(seen.get(chunk[pos:pos + 3], [])[-32:]):
                length = 3
                while length < limit and chunk[start + length] == chunk[pos + length]:
                    length += 1
                if length > longest:
                    longest, offset = length, pos - start
                    if length == limit:
                        break
            step = longest if longest >= 3 else 1
            if longest >= 3:
                flags |= 1 << bit
                out += struct.pack("<H", ((offset - 1) << (16 - bits)) | (longest - 3))
            else:
                out.append(chunk[pos])
            for p in range(pos, pos + step):
                seen.setdefault(chunk[p:p + 3], []).append(p)
            pos += step
        out[flag_at] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    """A CompressedContainer: signature byte 1, then one chunk per 4096 bytes."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), _CHUNK):
        chunk = data[start:start + _CHUNK]
        body = _compress_chunk(chunk)
        if len(body) > _CHUNK:
            if len(chunk) < _CHUNK:
                raise ValueError("incompressible partial chunk")  # never for source text
            out += struct.pack("<H", 0x3000 | (_CHUNK - 1)) + chunk   # a raw chunk
        else:
            out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + body
    return bytes(out)


def decompress(data: bytes) -> bytes:
    if not data or data[0] != 1:
        raise ValueError("not an MS-OVBA compressed container")
    out, i = bytearray(), 1
    while i < len(data):
        header = struct.unpack_from("<H", data, i)[0]
        end, i, start = i + (header & 0x0FFF) + 3, i + 2, len(out)
        if not header & 0x8000:
            out += data[i:i + _CHUNK]
            i += _CHUNK
            continue
        while i < min(end, len(data)):
            flags, i = data[i], i + 1
            for bit in range(8):
                if i >= min(end, len(data)):
                    break
                if not flags >> bit & 1:
                    out.append(data[i])
                    i += 1
                    continue
                token, i = struct.unpack_from("<H", data, i)[0], i + 2
                bits = _bit_count(len(out) - start)
                length, offset = (token & (0xFFFF >> bits)) + 3, (token >> (16 - bits)) + 1
                for _ in range(length):
                    out.append(out[-offset])
    return bytes(out)


# ------------------------------------------------------------------ MS-CFB (version 3) writer


def _sort_key(name: str):
    return len(name), name.upper()


def _tree(names: list[str], index: dict[str, int], entries: dict[int, dict], depth: int = 0) -> int:
    """A balanced binary search tree of sibling entries; returns the root's id. Nodes on the deepest
    level are red, all others black, which keeps every path's count of black nodes equal."""
    if not names:
        return _NOSTREAM
    middle = len(names) // 2
    node = index[names[middle]]
    entries[node]["left"] = _tree(names[:middle], index, entries, depth + 1)
    entries[node]["right"] = _tree(names[middle + 1:], index, entries, depth + 1)
    entries[node]["depth"] = depth
    return node


def _directory_entry(name: str, kind: int, red: bool, left: int, right: int, child: int, start: int,
                     size: int) -> bytes:
    encoded = (name + "\0").encode("utf-16-le") if name else b""
    return struct.pack("<64sHBBIII16sIQQIQ", encoded, len(encoded), kind, 0 if red else 1, left, right, child,
                       b"\0" * 16, 0, 0, 0, start, size)


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A compound file holding ``streams`` ("VBA/dir" is stream dir in storage VBA)."""
    entries: dict[int, dict] = {0: {"name": "Root Entry", "kind": 5, "children": {}}}
    paths: dict[str, int] = {"": 0}
    for path, data in streams.items():
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            key = "/".join(parts[:depth])
            if key not in paths:
                paths[key] = len(entries)
                is_stream = depth == len(parts)
                entries[len(entries)] = {"name": parts[depth - 1], "kind": 2 if is_stream else 1, "children": {},
                                         "data": data if is_stream else None}
                entries[paths["/".join(parts[:depth - 1])]]["children"][parts[depth - 1]] = paths[key]
    for entry in entries.values():
        entry.update(left=_NOSTREAM, right=_NOSTREAM, child=_NOSTREAM, depth=0, start=_END, size=0)
    for entry in list(entries.values()):
        children = entry["children"]
        if children:
            names = sorted(children, key=_sort_key)
            entry["child"] = _tree(names, children, entries)
            deepest = max(entries[children[n]]["depth"] for n in names)
            for n in names:
                entries[children[n]]["red"] = deepest > 0 and entries[children[n]]["depth"] == deepest

    sectors = bytearray()
    fat: list[int] = []

    def put(data: bytes, size: int, marker: int | None = None) -> int:
        count = -(-len(data) // size)
        first = len(fat)
        for k in range(count):
            fat.append(marker if marker is not None else (first + k + 1 if k < count - 1 else _END))
        sectors.extend(data + b"\0" * (count * size - len(data)))
        return first if count else _END

    mini, minifat = bytearray(), []
    for entry in entries.values():
        data = entry.get("data")
        if data is None or not data:
            continue
        entry["size"] = len(data)
        if len(data) >= _CUTOFF:
            entry["start"] = put(data, _SECTOR)
        else:
            count, first = -(-len(data) // _MINI), len(minifat)
            minifat += [first + k + 1 if k < count - 1 else _END for k in range(count)]
            mini += data + b"\0" * (count * _MINI - len(data))
            entry["start"] = first
    root = entries[0]
    root["start"], root["size"] = (put(bytes(mini), _SECTOR), len(mini)) if mini else (_END, 0)
    minifat_bytes = b"".join(struct.pack("<I", v) for v in minifat)
    minifat_bytes += b"\xff" * (-len(minifat_bytes) % _SECTOR)
    first_minifat = put(minifat_bytes, _SECTOR) if minifat else _END
    directory = b"".join(
        _directory_entry(e["name"], e["kind"], e.get("red", False), e["left"], e["right"], e["child"], e["start"],
                         e["size"]) for e in entries.values())
    directory += _directory_entry("", 0, False, _NOSTREAM, _NOSTREAM, _NOSTREAM, 0, 0) * (
        -len(entries) % (_SECTOR // 128))
    first_directory = put(directory, _SECTOR)
    fat_count = 1
    while fat_count * (_SECTOR // 4) < len(fat) + fat_count:
        fat_count += 1
    if fat_count > 109:
        raise ValueError("VBA project too large for a header-only DIFAT")
    fat_start = len(fat)
    fat += [_FATSECT] * fat_count
    fat += [_FREE] * (fat_count * (_SECTOR // 4) - len(fat))
    sectors += b"".join(struct.pack("<I", v) for v in fat)
    difat = [fat_start + k for k in range(fat_count)] + [_FREE] * (109 - fat_count)
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", _SIGNATURE, b"\0" * 16, 0x3E, 3, 0xFFFE, 9, 6, b"\0" * 6, 0,
                         fat_count, first_directory, 0, _CUTOFF, first_minifat, -(-len(minifat_bytes) // _SECTOR)
                         if minifat else 0, _END, 0)
    header += b"".join(struct.pack("<I", v) for v in difat)
    return header + bytes(sectors)


# ------------------------------------------------------------------ the VBA project


@dataclass(frozen=True)
class Module:
    name: str
    kind: str       # "standard", "class" or "document"
    source: str     # with its Attribute lines, CRLF line ends, code page text


def _records(data: bytes) -> list[tuple[int, bytes]]:
    """dir stream records as (id, the whole record's bytes)."""
    out, i = [], 0
    while i < len(data):
        record, size = struct.unpack_from("<HI", data, i)
        if record == 0x0009:  # PROJECTVERSION: Size says 4, 6 bytes follow
            size = 6
        out.append((record, data[i:i + 6 + size]))
        i += 6 + size
    return out


def _record(record: int, data: bytes) -> bytes:
    return struct.pack("<HI", record, len(data)) + data


@dataclass(frozen=True)
class Template:
    """What a new project takes from an existing one: its references and settings."""

    project: str            # the PROJECT stream's text
    head: bytes             # dir records before PROJECTMODULES: project information and references
    codepage: str
    vba_project: bytes      # the _VBA_PROJECT stream
    modules: dict[str, Module]

    @classmethod
    def read(cls, vba_project_bin: bytes) -> Template:
        ole = olefile.OleFileIO(io.BytesIO(vba_project_bin))
        try:
            records = _records(decompress(ole.openstream("VBA/dir").read()))
            codepage = f"cp{struct.unpack_from('<H', next(r for i, r in records if i == 0x0003), 6)[0]}"
            project = ole.openstream("PROJECT").read().decode(codepage)
            head = b"".join(r for i, r in records[:next(k for k, (i, _) in enumerate(records) if i == 0x000F)])
            modules, name, offset = {}, None, 0
            for record, raw in records:
                if record == 0x0019:
                    name = raw[6:].decode(codepage)
                elif record == 0x0031:
                    offset = struct.unpack_from("<I", raw, 6)[0]
                elif record in (0x0021, 0x0022):
                    kind = "standard" if record == 0x0021 else (
                        "document" if f"Document={name}/" in project else "class")
                    stream = decompress(ole.openstream(f"VBA/{name}").read()[offset:])
                    modules[name] = Module(name, kind, stream.decode(codepage))
            return cls(project, head, codepage, ole.openstream("VBA/_VBA_PROJECT").read()[:7], modules)
        finally:
            ole.close()


def encrypt(project_id: str, data: bytes, seed: int) -> str:
    """MS-OVBA 2.4.3.2 data encryption (CMG, DPB and GC of the PROJECT stream), as hex."""
    key = sum(project_id.encode("ascii")) & 0xFF
    version_enc, key_enc = seed ^ 2, seed ^ key
    out = bytearray([seed, version_enc, key_enc])
    plain1, enc1, enc2 = key, key_enc, version_enc
    for byte in bytes((seed & 6) // 2) + struct.pack("<I", len(data)) + data:   # ignored bytes, length, data
        byte_enc = byte ^ ((enc2 + plain1) & 0xFF)
        out.append(byte_enc)
        enc2, enc1, plain1 = enc1, byte_enc, byte
    return out.hex().upper()


def _project_stream(template: Template, name: str, modules: list[Module], project_id: str) -> str:
    kinds = {"standard": "Module", "class": "Class", "document": "Document"}
    lines = [f"{kinds[m.kind]}={m.name}" + ("/&H00000000" if m.kind == "document" else "") for m in modules]
    seed = sum(project_id.encode()) % 251
    states = {"CMG": bytes(4), "DPB": bytes(1), "GC": bytes([0xFF])}   # not protected, no password, visible
    own = {"ID": project_id, **{key: encrypt(project_id, data, seed) for key, data in states.items()}}
    own = {key: f'"{value}"' for key, value in own.items()}
    keep = [f"{line.split('=')[0]}={own[line.split('=')[0]]}" if line.split("=")[0] in own else line
            for line in template.project.split("\r\n")
            if line and not re.match(r"(Module|Class|Document|BaseClass|Package)=", line)]
    at_name = next(k for k, line in enumerate(keep) if line.startswith("Name="))
    workspace = keep.index("[Workspace]")
    body = keep[:at_name] + lines + [f'Name="{name}"'] + keep[at_name + 1:workspace]
    body = [line if not line.startswith("[") else "\r\n" + line for line in body]
    return "\r\n".join(body + ["", "[Workspace]"] + [f"{m.name}=0, 0, 0, 0, C" for m in modules]) + "\r\n"


def _dir_stream(template: Template, name: str, modules: list[Module]) -> bytes:
    out = bytearray(b"".join(_record(0x0004, name.encode(template.codepage)) if record == 0x0004 else raw
                             for record, raw in _records(template.head)))
    out += _record(0x000F, struct.pack("<H", len(modules))) + _record(0x0013, b"\xff\xff")
    for m in modules:
        mbcs, wide = m.name.encode(template.codepage), m.name.encode("utf-16-le")
        out += _record(0x0019, mbcs) + _record(0x0047, wide) + _record(0x001A, mbcs) + _record(0x0032, wide)
        out += _record(0x001C, b"") + _record(0x0048, b"") + _record(0x0031, b"\0\0\0\0")
        out += _record(0x001E, b"\0\0\0\0") + _record(0x002C, b"\xff\xff")
        out += _record(0x0021 if m.kind == "standard" else 0x0022, b"") + _record(0x002B, b"")
    out += _record(0x0010, b"")
    return bytes(out)


def project_bin(template: Template, name: str, modules: list[Module]) -> bytes:
    """``xl/vbaProject.bin`` of a source-only project ``name`` holding ``modules``, with the
    template's references, code page and settings, and an ID of its own (the same for the same
    name, so builds are reproducible)."""
    project_id = "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:mutualaid_xl:vba:{name}")).upper() + "}"
    names = [m.name for m in modules]
    if len({n.upper() for n in names}) != len(names) or not all(re.fullmatch(r"[A-Za-z]\w{0,30}", n) for n in names):
        raise ValueError(f"module names must be unique VBA identifiers: {names}")
    streams = {
        "PROJECT": _project_stream(template, name, modules, project_id).encode(template.codepage),
        "PROJECTwm": b"".join(n.encode(template.codepage) + b"\0" + n.encode("utf-16-le") + b"\0\0" for n in names)
        + b"\0\0",
        "VBA/_VBA_PROJECT": template.vba_project[:2] + b"\xff\xff" + template.vba_project[4:7],
        "VBA/dir": compress(_dir_stream(template, name, modules)),
    }
    for m in modules:
        streams[f"VBA/{m.name}"] = compress(m.source.encode(template.codepage))
    return compound_file(streams)
