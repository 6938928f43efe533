"""`zhongfu daily` runs the day's jobs, and running it twice tells nobody twice."""

import io

import pytest
from django.core.management import call_command

from conftest import member
from zhongfu.accounts.roles import Role
from zhongfu.casework.models import Case
from zhongfu.casework.services import application_submit_all_eligible
from zhongfu.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _daily() -> str:
    out = io.StringIO()
    call_command("daily", stdout=out)
    return out.getvalue()


def test_daily_generates_reviews_and_reminds_once(make_household, users):
    household = make_household(members=[member("head", incomes={"wage": 20000})])
    application = application_submit_all_eligible(
        actor=users[Role.COMMUNITY_WORKER], household=household, consent_by="户主"
    )
    case = application.cases.first()
    Case.objects.filter(pk=case.pk).update(next_due_on=case.opened_on.replace(year=case.opened_on.year - 1))
    first = _daily()
    told = Notification.objects.filter(kind="case_overdue").count()
    assert "reviews created" in first and told > 0 and f"{told} overdue" in first
    assert "recurring gifts: 0 payment orders made" in first  # the funds jobs run too
    second = _daily()
    assert "0 overdue" in second and Notification.objects.filter(kind="case_overdue").count() == told
