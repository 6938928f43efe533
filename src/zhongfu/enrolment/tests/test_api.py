"""The enrolment API: reviews listed and completed, enrolment changes and recoveries, scope (404),
permissions (403), conflicts (409), bad input (422) with the field named."""

import pytest

from conftest import OUT_COMMUNITY
from zhongfu.accounts.roles import Role
from zhongfu.enrolment import services
from zhongfu.enrolment.models import CaseReview, EnrolmentChange, Recovery
from zhongfu.enrolment.selectors import add_months

from .conftest import pay

pytestmark = pytest.mark.django_db


def post(client, url, lang="en", **body):
    return client.post(url, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=lang)


def test_reviews_list_detail_rescreen_complete(enrolled, users, client):
    case = enrolled(months_ago=12)
    outside = enrolled(months_ago=12, community=OUT_COMMUNITY)
    services.reviews_generate()
    client.force_login(users[Role.STREET_CASEWORKER])
    body = client.get("/api/reviews?due=overdue").json()
    assert [r["case_number"] for r in body["items"]] == [case.number] and body["count"] == 1
    assert client.get("/api/reviews?due=soon").status_code == 422
    review = CaseReview.objects.get(case=case)
    other = CaseReview.objects.get(case=outside)
    assert client.get(f"/api/reviews/{other.pk}").status_code == 404
    detail = client.get(f"/api/reviews/{review.pk}").json()
    assert detail["screening_id"] is None and detail["explanation"] == []
    detail = post(client, f"/api/reviews/{review.pk}/rescreen").json()
    assert detail["advised_outcome"] == "continue" and detail["determination_outcome"] == 1
    assert detail["explanation"] and detail["current_amount_fen"] == case.amount_fen
    assert "王建国" not in str(detail)
    response = post(client, f"/api/reviews/{review.pk}", outcome="maybe")
    assert response.status_code == 422 and response.json()["field"] == "outcome"
    response = post(client, f"/api/reviews/{review.pk}", outcome="continue")
    assert response.status_code == 200 and response.json()["status"] == "done"
    assert post(client, f"/api/reviews/{review.pk}", outcome="continue").status_code == 409
    assert post(client, f"/api/reviews/{other.pk}", outcome="continue").status_code == 404


def test_a_worker_may_not_terminate_through_a_review(enrolled, users, client):
    case = enrolled(months_ago=6)
    services.reviews_generate()
    review = CaseReview.objects.get(case=case)
    client.force_login(users[Role.COMMUNITY_WORKER])
    response = post(client, f"/api/reviews/{review.pk}", outcome="terminate", notes="不再符合条件")
    assert response.status_code == 403
    assert CaseReview.objects.get(pk=review.pk).status == "open" and not EnrolmentChange.objects.exists()
    client.force_login(users[Role.DISTRICT_CASEWORKER])
    response = post(client, f"/api/reviews/{review.pk}", lang="zh-hans", outcome="terminate")
    assert response.status_code == 422 and response.json()["field"] == "notes"


def test_enrolment_changes(enrolled, users, client, this_month):
    case = enrolled()
    outside = enrolled(community=OUT_COMMUNITY)
    url = f"/api/cases/{case.pk}/enrolment"
    client.force_login(users[Role.COMMUNITY_WORKER])
    assert post(client, url, action="suspend", reason="户主失联，待核实").status_code == 403
    client.force_login(users[Role.DISTRICT_CASEWORKER])
    assert post(client, f"/api/cases/{outside.pk}/enrolment", action="suspend", reason="户主失联").status_code == 404
    response = post(client, url, action="suspend", reason="")
    assert response.status_code == 422 and response.json()["field"] == "reason"
    response = post(client, url, action="resume", reason="已联系上")
    assert response.status_code == 409
    response = post(client, url, action="suspend", reason="户主失联，待核实")
    body = response.json()
    assert response.status_code == 200 and body["kind"] == "suspend"
    assert body["effective_month"] == add_months(this_month, 1).isoformat()
    response = post(client, url, action="terminate", reason="迁出本市", effective_month="2020-01-01")
    assert response.status_code == 422 and response.json()["field"] == "effective_month"
    assert post(client, url, action="stop", reason="迁出本市").status_code == 422


def test_recoveries(enrolled, users, client):
    case = enrolled(months_ago=4)
    client.force_login(users[Role.COMMUNITY_WORKER])
    url = f"/api/cases/{case.pk}/recoveries"
    pay(case, case.payment_from, 1, by=users[Role.COMMUNITY_WORKER])
    good = {
        "amount_fen": min(60000, case.amount_fen),
        "reason": "隐瞒收入",
        "months_from": str(case.payment_from),
        "months_to": str(case.payment_from),
    }
    response = post(client, url, **(good | {"amount_fen": -5}))
    assert response.status_code == 422 and response.json()["field"] == "amount_fen"
    response = post(client, url, **(good | {"months_to": "2099-01-01"}))
    assert response.status_code == 422 and response.json()["field"] == "months_to"
    response = post(client, url, **(good | {"amount_fen": case.amount_fen + 1}))  # more than the bank paid
    assert response.status_code == 422 and response.json()["field"] == "amount_fen"
    response = post(client, url, **good)
    assert response.status_code == 201 and response.json()["status"] == "recorded"
    recovery = Recovery.objects.get()
    assert client.get("/api/recoveries?status=recorded").json()["count"] == 1
    response = post(client, f"/api/recoveries/{recovery.pk}", status="written_off", note="无力偿还")
    assert response.status_code == 403
    assert post(client, f"/api/recoveries/{recovery.pk}", status="repaid").json()["status"] == "repaid"
    assert post(client, f"/api/recoveries/{recovery.pk}", status="repaid").status_code == 409
    client.force_login(users[Role.STREET_CASEWORKER])
    outside = enrolled(months_ago=4, community=OUT_COMMUNITY)
    assert post(client, f"/api/cases/{outside.pk}/recoveries", **good).status_code == 404
    assert client.get("/api/recoveries").json()["count"] == 1


def test_a_review_outcome_the_state_refuses_is_a_conflict(enrolled, users, client):
    case = enrolled(months_ago=6)
    services.reviews_generate()
    review = CaseReview.objects.get(case=case)
    district = users[Role.DISTRICT_CASEWORKER]
    services.enrolment_suspend(actor=district, case=case, reason="户主失联，待核实")
    client.force_login(district)
    response = post(client, f"/api/reviews/{review.pk}", outcome="amount_changed", amount_fen=1000, notes="收入变化")
    assert response.status_code == 409
    assert CaseReview.objects.get(pk=review.pk).status == "open"
