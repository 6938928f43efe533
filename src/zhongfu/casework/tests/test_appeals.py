"""Appeals and reopening: lodged by the household or recorded by a worker within the time limit, decided by
another decider (upheld, or reopened at a step with a new overall limit), the case reopened without an appeal,
optimistic locking, one appeal per decision, and the audit trail."""

import datetime as dt

import pytest
from django.utils import timezone

from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.casework import appeals, services
from zhongfu.casework.models import Appeal, Case, CaseEvent, CaseStatus, Step
from zhongfu.common.errors import InvalidInput, PermissionDenied
from zhongfu.disclosure.services import HOUSEHOLD_ACTOR
from zhongfu.workdays.selectors import add_working_days

from .test_workflow_services import act, to_decision

pytestmark = pytest.mark.django_db

REFUSAL = "家庭有非生产性机动车辆一辆，不符合财产条件"
GROUNDS = "该车辆为残疾人代步车，属于规定允许的车辆"


@pytest.fixture
def day(monkeypatch):
    def set_day(value: dt.date):
        monkeypatch.setattr(timezone, "localdate", lambda *a, **k: value)

    return set_day


@pytest.fixture
def refused(dibao, users, day):
    """The 低保 case refused by the district caseworker after the notice, and the refusal notified a day later."""
    case = to_decision(dibao, users)
    decided = case.notice_ends_on + dt.timedelta(days=1)
    day(decided)
    case = act(services.case_decide, case, users[Role.DISTRICT_CASEWORKER], approve=False, reasons=REFUSAL)
    day(decided + dt.timedelta(days=1))
    case = act(services.case_record_notification, case, users[Role.STREET_CASEWORKER], method="书面告知理由")
    assert (case.status, case.step) == (CaseStatus.REFUSED, Step.CLOSED)
    return case


def test_the_household_lodges_an_appeal_within_the_limit(refused, day):
    notified = refused.step_started_on
    window = appeals.appeal_window(refused)
    assert window["starts_on"] == notified and window["ends_on"] == notified + dt.timedelta(days=60)
    day(window["ends_on"])
    case = act(services.case_appeal_lodge, refused, None, grounds=GROUNDS)
    appeal = Appeal.objects.get(case=case)
    assert (appeal.channel, appeal.lodged_by, appeal.lodged_on, appeal.outcome) == (
        "self_service",
        None,
        window["ends_on"],
        "pending",
    )
    assert appeal.against == "refusal" and appeal.decision_event.action == "decide_refuse"
    # The case stays refused while the appeal waits; the event and the audit entry name the household.
    assert case.status == CaseStatus.REFUSED and case.version == refused.version + 1
    event = case.events.get(action="appeal_lodge")
    assert event.actor is None and event.note == GROUNDS and event.data["appeal"] == appeal.pk
    entry = AuditEntry.objects.get(
        object_type="case", object_id=str(case.pk), action="create", after__event="appeal_lodge"
    )
    assert entry.actor_name == HOUSEHOLD_ACTOR and entry.household_id == case.household_id


def test_an_appeal_after_the_limit_or_on_a_wrong_day_is_refused_and_nothing_written(refused, users, day):
    street = users[Role.STREET_CASEWORKER]
    ends_on = appeals.appeal_window(refused)["ends_on"]
    counts = (CaseEvent.objects.count(), AuditEntry.objects.count())
    day(ends_on + dt.timedelta(days=1))
    with pytest.raises(appeals.AppealTooLate, match=ends_on.isoformat()) as e:
        act(services.case_appeal_lodge, refused, None, grounds=GROUNDS)
    assert e.value.field == "lodged_on"
    # A worker records a letter received in time, even if entered later.
    for lodged_on, message in (
        (ends_on + dt.timedelta(days=2), "future"),
        (refused.decided_on - dt.timedelta(days=1), "before the decision"),
    ):
        with pytest.raises(InvalidInput, match=message):
            act(services.case_appeal_lodge, refused, street, grounds=GROUNDS, lodged_on=lodged_on)
    with pytest.raises(InvalidInput, match="grounds"):
        act(services.case_appeal_lodge, refused, street, grounds="不服", lodged_on=ends_on)
    assert (CaseEvent.objects.count(), AuditEntry.objects.count()) == counts and not Appeal.objects.exists()
    case = act(services.case_appeal_lodge, refused, street, grounds=GROUNDS, lodged_on=ends_on)
    appeal = case.appeals.get()
    assert (appeal.channel, appeal.lodged_by, appeal.lodged_on) == ("worker", street, ends_on)


def test_only_a_refusal_or_a_termination_is_appealed(dibao, users):
    with pytest.raises(appeals.NothingToAppeal):
        act(services.case_appeal_lodge, dibao, None, grounds=GROUNDS)
    assert not Appeal.objects.exists()


def test_whoever_decided_does_not_decide_the_appeal_and_upheld_stays_refused(refused, users, worker):
    district = users[Role.DISTRICT_CASEWORKER]
    case = act(services.case_appeal_lodge, refused, users[Role.STREET_CASEWORKER], grounds=GROUNDS)
    with pytest.raises(PermissionDenied, match="appealed against"):
        act(services.case_appeal_decide, case, district, outcome="upheld", reasons="经复核，原决定事实清楚")
    # A street caseworker is below the level that decides 低保.
    with pytest.raises(PermissionDenied):
        act(services.case_appeal_decide, case, users[Role.STREET_CASEWORKER], outcome="upheld", reasons="经复核维持")
    other = worker(Role.DISTRICT_CASEWORKER, "district2", "district")
    with pytest.raises(InvalidInput) as e:
        act(services.case_appeal_decide, case, other, outcome="maybe", reasons="经复核，原决定事实清楚")
    assert e.value.field == "outcome"
    case = act(services.case_appeal_decide, case, other, outcome="upheld", reasons="经复核，原决定事实清楚，维持")
    appeal = Appeal.objects.get(case=case)
    assert (appeal.outcome, appeal.decided_by, appeal.reopen_step) == ("upheld", other, "")
    assert appeal.decided_on == timezone.localdate()
    assert (case.status, case.step, case.refusal_reasons) == (CaseStatus.REFUSED, Step.CLOSED, REFUSAL)
    assert case.events.filter(action="appeal_upheld").exists()
    # One appeal per decision.
    with pytest.raises(InvalidInput, match="already appealed"):
        act(services.case_appeal_lodge, case, None, grounds=GROUNDS)
    with pytest.raises(InvalidInput, match="No appeal"):
        act(services.case_appeal_decide, case, other, outcome="upheld", reasons="经复核，原决定事实清楚")


def test_reopened_at_a_step_with_a_new_overall_limit_and_appealed_again(refused, users, day):
    admin, district = users[Role.CITY_ADMIN], users[Role.DISTRICT_CASEWORKER]
    case = act(services.case_appeal_lodge, refused, None, grounds=GROUNDS)
    with pytest.raises(InvalidInput) as e:
        act(
            services.case_appeal_decide, case, admin, outcome="reopened", reasons="需重新入户核实车辆性质", reopen_to=""
        )
    assert e.value.field == "reopen_to"
    assert appeals.reopen_steps(case) == [
        "financial_check",
        "home_survey",
        "community_review",
        "public_notice",
        "decision",
    ]
    today = refused.step_started_on + dt.timedelta(days=10)
    day(today)
    version = Case.objects.get(pk=case.pk).version
    case = act(
        services.case_appeal_decide,
        case,
        admin,
        outcome="reopened",
        reasons="需重新入户核实车辆性质",
        reopen_to="home_survey",
    )
    assert case.version == version + 2  # the appeal decided, and the case reopened
    assert (case.status, case.step, case.step_started_on) == (CaseStatus.OPEN, Step.HOME_SURVEY, today)
    assert case.due_on == add_working_days(today, 30) and case.extended_to is None
    assert (case.decided_on, case.decided_by, case.refusal_reasons, case.notice_starts_on) == (None, None, "", None)
    assert case.next_due_on == min(case.step_due_on, case.due_on)
    assert list(case.events.order_by("id").values_list("action", flat=True))[-3:] == [
        "appeal_lodge",
        "appeal_reopened",
        "reopen",
    ]
    assert Appeal.objects.get(case=case).reopen_step == "home_survey"
    # The application has work again: open, so the household does not apply a second time meanwhile.
    assert case.application.__class__.objects.get(pk=case.application_id).status == "submitted"
    entries = AuditEntry.objects.filter(object_type="case", object_id=str(case.pk)).order_by("seq")
    assert [e.after["event"] for e in entries][-3:] == ["appeal_lodge", "appeal_reopened", "reopen"]
    assert entries.last().after["status"] == "open" and entries.last().actor == admin
    # The case runs again through the steps and is refused again: that new refusal can be appealed again.
    community = users[Role.COMMUNITY_WORKER]
    act(services.case_record_home_survey, case, community, living_conditions="车辆为残疾人代步车")
    act(services.case_record_review, case, community, outcome="agreed", minutes="复议后评议")
    case = act(services.case_publish_notice, case, community)
    day(case.notice_ends_on + dt.timedelta(days=1))
    case = act(services.case_decide, case, district, approve=False, reasons="家庭人均收入高于当地低保标准")
    case = act(services.case_appeal_lodge, case, None, grounds=GROUNDS)
    assert case.appeals.count() == 2 and case.appeals.filter(outcome="pending").count() == 1


def test_reopen_without_an_appeal(refused, users, worker):
    district = users[Role.DISTRICT_CASEWORKER]
    with pytest.raises(PermissionDenied, match="appealed against"):
        act(services.case_reopen, refused, district, reopen_to="financial_check", reason="发现核对数据有误，重新核对")
    other = worker(Role.DISTRICT_CASEWORKER, "district2", "district")
    with pytest.raises(InvalidInput, match="reason"):
        act(services.case_reopen, refused, other, reopen_to="financial_check", reason="有误")
    with pytest.raises(InvalidInput) as e:
        act(services.case_reopen, refused, other, reopen_to="acceptance", reason="发现核对数据有误，重新核对")
    assert e.value.field == "reopen_to"
    case = act(services.case_reopen, refused, other, reopen_to="financial_check", reason="发现核对数据有误，重新核对")
    assert (case.status, case.step) == (CaseStatus.OPEN, Step.FINANCIAL_CHECK)
    assert case.events.latest("id").data["appeal"] is None
    with pytest.raises(appeals.NothingToAppeal):
        act(services.case_reopen, case, other, reopen_to="financial_check", reason="发现核对数据有误，重新核对")


def test_reopen_waits_for_a_pending_appeal(refused, users):
    case = act(services.case_appeal_lodge, refused, None, grounds=GROUNDS)
    with pytest.raises(InvalidInput, match="appeal is waiting"):
        act(
            services.case_reopen,
            case,
            users[Role.CITY_ADMIN],
            reopen_to="home_survey",
            reason="发现核对数据有误，重新核对",
        )


def test_no_reopening_while_another_case_of_the_same_policy_is_open(refused, users):
    # Stands for the household's new application after the refusal: another open case of the same policy.
    sibling = (
        Case.objects.filter(application=refused.application, status=CaseStatus.OPEN).exclude(pk=refused.pk).first()
    )
    Case.objects.filter(pk=sibling.pk).update(policy_code="dibao")
    with pytest.raises(InvalidInput, match=sibling.number):
        act(
            services.case_reopen,
            refused,
            users[Role.CITY_ADMIN],
            reopen_to="home_survey",
            reason="发现核对数据有误，重新核对",
        )
    assert Case.objects.get(pk=refused.pk).status == CaseStatus.REFUSED


def test_a_stale_version_writes_nothing(refused, users):
    seen = Case.objects.get(pk=refused.pk)
    act(services.case_appeal_lodge, refused, None, grounds=GROUNDS)
    with pytest.raises(services.CaseChanged):
        services.case_appeal_decide(
            actor=users[Role.CITY_ADMIN],
            case=seen,
            expected_version=seen.version,
            outcome="upheld",
            reasons="经复核维持原决定",
        )
    assert Appeal.objects.get().outcome == "pending"


def test_a_termination_recorded_on_the_case_is_appealed(dibao, users, day):
    """Enrolment notes a termination on the case (case_record_termination): it can then be appealed."""
    case = to_decision(dibao, users)
    day(case.notice_ends_on + dt.timedelta(days=1))
    case = act(services.case_decide, case, users[Role.DISTRICT_CASEWORKER], approve=True)
    assert appeals.appealable_decision(case) is None
    terminated_on = case.decided_on + dt.timedelta(days=90)
    appeals.case_record_termination(
        actor=users[Role.STREET_CASEWORKER], case=case, decided_on=terminated_on, reason="家庭成员已就业，收入超过标准"
    )
    window = appeals.appeal_window(case)
    assert window["against"] == "termination" and window["ends_on"] == terminated_on + dt.timedelta(days=60)
    day(terminated_on + dt.timedelta(days=5))
    case = act(services.case_appeal_lodge, case, None, grounds=GROUNDS)
    assert case.appeals.get().against == "termination"
    # The street caseworker terminated it: another decider reviews.
    with pytest.raises(PermissionDenied):
        act(
            services.case_appeal_decide,
            case,
            users[Role.STREET_CASEWORKER],
            outcome="upheld",
            reasons="经复核维持原决定",
        )
