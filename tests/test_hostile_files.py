"""The hostile-file corpus (tests/data/bad/hostile, made by tests/data/make_hostile.py) through
every command that reads files, each run in its own process (tests/hostile_driver.py): a
Chinese message naming the file, exit code 2, no signal, no traceback, within 10 s and 1 GB."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mutualaid_xl.errors import FileFormatError
from mutualaid_xl.workbooks import guard

sys.path.insert(0, str(Path(__file__).parent / "data"))
import make_hostile  # noqa: E402

HERE = Path(__file__).parent
HOSTILE = HERE / "data" / "bad" / "hostile"
FILES = sorted(p.name for p in HOSTILE.iterdir())
COMMANDS = ("validate", "fill", "claims", "reconcile", "render（数据）", "render --each", "render（模板）",
            "doctemplates fields", "pdf")


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    work = tmp_path_factory.mktemp("hostile")
    run = subprocess.run([sys.executable, str(HERE / "hostile_driver.py"), str(HOSTILE), str(work)],
                         capture_output=True, text=True, timeout=600, cwd=HERE.parent)
    assert run.returncode == 0, run.stderr[-3000:]
    results = [json.loads(line) for line in run.stdout.splitlines()]
    return {(r["file"], r["command"]): r for r in results}


def test_the_corpus_is_complete_and_regenerates_byte_identical(tmp_path):
    made = make_hostile.main(tmp_path)
    assert [p.name for p in made] == FILES and len(FILES) == 17
    for path in made:
        assert path.read_bytes() == (HOSTILE / path.name).read_bytes(), path.name


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name", FILES)
def test_hostile_file_is_refused_cleanly(outcomes, name, command):
    result = outcomes[(name, command)]
    text = result["output"]
    assert result["signal"] is None, f"killed by signal {result['signal']}"
    assert result["exit"] == 2, text
    assert "Traceback" not in text and "panicked" not in text
    assert "错误" in text
    assert name in "".join(text.split()), text         # the message names the file
    assert result["seconds"] < 10
    assert result["memory_mb"] < 1024


def _limited(monkeypatch, **limits):
    for name, value in limits.items():
        monkeypatch.setenv(f"MUTUALAID_LIMIT_{name.upper()}", str(value))


@pytest.mark.parametrize("name, limits, reason", [
    ("big_cell.xlsx", {"ratio": 100_000}, "KB 的单元格文字"),
    ("deep_nesting.xlsx", {"ratio": 100_000}, "XML 嵌套超过 1,000 层"),
    ("deep_nesting.docx", {"ratio": 100_000}, "XML 嵌套超过 1,000 层"),
    ("zip_bomb.xlsx", {"ratio": 100_000, "unzipped_mb": 100}, "解压后的内容"),
    ("zip_bomb.xlsx", {"ratio": 100_000, "cell_kb": 10_000_000, "seconds": 1}, "检查文件用时超过 1 秒"),
    ("many_sheets.xlsx", {"entries": 20_000}, "工作簿有 10,000 个工作表"),
])
def test_each_limit_holds_on_its_own(monkeypatch, name, limits, reason):
    """With the limit that fires first raised, the next one still refuses the file."""
    _limited(monkeypatch, **limits)
    path = HOSTILE / name
    with pytest.raises(FileFormatError) as caught:
        if name.endswith(".docx"):
            guard.check_document(path)
        else:
            guard.check(path, "zip")
    assert reason in str(caught.value)
    assert name in str(caught.value)


def _sheet(tmp_path: Path, far: str) -> Path:
    rows = make_hostile.ROSTER_ROWS + f'<row r="1048576">{make_hostile.cell(far, "x")}</row>'
    return make_hostile.xlsx(tmp_path / f"{far}.xlsx", [make_hostile.sheet_xml(rows, dimension=None)])


def test_default_allows_a_full_height_sheet_of_normal_width(tmp_path, monkeypatch):
    monkeypatch.delenv("MUTUALAID_LIMIT_CELLS", raising=False)
    scans = guard.check(_sheet(tmp_path, "BE1048576"), "zip")       # 57 columns x 1,048,576 rows
    assert (scans["表1"].rows, scans["表1"].columns) == (1_048_576, 57)
    with pytest.raises(FileFormatError, match="1,048,576 行 × 58 列"):
        guard.check(_sheet(tmp_path, "BF1048576"), "zip")
    _limited(monkeypatch, cells=100_000_000)                         # configurable
    guard.check(_sheet(tmp_path, "BF1048576"), "zip")


def test_a_limit_that_is_not_a_number_is_a_chinese_error(monkeypatch, tmp_path):
    _limited(monkeypatch, cells="很多")
    with pytest.raises(FileFormatError, match="MUTUALAID_LIMIT_CELLS 应为正整数"):
        guard.check(_sheet(tmp_path, "B2"), "zip")


def test_the_extent_is_exact_for_ordinary_files(tmp_path):
    """Column widths, conditional formats, rich text and rows or cells written without a
    reference (as some generators do) neither hide a cell nor make an ordinary sheet look huge."""
    from openpyxl import Workbook
    from openpyxl.formatting.rule import CellIsRule

    wb = Workbook()
    ws = wb.active
    ws.column_dimensions["C"].width = 30
    for n in range(1, 3001):
        ws.append([n, f"员工{n}", 100])
    ws.conditional_formatting.add("C2:C3001", CellIsRule(operator="lessThan", formula=["0"]))
    wb.save(tmp_path / "ordinary.xlsx")
    scans = guard.check(tmp_path / "ordinary.xlsx", "zip")
    assert (scans["Sheet"].rows, scans["Sheet"].columns) == (3000, 3)

    rows = ('<row><c t="inlineStr"><is><r><rPr><color rgb="FFFF0000"/></rPr><t>姓名</t></r></is></c><c/></row>'
            + "<row><c/><c/><c/></row>" * 3)
    path = make_hostile.xlsx(tmp_path / "no_references.xlsx", [make_hostile.sheet_xml(rows, dimension=None)])
    scan = guard.check(path, "zip")["表1"]
    assert 4 <= scan.rows <= 8 and 3 <= scan.columns <= 6      # a bound, near the truth (4 x 3)


def test_csv_and_document_data_are_bounded_too(tmp_path):
    from mutualaid_xl.documents.render import load_data
    from mutualaid_xl.workbooks.sheets import read_sheets

    big = tmp_path / "big_cell.csv"
    big.write_text("姓名,身份证号\n" + "赵" * (10 << 20) + ",1\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match="超过 128 KB"):
        read_sheets(big)
    deep = tmp_path / "deep.json"
    deep.write_text('{"rows": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    with pytest.raises(FileFormatError, match="嵌套层数过深"):
        load_data(deep)
