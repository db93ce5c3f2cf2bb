"""Generate the bad-input corpus in tests/data/bad/ (all synthetic: fake area codes 99xxxx).

Run from the repository root:  python tests/data/make_bad.py
The files are committed; tests/test_bad_inputs.py says what each must produce. Files crafted
to attack the parsers are in bad/hostile/, made by make_hostile.py. Needs
msoffcrypto-tool only for password.xlsx (skipped with a message when it is missing).
Policy assumed: nm-2021 (在职 16—60 周岁 100 元, 退休 ≤70 周岁 400 元, 参互比例 ≥75%),
enrolment date 2021-05-01.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path

from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from mutualaid_xl.workbooks.sheets import set_text  # noqa: E402
from mutualaid_xl.workbooks.synthetic import fake_id  # noqa: E402

OUT = Path(__file__).parent / "bad"
HEADERS = ["序号", "姓名", "身份证号", "性别", "类别", "续互/新参互", "交费金额"]
# Numbers replaced by Excel error cells after saving (openpyxl cannot write error values).
ERRORS = {987654321: "#N/A", 987654322: "#DIV/0!", 987654323: "#VALUE!"}
LONG_PLACEHOLDER = "LONGNAME"
LONG_NAME = "二〇二一年度第三期职工住院医疗互助保障活动参互会员名册（第一分工会汇总）"   # 38 characters


def born(age: int, month: int = 3, day: int = 15) -> dt.date:
    return dt.date(2021 - age, month, day)


def member(n: int, name: str, age: int = 35, category: str = "在职", membership: str = "续互", fee=None,
           sex: str | None = None):
    number = fake_id(n, born(age))
    fee = (100 if category == "在职" else 400) if fee is None else fee
    return [n, name, number, sex or ("男" if int(number[16]) % 2 else "女"), category, membership, fee]


def roster_book(rows, *, headers=HEADERS, unit="示例机械厂工会", title="职工医疗互助会员名册", staff=None,
                sheet="会员名册") -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([title])
    ws.append(["单位名称（盖章）：", None, unit] + ([None, None, "单位总人数：", staff] if staff else []))
    ws.append([])
    ws.append(headers)
    for row in rows:
        ws.append(row)
    for line in ws.iter_rows():
        for cell in line:
            set_text(cell, cell.value)   # text such as "=cmd|..." stays text, as an import from CSV leaves it
    return wb


def save(wb: Workbook, name: str) -> Path:
    path = OUT / name
    wb.save(path)
    return path


def patch(path: Path, edit) -> None:
    """Rewrite the XML parts of a saved .xlsx with ``edit(part_name, data) -> data``."""
    source = path.read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, edit(info.filename, zin.read(info.filename)))
    path.write_bytes(out.getvalue())


def error_cells(name: str, data: bytes) -> bytes:
    if name.startswith("xl/worksheets/"):
        for number, text in ERRORS.items():
            data = re.sub(rb'(<c r="[A-Z]+\d+")( s="\d+")? t="n"><v>' + str(number).encode() + rb"</v>",
                          rb'\1\2 t="e"><v>' + text.encode() + rb"</v>", data)
    return data


def kitchen_sink() -> None:
    """At least 15 kinds of problems in one roster; the test lists each (row, column, reason)."""
    headers = HEADERS + ["出生日期", "参互日期", None]
    good = member(1, "赵伟")
    rows = [
        good + [None, None, None],                                          # 5 fine
        [2, None] + member(2, "")[2:] + [None, None, None],                 # 6 姓名为空
        [3, "钱芳", None, "女", "在职", "续互", 100, None, None, None],     # 7 身份证号为空
        member(4, "孙娜")[:2] + [fake_id(4, born(35))[:17] + "0"] + member(4, "")[3:] + [None, None, None],  # 8 check digit
        member(5, "李敏")[:2] + [fake_id(5, born(35))[:17]] + member(5, "")[3:] + [None, None, None],   # 9 17 digits
        member(6, "周静")[:2] + [float(fake_id(6, born(35))[:17] + "1")] + member(6, "")[3:] + [None, None, None],  # 10 numeric
        member(7, "吴丽")[:2] + ["99000719900230" + "0071"] + member(7, "")[3:] + [None, None, None],  # 11 no Feb 30
        member(8, "郑强")[:2] + [fake_id(8, dt.date(2030, 1, 1))] + member(8, "")[3:] + [None, None, None],  # 12 future
        [9, "王磊"] + good[2:] + [None, None, None],                        # 13 duplicate of row 5
        member(10, "冯军", age=62) + [None, None, None],                    # 14 在职 too old
        member(11, "陈洋", age=15) + [None, None, None],                    # 15 在职 too young
        member(12, "褚勇", age=72, category="退休") + [None, None, None],   # 16 退休 too old
        member(13, "卫艳", fee=80) + [None, None, None],                    # 17 fee mismatch
        member(14, "蒋杰", fee=-100) + [None, None, None],                  # 18 negative fee
        member(15, "沈娟", fee="一百元") + [None, None, None],              # 19 fee not a number
        member(16, "韩涛", fee=987654321) + [None, None, None],             # 20 fee #N/A
        member(17, "杨明", category=None) + [None, None, None],             # 21 category blank
        member(18, "朱超", category="临时工") + [None, None, None],         # 22 category unknown
        member(19, "秦秀", membership="老会员") + [None, None, None],       # 23 membership unknown
        member(20, "尤霞", sex="不详") + [None, None, None],                # 24 sex not matching
        member(21, "许平") + [dt.date(1970, 1, 1), None, None],             # 25 birth date not matching
        member(22, "何刚") + [None, "2021-02-30", None],                   # 26 date that does not exist
        [23, "=cmd|' /C calc'!A0"] + member(23, "")[2:] + [None, None, None],  # 27 formula injection (提醒)
        member(24, "施兰", fee="100元") + [None, None, None],               # 28 fee as text (提醒)
        member(25, "张梅", membership="未参", fee="未参") + [None, None, None],  # 29 not joining: fine
        member(26, "孔英") + [None, None, "备用电话 13800000000"],         # 30 data without a header (提醒)
        member(27, "曹华", fee=987654322) + [None, None, None],             # 31 fee #DIV/0!
        member(28, "严玉", category=987654323) + [None, None, None],        # 32 category #VALUE!
        member(29, "华建") + [None, "2020-01-01", None],                   # 33 date outside the enrolment period
    ]
    wb = roster_book(rows, headers=headers, staff=60, unit="示例综合问题单位")
    hidden = wb.create_sheet("旧名册")
    hidden.append(["姓名", "身份证号"])
    hidden.append(["旧名单", fake_id(99, born(40))])
    hidden.sheet_state = "hidden"
    patch(save(wb, "bad_roster.xlsx"), error_cells)


def structural() -> None:
    # Wrong headers: no recognisable header at all; and a header row without an ID column.
    save(roster_book([["赵伟", fake_id(1, born(30)), "在职"]], headers=["名字1", "号码", "类型"]), "wrong_headers.xlsx")
    save(roster_book([["赵伟", "在职", 100]], headers=["姓名", "类别", "交费金额"]), "no_id_column.xlsx")

    # Merged header cells (two-level header) and a 类别 merged down over data rows.
    wb = Workbook()
    ws = wb.active
    ws.title = "会员名册"
    ws.append(["职工医疗互助会员名册"])
    ws.append(["序号", "姓名", "身份证号", "参互信息", None, "交费金额"])
    ws.append([None, None, None, "类别", "续互/新参互", None])
    for n in range(1, 6):
        ws.append([n, f"员工{n}", fake_id(100 + n, born(30 + n)), "在职" if n == 1 else None, "续互", 100])
    for ref in ("A2:A3", "B2:B3", "C2:C3", "D2:E2", "F2:F3", "D4:D8"):
        ws.merge_cells(ref)
    save(wb, "merged_cells.xlsx")

    # Extra blank rows above the header, between members and at the end; a half-filled row.
    wb = Workbook()
    ws = wb.active
    ws.title = "会员名册"
    for _ in range(3):
        ws.append([])
    ws.append(HEADERS)
    ws.append(member(201, "赵伟"))
    ws.append([])
    ws.append([2])                          # only a pre-filled 序号: a blank row
    ws.append(member(203, "钱芳"))
    ws.append([4, "孙娜", None, None, "在职", "续互", 100])   # half-filled: no ID
    for _ in range(5):
        ws.append([])
    save(wb, "blank_rows.xlsx")

    # The roster is on a hidden sheet; the visible one only has instructions.
    wb = Workbook()
    ws = wb.active
    ws.title = "填表说明"
    ws.append(["请按名册表填写，身份证号按文本录入。"])
    data = wb.create_sheet("会员名册")
    data.append(HEADERS)
    data.append(member(301, "赵伟"))
    data.sheet_state = "hidden"
    save(wb, "hidden_sheet.xlsx")

    # One stray value far away: calamine would allocate 1,048,576 x 16,384 cells and abort.
    wb = roster_book([member(451, "赵伟")])
    wb.active["XFD1048576"] = "x"
    save(wb, "huge_range.xlsx")

    # A valid workbook without any data.
    save(Workbook(), "blank_workbook.xlsx")

    # A sheet name longer than Excel's 31 characters (openpyxl refuses to write one).
    wb = roster_book([member(401, "赵伟"), member(402, "钱芳", fee=90)], sheet=LONG_PLACEHOLDER)
    patch(save(wb, "long_sheet_name.xlsx"),
          lambda name, data: data.replace(LONG_PLACEHOLDER.encode(), LONG_NAME.encode())
          if name in ("xl/workbook.xml", "docProps/app.xml") else data)


def values() -> None:
    # Text numbers with commas and 元, full-width digits.
    rows = [member(501, "赵伟", fee="100元"), member(502, "钱芳", fee="１００"), member(503, "孙娜", fee="1,000元"),
            member(504, "李敏", category="退休", age=65, fee="400.00"), member(505, "周静", fee="￥100")]
    save(roster_book(rows), "text_numbers.xlsx")

    # Full-width digits and spaces inside ID numbers.
    full = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
    good = fake_id(601, born(30))
    bad = fake_id(602, born(30))
    bad = bad[:17] + ("0" if bad[17] != "0" else "1")
    rows = [member(601, "赵伟"), member(602, "钱芳"), member(603, "孙娜")]
    rows[0][2] = good.translate(full)
    rows[1][2] = bad.translate(full)
    rows[2][2] = fake_id(603, born(30))[:6] + "　" + fake_id(603, born(30))[6:]
    save(roster_book(rows), "fullwidth.xlsx")

    # Excel error values in the ID, category and fee columns.
    rows = [member(701, "赵伟"), member(702, "钱芳", fee=987654321), member(703, "孙娜", category=987654323)]
    rows[0][2] = 987654322
    patch(save(roster_book(rows), "excel_errors.xlsx"), error_cells)

    # Dates as text in five formats (all fine), then two that are not dates.
    headers = HEADERS + ["出生日期", "参互日期"]
    formats = ["2021-05-01", "2021/5/1", "2021.5.1", "2021年5月1日", "20210501"]
    births = ["{:%Y-%m-%d}", "{d.year}/{d.month}/{d.day}", "{d.year}.{d.month}.{d.day}", "{d.year}年{d.month}月{d.day}日",
              "{:%Y%m%d}"]
    rows = []
    for n, (on, pattern) in enumerate(zip(formats, births), 801):
        row = member(n, f"员工{n}", age=30 + n % 7)
        birthday = born(30 + n % 7)
        rows.append(row + [pattern.format(birthday, d=birthday), on])
    rows.append(member(806, "错日期") + [None, "2021-13-01"])
    rows.append(member(807, "错文字") + ["去年", "五月一日"])
    save(roster_book(rows, headers=headers), "text_dates.xlsx")

    # ID numbers stored as numbers: 18 digits lost their tail; an old 15-digit one is fine.
    rows = [member(901, "赵伟"), member(902, "钱芳"), member(903, "孙娜")]
    rows[0][2] = float(rows[0][2][:17] + "0")
    rows[1][2] = int(rows[1][2][:17]) * 10
    rows[2][2] = 990001851215001    # 15-digit ID of 1985-12-15
    save(roster_book(rows), "numeric_ids.xlsx")

    # Duplicated members: twice in one roster, and again in another unit's roster.
    same = member(1001, "赵伟")
    save(roster_book([same, member(1002, "钱芳"), [3, "赵伟"] + same[2:]], unit="甲单位工会"), "duplicates_a.xlsx")
    save(roster_book([[1, "赵伟"] + same[2:], member(1004, "孙娜")], unit="乙单位工会"), "duplicates_b.xlsx")

    # Birth dates in the future; negative amounts.
    rows = [member(1101, "赵伟"), member(1102, "钱芳")]
    rows[1][2] = fake_id(1102, dt.date(2031, 6, 1))
    save(roster_book(rows), "future_birth.xlsx")
    save(roster_book([member(1201, "赵伟", fee=-100), member(1202, "钱芳", fee="-100元")]), "negative_amounts.xlsx")

    # Formula injection in text cells.
    rows = [member(1301, "=cmd|' /C calc'!A0"), member(1302, "+1+1"), member(1303, "@SUM(1+1)*cmd|' /C calc'!A0"),
            member(1304, "-2+3")]
    rows[3][2] = "=1+1"
    save(roster_book(rows, unit="=HYPERLINK(\"http://example.invalid\",\"点我\")"), "formula_injection.xlsx")

    # Participation below the floor: 10 staff stated, 6 in service joining.
    save(roster_book([member(1400 + n, f"员工{n}") for n in range(6)], staff=10), "low_participation.xlsx")

    # A GBK-encoded CSV (as Chinese Excel saves it) with one bad fee.
    text = "姓名,身份证号,类别,续互/新参互,交费金额\n" + "\n".join(
        f"{name},{fake_id(n, born(30))},在职,续互,{fee}" for n, name, fee in ((1501, "赵伟", 100), (1502, "钱芳", 50)))
    (OUT / "gbk.csv").write_bytes(text.encode("gbk"))


def unreadable() -> None:
    (OUT / "empty.xlsx").write_bytes(b"")
    (OUT / "empty.csv").write_bytes(b"")
    (OUT / "not_spreadsheet.xlsx").write_bytes(b"%PDF-1.4\n% synthetic, not a real document\n%%EOF\n")
    (OUT / "picture.xls").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    (OUT / "web_export.xls").write_bytes("<html><body><table><tr><td>姓名</td></tr></table></body></html>".encode())
    import docx

    document = docx.Document()
    document.add_paragraph("这是一份通知，不是名册。")
    document.save(OUT / "word_document.xlsx")

    good = io.BytesIO()
    roster_book([member(1601, "赵伟")]).save(good)
    data = good.getvalue()
    (OUT / "corrupt_truncated.xlsx").write_bytes(data[: len(data) // 2])
    path = OUT / "corrupt_xml.xlsx"
    path.write_bytes(data)
    patch(path, lambda name, part: b"<worksheet><sheetData><row r=\"1\"><c" if name == "xl/worksheets/sheet1.xml"
          else part)
    try:
        from msoffcrypto.format.ooxml import OOXMLFile
    except ImportError:
        print("msoffcrypto-tool not installed: password.xlsx kept as it is")
        return
    encrypted = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt("1234", encrypted)
    (OUT / "password.xlsx").write_bytes(encrypted.getvalue())


def main() -> None:
    OUT.mkdir(exist_ok=True)
    kitchen_sink()
    structural()
    values()
    unreadable()
    print(f"wrote {len(list(OUT.iterdir()))} files to {OUT}")


if __name__ == "__main__":
    main()
