"""LibreOffice headless: .docx/.xlsx -> PDF, and .xlsx recalculation.

Every run uses a private, throw-away profile (``-env:UserInstallation``) so that parallel
runs, or a LibreOffice the clerk has open, do not collide; many files are converted per
start because start-up dominates the cost.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..errors import FileFormatError, InputError, MutualAidError, ToolMissingError
from ..files import install_bytes, temp_folder
from ..workbooks import guard

INSTALL_HINT = (
    "未找到 LibreOffice，无法导出 PDF 或重算公式。请安装 LibreOffice："
    "Debian/Ubuntu 执行 sudo apt-get install libreoffice-writer-nogui libreoffice-calc-nogui fonts-noto-cjk；"
    "Windows/macOS 从 https://www.libreoffice.org 下载安装；"
    "或用环境变量 MUTUALAID_SOFFICE 指定 soffice 程序的完整路径。"
)

_CANDIDATES = (
    r"C:\Program Files\LibreOffice\program\soffice.exe",
    r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice/program/soffice",
)

# Calc's "recalculation on file load" settings: 0 = always, 1 = never, 2 = ask.
_RECALC_ALWAYS_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""

_XLSX_FILTER = "xlsx:Calc MS Excel 2007 XML"

# The official-document fonts named in our templates exist on clerks' Windows machines, not on
# Linux. There, fontconfig is told which free CJK face stands in for each, so a PDF made on a
# server looks like the Word original (Song-style title and body, not the default sans).
_SERIF, _SANS, _KAI = ("Noto Serif CJK SC",), ("Noto Sans CJK SC",), ("AR PL UKai CN", "Noto Serif CJK SC")
_FONT_STAND_INS = {  # family -> (stand-ins, first installed wins; forced weight)
    "方正小标宋简体": (_SERIF, "bold"),
    "方正小标宋_GBK": (_SERIF, "bold"),
    "仿宋_GB2312": (_SERIF, None),
    "仿宋": (_SERIF, None),
    "宋体": (_SERIF, None),
    "楷体_GB2312": (_KAI, None),
    "楷体": (_KAI, None),
    "黑体": (_SANS, None),
}
_SYSTEM_FONTCONFIG = Path("/etc/fonts/fonts.conf")


def find_soffice() -> Path:
    """The soffice executable: $MUTUALAID_SOFFICE, then PATH, then the usual install places."""
    configured = os.environ.get("MUTUALAID_SOFFICE")
    if configured:
        if Path(configured).is_file():
            return Path(configured)
        raise ToolMissingError(f"环境变量 MUTUALAID_SOFFICE 指向的程序不存在：{configured}。" + INSTALL_HINT)
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return Path(found)
    for candidate in _CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    raise ToolMissingError(INSTALL_HINT)


def default_timeout(count: int) -> float:
    """Seconds allowed for one LibreOffice start converting ``count`` files."""
    return 60.0 + 10.0 * count


def install_file(produced: Path, dst: Path) -> Path:
    """Copy ``produced`` to ``dst`` atomically; an existing ``dst`` is kept as a backup."""
    return install_bytes(Path(produced).read_bytes(), dst)


def _fontconfig_env(work_dir: Path) -> dict[str, str] | None:
    """Environment for soffice with a fonts.conf adding the stand-ins (Linux only)."""
    if not sys.platform.startswith("linux") or not _SYSTEM_FONTCONFIG.is_file():
        return None
    rules = []
    for family, (stand_ins, weight) in _FONT_STAND_INS.items():
        bold = f'<edit name="weight" mode="assign"><const>{weight}</const></edit>' if weight else ""
        names = "".join(f"<string>{name}</string>" for name in stand_ins)
        rules.append(
            f'<match target="pattern"><test name="family"><string>{family}</string></test>'
            f'<edit name="family" mode="prepend" binding="strong">{names}</edit>{bold}</match>'
        )
    conf = work_dir / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f'<include ignore_missing="yes">{_SYSTEM_FONTCONFIG}</include>\n' + "\n".join(rules) + "\n</fontconfig>\n",
        encoding="utf-8",
    )
    return {**os.environ, "FONTCONFIG_FILE": str(conf)}


def _run(soffice: Path, profile: Path, args: Sequence[str], timeout: float) -> subprocess.CompletedProcess:
    command = [
        str(soffice),
        f"-env:UserInstallation={profile.resolve().as_uri()}",
        "--headless",
        "--norestore",
        "--nologo",
        "--nodefault",
        "--nolockcheck",
        *args,
    ]
    posix = sys.platform != "win32"
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=posix,  # soffice forks soffice.bin: kill the whole group on timeout
        env=_fontconfig_env(profile.parent),
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        if posix:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
        proc.communicate()
        raise MutualAidError(f"LibreOffice 在 {timeout:.0f} 秒内未完成转换，已终止。请检查文件是否过大或损坏后重试。") from None
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


_MAX_COMMAND_CHARS = 24000  # Windows limits a whole command line to 32767 characters


def _batches(files: Sequence[Path]) -> list[list[Path]]:
    """Split so that no two files in one batch share a stem (their outputs would clash)
    and each command line stays short enough for Windows."""
    batches: list[list[Path]] = []
    stems: list[set[str]] = []
    sizes: list[int] = []
    for f in files:
        length = len(str(f.resolve())) + 3
        for i, batch in enumerate(batches):
            if f.stem not in stems[i] and sizes[i] + length <= _MAX_COMMAND_CHARS:
                batch.append(f)
                stems[i].add(f.stem)
                sizes[i] += length
                break
        else:
            batches.append([f])
            stems.append({f.stem})
            sizes.append(length)
    return batches


def convert(
    files: Iterable[Path | str],
    target: str,
    outdir: Path | str | None = None,
    *,
    timeout: float | None = None,
    recalc: bool = False,
) -> list[Path]:
    """Convert ``files`` with LibreOffice, one start per batch; returns the produced paths.

    ``target`` is an extension, optionally with a filter ("pdf", "xlsx:Calc MS Excel 2007 XML").
    Output goes beside each input, or into ``outdir``; an existing output is kept as a backup.
    """
    sources = [Path(f) for f in files]
    for src in sources:
        if not src.is_file():
            raise InputError("文件不存在。", file=str(src))
        guard.check_any(src)   # LibreOffice gets no zip bomb, entity expansion or far-away cell either
    if not sources:
        return []
    soffice = find_soffice()
    ext = target.split(":", 1)[0]
    results: list[Path] = []
    with temp_folder(Path(outdir) if outdir is not None else sources[0].parent) as work_dir:
        profile = work_dir / "profile"
        if recalc:
            (profile / "user").mkdir(parents=True)
            (profile / "user" / "registrymodifications.xcu").write_text(_RECALC_ALWAYS_XCU, encoding="utf-8")
        for i, batch in enumerate(_batches(sources)):
            produced_dir = work_dir / f"out{i}"
            produced_dir.mkdir()
            limit = timeout if timeout is not None else default_timeout(len(batch))
            done = _run(
                soffice,
                profile,
                ["--convert-to", target, "--outdir", str(produced_dir), *[str(s.resolve()) for s in batch]],
                limit,
            )
            for src in batch:
                produced = produced_dir / f"{src.stem}.{ext}"
                if not produced.is_file():
                    detail = (done.stderr or b"").decode("utf-8", "replace").strip().splitlines()
                    reason = f"（LibreOffice：{detail[-1]}）" if detail else ""
                    raise FileFormatError(f"LibreOffice 未能将文件转换为 {ext}，文件可能已损坏或不是 Office 文档{reason}。", file=str(src))
                dest_dir = Path(outdir) if outdir is not None else src.parent
                results.append(install_file(produced, dest_dir / produced.name))
    return results


def to_pdf(files: Iterable[Path | str], outdir: Path | str | None = None, *, timeout: float | None = None) -> list[Path]:
    """Export .docx/.xlsx files to PDF beside them (or into ``outdir``) with one LibreOffice start."""
    return convert(files, "pdf", outdir, timeout=timeout)


def recalculate_xlsx(src: Path, dst: Path, *, timeout: float | None = None) -> Path:
    """Let LibreOffice recalculate every formula of ``src`` on load and save the result as ``dst`` (.xlsx).

    Cached values written by openpyxl are empty; after this, readers that only see cached
    values (python-calamine, previews, e-mail clients) show the computed numbers.
    ``src`` is never modified; an existing ``dst`` (even ``src`` itself) is kept as a backup.
    """
    src, dst = Path(src), Path(dst)
    with temp_folder(dst.parent) as tmp:
        (produced,) = convert([src], _XLSX_FILTER, tmp, timeout=timeout, recalc=True)
        return install_file(produced, dst)
