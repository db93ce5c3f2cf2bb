"""GB 11643 checks over a whole column of ID texts at once (numpy), falling back to the scalar
``idcard.normalize_id`` only for the rows that need a reason."""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from . import idcard
from .idcard import normalize_id


_WEIGHTS = np.array(idcard.WEIGHTS, dtype=np.float32)
_BIRTH = np.array([[1000, 0, 0], [100, 0, 0], [10, 0, 0], [1, 0, 0], [0, 10, 0], [0, 1, 0], [0, 0, 10], [0, 0, 1]],
                  dtype=np.float32)   # digits 7-14 (YYYYMMDD) -> year, month, day
_CHECK = np.array([ord(c) for c in idcard.CHECK_CHARS], dtype=np.int64)
_MONTH_DAYS = np.array((0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31), dtype=np.int32)


def ascii_block(values: list, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The cells as an (n, width + 1) array of ASCII codes, each row one cell's ``width`` characters
    and a line break, and where that row is the whole cell (a text of exactly ``width`` ASCII
    characters, none a line break; other rows are zeros). Joining the column into one text is much
    cheaper than handling the cells one by one."""
    n = len(values)
    try:
        joined = "\n".join(values)
        if len(joined) == n * (width + 1) - 1 and joined.isascii() and joined.count("\n") == n - 1:
            block = _reshaped(joined, n, width)
            if (block[:, width] == 10).all():   # so the line breaks are the ones the join put in
                return block, np.ones(n, bool)
    except TypeError:   # not all texts
        pass
    unfit = "\0" * width
    texts = [v if v.__class__ is str and len(v) == width and v.isascii() and "\n" not in v else unfit
             for v in values]
    return _reshaped("\n".join(texts), n, width), np.fromiter((t is not unfit for t in texts), bool, n)


def _reshaped(joined: str, n: int, width: int) -> np.ndarray:
    data = (joined + "\n").encode("ascii") if n else b""
    return np.frombuffer(data, np.uint8).reshape(n, width + 1)


def valid_codes(codes: np.ndarray) -> np.ndarray:
    """True where 18 character codes are a valid ID as ``idcard.normalize_id`` would accept it
    unchanged (ASCII digits, X/x, existing birth date, right check digit). False only means
    "let normalize_id decide and say why"."""
    d = codes[:, :17].astype(np.float32) - 48   # small whole numbers: exact, and float matmul is fast
    digit = (d >= 0) & (d < 10)
    ok = np.ones(len(codes), bool) if digit.all() else digit.all(axis=1)
    last = codes[:, 17]
    expected = _CHECK[(d @ _WEIGHTS).astype(np.int32) % 11]
    ok &= (last == expected) | ((expected == ord("X")) & (last == ord("x")))
    year, month, day = (d[:, 6:14] @ _BIRTH).astype(np.int32).T
    leap = ((year & 3) == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = _MONTH_DAYS[np.clip(month, 0, 12)] + ((month == 2) & leap)
    ok &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    return ok


def fast_valid(values: list) -> tuple[np.ndarray, np.ndarray]:
    """(the cells as ``ascii_block`` gives them, True where that is a valid ID as it stands)."""
    codes, fits = ascii_block(values, 18)
    return codes, fits & valid_codes(codes)


def check_ids(values: list) -> tuple[list[str | None], dict[int, str]]:
    """Canonical IDs (None where invalid) and {index: Chinese reason} for the invalid ones."""
    codes, ok = fast_valid(values)
    canonical: list[str | None] = [v if good else None for v, good in zip(values, ok.tolist())]
    for i in np.flatnonzero(ok & (codes[:, 17] == ord("x"))).tolist():
        canonical[i] = values[i].upper()
    reasons = {}
    for i in np.flatnonzero(~ok).tolist():
        try:
            canonical[i] = normalize_id(values[i])
        except InputError as error:
            reasons[i] = error.message
    return canonical, reasons
