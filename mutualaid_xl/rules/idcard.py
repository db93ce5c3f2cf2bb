"""Resident ID numbers (GB 11643-1999): normalise, check, birth date, age, sex, masking."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from ..errors import InputError
from .values import excel_error, normalize_text

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643-1999
CHECK_CHARS = "10X98765432"
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.I)
# 15 to 18 digits (the last may be X), valid or not, possibly split by single spaces: 1101 0119 9001 0100 2X
_ID_LIKE = re.compile(r"\d(?:[ \u3000]?\d){13,16}(?:[ \u3000]?[\dXx])")


def check_char(first17: str) -> str:
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def _birth(digits8: str) -> dt.date | None:
    try:
        return dt.date(int(digits8[:4]), int(digits8[4:6]), int(digits8[6:8]))
    except ValueError:
        return None


def normalize_id(value, argument: str = "身份证号") -> str:
    """The canonical 18-character ID (15-digit numbers upgraded), or InputError saying why.

    A number cell holding an 18-digit ID has lost its last digits (Excel keeps 15
    significant digits): that is reported, never "repaired".
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InputError("身份证号为空", argument=argument)
    if excel_error(value):
        raise InputError(f"身份证号单元格是错误值 {excel_error(value)}", argument=argument)
    if isinstance(value, bool):
        raise InputError("身份证号不能是 TRUE/FALSE", argument=argument)
    if isinstance(value, (int, float, Decimal)):
        digits = str(int(value)) if float(value).is_integer() else ""
        if len(digits) == 15:
            text = digits
        else:
            raise InputError(
                "身份证号存成了数字，末几位已丢失（Excel 只保留15位有效数字）；"
                "请把该列设为“文本”格式后按原件重新录入",
                argument=argument,
            )
    else:
        text = normalize_text(str(value)).replace(" ", "").upper()
        if _SCIENTIFIC.match(text):
            raise InputError(
                f"身份证号显示为科学计数法“{value}”，数字已丢失；请把该列设为“文本”后按原件重新录入",
                argument=argument,
            )
    if len(text) == 15:
        if not text.isdigit():
            raise InputError("15位旧身份证号只能由数字组成", argument=argument)
        if _birth("19" + text[6:12]) is None:
            raise InputError(f"出生日期 19{text[6:12]} 不存在", argument=argument)
        first17 = text[:6] + "19" + text[6:]
        return first17 + check_char(first17)
    if len(text) != 18:
        raise InputError(f"位数不对：应为18位，实为{len(text)}位", argument=argument)
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        raise InputError("含有非法字符：前17位应为数字，最后一位为数字或X", argument=argument)
    if _birth(text[6:14]) is None:
        raise InputError(f"出生日期 {text[6:14]} 不存在", argument=argument)
    expected = check_char(text[:17])
    if text[17] != expected:
        raise InputError(f"校验位错误：按前17位应为 {expected}，实为 {text[17]}", argument=argument)
    return text


def id_problem(value) -> str | None:
    """None when the ID is valid, else the Chinese reason."""
    try:
        normalize_id(value)
    except InputError as error:
        return error.message
    return None


def birth_date(id18: str) -> dt.date:
    return _birth(id18[6:14])  # type: ignore[return-value]


def age_on(id18: str, on: dt.date) -> int:
    """Full years of age (周岁) on a date."""
    born = birth_date(id18)
    if born > on:
        raise InputError(f"出生日期 {born:%Y-%m-%d} 晚于参考日期 {on:%Y-%m-%d}", argument="身份证号")
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def sex(id18: str) -> str:
    return "男" if int(id18[16]) % 2 else "女"


def mask_id(value) -> str:
    """Keep the first 4 and last 4 characters: 1101**********002X."""
    text = "" if value is None else normalize_text(str(value)).replace(" ", "")
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


def mask_name(value) -> str:
    """张三 -> 张*, 欧阳小明 -> 欧***: keep the first character only."""
    text = "" if value is None else normalize_text(str(value))
    return text[:1] + "*" * (len(text) - 1) if text else ""


def mask_ids_in(text: str) -> str:
    """The one masking step for text leaving the tool (screen, reports, messages, public documents):
    anything that looks like an ID number is masked, wherever it stands."""
    return _ID_LIKE.sub(lambda m: mask_id(m.group()), text)
