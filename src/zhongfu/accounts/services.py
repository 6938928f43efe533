"""Writes for accounts: users with roles and scope, API tokens."""

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from zhongfu.common.errors import InvalidInput, NotFound

from .models import ApiToken, Unit, User
from .roles import Role


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str,
    role: str,
    region_code: str | None,
    unit: Unit | None = None,
    display_name: str = "",
) -> User:
    if role not in Role.values:
        raise InvalidInput(field="role")
    if User.objects.filter(username=username).exists():
        raise InvalidInput(field="username")
    user = User(username=username, role=role, region_id=region_code, unit=unit, display_name=display_name)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


LAST_USED_GRANULARITY = dt.timedelta(minutes=1)


@transaction.atomic
def api_token_create(*, user: User, name: str) -> str:
    """Create a token and return it in the clear; it cannot be shown again."""
    token = "zf_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, key_hash=_hash(token), prefix=token[:8])
    return token


def api_token_authenticate(token: str) -> User | None:
    row = (
        ApiToken.objects.select_related("user", "user__region")
        .filter(key_hash=_hash(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if row is None:
        return None
    # "Last used" to the minute is enough; writing on every request would make each read a write.
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user


def api_token_revoke(*, user: User, token_id: int) -> None:
    if not ApiToken.objects.filter(pk=token_id, user=user).update(revoked_at=timezone.now()):
        raise NotFound()
