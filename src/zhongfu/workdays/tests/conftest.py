"""Fixtures of the working-day calendar's tests."""

import pytest

from zhongfu.workdays.selectors import calendar_changed
from zhongfu.workdays.services import calendar_sync


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """The calendar cache trusts its last look for a second; a rolled-back test must not leave the next
    one the calendar it loaded."""
    calendar_changed()
    yield
    calendar_changed()


@pytest.fixture
def shipped(db):
    """The shipped 2025 and 2026 arrangements, loaded as `zhongfu workdays sync` loads them."""
    return calendar_sync()
