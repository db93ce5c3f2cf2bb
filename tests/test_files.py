import os
import stat

import pytest

from mutualaid_xl.files import install_bytes, safe_file_name, write_atomic


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
    assert safe_file_name(" . ") == "未命名" and len(safe_file_name("长" * 300)) == 100
