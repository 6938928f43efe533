"""Fixtures of the enrolment tests: a poor household with an enrolled 低保 case, and the month arithmetic
the tests share."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from conftest import member, new_id_number
from zhongfu.accounts.roles import Role
from zhongfu.casework.models import Case, CaseStatus, Step
from zhongfu.casework.services import application_submit_all_eligible
from zhongfu.enrolment.selectors import add_months, month_start


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in English (the msgids); the Chinese is the translators' concern."""
    with translation.override("en"):
        yield


def enrol(case: Case, payment_from: dt.date) -> Case:
    """Put a case where an approval leaves it (the casework tests cover the way there): approved, paying from
    `payment_from`. The payments tests take cases through every step; here only the enrolment matters."""
    Case.objects.filter(pk=case.pk).update(
        status=CaseStatus.APPROVED, step=Step.PAYMENT_PENDING, next_due_on=None, payment_from=payment_from
    )
    return Case.objects.select_related("household").get(pk=case.pk)


@pytest.fixture
def poor(make_household):
    def make(**kw):
        kw.setdefault(
            "members",
            [member("head", name="王建国", incomes={"wage": 20000}), member("child", id_number=new_id_number())],
        )
        return make_household(**kw)

    return make


@pytest.fixture
def enrolled(poor, users):
    """make(months_ago=1, policy="dibao", **household): an enrolled case paying since `months_ago` months."""

    def make(months_ago: int = 1, policy: str = "dibao", **kw):
        household = poor(**kw)
        application = application_submit_all_eligible(
            actor=users[Role.CITY_ADMIN], household=household, consent_by="王建国"
        )
        since = add_months(month_start(timezone.localdate()), -months_ago)
        return enrol(application.cases.get(policy_code=policy), since)

    return make


@pytest.fixture
def this_month():
    return month_start(timezone.localdate())


def pay(case: Case, first: dt.date, months: int, *, by) -> None:
    """Leave `months` months from `first` paid on `case`, as a results import leaves a roll: one paid line per
    month at the case's amount (the payments tests take rolls through every step; here only "paid" matters)."""
    from zhongfu.payments.models import LineStatus, PaymentLine, PaymentRoll, RollStatus

    for i in range(months):
        month = add_months(month_start(first), i)
        roll, _created = PaymentRoll.objects.get_or_create(
            month=month,
            region_prefix=case.household.region_id,
            defaults={"number": f"T{month:%Y%m}-{case.pk}", "status": RollStatus.RESULTS_IMPORTED, "prepared_by": by},
        )
        PaymentLine.objects.create(
            roll=roll,
            seq=roll.lines.count() + 1,
            month=month,
            case=case,
            household=case.household,
            region_code=case.household.region_id,
            policy_code=case.policy_code,
            period="monthly",
            unit=case.unit,
            amount_fen=case.amount_fen,
            status=LineStatus.PAID,
        )
