"""The API of batches of gifts, pledges and recurring gifts: a batch by file and by rows (all or nothing, the
report by row and column, the same content refused), pledges with their figures, recurring gifts paused;
other roles 403, another unit's records 404."""

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from zhongfu.accounts.models import Unit, User
from zhongfu.accounts.roles import Role
from zhongfu.accounts.services import api_token_create
from zhongfu.funds import pledges, services
from zhongfu.funds.models import Donation, GiftBatch, Pledge

from .test_batches import _csv, _rows

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


def test_a_batch_by_file_and_by_rows(keeper, unit, education, today):
    api = _api(keeper)
    upload = SimpleUploadedFile("gifts.csv", _csv(_rows(today)), content_type="text/csv")
    response = api.post("/api/funds/batches", {"unit_id": unit.pk, "file": upload})
    assert response.status_code == 201, response.content
    batch = response.json()
    assert batch["row_count"] == 3 and batch["total_fen"] == 5_030_050
    detail = api.get(f"/api/funds/batches/{batch['id']}").json()
    assert [g["row"] for g in detail["gifts"]] == [2, 3, 4]
    assert detail["gifts"][0]["receipt_number"] and detail["gifts"][2]["receipt_number"] is None
    again = api.post(
        "/api/funds/batches",
        {"unit_id": unit.pk, "file": SimpleUploadedFile("again.csv", _csv(_rows(today)), content_type="text/csv")},
    )
    assert again.status_code == 422 and f"batch {batch['id']}" in again.json()["errors"][0]["message"]
    assert [b["id"] for b in api.get("/api/funds/batches", {"unit_id": unit.pk}).json()] == [batch["id"]]

    row = {"date": today.isoformat(), "donor_kind": "person", "donor_name": "韩梅", "amount": "88", "channel": "cash"}
    bad = _post(api, "/api/funds/batches/rows", {"unit_id": unit.pk, "rows": [row, {**row, "amount": "-1"}]})
    assert bad.status_code == 422
    assert [(e["row"], e["column"]) for e in bad.json()["errors"]] == [(2, "amount (yuan)")]
    assert Donation.objects.count() == 3
    good = _post(api, "/api/funds/batches/rows", {"unit_id": unit.pk, "rows": [row]})
    assert good.status_code == 201 and good.json()["total_fen"] == 8800


def test_pledges_through_the_api(keeper, unit, education, today):
    fund, _budget = education
    donor = services.donor_register(actor=keeper, kind="person", name="王芳")
    api = _api(keeper)
    body = {
        "unit_id": unit.pk,
        "donor_id": donor.pk,
        "amount_fen": 300_000,
        "pledged_on": (today - dt.timedelta(days=40)).isoformat(),
        "account_id": fund.pk,
        "instalments": [
            {"due_on": (today - dt.timedelta(days=10)).isoformat(), "amount_fen": 200_000},
            {"due_on": (today + dt.timedelta(days=10)).isoformat(), "amount_fen": 100_000},
        ],
    }
    response = _post(api, "/api/funds/pledges", body)
    assert response.status_code == 201, response.content
    pledge = response.json()
    assert pledge["outstanding_fen"] == 300_000 and pledge["overdue_fen"] == 200_000
    gift = services.donation_record_offline(
        actor=keeper, unit=unit, amount_fen=120_000, channel="cash", received_on=today, donor=donor, account=fund
    )
    linked = _post(api, f"/api/funds/pledges/{pledge['id']}/gifts", {"donation_id": gift.pk})
    assert linked.status_code == 201
    assert (linked.json()["received_fen"], linked.json()["outstanding_fen"], linked.json()["overdue_fen"]) == (
        120_000,
        180_000,
        80_000,
    )
    assert _post(api, f"/api/funds/pledges/{pledge['id']}/gifts", {"donation_id": gift.pk}).status_code == 422
    assert _post(api, "/api/funds/pledges", {**body, "amount_fen": 0}).status_code == 422
    assert _post(api, "/api/funds/pledges", {**body, "amount_fen": 1.5}).status_code == 422
    cancelled = _post(api, f"/api/funds/pledges/{pledge['id']}/cancel", {"reason": "撤回"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert len(api.get("/api/funds/pledges", {"unit_id": unit.pk}).json()) == 1


def test_recurring_gifts_through_the_api(keeper, unit, today):
    api = _api(keeper)
    body = {"unit_id": unit.pk, "amount_fen": 5000, "day_of_month": 1, "starts_on": "2026-01-01", "donor_name": "李雷"}
    response = _post(api, "/api/funds/recurring", body)
    assert response.status_code == 201
    instruction = response.json()
    assert _post(api, "/api/funds/recurring", {**body, "day_of_month": 29}).status_code == 422
    pledges.recurring_charges_make(today=dt.date(2026, 2, 3))
    listed = api.get("/api/funds/recurring", {"unit_id": unit.pk}).json()
    assert [c["month"] for c in listed[0]["charges"]] == ["2026-02-01"] and listed[0]["charges"][0][
        "status"
    ] == "created"
    paused = _post(api, f"/api/funds/recurring/{instruction['id']}/status", {"action": "pause"})
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert _post(api, f"/api/funds/recurring/{instruction['id']}/status", {"action": "pause"}).status_code == 422


def test_other_roles_403_and_another_unit_404(keeper, unit, other_keeper, users, today):
    donor = services.donor_register(actor=keeper, kind="person", name="王芳")
    pledge = pledges.pledge_create(actor=keeper, unit=unit, donor=donor, amount_fen=1000, pledged_on=today)
    instruction = pledges.recurring_create(
        actor=keeper, unit=unit, amount_fen=100, day_of_month=1, starts_on=today, donor_name="甲"
    )
    rows = {
        "unit_id": unit.pk,
        "rows": [{"date": today.isoformat(), "amount": "1", "channel": "cash", "anonymous": "yes"}],
    }
    caseworker, other = _api(users[Role.STREET_CASEWORKER]), _api(other_keeper)
    for client, status in ((caseworker, 403), (other, 404)):
        assert client.get("/api/funds/batches", {"unit_id": unit.pk}).status_code == status
        assert _post(client, "/api/funds/batches/rows", rows).status_code == status
        assert client.get(f"/api/funds/pledges/{pledge.pk}").status_code == status
        assert _post(client, f"/api/funds/pledges/{pledge.pk}/cancel", {"reason": "不要了"}).status_code == status
        assert client.get("/api/funds/recurring", {"unit_id": unit.pk}).status_code == status
        assert _post(client, f"/api/funds/recurring/{instruction.pk}/status", {"action": "stop"}).status_code == status
    assert not GiftBatch.objects.exists() and Pledge.objects.get().status == "open"
