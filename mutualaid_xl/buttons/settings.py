"""按钮「设置」（mutualaid_xl.buttons.settings.xlam）。"""
from ..ribbon import settings as main  # noqa: F401
