"""Fixtures of the notification tests: casework's own (a poor household with an application, extra workers)
and people outside the household's region."""

import pytest

from conftest import OUT_COMMUNITY
from zhongfu.accounts.models import User
from zhongfu.accounts.roles import Role
from zhongfu.casework.tests.conftest import _english, _fresh_cache, _media, application, dibao, poor, worker  # noqa: F401
from zhongfu.regions.models import Region


@pytest.fixture
def outsiders(db):
    """A worker of every working role in another district (OUT_COMMUNITY's community, street and district)."""
    out = {}
    for role, code in (
        (Role.DISTRICT_CASEWORKER, OUT_COMMUNITY[:6]),
        (Role.STREET_CASEWORKER, OUT_COMMUNITY[:9]),
        (Role.COMMUNITY_WORKER, OUT_COMMUNITY),
    ):
        user = User(username=f"out_{role}", role=role, region=Region.objects.get(code=code), email=f"{role}@out.test")
        user.set_password("pw-test-123")
        user.save()
        out[role] = user
    return out
