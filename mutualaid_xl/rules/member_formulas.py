"""FEE and ELIGIBLE as spreadsheet formulas for the roster (see ``formulas`` for the rules
of the game): category words and their aliases, the fee table, the GB 11643 check character,
old 15-digit numbers, age on the row's 参互日期 (else 设置's), the enrolment dates with the
monthly working-day windows, and age limits by category, each number read from the 设置 table.
Results match ``engine.fee_for`` and ``engine.check_eligibility``: a fee or TRUE, "不符合：…"
with the engine's wording for the age, date and most ID reasons, and "#错误: …" where the
worksheet function reports an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import dates
from .formulas import ERROR_PREFIX, Helper, Params, ifs, text, ymd
from .idcard import CHECK_CHARS, WEIGHTS
from .policy import CATEGORIES, CATEGORY_ALIASES, Policy

NOT_JOINING = "未参"   # 昆冶高专工发〔2015〕10号：不参加的人员填“未参”，但不删除


@dataclass
class Roster:
    sheet: str
    letters: dict[str, str]
    date_name: str                 # the 参互日期 name (设置), used where the row's 参互日期 is blank
    policy_name: str               # the 方案编号 name

    def cell(self, key: str) -> str:
        return f"'{self.sheet}'!${self.letters[key]}§"


@dataclass
class MemberFormulas:
    fee: str
    eligible: str
    helper: Helper


def _canonical(cell: str) -> str:
    """A category cell as 在职/退休/续互/新参互, "" when blank, "?word" when unknown."""
    word = f'TRIM(SUBSTITUTE({cell},"　"," "))'
    cases = []
    for category in CATEGORIES:
        aliases = sorted({a for a, c in CATEGORY_ALIASES.items() if c == category})
        cases.append((f"OR({word}={{{','.join(text(a) for a in aliases)}}})", text(category)))
    return f'IF({word}="","",{ifs(cases, chr(34) + "?" + chr(34) + "&" + word)})'


def _unknown(words: tuple[str, str]) -> tuple[str, str]:
    c1, c2 = words
    return (f'OR(LEFT({c1},1)="?",LEFT({c2},1)="?")',
            f'"{ERROR_PREFIX}参数 category（类别）：未知的类别“"&MID(IF(LEFT({c1},1)="?",{c1},{c2}),2,99)&"”，'
            f'可用：在职、退休、续互、新参互（或 in-service、retired、renewal、new）"')


def _pick(policy: Policy, words: tuple[str, str], table: list[str], refs: dict[str, str] | None, what: str,
          given: str) -> str:
    """The category's value from ``refs`` (or its name when refs is None) as _pick_category does."""
    c1, c2 = words
    hits = [f"OR({c1}={text(c)},{c2}={text(c)})" for c in table]
    count = "+".join(f"{h}*1" for h in hits) or "0"
    value = "+".join(f"{h}*{refs[c]}" for h, c in zip(hits, table)) if refs is not None else \
        ifs([(h, text(c)) for h, c in zip(hits, table)], '""')
    return ifs([
        _unknown(words),
        (f"{count}=0", f'"{ERROR_PREFIX}方案 {policy.id} 的{what}按 {"/".join(table)} 区分，收到“"&{given}&"”"'),
        (f"{count}>1", f'"{ERROR_PREFIX}参数 category（类别）：类别“"&{given}&"”同时含有多个类别，请只写一个"'),
    ], value)


def _fee(policy: Policy, r: Roster, params: Params, words, given: str) -> str:
    fees = policy.fees
    if fees is None:
        return text(f"{ERROR_PREFIX}本期未配置交费标准（方案 {policy.id}：{policy.name}）；请在方案文件中补充 [fees]")
    if not fees.amounts and fees.per_share is not None:
        ref = params.add("交费标准：每份（元）", float(fees.per_share), fees.source)
        return ifs([_unknown(words)], ref)
    refs = {c: params.add(f"交费标准：{c}（元/人·期）", float(a), fees.source) for c, a in fees.amounts.items()}
    return _pick(policy, words, list(fees.amounts), refs, "交费标准", given)


def _id_problem(t: str) -> str:
    """The ID's problem as the engine words it after 身份证号, or ""."""
    digits = "SUMPRODUCT(--ISNUMBER(--MID({t},{{{n}}},1)))"
    d15 = digits.format(t=t, n=",".join(str(i) for i in range(1, 16)))
    d17 = digits.format(t=t, n=",".join(str(i) for i in range(1, 18)))
    weights = ",".join(str(w) for w in WEIGHTS)
    check = f'MID("{CHECK_CHARS}",MOD(SUMPRODUCT(--MID({t},{{{",".join(str(i) for i in range(1, 18))}}},1),{{{weights}}}),11)+1,1)'

    def bad_date(y, m, d):
        return f"OR({m}<1,{m}>12,{d}<1,{d}>DAY(DATE({y},{m}+1,0)))"

    y15, m15, d15_ = f"(1900+VALUE(MID({t},7,2)))", f"VALUE(MID({t},9,2))", f"VALUE(MID({t},11,2))"
    y18, m18, d18 = f"VALUE(MID({t},7,4))", f"VALUE(MID({t},11,2))", f"VALUE(MID({t},13,2))"
    old = ifs([(f"{d15}<15", text("15位旧身份证号只能由数字组成")),
               (bad_date(y15, m15, d15_), f'"出生日期 19"&MID({t},7,6)&" 不存在"')], '""')
    new = ifs([(f'OR({d17}<17,AND(NOT(ISNUMBER(--RIGHT({t},1))),RIGHT({t},1)<>"X"))',
                text("含有非法字符：前17位应为数字，最后一位为数字或X")),
               (bad_date(y18, m18, d18), f'"出生日期 "&MID({t},7,8)&" 不存在"'),
               (f"{check}<>RIGHT({t},1)", f'"校验位错误：按前17位应为 "&{check}&"，实为 "&RIGHT({t},1)')], '""')
    return ifs([
        (f'{t}=""', text("为空")),
        (f'{t}="#数字"', text("存成了数字，末几位已丢失（Excel 只保留15位有效数字）；请把该列设为“文本”格式后按原件重新录入")),
        (f"LEN({t})=15", old),
        (f"LEN({t})<>18", f'"位数不对：应为18位，实为"&LEN({t})&"位"'),
    ], new)


def _windows(policy: Policy, params: Params, h: Helper, on: str) -> list[tuple[str, str]]:
    """dates.enrolment_problem: the period's enrolment dates, then from monthly_from only the first
    monthly_workdays official working days of each month. The build lists the working days (from
    chinese-calendar) of every month from monthly_from's to enrolment_end on 设置."""
    d = policy.dates
    if d is None or not (d.enrolment_start and d.enrolment_end):
        return []
    start = params.add("参互办理开始日期", d.enrolment_start, dates.source(policy, "enrolment_start"))
    end = params.add("参互办理截止日期", d.enrolment_end, dates.source(policy, "enrolment_end"))
    cases = [(f"OR({on}<{start},{on}>{end})",
              f'"不符合："&{ymd(on)}&" 不在本期参互办理时间（"&{ymd(start)}&" 至 "&{ymd(end)}&"）内（"&{params.source_of(end)}&"）"')]
    if d.monthly_from is None or d.monthly_from > d.enrolment_end:
        return cases
    rule = dates.source(policy, "monthly_workdays")
    since = params.add("每月限工作日办理：起始日期", d.monthly_from, rule)
    limit = params.add("每月限工作日办理：前几个工作日", d.monthly_workdays or 0, rule)
    calendar = (f"国务院办公厅节假日安排（chinese-calendar，覆盖 {dates.CALENDAR_YEARS[0]}—{dates.CALENDAR_YEARS[1]} 年，"
                f"含调休上班日）；{rule}")
    days, count, day = [], {}, d.monthly_from.replace(day=1)
    while day <= d.enrolment_end:
        if dates.is_workday(day):
            count[day.year, day.month] = count.get((day.year, day.month), 0) + 1
            days.append((f"工作日：{day:%Y-%m} 第 {count[day.year, day.month]} 个", day))
        day += dates.ONE_DAY
    workdays = params.column(days, calendar)
    nth = h.let("当月第几个工作日（0=非工作日）",
                f'IF(NOT(ISNUMBER({on})),"",IF(SUMPRODUCT(--({workdays}=INT({on})))=0,0,'
                f"SUMPRODUCT(({workdays}>=DATE(YEAR({on}),MONTH({on}),1))*({workdays}<=INT({on})))))")
    which = f'IF({nth}=0,"不是工作日","是当月第 "&{nth}&" 个工作日")'
    cases.append((f"AND(INT({on})>={since},OR({nth}=0,{nth}>{limit}))",
                  f'"不符合："&{ymd(since)}&" 起只在每月前 "&{limit}&" 个工作日办理，"&{ymd(on)}&" "&{which}'
                  f'&"（"&{params.source_of(limit)}&"）"'))
    return cases


def _eligible(policy: Policy, r: Roster, params: Params, h: Helper, words, given: str) -> str:
    rules = policy.eligibility
    if rules is None:
        return h.let("资格", text(f"{ERROR_PREFIX}本期未配置参互条件（方案 {policy.id}：{policy.name}）；请在方案文件中补充 [eligibility]"))
    raw, joined = r.cell("id_number"), r.cell("joined")
    on = h.let("参互日期（本行，空则用设置表）", f'IF({joined}="",{r.date_name},{joined})')
    t = h.let("身份证号（文本）", f'IF(ISNUMBER({raw}),IF(AND({raw}=INT({raw}),{raw}>=1E14,{raw}<1E15),TEXT({raw},"0"),"#数字"),'
                                 f'UPPER(SUBSTITUTE(SUBSTITUTE(TRIM({raw})," ",""),"　","")))')
    problem = h.let("身份证号问题", _id_problem(t))
    birth = h.let("出生日期", f'IF({problem}<>"","",IF(LEN({t})=15,DATE(1900+VALUE(MID({t},7,2)),VALUE(MID({t},9,2)),'
                              f'VALUE(MID({t},11,2))),DATE(VALUE(MID({t},7,4)),VALUE(MID({t},11,2)),VALUE(MID({t},13,2)))))')
    chosen = h.let("资格类别", _pick(policy, words, list(rules.age), None, "参互年龄条件", given))
    age = h.let("周岁", f'IF(OR({birth}="",NOT(ISNUMBER({on}))),"",IF({birth}>{on},-1,DATEDIF({birth},{on},"Y")))')
    cases = [(f"NOT(ISNUMBER({on}))", f'IF({joined}="",{text(ERROR_PREFIX + "参数 on_date（日期）：参互日期不是日期，请在“设置”表填写")},'
                                       f'{text(ERROR_PREFIX + "参数 on_date（日期）：本行参互日期不是日期，如 2021-10-08")})'),
             (f'{problem}<>""', f'"不符合：身份证号"&{problem}'),
             (f'LEFT({chosen},1)="#"', chosen)]
    cases += _windows(policy, params, h, on)
    cases.append((f"{birth}>{on}", f'"不符合：出生日期 "&{ymd(birth)}&" 晚于参考日期 "&{ymd(on)}'))
    for category, limits in rules.age.items():
        low = None if limits.min is None else params.add(f"参互年龄：{category}最小（周岁）", limits.min, rules.source)
        high = None if limits.max is None else params.add(f"参互年龄：{category}最大（周岁）", limits.max, rules.source)
        if low and high:
            allowed, outside = f'"在 "&{low}&"—"&{high}&" 周岁之间"', f"OR({age}<{low},{age}>{high})"
        elif high:
            allowed, outside = f'"不超过 "&{high}&" 周岁"', f"{age}>{high}"
        elif low:
            allowed, outside = f'"不小于 "&{low}&" 周岁"', f"{age}<{low}"
        else:
            continue
        cases.append((f"AND({chosen}={text(category)},{outside})",
                      f'"不符合："&{ymd(on)}&" 时 "&{age}&" 周岁，{category}人员年龄须"&{allowed}'))
    return h.let("资格", ifs(cases, "TRUE"))


def member_formulas(policy: Policy, r: Roster, params: Params, helper_sheet: str) -> MemberFormulas:
    h = Helper(helper_sheet)
    category, membership = r.cell("category"), r.cell("membership")
    given = f'{category}&"/"&{membership}'
    words = (h.let("类别（规范）", _canonical(category)),
             h.let("续互/新参互（规范）", f'IF({membership}="{NOT_JOINING}","",{_canonical(membership)})'))
    fee = h.let("交费金额", _fee(policy, r, params, words, given))
    eligible = _eligible(policy, r, params, h, words, given)
    wrong = text(f"{ERROR_PREFIX}本表按方案 {policy.id} 生成，方案编号已改；请用 mutualaid templates build --policy 新编号 重新生成")
    same = f"{r.policy_name}={text(policy.id)}"
    fee_cell = (f'=IF({category}&{membership}="","",IF({membership}="{NOT_JOINING}","{NOT_JOINING}",'
                f'IF({same},{h.outside(fee)},{wrong})))')
    eligible_cell = (f'=IF(OR({r.cell("id_number")}="",{category}&{membership}="",{membership}="{NOT_JOINING}"),"",'
                     f'IF({same},{h.outside(eligible)},{wrong}))')
    return MemberFormulas(fee_cell, eligible_cell, h)
