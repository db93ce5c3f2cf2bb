"""按钮「盖章并导出PDF」（mutualaid_xl.buttons.seal.xlam）。"""
from ..excel.ribbon import stamp_pdf as main  # noqa: F401
