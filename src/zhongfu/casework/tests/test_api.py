"""The case API: lists, detail, steps with optimistic locking (409), scope (404), readable zh/en errors."""

import datetime as dt

import pytest
from django.utils import timezone

from conftest import OUT_COMMUNITY, member
from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.casework import services
from zhongfu.casework.models import Case, CaseEvent

pytestmark = pytest.mark.django_db

SCOPED = [Role.DISTRICT_CASEWORKER, Role.STREET_CASEWORKER, Role.COMMUNITY_WORKER, Role.UNIT_STAFF, Role.AUDITOR]


def step(client, case, lang="en", **body):
    body.setdefault("expected_version", Case.objects.get(pk=case.pk).version)
    return client.post(f"/api/cases/{case.pk}/steps", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=lang)


def test_list_detail_and_application_cases(dibao, users, client):
    client.force_login(users[Role.STREET_CASEWORKER])
    body = client.get("/api/cases?due=open").json()
    assert dibao.number in [c["number"] for c in body["items"]] and body["count"] == len(body["items"])
    assert client.get("/api/cases?due=today").json()["count"] == 0
    assert client.get("/api/cases?due=soon").status_code == 422
    detail = client.get(f"/api/cases/{dibao.pk}").json()
    assert detail["policy_code"] == "dibao" and detail["version"] == 1 and detail["steps"][0] == "acceptance"
    assert detail["amount_fen"] == dibao.line.determination.amount_fen
    assert detail["events"][0]["action"] == "open" and detail["explanation"]
    assert "王建国" not in str(detail)
    cases = client.get(f"/api/applications/{dibao.application_id}/cases").json()
    assert {c["policy_code"] for c in cases} == set(dibao.application.policies.values_list("policy_code", flat=True))


def test_steps_through_the_api_to_a_refusal(dibao, users, client, monkeypatch):
    street, community, district = (
        users[Role.STREET_CASEWORKER],
        users[Role.COMMUNITY_WORKER],
        users[Role.DISTRICT_CASEWORKER],
    )
    client.force_login(street)
    assert step(client, dibao, action="accept").status_code == 200
    response = step(client, dibao, action="financial_check", department={"monthly_income": 150000, "vehicles": 1})
    assert response.status_code == 200 and response.json()["step"] == "home_survey"
    diff = CaseEvent.objects.get(case=dibao, action="financial_check").data["differences"]
    assert {d["item"] for d in diff} == {"monthly_income", "vehicles"}
    client.force_login(community)
    assert step(client, dibao, action="home_survey", living_conditions="有一辆轿车停在楼下").status_code == 200
    assert step(client, dibao, action="review", outcome="disagreed", minutes="多数不同意").status_code == 200
    notice = step(client, dibao, action="publish_notice").json()
    monkeypatch.setattr(
        timezone, "localdate", lambda *a, **k: dt.date.fromisoformat(notice["notice_ends_on"]) + dt.timedelta(days=1)
    )
    client.force_login(district)
    response = step(client, dibao, action="decide", decision="refuse")
    assert response.status_code == 422 and response.json()["field"] == "reasons"
    assert "reasons" in response.json()["detail"]
    response = step(client, dibao, "zh-hans", action="decide", decision="refuse")
    assert response.status_code == 422 and response.json()["detail"] != ""
    response = step(client, dibao, action="decide", decision="refuse", reasons="家庭有非生产性机动车辆，不符合财产条件")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "refused" and body["refusal_reasons"]
    assert AuditEntry.objects.filter(object_type="case", object_id=str(dibao.pk), action="reject").exists()


def test_conflict_is_409_and_nothing_is_saved(dibao, users, client):
    client.force_login(users[Role.STREET_CASEWORKER])
    services.case_accept(actor=users[Role.COMMUNITY_WORKER], case=dibao, expected_version=1)
    counts = (CaseEvent.objects.count(), AuditEntry.objects.count())
    response = step(client, dibao, action="withdraw", reason="撤回", expected_version=1)
    assert response.status_code == 409
    body = response.json()
    assert body["field"] == "expected_version" and str(users[Role.COMMUNITY_WORKER]) in body["detail"]
    assert "nothing was saved" in body["detail"]
    assert (CaseEvent.objects.count(), AuditEntry.objects.count()) == counts


def test_bad_bodies_are_422_with_the_field(dibao, users, client):
    client.force_login(users[Role.STREET_CASEWORKER])
    for body, field in [
        ({"action": "teleport"}, "action"),
        ({"action": "accept", "expected_version": -1}, "expected_version"),
        ({"action": "accept", "colour": "red"}, "colour"),
        ({"action": "financial_check", "department": {"vehicles": -1}}, "department.vehicles"),
    ]:
        body.setdefault("expected_version", 1)
        response = client.post(f"/api/cases/{dibao.pk}/steps", body, content_type="application/json")
        assert response.status_code == 422 and response.json()["field"] == field, (body, response.content)
    # An action at the wrong step: readable, in the request's language.
    response = step(client, dibao, action="publish_notice")
    assert response.status_code == 422 and "step" in response.json()["detail"]
    assert Case.objects.get(pk=dibao.pk).version == 1


def test_separation_of_duties_is_403(dibao, users, client, monkeypatch):
    services.case_accept(actor=users[Role.STREET_CASEWORKER], case=dibao, expected_version=1)
    client.force_login(users[Role.AUDITOR])
    assert step(client, dibao, action="financial_check").status_code == 403
    client.force_login(users[Role.STREET_CASEWORKER])
    assert step(client, dibao, action="financial_check", department={}).status_code == 200
    assert step(client, dibao, action="home_survey", living_conditions="一般").status_code == 200
    assert step(client, dibao, action="review", outcome="agreed", minutes="同意").status_code == 200
    ends = dt.date.fromisoformat(step(client, dibao, action="publish_notice").json()["notice_ends_on"])
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: ends + dt.timedelta(days=1))
    # A street caseworker does not decide a district-level policy.
    response = step(client, dibao, action="decide", decision="approve")
    assert response.status_code == 403


@pytest.mark.parametrize("role", SCOPED)
def test_out_of_scope_is_404_on_every_case_path(make_household, users, client, role):
    other = make_household(community=OUT_COMMUNITY, members=[member("head", name="欧阳", incomes={"wage": 10000})])
    application = services.application_submit_all_eligible(actor=users[Role.CITY_ADMIN], household=other)
    case = application.cases.first()
    client.force_login(users[role])
    audit = AuditEntry.objects.count()
    for method, url, body in [
        ("get", f"/api/cases/{case.pk}", None),
        ("post", f"/api/cases/{case.pk}/steps", {"action": "accept", "expected_version": 1}),
        ("get", f"/api/applications/{application.pk}/cases", None),
    ]:
        response = getattr(client, method)(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 404, (role, url, response.content)
        assert response.json() == {"detail": "Record not found.", "field": None}
    for due in ("today", "overdue", "week", "open"):
        assert case.number not in client.get(f"/api/cases?due={due}").content.decode()
    assert AuditEntry.objects.count() == audit and Case.objects.get(pk=case.pk).version == 1


def test_unauthenticated_is_401(dibao, client):
    assert client.get("/api/cases").status_code == 401
    assert client.get(f"/api/cases/{dibao.pk}").status_code == 401
