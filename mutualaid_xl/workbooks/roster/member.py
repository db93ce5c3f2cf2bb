"""What one member's cells mean under the policy: (类别, 续互/新参互, 交费金额) judged once per distinct
combination, and the age verdict once per (birth date, category, date). Pure policy rules, cached."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from ...errors import InputError, MutualAidError
from ...rules import engine
from ...rules.idcard import age_on
from ...rules.policy import Policy, normalize_category
from ...rules.values import excel_error, is_blank, parse_decimal
from ..templates import NOT_JOINING
from .model import _PLAIN_NUMBER, ERROR, WARNING, _text


@dataclass(frozen=True)
class _Verdict:
    """What a (类别, 续互/新参互, 交费金额) combination means; computed once per distinct combination."""
    enrolled: bool
    role: str | None                  # 在职 / 退休
    membership: str | None            # 续互 / 新参互
    fee: Decimal | None               # amount counted for the unit
    problems: tuple[tuple[str, str, str], ...] = ()   # (field key, severity, reason)
    category: str = field(init=False)                   # "在职/续互", as the engine takes it

    def __post_init__(self):
        object.__setattr__(self, "category", "/".join(p for p in (self.role, self.membership) if p))



class MemberRules:
    """The policy's judgement of a member's cells, cached so a million rows cost a few thousand checks."""

    def __init__(self, policy: Policy, note_once: Callable[[str, str], None]):
        self.policy = policy
        self.note_once = note_once
        self.verdicts: dict[tuple, _Verdict] = {}
        self.ages: dict[tuple, str | None] = {}

    def verdict(self, key: tuple) -> _Verdict:
        """``key`` is (类别, 续互/新参互, 交费金额, has_fee); 100 and 100.0 share a verdict, "100" does not."""
        self.verdicts[key] = verdict = self._judge(*key)
        return verdict

    def _judge(self, category, membership, fee, has_fee: bool) -> _Verdict:
        problems: list[tuple[str, str, str]] = []
        not_joining = _text(membership) == NOT_JOINING or _text(fee) == NOT_JOINING
        role = member = None
        for key, value in (("category", category), ("membership", membership)):
            if is_blank(value) or (key == "membership" and _text(value) == NOT_JOINING):
                continue
            if excel_error(value):
                problems.append((key, ERROR, f"单元格是错误值 {excel_error(value)}，请先修正"))
                continue
            try:
                words = normalize_category(value)
            except InputError as error:
                problems.append((key, ERROR, error.message.replace("category", "类别")))
                continue
            for word in words:
                if word in ("在职", "退休"):
                    role = word
                else:
                    member = word
            if key == "category" and role is None:
                problems.append((key, ERROR, f"类别“{_text(value)}”没有写明在职还是退休，请填 在职 或 退休"))
        if is_blank(category) and not not_joining:
            problems.append(("category", ERROR, "类别为空，请填 在职 或 退休"))
        if not_joining:
            if has_fee and not is_blank(fee) and _text(fee) != NOT_JOINING:
                problems.append(("fee", WARNING, f"标为“{NOT_JOINING}”却填了交费金额，未计入互助金"))
            return _Verdict(False, role, None, None, tuple(problems))
        if any(severity == ERROR for _k, severity, _r in problems):
            return _Verdict(True, role, member, None, tuple(problems))
        counted = None
        if has_fee and not is_blank(fee):
            try:
                counted = parse_decimal(int(fee) if isinstance(fee, float) and fee.is_integer() else fee, "交费金额")
            except InputError as error:
                problems.append(("fee", ERROR, f"交费金额{error.message}"))
            else:
                if counted == counted.to_integral_value():
                    counted = counted.quantize(Decimal(1))
                if isinstance(fee, str) and not _PLAIN_NUMBER.fullmatch(fee.strip()):
                    problems.append(("fee", WARNING, f"交费金额是文字“{fee}”，已按 {counted} 元读取；"
                                                     "Excel 求和会漏掉文字，请改为数字"))
        if member is None and role and counted is not None:
            member = self._membership_from_fee(counted)
        expected, why = self._expected_fee(role, member, problems, counted)
        if not has_fee or is_blank(fee):
            if expected is not None:
                counted = expected
                if has_fee:
                    problems.append(("fee", WARNING, f"交费金额为空，按方案标准 {expected} 元计入"))
        elif counted is not None:
            if expected is not None and counted != expected:
                problems.append(("fee", ERROR, f"交费金额 {counted} 元与方案 {self.policy.id} 的{why}标准 "
                                               f"{expected} 元不符"))
            elif expected is None and why == "份数" and (wrong := self._share_problem(counted)):
                problems.append(("fee", ERROR, wrong))
        if member is None and membership is not None and is_blank(membership) and not any(
                k in ("membership", "fee") and severity == ERROR for k, severity, _r in problems):
            problems.append(("membership", WARNING, "续互/新参互为空：汇总表的续互/新参互人数不含此人"))
        return _Verdict(True, role, member, counted, tuple(problems))

    def _membership_from_fee(self, amount: Decimal) -> str | None:
        """续互 or 新参互 told by the fee alone, where the policy's fees differ by it
        (昆冶高专工发〔2015〕10号: 已参加者填 80，新参加者填 100)."""
        fees = self.policy.fees
        amounts = fees.amounts if fees else {}
        matches = [m for m in ("续互", "新参互") if amounts.get(m) == amount]
        return matches[0] if len(matches) == 1 and not {"在职", "退休"} & set(amounts) else None

    def _expected_fee(self, role, member, problems, written=None) -> tuple[Decimal | None, str]:
        """The policy's fee for the row, or (None, reason-kind) after recording why not."""
        if self.policy.fees is None:
            self.note_once(WARNING, f"方案 {self.policy.id} 未配置交费标准，未核对交费金额")
            return None, ""
        if not self.policy.fees.amounts and self.policy.shares is not None:
            return None, "份数"
        text = "/".join(p for p in (role, member) if p)
        try:
            amount, chosen = engine.fee_for(self.policy, text)
        except MutualAidError as error:
            key = "membership" if role and not member else "category"
            if key == "membership" and written is not None:
                standards = "、".join(f"{c} {a} 元" for c, a in self.policy.fees.amounts.items())
                problems.append(("fee", ERROR, f"交费金额 {written} 元不是方案 {self.policy.id} 的任何标准"
                                               f"（{standards}），也没有填续互/新参互"))
            elif key == "membership":
                problems.append(("membership", ERROR, f"续互/新参互为空，无法确定交费标准：{error.message}"))
            else:
                problems.append(("category", ERROR, f"类别不在方案中：{error.message}"))
            return None, ""
        return amount, chosen

    def _share_problem(self, amount: Decimal) -> str | None:
        shares = self.policy.shares
        count = amount / shares.fee_per_share
        if count != count.to_integral_value() or not shares.min <= count <= shares.max:
            return (f"交费金额 {amount} 元不是每份 {shares.fee_per_share} 元的 {shares.min}—{shares.max} 份"
                    f"（方案 {self.policy.id}）")
        return None

    def age(self, id18: str, category: str, on: dt.date) -> str | None:
        """The eligibility verdict, cached by (birth date digits, category, date)."""
        key = (id18[6:14], category, on)
        if self.policy.eligibility is None:
            self.note_once(WARNING, f"方案 {self.policy.id} 未配置参互年龄条件，只核对了出生日期不晚于参互日期")
            try:
                age_on(id18, on)
                reason = None
            except InputError as error:
                reason = error.message
        else:
            try:
                reason = engine.check_eligibility(self.policy, id18, category, on)
            except MutualAidError as error:
                reason = error.message
        self.ages[key] = reason
        return reason
