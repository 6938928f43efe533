"""Enrolment services and the schedule: reviews generated once per due period, re-screened with current data,
decided by a person; suspension, gradual exit and termination as the payment roll sees them; recoveries."""

import datetime as dt

import pytest

from conftest import OUT_COMMUNITY
from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.casework import appeals
from zhongfu.casework.models import Case, CaseEvent
from zhongfu.casework.selectors import payable_cases
from zhongfu.common.errors import InvalidInput, NotFound, PermissionDenied
from zhongfu.enrolment import selectors, services
from zhongfu.enrolment.models import (
    CaseReview,
    ChangeKind,
    EnrolmentChange,
    Recovery,
    RecoveryStatus,
    ReviewClass,
    ReviewOutcome,
    ReviewRule,
    ReviewStatus,
)
from zhongfu.enrolment.selectors import add_months
from zhongfu.registry.models import LabourCapacity, Membership, Person
from zhongfu.registry.services import income_set

from .conftest import enrol, member, new_id_number, pay


def _head(case) -> Person:
    return Membership.objects.get(household=case.household, relation="head", end_date__isnull=True).person


def _payable(case, month):
    return {c.pk: c.amount_fen for c in payable_cases(month)}.get(case.pk)


def test_add_months_clamps_to_the_end_of_the_month():
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2026, 11, 1), 3) == dt.date(2027, 2, 1)
    assert add_months(dt.date(2026, 3, 1), -12) == dt.date(2025, 3, 1)


@pytest.mark.django_db
def test_the_most_specific_rule_in_force_wins():
    assert selectors.rule_for("dibao", ReviewClass.ABLE_TO_WORK).interval_months == 6
    assert selectors.rule_for("dibao", ReviewClass.ABLE_TO_WORK).gradual_exit_months == 6
    assert selectors.rule_for("dibao", ReviewClass.STABLE).interval_months == 12
    assert selectors.rule_for("expenditure_poverty", ReviewClass.STABLE).interval_months == 3
    assert selectors.rule_for("marginal", ReviewClass.STABLE).interval_months == 12
    assert selectors.rule_for("marginal", ReviewClass.STABLE).gradual_exit_months == 0
    # Every shipped figure names its source.
    assert all(rule.source for rule in ReviewRule.objects.all())
    # A later version of a scope replaces the earlier one from its date on.
    ReviewRule.objects.create(policy_code="marginal", interval_months=3, valid_from=dt.date(2030, 1, 1))
    assert selectors.rule_for("marginal", ReviewClass.STABLE, dt.date(2030, 1, 1)).interval_months == 3
    assert selectors.rule_for("marginal", ReviewClass.STABLE, dt.date(2029, 12, 31)).interval_months == 12


@pytest.mark.django_db
def test_reviews_generated_once_per_due_period_by_class(enrolled, this_month):
    able = enrolled(months_ago=6)  # head of working age, able to work: every 6 months
    recent = enrolled(months_ago=1)
    stable_young = enrolled(
        months_ago=6,
        members=[member("head", name="李秀英", labour_capacity=LabourCapacity.NONE, incomes={"pension": 20000})],
    )
    assert services.reviews_generate() == 1
    review = CaseReview.objects.get()
    assert review.case_id == able.pk and review.status == ReviewStatus.OPEN
    assert review.due_on == add_months(able.payment_from, 6) == this_month
    assert (review.interval_months, review.review_class) == (6, ReviewClass.ABLE_TO_WORK)
    assert AuditEntry.objects.filter(object_type="case_review", object_id=str(review.pk), action="create").exists()
    # Idempotent: nothing new on a second run.
    assert services.reviews_generate() == 0
    # A year on, the stable household is due too (12 months); the recent one has its first 6-month review.
    later = add_months(this_month, 6)
    assert services.reviews_generate(today=later) == 2
    assert set(CaseReview.objects.values_list("case_id", flat=True)) == {able.pk, recent.pk, stable_young.pk}
    assert CaseReview.objects.get(case=stable_young).interval_months == 12


@pytest.mark.django_db
def test_the_next_review_counts_from_the_last_due_date(enrolled, users):
    case = enrolled(months_ago=12)
    services.reviews_generate()
    first = CaseReview.objects.get()
    assert first.due_on == add_months(case.payment_from, 6)  # overdue by six months
    services.review_complete(actor=users[Role.COMMUNITY_WORKER], review=first, outcome=ReviewOutcome.CONTINUE)
    assert services.reviews_generate() == 1
    second = CaseReview.objects.get(status=ReviewStatus.OPEN)
    assert second.due_on == add_months(first.due_on, 6)


@pytest.mark.django_db
def test_review_rescreens_and_continues_unchanged(enrolled, users, this_month):
    case = enrolled(months_ago=6)
    services.reviews_generate()
    review = CaseReview.objects.get()
    review = services.review_rescreen(actor=users[Role.COMMUNITY_WORKER], review=review)
    assert review.screening_id and review.determination.policy_code == "dibao"
    assert review.advised_outcome == ReviewOutcome.CONTINUE
    done = services.review_complete(actor=users[Role.COMMUNITY_WORKER], review=review, outcome="continue")
    assert (done.status, done.outcome, done.decided_by) == (ReviewStatus.DONE, "continue", users[Role.COMMUNITY_WORKER])
    assert not EnrolmentChange.objects.exists()
    with pytest.raises(services.ReviewDone):
        services.review_complete(actor=users[Role.COMMUNITY_WORKER], review=review, outcome="continue")
    assert _payable(case, add_months(this_month, 1)) == case.amount_fen


@pytest.mark.django_db
def test_no_longer_eligible_advises_gradual_exit_and_a_decider_decides(enrolled, users, this_month):
    case = enrolled(months_ago=6)
    income_set(actor=users[Role.CITY_ADMIN], person_id=_head(case).pk, kind="wage", monthly_fen=900_000)
    services.reviews_generate()
    review = CaseReview.objects.get()
    worker, district = users[Role.COMMUNITY_WORKER], users[Role.DISTRICT_CASEWORKER]
    review = services.review_rescreen(actor=worker, review=review)
    assert review.determination.outcome == 0
    assert review.advised_outcome == ReviewOutcome.GRADUAL_EXIT
    # A worker may not change what is paid; nothing is saved.
    with pytest.raises(PermissionDenied):
        services.review_complete(actor=worker, review=review, outcome="gradual_exit")
    # Departing from the advice needs notes.
    with pytest.raises(InvalidInput) as err:
        services.review_complete(actor=district, review=review, outcome="continue")
    assert err.value.field == "notes"
    with pytest.raises(InvalidInput) as err:
        services.review_complete(actor=district, review=review, outcome="gradual_exit", exit_months=7)
    assert err.value.field == "exit_months"
    half = case.amount_fen // 2
    done = services.review_complete(
        actor=district, review=review, outcome="gradual_exit", exit_months=3, amount_fen=half
    )
    change = EnrolmentChange.objects.get()
    start = add_months(this_month, 1)
    assert (change.kind, change.effective_month, change.ends_month) == ("gradual_exit", start, add_months(start, 3))
    assert done.amount_fen == half and change.review == done
    assert _payable(case, this_month) == case.amount_fen
    assert _payable(case, start) == half
    assert _payable(case, add_months(start, 2)) == half
    assert _payable(case, add_months(start, 3)) is None
    # An ending enrolment is not reviewed again.
    assert services.reviews_generate(today=add_months(this_month, 12)) == 0


@pytest.mark.django_db
def test_no_gradual_exit_where_the_policy_has_none(enrolled, users):
    case = enrolled(
        months_ago=12, members=[member("head", labour_capacity=LabourCapacity.NONE, incomes={"pension": 20000})]
    )
    income_set(actor=users[Role.CITY_ADMIN], person_id=_head(case).pk, kind="pension", monthly_fen=900_000)
    services.reviews_generate()
    review = services.review_rescreen(actor=users[Role.COMMUNITY_WORKER], review=CaseReview.objects.get())
    assert review.review_class == ReviewClass.STABLE
    assert review.advised_outcome == ReviewOutcome.TERMINATE
    district = users[Role.DISTRICT_CASEWORKER]
    with pytest.raises(InvalidInput) as err:
        services.review_complete(actor=district, review=review, outcome="terminate")
    assert err.value.field == "notes"
    services.review_complete(actor=district, review=review, outcome="terminate", notes="养老金收入超过低保标准")
    assert EnrolmentChange.objects.get().kind == ChangeKind.TERMINATE


@pytest.mark.django_db
def test_a_new_amount_is_paid_from_its_month(enrolled, users, this_month):
    case = enrolled(months_ago=6)
    income_set(actor=users[Role.CITY_ADMIN], person_id=_head(case).pk, kind="wage", monthly_fen=40_000)
    services.reviews_generate()
    review = services.review_rescreen(actor=users[Role.COMMUNITY_WORKER], review=CaseReview.objects.get())
    assert review.advised_outcome == ReviewOutcome.AMOUNT_CHANGED
    new = review.determination.amount_fen
    assert 0 < new < case.amount_fen
    services.review_complete(actor=users[Role.DISTRICT_CASEWORKER], review=review, outcome="amount_changed")
    assert _payable(case, this_month) == case.amount_fen
    assert _payable(case, add_months(this_month, 1)) == new
    assert _payable(case, add_months(this_month, 9)) == new


@pytest.mark.django_db
def test_suspend_resume_terminate(enrolled, users, this_month):
    case = enrolled()
    district, worker = users[Role.DISTRICT_CASEWORKER], users[Role.COMMUNITY_WORKER]
    nxt = add_months(this_month, 1)
    with pytest.raises(PermissionDenied):
        services.enrolment_suspend(actor=worker, case=case, reason="户主失联，待核实")
    with pytest.raises(InvalidInput) as err:
        services.enrolment_suspend(actor=district, case=case, reason=" ")
    assert err.value.field == "reason"
    with pytest.raises(services.EnrolmentConflict):
        services.enrolment_resume(actor=district, case=case, reason="已核实情况")
    with pytest.raises(InvalidInput) as err:
        services.enrolment_suspend(
            actor=district, case=case, reason="户主失联，待核实", effective_month=add_months(this_month, -1)
        )
    assert err.value.field == "effective_month"
    services.enrolment_suspend(actor=district, case=case, reason="户主失联，待核实")
    assert _payable(case, this_month) == case.amount_fen
    assert _payable(case, nxt) is None
    services.enrolment_resume(
        actor=district, case=case, reason="已联系上，情况属实", effective_month=add_months(nxt, 2)
    )
    assert _payable(case, add_months(nxt, 1)) is None
    assert _payable(case, add_months(nxt, 2)) == case.amount_fen
    # A change before the latest one's month would rewrite history.
    with pytest.raises(InvalidInput):
        services.enrolment_terminate(actor=district, case=case, reason="迁出本市", effective_month=nxt)
    services.enrolment_terminate(actor=district, case=case, reason="迁出本市", effective_month=add_months(nxt, 3))
    assert _payable(case, add_months(nxt, 2)) == case.amount_fen
    assert _payable(case, add_months(nxt, 3)) is None
    with pytest.raises(services.EnrolmentConflict):
        services.enrolment_terminate(actor=district, case=case, reason="迁出本市", effective_month=add_months(nxt, 4))
    kinds = list(AuditEntry.objects.filter(object_type="enrolment_change").values_list("after__kind", flat=True))
    assert kinds == ["suspend", "resume", "terminate"]
    assert selectors.enrolment_state(case, add_months(nxt, 3)).kind == ChangeKind.TERMINATE
    # The termination is on the case's history, so the household can appeal it.
    event = CaseEvent.objects.get(case=case, action="terminate")
    assert event.note == "迁出本市" and event.actor == district
    case = Case.objects.get(pk=case.pk)
    lodged = appeals.case_appeal_lodge(
        actor=None, case=case, expected_version=case.version, grounds="户主并未迁出本市，仍在原址居住"
    )
    assert lodged.appeals.get().grounds == "户主并未迁出本市，仍在原址居住"


def test_a_case_approved_again_after_a_termination_pays_again(enrolled, users, this_month):
    """Reopened on appeal and approved again, the case pays from its new first month: the termination and the
    changes before it belong to the old decision (enrolment selectors read the current approval's changes)."""
    case = enrolled()
    district = users[Role.DISTRICT_CASEWORKER]
    nxt = add_months(this_month, 1)
    EnrolmentChange.objects.create(  # as a review's new amount leaves it
        case=case,
        kind=ChangeKind.AMOUNT_CHANGE,
        effective_month=this_month,
        amount_fen=100,
        reason="收入变化",
        actor=district,
    )
    assert _payable(case, this_month) == 100
    services.enrolment_terminate(actor=district, case=case, reason="迁出本市", effective_month=nxt)
    assert _payable(case, nxt) is None
    # The appeal reopens the case and a decider approves it again (casework's tests take that path): it pays
    # from the month after the new decision.
    again = add_months(nxt, 2)
    case = enrol(case, again)
    assert _payable(case, add_months(nxt, 1)) is None
    assert _payable(case, again) == case.amount_fen  # the decision's amount, not the old change's
    assert selectors.enrolment_state(case).kind == ""
    # Changes after the new approval count as before.
    services.enrolment_suspend(
        actor=district, case=case, reason="户主失联，待核实", effective_month=add_months(again, 1)
    )
    assert _payable(case, add_months(again, 1)) is None


@pytest.mark.django_db
def test_termination_closes_the_open_review(enrolled, users):
    case = enrolled(months_ago=6)
    services.reviews_generate()
    services.enrolment_terminate(actor=users[Role.DISTRICT_CASEWORKER], case=case, reason="户主死亡，家庭解散")
    review = CaseReview.objects.get()
    assert (review.status, review.outcome) == (ReviewStatus.DONE, ReviewOutcome.TERMINATE)


@pytest.mark.django_db
def test_a_case_not_enrolled_cannot_change(poor, users):
    from zhongfu.casework.services import application_submit_all_eligible

    application = application_submit_all_eligible(actor=users[Role.CITY_ADMIN], household=poor(), consent_by="户主")
    with pytest.raises(services.EnrolmentConflict):
        services.enrolment_suspend(
            actor=users[Role.DISTRICT_CASEWORKER], case=application.cases.get(policy_code="dibao"), reason="户主失联"
        )


@pytest.mark.django_db
def test_scope(enrolled, users):
    outside = enrolled(months_ago=6, community=OUT_COMMUNITY)
    services.reviews_generate()
    street = users[Role.STREET_CASEWORKER]
    assert not selectors.review_list(user=street).exists()
    assert selectors.review_list(user=users[Role.CITY_ADMIN]).count() == 1
    review = CaseReview.objects.get()
    with pytest.raises(NotFound):
        selectors.review_get_for_user(user=street, review_id=review.pk)
    with pytest.raises(PermissionDenied):
        services.review_rescreen(actor=street, review=review)
    with pytest.raises(PermissionDenied):
        services.enrolment_suspend(actor=users[Role.DISTRICT_CASEWORKER], case=outside, reason="户主失联，待核实")
    with pytest.raises(PermissionDenied):
        services.recovery_record(
            actor=street,
            case=outside,
            amount_fen=100,
            reason="重复领取",
            months_from=outside.payment_from,
            months_to=outside.payment_from,
        )


@pytest.mark.django_db
def test_review_list_filters(enrolled, users, this_month):
    overdue = enrolled(months_ago=12)
    due_now = enrolled(months_ago=6)
    services.reviews_generate()
    user = users[Role.STREET_CASEWORKER]
    assert [r.case_id for r in selectors.review_list(user=user, due="overdue", today=this_month)] == [overdue.pk]
    assert [r.case_id for r in selectors.review_list(user=user, due="upcoming", today=this_month)] == [due_now.pk]
    assert selectors.review_list(user=user, due="open").count() == 2


@pytest.mark.django_db
def test_recovery_record_and_settle(enrolled, users, this_month):
    case = enrolled(months_ago=6)
    worker, district = users[Role.COMMUNITY_WORKER], users[Role.DISTRICT_CASEWORKER]
    start = case.payment_from
    pay(case, start, 3, by=district)
    bad = [
        ({"amount_fen": 0}, "amount_fen"),
        ({"amount_fen": 12.5}, "amount_fen"),
        ({"reason": ""}, "reason"),
        ({"months_to": add_months(this_month, 1)}, "months_to"),
        ({"months_from": add_months(start, 1), "months_to": start}, "months_to"),
        ({"months_from": add_months(start, -1)}, "months_from"),
    ]
    good = {
        "amount_fen": 3 * case.amount_fen - 1,
        "reason": "隐瞒工资收入，多领三个月",
        "months_from": start,
        "months_to": add_months(start, 2),
    }
    for change, field in bad:
        with pytest.raises(InvalidInput) as err:
            services.recovery_record(actor=worker, case=case, **(good | change))
        assert err.value.field == field
    recovery = services.recovery_record(actor=worker, case=case, **good)
    assert (recovery.amount_fen, recovery.status, recovery.household_id) == (
        3 * case.amount_fen - 1,
        "recorded",
        case.household_id,
    )
    assert AuditEntry.objects.filter(object_type="recovery", action="create", object_id=str(recovery.pk)).exists()
    with pytest.raises(PermissionDenied):
        services.recovery_settle(actor=worker, recovery=recovery, status="written_off", note="户主已去世，无力偿还")
    with pytest.raises(InvalidInput):
        services.recovery_settle(actor=district, recovery=recovery, status="written_off", note="")
    services.recovery_settle(actor=district, recovery=recovery, status="written_off", note="户主已去世，无力偿还")
    recovery.refresh_from_db()
    assert recovery.status == RecoveryStatus.WRITTEN_OFF and recovery.settled_by == district
    with pytest.raises(services.EnrolmentConflict):
        services.recovery_settle(actor=worker, recovery=recovery, status="repaid")
    assert [r.pk for r in selectors.recovery_list(user=worker, status="written_off")] == [recovery.pk]


@pytest.mark.django_db
def test_recovery_repaid_by_a_worker(enrolled, users):
    case = enrolled(months_ago=3)
    worker = users[Role.COMMUNITY_WORKER]
    pay(case, case.payment_from, 1, by=worker)
    recovery = services.recovery_record(
        actor=worker,
        case=case,
        amount_fen=5000,
        reason="重复发放",
        months_from=case.payment_from,
        months_to=case.payment_from,
    )
    services.recovery_settle(actor=worker, recovery=recovery, status="repaid")
    recovery.refresh_from_db()
    assert recovery.status == RecoveryStatus.REPAID


@pytest.mark.django_db
def test_second_member_keeps_the_household_able_to_work(enrolled):
    case = enrolled(
        months_ago=6,
        members=[
            member("head", labour_capacity=LabourCapacity.NONE, incomes={"pension": 20000}),
            member("spouse", id_number=new_id_number(), labour_capacity=LabourCapacity.FULL),
        ],
    )
    assert selectors.review_class_of(case) == ReviewClass.ABLE_TO_WORK


@pytest.mark.django_db
def test_the_command_generates_for_a_date(enrolled, this_month, capsys):
    from django.core.management import CommandError, call_command

    enrolled(months_ago=1)
    call_command("reviews_generate", "--today", this_month.isoformat())
    assert "0 reviews created" in capsys.readouterr().out
    call_command("reviews_generate", "--today", add_months(this_month, 5).isoformat())
    assert "1 reviews created" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("reviews_generate", "--today", "tomorrow")


@pytest.mark.django_db
def test_the_payment_roll_leaves_out_a_suspended_enrolment(enrolled, users, this_month):
    from zhongfu.payments.services import roll_prepare

    paying, suspended = enrolled(months_ago=2), enrolled(months_ago=2)
    services.enrolment_suspend(actor=users[Role.DISTRICT_CASEWORKER], case=suspended, reason="户主失联，待核实")
    roll = roll_prepare(actor=users[Role.CITY_ADMIN], month=add_months(this_month, 1))
    assert set(roll.lines.values_list("case_id", flat=True)) == {paying.pk}


@pytest.mark.django_db
def test_generation_queries_do_not_grow_with_the_cases(enrolled, this_month, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    enrolled(months_ago=6)
    with CaptureQueriesContext(connection) as one:
        assert services.reviews_generate() == 1
    for _ in range(4):
        enrolled(months_ago=6)
    with django_assert_max_num_queries(len(one)):
        assert services.reviews_generate() == 4


@pytest.mark.django_db
def test_a_recovery_is_no_more_than_what_was_paid(enrolled, users):
    """Checked against the lines the bank confirmed paid, less what is already being recovered."""
    case = enrolled(months_ago=4)
    worker = users[Role.COMMUNITY_WORKER]
    start = case.payment_from
    pay(case, start, 2, by=worker)  # the third month's line never came back paid

    def record(amount, first, last):
        return services.recovery_record(
            actor=worker, case=case, amount_fen=amount, reason="隐瞒收入", months_from=first, months_to=last
        )

    with pytest.raises(InvalidInput) as err:
        record(case.amount_fen + 1, start, start)
    assert err.value.field == "amount_fen" and "at most" in str(err.value)
    with pytest.raises(InvalidInput):
        record(1, add_months(start, 2), add_months(start, 2))  # nothing paid that month
    record(case.amount_fen, start, start)
    with pytest.raises(InvalidInput):  # the first month is already being recovered in full
        record(case.amount_fen + 1, start, add_months(start, 1))
    record(case.amount_fen, start, add_months(start, 1))
    with pytest.raises(InvalidInput) as err:  # every paid fen is already claimed
        record(1, add_months(start, 1), add_months(start, 2))
    assert Recovery.objects.filter(case=case).count() == 2
