"""Recording visits, and the due list: due dates, overdue, "not at home", scope and permissions."""

import datetime as dt

import pytest
from django.utils import timezone

from conftest import OUT_COMMUNITY
from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.common.errors import InvalidInput, NotFound, PermissionDenied
from zhongfu.visits import selectors, services
from zhongfu.visits.models import Visit

pytestmark = pytest.mark.django_db


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def record(actor, h, on, outcome="well", **kw):
    return services.visit_record(actor, h, visited_on=on, outcome=outcome, **kw)


def test_visit_is_recorded_and_audited(classed, users):
    worker = users[Role.COMMUNITY_WORKER]
    h = classed("extreme_poverty")
    v = record(worker, h, days(-1), "needs_help", kind="phone", needs="需要助餐", follow_up=True)
    assert (v.visitor, v.kind, v.outcome, v.follow_up, v.needs) == (worker, "phone", "needs_help", True, "需要助餐")
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.object_type, entry.object_id) == ("create", "visit", str(v.pk))
    assert (entry.household_id, entry.region_code, entry.actor_id) == (h.pk, h.region_id, worker.pk)
    assert entry.after["outcome"] == "needs_help" and entry.after["visited_on"] == days(-1).isoformat()


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"visited_on": "tomorrow", "outcome": "well"}, "visited_on"),
        ({"visited_on": dt.date(2024, 12, 31), "outcome": "well"}, "visited_on"),  # before the household existed
        ({"visited_on": None, "outcome": "well"}, "visited_on"),
        ({"visited_on": "yesterday", "outcome": None}, "outcome"),
        ({"visited_on": "yesterday", "outcome": ""}, "outcome"),
        ({"visited_on": "yesterday", "outcome": "fine"}, "outcome"),
        ({"visited_on": "yesterday", "outcome": "well", "kind": "letter"}, "kind"),
        ({"visited_on": "yesterday", "outcome": "well", "notes": "x" * 2001}, "notes"),
    ],
)
def test_bad_visits_are_refused_naming_the_field(classed, users, kwargs, field):
    h = classed("dibao")  # exists from 2025-01-01
    kwargs = dict(kwargs)
    kwargs["visited_on"] = {"tomorrow": days(1), "yesterday": days(-1)}.get(kwargs["visited_on"], kwargs["visited_on"])
    before = AuditEntry.objects.count()
    with pytest.raises(InvalidInput) as e:
        services.visit_record(users[Role.COMMUNITY_WORKER], h, **kwargs)
    assert e.value.field == field
    assert not Visit.objects.exists() and AuditEntry.objects.count() == before


def test_a_visit_on_the_first_day_of_the_household_is_accepted(classed, users):
    h = classed("dibao", start=days(-3))
    record(users[Role.COMMUNITY_WORKER], h, days(-3))
    with pytest.raises(InvalidInput):
        record(users[Role.COMMUNITY_WORKER], h, days(-4))


@pytest.mark.parametrize("role", [Role.UNIT_STAFF, Role.AUDITOR])
def test_viewers_cannot_record_visits(classed, users, role):
    h = classed("dibao")
    with pytest.raises(PermissionDenied):
        record(users[role], h, days(-1))
    assert not Visit.objects.exists()


@pytest.mark.parametrize(
    "role", [Role.COMMUNITY_WORKER, Role.STREET_CASEWORKER, Role.DISTRICT_CASEWORKER, Role.UNIT_STAFF, Role.AUDITOR]
)
def test_out_of_scope_household_is_not_found_for_recording(classed, users, role):
    other = classed("dibao", community=OUT_COMMUNITY)
    with pytest.raises(NotFound):
        record(users[role], other, days(-1))
    assert not Visit.objects.exists()


def test_charity_staff_see_no_household(classed, users):
    with pytest.raises(NotFound):
        record(users[Role.CHARITY_STAFF], classed("dibao"), days(-1))


# --- the due list -----------------------------------------------------------------------------


def _row(user, h, filter="all"):
    rows = selectors.due_rows(selectors.due_list(user=user, filter=filter))
    return next((r for r in rows if r.household.pk == h.pk), None)


def test_due_dates_and_overdue(classed, users):
    worker = users[Role.COMMUNITY_WORKER]
    alone = classed(elderly_living_alone=True, start=days(-100))
    record(worker, alone, days(-10))
    row = _row(worker, alone)
    assert (row.interval_days, row.last_visit, row.next_due, row.days_overdue) == (7, days(-10), days(-3), 3)
    assert _row(worker, alone, "overdue") is not None and _row(worker, alone, "soon") is None

    # Nobody at home today: recorded, but still overdue.
    record(worker, alone, days(0), "not_home")
    assert _row(worker, alone, "overdue").last_visit == days(-10)
    assert Visit.objects.filter(household=alone).count() == 2

    # A visit that found them: due again in 7 days, so "soon", not overdue.
    record(worker, alone, days(0), "well")
    row = _row(worker, alone, "soon")
    assert (row.last_visit, row.next_due, row.days_overdue) == (days(0), days(7), -7)
    assert _row(worker, alone, "overdue") is None


def test_never_visited_household_is_due_one_interval_after_it_began(classed, users):
    worker = users[Role.COMMUNITY_WORKER]
    new = classed("extreme_poverty", start=days(-5))
    old = classed("extreme_poverty", start=days(-45))
    assert _row(worker, new).next_due == days(25) and _row(worker, new).last_visit is None
    assert _row(worker, old).days_overdue == 15
    assert _row(worker, new, "overdue") is None and _row(worker, new, "soon") is None


def test_due_list_is_ordered_most_overdue_first_and_skips_unclassed(classed, make_household, users):
    worker = users[Role.COMMUNITY_WORKER]
    a = classed("dibao", start=days(-100))  # due 10 days ago
    b = classed(elderly_living_alone=True, start=days(-100))  # due 93 days ago
    c = classed("extreme_poverty", start=days(-40))  # due 10 days ago
    plain = make_household()
    ids = [r.household.pk for r in selectors.due_rows(selectors.due_list(user=worker, filter="overdue"))]
    assert ids == [b.pk] + sorted([a.pk, c.pk], key=lambda pk: selectors.Household.objects.get(pk=pk).number)
    assert plain.pk not in [h.pk for h in selectors.due_list(user=worker, filter="all")]


def test_inactive_households_are_not_due(classed, users):
    h = classed("dibao", start=days(-200))
    selectors.Household.objects.filter(pk=h.pk).update(is_active=False)
    assert _row(users[Role.COMMUNITY_WORKER], h) is None


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.CITY_ADMIN])
def test_due_list_never_shows_another_community(classed, users, role):
    other = classed("dibao", community=OUT_COMMUNITY, start=days(-200))
    mine = classed("dibao", start=days(-200))
    shown = {h.pk for h in selectors.due_list(user=users[role], filter="all")}
    assert other.pk not in shown
    no_registry = role in (Role.CHARITY_STAFF, Role.VOLUNTEER)
    assert (mine.pk in shown) == (not no_registry)
    assert selectors.due_counts(user=users[role])["all"] == (0 if no_registry else 1)
    assert other.pk in {h.pk for h in selectors.due_list(user=users[Role.CITY_ADMIN], filter="all")}


def test_due_list_is_one_query_whatever_the_number_of_households(classed, users, django_assert_max_num_queries):
    worker = users[Role.COMMUNITY_WORKER]
    for i in range(6):
        h = classed("dibao" if i % 2 else "", elderly_living_alone=not i % 2, start=days(-100))
        record(worker, h, days(-i * 5))
    with django_assert_max_num_queries(2):  # the rules, then the households with everything annotated
        rows = selectors.due_rows(list(selectors.due_list(user=worker, filter="all")))
    assert len(rows) == 6


def test_unknown_filter_is_refused(users):
    with pytest.raises(InvalidInput) as e:
        selectors.due_list(user=users[Role.COMMUNITY_WORKER], filter="late")
    assert e.value.field == "filter"
