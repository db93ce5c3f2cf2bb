import os
import shutil

import pytest


def libreoffice_available() -> bool:
    return bool(shutil.which("soffice") or shutil.which("libreoffice"))


def pytest_collection_modifyitems(config, items):
    """LibreOffice tests skip where it is absent, except in CI (MUTUALAID_REQUIRE_LIBREOFFICE=1).
    Full-size runs (marker differential_full) run only when selected with -m."""
    if "differential_full" not in (config.option.markexpr or ""):
        full = pytest.mark.skip(reason="全量差分测试：用 pytest -m differential_full 运行")
        for item in items:
            if "differential_full" in item.keywords:
                item.add_marker(full)
    if libreoffice_available() or os.environ.get("MUTUALAID_REQUIRE_LIBREOFFICE") == "1":
        return
    skip = pytest.mark.skip(reason="LibreOffice 未安装（apt-get install libreoffice-writer-nogui libreoffice-calc-nogui）")
    for item in items:
        if "libreoffice" in item.keywords:
            item.add_marker(skip)
