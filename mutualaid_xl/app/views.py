"""设置 and the single-stay calculator: the policies as readable tables with their 文号, and one stay computed
by the engine with its explanation band by band."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel

from ..rules import engine
from ..rules.money import rmb_upper
from ..rules.policy import default_policy_id, get_policy, list_policies
from ..rules.values import parse_decimal, parse_whole

LABELS = {  # Chinese names of the policy files' keys; a key without one is shown as written in the file
    "fees": "交费标准", "shares": "按份参互", "eligibility": "参互条件", "participation": "单位参互比例",
    "dates": "办理与保障日期", "subsidy": "补助计算", "bands": "分段补助", "deductible": "起付线", "gate": "起付门槛",
    "allowance": "住院补贴", "cap": "封顶", "minimum": "保底", "targets": "任务指标", "exclusions": "除外责任",
    "amounts": "每人每期交费", "per_share": "按份", "fee_per_share": "每份金额", "min": "最少", "max": "最多",
    "age": "年龄范围（周岁）", "note": "说明", "min_ratio": "在职参互比例下限", "small_unit_max_staff": "小单位人数上限",
    "small_unit_min_ratio": "小单位比例下限", "renewal_target": "续互目标", "enrolment_start": "办理开始",
    "enrolment_end": "办理截止", "coverage_start": "保障开始", "coverage_end": "保障结束", "coverage_months": "保障月数",
    "rule_period_by": "跨期按", "claim_deadline_days": "申领期限（天）", "milestones": "时间节点",
    "first_stay": "首次住院", "later_stay": "再次住院", "threshold": "门槛", "brackets": "各段", "upto": "至（元）",
    "rate": "比例/标准", "rate_by_years": "按参互年数", "from_years": "参互年数起", "waiting_days": "等待天数",
    "max_days": "最多天数", "buckets": "天数分档", "upto_days": "住院天数至", "paid_days": "补贴天数",
    "first_stay_only": "仅首次住院", "per_period": "每期封顶", "per_stay": "每次封顶",
    "includes_allowance": "补贴计入封顶", "base": "计算基数", "rounding_unit": "取整单位", "prorate": "跨期折算",
    "interpretations": "本软件的理解", "year": "年度", "units": "单位", "unit": "单位", "target": "任务数",
    "items": "除外项目", "admission": "入院日期", "discharge": "出院日期", "self_pay": "自付费用",
    "total_cost": "总费用", "none": "无（只有住院补贴）", "amount": "金额",
}


def _text(value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, BaseModel):
        return "，".join(f"{LABELS.get(k, k)} {_text(v)}" for k, v in value if v is not None)
    if isinstance(value, dict):
        return "；".join(f"{LABELS.get(str(k), k)}：{_text(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return "\n".join(_text(v) for v in value)
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return LABELS.get(str(value), str(value))


def _sections(block: BaseModel, title: str) -> list[dict]:
    rows, nested = [], []
    for key, value in block:
        if key == "source" or value is None or value == [] or value == {}:
            continue
        if isinstance(value, BaseModel) and hasattr(value, "source"):
            nested += _sections(value, f"{title} › {LABELS.get(key, key)}")
        else:
            rows.append([LABELS.get(key, key), _text(value)])
    return [{"title": title, "source": block.source, "headers": ["项目", "规定"], "rows": rows}] + nested


def policy_view(policy_id: str) -> dict:
    """One policy as tables: each block with its 文号 (source)."""
    policy = get_policy(policy_id)
    sections = []
    for key, value in policy:
        if isinstance(value, BaseModel) and hasattr(value, "source"):
            sections += _sections(value, LABELS.get(key, key))
    return {"id": policy.id, "title": policy.title, "kind": "正式方案" if policy.kind == "production" else "参考预设",
            "region": policy.region, "period": policy.period, "documents": policy.documents, "notes": policy.notes,
            "sections": sections}


def policies() -> dict:
    return {"default": default_policy_id(),
            "policies": [{"id": p.id, "name": p.name, "region": p.region, "period": p.period} for p in list_policies()]}


CALC_FIELDS = {  # the fields of engine.Stay the calculator asks for, as `mutualaid subsidy` does
    "self_pay": "自付费用（元）", "days": "住院天数", "years": "连续参互年数", "paid_before": "本期已付补助金（元）",
    "covered_days": "保障期内住院天数（跨期时填）", "total_cost": "住院总费用（按总费用计算的方案）",
    "shares": "参互份数", "category": "人员类别（规则按类别区分时）",
}


def _money(form: dict, key: str) -> Decimal | None:
    text = str(form.get(key) or "").strip()
    return parse_decimal(text, CALC_FIELDS[key]) if text else None


def _whole(form: dict, key: str, default: int | None) -> int | None:
    text = str(form.get(key) or "").strip()
    return parse_whole(text, CALC_FIELDS[key]) if text else default


def calculate(form: dict) -> dict:
    """One stay through the engine, as `mutualaid subsidy --explain` shows it."""
    stay = engine.Stay(
        self_pay=_money(form, "self_pay"), days=_whole(form, "days", 0), years=_whole(form, "years", 1),
        first_stay=form.get("first_stay", "1") not in ("0", "false", ""), paid_before=_money(form, "paid_before") or Decimal(0),
        covered_days=_whole(form, "covered_days", None), total_cost=_money(form, "total_cost"),
        shares=_whole(form, "shares", 1), category=(form.get("category") or None),
    )
    result = engine.compute_subsidy(get_policy(form.get("policy") or None), stay)
    return {"amount": f"{result.amount:,}", "upper": rmb_upper(result.amount), "lines": result.lines,
            "bands": [[row.get("band", ""), row.get("base", ""), row.get("ratio", ""), row.get("subsidy", "")]
                      for row in result.bands]}
