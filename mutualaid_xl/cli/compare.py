"""方案测算: `mutualaid compare` and `mutualaid policy new` (a draft copy of a policy to edit)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import List, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import MutualAidError, PolicyError, os_reason
from .common import console, fail, show_problems
from ..workbooks.claims import yuan_of_fen



def _yuan(fen: int) -> str:
    return f"{yuan_of_fen(fen):,}"


def compare(
    registers: List[Path] = typer.Argument(..., help="上期的补助登记表（可多个），每次住院一行"),
    policy: str = typer.Option(..., "--policy", "-p", help="现行方案编号，如 nm-2021"),
    against: str = typer.Option(..., "--against", "-a", help="测算方案：方案编号或方案文件（.toml，可为 mutualaid policy new 生成的草案）"),
    rosters: Optional[List[Path]] = typer.Option(None, "--rosters", "-r", help="会员名册（文件或文件夹，可多次给出）：按两个方案计算互助金收入和结余"),
    into: Path = typer.Option(Path("."), "--into", "-d", help="结果文件夹（写入 方案测算_现行_测算.xlsx）"),
) -> None:
    """方案测算：用上期的住院记录，按现行方案和测算方案分别计算补助，比较合计、分段、封顶和保底人数。

    结果工作簿：测算明细（每笔住院两个方案的补助和差额，合计行）、汇总（按自付费用分段的合计和图表、
    封顶和保底人数，给出名册时还有互助金收入和结余）、参数差异、问题。输入文件不被改动。

    示例：mutualaid compare 补助登记表.xlsx --policy nm-2021 --against 测算草案.toml --rosters 名册 --into 测算
    """
    from ..workbooks.compare import compare as run, summarize, write_comparison

    try:
        with console.status("正在按两个方案计算…"):
            comparison = run(registers, policy, against, rosters or None)
            summary = summarize(comparison)
            out = into / f"方案测算_{comparison.current.id}_{comparison.proposal.id}.xlsx"
            if out.resolve() in {p.resolve() for p in [*registers, *(rosters or [])]}:
                fail("结果文件不能与输入文件相同（输入文件不会被改动）")
            backup = write_comparison(comparison, summary, out)
    except MutualAidError as error:
        fail(error)
    except OSError as error:
        fail(f"无法写入 {into}：{os_reason(error)}")
    old, new = comparison.total_fen(0), comparison.total_fen(1)
    table = Table(title="方案测算", show_header=False)
    table.add_row("现行方案", escape(comparison.current.title))
    table.add_row("测算方案", escape(comparison.proposal.title))
    table.add_row("补助合计", f"现行 {_yuan(old)} 元，测算 {_yuan(new)} 元")
    table.add_row("差额", f"{_yuan(new - old)} 元（{'增加' if new >= old else '减少'}）")
    table.add_row("会员", f"{summary.members} 人获补助，测算方案下 {summary.gain} 人多得，{summary.lose} 人少得")
    if summary.income_fen is not None:
        table.add_row("互助金收入", f"现行 {_yuan(summary.income_fen[0])} 元，测算 {_yuan(summary.income_fen[1])} 元")
    console.print(table)
    show_problems(comparison.problems, "问题")
    if backup:
        console.print(f"原有结果文件已备份为 {escape(backup.name)}")
    console.print(f"测算结果已写入 {escape(str(out))}")


def draft_text(text: str, new_id: str, source_id: str) -> str:
    """The policy file's text with a new id, kind = "draft" and 草案 in the name; comments kept."""
    def setting(key: str, value: str, body: str) -> str:
        pattern = re.compile(rf'^{key}\s*=\s*"([^"]*)"', re.M)
        if not pattern.search(body):
            raise PolicyError(f"方案 {source_id} 的文件中找不到 {key} = \"…\" 一行，无法生成草案")
        return pattern.sub(lambda m: f'{key} = "{value(m.group(1)) if callable(value) else value}"', body, count=1)

    body = setting("id", new_id, text)
    body = setting("kind", "draft", body)
    body = setting("name", lambda name: name if name.endswith("（草案）") else f"{name}（草案）", body)
    head = (f"# 方案测算草案：由 {source_id} 复制（mutualaid policy new）。修改数值后用\n"
            f"#   mutualaid compare 登记表.xlsx --policy {source_id} --against 本文件\n"
            "# 测算；各项 source 仍为原方案的文号，改过的数值在测算结果的“参数差异”表中标为“草案”。\n")
    return head + body


def policy_new(
    source_id: str = typer.Option(..., "--from", help="作为底稿的方案编号，如 nm-2021"),
    file: Path = typer.Argument(..., help="草案文件（.toml）；文件名即新方案编号，只能用小写字母、数字和连字符"),
) -> None:
    """复制一个方案为可编辑的测算草案（标为草案，新编号取自文件名），供 mutualaid compare 测算。

    示例：mutualaid policy new --from nm-2021 nm-2022-draft.toml
    """
    from ..files import write_bytes_atomic
    from ..rules.policy import get_policy, load_policy_file

    new_id = file.stem
    if file.suffix.lower() != ".toml" or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", new_id):
        fail(f"草案文件名“{file.name}”不可用：须为 编号.toml，编号只能用小写字母、数字和连字符，如 nm-2022-draft.toml")
    try:
        original = get_policy(source_id)
        if new_id == original.id:
            fail("草案编号不能与底稿方案相同，请换一个文件名")
        text = draft_text(original.path.read_text(encoding="utf-8"), new_id, original.id)
        backup = write_bytes_atomic(text.encode("utf-8"), file)
        draft = load_policy_file(file)
    except MutualAidError as error:
        fail(error)
    except OSError as error:
        fail(f"无法写入 {file}：{os_reason(error)}")
    if backup:
        console.print(f"原有文件已备份为 {escape(backup.name)}")
    console.print(f"已生成草案 {escape(str(file))}（{escape(draft.title)}，底稿 {escape(original.id)}）；"
                  "修改数值后用 mutualaid compare 测算。")


def register(app: typer.Typer) -> None:
    from .calc import policy_app

    app.command("compare")(compare)
    policy_app.command("new")(policy_new)
