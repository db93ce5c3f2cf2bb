"""Safe output files and folders.

A file is written into a private temp folder inside the output folder (openpyxl's own temp
files go there too, never to the system temp folder) and renamed into place in one step; an
existing file is first kept as NAME.bak-YYYYmmdd-HHMMSS.ext (a hard link, so the target is
never missing), and only the newest ``keep_backups()`` backups are kept. The final step runs
under a lock file (.NAME.lock) so that concurrent runs on one output take turns. A batch of
files goes into a staging folder that replaces the output folder when complete.
A failed or interrupted write leaves the old file; the temp folder is removed on every exit
path Python controls, and leftovers of a killed run are removed by the next run.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from .errors import MutualAidError

KEEP_BACKUPS = 5          # per output; MUTUALAID_BACKUPS overrides (0 keeps none)
LOCK_WAIT_SECONDS = 120   # how long a second run waits for the first; MUTUALAID_LOCK_WAIT overrides
_DONE = ".complete"       # marks a staging folder whose batch finished


class OutputError(MutualAidError):
    """An output file or folder cannot be written (locked, read-only, a folder, busy)."""


def keep_backups() -> int:
    try:
        return max(0, int(os.environ.get("MUTUALAID_BACKUPS", KEEP_BACKUPS)))
    except ValueError:
        return KEEP_BACKUPS


def _locked_message(path: Path) -> OutputError:
    return OutputError("无法写入：文件（或所在文件夹）为只读或正被占用。如果它正在 Word、Excel 或 WPS 中打开，"
                       "请先关闭再试。", file=str(path))


def backup_name(path: Path) -> Path:
    """NAME.bak-YYYYmmdd-HHMMSS.ext beside ``path``; within one second -2, -3 … after the newest,
    so that a name freed by pruning is never reused (the order of the names is the order of the backups)."""
    path = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    taken = [entry for entry in backups_of(path) if f".bak-{stamp}" in entry.name]
    if not taken:
        return path.with_name(f"{path.stem}.bak-{stamp}{path.suffix}")
    last = re.search(r"\.bak-\d{8}-\d{6}(?:-(\d+))?", taken[-1].name).group(1)
    return path.with_name(f"{path.stem}.bak-{stamp}-{int(last or 1) + 1}{path.suffix}")


def backups_of(path: Path) -> list[Path]:
    """The backups of ``path`` (same folder as given), oldest first."""
    path = Path(path)
    pattern = re.compile(re.escape(path.stem) + r"\.bak-(\d{8}-\d{6})(?:-(\d+))?" + re.escape(path.suffix) + "$")
    found = []
    if path.parent.is_dir():
        for entry in path.parent.iterdir():
            match = pattern.match(entry.name)
            if match:
                found.append(((match.group(1), int(match.group(2) or 1)), entry))
    return [entry for _key, entry in sorted(found)]


def _prune(path: Path, keep: int | None = None) -> None:
    """Delete all but the newest ``keep`` backups (default keep_backups()). A folder leaves the
    backups' names in one rename first, so a run killed meanwhile never leaves half a backup."""
    old = backups_of(path)
    for entry in old[: max(0, len(old) - (keep_backups() if keep is None else keep))]:
        try:   # best effort: a backup open in Excel (Windows) is left for a later run, never blocks the write
            if entry.is_dir():
                doomed = entry.with_name(f".{path.name}.tmp-{os.getpid()}-pruned{os.urandom(4).hex()}")
                os.rename(entry, doomed)
                shutil.rmtree(doomed, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        except OSError:
            pass


def _make_room(path: Path) -> None:
    """Before a new backup: keep one fewer, so a run killed before pruning leaves no extra one."""
    if keep_backups() > 0:
        _prune(path, keep_backups() - 1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def _remove_leftovers(folder: Path, name: str) -> None:
    """Temp and staging folders of ``name`` left by killed runs (POSIX: their process is gone).

    A complete staging folder is kept while ``name`` is missing (``_recover`` puts it in place); once
    ``name`` exists, it is a batch killed just before its rename, superseded by the run now starting."""
    if os.name != "posix" or not folder.is_dir():
        return
    superseded = (folder / name).exists()
    pattern = re.compile(r"\." + re.escape(name) + r"\.(?:tmp|staging)-(\d+)-")
    for entry in folder.iterdir():
        match = pattern.match(entry.name)
        if (match and entry.is_dir() and (superseded or not (entry / _DONE).exists())
                and not _alive(int(match.group(1)))):
            shutil.rmtree(entry, ignore_errors=True)


@contextmanager
def _private_temp(folder: Path, name: str, kind: str = "tmp") -> Iterator[Path]:
    """A fresh folder .NAME.tmp-PID-XXXX inside ``folder``, also used as Python's temp folder meanwhile."""
    _remove_leftovers(folder, name)
    try:
        work = Path(tempfile.mkdtemp(prefix=f".{name}.{kind}-{os.getpid()}-", dir=folder))
    except PermissionError:
        raise _locked_message(folder / name) from None
    previous = tempfile.tempdir
    tempfile.tempdir = str(work)
    try:
        yield work
    finally:
        tempfile.tempdir = previous
        shutil.rmtree(work, ignore_errors=True)


def temp_folder(folder: Path | str, name: str = "mutualaid"):
    """A private temp folder inside ``folder`` (where the outputs go), never the system temp folder:
    copies of documents and workbooks there hold personal data. Removed when the block ends."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return _private_temp(folder, name)


def _refuse_folder(path: Path) -> None:
    if path.is_dir():
        raise OutputError("这是一个已有的文件夹，不能作为输出文件；请给出文件名（如 结果.xlsx）。", file=str(path))


def check_output_file(path: Path | str, suffix: str) -> None:
    """Before any work: the output must be a ``suffix`` file name, not an existing folder."""
    path = Path(path)
    _refuse_folder(path)
    if path.suffix.lower() != suffix:
        raise OutputError(f"输出文件名应以 {suffix} 结尾。", file=str(path))


@contextmanager
def output_lock(path: Path, wait: float | None = None) -> Iterator[None]:
    """Hold .NAME.lock beside ``path``; a second run waits, then gives up with a message."""
    path = Path(path)
    wait = float(os.environ.get("MUTUALAID_LOCK_WAIT", LOCK_WAIT_SECONDS)) if wait is None else wait
    lock = path.with_name(f".{path.name}.lock")
    deadline = time.monotonic() + wait
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except PermissionError:
            raise _locked_message(path) from None
        if _try_lock(fd) and _same_file(fd, lock):
            break
        os.close(fd)
        if time.monotonic() > deadline:
            raise OutputError("另一个 mutualaid 正在写入这个文件，请等它结束后再试。", file=str(path))
        time.sleep(0.05)
    try:
        yield
    finally:
        if os.name == "posix":  # unlink while holding the lock: a waiter then sees a new file and retries
            lock.unlink(missing_ok=True)
        os.close(fd)


def _try_lock(fd: int) -> bool:
    try:
        if os.name == "posix":
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def _same_file(fd: int, lock: Path) -> bool:
    if os.name != "posix":
        return True
    try:
        return os.stat(lock).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _keep(path: Path, backup: Path) -> None:
    try:
        os.link(path, backup)
    except OSError:  # no hard links here (e.g. FAT): a copy, the target stays in place either way
        shutil.copy2(path, backup)


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
    _refuse_folder(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise OutputError("无法写入：输出位置的上级是一个文件，不是文件夹。", file=str(path.parent)) from None
    except PermissionError:
        raise _locked_message(path) from None
    with _private_temp(path.parent, path.name) as work:
        tmp = work / f"new{path.suffix}"
        writer(tmp)
        backup = None
        try:
            os.chmod(tmp, _usual_mode())
            with output_lock(path):
                _refuse_folder(path)
                if path.exists():
                    home = Path(backup_dir) if backup_dir is not None else path.parent
                    home.mkdir(parents=True, exist_ok=True)
                    _make_room(home / path.name)
                    backup = backup_name(home / path.name)
                    _keep(path, backup)
                try:
                    os.replace(tmp, path)
                except OSError:
                    if backup is not None:   # the old file is still in place: no extra backup
                        backup.unlink(missing_ok=True)
                    raise
                if backup is not None:
                    _prune(backup.with_name(path.name))
        except PermissionError:
            raise _locked_message(path) from None
    return backup if backup is None or backup.exists() else None


def write_bytes_atomic(data: bytes, path: Path | str, *, backup_dir: Path | None = None) -> Path | None:
    return write_atomic(path, lambda tmp: tmp.write_bytes(data), backup_dir=backup_dir)


def install_bytes(data: bytes, dst: Path | str) -> Path:
    """Write ``data`` to ``dst`` safely; returns ``dst``."""
    write_bytes_atomic(data, dst)
    return Path(dst)


def _finish_staging(folder: Path, staging: Path) -> Path | None:
    """Move a complete staging folder into place (old folder kept as a backup); returns the backup."""
    with output_lock(folder):
        backup = None
        if folder.exists():
            _make_room(folder)
            backup = backup_name(folder)
            os.rename(folder, backup)
        os.rename(staging, folder)
        (folder / _DONE).unlink(missing_ok=True)
        if backup is not None:
            _prune(folder)
    return backup


def _recover(folder: Path) -> None:
    """A run killed between its two renames left no folder but a complete staging folder: finish it."""
    if folder.exists():
        return
    pattern = re.compile(r"\." + re.escape(folder.name) + r"\.staging-")
    for entry in sorted(folder.parent.iterdir()):
        if pattern.match(entry.name) and (entry / _DONE).exists():
            _finish_staging(folder, entry)
            return


class Staging:
    """Where a batch writes; ``backup`` is the kept old folder once the batch is in place."""

    def __init__(self, folder: Path, path: Path):
        self.folder, self.path, self.backup = folder, path, None

    def final(self, produced: Path) -> Path:
        """Where a file written in the staging folder ends up."""
        return self.folder / Path(produced).relative_to(self.path)


@contextmanager
def staged_folder(folder: Path | str) -> Iterator[Staging]:
    """Write a batch into a staging folder beside ``folder``; when the block ends without error the
    staging folder becomes ``folder`` and an old one is kept as NAME.bak-YYYYmmdd-HHMMSS."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError("输出位置是一个文件，应为文件夹。", file=str(folder))
    folder.parent.mkdir(parents=True, exist_ok=True)
    _recover(folder)
    with _private_temp(folder.parent, folder.name, "staging") as work:
        staging = Staging(folder, work)
        yield staging
        (work / _DONE).write_bytes(b"")
        try:
            staging.backup = _finish_staging(folder, work)
        except PermissionError:
            raise _locked_message(folder) from None


_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')  # not allowed in Windows file names
_RESERVED = re.compile(r"^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(\..*)?$", re.I)
MAX_NAME_BYTES = 150  # UTF-8 bytes of a name from data; leaves room for -N, .bak-… and the extension


def _invisible(ch: str) -> bool:
    """Bidi controls, zero-width and other format characters (they disguise names)."""
    return unicodedata.category(ch) in ("Cf", "Cc", "Zl", "Zp")


def safe_file_name(text: str) -> str:
    """A file name (without extension) from a unit or member name.

    Characters Windows forbids become _, invisible and direction-changing characters are
    dropped, reserved device names (CON, NUL, COM1 …) get a _ suffix, and a name over
    MAX_NAME_BYTES is cut, with a short hash of the full name so that cut names stay distinct.
    """
    text = unicodedata.normalize("NFC", str(text))
    name = "".join(ch for ch in _UNSAFE.sub("_", text) if not _invisible(ch)).strip(" .")
    if _RESERVED.match(name):
        name = f"{name}_"
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
        cut = name.encode("utf-8")[: MAX_NAME_BYTES - 9].decode("utf-8", "ignore").rstrip(" .")
        name = f"{cut}~{digest}"
    return name or "未命名"
