"""Reads of casework. Applications and cases are scoped through their household, like every registry read;
the public notice is the one anonymous read, and shows masked data only."""

import datetime as dt

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from zhongfu.common.errors import NotFound
from zhongfu.common.personal_data import mask_name
from zhongfu.policies import selectors as policy_selectors
from zhongfu.regions.models import Region
from zhongfu.registry.models import Membership, Relation
from zhongfu.registry.selectors import households_visible_to
from zhongfu.workdays.selectors import working_days_between

from .models import Appeal, AppealOutcome, Application, Case, CaseAttachment, CaseEvent, CaseStatus, Objection, Step
from .workflow import procedure_for, workflow_config  # noqa: F401 (the workflow's reads are selectors too)


def applications_visible_to(user) -> QuerySet[Application]:
    return Application.objects.filter(household__in=households_visible_to(user)).select_related(
        "household", "household__region", "submitted_by"
    )


def application_get_for_user(*, user, application_id: int) -> Application:
    application = applications_visible_to(user).filter(pk=application_id).first()
    if application is None:
        raise NotFound()
    return application


def application_open_for(household) -> Application | None:
    from .models import ApplicationStatus

    return Application.objects.filter(household=household, status=ApplicationStatus.SUBMITTED).first()


def staff_by_username(names: list[str]) -> dict:
    """Active users by login, for the household's declaration of relationships to staff."""
    from django.contrib.auth import get_user_model

    return {u.username: u for u in get_user_model().objects.filter(username__in=names, is_active=True)}


def staff_for_household(household) -> list:
    """The workers who may act on this household's cases (their scope covers it): the people a household
    applying by itself may declare a relationship to. Shown by name only."""
    from django.contrib.auth import get_user_model

    from zhongfu.accounts.roles import ROLE_PERMISSIONS, WORK_CASE

    roles = [role for role, perms in ROLE_PERMISSIONS.items() if WORK_CASE in perms]
    users = get_user_model().objects.filter(is_active=True, role__in=roles).order_by("region_id", "username")
    return [u for u in users if u.scope_prefix is not None and household.region_id.startswith(u.scope_prefix)]


# --- cases ---------------------------------------------------------------------------------------------

DUE_FILTERS = ("today", "overdue", "week", "open")


def cases_visible_to(user) -> QuerySet[Case]:
    """Cases are scoped through their household, exactly like the household itself."""
    return Case.objects.filter(household__in=households_visible_to(user)).select_related(
        "household", "household__region", "application"
    )


def case_get_for_user(*, user, case_id: int) -> Case:
    case = (
        cases_visible_to(user)
        .select_related("line__determination", "decided_by", "surveyed_by")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound()
    return case


def case_worklist(*, user, due: str = "today", today: dt.date | None = None) -> QuerySet[Case]:
    """The worker's list: due today, overdue, due by the end of this week (Sunday), or everything open.
    "Due" is the nearest limit of the case (its step or the overall limit, see Case.next_due_on)."""
    today = today or timezone.localdate()
    qs = cases_visible_to(user).filter(next_due_on__isnull=False)
    if due == "today":
        qs = qs.filter(next_due_on=today)
    elif due == "overdue":
        qs = qs.filter(next_due_on__lt=today)
    elif due == "week":
        qs = qs.filter(next_due_on__gte=today, next_due_on__lte=today + dt.timedelta(days=6 - today.weekday()))
    return qs.order_by("next_due_on", "id")


STATUS_FILTERS = tuple(CaseStatus.values)


def case_search(*, user, status: str | None = None, appeal: str | None = None) -> QuerySet[Case]:
    """Cases in scope by status (refused, withdrawn…: where appeals start), or with an appeal waiting for a
    decision (`appeal="pending"`); the most recently decided or opened first."""
    qs = cases_visible_to(user)
    if status:
        qs = qs.filter(status=status)
    if appeal == "pending":
        qs = qs.filter(appeals__outcome=AppealOutcome.PENDING)
    return qs.order_by(F("decided_on").desc(nulls_last=True), "-opened_on", "-id")


def cases_of_application(application: Application) -> QuerySet[Case]:
    return application.cases.select_related("household", "household__region").order_by("number")


def with_heads(cases) -> list[Case]:
    """Attach `head_name` (masked on display) and `working_days_left` to each case of a page."""
    cases = list(cases)
    heads = dict(
        Membership.objects.filter(
            household_id__in={c.household_id for c in cases}, end_date__isnull=True, relation=Relation.HEAD
        ).values_list("household_id", "person__name")
    )
    today = timezone.localdate()
    names = policy_selectors.policy_names()
    for case in cases:
        case.head_name = heads.get(case.household_id, "")
        case.policy_name = names.get(case.policy_code, case.policy_code)
        case.working_days_left = working_days_left(case.next_due_on, today)
        left = case.working_days_left
        case.overdue_days = -left if left is not None and left < 0 else 0
    return cases


def working_days_left(due: dt.date | None, today: dt.date | None = None) -> int | None:
    """Working days from today to `due`; negative when overdue."""
    if due is None:
        return None
    today = today or timezone.localdate()
    if due >= today:
        return working_days_between(today, due)
    return -working_days_between(due, today)


def case_history(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor").prefetch_related("attachments").order_by("at", "id")


def case_explanation(case: Case) -> list[dict]:
    """The determination's conditions, in the page's language: why the engine found the household eligible."""
    from zhongfu.screening.selectors import criterion_text, page_language

    language = page_language()
    criteria = case.line.determination.explanation.get("criteria", [])
    return [{"passed": c.get("passed"), "text": criterion_text(c.get("text", {}), language)} for c in criteria]


def case_attachment_get_for_user(*, user, case_id: int, attachment_id: int) -> CaseAttachment:
    """A home-survey file, scoped through its case's household."""
    case = case_get_for_user(user=user, case_id=case_id)
    attachment = case.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound()
    return attachment


def case_appeals(case: Case) -> QuerySet[Appeal]:
    return case.appeals.select_related("lodged_by", "decided_by").order_by("lodged_on", "id")


def household_case(household, case_id: int) -> Case:
    """One case of this household (the self-service pages: the household sees only its own)."""
    case = Case.objects.filter(household=household, pk=case_id).select_related("household").first()
    if case is None:
        raise NotFound()
    return case


def household_decided_cases(household) -> list[Case]:
    """The household's refused cases and its approved ones (a termination may be appealed), newest first,
    with `appeal_window` and `can_appeal` attached: what its self-service appeal page shows."""
    from .appeals import appeal_window

    cases = list(
        Case.objects.filter(household=household, status__in=[CaseStatus.REFUSED, CaseStatus.APPROVED])
        .prefetch_related("appeals")
        .order_by(F("decided_on").desc(nulls_last=True), "-id")
    )
    names = policy_selectors.policy_names()
    today = timezone.localdate()
    out = []
    for case in cases:
        window = case.appeal_window = appeal_window(case)
        if window is None and not case.appeals.all():
            continue
        appealed = window is not None and any(
            a.decision_event_id == window["decision_event"].pk for a in case.appeals.all()
        )
        # Open to an appeal: a decision in force, not appealed yet, and the limit not passed.
        case.can_appeal = window is not None and not appealed and today <= window["ends_on"]
        case.policy_name = names.get(case.policy_code, case.policy_code)
        out.append(case)
    return out


def case_pending_objections(case: Case) -> QuerySet[Objection]:
    return case.objections.filter(notice_round=case.notice_round, handled=False)


def overdue_by_region(*, user, today: dt.date | None = None) -> list[dict]:
    """For managers: per community in scope, open work, overdue and due today; streets add up their communities."""
    today = today or timezone.localdate()
    rows = (
        cases_visible_to(user)
        .filter(next_due_on__isnull=False)
        .values("household__region_id", "household__region__name")
        .annotate(
            open=Count("id"),
            overdue=Count("id", filter=Q(next_due_on__lt=today)),
            due_today=Count("id", filter=Q(next_due_on=today)),
        )
        .order_by("household__region_id")
    )
    streets: dict[str, dict] = {}
    for row in rows:
        code = row["household__region_id"]
        street = streets.setdefault(
            code[:9], {"code": code[:9], "open": 0, "overdue": 0, "due_today": 0, "communities": []}
        )
        for key in ("open", "overdue", "due_today"):
            street[key] += row[key]
        street["communities"].append(
            {
                "code": code,
                "name": row["household__region__name"],
                **{k: row[k] for k in ("open", "overdue", "due_today")},
            }
        )
    names = dict(Region.objects.filter(code__in=streets).values_list("code", "name"))
    for street in streets.values():
        street["name"] = names.get(street["code"], street["code"])
    return sorted(streets.values(), key=lambda s: (-s["overdue"], s["code"]))


# --- the public notice (anonymous) ------------------------------------------------------------------------


def notices_running(today: dt.date | None = None) -> list[dict]:
    """What the public sees: masked head name, household size, amount, community and the end date — never
    an address, an ID number, income or health."""
    today = today or timezone.localdate()
    cases = list(
        Case.objects.filter(
            status=CaseStatus.OPEN,
            step=Step.PUBLIC_NOTICE,
            notice_starts_on__lte=today,
            notice_ends_on__gte=today,
        )
        .select_related("household__region")
        .order_by("notice_ends_on", "id")
    )
    ids = {c.household_id for c in cases}
    heads = dict(
        Membership.objects.filter(household_id__in=ids, end_date__isnull=True, relation=Relation.HEAD).values_list(
            "household_id", "person__name"
        )
    )
    sizes = dict(
        Membership.objects.filter(household_id__in=ids, end_date__isnull=True)
        .values("household_id")
        .annotate(n=Count("id"))
        .values_list("household_id", "n")
    )
    names = policy_selectors.policy_names()
    return [
        {
            "case_id": c.pk,
            "name": mask_name(heads.get(c.household_id, "")),
            "size": sizes.get(c.household_id, 0),
            "policy": names.get(c.policy_code, c.policy_code),
            "amount_fen": c.amount_fen,
            "period": c.period,
            "community": c.household.region.name,
            "ends_on": c.notice_ends_on,
        }
        for c in cases
    ]


def notice_case(case_id: int) -> Case:
    """A case whose notice is running (for the public objection form); anything else is not found."""
    today = timezone.localdate()
    case = Case.objects.filter(
        pk=case_id,
        status=CaseStatus.OPEN,
        step=Step.PUBLIC_NOTICE,
        notice_starts_on__lte=today,
        notice_ends_on__gte=today,
    ).first()
    if case is None:
        raise NotFound()
    return case


def payable_cases(month: dt.date) -> QuerySet[Case]:
    """Cases to pay in the payment roll of `month` (its first day): approved, paying from that month or
    earlier, and neither suspended, terminated nor past a gradual exit that month (enrolment.selectors). The
    payment roll reads only this. `amount_fen` is the amount in force that month (a review's new amount or the
    gradual exit's); `period` says monthly or one-off."""
    from zhongfu.enrolment.selectors import payable_narrow  # enrolment builds on casework, not the reverse

    first = month.replace(day=1)
    approved = Case.objects.filter(status=CaseStatus.APPROVED, payment_from__isnull=False, payment_from__lte=first)
    return payable_narrow(approved, first)
