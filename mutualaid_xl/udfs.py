"""The worksheet functions under the name Excel knows: xlwings.conf and workbooks in the field
name ``mutualaid_xl.udfs``. The functions live in :mod:`mutualaid_xl.excel.udfs`."""

from .excel.udfs import *  # noqa: F401,F403
from .excel.udfs import __all__  # noqa: F401
