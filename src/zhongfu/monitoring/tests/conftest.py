import datetime as dt

import pytest
from django.utils import translation

from conftest import member, new_id_number
from zhongfu.accounts.models import User
from zhongfu.accounts.roles import Role
from zhongfu.feeds.loading import feed_push

AS_OF = dt.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def admin(users):
    return users[Role.CITY_ADMIN]


@pytest.fixture
def admin2(db, regions):
    user = User(username="t_city_admin2", role=Role.CITY_ADMIN, region=regions["city"], display_name="复核员")
    user.set_password("pw-test-123")
    user.save()
    return user


@pytest.fixture
def push(admin):
    """Load rows into a feed through the feeds app (matched to people by the keyed hash)."""

    def load(feed: str, rows: list[dict]):
        return feed_push(actor=admin, feed=feed, rows=rows)

    return load


@pytest.fixture
def family(make_household):
    """A household of `n` members; returns (household, [ID numbers])."""

    def make(n: int = 2, **kw):
        ids = [new_id_number() for _ in range(n)]
        relations = ["head", "spouse", "child", "child", "parent", "parent"]
        members = [member(relation=relations[i], id_number=ids[i]) for i in range(n)]
        kw.setdefault("start", dt.date(2015, 1, 1))  # members since before every feed record of the tests
        return make_household(members=members, **kw), ids

    return make
