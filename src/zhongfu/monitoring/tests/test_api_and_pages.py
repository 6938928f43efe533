"""A household's risk through the API and the page: score, tier and explanation in the request's
language, scope (another region's household is a 404), no model approved yet (a 404 that says so; the
page says so too), and that the score only advises."""

import pytest
from django.test import Client

from conftest import OUT_COMMUNITY
from zhongfu.accounts.roles import Role
from zhongfu.accounts.services import api_token_create
from zhongfu.monitoring.services import risk_model_sync


def api(user, language="en") -> Client:
    token = api_token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE=language)


@pytest.fixture
def scored(family, push):
    risk_model_sync()
    household, (head, spouse) = family(2)
    push(
        "medical_insurance",
        [
            {"身份证号": head, "结算日期": "2026-03-02", "个人自付(元)": "38000", "重特大疾病": "是"},
            {"身份证号": spouse, "结算日期": "2026-04-02", "个人自付(元)": "100"},
        ],
    )
    return household


def test_the_risk_of_a_household_through_the_api(users, scored):
    r = api(users[Role.COMMUNITY_WORKER]).get(f"/api/households/{scored.pk}/risk")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["score"], body["tier"], body["tier_label"], body["advisory"]) == (50, "orange", "orange", True)
    assert [s["signal"] for s in body["signals"]] == ["high_medical_costs", "serious_illness"]
    assert body["signals"][0]["text"] == "out-of-pocket medical costs 38,100.00 yuan (last 12 months): +30"
    assert body["model_code"] == "default" and len(body["model_hash"]) == 64
    chinese = api(users[Role.COMMUNITY_WORKER], "zh-hans").get(f"/api/households/{scored.pk}/risk").json()
    assert chinese["tier_label"] == "橙色预警"
    assert chinese["signals"][0]["text"] == "医保自付 38,100.00 元（近 12 个月）：+30"


def test_another_regions_household_is_not_found(users, family, scored):
    outside, _ids = family(1, community=OUT_COMMUNITY)
    for role in (Role.COMMUNITY_WORKER, Role.STREET_CASEWORKER, Role.DISTRICT_CASEWORKER):
        assert api(users[role]).get(f"/api/households/{outside.pk}/risk").status_code == 404
    assert api(users[Role.CITY_ADMIN]).get(f"/api/households/{outside.pk}/risk").status_code == 200
    assert Client().get(f"/api/households/{scored.pk}/risk").status_code == 401


def test_no_model_approved_yet(users, family):
    household, _ids = family(1)
    r = api(users[Role.CITY_ADMIN]).get(f"/api/households/{household.pk}/risk")
    assert r.status_code == 404 and "No risk model" in r.json()["detail"]
    client = Client()
    client.force_login(users[Role.CITY_ADMIN])
    page = client.get(f"/monitoring/households/{household.pk}/risk/")
    assert page.status_code == 200 and 'data-testid="no-model"' in page.content.decode()


def test_the_risk_panel_page(users, family, scored):
    client = Client()
    client.force_login(users[Role.COMMUNITY_WORKER])
    page = client.get(f"/monitoring/households/{scored.pk}/risk/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-score="50"' in html and 'data-tier="orange"' in html
    assert "医保自付 38,100.00 元（近 12 个月）：+30" in html  # Chinese by default
    assert 'data-testid="advisory"' in html
    outside, _ids = family(1, community=OUT_COMMUNITY)
    assert client.get(f"/monitoring/households/{outside.pk}/risk/").status_code == 404
    anonymous = Client().get(f"/monitoring/households/{scored.pk}/risk/")
    assert anonymous.status_code == 302
