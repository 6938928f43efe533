"""Cases for the demo city, so that a new user finds work in every list: applications in the demo street at
every stage (just applied, being investigated, on public notice, approved and paying, refused, one overdue).

Each application goes through the real services, with the demo logins as actors. The past is replayed by
moving the services' clock (`timezone.localdate` / `timezone.now`) back to the day of each step: the
deadlines, the notice and the month the payment starts then come out as they would have. This is for the
demo only. Nothing else in the code moves the clock.
"""

import datetime as dt
import random
from contextlib import contextmanager
from unittest import mock

from django.db import transaction
from django.utils import timezone

from zhongfu.accounts.models import User
from zhongfu.audit.models import AuditEntry
from zhongfu.audit.services import audit_record
from zhongfu.common.errors import DomainError
from zhongfu.registry.models import Household
from zhongfu.screening.selectors import household_evaluate

from . import case_services, duties, services
from .models import Application, Case, CaseStatus, Step

A = AuditEntry.Action

# (stage, days ago the household applied, how many), in the order households are drawn: the few that are
# eligible for 低保 or a policy with an investigation come first. Approved cases applied about four months
# ago, so the payment roll of last month has them.
PLAN = [
    ("approved", 120, 5),
    ("notice", 12, 3),
    ("home_survey", 6, 2),
    ("financial_check", 3, 2),
    ("overdue", 75, 1),  # accepted, then nobody did the financial check
    ("refused", 90, 1),
    ("acceptance", 1, 4),
]


@contextmanager
def _clock(day: dt.date):
    """The services' today (and now, at noon Beijing time) on `day`."""
    noon = timezone.make_aware(dt.datetime.combine(day, dt.time(12)))
    with (
        mock.patch.object(timezone, "localdate", lambda *a, **k: day),
        mock.patch.object(timezone, "now", lambda: noon),
    ):
        yield


def _act(fn, case: Case, actor, day: dt.date, **kw) -> Case:
    case = Case.objects.get(pk=case.pk)
    with _clock(day):
        return fn(actor=actor, case=case, expected_version=case.version, **kw)


def _decider(case: Case, people: list) -> User | None:
    return next((u for u in people if duties.can_decide(u, case)), None)


# Where each stage of the plan stops: before doing this step (the notice: once it is published).
STOP_BEFORE = {
    "acceptance": Step.ACCEPTANCE,
    "overdue": Step.FINANCIAL_CHECK,
    "financial_check": Step.FINANCIAL_CHECK,
    "home_survey": Step.HOME_SURVEY,
    "notice": Step.DECISION,
}
ORDER = list(Step.values)


def _stops(stage: str, step: str) -> bool:
    stop = STOP_BEFORE.get(stage)
    return stop is not None and ORDER.index(step) >= ORDER.index(stop)


def _walk(case: Case, stage: str, start: dt.date, people: dict) -> None:
    """Take one case as far as `stage`, one step every few days from `start`. A procedure without the
    stage's step (关爱型探访 has no home survey) stops at the next step it has, undecided."""
    street = people["street"]
    # The community worker surveys the homes of their own community; the street's caseworker the others.
    community = people["community"] if duties.can_act(people["community"], case) else street
    steps = case.procedure.get("steps", [])
    day = start
    for step in steps:
        if _stops(stage, step):
            return
        day += dt.timedelta(days=1 if step in (Step.ACCEPTANCE, Step.NOTIFICATION) else 2)
        if step == Step.ACCEPTANCE:
            _act(case_services.case_accept, case, street, day)
        elif step == Step.FINANCIAL_CHECK:
            _act(case_services.case_record_financial_check, case, street, day, department={}, sources="未获部门数据")
        elif step == Step.HOME_SURVEY:
            conditions = "两室一厅，家具简陋；户主患慢性病，无固定收入"
            _act(case_services.case_record_home_survey, case, community, day, living_conditions=conditions)
        elif step == Step.COMMUNITY_REVIEW:
            minutes = "评议小组7人，一致同意"
            _act(case_services.case_record_review, case, street, day, outcome="agreed", minutes=minutes)
        elif step == Step.PUBLIC_NOTICE:
            case = _act(case_services.case_publish_notice, case, street, day)
            day = case.notice_ends_on
        elif step == Step.DECISION:
            decider = _decider(Case.objects.get(pk=case.pk), people["deciders"])
            if decider is None:
                return  # nobody among the demo logins decides at this level: the case waits
            approve = stage == "approved"
            reasons = "" if approve else "家庭有机动车辆一辆，不符合财产条件"
            _act(case_services.case_decide, case, decider, day, approve=approve, reasons=reasons)
        elif step == Step.NOTIFICATION:
            _act(case_services.case_record_notification, case, street, day, method="书面通知，户主签收")
        else:
            return  # payment_pending: the payment roll takes it from here


def demo_cases_generate(seed: int = 2026, *, today: dt.date | None = None, plan=PLAN) -> dict:
    """Applications in the demo street at every stage; nothing when the demo street already has any."""
    today = today or timezone.localdate()
    people = {u.username: u for u in User.objects.filter(username__in=["street", "community", "district", "admin"])}
    if "street" not in people or "community" not in people:
        return {"applications": 0, "cases": 0, "reason": "no demo logins"}
    street = people["street"]
    if Application.objects.filter(household__region__code__startswith=street.scope_prefix).exists():
        return {"applications": 0, "cases": 0, "reason": "the demo street has applications already"}
    people["deciders"] = [people[name] for name in ("street", "district", "admin") if name in people]
    rng = random.Random(seed)
    candidates = list(
        Household.objects.filter(region__code__startswith=people["community"].scope_prefix).order_by("pk")[:400]
    ) + list(Household.objects.filter(region__code__startswith=street.scope_prefix).order_by("pk")[:400])
    rng.shuffle(candidates)
    # 低保 households first: the demo is about them; then households eligible for something else.
    eligible = {h.pk: {line.code for line in household_evaluate(h).eligible} for h in candidates}
    candidates = [h for h in candidates if eligible[h.pk]]
    # (关爱型探访 alone has no investigation and no notice: those households come last.)
    candidates.sort(key=lambda h: ("dibao" not in eligible[h.pk], eligible[h.pk] <= {"care_visits"}))
    wanted = [(stage, ago) for stage, ago, n in plan for _ in range(n)]
    made, cases = 0, 0
    seen = set()
    for household in candidates:
        if not wanted:
            break
        if household.pk in seen:
            continue
        seen.add(household.pk)
        stage, ago = wanted[0]
        start = today - dt.timedelta(days=ago)
        # One transaction per household: an application is made and walked to its stage, or nothing is.
        with transaction.atomic():
            try:
                with transaction.atomic(), _clock(start):
                    application = services.application_submit_all_eligible(
                        actor=street, household=household, consent_by="户主"
                    )
            except DomainError:
                continue  # not eligible for anything today: the next household
            wanted.pop(0)
            made += 1
            for case in application.cases.order_by("pk"):
                cases += 1
                _walk(case, stage, start, people)
    audit_record(
        actor=None,
        action=A.GENERATE,
        object_type="demo_cases",
        after={"applications": made, "cases": cases, "seed": seed, "as_of": today.isoformat()},
    )
    return {"applications": made, "cases": cases}


def demo_summary() -> dict:
    """Counts by status and step, for the demo command's output."""
    open_cases = Case.objects.filter(status=CaseStatus.OPEN)
    return {
        "approved": Case.objects.filter(status=CaseStatus.APPROVED).count(),
        "refused": Case.objects.filter(status=CaseStatus.REFUSED).count(),
        "on_notice": open_cases.filter(step=Step.PUBLIC_NOTICE).count(),
        "open": open_cases.count(),
    }
