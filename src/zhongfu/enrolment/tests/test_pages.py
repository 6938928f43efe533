"""Enrolment pages: the reviews list (scoped, masked), the review form with the re-screening and its
explanation, enrolment actions and recoveries from the case page's panel, the recoveries list."""

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from conftest import OUT_COMMUNITY
from zhongfu.accounts.roles import Role
from zhongfu.enrolment import services
from zhongfu.enrolment.models import CaseReview, EnrolmentChange, Recovery

from .conftest import pay

pytestmark = pytest.mark.django_db


def test_review_list_scoped_and_masked(enrolled, users, client):
    case = enrolled(months_ago=12)
    outside = enrolled(months_ago=12, community=OUT_COMMUNITY)
    services.reviews_generate()
    client.force_login(users[Role.STREET_CASEWORKER])
    page = client.get("/enrolment/reviews/?due=overdue").content.decode()
    assert case.number in page and outside.number not in page
    assert "王建国" not in page and "王*" in page
    assert '<html lang="zh-hans">' in page  # Chinese by default
    assert client.get("/enrolment/reviews/?due=nonsense").status_code == 200
    client.force_login(users[Role.CHARITY_STAFF])
    assert client.get("/enrolment/reviews/").status_code == 403


def test_review_form_rescreen_then_complete(enrolled, users, client):
    case = enrolled(months_ago=6)
    services.reviews_generate()
    review = CaseReview.objects.get()
    url = f"/enrolment/reviews/{review.pk}/"
    client.force_login(users[Role.COMMUNITY_WORKER])
    assert 'data-testid="rescreen"' in client.get(url).content.decode()
    client.post(url, {"action": "rescreen"})
    page = client.get(url).content.decode()
    assert 'data-testid="advice"' in page and 'data-testid="explanation"' in page
    # A worker may not terminate: the form comes back with the message, nothing saved.
    response = client.post(url, {"outcome": "terminate", "notes": "收入超过标准"})
    assert response.status_code == 403 and not EnrolmentChange.objects.exists()
    response = client.post(url, {"outcome": "continue"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == "done" and review.decided_by == users[Role.COMMUNITY_WORKER]
    assert "review-decision" in client.get(url).content.decode()
    client.force_login(users[Role.STREET_CASEWORKER])
    other = enrolled(months_ago=6, community=OUT_COMMUNITY)
    services.reviews_generate()
    assert client.get(f"/enrolment/reviews/{CaseReview.objects.get(case=other).pk}/").status_code == 404
    # A done review leaves the open list.
    assert case.number not in client.get("/enrolment/reviews/").content.decode()


def test_review_form_keeps_input_on_error(enrolled, users, client):
    enrolled(months_ago=6)
    services.reviews_generate()
    review = CaseReview.objects.get()
    client.force_login(users[Role.DISTRICT_CASEWORKER])
    response = client.post(f"/enrolment/reviews/{review.pk}/", {"outcome": "amount_changed", "amount": "abc"})
    assert response.status_code == 400
    response = client.post(
        f"/enrolment/reviews/{review.pk}/",
        {"outcome": "gradual_exit", "exit_months": "3", "notes": "户主已稳定就业三个月"},
    )
    # The household is still eligible: dibao's gradual exit is allowed, but the notes explain the departure.
    assert response.status_code == 302
    assert EnrolmentChange.objects.get().kind == "gradual_exit"


def test_case_panel_and_actions(enrolled, users, client):
    case = enrolled(months_ago=3)
    district = users[Role.DISTRICT_CASEWORKER]
    request = RequestFactory().get("/")
    request.user = district
    html = Template("{% load enrolment %}{% enrolment_panel case %}").render(
        Context({"request": request, "case": case})
    )
    assert 'data-testid="enrolment-form"' in html and 'data-testid="recovery-form"' in html
    request.user = users[Role.COMMUNITY_WORKER]
    html = Template("{% load enrolment %}{% enrolment_panel case %}").render(
        Context({"request": request, "case": case})
    )
    assert 'data-testid="enrolment-form"' not in html and 'data-testid="recovery-form"' in html
    client.force_login(district)
    response = client.post(f"/enrolment/cases/{case.pk}/change/", {"action": "suspend", "reason": "户主失联，待核实"})
    assert response.status_code == 302 and response["Location"].endswith(f"/casework/cases/{case.pk}/")
    assert EnrolmentChange.objects.get().kind == "suspend"
    month = case.payment_from.strftime("%Y-%m")
    pay(case, case.payment_from, 1, by=district)
    client.post(
        f"/enrolment/cases/{case.pk}/recoveries/",
        {"amount": "120.50", "months_from": month, "months_to": month, "reason": "重复领取"},
    )
    recovery = Recovery.objects.get()
    assert recovery.amount_fen == 12050
    page = client.get("/enrolment/recoveries/").content.decode()
    assert case.number in page and "120.50" in page
    client.post(f"/enrolment/recoveries/{recovery.pk}/settle/", {"status": "repaid"})
    recovery.refresh_from_db()
    assert recovery.status == "repaid"


def test_panel_hidden_for_a_case_not_enrolled(poor, users):
    from zhongfu.casework.services import application_submit_all_eligible

    application = application_submit_all_eligible(actor=users[Role.CITY_ADMIN], household=poor(), consent_by="户主")
    request = RequestFactory().get("/")
    request.user = users[Role.DISTRICT_CASEWORKER]
    case = application.cases.get(policy_code="dibao")
    html = Template("{% load enrolment %}{% enrolment_panel case %}").render(
        Context({"request": request, "case": case})
    )
    assert "enrolment" not in html
