"""A small known catalogue for the tests of the Django side, in place of whatever the migration loaded."""

from pathlib import Path

import pytest
from django.utils import translation

from zhongfu.accounts.models import User
from zhongfu.accounts.roles import Role
from zhongfu.policies import selectors
from zhongfu.policies.models import Parameter, ParameterValue, Policy, PolicyVersion
from zhongfu.policies.services import catalogue_sync

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "catalogue"


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the msgids); the pages' Chinese is the translators' concern."""
    with translation.override("en"):
        yield


@pytest.fixture
def catalogue(db):
    """The tables hold exactly the fixture catalogue (inside the test's transaction, rolled back after)."""
    ParameterValue.objects.all().delete()
    PolicyVersion.objects.all().delete()
    Parameter.objects.all().delete()
    Policy.objects.all().delete()
    selectors.cache_clear()
    result = catalogue_sync(directory=FIXTURES)
    yield result
    selectors.cache_clear()


@pytest.fixture
def admin(users):
    return users[Role.CITY_ADMIN]


@pytest.fixture
def admin2(db, regions):
    user = User(username="t_city_admin2", role=Role.CITY_ADMIN, region=regions["city"], display_name="复核员")
    user.set_password("pw-test-123")
    user.save()
    return user
