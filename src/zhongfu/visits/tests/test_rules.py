"""Visit rules: the shipped schedule, the shortest interval, and changing a rule."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import member, new_id_number
from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.common.errors import InvalidInput, PermissionDenied
from zhongfu.visits import selectors, services
from zhongfu.visits.models import HouseholdClass, VisitRule

pytestmark = pytest.mark.django_db

EXPECTED = {
    "extreme_poverty": 30,
    "elderly_alone": 7,
    "dibao": 90,
    "marginal": 180,
    "severe_disability": 30,
    "child_in_difficulty": 30,
    "serious_illness": 30,
}


def test_shipped_rules_are_the_defaults_and_marked_unverified():
    rules = {r.household_class: r for r in selectors.rules_in_force()}
    assert {k: r.interval_days for k, r in rules.items()} == EXPECTED
    assert all("(unverified default)" in r.source for r in rules.values())
    # Shortest first: the order the schedule relies on.
    assert [r.interval_days for r in selectors.rules_in_force()] == sorted(EXPECTED.values())


def _interval(h):
    row = selectors.household_schedule(h)
    return (row.interval_days, row.visit_class) if row else None


@pytest.mark.parametrize(
    "assistance_class, flags, expected",
    [
        ("extreme_poverty", {}, (30, "extreme_poverty")),
        ("dibao", {}, (90, "dibao")),
        ("marginal", {}, (180, "marginal")),
        ("", {"elderly_living_alone": True}, (7, "elderly_alone")),
        ("", {"disability_category": "physical", "disability_grade": 2}, (30, "severe_disability")),
        ("", {"disability_category": "physical", "disability_grade": 3}, None),
        ("", {"child_in_difficulty": True}, (30, "child_in_difficulty")),
        ("", {"serious_illness": True}, (30, "serious_illness")),
        ("", {}, None),
        ("expenditure_poverty", {}, None),  # a class without a shipped rule
        # Several classes: the shortest interval wins.
        ("dibao", {"elderly_living_alone": True}, (7, "elderly_alone")),
        ("marginal", {"serious_illness": True}, (30, "serious_illness")),
    ],
)
def test_household_class_and_shortest_interval(classed, assistance_class, flags, expected):
    assert _interval(classed(assistance_class, **flags)) == expected


def test_a_member_who_left_or_died_no_longer_puts_the_household_on_the_schedule(make_household, admin):
    from zhongfu.registry.models import Person
    from zhongfu.registry.services import person_update

    h = make_household(members=[member(), member("parent", id_number=new_id_number(), elderly_living_alone=True)])
    assert _interval(h) == (7, "elderly_alone")
    parent = Person.objects.get(memberships__household=h, memberships__relation="parent")
    person_update(actor=admin, person_id=parent.pk, deceased_on=timezone.localdate())
    assert _interval(h) is None


def test_rule_change_from_a_date_is_dated_and_audited(classed, admin):
    h = classed("dibao")
    today = timezone.localdate()
    later = today + dt.timedelta(days=10)
    before = AuditEntry.objects.count()
    rule = services.visit_rule_set(actor=admin, household_class="dibao", interval_days=60, valid_from=later)
    assert rule.created_by == admin and rule.valid_from == later
    entry = AuditEntry.objects.order_by("-seq").first()
    assert AuditEntry.objects.count() == before + 1
    assert (entry.action, entry.object_type, entry.object_id) == ("update", "visit_rule", str(rule.pk))
    assert entry.before["interval_days"] == 90 and entry.after["interval_days"] == 60
    # Not yet in force: today's schedule is unchanged; from the date it is.
    assert _interval(h) == (90, "dibao")
    assert selectors.household_schedule(h, later).interval_days == 60
    # The same date again replaces that version rather than adding one.
    services.visit_rule_set(actor=admin, household_class="dibao", interval_days=45, valid_from=later)
    assert VisitRule.objects.filter(household_class="dibao").count() == 2
    assert selectors.household_schedule(h, later).interval_days == 45


def test_an_inactive_rule_takes_the_class_off_the_schedule(classed, admin):
    h = classed("marginal")
    services.visit_rule_set(actor=admin, household_class="marginal", interval_days=180, active=False)
    assert _interval(h) is None


@pytest.mark.parametrize("days", [0, -7])
def test_zero_or_negative_interval_is_refused_naming_the_field(admin, days):
    with pytest.raises(InvalidInput) as e:
        services.visit_rule_set(actor=admin, household_class="dibao", interval_days=days)
    assert e.value.field == "interval_days"
    assert selectors.rules_in_force()[0].interval_days == 7


def test_other_bad_rule_input_is_refused_naming_the_field(admin):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    for kwargs, field in [
        ({"household_class": "nobody", "interval_days": 5}, "household_class"),
        ({"household_class": "dibao", "interval_days": "5"}, "interval_days"),
        ({"household_class": "dibao", "interval_days": 99999}, "interval_days"),
        ({"household_class": "dibao", "interval_days": 5, "valid_from": yesterday}, "valid_from"),
    ]:
        with pytest.raises(InvalidInput) as e:
            services.visit_rule_set(actor=admin, **kwargs)
        assert e.value.field == field, kwargs


@pytest.mark.parametrize("role", [Role.COMMUNITY_WORKER, Role.STREET_CASEWORKER, Role.AUDITOR, Role.UNIT_STAFF])
def test_only_the_city_administrator_changes_rules(users, client, role):
    with pytest.raises(PermissionDenied):
        services.visit_rule_set(actor=users[role], household_class="dibao", interval_days=30)
    client.force_login(users[role])
    assert client.get(reverse("visits:rules")).status_code == 403
    assert client.post(reverse("visits:rules"), {"household_class": "dibao", "interval_days": 1}).status_code == 403
    assert selectors.rules_in_force()[-1].interval_days == 180


def test_rules_page_changes_an_interval(admin, client):
    client.force_login(admin)
    page = client.get(reverse("visits:rules")).content.decode()
    assert 'data-testid="interval-elderly_alone">7<' in page
    today = timezone.localdate().isoformat()
    data = {"household_class": "elderly_alone", "interval_days": 14, "valid_from": today, "active": "on"}
    response = client.post(reverse("visits:rules"), data)
    assert response.status_code == 302
    page = client.get(reverse("visits:rules")).content.decode()
    assert 'data-testid="interval-elderly_alone">14<' in page
    # Zero is refused on the page too, next to the field, in the page's language.
    client.cookies["django_language"] = "en"
    data["interval_days"] = 0
    page = client.post(reverse("visits:rules"), data).content.decode()
    assert "The interval must be at least 1 day." in page
    assert {r.household_class: r.interval_days for r in selectors.rules_in_force()}["elderly_alone"] == 14


def test_every_class_has_a_label():
    assert all(str(label) for label in HouseholdClass.labels)
