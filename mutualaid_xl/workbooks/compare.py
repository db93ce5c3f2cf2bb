"""方案测算 (`mutualaid compare`): last period's claims under the current policy and a proposal.

Each register is computed by ``claims.compute_register`` once per policy, so both amount
columns are exactly what `mutualaid claims` gives. Self-pay bands for the 汇总 sheet are cut
at the points where either policy's rules change (its deductible or gate, plus each band's
upper limit), so no number is chosen in code. A member is "at the cap" when the cap parts of
the member's stays reach the policy's per-period cap, and "lifted by the minimum" when a stay
received a 保底补足.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np

from ..errors import MutualAidError
from ..rules.idcard import mask_id, mask_name
from ..rules.policy import Policy, get_policy, load_policy_file
from .claims import ClaimsResult, compute_register, yuan_of_fen
from .members import fees, read_members
from .sheets import RowWriter, fast_workbook, write_atomic

SKIPPED_KEYS = {"schema_version", "id", "name", "region", "period", "kind", "documents", "notes", "source",
                "interpretations"}


def load_proposal(text: str | Path) -> Policy:
    """A policy id or a TOML file, validated by the same schema as every policy."""
    path = Path(text)
    if path.suffix.lower() == ".toml" or path.is_file():
        return load_policy_file(path)
    return get_policy(str(text))


@dataclass
class Comparison:
    current: Policy
    proposal: Policy
    pairs: list[tuple[ClaimsResult, ClaimsResult]]
    income: list[tuple[int, int]] | None = None   # (fee income in fen, members counted) per policy, from rosters
    problems: list[MutualAidError] = field(default_factory=list)

    def total_fen(self, which: int) -> int:
        return sum(pair[which].total_fen for pair in self.pairs)


def compare(registers: list[Path | str], current: Policy | str, proposal: Policy | str,
            rosters: list[Path | str] | None = None) -> Comparison:
    current = current if isinstance(current, Policy) else get_policy(current)
    proposal = proposal if isinstance(proposal, Policy) else load_proposal(proposal)
    pairs = [(compute_register(p, current, summaries=False), compute_register(p, proposal, summaries=False))
             for p in registers]
    result = Comparison(current, proposal, pairs)
    for old, new in pairs:
        shown = {(e.row, e.message) for e in old.problems}
        result.problems += old.problems + [e for e in new.problems if (e.row, e.message) not in shown]
    if rosters:
        members = read_members(rosters)
        result.problems += members.problems
        found = [fees(members.members, p) for p in (current, proposal)]
        result.income = [(total, counted) for total, counted, _problems in found]
        shown = {(e.file, e.row) for e in found[0][2]}
        result.problems += found[0][2] + [e for e in found[1][2] if (e.file, e.row) not in shown]
    return result


def _done(result: ClaimsResult) -> np.ndarray:
    done = ~result.amounts.blank.copy()
    done[list(result.amounts.errors)] = False
    return done


# ------------------------------------------------------------------ the 汇总 figures


def _scalar(value) -> Decimal | None:
    return None if value is None or isinstance(value, dict) else Decimal(value)


def band_edges(policy: Policy) -> list[int]:
    """Self-pay amounts (fen) where the policy's rules change."""
    rules = policy.subsidy
    if rules is None or rules.base == "none":
        return []
    start = Decimal(0)
    if rules.gate is not None and _scalar(rules.gate.threshold) is not None:
        start = _scalar(rules.gate.threshold)
    if rules.deductible is not None and _scalar(rules.deductible.first_stay) is not None:
        start += _scalar(rules.deductible.first_stay)
    edges = [start] if start else []
    if rules.bands is not None:
        edges += [start + b.upto for b in rules.bands.brackets if b.upto is not None]
    return [int(e.scaleb(2)) for e in edges]


def _base_fen(result: ClaimsResult) -> np.ndarray:
    """The amount the bands apply to, per row, in fen (rows read by the scalar parser included)."""
    name = "total_cost" if result.policy.subsidy is not None and result.policy.subsidy.base == "total_cost" else "self_pay"
    base = getattr(result.claims, name).copy()
    for i, stay in result.claims.scalar.items():
        value = getattr(stay, name, None)
        base[i] = 0 if value is None else int(value.scaleb(2))
    return base


@dataclass
class Band:
    label: str
    claims: int
    current_fen: int
    proposal_fen: int


def bands(comparison: Comparison) -> list[Band]:
    edges = sorted(set(band_edges(comparison.current) + band_edges(comparison.proposal)))
    cuts = [0, *[e for e in edges if e > 0]]
    labels = [f"{yuan_of_fen(lo):,.0f}—{yuan_of_fen(hi):,.0f} 元" for lo, hi in zip(cuts, cuts[1:])]
    labels.append(f"{yuan_of_fen(cuts[-1]):,.0f} 元以上" if cuts[-1] else "全部")
    out = [Band(label, 0, 0, 0) for label in labels]
    for old, new in comparison.pairs:
        done = _done(old) | _done(new)
        base = _base_fen(old)
        # (lo, hi]: an amount equal to a band's upper limit belongs to that band, as in the policies
        index = np.searchsorted(np.asarray(cuts[1:], np.int64), base, side="left")
        for i in range(len(out)):
            rows = done & (index == i)
            out[i].claims += int(rows.sum())
            out[i].current_fen += int(old.amounts.amount_fen[rows & _done(old)].sum())
            out[i].proposal_fen += int(new.amounts.amount_fen[rows & _done(new)].sum())
    return out


def _per_member(result: ClaimsResult, values: np.ndarray) -> dict[str, int]:
    totals: dict[str, int] = {}
    done = _done(result)
    for key, value, ok in zip(result.keys, values.tolist(), done.tolist()):
        if key is not None and ok:
            totals[key] = totals.get(key, 0) + value
    return totals


def _topped(result: ClaimsResult) -> set[str]:
    a = result.amounts
    top = a.parts_num[:, 2] > 0
    for i, r in a.scalar_results.items():
        top[i] = r.topup > 0
    return {k for k, t, ok in zip(result.keys, top.tolist(), _done(result).tolist()) if k is not None and t and ok}


def _at_cap(result: ClaimsResult) -> set[str] | None:
    cap = result.policy.subsidy.cap if result.policy.subsidy else None
    limit = None if cap is None else _scalar(cap.per_period)
    if limit is None:
        return None
    fen = int(limit.scaleb(2))
    return {k for k, v in _per_member(result, result.amounts.cap_part_fen).items() if v >= fen}


@dataclass
class Summary:
    bands: list[Band]
    at_cap: tuple[int | None, int | None]
    lifted: tuple[int, int]
    gain: int
    lose: int
    members: int
    income_fen: tuple[int, int] | None
    income_members: tuple[int, int] | None


def summarize(comparison: Comparison) -> Summary:
    caps, lifted = [None, None], [0, 0]
    old_total: dict[str, int] = {}
    new_total: dict[str, int] = {}
    for old, new in comparison.pairs:
        for which, result in enumerate((old, new)):
            found = _at_cap(result)
            if found is not None:
                caps[which] = (caps[which] or 0) + len(found)
            lifted[which] += len(_topped(result))
        for key, value in _per_member(old, old.amounts.amount_fen).items():
            old_total[key] = old_total.get(key, 0) + value
        for key, value in _per_member(new, new.amounts.amount_fen).items():
            new_total[key] = new_total.get(key, 0) + value
    keys = set(old_total) | set(new_total)
    diff = [new_total.get(k, 0) - old_total.get(k, 0) for k in keys]
    income = counted = None
    if comparison.income is not None:
        (income_old, counted_old), (income_new, counted_new) = comparison.income
        income, counted = (income_old, income_new), (counted_old, counted_new)
    return Summary(bands(comparison), (caps[0], caps[1]), (lifted[0], lifted[1]), sum(d > 0 for d in diff),
                   sum(d < 0 for d in diff), len(keys), income, counted)


def _flat(value, prefix: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for key, item in value.items():
            if key in SKIPPED_KEYS:
                continue
            out.update(_flat(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and any(isinstance(item, dict) for item in value):
        out = {}
        for number, item in enumerate(value, 1):   # brackets[1].rate: counted as a clerk counts bands
            out.update(_flat(item, f"{prefix}[{number}]"))
        return out
    return {prefix: value}


def _source(policy: Policy, key: str) -> str | None:
    """The source of the innermost block holding ``key``."""
    found, block = None, policy
    for part in re.sub(r"\[\d+\]", "", key).split("."):
        block = block.get(part) if isinstance(block, dict) else getattr(block, part, None)
        if block is None:
            break
        if isinstance(getattr(block, "source", None), str):
            found = block.source
    return found


def parameter_differences(current: Policy, proposal: Policy) -> list[tuple[str, str, str, str]]:
    """(parameter, current value, proposed value, source) for each value that differs."""
    old, new = _flat(current.model_dump(mode="json")), _flat(proposal.model_dump(mode="json"))
    rows = []
    for key in sorted(set(old) | set(new), key=lambda k: (k.split(".")[0], k)):
        if old.get(key) == new.get(key):
            continue
        source = _source(proposal, key) or ""
        if proposal.kind == "draft" and (not source or source == (_source(current, key) or "")):
            source = "草案"
        shown = ["（无）" if v is None else str(v) for v in (old.get(key), new.get(key))]
        rows.append((key, shown[0], shown[1], source))
    return rows


# ------------------------------------------------------------------ the workbook

DETAIL_HEADERS = ("登记表", "原行号", "姓名", "身份证号", "自付费用", "现行方案补助", "测算方案补助", "差额", "问题")


def write_comparison(comparison: Comparison, summary: Summary, out: Path | str) -> Path | None:
    """The comparison workbook: 测算明细 (first), 汇总 with a native column chart, 参数差异, 问题."""
    current, proposal = comparison.current, comparison.proposal

    def writer(tmp: Path):
        wb = fast_workbook(tmp)
        money = wb.add_format({"num_format": "#,##0.00"})
        bold = wb.add_format({"bold": True})
        ws = wb.add_worksheet("测算明细")
        ws.freeze_panes(1, 0)
        for index, width in enumerate((16, 7, 8, 21, 12, 13, 13, 12, 40)):
            ws.set_column(index, index, width)
        rows = RowWriter(wb, ws)
        rows.append(DETAIL_HEADERS)
        formats = [None] * 4 + [money] * 4 + [None]
        for old, new in comparison.pairs:
            name = Path(old.file).name
            done_old, done_new = _done(old).tolist(), _done(new).tolist()
            a, b = (old.amounts.amount_fen / 100).tolist(), (new.amounts.amount_fen / 100).tolist()
            diff = ((new.amounts.amount_fen - old.amounts.amount_fen) / 100).tolist()
            self_pay = old.cells["self_pay"]
            for p, index in enumerate(old.rows):
                problem = old.row_problem.get(p) or new.row_problem.get(p)
                rows.append([name, old.sheet.excel_row(index), mask_name(old.cells["name"][p]) or None,
                             mask_id(old.cells["id_number"][p]) or None, self_pay[p],
                             a[p] if done_old[p] else None, b[p] if done_new[p] else None,
                             diff[p] if done_old[p] and done_new[p] else None, problem], formats)
        old_fen, new_fen = comparison.total_fen(0), comparison.total_fen(1)
        rows.append(["合计", None, None, None, None, yuan_of_fen(old_fen), yuan_of_fen(new_fen),
                     yuan_of_fen(new_fen - old_fen)], formats)

        ws = wb.add_worksheet("汇总")
        ws.set_column(0, 0, 30)
        ws.set_column(1, 4, 16)
        rows = RowWriter(wb, ws)
        rows.append([f"方案测算：现行 {current.title} 与测算 {proposal.title}"], [bold])
        rows.append([])
        rows.append(["自付费用分段", "住院笔数", "现行方案补助", "测算方案补助", "差额"], [bold] * 5)
        for band in summary.bands:
            rows.append([band.label, band.claims, yuan_of_fen(band.current_fen), yuan_of_fen(band.proposal_fen),
                         yuan_of_fen(band.proposal_fen - band.current_fen)], [None, None, money, money, money])
        last = 3 + len(summary.bands)
        rows.append(["合计", sum(b.claims for b in summary.bands), yuan_of_fen(old_fen), yuan_of_fen(new_fen),
                     yuan_of_fen(new_fen - old_fen)], [bold, None, money, money, money])
        rows.append([])
        rows.append(["人数", "现行方案", "测算方案"], [bold] * 3)
        no_cap = "方案无期内封顶"
        rows.append(["达到期内封顶的人数", *(no_cap if v is None else v for v in summary.at_cap)])
        rows.append(["因保底补足而提高的人数", *summary.lifted])
        rows.append(["获补助的会员", summary.members])
        rows.append(["测算方案下多得的人数", summary.gain])
        rows.append(["测算方案下少得的人数", summary.lose])
        if summary.income_fen is not None:
            rows.append([])
            rows.append(["互助金（按名册）", "现行方案", "测算方案"], [bold] * 3)
            rows.append(["计入人数", *summary.income_members])
            rows.append(["互助金收入", *(yuan_of_fen(v) for v in summary.income_fen)], [None, money, money])
            rows.append(["补助支出", yuan_of_fen(old_fen), yuan_of_fen(new_fen)], [None, money, money])
            rows.append(["收支结余", *(yuan_of_fen(i - o) for i, o in zip(summary.income_fen, (old_fen, new_fen)))],
                        [None, money, money])
        chart = wb.add_chart({"type": "column"})
        for col, title in ((2, "现行方案"), (3, "测算方案")):
            chart.add_series({"name": title, "categories": ["汇总", 3, 0, last - 1, 0],
                              "values": ["汇总", 3, col, last - 1, col]})
        chart.set_title({"name": "各自付费用分段补助合计（元）"})
        chart.set_size({"width": 720, "height": 320})
        ws.insert_chart(rows.row + 1, 0, chart)

        ws = wb.add_worksheet("参数差异")
        for index, width in enumerate((34, 24, 24, 60)):
            ws.set_column(index, index, width)
        rows = RowWriter(wb, ws)
        rows.append(["参数", "现行方案", "测算方案", "依据"], [bold] * 4)
        differences = parameter_differences(current, proposal)
        for line in differences:
            rows.append(list(line))
        if not differences:
            rows.append(["两个方案的参数相同"])

        rows = RowWriter(wb, wb.add_worksheet("问题"))
        rows.append(["序号", "文件", "工作表", "行", "列", "原因"])
        for number, error in enumerate(comparison.problems, 1):
            rows.append([number, error.file, error.sheet, error.row, error.column, error.message])
        if not comparison.problems:
            rows.append([None, None, None, None, None, "未发现问题"])
        for sheet in wb.worksheets():
            sheet.set_paper(9)   # A4, landscape, one page wide
            sheet.set_landscape()
            sheet.fit_to_pages(1, 0)
        wb.close()

    return write_atomic(out, writer)
