"""Policies and parameters in the JSON API: reading per role, proposing and deciding (maker-checker),
errors naming the field."""

import json

import pytest
from django.test import Client

from zhongfu.accounts.roles import Role
from zhongfu.accounts.services import api_token_create
from zhongfu.policies.models import ParameterValue, PolicyVersion, Status

from .conftest import FIXTURES

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    token = api_token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_read_policies_and_parameters(catalogue, users):
    client = _client(users[Role.COMMUNITY_WORKER])
    policies = client.get("/api/policies").json()
    assert [p["code"] for p in policies] == ["dibao", "marginal"]
    dibao = policies[0]
    assert dibao["name"] == {"zh": "最低生活保障（低保）", "en": "Minimum living guarantee (dibao)"}
    assert (dibao["aid_type"], dibao["unit"], dibao["deciding_level"]) == ("baseline", "civil_affairs", "district")
    assert dibao["in_force"] and dibao["pending"] == 0 and len(dibao["version_hash"]) == 64

    detail = client.get("/api/policies/dibao").json()
    assert detail["source"] == "测试依据〔2023〕1号 第三条"
    variables = {v["name"]: v for v in detail["variables"]}
    assert variables["income_test"]["type"] == "bool" and variables["per_capita_income"]["unit"] == "fen"
    assert detail["criteria"] == ["income_test", "asset_test"]
    assert detail["versions"][0]["proposed_by"] is None and detail["versions"][0]["status"] == "approved"
    assert client.get("/api/policies/marginal").json()["displaced_by"] == ["dibao"]

    params = {p["key"]: p for p in client.get("/api/parameters").json()}
    assert params["dibao.standard"]["value"] == 130000 and params["dibao.standard"]["unit"] == "fen"
    assert params["dibao.standard"]["value_start_date"] == "2024-01-01"
    assert params["marginal.multiple"]["value"] == 1.5
    history = client.get("/api/parameters/dibao.standard").json()["history"]
    assert [h["start_date"] for h in history] == ["2024-01-01", "2023-07-01"]

    assert client.get("/api/policies/nope").status_code == 404
    assert client.get("/api/parameters/no.such").status_code == 404


def test_charity_staff_cannot_read(catalogue, users):
    client = _client(users[Role.CHARITY_STAFF])
    for url in ("/api/policies", "/api/policies/dibao", "/api/parameters", "/api/parameters/dibao.standard"):
        assert client.get(url).status_code == 403, url


def test_maker_checker_through_the_api(catalogue, admin, admin2):
    maker, checker = _client(admin), _client(admin2)
    response = _post(
        maker,
        "/api/parameters/dibao.standard/values",
        {"start_date": "2025-01-01", "value": 140000, "reference": "杭民发〔2025〕1号"},
    )
    assert response.status_code == 201, response.content
    proposal = response.json()
    assert proposal["status"] == "proposed" and proposal["value"] == 140000

    own = _post(maker, f"/api/parameter-values/{proposal['id']}/approve", {})
    assert own.status_code == 403 and "another administrator" in own.json()["detail"]
    no_note = _post(checker, f"/api/parameter-values/{proposal['id']}/reject", {})
    assert no_note.status_code == 422 and no_note.json()["field"] == "note"
    approved = _post(checker, f"/api/parameter-values/{proposal['id']}/approve", {"note": "同意"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["decided_by"] == str(admin2)
    again = _post(checker, f"/api/parameter-values/{proposal['id']}/approve", {})
    assert again.status_code == 422
    assert _post(checker, "/api/parameter-values/999999/approve", {}).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start_date": "2025-01-01", "value": 0}, "value"),
        ({"start_date": "2025-01-01", "value": -5}, "value"),
        ({"start_date": "2025-01-01", "value": 1300.5}, "value"),
        ({"value": 140000}, "start_date"),
        ({"start_date": None, "value": 140000}, "start_date"),
        ({"start_date": "2025-01-01"}, "value"),
        ({"start_date": "2025-01-01", "value": 1, "extra": 1}, "extra"),
    ],
)
def test_bad_values_are_422_naming_the_field(catalogue, admin, body, field):
    response = _post(_client(admin), "/api/parameters/dibao.standard/values", body)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert not ParameterValue.objects.filter(status=Status.PROPOSED).exists()


def test_propose_and_approve_a_policy_version(catalogue, admin, admin2):
    text = (FIXTURES / "dibao.yaml").read_text(encoding="utf-8").replace("period: monthly", "period: yearly")
    response = _post(_client(admin), "/api/policies", {"text": text, "note": "按年"})
    assert response.status_code == 201, response.content
    version = response.json()
    assert version["code"] == "dibao" and version["status"] == "proposed"
    assert _client(admin).get("/api/policies/dibao").json()["pending"] == 1
    assert _post(_client(admin), f"/api/policy-versions/{version['id']}/approve", {}).status_code == 403
    response = _post(_client(admin2), f"/api/policy-versions/{version['id']}/approve", {})
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert _client(admin).get("/api/policies/dibao").json()["period"] == "yearly"


def test_a_policy_trying_to_run_code_is_422_naming_the_variable(catalogue, admin):
    text = (FIXTURES / "dibao.yaml").read_text(encoding="utf-8")
    text = text.replace("income_test && asset_test", "__import__('os').system('touch /tmp/x')")
    response = _post(_client(admin), "/api/policies", {"text": text})
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "text" and "eligible" in body["detail"]
    assert not PolicyVersion.objects.filter(status=Status.PROPOSED).exists()


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.CITY_ADMIN])
def test_only_administrators_propose_or_decide(catalogue, users, admin, role):
    client = _client(users[role])
    text = (FIXTURES / "dibao.yaml").read_text(encoding="utf-8").replace("period: monthly", "period: yearly")
    assert _post(client, "/api/policies", {"text": text}).status_code == 403
    body = {"start_date": "2025-01-01", "value": 140000}
    assert _post(client, "/api/parameters/dibao.standard/values", body).status_code == 403
    proposal = _post(_client(admin), "/api/parameters/dibao.standard/values", body).json()
    assert _post(client, f"/api/parameter-values/{proposal['id']}/approve", {}).status_code == 403
    assert _post(client, f"/api/parameter-values/{proposal['id']}/reject", {"note": "x"}).status_code == 403
    assert ParameterValue.objects.get(pk=proposal["id"]).status == Status.PROPOSED
