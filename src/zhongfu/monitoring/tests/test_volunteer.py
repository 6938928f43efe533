"""The volunteer (志愿者): reports a household in need in their community on the phone form, follows their own
reports, and sees nothing else — no registry, no warnings, no personal data. The report is a discovery warning
like a worker's, assigned to the community's worker, who is told and closes it with an outcome."""

import pytest
from django.test import Client
from django.urls import reverse

from conftest import IN_COMMUNITY, OUT_COMMUNITY
from zhongfu.accounts.models import User
from zhongfu.accounts.roles import Role
from zhongfu.accounts.services import api_token_create
from zhongfu.common.errors import InvalidInput, PermissionDenied
from zhongfu.demo.services import DEMO_PASSWORD, demo_users_ensure
from zhongfu.monitoring import warning_selectors as selectors
from zhongfu.monitoring.models import Warning, WarningKind, WarningStatus
from zhongfu.monitoring.warning_services import discovery_report, warning_close
from zhongfu.notifications.models import Notification

pytestmark = pytest.mark.django_db

REPORT = {
    "address": "文三路8号3单元201",
    "community": IN_COMMUNITY,
    "seen": "独居老人，腿脚不便，家中无人照料",
    "tier": "orange",
}


@pytest.fixture
def volunteer(users):
    return users[Role.VOLUNTEER]


def test_a_volunteer_reports_on_the_phone_form_and_the_community_worker_gets_it(client, users, volunteer):
    client.force_login(volunteer)
    form = client.get(reverse("monitoring:discovery_new")).content.decode()
    assert 'data-testid="discovery-search"' not in form and 'data-testid="volunteer-note"' in form
    response = client.post(reverse("monitoring:discovery_new"), REPORT)
    assert response.status_code == 302 and response["Location"] == reverse("monitoring:discovery_mine")

    report = Warning.objects.get(reported_by=volunteer)
    worker = users[Role.COMMUNITY_WORKER]
    assert report.kind == WarningKind.DISCOVERY and report.household_id is None
    assert report.region_id == IN_COMMUNITY and report.status == WarningStatus.OPEN
    assert report.assignee == worker and report.explanation["zh"] == [REPORT["seen"]]
    assert Notification.objects.filter(recipient=worker, kind="discovery_assigned", object_id=str(report.pk)).exists()
    # On the worker's list, and the same lifecycle: the worker closes it with an outcome.
    assert report.pk in {w.pk for w in selectors.warnings_for_user(user=worker)}
    assert report.pk in {w.pk for w in selectors.warnings_for_user(user=users[Role.STREET_CASEWORKER])}
    warning_close(actor=worker, warning_id=report.pk, outcome="helped", note="转介街道临时救助，已上门")

    mine = client.get(reverse("monitoring:discovery_mine")).content.decode()
    assert f'data-testid="report-{report.pk}" data-status="closed"' in mine
    assert REPORT["address"] in mine and "转介街道" not in mine  # the outcome, not the worker's note


def test_a_volunteer_sees_only_their_own_reports(client, users, volunteer, regions, make_household):
    other = User.objects.create(username="t_volunteer2", role=Role.VOLUNTEER, region=regions["community"])
    theirs = discovery_report(actor=other, **{**REPORT, "address": "文三路9号"})
    by_worker = discovery_report(
        actor=users[Role.COMMUNITY_WORKER], tier="red", seen="低保户突发重病", household_id=make_household().pk
    )
    mine = discovery_report(actor=volunteer, **REPORT)
    assert list(selectors.discovery_reports_by(user=volunteer)) == [mine]
    client.force_login(volunteer)
    page = client.get(reverse("monitoring:discovery_mine")).content.decode()
    assert f"report-{mine.pk}" in page and f"report-{theirs.pk}" not in page and f"report-{by_worker.pk}" not in page
    assert "文三路9号" not in page and "低保户突发重病" not in page


def test_a_volunteer_reports_only_by_address_in_their_own_community(volunteer, make_household):
    household = make_household()
    with pytest.raises(PermissionDenied):  # never looks up a household in the registry
        discovery_report(actor=volunteer, tier="red", seen="x 需要帮助", household_id=household.pk)
    with pytest.raises(InvalidInput) as refused:
        discovery_report(actor=volunteer, **{**REPORT, "community": OUT_COMMUNITY})
    assert refused.value.field == "community"
    assert not Warning.objects.exists()


def test_a_volunteer_is_refused_every_other_page_and_sees_nothing_through_the_api(client, volunteer, make_household):
    household = make_household()
    report = discovery_report(actor=volunteer, **REPORT)
    client.force_login(volunteer)
    assert client.get(reverse("home"))["Location"] == reverse("monitoring:discovery_mine")
    forbidden = [
        reverse("registry:household_list"),
        reverse("registry:household_export"),
        reverse("monitoring:warning_list"),
        reverse("monitoring:warning_figures"),
        reverse("monitoring:dashboard"),
        reverse("monitoring:runs"),
        reverse("monitoring:warning_detail", args=[report.pk]),
        reverse("monitoring:warning_why", args=[report.pk]),
        reverse("monitoring:household_risk", args=[household.pk]),
        reverse("regions:browse_code", args=[IN_COMMUNITY[:9]]),
    ]
    for url in forbidden:
        assert client.get(url).status_code == 403, url
    assert client.get(reverse("registry:household_detail", args=[household.pk])).status_code in (403, 404)
    assert (
        client.post(reverse("monitoring:warning_close", args=[report.pk]), {"outcome": "not_needed"}).status_code == 403
    )
    assert client.get(reverse("monitoring:discovery_new"), {"q": "张"}).content.decode().count(household.number) == 0

    api = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=volunteer, name='phone')}")
    assert api.get("/api/households").json()["count"] == 0
    assert api.get(f"/api/households/{household.pk}").status_code == 404
    assert api.get("/api/warnings").json()["count"] == 0
    assert api.get(f"/api/warnings/{report.pk}").status_code == 404
    closing = api.post(f"/api/warnings/{report.pk}/close", {"outcome": "not_needed"}, "application/json")
    assert closing.status_code == 403
    posted = api.post("/api/warnings/discoveries", {**REPORT, "address": "文三路10号"}, "application/json")
    assert posted.status_code == 201 and posted.json()["region"] == IN_COMMUNITY


def test_a_volunteer_is_placed_on_a_community_only(regions):
    from django.core.exceptions import ValidationError

    from zhongfu.accounts.services import user_create

    with pytest.raises(ValidationError) as refused:
        user_create(username="v_street", password="pw-test-123", role=Role.VOLUNTEER, region_code=IN_COMMUNITY[:9])
    assert "region" in refused.value.message_dict
    made = user_create(username="v_comm", password="pw-test-123", role=Role.VOLUNTEER, region_code=IN_COMMUNITY)
    assert made.scope_prefix == IN_COMMUNITY


def test_the_demo_volunteer_logs_in(client):
    demo_users_ensure()
    user = User.objects.get(username="volunteer")
    assert user.role == Role.VOLUNTEER and len(user.scope_prefix) == 12
    assert client.login(username="volunteer", password=DEMO_PASSWORD)
    assert client.get(reverse("monitoring:discovery_mine")).status_code == 200
