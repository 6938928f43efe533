"""Sending text messages. A sender is any class with `send(*, phone, text, household=None)`; the
setting ZHONGFU_SMS_BACKEND names it (dotted path). The built-in OutboxSender delivers to the
OutboxMessage table, which a city administrator reads on the outbox page: the demo and the browser
tests get their verification codes there. A city plugs in its SMS gateway with a class of its own."""

from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from zhongfu.common import personal_data as pd

from .models import OutboxMessage

DEFAULT_BACKEND = "zhongfu.disclosure.sms.OutboxSender"


class SmsSender(Protocol):
    def send(self, *, phone: str, text: str, household=None) -> None: ...


class OutboxSender:
    """Stores the message instead of sending it; the phone encrypted, hashed and masked."""

    def send(self, *, phone: str, text: str, household=None) -> None:
        OutboxMessage.objects.create(
            household=household,
            phone_enc=pd.encrypt(phone),
            phone_hash=pd.lookup_hash(phone),
            phone_masked=pd.mask_phone(phone),
            text=text[:500],
        )


def sms_sender() -> SmsSender:
    return import_string(getattr(settings, "ZHONGFU_SMS_BACKEND", DEFAULT_BACKEND))()
