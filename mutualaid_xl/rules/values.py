"""Lenient, explicit parsing of cell values (money, whole numbers, yes/no, dates, text).

Cells arrive from Excel, calamine, openpyxl or the command line as str, int, float,
bool, date/datetime or None. Each parser accepts what a clerk would type and raises an
``InputError`` naming the argument otherwise. Floats are converted through their shortest
repr (Excel shows 0.1 as 0.1), never used in arithmetic.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from ..errors import InputError

EXCEL_ERRORS = (
    "#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!",
    "#SPILL!", "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#UNKNOWN!",
)
_LIBREOFFICE_ERROR = re.compile(r"^Err:\d{3}$")
EXCEL_EPOCH = dt.date(1899, 12, 30)


def normalize_text(value: str) -> str:
    """Full-width to half-width (NFKC), strip spaces including the ideographic space."""
    return unicodedata.normalize("NFKC", value).strip()


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def excel_error(value) -> str | None:
    """The Excel/LibreOffice error value held by a cell, if it is one."""
    if isinstance(value, str):
        text = value.strip().upper()
        if text in EXCEL_ERRORS or _LIBREOFFICE_ERROR.match(value.strip()):
            return value.strip()
    return None


def _reject_special(value, argument: str) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InputError("为空，请填写", argument=argument)
    error = excel_error(value)
    if error:
        raise InputError(f"是 Excel 错误值 {error}，请先修正该单元格", argument=argument)


def parse_decimal(value, argument: str, *, allow_negative: bool = False) -> Decimal:
    """A number such as 1234.5, "1,234.50", "１２３４", "1234元", "￥1,234" as Decimal."""
    _reject_special(value, argument)
    if isinstance(value, bool):
        raise InputError(f"应为数字，不能是 {value}", argument=argument)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InputError("不是有效数字", argument=argument)
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = normalize_text(value)
        text = re.sub(r"^(人民币|RMB|CNY|¥|￥)", "", text, flags=re.I).strip()
        text = re.sub(r"(元|圆|块)$", "", text).strip()
        text = text.replace(",", "").replace(" ", "")
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
            raise InputError(f"“{value}”不是数字", argument=argument)
        try:
            number = Decimal(text)
        except InvalidOperation:  # pragma: no cover - regex guards this
            raise InputError(f"“{value}”不是数字", argument=argument) from None
    else:
        raise InputError(f"应为数字，收到 {type(value).__name__}", argument=argument)
    if number < 0 and not allow_negative:
        raise InputError(f"不能为负数（{number}）", argument=argument)
    return number


def parse_whole(value, argument: str, *, minimum: int = 0) -> int:
    """A whole number (days, years, shares); 12.0 is fine, 12.5 is not."""
    number = parse_decimal(value, argument, allow_negative=True)
    if number != number.to_integral_value():
        raise InputError(f"应为整数，收到 {number}", argument=argument)
    whole = int(number)
    if whole < minimum:
        raise InputError(f"不能小于 {minimum}（收到 {whole}）", argument=argument)
    return whole


_TRUE = {"TRUE", "T", "Y", "YES", "1", "是", "真", "首次", "对", "√"}
_FALSE = {"FALSE", "F", "N", "NO", "0", "否", "假", "非首次", "再次", "×"}


def parse_bool(value, argument: str) -> bool:
    _reject_special(value, argument)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = normalize_text(value).upper()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise InputError(f"应为 是/否（TRUE/FALSE），收到“{value}”", argument=argument)


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(value, argument: str) -> dt.date:
    """A date from a date/datetime, an Excel serial, or text: 2021-05-01, 2021/5/1,
    2021.5.1, 2021年5月1日, 20210501."""
    _reject_special(value, argument)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise InputError(f"应为日期，收到 {value}", argument=argument)
    if isinstance(value, (int, float, Decimal)):
        serial = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not 1 <= serial < 2958466:
            raise InputError(f"“{value}”不是有效的 Excel 日期序号", argument=argument)
        return EXCEL_EPOCH + dt.timedelta(days=int(serial))
    if isinstance(value, str):
        text = normalize_text(value)
        for pattern in _DATE_PATTERNS:
            match = pattern.match(text)
            if match:
                year, month, day = (int(part) for part in match.groups())
                try:
                    return dt.date(year, month, day)
                except ValueError:
                    raise InputError(f"“{value}”不是存在的日期", argument=argument) from None
        raise InputError(
            f"“{value}”不是可识别的日期（可写 2021-05-01、2021/5/1、2021.5.1、2021年5月1日）",
            argument=argument,
        )
    raise InputError(f"应为日期，收到 {type(value).__name__}", argument=argument)


def cn_date(day: dt.date) -> str:
    """2021年4月6日: Arabic numerals without leading zeros, as GB/T 9704 wants."""
    return f"{day.year}年{day.month}月{day.day}日"


def parse_text(value, argument: str) -> str:
    _reject_special(value, argument)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalize_text(str(value))
