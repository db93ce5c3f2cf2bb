"""Synthetic rosters for tests, the demo and the benchmark: no real people.

Names are drawn from a short list of characters; ID numbers use the unassigned area codes
99xxxx with valid GB 11643 check digits; units are invented. Everything is seedable, and
``write_roster`` streams (openpyxl write-only) so a million rows fit in memory.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ..rules.idcard import check_char
from ..rules.policy import Policy, get_policy
from .templates import NOT_JOINING, ROSTER, ROSTER_UNIT_CELL

_SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志文海燕"
_UNIT_WORDS = ("晨光", "北辰", "远航", "青山", "恒达", "瑞丰", "金桥", "新源", "长河", "星火")
_UNIT_KINDS = ("机械厂", "商贸公司", "中学", "医院", "建筑公司", "物流公司", "电力分公司", "街道办事处")

# Columns written by write_roster, as in the roster template (mutualaid_xl/workbooks/templates.py).
HEADERS = ("序号", "姓名", "身份证号", "性别", "类别", "续互/新参互", "交费金额")
UNIT_HEADER = "单位名称"


def fake_id(number: int, born: dt.date) -> str:
    """The ``number``-th fake ID: distinct numbers below 10,000,000 give distinct IDs."""
    first17 = f"99{number // 1000 % 10000:04d}{born.year:04d}{born.month:02d}{born.day:02d}{number % 1000:03d}"
    return first17 + check_char(first17)


def fake_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


def unit_names(count: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    names = []
    for index in range(count):
        names.append(f"{rng.choice(_UNIT_WORDS)}{rng.choice(_UNIT_KINDS)}{index + 1:05d}")
    return names


@dataclass
class SyntheticRoster:
    header: list[str]
    rows: list[list]          # one list per member, aligned with header
    units: list[str]


def roster(count: int, *, seed: int = 0, policy: Policy | str | None = None, on: dt.date | None = None,
           units: int = 1, retired_share: float = 0.15, not_joining_share: float = 0.05) -> SyntheticRoster:
    """``count`` valid members (ages fit the policy on ``on``; fees as the policy says).

    With ``units`` > 1 a 单位名称 column is added and members are spread over the units.
    A share of members is marked 未参 (listed but not joining), as the Kunming rule asks.
    """
    from ..rules.engine import fee_for

    policy = policy if isinstance(policy, Policy) else get_policy(policy)
    on = on or (policy.dates.enrolment_start if policy.dates and policy.dates.enrolment_start else dt.date(2021, 5, 1))
    rng = random.Random(seed)
    names = unit_names(units, seed) if units > 1 else ["示例单位工会"]
    fees = {}
    for category in ("在职", "退休"):
        for membership in ("续互", "新参互"):
            try:
                fees[category, membership] = fee_for(policy, f"{category}/{membership}")[0]
            except Exception:  # a policy without fees for this category: nobody of that kind
                continue
    kinds = sorted(fees)
    active_kinds = [k for k in kinds if k[0] == "在职"] or kinds
    retired_kinds = [k for k in kinds if k[0] == "退休"]
    header = list(HEADERS) + ([UNIT_HEADER] if units > 1 else [])
    rows = []
    base = on.toordinal()
    for index in range(count):
        retired = retired_kinds and rng.random() < retired_share
        category, membership = rng.choice(retired_kinds if retired else active_kinds)
        age = rng.randint(61, 69) if retired else rng.randint(20, 58)
        born = dt.date.fromordinal(base - age * 366 - rng.randrange(300))
        number = fake_id(index, born)
        joining = rng.random() >= not_joining_share
        fee: Decimal | str = fees[category, membership] if joining else NOT_JOINING
        row = [index + 1, fake_name(rng), number, "男" if int(number[16]) % 2 else "女", category,
               membership if joining else NOT_JOINING, int(fee) if joining and fee == int(fee) else fee]
        if units > 1:
            row.append(names[index * units // count])
        rows.append(row)
    return SyntheticRoster(header, rows, names)


def write_roster(path: Path | str, data: SyntheticRoster, *, unit: str | None = None) -> Path:
    """Write ``data`` like the roster template: title, unit name, header in row 4, data from row 5."""
    from openpyxl import Workbook

    path = Path(path)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(ROSTER.sheet)
    ws.append([ROSTER.title])
    unit_col = ord(ROSTER_UNIT_CELL[0]) - ord("A")
    ws.append(["单位名称（盖章）："] + [None] * (unit_col - 1) + [unit or data.units[0]])
    for _ in range(ROSTER.header_row - 3):
        ws.append([])
    ws.append(data.header)
    for row in data.rows:
        ws.append(row)
    wb.save(path)
    return path
