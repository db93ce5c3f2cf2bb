"""A policy's subsidy rules compiled once into an ordered plan of rule blocks.

Every back end walks the same plan and implements each block kind once: the exact scalar
engine with its explanation (``engine``), the numpy column engine (``columns``) and the
spreadsheet formulas of the templates (``formulas``). Adding a block kind means one class
here and one function in each back end; the differential tests compare the back ends.

The order is the engine's: base and pro-rating -> gate -> deductible -> bands -> per-stay
cap -> allowance -> per-period cap -> minimum -> one rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .policy import Allowance, Band, ByCategory, Policy


@dataclass(frozen=True)
class Base:
    kind: str                     # "self_pay", "total_cost" or "none"
    prorate: bool
    source: str


@dataclass(frozen=True)
class Gate:
    threshold: ByCategory
    source: str


@dataclass(frozen=True)
class Deductible:
    first: ByCategory
    later: ByCategory | None
    source: str


@dataclass(frozen=True)
class Bands:
    brackets: tuple[Band, ...] | None   # None: the policy has a base but no bands (not configured)
    source: str


@dataclass(frozen=True)
class StayCap:
    amount: ByCategory
    includes_allowance: bool
    source: str


@dataclass(frozen=True)
class DayAllowance:
    rule: Allowance
    only_income: bool             # base "none": a paid day is what makes the claim payable
    source: str


@dataclass(frozen=True)
class PeriodCap:
    amount: ByCategory
    includes_allowance: bool
    source: str


@dataclass(frozen=True)
class Minimum:
    amount: ByCategory
    source: str


@dataclass(frozen=True)
class Rounding:
    unit: Decimal
    has_allowance: bool
    source: str


Block = Base | Gate | Deductible | Bands | StayCap | DayAllowance | PeriodCap | Minimum | Rounding

# Where each block kind is written in a policy file (for messages that name a block).
BLOCK_KEYS = {Base: "[subsidy] base/prorate", Gate: "[subsidy.gate]", Deductible: "[subsidy.deductible]",
              Bands: "[subsidy.bands]", StayCap: "[subsidy.cap] per_stay", DayAllowance: "[subsidy.allowance]",
              PeriodCap: "[subsidy.cap] per_period", Minimum: "[subsidy.minimum]", Rounding: "[subsidy] rounding_unit"}


@dataclass(frozen=True)
class Plan:
    policy_id: str
    blocks: tuple[Block, ...]

    def find(self, kind: type):
        return next((b for b in self.blocks if isinstance(b, kind)), None)


_CACHE: dict[int, tuple[Policy, Plan]] = {}


def compile_plan(policy: Policy) -> Plan:
    """The policy's subsidy blocks in the order every back end applies them (NotConfiguredError
    when the policy has no [subsidy]). Compiled once per loaded policy."""
    found = _CACHE.get(id(policy))
    if found is None or found[0] is not policy:
        if len(_CACHE) > 64:
            _CACHE.clear()
        found = _CACHE[id(policy)] = (policy, _compile(policy))
    return found[1]


def _compile(policy: Policy) -> Plan:
    rules = policy.require("subsidy", "补助规则")
    blocks: list[Block] = [Base(rules.base, rules.prorate, rules.source)]
    if rules.base != "none":
        if rules.gate is not None:
            blocks.append(Gate(rules.gate.threshold, rules.gate.source))
        if rules.deductible is not None:
            d = rules.deductible
            blocks.append(Deductible(d.first_stay, d.later_stay, d.source))
        bands = rules.bands
        blocks.append(Bands(None if bands is None else tuple(bands.brackets), bands.source if bands else rules.source))
    cap = rules.cap
    if cap is not None and cap.per_stay is not None:
        blocks.append(StayCap(cap.per_stay, cap.includes_allowance, cap.source))
    if rules.allowance is not None:
        blocks.append(DayAllowance(rules.allowance, rules.base == "none", rules.allowance.source))
    if cap is not None and cap.per_period is not None:
        blocks.append(PeriodCap(cap.per_period, cap.includes_allowance, cap.source))
    if rules.minimum is not None:
        blocks.append(Minimum(rules.minimum.amount, rules.minimum.source))
    blocks.append(Rounding(rules.rounding_unit, rules.allowance is not None, rules.source))
    return Plan(policy.id, tuple(blocks))
