"""The household code's token: a random id, signed with the site's secret so that a forged or
altered code is refused before any database lookup. Revoking is done in the database (revoked_at),
so a signature stays valid forever but opens nothing once its code is revoked."""

import secrets

from django.core import signing

SALT = "zhongfu.household_code"


def new_token_id() -> str:
    """128 random bits, URL-safe (22 characters, never a ':')."""
    return secrets.token_urlsafe(16)


def sign(token_id: str) -> str:
    return signing.Signer(salt=SALT).sign(token_id)


def unsign(signed: str) -> str | None:
    """The token id, or None when the signature does not hold (tampered, truncated, foreign)."""
    try:
        return signing.Signer(salt=SALT).unsign(signed or "")
    except signing.BadSignature:
        return None
