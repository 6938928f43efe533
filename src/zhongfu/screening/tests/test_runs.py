"""Batch screening runs and standard simulations, through the real worker code."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from conftest import OUT_COMMUNITY, member, new_id_number
from zhongfu.accounts.roles import Role
from zhongfu.common.errors import InvalidInput, PermissionDenied
from zhongfu.policies import selectors as policy_selectors
from zhongfu.screening import services
from zhongfu.screening.models import Outcome, RunStatus, ScreeningResult, ScreeningRun

pytestmark = pytest.mark.django_db


def standard() -> int:
    return policy_selectors.parameter_set(timezone.localdate())["dibao.standard"].value


@pytest.fixture
def city(make_household):
    """Four households: clearly poor, just above the standard, comfortable, and one in another district."""
    s = standard()
    return {
        "poor": make_household(members=[member("head", incomes={"wage": 20000})]),
        "borderline": make_household(members=[member("head", incomes={"wage": s + 100})]),
        "rich": make_household(members=[member("head", incomes={"wage": 3_000_000})]),
        "elsewhere": make_household(
            community=OUT_COMMUNITY,
            members=[member("head", id_number=new_id_number("330109"), incomes={"wage": s + 100})],
        ),
    }


def test_batch_run_stores_every_household_and_policy(city, users, run_tasks, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = services.screening_run_start(actor=users[Role.CITY_ADMIN])
    assert run_tasks() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    assert run.progress == 100
    codes = set(policy_selectors.current_catalogue().policies)
    assert run.households == 4
    assert ScreeningResult.objects.filter(run=run).count() == 4 * len(codes)
    poor = ScreeningResult.objects.get(run=run, household=city["poor"], policy_code="dibao")
    assert poor.outcome == Outcome.ELIGIBLE and poor.amount_fen == standard() - 20000
    assert (
        ScreeningResult.objects.get(run=run, household=city["rich"], policy_code="dibao").outcome
        == Outcome.NOT_ELIGIBLE
    )
    assert run.summary["dibao"]["eligible"] == 1
    assert run.summary["dibao"]["amount_fen"] == standard() - 20000


def test_a_second_run_waits_for_the_first(city, users):
    services.screening_run_start(actor=users[Role.CITY_ADMIN])
    with pytest.raises(InvalidInput):
        services.screening_run_start(actor=users[Role.CITY_ADMIN])


def test_the_database_refuses_a_second_active_run_of_a_kind(users):
    """The check in the service can race; the partial unique constraint cannot."""
    first = services.screening_run_start(actor=users[Role.CITY_ADMIN])
    with pytest.raises(IntegrityError), transaction.atomic():
        ScreeningRun.objects.create(kind=first.kind, as_of=first.as_of, started_by=users[Role.CITY_ADMIN])
    ScreeningRun.objects.filter(pk=first.pk).update(status=RunStatus.DONE)
    assert services.screening_run_start(actor=users[Role.CITY_ADMIN]).status == RunStatus.QUEUED


def test_only_the_city_administrator_runs(users):
    with pytest.raises(PermissionDenied):
        services.screening_run_start(actor=users[Role.DISTRICT_CASEWORKER])


def test_simulation_counts_newly_eligible_and_cost_by_district(
    city, users, run_tasks, django_capture_on_commit_callbacks
):
    raised = standard() + 1000  # ten yuan more: both borderline households now qualify
    with django_capture_on_commit_callbacks(execute=True):
        run = services.simulation_start(actor=users[Role.CITY_ADMIN], overrides={"dibao.standard": raised})
    run_tasks()
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    dibao = next(p for p in run.summary["policies"] if p["code"] == "dibao")
    assert dibao["totals"]["newly"] == 2
    assert dibao["totals"]["lost"] == 0
    by_district = {d["district"]: d for d in dibao["districts"]}
    assert by_district["330106"]["newly"] == 1 and by_district["330109"]["newly"] == 1
    # poor: +10 yuan; each borderline household: (raised - income) from 0.
    expected = 1000 + 2 * (raised - (standard() + 100))
    assert dibao["totals"]["monthly_delta_fen"] == expected
    assert dibao["totals"]["yearly_delta_fen"] == expected * 12
    # Nothing was changed by simulating.
    assert standard() == raised - 1000
    assert not ScreeningResult.objects.filter(run=run).exists()


def test_simulation_refuses_bad_values(users):
    admin = users[Role.CITY_ADMIN]
    with pytest.raises(InvalidInput):
        services.simulation_start(actor=admin, overrides={"dibao.standard": 0})
    with pytest.raises(InvalidInput):
        services.simulation_start(actor=admin, overrides={"dibao.standard": -5})
    with pytest.raises(InvalidInput):
        services.simulation_start(actor=admin, overrides={"no.such.parameter": 5})
    assert not ScreeningRun.objects.exists()


def test_consumption_rule_proposes_at_least_income_growth():
    rule = services.standard_by_consumption_rule()
    assert rule is not None
    assert rule["proposed_fen"] % 100 == 0
    assert rule["proposed_fen"] >= rule["current"].value * (1 + rule["growth"].value)
    assert rule["proposed_fen"] == max(rule["by_consumption_fen"], rule["by_growth_fen"])


def test_run_pages(city, users, client, run_tasks, django_capture_on_commit_callbacks):
    client.force_login(users[Role.CITY_ADMIN])
    assert client.get(reverse("screening:runs")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("screening:run_start"))
    run = ScreeningRun.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("screening:run_detail", args=[run.pk])
    page = client.get(reverse("screening:run_detail", args=[run.pk])).content.decode()
    assert 'data-status="queued"' in page and "hx-get" in page  # the page polls while the worker runs
    run_tasks()
    page = client.get(reverse("screening:run_detail", args=[run.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="done"' in page and 'data-testid="summary-dibao"' in page

    response = client.post(
        reverse("screening:simulate"),
        {
            "parameter": "dibao.standard",
            "value": f"{(standard() + 1000) / 100:.2f}",
            "as_of": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    response = client.post(
        reverse("screening:simulate"),
        {"parameter": "dibao.standard", "value": "0", "as_of": timezone.localdate().isoformat()},
    )
    assert response.status_code == 200 and "大于零" in response.content.decode()


def test_run_pages_need_the_permission(users, client):
    client.force_login(users[Role.STREET_CASEWORKER])
    assert client.get(reverse("screening:runs")).status_code == 403
    assert client.post(reverse("screening:run_start")).status_code == 403
    assert client.get(reverse("screening:simulate")).status_code == 403


def test_cron_screens_as_the_system(city):
    """`zhongfu screen` queues a run for the worker (one at a time, as from the page); --now runs it here."""
    import io

    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command("screen", stdout=out)
    queued = ScreeningRun.objects.get()
    assert queued.status == RunStatus.QUEUED and queued.started_by is None and "queued" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("screen", "--now", stdout=out)
    ScreeningRun.objects.filter(pk=queued.pk).update(status=RunStatus.DONE)
    call_command("screen", "--now", stdout=out)
    run = ScreeningRun.objects.exclude(pk=queued.pk).get()
    assert run.status == RunStatus.DONE and run.households > 0
    assert f"screening run {run.pk}: {run.households} households" in out.getvalue()
