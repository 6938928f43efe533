"""Writes of warnings: a worker's discovery report, assigning one for a visit, closing it with an outcome, and
the daily escalation of overdue warnings. Each change is in the audit log (object type "warning") in the same
transaction."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from zhongfu.accounts.roles import REPORT_DISCOVERY, VIEW_HOUSEHOLD, WORK_CASE, Role
from zhongfu.audit.services import audit_record
from zhongfu.common.errors import InvalidInput, PermissionDenied
from zhongfu.feeds.schemas import FEEDS

from .models import Tier, Warning, WarningKind, WarningOutcome, WarningStatus
from .warning_selectors import warning_get_for_user

OBJECT_TYPE = "warning"
NOTE_MAX = 500


def _require(actor) -> None:
    if actor is None or not actor.is_authenticated or not actor.has_perm(WORK_CASE):
        raise PermissionDenied()


def _open_warning(actor, warning_id: int) -> Warning:
    warning = warning_get_for_user(user=actor, warning_id=warning_id)
    warning = Warning.objects.select_for_update().get(pk=warning.pk)
    if warning.status == WarningStatus.CLOSED:
        raise InvalidInput(_("This warning is already closed."), field="status")
    return warning


def _snapshot(warning: Warning) -> dict:
    return {
        "kind": warning.kind,
        "policy": warning.policy_code,
        "status": warning.status,
        "assignee": warning.assignee_id,
        "outcome": warning.outcome,
        "application": warning.application_id,
        "feedback_feed": warning.feedback_feed,
    }


def _audit(actor, action: str, warning: Warning, before: dict, reason: str = "") -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type=OBJECT_TYPE,
        object_id=warning.pk,
        household_id=warning.household_id,
        region_code=warning.region_id,
        before=before,
        after=_snapshot(warning),
        reason=reason,
    )


@transaction.atomic
def warning_assign(*, actor, warning_id: int, assignee_id: int | None = None) -> Warning:
    """Assign a warning to a worker whose scope covers its community (the actor when no one is named);
    the warning is then being visited."""
    _require(actor)
    warning = _open_warning(actor, warning_id)
    assignee = actor if assignee_id is None else get_user_model().objects.filter(pk=assignee_id, is_active=True).first()
    prefix = getattr(assignee, "scope_prefix", None)
    if (
        assignee is None
        or not assignee.has_perm(WORK_CASE)
        or prefix is None
        or not warning.region_id.startswith(prefix)
    ):
        raise InvalidInput(_("Choose a worker whose region covers the household."), field="assignee")
    before = _snapshot(warning)
    warning.assignee, warning.status = assignee, WarningStatus.VISITING
    warning.save(update_fields=["assignee", "status"])
    _audit(actor, "assign", warning, before)
    return warning


@transaction.atomic
def warning_close(
    *,
    actor,
    warning_id: int,
    outcome: str,
    application_id: int | None = None,
    note: str = "",
    feedback_feed: str = "",
) -> Warning:
    """Close a warning after the visit. `helped` names the application it led to or the referral (`note`);
    `data_wrong` says what is wrong (`note`), fed back to the feed the data came from; `not_needed` may add
    a note."""
    _require(actor)
    warning = _open_warning(actor, warning_id)
    note = (note or "").strip()
    if len(note) > NOTE_MAX or "\x00" in note:
        raise InvalidInput(_("At most %(n)s characters."), field="note", n=NOTE_MAX)
    if outcome not in WarningOutcome.values:
        raise InvalidInput(_("Choose the outcome of the visit."), field="outcome")
    application = None
    if application_id is not None:
        from zhongfu.casework.models import Application

        application = Application.objects.filter(pk=application_id, household_id=warning.household_id).first()
        if application is None:
            raise InvalidInput(_("No application of this household has that number."), field="application")
    if outcome == WarningOutcome.HELPED and application is None and not note:
        raise InvalidInput(
            _("Name the application the visit led to, or write the referral (to whom, for what)."), field="note"
        )
    if outcome == WarningOutcome.DATA_WRONG:
        if not note:
            raise InvalidInput(_("Say what is wrong: the department that sent the data is told."), field="note")
        feedback_feed = feedback_feed or (warning.source_feeds[0] if warning.source_feeds else "")
        if feedback_feed and feedback_feed not in FEEDS:
            raise InvalidInput(_("Choose one of the department feeds."), field="feedback_feed")
    else:
        feedback_feed = ""
    before = _snapshot(warning)
    warning.status, warning.outcome, warning.application = WarningStatus.CLOSED, outcome, application
    warning.outcome_note, warning.feedback_feed = note, feedback_feed
    warning.closed_by, warning.closed_at = actor, timezone.now()
    warning.save(
        update_fields=["status", "outcome", "application", "outcome_note", "feedback_feed", "closed_by", "closed_at"]
    )
    _audit(actor, "close", warning, before, reason=note)
    return warning


# ---- the daily escalation ----

ESCALATION_TITLE = gettext_noop("%(n)s monitoring warnings overdue in %(street)s")
ESCALATION_BODY = gettext_noop("Warnings not closed by their due date: visit the households or reassign them.")


def warnings_escalate(today: dt.date | None = None) -> dict:
    """Mark open warnings past their due date as escalated and tell each street's caseworkers how many of
    their street's warnings are overdue. Idempotent per day: the notification carries the day as its key,
    and a warning escalated once keeps its first escalation date. Returns {"escalated": n, "notified": n}."""
    from django.urls import reverse

    from zhongfu.notifications.rules import users_in_scope
    from zhongfu.notifications.services import notify
    from zhongfu.regions.models import Region

    today = today or timezone.localdate()
    overdue = Warning.objects.exclude(status=WarningStatus.CLOSED).filter(due_on__lt=today)
    with transaction.atomic():
        escalated = overdue.filter(escalated_on__isnull=True).update(escalated_on=today)
        streets: dict[str, int] = {}
        for region_id in overdue.values_list("region_id", flat=True):
            streets[region_id[:9]] = streets.get(region_id[:9], 0) + 1
        names = dict(Region.objects.filter(code__in=streets).values_list("code", "name"))
        notified = 0
        link = reverse("monitoring:warning_list") + "?due=overdue"
        for street, n in sorted(streets.items()):
            caseworkers = [u for u in users_in_scope(street) if u.role == Role.STREET_CASEWORKER]
            notified += len(
                notify(
                    caseworkers,
                    "warnings_overdue",
                    ESCALATION_TITLE,
                    ESCALATION_BODY,
                    link=link,
                    object_type="monitoring_street",
                    object_id=street,
                    params={"n": n, "street": names.get(street, street)},
                    key=today.isoformat(),
                    region_code=street,
                )
            )
    return {"escalated": escalated, "notified": notified}


# ---- discovery reports ----

SEEN_MAX = 1000
ADDRESS_MAX = 200


@transaction.atomic
def discovery_report(
    *,
    actor,
    tier: str,
    seen: str,
    household_id: int | None = None,
    address: str = "",
    community: str = "",
    today: dt.date | None = None,
) -> Warning:
    """A worker found a household in need (or a person not yet in the registry: a free-text address and the
    community). It becomes a warning of kind `discovery` on the community's list, due by its tier, handled and
    closed like any other. What was seen is its explanation, kept as written.

    A volunteer (no registry access) reports by address in their own community only; the report is assigned to
    that community's worker, who is told."""
    from zhongfu.regions.models import Level, Region
    from zhongfu.registry.selectors import household_get_for_user
    from zhongfu.workdays.selectors import add_working_days

    from .warning_config import warning_config

    if actor is None or not actor.is_authenticated or not actor.has_perm(REPORT_DISCOVERY):
        raise PermissionDenied()
    if household_id is not None and not actor.has_perm(VIEW_HOUSEHOLD):
        raise PermissionDenied()  # a volunteer never looks households up: they write the address
    seen = (seen or "").strip()
    address = (address or "").strip()
    if not seen:
        raise InvalidInput(_("Say what you saw: who needs help, and why."), field="seen")
    if len(seen) > SEEN_MAX or "\x00" in seen:
        raise InvalidInput(_("At most %(n)s characters."), field="seen", n=SEEN_MAX)
    if tier not in Tier.values:
        raise InvalidInput(_("Choose how urgent it is."), field="tier")
    household = None
    if household_id is not None:
        household = household_get_for_user(user=actor, household_id=household_id)  # NotFound out of scope
        region = household.region
        address = ""
    else:
        if not address:
            raise InvalidInput(_("Choose the household, or write the address where the person lives."), field="address")
        if len(address) > ADDRESS_MAX or "\x00" in address:
            raise InvalidInput(_("At most %(n)s characters."), field="address", n=ADDRESS_MAX)
        prefix = actor.scope_prefix
        region = Region.objects.filter(code=(community or "").strip(), level=Level.COMMUNITY).first()
        if region is None or prefix is None or not region.code.startswith(prefix):
            raise InvalidInput(_("Choose a community in your region."), field="community")
        if (
            Warning.objects.filter(household__isnull=True, region=region, address=address, kind=WarningKind.DISCOVERY)
            .exclude(status=WarningStatus.CLOSED)
            .exists()
        ):
            raise InvalidInput(_("This address already has an open discovery report."), field="address")
    if household is not None and (
        Warning.objects.filter(household=household, kind=WarningKind.DISCOVERY, policy_code="")
        .exclude(status=WarningStatus.CLOSED)
        .exists()
    ):
        raise InvalidInput(_("This household already has an open discovery report."), field="household")
    today = today or timezone.localdate()
    days = warning_config(today).due_working_days[tier]
    warning = Warning.objects.create(
        household=household,
        address=address,
        kind=WarningKind.DISCOVERY,
        tier=tier,
        explanation={"zh": [seen], "en": [seen]},
        region=region,
        reported_by=actor,
        assignee=None if actor.has_perm(WORK_CASE) else _community_worker(region),
        raised_on=today,
        due_on=add_working_days(today, days),
    )
    _audit(actor, "report", warning, {}, reason=seen)
    if warning.assignee_id:
        _tell_assignee(warning)
    return warning


def _community_worker(region):
    """The worker a volunteer's report goes to: the community's own worker (the first, if several), else none —
    the report is then on the list of everyone whose scope covers the community, like any warning."""
    return (
        get_user_model()
        .objects.filter(is_active=True, role=Role.COMMUNITY_WORKER, region=region)
        .order_by("pk")
        .first()
    )


DISCOVERY_TITLE = gettext_noop("A volunteer reported a household in need in %(community)s")
DISCOVERY_BODY = gettext_noop("The report is assigned to you: visit and close it with an outcome.")


def _tell_assignee(warning: Warning) -> None:
    from django.urls import reverse

    from zhongfu.notifications.services import notify

    notify(
        [warning.assignee],
        "discovery_assigned",
        DISCOVERY_TITLE,
        DISCOVERY_BODY,
        link=reverse("monitoring:warning_detail", args=[warning.pk]),
        object_type=OBJECT_TYPE,
        object_id=warning.pk,
        params={"community": warning.region.name},
        region_code=warning.region_id,
    )
