"""Helpers for the visits tests: households in a visit class, made through the registry services."""

import datetime as dt

import pytest

from conftest import IN_COMMUNITY, member, new_id_number
from zhongfu.accounts.roles import Role
from zhongfu.registry.models import Household

START = dt.date(2025, 1, 1)


@pytest.fixture
def classed(make_household):
    """classed(assistance_class="", community=IN_COMMUNITY, start=START, **member flags) → a household
    whose head carries the flags; the assistance class is set as casework would set it."""

    def make(assistance_class="", community=IN_COMMUNITY, start=START, name="张三", **flags):
        county = community[:6]
        h = make_household(
            community=community, members=[member(name=name, id_number=new_id_number(county), **flags)], start=start
        )
        if assistance_class:
            Household.objects.filter(pk=h.pk).update(assistance_class=assistance_class)
            h.refresh_from_db()
        return h

    return make


@pytest.fixture
def admin(users):
    return users[Role.CITY_ADMIN]
