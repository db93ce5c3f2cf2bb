"""按钮「填写汇总表」（mutualaid_xl.buttons.fill.xlam）。"""
from ..excel.ribbon import fill_summaries as main  # noqa: F401
