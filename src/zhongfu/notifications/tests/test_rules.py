"""Who is told what about a case (rules.py), through casework's own services; scope and relations respected."""

import datetime as dt

import pytest
from django.utils import timezone

from zhongfu.accounts.roles import Role
from zhongfu.casework import services
from zhongfu.casework.models import Case, Step
from zhongfu.notifications.models import Notification
from zhongfu.notifications.services import deadline_reminders

from .helpers import act, to_notice, told

pytestmark = pytest.mark.django_db

OUT = {"out_district_caseworker", "out_street_caseworker", "out_community_worker"}


@pytest.fixture
def day(monkeypatch):
    def set_day(value: dt.date):
        monkeypatch.setattr(timezone, "localdate", lambda *a, **k: value)

    return set_day


def test_a_new_case_tells_the_street_and_community_workers_in_scope_but_not_the_actor(poor, users, worker, outsiders):
    colleague = worker(Role.COMMUNITY_WORKER, "colleague", "community")
    application = services.application_submit_all_eligible(actor=users[Role.COMMUNITY_WORKER], household=poor)
    case = application.cases.get(policy_code="dibao")
    # The submitting worker knows already; district and city users see the case in their lists instead.
    assert told("case_opened", case) == {"t_street_caseworker", colleague.username}
    n = Notification.objects.get(kind="case_opened", object_id=str(case.pk), recipient=colleague)
    assert n.link == f"/casework/cases/{case.pk}/" and n.object_type == "case"
    # Masked name only: the head is 王建国.
    assert "王*" in n.body_text and "王建国" not in n.body_text and "王建国" not in str(n.params)
    assert case.number in n.title_text
    # One notification per case of the application, no more.
    assert Notification.objects.filter(kind="case_opened", recipient=colleague).count() == application.cases.count()


def test_nobody_outside_the_households_region_is_ever_told(application, users, outsiders, day):
    case = to_notice(application.cases.get(policy_code="dibao"), users)
    services.notice_objection_lodge(case=case, name="", contact="13800000000", text="该户家中有经营性门面一间")
    day(case.notice_ends_on + dt.timedelta(days=40))
    deadline_reminders(timezone.localdate())
    assert Notification.objects.exists()
    assert not Notification.objects.filter(recipient__username__in=OUT).exists()


def test_a_related_worker_is_not_told(poor, users, worker):
    relative = worker(Role.STREET_CASEWORKER, "relative", "street")
    services.application_submit_all_eligible(
        actor=users[Role.COMMUNITY_WORKER], household=poor, declared_relations=[(relative, "户主之妹")]
    )
    assert told("case_opened") == {"t_street_caseworker"}


def test_an_objection_on_the_public_page_tells_the_workers(dibao, users):
    case = to_notice(dibao, users)
    services.notice_objection_lodge(case=case, name="", contact="13800000000", text="该户家中有经营性门面一间")
    assert told("objection", case) == {"t_street_caseworker", "t_community_worker"}
    n = Notification.objects.filter(kind="objection").first()
    # The objection's text and the objector's contact stay on the case page.
    assert "13800000000" not in n.body_text + str(n.params) and "门面" not in n.body_text


def test_an_objection_taken_by_a_worker_tells_the_others(dibao, users):
    case = to_notice(dibao, users)
    act(services.case_record_objection, case, users[Role.COMMUNITY_WORKER], text="邻居反映有门面")
    assert told("objection", case) == {"t_street_caseworker"}


def test_the_end_of_the_notice_tells_the_deciders_at_the_cases_level_once_per_round(dibao, users, day, worker):
    case = to_notice(dibao, users)
    assert told("decision_ready") == set()
    day(case.notice_ends_on)
    assert deadline_reminders(case.notice_ends_on)["decision_ready"] == 0  # still running today
    day(case.notice_ends_on + dt.timedelta(days=1))
    deadline_reminders(timezone.localdate())
    # 低保 is decided by the district: its caseworker, not the city administrator above nor the street below.
    assert case.deciding_level == "district"
    assert told("decision_ready", case) == {"t_district_caseworker"}
    Notification.objects.filter(kind="decision_ready").update(read_at=timezone.now())
    day(case.notice_ends_on + dt.timedelta(days=2))
    deadline_reminders(timezone.localdate())
    assert Notification.objects.filter(kind="decision_ready", object_id=str(case.pk)).count() == 1


def test_when_no_district_caseworker_may_decide_the_city_administrator_is_told(dibao, users, day):
    # The district caseworker recorded the home survey: someone else decides (separation of duties).
    district = users[Role.DISTRICT_CASEWORKER]
    street, community = users[Role.STREET_CASEWORKER], users[Role.COMMUNITY_WORKER]
    act(services.case_accept, dibao, street)
    act(services.case_record_financial_check, dibao, street, department={"monthly_income": 20000})
    act(services.case_record_home_survey, dibao, district, living_conditions="两室一厅")
    act(services.case_record_review, dibao, community, outcome="agreed", minutes="一致同意")
    case = act(services.case_publish_notice, dibao, community)
    day(case.notice_ends_on + dt.timedelta(days=1))
    deadline_reminders(timezone.localdate())
    assert told("decision_ready", case) == {"t_city_admin"}


def test_a_pending_objection_holds_back_the_decision_message(dibao, users, day):
    case = to_notice(dibao, users)
    services.notice_objection_lodge(case=case, name="", contact="13800000000", text="该户家中有经营性门面一间")
    day(case.notice_ends_on + dt.timedelta(days=1))
    deadline_reminders(timezone.localdate())
    assert told("decision_ready", case) == set()


def test_a_procedure_without_notice_tells_the_deciders_when_the_case_reaches_the_decision(application, users):
    # A policy whose procedure has no public notice (as 关爱型探访 and 急难型临时救助 in workflow.yaml).
    case = application.cases.get(policy_code="dibao")
    case.procedure = {**case.procedure, "steps": [s for s in case.procedure["steps"] if s != "public_notice"]}
    case.save(update_fields=["procedure"])
    street = users[Role.STREET_CASEWORKER]
    while Case.objects.get(pk=case.pk).step != Step.DECISION:
        current = Case.objects.get(pk=case.pk)
        if current.step == Step.ACCEPTANCE:
            act(services.case_accept, case, street)
        elif current.step == Step.HOME_SURVEY:
            act(services.case_record_home_survey, case, users[Role.COMMUNITY_WORKER], living_conditions="平房一间")
        elif current.step == Step.FINANCIAL_CHECK:
            act(services.case_record_financial_check, case, street, department={})
        elif current.step == Step.COMMUNITY_REVIEW:
            act(services.case_record_review, case, street, outcome="agreed", minutes="同意")
        else:
            raise AssertionError(current.step)
    expected = {"street": {"t_street_caseworker"}, "district": {"t_district_caseworker"}, "city": {"t_city_admin"}}
    # The street caseworker made the last step, and is never told of their own action.
    want = expected[case.deciding_level] - {"t_street_caseworker"}
    assert told("decision_ready", case) == want


@pytest.mark.parametrize("approve", [True, False])
def test_a_decision_tells_the_community_workers(dibao, users, day, worker, approve):
    colleague = worker(Role.COMMUNITY_WORKER, "colleague", "community")
    case = to_notice(dibao, users)
    day(case.notice_ends_on + dt.timedelta(days=1))
    act(
        services.case_decide,
        case,
        users[Role.DISTRICT_CASEWORKER],
        approve=approve,
        reasons="家庭有车辆，不符合财产条件",
    )
    kind = "case_approved" if approve else "case_refused"
    assert told(kind, case) == {"t_community_worker", colleague.username}
    n = Notification.objects.get(kind=kind, recipient=colleague)
    # The refusal's reasons are the household's business: the page shows them, the message does not.
    assert "车辆" not in n.body_text


def _working_day_before(due: dt.date) -> dt.date:
    from zhongfu.workdays.selectors import add_working_days

    for back in range(1, 6):
        day = due - dt.timedelta(days=back)
        if day < due <= add_working_days(day, 1):
            return day
    raise AssertionError(due)


def test_deadline_reminders_due_and_overdue_once_per_day(dibao, users, day, outsiders):
    case = act(services.case_accept, dibao, users[Role.STREET_CASEWORKER])
    # Only this case is watched: the application's other cases, still at acceptance, fall due earlier and
    # would be reminded of on other days.
    Case.objects.exclude(pk=case.pk).update(next_due_on=None)
    due = case.next_due_on
    before = _working_day_before(due)
    counts = deadline_reminders(before)
    assert counts["due"] == 2 and told("case_due_tomorrow", case) == {"t_street_caseworker", "t_community_worker"}
    assert deadline_reminders(before)["due"] == 0  # idempotent for the day
    after = due + dt.timedelta(days=1)
    assert deadline_reminders(after)["overdue"] == 2
    assert deadline_reminders(after)["overdue"] == 0
    Notification.objects.filter(kind="case_overdue").update(read_at=timezone.now())
    # Read today: not again today, but again tomorrow while it stays overdue.
    assert deadline_reminders(after)["overdue"] == 0
    assert deadline_reminders(after + dt.timedelta(days=1))["overdue"] == 2
    # Unread: no second copy the day after (no flood).
    assert deadline_reminders(after + dt.timedelta(days=2))["overdue"] == 0
    n = Notification.objects.filter(kind="case_overdue").first()
    assert due.isoformat() in n.body_text
    assert not Notification.objects.filter(recipient__username__in=OUT).exists()


def test_reminders_run_from_the_command_and_the_task(dibao, users, run_tasks):
    from django.core.management import call_command

    from zhongfu.notifications.tasks import deadline_reminders_task

    case = act(services.case_accept, dibao, users[Role.STREET_CASEWORKER])
    after = (case.next_due_on + dt.timedelta(days=1)).isoformat()
    call_command("notifications", "reminders", "--day", after)
    assert told("case_overdue", case) == {"t_street_caseworker", "t_community_worker"}
    Notification.objects.all().delete()
    deadline_reminders_task.enqueue(after)
    assert run_tasks() == 1
    assert told("case_overdue", case) == {"t_street_caseworker", "t_community_worker"}


def test_a_rolled_back_step_leaves_no_notification(dibao, users):
    from django.db import transaction

    before = Notification.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        act(services.case_accept, dibao, users[Role.STREET_CASEWORKER])
        services.notice_objection_lodge  # noqa: B018
        raise RuntimeError("the caller fails after the step")
    assert Notification.objects.count() == before


def test_a_failing_rule_never_breaks_the_step(dibao, users, monkeypatch):
    from zhongfu.notifications import rules

    def broken(case):
        raise RuntimeError("audience lookup failed")

    monkeypatch.setitem(rules.EVENT_RULES, "accept", rules.Rule("x", "x", "x", broken))
    case = act(services.case_accept, dibao, users[Role.STREET_CASEWORKER])
    assert Case.objects.get(pk=case.pk).step != Step.ACCEPTANCE
