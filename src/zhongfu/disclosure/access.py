"""What a verified household may open, kept in its (server-side) session: per household code, until
an expiry time. One session that verified household A has no access to household B's list."""

from django.utils import timezone

from .models import HouseholdCode
from .services import ACCESS_TTL

ACCESS_KEY = "zhongfu.disclosure.access"
CHALLENGE_KEY = "zhongfu.disclosure.challenge"


def grant(request, code: HouseholdCode) -> None:
    # A new session key after verification, so a session id known before it opens nothing.
    request.session.cycle_key()
    access = dict(request.session.get(ACCESS_KEY, {}))
    access[str(code.pk)] = (timezone.now() + ACCESS_TTL).timestamp()
    request.session[ACCESS_KEY] = access
    challenges = dict(request.session.get(CHALLENGE_KEY, {}))
    challenges.pop(str(code.pk), None)
    request.session[CHALLENGE_KEY] = challenges


def has_access(request, code: HouseholdCode) -> bool:
    until = request.session.get(ACCESS_KEY, {}).get(str(code.pk))
    return until is not None and timezone.now().timestamp() < until


def remember_challenge(request, code: HouseholdCode, challenge_id: int) -> None:
    challenges = dict(request.session.get(CHALLENGE_KEY, {}))
    challenges[str(code.pk)] = challenge_id
    request.session[CHALLENGE_KEY] = challenges


def pending_challenge(request, code: HouseholdCode) -> int | None:
    return request.session.get(CHALLENGE_KEY, {}).get(str(code.pk))
