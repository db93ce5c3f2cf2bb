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

from . import engine
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


@dataclass(frozen=True)
class _Plan:
    base: str
    prorate: bool
    S: int                       # yuan values are fen x S (S = 10^j)
    K: int                       # rates are integers over K (K = 10^k)
    gate: int | None
    deduct_first: int | None
    deduct_later: int | None
    lowers: tuple[int, ...]
    widths: tuple[int | None, ...]
    rates: tuple[int, ...]
    per_stay: int | None
    per_period: int | None
    includes_allowance: bool
    minimum: int | None
    unit: int                    # rounding unit in fen x S
    unit_fen: int
    allowance: dict | None
    largest: int                 # largest yuan value of the plan in fen x S (for the overflow bound)
    shares: tuple[int, int] | None

    @classmethod
    def build(cls, policy: Policy, category) -> _Plan:
        rules = policy.require("subsidy", "补助规则")

        def pick(value, what):
            return Decimal(by_category(value, category, what, policy.id))

        yuan: dict[str, Decimal | None] = {"unit": rules.rounding_unit}
        rates: list[Decimal] = []
        if rules.base != "none":
            if rules.bands is None:
                raise _Unsupported  # the engine says the bands are missing, row by row
            for n, band in enumerate(rules.bands.brackets):
                yuan[f"upto{n}"] = band.upto
                rates.append(band.rate)
            if rules.gate is not None:
                yuan["gate"] = pick(rules.gate.threshold, "起付门槛")
            if rules.deductible is not None:
                yuan["deduct_first"] = pick(rules.deductible.first_stay, "起付额")
                later = rules.deductible.later_stay
                yuan["deduct_later"] = yuan["deduct_first"] if later is None else pick(later, "起付额")
        cap = rules.cap
        if cap is not None and cap.per_stay is not None:
            yuan["per_stay"] = pick(cap.per_stay, "单次封顶")
        if cap is not None and cap.per_period is not None:
            yuan["per_period"] = pick(cap.per_period, "期内封顶")
        if rules.minimum is not None:
            yuan["minimum"] = pick(rules.minimum.amount, "保底金额")
        block = rules.allowance
        if block is not None:
            if block.rate_by_years is not None:
                day_rates = [Decimal(r.rate) for r in block.rate_by_years]
            else:
                day_rates = [pick(block.rate, "住院补贴标准")]
            for n, rate in enumerate(day_rates):
                yuan[f"day_rate{n}"] = rate
        given = {k: v for k, v in yuan.items() if v is not None}
        j = max(_places(v * 100) for v in given.values())
        k = max((_places(r) for r in rates), default=0)
        if j + k > 8:
            raise _Unsupported
        S, K = 10**j, 10**k

        def fen(name):
            value = yuan.get(name)
            return None if value is None else int(value * 100 * S)

        unit = fen("unit")
        if unit % S:
            raise _Unsupported  # a rounding unit finer than a fen
        uptos = [fen(f"upto{n}") for n in range(len(rates))]
        lowers = [0] + [u for u in uptos[:-1]]
        widths = [None if u is None else u - lo for u, lo in zip(uptos, lowers)]
        allowance = None
        if block is not None:
            allowance = {
                "first_stay_only": block.first_stay_only, "waiting": block.waiting_days,
                "buckets": [(b.upto_days, b.paid_days) for b in block.buckets or ()],
                "max_days": block.max_days, "per_share": block.per_share,
                "from_years": np.array([r.from_years for r in block.rate_by_years or ()], np.int64),
                "rates": np.array([fen(f"day_rate{n}") for n in range(len(day_rates))], np.int64),
            }
        return cls(
            base=rules.base, prorate=rules.prorate, S=S, K=K, gate=fen("gate"),
            deduct_first=fen("deduct_first"), deduct_later=fen("deduct_later"),
            lowers=tuple(lowers), widths=tuple(widths), rates=tuple(int(r * K) for r in rates),
            per_stay=fen("per_stay"), per_period=fen("per_period"),
            includes_allowance=cap is not None and cap.includes_allowance, minimum=fen("minimum"),
            unit=unit, unit_fen=unit // S, allowance=allowance,
            largest=max(int(v * 100 * S) for v in given.values()),
            shares=None if policy.shares is None else (policy.shares.min, policy.shares.max),
        )

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
        if self.base == "self_pay":
            ok &= has_sp
        elif self.base == "total_cost":
            ok &= has_tc
        base = np.where(has_sp, sp, 0) + np.where(has_tc, tc, 0)
        day_rate = 0 if self.allowance is None else int(self.allowance["rates"].max())
        size = (base.astype(float) + c.paid_before[rows] + 2.0 * self.largest / self.S
                + days.astype(float) * day_rate / self.S * shares)
        bound = 8.0 * size * np.maximum(days, 1) * self.S * self.K * (len(self.rates) + 4)
        return ok & (bound < _SAFE)

    def compute(self, c: ClaimColumns, rows: np.ndarray):
        """Exact amounts of valid rows: (amount_fen, cap_part_fen, parts numerators (m, 3), denominator)."""
        S, K = self.S, self.K
        days = c.days[rows]
        covered = np.where(c.has_covered_days[rows], c.covered_days[rows], days)
        first = c.first_stay[rows]
        prorated = (covered < days) if self.prorate else np.zeros(len(rows), bool)
        Q = np.where(prorated, days, 1)                    # values before the bands are over Q*S
        QK = Q * K                                         # values after the bands are over Q*S*K
        allowance_days = np.where(prorated, covered, days)
        zero = np.zeros(len(rows), np.int64)
        if self.base == "none":
            amount = zero
        else:
            base = c.self_pay[rows] if self.base == "self_pay" else c.total_cost[rows]
            amount = base * np.where(prorated, covered, 1) * S
        payable = amount > 0
        benefit = zero
        if self.base != "none":
            if self.gate is not None:
                shut = amount <= self.gate * Q
                amount = np.where(shut, 0, amount)
                payable &= ~shut
            if self.deduct_first is not None:
                deduct = np.where(first, self.deduct_first, self.deduct_later)
                amount = np.maximum(0, amount - deduct * Q)
                payable &= amount > 0
            for lower, width, rate in zip(self.lowers, self.widths, self.rates):
                piece = np.maximum(0, amount - lower * Q)
                if width is not None:
                    piece = np.minimum(piece, width * Q)
                benefit = benefit + piece * rate
        if self.per_stay is not None:
            benefit = np.minimum(benefit, self.per_stay * QK)
        allowance = zero
        if self.allowance is not None:
            allowance = self._allowance(c, rows, allowance_days, first) * QK
            if self.base == "none":
                payable = allowance > 0
        room = room_before = None
        if self.per_period is not None:
            room = room_before = np.maximum(0, self.per_period - c.paid_before[rows] * S) * QK
            benefit = np.minimum(benefit, room)
            if self.includes_allowance:
                allowance = np.minimum(allowance, room - benefit)
                room = room - benefit - allowance
            else:
                room = room - benefit
        topup = zero
        if self.minimum is not None:
            short = np.maximum(0, self.minimum * QK - benefit - allowance)
            topup = np.where(payable, short, 0)
            if room is not None:
                topup = np.minimum(topup, room)
        total = benefit + allowance + topup
        cap_exact = benefit + topup + (allowance if self.includes_allowance else 0)
        d = QK * self.unit
        amount_units = (2 * total + d) // (2 * d)
        cap_units = (2 * cap_exact + d) // (2 * d)
        over = np.zeros(len(rows), bool)               # rounding up must not break a cap
        if room_before is not None:
            over |= cap_units * d > room_before
        if self.per_stay is not None:                  # per stay: 补助金 only, not the top-up
            over |= cap_units * d > self.per_stay * QK + topup + (allowance if self.includes_allowance else 0)
        amount_units = np.where(over, total // d, amount_units)
        cap_units = np.where(over, cap_exact // d, cap_units)
        parts = np.stack([benefit, allowance, topup], axis=1)
        return amount_units * self.unit_fen, cap_units * self.unit_fen, parts, QK * S * 100

    def _allowance(self, c: ClaimColumns, rows, days, first) -> np.ndarray:
        """Allowance in fen x S."""
        a = self.allowance
        counted = np.maximum(0, days - a["waiting"])
        if a["buckets"]:
            left = np.ones(len(rows), bool)
            for upto, paid in a["buckets"]:
                hit = left if upto is None else left & (counted <= upto)
                counted = np.where(hit, np.minimum(counted, paid), counted)
                left &= ~hit
        if a["max_days"] is not None:
            counted = np.minimum(counted, a["max_days"])
        if len(a["from_years"]):
            rate = a["rates"][np.searchsorted(a["from_years"], c.years[rows], side="right") - 1]
        else:
            rate = a["rates"][0]
        amount = counted * rate
        if a["per_share"]:
            amount = amount * c.shares[rows]
        if a["first_stay_only"]:
            amount = np.where(first, amount, 0)
        return amount


# ------------------------------------------------------------------ entry point


def subsidy_columns(policy: Policy, claims: ClaimColumns) -> SubsidyColumns:
    """SUBSIDY for every row of ``claims`` under ``policy``; same results as the scalar engine."""
    n = len(claims)
    out = SubsidyColumns(
        amount_fen=np.zeros(n, np.int64), cap_part_fen=np.zeros(n, np.int64),
        blank=np.zeros(n, bool) if claims.blank is None else claims.blank.copy(), errors={}, scalar_results={},
        parts_num=np.zeros((n, 3), np.int64), parts_den=np.ones(n, np.int64),
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
            plan = _Plan.build(policy, category)
        except (_Unsupported, MutualAidError):
            slow.extend(rows.tolist())
            continue
        fast = plan.fast_rows(claims, rows)
        slow.extend(rows[~fast].tolist())
        rows = rows[fast]
        if len(rows):
            amount, cap_part, parts, den = plan.compute(claims, rows)
            out.amount_fen[rows], out.cap_part_fen[rows] = amount, cap_part
            out.parts_num[rows], out.parts_den[rows] = parts, den
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
    return out
