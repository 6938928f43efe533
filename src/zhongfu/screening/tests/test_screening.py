"""Screening one household: inputs from the registry, determinations, explanations, replay."""

import datetime as dt

import pytest
from django.utils import timezone

from conftest import member, new_id_number
from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.common.errors import PermissionDenied
from zhongfu.common.identifiers import uscc_check_char
from zhongfu.policies import selectors as policy_selectors
from zhongfu.policies import services as policy_services
from zhongfu.registry import services as registry_services
from zhongfu.registry.models import Household, Person
from zhongfu.registry.selectors import age_on
from zhongfu.screening import selectors, services
from zhongfu.screening.inputs import engine_frames, household_records
from zhongfu.screening.models import Determination, Outcome

pytestmark = pytest.mark.django_db


def standard() -> int:
    return policy_selectors.parameter_set(timezone.localdate())["dibao.standard"].value


@pytest.fixture
def poor_household(make_household):
    """Three people; 300 yuan of income each a month: far below any dibao standard."""
    return make_household(
        members=[
            member("head", name="王建国", incomes={"wage": 30000}),
            member("spouse", name="李秀英", id_number=new_id_number(sex="F"), incomes={"wage": 30000}),
            member(
                "child", name="王小明", id_number=new_id_number(birth=dt.date(2012, 3, 1)), incomes={"other": 30000}
            ),
        ]
    )


def line(evaluation, code):
    return next(x for x in evaluation.lines if x.code == code)


def test_inputs_come_from_the_registry(make_household, users):
    admin = users[Role.CITY_ADMIN]
    h = make_household(
        members=[
            member("head", incomes={"wage": 250000, "pension": 10000}),
            member(
                "parent",
                id_number=new_id_number(birth=dt.date(1940, 1, 1)),
                disability_category="physical",
                disability_grade=2,
            ),
        ]
    )
    registry_services.asset_add(actor=admin, household_id=h.pk, kind="vehicle", value_fen=5_000_000)
    registry_services.asset_add(actor=admin, household_id=h.pk, kind="vehicle", is_exempt_vehicle=True)
    registry_services.asset_add(
        actor=admin,
        household_id=h.pk,
        kind="home",
        floor_area_m2=70,
        acquired_on=timezone.localdate() - dt.timedelta(days=30),
    )
    registry_services.asset_add(actor=admin, household_id=h.pk, kind="deposit", value_fen=1_234_500)
    last_year = timezone.localdate().year - 1
    registry_services.expense_add(actor=admin, household_id=h.pk, kind="medical", year=last_year, annual_fen=3_000_000)
    registry_services.expense_add(actor=admin, household_id=h.pk, kind="medical", year=last_year - 1, annual_fen=999)

    frame, members = engine_frames(Household.objects.filter(pk=h.pk), timezone.localdate())
    row = frame.row(0, named=True)
    assert row["size"] == 2
    assert row["monthly_income"] == 260000
    assert row["vehicles"] == 1  # the exempt one does not count
    assert row["homes"] == 1 and row["home_floor_area"] == 70 and row["home_bought_within_year"] is True
    assert row["financial_assets"] == 1_234_500
    assert row["annual_medical_expenses"] == 3_000_000  # only the last full year
    assert row["annual_education_expenses"] == 0
    births = sorted(m.person.birth_date for m in h.memberships.select_related("person"))
    ages = sorted(members.get_column("age").to_list())
    assert ages == sorted(age_on(b, timezone.localdate()) for b in births)
    parent = members.filter(members["age"] == ages[-1]).row(0, named=True)
    assert parent["disabled"] is True and parent["disability_grade"] == 2
    # The household page's path reads the same inputs.
    assert household_records(h, timezone.localdate()) == (row, members.to_dicts())


def test_age_counts_full_years_whatever_the_month_of_birth(make_household):
    # Born on 1 December: on 24 November not yet 46, on 1 December 46 (December once wrapped around in
    # the frame path's arithmetic and made the person a year older). Both input paths agree.
    h = make_household(members=[member("head")])
    Person.objects.filter(memberships__household=h).update(birth_date=dt.date(1980, 12, 1))
    for as_of, expected in ((dt.date(2026, 11, 24), 45), (dt.date(2026, 12, 1), 46)):
        _frame, members = engine_frames(Household.objects.filter(pk=h.pk), as_of)
        assert members.get_column("age").to_list() == [expected], as_of
        assert household_records(h, as_of)[1][0]["age"] == expected, as_of


def test_a_home_without_floor_area_makes_the_area_unknown_on_both_paths(make_household, users):
    admin = users[Role.CITY_ADMIN]
    h = make_household(members=[member("head", incomes={"wage": 100000})])
    registry_services.asset_add(actor=admin, household_id=h.pk, kind="home", floor_area_m2=50)
    registry_services.asset_add(actor=admin, household_id=h.pk, kind="home")
    first17 = "91330106MA2B00001"
    registry_services.asset_add(
        actor=admin,
        household_id=h.pk,
        kind="company_role",
        company_uscc=first17 + uscc_check_char(first17),
        company_role="manager",
    )
    registry_services.asset_add(
        actor=admin, household_id=h.pk, kind="home", acquired_on=timezone.localdate() - dt.timedelta(days=400)
    )
    frame, members = engine_frames(Household.objects.filter(pk=h.pk), timezone.localdate())
    row = frame.row(0, named=True)
    assert row["homes"] == 3 and row["home_floor_area"] is None and row["company_roles"] == 1
    assert row["home_bought_within_year"] is False
    assert household_records(h, timezone.localdate()) == (row, members.to_dicts())


def test_unknown_income_is_unknown_not_zero(make_household):
    h = make_household(members=[member("head")])
    frame, _members = engine_frames(Household.objects.filter(pk=h.pk), timezone.localdate())
    assert frame.row(0, named=True)["monthly_income"] is None
    assert household_records(h, timezone.localdate())[0]["monthly_income"] is None


def test_dibao_eligible_with_amount_and_reason(poor_household):
    evaluation = selectors.household_evaluate(poor_household)
    dibao = line(evaluation, "dibao")
    assert dibao.outcome == Outcome.ELIGIBLE
    assert dibao.amount_fen >= (standard() - 30000) * 3  # 补差, plus any top-ups
    text = " ".join(dibao.reasons("zh-hans"))
    assert "300.00 元" in text
    yuan = f"{standard() // 100:,}.{standard() % 100:02d} 元"
    assert yuan in text
    assert "起" in text  # the standard's start date is named


def test_missing_income_gives_needs_information_naming_it(make_household):
    h = make_household(members=[member("head")])
    dibao = line(selectors.household_evaluate(h), "dibao")
    assert dibao.outcome == Outcome.NEEDS_INFORMATION
    assert "monthly_income" in dibao.missing_inputs
    assert dibao.amount_fen == 0


def test_well_off_household_is_not_eligible(make_household):
    h = make_household(members=[member("head", incomes={"wage": 2_000_000})])
    dibao = line(selectors.household_evaluate(h), "dibao")
    assert dibao.outcome == Outcome.NOT_ELIGIBLE


def test_stored_determination_replays_after_the_standard_changes(poor_household, users):
    admin = users[Role.CITY_ADMIN]
    screening = services.household_screen(actor=admin, household=poor_household)
    dibao = screening.determinations.get(policy_code="dibao")
    assert dibao.outcome == Outcome.ELIGIBLE
    assert dibao.parameters["dibao.standard"]["value"] == standard()
    assert services.determination_replay(dibao) == (dibao.outcome, dibao.amount_fen)
    assert AuditEntry.objects.filter(action="screen", household_id=poor_household.pk).exists()

    # Raise the standard (maker-checker), then the live answer changes but the stored one replays.
    admin2 = users[Role.CITY_ADMIN].__class__.objects.create(
        username="admin_b", role=Role.CITY_ADMIN, region=admin.region
    )
    old = standard()
    proposal = policy_services.parameter_value_propose(
        actor=admin,
        key="dibao.standard",
        start_date=timezone.localdate() - dt.timedelta(days=1),
        value=old + 20000,
        reference="test",
    )
    policy_services.parameter_value_approve(actor=admin2, value_id=proposal.pk)
    assert standard() == old + 20000
    live = line(selectors.household_evaluate(poor_household), "dibao")
    assert live.amount_fen != dibao.amount_fen
    assert services.determination_replay(Determination.objects.get(pk=dibao.pk)) == (dibao.outcome, dibao.amount_fen)


def test_replay_detects_a_tampered_determination(poor_household, users):
    screening = services.household_screen(actor=users[Role.CITY_ADMIN], household=poor_household)
    dibao = screening.determinations.get(policy_code="dibao")
    Determination.objects.filter(pk=dibao.pk).update(amount_fen=dibao.amount_fen + 1)
    dibao.refresh_from_db()
    assert services.determination_replay(dibao) != (dibao.outcome, dibao.amount_fen)


def test_screening_needs_the_permission(poor_household, users):
    with pytest.raises(PermissionDenied):
        services.household_screen(actor=users[Role.AUDITOR], household=poor_household)


def test_precedence_extreme_poverty_displaces_dibao(make_household):
    """An elderly person alone, unable to work, without income: 特困, and therefore not 低保."""
    h = make_household(
        members=[
            member(
                "head",
                id_number=new_id_number(birth=dt.date(1938, 2, 2)),
                labour_capacity="none",
                elderly_living_alone=True,
                incomes={"transfer": 5000},
            )
        ]
    )
    evaluation = selectors.household_evaluate(h)
    assert line(evaluation, "extreme_poverty").outcome == Outcome.ELIGIBLE
    assert line(evaluation, "dibao").outcome == Outcome.NOT_ELIGIBLE
    assert "extreme_poverty" in line(evaluation, "dibao").displaced_by


def test_benefit_list_groups_by_outcome(poor_household):
    benefits = selectors.benefit_list(poor_household)
    codes = [b.policy_code for b in benefits.entitled]
    assert "dibao" in codes
    assert all(b.amount_fen >= 0 for b in benefits.entitled)
    assert benefits.received == []
    assert {b.policy_code for b in benefits.entitled} | {b.policy_code for b in benefits.not_eligible} | {
        b.policy_code for b in benefits.needs_information
    } == set(policy_selectors.current_catalogue().policies)


def test_benefit_list_says_why_a_policy_does_not_apply(make_household):
    rich = make_household(members=[member("head", incomes={"wage": 2_000_000})])
    benefits = selectors.benefit_list(rich)
    dibao = next(b for b in benefits.not_eligible if b.policy_code == "dibao")
    assert "20,000.00 元" in dibao.why_not and "低保标准" in dibao.why_not


def test_a_failed_comparison_is_shown_as_it_is(make_household):
    """7,000 yuan per capita is not below the standard: the line must say ≥, never a false <."""
    rich = make_household(members=[member("head", incomes={"wage": 700_000})])
    dibao = line(selectors.household_evaluate(rich, for_storage=True), "dibao")
    income = next(c for c in dibao.criteria if c["variable"] == "income_test")
    assert income["passed"] is False
    assert "7,000.00 元 ≥ 低保标准" in income["text"]["zh-hans"]
    assert "7,000.00 yuan ≥ dibao standard" in income["text"]["en"]
