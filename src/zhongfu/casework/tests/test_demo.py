"""The demo cases: applications in the demo street at every stage, made through the real services."""

import datetime as dt

import pytest
from django.utils import timezone

from conftest import member, new_id_number
from zhongfu.audit.services import audit_verify
from zhongfu.casework.demo import demo_cases_generate
from zhongfu.casework.models import Application, Case, CaseEvent, CaseStatus, Step
from zhongfu.demo.services import demo_users_ensure

pytestmark = pytest.mark.django_db

# The households are registered today: the demo replays the months after, as if it ran then.
TODAY = timezone.localdate() + dt.timedelta(days=130)
PLAN = [("approved", 120, 1), ("refused", 90, 1), ("notice", 12, 1), ("acceptance", 1, 1), ("overdue", 75, 1)]


def test_every_stage_through_the_services_once(make_household):
    demo_users_ensure()
    for i in range(6):
        make_household(
            members=[
                member("head", name=f"王{i}国", incomes={"wage": 20000}),
                member("child", id_number=new_id_number()),
            ]
        )
    result = demo_cases_generate(7, today=TODAY, plan=PLAN)
    assert result["applications"] == 5, result
    dibao = {c.application.number: c for c in Case.objects.filter(policy_code="dibao").select_related("application")}
    by_status = sorted((c.status, c.step) for c in dibao.values())
    assert by_status == [
        (CaseStatus.APPROVED, Step.PAYMENT_PENDING),
        (CaseStatus.OPEN, Step.ACCEPTANCE),
        (CaseStatus.OPEN, Step.FINANCIAL_CHECK),
        (CaseStatus.OPEN, Step.PUBLIC_NOTICE),
        (CaseStatus.REFUSED, Step.CLOSED),
    ]
    approved = next(c for c in dibao.values() if c.status == CaseStatus.APPROVED)
    # Applied 120 days back: accepted, decided after the 7-day notice, paying from the month after.
    assert approved.opened_on == TODAY - dt.timedelta(days=120)
    assert approved.decided_on > approved.notice_ends_on and approved.payment_from < TODAY.replace(day=1)
    assert approved.decided_by.username == "district" and approved.surveyed_by.username != "district"
    overdue = next(c for c in dibao.values() if c.step == Step.FINANCIAL_CHECK)
    assert overdue.next_due_on < TODAY  # accepted 75 days ago and left: the overdue list has it
    refused = next(c for c in dibao.values() if c.status == CaseStatus.REFUSED)
    assert refused.refusal_reasons
    assert CaseEvent.objects.filter(case=approved, action="decide_approve").exists()
    assert audit_verify().ok
    # Run again: the demo street has applications already, nothing is added.
    count = Application.objects.count()
    assert demo_cases_generate(7, today=TODAY, plan=PLAN)["applications"] == 0
    assert Application.objects.count() == count
