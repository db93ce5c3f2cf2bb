"""Ribbon handlers, run against a fake xlwings book (no Excel here)."""

import functools

import pytest
from fake_book import FakeBook

from mutualaid_xl.excel import ribbon
from mutualaid_xl.rules.policy import DEFAULT_POLICY_ID, get_policy, list_policies
from mutualaid_xl.workbooks.templates import workbook


@functools.lru_cache(maxsize=None)
def _template(policy_id):
    return workbook("roster.xlsx", policy_id)


def _roster(policy_id="nm-2021"):
    return FakeBook.from_openpyxl(_template(policy_id))


def test_settings_shows_the_policy_of_a_template_workbook():
    book = _roster("zjk-14")
    before = {s.name: dict(s.cells) for s in book.sheets}
    message = ribbon.settings(book)
    policy = get_policy("zjk-14")
    assert book.app.alerts == [("职工互助：设置", message)]
    assert f"方案：{policy.title}" in message
    assert f"依据：{policy.documents[0]}" in message
    assert "工作表“设置”单元格 B3" in message
    assert (book.active, book.selected) == ("设置", ("设置", "B3"))
    assert {s.name: dict(s.cells) for s in book.sheets} == before  # only shows, never changes


def test_settings_shows_fees_and_participation_floor_from_the_policy_file():
    message = ribbon.settings(_roster("nm-2021"))
    assert "交费标准：在职职工每人每期100元，参互退休职工每人每期400元" in message
    assert "单位参互比例下限：75%" in message


def test_blank_policy_cell_means_the_default_policy(monkeypatch):
    monkeypatch.delenv("MUTUALAID_POLICY", raising=False)
    book = _roster()
    book.sheets["设置"].cells["B3"] = "  "
    message = ribbon.settings(book)
    assert "方案编号未填写，按默认方案计算。" in message
    assert f"方案：{get_policy(DEFAULT_POLICY_ID).title}" in message


def test_unknown_policy_is_reported_not_raised():
    book = _roster()
    book.sheets["设置"].cells["B3"] = "nm-2099"
    message = ribbon.settings(book)
    assert "方案编号“nm-2099”有误：未知的方案编号“nm-2099”" in message
    assert "nm-2021" in message  # the available ids are listed
    assert book.sheets["设置"].cells["B3"] == "nm-2099"


def test_settings_adds_a_settings_sheet_to_a_plain_workbook(monkeypatch):
    monkeypatch.delenv("MUTUALAID_POLICY", raising=False)
    book = FakeBook("会员名册")
    book.sheets["会员名册"].cells["A1"] = "姓名"
    message = ribbon.settings(book)
    assert [s.name for s in book.sheets] == ["会员名册", "设置"]
    sheet = book.sheets["设置"]
    assert sheet.cells["A3"] == "方案编号" and sheet.cells["B3"] == DEFAULT_POLICY_ID
    assert sheet.formats["B3"] == "@"
    assert [(n.name, n.refers_to) for n in book.names] == [("方案编号", "='设置'!$B$3")]
    policies = list_policies()
    assert sheet.cells["A6"] == "可用方案"
    assert [sheet.cells[f"A{7 + i}"] for i in range(len(policies))] == [p.id for p in policies]
    assert sheet.cells[f"B{7 + len(policies) - 1}"] == policies[-1].name
    assert message.startswith("已添加工作表“设置”。")
    assert book.sheets["会员名册"].cells == {"A1": "姓名"}
    ribbon.settings(book)  # a second press finds the name and adds nothing
    assert len(book.sheets) == 2 and len(book.names) == 1


def test_settings_sheet_without_the_name_is_left_alone():
    book = FakeBook("会员名册", "设置")
    book.sheets["设置"].cells["A1"] = "本单位自用的设置"
    message = ribbon.settings(book)
    assert "没有名为“方案编号”的单元格" in message
    assert len(book.names) == 0 and book.sheets["设置"].cells == {"A1": "本单位自用的设置"}


def test_handlers_use_the_calling_book_when_none_is_given(monkeypatch):
    import xlwings as xw

    book = _roster()
    monkeypatch.setattr(xw.Book, "caller", classmethod(lambda cls: book))
    ribbon.settings()
    assert len(book.app.alerts) == 1


@pytest.mark.parametrize("policy", [p.id for p in list_policies()])
def test_every_policy_file_can_be_shown(policy):
    book = _roster()
    book.sheets["设置"].cells["B3"] = policy
    assert f"方案：{get_policy(policy).title}" in ribbon.settings(book)
