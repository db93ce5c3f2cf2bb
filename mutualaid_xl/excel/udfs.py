"""Excel worksheet functions (xlwings). Thin adapter over the engine.

Every function is also plain Python (``from mutualaid_xl.udfs import SUBSIDY``): on a
machine without Excel the xlwings decorators are no-ops. Every argument may be a single
value or a range (a list of rows, as xlwings passes it with ndim=2, or a flat list taken
as a column); single values are broadcast over the ranges and the result has the ranges'
shape. A bad row gives the text "#错误: …" in that row only. A row whose required cells
are all empty gives an empty cell, so a formula can cover a whole column with blank rows.

A call with ranges computes the whole column at once, converting the cells a column at a
time: SUBSIDY and SUBSIDY_CAP_PART through the column engine (``rules.columns``), the ID
functions and ELIGIBLE through ``rules.roster_columns``, FEE once per distinct category. The
results are, cell for cell, those of calling the function on each row alone (tested).
"""

import contextlib
import gc
from decimal import Decimal

import numpy as np
import xlwings as xw

from ..rules import dates, engine
from ..errors import InputError, MutualAidError
from ..rules.idcard import age_on, id_problem, mask_id, normalize_id
from ..rules.money import rmb_upper
from ..rules.policy import get_policy
from ..rules.values import is_blank, parse_bool, parse_date, parse_decimal, parse_text, parse_whole
from ..rules.formulas import ERROR_PREFIX   # one prefix for the add-in and the native formulas
from ..rules.columns import ClaimColumns, stay_from_cells, subsidy_columns
from ..rules.roster_columns import ages, invalid_ids, masked

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


def _shape_of(value):
    """(rows, columns) of a range (a list of rows, or a flat list taken as a column); None for a single value."""
    if not isinstance(value, (list, tuple)):
        return None
    if not value:
        return (0, 0)
    return (len(value), len(value[0]) if isinstance(value[0], (list, tuple)) else 1)


def _flat(value, shape) -> list | None:
    """A range's cells row by row; None when its rows differ in length."""
    if not isinstance(value[0], (list, tuple)):   # a flat list taken as a column
        return list(value)
    try:
        if shape[1] == 1:
            return [cell for (cell,) in value]   # unpacking checks every row's length on the way
        if len(set(map(len, value))) == 1:
            return [cell for row in value for cell in row]
    except (TypeError, ValueError):
        pass
    return None


class _ShapeMismatch(Exception):
    pass


def _layout(arguments: dict):
    """The common shape of the ranges among ``arguments`` and the arguments with every range
    flattened row by row into a list; single values, and 1x1 ranges beside larger ones, stay single values.
    The shape is None when no argument was a range."""
    shapes = {name: shape for name, value in arguments.items() if (shape := _shape_of(value)) is not None}
    values = {k: v for k, v in arguments.items() if k not in shapes}
    if not shapes:
        return None, values
    cells = {name: _flat(arguments[name], shape) if shape != (0, 0) else [] for name, shape in shapes.items()}
    ragged = [name for name, flat in cells.items() if flat is None]
    if ragged:
        raise _ShapeMismatch(ERROR_PREFIX + f"区域 {'、'.join(ragged)} 各行长度不同，请选择一个矩形区域")
    big = {name: shape for name, shape in shapes.items() if shape != (1, 1)}
    shape = next(iter(big.values()), (1, 1))
    if any(s != shape for s in big.values()):
        detail = "，".join(f"{name} {r}行×{c}列" for name, (r, c) in big.items())
        raise _ShapeMismatch(ERROR_PREFIX + f"各区域大小不一致（{detail}）")
    for name, flat in cells.items():
        if Decimal in set(map(type, flat)):
            flat = list(map(_plain, flat))
        values[name] = flat if name in big or not big else flat[0]
    return shape, values


def _columns(column_function, row_function, required: tuple[str, ...], **arguments):
    """Like ``_broadcast``, but a call with ranges computes all rows in one ``column_function(values, n)``
    (each range a flat list of n cells, single values as they are) returning n results."""
    if not any(isinstance(value, (list, tuple)) for value in arguments.values()):
        return _one(row_function, required, arguments)
    with _no_cycle_collection():
        try:
            shape, values = _layout(arguments)
        except _ShapeMismatch as error:
            return str(error)
        flat = column_function(values, shape[0] * shape[1])
        if shape[1] == 1:
            return list(map(list, zip(flat)))
        return [flat[r * shape[1]:(r + 1) * shape[1]] for r in range(shape[0])]


@contextlib.contextmanager
def _no_cycle_collection():
    """A column call makes a few objects per cell and no reference cycles; without this the cyclic
    garbage collector would scan the whole heap again and again while it runs."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _broadcast(row_function, required: tuple[str, ...], **arguments):
    """Apply ``row_function`` cell by cell over the arguments' common shape.

    Single values and 1x1 ranges are broadcast; the result is a single value when no
    argument was a range, else a range of the common shape.
    """

    def column(values, n):
        return [_one(row_function, required, _row(values, i)) for i in range(n)]

    return _columns(column, row_function, required, **arguments)


def _row(values: dict, i: int) -> dict:
    return {k: v[i] if isinstance(v, list) else v for k, v in values.items()}


def _codes(column: list) -> np.ndarray:
    """Each cell's number among the column's distinct cells (1, 1.0 and TRUE count as different)."""
    seen: dict = {}
    try:
        return np.fromiter((seen.setdefault(v if v.__class__ is str else (v.__class__, v), len(seen))
                            for v in column), np.int64, len(column))
    except TypeError:  # an unhashable cell: every cell on its own
        return np.arange(len(column), dtype=np.int64)


def _once_per_key(row_function, required, values: dict, n: int, keys: dict | None = None) -> list:
    """``row_function`` over n rows, called once per distinct combination of the cells. ``keys``
    may replace a column's cells by integer keys: rows with equal keys must give equal results."""
    key = np.zeros(n, np.int64)
    for name, cells in values.items():
        code = (keys or {}).get(name)
        if code is None and isinstance(cells, list):
            code = _codes(cells)
        if code is not None:
            _, code = np.unique(code, return_inverse=True)
            _, key = np.unique(key * (int(code.max(initial=0)) + 1) + code, return_inverse=True)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    results = np.empty(len(first), dtype=object)
    results[:] = [_one(row_function, required, _row(values, int(i))) for i in first]
    return results[inverse].tolist()


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


DATE_ARGUMENTS = ("admitted", "discharged", "joined", "settled", "applied", "late_ok")


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


ARGUMENT_DOCS = {
    "SUBSIDY": _SUBSIDY_DOCS, "SUBSIDY_DETAIL": _SUBSIDY_DOCS, "SUBSIDY_CAP_PART": _SUBSIDY_DOCS,
    "FEE": {"category": "人员类别：在职、退休、续互、新参互（可写“在职/续互”）", "policy": "方案编号，如 nm-2021"},
    "ELIGIBLE": {"id_number": "身份证号（18位或15位）", "category": "人员类别：在职或退休", "on_date": "参互日期",
                 "policy": "方案编号，如 nm-2021"},
    "ID_VALID": {"id_number": "身份证号"},
    "ID_AGE": {"id_number": "身份证号", "on_date": "计算年龄的日期"},
    "ID_MASK": {"id_number": "身份证号"},
    "RMB_UPPER": {"amount": "金额（元）"},
}


def _worksheet_function(f):
    """Declared to xlwings: every argument may be a range (ndim=2), with its Chinese description."""
    for name, doc in reversed(ARGUMENT_DOCS[f.__name__].items()):
        f = xw.arg(name, ndim=2, doc=doc)(f)
    return xw.func(category=CATEGORY)(f)


def _subsidy_cells(pick, arguments: dict, pick_column):
    """SUBSIDY-style functions share arguments; ``pick`` takes what to show from the result, and
    ``pick_column`` the same for every row from the column engine's SubsidyColumns (ranges)."""
    required = ("self_pay", "days")

    def row(**v):
        return pick(_subsidy_result(**v))

    def column(values, n):
        together = None
        dated = any(values.get(k) is not None for k in DATE_ARGUMENTS)   # dates: derived row by row
        if not dated and not isinstance(values["policy"], list):  # several policies too: row by row
            together = _subsidy_column(pick_column, values)
        return together or [_one(row, required, _row(values, i)) for i in range(n)]

    return _columns(column, row, required, **arguments)


def _subsidy_column(pick_column, values: dict) -> list:
    claims = ClaimColumns.from_cells(**{k: v for k, v in values.items() if k != "policy" and k not in DATE_ARGUMENTS})
    try:
        policy = _policy(values["policy"])
    except MutualAidError as error:
        return ["" if blank else _message(error) for blank in claims.blank.tolist()]
    try:
        result = subsidy_columns(policy, claims, summaries=pick_column is _summaries)
    except Exception:  # noqa: BLE001 - a row the engine cannot take: row by row, each row says its own
        return None
    out = pick_column(result)
    for i in np.flatnonzero(result.blank).tolist():
        out[i] = ""
    for i, error in result.errors.items():
        out[i] = _message(error)
    return out


def _summaries(columns) -> list:
    return list(columns.summaries)


@_worksheet_function
def SUBSIDY(self_pay, days, years=1, first_stay=True, paid_before=0, policy=None, covered_days=None,
            total_cost=None, shares=1, admitted=None, discharged=None, joined=None, settled=None, applied=None,
            late_ok=None):
    """职工互助：一次住院的应付金额（补助金+住院补贴，含保底与封顶），按方案四舍五入到分。"""
    return _subsidy_cells(lambda r: float(r.amount), locals(), lambda c: (c.amount_fen / 100).tolist())


@_worksheet_function
def SUBSIDY_DETAIL(self_pay, days, years=1, first_stay=True, paid_before=0, policy=None, covered_days=None,
                   total_cost=None, shares=1, admitted=None, discharged=None, joined=None, settled=None,
                   applied=None, late_ok=None):
    """职工互助：一次住院补助的计算说明（分段、补贴、保底、封顶），参数同 SUBSIDY。"""
    return _subsidy_cells(lambda r: r.summary, locals(), _summaries)


@_worksheet_function
def SUBSIDY_CAP_PART(self_pay, days, years=1, first_stay=True, paid_before=0, policy=None, covered_days=None,
                     total_cost=None, shares=1, admitted=None, discharged=None, joined=None, settled=None,
                     applied=None, late_ok=None):
    """职工互助：本次应付金额中计入期内封顶的部分（用于累计“已付补助金”），参数同 SUBSIDY。"""
    return _subsidy_cells(lambda r: float(r.cap_part), locals(), lambda c: (c.cap_part_fen / 100).tolist())


@_worksheet_function
def FEE(category, policy=None):
    """职工互助：每人每期应交互助金（按方案的交费标准）。"""

    def row(category, policy):
        return float(engine.fee_for(_policy(policy), parse_text(category, "category"))[0])

    return _columns(lambda values, n: _once_per_key(row, ("category",), values, n), row, ("category",),
                    category=category, policy=policy)


@_worksheet_function
def ELIGIBLE(id_number, category, on_date, policy=None):
    """职工互助：此人在该日期能否参互；能则 TRUE，否则返回以“不符合”开头的原因。"""

    def row(id_number, category, on_date, policy):
        reason = engine.check_eligibility(
            _policy(policy), id_number, parse_text(category, "category"), parse_date(on_date, "on_date")
        )
        return True if reason is None else reason

    required = ("id_number", "category")

    def column(values, n):
        keys = None
        if isinstance(values["id_number"], list):  # an ID counts only through its validity and age
            age, ok = ages(values["id_number"], values["on_date"])
            bad = np.flatnonzero(~ok)
            age[bad] = -1 - _codes([values["id_number"][i] for i in bad.tolist()])
            keys = {"id_number": age}
        return _once_per_key(row, required, values, n, keys)

    return _columns(column, row, required, id_number=id_number, category=category, on_date=on_date, policy=policy)


@_worksheet_function
def ID_VALID(id_number):
    """职工互助：身份证号是否有效；有效为 TRUE，否则返回原因。"""
    def column(values, n):
        ids, out = values["id_number"], [True] * n
        for i in invalid_ids(ids).tolist():
            out[i] = "" if is_blank(ids[i]) else id_problem(ids[i]) or True
        return out

    return _columns(column, lambda id_number: id_problem(id_number) or True, ("id_number",), id_number=id_number)


@_worksheet_function
def ID_AGE(id_number, on_date):
    """职工互助：按身份证号计算在某日的周岁年龄。"""

    def row(id_number, on_date):
        return age_on(normalize_id(id_number, "id_number"), parse_date(on_date, "on_date"))

    def column(values, n):
        ids = values["id_number"] if isinstance(values["id_number"], list) else [values["id_number"]] * n
        age, ok = ages(ids, values["on_date"])
        out = age.tolist()
        for i in np.flatnonzero(~ok).tolist():  # the scalar rule says why
            out[i] = _one(row, ("id_number",), _row(values, i))
        return out

    return _columns(column, row, ("id_number",), id_number=id_number, on_date=on_date)


@_worksheet_function
def ID_MASK(id_number):
    """职工互助：公示用的脱敏身份证号（保留前4位和后4位）。"""
    def column(values, n):
        return masked(values["id_number"])

    return _columns(column, lambda id_number: mask_id(id_number), ("id_number",), id_number=id_number)


@_worksheet_function
def RMB_UPPER(amount):
    """职工互助：人民币大写金额，如 壹万贰仟叁佰肆拾伍元陆角柒分。"""

    def row(amount):
        return rmb_upper(parse_decimal(amount, "amount", allow_negative=True))

    return _broadcast(row, ("amount",), amount=amount)


__all__ = ["SUBSIDY", "SUBSIDY_DETAIL", "SUBSIDY_CAP_PART", "FEE", "ELIGIBLE", "ID_VALID", "ID_AGE",
           "ID_MASK", "RMB_UPPER"]
