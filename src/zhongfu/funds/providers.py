"""Payment providers of online gifts: the interface a provider implements, the callback signature, and the
built-in simulated provider (`sim`) for the demo and the tests.

A provider is asked where the donor pays an order (`payment_url`). Later it tells the site, server to server,
what happened: a POST to /api/funds/callbacks/<provider> with the fields `CALLBACK_FIELDS` and `signature`,
the HMAC-SHA256 (hex) of the canonical body under the provider's secret. The canonical body is those five
fields as compact JSON with sorted keys (`canonical_body`), so both sides sign the same bytes whatever
order or spacing the JSON on the wire has.

The secret is `settings.ZHONGFU_PAY_SECRET`; without it, one derived from SECRET_KEY (salted per provider),
which is enough for the simulated provider, whose signer is this very site."""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import salted_hmac

CALLBACK_FIELDS = ("txn_id", "order_id", "amount_fen", "status", "timestamp")
PAID, FAILED = "paid", "failed"


def canonical_body(fields: dict) -> bytes:
    """The bytes a callback's signature covers: the callback fields as compact JSON, keys sorted."""
    body = {key: fields[key] for key in CALLBACK_FIELDS}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class Provider:
    """What a payment provider gives the site. A real one (a bank's or a wallet's gateway) subclasses this
    and registers in PROVIDERS under its name."""

    name = ""

    def secret(self) -> bytes:
        configured = getattr(settings, "ZHONGFU_PAY_SECRET", "")
        if configured:
            return configured.encode()
        return salted_hmac("zhongfu.funds.providers", self.name).hexdigest().encode()

    def sign(self, fields: dict) -> str:
        return hmac.new(self.secret(), canonical_body(fields), hashlib.sha256).hexdigest()

    def verify(self, fields: dict, signature: str) -> bool:
        # Constant time, so the signature cannot be guessed byte by byte from response times.
        return hmac.compare_digest(self.sign(fields), signature or "")

    def payment_url(self, request, order) -> str:
        """Where the donor goes to pay `order` (a PaymentOrder)."""
        raise NotImplementedError


def post_json(url: str, body: bytes, *, timeout: float = 10) -> tuple[int, bytes]:
    """A real HTTP POST (the simulated provider's transport): the status and the body of the answer."""
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (our own http(s) URL)
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class SimulatedProvider(Provider):
    """A cashier page on this site (/funds/pay/sim/<order>/). Its Pay button makes the signed callback a
    real provider would send, posted over HTTP to this site's own callback URL, so the demo and the tests go
    through exactly the path a real provider's callback takes."""

    name = "sim"
    # Replaceable in tests, where no HTTP server runs; see tests/test_online.py.
    transport = staticmethod(post_json)

    def payment_url(self, request, order) -> str:
        return reverse("funds:pay_sim", args=[order.reference])

    def callback(self, order, *, status: str = PAID, txn_id: str = "", amount_fen: int | None = None) -> dict:
        fields = {
            "txn_id": txn_id or f"SIM{uuid.uuid4().hex[:24].upper()}",
            "order_id": order.reference,
            "amount_fen": order.amount_fen if amount_fen is None else amount_fen,
            "status": status,
            "timestamp": int(time.time()),
        }
        return {**fields, "signature": self.sign(fields)}

    def callback_url(self, request) -> str:
        path = reverse("api:funds_callback", kwargs={"provider": self.name})
        base = (getattr(settings, "ZHONGFU_PUBLIC_URL", "") or "").rstrip("/")
        return base + path if base else request.build_absolute_uri(path)

    def pay(self, request, order, *, status: str = PAID) -> tuple[int, bytes]:
        """Send the callback for `order` to this site, as the provider would once the donor has paid."""
        body = json.dumps(self.callback(order, status=status)).encode()
        return self.transport(self.callback_url(request), body)


PROVIDERS: dict[str, Provider] = {"sim": SimulatedProvider()}


def get(name: str) -> Provider | None:
    return PROVIDERS.get(name)
