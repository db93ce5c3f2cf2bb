"""Bad cells give a Chinese message naming the argument, in that row only."""

import datetime as dt

import pytest

from mutualaid_xl.udfs import ELIGIBLE, FEE, RMB_UPPER, SUBSIDY


@pytest.mark.parametrize("args, kwargs, words", [
    (("一万", 5), {}, ["self_pay（自付费用）", "“一万”不是数字"]),
    ((-100, 5), {}, ["self_pay（自付费用）", "不能为负数"]),
    ((1000, -1), {}, ["days（住院天数）", "不能小于 0"]),
    ((1000, 2.5), {}, ["days（住院天数）", "应为整数"]),
    ((1000, 5, 0), {}, ["years（连续参互年数）"]),
    ((1000, 5), {"policy": "gd-2099"}, ["policy（方案编号）", "未知的方案编号“gd-2099”"]),
    ((1000, None), {}, ["days（住院天数）", "为空"]),
    (("#N/A", 5), {}, ["self_pay（自付费用）", "Excel 错误值 #N/A"]),
    ((1000, "#DIV/0!"), {}, ["days（住院天数）", "#DIV/0!"]),
    ((1000, 5), {"first_stay": "也许"}, ["first_stay（首次住院）"]),
    ((1000, 5), {"covered_days": 9}, ["covered_days（期内天数）", "不能大于住院天数 5"]),
    ((5000, 5), {"total_cost": 1000}, ["self_pay（自付费用）", "大于住院总费用"]),
    ((1000, 5), {"shares": 2}, ["shares（份数）", "不按份数参互"]),
])
def test_subsidy_bad_arguments(args, kwargs, words):
    message = SUBSIDY(*args, **kwargs)
    assert message.startswith("#错误: ")
    for word in words:
        assert word in message


def test_lenient_numbers_are_accepted():
    assert SUBSIDY("20,000.00", "12", "2") == 11240.0
    assert SUBSIDY("２００００元", 12, 2) == 11240.0
    assert SUBSIDY("￥20000", 12.0, 2.0, "是") == 11240.0


def test_one_bad_row_does_not_break_the_column():
    result = SUBSIDY([[20000], ["abc"], [None], [200]], [[12], [3], [None], [2]], 2)
    assert result[0] == [11240.0]
    assert result[1][0].startswith("#错误: 参数 self_pay")
    assert result[2] == [""]  # a blank row stays blank
    assert result[3] == [200.0]


def test_fee_categories_and_aliases():
    assert FEE("在职") == 100.0 and FEE("退休") == 400.0
    assert FEE("retired") == 400.0 and FEE("in-service") == 100.0
    assert FEE("在职/续互") == 100.0  # nm prices by 在职/退休
    assert FEE("在职/续互", "yn-14") == 120.0 and FEE("new", "yn-14") == 150.0
    assert FEE("新参互", "yn-12") == 100.0 and FEE("续互", "yn-12") == 80.0
    assert FEE([["在职"], ["退休"], [None]]) == [[100.0], [400.0], [""]]


@pytest.mark.parametrize("args, words", [
    (("临时工",), ["category（类别）", "未知的类别“临时工”"]),
    (("续互",), ["交费标准按 在职/退休 区分"]),
    (("在职/退休",), ["同时含有 在职、退休"]),
    (("在职", "yn-18"), ["本期未配置交费标准"]),
    (("#VALUE!",), ["Excel 错误值 #VALUE!"]),
])
def test_fee_errors(args, words):
    message = FEE(*args)
    assert message.startswith("#错误: ")
    for word in words:
        assert word in message


def test_eligible():
    assert ELIGIBLE(_id("11010519800101001"), "在职", "2021-06-01") is True
    old = "11010519491231002X"
    assert ELIGIBLE(old, "在职", "2021-06-01") == "不符合：2021-06-01 时 71 周岁，在职人员年龄须在 16—60 周岁之间"
    assert ELIGIBLE(old, "退休", dt.date(2021, 6, 1)).startswith("不符合：2021-06-01 时 71 周岁")
    young = _id("11010520060101001")
    assert ELIGIBLE(young, "在职", "2021-06-01").startswith("不符合：2021-06-01 时 15 周岁")
    assert ELIGIBLE(young, "在职", "2022-01-01").startswith("不符合：2022-01-01 不在本期参互办理时间")
    assert ELIGIBLE("110105194912310021", "在职", "2021-06-01").startswith("不符合：身份证号校验位错误")
    assert ELIGIBLE(old, "在职", "2021-13-01").startswith("#错误: 参数 on_date（日期）")
    assert ELIGIBLE(old, "续互", "2021-06-01").startswith("#错误: ")
    assert "本期未配置参互条件" in ELIGIBLE(old, "续互", "2018-01-01", "yn-14")


def test_rmb_upper():
    assert RMB_UPPER(12345.67) == "壹万贰仟叁佰肆拾伍元陆角柒分"
    assert [RMB_UPPER(x) for x in (0, 0.05, 10.50, 100000.00, 1000001.01, 250000)] == [
        "零元整", "伍分", "壹拾元伍角整", "壹拾万元整", "壹佰万零壹元零壹分", "贰拾伍万元整"]
    assert RMB_UPPER("1,005") == "壹仟零伍元整"
    assert RMB_UPPER(0.005) == "壹分"  # half-up to the fen first


def _id(first17):
    from mutualaid_xl.rules.idcard import check_char
    return first17 + check_char(first17)
