"""Exact money: rounding half-up to a unit, display, and 人民币大写."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

FEN = Decimal("0.01")


def to_fraction(value: Decimal | Fraction | int) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(value)


def round_half_up(value: Decimal | Fraction | int, unit: Decimal = FEN) -> Decimal:
    """Round an exact value half-up (away from zero) to a multiple of ``unit``."""
    units = to_fraction(value) / to_fraction(unit)
    sign = -1 if units < 0 else 1
    units = abs(units)
    whole = units.numerator // units.denominator
    if units - whole >= Fraction(1, 2):
        whole += 1
    result = Decimal(sign * whole) * unit
    return result.quantize(FEN) if unit < 1 else result.quantize(Decimal(1))


def round_down(value: Decimal | Fraction | int, unit: Decimal = FEN) -> Decimal:
    """Round a non-negative exact value down to a multiple of ``unit``."""
    units = to_fraction(value) / to_fraction(unit)
    result = Decimal(units.numerator // units.denominator) * unit
    return result.quantize(FEN) if unit < 1 else result.quantize(Decimal(1))


def yuan(value: Decimal | Fraction | int) -> str:
    """Display an amount as 12,345.67 (rounded half-up to the fen for display only)."""
    return f"{round_half_up(value):,.2f}"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ["", "拾", "佰", "仟"]
_BIG_UNITS = ["", "万", "亿", "万亿"]


def _four_digits(group: int) -> str:
    """Uppercase of 0 < group < 10000 without leading 零 (caller adds it)."""
    out, zero = [], False
    for pos in range(3, -1, -1):
        digit = group // 10**pos % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_DIGITS[digit] + _SMALL_UNITS[pos])
    return "".join(out)


def rmb_upper(amount: Decimal | Fraction | int) -> str:
    """人民币大写, e.g. 12345.67 -> 壹万贰仟叁佰肆拾伍元陆角柒分; 100 -> 壹佰元整.

    The amount is rounded half-up to the fen first. Negative amounts get 负.
    """
    value = round_half_up(amount)
    if value < 0:
        return "负" + rmb_upper(-value)
    fen_total = int(value * 100)
    whole, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    if whole >= 10**16:
        raise ValueError("金额过大，无法写成大写")
    text = ""
    if whole:
        groups = []
        rest = whole
        while rest:
            groups.append(rest % 10000)
            rest //= 10000
        need_zero = False
        for index in range(len(groups) - 1, -1, -1):
            group = groups[index]
            if group == 0:
                need_zero = bool(text)
                continue
            if text and (need_zero or group < 1000):
                text += "零"
            text += _four_digits(group) + _BIG_UNITS[index]
            need_zero = False
        text += "元"
    if not jiao and not fen:
        return (text or "零元") + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif text:
        text += "零"
    if fen:
        text += _DIGITS[fen] + "分"
    else:
        text += "整"
    return text
