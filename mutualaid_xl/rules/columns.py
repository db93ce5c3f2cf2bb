"""SUBSIDY over whole columns for one policy, exactly as ``engine.compute_subsidy`` row by row.

Exact without floats: money is int64 fen, a policy's yuan values are fen x 10^j, its rates
are integers over 10^k, and pro-rating keeps the row's day count as a denominator. Every
quantity of a row is then an integer over Q x 10^j x 10^k (Q = days when pro-rated, else 1),
and the single half-up rounding at the end is integer division. Rows the fast path does not
take go to the scalar engine, so they get the very same amounts and Chinese messages:
bad input (negative days, self-pay above total cost, ...), cells that are text or have more
than two decimals, values large enough to risk int64 overflow, and policies or categories
whose values cannot be resolved up front.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np

from . import engine, plan, summary
from ..errors import InputError, MutualAidError
from .policy import Policy, by_category
from .values import LIMITS, is_blank, parse_bool, parse_decimal, parse_whole

FIELDS = ("self_pay", "days", "years", "first_stay", "paid_before", "covered_days", "total_cost", "shares")
MONEY_FIELDS = ("self_pay", "paid_before", "total_cost")
_MAX_YUAN = 10**11          # plain numbers up to this many yuan take the fast path
_MAX_WHOLE = 2**31          # days, years and shares up to this take the fast path
_SAFE = 2.0**60             # bound on every intermediate numerator (int64 holds 2**63)
_NAN = float("nan")


def stay_from_cells(self_pay, days, years=None, first_stay=None, paid_before=None, covered_days=None,
                    total_cost=None, shares=None, category=None) -> engine.Stay:
    """Cell values of one claim as a Stay, with the SUBSIDY worksheet function's parsing and defaults."""

    def optional(value, parse, argument, default):
        return default if is_blank(value) else parse(value, argument)

    return engine.Stay(
        self_pay=optional(self_pay, parse_decimal, "self_pay", None),
        days=parse_whole(days, "days"),
        years=optional(years, parse_whole, "years", 1),
        first_stay=optional(first_stay, parse_bool, "first_stay", True),
        paid_before=optional(paid_before, parse_decimal, "paid_before", Decimal(0)),
        covered_days=optional(covered_days, parse_whole, "covered_days", None),
        total_cost=optional(total_cost, parse_decimal, "total_cost", None),
        shares=optional(shares, parse_whole, "shares", 1),
        category=None if is_blank(category) else category,
    )


def _convert(name: str, column) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One column of cells: (blank, value, needs the scalar parser). Money in fen."""
    n, limit, nan = len(column), float(_MAX_WHOLE) ** 2, _NAN
    blank = np.fromiter((v is None or v == "" for v in column), bool, n)
    if name == "first_stay":
        code = np.fromiter((1 if v is True else 0 if v is False else 2 for v in column), np.int8, n)
        return blank, np.where(blank, True, code == 1), (code == 2) & ~blank
    x = np.fromiter((v if type(v) is float else (v if -limit < v < limit else nan) if type(v) is int else nan
                     for v in column), np.float64, n)
    with np.errstate(invalid="ignore"):
        if name in MONEY_FIELDS:
            value = np.rint(x * 100)
            fast = (x >= 0) & (x < _MAX_YUAN) & (value / 100 == x)
        else:
            value = x
            fast = (x >= 0) & (x <= LIMITS.get(name, _MAX_WHOLE)) & (np.floor(x) == x)
    odd = ~(fast | blank) | (blank if name == "days" else False)   # SUBSIDY needs days
    return blank, np.where(fast, value, 0).astype(np.int64), odd


def _fen_to_decimal(fen: int) -> Decimal:
    return Decimal(int(fen)).scaleb(-2)


@dataclass
class ClaimColumns:
    """Claims as columns. Money in fen (int64); ``has_*`` false where an optional value is absent.

    Rows in ``scalar`` (row -> Stay, or the error its cells gave) are computed by the scalar engine.
    """

    self_pay: np.ndarray
    has_self_pay: np.ndarray
    days: np.ndarray
    years: np.ndarray
    first_stay: np.ndarray
    paid_before: np.ndarray
    covered_days: np.ndarray
    has_covered_days: np.ndarray
    total_cost: np.ndarray
    has_total_cost: np.ndarray
    shares: np.ndarray
    category: np.ndarray | None = None
    blank: np.ndarray | None = None
    scalar: dict = dataclasses.field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.days)

    @classmethod
    def from_arrays(cls, days, self_pay=None, *, years=1, first_stay=True, paid_before=0, covered_days=None,
                    total_cost=None, shares=1, category=None) -> ClaimColumns:
        """Whole numbers (money in fen); None for an absent optional column; scalars are broadcast."""
        days = np.asarray(days, dtype=np.int64)
        n = len(days)

        def ints(value, dtype=np.int64):
            return np.broadcast_to(np.asarray(value, dtype=dtype), (n,)).copy()

        def optional(value):
            if value is None:
                return np.zeros(n, np.int64), np.zeros(n, bool)
            return ints(value), np.ones(n, bool)

        sp, has_sp = optional(self_pay)
        cd, has_cd = optional(covered_days)
        tc, has_tc = optional(total_cost)
        cat = None if category is None else np.broadcast_to(np.asarray(category, dtype=object), (n,)).copy()
        return cls(sp, has_sp, days, ints(years), ints(first_stay, bool), ints(paid_before), cd, has_cd, tc, has_tc,
                   ints(shares), cat, np.zeros(n, bool))

    @classmethod
    def from_cells(cls, self_pay, days, years=None, first_stay=None, paid_before=None, covered_days=None,
                   total_cost=None, shares=None, category=None) -> ClaimColumns:
        """Raw cell values (lists as read from a sheet, or single values broadcast), parsed like SUBSIDY.

        Plain numbers, booleans and empty cells are converted column-wise; a row with any other
        cell (text such as "1,234元", Excel errors, negative or odd numbers) is parsed by
        ``stay_from_cells`` and computed by the scalar engine.
        """
        raw = dict(zip(FIELDS, (self_pay, days, years, first_stay, paid_before, covered_days, total_cost, shares)))
        lengths = {len(v) for v in raw.values() if isinstance(v, (list, tuple))}
        if len(lengths) > 1:
            raise InputError(f"各列行数不一致（{sorted(lengths)}）")
        n = lengths.pop() if lengths else 1
        cells = {k: v if isinstance(v, (list, tuple)) else [v] * n for k, v in raw.items()}
        slow = np.zeros(n, bool)
        blank_of, values = {}, {}
        for name, given in raw.items():
            single = not isinstance(given, (list, tuple))
            blank, value, odd = _convert(name, [given] if single else given)
            if single:   # one value for every row: converted once
                blank, value, odd = (np.broadcast_to(a, (n,)).copy() for a in (blank, value, odd))
            blank_of[name], values[name] = blank, value
            slow |= odd
        defaults = {"years": 1, "shares": 1, "paid_before": 0}
        for name, default in defaults.items():
            values[name] = np.where(blank_of[name], default, values[name])
        row_blank = blank_of["self_pay"] & blank_of["days"]
        for i in np.flatnonzero(slow & ~row_blank):  # whitespace-only cells are blank too
            row_blank[i] = is_blank(cells["self_pay"][i]) and is_blank(cells["days"][i])
        cat = None
        if category is not None:
            given = category if isinstance(category, (list, tuple)) else [category] * n
            cat = np.array([None if is_blank(v) else v for v in given], dtype=object)
        result = cls(
            values["self_pay"], ~blank_of["self_pay"], values["days"], values["years"], values["first_stay"],
            values["paid_before"], values["covered_days"], ~blank_of["covered_days"], values["total_cost"],
            ~blank_of["total_cost"], values["shares"], cat, row_blank,
        )
        for i in np.flatnonzero(slow & ~row_blank):
            i = int(i)
            try:
                result.scalar[i] = stay_from_cells(*(cells[name][i] for name in FIELDS),
                                                   category=None if cat is None else cat[i])
            except MutualAidError as error:
                result.scalar[i] = error
        return result

    def stay(self, i: int) -> engine.Stay:
        """Row ``i`` as a Stay for the scalar engine."""
        if i in self.scalar:
            found = self.scalar[i]
            if isinstance(found, MutualAidError):
                raise found
            return found
        return engine.Stay(
            self_pay=_fen_to_decimal(self.self_pay[i]) if self.has_self_pay[i] else None,
            days=int(self.days[i]), years=int(self.years[i]), first_stay=bool(self.first_stay[i]),
            paid_before=_fen_to_decimal(self.paid_before[i]),
            covered_days=int(self.covered_days[i]) if self.has_covered_days[i] else None,
            total_cost=_fen_to_decimal(self.total_cost[i]) if self.has_total_cost[i] else None,
            shares=int(self.shares[i]), category=None if self.category is None else self.category[i],
        )

    def take(self, rows: np.ndarray) -> ClaimColumns:
        """The given rows (in that order) as new columns."""
        rows = np.asarray(rows, dtype=np.int64)
        arrays = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "scalar"}
        taken = {k: None if v is None else v[rows] for k, v in arrays.items()}
        scalar = {}
        if self.scalar:
            position = {int(r): p for p, r in enumerate(rows) if int(r) in self.scalar}
            scalar = {position[r]: s for r, s in self.scalar.items() if r in position}
        return ClaimColumns(**taken, scalar=scalar)

    def with_history(self, first_stay: np.ndarray, paid_before_fen: np.ndarray) -> ClaimColumns:
        """The same claims with 首次住院 and 已付补助金 replaced (a register derives them)."""
        scalar = {
            i: s if isinstance(s, MutualAidError)
            else dataclasses.replace(s, first_stay=bool(first_stay[i]), paid_before=_fen_to_decimal(paid_before_fen[i]))
            for i, s in self.scalar.items()
        }
        return dataclasses.replace(self, first_stay=np.asarray(first_stay, bool).copy(),
                                   paid_before=np.asarray(paid_before_fen, np.int64).copy(), scalar=scalar)


@dataclass
class SubsidyColumns:
    """Per-row results: amounts and cap parts in fen; blank rows and error rows hold 0."""

    amount_fen: np.ndarray
    cap_part_fen: np.ndarray
    blank: np.ndarray
    errors: dict[int, MutualAidError]
    scalar_results: dict[int, engine.SubsidyResult]
    parts_num: np.ndarray   # (n, 3): benefit, allowance, top-up numerators over ``parts_den``
    parts_den: np.ndarray
    summaries: list[str | None] | None = None   # the one-line 说明 of computed rows, when asked for

    def __len__(self) -> int:
        return len(self.amount_fen)

    @property
    def vector_rows(self) -> int:
        return len(self) - int(self.blank.sum()) - len(self.errors) - len(self.scalar_results)

    def amount(self, i: int) -> Decimal | None:
        return None if self.blank[i] or i in self.errors else _fen_to_decimal(self.amount_fen[i])

    def cap_part(self, i: int) -> Decimal | None:
        return None if self.blank[i] or i in self.errors else _fen_to_decimal(self.cap_part_fen[i])

    def parts(self, i: int) -> tuple[Fraction, Fraction, Fraction]:
        """Exact 补助金, 住院补贴, 保底补足 of row ``i`` (as SubsidyResult.benefit/allowance/topup)."""
        if i in self.scalar_results:
            r = self.scalar_results[i]
            return r.benefit, r.allowance, r.topup
        den = int(self.parts_den[i])
        return tuple(Fraction(int(x), den) for x in self.parts_num[i])  # type: ignore[return-value]


# ------------------------------------------------------------------ the policy as integers


class _Unsupported(Exception):
    """The fast path cannot take this policy/category; the scalar engine will."""


def _places(value: Decimal) -> int:
    return max(0, -value.normalize().as_tuple().exponent)


def _plan_numbers(steps: plan.Plan, pick) -> tuple[list[Decimal], list[Decimal]]:
    """The plan's yuan values and band rates (category values resolved by ``pick``)."""
    yuan: list[Decimal] = []
    rates: list[Decimal] = []
    for block in steps.blocks:
        if isinstance(block, plan.Gate):
            yuan.append(pick(block.threshold, "起付门槛"))
        elif isinstance(block, plan.Deductible):
            yuan += [pick(block.first, "起付额")] + ([] if block.later is None else [pick(block.later, "起付额")])
        elif isinstance(block, plan.Bands):
            if block.brackets is None:
                raise _Unsupported  # the engine says the bands are missing, row by row
            yuan += [b.upto for b in block.brackets if b.upto is not None]
            rates += [b.rate for b in block.brackets]
        elif isinstance(block, (plan.StayCap, plan.PeriodCap, plan.Minimum)):
            yuan.append(pick(block.amount, "封顶或保底金额"))
        elif isinstance(block, plan.DayAllowance):
            yuan += _day_rates(block.rule, pick)
        elif isinstance(block, plan.Rounding):
            yuan.append(block.unit)
    return yuan, rates


def _day_rates(rule, pick) -> list[Decimal]:
    if rule.rate_by_years is not None:
        return [Decimal(r.rate) for r in rule.rate_by_years]
    return [pick(rule.rate, "住院补贴标准")]


class _Vector:
    """The plan as integers for one category: yuan values are fen x S (S = 10^j), rates are
    integers over K (K = 10^k); ``compute`` walks the blocks with one function per kind."""

    def __init__(self, policy: Policy, category):
        self.plan = plan.compile_plan(policy)
        self.category, self.policy_id = category, policy.id
        yuan, rates = _plan_numbers(self.plan, self._decimal)
        j = max(_places(v * 100) for v in yuan)
        k = max((_places(r) for r in rates), default=0)
        if j + k > 8:
            raise _Unsupported
        self.S, self.K = 10**j, 10**k
        rounding = self.plan.find(plan.Rounding)
        self.unit = self.fen(rounding.unit)
        if self.unit % self.S:
            raise _Unsupported  # a rounding unit finer than a fen
        self.unit_fen = self.unit // self.S
        self.largest = max(self.fen(v) for v in yuan)
        allowance = self.plan.find(plan.DayAllowance)
        self.day_rate = 0 if allowance is None else max(self.fen(v) for v in _day_rates(allowance.rule, self._decimal))
        self.bands = len(rates)
        self.shares = None if policy.shares is None else (policy.shares.min, policy.shares.max)

    def _decimal(self, value, what) -> Decimal:
        return Decimal(by_category(value, self.category, what, self.policy_id))

    def fen(self, value) -> int:
        return int(Decimal(value) * 100 * self.S)

    def pick(self, value, what: str) -> int:
        return self.fen(self._decimal(value, what))

    def fast_rows(self, c: ClaimColumns, rows: np.ndarray) -> np.ndarray:
        """Which of ``rows`` the fast path computes: valid input (else the engine's message is
        wanted) and intermediate values safely inside int64."""
        days, covered = c.days[rows], np.where(c.has_covered_days[rows], c.covered_days[rows], c.days[rows])
        ok = (days >= 0) & (covered >= 0) & (covered <= days) & (c.years[rows] >= 1) & (c.paid_before[rows] >= 0)
        sp, tc = c.self_pay[rows], c.total_cost[rows]
        has_sp, has_tc = c.has_self_pay[rows], c.has_total_cost[rows]
        ok &= (~has_sp | (sp >= 0)) & (~has_tc | (tc >= 0)) & ~(has_sp & has_tc & (sp > tc))
        shares = c.shares[rows]
        low, high = self.shares or (1, 1)
        ok &= (shares >= low) & (shares <= high)
        base = self.plan.blocks[0].kind
        if base == "self_pay":
            ok &= has_sp
        elif base == "total_cost":
            ok &= has_tc
        amount = np.where(has_sp, sp, 0) + np.where(has_tc, tc, 0)
        size = (amount.astype(float) + c.paid_before[rows] + 2.0 * self.largest / self.S
                + days.astype(float) * self.day_rate / self.S * shares)
        bound = 8.0 * size * np.maximum(days, 1) * self.S * self.K * (self.bands + 4)
        return ok & (bound < _SAFE)

    def compute(self, c: ClaimColumns, rows: np.ndarray, notes: bool = False):
        """Exact amounts of valid rows: (amount_fen, cap_part_fen, parts numerators (m, 3), denominator,
        the one-line 说明 of each row or None)."""
        run = _Rows(c, rows, notes)
        for block in self.plan.blocks:
            _STEPS[type(block)](self, run, block)
        texts = None
        if notes:
            first = [self.policy_id] * len(rows)
            texts = [summary.join(pieces) for pieces in zip(first, *run.notes)]
        return (*run.result, texts)

    def yuan(self, value) -> str:
        """A policy value (fen x S as from ``pick``) as the 说明 writes it."""
        return summary.number(value, 100 * self.S)


class _Rows:
    """Valid rows on their way through the plan. Values before the bands are over Q*S, after
    them over Q*S*K (Q = the row's days when pro-rated, else 1)."""

    def __init__(self, c: ClaimColumns, rows: np.ndarray, notes: bool):
        self.c, self.rows = c, rows
        self.notes: list[list] | None = [] if notes else None   # one column of 说明 pieces per step
        self.days = c.days[rows]
        self.first = c.first_stay[rows]
        zero = np.zeros(len(rows), np.int64)
        self.Q = self.QK = self.amount = self.benefit = self.allowance = self.topup = zero
        self.payable = np.zeros(len(rows), bool)
        self.allowance_days = self.days
        self.room = self.room_before = self.stay_limit = None
        self.includes_allowance = False
        self.result = None


def _v_base(v: _Vector, r: _Rows, block: plan.Base) -> None:
    c, rows = r.c, r.rows
    covered = np.where(c.has_covered_days[rows], c.covered_days[rows], r.days)
    prorated = (covered < r.days) if block.prorate else np.zeros(len(rows), bool)
    r.Q = np.where(prorated, r.days, 1)
    r.QK = r.Q * v.K
    r.allowance_days = np.where(prorated, covered, r.days)
    if block.kind != "none":
        base = c.self_pay[rows] if block.kind == "self_pay" else c.total_cost[rows]
        r.amount = base * np.where(prorated, covered, 1) * v.S
    r.payable = r.amount > 0
    if r.notes is not None:
        name = summary.BASE_NAMES[block.kind]
        _note(r, prorated, lambda cov, days, amount, den: summary.prorated(cov, days, name, summary.number(amount, den)),
              covered, r.days, r.amount, r.Q * v.S * 100)


def _v_gate(v: _Vector, r: _Rows, block: plan.Gate) -> None:
    threshold = v.pick(block.threshold, "起付门槛")
    shut = r.amount <= threshold * r.Q
    r.amount = np.where(shut, 0, r.amount)
    r.payable &= ~shut
    if r.notes is not None:
        texts = summary.gate(True, v.yuan(threshold)), summary.gate(False, v.yuan(threshold))
        r.notes.append([texts[s] for s in shut.tolist()])


def _v_deductible(v: _Vector, r: _Rows, block: plan.Deductible) -> None:
    first = v.pick(block.first, "起付额")
    later = first if block.later is None else v.pick(block.later, "起付额")
    if r.notes is not None:
        texts = summary.deductible(v.yuan(later)), summary.deductible(v.yuan(first))
        _note(r, r.amount > 0, lambda is_first: texts[is_first], r.first)
    r.amount = np.maximum(0, r.amount - np.where(r.first, first, later) * r.Q)
    r.payable &= r.amount > 0


def _v_bands(v: _Vector, r: _Rows, block: plan.Bands) -> None:
    lower, pieces = 0, []
    for band in block.brackets:
        piece = np.maximum(0, r.amount - lower * r.Q)
        if band.upto is not None:
            piece = np.minimum(piece, (v.fen(band.upto) - lower) * r.Q)
            lower = v.fen(band.upto)
        r.benefit = r.benefit + piece * int(band.rate * v.K)
        pieces.append((piece, summary.percent(band.rate)))
    if r.notes is not None:
        _band_notes(v, r, pieces)


def _band_notes(v: _Vector, r: _Rows, pieces: list) -> None:
    """补助金 a×40%+b×70%=total for the rows with an amount to subsidise (the bands they reach)."""
    rows = np.flatnonzero(r.amount > 0)
    den = (r.Q * v.S * 100)[rows].tolist()
    texts = [[summary.band_part(summary.number(p, d), rate) if p else None for p, d in zip(piece[rows].tolist(), den)]
             for piece, rate in pieces]
    totals = [summary.number(b, d * v.K) for b, d in zip(r.benefit[rows].tolist(), den)]
    column = [None] * len(r.rows)
    for i, total, *parts in zip(rows.tolist(), totals, *texts):
        column[i] = summary.bands([p for p in parts if p], total)
    r.notes.append(column)


def _v_stay_cap(v: _Vector, r: _Rows, block: plan.StayCap) -> None:
    limit = v.pick(block.amount, "单次封顶")
    r.stay_limit = limit * r.QK
    r.includes_allowance = block.includes_allowance
    if r.notes is not None:
        text = summary.stay_cap(v.yuan(limit))
        _note(r, r.benefit > r.stay_limit, lambda: text)
    r.benefit = np.minimum(r.benefit, r.stay_limit)


def _v_allowance(v: _Vector, r: _Rows, block: plan.DayAllowance) -> None:
    rule = block.rule
    counted = np.maximum(0, r.allowance_days - rule.waiting_days)
    left = np.ones(len(r.rows), bool)
    for bucket in rule.buckets or ():
        hit = left if bucket.upto_days is None else left & (counted <= bucket.upto_days)
        counted = np.where(hit, np.minimum(counted, bucket.paid_days), counted)
        left &= ~hit
    if rule.max_days is not None:
        counted = np.minimum(counted, rule.max_days)
    rates = np.array([v.fen(x) for x in _day_rates(rule, v._decimal)], np.int64)
    which = np.zeros(len(r.rows), np.int64)
    if rule.rate_by_years is not None:
        starts = np.array([x.from_years for x in rule.rate_by_years], np.int64)
        which = np.searchsorted(starts, r.c.years[r.rows], side="right") - 1
    amount = counted * rates[which]
    if rule.per_share:
        amount = amount * r.c.shares[r.rows]
    if r.notes is not None:
        _allowance_notes(v, r, rule, counted, which, amount)
    if rule.first_stay_only:
        amount = np.where(r.first, amount, 0)
    r.allowance = amount * r.QK
    if block.only_income:
        r.payable = r.allowance > 0


def _allowance_notes(v: _Vector, r: _Rows, rule, counted, which, amount) -> None:
    rates = [summary.decimal(x) for x in _day_rates(rule, v._decimal)]
    shares = r.c.shares[r.rows] if rule.per_share else np.full(len(r.rows), -1)
    den = 100 * v.S
    column = [summary.allowance(days, rates[k], None if n < 0 else n, summary.number(a, den))
              for days, k, n, a in zip(counted.tolist(), which.tolist(), shares.tolist(), amount.tolist())]
    if rule.first_stay_only:
        column = [text if first else summary.NOT_FIRST_STAY for text, first in zip(column, r.first.tolist())]
    r.notes.append(column)


def _v_period_cap(v: _Vector, r: _Rows, block: plan.PeriodCap) -> None:
    limit = v.pick(block.amount, "期内封顶")
    r.includes_allowance = block.includes_allowance
    r.room_before = np.maximum(0, limit - r.c.paid_before[r.rows] * v.S) * r.QK
    before = r.benefit, r.allowance
    r.benefit = np.minimum(r.benefit, r.room_before)
    if block.includes_allowance:
        r.allowance = np.minimum(r.allowance, r.room_before - r.benefit)
        r.room = r.room_before - r.benefit - r.allowance
    else:
        r.room = r.room_before - r.benefit
    if r.notes is not None:
        reduced = (r.benefit != before[0]) | (r.allowance != before[1])
        kept = r.benefit + (r.allowance if block.includes_allowance else 0)
        _note(r, reduced, lambda room, kept, den: summary.period_cap(summary.number(room, den), summary.number(kept, den)),
              r.room_before, kept, r.QK * v.S * 100)


def _v_minimum(v: _Vector, r: _Rows, block: plan.Minimum) -> None:
    short = np.maximum(0, v.pick(block.amount, "保底金额") * r.QK - r.benefit - r.allowance)
    r.topup = np.where(r.payable, short, 0)
    limited = np.zeros(len(r.rows), bool)
    if r.room is not None:
        limited = r.topup > r.room
        r.topup = np.minimum(r.topup, r.room)
    if r.notes is not None:
        _note(r, r.payable & (short > 0), lambda topup, limited, den: summary.topup(summary.number(topup, den), limited),
              r.topup, limited, r.QK * v.S * 100)


def _v_rounding(v: _Vector, r: _Rows, block: plan.Rounding) -> None:
    counted = r.allowance if r.includes_allowance else 0
    total = r.benefit + r.allowance + r.topup
    cap_exact = r.benefit + r.topup + counted
    d = r.QK * v.unit
    amount_units = (2 * total + d) // (2 * d)
    cap_units = (2 * cap_exact + d) // (2 * d)
    over = np.zeros(len(r.rows), bool)               # rounding up must not break a cap
    if r.room_before is not None:
        over |= cap_units * d > r.room_before
    if r.stay_limit is not None:                     # per stay: 补助金 only, not the top-up
        over |= cap_units * d > r.stay_limit + r.topup + counted
    amount_units = np.where(over, total // d, amount_units)
    cap_units = np.where(over, cap_exact // d, cap_units)
    if r.notes is not None:
        _note(r, over, lambda: summary.ROUNDED_DOWN)
        whole = block.unit >= 1
        r.notes.append([summary.payable(fen, whole) for fen in (amount_units * v.unit_fen).tolist()])
    parts = np.stack([r.benefit, r.allowance, r.topup], axis=1)
    r.result = amount_units * v.unit_fen, cap_units * v.unit_fen, parts, r.QK * v.S * 100


def _note(r: _Rows, rows: np.ndarray, make, *values) -> None:
    """One 说明 piece for the rows where ``rows`` is true (``make`` gets each row's ``values``), None elsewhere."""
    column = [None] * len(r.rows)
    chosen = np.flatnonzero(rows)
    picked = (np.broadcast_to(value, r.rows.shape)[chosen].tolist() for value in values)
    for i, *row in zip(chosen.tolist(), *picked):
        column[i] = make(*row)
    r.notes.append(column)


_STEPS = {plan.Base: _v_base, plan.Gate: _v_gate, plan.Deductible: _v_deductible, plan.Bands: _v_bands,
          plan.StayCap: _v_stay_cap, plan.DayAllowance: _v_allowance, plan.PeriodCap: _v_period_cap,
          plan.Minimum: _v_minimum, plan.Rounding: _v_rounding}


# ------------------------------------------------------------------ entry point


def subsidy_columns(policy: Policy, claims: ClaimColumns, summaries: bool = False) -> SubsidyColumns:
    """SUBSIDY for every row of ``claims`` under ``policy``; same results as the scalar engine.
    With ``summaries``, also each computed row's one-line 说明 (SubsidyResult.summary)."""
    n = len(claims)
    out = SubsidyColumns(
        amount_fen=np.zeros(n, np.int64), cap_part_fen=np.zeros(n, np.int64),
        blank=np.zeros(n, bool) if claims.blank is None else claims.blank.copy(), errors={}, scalar_results={},
        parts_num=np.zeros((n, 3), np.int64), parts_den=np.ones(n, np.int64),
        summaries=[None] * n if summaries else None,
    )
    todo = ~out.blank
    todo[list(claims.scalar)] = False
    groups = [(None, np.flatnonzero(todo))]
    if claims.category is not None:
        groups = [(value, np.flatnonzero(todo & (claims.category == value)))
                  for value in dict.fromkeys(claims.category[todo].tolist())]
    slow = [i for i in claims.scalar if not out.blank[i]]
    for category, rows in groups:
        try:
            vector = _Vector(policy, category)
        except (_Unsupported, MutualAidError):
            slow.extend(rows.tolist())
            continue
        fast = vector.fast_rows(claims, rows)
        slow.extend(rows[~fast].tolist())
        rows = rows[fast]
        if len(rows):
            amount, cap_part, parts, den, texts = vector.compute(claims, rows, summaries)
            out.amount_fen[rows], out.cap_part_fen[rows] = amount, cap_part
            out.parts_num[rows], out.parts_den[rows] = parts, den
            for i, text in zip(rows.tolist(), texts or ()):
                out.summaries[i] = text
    for i in slow:
        try:
            result = engine.compute_subsidy(policy, claims.stay(i))
            amount, cap_part = int(result.amount.scaleb(2)), int(result.cap_part.scaleb(2))
            if max(amount, cap_part) >= 2**63:
                raise InputError("金额过大，超出可计算范围", argument="self_pay")
        except MutualAidError as error:
            out.errors[i] = error
            continue
        out.scalar_results[i] = result
        out.amount_fen[i], out.cap_part_fen[i] = amount, cap_part
        if summaries:
            out.summaries[i] = result.summary
    return out
