"""The demo generator: last month's roll paid through the real services, a failure reissued, callbacks done;
running it again changes nothing; without approved cases it does nothing and says why."""

import datetime as dt

import pytest

from zhongfu.payments.demo import demo_payments_generate
from zhongfu.payments.models import Callback, LineStatus, PayeeAccount, PaymentRoll, RollKind, RollStatus

pytestmark = pytest.mark.django_db


def test_without_payable_cases_it_says_why_and_does_nothing(users):
    result = demo_payments_generate(today=dt.date(2026, 3, 15))
    assert result["message"] == "demo payments: no approved case is payable for 2026-02; nothing to pay"
    assert not PaymentRoll.objects.exists()


def test_pays_last_month_once(approved_case, users, settings):
    settings.ZHONGFU_CALLBACK_SHARE = 1.0
    cases = [approved_case(account=False) for _ in range(4)]
    month = max(c.payment_from for c in cases)
    today = (month + dt.timedelta(days=40)).replace(day=3)  # the month after: `month` is last month
    result = demo_payments_generate(today=today)
    roll = PaymentRoll.objects.get(kind=RollKind.REGULAR)
    assert (roll.month, roll.status, roll.line_count) == (month, RollStatus.RESULTS_IMPORTED, 4)
    assert PayeeAccount.objects.count() == 4 and result["accounts"] == 4
    statuses = list(roll.lines.values_list("status", flat=True))
    assert statuses.count(LineStatus.PAID) == result["paid"] >= 1
    # At least one failure, the first of them reissued on an issued supplementary roll.
    assert LineStatus.REISSUED in statuses
    supplementary = PaymentRoll.objects.get(kind=RollKind.SUPPLEMENTARY)
    assert supplementary.status == RollStatus.ISSUED and result["supplementary"] == supplementary.number
    assert Callback.objects.count() == result["callbacks"] == result["paid"]
    assert Callback.objects.filter(status="done").count() == result["callbacks_done"] >= 1
    again = demo_payments_generate(today=today)
    assert "exists already" in again["message"] and PaymentRoll.objects.count() == 2
