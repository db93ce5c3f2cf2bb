"""A validation run over roster files: each file read safely, the policy and date from the given
options or the first roster's 设置 sheet, unreadable files reported as problems, never dropped."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable

from ...errors import FileFormatError
from ...rules.policy import get_policy
from ...rules.values import parse_date
from ..sheets import read_sheets, template_setting
from ..templates import DATE_NAME, POLICY_NAME, SETTINGS_SHEET
from .checker import RosterChecker
from .model import ERROR, WARNING, Problem, RosterResult


def _book_settings(sheets, policy_id: str | None, on: dt.date | None) -> tuple[str | None, dt.date | None]:
    """The given policy / date, else what the template's 设置 sheet holds (方案编号, 参互日期)."""
    if policy_id is None:
        value = template_setting(sheets, POLICY_NAME)
        policy_id = None if value is None else str(value).strip()
    if on is None:
        value = template_setting(sheets, DATE_NAME)
        on = None if value is None else parse_date(value, DATE_NAME)
    return policy_id, on


def check_files(inputs: list[tuple[Path, str]], policy_id: str | None, on: dt.date | None, *,
                progress: Callable[[int, Path], None] | None = None) -> tuple[RosterResult, list[Path], list[Path]]:
    """Validate roster files (file, 代办点) as one run. Returns the result, the readable and the unreadable files.

    Without a policy/date the first readable roster's 设置 sheet decides for the whole run; a
    roster whose 设置 names another scheme gets a 提醒. ``progress(files done, next file)`` is
    called before each file.
    """
    checker: RosterChecker | None = None
    unreadable_problems: list[Problem] = []
    readable, unreadable = [], []
    for done, (path, agent) in enumerate(inputs):
        if progress:
            progress(done, path)
        try:
            sheets = read_sheets(path)
        except FileFormatError as error:
            unreadable.append(path)
            unreadable_problems.append(Problem(ERROR, error.message, str(path), error.sheet or ""))
            continue
        readable.append(path)
        chosen, chosen_on = _book_settings(sheets, policy_id, on)
        if checker is None:
            checker = RosterChecker(get_policy(chosen), chosen_on)
        elif chosen is not None and chosen != checker.policy.id:
            checker.result.problems.append(Problem(
                WARNING, f"“设置”表的方案编号为 {chosen}，本次按 {checker.policy.id} 校验（可用 --policy 指定）",
                str(path), SETTINGS_SHEET))
        checker.check_file(sheets, agent=agent, file=str(path))
    checker = checker or RosterChecker(get_policy(policy_id), on)
    checker.result.problems.extend(unreadable_problems)
    checker.result.files.extend(p.file for p in unreadable_problems)
    return checker.finish(), readable, unreadable
