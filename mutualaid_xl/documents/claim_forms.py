"""Documents for a computed claims register: an approval form (审批表) per claim and the public list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from collections.abc import Callable
from pathlib import Path

from ..errors import InputError
from ..rules.money import round_half_up
from ..rules.values import cn_date, is_blank, parse_date
from ..workbooks.claims import ClaimsResult, computed_positions, stay_result
from . import render as documents


def _day_text(value) -> str:
    """A register date for the approval form; a date held as odd text is shown as written."""
    if is_blank(value):
        return ""
    try:
        return cn_date(parse_date(value, "date"))
    except InputError:
        return str(value)


def _approved(value, default: dt.date) -> dt.date:
    """The form's date: the register's 审批日期 when it holds one, else the run's date."""
    try:
        return default if is_blank(value) else parse_date(value, "approved")
    except InputError:
        return default


def _stay_text(admitted, discharged) -> str:
    """住院时间 (or 保障期) for the approval form."""
    if is_blank(admitted) or is_blank(discharged):
        return ""
    return f"{_day_text(admitted)}至\n{_day_text(discharged)}"  # one date per line: never "2021 / 年6月13日"


def _text(value) -> str:
    return "" if is_blank(value) else str(value).strip()


def adjustments(computed) -> list[dict]:
    """Rows below the band rows of the approval form, so that band rows + these rows = 补助金额合计 to the fen.

    The cap and the rounding rows are what remains after the shown band amounts, allowance and top-up.
    """
    bands = sum((b["subsidy"] for b in computed.bands), Decimal(0))
    benefit, allowance, topup = (round_half_up(v) for v in (computed.benefit, computed.allowance, computed.topup))
    rows = [("封顶扣减", "超过封顶的部分不补助", benefit - bands), ("住院补贴", "按住院天数", allowance),
            ("保底补足", "合计不足保底金额时补足", topup),
            ("取整", "按方案取整", computed.amount - benefit - allowance - topup)]
    return [{"label": label, "note": note, "amount": amount} for label, note, amount in rows
            if amount or label == "住院补贴"]


def _notes(lines: list[str]) -> list[str]:
    """The engine's explanation without what the form already shows (scheme, self-pay and days, bands)."""
    return [line for line in lines if not line.startswith(("方案", "自付费用", "分段补助"))]


def write_documents(result: ClaimsResult, outdir: Path | str, *, issuer: str, date: dt.date | None = None,
                    seal_png: Path | str | None = None, pdf: bool = False,
                    progress: Callable[[int], None] | None = None) -> list[Path]:
    """An approval form (审批表) per computed claim and the public list (公示名单) of paid claims.

    The approval forms are internal records and show the full ID; the public list masks names
    and ID numbers and never shows a diagnosis (documents.prepare enforces both).
    """
    outdir = Path(outdir)
    date = date or dt.date.today()
    cells = result.cells
    approval = documents.Renderer("approval_form")
    produced, listed = [], []
    for done, position in enumerate(computed_positions(result), 1):
        computed = stay_result(result, position)
        row_number = result.sheet.excel_row(result.rows[position])
        name = cells["name"][position]
        data = {
            "scheme": result.policy.name, "claim_no": f"{row_number:05d}（登记表第 {row_number} 行）",
            "member": "" if is_blank(name) else str(name), "id_number": str(cells["id_number"][position] or ""),
            **{key: _text(cells[key][position]) for key in ("unit", "category", "hospital", "diagnosis", "serious",
                                                            "chronic")},
            "settled": _day_text(cells["settled"][position]), "applied": _day_text(cells["applied"][position]),
            "cover": _stay_text(cells["cover_start"][position], cells["cover_end"][position]),
            "stay": _stay_text(cells["admitted"][position], cells["discharged"][position]),
            "days": cells["days"][position], "self_pay": cells["self_pay"][position] or 0,
            "allowance": round_half_up(computed.allowance), "amount": computed.amount,
            "bands": computed.bands, "adjustments": adjustments(computed), "lines": _notes(computed.lines),
            "issuer": issuer, "date": _approved(cells["approved"][position], date),
        }
        # the register's row number and the surname only (郑某): file names end up in logs and listings
        surname = f"-{data['member'][:1]}某" if data["member"] else ""
        target = outdir / "审批表" / f"{documents.safe_file_name(f'{row_number:05d}{surname}')}.docx"
        try:
            produced.append(approval.render_to(data, target, seal_png=seal_png))
        except InputError as error:  # e.g. a blank 工作单位: name the register's row
            raise InputError(error.message, file=result.file, sheet=result.sheet.name, row=row_number,
                             column=error.argument) from None
        if computed.amount > 0:
            listed.append({"name": data["member"], "id_number": data["id_number"], "unit": data["unit"],
                           "amount": computed.amount})
        if progress:
            progress(done)
    public = {"title": f"{result.policy.name}补助金发放公示名单", "period": "自公布之日起7天", "issuer": issuer,
              "date": date, "rows": listed,
              "intro": f"以下职工的互助补助已审核，现予公示。如有异议，请在公示期内向{issuer}反映。"}
    if listed:  # nothing paid: nothing to publish
        produced.append(documents.Renderer("public_list").render_to(public, outdir / "公示名单.docx",
                                                                    seal_png=seal_png))
    if pdf:
        produced += documents.finish_pdfs(list(produced), seal_png)
    return produced
