"""The pure rules engine: subsidy for one hospital stay, fee, eligibility.

Knows nothing of Excel, Word or files. Takes typed values (Decimal, int, date), works in
exact fractions and rounds once, half-up, to the policy's unit at the end. Every result
carries a Chinese explanation a clerk can check line by line.

The subsidy is built from the policy's blocks, in this order:
base (self-pay / total cost / none) -> pro-rating by days inside coverage -> gate ->
deductible (first / later stay) -> progressive bands (a flat rate is one open band) ->
per-stay cap -> per-diem allowance (rate or rate by consecutive years, waiting days, day
buckets, day cap, shares, first stay only) -> per-period cap (with what was paid before;
the allowance inside or outside it) -> minimum top-up (only for a payable claim, never
beyond the cap) -> one rounding.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from ..errors import InputError, NotConfiguredError
from .dates import enrolment_problem
from .idcard import age_on, normalize_id
from . import plan, summary
from .money import round_down, round_half_up, yuan
from .policy import Allowance, Policy, by_category, normalize_category

ZERO = Fraction(0)


@dataclass(frozen=True)
class Stay:
    """One hospital stay (or one month of outpatient chronic treatment) of one member."""

    self_pay: Decimal | None = None
    days: int = 0
    years: int = 1
    first_stay: bool = True
    paid_before: Decimal = Decimal(0)
    covered_days: int | None = None
    total_cost: Decimal | None = None
    shares: int = 1
    category: str | None = None


@dataclass(frozen=True)
class SubsidyResult:
    amount: Decimal  # payable for this stay, rounded to the policy's unit
    cap_part: Decimal  # the part that counts toward the per-period cap (rounded the same way)
    benefit: Fraction  # 补助金 after caps, before top-up
    allowance: Fraction  # 住院补贴
    topup: Fraction  # 保底补足
    lines: list[str] = field(default_factory=list)
    short: list[str] = field(default_factory=list)
    bands: list[dict] = field(default_factory=list)  # rows for forms: band, base, ratio, subsidy (display)

    @property
    def explanation(self) -> str:
        return "\n".join(self.lines)

    @property
    def summary(self) -> str:
        """One line of at most 255 characters (the classic Excel bridge limit)."""
        return summary.join(self.short)


class _Explain:
    """Collects the long explanation and the short one-line summary side by side."""

    def __init__(self):
        self.lines: list[str] = []
        self.short: list[str] = []
        self.bands: list[dict] = []

    def add(self, line: str, short: str | None = None) -> None:
        self.lines.append(line)
        if short:
            self.short.append(short)


_pct = summary.percent


def _num(value) -> str:
    """12000 -> "12000", 0.5 -> "0.5"; exact values that are not decimals show as yuan."""
    if isinstance(value, Fraction):
        return summary.number(value.numerator, value.denominator)
    return summary.decimal(value)


def _check_stay(policy: Policy, stay: Stay) -> int:
    """Validate the stay against the policy; returns the covered days."""
    if stay.days < 0:
        raise InputError("住院天数不能为负数", argument="days")
    covered = stay.days if stay.covered_days is None else stay.covered_days
    if covered < 0:
        raise InputError("期内天数不能为负数", argument="covered_days")
    if covered > stay.days:
        raise InputError(f"期内天数 {covered} 不能大于住院天数 {stay.days}", argument="covered_days")
    if stay.years < 1:
        raise InputError("连续参互年数至少为 1", argument="years")
    if stay.paid_before < 0:
        raise InputError("期内已付补助金不能为负数", argument="paid_before")
    for name in ("self_pay", "total_cost"):
        value = getattr(stay, name)
        if value is not None and value < 0:
            raise InputError("金额不能为负数", argument=name)
    if stay.self_pay is not None and stay.total_cost is not None and stay.self_pay > stay.total_cost:
        raise InputError(
            f"自付费用 {yuan(stay.self_pay)} 大于住院总费用 {yuan(stay.total_cost)}", argument="self_pay"
        )
    if policy.shares is None:
        if stay.shares != 1:
            raise InputError(f"方案 {policy.id} 不按份数参互，份数只能为 1", argument="shares")
    elif not policy.shares.min <= stay.shares <= policy.shares.max:
        raise InputError(
            f"份数须在 {policy.shares.min}—{policy.shares.max} 份之间（{policy.shares.source}）",
            argument="shares",
        )
    return covered


def _bands(bands: plan.Bands, amount: Fraction, lines: _Explain) -> Fraction:
    total, lower = ZERO, Fraction(0)
    parts, short = [], []
    for band in bands.brackets:
        upper = None if band.upto is None else Fraction(band.upto)
        if amount <= lower:
            break
        slice_top = amount if upper is None else min(amount, upper)
        piece = (slice_top - lower) * Fraction(band.rate)
        total += piece
        top_text = "以上" if upper is None else f"—{_num(band.upto)}"
        parts.append(f"{_num(lower)}{top_text}元段 {yuan(slice_top - lower)} × {_pct(band.rate)} = {yuan(piece)}")
        short.append(summary.band_part(_num(slice_top - lower), _pct(band.rate)))
        lines.bands.append({"band": f"{_num(lower)}{top_text}元", "base": round_half_up(slice_top - lower),
                            "ratio": _pct(band.rate), "subsidy": round_half_up(piece)})
        if upper is None:
            break
        lower = upper
    last = bands.brackets[-1].upto
    if last is not None and amount > Fraction(last):
        parts.append(f"超过 {_num(last)} 的 {yuan(amount - Fraction(last))} 不予补助")
    lines.add(
        f"分段补助（{bands.source}）：" + ("；".join(parts) or "无"),
        summary.bands(short, _num(total)) if short else None,
    )
    return total


def _allowance(policy: Policy, block: Allowance, stay: Stay, days: int, lines: _Explain) -> Fraction:
    if block.first_stay_only and not stay.first_stay:
        lines.add(f"住院补贴：期内非首次住院，不享受（{block.source}）", summary.NOT_FIRST_STAY)
        return ZERO
    counted = max(0, days - block.waiting_days)
    notes = []
    if block.waiting_days:
        notes.append(f"前 {block.waiting_days} 天不补")
    if block.buckets:
        for bucket in block.buckets:
            if bucket.upto_days is None or counted <= bucket.upto_days:
                notes.append(
                    f"{'超过' if bucket.upto_days is None else '不超过'}"
                    f"{'' if bucket.upto_days is None else bucket.upto_days}天档补 {bucket.paid_days} 天"
                )
                counted = min(counted, bucket.paid_days)
                break
    if block.max_days is not None and counted > block.max_days:
        notes.append(f"最多 {block.max_days} 天")
        counted = block.max_days
    if block.rate_by_years is not None:
        rate = max((r for r in block.rate_by_years if r.from_years <= stay.years), key=lambda r: r.from_years).rate
        rate_text = f"{_num(rate)} 元/天（连续参互 {stay.years} 年）"
    else:
        rate = by_category(block.rate, stay.category, "住院补贴标准", policy.id)
        rate_text = f"{_num(rate)} 元/天"
    amount = Fraction(counted) * Fraction(rate)
    if block.per_share:
        amount *= stay.shares
        rate_text += f" × {stay.shares} 份"
    note = f"（{'，'.join(notes)}）" if notes else ""
    lines.add(
        f"住院补贴：{counted} 天{note} × {rate_text} = {yuan(amount)}（{block.source}）",
        summary.allowance(counted, _num(rate), stay.shares if block.per_share else None, _num(amount)),
    )
    return amount


@dataclass
class _Run:
    """One stay on its way through the plan: the exact amounts so far and the explanation."""

    policy: Policy
    stay: Stay
    covered: int
    lines: _Explain
    base: Fraction = ZERO
    base_name: str = ""
    amount: Fraction = ZERO          # the base after gate and deductible
    allowance_days: int = 0
    payable: bool = False            # the minimum top-up applies only to a claim with something to subsidise
    benefit: Fraction = ZERO
    allowance: Fraction = ZERO
    topup: Fraction = ZERO
    per_stay: Fraction | None = None
    includes_allowance: bool = False
    room: Fraction | None = None
    room_before: Fraction | None = None
    result: SubsidyResult | None = None

    def pick(self, value, what: str) -> Fraction:
        return Fraction(by_category(value, self.stay.category, what, self.policy.id))


def _base(run: _Run, block: plan.Base) -> None:
    stay = run.stay
    if block.kind == "self_pay":
        if stay.self_pay is None:
            raise InputError("本方案按自付费用计算，请填写自付费用", argument="self_pay")
        run.base, run.base_name = Fraction(stay.self_pay), summary.BASE_NAMES["self_pay"]
    elif block.kind == "total_cost":
        if stay.total_cost is None:
            raise InputError("本方案按住院总费用计算，请填写总费用（total_cost）", argument="total_cost")
        run.base, run.base_name = Fraction(stay.total_cost), summary.BASE_NAMES["total_cost"]
    if run.base_name:
        run.lines.add(f"{run.base_name} {yuan(run.base)} 元，住院 {stay.days} 天")
    else:
        run.lines.add(f"住院 {stay.days} 天（本方案只有住院补贴）")
    run.allowance_days = stay.days
    if run.covered < stay.days:
        if block.prorate:
            run.base *= Fraction(run.covered, stay.days)
            run.allowance_days = run.covered
            run.lines.add(
                f"跨保障期：期内 {run.covered} 天 / 共 {stay.days} 天，{run.base_name or '计算'}按比例折算为 "
                f"{yuan(run.base)}（{block.source}）",
                summary.prorated(run.covered, stay.days, run.base_name, _num(run.base)),
            )
        else:
            run.lines.add(f"期内 {run.covered} 天 / 共 {stay.days} 天：本方案不按天数折算")
    run.payable = run.base > 0
    run.amount = run.base


def _gate(run: _Run, block: plan.Gate) -> None:
    threshold = run.pick(block.threshold, "起付门槛")
    if run.amount <= threshold:
        run.lines.add(f"{run.base_name} 未超过 {yuan(threshold)}，不予补助（{block.source}）",
                      summary.gate(False, _num(threshold)))
        run.amount, run.payable = ZERO, False
    else:
        run.lines.add(f"{run.base_name} 超过 {yuan(threshold)}，全额按比例计算（{block.source}）",
                      summary.gate(True, _num(threshold)))


def _deductible(run: _Run, block: plan.Deductible) -> None:
    if run.amount <= 0:
        return
    first = run.stay.first_stay
    deduct = run.pick(block.later if not first and block.later is not None else block.first, "起付额")
    which = "" if block.later is None else ("（首次住院）" if first else "（再次住院）")
    run.lines.add(
        f"扣除起付额{which} {yuan(deduct)}，计算基数 {yuan(max(ZERO, run.amount - deduct))}（{block.source}）",
        summary.deductible(_num(deduct)),
    )
    run.amount = max(ZERO, run.amount - deduct)
    run.payable = run.payable and run.amount > 0


def _band_step(run: _Run, block: plan.Bands) -> None:
    if block.brackets is None:
        raise NotConfiguredError(f"本期未配置补助分段比例（方案 {run.policy.id}：{run.policy.name}）；"
                                 "请在方案文件中补充 [subsidy.bands]")
    if run.amount > 0:
        run.benefit = _bands(block, run.amount, run.lines)


def _stay_cap(run: _Run, block: plan.StayCap) -> None:
    run.per_stay = run.pick(block.amount, "单次封顶")
    run.includes_allowance = block.includes_allowance
    if run.benefit > run.per_stay:
        run.lines.add(f"单次住院封顶 {yuan(run.per_stay)}（{block.source}）", summary.stay_cap(_num(run.per_stay)))
        run.benefit = run.per_stay


def _allowance_step(run: _Run, block: plan.DayAllowance) -> None:
    run.allowance = _allowance(run.policy, block.rule, run.stay, run.allowance_days, run.lines)
    if block.only_income:
        run.payable = run.allowance > 0   # allowance-only schemes: a paid day makes the claim payable


def _period_cap(run: _Run, block: plan.PeriodCap) -> None:
    stay = run.stay
    limit = run.pick(block.amount, "期内封顶")
    run.includes_allowance = block.includes_allowance
    room = run.room_before = max(ZERO, limit - Fraction(stay.paid_before))
    what = "补助金与住院补贴" if block.includes_allowance else "补助金"
    capped_benefit = min(run.benefit, room)
    capped_allowance = min(run.allowance, room - capped_benefit) if block.includes_allowance else run.allowance
    text = f"期内封顶 {yuan(limit)}（{what}），已付 {yuan(stay.paid_before)}，剩余 {yuan(room)}"
    short = None
    if (capped_benefit, capped_allowance) != (run.benefit, run.allowance):
        reduced = capped_benefit + (capped_allowance if block.includes_allowance else 0)
        text += f"，本次减为 {yuan(reduced)}"
        short = summary.period_cap(_num(room), _num(reduced))
    run.lines.add(f"{text}（{block.source}）", short)
    run.benefit, run.allowance = capped_benefit, capped_allowance
    run.room = room - run.benefit - (run.allowance if block.includes_allowance else 0)


def _minimum(run: _Run, block: plan.Minimum) -> None:
    if not run.payable:
        run.lines.add("本次无可补助金额，不适用保底")
        return
    floor = run.pick(block.amount, "保底金额")
    if run.benefit + run.allowance >= floor:
        return
    run.topup = floor - run.benefit - run.allowance
    if run.room is not None and run.topup > run.room:
        run.topup = run.room
        run.lines.add(f"保底 {yuan(floor)}：封顶剩余额度不足，只补 {yuan(run.topup)}（{block.source}）",
                      summary.topup(_num(run.topup), True))
    else:
        run.lines.add(f"合计不足 {yuan(floor)}，补足 {yuan(run.topup)}（{block.source}）", summary.topup(_num(run.topup), False))


def _rounding(run: _Run, block: plan.Rounding) -> None:
    benefit, allowance, topup, unit = run.benefit, run.allowance, run.topup, block.unit
    counted_allowance = allowance if run.includes_allowance else ZERO
    total = benefit + allowance + topup
    amount = round_half_up(total, unit)
    cap_part_exact = benefit + topup + counted_allowance
    cap_part = round_half_up(cap_part_exact, unit)
    limits = [] if run.room_before is None else [run.room_before]
    if run.per_stay is not None:  # the per-stay cap limits 补助金; the top-up is not subject to it
        limits.append(run.per_stay + topup + counted_allowance)
    if limits and cap_part > min(limits):
        # rounding up must not break a cap (e.g. whole-yuan rounding next to the limit)
        amount, cap_part = round_down(total, unit), round_down(cap_part_exact, unit)
        run.lines.add("四舍五入后将超过封顶余额，改为舍去尾数", summary.ROUNDED_DOWN)
    parts = [f"补助金 {yuan(benefit)}"]
    if block.has_allowance:
        parts.append(f"住院补贴 {yuan(allowance)}")
    if topup:
        parts.append(f"保底补足 {yuan(topup)}")
    unit_text = "元" if unit == 1 else f"{_num(unit)} 元"
    run.lines.add(f"应付 {yuan(amount)} 元 = {' + '.join(parts)}（四舍五入到 {unit_text}）", summary.payable(int(amount.scaleb(2)), unit >= 1))
    lines = run.lines
    run.result = SubsidyResult(amount, cap_part, benefit, allowance, topup, lines.lines, lines.short, lines.bands)


_STEPS = {plan.Base: _base, plan.Gate: _gate, plan.Deductible: _deductible, plan.Bands: _band_step,
          plan.StayCap: _stay_cap, plan.DayAllowance: _allowance_step, plan.PeriodCap: _period_cap,
          plan.Minimum: _minimum, plan.Rounding: _rounding}


def compute_subsidy(policy: Policy, stay: Stay) -> SubsidyResult:
    """The amount payable for one stay, with its explanation."""
    steps = plan.compile_plan(policy)
    run = _Run(policy, stay, _check_stay(policy, stay), _Explain())
    run.lines.add(f"方案：{policy.title}", policy.id)
    for block in steps.blocks:
        _STEPS[type(block)](run, block)
    return run.result


# ---------------------------------------------------------------- fee and eligibility


def _pick_category(policy: Policy, text: str, table: dict, what: str) -> str:
    wanted = normalize_category(text)
    matches = sorted({c for c in wanted if c in table}, key=wanted.index)
    if not matches:
        raise NotConfiguredError(
            f"方案 {policy.id} 的{what}按 {'/'.join(table)} 区分，收到“{text}”",
        )
    if len(matches) > 1:
        raise InputError(f"类别“{text}”同时含有 {'、'.join(matches)}，请只写一个", argument="category")
    return matches[0]


def fee_for(policy: Policy, category: str) -> tuple[Decimal, str]:
    """Fee per person per period for a category text ("在职", "续互", "在职/续互", "retired")."""
    fees = policy.require("fees", "交费标准")
    if not fees.amounts and fees.per_share is not None:
        normalize_category(category)  # still reject unknown words
        return fees.per_share, "每份"
    chosen = _pick_category(policy, category, fees.amounts, "交费标准")
    return fees.amounts[chosen], chosen


def check_eligibility(policy: Policy, id_number, category: str, on_date: dt.date) -> str | None:
    """None when the person may join on that date, else a reason beginning with 不符合."""
    rules = policy.require("eligibility", "参互条件")
    try:
        id18 = normalize_id(id_number)
    except InputError as error:
        return f"不符合：身份证号{error.message.removeprefix('身份证号')}"
    chosen = _pick_category(policy, category, rules.age, "参互年龄条件")
    window = enrolment_problem(policy, on_date)
    if window:
        return window
    try:
        age = age_on(id18, on_date)
    except InputError as error:
        return f"不符合：{error.message}"
    limits = rules.age[chosen]
    if (limits.min is not None and age < limits.min) or (limits.max is not None and age > limits.max):
        if limits.min is not None and limits.max is not None:
            allowed = f"在 {limits.min}—{limits.max} 周岁之间"
        elif limits.max is not None:
            allowed = f"不超过 {limits.max} 周岁"
        else:
            allowed = f"不小于 {limits.min} 周岁"
        return f"不符合：{on_date:%Y-%m-%d} 时 {age} 周岁，{chosen}人员年龄须{allowed}"
    return None
