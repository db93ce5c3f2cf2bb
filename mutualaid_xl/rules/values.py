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
# Values no claim can have: refused with the argument's name instead of computed.
MAX_NUMBER = Decimal(10) ** 12           # 1 万亿元: no amount of one claim comes near it
LIMITS = {"days": 366, "covered_days": 366, "years": 100}
_LIMIT_WHY = {"days": "一次住院", "covered_days": "一次住院", "years": "连续参互年数"}


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
        if not value.is_finite():
            raise InputError("不是有效数字", argument=argument)
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
    if abs(number) >= MAX_NUMBER and argument not in LIMITS:   # parse_whole names the tighter limit
        raise InputError(f"数值 {value} 过大（须小于 1 万亿，即 10^12）", argument=argument)
    return number


def parse_whole(value, argument: str, *, minimum: int = 0) -> int:
    """A whole number (days, years, shares); 12.0 is fine, 12.5 is not; at most LIMITS[argument]."""
    number = parse_decimal(value, argument, allow_negative=True)
    if argument in LIMITS and number > LIMITS[argument]:
        raise InputError(f"{_LIMIT_WHY[argument]}不会超过 {LIMITS[argument]}（收到 {number}）", argument=argument)
    if abs(number) >= MAX_NUMBER:
        raise InputError(f"数值 {value} 过大（须小于 1 万亿，即 10^12）", argument=argument)
    if number != number.to_integral_value():
        raise InputError(f"应为整数，收到 {number}", argument=argument)
    whole = int(number)
    if whole < minimum:
        raise InputError(f"不能小于 {minimum}（收到 {whole}）", argument=argument)
    if argument in LIMITS and whole > LIMITS[argument]:
        raise InputError(f"{_LIMIT_WHY[argument]}不会超过 {LIMITS[argument]}（收到 {whole}）", argument=argument)
    return whole


TRUE_WORDS = {"TRUE", "T", "Y", "YES", "1", "是", "真", "首次", "对", "√"}
_FALSE = {"FALSE", "F", "N", "NO", "0", "否", "假", "非首次", "再次", "×"}


def parse_bool(value, argument: str) -> bool:
    _reject_special(value, argument)
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = normalize_text(value).upper()
        if text in TRUE_WORDS:
            return True
        if text in _FALSE:
            return False
    raise InputError(f"应为 是/否（TRUE/FALSE），收到“{value}”", argument=argument)


_TIME = r"(?:[ T]?\d{1,2}[:：]\d{2}(?:[:：]\d{2}(?:\.\d+)?)?|[ T]?\d{1,2}时(?:\d{1,2}分)?)?"
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME + "$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})[日号]?" + _TIME + "$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_CN_DIGITS = {c: str(i) for i, c in enumerate("〇一二三四五六七八九")} | {"零": "0", "○": "0", "Ｏ": "0", "O": "0"}
_CN_DATE = re.compile(r"^([〇○零一二三四五六七八九OＯ]{4})年([一二三四五六七八九十]{1,2})月([一二三四五六七八九十]{1,3})[日号]")


def _cn_number(text: str) -> str:
    """一 .. 三十一 written in Chinese numerals as Arabic digits."""
    if "十" not in text:
        return _CN_DIGITS[text]
    tens, _, ones = text.partition("十")
    return str(int(_CN_DIGITS.get(tens, "1") if tens else 1) * 10 + (int(_CN_DIGITS[ones]) if ones else 0))


def _chinese_numerals(text: str) -> str:
    """二〇二一年五月一日 -> 2021年5月1日 (the rest of the text is kept)."""
    match = _CN_DATE.match(text)
    if not match:
        return text
    try:
        month, day = _cn_number(match.group(2)), _cn_number(match.group(3))
    except KeyError:  # 十十月 and the like: left for the caller to refuse
        return text
    year = "".join(_CN_DIGITS[c] for c in match.group(1))
    return f"{year}年{month}月{day}日" + text[match.end():]


def _from_serial(value, serial: Decimal, argument: str) -> dt.date:
    if not serial.is_finite() or not 1 <= serial < 2958466:
        raise InputError(f"“{value}”不是有效的 Excel 日期序号", argument=argument)
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


YEARS = (1900, 2199)   # dates a claim, a roster or an ID can hold; the rest is a typing slip


def parse_date(value, argument: str) -> dt.date:
    """See _parse_date; a year outside YEARS is refused (it would overflow date arithmetic)."""
    day = _parse_date(value, argument)
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise InputError(f"年份 {day.year} 不在 {YEARS[0]}—{YEARS[1]} 之间", argument=argument)
    return day


def _parse_date(value, argument: str) -> dt.date:
    """A date from a date/datetime, an Excel serial (also as text), or text: 2021-05-01, 2021/5/1,
    2021.5.1, 2021年5月1日, 2021年5月1号, 二〇二一年五月一日, 20210501, with spaces, full-width
    digits or a time of day after it."""
    _reject_special(value, argument)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise InputError(f"应为日期，收到 {value}", argument=argument)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InputError(f"“{value}”不是有效的 Excel 日期序号", argument=argument)
        return _from_serial(value, Decimal(repr(value)), argument)
    if isinstance(value, (int, Decimal)):
        return _from_serial(value, Decimal(value), argument)
    if isinstance(value, str):
        text = normalize_text(value)
        if re.fullmatch(r"\d{1,7}(\.\d+)?", text):
            return _from_serial(value, Decimal(text), argument)
        text = _chinese_numerals(re.sub(r"\s*([年月日号])\s*", r"\1", text))
        for pattern in _DATE_PATTERNS:
            match = pattern.match(text)
            if match:
                year, month, day = (int(part) for part in match.groups()[:3])
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
