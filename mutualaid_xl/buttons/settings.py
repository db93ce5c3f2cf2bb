"""按钮「设置」（mutualaid_xl.buttons.settings.xlam）。"""
from ..excel.ribbon import settings as main  # noqa: F401
