"""Appeals on the case page and through the API: a worker records an appeal, another decider reopens the case
(the one who decided cannot), stale versions answer 409, and refused cases and waiting appeals are findable in
the worker's list (page and API)."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from zhongfu.accounts.roles import Role
from zhongfu.casework import services
from zhongfu.casework.models import Appeal, Case, CaseStatus, Step

from .test_workflow_services import act, to_decision

pytestmark = pytest.mark.django_db

GROUNDS = "该车辆为残疾人代步车，属于规定允许的车辆"
REASONS = "经复核，车辆性质需重新入户核实"


@pytest.fixture
def refused(dibao, users, monkeypatch):
    """The 低保 case refused by the district caseworker; the pages run on the day after the notice ended."""
    case = to_decision(dibao, users)
    today = case.notice_ends_on + dt.timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: today)
    case = act(
        services.case_decide, case, users[Role.DISTRICT_CASEWORKER], approve=False, reasons="家庭人均收入高于低保标准"
    )
    return act(services.case_record_notification, case, users[Role.STREET_CASEWORKER], method="书面告知理由")


def post(client, case, action, **data):
    data.setdefault("expected_version", Case.objects.get(pk=case.pk).version)
    return client.post(reverse("casework:case_act", args=[case.pk, action]), data)


def page_of(client, case) -> str:
    return client.get(reverse("casework:case_detail", args=[case.pk])).content.decode()


def test_a_worker_records_an_appeal_and_another_decider_reopens_the_case(refused, users, client):
    community, district, admin = (
        users[Role.COMMUNITY_WORKER],
        users[Role.DISTRICT_CASEWORKER],
        users[Role.CITY_ADMIN],
    )
    client.force_login(community)
    page = page_of(client, refused)
    assert 'data-testid="appeal-window"' in page and 'data-testid="form-appeal_lodge"' in page
    assert 'data-testid="form-reopen"' not in page  # a community worker does not decide
    response = post(client, refused, "appeal_lodge", grounds="不服")
    assert response.status_code == 400 and not Appeal.objects.exists()
    response = post(client, refused, "appeal_lodge", grounds=GROUNDS, lodged_on=timezone.localdate().isoformat())
    assert response.status_code == 302
    appeal = Appeal.objects.get(case=refused)
    assert (appeal.lodged_by, appeal.channel, appeal.outcome) == (community, "worker", "pending")
    page = page_of(client, refused)
    assert f'data-testid="appeal-{appeal.pk}"' in page and GROUNDS in page
    assert 'data-testid="form-appeal_lodge"' not in page

    # The district caseworker refused the case: no appeal form for them, and a forged post is refused.
    client.force_login(district)
    assert 'data-testid="form-appeal_decide"' not in page_of(client, refused)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # pages are Chinese unless the user chose English
    response = post(client, refused, "appeal_decide", outcome="upheld", reasons=REASONS)
    assert response.status_code == 400 and "appealed against" in response.content.decode()
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert Appeal.objects.get(pk=appeal.pk).outcome == "pending"

    client.force_login(admin)
    page = page_of(client, refused)
    assert 'data-testid="form-appeal_decide"' in page and 'value="home_survey"' in page
    assert 'value="acceptance"' not in page
    stale = Case.objects.get(pk=refused.pk).version - 1
    response = post(client, refused, "appeal_decide", outcome="reopened", reasons=REASONS, reopen_to="home_survey",
                    expected_version=stale)  # fmt: skip
    assert response.status_code == 409 and REASONS in response.content.decode()
    response = post(client, refused, "appeal_decide", outcome="reopened", reasons=REASONS, reopen_to="home_survey")
    assert response.status_code == 302
    case = Case.objects.get(pk=refused.pk)
    assert (case.status, case.step) == (CaseStatus.OPEN, Step.HOME_SURVEY)
    page = page_of(client, case)
    assert 'data-testid="event-reopen"' in page and 'data-testid="form-appeal_lodge"' not in page


def test_refused_cases_and_waiting_appeals_are_listed(refused, users, client):
    client.force_login(users[Role.STREET_CASEWORKER])
    row = f'data-testid="case-{refused.number}"'
    assert row not in client.get("/casework/cases/?due=open").content.decode()
    page = client.get("/casework/cases/?status=refused").content.decode()
    assert row in page and 'data-testid="tab-refused"' in page
    assert row not in client.get("/casework/cases/?status=withdrawn").content.decode()
    assert row not in client.get("/casework/cases/?appeal=pending").content.decode()
    act(services.case_appeal_lodge, refused, None, grounds=GROUNDS)
    assert row in client.get("/casework/cases/?appeal=pending").content.decode()
    # An unknown filter falls back to today's list.
    assert client.get("/casework/cases/?status=lost").status_code == 200


def step(client, case, **body):
    body.setdefault("expected_version", Case.objects.get(pk=case.pk).version)
    return client.post(f"/api/cases/{case.pk}/steps", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")


def test_appeal_through_the_api(refused, users, client):
    client.force_login(users[Role.STREET_CASEWORKER])
    assert [c["number"] for c in client.get("/api/cases?status=refused").json()["items"]] == [refused.number]
    assert client.get("/api/cases?appeal=pending").json()["count"] == 0
    assert client.get("/api/cases?status=lost").status_code == 422
    response = step(client, refused, action="appeal_lodge", grounds=GROUNDS)
    assert response.status_code == 200 and response.json()["status"] == "refused"
    detail = client.get(f"/api/cases/{refused.pk}").json()
    assert detail["appeals"][0]["outcome"] == "pending" and detail["appeals"][0]["channel"] == "worker"
    assert detail["appeal_ends_on"] == (timezone.localdate() + dt.timedelta(days=60)).isoformat()
    assert client.get("/api/cases?appeal=pending").json()["items"][0]["number"] == refused.number

    client.force_login(users[Role.DISTRICT_CASEWORKER])
    response = step(client, refused, action="appeal_decide", outcome="upheld", reasons=REASONS)
    assert response.status_code == 403 and "appealed against" in response.json()["detail"]
    client.force_login(users[Role.CITY_ADMIN])
    assert (
        step(
            client, refused, action="appeal_decide", outcome="reopened", reasons=REASONS, reopen_to="closed"
        ).status_code
        == 422
    )
    response = step(client, refused, action="appeal_decide", outcome="reopened", reasons=REASONS)
    assert response.status_code == 422 and response.json()["field"] == "reopen_to"
    response = step(client, refused, action="appeal_decide", outcome="reopened", reasons=REASONS, reopen_to="decision")
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["step"]) == ("open", "decision")
    assert response.json()["decided_on"] is None
    response = step(client, refused, action="appeal_lodge", grounds=GROUNDS, expected_version=1)
    assert response.status_code == 409 and response.json()["field"] == "expected_version"
