"""The calendar page: every logged-in user reads it; only the city administrator changes days."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.workdays.models import CalendarDay, DayKind

pytestmark = pytest.mark.django_db
D = dt.date
URL = reverse("workdays:year")


def _cell(body: str, day: str) -> str:
    match = re.search(rf'<td[^>]*data-date="{day}"[^>]*>.*?</td>', body, re.S)
    assert match, day
    return match.group(0)


def test_a_worker_sees_the_year_in_chinese(client, users, shipped):
    client.force_login(users[Role.COMMUNITY_WORKER])
    response = client.get(URL, {"year": 2026})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="no-data"' not in body
    assert 'lang="zh-hans"' in body and "二月" in body and "星期一" in body  # month and weekday names
    # 12 month grids, Monday first, with the exceptions marked and named.
    assert body.count('data-testid="month-') == 12
    assert 'data-working="0"' in _cell(body, "2026-02-16") and "table-danger" in _cell(body, "2026-02-16")
    assert 'data-working="1"' in _cell(body, "2026-02-14") and "table-warning" in _cell(body, "2026-02-14")
    assert 'data-working="1"' in _cell(body, "2026-10-08")
    assert 'data-working="0"' in _cell(body, "2026-03-01")  # an ordinary Sunday
    # February 2026: 20 weekdays − 6 Spring Festival weekdays + 2 make-up Saturdays = 16.
    assert re.search(r'data-testid="working-days-2">[^<\d]*16[^<\d]*<', body)
    assert re.search(r'data-testid="working-days-3">[^<\d]*22[^<\d]*<', body)
    for name in ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"):
        assert name in body
    # The list of exceptions; no forms for a worker.
    assert body.count("<tr data-date=") == 39
    assert 'id="day-form"' not in body and reverse("workdays:day_remove") not in body
    # The calculator, filled in with today and the 30-day limit.
    assert 'data-testid="calculator"' in body and 'value="30"' in body


def test_a_year_without_data_says_weekends_only(client, users, shipped):
    client.force_login(users[Role.UNIT_STAFF])
    body = client.get(URL, {"year": 2027}).content.decode()
    assert 'data-testid="no-data"' in body
    assert re.search(r'data-testid="working-days-2">[^<\d]*20[^<\d]*<', body)  # February 2027: 20 weekdays


def test_the_page_in_english(client, users, shipped):
    client.force_login(users[Role.COMMUNITY_WORKER])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = client.get(URL, {"year": 2027}).content.decode()
    assert "Working-day calendar 2027" in body and "No holidays entered for 2027: weekends only." in body


def test_the_page_needs_a_login_and_a_sensible_year(client, users):
    assert client.get(URL).status_code == 302
    client.force_login(users[Role.CHARITY_STAFF])  # no registry rights, still reads the calendar
    assert client.get(URL).status_code == 200
    for year in ("1999", "2101", "abc"):
        assert client.get(URL, {"year": year}).status_code == 404


def test_the_calculator(client, users, shipped):
    client.force_login(users[Role.STREET_CASEWORKER])
    body = client.get(URL, {"year": 2026, "start": "2026-02-10", "days": 30}).content.decode()
    assert re.search(r'data-testid="limit-result">.*2026-03-30', body)
    # HTMX asks for the calculator alone.
    part = client.get(
        reverse("workdays:limit"), {"start": "2026-12-01", "days": 45, "year": 2026}, HTTP_HX_REQUEST="true"
    )
    text = part.content.decode()
    assert part.status_code == 200 and "<html" not in text
    assert "2027-02-02" in text and 'data-testid="limit-warning"' in text and "2027" in text
    # Bad input: the error next to the field.
    text = client.get(reverse("workdays:limit"), {"start": "2026-02-30", "days": -1}).content.decode()
    assert 'data-testid="limit-error-start"' in text and 'data-testid="limit-error-days"' in text
    assert 'data-testid="limit-result"' not in text
    text = client.get(reverse("workdays:limit"), {"start": "1999-12-31", "days": 3}).content.decode()
    assert 'data-testid="limit-error-start"' in text


def test_the_administrator_sees_the_forms_and_sets_a_day(client, users, shipped):
    admin = users[Role.CITY_ADMIN]
    client.force_login(admin)
    body = client.get(URL, {"year": 2026, "day": "2026-02-14"}).content.decode()
    assert 'id="day-form"' in body and body.count(reverse("workdays:day_remove")) == 39
    # The clicked day, filled in; a date input takes only ISO dates, whatever the language.
    assert '<input type="date" name="date" value="2026-02-14"' in body and 'value="春节"' in body
    assert re.search(r'<input type="date" name="start" value="\d{4}-\d\d-\d\d"', body)
    response = client.post(
        reverse("workdays:day_set"),
        {
            "date": "2027-02-08",
            "kind": "holiday",
            "name": "春节",
            "source": "",
            "reason": "2027年安排已公布",
            "year": 2026,
        },
    )
    assert response.status_code == 302 and response["Location"] == f"{URL}?year=2027"
    day = CalendarDay.objects.get(date=D(2027, 2, 8))
    assert (day.kind, day.changed_by) == ("holiday", admin)
    body = client.get(response["Location"]).content.decode()
    assert 'data-working="0"' in _cell(body, "2027-02-08") and "2027年安排已公布" in body


def test_a_refused_day_shows_the_error_next_to_the_field(client, users, shipped):
    client.force_login(users[Role.CITY_ADMIN])
    response = client.post(
        reverse("workdays:day_set"),
        {"date": "2026-03-06", "kind": "workday", "name": "调休", "reason": "测试", "year": 2026},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'data-testid="error-kind">[^<]*2026-03-06', body)
    assert not CalendarDay.objects.filter(date=D(2026, 3, 6)).exists()
    body = client.post(reverse("workdays:day_set"), {"date": "", "kind": "holiday", "year": 2026}).content.decode()
    for field in ("date", "name", "reason"):
        assert f'data-testid="error-{field}"' in body


def test_the_administrator_removes_a_day(client, users, shipped):
    client.force_login(users[Role.CITY_ADMIN])
    url = reverse("workdays:day_remove")
    body = client.post(url, {"date": "2026-02-16", "reason": "", "year": 2026}).content.decode()
    assert 'data-testid="error-remove-reason"' in body
    assert CalendarDay.objects.get(date=D(2026, 2, 16)).kind == DayKind.HOLIDAY
    response = client.post(url, {"date": "2026-02-16", "reason": "本市调整", "year": 2026})
    assert response.status_code == 302
    assert CalendarDay.objects.get(date=D(2026, 2, 16)).kind == DayKind.USUAL
    body = client.get(response["Location"]).content.decode()
    assert 'data-working="1"' in _cell(body, "2026-02-16") and 'data-testid="removed"' in body
    # A day not on the calendar: the error above the list.
    body = client.post(url, {"date": "2026-03-03", "reason": "本市调整", "year": 2026}).content.decode()
    assert 'data-testid="remove-error"' in body and "2026-03-03" in body


@pytest.mark.parametrize("role", [Role.COMMUNITY_WORKER, Role.DISTRICT_CASEWORKER, Role.AUDITOR])
def test_a_worker_may_not_post(client, users, shipped, role):
    client.force_login(users[role])
    before = AuditEntry.objects.count()
    data = {"date": "2027-02-08", "kind": "holiday", "name": "春节", "reason": "试图修改", "year": 2027}
    assert client.post(reverse("workdays:day_set"), data).status_code == 403
    data = {"date": "2026-02-16", "reason": "试图修改", "year": 2026}
    assert client.post(reverse("workdays:day_remove"), data).status_code == 403
    assert not CalendarDay.objects.filter(date=D(2027, 2, 8)).exists()
    assert CalendarDay.objects.get(date=D(2026, 2, 16)).kind == DayKind.HOLIDAY
    assert AuditEntry.objects.count() == before
    assert client.get(reverse("workdays:day_set")).status_code == 405
