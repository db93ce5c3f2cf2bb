"""按钮「校验名册」（mutualaid_xl.buttons.validate.xlam）。"""
from ..excel.ribbon import validate_roster as main  # noqa: F401
