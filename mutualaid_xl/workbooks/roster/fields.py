"""The member fields the seeds ask for beyond name, ID and fee: required insurance (城镇职工医保,
大病补充医保), retirees' continuity from the participation history, and the number of shares."""

from __future__ import annotations

from ...errors import InputError
from ...rules import dates
from ...rules.values import is_blank, parse_bool, parse_whole
from ..sheets import Header, Sheet
from .model import ERROR, MANUAL, _template_header, _text


def check_member_fields(checker, sheet: Sheet, r: int, row: list, header: Header, verdict) -> None:
    """Problems of one enrolled member's extra fields, added to ``checker`` (the RosterChecker)."""
    cols, titles, policy = header.columns, header.titles, checker.policy
    checks = policy.checks
    for key in ("basic_insurance", "serious_insurance"):
        col = cols.get(key)
        wanted = _template_header(key)
        if col is None or is_blank(row[col]) or not checks or wanted not in checks.required_insurance:
            continue
        try:
            joined = parse_bool(row[col], key)
        except InputError:
            checker.add(ERROR, f"{wanted}应填 是/否", sheet, r, col, titles[key], _text(row[col]))
            continue
        if not joined:
            left = f"；{checks.left_insurance}" if key == "basic_insurance" and checks.left_insurance else ""
            checker.add(ERROR, f"未参加{wanted}，不符合参互条件（{checks.source}）{left}", sheet, r, col,
                        titles[key], _text(row[col]))
    years = policy.eligibility.retiree_years if policy.eligibility else []
    if verdict.role == "退休" and years:
        col = cols.get("history")
        required = "、".join(str(y) for y in years)
        if col is None or is_blank(row[col]):
            why = checks.retiree if checks and checks.retiree else policy.eligibility.source
            checker.note_once(MANUAL, f"退休人员须为 {required} 年连续参互：名册没有填写“参互历史”，请人工核对（{why}）")
        else:
            missing = [str(y) for y in years if y not in dates.participation_years(row[col])]
            if missing:
                checker.add(ERROR, f"退休人员须为 {required} 年连续参互，参互历史缺少 {'、'.join(missing)} 年"
                            f"（{policy.eligibility.source}）", sheet, r, col, titles["history"], _text(row[col]))
    col = cols.get("shares")
    if col is not None and not is_blank(row[col]):
        try:
            shares = parse_whole(row[col], "shares", minimum=1)
            low, high = (policy.shares.min, policy.shares.max) if policy.shares else (1, 1)
            if not low <= shares <= high:
                raise InputError(f"须在 {low}—{high} 份之间" if policy.shares else f"方案 {policy.id} 不按份数参互，只能为 1")
        except InputError as error:
            checker.add(ERROR, f"份数{error.message}", sheet, r, col, titles["shares"], _text(row[col]))
