"""GB 11643 checks over a whole column of ID texts at once (numpy), falling back to the scalar
``idcard.normalize_id`` only for the rows that need a reason."""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from . import idcard
from .idcard import normalize_id


_WEIGHTS = np.array(idcard.WEIGHTS, dtype=np.int32)
_CHECK = np.array([ord(c) for c in idcard.CHECK_CHARS], dtype=np.int64)
_MONTH_DAYS = np.array((0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), dtype=np.int64)


def _fast_valid(texts: list[str]) -> np.ndarray:
    """True where an 18-character text is a valid ID as ``idcard.normalize_id`` would accept it
    unchanged (ASCII digits, X/x, existing birth date, right check digit). False only means
    "let normalize_id decide and say why"."""
    if not texts:
        return np.zeros(0, dtype=bool)
    try:   # one byte a character when all are ASCII, else code points
        codes = np.array(texts, dtype="S18").view(np.uint8).reshape(len(texts), 18)
    except UnicodeEncodeError:
        codes = np.array(texts, dtype="<U18").view(np.uint32).reshape(len(texts), 18)
    digits = codes[:, :17].astype(np.int32) - 48
    ok = ((digits >= 0) & (digits <= 9)).all(axis=1)
    d = np.where(ok[:, None], digits, 0)
    last = codes[:, 17]
    expected = _CHECK[(d @ _WEIGHTS) % 11]
    ok &= (last == expected) | ((expected == 88) & (last == 120))
    year = d[:, 6] * 1000 + d[:, 7] * 100 + d[:, 8] * 10 + d[:, 9]
    month = d[:, 10] * 10 + d[:, 11]
    day = d[:, 12] * 10 + d[:, 13]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _MONTH_DAYS[np.clip(month, 0, 12)] + ((month == 2) & leap)
    ok &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    return ok


def check_ids(values: list) -> tuple[list[str | None], dict[int, str]]:
    """Canonical IDs (None where invalid) and {index: Chinese reason} for the invalid ones."""
    canonical: list[str | None] = [None] * len(values)
    fast = [i for i, v in enumerate(values) if v.__class__ is str and len(v) == 18]
    verdict = _fast_valid([values[i] for i in fast])
    good = np.asarray(fast, dtype=np.int64)[verdict].tolist() if fast else []
    for i in good:
        text = values[i]
        canonical[i] = text if text[17] != "x" else text.upper()
    reasons = {}
    for i in (i for i, id18 in enumerate(canonical) if id18 is None) if len(good) < len(values) else ():
        try:
            canonical[i] = normalize_id(values[i])
        except InputError as error:
            reasons[i] = error.message
    return canonical, reasons
