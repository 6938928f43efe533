"""Discovery reports: a worker reports a registered household (in scope) or a person at an address not yet in
the registry; the report is a `discovery` warning on the community's list, due by its tier, audited, closed
like any other; bad input is refused naming the field; the run neither duplicates nor touches it."""

import datetime as dt

import pytest
from django.urls import reverse

from conftest import IN_COMMUNITY, OUT_COMMUNITY
from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.common.errors import InvalidInput, NotFound, PermissionDenied
from zhongfu.monitoring.models import Warning, WarningKind, WarningStatus
from zhongfu.monitoring.warning_services import discovery_report, warning_assign, warning_close
from zhongfu.workdays.selectors import add_working_days

from .test_api_and_pages import api

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 2)


@pytest.fixture
def worker(users):
    return users[Role.COMMUNITY_WORKER]


def test_a_registered_household_reported_follows_the_lifecycle(make_household, worker):
    household = make_household()
    warning = discovery_report(
        actor=worker, tier="red", seen="  老人独居，家中无取暖  ", household_id=household.pk, today=TODAY
    )
    assert warning.kind == WarningKind.DISCOVERY and warning.household == household and warning.address == ""
    assert warning.region_id == IN_COMMUNITY and warning.reported_by == worker and warning.run is None
    assert warning.explanation == {"zh": ["老人独居，家中无取暖"], "en": ["老人独居，家中无取暖"]}
    assert warning.raised_on == TODAY and warning.due_on == add_working_days(TODAY, 3)
    entry = AuditEntry.objects.get(object_type="warning", object_id=str(warning.pk), action="report")
    assert entry.household_id == household.pk and entry.region_code == IN_COMMUNITY

    warning_assign(actor=worker, warning_id=warning.pk)
    closed = warning_close(actor=worker, warning_id=warning.pk, outcome="helped", note="转介街道临时救助")
    assert closed.status == WarningStatus.CLOSED
    # Closed: a new report of the same household is accepted again.
    again = discovery_report(actor=worker, tier="yellow", seen="复查", household_id=household.pk, today=TODAY)
    assert again.due_on == add_working_days(TODAY, 15)


def test_a_person_not_in_the_registry_by_address(worker):
    warning = discovery_report(
        actor=worker, tier="orange", seen="流浪老人，无身份证", address="文三路 12 号桥下", community=IN_COMMUNITY
    )
    assert warning.household is None and warning.address == "文三路 12 号桥下" and warning.region_id == IN_COMMUNITY
    warning_close(actor=worker, warning_id=warning.pk, outcome="not_needed")
    assert Warning.objects.get(pk=warning.pk).status == WarningStatus.CLOSED


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"seen": "  ", "address": "某路 1 号", "community": IN_COMMUNITY}, "seen"),
        ({"seen": "x" * 1001, "address": "某路 1 号", "community": IN_COMMUNITY}, "seen"),
        ({"seen": "看到", "tier": "purple", "address": "某路 1 号", "community": IN_COMMUNITY}, "tier"),
        ({"seen": "看到"}, "address"),
        ({"seen": "看到", "address": "某路 1 号"}, "community"),
        ({"seen": "看到", "address": "某路 1 号", "community": OUT_COMMUNITY}, "community"),
        ({"seen": "看到", "address": "某路 1 号", "community": IN_COMMUNITY[:9]}, "community"),  # a street
        ({"seen": "看到", "address": "x" * 201, "community": IN_COMMUNITY}, "address"),
    ],
)
def test_bad_reports_name_the_field_and_write_nothing(worker, kwargs, field):
    kwargs = {"tier": "yellow", **kwargs}
    with pytest.raises(InvalidInput) as e:
        discovery_report(actor=worker, **kwargs)
    assert e.value.field == field
    assert not Warning.objects.exists()


def test_scope_duplicates_and_permission(make_household, worker, users):
    far = make_household(community=OUT_COMMUNITY)
    with pytest.raises(NotFound):
        discovery_report(actor=worker, tier="red", seen="看到", household_id=far.pk)
    near = make_household()
    discovery_report(actor=worker, tier="red", seen="看到", household_id=near.pk)
    with pytest.raises(InvalidInput) as e:
        discovery_report(actor=worker, tier="yellow", seen="又看到", household_id=near.pk)
    assert e.value.field == "household"
    discovery_report(actor=worker, tier="red", seen="看到", address="某路 1 号", community=IN_COMMUNITY)
    with pytest.raises(InvalidInput) as e:
        discovery_report(actor=worker, tier="red", seen="看到", address="某路 1 号", community=IN_COMMUNITY)
    assert e.value.field == "address"
    with pytest.raises(PermissionDenied):
        discovery_report(actor=users[Role.AUDITOR], tier="red", seen="看到", household_id=near.pk)
    assert Warning.objects.count() == 2


def test_through_the_api(make_household, worker, users):
    client = api(worker)
    household = make_household()
    url = "/api/warnings/discoveries"
    r = client.post(url, {"household_id": household.pk, "seen": "独居老人", "tier": "red"}, "application/json")
    assert r.status_code == 201 and r.json()["kind"] == "discovery" and r.json()["household_id"] == household.pk
    assert client.get("/api/warnings?kind=discovery").json()["count"] == 1
    r = client.post(
        url, {"address": "某路 2 号", "community": IN_COMMUNITY, "seen": "x", "tier": "yellow"}, "application/json"
    )
    assert r.status_code == 201 and r.json()["household_id"] is None and r.json()["address"] == "某路 2 号"
    r = client.post(url, {"address": "某路 3 号", "seen": "x", "tier": "yellow"}, "application/json")
    assert r.status_code == 422 and r.json()["field"] == "community"
    assert client.post(url, {"seen": "x", "tier": "pink", "address": "a"}, "application/json").status_code == 422
    far = make_household(community=OUT_COMMUNITY)
    assert client.post(url, {"household_id": far.pk, "seen": "x", "tier": "red"}, "application/json").status_code == 404
    auditor = api(users[Role.AUDITOR])
    body = {"household_id": household.pk, "seen": "x", "tier": "red"}
    assert auditor.post(url, body, "application/json").status_code == 403
    assert client.post(url, "not json", "application/json").status_code == 400
    assert Warning.objects.count() == 2


def test_the_form_on_a_phone(make_household, worker, client):
    household = make_household()
    client.force_login(worker)
    url = reverse("monitoring:discovery_new")
    page = client.get(url, {"q": household.number})
    assert page.status_code == 200 and household.number in page.content.decode()
    r = client.post(url, {"q": household.number, "household": household.pk, "seen": "", "tier": "red"})
    assert r.status_code == 422 and 'data-testid="error-seen"' in r.content.decode()
    r = client.post(url, {"household": "", "seen": "无人照料", "tier": "orange"})
    assert r.status_code == 422 and 'data-testid="error-address"' in r.content.decode()
    r = client.post(url, {"q": household.number, "household": household.pk, "seen": "无人照料", "tier": "red"})
    warning = Warning.objects.get(kind=WarningKind.DISCOVERY)
    assert r.status_code == 302 and r["Location"] == reverse("monitoring:warning_detail", args=[warning.pk])
    r = client.post(
        url, {"household": "", "address": "某路 9 号", "community": IN_COMMUNITY, "seen": "x", "tier": "yellow"}
    )
    loose = Warning.objects.get(household__isnull=True)
    detail = client.get(reverse("monitoring:warning_detail", args=[loose.pk])).content.decode()
    assert 'data-testid="warning-address"' in detail and "某路 9 号" in detail
    listing = client.get(reverse("monitoring:warning_list")).content.decode()
    assert "某路 9 号" in listing and household.number in listing


def test_a_run_leaves_discovery_reports_alone(
    make_household, worker, users, run_tasks, django_capture_on_commit_callbacks
):
    from zhongfu.monitoring.services import risk_model_sync

    from .test_warnings import run_monitoring

    risk_model_sync()
    household = make_household()
    report = discovery_report(actor=worker, tier="red", seen="看到", household_id=household.pk)
    run = run_monitoring(users, run_tasks, django_capture_on_commit_callbacks)
    assert WarningKind.DISCOVERY not in run.summary
    report.refresh_from_db()
    assert report.status == WarningStatus.OPEN and report.run is None
    assert Warning.objects.filter(kind=WarningKind.DISCOVERY).count() == 1
