"""The plan as spreadsheet formulas: the templates' computed columns without any add-in.

Only functions that Excel 2010, WPS 表格 and LibreOffice all compute (IF, AND, OR, MIN, MAX,
INT, ROUND, MID, SUMPRODUCT over array constants, INDEX/MATCH, DATE, DATEDIF...); no LET,
LAMBDA, XLOOKUP or dynamic arrays. What LET would name is a column of a hidden helper sheet,
one row per data row: each block of the plan adds the helper columns it needs.

Exact as the engines: money is whole fen (x S when a policy value has finer decimals), rates
are integers over K, pro-rating keeps the row's day count Q as a denominator, so every value
is an integer far below 2^53 (where binary floating point is exact) and the one half-up
rounding is INT((2x + d) / (2d)). Parameters come from a table on the 设置 sheet, each row with
its 文号; the build writes it from the policy file. Bad input gives a readable text in the
row's result, never an error value.

Formula texts use § for the row number (braces are array constants).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from openpyxl.utils import get_column_letter

from . import dates, plan, values
from .policy import Policy

ERROR_PREFIX = "#错误: "        # the worksheet functions' prefix for a row that cannot be computed
_SAFE = 2.0**50                 # every integer a formula forms stays below this (doubles are exact to 2^53)


class NotNative(Exception):
    """A block the formulas cannot express (the column keeps the add-in function)."""


def text(value: str) -> str:
    """A string literal for a formula."""
    return '"' + value.replace('"', '""') + '"'


def ifs(cases: list[tuple[str, str]], otherwise: str) -> str:
    """IF(c1,v1,IF(c2,v2,...,otherwise)) without IFS (not in Excel 2010)."""
    out = otherwise
    for condition, value in reversed(cases):
        out = f"IF({condition},{value},{out})"
    return out


def ymd(date_expr: str) -> str:
    """A date as 2021-05-01 text, the same in every locale."""
    return f'YEAR({date_expr})&"-"&TEXT(MONTH({date_expr}),"00")&"-"&TEXT(DAY({date_expr}),"00")'


@dataclass
class Params:
    """The parameter table on the 设置 sheet: label, value, 文号 in columns A, B, C."""

    sheet: str
    first_row: int
    rows: list[tuple[str, object, str]] = field(default_factory=list)

    def add(self, label: str, value, source: str) -> str:
        self.rows.append((label, value, source))
        return f"'{self.sheet}'!$B${self.first_row + len(self.rows) - 1}"

    @staticmethod
    def source_of(ref: str) -> str:
        """The 文号 cell beside a value: texts cite it instead of repeating a long literal."""
        return ref.replace("!$B$", "!$C$")

    def column(self, labels_values: list[tuple[str, object]], source: str) -> str:
        """Consecutive rows; returns their value range."""
        refs = [self.add(label, value, source) for label, value in labels_values]
        return refs[0] + ":" + refs[-1].split("!")[1]


@dataclass
class Helper:
    """Columns of a hidden helper sheet: ``let`` is LET spelled as a column."""

    sheet: str
    guard: str | None = None            # first column: "" when the row may be computed
    columns: list[tuple[str, str]] = field(default_factory=list)   # (header, formula with §)

    def let(self, header: str, expr: str, guarded: bool = True) -> str:
        letter = get_column_letter(len(self.columns) + 1)
        if guarded and self.guard is not None:
            expr = f'IF({self.guard}<>"","",{expr})'
        self.columns.append((header, "=" + expr))
        return f"${letter}§"

    def outside(self, ref: str) -> str:
        """A helper cell as seen from another sheet."""
        return f"'{self.sheet}'!{ref}"


# ------------------------------------------------------------------ the subsidy


@dataclass
class Register:
    """The register's input columns (sheet and letters) the subsidy formulas read."""

    sheet: str
    letters: dict[str, str]
    policy_cell: str               # the 方案编号 name or cell

    def cell(self, key: str) -> str:
        return f"'{self.sheet}'!${self.letters[key]}§"


@dataclass
class SubsidyFormulas:
    amount: str                    # formulas for the register's 补助金额 and 计入封顶金额 (with §)
    cap_part: str
    helper: Helper


class _Build:
    """State while the blocks are turned into helper columns."""

    def __init__(self, policy: Policy, reg: Register, params: Params, helper: Helper):
        self.policy, self.reg, self.params, self.h = policy, reg, params, helper
        self.steps = plan.compile_plan(policy)
        self.S, self.K = _scales(self.steps)
        self.first = f'{reg.cell("first_stay")}="是"'
        self.Q = self.QK = "1"
        self.amount = self.benefit = self.allowance = self.topup = "0"
        self.payable = "FALSE"
        self.days = self.allowance_days = reg.cell("days")
        self.room = self.room_before = self.stay_limit = None
        self.covered = reg.cell("covered_days")   # or what the dates give (_date_cases)
        self.chronic = None                       # outpatient chronic-disease rows: no allowance
        self.includes_allowance = False
        self.amount_fen = self.cap_fen = ""

    def fen(self, value, label: str, source: str) -> str:
        """A policy amount: a row of the table, read as an integer in fen x S."""
        if isinstance(value, dict):
            raise NotNative(f"{label}按人员类别区分，登记表没有类别列")
        ref = self.params.add(label, float(value), source)
        return f"ROUND({ref}*{100 * self.S},0)"

    def cell_fen(self, key: str) -> str:
        return f"ROUND(N({self.reg.cell(key)})*100,0)"


def _places(value: Decimal) -> int:
    return max(0, -Decimal(value).normalize().as_tuple().exponent)


def _scales(steps: plan.Plan) -> tuple[int, int]:
    yuan = _yuan_values(steps)
    bands = steps.find(plan.Bands)
    rates = [b.rate for b in (bands.brackets or ())] if bands else []
    j = max(_places(v * 100) for v in yuan)
    k = max((_places(r) for r in rates), default=0)
    if j + k > 4:
        raise NotNative("金额或比例的小数位太多，表格公式无法精确到分")
    return 10**j, 10**k


def _guard(b: _Build) -> str:
    """The first helper column: "" when the row can be computed, else the reason as text."""
    c, pid = b.reg.cell, b.policy.id
    days, cov, years, shares = c("days"), c("covered_days"), c("years"), c("shares")
    sp, tc, paid = c("self_pay"), c("total_cost"), c("paid_before")

    def err(message: str) -> str:
        return text(ERROR_PREFIX + message)

    cases = [
        (f"{b.reg.policy_cell}<>{text(pid)}",
         err(f"本表按方案 {pid} 生成，方案编号已改；请用 mutualaid templates build --policy 新编号 重新生成")),
        (f'{days}=""', err("请填写入院、出院日期")),
        (f"NOT(ISNUMBER({days}))", f'"{ERROR_PREFIX}"&{days}'),
        (f"OR({days}<0,{days}<>INT({days}))", err("住院天数应为不小于 0 的整数")),
        (f'AND({cov}<>"",OR(NOT(ISNUMBER({cov})),N({cov})<0,N({cov})<>INT(N({cov}))))', err("期内天数应为不小于 0 的整数")),
        (f'AND({cov}<>"",N({cov})>{days})', err("期内天数不能大于住院天数")),
        (f'AND({years}<>"",OR(NOT(ISNUMBER({years})),N({years})<1,N({years})<>INT(N({years}))))',
         err("连续参互年数应为不小于 1 的整数")),
    ]
    for x, name in ((sp, "自付费用"), (tc, "总费用")):
        cases += [(f'AND({x}<>"",NOT(ISNUMBER({x})))', err(f"{name}应为数字，不要带单位或文字")),
                  (f"N({x})<0", err(f"{name}不能为负数")),
                  (f"ABS(N({x})*100-ROUND(N({x})*100,0))>0.000001", err(f"{name}最多两位小数（到分）"))]
    cases.append((f'AND({sp}<>"",{tc}<>"",N({sp})>N({tc}))', err("自付费用大于住院总费用")))
    whole_shares = f'AND({shares}<>"",OR(NOT(ISNUMBER({shares})),N({shares})<>INT(N({shares}))'
    if b.policy.shares is None:
        cases.append((f'AND({shares}<>"",N({shares})<>1)', err(f"方案 {pid} 不按份数参互，份数只能为 1")))
    else:
        low = b.params.add("份数下限", b.policy.shares.min, b.policy.shares.source)
        high = b.params.add("份数上限", b.policy.shares.max, b.policy.shares.source)
        cases.append((f"{whole_shares},N({shares})<{low},N({shares})>{high}))",
                      f'"{ERROR_PREFIX}份数须在 "&{low}&"—"&{high}&" 份之间"'))
    kind = b.steps.blocks[0].kind
    if kind == "self_pay":
        cases.append((f'{sp}=""', err("本方案按自付费用计算，请填写自付费用")))
    elif kind == "total_cost":
        cases.append((f'{tc}=""', err("本方案按住院总费用计算，请填写总费用")))
    bands = b.steps.find(plan.Bands)
    if bands is not None and bands.brackets is None:
        cases.append(("TRUE", err(f"本期未配置补助分段比例（方案 {pid}）；请在方案文件中补充 [subsidy.bands]")))
    cases += _date_cases(b)     # after the input checks: a bad row says what to correct first
    largest = max((float(v) for v in _yuan_values(b.steps)), default=0)
    limit = _SAFE / (4 * b.S * b.K * (len(bands.brackets or ()) + 4 if bands else 4))
    cases.append((f"(N({sp})+N({tc})+N({paid})+{largest:g})*100*MAX(N({days}),1)>{limit:.0f}",
                  err("金额过大，表格公式无法精确计算；请用 mutualaid claims 计算")))
    return b.h.let("问题", f'IF({c("id_number")}="","-",{ifs(cases, text(""))})', guarded=False)


def _date_cases(b: _Build) -> list[tuple[str, str]]:
    """What `mutualaid claims` decides from the register's dates (workbooks.claim_dates), as the
    formulas see it: a late claim is withheld unless 逾期特批 is 是 with a 特批说明; 期内天数 left
    blank is counted inside the row's cover (a stay wholly outside it gets nothing); an outpatient
    chronic-disease row gets no allowance and must lie within one month. Texts for the withheld rows."""
    d, c, cases = b.policy.dates, b.reg.cell, []
    if d is not None and d.claim_deadline_days:
        rule = dates.source(b.policy, "claim_deadline_days")
        limit = b.params.add("申请期限：医保结算后（日）", d.claim_deadline_days, rule)
        settled, applied = f"INT({c('settled')})", f"INT({c('applied')})"
        # AND evaluates every argument: the comparison sits behind an IF so a text date gives no #VALUE!
        late = f"IF(AND(ISNUMBER({c('settled')}),ISNUMBER({c('applied')})),{applied}>{settled}+{limit},FALSE)"
        excused = f'AND({_yes(c("late_ok"))},TRIM({c("late_note")})<>"")'
        cases.append((f"IF({late},NOT({excused}),FALSE)",
                      f'"{ERROR_PREFIX}逾期申请：医保结算 "&{ymd(settled)}&" 后 "&{limit}&" 日内应申请（截至 "'
                      f'&{ymd(f"{settled}+{limit}")}&"），"&{ymd(applied)}&" 申请已逾期 "&({applied}-{settled}-{limit})'
                      f'&" 天，视为放弃（"&{Params.source_of(limit)}&"）；经特批的在“逾期特批”填是并写明特批说明"'))
    cases += _cover_cases(b)
    if b.policy.checks is not None and b.policy.checks.chronic:
        b.chronic = b.h.let("门诊特殊慢性病", _yes(c("chronic")))
        adm, dis = c("admitted"), c("discharged")
        months = f"OR(YEAR({adm})<>YEAR({dis}),MONTH({adm})<>MONTH({dis}))"
        cases.append((f"IF(AND({b.chronic},ISNUMBER({adm}),ISNUMBER({dis})),{months},FALSE)",
                      text(ERROR_PREFIX + dates.CHRONIC_BY_MONTH)))
    return cases


def _cover_cases(b: _Build) -> list[tuple[str, str]]:
    """The row's cover (保障期起止, else the policy's dates or 参互日期 + months) and 期内天数 from it."""
    d, c = b.policy.dates, b.reg.cell       # without [dates], only the row's own 保障期起止
    given_start, given_end = c("cover_start"), c("cover_end")
    given = f"AND(ISNUMBER({given_start}),ISNUMBER({given_end}))"
    start = end = months = None
    if d is not None:
        start = d.coverage_start and b.params.add("保障期起", d.coverage_start, d.source)
        end = d.coverage_end and b.params.add("保障期止", d.coverage_end, d.source)
        months = d.coverage_months and b.params.add("保障期（月，自参互日期次日起）", d.coverage_months,
                                                    dates.source(b.policy, "coverage_months"))
    if start is None and months:
        start = f'IF(ISNUMBER({c("joined")}),INT({c("joined")})+1,"")'
    start = b.h.let("保障期起（本行）", f"IF({given},INT({given_start}),{start or chr(34) * 2})")
    if end is None and months:   # dates.add_months, without EDATE
        y, m, day = f"YEAR({start})", f"MONTH({start})+{months}", f"DAY({start})"
        end = f'IF(ISNUMBER({start}),DATE({y},{m},MIN({day},DAY(DATE({y},{m}+1,0))))-1,"")'
    end = b.h.let("保障期止（本行）", f"IF({given},INT({given_end}),{end or chr(34) * 2})")
    adm, dis = f"INT({c('admitted')})", f"INT({c('discharged')})"
    known = (f'AND({c("covered_days")}="",ISNUMBER({c("admitted")}),ISNUMBER({c("discharged")}),'
             f"ISNUMBER({start}),ISNUMBER({end}))")
    same_day = f"IF(AND({adm}>={start},{adm}<={end}),1,0)"      # dates.covered_days
    overlap = b.h.let("期内天数（按保障期）", f'IF({known},IF({dis}>={adm},IF({adm}={dis},{same_day},'
                                           f'MAX(0,MIN({dis},{end}+1)-MAX({adm},{start}))),""),"")')
    typed = c("covered_days")
    b.covered = b.h.let("期内天数（本行）", f'IF({overlap}<>"",MIN({overlap},N({c("days")})),IF({typed}="","",{typed}))')
    return [(f'IF({overlap}="",FALSE,{overlap}=0)',
             _with_dates(ERROR_PREFIX + dates.outside_cover(b.policy, "\0", "\1"), ymd(start), ymd(end)))]


def _with_dates(message: str, *dates_shown: str) -> str:
    """A text literal with the formulas' dates put where ``message`` has chr(0), chr(1), ..."""
    out = text(message)
    for n, shown in enumerate(dates_shown):
        out = out.replace(chr(n), f'"&{shown}&"')
    return out


def _yes(cell: str) -> str:
    """The cell is 是 as values.parse_bool reads it (是, √, TRUE, 1, Y ...)."""
    words = ",".join(text(w) for w in sorted(values.TRUE_WORDS))
    return f"SUMPRODUCT(--(UPPER(TRIM({cell}))={{{words}}}))>0"   # =, not MATCH: no * ? wildcards


def _yuan_values(steps: plan.Plan) -> list[Decimal]:
    found = []
    for block in steps.blocks:
        for name in ("threshold", "first", "later", "amount"):
            value = getattr(block, name, None)
            if value is not None and not isinstance(value, dict):
                found.append(Decimal(value))
        if isinstance(block, plan.Bands) and block.brackets:
            found += [b.upto for b in block.brackets if b.upto is not None]
        if isinstance(block, plan.DayAllowance):
            rule = block.rule
            found += [r.rate for r in rule.rate_by_years or ()]
            if rule.rate is not None and not isinstance(rule.rate, dict):
                found.append(rule.rate)
        if isinstance(block, plan.Rounding):
            found.append(block.unit)
    return found


def _f_base(b: _Build, block: plan.Base) -> None:
    c, days = b.reg.cell, b.days
    cov = b.covered
    flag = b.params.add("跨保障期住院按期内天数比例折算（1 是，0 否）", 1 if block.prorate else 0, block.source)
    pro = b.h.let("跨期折算", f'AND({flag}=1,{cov}<>"",N({cov})<{days})')
    b.Q = b.h.let("Q（折算分母）", f"IF({pro},{days},1)")
    b.allowance_days = b.h.let("补贴计算天数", f"IF({pro},N({cov}),{days})")
    factor = f"IF({pro},N({cov}),1)"
    b.QK = b.h.let("Q×K", f"{b.Q}*{b.K}")
    if block.kind != "none":
        b.amount = b.h.let("计算基数", f"{b.cell_fen(block.kind)}*{factor}*{b.S}")
        b.payable = b.h.let("可补助", f"{b.amount}>0")


def _f_gate(b: _Build, block: plan.Gate) -> None:
    shut = f"{b.amount}<={b.fen(block.threshold, '起付门槛（元，含）', block.source)}*{b.Q}"
    b.payable = b.h.let("可补助（门槛后）", f"AND({b.payable},NOT({shut}))")
    b.amount = b.h.let("计算基数（门槛后）", f"IF({shut},0,{b.amount})")


def _f_deductible(b: _Build, block: plan.Deductible) -> None:
    first = b.fen(block.first, "起付额（首次住院，元）" if block.later is not None else "起付额（元）", block.source)
    later = first if block.later is None else b.fen(block.later, "起付额（再次住院，元）", block.source)
    deduct = first if block.later is None else f"IF({b.first},{first},{later})"
    b.amount = b.h.let("计算基数（扣起付后）", f"MAX(0,{b.amount}-{deduct}*{b.Q})")
    b.payable = b.h.let("可补助（扣起付后）", f"AND({b.payable},{b.amount}>0)")


def _f_bands(b: _Build, block: plan.Bands) -> None:
    if block.brackets is None:
        return   # the guard says the bands are missing
    terms, lower = [], "0"
    for n, band in enumerate(block.brackets, 1):
        rate = b.params.add(f"第 {n} 段补助比例", float(band.rate), block.source)
        if band.upto is None:
            piece = f"MAX(0,{b.amount}-{lower}*{b.Q})"
        else:
            upto = b.fen(band.upto, f"第 {n} 段上限（元，含）", block.source)
            piece = f"MAX(0,MIN({b.amount},{upto}*{b.Q})-{lower}*{b.Q})"
            lower = upto
        terms.append(f"{piece}*ROUND({rate}*{b.K},0)")
    b.benefit = b.h.let("补助金", "+".join(terms))


def _f_stay_cap(b: _Build, block: plan.StayCap) -> None:
    b.stay_limit = b.h.let("单次封顶", f"{b.fen(block.amount, '单次住院封顶（元）', block.source)}*{b.QK}")
    b.includes_allowance = block.includes_allowance
    b.benefit = b.h.let("补助金（单次封顶后）", f"MIN({b.benefit},{b.stay_limit})")


def _f_allowance(b: _Build, block: plan.DayAllowance) -> None:
    rule, src, c = block.rule, block.source, b.reg.cell
    days = b.h.let("补贴天数", f"MAX(0,{b.allowance_days}-{b.params.add('住院补贴：前若干天不补', rule.waiting_days, src)})")
    if rule.buckets:
        cases, last = [], ""
        for n, bucket in enumerate(rule.buckets, 1):
            paid = b.params.add(f"住院补贴：第 {n} 档补贴天数", bucket.paid_days, src)
            if bucket.upto_days is None:
                last = f"MIN({days},{paid})"
            else:
                upto = b.params.add(f"住院补贴：第 {n} 档住院天数上限（含）", bucket.upto_days, src)
                cases.append((f"{days}<={upto}", f"MIN({days},{paid})"))
        days = b.h.let("补贴天数（分档后）", ifs(cases, last))
    if rule.max_days is not None:
        days = b.h.let("补贴天数（封顶后）", f"MIN({days},{b.params.add('住院补贴：最多天数', rule.max_days, src)})")
    if rule.rate_by_years is not None:
        starts = b.params.column([(f"住院补贴：第 {n} 档起始连续参互年数", r.from_years)
                                  for n, r in enumerate(rule.rate_by_years, 1)], src)
        table = b.params.column([(f"住院补贴：连续参互 {r.from_years} 年起（元/天）", float(r.rate))
                                 for r in rule.rate_by_years], src)
        years = f'IF({c("years")}="",1,{c("years")})'
        rate = f"ROUND(INDEX({table},MATCH({years},{starts},1))*{100 * b.S},0)"
    else:
        rate = b.fen(rule.rate, "住院补贴（元/天）", src)
    amount = f"{days}*{rate}"
    if rule.per_share:
        amount += f'*IF({c("shares")}="",1,{c("shares")})'
    if rule.first_stay_only:
        amount += f"*IF({b.first},1,0)"
    amount = f"{amount}*{b.QK}" if b.chronic is None else f"IF({b.chronic},0,{amount}*{b.QK})"
    b.allowance = b.h.let("住院补贴", amount)
    if block.only_income:
        paid_day = f"{b.allowance}>0" if b.chronic is None else f"IF({b.chronic},{b.payable},{b.allowance}>0)"
        b.payable = b.h.let("可补助（有补贴）", paid_day)


def _f_period_cap(b: _Build, block: plan.PeriodCap) -> None:
    limit = b.fen(block.amount, "每期封顶（元）" + ("，含住院补贴" if block.includes_allowance else ""), block.source)
    b.includes_allowance = block.includes_allowance
    b.room_before = b.h.let("封顶余额", f"MAX(0,{limit}-{b.cell_fen('paid_before')}*{b.S})*{b.QK}")
    b.benefit = b.h.let("补助金（期内封顶后）", f"MIN({b.benefit},{b.room_before})")
    if block.includes_allowance:
        b.allowance = b.h.let("住院补贴（期内封顶后）", f"MIN({b.allowance},{b.room_before}-{b.benefit})")
        b.room = b.h.let("封顶剩余", f"{b.room_before}-{b.benefit}-{b.allowance}")
    else:
        b.room = b.h.let("封顶剩余", f"{b.room_before}-{b.benefit}")


def _f_minimum(b: _Build, block: plan.Minimum) -> None:
    floor = b.fen(block.amount, "保底金额（元）", block.source)
    topup = f"IF({b.payable},MAX(0,{floor}*{b.QK}-{b.benefit}-{b.allowance}),0)"
    b.topup = b.h.let("保底补足", topup if b.room is None else f"MIN({topup},{b.room})")


def _f_rounding(b: _Build, block: plan.Rounding) -> None:
    unit_fen = block.unit * 100
    if unit_fen != int(unit_fen):
        raise NotNative("舍入单位小于 1 分")
    unit = b.fen(block.unit, "舍入单位（元，四舍五入）", block.source)
    counted = b.allowance if b.includes_allowance else "0"
    d = b.h.let("d", f"{b.QK}*{unit}")
    total = b.h.let("合计（未舍入）", f"{b.benefit}+{b.allowance}+{b.topup}")
    cap = b.h.let("计入封顶（未舍入）", f"{b.benefit}+{b.topup}+{counted}")
    cap_units = b.h.let("计入封顶（舍入后单位数）", f"INT((2*{cap}+{d})/(2*{d}))")
    over = []                                   # rounding up must not break a cap
    if b.room_before is not None:
        over.append(f"{cap_units}*{d}>{b.room_before}")
    if b.stay_limit is not None:
        over.append(f"{cap_units}*{d}>{b.stay_limit}+{b.topup}+{counted}")
    over_text = f"OR({','.join(over)})" if over else "FALSE"
    per_unit = f"{unit}/{b.S}"
    b.amount_fen = b.h.let("应付（分）", f"IF({over_text},INT({total}/{d}),INT((2*{total}+{d})/(2*{d})))*{per_unit}")
    b.cap_fen = b.h.let("计入封顶（分）", f"IF({over_text},INT({cap}/{d}),{cap_units})*{per_unit}")


_STEPS = {plan.Base: _f_base, plan.Gate: _f_gate, plan.Deductible: _f_deductible, plan.Bands: _f_bands,
          plan.StayCap: _f_stay_cap, plan.DayAllowance: _f_allowance, plan.PeriodCap: _f_period_cap,
          plan.Minimum: _f_minimum, plan.Rounding: _f_rounding}


def subsidy_formulas(policy: Policy, reg: Register, params: Params, helper_sheet: str) -> SubsidyFormulas:
    """Formulas for 补助金额 and 计入封顶金额 of a register built for ``policy``; NotNative names
    the block that a formula cannot express (and nothing is added to ``params`` then)."""
    kept = len(params.rows)
    try:
        helper = Helper(helper_sheet)
        b = _Build(policy, reg, params, helper)
        helper.guard = _guard(b)
        for block in b.steps.blocks:
            try:
                _STEPS[type(block)](b, block)
            except NotNative as error:
                raise NotNative(f"{plan.BLOCK_KEYS[type(block)]}：{error}") from None
    except NotNative:
        del params.rows[kept:]
        raise
    guard, row_id = helper.outside(helper.guard), reg.cell("id_number")

    def result(fen: str) -> str:
        return (f'=IF({row_id}="","",IF({guard}<>"",{guard},'
                f'IFERROR({helper.outside(fen)}/100,"{ERROR_PREFIX}无法计算，请检查本行")))')

    return SubsidyFormulas(result(b.amount_fen), result(b.cap_fen), helper)
