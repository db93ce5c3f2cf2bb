"""Commands for policies and single calculations: policies, policy show, subsidy, fee, eligible, id."""

from __future__ import annotations

from decimal import Decimal
from typing import Optional

import typer
from rich.table import Table

from ..rules import engine
from ..errors import MutualAidError
from ..rules.idcard import age_on, mask_id, mask_ids_in, normalize_id, sex
from ..rules.money import rmb_upper, yuan
from ..rules.policy import default_policy_id, get_policy, list_policies
from ..rules.values import parse_date, parse_decimal, parse_whole
from .common import console, fail
from .policy_table import print_policy

policy_app = typer.Typer(help="查看方案（每期政策）文件。", no_args_is_help=True)

POLICY_OPTION = typer.Option(None, "--policy", "-p", help="方案编号，如 nm-2021（默认取环境变量 MUTUALAID_POLICY，否则 nm-2021）")


def _money(text: Optional[str], argument: str) -> Optional[Decimal]:
    return None if text is None else parse_decimal(text, argument)


def policies() -> None:
    """列出所有可用方案（内置方案和 MUTUALAID_POLICY_PATH 目录中的方案）。

    示例：mutualaid policies
    """

    try:
        items = list_policies()
    except MutualAidError as error:
        fail(error)
    table = Table(title="可用方案（mutualaid policy show 编号 查看详情）")
    for column in ("编号", "名称", "类型"):
        table.add_column(column, no_wrap=column == "编号")
    default = default_policy_id()
    for policy in items:
        kind = {"production": "正式", "draft": "测算草案"}.get(policy.kind, "参考预设")
        mark = "（默认）" if policy.id == default else ""
        table.add_row(policy.id + mark, policy.name, kind)
    console.print(table)


@policy_app.command("show")
def policy_show(policy_id: str = typer.Argument(..., help="方案编号，如 nm-2021")) -> None:
    """显示一个方案的全部规则及其文号出处。

    示例：mutualaid policy show nm-2021
    """

    try:
        policy = get_policy(policy_id)
    except MutualAidError as error:
        fail(error)
    print_policy(console, policy)


def subsidy(
    self_pay: Optional[str] = typer.Option(None, "--self-pay", "-s", help="自付费用（元），如 20000 或 1,234.50"),
    days: int = typer.Option(..., "--days", "-d", help="住院天数（以医保结算单为准）"),
    years: int = typer.Option(1, "--years", "-y", help="连续参互年数"),
    first_stay: bool = typer.Option(True, "--first-stay/--later-stay", help="是否本期首次住院"),
    paid_before: str = typer.Option("0", "--paid-before", help="本期已付该会员的补助金（元）"),
    covered_days: Optional[int] = typer.Option(None, "--covered-days", help="保障期内的住院天数（跨期折算）"),
    total_cost: Optional[str] = typer.Option(None, "--total-cost", help="住院总费用（按总费用计算的方案）"),
    shares: int = typer.Option(1, "--shares", help="参互份数（按份参互的方案）"),
    category: Optional[str] = typer.Option(None, "--category", help="人员类别（规则按类别区分时）"),
    policy: Optional[str] = POLICY_OPTION,
    explain: bool = typer.Option(False, "--explain", "-e", help="逐项说明计算过程及文号出处"),
) -> None:
    """计算一次住院的补助金额（补助金 + 住院补贴，含保底和封顶）。

    示例：mutualaid subsidy --self-pay 20000 --days 12 --years 2 --explain
    """

    try:
        stay = engine.Stay(
            self_pay=_money(self_pay, "self_pay"), days=parse_whole(days, "days"),
            years=parse_whole(years, "years", minimum=1), first_stay=first_stay,
            paid_before=parse_decimal(paid_before, "paid_before"),
            covered_days=None if covered_days is None else parse_whole(covered_days, "covered_days"),
            total_cost=_money(total_cost, "total_cost"), shares=shares, category=category,
        )
        result = engine.compute_subsidy(get_policy(policy), stay)
    except MutualAidError as error:
        fail(error)
    if explain:
        for line in result.lines:
            console.print(line, highlight=False)
        console.print(f"大写：{rmb_upper(result.amount)}")
    else:
        console.print(f"{result.amount}", highlight=False)


def fee(
    category: str = typer.Argument(..., help="人员类别：在职、退休、续互、新参互（可写“在职/续互”）"),
    policy: Optional[str] = POLICY_OPTION,
) -> None:
    """查询每人每期应交互助金。

    示例：mutualaid fee 退休 --policy nm-2021
    """

    try:
        p = get_policy(policy)
        amount, chosen = engine.fee_for(p, category)
    except MutualAidError as error:
        fail(error)
    console.print(f"{yuan(amount)} 元（{chosen}，{p.fees.source}）", highlight=False)


def eligible(
    id_number: str = typer.Argument(..., help="身份证号"),
    category: str = typer.Argument(..., help="人员类别：在职或退休"),
    on_date: str = typer.Argument(..., help="参互日期，如 2021-06-01"),
    policy: Optional[str] = POLICY_OPTION,
) -> None:
    """判断某人在某日能否参互（年龄、办理期限、身份证号）。不符合时退出码为 1。

    示例：mutualaid eligible 11010519491231002X 在职 2021-06-01
    """

    try:
        reason = engine.check_eligibility(get_policy(policy), id_number, category, parse_date(on_date, "on_date"))
    except MutualAidError as error:
        fail(error)
    if reason:
        console.print(mask_ids_in(reason), highlight=False)
        raise typer.Exit(1)
    console.print("符合参互条件")


def id_check(
    id_number: str = typer.Argument(..., help="身份证号"),
    on_date: Optional[str] = typer.Option(None, "--on", help="计算年龄的日期（默认今天）"),
) -> None:
    """校验身份证号：校验位、出生日期、性别、年龄（只显示脱敏号码）。无效时退出码为 1。

    示例：mutualaid id 11010519491231002X --on 2021-06-01
    """
    import datetime as dt

    try:
        id18 = normalize_id(id_number)
        on = parse_date(on_date, "on") if on_date else dt.date.today()
        console.print(f"{mask_id(id18)}：有效，{sex(id18)}，{age_on(id18, on)} 周岁（{on:%Y-%m-%d}）")
    except MutualAidError as error:
        console.print(f"{mask_id(id_number)}：无效，{error.message}", highlight=False)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("policies")(policies)
    app.add_typer(policy_app, name="policy")
    app.command("subsidy")(subsidy)
    app.command("fee")(fee)
    app.command("eligible")(eligible)
    app.command("id")(id_check)
