"""The dates of a claim and of enrolment, read against a policy's [dates] block.

Derived before the engine runs: days in hospital, days inside the member's cover, whether the
stay's rules belong to this period (rule_period_by), the claim deadline after settlement,
the enrolment windows counted in official working days, and consecutive years of
participation. Working days come from the chinese-calendar package (the State Council's
holidays and adjusted workdays), which covers CALENDAR_YEARS; a date outside them is not
guessed.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

import chinese_calendar

from ..errors import NotConfiguredError
from .policy import Policy
from .values import normalize_text

CALENDAR_YEARS = (min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year)
ONE_DAY = dt.timedelta(days=1)


def source(policy: Policy, key: str) -> str:
    """The article behind one [dates] rule (rule_sources), else the block's source."""
    return policy.dates.rule_sources.get(key, policy.dates.source)


def stay_days(admitted: dt.date, discharged: dt.date) -> int:
    """Nights as the insurance settlement counts them; a same-day stay is 1 day."""
    return max(1, (discharged - admitted).days)


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def cover(policy: Policy, joined: dt.date | None) -> tuple[dt.date, dt.date] | None:
    """First and last day of the member's cover: fixed dates, or coverage_months from the
    day after enrolment (nm 细则第四条: 办结参互手续后的次日零时起一年). None if undecidable."""
    dates = policy.dates
    if dates is None:
        return None
    start = dates.coverage_start
    if dates.coverage_months and joined is not None and start is None:
        start = joined + ONE_DAY
    if start is None:
        return None
    if dates.coverage_end is not None:
        return start, dates.coverage_end
    if dates.coverage_months:
        return start, add_months(start, dates.coverage_months) - ONE_DAY
    return None


def covered_days(admitted: dt.date, discharged: dt.date, period: tuple[dt.date, dt.date]) -> int:
    """Days of the stay inside the cover, counted like stay_days (nights, a same-day stay 1)."""
    start, end = period
    if admitted == discharged:
        return int(start <= admitted <= end)
    return max(0, (min(discharged, end + ONE_DAY) - max(admitted, start)).days)


CHRONIC_BY_MONTH = "门诊特殊慢性病按月结算：起止日期须在同一个月内，请按月分行登记"


def outside_cover(policy: Policy, first: str, last: str) -> str:
    """Why a stay wholly outside the member's cover (``first`` to ``last``, as shown) gets nothing."""
    excluded = policy.exclusions.source if policy.exclusions else "保障期"
    return f"住院不在本人保障期（{first} 至 {last}）内，不予补助（{excluded}）"


def period_problem(policy: Policy, admitted: dt.date, discharged: dt.date,
                   period: tuple[dt.date, dt.date]) -> str | None:
    """Why this period's rules do not apply to the stay (rule_period_by), else None."""
    dates = policy.dates
    by = dates.rule_period_by if dates else None
    if by is None:
        return None
    day, what = (admitted, "入院") if by == "admission" else (discharged, "出院")
    if period[0] <= day <= period[1]:
        return None
    return (f"{what}日期 {day:%Y-%m-%d} 不在本期保障期（{period[0]:%Y-%m-%d} 至 {period[1]:%Y-%m-%d}）内，"
            f"应按{what}时间所在保障期的方案核算（{source(policy, 'rule_period_by')}）")


def deadline(policy: Policy, settled: dt.date) -> dt.date | None:
    days = policy.dates.claim_deadline_days if policy.dates else None
    return None if days is None else settled + dt.timedelta(days=days)


def late_reason(policy: Policy, settled: dt.date, applied: dt.date) -> str | None:
    """Why a claim applied on ``applied`` is too late, else None."""
    last = deadline(policy, settled)
    if last is None or applied <= last:
        return None
    return (f"逾期申请：医保结算 {settled:%Y-%m-%d} 后 {policy.dates.claim_deadline_days} 日内应申请（截至 "
            f"{last:%Y-%m-%d}），{applied:%Y-%m-%d} 申请已逾期 {(applied - last).days} 天，视为放弃"
            f"（{source(policy, 'claim_deadline_days')}）")


def is_workday(day: dt.date) -> bool:
    if not CALENDAR_YEARS[0] <= day.year <= CALENDAR_YEARS[1]:
        raise NotConfiguredError(
            f"工作日历只覆盖 {CALENDAR_YEARS[0]}—{CALENDAR_YEARS[1]} 年（chinese-calendar），"
            f"{day:%Y-%m-%d} 是否工作日请人工核对，或升级 chinesecalendar")
    return chinese_calendar.is_workday(day)


def workday_number(day: dt.date) -> int | None:
    """Which working day of its month ``day`` is (1 = the first); None on a rest day."""
    if not is_workday(day):
        return None
    return sum(is_workday(day.replace(day=d)) for d in range(1, day.day + 1))


def enrolment_problem(policy: Policy, on_date: dt.date) -> str | None:
    """Why enrolment on ``on_date`` is outside the period's windows (beginning with 不符合), else None."""
    dates = policy.dates
    if dates is None or not (dates.enrolment_start and dates.enrolment_end):
        return None
    if not dates.enrolment_start <= on_date <= dates.enrolment_end:
        return (f"不符合：{on_date:%Y-%m-%d} 不在本期参互办理时间"
                f"（{dates.enrolment_start:%Y-%m-%d} 至 {dates.enrolment_end:%Y-%m-%d}）内（{source(policy, 'enrolment_end')}）")
    if dates.monthly_from is None or on_date < dates.monthly_from:
        return None
    number = workday_number(on_date)
    limit = dates.monthly_workdays or 0
    if number is None or number > limit:
        which = "不是工作日" if number is None else f"是当月第 {number} 个工作日"
        return (f"不符合：{dates.monthly_from:%Y-%m-%d} 起只在每月前 {limit} 个工作日办理，"
                f"{on_date:%Y-%m-%d} {which}（{source(policy, 'monthly_workdays')}）")
    return None


def participation_years(value) -> set[int]:
    """Years of a history cell such as "2019、2020、2021", "2019年,2020年" or "2019-2021"."""
    text = normalize_text(str(value))
    years: set[int] = set()
    for first, last in re.findall(r"((?:19|20)\d{2})(?:年)?(?:\s*[-—~至到]\s*((?:19|20)\d{2}))?", text):
        years.update(range(int(first), int(last or first) + 1))
    return years


def consecutive_years(years: set[int], through: int) -> int:
    """Unbroken years of participation ending with ``through`` (the current period's year)."""
    count = 0
    while through - count in years:
        count += 1
    return count


def period_year(policy: Policy) -> int | None:
    """The year a period's participation is recorded under (its cover start or enrolment start)."""
    dates = policy.dates
    day = dates and (dates.coverage_start or dates.enrolment_start)
    return day.year if day else None
