"""Properties of SUBSIDY that hold for every scheme and input."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from mutualaid_xl.rules import engine
from mutualaid_xl.rules.policy import get_policy
from mutualaid_xl.udfs import SUBSIDY

SCHEMES = ["nm-2021", "hangzhou", "wuhan-retiree", "pinghu", "ningde", "shijiazhuang", "beijing", "zjk-14"]
money = st.decimals(min_value=0, max_value=600000, places=2, allow_nan=False, allow_infinity=False)


@st.composite
def stays(draw):
    policy = get_policy(draw(st.sampled_from(SCHEMES)))
    days = draw(st.integers(0, 400))
    shares = draw(st.integers(policy.shares.min, policy.shares.max)) if policy.shares else 1
    stay = engine.Stay(
        self_pay=draw(money), days=days, years=draw(st.integers(1, 12)), first_stay=draw(st.booleans()),
        paid_before=draw(money), covered_days=draw(st.integers(0, days)), shares=shares,
    )
    return policy, stay


@settings(max_examples=300, deadline=None)
@given(stays())
def test_never_negative(case):
    policy, stay = case
    assert engine.compute_subsidy(policy, stay).amount >= 0


@settings(max_examples=300, deadline=None)
@given(stays(), money)
def test_monotone_in_self_pay(case, extra):
    policy, stay = case
    more = engine.Stay(**{**stay.__dict__, "self_pay": stay.self_pay + extra})
    assert engine.compute_subsidy(policy, more).amount >= engine.compute_subsidy(policy, stay).amount


@settings(max_examples=300, deadline=None)
@given(stays())
def test_never_above_the_cap(case):
    policy, stay = case
    result = engine.compute_subsidy(policy, stay)
    cap = policy.subsidy.cap
    if cap is not None and cap.per_period is not None:
        room = max(Decimal(0), cap.per_period - stay.paid_before)
        assert result.cap_part <= room
        outside = 0 if cap.includes_allowance else result.allowance
        assert result.amount <= room + Decimal(outside.numerator) / Decimal(outside.denominator) + Decimal("0.01")


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(SCHEMES[:-1]), st.lists(st.tuples(money, st.integers(0, 60), st.integers(1, 5)), min_size=1, max_size=25))
def test_column_call_equals_row_by_row(scheme, rows):
    self_pay = [[float(r[0])] for r in rows]
    days = [[r[1]] for r in rows]
    years = [[r[2]] for r in rows]
    column = SUBSIDY(self_pay, days, years, True, 0, scheme)
    assert column == [[SUBSIDY(float(r[0]), r[1], r[2], True, 0, scheme)] for r in rows]
