"""Online gifts: the donor's page, the simulated provider's cashier, the signed callback and the receipt.

No HTTP server runs in these tests (the ledger's tables refuse the TRUNCATE a live-server test needs), so the
simulated provider's transport is replaced by one that posts the same bytes to the same URL through the test
client: the callback still goes through the URL routing, the API and the signature check. The real transport
(`providers.post_json`) is tested on its own against a local HTTP server."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from zhongfu.audit.models import AuditEntry
from zhongfu.funds import providers, services
from zhongfu.funds.models import Channel, Donation, LedgerEntry, LedgerLine, OrderStatus, PaymentOrder, Receipt

CALLBACK = "/api/funds/callbacks/sim"
SIM = providers.PROVIDERS["sim"]


def _through_client(url, body, timeout=10):
    # As a provider posts: no session, no CSRF token.
    response = Client(enforce_csrf_checks=True).post(urlsplit(url).path, data=body, content_type="application/json")
    return response.status_code, response.content


@pytest.fixture(autouse=True)
def _transport(monkeypatch):
    monkeypatch.setattr(providers.SimulatedProvider, "transport", staticmethod(_through_client))


def _order(unit, amount_fen=20000, **kw):
    return services.payment_order_create(unit=unit, amount_fen=amount_fen, donor_name="王芳", **kw)


def _post(client, body: dict):
    return client.post(CALLBACK, data=json.dumps(body), content_type="application/json")


def _written() -> tuple:
    return Donation.objects.count(), LedgerEntry.objects.count(), Receipt.objects.count()


def test_a_donor_gives_online_and_gets_a_numbered_receipt_and_the_trace_link(client, unit, keeper, education, today):
    fund, _budget = education
    public = client.get(reverse("funds:disclosure", args=[unit.code])).content.decode()
    assert f'href="{reverse("funds:give", args=[unit.code])}"' in public
    page = client.get(reverse("funds:give", args=[unit.code]))
    assert page.status_code == 200 and "春风助学" in page.content.decode()

    response = client.post(
        reverse("funds:give", args=[unit.code]),
        {"amount": "200", "donor_name": "王芳", "consent_to_name": "on", "alias": "春风", "account": fund.pk},
    )
    assert response.status_code == 302
    order = PaymentOrder.objects.get()
    assert response["Location"] == reverse("funds:pay_sim", args=[order.reference])
    assert order.amount_fen == 20000 and order.status == OrderStatus.CREATED and not Donation.objects.exists()

    cashier = client.get(response["Location"])
    assert cashier.status_code == 200 and 'data-fen="20000"' in cashier.content.decode()

    paid = client.post(response["Location"], {"outcome": "paid"})
    assert paid.status_code == 302 and paid["Location"] == reverse("funds:order_result", args=[order.reference])

    order.refresh_from_db()
    donation = order.donation
    assert order.status == OrderStatus.PAID
    assert donation.channel == Channel.ONLINE and donation.provider == "sim" and donation.provider_txn_id
    assert donation.account == fund and donation.directed and donation.amount_fen == 20000
    assert donation.donor.name == "王芳" and donation.donor.public_name == "春风"
    lines = LedgerLine.objects.filter(entry=donation.entry)
    assert sorted(line.amount_fen for line in lines) == [-20000, 20000]
    receipt = donation.receipts.get()
    assert receipt.code == f"{today.year}-000001" and receipt.handler.username == services.ONLINE_USERNAME
    assert AuditEntry.objects.filter(object_type="payment_order", action="update", object_id=str(order.pk)).exists()

    result = client.get(paid["Location"]).content.decode()
    assert receipt.code in result and 'data-testid="trace-link"' in result
    trace_link = result.split('data-testid="trace-link">')[1].split("<")[0]
    trace = client.get(urlsplit(trace_link).path)
    assert trace.status_code == 200 and "春风助学" in trace.content.decode()


def test_an_anonymous_undirected_gift_goes_to_the_general_fund_without_a_donor(client, unit, keeper):
    response = client.post(reverse("funds:give", args=[unit.code]), {"amount": "0.01", "anonymous": "on"})
    order = PaymentOrder.objects.get()
    client.post(response["Location"])
    donation = Donation.objects.get()
    assert donation.donor is None and donation.account.code == "general" and donation.amount_fen == 1
    assert donation.receipts.get().donor_name == ""
    assert order.reference in client.get(reverse("funds:order_result", args=[order.reference])).content.decode()


@pytest.mark.parametrize("amount", ["0", "-5", "1.001", "0.001", "abc", "Infinity", ""])
def test_the_give_page_refuses_zero_negative_and_sub_fen_amounts(client, unit, amount):
    response = client.post(reverse("funds:give", args=[unit.code]), {"amount": amount, "donor_name": "王芳"})
    assert response.status_code == 400
    assert 'data-testid="error-amount"' in response.content.decode()
    assert not PaymentOrder.objects.exists()


def test_the_give_page_refuses_a_named_anonymous_gift_and_a_gift_without_a_name(client, unit):
    url = reverse("funds:give", args=[unit.code])
    named = client.post(url, {"amount": "10", "anonymous": "on", "consent_to_name": "on"})
    nameless = client.post(url, {"amount": "10"})
    assert named.status_code == 400 and 'data-testid="error-consent_to_name"' in named.content.decode()
    assert nameless.status_code == 400 and 'data-testid="error-donor_name"' in nameless.content.decode()
    assert client.get(reverse("funds:give", args=["no-such-unit"])).status_code == 404
    assert not PaymentOrder.objects.exists()


def test_a_bad_signature_is_refused_and_nothing_is_written(client, unit, keeper):
    order = _order(unit)
    body = SIM.callback(order)
    body["signature"] = ("0" if body["signature"][0] != "0" else "1") + body["signature"][1:]
    response = _post(client, body)
    assert response.status_code == 403 and response.json()["field"] == "signature"
    # A signature for other fields does not hold either: the amount is signed.
    forged = {**SIM.callback(order), "amount_fen": 1}
    assert _post(client, forged).status_code == 403
    order.refresh_from_db()
    assert order.status == OrderStatus.CREATED and _written() == (0, 0, 0)


def test_a_replayed_callback_returns_the_same_gift_and_writes_nothing(client, unit, keeper):
    order = _order(unit)
    body = SIM.callback(order, txn_id="T-1")
    first = _post(client, body)
    assert first.status_code == 200 and first.json()["replay"] is False
    before = _written()
    again = _post(client, body)
    assert again.status_code == 200
    assert again.json() == {**first.json(), "replay": True}
    assert _written() == before == (1, 1, 1)

    other_amount = SIM.callback(order, txn_id="T-1", amount_fen=19999)
    refused = _post(client, other_amount)
    assert refused.status_code == 422 and refused.json()["field"] == "txn_id"
    other_txn = _post(client, SIM.callback(order, txn_id="T-2"))
    assert other_txn.status_code == 422 and other_txn.json()["field"] == "order_id"
    assert _written() == before


def test_a_callback_with_another_amount_than_the_order_is_refused(client, unit, keeper):
    order = _order(unit, amount_fen=20000)
    response = _post(client, SIM.callback(order, amount_fen=2000))
    assert response.status_code == 422 and response.json()["field"] == "amount_fen"
    zero = _post(client, SIM.callback(order, amount_fen=0))
    assert zero.status_code == 422
    order.refresh_from_db()
    assert order.status == OrderStatus.CREATED and _written() == (0, 0, 0)


def test_a_callback_for_an_unknown_order_or_provider_is_refused(client, unit, keeper):
    order = _order(unit)
    body = SIM.callback(order)
    stranger = PaymentOrder(reference="f" * 32, amount_fen=20000)
    unknown = _post(client, SIM.callback(stranger))
    assert unknown.status_code == 404 and unknown.json()["field"] == "order_id"
    response = client.post("/api/funds/callbacks/nobody", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 404
    malformed = client.post(CALLBACK, data="{not json", content_type="application/json")
    assert malformed.status_code == 400
    assert _written() == (0, 0, 0)


def test_a_failed_payment_records_nothing_and_the_donor_may_pay_again(client, unit, keeper):
    order = _order(unit)
    failed = client.post(reverse("funds:pay_sim", args=[order.reference]), {"outcome": "failed"})
    assert failed.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED and _written() == (0, 0, 0)
    client.post(reverse("funds:pay_sim", args=[order.reference]), {"outcome": "paid"})
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and _written() == (1, 1, 1)


def test_the_cashier_says_so_when_the_callback_is_refused(client, unit, monkeypatch):
    order = _order(unit)
    monkeypatch.setattr(providers.SimulatedProvider, "transport", staticmethod(lambda url, body: (403, b"{}")))
    response = client.post(reverse("funds:pay_sim", args=[order.reference]), {"outcome": "paid"})
    assert response.status_code == 502 and 'data-testid="pay-error"' in response.content.decode()
    assert _written() == (0, 0, 0)


def test_online_and_offline_receipts_share_one_gapless_sequence(client, unit, keeper, today):
    offline = services.donation_record_offline(
        actor=keeper, unit=unit, amount_fen=500, channel="cash", received_on=today
    )
    services.receipt_issue(actor=keeper, donation=offline)
    for amount in (100, 200):
        assert _post(client, SIM.callback(_order(unit, amount_fen=amount))).status_code == 200
    numbers = sorted(Receipt.objects.filter(unit=unit).values_list("number", flat=True))
    assert numbers == [1, 2, 3]


def test_the_signature_is_over_the_canonical_body():
    fields = {"txn_id": "T", "order_id": "o", "amount_fen": 1, "status": "paid", "timestamp": 5}
    assert (
        providers.canonical_body(fields)
        == b'{"amount_fen":1,"order_id":"o","status":"paid","timestamp":5,"txn_id":"T"}'
    )
    signature = SIM.sign(fields)
    assert SIM.verify(dict(reversed(fields.items())), signature)
    assert not SIM.verify({**fields, "timestamp": 6}, signature)


def test_the_real_transport_makes_an_http_post():
    seen = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen["path"] = self.path
            seen["type"] = self.headers["Content-Type"]
            seen["body"] = self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(403)
            self.end_headers()
            self.wfile.write(b'{"detail":"no"}')

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.handle_request)
    thread.start()
    try:
        status, body = providers.post_json(f"http://127.0.0.1:{server.server_port}{CALLBACK}", b'{"a":1}')
    finally:
        thread.join(5)
        server.server_close()
    assert (status, body) == (403, b'{"detail":"no"}')
    assert seen == {"path": CALLBACK, "type": "application/json", "body": b'{"a":1}'}


def _gift_as_written(order: PaymentOrder) -> dict:
    """An online gift's rows and audit entries, without what differs from gift to gift (ids, amounts, times)."""
    order.refresh_from_db()
    donation = order.donation
    receipt = donation.receipts.get()
    objects = {
        "donor": donation.donor_id,
        "donation": donation.pk,
        "receipt": receipt.pk,
        "payment_order": order.pk,
    }
    entries = [
        (e.action, e.object_type, sorted((e.after or {}).keys()), e.actor_name, e.household_id, e.region_code)
        for e in AuditEntry.objects.filter(
            object_type__in=objects, object_id__in=[str(pk) for pk in objects.values() if pk]
        ).order_by("seq")
        if str(objects[e.object_type]) == e.object_id
    ]
    entry = donation.entry
    return {
        "order": (order.status, order.paid_at is not None),
        "donation": (donation.channel, donation.provider, donation.account_id, donation.directed, donation.restriction),
        "donor": (donation.donor.name, donation.donor.consent_to_name, donation.donor.alias)
        if donation.donor
        else None,
        "entry": (entry.kind, entry.memo.split()[0], entry.created_by.username, entry.period_id),
        "lines": sorted((line.account.code, line.amount_fen > 0) for line in entry.lines.select_related("account")),
        "receipt": (receipt.donor_name, receipt.handler.username, receipt.amount_fen == donation.amount_fen),
        "audit": entries,
    }


def test_every_gift_of_a_month_is_written_as_the_first(client, unit, keeper, education, monkeypatch):
    """On PostgreSQL a unit's first gift of a month opens its books on the general path and the rest take the
    hot path (_record_online_pg, the database function funds_online_gift); both must write the same rows and
    audit entries, and the chain the function extends in SQL must verify as the one Python extends."""
    from django.db import connection

    from zhongfu.audit.services import audit_verify

    fund, _budget = education
    reads = []
    real_record = services._record_online_pg
    monkeypatch.setattr(services, "_record_online_pg", lambda **kw: reads.append(real_record(**kw)) or reads[-1])
    written = {}
    for kind, extra in (("named", {"account": fund, "consent_to_name": True, "alias": "春风"}), ("anonymous", {})):
        for n in (1, 2):
            if kind == "anonymous":
                order = services.payment_order_create(unit=unit, amount_fen=300 + n, anonymous=True)
            else:
                order = _order(unit, amount_fen=100 + n, **extra)
            reads.clear()
            assert _post(client, SIM.callback(order)).status_code == 200
            written[kind, n] = (_gift_as_written(order), [r is not None for r in reads])
    first, hot = written["named", 1], written["named", 2]
    assert first[0] == hot[0] and written["anonymous", 1][0] == written["anonymous", 2][0]
    assert [a[:2] for a in first[0]["audit"]] == [
        ("create", "donor"),
        ("create", "donation"),
        ("issue", "receipt"),
        ("update", "payment_order"),
    ]
    assert written["anonymous", 1][0]["donor"] is None and len(written["anonymous", 1][0]["audit"]) == 3
    if connection.vendor == "postgresql":
        # The unit's first gift found no books (None), opened them and came back; every later one went straight.
        assert first[1] == [False, True] and hot[1] == [True]
        assert written["anonymous", 1][1] == written["anonymous", 2][1] == [True]
    assert sorted(Receipt.objects.filter(unit=unit).values_list("number", flat=True)) == [1, 2, 3, 4]
    assert audit_verify().ok
