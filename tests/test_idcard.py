import datetime as dt

import pytest

from mutualaid_xl.errors import InputError
from mutualaid_xl.rules.idcard import age_on, id_problem, mask_id, mask_name, normalize_id, sex
from mutualaid_xl.udfs import ID_AGE, ID_MASK, ID_VALID


@pytest.mark.parametrize("value", ["11010519491231002X", "440524188001010014"])
def test_valid_examples_from_gb11643(value):
    assert normalize_id(value) == value
    assert ID_VALID(value) is True


def test_wrong_check_digit_names_the_expected_one():
    assert id_problem("110105194912310021") == "校验位错误：按前17位应为 X，实为 1"


def test_fifteen_digits_upgrade_to_eighteen():
    assert normalize_id("110105491231002") == "11010519491231002X"
    assert normalize_id(110105491231002) == "11010519491231002X"  # a 15-digit number cell is exact


def test_full_width_and_lowercase_x():
    assert normalize_id("１１０１０５１９４９１２３１００２ｘ") == "11010519491231002X"
    assert normalize_id(" 11010519491231002x ") == "11010519491231002X"


@pytest.mark.parametrize("value, reason", [
    ("11010519490230002X", "出生日期 19490230 不存在"),
    ("110105194913010021", "出生日期 19491301 不存在"),
    ("1101051949123100", "位数不对：应为18位，实为16位"),
    ("11010519491231002Y", "含有非法字符"),
    ("", "身份证号为空"),
    ("#N/A", "错误值 #N/A"),
])
def test_impossible_and_malformed(value, reason):
    assert reason in id_problem(value)


@pytest.mark.parametrize("value", [110105194912310020, 1.10105194912310e17, "1.10105E+17"])
def test_numeric_cells_that_lost_digits_are_flagged_not_repaired(value):
    with pytest.raises(InputError, match="丢失"):
        normalize_id(value)
    assert "丢失" in ID_VALID(value)


def test_birth_sex_age():
    assert sex("11010519491231002X") == "女" and sex("440524188001010014") == "男"
    assert age_on("11010519491231002X", dt.date(2021, 12, 30)) == 71
    assert age_on("11010519491231002X", dt.date(2021, 12, 31)) == 72
    assert ID_AGE("11010519491231002X", "2021-12-31") == 72
    assert ID_AGE("11010519491231002X", 44561) == 72  # Excel serial of 2021-12-31


def test_future_birth_is_an_error():
    assert "晚于" in ID_AGE("11010520300101001X", "2021-01-01")


def test_masking():
    assert mask_id("11010519491231002X") == "1101**********002X"
    assert ID_MASK([["11010519491231002X"], ["440524188001010014"]]) == [["1101**********002X"], ["4405**********0014"]]
    assert mask_name("张三") == "张*" and mask_name("欧阳小明") == "欧***"
