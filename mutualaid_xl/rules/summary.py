"""The one-line 说明 of a subsidy (SUBSIDY_DETAIL's text, the register's 说明 column).

Its phrases and number forms live here once. The scalar engine builds the line for one stay;
the column engine builds the same line for whole columns from its exact integers, and the
tests compare the two on every policy.
"""

from __future__ import annotations

from decimal import Decimal

SEPARATOR = "；"
MAX_LENGTH = 255            # the classic Excel bridge limit for one string
BASE_NAMES = {"self_pay": "自付费用", "total_cost": "住院总费用", "none": ""}
NOT_FIRST_STAY = "非首次住院无补贴"
ROUNDED_DOWN = "封顶处舍尾"


def number(num: int, den: int = 1) -> str:
    """The exact amount ``num / den`` yuan: whole yuan as plain digits ("12000"), anything else
    rounded half-up to the fen with thousands separators ("1,234.50")."""
    if num < 0:
        return "-" + number(-num, den)
    if num % den == 0:
        return str(num // den)
    fen = (200 * num + den) // (2 * den)
    return f"{fen // 100:,}.{fen % 100:02d}"


def decimal(value) -> str:
    """A policy value as written: 20 -> "20", 0.50 -> "0.5"."""
    return f"{Decimal(value).normalize():f}"


def percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def payable(fen: int, whole_yuan: bool) -> str:
    """The rounded amount as the engine's Decimal prints it: "1234.50", or "1235" in whole yuan."""
    return f"应付{fen // 100}" if whole_yuan else f"应付{fen // 100}.{fen % 100:02d}"


def prorated(covered: int, days: int, base_name: str, base: str) -> str:
    return f"期内{covered}/{days}天折算{base_name}{base}"


def gate(passed: bool, threshold: str) -> str:
    return f"{'超过' if passed else '未超过'}门槛{threshold}"


def deductible(amount: str) -> str:
    return f"扣起付{amount}"


def band_part(piece: str, rate: str) -> str:
    return f"{piece}×{rate}"


def bands(parts: list[str], total: str) -> str:
    return f"补助金 {'+'.join(parts)}={total}"


def stay_cap(amount: str) -> str:
    return f"单次封顶{amount}"


def allowance(days: int, rate: str, shares: int | None, amount: str) -> str:
    per_share = "" if shares is None else f"×{shares}份"
    return f"补贴 {days}天×{rate}{per_share}={amount}"


def period_cap(room: str, reduced: str) -> str:
    return f"封顶余额{room}，减为{reduced}"


def topup(amount: str, limited: bool) -> str:
    return f"保底受封顶限制补{amount}" if limited else f"保底补足{amount}"


def join(parts) -> str:
    """The pieces of one stay as one line of at most MAX_LENGTH characters."""
    text = SEPARATOR.join(p for p in parts if p)
    return text if len(text) <= MAX_LENGTH else text[:MAX_LENGTH - 1] + "…"
