"""Writes of casework: one application for every eligible policy (一件事), and one case per policy.

The case workflow (accept, check, survey, review, notice, decide, notify) is in case_services.py.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhongfu.accounts.roles import APPLY_FOR_HOUSEHOLD
from zhongfu.audit.services import audit_record
from zhongfu.common.errors import InvalidInput, PermissionDenied
from zhongfu.disclosure.services import HOUSEHOLD_ACTOR
from zhongfu.policies import selectors as policy_selectors
from zhongfu.registry.models import Household
from zhongfu.screening.models import Outcome
from zhongfu.screening.services import household_screen

from .appeals import case_appeal_decide, case_appeal_lodge, case_reopen  # noqa: F401 (re-exported)
from .case_services import (  # noqa: F401 (the workflow's writes, re-exported)
    CaseChanged,
    CaseNotAtStep,
    ReasonsRequired,
    can_act,
    can_decide,
    can_decide_appeal,
    case_accept,
    case_decide,
    case_extend,
    case_publish_notice,
    case_record_financial_check,
    case_record_home_survey,
    case_record_notification,
    case_record_objection,
    case_record_review,
    case_step,
    case_withdraw,
    cases_open_for,
)
from .models import Application, ApplicationPolicy, ApplicationStatus, Channel, DeclaredRelation
from .notices import notice_objection_lodge  # noqa: F401 (the public objection, re-exported)


class NothingToApplyFor(InvalidInput):
    pass


class ApplicationAlreadyOpen(InvalidInput):
    pass


class ConsentRequired(InvalidInput):
    pass


CONSENT_MAX = 60


def _consent_name(consent_by: str) -> str:
    name = (consent_by or "").strip()
    if not name:
        raise ConsentRequired(
            _("The household must consent to the check of its income and assets before it applies."), field="consent"
        )
    if len(name) > CONSENT_MAX:
        raise InvalidInput(_("At most %(n)s characters."), field="consent_by", n=CONSENT_MAX)
    return name


def _next_number(household: Household) -> str:
    """SQ + date + household number + a sequence: unique, readable over the phone."""
    stem = f"SQ{timezone.localdate():%Y%m%d}{household.number[-6:]}"
    taken = Application.objects.filter(number__startswith=stem).count()
    return f"{stem}{taken + 1:02d}"


@transaction.atomic
def application_submit_all_eligible(
    *, actor, household: Household, channel: str = Channel.WORKER, declared_relations=(), consent_by: str | None = None
) -> Application:
    """Screen the household now and apply, in one application, for every policy it is eligible for; each
    policy becomes a case for its unit, in the same transaction.

    `declared_relations`: [(user, relation text)] — the household's declaration that a member is related
    to a staff or committee member; those users may not act on its cases, which need a county home visit.

    `consent_by`: the household member who consented to the check of income and assets. The apply pages,
    the self-service page and the API with a body always pass it, and a blank one is refused. `None` is the
    one-click button of the screening page (and a bodiless API call), which predate consent: the application
    is made, but its financial check waits until consent is recorded (`application_record_consent`)."""
    if actor is not None and not actor.has_perm(APPLY_FOR_HOUSEHOLD):
        raise PermissionDenied(_("You do not have permission to do this."))
    if actor is None and channel != Channel.SELF_SERVICE:
        raise PermissionDenied(_("You do not have permission to do this."))
    consent = _consent_name(consent_by) if consent_by is not None else ""
    # Lock the household so two clicks cannot make two applications.
    household = Household.objects.select_for_update().get(pk=household.pk)
    open_application = Application.objects.filter(household=household, status=ApplicationStatus.SUBMITTED).first()
    if open_application is not None:
        raise ApplicationAlreadyOpen(
            _("This household already has an open application (%(number)s)."), number=open_application.number
        )
    screening = household_screen(actor=actor, household=household)
    eligible = list(screening.determinations.filter(outcome=Outcome.ELIGIBLE))
    if not eligible:
        raise NothingToApplyFor(_("The household is not eligible for any policy today; nothing to apply for."))
    catalogue = policy_selectors.current_catalogue()
    application = Application.objects.create(
        number=_next_number(household),
        household=household,
        channel=channel,
        screening=screening,
        submitted_by=actor if getattr(actor, "pk", None) else None,
        consent_by=consent,
        consent_at=timezone.now() if consent else None,
        consent_recorded_by=actor if consent and getattr(actor, "pk", None) else None,
    )
    lines = []
    for d in eligible:
        policy = catalogue.policies.get(d.policy_code)
        lines.append(
            ApplicationPolicy(
                application=application,
                policy_code=d.policy_code,
                determination=d,
                amount_fen=d.amount_fen,
                period=d.period,
                unit=policy.unit if policy else "",
                deciding_level=policy.deciding_level if policy else "",
            )
        )
    ApplicationPolicy.objects.bulk_create(lines)
    relations = []
    for user, relation in declared_relations:
        relation = (relation or "").strip()
        if user is None or not relation:
            raise InvalidInput(_("Name the staff member and the relationship."), field="declared_relations")
        relations.append(DeclaredRelation(application=application, user=user, relation=relation[:100]))
    DeclaredRelation.objects.bulk_create(relations)
    # The household applying by itself is the actor of its cases' first entries in the audit log.
    cases = cases_open_for(
        actor=actor if actor is not None else HOUSEHOLD_ACTOR,
        application=application,
        lines=list(application.policies.all()),
    )
    audit_record(
        actor=actor if actor is not None else HOUSEHOLD_ACTOR,
        action="create",
        object_type="application",
        object_id=application.pk,
        household_id=household.pk,
        region_code=household.region_id,
        after={
            "number": application.number,
            "channel": channel,
            "policies": {line.policy_code: line.amount_fen for line in lines},
            "cases": [case.number for case in cases],
            "declared_relations": [{"user": r.user_id, "relation": r.relation} for r in relations],
            "consent_by": consent,
        },
    )
    return application


@transaction.atomic
def application_record_consent(*, actor, application: Application, consent_by: str) -> Application:
    """Record the household's consent to the financial check on an application made without it (the
    one-click button); the financial check of its cases can then run."""
    from .duties import WORK_CASE

    if not actor.has_perm(WORK_CASE) and not actor.has_perm(APPLY_FOR_HOUSEHOLD):
        raise PermissionDenied(_("You do not have permission to do this."))
    application = Application.objects.select_for_update().select_related("household").get(pk=application.pk)
    if application.consent_at is not None:
        raise InvalidInput(_("Consent is already recorded for this application."), field="consent")
    application.consent_by = _consent_name(consent_by)
    application.consent_at = timezone.now()
    application.consent_recorded_by = actor
    application.save(update_fields=["consent_by", "consent_at", "consent_recorded_by"])
    audit_record(
        actor=actor,
        action="update",
        object_type="application",
        object_id=application.pk,
        household_id=application.household_id,
        region_code=application.household.region_id,
        before={"consent_by": ""},
        after={"number": application.number, "consent_by": application.consent_by},
    )
    return application
