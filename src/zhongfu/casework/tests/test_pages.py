"""Case pages: the worker's lists, the case page and its step forms, conflicts that keep the input, scope,
the manager's overdue view and the public notice with its objection form."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from conftest import OUT_COMMUNITY, member
from zhongfu.accounts.roles import Role
from zhongfu.casework import services
from zhongfu.casework.models import Case, CaseAttachment, CaseEvent, Objection, Step

pytestmark = pytest.mark.django_db

SCOPED = [Role.DISTRICT_CASEWORKER, Role.STREET_CASEWORKER, Role.COMMUNITY_WORKER, Role.UNIT_STAFF, Role.AUDITOR]


def post(client, case, action, **data):
    case = Case.objects.get(pk=case.pk)
    data.setdefault("expected_version", case.version)
    return client.post(reverse("casework:case_act", args=[case.pk, action]), data)


def test_worker_list_tabs_and_rows(dibao, users, client, monkeypatch):
    client.force_login(users[Role.STREET_CASEWORKER])
    due = dibao.next_due_on
    page = client.get("/casework/cases/?due=open").content.decode()
    assert f'data-testid="case-{dibao.number}"' in page
    assert "王*" in page and "王建国" not in page
    assert "最低生活保障" in page or "dibao" in page
    assert due.strftime("%Y-%m-%d") in page
    assert f'data-testid="case-{dibao.number}"' not in client.get("/casework/cases/?due=today").content.decode()
    # On the due day it is due today; the day after, overdue with a badge.
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: due)
    assert f'data-testid="case-{dibao.number}"' in client.get("/casework/cases/?due=today").content.decode()
    assert f'data-testid="case-{dibao.number}"' in client.get("/casework/cases/?due=week").content.decode()
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: due + dt.timedelta(days=1))
    page = client.get("/casework/cases/?due=overdue").content.decode()
    assert f'data-testid="case-{dibao.number}"' in page and "badge bg-danger" in page


def test_application_page_links_to_its_cases(application, users, client):
    client.force_login(users[Role.COMMUNITY_WORKER])
    page = client.get(reverse("casework:application_detail", args=[application.pk])).content.decode()
    for case in application.cases.all():
        assert reverse("casework:case_detail", args=[case.pk]) in page


def test_case_page_walks_the_steps(dibao, users, client, monkeypatch):
    street, community, district = (
        users[Role.STREET_CASEWORKER],
        users[Role.COMMUNITY_WORKER],
        users[Role.DISTRICT_CASEWORKER],
    )
    client.force_login(street)
    page = client.get(reverse("casework:case_detail", args=[dibao.pk])).content.decode()
    assert 'data-testid="form-accept"' in page and 'name="expected_version"' in page
    assert 'data-testid="explanation"' in page
    assert post(client, dibao, "accept").status_code == 302
    response = post(client, dibao, "financial_check", monthly_income="1,500.00", vehicles="1")
    assert response.status_code == 302
    page = client.get(reverse("casework:case_detail", args=[dibao.pk])).content.decode()
    assert "1,500.00" in page and 'data-testid="form-home_survey"' in page
    client.force_login(community)
    photo = SimpleUploadedFile("家.png", b"\x89PNG\r\n\x1a\n" + b"0" * 20)
    response = client.post(
        reverse("casework:case_act", args=[dibao.pk, "home_survey"]),
        {
            "expected_version": Case.objects.get(pk=dibao.pk).version,
            "living_conditions": "住房简陋",
            "attachments": [photo],
        },
    )
    assert response.status_code == 302 and CaseAttachment.objects.get().original_name == "家.png"
    attachment = CaseAttachment.objects.get()
    url = reverse("casework:case_attachment", args=[dibao.pk, attachment.pk])
    assert url in client.get(reverse("casework:case_detail", args=[dibao.pk])).content.decode()
    download = client.get(url)
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")
    assert "attachment" in download["Content-Disposition"]
    client.force_login(users[Role.COMMUNITY_WORKER])
    assert post(client, dibao, "review", outcome="agreed", minutes="一致同意").status_code == 302
    assert post(client, dibao, "publish_notice").status_code == 302
    case = Case.objects.get(pk=dibao.pk)
    # The notice is public while it runs.
    client.logout()
    notices = client.get("/casework/notices/").content.decode()
    assert f'data-testid="notice-{case.pk}"' in notices and "王*" in notices and "王建国" not in notices
    assert case.household.address not in notices and case.number not in notices
    assert case.household.number[-6:] not in notices
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: case.notice_ends_on + dt.timedelta(days=1))
    assert f'data-testid="notice-{case.pk}"' not in client.get("/casework/notices/").content.decode()
    client.force_login(district)
    page = client.get(reverse("casework:case_detail", args=[dibao.pk])).content.decode()
    assert 'data-testid="form-decide"' in page
    response = post(client, dibao, "decide", decision="refuse", reasons="")
    assert response.status_code == 400 and Case.objects.get(pk=dibao.pk).status == "open"
    assert 'data-testid="form-decide"' in response.content.decode()
    assert post(client, dibao, "decide", decision="approve").status_code == 302
    assert Case.objects.get(pk=dibao.pk).status == "approved"


def test_conflict_shows_who_and_keeps_the_input(dibao, users, client):
    street, community = users[Role.STREET_CASEWORKER], users[Role.COMMUNITY_WORKER]
    stale = Case.objects.get(pk=dibao.pk).version
    services.case_accept(actor=community, case=dibao, expected_version=stale)
    client.force_login(street)
    events = CaseEvent.objects.count()
    response = client.post(
        reverse("casework:case_act", args=[dibao.pk, "withdraw"]),
        {"expected_version": stale, "reason": "我输入的撤回理由"},
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert 'data-testid="case-error"' in page and str(community) in page
    assert "我输入的撤回理由" in page
    assert CaseEvent.objects.count() == events and Case.objects.get(pk=dibao.pk).status == "open"


def test_wrong_attachment_shows_a_clear_message(dibao, users, client):
    street = users[Role.STREET_CASEWORKER]
    services.case_accept(actor=street, case=dibao, expected_version=1)
    services.case_record_financial_check(actor=street, case=dibao, expected_version=2, department={})
    client.force_login(users[Role.COMMUNITY_WORKER])
    response = client.post(
        reverse("casework:case_act", args=[dibao.pk, "home_survey"]),
        {"expected_version": 3, "living_conditions": "住房简陋", "attachments": [SimpleUploadedFile("a.exe", b"MZ")]},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "a.exe" in page and "住房简陋" in page
    assert Case.objects.get(pk=dibao.pk).step == Step.HOME_SURVEY and not CaseAttachment.objects.exists()


@pytest.mark.parametrize("role", SCOPED)
def test_out_of_scope_case_is_404_on_every_page(make_household, users, client, role):
    other = make_household(community=OUT_COMMUNITY, members=[member("head", name="欧阳", incomes={"wage": 10000})])
    application = services.application_submit_all_eligible(actor=users[Role.CITY_ADMIN], household=other)
    case = application.cases.first()
    client.force_login(users[role])
    assert client.get(reverse("casework:case_detail", args=[case.pk])).status_code == 404
    assert post(client, case, "accept").status_code == 404
    assert client.get(reverse("casework:case_attachment", args=[case.pk, 1])).status_code == 404
    for due in ("today", "overdue", "week", "open"):
        assert case.number not in client.get(f"/casework/cases/?due={due}").content.decode()
    assert OUT_COMMUNITY not in client.get("/casework/cases/overdue/").content.decode()
    assert Case.objects.get(pk=case.pk).version == 1


def test_view_only_roles_see_but_cannot_act(dibao, users, client):
    client.force_login(users[Role.AUDITOR])
    page = client.get(reverse("casework:case_detail", args=[dibao.pk])).content.decode()
    assert 'data-testid="form-' not in page
    assert post(client, dibao, "accept").status_code == 403
    assert Case.objects.get(pk=dibao.pk).version == 1


def test_manager_view_counts_overdue_per_community(dibao, users, client, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: dibao.next_due_on + dt.timedelta(days=3))
    client.force_login(users[Role.DISTRICT_CASEWORKER])
    page = client.get("/casework/cases/overdue/").content.decode()
    assert f'data-testid="community-{dibao.household.region_id}"' in page
    assert f'data-testid="street-{dibao.household.region_id[:9]}"' in page
    from zhongfu.casework.selectors import overdue_by_region

    streets = overdue_by_region(user=users[Role.DISTRICT_CASEWORKER])
    assert streets[0]["overdue"] == Case.objects.count() == streets[0]["communities"][0]["overdue"]


def test_public_objection_form(dibao, users, client):
    street, community = users[Role.STREET_CASEWORKER], users[Role.COMMUNITY_WORKER]
    services.case_accept(actor=street, case=dibao, expected_version=1)
    services.case_record_financial_check(actor=street, case=dibao, expected_version=2, department={})
    services.case_record_home_survey(actor=community, case=dibao, expected_version=3, living_conditions="一般")
    services.case_record_review(actor=community, case=dibao, expected_version=4, outcome="agreed", minutes="同意")
    url = reverse("casework:notice_objection", args=[dibao.pk])
    assert client.post(url, {f"n{dibao.pk}-contact": "13800000000", f"n{dibao.pk}-text": "该户有车"}).status_code == 404
    services.case_publish_notice(actor=community, case=dibao, expected_version=5)
    prefix = f"n{dibao.pk}-"
    response = client.post(url, {prefix + "contact": "138", prefix + "text": "x" * 1001})
    assert response.status_code == 400 and not Objection.objects.exists()
    response = client.post(url, {prefix + "contact": "13800000000", prefix + "text": "该户家中有一辆小轿车，经常驾驶"})
    assert response.status_code == 302 and Objection.objects.get().case == dibao
    assert Case.objects.get(pk=dibao.pk).version == 6  # a public objection is not a worker's edit
    client.force_login(community)
    page = client.get(reverse("casework:case_detail", args=[dibao.pk])).content.decode()
    assert 'data-testid="pending-objections"' in page and "小轿车" in page
    # Length and number are bounded: a flood is refused.
    client.logout()
    statuses = [
        client.post(url, {prefix + "contact": "13800000000", prefix + "text": "重复的异议内容很多很多"}).status_code
        for _ in range(6)
    ]
    assert statuses == [302, 302, 302, 302, 429, 429] and Objection.objects.count() == 5


def test_pages_in_english(dibao, users, client):
    from django.conf import settings

    client.force_login(users[Role.STREET_CASEWORKER])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("casework:case_detail", args=[dibao.pk])).content.decode()
    assert "Accept the application" in page


def test_apply_page_records_declared_relations(poor, users, client):
    from zhongfu.casework.models import Application

    client.force_login(users[Role.COMMUNITY_WORKER])
    page = client.get(reverse("casework:apply", args=[poor.pk])).content.decode()
    assert 'data-testid="apply-form"' in page
    url = reverse("casework:apply_all", args=[poor.pk])
    form = {"rel-TOTAL_FORMS": "2", "rel-INITIAL_FORMS": "0", "rel-0-username": "nobody", "rel-0-relation": "表弟"}
    response = client.post(url, form)
    body = response.content.decode()
    assert response.status_code == 400 and "nobody" in body and not Application.objects.exists()
    assert "须同意核对" in body  # no consent, no application
    form.update({"consent-consent": "on", "consent-consent_by": "王建国"})
    response = client.post(url, form)
    assert response.status_code == 400 and not Application.objects.exists()
    form["rel-0-username"] = users[Role.STREET_CASEWORKER].username
    response = client.post(url, form)
    application = Application.objects.get()
    assert response.status_code == 302
    assert application.declared_relations.get().user == users[Role.STREET_CASEWORKER]
    case = application.cases.first()
    assert case.county_visit_required
    client.force_login(users[Role.STREET_CASEWORKER])
    page = client.get(reverse("casework:case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="county-visit"' in page and 'data-testid="form-' not in page
