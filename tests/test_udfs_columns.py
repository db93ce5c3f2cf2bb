"""Worksheet functions over a range give, cell for cell, what they give called on each cell alone.

A range goes through the column engine (SUBSIDY, SUBSIDY_CAP_PART, SUBSIDY_DETAIL), the vectorised ID check
(ID_VALID, ID_MASK) or the scalar rules once per distinct input (FEE, ELIGIBLE, ID_AGE); the
cells here mix the common case with everything a clerk's sheet holds: blanks, text numbers,
Excel errors, negative and fractional values, IDs with wrong check characters, 15-digit IDs,
IDs typed as numbers, ages at the limits, dates as serials, texts and datetimes.
"""

import datetime as dt
import random

import pytest

from mutualaid_xl.rules.idcard import check_char
from mutualaid_xl.udfs import (
    ELIGIBLE,
    FEE,
    ID_AGE,
    ID_MASK,
    ID_VALID,
    SUBSIDY,
    SUBSIDY_CAP_PART,
    SUBSIDY_DETAIL,
)
from mutualaid_xl.workbooks.synthetic import fake_id

ROWS = 1500
ON = dt.date(2021, 6, 1)


def _column(values):
    return [[v] for v in values]


def _one_by_one(function, columns: dict, scalars: dict) -> list:
    rows = len(next(iter(columns.values())))
    return [[function(**{k: v[i] for k, v in columns.items()}, **scalars)] for i in range(rows)]


def _money(rng):
    return rng.choice([
        rng.randrange(0, 40_000_000) / 100, rng.randrange(0, 30_000), 10_000.0, 10_000.01, 9_999.99, 0, None, "",
        "1,234元", "五千", "#N/A", -5.0, 12.345, "2000", True, 1e300,
    ] if rng.random() < 0.3 else [rng.randrange(0, 40_000_000) / 100])


def _whole(rng, low, high):
    value = rng.randrange(low, high)
    return rng.choice([value, float(value), None, "", str(value), -1, 2.5, "#VALUE!"]) if rng.random() < 0.2 else value


@pytest.mark.parametrize("policy", ["nm-2021", "wuhan-retiree", "hangzhou", "pinghu", "fuzhou", "zjk-14"])
def test_subsidy_over_a_range_equals_each_cell(policy):
    rng = random.Random(policy)
    columns = {
        "self_pay": [_money(rng) for _ in range(ROWS)],
        "days": [_whole(rng, 0, 90) for _ in range(ROWS)],
        "years": [_whole(rng, 1, 6) for _ in range(ROWS)],
        "first_stay": [rng.choice([True, False, None, "是", "否", 1]) for _ in range(ROWS)],
        "paid_before": [rng.choice([0, None, rng.randrange(0, 25_000_000) / 100, 249_999.99, 250_000]) for _ in
                        range(ROWS)],
        "covered_days": [rng.choice([None, None, rng.randrange(0, 30)]) for _ in range(ROWS)],
    }
    columns["total_cost"] = [rng.choice([None, v * 2 if isinstance(v, float) else v]) for v in columns["self_pay"]]
    for function in (SUBSIDY_DETAIL, SUBSIDY_CAP_PART, SUBSIDY):
        together = function(**{k: _column(v) for k, v in columns.items()}, policy=policy)
        alone = _one_by_one(function, columns, {"policy": policy})
        for i, (got, want) in enumerate(zip(together, alone)):
            assert got == want, (function.__name__, i, {k: v[i] for k, v in columns.items()})
    assert any(isinstance(row[0], float) and row[0] > 0 for row in together)
    assert any(isinstance(row[0], str) and row[0].startswith("#错误") for row in together)
    assert any(row[0] == "" for row in together)


def test_subsidy_range_with_an_unknown_policy_or_mismatched_ranges():
    rows = SUBSIDY([[5000], [None]], [[3], [None]], policy="no-such-policy")
    assert rows[1] == [""] and rows[0][0] == SUBSIDY(5000, 3, policy="no-such-policy")
    assert rows[0][0].startswith("#错误")
    assert SUBSIDY([[1], [2]], [[1], [2], [3]]).startswith("#错误: 各区域大小不一致")
    policies = SUBSIDY([[20000], [20000]], [[12], [12]], policy=[["nm-2021"], ["wuhan-retiree"]])
    assert policies == [[SUBSIDY(20000, 12, policy="nm-2021")], [SUBSIDY(20000, 12, policy="wuhan-retiree")]]


def _ids(rng, n):
    out = []
    for i in range(n):
        born = ON.replace(year=ON.year - rng.choice([15, 16, 30, 60, 61, 70, 71])) + dt.timedelta(days=rng.choice([-1, 0, 1, 40]))
        good = fake_id(i, born)
        first17 = good[:17]
        wrong = first17 + check_char(str(int(first17[0]) % 9 + 1) + first17[1:])
        old15 = good[:6] + good[8:17] if born.year >= 1900 and born.year < 2000 else good
        odd = [good.lower(), wrong, old15, int(good[:15]), float(good[:15]) * 1000, None, "", "  ", " " + good,
               good[:17], good + "0", "\t" + good[1:], good[:9] + " " + good[10:], good[:17] + "\x00",
               good.translate(str.maketrans("0123456789", "０１２３４５６７８９")), "#N/A", True,
               old15.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))]   # digits isdigit() accepts
        out.append(rng.choice([good] * 6 + odd))
    return out


def test_id_functions_and_eligibility_over_a_range_equal_each_cell():
    rng = random.Random(7)
    ids = _ids(rng, ROWS)
    categories = [rng.choice(["在职", "退休", "在职/续互", "续互", "新参互", "临时工", None, "", 3.0]) for _ in ids]
    dates = [rng.choice([ON, dt.datetime(2021, 6, 1), 44348, "2021-06-01", "2021年5月1日", "昨天", None]) for _ in ids]
    cases = [
        (ID_VALID, {"id_number": ids}, {}),
        (ID_MASK, {"id_number": ids}, {}),
        (ID_AGE, {"id_number": ids, "on_date": dates}, {}),
        (ID_AGE, {"id_number": ids}, {"on_date": ON}),
        (ELIGIBLE, {"id_number": ids, "category": categories, "on_date": dates}, {"policy": "nm-2021"}),
        (ELIGIBLE, {"id_number": ids, "category": categories}, {"on_date": ON, "policy": "yn-18"}),
        (FEE, {"category": categories}, {"policy": "nm-2021"}),
        (FEE, {"category": categories}, {"policy": "pinghu"}),
    ]
    for function, columns, scalars in cases:
        together = function(**{k: _column(v) for k, v in columns.items()}, **scalars)
        alone = _one_by_one(function, columns, scalars)
        for i, (got, want) in enumerate(zip(together, alone)):
            assert got == want and type(got[0]) is type(want[0]), (function.__name__, i, {k: v[i] for k, v in columns.items()})
        shown = {row[0] if row[0] == "" else type(row[0]) for row in together}
        assert len(shown) > 1, function.__name__   # both results and reasons or blanks occurred


def test_id_functions_on_columns_of_texts_only_equal_each_cell():
    """Columns of texts take the join-into-one-text path: texts whose line breaks or lengths would
    shift the rows (a 17- and a 19-character text side by side) must not be read as other IDs."""
    rng = random.Random(11)
    good = [fake_id(i, ON.replace(year=1970) + dt.timedelta(days=i)) for i in range(200)]
    tricky = [good[0][:17], good[1] + "5", good[2][:9] + "\n" + good[2][10:], good[3][:17] + "\x7f",
              good[4][:17].lower() + "x", good[5][:17] + "\n", "\n" + good[6][:17], good[7][:4] + "é" + good[7][5:]]
    columns = [good, good[:100] + [good[100].lower()] + good[101:]]
    for trick in range(0, len(tricky), 2):
        column = list(good)
        for text in tricky[trick:trick + 2]:
            column[rng.randrange(len(column))] = text
        columns.append(column)
    for ids in columns:
        for function, scalars in ((ID_VALID, {}), (ID_MASK, {}), (ID_AGE, {"on_date": ON})):
            together = function(id_number=_column(ids), **scalars)
            alone = _one_by_one(function, {"id_number": ids}, scalars)
            assert together == alone, function.__name__


def test_cells_that_compare_equal_but_differ_are_not_confused():
    # 1, 1.0 and TRUE are equal Python keys; each must still be read as itself
    rows = FEE([[1], [True], [1.0], ["在职"]], policy="nm-2021")
    assert rows == [[FEE(1, policy="nm-2021")], [FEE(True, policy="nm-2021")], [FEE(1.0, policy="nm-2021")], [100.0]]
