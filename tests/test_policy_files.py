"""Policy files: schema validation with clear errors, user directories, category values."""

import datetime as dt
import textwrap
from pathlib import Path
from decimal import Decimal

import pytest

from mutualaid_xl.rules import engine
from mutualaid_xl.errors import NotConfiguredError, PolicyError
from mutualaid_xl.rules.policy import BUILTIN_DIR, get_policy, list_policies, load_policy_file
from mutualaid_xl.udfs import SUBSIDY

BUILT_IN = {"nm-2021", "yn-12", "yn-14", "yn-18", "zjk-14", "hangzhou", "wuhan-retiree", "pinghu",
            "ningde", "fuzhou", "shijiazhuang", "beijing"}

MINIMAL = """
schema_version = 1
id = "{id}"
name = "测试方案"
region = "测试"
period = "测试期"
kind = "production"
documents = ["测工发〔2026〕1号"]
"""


def test_all_built_in_ids_load():
    ids = {p.id for p in list_policies()}
    assert BUILT_IN <= ids
    for policy in list_policies():
        assert policy.documents
        kinds = {"hangzhou", "wuhan-retiree", "pinghu", "ningde", "fuzhou", "shijiazhuang", "beijing", "zjk-14"}
        assert policy.kind == ("reference" if policy.id in kinds else "production")


def test_every_block_of_every_built_in_file_names_its_source():
    for policy in list_policies():
        data = policy.model_dump(exclude_none=True)
        for name in ("fees", "shares", "eligibility", "participation", "dates", "subsidy", "targets", "exclusions"):
            if name in data:
                assert len(data[name]["source"]) >= 2, (policy.id, name)
        if policy.subsidy:
            for name in ("bands", "deductible", "gate", "allowance", "cap", "minimum"):
                if name in data["subsidy"]:
                    assert data["subsidy"][name]["source"], (policy.id, name)


def test_nm_2021_values_match_the_seed():
    p = get_policy("nm-2021")
    assert p.fees.amounts == {"在职": Decimal(100), "退休": Decimal(400)}
    assert [(b.upto, b.rate) for b in p.subsidy.bands.brackets] == [
        (Decimal(10000), Decimal("0.40")), (Decimal(100000), Decimal("0.70")), (Decimal(250000), Decimal("1.00"))]
    assert p.subsidy.cap.per_period == 250000 and p.subsidy.minimum.amount == 200
    assert p.subsidy.allowance.max_days == 30 and p.subsidy.allowance.first_stay_only
    assert p.participation.min_ratio == Decimal("0.75") and p.dates.claim_deadline_days == 90
    assert p.eligibility.age["在职"].min == 16 and p.eligibility.age["退休"].max == 70
    assert len(p.targets.units) == 20 and p.targets.units[0].target == 183888
    assert p.targets.units[-1].unit == "内蒙古森林工业集团有限责任公司工会" and p.targets.units[-1].target == 31755
    assert len(p.exclusions.items) == 12   # 第十八条 (一)—(十一) and 第二十条
    assert "视同普通住院" in p.exclusions.items[3] and "第二十条" in p.exclusions.items[-1]
    assert (p.dates.monthly_from, p.dates.monthly_workdays) == (dt.date(2021, 10, 1), 5)
    assert p.eligibility.retiree_years == [2019, 2020]


def test_readings_the_sources_do_not_support_are_gone():
    yn14 = get_policy("yn-14")
    assert yn14.participation is None   # 60% is a region's or system's condition, not a unit floor
    assert any("60%" in note and "本地区、本系统" in note for note in yn14.notes)
    assert "邮寄" in yn14.dates.source and "参互汇总表盖章邮寄截止" in yn14.dates.milestones
    assert any("云工发〔2021〕22号" in note for note in get_policy("yn-18").notes)
    assert "学校自定" in next(iter(get_policy("yn-12").dates.milestones))
    assert get_policy("zjk-14").kind == "reference"
    prorating = {p.id for p in list_policies() if p.subsidy and p.subsidy.prorate}
    assert prorating == {"nm-2021", "ningde"}   # the only sources that say so


SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "inner-mongolia-2021-notice-and-rules.txt"


@pytest.mark.skipif(not SEED.exists(), reason="../shared/seeds 不在旁边")
def test_nm_2021_targets_match_the_seed_table():
    """附件2 in the seed uses full-width digits; every unit's target must match it."""
    import unicodedata

    text = unicodedata.normalize("NFKC", SEED.read_text("utf-8"))
    table = text[text.index("工作任务分配表"):]
    for unit in get_policy("nm-2021").targets.units:
        if len(unit.unit) > 14:  # the seed wraps this name over two lines
            continue
        assert f"{unit.unit} {unit.target}" in table, unit


def test_yunnan_absent_values_are_absent_not_guessed():
    assert get_policy("yn-14").subsidy.bands is None
    assert get_policy("yn-18").fees is None
    with pytest.raises(NotConfiguredError, match="本期未配置交费标准"):
        engine.fee_for(get_policy("yn-18"), "续互")
    assert get_policy("yn-14").dates.rule_period_by == "discharge"


def _write(tmp_path, name, body):
    path = tmp_path / f"{name}.toml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


@pytest.mark.parametrize("extra, words", [
    ('[fees]\nsource = "x条"\namounts = { "在职" = "一百" }\n', ["fees.amounts.在职", "应为数字"]),
    ('[fees]\namounts = { "在职" = 100 }\n', ["fees.source", "缺少必填项"]),
    ('[fees]\nsource = "x条"\namounts = { "临时" = 100 }\n', ["fees.amounts", "未知的人员类别"]),
    ('[subsidy]\nsource = "x条"\nbase = "self_pay"\nrounding_unit = 0.01\n[subsidy.bands]\nsource = "y条"\n'
     'brackets = [{ upto = 100, rate = 0.5 }, { upto = 50, rate = 0.6 }]\n', ["subsidy.bands.brackets", "严格递增"]),
    ('[subsidy]\nsource = "x条"\nbase = "self_pay"\nrounding_unit = 0.01\n[subsidy.bands]\nsource = "y条"\n'
     'brackets = [{ upto = 100, rate = 1.5 }]\n', ["subsidy.bands.brackets.0.rate", "必须不大于 1"]),
    ('[subsidy]\nsource = "x条"\nbase = "cost"\n', ["subsidy.base", "取值不在允许范围内"]),
    ('colour = "red"\n', ["colour", "不认识的键"]),
])
def test_bad_file_names_file_key_and_problem(tmp_path, extra, words):
    path = _write(tmp_path, "bad-1", MINIMAL.replace("{id}", "bad-1") + extra)
    with pytest.raises(PolicyError) as caught:
        load_policy_file(path)
    text = str(caught.value)
    assert str(path) in text
    for word in words:
        assert word in text


def test_toml_syntax_error_and_id_mismatch(tmp_path):
    broken = _write(tmp_path, "broken", "id = \n")
    with pytest.raises(PolicyError, match="TOML 语法错误"):
        load_policy_file(broken)
    other = _write(tmp_path, "other", MINIMAL.replace("{id}", "not-other"))
    with pytest.raises(PolicyError, match="须与文件名“other”一致"):
        load_policy_file(other)


CUSTOM = MINIMAL + """
[fees]
source = "测工发〔2026〕1号 第五条"
amounts = { "在职" = 60, "退休" = 240 }

[subsidy]
source = "测工发〔2026〕1号 第十条"
base = "self_pay"
rounding_unit = 0.01

[subsidy.bands]
source = "测工发〔2026〕1号 第十条"
brackets = [{ upto = 20000, rate = 0.5 }]

[subsidy.cap]
source = "测工发〔2026〕1号 第十一条"
per_period = { "在职" = 5000, "退休" = 3000 }
"""


def test_user_directory_adds_a_scheme_with_category_values(tmp_path, monkeypatch):
    _write(tmp_path, "ce-2026", CUSTOM.replace("{id}", "ce-2026"))
    monkeypatch.setenv("MUTUALAID_POLICY_PATH", str(tmp_path))
    policy = get_policy("ce-2026")
    assert policy.path.parent == tmp_path
    retired = engine.compute_subsidy(policy, engine.Stay(Decimal(10000), 5, category="退休"))
    active = engine.compute_subsidy(policy, engine.Stay(Decimal(10000), 5, category="在职"))
    assert (retired.amount, active.amount) == (Decimal("3000.00"), Decimal("5000.00"))
    with pytest.raises(NotConfiguredError, match="请给出类别"):
        engine.compute_subsidy(policy, engine.Stay(Decimal(10000), 5))
    assert "ce-2026" in {p.id for p in list_policies()}


def test_default_policy_comes_from_environment(monkeypatch):
    monkeypatch.setenv("MUTUALAID_POLICY", "hangzhou")
    assert SUBSIDY(300, 2) == 100.0  # hangzhou minimum, not nm's 200
    monkeypatch.delenv("MUTUALAID_POLICY")
    assert SUBSIDY(300, 2) == 200.0


def test_builtin_dir_holds_a_documented_example():
    readme = (BUILTIN_DIR / "README.md").read_text("utf-8")
    assert "source" in readme and "MUTUALAID_POLICY_PATH" in readme


PER_STAY = MINIMAL + """
[subsidy]
source = "测工发〔2026〕1号 第十条"
base = "self_pay"
rounding_unit = 1

[subsidy.bands]
source = "测工发〔2026〕1号 第十条"
brackets = [{ rate = 0.5 }]

[subsidy.cap]
source = "测工发〔2026〕1号 第十一条"
per_stay = 100.50
"""


def test_whole_yuan_rounding_never_breaks_a_per_stay_cap(tmp_path, monkeypatch):
    """500 x 50% = 250 is capped at 100.50 per stay; rounding to the yuan must give 100, not 101."""
    from mutualaid_xl.rules.columns import ClaimColumns, subsidy_columns

    _write(tmp_path, "ps-2026", PER_STAY.replace("{id}", "ps-2026"))
    monkeypatch.setenv("MUTUALAID_POLICY_PATH", str(tmp_path))
    policy = get_policy("ps-2026")
    assert engine.compute_subsidy(policy, engine.Stay(Decimal(500), 3)).amount == Decimal(100)
    assert engine.compute_subsidy(policy, engine.Stay(Decimal(201), 3)).amount == Decimal(100)  # 100.5 -> 100
    assert engine.compute_subsidy(policy, engine.Stay(Decimal(199), 3)).amount == Decimal(100)  # 99.5 -> 100
    columns = ClaimColumns.from_cells(self_pay=[500, 201, 199], days=[3, 3, 3])
    assert list(subsidy_columns(policy, columns).amount_fen) == [10000, 10000, 10000]
