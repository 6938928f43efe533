"""The demo city's visits: plausible (most on time, some overdue), valid, repeatable, audited once."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.visits import selectors
from zhongfu.visits.models import Visit
from zhongfu.visits.services import demo_visits_generate

pytestmark = pytest.mark.django_db


@pytest.fixture
def town(classed):
    kinds = [("dibao", {}), ("extreme_poverty", {}), ("", {"elderly_living_alone": True}), ("marginal", {})]
    return [classed(cls, **flags) for i in range(15) for cls, flags in [kinds[i % 4]]] + [classed()]


def test_demo_visits_are_plausible_and_repeatable(town, users):
    before = AuditEntry.objects.count()
    result = demo_visits_generate(7)
    assert result["visits"] == Visit.objects.count() > 0
    assert AuditEntry.objects.count() == before + 1
    assert AuditEntry.objects.order_by("-seq").first().object_type == "demo_visits"
    today = timezone.localdate()
    assert not Visit.objects.filter(visited_on__gt=today).exists()
    assert not Visit.objects.filter(visited_on__lt=dt.date(2025, 1, 1)).exists()  # not before the households
    assert not Visit.objects.filter(household=town[-1]).exists()  # no class, no visits
    counts = selectors.due_counts(user=users[Role.CITY_ADMIN])
    assert counts["all"] == 15 and 0 < counts["overdue"] < 8
    # Again: nothing added for households that already have visits; the same seed gives the same visits.
    assert demo_visits_generate(7)["visits"] == 0
    snapshot = sorted(Visit.objects.values_list("household_id", "visited_on", "outcome"))
    Visit.objects.all().delete()
    call_command("visits_demo", "--seed", "7")
    assert sorted(Visit.objects.values_list("household_id", "visited_on", "outcome")) == snapshot
