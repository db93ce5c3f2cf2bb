import os
import shutil

import pytest


def libreoffice_available() -> bool:
    return bool(shutil.which("soffice") or shutil.which("libreoffice"))


def browser_available() -> bool:
    """Debian's chromium and Playwright for Python (its own browser download is not used)."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return bool(shutil.which("chromium") or os.path.exists("/usr/bin/chromium"))


def pytest_collection_modifyitems(config, items):
    """LibreOffice and browser tests skip where these are absent, except in CI
    (MUTUALAID_REQUIRE_LIBREOFFICE=1, MUTUALAID_REQUIRE_BROWSER=1). Full-size runs (marker
    differential_full) run only when selected with -m."""
    skips = {}
    if "differential_full" not in (config.option.markexpr or ""):
        skips["differential_full"] = "全量差分测试：用 pytest -m differential_full 运行"
    if not (libreoffice_available() or os.environ.get("MUTUALAID_REQUIRE_LIBREOFFICE") == "1"):
        skips["libreoffice"] = "LibreOffice 未安装（apt-get install libreoffice-writer-nogui libreoffice-calc-nogui）"
    if not (browser_available() or os.environ.get("MUTUALAID_REQUIRE_BROWSER") == "1"):
        skips["browser"] = "Chromium 或 Playwright 未安装（apt-get install chromium；pip install playwright）"
    for item in items:
        for marker, reason in skips.items():
            if marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))
