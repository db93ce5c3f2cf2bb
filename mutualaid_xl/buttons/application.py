"""按钮「生成申请表」（mutualaid_xl.buttons.application.xlam）。"""
from ..excel.ribbon import make_application as main  # noqa: F401
