"""The monitoring run on a small city with feed records: the three kinds of warning, re-running, one run at a
time; the warning lifecycle (scope, assign, close with an outcome) and the daily escalation."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from conftest import OUT_COMMUNITY, member, new_id_number
from zhongfu.accounts.models import User
from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.casework.models import Case, CaseStatus, Step
from zhongfu.casework.services import application_submit_all_eligible
from zhongfu.common.errors import InvalidInput, NotFound, PermissionDenied
from zhongfu.monitoring import warning_selectors as selectors
from zhongfu.monitoring.models import MonitoringRun, RunStatus, Warning, WarningKind, WarningStatus
from zhongfu.monitoring.runs import RunInProgress, monitoring_run_start
from zhongfu.monitoring.services import risk_model_sync
from zhongfu.monitoring.warning_services import warning_assign, warning_close, warnings_escalate
from zhongfu.notifications.models import Notification
from zhongfu.registry.models import Income
from zhongfu.workdays.selectors import add_working_days

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def day(days_ago: int) -> str:
    return (TODAY - dt.timedelta(days=days_ago)).isoformat()


def poor_members(ids):
    return [member("head", incomes={"wage": 20000}, id_number=ids[0])] + [member("child", id_number=i) for i in ids[1:]]


def enrol(household, users, policy="dibao") -> Case:
    application = application_submit_all_eligible(actor=users[Role.CITY_ADMIN], household=household, consent_by="张三")
    case = application.cases.get(policy_code=policy)
    # Where an approval leaves a case (the casework tests cover the way there).
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.APPROVED, step=Step.PAYMENT_PENDING, next_due_on=None)
    return case


@pytest.fixture
def city(make_household, users, push):
    """At risk (medical costs and a serious illness); eligible for 低保 and never applied; enrolled with a
    company role; enrolled whose income rose; comfortable; and one at risk in another district."""
    risk_sync = risk_model_sync()
    assert risk_sync
    ids = {name: [new_id_number(), new_id_number()] for name in ("risk", "eligible", "company", "richer", "fine")}
    made = {
        "risk": make_household(members=[member("head", id_number=ids["risk"][0], incomes={"wage": 900_000})]),
        "eligible": make_household(members=poor_members(ids["eligible"])),
        "company": make_household(members=poor_members(ids["company"])),
        "richer": make_household(members=poor_members(ids["richer"])),
        "fine": make_household(members=[member("head", id_number=ids["fine"][0], incomes={"wage": 900_000})]),
    }
    far_id = new_id_number("330109")
    made["far"] = make_household(
        community=OUT_COMMUNITY, members=[member("head", id_number=far_id, incomes={"wage": 900_000})]
    )
    made["cases"] = {name: enrol(made[name], users) for name in ("company", "richer")}
    Income.objects.filter(person__memberships__household=made["richer"]).update(monthly_fen=3_000_000)
    medical = [
        {"身份证号": i, "结算日期": day(30), "个人自付(元)": "40000", "重特大疾病": "是"}
        for i in (ids["risk"][0], far_id)
    ]
    push("medical_insurance", medical)
    push(
        "market_regulation",
        [
            {
                "身份证号": ids["company"][0],
                "登记日期": day(60),
                "统一社会信用代码": "91330106MA2XXXXX1X",
                "职务": "股东",
            }
        ],
    )
    return made


def run_monitoring(users, run_tasks, capture) -> MonitoringRun:
    with capture(execute=True):
        run = monitoring_run_start(actor=users[Role.CITY_ADMIN])
    assert run_tasks() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.DONE, run.error
    return run


def open_warnings():
    return {(w.household_id, w.kind, w.policy_code): w for w in Warning.objects.exclude(status=WarningStatus.CLOSED)}


def test_a_run_raises_the_three_kinds(city, users, run_tasks, django_capture_on_commit_callbacks):
    run = run_monitoring(users, run_tasks, django_capture_on_commit_callbacks)
    assert run.progress == 100 and run.active is None and run.households == 6 and run.model_hash
    found = open_warnings()

    risk = found.pop((city["risk"].pk, WarningKind.AT_RISK, ""))
    assert risk.tier == "orange" and risk.score == 50  # 30 medical + 20 serious illness
    assert risk.explanation["zh"][0] == "医保自付 40,000.00 元（近 12 个月）：+30"
    assert risk.explanation["en"][1] == "1 member(s) with a serious illness: +20"
    assert risk.source_feeds == ["medical_insurance"] and risk.region_id == city["risk"].region_id
    assert risk.due_on == add_working_days(TODAY, 7) and risk.status == WarningStatus.OPEN
    far = found.pop((city["far"].pk, WarningKind.AT_RISK, ""))
    assert far.region_id == OUT_COMMUNITY

    eligible = found.pop((city["eligible"].pk, WarningKind.ELIGIBLE_NOT_ENROLLED, "dibao"))
    assert eligible.tier == "yellow" and eligible.due_on == add_working_days(TODAY, 15)
    assert eligible.explanation["zh"][0].startswith("政策筛查：符合「")
    assert "estimated amount" in eligible.explanation["en"][0]

    company = found.pop((city["company"].pk, WarningKind.NO_LONGER_QUALIFYING, "dibao"))
    assert company.tier == "orange" and company.source_feeds == ["market_regulation"]
    assert company.explanation["zh"] == ["企业任职成员数：1"]
    richer = found.pop((city["richer"].pk, WarningKind.NO_LONGER_QUALIFYING, "dibao"))
    assert richer.explanation["en"][0].startswith("policy screening: no longer eligible for")

    # Enrolled households have open cases for their other policies: nothing else finds them; the comfortable
    # household has nothing; any remaining warning is another cash policy the poor household qualifies for.
    assert {(h, k) for h, k, _p in found} <= {(city["eligible"].pk, WarningKind.ELIGIBLE_NOT_ENROLLED)}
    assert not Warning.objects.filter(household=city["fine"]).exists()
    assert run.summary[WarningKind.AT_RISK] == {"found": 2, "raised": 2}
    assert AuditEntry.objects.filter(object_type="monitoring_run", object_id=str(run.pk)).count() == 2


def test_rerunning_never_duplicates_an_open_warning(city, users, run_tasks, django_capture_on_commit_callbacks):
    run_monitoring(users, run_tasks, django_capture_on_commit_callbacks)
    first = Warning.objects.count()
    assert first >= 5
    second = run_monitoring(users, run_tasks, django_capture_on_commit_callbacks)
    assert Warning.objects.count() == first
    # Every kind this city calls for is found again and none raised (no payments here: no duplicate aid).
    assert all(v["raised"] == 0 and v["found"] > 0 for k, v in second.summary.items() if k != WarningKind.DUPLICATE_AID)
    assert second.summary[WarningKind.DUPLICATE_AID] == {"found": 0, "raised": 0}

    # A closed warning does not block a new one when the data still say so.
    warning = Warning.objects.get(household=city["risk"])
    warning_close(actor=users[Role.COMMUNITY_WORKER], warning_id=warning.pk, outcome="not_needed")
    run_monitoring(users, run_tasks, django_capture_on_commit_callbacks)
    assert Warning.objects.filter(household=city["risk"]).count() == 2
    assert Warning.objects.count() == first + 1

    # The database holds it too.
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate = Warning.objects.exclude(status=WarningStatus.CLOSED).first()
        duplicate.pk = None
        duplicate.save()


def test_one_run_at_a_time(users):
    admin = users[Role.CITY_ADMIN]
    run = monitoring_run_start(actor=admin)
    with pytest.raises(RunInProgress) as refused:
        monitoring_run_start(actor=admin)
    assert f"#{run.pk}" in str(refused.value)
    # The database refuses a second active run even past the service.
    with pytest.raises(IntegrityError), transaction.atomic():
        MonitoringRun.objects.create(as_of=TODAY)
    with pytest.raises(PermissionDenied):
        monitoring_run_start(actor=users[Role.STREET_CASEWORKER])


def test_a_failed_run_frees_the_next(users, run_tasks, django_capture_on_commit_callbacks):
    # No risk model is approved: the run fails, says why, and the next may start.
    with django_capture_on_commit_callbacks(execute=True):
        run = monitoring_run_start(actor=users[Role.CITY_ADMIN])
    run_tasks()
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "risk model" in run.error and run.active is None
    assert monitoring_run_start(actor=users[Role.CITY_ADMIN]).pk != run.pk


def test_scope_a_community_worker_sees_only_their_community(
    city, users, regions, run_tasks, django_capture_on_commit_callbacks
):
    run_monitoring(users, run_tasks, django_capture_on_commit_callbacks)
    worker = users[Role.COMMUNITY_WORKER]
    mine = selectors.warnings_for_user(user=worker)
    assert mine.exists() and all(w.region_id == regions["community"].code for w in mine)
    far = Warning.objects.get(household=city["far"])
    with pytest.raises(NotFound):
        selectors.warning_get_for_user(user=worker, warning_id=far.pk)
    with pytest.raises(NotFound):
        warning_close(actor=worker, warning_id=far.pk, outcome="not_needed")
    assert selectors.warnings_for_user(user=users[Role.CITY_ADMIN]).count() == mine.count() + 1
    assert not selectors.warnings_for_user(user=users[Role.CHARITY_STAFF]).exists()
    reds = selectors.warnings_for_user(user=worker, kind=WarningKind.AT_RISK, tier="orange")
    assert [w.household_id for w in reds] == [city["risk"].pk]


def test_assign_and_close_with_an_outcome(city, users, run_tasks, django_capture_on_commit_callbacks):
    run_monitoring(users, run_tasks, django_capture_on_commit_callbacks)
    worker, street = users[Role.COMMUNITY_WORKER], users[Role.STREET_CASEWORKER]
    warning = Warning.objects.get(household=city["eligible"], policy_code="dibao")
    with pytest.raises(InvalidInput):  # outside the household's region
        warning_assign(actor=street, warning_id=warning.pk, assignee_id=users[Role.UNIT_STAFF].pk)
    warning = warning_assign(actor=street, warning_id=warning.pk, assignee_id=worker.pk)
    assert warning.status == WarningStatus.VISITING and warning.assignee == worker

    with pytest.raises(InvalidInput) as no_outcome:
        warning_close(actor=worker, warning_id=warning.pk, outcome="")
    assert no_outcome.value.field == "outcome"
    with pytest.raises(InvalidInput) as no_link:
        warning_close(actor=worker, warning_id=warning.pk, outcome="helped")
    assert no_link.value.field == "note"
    application = application_submit_all_eligible(actor=worker, household=city["eligible"], consent_by="张三")
    other = city["cases"]["company"].application
    with pytest.raises(InvalidInput):  # another household's application
        warning_close(actor=worker, warning_id=warning.pk, outcome="helped", application_id=other.pk)
    closed = warning_close(actor=worker, warning_id=warning.pk, outcome="helped", application_id=application.pk)
    assert closed.status == WarningStatus.CLOSED and closed.application == application and closed.closed_by == worker
    with pytest.raises(InvalidInput):
        warning_close(actor=worker, warning_id=warning.pk, outcome="not_needed")
    entries = AuditEntry.objects.filter(object_type="warning", object_id=str(warning.pk))
    assert list(entries.order_by("seq").values_list("action", flat=True)) == ["assign", "close"]

    company = Warning.objects.get(household=city["company"])
    with pytest.raises(InvalidInput):  # data wrong says what is wrong
        warning_close(actor=worker, warning_id=company.pk, outcome="data_wrong")
    company = warning_close(actor=worker, warning_id=company.pk, outcome="data_wrong", note="股东已于去年退出")
    assert company.feedback_feed == "market_regulation"
    with pytest.raises(PermissionDenied):
        warning_close(
            actor=users[Role.AUDITOR], warning_id=Warning.objects.filter(status="open").first().pk, outcome="not_needed"
        )

    figures = {row["district"]: row for row in selectors.warning_figures(user=users[Role.CITY_ADMIN])}
    west = figures["330106"]
    assert west["closed"] == 2 and west["on_time"] == 2 and west["outcome_helped"] == 1
    assert west["outcome_data_wrong"] == 1 and figures["330109"]["found"] == 1


def test_escalation_is_idempotent_per_day(city, users, regions, run_tasks, django_capture_on_commit_callbacks):
    run_monitoring(users, run_tasks, django_capture_on_commit_callbacks)
    caseworker = users[Role.STREET_CASEWORKER]
    second = User.objects.create(username="t_street2", role=Role.STREET_CASEWORKER, region=regions["street"])
    late = add_working_days(TODAY, 16)  # past every due date
    first = warnings_escalate(late)
    in_street = Warning.objects.filter(region__code__startswith=regions["street"].code).count()
    assert first["escalated"] == Warning.objects.count() and first["notified"] == 2
    assert Warning.objects.filter(escalated_on=late).count() == Warning.objects.count()
    notes = Notification.objects.filter(kind="warnings_overdue")
    assert {n.recipient_id for n in notes} == {caseworker.pk, second.pk}
    assert notes.first().params["n"] == in_street
    again = warnings_escalate(late)
    assert again == {"escalated": 0, "notified": 0} and notes.count() == 2
    Notification.objects.update(read_at=timezone.now())
    next_day = warnings_escalate(late + dt.timedelta(days=1))
    assert next_day == {"escalated": 0, "notified": 2}
    assert Warning.objects.filter(escalated_on=late).count() == Warning.objects.count()  # the first date kept
    assert selectors.warnings_for_user(user=caseworker, due="overdue", today=late).count() == in_street
    assert not selectors.warnings_for_user(user=caseworker, due="overdue", today=TODAY).exists()


def test_the_daily_command(city, users, run_tasks, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command

    run_monitoring(users, run_tasks, django_capture_on_commit_callbacks)
    late = add_working_days(TODAY, 16)
    out = StringIO()
    call_command("warnings_escalate", "--date", late.isoformat(), stdout=out)
    assert f"{Warning.objects.count()} escalated, 1 notified" in out.getvalue()
    call_command("warnings_escalate", "--date", late.isoformat(), stdout=out)
    assert "0 escalated, 0 notified" in out.getvalue()


def test_cron_runs_it_as_the_system(city, users):
    """`zhongfu monitor` queues a run for the worker (one at a time, as from the page); --now runs it here."""
    import io

    from django.core.management import CommandError, call_command

    out = io.StringIO()
    call_command("monitor", stdout=out)
    queued = MonitoringRun.objects.get()
    assert queued.status == RunStatus.QUEUED and queued.started_by is None and "queued" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("monitor", "--now", stdout=out)
    MonitoringRun.objects.filter(pk=queued.pk).update(status=RunStatus.DONE, active=None)
    call_command("monitor", "--now", stdout=out)
    run = MonitoringRun.objects.exclude(pk=queued.pk).get()
    assert run.status == RunStatus.DONE and run.summary[WarningKind.AT_RISK]["raised"] == 2
    assert (city["risk"].pk, WarningKind.AT_RISK, "") in open_warnings()
    with pytest.raises(PermissionDenied):  # a person still needs the permission
        monitoring_run_start(actor=users[Role.COMMUNITY_WORKER])
