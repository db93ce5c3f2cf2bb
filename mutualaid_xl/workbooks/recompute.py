"""Formula columns of files made from our templates, recomputed by the policy.

A roster or register saved where the formulas were not calculated (WPS or an Excel without
the add-in before the templates had native formulas: #NAME?), saved without cached values,
or saved stale, is not a member's error: the commands replace what the formula columns hold
with what the formulas compute, and say so once per file.
"""

from __future__ import annotations

from decimal import Decimal

from ..errors import MutualAidError
from ..rules import engine
from ..rules.policy import Policy
from ..rules.values import excel_error, is_blank, normalize_text
from .sheets import Sheet, header_key
from .templates import CLAIMS, NOT_JOINING, ROSTER, Layout

NOTE = ("{file}：{columns}列的公式没有算出结果或结果不是最新的（例如在 WPS 或未装加载项的 Excel 中保存过），"
        "已按方案 {policy} 重新计算；这不是会员信息的错误")


def _made_from(sheet: Sheet, layout: Layout, keys: tuple[str, ...]) -> bool:
    """The sheet is the template's: its name and the template's headers where the layout puts them (the
    buttons pass the sheets without 设置)."""
    if sheet.name != layout.sheet:
        return False
    index = layout.header_row - sheet.origin_row
    if not 0 <= index < len(sheet.rows):
        return False
    row = sheet.rows[index]
    for key in keys:
        col = _col(sheet, layout, key)
        if not 0 <= col < len(row) or header_key(row[col]) != header_key(layout.column(key).header):
            return False
    return True


def _col(sheet: Sheet, layout: Layout, key: str) -> int:
    from openpyxl.utils import column_index_from_string

    return column_index_from_string(layout.letter(key)) - sheet.origin_col


def _text(value) -> str:
    return "" if is_blank(value) else normalize_text(str(value))


def template_fee(policy: Policy, category, membership):
    """What the roster template's 交费金额 formula shows: a number, 未参, blank, or None for an error."""
    c, m = _text(category), _text(membership)
    if c + m == "":
        return ""
    if m == NOT_JOINING:
        return NOT_JOINING
    try:
        return engine.fee_for(policy, f"{c}/{m}")[0]
    except MutualAidError:
        return None


def _same(cached, expected) -> bool:
    if expected is None:                      # the formula shows an error text
        return isinstance(cached, str) and cached.startswith("#错误")
    if isinstance(expected, Decimal):
        return (isinstance(cached, (int, float)) and not isinstance(cached, bool)
                and round(Decimal(repr(cached)), 2) == expected)
    return _text(cached) == expected


def recompute_roster(sheets: list[Sheet], policy: Policy, file: str) -> str | None:
    """Put the policy's fee into a template roster's 交费金额 cells that do not hold it; the note, or None."""
    changed = 0
    for sheet in sheets:
        if not _made_from(sheet, ROSTER, ("category", "membership", "fee")):
            continue
        cc, cm, cf = (_col(sheet, ROSTER, k) for k in ("category", "membership", "fee"))
        derived = [_col(sheet, ROSTER, c.key) for c in ROSTER.columns if c.formula and c.key != "fee"]
        for row in sheet.rows[ROSTER.first_row - sheet.origin_row:]:
            for col in derived:   # sex, birth date, age...: the checks derive them from the ID themselves
                if col < len(row) and excel_error(row[col]):
                    row[col] = ""
                    changed += 1
            if len(row) <= cf:
                continue
            expected = template_fee(policy, row[cc], row[cm])
            if _same(row[cf], expected):
                continue
            changed += 1
            row[cf] = "" if expected is None else float(expected) if isinstance(expected, Decimal) else expected
    if not changed:
        return None
    return NOTE.format(file=_name(file), columns=f"“{ROSTER.column('fee').header}”", policy=policy.id)


def register_is_template(sheet: Sheet) -> bool:
    return _made_from(sheet, CLAIMS, ("admitted", "discharged", "days", "amount"))


def register_note(file: str, policy: Policy, cached_days: list, days: list, cached: dict[str, list],
                  computed: dict[str, list]) -> str | None:
    """The note for a template register whose formula columns held something else than the engine's."""
    stale = [key for key, values in cached.items()
             if any(not _same(c, e) for c, e in zip(values, computed[key]))]
    if any(excel_error(c) or (not is_blank(d) and c != d) for c, d in zip(cached_days, days)):
        stale.insert(0, "days")
    if not stale:
        return None
    columns = "、".join(f"“{CLAIMS.column(k).header}”" for k in stale)
    return NOTE.format(file=_name(file), columns=columns, policy=policy.id)


def _name(file: str) -> str:
    from pathlib import Path

    return Path(file).name if file else "本工作簿"
