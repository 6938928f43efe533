"""Fixtures of the casework tests: a poor household with an application, extra workers for separation of
duties, attachments stored in a temporary folder."""

import pytest
from django.utils import translation

from conftest import member, new_id_number
from zhongfu.accounts.models import User
from zhongfu.accounts.roles import Role
from zhongfu.casework.services import application_submit_all_eligible


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the msgids); the Chinese is the translators' concern."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The public objection form counts per address in the cache; each test starts from zero."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def poor(make_household):
    """Two people, 200 yuan of income a month: eligible for 低保 and more."""
    return make_household(
        members=[member("head", name="王建国", incomes={"wage": 20000}), member("child", id_number=new_id_number())]
    )


@pytest.fixture
def worker(regions):
    """Another user of a role, in the same region as the shared fixture's user of that role."""

    def make(role: str, name: str, level: str):
        user = User(username=name, role=role, region=regions[level])
        user.set_password("pw-test-123")
        user.save()
        return user

    return make


@pytest.fixture
def application(poor, users):
    return application_submit_all_eligible(actor=users[Role.COMMUNITY_WORKER], household=poor, consent_by="王建国")


@pytest.fixture
def dibao(application):
    return application.cases.get(policy_code="dibao")
