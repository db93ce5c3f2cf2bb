"""The worksheet functions called the way Excel's Office.js add-in calls them (xlwings.server).

xlwings picks its decorators when it is imported, from XLWINGS_ON_SERVER, so the calls run in
a fresh interpreter with the server settings; nothing leaks into this test process. The free
key `noncommercial` is used here, in tests only; the product never needs xlwings.server.
"""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import pytest

from mutualaid_xl.rules.idcard import check_char

# Not imported here: importing xlwings.server needs the licence key in the environment.
if importlib.util.find_spec("xlwings.server") is None:
    pytest.skip("xlwings.server 不可用（需要 xlwings 0.30 以上）", allow_module_level=True)

SCRIPT = textwrap.dedent("""
    import asyncio, json, sys
    import xlwings, xlwings.server as server
    import mutualaid_xl.udfs as udfs

    def call(name, *args):
        data = {"func_name": name, "args": list(args), "version": xlwings.__version__, "client": "Office.js",
                "caller_address": "Sheet1!A1", "culture_info_name": "zh-CN", "date_format": "yyyy/m/d",
                "runtime": "1.4"}
        return asyncio.run(server.custom_functions_call(data, udfs))

    calls = json.loads(sys.stdin.read())
    out = {"calls": [call(name, *args) for name, args in calls],
           "meta": server.custom_functions_meta(udfs), "on_server": xlwings.on_server}
    print(json.dumps(out, ensure_ascii=False))
""")


def _id(serial: int, born: str) -> str:
    first17 = f"990{serial:03d}{born}{serial % 1000:03d}"
    return first17 + check_char(first17)


YOUNG, OLD = _id(21, "19750301"), _id(22, "19520101")
MAY_1_2021 = 44317  # Excel's serial number of 2021-05-01, as Office.js passes a date cell

# (function, args as Excel passes them: every argument a 2-D list) -> expected 2-D result
CASES = [
    (("SUBSIDY", [[[20000]], [[12]], [[2]]]), [[11240]]),             # nm-2021 worked example
    (("SUBSIDY", [[[20000], [200], [None], [300000]], [[12], [2], [None], [10]], [[2], [1], [None], [2]],
                  [[True], [True], [None], [False]], [[0], [0], [None], [11000]]]),
     [[11240], [200], [""], [217000]]),                                # a column; blank row; 2nd stay
    (("SUBSIDY", [[[5000], ["五千"]], [[10]]]), None),                 # one bad row only
    (("FEE", [[["在职"], ["退休"], [None]]]), [[100], [400], [""]]),
    (("FEE", [[["在职"]], [["zjk-14"]]]), None),
    (("ELIGIBLE", [[[YOUNG], [OLD]], [["在职"], ["在职"]], [[MAY_1_2021], [MAY_1_2021]]]), None),
    (("ID_VALID", [[[YOUNG], ["123"]]]), None),
    (("ID_AGE", [[[YOUNG]], [[MAY_1_2021]]]), [[46]]),
    (("ID_MASK", [[[YOUNG]]]), [[YOUNG[:4] + "*" * 10 + YOUNG[-4:]]]),
    (("RMB_UPPER", [[[12345.67]]]), [["壹万贰仟叁佰肆拾伍元陆角柒分"]]),
]
HELPERS = {"SUBSIDY", "FEE", "ELIGIBLE", "SUBSIDY_DETAIL", "SUBSIDY_CAP_PART", "ID_VALID", "ID_AGE", "ID_MASK",
           "RMB_UPPER"}


@pytest.fixture(scope="module")
def served():
    env = {**os.environ, "XLWINGS_ON_SERVER": "true", "XLWINGS_LICENSE_KEY": "noncommercial",
           "XLWINGS_FUNCTIONS_NAMESPACE": ""}
    calls = [call for call, _ in CASES]
    done = subprocess.run([sys.executable, "-c", SCRIPT], input=json.dumps(calls), env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_server_settings_stay_in_the_subprocess(served):
    assert served["on_server"] is True
    assert os.environ.get("XLWINGS_ON_SERVER") != "true"
    import xlwings

    assert xlwings.on_server is False


@pytest.mark.parametrize("index", [i for i, (_, expected) in enumerate(CASES) if expected is not None])
def test_values_as_excel_gets_them(served, index):
    assert served["calls"][index] == CASES[index][1]


def test_a_bad_cell_gives_an_error_text_in_its_row_only(served):
    good, bad = served["calls"][2]
    assert good == [2100]  # nm-2021: 5000 × 40% + 10 days × 10 yuan
    assert bad[0].startswith("#错误: 参数 self_pay（自付费用）：")


def test_fee_follows_the_policy_argument(served):
    assert served["calls"][4] == [[20]]  # zjk-14: 20 yuan a share, one share


def test_eligible_takes_excel_date_serials(served):
    young, old = served["calls"][5]
    assert young == [True]
    assert old[0].startswith("不符合") and "69 周岁" in old[0]


def test_id_valid_gives_the_reason(served):
    assert served["calls"][6] == [[True], ["位数不对：应为18位，实为3位"]]


def test_meta_lists_the_functions_with_chinese_descriptions(served):
    functions = {f["name"]: f for f in served["meta"]["functions"]}
    assert HELPERS <= set(functions)
    assert all(f["id"] == f["name"] for f in functions.values())  # no namespace prefix
    for name in HELPERS:
        assert functions[name]["description"].startswith("职工互助："), name
        for parameter in functions[name]["parameters"]:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in parameter["description"]), (name, parameter["name"])
    subsidy = functions["SUBSIDY"]["parameters"]
    assert [p["name"] for p in subsidy] == ["self_pay", "days", "years", "first_stay", "paid_before", "policy",
                                           "covered_days", "total_cost", "shares", "admitted", "discharged",
                                           "joined", "settled", "applied", "late_ok"]   # new ones only at the end
    assert [p.get("optional", False) for p in subsidy] == [False, False] + [True] * 13
    assert all(p["dimensionality"] == "matrix" for p in subsidy)
    assert [p["name"] for p in functions["ELIGIBLE"]["parameters"]] == ["id_number", "category", "on_date", "policy"]
