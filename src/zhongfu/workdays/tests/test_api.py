"""The calendar's API: reading a year, counting a limit, and the city administrator's changes, with
errors that name the field in the request's language."""

import datetime as dt
import json
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import translation

from zhongfu.accounts.roles import Role
from zhongfu.accounts.services import api_token_create
from zhongfu.audit.models import AuditEntry
from zhongfu.workdays.models import CalendarDay, DayKind
from zhongfu.workdays.tests.api_paths import OTHER_PATHS

pytestmark = pytest.mark.django_db
D = dt.date


def _client(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, name='test')}")


def _put(client, date, body, **headers):
    return client.put(f"/api/workdays/days/{date}", json.dumps(body), content_type="application/json", headers=headers)


def _zh(msgid: str, **params) -> str:
    with translation.override("zh-hans"):
        text = translation.gettext(msgid)
    return text % params if params else text


@pytest.fixture
def admin_api(users):
    return _client(users[Role.CITY_ADMIN])


@pytest.fixture
def worker_api(users):
    return _client(users[Role.COMMUNITY_WORKER])


def test_the_declared_paths_are_the_routers_paths():
    from zhongfu.api import api

    schema = api.get_openapi_schema()
    mine = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops if p.startswith("/api/workdays")}
    assert mine == OTHER_PATHS


def test_a_year(worker_api, shipped):
    response = worker_api.get("/api/workdays/2026")
    assert response.status_code == 200
    data = response.json()
    assert (data["year"], data["has_data"], data["working_days"], len(data["days"])) == (2026, True, 248, 39)
    first = data["days"][0]
    assert first == {
        "date": "2026-01-01",
        "kind": "holiday",
        "name": "元旦",
        "source": "国务院办公厅关于2026年部分节假日安排的通知（2025年11月4日）",
        "note": "",
        "changed_by": None,
        "changed_at": first["changed_at"],
    }
    assert {d["date"] for d in data["days"] if d["kind"] == "workday"} == {
        "2026-01-04",
        "2026-02-14",
        "2026-02-28",
        "2026-05-09",
        "2026-09-20",
        "2026-10-10",
    }
    empty = worker_api.get("/api/workdays/2027").json()
    assert (empty["has_data"], empty["working_days"], empty["days"]) == (False, 261, [])


def test_a_limit(worker_api, shipped):
    response = worker_api.get("/api/workdays/limit", {"start": "2026-02-10", "days": 30})
    assert response.status_code == 200
    assert response.json() == {"start": "2026-02-10", "days": 30, "end": "2026-03-30", "years_without_data": []}
    data = worker_api.get("/api/workdays/limit", {"start": "2026-12-01", "days": 45}).json()
    assert data["end"] == "2027-02-02" and data["years_without_data"] == [2027]


def test_reading_needs_a_token(shipped):
    assert Client().get("/api/workdays/2026").status_code == 401
    assert Client().get("/api/workdays/limit", {"start": "2026-02-10", "days": 3}).status_code == 401


RANGE = {"first": "2000-01-01", "last": "2100-12-31"}


@pytest.mark.parametrize(
    "url, params, field, msgid, values",
    [
        (
            "/api/workdays/1999",
            {},
            "year",
            "Ensure this value is greater than or equal to %(limit_value)s.",
            {"limit_value": 2000},
        ),
        (
            "/api/workdays/2101",
            {},
            "year",
            "Ensure this value is less than or equal to %(limit_value)s.",
            {"limit_value": 2100},
        ),
        ("/api/workdays/limit", {"start": "2026-02-30", "days": 3}, "start", "Enter a valid date.", {}),
        (
            "/api/workdays/limit",
            {"start": "2026-02-10", "days": -1},
            "days",
            "Ensure this value is greater than or equal to %(limit_value)s.",
            {"limit_value": 0},
        ),
        (
            "/api/workdays/limit",
            {"start": "2026-02-10", "days": 1001},
            "days",
            "Ensure this value is less than or equal to %(limit_value)s.",
            {"limit_value": 1000},
        ),
        ("/api/workdays/limit", {"start": "2026-02-10"}, "days", "This field is required.", {}),
        (
            "/api/workdays/limit",
            {"start": "1999-12-31", "days": 3},
            "start",
            "Enter a date between %(first)s and %(last)s.",
            RANGE,
        ),
    ],
)
def test_bad_reads_are_422_naming_the_field_in_both_languages(worker_api, url, params, field, msgid, values):
    en = worker_api.get(url, params, headers={"accept-language": "en"})
    assert en.status_code == 422
    assert (en.json()["field"], en.json()["detail"]) == (field, msgid % values)
    zh = worker_api.get(url, params)
    assert (zh.status_code, zh.json()["field"], zh.json()["detail"]) == (422, field, _zh(msgid, **values))


def test_the_administrator_sets_and_removes_a_day(admin_api, users, shipped):
    body = {
        "kind": "holiday",
        "name": "春节",
        "source": "国务院办公厅关于2027年部分节假日安排的通知",
        "reason": "已公布",
    }
    response = _put(admin_api, "2027-02-08", body)
    assert response.status_code == 200
    data = response.json()
    assert (data["date"], data["kind"], data["name"], data["changed_by"], data["note"]) == (
        "2027-02-08",
        "holiday",
        "春节",
        users[Role.CITY_ADMIN].username,
        "已公布",
    )
    assert admin_api.get("/api/workdays/limit", {"start": "2027-02-05", "days": 1}).json()["end"] == "2027-02-09"
    assert admin_api.get("/api/workdays/2027").json()["has_data"] is True

    response = admin_api.delete("/api/workdays/days/2027-02-08?" + urlencode({"reason": "撤回"}))
    assert response.status_code == 200 and response.json()["kind"] == "usual"
    assert admin_api.get("/api/workdays/limit", {"start": "2027-02-05", "days": 1}).json()["end"] == "2027-02-08"
    actions = list(AuditEntry.objects.filter(object_id="2027-02-08").values_list("action", flat=True))
    assert actions == ["create", "delete"]


def test_a_worker_is_refused_403_in_both_languages(worker_api, shipped):
    body = {"kind": "holiday", "name": "春节", "reason": "试图修改"}
    before = AuditEntry.objects.count()
    en = _put(worker_api, "2027-02-08", body, accept_language="en")
    assert en.status_code == 403
    assert en.json() == {"detail": "Only the city administrator may change the working-day calendar.", "field": None}
    zh = _put(worker_api, "2027-02-08", body)
    assert zh.status_code == 403
    assert zh.json()["detail"] == _zh("Only the city administrator may change the working-day calendar.")
    response = worker_api.delete("/api/workdays/days/2026-02-16?" + urlencode({"reason": "试图修改"}))
    assert response.status_code == 403
    assert CalendarDay.objects.get(date=D(2026, 2, 16)).kind == DayKind.HOLIDAY
    assert not CalendarDay.objects.filter(date=D(2027, 2, 8)).exists()
    assert AuditEntry.objects.count() == before


def test_removing_a_day_not_on_the_calendar_is_404(admin_api, shipped):
    en = admin_api.delete(
        "/api/workdays/days/2026-03-03?" + urlencode({"reason": "本市调整"}), headers={"accept-language": "en"}
    )
    assert en.status_code == 404
    assert en.json() == {
        "detail": "2026-03-03 is not a public holiday or a make-up working day on the calendar.",
        "field": "date",
    }
    zh = admin_api.delete("/api/workdays/days/2026-03-03?" + urlencode({"reason": "本市调整"}))
    assert zh.status_code == 404
    msgid = "%(date)s is not a public holiday or a make-up working day on the calendar."
    assert zh.json()["detail"] == _zh(msgid, date="2026-03-03")


def test_a_make_up_day_on_a_weekday_is_422_naming_the_kind(admin_api, shipped):
    body = {"kind": "workday", "name": "调休", "reason": "测试"}
    en = _put(admin_api, "2026-03-06", body, accept_language="en")
    assert en.status_code == 422 and en.json()["field"] == "kind"
    msgid = "A make-up working day must fall on a Saturday or Sunday: %(date)s is a weekday, already a working day."
    assert en.json()["detail"] == msgid % {"date": "2026-03-06"}
    zh = _put(admin_api, "2026-03-06", body)
    assert zh.json()["detail"] == _zh(msgid, date="2026-03-06")
    assert not CalendarDay.objects.filter(date=D(2026, 3, 6)).exists()


@pytest.mark.parametrize(
    "date, body, params, field",
    [
        ("2026-02-30", {"kind": "holiday", "name": "春节", "reason": "测试"}, "", "date"),
        ("1999-02-01", {"kind": "holiday", "name": "春节", "reason": "测试"}, "", "date"),
        ("2027-02-08", {"kind": "usual", "name": "春节", "reason": "测试"}, "", "kind"),
        ("2027-02-08", {"kind": "holiday", "name": "", "reason": "测试"}, "", "name"),
        ("2027-02-08", {"kind": "holiday", "name": "春节", "reason": "x"}, "", "reason"),
        ("2027-02-08", {"kind": "holiday", "name": "春节"}, "", "reason"),
        ("2027-02-08", {"kind": "holiday", "name": "春节", "reason": "测试", "colour": "red"}, "", "colour"),
    ],
)
def test_bad_writes_are_422_naming_the_field(admin_api, date, body, params, field):
    response = _put(admin_api, date, body, accept_language="en")
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field and response.json()["detail"]
    assert not CalendarDay.objects.exists()


def test_removing_needs_a_reason(admin_api, shipped):
    response = admin_api.delete("/api/workdays/days/2026-02-16", headers={"accept-language": "en"})
    assert response.status_code == 422
    assert response.json()["field"] == "reason" and response.json()["detail"] == "This field is required."
    zh = admin_api.delete("/api/workdays/days/2026-02-16")
    assert zh.json()["detail"] == _zh("This field is required.") != "This field is required."
