"""Fixtures of the funds tests: a charity unit with a bookkeeper, its accounts, households to pay."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from zhongfu.accounts.models import Unit, User
from zhongfu.accounts.roles import Role
from zhongfu.common.identifiers import uscc_check_char
from zhongfu.funds import services


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the msgids)."""
    with translation.override("en"):
        yield


def uscc(body: str = "91330106MA2AB1234") -> str:
    """A unified social credit code with the right check character (GB 32100)."""
    return body + uscc_check_char(body)


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def unit(db, regions):
    return Unit.objects.create(
        code="charity-xh", name="西湖区慈善总会", kind=Unit.Kind.CHARITY, region=regions["district"]
    )


@pytest.fixture
def keeper(unit, regions):
    user = User(username="t_keeper", role=Role.CHARITY_STAFF, region=regions["district"], unit=unit)
    user.set_password("pw-test-123")
    user.save()
    return user


@pytest.fixture
def education(keeper, unit):
    """A fund restricted to the Spring Breeze education project, and the project's budget."""
    fund = services.fund_account_open(
        actor=keeper, unit=unit, kind="restricted", code="sb-edu", name="春风助学", project="SB-EDU"
    )
    budget = services.fund_account_open(
        actor=keeper, unit=unit, kind="budget", code="sb-edu-2026", name="春风助学2026", project="SB-EDU", parent=fund
    )
    return fund, budget
