"""Roster validation and per-unit summaries (the service behind `mutualaid validate`/`fill`
and the ribbon's 校验名册).

Input is ``sheets.Sheet`` objects (values already in memory, from calamine or from Excel);
nothing here opens or writes a clerk's file except ``write_report``, which writes a new one.

Decisions a clerk should know (also printed in the report's 说明 sheet):
- A row counts only when one of 姓名/身份证号/类别/续互新参互/交费金额 is filled, so rows with
  just a pre-filled 序号 are blank rows.
- 未参 in 续互/新参互 or 交费金额 means "listed but not joining" (昆冶高专工发〔2015〕10号 四（二））:
  such rows are not checked for fee or age and not counted as members.
- Participation ratio = 在职参互人数 / 在职职工人数. 在职职工人数 is taken from a cell above the
  header ("单位总人数：120", "在职职工人数" ...) when the roster has one, else counted from the
  roster as its 在职 rows including 未参 rows (the Kunming rule keeps them listed). A roster
  with neither cannot be checked and gets a 提醒.
- A fee that does not match the policy is reported as an error but counted as written (it is
  what was collected); negative or unreadable fees are not counted.
- The enrolment date for ages: --on, else a 参互日期 column, else a 参互日期 cell above the
  header, else the policy's enrolment start.
"""

from .checker import RosterChecker, validate
from .model import ERROR, FIELDS, MANUAL, MAX_REPORT_ROWS, REQUIRED, WARNING, Problem, RosterResult, UnitSummary
from .report import PROBLEM_HEADERS, UNIT_HEADERS, notes, problem_rows, unit_rows, write_report
from .run import check_files

__all__ = ["ERROR", "FIELDS", "MANUAL", "MAX_REPORT_ROWS", "PROBLEM_HEADERS", "REQUIRED", "UNIT_HEADERS", "WARNING", "Problem",
           "RosterChecker", "RosterResult", "UnitSummary", "check_files", "notes", "problem_rows", "unit_rows", "validate",
           "write_report"]
