"""The payments API: a roll from preparation to close, the bank file, results (a rejected file answers 422 with
its problems and writes nothing), reissue, callbacks and the payee account; scope (404 outside the region)
and roles (403 for non-managers); no clear account number or name in any answer."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import OUT_COMMUNITY
from zhongfu.accounts.models import User
from zhongfu.accounts.roles import Role
from zhongfu.accounts.services import api_token_create
from zhongfu.audit.models import AuditEntry
from zhongfu.common.personal_data import mask_name
from zhongfu.payments import services
from zhongfu.payments.models import Callback, PayeeAccount, PaymentRoll, RollStatus
from zhongfu.regions.models import Region
from zhongfu.registry.models import Membership

from .test_rolls import issue_and_import, results_csv

pytestmark = pytest.mark.django_db

CLEAR = "6222021202001234567"


def api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, name='test')}", HTTP_ACCEPT_LANGUAGE="en")


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def no_clear(response) -> str:
    text = json.dumps(response.json(), ensure_ascii=False)
    assert CLEAR not in text and "王建国" not in text
    return text


@pytest.fixture
def admin(users):
    return users[Role.CITY_ADMIN]


def test_a_roll_through_the_api(approved_case, admin, users):
    a, b = approved_case(), approved_case()
    client = api(admin)
    month = f"{max(a.payment_from, b.payment_from):%Y-%m}"
    created = post(client, "/api/payments/rolls", {"month": month})
    assert created.status_code == 201
    roll = created.json()
    assert (roll["month"], roll["status"], roll["line_count"]) == (month, "draft", 2)
    assert roll["total_fen"] == a.amount_fen + b.amount_fen
    again = post(client, "/api/payments/rolls", {"month": month})
    assert (
        again.status_code == 422 and again.json()["field"] == "month" and "already prepared" in again.json()["detail"]
    )
    assert post(client, "/api/payments/rolls", {"month": "2025-13"}).status_code == 422
    listing = client.get("/api/payments/rolls").json()
    assert listing["count"] == 1 and listing["items"][0]["number"] == roll["number"]
    rid = roll["id"]
    detail = client.get(f"/api/payments/rolls/{rid}")
    body = detail.json()
    assert body["summary"]["totals_ok"] and body["summary"]["by_status"]["pending"]["count"] == 2
    assert {x["account_number_masked"] for x in body["lines"]} == {"622202*********4567"}
    assert {x["payee_name_masked"] for x in body["lines"]} == {mask_name("王建国")}
    no_clear(detail)
    draft_file = client.get(f"/api/payments/rolls/{rid}/file?fmt=csv")
    assert draft_file.status_code == 422 and draft_file.json()["field"] == "status"
    issued = post(client, f"/api/payments/rolls/{rid}/issue")
    assert issued.status_code == 200 and issued.json()["status"] == "issued"
    for fmt, kind in (("csv", "text/csv"), ("xlsx", "spreadsheetml")):
        response = client.get(f"/api/payments/rolls/{rid}/file", {"fmt": fmt})
        assert response.status_code == 200 and kind in response["Content-Type"]
    assert client.get(f"/api/payments/rolls/{rid}/file?fmt=pdf").status_code == 422

    obj = PaymentRoll.objects.get(pk=rid)
    ref_a, ref_b = (obj.lines.get(case=c).reference for c in (a, b))
    bad = results_csv(obj, amounts={ref_a: 1}, extra=[["PR-nope", 1, "成功", ""]])
    entries = AuditEntry.objects.count()
    rejected = client.post(f"/api/payments/rolls/{rid}/results", {"file": SimpleUploadedFile("r.csv", bad)})
    assert rejected.status_code == 422
    assert rejected.json()["field"] == "file" and "2 problems" in rejected.json()["detail"]
    assert [(e["row"], e["field"]) for e in rejected.json()["errors"]] == [(2, "金额（分）"), (4, "明细编号")]
    assert AuditEntry.objects.count() == entries and not obj.lines.exclude(status="pending").exists()
    good = SimpleUploadedFile("r.csv", results_csv(obj, failed=[ref_b]))
    imported = client.post(f"/api/payments/rolls/{rid}/results", {"file": good})
    assert imported.status_code == 200
    out = imported.json()
    assert (out["changed"], out["paid"], out["failed"], out["failed_fen"]) == (2, 1, 1, b.amount_fen)
    assert out["roll"]["status"] == "results_imported" and out["callbacks"] == 1

    refused = post(client, f"/api/payments/rolls/{rid}/reissue")
    assert refused.status_code == 422 and refused.json()["field"] == "payee_account"
    head = Membership.objects.get(household=b.household, relation="head", end_date__isnull=True)
    account = client.put(
        f"/api/households/{b.household_id}/payee-account",
        json.dumps({"payee_id": head.person_id, "bank_name": "杭州银行", "account_number": "6217001234567890123"}),
        content_type="application/json",
    )
    assert account.status_code == 200 and account.json()["account_number_masked"] == "621700*********0123"
    reissued = post(client, f"/api/payments/rolls/{rid}/reissue")
    assert reissued.status_code == 201
    assert reissued.json()["roll"]["kind"] == "supplementary" and reissued.json()["left_failed"] == 0
    new = client.get(f"/api/payments/rolls/{reissued.json()['roll']['id']}").json()
    assert new["lines"][0]["reissue_of"] == ref_b
    closed = post(client, f"/api/payments/rolls/{rid}/close")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert post(client, f"/api/payments/rolls/{rid}/close").status_code == 422


def test_non_managers_get_403_and_nothing_changes(approved_case, admin, users):
    case = approved_case()
    roll = services.roll_prepare(actor=admin, month=case.payment_from)
    for role in (Role.STREET_CASEWORKER, Role.COMMUNITY_WORKER, Role.AUDITOR, Role.UNIT_STAFF):
        client = api(users[role])
        assert client.get(f"/api/payments/rolls/{roll.pk}").status_code == 200, role
        assert post(client, "/api/payments/rolls", {"month": "2025-01"}).status_code == 403, role
        for action in ("issue", "reissue", "close"):
            assert post(client, f"/api/payments/rolls/{roll.pk}/{action}").status_code == 403, (role, action)
        assert client.get(f"/api/payments/rolls/{roll.pk}/file?fmt=csv").status_code == 403, role
        upload = SimpleUploadedFile("r.csv", results_csv(roll))
        assert client.post(f"/api/payments/rolls/{roll.pk}/results", {"file": upload}).status_code == 403, role
    assert PaymentRoll.objects.get(pk=roll.pk).status == RollStatus.DRAFT
    # Charities see no roll at all.
    charity = api(users[Role.CHARITY_STAFF])
    assert charity.get("/api/payments/rolls").json()["count"] == 0
    assert charity.get(f"/api/payments/rolls/{roll.pk}").status_code == 404


def test_rolls_and_callbacks_outside_the_region_are_404(approved_case, admin, users, out_community, settings):
    settings.ZHONGFU_CALLBACK_SHARE = 1.0
    theirs = approved_case(community=out_community)
    other_district = User.objects.create(
        username="t_other_district", role=Role.DISTRICT_CASEWORKER, region=Region.objects.get(code=OUT_COMMUNITY[:6])
    )
    roll = services.roll_prepare(actor=other_district, month=theirs.payment_from)
    issue_and_import(roll, other_district)
    callback = Callback.objects.get()
    for role in (Role.DISTRICT_CASEWORKER, Role.STREET_CASEWORKER, Role.COMMUNITY_WORKER, Role.AUDITOR):
        client = api(users[role])
        assert client.get("/api/payments/rolls").json()["count"] == 0, role
        assert client.get(f"/api/payments/rolls/{roll.pk}").status_code == 404, role
        for action in ("issue", "reissue", "close"):
            assert post(client, f"/api/payments/rolls/{roll.pk}/{action}").status_code == 404, (role, action)
        assert client.get(f"/api/payments/rolls/{roll.pk}/file?fmt=xlsx").status_code == 404, role
        upload = SimpleUploadedFile("r.csv", results_csv(roll))
        assert client.post(f"/api/payments/rolls/{roll.pk}/results", {"file": upload}).status_code == 404, role
        assert client.get("/api/payments/callbacks?status=all").json()["count"] == 0, role
        response = post(client, f"/api/payments/callbacks/{callback.pk}", {"reached": False})
        assert response.status_code == 404 and response.json() == {"detail": "Record not found.", "field": None}
    assert Callback.objects.get().done_at is None


def test_callbacks_through_the_api(approved_case, admin, users, settings):
    settings.ZHONGFU_CALLBACK_SHARE = 1.0
    case = approved_case()
    roll = services.roll_prepare(actor=admin, month=case.payment_from)
    issue_and_import(roll, admin)
    client = api(users[Role.COMMUNITY_WORKER])
    listing = client.get("/api/payments/callbacks")
    items = listing.json()["items"]
    assert listing.json()["count"] == 1 and items[0]["payee_name_masked"] == mask_name("王建国")
    assert items[0]["amount_fen"] == case.amount_fen
    no_clear(listing)
    cid = items[0]["id"]
    bad = post(client, f"/api/payments/callbacks/{cid}", {"reached": True, "received": "no"})
    assert bad.status_code == 422 and bad.json()["field"] == "satisfaction"
    assert post(client, f"/api/payments/callbacks/{cid}", {"reached": True, "satisfaction": 9}).status_code == 422
    done = post(
        client,
        f"/api/payments/callbacks/{cid}",
        {"reached": True, "received": "yes", "amount_confirmed_fen": case.amount_fen, "satisfaction": 5},
    )
    assert done.status_code == 200 and done.json()["status"] == "done" and done.json()["satisfaction"] == 5
    assert client.get("/api/payments/callbacks").json()["count"] == 0
    assert client.get("/api/payments/callbacks?status=done").json()["count"] == 1
    again = post(client, f"/api/payments/callbacks/{cid}", {"reached": False})
    assert again.status_code == 422 and again.json()["field"] == "status"
    unit = api(users[Role.UNIT_STAFF])
    assert post(unit, f"/api/payments/callbacks/{cid}", {"reached": False}).status_code == 403


def test_payee_account_put(approved_case, users):
    case = approved_case(account=False)
    head = Membership.objects.get(household=case.household, relation="head", end_date__isnull=True)
    url = f"/api/households/{case.household_id}/payee-account"
    body = {"payee_id": head.person_id, "bank_name": "杭州银行", "account_number": CLEAR}

    def put(client, data):
        return client.put(url, json.dumps(data), content_type="application/json")

    worker = api(users[Role.COMMUNITY_WORKER])
    bad = put(worker, body | {"account_number": "12ab"})
    assert bad.status_code == 422 and bad.json()["field"] == "account_number"
    stranger = put(worker, body | {"payee_id": 999999})
    assert stranger.status_code == 422 and stranger.json()["field"] == "payee_id"
    assert put(api(users[Role.AUDITOR]), body).status_code == 403
    assert not PayeeAccount.objects.exists()
    ok = put(worker, body)
    assert ok.status_code == 200 and ok.json()["account_number_masked"] == "622202*********4567"
    no_clear(ok)
    assert PayeeAccount.objects.get().bank_name == "杭州银行"
