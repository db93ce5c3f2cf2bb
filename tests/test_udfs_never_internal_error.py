"""No input to any worksheet function shows "内部错误": strings, huge and tiny numbers, NaN,
infinities, Excel error values, dates, booleans, blanks and ranges of them, in every argument."""

import datetime as dt
import inspect
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mutualaid_xl import udfs
from mutualaid_xl.rules.values import EXCEL_ERRORS

FUNCTIONS = [getattr(udfs, name) for name in udfs.__all__]
VALID = ["110101198001010010", "在职", "退休", "续互", "nm-2021", "zjk-14", "yn-14", "2021-06-01", "二〇二一年十月九日"]

cells = st.one_of(
    st.none(), st.booleans(), st.text(max_size=30), st.sampled_from(VALID),
    st.sampled_from(EXCEL_ERRORS + ("Err:502", " #N/A ", "#NAME?")),
    st.integers(), st.integers(-10**40, 10**40),
    st.floats(), st.floats(min_value=-1e-300, max_value=1e-300), st.sampled_from([float("nan"), float("inf"),
                                                                                 float("-inf"), 1e308, 5e-324]),
    st.decimals(allow_nan=True, allow_infinity=True), st.sampled_from([Decimal("sNaN"), Decimal("1E+999999")]),
    st.dates(), st.datetimes(), st.sampled_from([dt.date(1, 1, 1), dt.date(9999, 12, 31)]),
    st.from_regex(r"[0-9０-９,.，元￥ eE+-]{1,25}", fullmatch=True),
)
argument = st.one_of(cells, st.lists(st.lists(cells, min_size=1, max_size=2), min_size=1, max_size=2))


def _texts(result):
    if isinstance(result, list):
        for row in result:
            yield from _texts(row)
    elif isinstance(result, str):
        yield result


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FUNCTIONS), st.data())
def test_no_input_gives_an_internal_error(function, data):
    names = list(inspect.signature(function).parameters)
    arguments = {name: data.draw(argument, label=name) for name in names}
    result = function(**arguments)
    for text in _texts(result):
        assert "内部错误" not in text, (function.__name__, arguments, text)


def test_every_function_is_covered():
    assert {f.__name__ for f in FUNCTIONS} == {"SUBSIDY", "SUBSIDY_DETAIL", "SUBSIDY_CAP_PART", "FEE", "ELIGIBLE",
                                               "ID_VALID", "ID_AGE", "ID_MASK", "RMB_UPPER"}
