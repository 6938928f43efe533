"""The risk model file is checked with the policy engine: bad signals are refused with the signal, the key
and the position; the shipped model checks."""

import pytest

from zhongfu.monitoring.inputs import INPUTS, window_start
from zhongfu.monitoring.riskmodel import RiskModelError, inputs_read, load_risk_model
from zhongfu.monitoring.services import SHIPPED_DIR

SHIPPED = (SHIPPED_DIR / "default.yaml").read_text(encoding="utf-8")


def model_text(
    when="medical_out_of_pocket_12m >= 3000000",
    points="30",
    explain="医保自付 {medical_out_of_pocket_12m}",
    tiers="[{name: red, min_score: 60}, {name: yellow, min_score: 20}]",
    extra="",
):
    return f"""
code: test
name: 测试模型
signals:
  - name: high_medical_costs
    label: 医疗自付负担重
    when: {when}
    points: {points}
    explain: "{explain}"{extra}
tiers: {tiers}
"""


def refusal(text) -> RiskModelError:
    with pytest.raises(RiskModelError) as caught:
        load_risk_model(text)
    return caught.value


def test_the_shipped_model_checks_and_reads_only_declared_inputs():
    model = load_risk_model(SHIPPED)
    assert [tier.name for tier in model.tiers] == ["red", "orange", "yellow"]
    assert [tier.min_score for tier in model.tiers] == [60, 40, 20]
    assert set(inputs_read(model)) <= {item.name for item in INPUTS}
    assert "medical_out_of_pocket_12m" in inputs_read(model)


@pytest.mark.parametrize(
    ("when", "column", "words"),
    [
        ("medical_out_of_pocket_12m >= 3000000 && medicl_costs > 1", 41, "unknown name “medicl_costs”"),
        ("unemployed_members > 0 && members.exists(m, m.age > 60)", 27, "not its members"),
        ("size > p.dibao.standard", 8, "reads no parameters"),
        ("monthly_income < 100000", 1, "“monthly_income” is a policy input, not a signal input"),
        ("unemployed_members + true > 1", 1, "needs numbers"),
        ("assistance_class > 1", 1, "compares string with int"),
        ("__import__(1)", 1, "not allowed"),
    ],
)
def test_a_bad_when_is_refused_with_the_signal_and_the_column(when, column, words):
    error = refusal(model_text(when=f'"{when}"'))
    assert error.signal == "high_medical_costs" and error.key == "when"
    assert error.column == column, str(error)
    assert words in str(error)
    assert str(error).startswith("signal high_medical_costs (when) column")


def test_when_must_be_true_or_false_and_points_an_integer():
    assert "must be true/false, not int" in str(refusal(model_text(when="unemployed_members")))
    error = refusal(model_text(points='"unemployed_members > 0"'))
    assert error.key == "points" and "must be an integer, not bool" in str(error)
    assert refusal(model_text(points="1.5")).key == "points"
    assert "at most 1000" in str(refusal(model_text(points="5000")))
    error = refusal(model_text(points='"double(unemployed_members) * 1.5"'))
    assert "not double" in str(error)


def test_points_may_be_an_integer_expression():
    model = load_risk_model(model_text(points='"min(unemployed_members, 2) * 10"'))
    assert model.signals[0].points == "min(unemployed_members, 2) * 10"


def test_explanations_show_only_signal_inputs():
    error = refusal(model_text(explain="收入 {monthly_income}"))
    assert error.key == "explain" and "{monthly_income}" in str(error)
    assert refusal(model_text(explain="医保 {medical_out_of_pocket_12m")).key == "explain"
    assert refusal(model_text(explain="医保 {medical_out_of_pocket_12m!r}")).key == "explain"


def test_tiers_names_and_thresholds_are_checked():
    assert "one of red, orange, yellow" in str(refusal(model_text(tiers="[{name: purple, min_score: 5}]")))
    error = refusal(model_text(tiers="[{name: red, min_score: 20}, {name: orange, min_score: 40}]"))
    assert "higher min_score" in str(error)
    assert "at least 1" in str(refusal(model_text(tiers="[{name: red, min_score: 0}]")))
    assert "twice" in str(refusal(model_text(tiers="[{name: red, min_score: 9}, {name: red, min_score: 8}]")))


def test_signal_names_and_keys():
    assert "unknown key “weight”" in str(refusal(model_text(extra="\n    weight: 3")))
    twice = model_text().replace(
        "tiers:", SHIPPED.split("signals:\n")[1].split("  - name: serious_illness")[0] + "tiers:"
    )
    twice = twice.replace(
        "  - name: high_medical_costs\n    label: {zh", "  - name: high_medical_costs\n    label: {zh", 1
    )
    assert "two signals" in str(refusal(twice))
    error = refusal(model_text().replace("name: high_medical_costs", "name: size"))
    assert "name of an input" in str(error)
    assert "not valid YAML" in str(refusal("code: [unclosed"))


def test_the_window_is_twelve_calendar_months():
    import datetime as dt

    assert window_start(dt.date(2026, 11, 1)) == dt.date(2025, 11, 1)
    assert window_start(dt.date(2024, 2, 29)) == dt.date(2023, 2, 28)
    assert window_start(dt.date(2026, 1, 31), 1) == dt.date(2025, 12, 31)
