"""SUBSIDY over hand-computed cases for every built-in scheme (tests/data/subsidy_cases.toml)."""

from mutualaid_xl.rules.policy import tomllib  # tomli on Python 3.10
from decimal import Decimal
from pathlib import Path

import pytest

from mutualaid_xl.rules import engine
from mutualaid_xl.errors import MutualAidError
from mutualaid_xl.rules.policy import get_policy
from mutualaid_xl.udfs import SUBSIDY, SUBSIDY_CAP_PART, SUBSIDY_DETAIL

CASES = tomllib.loads((Path(__file__).parent / "data" / "subsidy_cases.toml").read_text("utf-8"))["case"]
ARGS = ("self_pay", "days", "years", "first_stay", "paid_before", "covered_days", "total_cost", "shares")


def _stay(case):
    money = lambda key: Decimal(case[key]) if key in case else None  # noqa: E731
    return engine.Stay(
        self_pay=money("self_pay"), days=case["days"], years=case.get("years", 1),
        first_stay=case.get("first_stay", True), paid_before=money("paid_before") or Decimal(0),
        covered_days=case.get("covered_days"), total_cost=money("total_cost"), shares=case.get("shares", 1),
    )


def test_enough_cases_across_all_presets():
    assert len(CASES) >= 40
    schemes = {case["policy"] for case in CASES}
    assert {"nm-2021", "hangzhou", "wuhan-retiree", "pinghu", "ningde", "fuzhou", "shijiazhuang",
            "beijing", "zjk-14", "yn-14", "yn-12"} <= schemes


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_engine(case):
    policy = get_policy(case["policy"])
    if "error" in case:
        with pytest.raises(MutualAidError, match=case["error"]):
            engine.compute_subsidy(policy, _stay(case))
        return
    result = engine.compute_subsidy(policy, _stay(case))
    assert result.amount == Decimal(case["expect"])
    assert str(result.amount) == case["expect"]  # the policy's rounding unit shows in the digits


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_worksheet_function(case):
    """The Excel function gives the same amount; numbers arrive as floats and texts from cells."""
    kwargs = {k: (float(case[k]) if k in ("self_pay", "paid_before", "total_cost") else case[k])
              for k in ARGS if k in case}
    kwargs.setdefault("self_pay", None)  # an empty cell
    value = SUBSIDY(policy=case["policy"], **kwargs)
    if "error" in case:
        assert isinstance(value, str) and value.startswith("#错误: ") and case["error"] in value
    else:
        assert Decimal(str(value)) == Decimal(case["expect"])


def test_explanation_names_bands_allowance_and_sources():
    result = engine.compute_subsidy(get_policy("nm-2021"), engine.Stay(Decimal(20000), 12, years=2))
    text = result.explanation
    assert "0—10000元段 10,000.00 × 40% = 4,000.00" in text
    assert "10000—100000元段 10,000.00 × 70% = 7,000.00" in text
    assert "12 天 × 20 元/天（连续参互 2 年） = 240.00" in text
    assert "细则第十条" in text
    assert text.splitlines()[-1].startswith("应付 11,240.00 元")


def test_explanation_of_minimum_and_cap():
    policy = get_policy("nm-2021")
    low = engine.compute_subsidy(policy, engine.Stay(Decimal(200), 2))
    assert "补足 100.00" in low.explanation
    capped = engine.compute_subsidy(policy, engine.Stay(Decimal(1000), 5, first_stay=False, paid_before=Decimal(249900)))
    assert "剩余 100.00" in capped.explanation and "封顶剩余额度不足" in capped.explanation


def test_detail_is_one_short_line():
    text = SUBSIDY_DETAIL(20000, 12, 2)
    assert text == "nm-2021；补助金 10000×40%+10000×70%=11000；补贴 12天×20=240；应付11240.00"
    long_case = SUBSIDY_DETAIL(300000, 40, 3, True, 249000, None, 20)
    assert len(long_case) <= 255


def test_cap_part_excludes_allowance_unless_policy_includes_it():
    assert SUBSIDY_CAP_PART(20000, 12, 2) == 11000.0  # nm: allowance outside the cap
    assert SUBSIDY_CAP_PART(200, 2) == 180.0  # 80 benefit + 100 top-up; 20 allowance outside
    assert SUBSIDY_CAP_PART(0, 10, policy="beijing") == 280.0  # beijing: allowance inside


def test_claims_register_accumulates_paid_before():
    """Three stays of one member: the period cap counts what was paid before."""
    policy = get_policy("nm-2021")
    paid = Decimal(0)
    amounts = []
    for index, self_pay in enumerate(["200000", "80000", "30000"]):
        stay = engine.Stay(Decimal(self_pay), 10, years=3, first_stay=index == 0, paid_before=paid)
        result = engine.compute_subsidy(policy, stay)
        amounts.append(result.amount)
        paid += result.cap_part
    # 1st: 4000+63000+100000 = 167000 (+300 allowance); 2nd: 4000+49000 = 53000;
    # 3rd: 4000+14000 = 18000, but only 250000-220000 = 30000 left -> 18000
    assert amounts == [Decimal("167300.00"), Decimal("53000.00"), Decimal("18000.00")]
    stay = engine.Stay(Decimal("50000"), 5, first_stay=False, paid_before=paid)  # 238000 paid
    assert engine.compute_subsidy(policy, stay).amount == Decimal("12000.00")
