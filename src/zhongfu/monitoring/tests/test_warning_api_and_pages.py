"""Warnings and runs through the API and the pages: scope (out of scope is a 404), closing needs an outcome,
one run at a time (409), the run page polls while the worker runs, a grid worker closes a warning."""

import pytest
from django.urls import reverse

from zhongfu.accounts.roles import Role
from zhongfu.monitoring.models import MonitoringRun, Warning, WarningKind, WarningStatus

from .test_api_and_pages import api
from .test_warnings import city, run_monitoring  # noqa: F401 (the city fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def raised(city, users, run_tasks, django_capture_on_commit_callbacks):  # noqa: F811
    run_monitoring(users, run_tasks, django_capture_on_commit_callbacks)
    return city


def test_warnings_through_the_api(raised, users):
    client = api(users[Role.COMMUNITY_WORKER])
    body = client.get("/api/warnings?kind=at_risk").json()
    assert body["count"] == 1 and body["items"][0]["household_id"] == raised["risk"].pk
    item = body["items"][0]
    assert item["tier"] == "orange" and item["explanation"][0].startswith("out-of-pocket medical costs 40,000.00")
    assert client.get("/api/warnings?tier=purple").status_code == 422

    far = Warning.objects.get(household=raised["far"])
    assert client.get(f"/api/warnings/{far.pk}").status_code == 404
    assert (
        client.post(f"/api/warnings/{far.pk}/close", {"outcome": "not_needed"}, "application/json").status_code == 404
    )
    assert api(users[Role.CITY_ADMIN]).get(f"/api/warnings/{far.pk}").status_code == 200

    warning = Warning.objects.get(household=raised["eligible"], policy_code="dibao")
    url = f"/api/warnings/{warning.pk}/close"
    assert client.post(url, {}, "application/json").status_code == 422  # no outcome
    r = client.post(url, {"outcome": "helped"}, "application/json")
    assert r.status_code == 422 and r.json()["field"] == "note"
    r = client.post(url, {"outcome": "helped", "note": "转介区残联"}, "application/json")
    assert r.status_code == 200 and r.json()["status"] == "closed" and r.json()["outcome"] == "helped"
    assert client.post(url, {"outcome": "not_needed"}, "application/json").status_code == 422  # already closed
    auditor = api(users[Role.AUDITOR])
    other = Warning.objects.filter(household=raised["risk"]).get()
    assert (
        auditor.post(f"/api/warnings/{other.pk}/close", {"outcome": "not_needed"}, "application/json").status_code
        == 403
    )


def test_runs_through_the_api(users):
    admin = api(users[Role.CITY_ADMIN])
    r = admin.post("/api/monitoring/runs")
    assert r.status_code == 202 and r.json()["status"] == "queued"
    run_id = r.json()["id"]
    again = admin.post("/api/monitoring/runs")
    assert again.status_code == 409 and f"#{run_id}" in again.json()["detail"]
    assert admin.get(f"/api/monitoring/runs/{run_id}").json()["progress"] == 0
    assert admin.get("/api/monitoring/runs/999999").status_code == 404
    worker = api(users[Role.STREET_CASEWORKER])
    assert worker.get(f"/api/monitoring/runs/{run_id}").status_code == 403
    assert worker.post("/api/monitoring/runs").status_code == 403


def test_run_page_starts_and_polls(users, client, run_tasks, django_capture_on_commit_callbacks, family):
    from zhongfu.monitoring.services import risk_model_sync

    risk_model_sync()
    family(1)
    client.force_login(users[Role.CITY_ADMIN])
    assert client.get(reverse("monitoring:runs")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("monitoring:run_start"))
    run = MonitoringRun.objects.get()
    assert response["Location"] == reverse("monitoring:run_detail", args=[run.pk])
    page = client.get(reverse("monitoring:run_detail", args=[run.pk])).content.decode()
    assert 'data-status="queued"' in page and "hx-get" in page
    response = client.post(reverse("monitoring:run_start"), follow=True)  # one at a time: a message, no run
    assert MonitoringRun.objects.count() == 1 and f"#{run.pk}" in response.content.decode()
    run_tasks()
    page = client.get(reverse("monitoring:run_detail", args=[run.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="done"' in page and "hx-get" not in page and 'data-testid="summary-at_risk"' in page

    client.force_login(users[Role.STREET_CASEWORKER])
    assert client.get(reverse("monitoring:runs")).status_code == 403
    assert client.post(reverse("monitoring:run_start")).status_code == 403


def test_a_grid_worker_opens_and_closes_a_warning(raised, users, client):
    client.force_login(users[Role.COMMUNITY_WORKER])
    page = client.get(reverse("monitoring:warning_list")).content.decode()
    risk = Warning.objects.get(household=raised["risk"])
    far = Warning.objects.get(household=raised["far"])
    assert f'data-testid="warning-{risk.pk}"' in page and f'data-testid="warning-{far.pk}"' not in page
    page = client.get(reverse("monitoring:warning_list") + "?kind=no_longer_qualifying").content.decode()
    assert f'data-testid="warning-{risk.pk}"' not in page and 'data-kind="no_longer_qualifying"' in page
    assert client.get(reverse("monitoring:warning_detail", args=[far.pk])).status_code == 404

    detail = client.get(reverse("monitoring:warning_detail", args=[risk.pk])).content.decode()
    assert "医保自付 40,000.00 元（近 12 个月）：+30" in detail and 'data-testid="close-form"' in detail
    client.post(reverse("monitoring:warning_assign", args=[risk.pk]))
    risk.refresh_from_db()
    assert risk.status == WarningStatus.VISITING and risk.assignee == users[Role.COMMUNITY_WORKER]

    close = reverse("monitoring:warning_close", args=[risk.pk])
    response = client.post(close, {"outcome": "data_wrong"})
    assert response.status_code == 422 and 'data-testid="error-note"' in response.content.decode()
    response = client.post(
        close, {"outcome": "data_wrong", "note": "自付金额重复登记", "feedback_feed": "medical_insurance"}
    )
    assert response.status_code == 302
    risk.refresh_from_db()
    assert risk.status == WarningStatus.CLOSED and risk.feedback_feed == "medical_insurance"

    figures = client.get(reverse("monitoring:warning_figures")).content.decode()
    assert 'data-testid="figures-330106"' in figures and 'data-testid="figures-330109"' not in figures
    assert Warning.objects.filter(kind=WarningKind.AT_RISK).count() == 2
