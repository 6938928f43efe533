"""The trace link printed on a receipt: the donation's id signed with the site's secret (as the disclosure
app signs household codes), so a donor can open their gift's trace without an account, and a forged or
altered link opens nothing. The link names one gift and shows only what the trace page shows (recipients
masked)."""

from django.core import signing

SALT = "zhongfu.funds.trace"


def sign(donation_id: int) -> str:
    return signing.Signer(salt=SALT).sign(str(donation_id))


def unsign(signed: str) -> int | None:
    """The donation id, or None when the signature does not hold (tampered, truncated, foreign)."""
    try:
        value = signing.Signer(salt=SALT).unsign(signed or "")
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None
