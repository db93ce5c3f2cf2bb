import os
import shutil
import stat

import pytest

import multiprocessing
import subprocess
import tempfile
from pathlib import Path

from mutualaid_xl.files import (MAX_NAME_BYTES, OutputError, backups_of, install_bytes, safe_file_name, staged_folder,
                                write_atomic)


def test_existing_file_is_kept_as_backup_and_new_file_has_usual_permissions(tmp_path):
    target = tmp_path / "汇总表.xlsx"
    target.write_bytes(b"old")
    backup = write_atomic(target, lambda tmp: tmp.write_bytes(b"new"))
    assert target.read_bytes() == b"new" and backup.read_bytes() == b"old"
    assert backup.name.startswith("汇总表.bak-") and backup.suffix == ".xlsx"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask  # not mkstemp's owner-only 0600
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name, backup.name])  # no temp left


def test_failed_write_leaves_the_old_file(tmp_path):
    target = install_bytes(b"old", tmp_path / "a.docx")

    def broken(tmp):
        tmp.write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomic(target, broken)
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["a.docx"]


def test_safe_file_names():
    assert safe_file_name('示范/机械厂:"工会"') == "示范_机械厂_工会_"
    assert safe_file_name(" . ") == "未命名"


def test_long_names_are_cut_in_bytes_and_stay_distinct(tmp_path):
    a, b = safe_file_name("某某机械厂工会" * 30 + "甲"), safe_file_name("某某机械厂工会" * 30 + "乙")
    assert a != b and len(a.encode()) <= MAX_NAME_BYTES and a.startswith("某某机械厂工会")
    path = install_bytes(b"x", tmp_path / f"{a}-2.docx")   # with a suffix, a backup and a temp name it still fits
    install_bytes(b"y", path)
    assert path.read_bytes() == b"y" and len(backups_of(path)) == 1


def test_reserved_and_invisible_characters_are_neutralised():
    assert [safe_file_name(n) for n in ("CON", "nul", "COM1", "lpt9.txt", "Aux ")] == \
        ["CON_", "nul_", "COM1_", "lpt9.txt_", "Aux_"]
    assert safe_file_name("张三\u202egpj.exe") == "张三gpj.exe"            # right-to-left override dropped
    assert safe_file_name("李\u200b四\ufeff\u2066") == "李四"                # zero-width characters dropped
    assert safe_file_name("CONSOLE") == "CONSOLE"


def test_a_folder_given_as_output_file_is_refused_and_left_alone(tmp_path):
    folder = tmp_path / "结果"
    folder.mkdir()
    (folder / "a.txt").write_text("keep")
    with pytest.raises(OutputError, match="文件夹"):
        write_atomic(folder, lambda tmp: tmp.write_bytes(b"new"))
    assert (folder / "a.txt").read_text() == "keep" and sorted(p.name for p in tmp_path.iterdir()) == ["结果"]


def _immutable(path) -> bool:
    return subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0 and not os.access(path, os.W_OK)


def test_a_locked_or_read_only_target_gives_a_chinese_message_naming_it(tmp_path, monkeypatch):
    target = install_bytes(b"old", tmp_path / "公示名单.docx")
    locked = _immutable(target)
    if not locked:   # no chattr here (or not root): what Windows does when Word holds the file
        def refuse(src, dst):
            raise PermissionError(13, "Permission denied", str(dst))
        monkeypatch.setattr(os, "replace", refuse)
    try:
        with pytest.raises(OutputError) as caught:
            write_atomic(target, lambda tmp: tmp.write_bytes(b"new"))
    finally:
        if locked:
            subprocess.run(["chattr", "-i", str(target)], check=True)
    message = str(caught.value)
    assert "公示名单.docx" in message and "Word" in message and "只读" in message
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir() if p.name != target.name] == []


def test_backups_are_bounded_newest_kept(tmp_path, monkeypatch):
    target = tmp_path / "汇总表.xlsx"
    for n in range(9):
        write_atomic(target, lambda tmp, n=n: tmp.write_bytes(b"v%d" % n))
    assert [p.read_bytes() for p in backups_of(target)] == [b"v3", b"v4", b"v5", b"v6", b"v7"]
    monkeypatch.setenv("MUTUALAID_BACKUPS", "2")
    write_atomic(target, lambda tmp: tmp.write_bytes(b"v9"))
    assert [p.read_bytes() for p in backups_of(target)] == [b"v7", b"v8"] and target.read_bytes() == b"v9"


def test_temp_files_stay_in_the_output_folder_and_are_removed(tmp_path):
    seen = []

    def writer(tmp):
        from openpyxl import Workbook

        seen.append(Path(tempfile.gettempdir()))
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("名单")
        ws.append(["110101199001010021", "张三"])   # write-only sheets spill to temp files
        wb.save(tmp)

    (tmp_path / ".a.xlsx.tmp-999999999-old").mkdir()   # left by a killed run whose process is gone
    write_atomic(tmp_path / "a.xlsx", writer)
    assert seen[0].parent == tmp_path and not seen[0].exists()
    assert [p.name for p in tmp_path.iterdir()] == ["a.xlsx"]


def test_staging_folder_replaces_the_folder_only_when_complete(tmp_path):
    out = tmp_path / "输出"
    out.mkdir()
    (out / "旧.xlsx").write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with staged_folder(out) as stage:
            (stage.path / "新.xlsx").write_bytes(b"new")
            raise RuntimeError("interrupted")
    assert [p.name for p in tmp_path.iterdir()] == ["输出"] and [p.name for p in out.iterdir()] == ["旧.xlsx"]
    with staged_folder(out) as stage:
        (stage.path / "新.xlsx").write_bytes(b"new")
    assert [p.name for p in out.iterdir()] == ["新.xlsx"] and stage.final(stage.path / "新.xlsx") == out / "新.xlsx"
    assert (stage.backup / "旧.xlsx").read_bytes() == b"old" and stage.backup.name.startswith("输出.bak-")


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


@pytest.mark.skipif(os.name != "posix", reason="leftovers are recognised by a dead process id on POSIX")
def test_a_batch_killed_before_its_rename_is_finished_or_superseded_by_the_next_run(tmp_path):
    out = tmp_path / "输出"
    killed = tmp_path / f".输出.staging-{_dead_pid()}-abcd"     # complete, killed just before its rename
    killed.mkdir()
    (killed / "被杀.xlsx").write_bytes(b"killed")
    (killed / ".complete").write_bytes(b"")
    with staged_folder(out) as stage:          # no output folder yet: the killed batch is put in place first
        (stage.path / "新.xlsx").write_bytes(b"new")
    assert (stage.backup / "被杀.xlsx").read_bytes() == b"killed" and not (stage.backup / ".complete").exists()
    killed.mkdir()
    (killed / "被杀.xlsx").write_bytes(b"killed")
    (killed / ".complete").write_bytes(b"")
    with staged_folder(out) as stage:          # the output exists: the killed batch is superseded and removed
        (stage.path / "新.xlsx").write_bytes(b"newer")
    assert [p.name for p in out.iterdir()] == ["新.xlsx"] and (out / "新.xlsx").read_bytes() == b"newer"
    assert not [p.name for p in tmp_path.iterdir() if ".staging-" in p.name]


def test_a_run_stopped_while_pruning_leaves_only_whole_backups(tmp_path, monkeypatch):
    import mutualaid_xl.files as files

    out = tmp_path / "输出"
    for n in range(6):            # the output and 5 backups
        with staged_folder(out) as stage:
            for name in ("甲.xlsx", "乙.xlsx"):
                (stage.path / name).write_bytes(b"%d" % n)
    real = shutil.rmtree

    def dies_halfway(path, *args, **kwargs):
        if "pruned" not in str(path):
            return real(path, *args, **kwargs)
        next(Path(path).iterdir()).unlink()
        raise KeyboardInterrupt          # as if killed in the middle of deleting the oldest backup

    monkeypatch.setattr(files.shutil, "rmtree", dies_halfway)
    with pytest.raises(KeyboardInterrupt):
        with staged_folder(out) as stage:
            (stage.path / "甲.xlsx").write_bytes(b"new")
    kept = sorted(tmp_path.glob("输出.bak-*"))
    assert len(kept) == 4 and all(sorted(p.name for p in k.iterdir()) == ["乙.xlsx", "甲.xlsx"] for k in kept)
    monkeypatch.setattr(files.shutil, "rmtree", real)
    for left in tmp_path.glob(".输出.tmp-*"):   # as a killed process's leftover (this one is alive)
        left.rename(left.with_name(f".输出.tmp-{_dead_pid()}-pruned0"))
    with staged_folder(out) as stage:     # the next run clears what the stopped one left
        (stage.path / "甲.xlsx").write_bytes(b"new")
    assert len(list(tmp_path.glob("输出.bak-*"))) == 5
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def _write_many(target: str, run: int, times: int) -> None:
    for n in range(times):
        data = (b"%d-%d;" % (run, n)) * 20000
        write_atomic(Path(target), lambda tmp: tmp.write_bytes(data))


def test_four_concurrent_runs_on_one_output_lose_no_backup_and_leave_no_partial_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MUTUALAID_BACKUPS", "1000")   # to count them all
    target = tmp_path / "结果.xlsx"
    context = multiprocessing.get_context("fork")
    runs = [context.Process(target=_write_many, args=(str(target), run, 20)) for run in range(4)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(120)
        assert run.exitcode == 0
    versions = [target.read_bytes()] + [p.read_bytes() for p in backups_of(target)]
    expected = {(b"%d-%d;" % (run, n)) * 20000 for run in range(4) for n in range(20)}
    assert len(versions) == 80 and set(versions) == expected      # every write complete, none lost
    assert sorted(p.name for p in tmp_path.iterdir() if ".bak-" not in p.name) == ["结果.xlsx"]   # no temp, no lock
