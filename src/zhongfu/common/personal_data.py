"""Protection of personal data: encryption at rest, keyed lookup hashes and masking.

ID numbers and phones are stored encrypted (AES-GCM) with an HMAC-SHA256 beside them, so an exact
lookup never needs the clear value, and a masked form for display. Unmasking is done only through
`registry.services.person_unmask`, which checks the permission and writes the audit log.
"""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings


@lru_cache(maxsize=4)
def _aead(key_material: str) -> AESGCM:
    return AESGCM(hashlib.sha256(key_material.encode()).digest())


def encrypt(value: str) -> str:
    """Encrypt a short text; returns url-safe base64 of nonce + ciphertext."""
    nonce = os.urandom(12)
    sealed = _aead(settings.ZHONGFU_DATA_KEY).encrypt(nonce, value.encode(), b"zhongfu-pii")
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    raw = base64.urlsafe_b64decode(token.encode())
    return _aead(settings.ZHONGFU_DATA_KEY).decrypt(raw[:12], raw[12:], b"zhongfu-pii").decode()


def lookup_hash(value: str) -> str:
    """Keyed hash for exact lookup; normalised so '33010619800101123x' finds '...123X'."""
    normalised = value.strip().upper()
    return hmac.new(settings.ZHONGFU_LOOKUP_KEY.encode(), normalised.encode(), hashlib.sha256).hexdigest()


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***; a one-character name stays as it is plus *."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


def mask_id_number(number: str) -> str:
    """First 6 + last 4 characters: 330106********1234."""
    number = (number or "").strip()
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str) -> str:
    """138****5678."""
    phone = (phone or "").strip()
    if len(phone) < 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
