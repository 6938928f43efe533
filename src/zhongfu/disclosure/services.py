"""Writes of the disclosure app: issuing and revoking household codes, sending and checking the
household's verification code, and recording that a household opened its benefit list.

Staff actions check scope first (out of scope is NotFound, as everywhere), then the right to change
households, and are audited in the same transaction. The household's own steps carry no user: the
audit log names the actor "household".
"""

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from zhongfu.accounts.roles import CHANGE_HOUSEHOLD
from zhongfu.audit.models import AuditEntry
from zhongfu.audit.services import audit_record
from zhongfu.common import personal_data as pd
from zhongfu.common.errors import InvalidInput, PermissionDenied
from zhongfu.registry.models import Household
from zhongfu.registry.selectors import household_get_for_user

from . import selectors, tokens
from .models import HouseholdCode, VerificationChallenge
from .sms import sms_sender

# Limits of the household's verification (the law gives none; these are common practice).
CHALLENGE_TTL = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_INTERVAL = dt.timedelta(seconds=60)
MAX_SENDS_PER_HOUR = 5
ACCESS_TTL = dt.timedelta(minutes=30)

HOUSEHOLD_ACTOR = "household"
A = AuditEntry.Action


class NoPhoneOnRecord(InvalidInput):
    default_message = _(
        "No phone number is on record for the head of this household. Please ask your community worker "
        "to show you your benefit list or to record a phone number."
    )


class TooManyCodes(InvalidInput):
    default_message = _("Too many verification codes were requested for this household code. Try again in an hour.")


class ResendTooSoon(InvalidInput):
    default_message = _("A verification code was sent less than a minute ago. Please wait a moment.")


class VerificationFailed(InvalidInput):
    default_message = _("The verification code is not correct.")


# --- household codes (staff) --------------------------------------------------------------------


def _household_for_change(actor, household: Household) -> Household:
    household = household_get_for_user(user=actor, household_id=household.pk, for_update=True)
    if not actor.has_perm(CHANGE_HOUSEHOLD):
        raise PermissionDenied()
    return household


def _revoke(actor, code: HouseholdCode, reason: str) -> None:
    code.revoked_at = timezone.now()
    code.revoked_by = actor
    code.revoke_reason = reason[:200]
    code.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    audit_record(
        actor=actor,
        action=A.REVOKE,
        object_type="household_code",
        object_id=code.pk,
        household_id=code.household_id,
        region_code=code.household.region_id,
        before={"revoked_at": None},
        after={"revoked_at": code.revoked_at.isoformat()},
        reason=code.revoke_reason,
    )


@transaction.atomic
def household_code_issue(*, actor, household: Household) -> HouseholdCode:
    """A new code for the household; the one before it (if any) is revoked, so old cards stop working."""
    household = _household_for_change(actor, household)
    previous = selectors.household_code_active(household=household)
    if previous is not None:
        _revoke(actor, previous, str(_("replaced by a new code")))
    code = HouseholdCode.objects.create(household=household, token_id=tokens.new_token_id(), created_by=actor)
    audit_record(
        actor=actor,
        action=A.ISSUE,
        object_type="household_code",
        object_id=code.pk,
        household_id=household.pk,
        region_code=household.region_id,
        after={"created_at": code.created_at.isoformat(), "replaces": previous.pk if previous else None},
    )
    return code


@transaction.atomic
def household_code_revoke(*, actor, household: Household, reason: str) -> HouseholdCode:
    household = _household_for_change(actor, household)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise InvalidInput(_("Give the reason for revoking the code."), field="reason")
    code = selectors.household_code_active(household=household)
    if code is None:
        raise InvalidInput(_("This household has no active code."), field="reason")
    _revoke(actor, code, reason)
    return code


# --- the household's verification ---------------------------------------------------------------


def _digest(salt: str, digits: str) -> str:
    return salted_hmac("zhongfu.disclosure.verification", f"{salt}:{digits}", algorithm="sha256").hexdigest()


@transaction.atomic
def verification_send(*, code: HouseholdCode) -> VerificationChallenge:
    """Send a six-digit code to the head's phone. Limited per household code: one a minute, five an hour."""
    code = HouseholdCode.objects.select_for_update().select_related("household").get(pk=code.pk)
    head = selectors.household_head(household=code.household)
    if head is None or not head.phone_enc:
        raise NoPhoneOnRecord()
    now = timezone.now()
    recent = code.challenges.filter(created_at__gt=now - dt.timedelta(hours=1))
    last = recent.order_by("-created_at").values_list("created_at", flat=True).first()
    if last is not None and now - last < RESEND_INTERVAL:
        raise ResendTooSoon()
    if recent.count() >= MAX_SENDS_PER_HOUR:
        raise TooManyCodes()
    phone = pd.decrypt(head.phone_enc)
    digits = f"{secrets.randbelow(10**6):06d}"
    salt = secrets.token_hex(16)
    challenge = VerificationChallenge.objects.create(
        code=code,
        secret_hash=_digest(salt, digits),
        salt=salt,
        phone_masked=head.phone_masked or pd.mask_phone(phone),
        expires_at=now + CHALLENGE_TTL,
    )
    text = _(
        "[Zhongfu] Your benefit list verification code is %(code)s. It is valid for %(minutes)d minutes. "
        "Do not tell it to anyone."
    ) % {"code": digits, "minutes": CHALLENGE_TTL.seconds // 60}
    sms_sender().send(phone=phone, text=str(text), household=code.household)
    return challenge


@dataclass
class _Check:
    ok: bool
    message: object = None


@transaction.atomic
def _check(code: HouseholdCode, challenge_id, digits: str) -> _Check:
    challenge = (
        VerificationChallenge.objects.select_for_update().filter(pk=challenge_id, code=code).first()
        if challenge_id
        else None
    )
    if challenge is None or challenge.verified_at is not None:
        return _Check(False, _("Ask for a verification code first."))
    if challenge.locked_at is not None:
        return _Check(False, _("Too many wrong attempts: this verification code is locked. Ask for a new one."))
    now = timezone.now()
    if now >= challenge.expires_at:
        return _Check(False, _("The verification code has expired. Ask for a new one."))
    challenge.attempts += 1
    if constant_time_compare(_digest(challenge.salt, digits), challenge.secret_hash):
        challenge.verified_at = now
        challenge.save(update_fields=["attempts", "verified_at"])
        return _Check(True)
    left = MAX_ATTEMPTS - challenge.attempts
    if left <= 0:
        challenge.locked_at = now
        challenge.save(update_fields=["attempts", "locked_at"])
        return _Check(False, _("Too many wrong attempts: this verification code is locked. Ask for a new one."))
    challenge.save(update_fields=["attempts"])
    message = ngettext_lazy(
        "The verification code is not correct. %(left)d attempt left.",
        "The verification code is not correct. %(left)d attempts left.",
        "left",
    ) % {"left": left}
    return _Check(False, message)


def verification_check(*, code: HouseholdCode, challenge_id, digits: str) -> None:
    """Accept the right digits once; count wrong ones (locked after MAX_ATTEMPTS). The count is
    committed before the error is raised, so a failed attempt is never rolled back."""
    digits = (digits or "").strip()
    if len(digits) != 6 or not digits.isdigit():
        raise InvalidInput(_("Enter the six digits of the verification code."), field="digits")
    result = _check(code, challenge_id, digits)
    if not result.ok:
        raise VerificationFailed(result.message, field="digits")


@transaction.atomic
def benefit_list_open(*, code: HouseholdCode):
    """The household's benefit list, as the household sees it after verification; every opening is
    written to the audit log (actor "household")."""
    household = code.household
    result = selectors.household_benefit_list(household=household, actor=None)
    audit_record(
        actor=HOUSEHOLD_ACTOR,
        action=A.VIEW,
        object_type="benefit_list",
        object_id=household.pk,
        household_id=household.pk,
        region_code=household.region_id,
        after={"code": code.pk, "as_of": result.as_of.isoformat()},
    )
    return result
