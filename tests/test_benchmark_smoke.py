"""Keep benchmarks/run.py working (tiny size; times are not asserted)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_runs_and_prints_the_table():
    run = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--rows", "2000"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    table = [line for line in run.stdout.splitlines() if line.startswith("| ")]
    items = [line.split(" | ")[0].removeprefix("| ") for line in table[1:]]
    for item in ("读名册（python-calamine）", "读名册（openpyxl 只读）", "校验名册（身份证、年龄、交费、参互比例）",
                 "填写年度汇总表和台账", "SUBSIDY 向量化（整数列）", "SUBSIDY 逐行（标量引擎）",
                 "mutualaid claims --no-detail", "mutualaid claims --detail", "mutualaid compare（两个方案）",
                 "生成审批表（docxtpl）", "转换 PDF（LibreOffice）", "峰值内存"):
        assert item in items, item
    assert "| 2,000 笔 |" in run.stdout
    assert "抽样核对 2,000 笔全部一致" in run.stdout     # the fast path agreed with the engine
    assert "未实现" not in run.stdout
    for name in ("SUBSIDY", "FEE", "ELIGIBLE", "ID_VALID", "ID_AGE", "ID_MASK"):
        row = next(line for line in table if line.startswith(f"| {name} 区域参数（一次算整列） | 2,000 行 |"))
        assert "逐行结果全部一致" in row, row    # the range call gave every cell's own result
