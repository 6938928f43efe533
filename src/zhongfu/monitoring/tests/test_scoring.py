"""Scoring households built with feed records: the expected inputs, score, tier and explanation; one
household and the city frame agree; the inputs are read set-based and scored by one Polars plan."""

import datetime as dt

import polars as pl
import pytest

from zhongfu.monitoring.inputs import SCHEMA, household_signal_inputs, signal_inputs_frame
from zhongfu.monitoring.riskmodel import load_risk_model
from zhongfu.monitoring.scoring import explanation_lines, household_risk, risk_scores, risk_scores_frame, score_plan
from zhongfu.monitoring.services import SHIPPED_DIR, risk_model_sync
from zhongfu.registry.models import Household

from .conftest import AS_OF

MODEL = load_risk_model((SHIPPED_DIR / "default.yaml").read_text(encoding="utf-8"))


def medical(id_number, day, out_of_pocket, serious="否"):
    return {"身份证号": id_number, "结算日期": day, "个人自付(元)": out_of_pocket, "重特大疾病": serious}


def test_a_household_with_high_medical_costs_and_unemployment(family, push):
    household, (head, spouse) = family(2)
    other, (stranger,) = family(1)
    push(
        "medical_insurance",
        [
            medical(head, "2026-03-02", "20000.00"),
            medical(spouse, "2026-09-15", "18000", serious="是"),
            medical(head, "2025-10-31", "99999"),  # outside the 12 months before AS_OF
            medical(stranger, "2026-05-01", "1.50"),
        ],
    )
    push(
        "human_resources",
        [
            {"身份证号": head, "登记日期": "2025-01-01", "就业状态": "就业"},
            {"身份证号": head, "登记日期": "2026-06-01", "就业状态": "失业"},  # the latest record counts
            {"身份证号": spouse, "登记日期": "2026-06-01", "就业状态": "失业"},
            {"身份证号": spouse, "登记日期": "2026-08-01", "就业状态": "灵活就业"},
        ],
    )
    inputs = household_signal_inputs(household, as_of=AS_OF)
    assert inputs["medical_out_of_pocket_12m"] == 3_800_000
    assert inputs["serious_illness_members"] == 1 and inputs["unemployed_members"] == 1 and inputs["size"] == 2
    assert household_signal_inputs(other, as_of=AS_OF)["medical_out_of_pocket_12m"] == 150

    risk = household_risk(household, as_of=AS_OF, model=MODEL)
    assert risk.signals == ["high_medical_costs", "serious_illness", "unemployment"]
    assert risk.score == 30 + 20 + 10 and risk.tier == "red" and risk.tier_label["zh"] == "红色预警"
    assert risk.lines("zh") == [
        "医保自付 38,000.00 元（近 12 个月）：+30",
        "重特大疾病成员 1 人：+20",
        "失业成员 1 人：+10",
    ]
    assert risk.lines("en")[0] == "out-of-pocket medical costs 38,000.00 yuan (last 12 months): +30"
    assert risk.model_hash == MODEL.content_hash and risk.inputs == inputs


def test_death_disability_disaster_and_the_standing_feeds(family, push):
    household, (head, spouse, child) = family(3)
    push("public_security", [{"身份证号": spouse, "事件日期": "2026-07-01", "事件类型": "死亡"}])
    push("disabled_federation", [{"身份证号": child, "发证日期": "2020-01-01", "残疾类别": "肢体", "残疾等级": "2"}])
    push(
        "emergency",
        [
            {
                "身份证号": head,
                "受灾日期": "2026-08-08",
                "灾害类型": "台风",
                "直接经济损失(元)": "5000",
                "房屋倒损": "是",
            }
        ],
    )
    push(
        "vehicles",
        [
            {"身份证号": head, "登记日期": "2019-01-01", "号牌号码": "浙A12345", "车辆类型": "小型汽车"},
            {"身份证号": child, "登记日期": "2021-01-01", "号牌号码": "浙A00001", "车辆类型": "残疾人专用车"},
        ],
    )
    push(
        "market_regulation",
        [{"身份证号": head, "登记日期": "2024-01-01", "统一社会信用代码": "91330106MA2XXXXX1X", "职务": "股东"}],
    )
    inputs = household_signal_inputs(household, as_of=AS_OF)
    assert inputs["member_deaths_12m"] == 1 and inputs["severely_disabled_members"] == 1
    assert inputs["disabled_members"] == 1 and inputs["home_collapsed_12m"] is True
    assert inputs["disaster_loss_12m"] == 500_000 and inputs["registered_vehicles"] == 1
    assert inputs["company_role_members"] == 1
    # the registry does not know of the death yet: the feed does, and the household still counts three
    assert inputs["size"] == 3
    risk = household_risk(household, as_of=AS_OF, model=MODEL)
    assert risk.signals == ["severe_disability", "disaster"]  # a death weighs on households of two or fewer
    assert risk.score == 50 and risk.tier == "orange"
    assert risk.lines("zh")[1] == "受灾损失 5,000.00 元，房屋倒损：是（近 12 个月）：+30"
    # before the records are dated, nothing fires
    before = household_risk(household, as_of=dt.date(2019, 6, 1), model=MODEL)
    assert before.score == 0 and before.tier is None and before.lines("en") == []


def test_household_risk_uses_the_approved_model(family, push):
    risk_model_sync()
    household, _ids = family(1)
    risk = household_risk(household, as_of=AS_OF)
    assert risk.model_code == "default" and risk.score == 0 and risk.signals == []


def test_one_household_and_the_city_agree_on_a_generated_city(family, push):
    """Twelve households with varied records: scoring each alone equals the city frame, row for row."""
    households, medical_rows, work_rows, disabled_rows, deaths = [], [], [], [], []
    for i in range(12):
        household, ids = family(1 + i % 3)
        households.append(household)
        for j, id_number in enumerate(ids):
            if (i + j) % 2 == 0:
                medical_rows.append(
                    medical(id_number, f"2026-0{1 + (i % 9)}-1{j}", str(4000 * (i + 1)), "是" if i % 5 == 0 else "否")
                )
            if (i * j) % 3 == 1:
                work_rows.append({"身份证号": id_number, "登记日期": "2026-02-02", "就业状态": "失业"})
            if i % 4 == 1 and j == 0:
                disabled_rows.append(
                    {"身份证号": id_number, "发证日期": "2018-03-03", "残疾类别": "视力", "残疾等级": str(1 + i % 4)}
                )
            if i % 6 == 5 and j == 1:
                deaths.append({"身份证号": id_number, "事件日期": "2026-04-04", "事件类型": "死亡"})
    push("medical_insurance", medical_rows)
    push("human_resources", work_rows)
    push("disabled_federation", disabled_rows)
    push("public_security", deaths)

    city = risk_scores(Household.objects.all(), as_of=AS_OF, model=MODEL)
    assert city.height == 12 and city["household_id"].to_list() == sorted(h.pk for h in households)
    inputs = signal_inputs_frame(Household.objects.all(), as_of=AS_OF)
    by_id = {row["household_id"]: row for row in city.iter_rows(named=True)}
    inputs_by_id = {row["household_id"]: row for row in inputs.iter_rows(named=True)}
    tiers = set()
    for household in households:
        one = household_risk(household, as_of=AS_OF, model=MODEL)
        row = by_id[household.pk]
        assert (one.score, one.tier, one.signals) == (row["score"], row["tier"], row["signals"])
        assert one.inputs == inputs_by_id[household.pk]
        assert one.lines("zh") == row["explanation_zh"] and one.lines("en") == row["explanation_en"]
        tiers.add(one.tier)
    assert len(tiers) >= 3  # the generated city reaches several tiers, so the comparison means something


def test_the_inputs_are_read_with_the_same_queries_for_one_household_and_many(family, push, django_assert_num_queries):
    made = [family(2) for _ in range(4)]
    push("medical_insurance", [medical(ids[0], "2026-05-05", "100") for _h, ids in made])
    with django_assert_num_queries(6) as one:
        signal_inputs_frame(Household.objects.filter(pk=made[0][0].pk), as_of=AS_OF)
    with django_assert_num_queries(len(one.captured_queries)):
        signal_inputs_frame(Household.objects.all(), as_of=AS_OF)


def test_scoring_is_one_polars_plan_without_python_functions():
    """A plan of Polars expressions (no Python callback per row) scores a synthetic city of 20,000 rows."""
    n = 20_000
    frame = pl.DataFrame(
        {
            "household_id": range(n),
            **{name: [0] * n for name, dtype in SCHEMA.items() if dtype == pl.Int64 and name != "household_id"},
            "home_collapsed_12m": [i % 7 == 0 for i in range(n)],
            "assistance_class": [""] * n,
        },
        schema=SCHEMA,
    ).with_columns(
        medical_out_of_pocket_12m=pl.col("household_id") * 300,
        unemployed_members=pl.col("household_id") % 3,
        size=pl.lit(2, dtype=pl.Int64),
    )
    plan = score_plan(MODEL, frame.lazy())
    assert isinstance(plan, pl.LazyFrame)
    assert "python" not in plan.explain().lower() and "map" not in plan.explain().lower()
    scores = risk_scores_frame(frame, model=MODEL)
    assert scores.height == n
    assert "python" not in score_plan(MODEL, frame.lazy(), explain=True).explain().lower()
    expected = (
        pl.when(pl.col("household_id") * 300 >= 3_000_000).then(30).otherwise(0)
        + pl.min_horizontal(pl.col("household_id") % 3, pl.lit(2)) * 10
        + pl.when(pl.col("household_id") % 7 == 0).then(30).otherwise(0)
    )
    assert scores["score"].to_list() == frame.select(expected.alias("e"))["e"].to_list()
    red = scores.filter(pl.col("tier") == "red")["score"]
    assert red.len() > 0 and red.min() >= 60
    assert scores.filter(pl.col("tier").is_null())["score"].max() < 20


@pytest.mark.parametrize("language", ["zh", "en"])
def test_nothing_fired_nothing_explained(family, language):
    household, _ids = family(1)
    assert household_risk(household, as_of=AS_OF, model=MODEL).lines(language) == []


def test_the_frame_explanation_is_the_one_household_explanation():
    """Money, counts, true/false and the sign of the points, rendered by Polars and by Python alike."""
    rows = []
    for i, fen in enumerate([0, 5, 99, 100, 3_000_000, 3_800_005, 123_456_789_012, 1_000_000]):
        row = {name: 0 for name in SCHEMA} | {"assistance_class": "", "household_id": i}
        row |= {"medical_out_of_pocket_12m": fen, "disaster_loss_12m": fen, "home_collapsed_12m": i % 2 == 0}
        row |= {"unemployed_members": i, "severely_disabled_members": 1, "disabled_members": 1234 * i, "size": 1}
        row |= {"member_deaths_12m": i % 3, "education_costs_12m": fen}
        rows.append(row)
    negative = MODEL.text.replace("points: 15", "points: -15").replace(
        "when: member_imprisonments_12m > 0", "when: size == 1"
    )
    for model in (MODEL, load_risk_model(negative)):
        frame = pl.DataFrame(rows, schema=SCHEMA)
        scored = risk_scores_frame(frame, model=model)
        for row, result in zip(rows, scored.iter_rows(named=True), strict=True):
            merged = row | result
            for language in ("zh", "en"):
                expected = [line.text for line in explanation_lines(model, merged, language)]
                assert result[f"explanation_{language}"] == expected
    assert "受灾损失 1,234,567,890.12 元，房屋倒损：是（近 12 个月）：+30" in scored["explanation_zh"][6].to_list()
    assert any(line.endswith(": -15") for line in scored["explanation_en"][0].to_list())
