"""按钮「生成红头通知」（mutualaid_xl.buttons.notice.xlam）。"""
from ..excel.ribbon import make_notice as main  # noqa: F401
