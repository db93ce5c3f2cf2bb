"""What a claims register's dates say, derived before the engine runs (`mutualaid claims`).

From 入院/出院日期, 医保结算日期, 申请日期 and the member's 参互日期 (the register's own column,
else the roster given with --roster): 期内天数 inside the member's cover, 连续参互年数 from the
roster's 参互历史, the claim deadline (a late claim is withheld unless 逾期特批 is 是 with a
reason), which period's rules apply, and the checks only the clerk can decide (待人工核对,
each with its article). Typed 期内天数 and 连续参互年数 win.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import InputError, MutualAidError
from ..rules import dates
from ..rules.idcard import normalize_id
from ..rules.policy import Policy
from ..rules.values import is_blank, parse_bool, parse_date
from .sheets import find_header, read_sheets, template_setting

_MATERNITY = re.compile(r"生育|妊娠|分娩|剖宫|流产|引产|早产|孕|产后|产前")


@dataclass
class Member:
    joined: dt.date | None = None
    history: set[int] = field(default_factory=set)
    basic_insurance: bool | None = None


@dataclass
class ClaimDates:
    chronic_policy: Policy                 # the policy for outpatient chronic-disease months (no allowance)
    chronic: np.ndarray                    # rows computed as outpatient chronic-disease months
    withheld: dict[int, str] = field(default_factory=dict)      # position -> why nothing is paid
    note: dict[int, str] = field(default_factory=dict)          # position -> 日期核对
    manual: dict[int, list[str]] = field(default_factory=dict)  # position -> 待人工核对 (with the article)
    notes: list[str] = field(default_factory=list)


def read_members(paths: Path | str | list) -> dict[str, Member]:
    """ID -> 参互日期, 参互历史 and the 城镇职工医保 flag from rosters: this period's and, if given,
    earlier periods' (a member listed in a period's roster took part that year). Rows with a bad
    ID are skipped: the roster's own validation reports them. The latest 参互日期 wins."""
    members: dict[str, Member] = {}
    for path in paths if isinstance(paths, list) else [paths]:
        _read_roster(Path(path), members)
    if not members:
        raise InputError("名册中没有找到“身份证号”列或有效的身份证号", file=str(paths))
    return members


def _roster_year(sheets) -> int | None:
    """The period year of a roster made from the template: its 设置 sheet's 方案编号, else 参互日期."""
    from ..rules.policy import get_policy
    from .templates import DATE_NAME, POLICY_NAME

    try:
        policy_id = template_setting(sheets, POLICY_NAME)
        if policy_id is not None:
            return dates.period_year(get_policy(str(policy_id)))
        on = template_setting(sheets, DATE_NAME)
        return None if on is None else parse_date(on, "参互日期").year
    except MutualAidError:
        return None


def _read_roster(path: Path, members: dict[str, Member]) -> None:
    from .roster import FIELDS

    sheets = read_sheets(path, skip_hidden=True)
    year = _roster_year(sheets)
    for sheet in sheets:
        header = find_header(sheet, FIELDS)
        if header is None or "id_number" not in header.columns:
            continue
        cols = header.columns

        def cell(row, key):
            col = cols.get(key)
            return row[col] if col is not None and col < len(row) else None

        for row in sheet.rows[header.row_index + 1:]:
            try:
                key = normalize_id(cell(row, "id_number"))
            except (InputError, TypeError):
                continue
            member = members.setdefault(key, Member())
            if year is not None:
                member.history.add(year)
            try:
                joined = None if is_blank(cell(row, "on")) else parse_date(cell(row, "on"), "on")
                if joined and (member.joined is None or joined > member.joined):
                    member.joined = joined
                if joined and year is None:
                    member.history.add(joined.year)
                if not is_blank(cell(row, "basic_insurance")):
                    member.basic_insurance = parse_bool(cell(row, "basic_insurance"), "basic_insurance")
            except InputError:
                pass
            if not is_blank(cell(row, "history")):
                member.history |= dates.participation_years(cell(row, "history"))


def without_allowance(policy: Policy) -> Policy:
    """The policy for outpatient chronic-disease months: the same rules without the hospital allowance."""
    if policy.subsidy is None or policy.subsidy.allowance is None:
        return policy
    return policy.model_copy(update={"subsidy": policy.subsidy.model_copy(update={"allowance": None})})


def derive_dates(policy: Policy, cells: dict[str, list], keys: list[str | None], members: dict[str, Member],
                 problem: Callable[[int, str | None, str], None]) -> ClaimDates:
    """Fill 期内天数 and 连续参互年数 in ``cells`` where blank; say what the dates decide."""
    n = len(keys)
    result = ClaimDates(without_allowance(policy), np.zeros(n, bool))
    checks = policy.checks
    year = dates.period_year(policy)

    def day(position: int, key: str) -> dt.date | None:
        value = cells[key][position]
        if is_blank(value):
            return None
        try:
            return parse_date(value, key)
        except InputError as error:
            if key not in ("admitted", "discharged"):   # those two are reported with 住院天数
                problem(position, key, error.message)
            return None

    for position in range(n):
        member = members.get(keys[position] or "", Member())
        manual = result.manual.setdefault(position, [])
        admitted, discharged = day(position, "admitted"), day(position, "discharged")
        joined = day(position, "joined") or member.joined
        start, end = day(position, "cover_start"), day(position, "cover_end")
        period = (start, end) if start and end else dates.cover(policy, joined)
        if admitted and discharged and period and discharged >= admitted:
            _cover(policy, cells, position, admitted, discharged, period, result, manual)
        if is_blank(cells["years"][position]) and member.history and year is not None:
            cells["years"][position] = dates.consecutive_years(member.history | {year}, year)
            _add_note(result, position, f"连续参互 {cells['years'][position]} 年（按名册参互历史）")
        _deadline(policy, cells, position, day(position, "settled"), day(position, "applied"), result, problem)
        _checks(policy, cells, position, admitted, discharged, member, result, manual, problem)
        if not manual:
            del result.manual[position]
    if policy.dates and policy.dates.claim_deadline_days:
        result.notes.append(f"申请期限：医保结算后 {policy.dates.claim_deadline_days} 日内（{dates.source(policy, 'claim_deadline_days')}）；"
                            "逾期的不予补助，除非“逾期特批”填“是”并写明特批说明。")
    if checks is not None:
        result.notes.append(f"待人工核对的条款：{checks.source}。")
    if year is None and any(m.history for m in members.values()):
        result.notes.append("方案没有给出本期年度，连续参互年数未按参互历史得出。")
    return result


def _add_note(result: ClaimDates, position: int, text: str) -> None:
    result.note[position] = "；".join(filter(None, [result.note.get(position), text]))


def _cover(policy, cells, position, admitted, discharged, period, result: ClaimDates, manual: list) -> None:
    inside = dates.covered_days(admitted, discharged, period)
    first, last = f"{period[0]:%Y-%m-%d}", f"{period[1]:%Y-%m-%d}"
    shown = f"{first} 至 {last}"
    typed = not is_blank(cells["covered_days"][position])
    if inside == 0 and not typed:
        result.withheld[position] = dates.outside_cover(policy, first, last)
        return
    days = cells["days"][position]
    if not typed:
        total = dates.stay_days(admitted, discharged)
        cells["covered_days"][position] = min(inside, days) if isinstance(days, int) else inside
        if inside < total:
            _add_note(result, position, f"保障期 {shown}：期内 {inside} 天 / 共 {total} 天")
    wrong_period = dates.period_problem(policy, admitted, discharged, period)
    if wrong_period:
        manual.append(wrong_period)


def _deadline(policy, cells, position, settled, applied, result: ClaimDates, problem) -> None:
    if policy.dates is None or policy.dates.claim_deadline_days is None:
        return
    if settled is None or applied is None:
        if settled or applied:
            missing = "申请日期" if settled else "医保结算日期"
            result.manual.setdefault(position, []).append(
                f"缺少{missing}，无法核对申请期限（{dates.source(policy, 'claim_deadline_days')}）")
        return
    late = dates.late_reason(policy, settled, applied)
    if late is None:
        _add_note(result, position, f"按期申请（期限至 {dates.deadline(policy, settled):%Y-%m-%d}）")
        return
    exception = _flag(cells, position, "late_ok", problem)
    reason = "" if is_blank(cells["late_note"][position]) else str(cells["late_note"][position]).strip()
    if exception and reason:
        _add_note(result, position, f"{late.split('，视为放弃')[0]}；逾期特批：{reason}")
    elif exception:
        problem(position, "late_note", "“逾期特批”为是，但“特批说明”为空：请写明特批理由")
        result.withheld[position] = late
    else:
        result.withheld[position] = late


def _flag(cells, position, key, problem) -> bool | None:
    value = cells[key][position]
    if is_blank(value):
        return None
    try:
        return parse_bool(value, key)
    except MutualAidError as error:
        problem(position, key, error.message)
        return None


def _checks(policy, cells, position, admitted, discharged, member: Member, result: ClaimDates, manual, problem):
    checks = policy.checks
    chronic = _flag(cells, position, "chronic", problem)
    if checks is None:
        return
    if chronic and checks.chronic:
        result.chronic[position] = True
        manual.append(checks.chronic)
        if admitted and discharged and (admitted.year, admitted.month) != (discharged.year, discharged.month):
            problem(position, "discharged", dates.CHRONIC_BY_MONTH)
            result.withheld.setdefault(position, "门诊特殊慢性病须按月分行登记")
    diagnosis = cells["diagnosis"][position]
    if checks.maternity and not is_blank(diagnosis) and _MATERNITY.search(str(diagnosis)):
        manual.append(checks.maternity)
    if checks.left_insurance and member.basic_insurance is False:
        manual.append("名册中城镇职工医保为“否”：" + checks.left_insurance)
