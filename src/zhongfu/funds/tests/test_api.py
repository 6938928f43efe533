"""The funds API: accounts with balances, offline gifts (with a new donor or none), a gift's trace,
allocations within restriction and balance, receipts; other roles 403, another unit's records 404, bad
amounts 422 naming the field with nothing written."""

import json

import pytest
from django.test import Client

from zhongfu.accounts.models import Unit, User
from zhongfu.accounts.roles import Role
from zhongfu.accounts.services import api_token_create
from zhongfu.funds import services, tokens
from zhongfu.funds.models import Allocation, Donation, Donor, LedgerEntry, Receipt

from .conftest import uscc

pytestmark = pytest.mark.django_db


def _api(user) -> Client:
    token = api_token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")


def _post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


@pytest.fixture
def other_keeper(regions):
    unit = Unit.objects.create(
        code="union-xh", name="西湖区总工会", kind=Unit.Kind.FEDERATION, region=regions["district"]
    )
    return User.objects.create(username="t_other_keeper", role=Role.UNIT_STAFF, region=regions["district"], unit=unit)


def _gift(unit, today, **kw):
    return {"unit_id": unit.pk, "amount_fen": 20000, "channel": "transfer", "received_on": today.isoformat(), **kw}


def test_accounts_with_balances(keeper, unit, education, today):
    fund, _budget = education
    services.donation_record_offline(
        actor=keeper, unit=unit, amount_fen=12345, channel="cash", received_on=today, account=fund
    )
    response = _api(keeper).get("/api/funds/accounts")
    assert response.status_code == 200
    by_code = {a["code"]: a for a in response.json()}
    assert by_code["sb-edu"]["balance_fen"] == 12345 and by_code["sb-edu"]["balance_yuan"] == "123.45"
    assert by_code["cash"]["balance_fen"] == 12345 and by_code["sb-edu-2026"]["balance_fen"] == 0
    assert _api(keeper).get("/api/funds/accounts", {"unit_id": unit.pk}).status_code == 200


def test_other_roles_403_and_another_unit_404(keeper, unit, other_keeper, users, today):
    donation = services.donation_record_offline(
        actor=keeper, unit=unit, amount_fen=100, channel="cash", received_on=today
    )
    caseworker = _api(users[Role.STREET_CASEWORKER])
    assert caseworker.get("/api/funds/accounts").status_code == 403
    assert _post(caseworker, "/api/funds/donations", _gift(unit, today)).status_code == 403
    assert caseworker.get(f"/api/funds/donations/{donation.pk}/trace").status_code == 403
    other = _api(other_keeper)
    assert other.get("/api/funds/accounts", {"unit_id": unit.pk}).status_code == 404
    assert {a["unit_id"] for a in other.get("/api/funds/accounts").json()} <= {other_keeper.unit_id}
    assert _post(other, "/api/funds/donations", _gift(unit, today)).status_code == 404
    assert other.get(f"/api/funds/donations/{donation.pk}/trace").status_code == 404
    assert _post(other, f"/api/funds/donations/{donation.pk}/receipt").status_code == 404
    fund = donation.account
    response = _post(
        other,
        "/api/funds/allocations",
        {"from_account_id": fund.pk, "to_account_id": fund.pk, "amount_fen": 1, "date": today.isoformat()},
    )
    assert response.status_code == 404
    assert Donation.objects.count() == 1 and not Receipt.objects.exists() and not Allocation.objects.exists()
    assert Client().get("/api/funds/accounts").status_code == 401


def test_an_offline_gift_with_a_new_donor_then_its_receipt(keeper, unit, education, today):
    fund, _budget = education
    client = _api(keeper)
    new_donor = {"kind": "organisation", "name": "杭州某某有限公司", "uscc": uscc(), "consent_to_name": True}
    response = _post(client, "/api/funds/donations", _gift(unit, today, account_id=fund.pk, new_donor=new_donor))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount_fen"] == 20000 and body["directed"] and body["account_code"] == "sb-edu"
    assert Donor.objects.get().uscc == uscc()
    receipt = _post(client, f"/api/funds/donations/{body['id']}/receipt")
    assert receipt.status_code == 201
    assert receipt.json()["number"] == f"{today.year}-000001"
    assert receipt.json()["donor_name"] == "杭州某某有限公司"
    assert tokens.sign(body["id"]) in receipt.json()["trace_url"]
    again = _post(client, f"/api/funds/donations/{body['id']}/receipt")
    assert again.status_code == 422 and "already has a receipt" in again.json()["detail"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"amount_fen": 0}, "amount_fen"),
        ({"amount_fen": -100}, "amount_fen"),
        ({"amount_fen": 100.5}, "amount_fen"),
        ({"amount_fen": 100.0}, "amount_fen"),
        ({"amount_fen": "100"}, "amount_fen"),
        ({"new_donor": {"kind": "organisation", "name": "某公司", "uscc": "123"}}, "donor_uscc"),
        (
            {"new_donor": {"kind": "person", "name": "王", "anonymous": True, "consent_to_name": True}},
            "donor_consent_to_name",
        ),
        ({"donor_id": 999999}, "donor_id"),
        ({"account_id": 999999}, "account_id"),
    ],
)
def test_bad_gifts_are_422_naming_the_field_and_write_nothing(keeper, unit, today, changes, field):
    response = _post(_api(keeper), "/api/funds/donations", _gift(unit, today, **changes))
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert not Donation.objects.exists() and not LedgerEntry.objects.exists() and not Donor.objects.exists()


def test_allocation_within_restriction_and_balance(keeper, unit, education, today):
    fund, budget = education
    medical = services.fund_account_open(
        actor=keeper, unit=unit, kind="budget", code="med-2026", name="医疗救助2026", project="MED"
    )
    services.donation_record_offline(
        actor=keeper, unit=unit, amount_fen=50000, channel="transfer", received_on=today, account=fund
    )
    client = _api(keeper)
    data = {"from_account_id": fund.pk, "to_account_id": budget.pk, "amount_fen": 50100, "date": today.isoformat()}
    beyond = _post(client, "/api/funds/allocations", data)
    assert beyond.status_code == 422 and beyond.json()["field"] == "amount_fen"
    outside = _post(client, "/api/funds/allocations", {**data, "to_account_id": medical.pk, "amount_fen": 100})
    assert outside.status_code == 422 and outside.json()["field"] == "to_account"
    assert not Allocation.objects.exists()
    ok = _post(client, "/api/funds/allocations", {**data, "amount_fen": 35000})
    assert ok.status_code == 201 and ok.json()["amount_fen"] == 35000


def test_trace_of_a_gift(keeper, unit, education, today, make_household):
    fund, budget = education
    household = make_household()
    first = services.donation_record_offline(
        actor=keeper, unit=unit, amount_fen=20000, channel="transfer", received_on=today, account=fund
    )
    services.allocation_record(actor=keeper, from_account=fund, to_account=budget, amount_fen=15000, date=today)
    services.disbursement_record(actor=keeper, account=budget, household=household, amount_fen=10000, date=today)
    response = _api(keeper).get(f"/api/funds/donations/{first.pk}/trace")
    assert response.status_code == 200
    body = response.json()
    assert body["unallocated_fen"] == 5000 and body["disbursed_fen"] == 10000
    assert body["disbursements"][0]["recipient"]["name_masked"] == "张*"
    assert "张三" not in json.dumps(body, ensure_ascii=False)
