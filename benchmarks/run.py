"""Benchmark of the batch paths on synthetic data (no real people); prints a Markdown table.

    python benchmarks/run.py                 # full size: 1,000,000 rows, 1,000 forms, 100 PDFs
    python benchmarks/run.py --quick         # CI size: 50,000 rows, 100 forms, 10 PDFs
    python benchmarks/run.py --quick --rows 2000
    python benchmarks/run.py --quick --claims-rows 200000     # the claims writer at full size only

Measured in one run: reading a roster (python-calamine vs openpyxl), validating it, SUBSIDY
over as many claims vectorised vs row by row, the worksheet functions (udfs) over one range of
up to 100,000 rows vs called cell by cell on the same cells (every result compared), filling
the summary and ledger for the units, rendering approval forms, converting documents to PDF,
`mutualaid claims` on a register (in its own process, with its peak memory) against a bare
python-calamine read plus a bare xlsxwriter write of the same cells, and peak memory. Row by row SUBSIDY
is timed on a sample (``--scalar-rows``) and scaled to the full count; the sample's
amounts are also checked against the vectorised ones, so a wrong fast path fails the run.
Not a timed test: it reports, it does not judge.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mutualaid_xl.rules import engine  # noqa: E402
from mutualaid_xl.rules.policy import get_policy  # noqa: E402

NOT_DONE = "未实现"
UNITS = 13_000            # Inner Mongolia: 13,000 units, 1.1 million members


class Table:
    def __init__(self):
        self.rows: list[tuple[str, str, str, str]] = []
        self.failed = False

    def add(self, what: str, size: str, seconds: float | str, note: str = "") -> None:
        shown = seconds if isinstance(seconds, str) else f"{seconds:.3f} s" if seconds < 1 else f"{seconds:.2f} s"
        self.rows.append((what, size, shown, note))
        print(f"  {what}: {shown} {note}", file=sys.stderr, flush=True)

    def markdown(self) -> str:
        lines = ["| 项目 | 规模 | 用时 | 说明 |", "|---|---:|---:|---|"]
        lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in self.rows]
        return "\n".join(lines)


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    value = function(*args, **kwargs)
    return value, time.perf_counter() - start


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}，{os.cpu_count()} 核，Python {platform.python_version()}，{platform.system()}"


def peak_memory_mb() -> float:
    """Peak resident memory of this process (LibreOffice runs in its own processes, not counted)."""
    scale = 1 if sys.platform == "darwin" else 1024   # ru_maxrss: bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


# ------------------------------------------------------------------ parts


def roster_parts(table: Table, rows: int, work: Path) -> None:
    from openpyxl import load_workbook

    from mutualaid_xl.workbooks import fill

    from mutualaid_xl.workbooks import roster

    from mutualaid_xl.workbooks import sheets

    from mutualaid_xl.workbooks import synthetic

    units = min(UNITS, rows)
    data, made = timed(synthetic.roster, rows, seed=1, policy="nm-2021", units=units)
    path = work / "roster.xlsx"
    _, wrote = timed(synthetic.write_roster, path, data)
    del data
    print(f"  （准备：生成 {rows:,} 行名册 {made:.1f} s，写出 {wrote:.1f} s）", file=sys.stderr)

    read, calamine_s = timed(sheets.read_sheets, path)

    def openpyxl_read():
        wb = load_workbook(path, read_only=True, data_only=True)
        count = sum(1 for ws in wb.worksheets for _ in ws.iter_rows(values_only=True))
        wb.close()
        return count

    _, openpyxl_s = timed(openpyxl_read)
    table.add("读名册（python-calamine）", f"{rows:,} 行", calamine_s)
    table.add("读名册（openpyxl 只读）", f"{rows:,} 行", openpyxl_s, f"calamine 快 {openpyxl_s / calamine_s:.1f} 倍")

    result, validate_s = timed(roster.validate, read, policy="nm-2021")
    table.add("校验名册（身份证、年龄、交费、参互比例）", f"{rows:,} 行", validate_s,
              f"{result.errors} 个错误，{len(result.units):,} 个单位")
    del read

    out = work / "filled"
    _, fill_s = timed(fill.fill_forms, result, out, forms=False, today=dt.date(2021, 6, 1))
    table.add("填写年度汇总表和台账", f"{len(result.units):,} 个单位", fill_s)


def claims_arrays(n: int, seed: int = 2):
    rng = np.random.default_rng(seed)
    days = rng.integers(1, 60, n)
    covered = np.where(rng.random(n) < 0.05, rng.integers(0, 60, n) % days, days)
    self_pay = np.where(rng.random(n) < 0.1, rng.integers(0, 30_000, n), rng.integers(0, 40_000_000, n))
    return dict(days=days, self_pay=self_pay, years=rng.integers(1, 6, n), first_stay=rng.random(n) < 0.7,
                paid_before=np.where(rng.random(n) < 0.8, 0, rng.integers(0, 25_000_000, n)), covered_days=covered)


def subsidy_part(table: Table, rows: int, sample: int) -> None:
    from mutualaid_xl.rules.columns import ClaimColumns, subsidy_columns

    policy = get_policy("nm-2021")
    columns = claims_arrays(rows)
    claims = ClaimColumns.from_arrays(**columns)
    result, vector_s = timed(subsidy_columns, policy, claims)
    cells = {k: (v / 100).tolist() if k in ("self_pay", "paid_before") else v.tolist() for k, v in columns.items()}
    _, cells_s = timed(lambda: subsidy_columns(policy, ClaimColumns.from_cells(
        cells["self_pay"], cells["days"], cells["years"], cells["first_stay"], cells["paid_before"],
        cells["covered_days"])))
    del cells
    sample = min(sample, rows)
    stays = [claims.stay(i) for i in range(sample)]
    expected = [(result.amount(i), result.cap_part(i)) for i in range(sample)]
    wrong = 0
    start = time.perf_counter()
    for stay, amounts in zip(stays, expected):
        r = engine.compute_subsidy(policy, stay)
        wrong += (r.amount, r.cap_part) != amounts
    per_row = (time.perf_counter() - start) / sample
    if wrong:
        table.failed = True
    scaled = per_row * rows
    total = Decimal(int(result.amount_fen.sum())).scaleb(-2)
    table.add("SUBSIDY 向量化（整数列）", f"{rows:,} 笔", vector_s, f"合计 {total:,.2f} 元")
    table.add("SUBSIDY 向量化（含单元格转换）", f"{rows:,} 笔", cells_s, "calamine 式单元格列表→分，再计算")
    note = (f"按 {sample:,} 笔实测 {per_row * 1e6:.0f} µs/笔折算；向量化快 {scaled / vector_s:.0f} 倍；"
            + (f"抽样核对 {sample:,} 笔全部一致" if not wrong else f"**{wrong} 笔不一致**"))
    table.add("SUBSIDY 逐行（标量引擎）", f"{rows:,} 笔", scaled, note)


def claims_register(path: Path, n: int, seed: int = 3) -> None:
    """A synthetic 补助登记表: ``n`` stays of about n×2/3 members (so many have several stays)."""
    import random

    import xlsxwriter

    from mutualaid_xl.workbooks.synthetic import fake_id, fake_name

    rng = random.Random(seed)
    members = max(1, n * 2 // 3)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("补助登记表")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, ["序号", "姓名", "身份证号", "入院日期", "出院日期", "住院天数", "自付费用", "连续参互年数"])
    start = dt.datetime(2021, 6, 1)
    for i in range(1, n + 1):
        member = rng.randrange(members)
        admitted = start + dt.timedelta(days=rng.randrange(300))
        ws.write_number(i, 0, i)
        ws.write_string(i, 1, fake_name(random.Random(member)))
        ws.write_string(i, 2, fake_id(member, dt.date(1960 + member % 40, 1 + member % 12, 1 + member % 28)))
        ws.write_datetime(i, 3, admitted, date)
        ws.write_datetime(i, 4, admitted + dt.timedelta(days=rng.randrange(1, 40)), date)
        ws.write_number(i, 6, rng.randrange(0, 4_000_000) / 100)
        ws.write_number(i, 7, rng.randrange(1, 6))
    wb.close()


def run_cli(args: list[str]) -> tuple[float, float, float, int]:
    """`mutualaid ARGS` in its own process: (seconds, CPU seconds, peak memory in MB, exit code)."""
    code = "import sys; sys.argv[0] = 'mutualaid'; from mutualaid_xl.cli import main; main()"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, env=env)
    _pid, status, usage = os.wait4(process.pid, 0)
    scale = 1 if sys.platform == "darwin" else 1024
    return (time.perf_counter() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * scale / 2**20,
            os.waitstatus_to_exitcode(status))


def cpu_timed(function, *args):
    """(value, CPU seconds): on a shared machine CPU time is steadier than wall time."""
    start = time.process_time()
    value = function(*args)
    return value, time.process_time() - start


def claims_part(table: Table, rows: int, work: Path) -> None:
    """`mutualaid claims` against a bare python-calamine read plus a bare xlsxwriter write of the same cells."""
    import python_calamine
    import xlsxwriter

    register = work / "claims_register.xlsx"
    _, made = timed(claims_register, register, rows)
    print(f"  （准备：生成 {rows:,} 行补助登记表 {made:.1f} s）", file=sys.stderr)

    def bare_read(path: Path) -> list[list]:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        return [cell for sheet in book.sheet_names for cell in book.get_sheet_by_name(sheet).to_python()]

    def bare_write(cells: list[list], path: Path) -> None:
        wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        ws = wb.add_worksheet()
        for r, row in enumerate(cells):
            ws.write_row(r, 0, row)
        wb.close()

    _, read_cpu = cpu_timed(bare_read, register)
    for detail in ("--no-detail", "--detail"):
        out = work / f"claims_result{detail}.xlsx"
        seconds, cpu, memory, code = run_cli(["claims", str(register), "--out", str(out), detail])
        if code not in (0, 1) or not out.exists():
            table.failed = True
        cells = bare_read(out)
        _, write_cpu = cpu_timed(bare_write, cells, work / "bare.xlsx")
        table.add(f"mutualaid claims {detail}", f"{rows:,} 行", seconds,
                  f"CPU {cpu:.1f} s，是裸读 {read_cpu:.1f} s + 裸写同样 {len(cells):,} 行 {write_cpu:.1f} s（CPU）的 "
                  f"{cpu / (read_cpu + write_cpu):.2f} 倍；峰值内存 {memory:,.0f} MB")
        if detail == "--no-detail":
            claims_cpu = cpu
    compare_part(table, rows, register, claims_cpu, work)


def compare_part(table: Table, rows: int, register: Path, claims_cpu: float, work: Path) -> None:
    """`mutualaid compare` (方案测算) of the same register under nm-2021 and a draft; target ≤ 2.5 × claims."""
    draft = work / "nm-bench-draft.toml"
    run_cli(["policy", "new", "--from", "nm-2021", str(draft)])
    draft.write_text(draft.read_text(encoding="utf-8").replace("rate = 0.40", "rate = 0.50"), encoding="utf-8")
    seconds, cpu, memory, code = run_cli(["compare", str(register), "--policy", "nm-2021", "--against", str(draft),
                                          "--into", str(work / "compare")])
    if code != 0 or not (work / "compare" / "方案测算_nm-2021_nm-bench-draft.xlsx").exists():
        table.failed = True
    table.add("mutualaid compare（两个方案）", f"{rows:,} 行", seconds,
              f"CPU {cpu:.1f} s，是 mutualaid claims --no-detail（CPU {claims_cpu:.1f} s）的 {cpu / claims_cpu:.2f} 倍"
              f"（目标 ≤ 2.5）；峰值内存 {memory:,.0f} MB")


UDF_ROWS = 100_000          # the worksheet-function comparison: one range of this many rows at most


def udf_cells(n: int, seed: int = 3) -> dict:
    """Cells as xlwings hands a range to a function: numbers as floats, dates as datetimes."""
    import random

    from mutualaid_xl.workbooks.synthetic import fake_id

    claims = claims_arrays(n, seed)
    rng = random.Random(seed)
    on = dt.datetime(2021, 6, 1)
    born = [dt.date(rng.randrange(1950, 2006), rng.randrange(1, 13), rng.randrange(1, 29)) for _ in range(n)]
    return {
        "self_pay": (claims["self_pay"] / 100).tolist(), "days": claims["days"].astype(float).tolist(),
        "years": claims["years"].astype(float).tolist(), "first_stay": claims["first_stay"].tolist(),
        "paid_before": (claims["paid_before"] / 100).tolist(),
        "covered_days": [float(c) if c != d else None for c, d in zip(claims["covered_days"], claims["days"])],
        "id_number": [fake_id(i, b) if rng.random() > 0.01 else fake_id(i, b)[:17] + "0" for i, b in enumerate(born)],
        "category": [rng.choice(["在职", "在职", "在职", "退休"]) for _ in range(n)],
        "on_date": on,
    }


def udf_part(table: Table, rows: int) -> None:
    """Each worksheet function over one range vs cell by cell (as Excel without ranges would call it).
    The range call is timed five times (median), the cell-by-cell pass, seconds long, once."""
    from mutualaid_xl import udfs

    n = min(rows, UDF_ROWS)
    cells = udf_cells(n)
    calls = [
        ("SUBSIDY", ("self_pay", "days", "years", "first_stay", "paid_before"), {"policy": "nm-2021"},
         {"covered_days": cells["covered_days"]}),
        ("FEE", ("category",), {"policy": "nm-2021"}, {}),
        ("ELIGIBLE", ("id_number", "category"), {"on_date": cells["on_date"], "policy": "nm-2021"}, {}),
        ("ID_VALID", ("id_number",), {}, {}),
        ("ID_AGE", ("id_number",), {"on_date": cells["on_date"]}, {}),
        ("ID_MASK", ("id_number",), {}, {}),
    ]
    for name, columns, single, keyword_columns in calls:
        function = getattr(udfs, name)
        ranges = {k: [[v] for v in cells[k]] for k in columns}
        ranges.update({k: [[v] for v in column] for k, column in keyword_columns.items()})
        runs = [timed(function, **ranges, **single) for _ in range(5)]   # tens of ms: a hiccup would dominate
        together, range_s = runs[0][0], sorted(seconds for _, seconds in runs)[2]
        names = list(columns) + list(keyword_columns)
        values = [cells[k] for k in columns] + list(keyword_columns.values())

        def one_by_one():
            return [[function(**dict(zip(names, row)), **single)] for row in zip(*values)]

        alone, cells_s = timed(one_by_one)
        same = together == alone
        table.failed |= not same
        table.add(f"{name} 区域参数（一次算整列）", f"{n:,} 行", range_s,
                  f"5 次的中位数；逐格调用 {cells_s:.2f} s，快 {cells_s / range_s:.0f} 倍；"
                  + ("逐行结果全部一致" if same else "**结果不一致**"))


def approval_data(i: int) -> dict:
    from mutualaid_xl.workbooks.synthetic import fake_id, fake_name
    import random

    rng = random.Random(i)
    stay = engine.Stay(self_pay=Decimal(rng.randrange(100_000, 5_000_000)) / 100, days=rng.randrange(1, 40), years=2)
    result = engine.compute_subsidy(get_policy("nm-2021"), stay)
    return {
        "member": fake_name(rng), "id_number": fake_id(i, dt.date(1980, 1, 1)), "unit": f"示例单位{i % 97:03d}",
        "stay": "2021年6月1日至6月12日", "days": stay.days, "self_pay": str(stay.self_pay),
        "allowance": f"{float(result.allowance):.2f}", "amount": result.amount, "lines": result.lines,
        "issuer": "某某职工互助保障办事处", "date": "2021年7月1日", "claim_no": f"2021-{i:05d}",
    }


def document_parts(table: Table, forms: int, pdfs: int, work: Path) -> None:
    try:
        from mutualaid_xl.documents import render as documents
    except ImportError:
        table.add("生成审批表（docxtpl）", f"{forms:,} 份", NOT_DONE)
        table.add("转换 PDF（LibreOffice）", f"{pdfs:,} 份", NOT_DONE)
        return
    data = [approval_data(i) for i in range(forms)]
    outdir = work / "forms"

    def render_all():
        renderer = documents.Renderer("approval_form")
        return [renderer.render_to(d, outdir / f"{d['claim_no']}.docx") for d in data]

    produced, render_s = timed(render_all)
    table.add("生成审批表（docxtpl）", f"{forms:,} 份", render_s, f"{render_s / forms * 1000:.0f} ms/份")
    from mutualaid_xl.documents import office
    from mutualaid_xl.errors import ToolMissingError

    try:
        office.find_soffice()
    except ToolMissingError:
        table.add("转换 PDF（LibreOffice）", f"{pdfs:,} 份", "跳过", "未安装 LibreOffice")
        return
    made, pdf_s = timed(office.to_pdf, produced[:pdfs], work / "pdf")
    table.add("转换 PDF（LibreOffice）", f"{len(made):,} 份", pdf_s, f"{pdf_s / max(1, len(made)):.2f} s/份")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="职工互助批处理基准测试（合成数据）")
    parser.add_argument("--rows", type=int, help="名册行数和补助笔数（默认 1,000,000；--quick 时 50,000）")
    parser.add_argument("--quick", action="store_true", help="CI 规模：50,000 行、100 份审批表、10 份 PDF")
    parser.add_argument("--forms", type=int, help="审批表份数（默认 1,000；--quick 时 100）")
    parser.add_argument("--pdfs", type=int, help="转换 PDF 的份数（默认 100；--quick 时 10）")
    parser.add_argument("--scalar-rows", type=int, default=50_000, help="逐行计算的抽样笔数（默认 50,000）")
    parser.add_argument("--claims-rows", type=int, help="mutualaid claims 的登记表行数（默认 200,000；--quick 时 20,000）")
    args = parser.parse_args(argv)
    rows = args.rows or (50_000 if args.quick else 1_000_000)
    forms = args.forms or (100 if args.quick else 1_000)
    pdfs = min(forms, args.pdfs or (10 if args.quick else 100))

    table = Table()
    print(f"基准测试：{rows:,} 行 …", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="mutualaid-bench-") as work:
        work = Path(work)
        roster_parts(table, rows, work)
        subsidy_part(table, rows, args.scalar_rows)
        claims_part(table, args.claims_rows or min(rows, 20_000 if args.quick else 200_000), work)
        udf_part(table, rows)
        document_parts(table, forms, pdfs, work)
    table.add("峰值内存", "", f"{peak_memory_mb():,.0f} MB", "本进程 ru_maxrss（不含 LibreOffice 进程）")
    print(f"\n{dt.date.today():%Y-%m-%d}，{machine()}\n")
    print(table.markdown())
    return 1 if table.failed else 0


if __name__ == "__main__":
    sys.exit(main())
