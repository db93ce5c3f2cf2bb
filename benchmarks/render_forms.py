"""Benchmark: render N approval forms (default 1000) from synthetic claims; prints time per document.

    python benchmarks/render_forms.py [N] [--outdir DIR]

Uses the same Renderer as `mutualaid render approval_form ROWS.xlsx OUTDIR --each`
(template loaded and checked once, one .docx per claim written atomically).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from mutualaid_xl.documents.render import Renderer
from mutualaid_xl.rules.idcard import check_char


def claim(i: int) -> dict:
    first17 = f"990101{19600101 + i % 28:08d}{i % 1000:03d}"  # fake area code 990101
    self_pay = Decimal(1000 + (i * 7919) % 150000) + Decimal(i % 100) / 100
    low = min(self_pay, Decimal(10000))
    high = max(self_pay - 10000, Decimal(0))
    bands = [{"band": "0—10000元", "base": low, "ratio": "40%", "subsidy": (low * Decimal("0.4")).quantize(Decimal("0.01"))}]
    if high:
        bands.append({"band": "10000元以上", "base": high, "ratio": "70%", "subsidy": (high * Decimal("0.7")).quantize(Decimal("0.01"))})
    allowance = Decimal(10 * (1 + i % 30))
    return {
        "claim_no": f"BM-{i:06d}", "member": f"职工{i}", "id_number": first17 + check_char(first17),
        "unit": f"虚构单位{i % 50} R&D <部门>", "category": "在职", "hospital": "虚构医院", "stay": "2021年6月1日起",
        "days": 1 + i % 30, "self_pay": self_pay, "allowance": allowance,
        "amount": sum(b["subsidy"] for b in bands) + allowance, "bands": bands,
        "issuer": "虚构职工互助保障办事处", "date": dt.date(2021, 7, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1000)
    parser.add_argument("--outdir", type=Path)
    args = parser.parse_args()
    claims = [claim(i) for i in range(args.n)]
    with tempfile.TemporaryDirectory() as tmp:
        outdir = args.outdir or Path(tmp)
        start = time.perf_counter()
        renderer = Renderer("approval_form")
        for c in claims:
            renderer.render_to(c, outdir / f"{c['claim_no']}.docx")
        elapsed = time.perf_counter() - start
    print(f"{args.n} 份审批表，共 {elapsed:.2f} 秒，每份 {elapsed / args.n * 1000:.1f} 毫秒")


if __name__ == "__main__":
    main()
