"""Safe output files: written to a temp file beside the target and renamed in one step; an
existing file is first kept as NAME.bak-YYYYmmdd-HHMMSS.ext. A failed write leaves the old file."""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path
from typing import Callable


def backup_name(path: Path) -> Path:
    """NAME.bak-YYYYmmdd-HHMMSS.ext beside ``path`` (a new name if that one is taken)."""
    path = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.stem}.bak-{stamp}{path.suffix}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem}.bak-{stamp}-{n}{path.suffix}")
    return candidate


def _usual_mode() -> int:
    """What a plain open() would give (mkstemp makes files readable by the owner only)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path | str, writer: Callable[[Path], None], *, backup_dir: Path | None = None) -> Path | None:
    """Call ``writer(tmp)`` to produce the file, then move it to ``path``; returns the kept backup or None.

    ``backup_dir``: put the backup there instead of beside ``path`` (e.g. never inside XLSTART).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix + ".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        writer(tmp)
        os.chmod(tmp, _usual_mode())
        backup = None
        if path.exists():
            if backup_dir is not None:
                Path(backup_dir).mkdir(parents=True, exist_ok=True)
            backup = backup_name(Path(backup_dir) / path.name if backup_dir is not None else path)
            os.replace(path, backup)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return backup


def write_bytes_atomic(data: bytes, path: Path | str, *, backup_dir: Path | None = None) -> Path | None:
    return write_atomic(path, lambda tmp: tmp.write_bytes(data), backup_dir=backup_dir)


def install_bytes(data: bytes, dst: Path | str) -> Path:
    """Write ``data`` to ``dst`` safely; returns ``dst``."""
    write_bytes_atomic(data, dst)
    return Path(dst)


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')  # not allowed in Windows file names


def safe_file_name(text: str) -> str:
    """A file name (without extension) from a unit or member name: unsafe characters become _."""
    name = _UNSAFE.sub("_", str(text)).strip(" .")
    return name[:100] or "未命名"
