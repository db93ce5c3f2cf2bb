"""The web page in a real browser (Debian's chromium driven by Playwright): upload a roster with known problems,
see them, download the report, compute a claim, render a notice, view the policies and the calculator.
Screenshots of every screen go to a temporary folder (printed at the end, kept for review)."""

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from app_server import BAD_ROW, claims_register, roster_with_problems, running

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync", "--lang=zh-CN"]


def chromium_path() -> str | None:
    return shutil.which("chromium") or next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser")
                                              if os.path.exists(p)), None)


@pytest.fixture(scope="module")
def shots():
    folder = Path(os.environ.get("MUTUALAID_SCREENSHOTS") or tempfile.mkdtemp(prefix="mutualaid-screens-"))
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    print(f"\n网页截图：{folder}")


@pytest.fixture(scope="module")
def page():
    from playwright.sync_api import sync_playwright

    with running() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(server.url)
        page.wait_for_selector("#policy option[value='nm-2021']", state="attached")
        yield page
        browser.close()


def _tab(page, name):
    page.click(f"#tabs button[data-tab='{name}']")
    return page.locator(f"section#{name}")


def test_validate_shows_problem_rows_and_downloads_the_report(page, shots, tmp_path):
    section = _tab(page, "validate")
    section.locator("input[name=files]").set_input_files(str(roster_with_problems(tmp_path / "会员名册.xlsx")))
    section.locator("button[type=submit]").click()
    table = section.locator("table").first
    row = table.locator("tr", has_text="校验位错误")
    row.wait_for()
    cells = row.locator("td").all_inner_texts()
    assert cells[1:6] == ["错误", "会员名册.xlsx", "会员名册", str(BAD_ROW + 4), "C"]
    assert "*" in cells[8]
    assert table.locator("tr", has_text="交费金额 1 元与方案 nm-2021 的在职标准 100 元不符").count() == 1
    table.locator("th", has_text="行").click()        # sortable
    table.locator("th", has_text="行").click()
    assert table.locator("tbody tr").first.locator("td").nth(4).inner_text() == "10"
    page.screenshot(path=shots / "1-校验名册.png", full_page=True)
    with page.expect_download() as info:
        section.locator("a", has_text="校验报告.xlsx").click()
    info.value.save_as(tmp_path / "report.xlsx")
    rows = list(load_workbook(tmp_path / "report.xlsx")["校验结果"].values)
    located = {row[4:6] for row in rows[1:] if row[1] == "错误"}
    assert {(7, "C"), (10, "G")} <= located


def test_claims_result_and_explanation(page, shots, tmp_path):
    section = _tab(page, "claims")
    section.locator("input[name=files]").set_input_files(str(claims_register(tmp_path / "补助登记表.xlsx")))
    section.locator("button[type=submit]").click()
    first = section.locator("table tbody tr").first
    assert first.locator("td").nth(2).inner_text() == "11,240.00"
    first.locator("button", has_text="说明").click()
    detail = section.locator("tr.detail")
    assert "10000元段 10,000.00 × 40% = 4,000.00" in detail.inner_text()
    assert "补助金额合计 11,440.00 元" in section.locator(".lines").first.inner_text()
    page.screenshot(path=shots / "3-计算补助.png", full_page=True)
    with page.expect_download() as info:
        section.locator("a", has_text="补助登记表_subsidy.xlsx").click()
    info.value.save_as(tmp_path / "result.xlsx")
    sheet = load_workbook(tmp_path / "result.xlsx")["计算结果"]
    assert [sheet.cell(r, 15).value for r in (2, 3)] == [11240, 200]


def test_statistics_downloads_the_workbook_and_shows_the_problems(page, shots, tmp_path):
    from test_stats import county, figures

    rosters, register = county(tmp_path)
    section = _tab(page, "statistics")
    section.locator("input[name=files]").set_input_files([str(p) for p in sorted(rosters.iterdir())])
    section.locator("input[name=register]").set_input_files(str(register))
    for name, value in {"year": "2021", "opening": "50000", "issuer": "某某县总工会"}.items():
        section.locator(f"[name={name}]").fill(value)
    section.locator("button[type=submit]").click()
    section.locator(".files").wait_for()
    assert "救助 2 人，支付 230,360.00 元" in section.locator(".lines").first.inner_text()
    assert section.locator("table tbody tr", has_text="身份证号位数不对").count() == 1
    page.screenshot(path=shots / "3b-运行统计.png", full_page=True)
    with page.expect_download() as info:
        section.locator("a", has_text="运行情况统计表_2021.xlsx").click()
    info.value.save_as(tmp_path / "统计表.xlsx")
    assert figures(tmp_path / "统计表.xlsx")["2021年度合计"][5:7] == [2, 11240 + 217000 + 2120]


def test_notice_from_the_form_downloads_a_word_file(page, shots, tmp_path):
    from docx import Document

    section = _tab(page, "notice")
    values = {"issuer": "某某市总工会", "doc_number": "某工发〔2021〕3号", "title": "关于开展2021年度职工医疗互助的通知",
              "addressees": "各基层工会", "body": "一、参加对象\n全市在职职工。", "date": "2021-05-01"}
    for name, value in values.items():
        section.locator(f"[name={name}]").fill(value)
    page.screenshot(path=shots / "4-生成红头通知-表单.png", full_page=True)
    section.locator("button[type=submit]").click()
    with page.expect_download() as info:
        section.locator("a", has_text="通知.docx").click()
    info.value.save_as(tmp_path / "通知.docx")
    text = "\n".join(p.text for p in Document(tmp_path / "通知.docx").paragraphs)
    assert "关于开展2021年度职工医疗互助的通知" in text and "某工发〔2021〕3号" in text and "全市在职职工。" in text
    page.screenshot(path=shots / "4-生成红头通知.png", full_page=True)


def test_fill_application_and_seal_screens(page, shots, tmp_path):
    roster = str(roster_with_problems(tmp_path / "会员名册.xlsx"))
    section = _tab(page, "fill")
    section.locator("input[name=files]").set_input_files(roster)
    section.locator("button[type=submit]").click()
    section.locator(".files").wait_for()
    links = section.locator(".files a").all_inner_texts()
    assert links == ["annual_summary.xlsx", "application_form.xlsx", "unit_ledger.xlsx", "全部下载（zip）"]
    page.screenshot(path=shots / "2-填写汇总表.png", full_page=True)
    section = _tab(page, "application")
    section.locator("input[name=files]").set_input_files(roster)
    section.locator("button[type=submit]").click()
    section.locator(".files").wait_for()
    assert section.locator(".files a").all_inner_texts() == ["晨光机械厂.docx"]
    page.screenshot(path=shots / "5-生成申请表.png", full_page=True)
    _tab(page, "seal")
    page.screenshot(path=shots / "6-盖章并导出PDF.png", full_page=True)


def test_settings_and_calculator(page, shots):
    section = _tab(page, "settings")
    bands = section.locator("div", has=page.locator("h3", has_text="补助计算 › 分段补助")).last
    assert bands.locator(".source").inner_text() == "依据：细则第十条第1至4项；通知二（三）"
    assert bands.locator("tbody tr").first.inner_text().startswith("各段\t至（元） 10000，比例/标准 0.4")
    page.screenshot(path=shots / "7-设置.png", full_page=True)
    section = _tab(page, "calc")
    section.locator("[name=self_pay]").fill("20000")
    section.locator("[name=days]").fill("12")
    section.locator("[name=years]").fill("2")
    section.locator("button[type=submit]").click()
    assert section.locator(".amount").inner_text() == "11,240.00 元（壹万壹仟贰佰肆拾元整）"
    assert section.locator("table tbody tr").all_inner_texts()[0].split("\t") == ["0—10000元", "10000.00", "40%", "4000.00"]
    page.screenshot(path=shots / "8-单次计算.png", full_page=True)


def test_progress_and_cancel(page, shots, tmp_path):
    from mutualaid_xl.workbooks import synthetic

    roster = synthetic.write_roster(tmp_path / "多单位名册.xlsx", synthetic.roster(800, seed=5, units=400))
    section = _tab(page, "fill")
    section.locator("input[name=files]").set_input_files(str(roster))
    section.locator("button[type=submit]").click()
    bar = section.locator(".progress progress")
    for _ in range(200):
        if float(bar.get_attribute("value") or 0) >= 3:
            break
        time.sleep(0.05)
    assert bar.get_attribute("max") == "402" and "参互申请表" in section.locator(".progress span").inner_text()
    page.screenshot(path=shots / "2-填写汇总表-进度.png", full_page=True)
    section.locator(".progress button", has_text="取消").click()
    assert section.locator(".error").inner_text() == "已取消"
    assert section.locator("button[type=submit]").is_enabled()


@pytest.mark.libreoffice
def test_seal_and_sign_from_the_typed_notice_then_verify_the_pdf(page, shots, tmp_path):
    from mutualaid_xl.documents.seal import specimen_seal
    from mutualaid_xl.documents.signing import specimen_certificate

    notice = _tab(page, "notice")
    for name, value in {"issuer": "某某市总工会", "doc_number": "某工发〔2021〕7号", "title": "关于盖章的通知",
                        "addressees": "各基层工会", "body": "正文。", "date": "2021-06-01"}.items():
        notice.locator(f"[name={name}]").fill(value)
    section = _tab(page, "seal")
    section.locator("input[name=seal]").set_input_files(str(specimen_seal("某某市总工会", tmp_path / "印章.png")))
    section.locator("input[name=cert]").set_input_files(
        str(specimen_certificate("某某市总工会", tmp_path / "样章证书.p12", "浏览器测试密码")))
    section.locator("input[name=password]").fill("浏览器测试密码")
    page.screenshot(path=shots / "6-盖章并导出PDF-证书.png", full_page=True)
    section.locator("button[type=submit]").click()
    section.locator(".files").wait_for(timeout=60_000)
    assert section.locator(".files a").all_inner_texts() == ["盖章记录.csv", "通知.docx", "通知.pdf", "全部下载（zip）"]
    assert "PDF 已加数字签名" in section.locator(".lines").first.inner_text()
    assert section.locator("input[name=password]").input_value() == ""      # not kept on the page
    page.screenshot(path=shots / "6-盖章并导出PDF.png", full_page=True)
    with page.expect_download() as info:
        section.locator("a", has_text="通知.pdf").click()
    info.value.save_as(tmp_path / "通知.pdf")
    section = _tab(page, "verify")
    section.locator("input[name=files]").set_input_files(str(tmp_path / "通知.pdf"))
    section.locator("button[type=submit]").click()
    row = section.locator("table tbody tr").first
    row.wait_for(timeout=30_000)
    cells = row.locator("td").all_inner_texts()
    assert cells[:2] == ["通知.pdf", "通过"] and "签名有效：某某市总工会（样章）" in cells[2]
    page.screenshot(path=shots / "9-核验.png", full_page=True)
