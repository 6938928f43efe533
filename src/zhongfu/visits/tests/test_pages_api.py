"""The visits pages and API: masked names, scope (404 outside), permissions (403 for viewers), the
visit form's round trip, the rates page, errors readable in Chinese and English."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import IN_COMMUNITY, OUT_COMMUNITY
from zhongfu.accounts.roles import Role
from zhongfu.accounts.services import api_token_create
from zhongfu.audit.models import AuditEntry
from zhongfu.visits import services
from zhongfu.visits.models import Visit

pytestmark = pytest.mark.django_db

SCOPED = [r for r in Role.values if r != Role.CITY_ADMIN]
VIEWERS = [Role.COMMUNITY_WORKER, Role.STREET_CASEWORKER, Role.DISTRICT_CASEWORKER, Role.UNIT_STAFF, Role.AUDITOR]


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, name='test')}")


def post_json(client, url, data, **headers):
    return client.post(url, json.dumps(data), content_type="application/json", headers=headers)


@pytest.fixture
def two(classed):
    mine = classed("extreme_poverty", name="王秀英", start=days(-100))
    other = classed("extreme_poverty", name="赵钱孙", community=OUT_COMMUNITY, start=days(-100))
    return mine, other


# --- pages ----------------------------------------------------------------------------------------


def test_due_page_shows_masked_names_and_a_record_button(two, users, client):
    mine, other = two
    client.force_login(users[Role.COMMUNITY_WORKER])
    page = client.get(reverse("visits:due")).content.decode()
    assert f'data-household="{mine.pk}"' in page and mine.number in page
    assert "王**" in page and "王秀英" not in page
    assert other.number not in page and "赵" not in page
    assert reverse("visits:visit_new", args=[mine.pk]) in page
    assert 'name="viewport"' in page  # the layout is made for phones


@pytest.mark.parametrize("role", [Role.UNIT_STAFF, Role.AUDITOR])
def test_viewers_see_the_list_without_a_record_button_and_cannot_record(two, users, client, role):
    mine, _ = two
    client.force_login(users[role])
    page = client.get(reverse("visits:due")).content.decode()
    assert f'data-household="{mine.pk}"' in page and 'data-testid="record-visit"' not in page
    assert client.get(reverse("visits:household", args=[mine.pk])).status_code == 200
    url = reverse("visits:visit_new", args=[mine.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"visited_on": days(0), "outcome": "well", "kind": "home"}).status_code == 403
    assert not Visit.objects.exists()


def test_charity_staff_cannot_open_the_pages(two, users, client):
    client.force_login(users[Role.CHARITY_STAFF])
    assert client.get(reverse("visits:due")).status_code == 403
    assert client.get(reverse("visits:rates")).status_code == 403
    assert client.get(reverse("visits:household", args=[two[0].pk])).status_code == 404


@pytest.mark.parametrize("role", SCOPED)
def test_out_of_scope_household_pages_are_404(two, users, client, role):
    _, other = two
    client.force_login(users[role])
    for url in (reverse("visits:household", args=[other.pk]), reverse("visits:visit_new", args=[other.pk])):
        assert client.get(url).status_code == 404, (role, url)
    data = {"visited_on": days(0), "outcome": "well", "kind": "home"}
    assert client.post(reverse("visits:visit_new", args=[other.pk]), data).status_code == 404
    assert not Visit.objects.exists()


def test_visit_form_round_trip(two, users, client):
    mine, _ = two
    client.force_login(users[Role.COMMUNITY_WORKER])
    url = reverse("visits:visit_new", args=[mine.pk])
    form = client.get(url + "?back=overdue").content.decode()
    assert 'type="date"' in form and 'data-testid="outcome-not_home"' in form
    assert 'id="id_outcome_2"' in form and 'for="id_outcome_2"' in form  # each label checks its own radio
    # No outcome: the page says so next to the outcome, nothing is written.
    client.cookies["django_language"] = "en"
    page = client.post(url, {"visited_on": days(0).isoformat(), "kind": "home", "back": "overdue"}).content.decode()
    assert 'data-testid="outcome-error"' in page and "Choose the outcome of the visit." in page
    page = client.post(url, {"visited_on": days(1).isoformat(), "kind": "home", "outcome": "well"}).content.decode()
    assert "A visit cannot be dated in the future." in page
    assert not Visit.objects.exists()
    data = {"visited_on": days(0).isoformat(), "kind": "home", "outcome": "well", "needs": "", "back": "overdue"}
    response = client.post(url, data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("visits:due") + "?filter=overdue"
    page = response.content.decode()
    assert "alert-success" in page and mine.number in page  # the message names it…
    assert f'data-household="{mine.pk}"' not in page  # …and it has left the overdue list
    assert Visit.objects.get().visitor == users[Role.COMMUNITY_WORKER]


def test_household_visits_page_lists_visits_and_marks_not_home(two, users, client):
    mine, _ = two
    services.visit_record(users[Role.CITY_ADMIN], mine, visited_on=days(-2), outcome="not_home")
    client.force_login(users[Role.STREET_CASEWORKER])
    client.cookies["django_language"] = "en"
    page = client.get(reverse("visits:household", args=[mine.pk])).content.decode()
    assert page.count('data-testid="visit-row"') == 1 and "does not count as a visit done" in page
    assert "days overdue" in page


def test_rates_page_has_chart_and_tables_in_scope(two, users, client):
    mine, other = two
    services.visit_record(users[Role.CITY_ADMIN], mine, visited_on=days(0), outcome="well")
    client.force_login(users[Role.STREET_CASEWORKER])
    month = timezone.localdate().strftime("%Y-%m")
    page = client.get(reverse("visits:rates") + f"?month={month}").content.decode()
    assert 'id="visit-rate-chart"' in page and "vendor/echarts/echarts.min.js" in page and "visits/rates.js" in page
    assert f'data-code="{IN_COMMUNITY}"' in page and f'data-code="{OUT_COMMUNITY}"' not in page
    assert 'data-testid="total-rate">100.0%' in page
    bad = client.get(reverse("visits:rates") + "?month=2999-01").content.decode()
    assert 'data-testid="rates-error"' in bad


# --- API ------------------------------------------------------------------------------------------


def test_api_record_list_and_due(two, users):
    mine, _ = two
    client = api(users[Role.COMMUNITY_WORKER])
    due = client.get("/api/visits/due", {"filter": "overdue"}).json()
    assert due["count"] == 1 and due["items"][0]["household_id"] == mine.pk
    item = due["items"][0]
    assert item["head_name_masked"] == "王**" and item["interval_days"] == 30 and item["days_overdue"] == 70
    assert "王秀英" not in json.dumps(due, ensure_ascii=False)

    before = AuditEntry.objects.count()
    response = post_json(
        client, f"/api/households/{mine.pk}/visits", {"visited_on": days(0).isoformat(), "outcome": "not_home"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["outcome"], body["counts"], body["visitor"]) == ("not_home", False, "t_community_worker")
    assert AuditEntry.objects.count() == before + 1
    assert client.get("/api/visits/due", {"filter": "overdue"}).json()["count"] == 1  # not home: still overdue

    post_json(client, f"/api/households/{mine.pk}/visits", {"visited_on": days(0).isoformat(), "outcome": "well"})
    assert client.get("/api/visits/due", {"filter": "overdue"}).json()["count"] == 0
    assert client.get("/api/visits/due", {"filter": "soon"}).json()["count"] == 0  # due in 30 days
    assert client.get("/api/visits/due", {"filter": "all"}).json()["items"][0]["next_due"] == days(30).isoformat()
    listed = client.get(f"/api/households/{mine.pk}/visits").json()
    assert [v["outcome"] for v in listed] == ["well", "not_home"]


def test_api_rates(two, users):
    mine, _ = two
    services.visit_record(users[Role.CITY_ADMIN], mine, visited_on=days(0), outcome="well")
    month = timezone.localdate().strftime("%Y-%m")
    body = api(users[Role.COMMUNITY_WORKER]).get("/api/visits/rates", {"month": month}).json()
    assert body["total"] == {
        "code": "",
        "name": body["total"]["name"],
        "due": 1,
        "on_time": 1,
        "overdue": 0,
        "not_yet_due": 0,
        "rate": 100.0,
    }
    assert [c["code"] for c in body["communities"]] == [IN_COMMUNITY]
    city = api(users[Role.CITY_ADMIN]).get("/api/visits/rates", {"month": month}).json()
    assert city["total"]["due"] == 2 and city["total"]["overdue"] == 1


@pytest.mark.parametrize("role", SCOPED)
def test_api_scope(two, users, role):
    mine, other = two
    client = api(users[role])
    for filter in ("overdue", "all"):
        ids = {i["household_id"] for i in client.get("/api/visits/due", {"filter": filter}).json()["items"]}
        assert other.pk not in ids
    assert client.get(f"/api/households/{other.pk}/visits").status_code == 404
    response = post_json(client, f"/api/households/{other.pk}/visits", {"visited_on": "2025-06-01", "outcome": "well"})
    assert response.status_code == 404
    rates = client.get("/api/visits/rates").json()
    assert OUT_COMMUNITY not in [c["code"] for c in rates["communities"]]
    if role in (Role.UNIT_STAFF, Role.AUDITOR):
        response = post_json(
            client, f"/api/households/{mine.pk}/visits", {"visited_on": "2025-06-01", "outcome": "well"}
        )
        assert response.status_code == 403
    assert not Visit.objects.exists()


def test_api_errors_name_the_field_in_english_and_chinese(two, users):
    mine, _ = two
    client = api(users[Role.COMMUNITY_WORKER])
    url = f"/api/households/{mine.pk}/visits"
    cases = [
        ({"visited_on": days(0).isoformat()}, "outcome", "Choose the outcome of the visit."),
        (
            {"visited_on": days(1).isoformat(), "outcome": "well"},
            "visited_on",
            "A visit cannot be dated in the future.",
        ),
        ({"visited_on": "2024-12-31", "outcome": "well"}, "visited_on", "a visit cannot be dated earlier"),
    ]
    for data, field, text in cases:
        response = post_json(client, url, data, accept_language="en")
        assert response.status_code == 422 and response.json()["field"] == field, response.content
        assert text in response.json()["detail"]
    # Schema errors come in Chinese by default and in English on request.
    zh = post_json(client, url, {"outcome": "well"})
    assert zh.status_code == 422 and zh.json()["field"] == "visited_on" and zh.json()["detail"] == "此项为必填项。"
    en = post_json(client, url, {"outcome": "well"}, accept_language="en")
    assert en.json()["detail"] == "This field is required."
    bad = post_json(client, url, {"visited_on": "2025-06-01", "outcome": "fine"}, accept_language="en")
    assert bad.json()["field"] == "outcome" and "Select a valid choice" in bad.json()["detail"]
    zh404 = client.get("/api/households/999999999/visits")
    assert zh404.status_code == 404 and zh404.json()["detail"] == "记录不存在。"
    assert client.get("/api/visits/rates", {"month": "2026-1"}).status_code == 422
    assert client.get("/api/visits/due", {"filter": "late"}).json()["field"] == "filter"
    assert not Visit.objects.exists()


def test_due_page_pages_through_the_list(classed, users, client):
    for _ in range(27):
        classed("dibao", start=days(-200))
    client.force_login(users[Role.STREET_CASEWORKER])
    first = client.get(reverse("visits:due")).content.decode()
    second = client.get(reverse("visits:due") + "?filter=overdue&page=2").content.decode()
    assert first.count('data-testid="due-card"') == 25 and "1 / 2" in first
    assert second.count('data-testid="due-card"') == 2
