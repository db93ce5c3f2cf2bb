"""按钮「计算补助」（mutualaid_xl.buttons.claims.xlam）。"""
from ..excel.ribbon import compute_claims as main  # noqa: F401
