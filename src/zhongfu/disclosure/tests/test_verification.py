"""The household opens its benefit list with its code: a six-digit code sent to the head's phone
(through the outbox sender), wrong and expired codes refused, locked after five attempts, sends
rate-limited, and the access bound to this session and this household only."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from conftest import member, new_id_number
from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.common import personal_data as pd
from zhongfu.disclosure import services, tokens
from zhongfu.disclosure.models import OutboxMessage, VerificationChallenge

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


@pytest.fixture
def admin(users):
    return users[Role.CITY_ADMIN]


@pytest.fixture
def coded(admin, make_household):
    """A household with a phone on record and an active code; returns (household, code, token)."""

    def make(phone=PHONE, name="孙小美", **kw):
        h = make_household(members=[member(name=name, phone=phone, id_number=new_id_number())], **kw)
        code = services.household_code_issue(actor=admin, household=h)
        return h, code, tokens.sign(code.token_id)

    return make


def _url(name, token):
    return reverse(f"disclosure:{name}", args=[token])


def _send(client, token) -> str:
    """Ask for a code; return the digits from the outbox (as the demo and browser tests read them)."""
    before = OutboxMessage.objects.count()
    response = client.post(_url("send_code", token))
    assert response.status_code == 302 and response["Location"] == _url("scan", token)
    assert OutboxMessage.objects.count() == before + 1
    return re.search(r"\b(\d{6})\b", OutboxMessage.objects.order_by("-id").first().text).group(1)


def _verify(client, token, digits):
    return client.post(_url("verify_code", token), {"digits": digits})


def _wrong(digits: str) -> str:
    return f"{(int(digits) + 1) % 10**6:06d}"


def test_right_code_opens_the_list_once_verified(client, coded):
    h, code, token = coded()
    page = client.get(_url("scan", token))
    text = page.content.decode()
    assert page.status_code == 200 and "139****5678" in text and 'data-testid="send-code"' in text
    assert h.number not in text and "孙" not in text
    # The list is closed before verification.
    assert client.get(_url("household_benefits", token))["Location"] == _url("scan", token)

    digits = _send(client, token)
    message = OutboxMessage.objects.get()
    assert message.phone_masked == "139****5678" and message.household == h
    assert pd.decrypt(message.phone_enc) == PHONE and message.phone_hash == pd.lookup_hash(PHONE)
    assert PHONE not in message.phone_masked
    challenge = VerificationChallenge.objects.get()
    assert digits not in challenge.secret_hash and challenge.phone_masked == "139****5678"
    assert 'data-testid="digits"' in client.get(_url("scan", token)).content.decode()

    response = _verify(client, token, _wrong(digits))
    assert response.status_code == 400 and 'data-testid="verify-error"' in response.content.decode()
    session_before = client.session.session_key
    response = _verify(client, token, digits)
    assert response.status_code == 302 and response["Location"] == _url("household_benefits", token)
    assert client.session.session_key != session_before  # a fresh session id after verification
    assert client.get(_url("scan", token))["Location"] == _url("household_benefits", token)
    # The code is used up: the same digits again are refused.
    assert _verify(client, token, digits).status_code == 400


def test_wrong_digits_lock_after_five_attempts(client, coded):
    h, code, token = coded()
    digits = _send(client, token)
    for left in (4, 3, 2, 1):
        response = _verify(client, token, _wrong(digits))
        assert response.status_code == 400
        assert str(left) in response.context["error"]
    assert _verify(client, token, _wrong(digits)).status_code == 400
    challenge = VerificationChallenge.objects.get()
    assert challenge.attempts == 5 and challenge.locked_at is not None
    response = _verify(client, token, digits)  # the right digits, too late
    assert response.status_code == 400 and challenge.verified_at is None
    assert client.get(_url("household_benefits", token)).status_code == 302
    # Malformed input is refused without counting as an attempt.
    assert _verify(client, token, "12a456").status_code == 400
    challenge.refresh_from_db()
    assert challenge.attempts == 5


def test_expired_code_is_refused(client, coded):
    h, code, token = coded()
    digits = _send(client, token)
    VerificationChallenge.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = _verify(client, token, digits)
    assert response.status_code == 400 and client.get(_url("household_benefits", token)).status_code == 302
    assert VerificationChallenge.objects.get().verified_at is None


def test_a_code_from_another_session_or_household_does_not_verify(client, coded):
    from django.test import Client

    h, code, token = coded()
    digits = _send(client, token)
    other = Client()
    assert _verify(other, token, digits).status_code == 400  # the challenge belongs to the first session
    h2, code2, token2 = coded(phone="13700000002", name="周二")
    assert _verify(client, token2, digits).status_code == 400  # another household's code


def test_sends_are_rate_limited_per_code(client, coded):
    h, code, token = coded()
    _send(client, token)
    response = client.post(_url("send_code", token), follow=True)
    assert OutboxMessage.objects.count() == 1
    with translation.override("zh-hans"):
        expected = str(services.ResendTooSoon.default_message)
    assert expected in [str(m) for m in response.context["messages"]]
    for _ in range(4):
        VerificationChallenge.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
        _send(client, token)
    VerificationChallenge.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    client.post(_url("send_code", token))
    assert OutboxMessage.objects.count() == 5  # five an hour
    # A fresh session does not reset the limit: it belongs to the code.
    from django.test import Client

    Client().post(_url("send_code", token))
    assert OutboxMessage.objects.count() == 5
    VerificationChallenge.objects.update(created_at=timezone.now() - dt.timedelta(minutes=61))
    _send(client, token)


def test_no_phone_sends_to_the_community_worker(client, coded):
    h, code, token = coded(phone="")
    text = client.get(_url("scan", token)).content.decode()
    assert 'data-testid="no-phone"' in text and 'data-testid="send-code"' not in text
    client.post(_url("send_code", token))
    assert not OutboxMessage.objects.exists() and not VerificationChallenge.objects.exists()


def test_access_is_for_this_household_only_and_ends(client, admin, coded):
    h, code, token = coded()
    h2, code2, token2 = coded(phone="13700000002", name="周二")
    assert _verify(client, token, _send(client, token)).status_code == 302
    assert client.get(_url("household_benefits", token)).status_code == 200
    # The same session, another household's code: verification first.
    response = client.get(_url("household_benefits", token2))
    assert response.status_code == 302 and response["Location"] == _url("scan", token2)
    assert 'data-testid="send-code"' in client.get(_url("scan", token2)).content.decode()
    # Revoking the code ends the access at once.
    services.household_code_revoke(actor=admin, household=h, reason="卡片遗失")
    assert client.get(_url("household_benefits", token)).status_code == 404
    # A new code needs a new verification.
    new = services.household_code_issue(actor=admin, household=h)
    new_token = tokens.sign(new.token_id)
    assert client.get(_url("household_benefits", new_token)).status_code == 302


def test_access_expires(client, coded):
    h, code, token = coded()
    _verify(client, token, _send(client, token))
    session = client.session
    key = "zhongfu.disclosure.access"
    session[key] = {str(code.pk): (timezone.now() - dt.timedelta(seconds=1)).timestamp()}
    session.save()
    assert client.get(_url("household_benefits", token)).status_code == 302


def test_outbox_is_for_the_city_administrator_only(client, users, coded):
    h, code, token = coded()
    _send(client, token)
    url = reverse("disclosure:outbox")
    assert client.get(url).status_code == 302  # anonymous: to the login page
    for role in (r for r in Role.values if r != Role.CITY_ADMIN):
        client.force_login(users[role])
        assert client.get(url).status_code == 403, role
    client.force_login(users[Role.CITY_ADMIN])
    page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200 and "139****5678" in text and PHONE not in text
    assert OutboxMessage.objects.get().text in text


def test_opening_the_list_is_audited_as_the_household(client, coded):
    h, code, token = coded()
    _verify(client, token, _send(client, token))
    before = AuditEntry.objects.filter(action="view").count()
    client.get(_url("household_benefits", token))
    client.get(_url("household_benefits", token))
    views = AuditEntry.objects.filter(action="view", object_type="benefit_list", household_id=h.pk)
    assert views.count() == before + 2
    entry = views.last()
    assert entry.actor is None and entry.actor_name == "household" and entry.region_code == h.region_id
