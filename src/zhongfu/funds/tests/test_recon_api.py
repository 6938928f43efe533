"""The API of bank reconciliation and donors' inquiries: upload (multipart) all or nothing with rows named,
once; the summary to the fen; matching by hand, explaining, reopening, recording a gift; questions recorded,
listed, counted and answered; other roles 403, another unit's records 404."""

import datetime as dt
import json

import pytest
from django.test import Client

from zhongfu.accounts.models import Unit, User
from zhongfu.accounts.roles import Role
from zhongfu.accounts.services import api_token_create
from zhongfu.funds import services
from zhongfu.funds.models import BankStatement, BankStatementLine, Inquiry

pytestmark = pytest.mark.django_db


def _api(user) -> Client:
    token = api_token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en")


def _post(client, url, data=None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


@pytest.fixture
def other_keeper(regions):
    unit = Unit.objects.create(code="union-xh", name="总工会", kind=Unit.Kind.FEDERATION, region=regions["district"])
    return User.objects.create(username="t_other_keeper", role=Role.UNIT_STAFF, region=regions["district"], unit=unit)


def _upload(client, bank, day, rows, *, closing, opening=0):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = ("日期,金额,对方户名,流水号,摘要\n" + "".join(r + "\n" for r in rows)).encode()
    return client.post(
        "/api/funds/statements",
        {
            "account_id": bank.pk,
            "period_start": day.replace(day=1).isoformat(),
            "period_end": day.replace(day=28).isoformat(),
            "opening_balance_fen": opening,
            "closing_balance_fen": closing,
            "file": SimpleUploadedFile("s.csv", content, content_type="text/csv"),
        },
    )


def test_statement_upload_match_and_resolve(keeper, unit, today, other_keeper, users):
    day = (today - dt.timedelta(days=40)).replace(day=10)
    bank = services.standard_account(unit, services.BANK)
    a = services.donation_record_offline(actor=keeper, unit=unit, amount_fen=500, channel="transfer", received_on=day)
    b = services.donation_record_offline(actor=keeper, unit=unit, amount_fen=500, channel="transfer", received_on=day)
    client = _api(keeper)
    bad = _upload(client, bank, day, [f"{day},5,甲,,", f"{day},五元,乙,,"], closing=1000)
    assert bad.status_code == 422
    assert bad.json()["errors"] == [{"row": 3, "column": "金额", "message": "Not an amount of money: 五元"}]
    assert not BankStatement.objects.exists()
    rows = [f"{day},5,甲,,", f"{day},5,乙,,", f"{day},+8.00,丙,T9,", f"{day},-1,银行,,手续费"]
    created = _upload(client, bank, day, rows, closing=1700)
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["unmatched"], body["matched"], body["difference_fen"]) == (4, 0, 1700 - 1000)
    assert [line["candidates"] for line in body["lines"]][:2] == [2, 2]
    assert _upload(client, bank, day, rows, closing=1700).status_code == 422  # the same file again
    first, second, credit, fee = body["lines"]
    line_a = a.entry.lines.get(account=bank).pk
    line_b = b.entry.lines.get(account=bank).pk
    url = "/api/funds/statement-lines/{}/{}"
    matched = _post(client, url.format(first["id"], "match"), {"ledger_line_id": line_a})
    assert matched.status_code == 200 and matched.json()["how"] == "manual"
    refused = _post(client, url.format(second["id"], "match"), {"ledger_line_id": line_a})
    assert refused.status_code == 422 and refused.json()["field"] == "ledger_line"
    assert _post(client, url.format(second["id"], "match"), {"ledger_line_id": line_b}).status_code == 200
    assert _post(client, url.format(fee["id"], "explain"), {"note": "手续费"}).json()["status"] == "explained"
    gift = _post(client, url.format(credit["id"], "gift"), {})
    assert gift.status_code == 201 and gift.json()["amount_fen"] == 800
    detail = client.get(f"/api/funds/statements/{body['id']}").json()
    assert (detail["matched"], detail["explained"], detail["unmatched"], detail["difference_fen"]) == (3, 1, 0, -100)
    assert _post(client, url.format(fee["id"], "reopen"), {"reason": "不是手续费"}).json()["status"] == "unmatched"
    assert _post(client, f"/api/funds/statements/{body['id']}/rematch").status_code == 200
    assert [s["id"] for s in client.get(f"/api/funds/statements?unit_id={unit.pk}").json()] == [body["id"]]
    # Scope and permissions.
    other = _api(other_keeper)
    assert other.get(f"/api/funds/statements/{body['id']}").status_code == 404
    assert other.get(f"/api/funds/statements?unit_id={unit.pk}").status_code == 404
    assert _post(other, url.format(fee["id"], "explain"), {"note": "别人的"}).status_code == 404
    assert _upload(other, bank, day, ["x"], closing=0).status_code == 404
    caseworker = _api(users[Role.STREET_CASEWORKER])
    assert caseworker.get(f"/api/funds/statements/{body['id']}").status_code == 403
    assert BankStatementLine.objects.get(pk=fee["id"]).status == "unmatched"


def test_inquiries_recorded_listed_counted_and_answered(keeper, unit, today, other_keeper, users):
    gift = services.donation_record_offline(
        actor=keeper, unit=unit, amount_fen=100, channel="cash", received_on=today - dt.timedelta(days=30)
    )
    client = _api(keeper)
    data = {"donation_id": gift.pk, "channel": "phone", "question": "请问善款用途？", "received_on": str(today)}
    created = _post(client, "/api/funds/inquiries", data)
    assert created.status_code == 201
    body = created.json()
    assert body["due_on"] == str(today + dt.timedelta(days=20)) and body["overdue"] is False
    old = _post(client, "/api/funds/inquiries", {**data, "received_on": str(today - dt.timedelta(days=21))}).json()
    assert old["overdue"] is True
    listed = client.get(f"/api/funds/inquiries?unit_id={unit.pk}&due=overdue").json()
    assert [i["id"] for i in listed["items"]] == [old["id"]] and listed["count"] == 1
    bad = _post(client, f"/api/funds/inquiries/{body['id']}/answer", {"answer": "联系13812345678了解。"})
    assert bad.status_code == 422 and bad.json()["field"] == "answer"
    answered = _post(client, f"/api/funds/inquiries/{body['id']}/answer", {"answer": "已用于春风助学。"})
    assert answered.status_code == 200 and answered.json()["answered_on_time"] is True
    figures = client.get(f"/api/funds/inquiries/figures?unit_id={unit.pk}").json()
    assert figures == {"days": 20, "received": 2, "on_time": 1, "late": 0, "open": 1, "overdue": 1, "due_today": 0}
    assert client.get(f"/api/funds/inquiries/{body['id']}").json()["answer"] == "已用于春风助学。"
    other = _api(other_keeper)
    assert other.get(f"/api/funds/inquiries/{old['id']}").status_code == 404
    assert _post(other, f"/api/funds/inquiries/{old['id']}/answer", {"answer": "别人的回答。"}).status_code == 404
    assert _post(other, "/api/funds/inquiries", data).status_code == 404
    assert _api(users[Role.STREET_CASEWORKER]).get(f"/api/funds/inquiries?unit_id={unit.pk}").status_code == 403
    assert Inquiry.objects.count() == 2 and Inquiry.objects.get(pk=old["id"]).is_open
