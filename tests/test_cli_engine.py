"""The command line: Chinese output, exit codes scripts can trust, no tracebacks."""

from typer.testing import CliRunner

from mutualaid_xl.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, list(args))


def test_policies_lists_all_built_in_ids():
    result = run("policies")
    assert result.exit_code == 0
    for policy_id in ("nm-2021", "yn-12", "yn-14", "yn-18", "zjk-14", "hangzhou", "beijing"):
        assert policy_id in result.output
    assert "参考预设" in result.output


def test_policy_show_prints_rules_and_sources():
    result = run("policy", "show", "nm-2021")
    assert result.exit_code == 0
    assert "内工发〔2021〕5号" in result.output and "补助 · 封顶" in result.output
    assert "250000" in result.output
    missing = run("policy", "show", "yn-14")
    assert "参互条件：本期未配置" in missing.output


def test_subsidy_amount_and_explanation():
    assert run("subsidy", "--self-pay", "20000", "--days", "12", "--years", "2").output.strip() == "11240.00"
    explained = run("subsidy", "-s", "200", "-d", "2", "--explain")
    assert "补足 100.00" in explained.output and "大写：贰佰元整" in explained.output
    assert run("subsidy", "-s", "1000", "-d", "5", "--later-stay", "--paid-before", "249900").output.strip() == "100.00"
    assert run("subsidy", "-d", "11", "--shares", "2", "-p", "zjk-14").output.strip() == "1120.00"


def test_bad_input_is_a_chinese_error_with_exit_2_and_no_traceback():
    for args, words in [
        (("subsidy", "-s", "abc", "-d", "3"), "“abc”不是数字"),
        (("subsidy", "-s", "100", "-d", "3", "-p", "nope"), "未知的方案编号"),
        (("subsidy", "-s", "100", "-d", "3", "-p", "yn-14"), "本期未配置补助分段比例"),
        (("policy", "show", "nope"), "未知的方案编号"),
        (("fee", "临时工"), "未知的类别"),
    ]:
        result = run(*args)
        assert result.exit_code == 2, args
        assert words in result.output and "Traceback" not in result.output


def test_fee_eligible_id():
    assert "400.00 元（退休" in run("fee", "退休").output
    ok = run("eligible", "11010519800101001" + _check("11010519800101001"), "在职", "2021-06-01")
    assert ok.exit_code == 0 and "符合参互条件" in ok.output
    old = run("eligible", "11010519491231002X", "在职", "2021-06-01")
    assert old.exit_code == 1 and "不符合" in old.output
    checked = run("id", "11010519491231002X", "--on", "2021-06-01")
    assert checked.exit_code == 0 and "1101**********002X" in checked.output and "71 周岁" in checked.output
    assert "11010519491231002X" not in checked.output  # never print a full ID
    bad = run("id", "110105194912310021")
    assert bad.exit_code == 1 and "校验位错误" in bad.output and "110105194912310021" not in bad.output


def _check(first17):
    from mutualaid_xl.rules.idcard import check_char
    return check_char(first17)


def test_error_messages_never_show_a_full_id():
    """A message that quotes an ID (here: the reason a stay cannot be computed) is masked by the CLI."""
    result = run("subsidy", "-s", "100", "-d", "3", "-p", "11010519491231002X")
    assert result.exit_code == 2
    assert "1101**********002X" in result.output and "11010519491231002X" not in result.output
