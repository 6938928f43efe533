"""The case workflow through its services: the 低保 path, refusal, objection, deadlines, extension,
separation of duties, conflicts, attachments and the audit trail."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.casework import case_services, services
from zhongfu.casework.attachments import AttachmentRefused
from zhongfu.casework.models import Case, CaseAttachment, CaseEvent, CaseStatus, Objection, Step
from zhongfu.common.errors import InvalidInput, PermissionDenied
from zhongfu.workdays.models import CalendarDay
from zhongfu.workdays.selectors import add_working_days, calendar_changed

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
PDF = b"%PDF-1.7\n" + b"0" * 100


@pytest.fixture
def day(monkeypatch):
    """Set today's date for the services (timezone.localdate)."""

    def set_day(value: dt.date):
        monkeypatch.setattr(timezone, "localdate", lambda *a, **k: value)

    return set_day


def act(fn, case, actor, **kw):
    """Call a step service with the version the user would have seen."""
    case = Case.objects.get(pk=case.pk)
    return fn(actor=actor, case=case, expected_version=case.version, **kw)


def to_decision(case, users, surveyor=None):
    street = users[Role.STREET_CASEWORKER]
    community = users[Role.COMMUNITY_WORKER]
    act(services.case_accept, case, street)
    act(services.case_record_financial_check, case, street, department={"monthly_income": 20000})
    act(services.case_record_home_survey, case, surveyor or community, living_conditions="两室一厅，家具简陋")
    act(services.case_record_review, case, community, outcome="agreed", minutes="评议小组7人，一致同意")
    return act(services.case_publish_notice, case, community)


def test_full_dibao_path_to_approval_with_the_engine_amount(dibao, users, day):
    start = timezone.localdate()
    district = users[Role.DISTRICT_CASEWORKER]
    engine_amount = dibao.line.determination.amount_fen
    assert engine_amount > 0
    case = to_decision(dibao, users)
    assert case.step == Step.PUBLIC_NOTICE and case.notice_ends_on == case.notice_starts_on + dt.timedelta(days=7)
    assert case.due_on == add_working_days(start, 30)
    # While the notice runs, nobody decides.
    with pytest.raises(InvalidInput, match="notice"):
        act(services.case_decide, case, district, approve=True)
    day(case.notice_ends_on + dt.timedelta(days=1))
    case = act(services.case_decide, case, district, approve=True)
    assert (case.status, case.amount_fen, case.decided_by, case.decision_late) == (
        CaseStatus.APPROVED,
        engine_amount,
        district,
        False,
    )
    assert case.step == Step.NOTIFICATION
    assert case.payment_from == (case.decided_on.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    case = act(services.case_record_notification, case, users[Role.STREET_CASEWORKER], method="书面通知，户主签收")
    assert case.step == Step.PAYMENT_PENDING and case.next_due_on is None
    actions = list(case.events.values_list("action", flat=True))
    assert actions == [
        "open",
        "accept",
        "financial_check",
        "home_survey",
        "review",
        "publish_notice",
        "decide_approve",
        "notify",
    ]
    assert case.version == len(actions)
    entries = AuditEntry.objects.filter(object_type="case", object_id=str(case.pk)).order_by("seq")
    assert [e.after["event"] for e in entries] == actions
    assert {e.household_id for e in entries} == {case.household_id}
    assert entries.get(action="approve").after["amount_fen"] == engine_amount


def test_financial_check_lists_differences_per_item(dibao, users):
    street = users[Role.STREET_CASEWORKER]
    act(services.case_accept, dibao, street)
    declared = case_services.declared_figures(dibao)
    assert declared["monthly_income"] == 20000
    act(
        services.case_record_financial_check,
        dibao,
        street,
        department={"monthly_income": 150000, "vehicles": 1, "financial_assets": None},
    )
    data = dibao.events.get(action="financial_check").data
    rows = {r["item"]: r for r in data["differences"]}
    assert rows["monthly_income"] == {
        "item": "monthly_income",
        "declared": 20000,
        "department": 150000,
        "difference": 130000,
    }
    assert rows["vehicles"]["department"] == 1 and "financial_assets" not in rows


def test_refusal_requires_written_reasons(dibao, users, day):
    case = to_decision(dibao, users)
    day(case.notice_ends_on + dt.timedelta(days=1))
    district = users[Role.DISTRICT_CASEWORKER]
    version = Case.objects.get(pk=case.pk).version
    for reasons in ("", "   ", "不符合"):
        with pytest.raises(services.ReasonsRequired) as e:
            act(services.case_decide, case, district, approve=False, reasons=reasons)
        assert e.value.field == "reasons"
    assert Case.objects.get(pk=case.pk).version == version
    case = act(
        services.case_decide, case, district, approve=False, reasons="家庭有非生产性机动车辆一辆，不符合财产条件"
    )
    assert case.status == CaseStatus.REFUSED and case.refusal_reasons.startswith("家庭有")
    # The refusal letter is due within 3 working days.
    assert case.step == Step.NOTIFICATION and case.step_due_on == add_working_days(case.decided_on, 3)
    case = act(services.case_record_notification, case, users[Role.STREET_CASEWORKER], method="书面告知理由")
    assert case.step == Step.CLOSED and case.payment_from is None


def test_objection_sends_back_to_reinvestigation_then_a_new_notice(dibao, users, day):
    case = to_decision(dibao, users)
    first_end = case.notice_ends_on
    public = services.notice_objection_lodge(case=case, name="", contact="13800000000", text="该户家中有经营性门面一间")
    district = users[Role.DISTRICT_CASEWORKER]
    day(first_end + dt.timedelta(days=1))
    with pytest.raises(InvalidInput, match="objection"):
        act(services.case_decide, case, district, approve=True)
    case = act(
        services.case_record_objection, case, users[Role.COMMUNITY_WORKER], text="核实门面情况", objection_id=public.pk
    )
    assert case.step == Step.HOME_SURVEY and case.notice_starts_on is None
    assert Objection.objects.get(pk=public.pk).handled
    act(services.case_record_home_survey, case, users[Role.COMMUNITY_WORKER], living_conditions="门面已于去年转让")
    act(services.case_record_review, case, users[Role.COMMUNITY_WORKER], outcome="agreed", minutes="复议同意")
    case = act(services.case_publish_notice, case, users[Role.COMMUNITY_WORKER])
    assert case.notice_round == 2 and case.notice_starts_on == first_end + dt.timedelta(days=1)
    assert case.notice_ends_on == case.notice_starts_on + dt.timedelta(days=7)
    day(case.notice_ends_on + dt.timedelta(days=1))
    assert act(services.case_decide, case, district, approve=True).status == CaseStatus.APPROVED


def test_deadline_counts_working_days_across_weekend_and_holiday(dibao, users, day):
    friday = dt.date(2031, 9, 26)
    # The calendar of this window is set here: a holiday on Wednesday 1 October, a make-up Saturday the 11th.
    CalendarDay.objects.filter(date__range=(friday, dt.date(2031, 12, 31))).delete()
    CalendarDay.objects.create(date=dt.date(2031, 10, 1), kind="holiday", name="国庆节")
    CalendarDay.objects.create(date=dt.date(2031, 10, 11), kind="workday", name="国庆节调休")
    calendar_changed()
    try:
        day(friday)
        case = act(services.case_accept, dibao, users[Role.STREET_CASEWORKER])
        # 30 working days from Friday 26 September, weekends and the holiday not counted, the Saturday counted.
        assert case.due_on == dt.date(2031, 11, 7)
        # The next step's limit (investigation, 10 working days) ends on the make-up Saturday.
        assert case.step_due_on == dt.date(2031, 10, 11) == case.next_due_on
    finally:
        calendar_changed()


def test_late_decision_is_allowed_and_flagged(dibao, users, day):
    case = to_decision(dibao, users)
    day(case.due_on + dt.timedelta(days=1))
    case = act(services.case_decide, case, users[Role.DISTRICT_CASEWORKER], approve=True)
    assert case.status == CaseStatus.APPROVED and case.decision_late
    assert case.events.get(action="decide_approve").data["late"] is True


def test_extension_once_to_45_working_days(dibao, users, day):
    street = users[Role.STREET_CASEWORKER]
    with pytest.raises(InvalidInput, match="accepted"):
        act(services.case_extend, dibao, street, reason="需要补充调查外地房产信息")
    case = act(services.case_accept, dibao, street)
    with pytest.raises(InvalidInput):
        act(services.case_extend, case, street, reason="短")
    case = act(services.case_extend, case, street, reason="需要补充调查外地房产信息")
    assert case.extended_to == add_working_days(case.accepted_on, 45) and case.extension_reason
    with pytest.raises(InvalidInput, match="already extended"):
        act(services.case_extend, case, street, reason="再次延期的理由说明")
    # Deciding after 30 but within 45 working days is on time.
    case = to_decision_from_check(case, users)
    day(add_working_days(case.accepted_on, 40))
    assert not act(services.case_decide, case, users[Role.DISTRICT_CASEWORKER], approve=True).decision_late


def to_decision_from_check(case, users):
    street, community = users[Role.STREET_CASEWORKER], users[Role.COMMUNITY_WORKER]
    act(services.case_record_financial_check, case, street, department={})
    act(services.case_record_home_survey, case, community, living_conditions="一般")
    act(services.case_record_review, case, community, outcome="agreed", minutes="同意")
    return act(services.case_publish_notice, case, community)


def test_surveyor_cannot_decide(dibao, users, day):
    district = users[Role.DISTRICT_CASEWORKER]
    case = to_decision(dibao, users, surveyor=district)
    day(case.notice_ends_on + dt.timedelta(days=1))
    assert not services.can_decide(district, case)
    with pytest.raises(PermissionDenied, match="home survey"):
        act(services.case_decide, case, district, approve=True)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.OPEN
    # Street caseworkers do not decide district-level policies; the city administrator may.
    with pytest.raises(PermissionDenied):
        act(services.case_decide, case, users[Role.STREET_CASEWORKER], approve=True)
    assert act(services.case_decide, case, users[Role.CITY_ADMIN], approve=True).status == CaseStatus.APPROVED


def test_acting_needs_work_case_and_deciding_needs_decide_case(dibao, users, day, monkeypatch):
    from zhongfu.accounts.roles import DECIDE_CASE, WORK_CASE

    case = to_decision(dibao, users)
    day(case.notice_ends_on + dt.timedelta(days=1))
    district = users[Role.DISTRICT_CASEWORKER]
    assert services.can_act(district, case) and services.can_decide(district, case)
    # The level's role alone is not enough: without casework.decide_case nobody decides.
    monkeypatch.setattr(district, "has_perm", lambda perm, obj=None: perm != DECIDE_CASE)
    assert services.can_act(district, case) and not services.can_decide(district, case)
    with pytest.raises(PermissionDenied):
        act(services.case_decide, case, district, approve=True)
    # Without casework.work_case a user in scope cannot act at all.
    monkeypatch.setattr(district, "has_perm", lambda perm, obj=None: perm != WORK_CASE)
    assert not services.can_act(district, case)
    with pytest.raises(PermissionDenied):
        act(services.case_extend, case, district, reason="需要补充材料，延长期限")
    # Roles without the permission (unit staff, auditors) never act, even in scope.
    assert not services.can_act(users[Role.AUDITOR], case)


def test_related_staff_cannot_act_and_the_county_visits(poor, users, day):
    street = users[Role.STREET_CASEWORKER]
    application = services.application_submit_all_eligible(
        actor=users[Role.COMMUNITY_WORKER],
        household=poor,
        declared_relations=[(street, "户主的表弟")],
        consent_by="王建国",
    )
    case = application.cases.get(policy_code="dibao")
    assert case.county_visit_required and not services.can_act(street, case)
    events = CaseEvent.objects.count()
    with pytest.raises(PermissionDenied, match="relationship"):
        act(services.case_accept, case, street)
    assert CaseEvent.objects.count() == events
    community = users[Role.COMMUNITY_WORKER]
    act(services.case_accept, case, community)
    act(services.case_record_financial_check, case, community, department={})
    with pytest.raises(PermissionDenied, match="county"):
        act(services.case_record_home_survey, case, community, living_conditions="一般")
    assert (
        act(
            services.case_record_home_survey, case, users[Role.DISTRICT_CASEWORKER], living_conditions="区县入户核实"
        ).step
        == Step.COMMUNITY_REVIEW
    )


def test_version_conflict_names_who_and_writes_nothing(dibao, users):
    street, community = users[Role.STREET_CASEWORKER], users[Role.COMMUNITY_WORKER]
    seen = Case.objects.get(pk=dibao.pk)
    services.case_accept(actor=street, case=seen, expected_version=seen.version)
    counts = (CaseEvent.objects.count(), AuditEntry.objects.count())
    with pytest.raises(services.CaseChanged) as e:
        services.case_withdraw(actor=community, case=seen, expected_version=seen.version, reason="户主撤回申请")
    message = str(e.value)
    assert str(street) in message and "nothing was saved" in message
    at = timezone.localtime(CaseEvent.objects.filter(case=dibao).latest("id").at).strftime("%H:%M")
    assert at in message
    assert (CaseEvent.objects.count(), AuditEntry.objects.count()) == counts
    assert Case.objects.get(pk=dibao.pk).status == CaseStatus.OPEN


def _survey_with(case, users, *files):
    street = users[Role.STREET_CASEWORKER]
    act(services.case_accept, case, street)
    act(services.case_record_financial_check, case, street, department={})
    return act(
        services.case_record_home_survey,
        case,
        users[Role.COMMUNITY_WORKER],
        living_conditions="一般",
        files=list(files),
    )


@pytest.mark.parametrize(
    "upload, message",
    [
        (SimpleUploadedFile("virus.exe", b"MZ\x90\x00"), "not a JPG, PNG or PDF"),
        (SimpleUploadedFile("photo.png", b"<html>not an image</html>"), "content does not match"),
        (SimpleUploadedFile("scan.pdf", PNG), "content does not match"),
        (SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024)), "larger than 5 MB"),
    ],
)
def test_attachment_of_wrong_type_or_size_is_refused_and_nothing_written(dibao, users, upload, message, settings):
    import os

    good = SimpleUploadedFile("ok.png", PNG)
    with pytest.raises(AttachmentRefused, match=message) as e:
        _survey_with(dibao, users, good, upload)
    assert upload.name in str(e.value)
    case = Case.objects.get(pk=dibao.pk)
    assert case.step == Step.HOME_SURVEY and not CaseAttachment.objects.exists()
    assert not case.events.filter(action="home_survey").exists()
    assert not os.path.exists(settings.MEDIA_ROOT) or not any(files for _, _, files in os.walk(settings.MEDIA_ROOT))


def test_attachments_are_stored(dibao, users):
    case = _survey_with(
        dibao,
        users,
        SimpleUploadedFile("照片.JPG", b"\xff\xd8\xff\xe0" + b"1" * 50),
        SimpleUploadedFile("证明.pdf", PDF),
    )
    stored = list(case.attachments.order_by("id"))
    assert [(a.original_name, a.content_type) for a in stored] == [
        ("照片.JPG", "image/jpeg"),
        ("证明.pdf", "application/pdf"),
    ]
    assert stored[1].file.read() == PDF
    assert case.surveyed_by == users[Role.COMMUNITY_WORKER]


def test_withdraw_closes_the_case(dibao, users):
    case = act(services.case_withdraw, dibao, users[Role.STREET_CASEWORKER], reason="户主书面撤回")
    assert (case.status, case.step, case.next_due_on) == (CaseStatus.WITHDRAWN, Step.CLOSED, None)
    with pytest.raises(InvalidInput):
        act(services.case_accept, case, users[Role.STREET_CASEWORKER])


@pytest.mark.parametrize(
    "policy, path",
    [
        ("care_visits", ["acceptance", "decision", "notification"]),
        ("temporary_aid_emergency", ["acceptance", "home_survey", "decision", "notification", "payment_pending"]),
    ],
)
def test_procedures_that_skip_steps(dibao, users, policy, path):
    """Care visits go from acceptance to the decision; emergency aid has no public notice. (The procedure of
    those policies is put on this case: the test household need not qualify for them.)"""
    from zhongfu.casework.workflow import procedure_for

    Case.objects.filter(pk=dibao.pk).update(
        procedure=procedure_for(policy, timezone.localdate()), deciding_level="street"
    )
    street, community = users[Role.STREET_CASEWORKER], users[Role.COMMUNITY_WORKER]
    steps = [Case.objects.get(pk=dibao.pk).step]
    case = act(services.case_accept, dibao, street)
    steps.append(case.step)
    if case.step == Step.HOME_SURVEY:
        case = act(services.case_record_home_survey, case, community, living_conditions="急难，先行救助")
        steps.append(case.step)
    case = act(services.case_decide, case, street, approve=True)
    steps.append(case.step)
    if case.step == Step.NOTIFICATION and "payment_pending" in path:
        steps.append(act(services.case_record_notification, case, street, method="电话并书面").step)
    assert steps == path
    assert (case.payment_from is not None) == ("payment_pending" in path)


def test_application_closes_when_its_cases_are_done_and_the_household_may_apply_again(application, users, poor):
    from zhongfu.casework.models import Application

    street = users[Role.STREET_CASEWORKER]
    cases = list(application.cases.order_by("id"))
    for case in cases[:-1]:
        act(services.case_withdraw, case, street, reason="户主书面撤回")
        assert Application.objects.get(pk=application.pk).status == "submitted"
    act(services.case_withdraw, cases[-1], street, reason="户主书面撤回")
    assert Application.objects.get(pk=application.pk).status == "withdrawn"
    assert AuditEntry.objects.filter(object_type="application", object_id=str(application.pk), action="update").exists()
    again = services.application_submit_all_eligible(actor=users[Role.COMMUNITY_WORKER], household=poor)
    assert again.pk != application.pk and again.cases.count() == again.policies.count()
