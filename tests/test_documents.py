"""Rendering: notice layout read back with python-docx, forms, data files, errors, templates."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from docx.shared import Mm

from mutualaid_xl.documents import build as doc_templates_build

from mutualaid_xl.documents import render as documents
from mutualaid_xl.errors import FileFormatError, InputError
from mutualaid_xl.rules.idcard import check_char
from mutualaid_xl.documents.seal import specimen_seal

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
UNIT = '某某机械厂 R&D <研发> "一车间"'


def fake_id(birth: str, seq: int) -> str:
    """Synthetic ID: fake area code 990101, valid check digit."""
    first17 = f"990101{birth}{seq:03d}"
    return first17 + check_char(first17)


def notice_data(**changes) -> dict:
    data = {
        "issuer": "某某市总工会",
        "doc_number": "某工发〔2021〕5号",
        "title": "某某市总工会关于开展2021年度职工医疗互助保障活动的通知",
        "addressees": f"各区县总工会，{UNIT}：",
        "body": [
            "现就有关事项通知如下。",
            "一、活动内容",
            "（一）参互对象。本市参加城镇职工基本医疗保险的在职职工和参互退休职工。",
            "1.自付部分在0—10000元（含）的，按40%比例补助；",
            "二、工作要求",
            "各级工会要高度重视 A&B <重点> 工作。",
        ],
        "attachments": ["活动实施细则", "工作任务分配表"],
        "date": dt.date(2021, 4, 6),
        "cc": "某某省总工会",
        "printed_by": "某某市总工会办公室",
        "printed_date": "2021-04-07",
    }
    data.update(changes)
    return data


@pytest.fixture(scope="module")
def seal_png(tmp_path_factory) -> Path:
    return specimen_seal("某某市总工会", tmp_path_factory.mktemp("seal") / "样章.png")


@pytest.fixture()
def notice(tmp_path, seal_png):
    out = tmp_path / "通知.docx"
    documents.render("notice", notice_data(), out, seal_png=seal_png)
    return Document(out)


def paragraphs_with_style(doc, style):
    return [p for p in doc.paragraphs if p.style.name == style]


def test_notice_text_survives_ampersand_and_angle_brackets(notice):
    text = "\n".join(p.text for p in notice.paragraphs)
    assert f"各区县总工会，{UNIT}：" in text  # one colon, not two
    assert "各级工会要高度重视 A&B <重点> 工作。" in text
    assert "某工发〔2021〕5号" in text
    assert "\t2021年4月6日" in text
    assert "附件：1.活动实施细则" in text and "2.工作任务分配表" in text
    order = [text.index(s) for s in ("某某市总工会文件", "某工发", "关于开展", "现就有关", "一、活动内容",
                                      "（一）参互对象", "附件：1.", "\t某某市总工会", "\t2021年4月6日")]
    assert order == sorted(order)


def test_notice_page_is_a4_with_gbt9704_margins(notice):
    section = notice.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(0.5) and abs(section.page_height - Mm(297)) < Mm(0.5)
    assert abs(section.top_margin - Mm(37)) <= Mm(1)
    assert abs(section.left_margin - Mm(28)) <= Mm(1)
    assert abs(section.page_width - section.left_margin - section.right_margin - Mm(156)) <= Mm(1)
    assert abs(section.page_height - section.top_margin - section.bottom_margin - Mm(225)) <= Mm(1)


def test_issuer_marking_is_red_and_separator_line_is_red(notice):
    (marking,) = paragraphs_with_style(notice, "发文机关标志")
    assert marking.text == "某某市总工会文件"
    runs = [r for r in marking.runs if r.text]
    assert {r._r.find(f"{W}rPr/{W}color").get(f"{W}val") for r in runs} == {"FF0000"}
    fonts = runs[0]._r.find(f"{W}rPr/{W}rFonts")
    assert fonts.get(f"{W}eastAsia") == "方正小标宋简体"
    (number,) = paragraphs_with_style(notice, "发文字号")
    border = number.style.element.find(f"{W}pPr/{W}pBdr/{W}bottom")
    assert border is not None and border.get(f"{W}color") == "FF0000" and border.get(f"{W}val") == "single"
    assert 8 <= int(border.get(f"{W}sz")) <= 12  # 1-1.5 pt
    assert 10 <= int(border.get(f"{W}space")) <= 12  # about 4 mm below the number


def test_headings_keep_their_fonts(notice):
    level1 = next(p for p in notice.paragraphs if p.text == "一、活动内容")
    assert level1.runs[0]._r.find(f"{W}rPr/{W}rFonts").get(f"{W}eastAsia") == "黑体"
    level2 = next(p for p in notice.paragraphs if p.text.startswith("（一）"))
    assert level2.runs[0].text == "（一）参互对象。"
    assert level2.runs[0]._r.find(f"{W}rPr/{W}rFonts").get(f"{W}eastAsia") == "楷体_GB2312"


def test_seal_is_a_floating_picture_in_the_signature_paragraph(notice):
    (signature,) = paragraphs_with_style(notice, "发文机关署名")
    anchors = signature._p.findall(f".//{WP}anchor")
    assert len(anchors) == 1
    anchor = anchors[0]
    assert anchor.find(f"{WP}wrapNone") is not None and anchor.get("behindDoc") == "0"
    assert abs(int(anchor.find(f"{WP}extent").get("cx")) - Mm(42)) < Mm(0.1)
    assert not notice.inline_shapes  # nothing inline that would push text
    # centred on the signer/date centre tab stop
    tab = signature.style.paragraph_format.tab_stops[0].position
    x = int(anchor.find(f"{WP}positionH/{WP}posOffset").text)
    assert abs(x + Mm(21) - tab) < Mm(0.5)
    assert anchor.find(f"{WP}positionV").get("relativeFrom") == "paragraph"


def test_page_numbers_in_odd_and_even_footers(notice):
    section = notice.sections[0]
    assert notice.settings.odd_and_even_pages_header_footer
    for footer in (section.footer, section.even_page_footer):
        xml = footer._element.xml
        assert "PAGE" in xml and "— " in xml and " —" in xml


def test_long_issuer_marking_shrinks_to_one_line():
    short = documents.issuer_marking("某某工会文件")
    long = documents.issuer_marking("某某省某某市某某区某某街道总工会文件")
    size = lambda rich: int(str(rich).split('<w:sz w:val="')[1].split('"')[0]) / 2
    assert size(short) == 60
    assert 18 * size(long) <= 430


def test_missing_field_is_named(tmp_path):
    data = notice_data()
    del data["doc_number"]
    with pytest.raises(InputError, match=r"doc_number（发文字号）"):
        documents.render("notice", data, tmp_path / "x.docx")
    assert not (tmp_path / "x.docx").exists()


def test_missing_issuer_is_reported_as_issuer_not_its_derivatives(tmp_path):
    data = notice_data()
    del data["issuer"], data["printed_by"]
    with pytest.raises(InputError) as info:
        documents.render("notice", data, tmp_path / "x.docx")
    assert "issuer（发文机关）" in str(info.value) and "signer" not in str(info.value)


def test_chinese_labels_work_as_field_names(tmp_path):
    data = {documents.FIELDS["notice"][k]: v for k, v in notice_data().items()}
    out = documents.render("notice", data, tmp_path / "x.docx")[0]
    assert "某工发〔2021〕5号" in [p.text for p in Document(out).paragraphs]


def test_approval_form_amount_in_figures_and_words(tmp_path):
    data = {
        "member": "王小明", "id_number": fake_id("19800101", 12), "unit": UNIT, "stay": "2021年6月1日至6月12日",
        "days": 12, "self_pay": "23,456.78", "allowance": "240", "amount": Decimal("13659.75"),
        "bands": [{"自付费用分段": "0—10000元", "段内金额": 10000, "补助比例": "40%", "subsidy": "4000"},
                  {"band": "10000—100000元", "base": "13456.78", "ratio": "70%", "subsidy": "9419.75"}],
        "lines": "分段补助 4,000.00 + 9,419.75\n住院补贴 240.00",
        "issuer": "某某职工互助保障办事处", "date": "2021年7月1日",
    }
    doc = Document(documents.render("approval_form", data, tmp_path / "审批.docx")[0])
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "13,659.75" in cells and "23,456.78" in cells and UNIT in cells
    assert "人民币壹万叁仟陆佰伍拾玖元柒角伍分" in cells
    assert "￥13,659.75" in cells
    assert ["0—10000元", "10,000.00", "40%", "4,000.00"] == cells[cells.index("0—10000元"):][:4]
    assert "9,419.75" in cells
    texts = [p.text for p in doc.paragraphs]
    assert "住院补贴 240.00" in texts and "\t2021年7月1日" in texts


def test_public_list_masks_names_and_ids_and_drops_diagnosis(tmp_path):
    rows = [
        {"姓名": "王小明", "身份证号": fake_id("19800101", 12), "工作单位": UNIT, "补助金额": "13659.75", "诊断": "肺炎"},
        {"name": "欧阳小红", "id_number": fake_id("19850202", 7), "unit": "乙厂", "amount": 200, "diagnosis": "骨折"},
    ]
    data = {"title": "补助金发放公示", "rows": rows, "period": "2021年7月1日至7月7日", "issuer": "某某办事处", "date": "2021-07-01"}
    out = documents.render("public_list", data, tmp_path / "公示.docx")[0]
    doc = Document(out)
    everything = "\n".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])
    assert "王*" in everything and "欧***" in everything
    assert fake_id("19800101", 12)[:4] + "*" * 10 + fake_id("19800101", 12)[-4:] in everything
    for secret in ("王小明", "欧阳小红", fake_id("19800101", 12), "肺炎", "骨折"):
        assert secret not in everything
    assert "13,859.75" in everything and "2 人次" in everything


def test_summary_table_totals_are_exact(tmp_path):
    rows = [{"name": f"代办点{i}", "units": 1, "renew": i, "new": 1, "active": i, "retired": 0, "fee_total": "0.10"}
            for i in range(1, 31)]
    data = {"office": "某办事处", "date": "2021-10-01", "rows": rows}
    doc = Document(documents.render("summary_table", data, tmp_path / "汇总.docx")[0])
    table = doc.tables[0]
    assert len(table.rows) == 1 + 30 + 1
    totals = [c.text for c in table.rows[-1].cells]
    assert totals[1:] == ["合计", "30", "465", "30", "465", "0", "3.00"]  # 30 × 0.10 exactly


def test_data_from_xlsx_key_value_and_table_sheets(tmp_path):
    path = tmp_path / "公示数据.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "字段"
    for row in (("字段", "值"), ("标题", "公示 & 名单"), ("公示期", "7天"), ("公示单位", "某办事处"), ("日期", dt.date(2021, 7, 1))):
        ws.append(row)
    table = wb.create_sheet("名单")
    table.append(["姓名", "身份证号", "工作单位", "补助金额"])
    table.append(["张三", fake_id("19700101", 1), "甲厂", 1234.5])
    wb.save(path)
    data = documents.load_data(path)
    assert data["标题"] == "公示 & 名单" and data["日期"] == dt.date(2021, 7, 1)
    doc = Document(documents.render("public_list", data, tmp_path / "公示.docx")[0])
    cells = [c.text for r in doc.tables[0].rows for c in r.cells]
    assert "张*" in cells and "1,234.50" in cells
    assert doc.paragraphs[0].text == "公示 & 名单"


def test_toml_and_json_data(tmp_path):
    toml_file = tmp_path / "n.toml"
    toml_file.write_text(
        'issuer = "某某工会"\ndoc_number = "某工发〔2022〕1号"\ntitle = "关于<互助>&保障的通知"\n'
        'addressees = "各单位"\nbody = "第一段。\\n第二段。"\ndate = 2022-01-05\n', encoding="utf-8")
    doc = Document(documents.render("notice", toml_file, tmp_path / "a.docx")[0])
    texts = [p.text for p in doc.paragraphs]
    assert "关于<互助>&保障的通知" in texts and "第一段。" in texts and "第二段。" in texts
    json_file = tmp_path / "n.json"
    json_file.write_text(json.dumps({**notice_data(), "date": "2022-01-05", "printed_date": "2022-01-06"}, ensure_ascii=False), encoding="utf-8")
    doc = Document(documents.render("notice", json_file, tmp_path / "b.docx")[0])
    assert "\t2022年1月5日" in [p.text for p in doc.paragraphs]


def test_bad_data_files_are_clear_errors(tmp_path):
    bad = tmp_path / "坏.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(FileFormatError, match="坏.json"):
        documents.load_data(bad)
    with pytest.raises(InputError, match="不存在"):
        documents.load_data(tmp_path / "无.toml")
    with pytest.raises(InputError, match="日期"):
        documents.render("notice", notice_data(date="2021-02-30"), tmp_path / "x.docx")
    with pytest.raises(InputError, match="找不到模板"):
        documents.Renderer("no_such_template")


def test_existing_output_is_kept_as_backup(tmp_path):
    out = tmp_path / "通知.docx"
    out.write_bytes(b"old")
    documents.render("notice", notice_data(), out)
    backups = list(tmp_path.glob("通知.bak-*.docx"))
    assert len(backups) == 1 and backups[0].read_bytes() == b"old"


def test_sandbox_blocks_code_in_an_edited_template(tmp_path):
    doc = Document()
    doc.add_paragraph("{{ title.__class__.__mro__[1].__subclasses__() }}")
    evil = tmp_path / "evil.docx"
    doc.save(evil)
    with pytest.raises(FileFormatError, match="模板无法渲染"):
        documents.render(evil, {"title": "x"}, tmp_path / "out.docx")


def test_each_renders_one_document_per_row_named_from_a_column(tmp_path):
    rows = tmp_path / "审批清单.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "审批"
    ws.append(["编号", "姓名", "身份证号", "工作单位", "住院时间", "住院天数", "统筹内自付", "住院补贴", "补助合计", "互助机构", "日期"])
    for i in range(1, 4):
        ws.append([f"2021-{i:04d}", f"职工{i}", fake_id("19800101", i), "甲/乙厂", "6月", 10, 1000 * i, 100, 400 * i + 100, "某办事处", "2021-07-01"])
    ws.append(["2021-0001", "职工重名", fake_id("19800101", 9), "丙厂", "6月", 3, 300, 30, 150, "某办事处", "2021-07-01"])
    wb.save(rows)
    seen = []
    produced = documents.render_each("approval_form", rows, tmp_path / "out", name_column="编号",
                                     progress=lambda done, total: seen.append((done, total)))
    assert [p.name for p in produced] == ["2021-0001.docx", "2021-0002.docx", "2021-0003.docx", "2021-0001-2.docx"]
    assert seen[-1] == (4, 4)
    cells = [c.text for t in Document(produced[2]).tables for r in t.rows for c in r.cells]
    assert "1,300.00" in cells and "人民币壹仟叁佰元整" in cells and "甲/乙厂" in cells


def test_each_error_names_sheet_row_and_column(tmp_path):
    rows = tmp_path / "清单.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "审批"
    ws.append(["文件名", "姓名", "身份证号", "工作单位", "住院时间", "住院天数", "统筹内自付", "住院补贴", "补助合计", "互助机构", "日期"])
    ws.append(["a", "甲", fake_id("19800101", 1), "厂", "6月", 1, 10, 1, 5, "办", "2021-07-01"])
    ws.append([])  # an empty row: the error must still name the Excel row
    ws.append(["b", "乙", fake_id("19800101", 2), "厂", "6月", 1, "十元", 1, 5, "办", "2021-07-01"])
    wb.save(rows)
    with pytest.raises(InputError) as info:
        documents.render_each("approval_form", rows, tmp_path / "out")
    message = str(info.value)
    assert "清单.xlsx" in message and "工作表「审批」" in message and "第 4 行" in message and "列「统筹内自付」" in message
    with pytest.raises(InputError, match="列「不存在」"):
        documents.render_each("approval_form", rows, tmp_path / "out", name_column="不存在")


def test_every_template_renders_from_its_documented_fields(tmp_path):
    """Each built-in template uses only fields listed in FIELDS (what README documents)."""
    for name in documents.TEMPLATE_NAMES:
        used = documents.Renderer(name).variables
        assert used <= set(documents.FIELDS[name]), (name, used - set(documents.FIELDS[name]))


def test_templates_are_reproducible_and_both_copies_match():
    built = doc_templates_build.template_bytes()
    assert set(built) == {f"{n}.docx" for n in documents.TEMPLATE_NAMES}
    for name, data in built.items():
        assert (documents.PACKAGE_TEMPLATES / name).read_bytes() == data, f"{name}: run mutualaid doctemplates build"
        source = doc_templates_build.SOURCE_DIR / name
        if source.parent.parent.joinpath("pyproject.toml").exists():
            assert source.read_bytes() == data, name
    assert doc_templates_build.template_bytes() == built


def test_template_path_env_override(tmp_path, monkeypatch):
    custom = tmp_path / "mine"
    custom.mkdir()
    doc = Document()
    doc.add_paragraph("自定义：{{ title }}")
    doc.save(custom / "notice.docx")
    monkeypatch.setenv("MUTUALAID_TEMPLATE_PATH", str(custom))
    out = documents.render("notice", {"title": "T&C"}, tmp_path / "o.docx")[0]
    assert Document(out).paragraphs[0].text == "自定义：T&C"


# Child order of a few OOXML elements (ECMA-376 sequences); Word rejects files that break it.
_ORDER = {
    "pPr": "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd tabs "
           "suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi "
           "adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc textDirection "
           "textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange",
    "rPr": "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof snapToGrid "
           "vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd fitText vertAlign rtl "
           "cs em lang eastAsianLayout specVanish oMath",
    "tblPr": "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc tblCellSpacing "
             "tblInd tblBorders shd tblLayout tblCellMar tblLook",
}


def _order_problems(root) -> list[str]:
    problems = []
    for parent, sequence in _ORDER.items():
        rank = {name: i for i, name in enumerate(sequence.split())}
        for element in root.iter(f"{W}{parent}"):
            names = [child.tag.split("}")[1] for child in element if child.tag.startswith(W)]
            ranks = [rank.get(n, -1) for n in names]
            if -1 in ranks or ranks != sorted(ranks):
                problems.append(f"{parent}: {names}")
    return problems


def test_generated_xml_keeps_schema_order(notice, tmp_path):
    parts = [notice.element, notice.styles.element, notice.sections[0].footer._element]
    for name in documents.TEMPLATE_NAMES:
        doc = Document(documents.template_path(name))
        parts += [doc.element, doc.styles.element]
    problems = [p for part in parts for p in _order_problems(part)]
    assert not problems, problems[:5]


def test_notice_from_a_small_key_value_sheet(tmp_path):
    """The clerk's way: one sheet 字段/值, several 正文 and 附件 rows, a date cell."""
    path = tmp_path / "通知.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "通知"
    for row in (("字段", "值"), ("发文机关", "某某工会"), ("发文字号", "某工发〔2021〕7号"), ("标题", "关于<互助>的通知"),
                ("主送机关", UNIT), ("正文", "一、总体要求"), ("正文", "第一段。\n第二段。"), ("附件", "细则"),
                ("成文日期", dt.datetime(2021, 4, 6)), ("抄送", "某省总工会")):
        ws.append(row)
    wb.save(path)
    doc = Document(documents.render("notice", path, tmp_path / "通知.docx")[0])
    texts = [p.text for p in doc.paragraphs]
    assert texts[texts.index("一、总体要求") + 1:texts.index("一、总体要求") + 3] == ["第一段。", "第二段。"]
    assert "附件：细则" in texts and "\t2021年4月6日" in texts and f"{UNIT}：" in texts
    imprint = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert imprint == ["抄送：某省总工会。", "某某工会\t2021年4月6日印发"]


def test_imprint_without_cc_has_only_the_printed_row(tmp_path):
    doc = Document(documents.render("notice", notice_data(cc=""), tmp_path / "通知.docx")[0])
    (table,) = doc.tables
    assert [c.text for r in table.rows for c in r.cells] == ["某某市总工会办公室\t2021年4月7日印发"]
    position = table._tbl.tblPr.find(f"{W}tblpPr")
    assert position.get(f"{W}tblpYSpec") == "bottom"  # Word floats it to the foot of the last page
