"""The vectorised SUBSIDY path gives exactly the scalar engine's amounts and messages."""

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mutualaid_xl.rules import engine
from mutualaid_xl.errors import MutualAidError
from mutualaid_xl.rules.policy import get_policy, load_policy_file
from mutualaid_xl.udfs import SUBSIDY, SUBSIDY_CAP_PART
from mutualaid_xl.excel.udfs import _message
from mutualaid_xl.rules.columns import ClaimColumns, stay_from_cells, subsidy_columns

BUILT_IN = ["nm-2021", "hangzhou", "wuhan-retiree", "pinghu", "ningde", "fuzhou", "shijiazhuang", "beijing", "zjk-14"]

# A policy with everything the built-in ones lack: values by category, three-decimal rates,
# a per-stay cap, a gate, rounding to 0.1 yuan, allowance inside the cap with buckets.
ODD_POLICY = """
schema_version = 1
id = "odd-test"
name = "测试方案"
region = "测试"
period = "测试"
kind = "reference"
documents = ["测试文件"]

[shares]
source = "测试"
fee_per_share = 10
min = 1
max = 2

[subsidy]
source = "测试"
base = "self_pay"
rounding_unit = 0.1
prorate = true

[subsidy.gate]
source = "测试"
threshold = { "在职" = 150.5, "退休" = 99.99 }

[subsidy.deductible]
source = "测试"
first_stay = { "在职" = 100.25, "退休" = 50 }
later_stay = 33.333

[subsidy.bands]
source = "测试"
brackets = [{ upto = 1000.5, rate = 0.125 }, { upto = 20000, rate = 0.333 }, { rate = 0.05 }]

[subsidy.allowance]
source = "测试"
rate = { "在职" = 12.5, "退休" = 7 }
waiting_days = 2
max_days = 15
per_share = true
buckets = [{ upto_days = 5, paid_days = 3 }, { paid_days = 12 }]

[subsidy.cap]
source = "测试"
per_stay = { "在职" = 5000, "退休" = 4000.01 }
per_period = 9000
includes_allowance = true

[subsidy.minimum]
source = "测试"
amount = { "在职" = 88.88, "退休" = 60 }
"""


@pytest.fixture(scope="module")
def odd_policy(tmp_path_factory):
    path = tmp_path_factory.mktemp("policy") / "odd-test.toml"
    path.write_text(ODD_POLICY, encoding="utf-8")
    return load_policy_file(path)


def _edges(policy) -> list[int]:
    """Fen values around every yuan number of the policy (band limits, gate, caps, minimum)."""
    rules = policy.subsidy
    values = [b.upto for b in (rules.bands.brackets if rules.bands else ()) if b.upto is not None]
    for block, names in ((rules.gate, ("threshold",)), (rules.deductible, ("first_stay", "later_stay")),
                         (rules.cap, ("per_period", "per_stay")), (rules.minimum, ("amount",))):
        for name in names if block is not None else ():
            value = getattr(block, name)
            values += list(value.values()) if isinstance(value, dict) else [value] if value is not None else []
    fens = {0, 1, 2, 49, 50, 51}
    for value in values:
        fen = int(Decimal(value) * 100)
        fens |= {fen - 1, fen, fen + 1, 2 * fen, fen // 2}
    return sorted(f for f in fens if f >= 0)


def _expect(policy, stay=None, **cells):
    try:
        return engine.compute_subsidy(policy, stay or stay_from_cells(**cells))
    except MutualAidError as error:
        return error


def _assert_row(result, i, expected):
    if isinstance(expected, MutualAidError):
        got = result.errors.get(i)
        assert got is not None, f"row {i}: expected error {expected}"
        assert (type(got), str(got), got.argument) == (type(expected), str(expected), expected.argument)
    else:
        assert i not in result.errors, f"row {i}: unexpected {result.errors.get(i)}"
        assert result.amount(i) == expected.amount, i
        assert result.cap_part(i) == expected.cap_part, i
        assert result.parts(i) == (expected.benefit, expected.allowance, expected.topup), i


@st.composite
def claim_rows(draw, policy):
    edges = _edges(policy)
    money = st.one_of(st.integers(0, 40_000_000), st.sampled_from(edges), st.sampled_from(edges),
                      st.integers(-300, -1), st.integers(10**12, 10**14))
    rows = []
    for _ in range(draw(st.integers(1, 30))):
        days = draw(st.one_of(st.integers(0, 45), st.integers(-2, 400)))
        self_pay = draw(st.one_of(money, st.none()))
        total = draw(st.one_of(st.none(), money, st.integers(0, 10**6).map(lambda x, s=self_pay: (s or 0) + x)))
        rows.append(dict(
            self_pay=self_pay, days=days, years=draw(st.integers(0, 6)), first_stay=draw(st.booleans()),
            paid_before=draw(money), covered_days=draw(st.one_of(st.none(), st.integers(-1, max(days, 0) + 1))),
            total_cost=total, shares=draw(st.integers(0, 4)),
            category=draw(st.sampled_from([None, "在职", "退休", "续互"])),
        ))
    return rows


def _cells(row):
    """Fen as the float a spreadsheet cell holds (None stays empty)."""
    return {k: (v / 100 if isinstance(v, int) and k in ("self_pay", "paid_before", "total_cost") else v)
            for k, v in row.items()}


def _check_policy(policy, rows):
    cells = [_cells(r) for r in rows]
    columns = {k: [c[k] for c in cells] for k in cells[0]}
    result = subsidy_columns(policy, ClaimColumns.from_cells(**columns))
    for i, c in enumerate(cells):
        _assert_row(result, i, _expect(policy, **c))


@pytest.mark.parametrize("policy_id", BUILT_IN)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_columns_equal_row_by_row(policy_id, data):
    policy = get_policy(policy_id)
    _check_policy(policy, data.draw(claim_rows(policy)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_odd_policy_with_categories_equal_row_by_row(odd_policy, data):
    _check_policy(odd_policy, data.draw(claim_rows(odd_policy)))


cell_values = st.one_of(
    st.none(), st.just(""), st.just("  "), st.floats(-10, 1e6, allow_nan=False), st.integers(-5, 300_000),
    st.decimals(0, 10**6, places=3, allow_nan=False, allow_infinity=False), st.booleans(),
    st.sampled_from(["1,234.50元", "￥200", "１２３", "#N/A", "#DIV/0!", "abc", "12.5", "是", "否", "3"]),
    st.floats(allow_nan=True, allow_infinity=True), st.integers(10**17, 10**20),
)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(BUILT_IN), st.lists(st.tuples(*[cell_values] * 8), min_size=1, max_size=12))
def test_any_cells_like_the_worksheet_function(policy_id, rows):
    """Whatever a sheet holds, the column result is what SUBSIDY shows in each cell."""
    columns = [list(col) for col in zip(*rows)]
    result = subsidy_columns(get_policy(policy_id), ClaimColumns.from_cells(*columns))
    for i, row in enumerate(rows):
        args = dict(zip(("self_pay", "days", "years", "first_stay", "paid_before"), row[:5]))
        args.update(policy=policy_id, covered_days=row[5], total_cost=row[6], shares=row[7])
        shown, cap_shown = SUBSIDY(**args), SUBSIDY_CAP_PART(**args)
        if result.blank[i]:
            assert shown == ""
        elif i in result.errors:
            assert shown == _message(result.errors[i])
        else:
            assert (shown, cap_shown) == (float(result.amount(i)), float(result.cap_part(i)))


@pytest.mark.parametrize("policy_id", BUILT_IN)
def test_many_random_rows(policy_id):
    """3,000 rows per scheme through the int64 path, every row checked."""
    policy = get_policy(policy_id)
    rng = np.random.default_rng(7)
    n = 3000
    days = rng.integers(0, 50, n)
    self_pay = np.where(rng.random(n) < 0.3, rng.choice(_edges(policy), n), rng.integers(0, 30_000_000, n))
    claims = ClaimColumns.from_arrays(
        days, self_pay, years=rng.integers(1, 5, n), first_stay=rng.random(n) < 0.5,
        paid_before=np.where(rng.random(n) < 0.5, 0, rng.integers(0, 30_000_000, n)),
        covered_days=np.minimum(days, rng.integers(0, 50, n)), total_cost=self_pay + rng.integers(0, 10**6, n),
        shares=rng.integers(1, 4, n) if policy.shares else 1,
    )
    result = subsidy_columns(policy, claims)
    assert result.vector_rows == n  # valid rows all take the fast path
    for i in range(n):
        _assert_row(result, i, _expect(policy, claims.stay(i)))


def test_known_amounts():
    """POLICY_REFERENCE worked examples, a cap at the edge, and whole-yuan rounding down at the cap."""
    nm = get_policy("nm-2021")
    claims = ClaimColumns.from_arrays(
        [12, 2, 10, 10, 0], [2_000_000, 20_000, 30_000_000, 10_000, 0], years=[2, 1, 1, 1, 1],
        first_stay=[True, True, False, False, True], paid_before=[0, 0, 24_990_000, 24_999_950, 0],
    )
    result = subsidy_columns(nm, claims)
    assert [result.amount(i) for i in range(5)] == [
        Decimal("11240.00"), Decimal("200.00"), Decimal("100.00"), Decimal("0.50"), Decimal("0.00")]
    assert result.parts(1) == (Fraction(80), Fraction(20), Fraction(100))
    wuhan = get_policy("wuhan-retiree")
    # 2525 x 20% = 505, but 68,399.50 was paid: room 100.50, rounds to 101 > room, so rounded down to 100
    room_stay = ClaimColumns.from_arrays([3], [252_500], paid_before=[6_839_950])
    assert subsidy_columns(wuhan, room_stay).amount(0) == Decimal("100")
    assert engine.compute_subsidy(wuhan, room_stay.stay(0)).amount == Decimal("100")
    assert "封顶处舍尾" in engine.compute_subsidy(wuhan, room_stay.stay(0)).summary


def test_bad_rows_are_flagged_not_dropped():
    nm = get_policy("nm-2021")
    claims = ClaimColumns.from_cells(
        self_pay=[1000.0, -5.0, 500.0, "abc", None, 300.0, 100.005],
        days=[3, 2, -1, 4, None, 5, 2],
        total_cost=[None, None, None, None, None, 200.0, None],
    )
    result = subsidy_columns(nm, claims)
    assert result.amount(0) == Decimal("430.00")    # 400 + 3 x 10
    assert str(result.errors[1]) == "参数 self_pay：不能为负数（-5.0）"
    assert str(result.errors[2]) == "参数 days：不能小于 0（收到 -1）"
    assert "“abc”不是数字" in str(result.errors[3])
    assert result.blank[4] and 4 not in result.errors
    assert result.errors[5].message == "自付费用 300.00 大于住院总费用 200.00"
    assert result.amount(6) == Decimal("200.00")     # 100.005 is exact: scalar path, topped up
    assert 6 in result.scalar_results and len(result.errors) == 4


def test_huge_values_use_the_scalar_engine():
    fuzhou = get_policy("fuzhou")
    claims = ClaimColumns.from_arrays([10**6], [10**15], total_cost=[10**15 + 1])
    result = subsidy_columns(fuzhou, claims)
    assert 0 in result.scalar_results
    assert result.amount(0) == engine.compute_subsidy(fuzhou, claims.stay(0)).amount == Decimal("1300000000000.00")
