"""The worksheet functions under the name Excel knows: the add-in's VBA wrappers (and workbooks
that imported the functions in earlier versions) call ``mutualaid_xl.udfs``. The functions live
in :mod:`mutualaid_xl.excel.udfs`."""

from .excel.udfs import *  # noqa: F401,F403
from .excel.udfs import __all__  # noqa: F401
