"""Excel worksheet functions (xlwings). Thin adapter over the engine.

Every function is also plain Python (``from mutualaid_xl.udfs import SUBSIDY``): on a
machine without Excel the xlwings decorators are no-ops. Every argument may be a single
value or a range (a list of rows, as xlwings passes it with ndim=2, or a flat list taken
as a column); single values are broadcast over the ranges and the result has the ranges'
shape. A bad row gives the text "#错误: …" in that row only. A row whose required cells
are all empty gives an empty cell, so a formula can cover a whole column with blank rows.
"""

from decimal import Decimal

import xlwings as xw

from ..rules import dates, engine
from ..errors import InputError, MutualAidError
from ..rules.idcard import age_on, id_problem, mask_id, normalize_id
from ..rules.money import rmb_upper
from ..rules.policy import get_policy
from ..rules.values import is_blank, parse_bool, parse_date, parse_decimal, parse_text, parse_whole
from ..rules.columns import stay_from_cells

ERROR_PREFIX = "#错误: "
CATEGORY = "职工互助"  # the group Excel's Insert Function dialog shows them under
LABELS = {
    "self_pay": "自付费用", "days": "住院天数", "years": "连续参互年数", "first_stay": "首次住院",
    "paid_before": "期内已付补助金", "policy": "方案编号", "covered_days": "期内天数",
    "total_cost": "住院总费用", "shares": "份数", "category": "类别", "id_number": "身份证号",
    "on_date": "日期", "amount": "金额", "admitted": "入院日期", "discharged": "出院日期", "joined": "参互日期",
    "settled": "医保结算日期", "applied": "申请日期", "late_ok": "逾期特批",
}


def _message(error: MutualAidError) -> str:
    where = f"参数 {error.argument}（{LABELS[error.argument]}）：" if error.argument in LABELS else ""
    return ERROR_PREFIX + where + error.message


def _as_grid(value):
    """A range as a list of rows; None for a single value."""
    if not isinstance(value, (list, tuple)):
        return None
    return [list(row) if isinstance(row, (list, tuple)) else [row] for row in value]


def _broadcast(row_function, required: tuple[str, ...], **arguments):
    """Apply ``row_function`` cell by cell over the arguments' common shape.

    Single values and 1x1 ranges are broadcast; the result is a single value when no
    argument was a range, else a range of the common shape.
    """
    grids = {name: grid for name, value in arguments.items() if (grid := _as_grid(value)) is not None}
    scalars = {k: v for k, v in arguments.items() if k not in grids}
    if not grids:
        return _one(row_function, required, scalars)
    ragged = [name for name, grid in grids.items() if len({len(row) for row in grid}) > 1]
    if ragged:
        return ERROR_PREFIX + f"区域 {'、'.join(ragged)} 各行长度不同，请选择一个矩形区域"
    shapes = {name: (len(grid), len(grid[0]) if grid else 0) for name, grid in grids.items()}
    big = {name: shape for name, shape in shapes.items() if shape != (1, 1)}
    shape = next(iter(big.values()), (1, 1))
    if any(s != shape for s in big.values()):
        detail = "，".join(f"{name} {r}行×{c}列" for name, (r, c) in big.items())
        return ERROR_PREFIX + f"各区域大小不一致（{detail}）"
    scalars.update({name: grids.pop(name)[0][0] for name in list(grids) if name not in big})
    return [
        [
            _one(row_function, required, {**scalars, **{k: g[r][c] for k, g in grids.items()}})
            for c in range(shape[1])
        ]
        for r in range(shape[0])
    ]


def _plain(value):
    """A Decimal NaN or infinity (only a Python caller passes Decimals) as the float Excel would hold."""
    if isinstance(value, Decimal) and not value.is_finite():
        return float("nan") if value.is_nan() else float(value)
    return value


def _one(row_function, required, values):
    values = {name: _plain(value) for name, value in values.items()}
    if required and all(is_blank(values[name]) for name in required):
        return ""
    try:
        return row_function(**values)
    except MutualAidError as error:
        return _message(error)
    except Exception as error:  # noqa: BLE001 - one bad row must never break the column
        return ERROR_PREFIX + f"内部错误（{type(error).__name__}），请把本行数据报告给开发者"


def _policy(value):
    return get_policy(None if is_blank(value) else parse_text(value, "policy"))


def _optional_date(value, argument: str):
    return None if is_blank(value) else parse_date(value, argument)


def _from_dates(policy, days, covered_days, admitted, discharged, joined, settled, applied, late_ok):
    """住院天数 and 期内天数 from the dates where not typed; a late claim refused unless 逾期特批."""
    admitted, discharged = _optional_date(admitted, "admitted"), _optional_date(discharged, "discharged")
    if admitted and discharged:
        if discharged < admitted:
            raise InputError(f"出院日期 {discharged:%Y-%m-%d} 早于入院日期 {admitted:%Y-%m-%d}", argument="discharged")
        if is_blank(days):
            days = dates.stay_days(admitted, discharged)
        period = dates.cover(policy, _optional_date(joined, "joined"))
        if period and is_blank(covered_days):
            covered_days = dates.covered_days(admitted, discharged, period)
            if covered_days == 0:
                raise InputError(f"住院不在保障期（{period[0]:%Y-%m-%d} 至 {period[1]:%Y-%m-%d}）内，不予补助",
                                 argument="joined")
            if not is_blank(days) and not isinstance(days, bool):
                covered_days = min(covered_days, parse_whole(days, "days"))
    settled, applied = _optional_date(settled, "settled"), _optional_date(applied, "applied")
    if settled and applied:
        late = dates.late_reason(policy, settled, applied)
        if late and not (not is_blank(late_ok) and parse_bool(late_ok, "late_ok")):
            raise InputError(f"{late}；经特批的请把 late_ok（逾期特批）设为 TRUE", argument="applied")
    return days, covered_days


def _subsidy_result(self_pay, days, years, first_stay, paid_before, policy, covered_days, total_cost, shares,
                    admitted=None, discharged=None, joined=None, settled=None, applied=None, late_ok=None):
    chosen = _policy(policy)
    days, covered_days = _from_dates(chosen, days, covered_days, admitted, discharged, joined, settled, applied,
                                     late_ok)
    stay = stay_from_cells(self_pay, days, years, first_stay, paid_before, covered_days, total_cost, shares)
    return engine.compute_subsidy(chosen, stay)


_SUBSIDY_DOCS = {
    "self_pay": "自付费用（医保报销后的统筹内自付部分，元）",
    "days": "住院天数（以医保结算单为准）",
    "years": "连续参互年数（默认 1）",
    "first_stay": "是否本期首次住院（默认 TRUE）",
    "paid_before": "本期已付给该会员的补助金（默认 0）",
    "policy": "方案编号，如 nm-2021（默认取 MUTUALAID_POLICY 或 nm-2021）",
    "covered_days": "在保障期内的住院天数（跨期按比例折算，默认=住院天数）",
    "total_cost": "住院总费用（按总费用计算的方案用）",
    "shares": "参互份数（按份参互的方案用，默认 1）",
    "admitted": "入院日期（住院天数为空时由入出院日期得出）",
    "discharged": "出院日期",
    "joined": "参互日期（给出时按方案的保障期得出期内天数）",
    "settled": "医保结算日期（与申请日期一起核对申请期限）",
    "applied": "申请日期",
    "late_ok": "逾期特批（TRUE 时逾期申请照常计算）",
}


def _subsidy_args(f):
    for name, doc in reversed(_SUBSIDY_DOCS.items()):
        f = xw.arg(name, ndim=2, doc=doc)(f)
    return xw.func(category=CATEGORY)(f)


def _subsidy_cells(pick, arguments: dict):
    """SUBSIDY-style functions share arguments; ``pick`` takes what to show from the result."""
    return _broadcast(lambda **v: pick(_subsidy_result(**v)), ("self_pay", "days"), **arguments)


@_subsidy_args
def SUBSIDY(self_pay, days, years=1, first_stay=True, paid_before=0, policy=None, covered_days=None,
            total_cost=None, shares=1, admitted=None, discharged=None, joined=None, settled=None, applied=None,
            late_ok=None):
    """职工互助：一次住院的应付金额（补助金+住院补贴，含保底与封顶），按方案四舍五入到分。"""
    return _subsidy_cells(lambda r: float(r.amount), locals())


@_subsidy_args
def SUBSIDY_DETAIL(self_pay, days, years=1, first_stay=True, paid_before=0, policy=None, covered_days=None,
                   total_cost=None, shares=1, admitted=None, discharged=None, joined=None, settled=None,
                   applied=None, late_ok=None):
    """职工互助：一次住院补助的计算说明（分段、补贴、保底、封顶），参数同 SUBSIDY。"""
    return _subsidy_cells(lambda r: r.summary, locals())


@_subsidy_args
def SUBSIDY_CAP_PART(self_pay, days, years=1, first_stay=True, paid_before=0, policy=None, covered_days=None,
                     total_cost=None, shares=1, admitted=None, discharged=None, joined=None, settled=None,
                     applied=None, late_ok=None):
    """职工互助：本次应付金额中计入期内封顶的部分（用于累计“已付补助金”），参数同 SUBSIDY。"""
    return _subsidy_cells(lambda r: float(r.cap_part), locals())


@xw.func(category=CATEGORY)
@xw.arg("category", ndim=2, doc="人员类别：在职、退休、续互、新参互（可写“在职/续互”）")
@xw.arg("policy", ndim=2, doc="方案编号，如 nm-2021")
def FEE(category, policy=None):
    """职工互助：每人每期应交互助金（按方案的交费标准）。"""

    def row(category, policy):
        return float(engine.fee_for(_policy(policy), parse_text(category, "category"))[0])

    return _broadcast(row, ("category",), category=category, policy=policy)


@xw.func(category=CATEGORY)
@xw.arg("id_number", ndim=2, doc="身份证号（18位或15位）")
@xw.arg("category", ndim=2, doc="人员类别：在职或退休")
@xw.arg("on_date", ndim=2, doc="参互日期")
@xw.arg("policy", ndim=2, doc="方案编号，如 nm-2021")
def ELIGIBLE(id_number, category, on_date, policy=None):
    """职工互助：此人在该日期能否参互；能则 TRUE，否则返回以“不符合”开头的原因。"""

    def row(id_number, category, on_date, policy):
        reason = engine.check_eligibility(
            _policy(policy), id_number, parse_text(category, "category"), parse_date(on_date, "on_date")
        )
        return True if reason is None else reason

    return _broadcast(row, ("id_number", "category"), id_number=id_number, category=category,
                      on_date=on_date, policy=policy)


@xw.func(category=CATEGORY)
@xw.arg("id_number", ndim=2, doc="身份证号")
def ID_VALID(id_number):
    """职工互助：身份证号是否有效；有效为 TRUE，否则返回原因。"""
    return _broadcast(lambda id_number: id_problem(id_number) or True, ("id_number",), id_number=id_number)


@xw.func(category=CATEGORY)
@xw.arg("id_number", ndim=2, doc="身份证号")
@xw.arg("on_date", ndim=2, doc="计算年龄的日期")
def ID_AGE(id_number, on_date):
    """职工互助：按身份证号计算在某日的周岁年龄。"""

    def row(id_number, on_date):
        return age_on(normalize_id(id_number, "id_number"), parse_date(on_date, "on_date"))

    return _broadcast(row, ("id_number",), id_number=id_number, on_date=on_date)


@xw.func(category=CATEGORY)
@xw.arg("id_number", ndim=2, doc="身份证号")
def ID_MASK(id_number):
    """职工互助：公示用的脱敏身份证号（保留前4位和后4位）。"""
    return _broadcast(lambda id_number: mask_id(id_number), ("id_number",), id_number=id_number)


@xw.func(category=CATEGORY)
@xw.arg("amount", ndim=2, doc="金额（元）")
def RMB_UPPER(amount):
    """职工互助：人民币大写金额，如 壹万贰仟叁佰肆拾伍元陆角柒分。"""

    def row(amount):
        return rmb_upper(parse_decimal(amount, "amount", allow_negative=True))

    return _broadcast(row, ("amount",), amount=amount)


__all__ = ["SUBSIDY", "SUBSIDY_DETAIL", "SUBSIDY_CAP_PART", "FEE", "ELIGIBLE", "ID_VALID", "ID_AGE",
           "ID_MASK", "RMB_UPPER"]
