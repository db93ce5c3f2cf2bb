"""Roster rules over whole columns (ELIGIBLE, ID_AGE, ID_VALID, ID_MASK) for the worksheet functions.

The scalar rules in ``engine`` and ``idcard`` stay the only statement of the rules: these
functions only say which rows the scalar rules would treat alike. Ages come from the
vectorised ID check (``id_columns.check_ids``) and the birth date in the canonical ID;
eligibility depends on an ID only through its validity and that age, so a column needs the
scalar rule once per distinct (age, category, date), not once per member.
"""

from __future__ import annotations

import numpy as np

from ..errors import MutualAidError
from .id_columns import check_ids
from .idcard import mask_id
from .values import parse_date

_PLACES = np.array([1000, 100, 10, 1], dtype=np.int64)


def _dates(on_dates, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(month*100+day and year as arrays, readable) of a column of date cells or one date cell."""
    cells = on_dates if isinstance(on_dates, list) else [on_dates]
    parsed: dict = {}
    year, monthday, ok = np.zeros(len(cells), np.int64), np.zeros(len(cells), np.int64), np.ones(len(cells), bool)
    for i, cell in enumerate(cells):
        key = cell if cell.__class__ is str else (cell.__class__, cell)
        try:
            date = parsed[key]
        except KeyError:
            try:
                date = parsed[key] = parse_date(cell, "on_date")
            except MutualAidError:
                date = parsed[key] = None
        except TypeError:
            date = None
        if date is None:
            ok[i] = False
        else:
            year[i], monthday[i] = date.year, date.month * 100 + date.day
    if not isinstance(on_dates, list):
        year, monthday, ok = (np.broadcast_to(a, (n,)) for a in (year, monthday, ok))
    return year, monthday, ok


def ages(ids: list, on_dates) -> tuple[np.ndarray, np.ndarray]:
    """Full years of age (周岁) of each ID on its row's date (``on_dates``: a column, or one cell for all).

    ``ok`` is false where the scalar rule (``idcard.age_on`` after ``normalize_id`` and
    ``parse_date``) would not give an age: an invalid ID, an unreadable date, a birth after the date.
    """
    n = len(ids)
    canonical, _ = check_ids(ids)
    ok = np.fromiter((c is not None for c in canonical), bool, n)
    texts = np.array([c or "000000000001010000" for c in canonical], dtype="<U18")
    digits = texts.view(np.uint32).reshape(n, 18).astype(np.int64) - 48
    born_year = digits[:, 6:10] @ _PLACES
    born_monthday = digits[:, 10:14] @ _PLACES
    year, monthday, readable = _dates(on_dates, n)
    age = year - born_year - (monthday < born_monthday)
    return age, ok & readable & (age >= 0)


def id_reasons(values: list) -> list[str | None]:
    """None for a valid ID, else the reason ``idcard.id_problem`` gives."""
    canonical, reasons = check_ids(values)
    return [None if id18 is not None else reasons[i] for i, id18 in enumerate(canonical)]


def masked(values: list) -> list[str]:
    """``idcard.mask_id`` of each value; plain 18-character ASCII IDs without spaces are masked
    by slicing (what mask_id does to them), anything else goes through mask_id itself."""
    stars = "*" * 10
    return [v[:4] + stars + v[14:] if v.__class__ is str and len(v) == 18 and v.isascii() and v.isalnum()
            else mask_id(v) for v in values]
