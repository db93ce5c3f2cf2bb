"""`mutualaid policy show` as Chinese tables that fit 80 columns: one table per block of the
policy file, each rule with its 文号 source underneath; no field names, dictionaries or True/False."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console
from rich.markup import escape
from rich.table import Table

BLOCKS = {"fees": "交费标准", "shares": "参互份数", "eligibility": "参互条件", "participation": "参互比例",
          "dates": "日期", "subsidy": "补助", "targets": "任务分配", "exclusions": "除外责任",
          "checks": "人工核对事项"}
LABELS = {
    "amounts": "每人每期交费（元）", "fee_per_share": "每份交费（元）", "min": "最少", "max": "最多",
    "age": "年龄（周岁，含两端）", "note": "说明", "min_ratio": "单位最低参互比例",
    "small_unit_max_staff": "小单位人数上限", "small_unit_min_ratio": "小单位最低参互比例",
    "renewal_target": "续会率目标", "enrolment_start": "办理开始", "enrolment_end": "办理截止",
    "coverage_start": "保障期开始", "coverage_end": "保障期结束", "coverage_months": "保障期（月）",
    "rule_period_by": "适用哪一期的规则", "claim_deadline_days": "申请期限（结算后天数）", "milestones": "时间节点",
    "base": "计算基数", "rounding_unit": "舍入到（元）", "prorate": "跨保障期按天数折算",
    "bands": "分段补助", "brackets": "分段", "upto": "至（元）", "rate": "比例", "deductible": "起付线",
    "first_stay": "期内首次住院", "later_stay": "再次住院", "gate": "补助门槛", "threshold": "不超过此数不补（元）",
    "allowance": "住院补贴", "rate_by_years": "按连续参互年数", "from_years": "自第几年", "waiting_days": "前几天不补",
    "max_days": "最多天数", "buckets": "按住院天数分档", "upto_days": "住院天数至", "paid_days": "补贴天数",
    "first_stay_only": "仅期内首次住院", "per_share": "按份数计", "cap": "封顶", "per_period": "每个保障期最高（元）",
    "per_stay": "每次住院最高（元）", "includes_allowance": "住院补贴计入封顶", "minimum": "保底",
    "amount": "金额（元）", "interpretations": "本工具的理解", "year": "年度", "units": "各单位任务（人）",
    "unit": "单位", "target": "任务", "items": "条目", "retiree_years": "退休人员须连续参互的年度",
    "rule_sources": "各条规则的原文", "monthly_from": "自此日起每月只在前几个工作日办理",
    "monthly_workdays": "每月办理的工作日数", "maternity": "生育住院", "chronic": "门诊特殊慢性病",
    "left_insurance": "退出城镇职工医保", "retiree": "退休人员连续参互", "required_insurance": "须参加的医保",
}
VALUES = {"self_pay": "自付费用", "total_cost": "住院总费用", "none": "不按费用（只给住院补贴）",
          "admission": "按入院日期", "discharge": "按出院日期"}
PERCENT = {"min_ratio", "small_unit_min_ratio", "renewal_target"}
SKIP = {"source"}


def _label(key: str, parent: str = "") -> str:
    return "每天补贴（元）" if key == "rate" and parent == "rate_by_years" else LABELS.get(key, key)


def _pair(key: str, value, parent: str) -> str:
    label = _label(key, parent)
    return f"{label}{'' if label.endswith('）') else ' '}{_value(key, value, parent)}"


def _value(key: str, value, parent: str = "") -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if key in PERCENT or (key == "rate" and parent == "brackets"):
        return f"{(Decimal(str(value)) * 100).normalize():f}%"
    if key == "rule_sources":   # one rule's own words per line, under its Chinese name
        return "\n".join(f"{_label(k)}：{v}" for k, v in value.items())
    if isinstance(value, dict):
        return "；".join(_pair(k, v, key) if not isinstance(v, dict) else f"{k}：{_value(k, v, key)}"
                        for k, v in value.items())
    if isinstance(value, list):
        if all(isinstance(item, dict) for item in value):
            return "\n".join("，".join(_pair(k, v, key) for k, v in item.items()) for item in value)
        return "\n".join(f"{number}、{item}" for number, item in enumerate(value, 1))
    return VALUES.get(str(value), str(value))


def block_tables(name: str, title: str, block: dict) -> list[Table]:
    """The table of one block, then one per sub-block that has its own source."""
    table = Table(title=escape(title), caption=escape(f"出处：{block['source']}"), show_header=True,
                  title_justify="left", caption_justify="left", expand=True)
    table.add_column("项目", width=22, overflow="fold")
    table.add_column("规定", ratio=3, overflow="fold")
    tables = [table]
    for key, value in block.items():
        if key in SKIP:
            continue
        if isinstance(value, dict) and "source" in value:
            tables += block_tables(key, f"{title} · {LABELS.get(key, key)}", value)
        elif key == "units" and name == "targets":
            for unit in value:
                table.add_row(escape(unit["unit"]), f"{unit['target']} 人")
        else:
            table.add_row(escape(LABELS.get(key, key)), escape(_value(key, value, name)))
    return tables


def print_policy(console: Console, policy) -> None:
    kind = "正式方案" if policy.kind == "production" else "参考预设"
    console.print(f"[bold]{escape(policy.name)}[/]（{escape(policy.id)}，{kind}）", highlight=False)
    console.print(f"地区：{escape(policy.region)}　期次：{escape(policy.period)}", highlight=False)
    console.print(f"文件：{escape(str(policy.path))}", highlight=False)
    for document in policy.documents:
        console.print(f"依据：{escape(document)}", highlight=False)
    for note in policy.notes:
        console.print(f"说明：{escape(note)}", highlight=False)
    data = policy.model_dump(mode="json", exclude_none=True)
    for name, title in BLOCKS.items():
        if name not in data:
            console.print(f"[dim]{title}：本期未配置[/]", highlight=False)
            continue
        for table in block_tables(name, title, data[name]):
            console.print(table, highlight=False)
