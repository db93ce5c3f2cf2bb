"""Roster rules over whole columns (ELIGIBLE, ID_AGE, ID_VALID, ID_MASK) for the worksheet functions.

The scalar rules in ``engine`` and ``idcard`` stay the only statement of the rules: these
functions only say which rows the scalar rules would treat alike. Ages come from the
vectorised ID check (``id_columns.check_ids``) and the birth date in the canonical ID;
eligibility depends on an ID only through its validity and that age, so a column needs the
scalar rule once per distinct (age, category, date), not once per member.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError, MutualAidError
from .id_columns import ascii_block, fast_valid
from .idcard import mask_id, normalize_id
from .values import is_blank, parse_date

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


def _id_codes(ids: list) -> tuple[np.ndarray, np.ndarray]:
    """(valid, the canonical IDs' characters as rows of ASCII codes). ``valid`` false
    only means the scalar rule must look at that row (its reason, or an ID it still accepts)."""
    codes, valid = fast_valid(ids)
    redo = np.flatnonzero(~valid & ~_well_formed(codes)).tolist()
    if redo:
        codes = codes.copy()
    for i in redo:   # e.g. a 15-digit ID or one with spaces, which normalize_id still accepts
        try:
            codes[i, :18] = np.frombuffer(normalize_id(ids[i]).encode("ascii"), np.uint8)
            valid[i] = True
        except (InputError, UnicodeEncodeError):   # e.g. Arabic-Indic digits: left to the scalar rule
            pass
    return valid, codes


_LAST = np.array([ord(c) for c in "0123456789Xx"], np.uint8)


def _well_formed(codes: np.ndarray) -> np.ndarray:
    """17 ASCII digits and a digit or X: normalize_id judges such a text exactly as valid_codes
    does, so an invalid one need not be tried again."""
    return ((codes[:, :17] - np.uint8(48)) < 10).all(axis=1) & np.isin(codes[:, 17], _LAST)


def ages(ids: list, on_dates) -> tuple[np.ndarray, np.ndarray]:
    """Full years of age (周岁) of each ID on its row's date (``on_dates``: a column, or one cell for all).

    ``ok`` is false where the scalar rule (``idcard.age_on`` after ``normalize_id`` and
    ``parse_date``) may not give this age: an invalid ID, an unreadable date, a birth after the date.
    """
    valid, codes = _id_codes(ids)
    digits = codes[:, 6:14].astype(np.int64) - 48
    born_year = digits[:, 0:4] @ _PLACES
    born_monthday = digits[:, 4:8] @ _PLACES
    year, monthday, readable = _dates(on_dates, len(ids))
    age = year - born_year - (monthday < born_monthday)
    return age, valid & readable & (age >= 0)


def invalid_ids(ids: list) -> np.ndarray:
    """Rows whose value the scalar ID check must look at (an invalid ID, or one it must normalise)."""
    return np.flatnonzero(~fast_valid(ids)[1])


def masked(values: list) -> list[str]:
    """``idcard.mask_id`` of each value ("" for a blank one). On 18 printable ASCII characters
    without spaces mask_id only cuts (first 4 and last 4 kept); such texts are starred as one
    array, anything else goes through mask_id itself."""
    block, fits = ascii_block(values, 18)
    outside = (block - np.uint8(33)) > 93   # not 33-126: a space, a control character, the line breaks
    if fits.all() and np.count_nonzero(outside) == len(values):
        plain = fits
    else:
        plain = fits & ~outside[:, :18].any(axis=1)
    starred = block.copy()
    starred[:, 4:14] = ord("*")
    out = starred.tobytes().decode("ascii").split("\n")
    out.pop()
    for i in np.flatnonzero(~plain).tolist():
        out[i] = "" if is_blank(values[i]) else mask_id(values[i])
    return out
