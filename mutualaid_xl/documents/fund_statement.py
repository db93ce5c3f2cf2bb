"""互助金收支情况公示 (fund_statement.docx) from the year's statistics: aggregates only, no names or IDs.

张工办〔2020〕51号 二.3 asks for the year's use of the fund to be made public; 内蒙古细则第九条
for the income and spending of each period.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from ..rules.money import yuan
from ..workbooks.stats import Stats, balance_fen
from .render import render

UNKNOWN = "未统计"


def _money(fen: int | None) -> str:
    return UNKNOWN if fen is None else yuan(Decimal(fen).scaleb(-2))


def _given(value: Decimal | None) -> str:
    return UNKNOWN if value is None else yuan(value)


def statement_data(stats: Stats, issuer: str, date: dt.date) -> dict:
    aid = stats.aid
    periods = "、".join(p.label for p in stats.periods) or UNKNOWN
    members = sum(p.members for p in stats.periods)
    rows = [
        ("参与职工人数（人）", str(members)),
        ("筹集资金", _money(sum(p.raised_fen for p in stats.periods))),
        ("上期结余", _given(stats.opening)),
        ("上缴市总工会金额", _given(stats.remitted)),
        ("市总累计回拨金额", _given(stats.returned)),
        ("支付互助金合计", _money(aid.paid_fen)),
        ("其中：补助金", _money(aid.benefit_fen)),
        ("　　　住院补贴", _money(aid.allowance_fen)),
        ("救助职工人数（人）", UNKNOWN if aid.members is None else str(aid.members)),
        ("其中患重大疾病职工（人）", UNKNOWN if aid.serious is None else str(aid.serious)),
        ("重大疾病支付互助金", _money(aid.serious_fen)),
        ("已审批未支付的互助金", _money(aid.unpaid_fen)),
        (f"截至{stats.as_of.month}月{stats.as_of.day}日账面结余", _money(balance_fen(stats))),
    ]
    window = f"{stats.start.year}年1月1日至{stats.as_of.year}年{stats.as_of.month}月{stats.as_of.day}日"
    note = [f"筹集资金按{periods}的会员名册统计；支付情况按{window}的支付日期统计。",
            "账面结余 = 上期结余 + 筹集资金 − 上缴市总工会金额 + 市总累计回拨金额 − 支付互助金 − 已审批未支付的互助金。"]
    if any(value == UNKNOWN for _item, value in rows):
        note.append(f"标“{UNKNOWN}”的项目数据不全，未能统计。")
    return {
        "title": f"{issuer}{stats.year}年度职工医疗互助金收支情况公示",
        "intro": f"根据公开公示制度的要求，现将本会{stats.year}年度（{window}）职工医疗互助金收支情况公示如下：",
        "rows": [{"item": item, "value": value} for item, value in rows],
        "note": note, "issuer": issuer, "date": date,
    }


def write_statement(stats: Stats, out: Path | str, *, issuer: str, date: dt.date | None = None,
                    pdf: bool = False) -> list[Path]:
    """The .docx (and its PDF when asked)."""
    return render("fund_statement", statement_data(stats, issuer, date or dt.date.today()), out, pdf=pdf)
