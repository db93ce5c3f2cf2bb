"""Per-unit checks once every sheet is read: members against staff, the participation ratio."""

from __future__ import annotations

from ...rules.policy import Policy
from ..templates import NOT_JOINING
from .model import ERROR, MANUAL, WARNING, Problem, RosterResult


def unit_problems(policy: Policy, result: RosterResult) -> list[Problem]:
    """Problems of whole units (more members than staff, participation below the policy's floor)."""
    problems: list[Problem] = []
    participation = policy.participation
    if participation is not None and participation.renewal_target is not None:
        renewed = sum(u.renewed for u in result.units.values())
        problems.append(Problem(MANUAL, f"续会率目标 {participation.renewal_target:.0%}（{participation.source}）：本次名册"
                                        f"续互 {renewed} 人；续会率 = 续互人数 ÷ 上期参互人数，上期人数不在名册中，请人工核对"))
    for summary in result.units.values():
        file, sheet, header = summary.where
        staff = summary.staff
        if staff is not None and summary.active > staff:
            problems.append(Problem(
                ERROR, f"单位“{summary.unit}”在职参互 {summary.active} 人，多于在职职工人数 {staff} 人",
                file, sheet))
            continue
        if participation is None or summary.active == 0:
            continue
        if staff is None:
            problems.append(Problem(
                WARNING, f"单位“{summary.unit}”的参互比例无法核对：名册既没有“单位总人数”，也没有列出"
                         f"不参加（{NOT_JOINING}）的职工", file, sheet))
            continue
        floor = participation.min_ratio
        if participation.small_unit_max_staff and staff <= participation.small_unit_max_staff and \
                participation.small_unit_min_ratio is not None:
            floor = participation.small_unit_min_ratio
        if summary.ratio < floor:
            problems.append(Problem(
                ERROR, f"单位“{summary.unit}”在职参互比例 {summary.ratio:.2%}（{summary.active}/{staff}，"
                       f"在职职工人数{summary.staff_source}）低于方案 {policy.id} 的下限 {floor:.0%}",
                file, sheet, header=header))
    return problems
