"""The household screening page, 一件事 and the API, with scope."""

import pytest
from django.urls import reverse

from conftest import OUT_COMMUNITY, member, new_id_number
from zhongfu.accounts.roles import Role
from zhongfu.casework.models import Application
from zhongfu.casework.services import ApplicationAlreadyOpen, NothingToApplyFor, application_submit_all_eligible
from zhongfu.screening.models import Screening

pytestmark = pytest.mark.django_db


@pytest.fixture
def poor(make_household):
    return make_household(members=[member("head", incomes={"wage": 20000}), member("child", id_number=new_id_number())])


def test_household_page_lists_every_policy_with_reasons(poor, users, client):
    client.force_login(users[Role.COMMUNITY_WORKER])
    page = client.get(reverse("screening:household", args=[poor.pk])).content.decode()
    assert 'data-testid="policy-dibao" data-outcome="1"' in page
    assert "家庭月人均收入" in page or "人均" in page
    assert 'data-testid="apply-all"' in page
    # Reading stores nothing.
    assert not Screening.objects.exists()


def test_household_page_in_english(poor, users, client):
    client.force_login(users[Role.COMMUNITY_WORKER])
    client.cookies["django_language"] = "en"
    page = client.get(reverse("screening:household", args=[poor.pk])).content.decode()
    assert "yuan" in page and "eligible" in page


def test_out_of_scope_household_is_404(make_household, users, client):
    other = make_household(community=OUT_COMMUNITY, members=[member("head", id_number=new_id_number("330109"))])
    client.force_login(users[Role.STREET_CASEWORKER])
    assert client.get(reverse("screening:household", args=[other.pk])).status_code == 404
    assert client.post(reverse("screening:household_screen", args=[other.pk])).status_code == 404
    assert client.post(reverse("casework:apply_all", args=[other.pk])).status_code == 404


def test_store_and_view_a_screening(poor, users, client):
    client.force_login(users[Role.STREET_CASEWORKER])
    response = client.post(reverse("screening:household_screen", args=[poor.pk]))
    screening = Screening.objects.get()
    assert response["Location"] == reverse("screening:screening_detail", args=[screening.pk])
    page = client.get(response["Location"]).content.decode()
    assert page.count("✓") == screening.determinations.count()  # every determination replays
    # Another street's caseworker cannot open it.
    client.force_login(users[Role.CITY_ADMIN])
    assert client.get(response["Location"]).status_code == 200


def test_apply_for_all_eligible_in_one_application(poor, users, client):
    client.force_login(users[Role.COMMUNITY_WORKER])
    response = client.post(reverse("casework:apply_all", args=[poor.pk]))
    application = Application.objects.get()
    assert response["Location"] == reverse("casework:application_detail", args=[application.pk])
    codes = set(application.policies.values_list("policy_code", flat=True))
    assert "dibao" in codes
    eligible = set(application.screening.determinations.filter(outcome=1).values_list("policy_code", flat=True))
    assert codes == eligible
    dibao = application.policies.get(policy_code="dibao")
    assert dibao.unit == "civil_affairs" and dibao.deciding_level in {"district", "street", "city"}
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="application-policy-dibao"' in page
    # A double click makes no second application.
    client.post(reverse("casework:apply_all", args=[poor.pk]))
    assert Application.objects.count() == 1


def test_apply_refusals(make_household, poor, users):
    worker = users[Role.COMMUNITY_WORKER]
    rich = make_household(members=[member("head", id_number=new_id_number(), incomes={"wage": 5_000_000})])
    with pytest.raises(NothingToApplyFor):
        application_submit_all_eligible(actor=worker, household=rich)
    application_submit_all_eligible(actor=worker, household=poor)
    with pytest.raises(ApplicationAlreadyOpen):
        application_submit_all_eligible(actor=worker, household=poor)


def test_api_screening_and_application(poor, users, client):
    client.force_login(users[Role.STREET_CASEWORKER])
    data = client.get(f"/api/households/{poor.pk}/screening").json()
    dibao = next(p for p in data["policies"] if p["code"] == "dibao")
    assert dibao["outcome"] == "eligible" and dibao["amount_fen"] > 0 and dibao["criteria"]
    response = client.post(f"/api/households/{poor.pk}/screenings")
    assert response.status_code == 201 and response.json()["screening_id"]
    response = client.post(f"/api/households/{poor.pk}/applications")
    assert response.status_code == 201
    body = response.json()
    assert "dibao" in {p["policy_code"] for p in body["policies"]}
    assert client.get(f"/api/applications/{body['id']}").status_code == 200
    assert client.post(f"/api/households/{poor.pk}/applications").status_code == 422


def test_api_scope_and_permissions(make_household, users, client):
    other = make_household(community=OUT_COMMUNITY, members=[member("head", id_number=new_id_number("330109"))])
    client.force_login(users[Role.STREET_CASEWORKER])
    assert client.get(f"/api/households/{other.pk}/screening").status_code == 404
    assert client.post(f"/api/households/{other.pk}/applications").status_code == 404
    assert client.post("/api/screening-runs").status_code == 403
    assert (
        client.post(
            "/api/simulations", {"overrides": {"dibao.standard": 140000}}, content_type="application/json"
        ).status_code
        == 403
    )
    client.force_login(users[Role.CITY_ADMIN])
    assert client.post("/api/screening-runs").status_code == 202
    response = client.post("/api/simulations", {"overrides": {"dibao.standard": 0}}, content_type="application/json")
    assert response.status_code == 422


def test_api_application_out_of_scope_is_404(make_household, users, client):
    other = make_household(
        community=OUT_COMMUNITY, members=[member("head", id_number=new_id_number("330109"), incomes={"wage": 100})]
    )
    application = application_submit_all_eligible(actor=users[Role.CITY_ADMIN], household=other)
    client.force_login(users[Role.STREET_CASEWORKER])
    assert client.get(f"/api/applications/{application.pk}").status_code == 404
    assert client.get(reverse("casework:application_detail", args=[application.pk])).status_code == 404
    client.force_login(users[Role.CITY_ADMIN])
    assert client.get(f"/api/applications/{application.pk}").status_code == 200
