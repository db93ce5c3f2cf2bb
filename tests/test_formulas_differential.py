"""Differential test: the templates' native formulas, recalculated by LibreOffice, against the engine.

For every built-in policy with subsidy rules, random claims (band limits ±0.01, caps reached
through earlier stays, the minimum, later stays, pro-rating, shares, day buckets, exact .5
boundaries of the rounding unit, some bad rows; and where the policy has date rules: late
claims, stays partly or wholly outside the cover from 参互日期 or 保障期起止, chronic outpatient
rows) are written into a register built for that policy; for every policy with fees or eligibility rules, random members (ages at the limits,
wrong check characters, 15-digit and number-typed IDs, every category and some aliases, and
40 % of the rows with their own 参互日期 around the enrolment window: for nm-2021 every day of
October to December, so National Day, adjusted Saturday workdays and working days inside and
outside the first five of the month) into a roster. LibreOffice recalculates all files in one
start; every row must equal the engine to the fen (FEE, SUBSIDY, SUBSIDY_CAP_PART) or in its
verdict and wording (ELIGIBLE).

Default size: a few hundred rows per policy. ``pytest -m differential_full`` runs >= 3,000 per policy.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest

from mutualaid_xl.documents import office
from mutualaid_xl.errors import MutualAidError
from mutualaid_xl.rules import dates, engine, plan
from mutualaid_xl.rules.columns import ClaimColumns, stay_from_cells, subsidy_columns
from mutualaid_xl.rules.idcard import check_char
from mutualaid_xl.rules.policy import list_policies
from mutualaid_xl.rules.values import EXCEL_ERRORS
from mutualaid_xl.workbooks import templates as wt
from mutualaid_xl.workbooks.claim_dates import without_allowance

pytestmark = pytest.mark.libreoffice

DEFAULT_ROWS, FULL_ROWS = 300, 3000
PER_FILE = 500                       # the templates' data rows; larger sets use several files
SUBSIDY_POLICIES = [p.id for p in list_policies() if p.subsidy is not None]
MEMBER_POLICIES = [p.id for p in list_policies() if p.fees is not None or p.eligibility is not None]
MEMBER_POLICIES += [p.id for p in list_policies() if p.fees is None and p.eligibility is None][:1]   # texts, not errors


def fake_id(born: dt.date, sequence: int) -> str:
    first17 = f"990101{born:%Y%m%d}{sequence % 1000:03d}"
    return first17 + check_char(first17)


# ------------------------------------------------------------------ claims


def _edges(policy) -> list[Decimal]:
    """Amounts at the policy's limits: band limits, gate, deductible, and sums of them, ±0.01."""
    steps = plan.compile_plan(policy)
    limits, shifts = [Decimal(0)], [Decimal(0)]
    for block in steps.blocks:
        if isinstance(block, plan.Bands) and block.brackets:
            limits += [b.upto for b in block.brackets if b.upto is not None]
        if isinstance(block, plan.Gate):
            limits.append(Decimal(block.threshold))
        if isinstance(block, plan.Deductible):
            shifts += [Decimal(block.first)] + ([Decimal(block.later)] if block.later is not None else [])
        if isinstance(block, plan.Minimum):
            bands = steps.find(plan.Bands)
            if bands and bands.brackets:
                limits.append(Decimal(block.amount) / bands.brackets[0].rate)
    out = []
    for limit in limits:
        for shift in shifts:
            for delta in (Decimal("-0.01"), Decimal(0), Decimal("0.01")):
                value = (limit + shift + delta).quantize(Decimal("0.01"))
                if value >= 0:
                    out.append(value)
    return out


def _register_row(rng: random.Random, policy, members: list[str], edges: list[Decimal]) -> dict:
    base = policy.subsidy.base
    start = dt.date(2021, 5, 1) + dt.timedelta(days=rng.randrange(300))
    days = rng.choice([0, 1, 2, 3, 4, 5, 9, 10, 11, 19, 20, 21, 29, 30, 31, rng.randrange(1, 200)])
    row = {"id_number": rng.choice(members), "admitted": start, "discharged": start + dt.timedelta(days=days)}
    scale = rng.choice([100_000, 1_000_000, 5_000_000, 40_000_000])     # fen: most claims are small
    money = rng.choice(edges) if rng.random() < 0.25 else Decimal(rng.randrange(0, scale)) / 100
    if base == "total_cost":
        row["total_cost"] = money
        if rng.random() < 0.3:
            row["self_pay"] = (money * Decimal(rng.random())).quantize(Decimal("0.01"))
    elif base == "self_pay" or rng.random() < 0.5:
        row["self_pay"] = money
        if rng.random() < 0.1:
            row["total_cost"] = money + rng.randrange(0, 5000)
    if rng.random() < 0.25:
        row["covered_days"] = rng.randrange(0, max(1, days) + 1)
    if rng.random() < 0.7:
        row["years"] = rng.randrange(1, 5)
    if policy.shares is not None and rng.random() < 0.8:
        row["shares"] = rng.randrange(policy.shares.min, policy.shares.max + 1)
    _claim_dates(rng, row)      # 保障期起止 count without [dates] too
    bad = rng.random()
    if bad < 0.005:
        row["self_pay"] = -money - 1
    elif bad < 0.01:
        row["self_pay"] = f"{money}元"
    elif bad < 0.015:
        row["discharged"] = start - dt.timedelta(days=1)
    elif bad < 0.02:
        row["covered_days"] = max(1, days) + 1
    elif bad < 0.025:
        row["shares"] = 9
    return row


def _claim_dates(rng: random.Random, row: dict) -> None:
    """The register's date columns: 参互日期 (cover from the day after), 保障期起止, settlement and
    application dates around the deadline, 逾期特批 with and without a note, 门诊特殊慢性病."""
    start, end = row["admitted"], row["discharged"]
    if rng.random() < 0.3:
        row["joined"] = start - dt.timedelta(days=rng.choice([0, 1, 2, 364, 365, 366, rng.randrange(400)]))
    elif rng.random() < 0.05:
        row["cover_start"], row["cover_end"] = start + dt.timedelta(days=rng.randrange(-3, 3)), end - dt.timedelta(days=1)
    if rng.random() < 0.4:
        row["settled"] = end + dt.timedelta(days=rng.randrange(0, 10))
        row["applied"] = row["settled"] + dt.timedelta(days=rng.choice([0, 30, 89, 90, 91, 120]))
        late = rng.random()
        if late < 0.15:
            row["late_ok"], row["late_note"] = "是", "住院期间无法办理，工会审批同意"
        elif late < 0.25:
            row["late_ok"] = "是"                  # no note: still withheld
    if rng.random() < 0.03:
        row["chronic"] = "是"


def _by_dates(policy, row: dict) -> tuple[str | None, int | None, bool]:
    """What `mutualaid claims` decides from the dates (workbooks.claim_dates), by the same rules:
    (the native text of a withheld row or None, 期内天数 from the member's cover or None, chronic)."""
    settled, applied = row.get("settled"), row.get("applied")
    late = settled and applied and dates.late_reason(policy, settled, applied)
    if late and not (row.get("late_ok") == "是" and row.get("late_note")):
        return f"#错误: {late}；经特批的在“逾期特批”填是并写明特批说明", None, False
    given = row.get("cover_start") and row.get("cover_end")
    period = (row["cover_start"], row["cover_end"]) if given else dates.cover(policy, row.get("joined"))
    adm, dis = row["admitted"], row["discharged"]
    covered = None
    if period and row.get("covered_days") is None and dis >= adm:
        covered = min(dates.covered_days(adm, dis, period), dates.stay_days(adm, dis))
        if covered == 0:
            return "#错误: " + dates.outside_cover(policy, f"{period[0]:%Y-%m-%d}", f"{period[1]:%Y-%m-%d}"), None, False
    chronic = row.get("chronic") == "是" and policy.checks is not None and bool(policy.checks.chronic)
    if chronic and (adm.year, adm.month) != (dis.year, dis.month):
        return "#错误: " + dates.CHRONIC_BY_MONTH, None, True
    return None, covered, chronic


def _history(policy, rows: list[dict]):
    """(amounts per row, 首次住院 and 已付补助金 in fen per row) as the register derives them."""
    seen: dict[str, int] = {}
    out, history = [], []
    for row in rows:
        history.append(("是" if row["id_number"] not in seen else "否", seen.get(row["id_number"], 0)))
        days = (row["discharged"] - row["admitted"]).days
        days = "出院早于入院" if days < 0 else max(1, days)
        cells = {k: row.get(k) for k in ("self_pay", "years", "covered_days", "total_cost", "shares")}
        cells = {k: float(v) if isinstance(v, Decimal) else v for k, v in cells.items()}
        first, paid = row["id_number"] not in seen, seen.get(row["id_number"], 0)
        seen.setdefault(row["id_number"], 0)
        if any(isinstance(v, str) for v in cells.values()):
            out.append(None)   # the engine reads "1234元"; the formula asks for a plain number
            continue
        withheld, covered, chronic = _by_dates(policy, row)
        if covered is not None:
            cells["covered_days"] = covered
        try:
            stay = stay_from_cells(cells["self_pay"], days, cells["years"], first, Decimal(paid) / 100,
                                   cells["covered_days"], cells["total_cost"], cells["shares"])
            result = engine.compute_subsidy(without_allowance(policy) if chronic else policy, stay)
        except MutualAidError:
            out.append(None)
            continue
        if withheld:                # after the input checks, as the formulas order them
            out.append(withheld)
            continue
        cap = int(result.cap_part * 100)
        seen[row["id_number"]] += cap
        out.append((int(result.amount * 100), cap))
    return out, history


def _half_boundary(policy, row: dict) -> None:
    """Move the row's amount (up to 2 yuan) to one whose exact total ends in half a rounding unit."""
    key = "total_cost" if policy.subsidy.base == "total_cost" else "self_pay"
    start = row.get(key)
    if not isinstance(start, Decimal) or any(isinstance(row.get(k), str) for k in ("self_pay", "total_cost")):
        return
    days = max(1, (row["discharged"] - row["admitted"]).days)
    values = [start + Decimal(step) / 100 for step in range(200)]
    cells = {k: row.get(k) for k in ("self_pay", "total_cost", "years", "covered_days", "shares")}
    cells = {k: float(v) if isinstance(v, Decimal) else v for k, v in cells.items()}
    cells[key] = [float(v) for v in values]
    if key == "self_pay" and cells["total_cost"] is not None:
        cells["total_cost"] = [max(float(v), cells["total_cost"]) for v in values]
    found = subsidy_columns(policy, ClaimColumns.from_cells(days=days, **cells))
    unit = Fraction(policy.subsidy.rounding_unit)
    for i, value in enumerate(values):
        if i not in found.errors and (sum(found.parts(i)) / unit) % 1 == Fraction(1, 2):
            row[key] = value
            if key == "self_pay" and isinstance(row.get("total_cost"), Decimal) and row["total_cost"] < value:
                row["total_cost"] = value
            return


def claims_rows(policy, n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    members = [fake_id(dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(15000)), i) for i in range(max(3, n // 2))]
    edges = _edges(policy)
    rows = [_register_row(rng, policy, members, edges) for _ in range(n)]
    for row in rows:
        if rng.random() < 0.1:
            _half_boundary(policy, row)
    return rows


# ------------------------------------------------------------------ members


def _id_cell(rng: random.Random, on: dt.date, limits: list[int], n: int):
    kind = rng.random()
    years = rng.choice(limits + [rng.randrange(10, 80)]) if limits else rng.randrange(10, 80)
    born = dt.date(on.year - years, on.month, 1) + dt.timedelta(days=on.day - 1 + rng.choice([-1, 0, 1, 0, 5, -5]))
    good = fake_id(born, n)
    if kind < 0.07:
        return good[:17] + ("0" if good[17] != "0" else "1")              # wrong check character
    if kind < 0.14:
        return f"990101{born:%y%m%d}{n % 1000:03d}"                         # old 15-digit number
    if kind < 0.17:
        return int(f"990101{born:%y%m%d}{n % 1000:03d}")                    # 15 digits typed as a number
    if kind < 0.19:
        return float(good[:17] + "1") if good[17] != "X" else 990101.0     # 18 digits typed as a number
    if kind < 0.21:
        return good[:10] + "1332" + good[14:]                               # no 32 December
    if kind < 0.23:
        return good[:16]
    if kind < 0.24:
        return good[:6] + "A" + good[7:]
    return good


def _joined_days(policy) -> list[dt.date]:
    """Candidates for a row's own 参互日期: every day around the enrolment window, and for a policy
    with monthly working-day windows every day from just before monthly_from to just after the end
    (National Day holidays, adjusted Saturday workdays, working days inside and outside the first few)."""
    d = policy.dates
    if d is None or not (d.enrolment_start and d.enrolment_end):
        return [dt.date(2021, 5, 1), dt.date(2021, 10, 9), dt.date(2022, 1, 3)]
    first = d.monthly_from - dt.timedelta(days=3) if d.monthly_from else d.enrolment_end - dt.timedelta(days=20)
    days = [first + dt.timedelta(days=i) for i in range((d.enrolment_end - first).days + 3)]
    return [d.enrolment_start - dt.timedelta(days=1), d.enrolment_start] + days


def members_rows(policy, n: int, seed: int, on: dt.date) -> list[dict]:
    rng = random.Random(seed)
    limits = []
    if policy.eligibility:
        for age in policy.eligibility.age.values():
            limits += [x + d for x in (age.min, age.max) if x is not None for d in (-1, 0, 1)]
    categories = ["在职", "退休"] * 4 + ["续互", "新参互", "在职职工", "退休职工", "retired", "in-service", "干部", ""]
    memberships = ["续互", "新参互", "未参", "", "续参", "新增"]
    joined = _joined_days(policy)
    rows = []
    for i in range(n):
        row = {"name": "某", "category": rng.choice(categories), "membership": rng.choice(memberships)}
        chance = rng.random()
        if chance < 0.4:
            row["joined"] = rng.choice(joined)    # the row's own date wins over 设置's
        elif chance < 0.41:
            row["joined"] = "十月"                 # not a date: an error text, not an error value
        day = row["joined"] if isinstance(row.get("joined"), dt.date) else on
        rows.append({"id_number": _id_cell(rng, day, limits, i), **row})
    for row, day in zip(rows, _window_cases(policy)):    # sure cases, with a valid member
        row.update(id_number=fake_id(day.replace(year=day.year - 40), 900), category="在职", membership="续互",
                   joined=day)
    return rows


def _window_cases(policy) -> list[dt.date]:
    """A weekday holiday, a weekend workday, and the last allowed and first refused working day of
    monthly_from's month, found in the official calendar."""
    d = policy.dates
    if d is None or d.monthly_from is None or not d.enrolment_end:
        return []
    days = [d.monthly_from + dt.timedelta(days=i) for i in range((d.enrolment_end - d.monthly_from).days + 1)]
    holiday = next(day for day in days if day.weekday() < 5 and not dates.is_workday(day))
    weekend = next(day for day in days if day.weekday() >= 5 and dates.is_workday(day))
    numbered = [day for day in days if day.month == d.monthly_from.month and dates.workday_number(day)]
    return [holiday, weekend, numbered[d.monthly_workdays - 1], numbered[d.monthly_workdays]]


def _expected_member(policy, row: dict, on: dt.date):
    cat, mem = row["category"], row["membership"]
    on = row.get("joined") or on
    if cat + mem == "":
        fee = None
    elif mem == "未参":
        fee = "未参"
    else:
        try:
            fee = int(engine.fee_for(policy, f"{cat}/{mem}")[0] * 100)
        except MutualAidError:
            fee = "#错误"
    if row["id_number"] == "" or cat + mem == "" or mem == "未参":
        return fee, None
    try:
        if not isinstance(on, dt.date):
            raise MutualAidError("参互日期不是日期")
        reason = engine.check_eligibility(policy, row["id_number"], f"{cat}/{mem}", on)
    except MutualAidError:
        return fee, "#错误"
    return fee, True if reason is None else reason


# ------------------------------------------------------------------ build, recalculate, compare


def _fill(path: Path, file: str, policy_id: str, layout: wt.Layout, rows: list[dict], on: dt.date | None = None):
    wb = wt.workbook(file, policy_id)
    ws = wb[layout.sheet]
    for offset, values in enumerate(rows):
        for key, value in values.items():
            if value is not None and value != "":
                ws[f"{layout.letter(key)}{layout.first_row + offset}"] = float(value) if isinstance(value, Decimal) else value
    if on is not None:
        wb[wt.SETTINGS_SHEET][wt.SETTINGS_CELLS[wt.DATE_NAME]] = on
    wb.save(path)


def _dates(policy) -> list[dt.date]:
    d = policy.dates
    if d is not None and d.enrolment_start and d.enrolment_end:
        return [d.enrolment_start + dt.timedelta(days=3), d.enrolment_end + dt.timedelta(days=1)]
    return [dt.date(2021, 5, 1), dt.date(2021, 2, 28)]


def recalc(base: Path, rows_per_policy: int) -> dict:
    """Build, fill and recalculate every file; returns {file name: (kind, policy, rows, extra)}."""
    source, out = base / "in", base / "out"
    source.mkdir()
    plan_of = {}
    for number, pid in enumerate(SUBSIDY_POLICIES):
        policy = next(p for p in list_policies() if p.id == pid)
        rows = claims_rows(policy, rows_per_policy, seed=1000 + number)
        for part in range(0, len(rows), PER_FILE):
            name = f"claims-{pid}-{part // PER_FILE}.xlsx"
            _fill(source / name, wt.CLAIMS.file, pid, wt.CLAIMS, rows[part:part + PER_FILE])
            plan_of[name] = ("claims", policy, rows[part:part + PER_FILE], None)
    for number, pid in enumerate(MEMBER_POLICIES):
        policy = next(p for p in list_policies() if p.id == pid)
        dates = _dates(policy)
        chunk = min(PER_FILE, max(1, rows_per_policy // len(dates)))
        for part in range(0, rows_per_policy, chunk):
            on = dates[(part // chunk) % len(dates)]
            rows = members_rows(policy, min(chunk, rows_per_policy - part), seed=2000 + number * 100 + part, on=on)
            name = f"roster-{pid}-{part // chunk}.xlsx"
            _fill(source / name, wt.ROSTER.file, pid, wt.ROSTER, rows, on)
            plan_of[name] = ("roster", policy, rows, on)
    office.convert(sorted(source.iterdir()), "xlsx:Calc MS Excel 2007 XML", out, recalc=True)
    return {name: (*spec, openpyxl.load_workbook(out / name, data_only=True)) for name, spec in plan_of.items()}


def _fen(value):
    return round(value * 100) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def compare(books: dict) -> tuple[list[str], int]:
    problems, compared = [], 0
    for name, (kind, policy, rows, on, wb) in sorted(books.items()):
        layout = wt.CLAIMS if kind == "claims" else wt.ROSTER
        ws = wb[layout.sheet]
        if kind == "claims":
            expected, history = _history(policy, rows)
        else:
            expected, history = [_expected_member(policy, r, on) for r in rows], [None] * len(rows)
        keys = ("amount", "cap_part") if kind == "claims" else ("fee", "eligible")
        for offset, (row, want, before) in enumerate(zip(rows, expected, history)):
            excel_row = layout.first_row + offset
            got = tuple(ws[f"{layout.letter(k)}{excel_row}"].value for k in keys)
            compared += 1
            if kind == "claims":
                ok = (all(isinstance(g, str) and g.startswith("#错误") for g in got) if want is None
                      else all(g == want for g in got) if isinstance(want, str)
                      else tuple(_fen(g) for g in got) == want)
                derived = tuple(ws[f"{layout.letter(k)}{excel_row}"].value for k in ("first_stay", "paid_before"))
                if (derived[0], _fen(derived[1])) != before:
                    problems.append(f"{name} 第 {excel_row} 行 首次住院/已付补助金：表格 {derived}，引擎 {before}")
            else:
                ok = _member_ok(got, want)
            if not ok:
                shown = tuple(Decimal(v) / 100 if isinstance(v, int) and not isinstance(v, bool) else v
                              for v in ((want,) if isinstance(want, str) else want or ("#错误",)))
                problems.append(f"{name} 第 {excel_row} 行 {row}: 表格 {got}，引擎 {shown}")
    return problems, compared


def _member_ok(got, want) -> bool:
    fee, eligible = got
    want_fee, want_eligible = want
    fee_ok = (fee == want_fee if not isinstance(want_fee, int) or isinstance(want_fee, bool)
              else isinstance(fee, (int, float)) and _fen(fee) == want_fee)
    if want_fee == "#错误":
        fee_ok = isinstance(fee, str) and fee.startswith("#错误")
    if want_eligible == "#错误":
        return fee_ok and isinstance(eligible, str) and eligible.startswith("#错误")
    return fee_ok and eligible == want_eligible


def _check(tmp_path_factory, size: int):
    books = recalc(tmp_path_factory.mktemp(f"differential{size}"), size)
    problems, compared = compare(books)
    assert not problems, f"{len(problems)} 行不一致（共 {compared} 行）：\n" + "\n".join(problems[:30])
    errors = [f"{name} {ws.title}!{c.coordinate} = {c.value}" for name, (*_s, wb) in books.items()
              for ws in wb.worksheets for row in ws.iter_rows() for c in row
              if c.data_type == "e" or (isinstance(c.value, str) and c.value.strip() in EXCEL_ERRORS)]
    assert not errors, "错误值：\n" + "\n".join(errors[:30])
    return books, compared


def test_native_formulas_equal_the_engine(tmp_path_factory):
    books, compared = _check(tmp_path_factory, DEFAULT_ROWS)
    assert compared == DEFAULT_ROWS * (len(SUBSIDY_POLICIES) + len(MEMBER_POLICIES))
    # the data reached the paths that matter: caps, minimum, half-unit boundaries, errors, ineligible rows
    claims = [v for name, (kind, *_r, wb) in books.items() if kind == "claims"
              for v in (c.value for c in wb[wt.CLAIMS.sheet][wt.CLAIMS.letter("amount")][wt.CLAIMS.first_row - 1:])]
    assert sum(isinstance(v, str) and v.startswith("#错误") for v in claims) >= 10
    # the register's dates: late claims withheld (nm-2021 细则第十三条), stays partly in the cover
    # pro-rated by 期内天数 from 参互日期 or 保障期起止, stays wholly outside it and chronic rows
    assert sum(isinstance(v, str) and v.startswith("#错误: 逾期申请") for v in claims) >= 5
    assert sum(isinstance(v, str) and v.startswith("#错误: 住院不在本人保障期") for v in claims) >= 2
    assert sum(isinstance(v, str) and v.startswith("#错误: 门诊特殊慢性病按月结算") for v in claims) >= 1
    derived = [(_by_dates(policy, row), row, got) for name, (kind, policy, rows, _on, wb) in books.items()
               if kind == "claims" and policy.dates is not None
               for row, got in zip(rows, (c.value for c in wb[wt.CLAIMS.sheet][wt.CLAIMS.letter("amount")]
                                          [wt.CLAIMS.first_row - 1:]))]
    partial = [got for (text_, covered, _c), row, got in derived if text_ is None and covered is not None
               and covered < dates.stay_days(row["admitted"], row["discharged"]) and isinstance(got, (int, float))]
    chronic = [got for (text_, _d, chronic), _row, got in derived if text_ is None and chronic and isinstance(got, (int, float))]
    assert len(partial) >= 5 and len(chronic) >= 1, (len(partial), len(chronic))
    members = [v for name, (kind, *_r, wb) in books.items() if kind == "roster"
               for v in (c.value for c in wb[wt.ROSTER.sheet][wt.ROSTER.letter("eligible")][wt.ROSTER.first_row - 1:])]
    assert sum(v is True for v in members) >= 40
    assert sum(isinstance(v, str) and "周岁" in v for v in members) >= 20
    assert sum(isinstance(v, str) and "校验位" in v for v in members) >= 10
    # nm-2021's monthly windows (细则第三条): rest days, working days past the fifth, and allowed days
    windows = [(row.get("joined"), got) for name, (kind, policy, rows, _on, wb) in books.items()
               if kind == "roster" and policy.dates and policy.dates.monthly_from
               for row, got in zip(rows, (c.value for c in wb[wt.ROSTER.sheet][wt.ROSTER.letter("eligible")]
                                              [wt.ROSTER.first_row - 1:]))]
    assert sum(isinstance(v, str) and "不是工作日（细则第三条" in v for _j, v in windows) >= 5
    assert sum(isinstance(v, str) and "个工作日（细则第三条" in v and "是当月第" in v for _j, v in windows) >= 5
    assert any(v is True and j == dt.date(2021, 10, 9) for j, v in windows)    # an adjusted Saturday workday
    assert any(v is True and j == dt.date(2021, 10, 13) for j, v in windows)   # the fifth working day
    assert any(isinstance(v, str) and "2021-10-14 是当月第 6 个工作日" in v for _j, v in windows)
    assert any(isinstance(v, str) and "2021-10-01 不是工作日" in v for _j, v in windows)   # National Day


@pytest.mark.differential_full
def test_native_formulas_equal_the_engine_full_size(tmp_path_factory):
    _check(tmp_path_factory, FULL_ROWS)
