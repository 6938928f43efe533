"""An API token records when it was last used, to the minute (not a write on every request)."""

import datetime as dt

import pytest
from django.utils import timezone

from zhongfu.accounts.models import ApiToken
from zhongfu.accounts.roles import Role
from zhongfu.accounts.services import api_token_authenticate, api_token_create

pytestmark = pytest.mark.django_db


def test_last_used_is_kept_to_the_minute(users):
    user = users[Role.STREET_CASEWORKER]
    token = api_token_create(user=user, name="t")
    assert api_token_authenticate(token) == user
    first = ApiToken.objects.get(user=user).last_used_at
    assert first is not None
    assert api_token_authenticate(token) == user
    assert ApiToken.objects.get(user=user).last_used_at == first  # within the minute: no write
    earlier = timezone.now() - dt.timedelta(minutes=2)
    ApiToken.objects.filter(user=user).update(last_used_at=earlier)
    api_token_authenticate(token)
    assert ApiToken.objects.get(user=user).last_used_at > earlier
    assert api_token_authenticate("zf_wrong") is None
