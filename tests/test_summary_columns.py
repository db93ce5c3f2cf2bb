"""The register's 说明 column comes from the column engine: for every built-in policy with
subsidy rules and random claims at the rules' edges, each row's one-line 说明 equals the scalar
engine's SubsidyResult.summary character for character, and the rows really took the column path.

Default size: 600 claims per policy and category; ``pytest -m differential_full`` runs 10,000.
"""

from __future__ import annotations

import random

import pytest

from mutualaid_xl.rules import engine
from mutualaid_xl.rules.columns import ClaimColumns, subsidy_columns
from mutualaid_xl.rules.policy import get_policy, list_policies
from mutualaid_xl.workbooks.claims import compute_register, explanation, write_result

# yn-14 has subsidy rules without bands (not in the seed): every claim is an error, nothing to explain
POLICIES = [p.id for p in list_policies() if p.subsidy is not None and p.id != "yn-14"]
MONEY_EDGES = (0, 1, 300, 599.99, 600, 600.01, 1500, 2000.01, 9999.99, 10000, 10000.01, 12345.67, 50000,
               100000, 100000.01, 250000, 400000)
PAID_EDGES = (0, 0, 1000, 49999.99, 50000, 100000, 149999.99, 199999.5, 200000)


def random_claims(rnd: random.Random, n: int) -> dict[str, list]:
    cols: dict[str, list] = {k: [] for k in ("self_pay", "days", "years", "first_stay", "paid_before",
                                              "covered_days", "total_cost", "shares")}
    for _ in range(n):
        days = rnd.choice((0, 1, 2, 3, 5, 10, 15, 16, 30, 45, 90, 180, 200))
        self_pay = rnd.choice(MONEY_EDGES + (round(rnd.uniform(0, 300000), 2),))
        cols["self_pay"].append(self_pay)
        cols["days"].append(days)
        cols["years"].append(rnd.randint(1, 8))
        cols["first_stay"].append(rnd.random() < 0.5)
        cols["paid_before"].append(rnd.choice(PAID_EDGES + (round(rnd.uniform(0, 200000), 2),)))
        cols["covered_days"].append(rnd.choice((None, None, days // 2, max(days - 1, 0), days)))
        cols["total_cost"].append(round(self_pay + rnd.choice((0, 1000, 0.5)), 2))
        cols["shares"].append(rnd.choice((1, 1, 2, 3)))
    return cols


def check_policy(policy_id: str, n: int) -> int:
    policy, compared = get_policy(policy_id), 0
    for category in (None, "在职", "退休"):
        claims = ClaimColumns.from_cells(**random_claims(random.Random(f"{policy_id}{category}{n}"), n),
                                         category=category)
        result = subsidy_columns(policy, claims, summaries=True)
        for i in range(n):
            if result.blank[i] or i in result.errors:
                assert result.summaries[i] is None
                continue
            want = engine.compute_subsidy(policy, claims.stay(i)).summary
            assert result.summaries[i] == want, f"{policy_id} {category} 第 {i} 行：\n 列引擎 {result.summaries[i]}\n 逐行 {want}"
            compared += 1
        assert result.vector_rows == n - int(result.blank.sum()) - len(result.errors) - len(result.scalar_results)
    return compared


@pytest.mark.parametrize("policy_id", POLICIES)
def test_column_summaries_equal_the_scalar_engine(policy_id):
    assert check_policy(policy_id, 600) > 0


@pytest.mark.differential_full
@pytest.mark.parametrize("policy_id", POLICIES)
def test_column_summaries_equal_the_scalar_engine_full(policy_id):
    assert check_policy(policy_id, 10_000) > 0


def test_summaries_take_the_column_path_and_read_as_a_clerk_checks_them():
    nm = get_policy("nm-2021")   # bands 0-10000 40%, 10000-100000 70%, allowance 30/day for 2+ years
    claims = ClaimColumns.from_cells(self_pay=[40309.27, 1200], days=[26, 3], years=[3, 1], first_stay=[True, False])
    result = subsidy_columns(nm, claims, summaries=True)
    assert result.vector_rows == 2
    assert result.summaries[0] == "nm-2021；补助金 10000×40%+30,309.27×70%=25,216.49；补贴 26天×30=780；应付25996.49"
    assert result.summaries[0] == engine.compute_subsidy(nm, claims.stay(0)).summary
    assert result.summaries[1] == engine.compute_subsidy(nm, claims.stay(1)).summary
    assert subsidy_columns(nm, claims).summaries is None   # amounts only unless asked


def test_register_explanations_come_from_the_columns(tmp_path):
    from openpyxl import load_workbook
    from mutualaid_xl.workbooks.claims import stay_result
    from test_claims import _fill

    register = _fill(tmp_path / "register.xlsx")
    result = compute_register(register)
    assert result.amounts.summaries is not None
    computed = [p for p in range(len(result.rows)) if result.amounts.summaries[p] is not None]
    assert computed
    for position in computed:
        assert explanation(result, position) == stay_result(result, position).summary
    out = tmp_path / "out.xlsx"
    write_result(result, out)
    sheet = load_workbook(out, read_only=True)["计算结果"]
    column = [row[15] for row in sheet.iter_rows(min_row=2, values_only=True)][:len(result.rows)]
    assert [column[p] for p in computed] == [stay_result(result, p).summary for p in computed]
    assert compute_register(register, summaries=False).amounts.summaries is None
