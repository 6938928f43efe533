"""Writes of casework: submitting one application for every eligible policy (一件事)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhongfu.accounts.roles import APPLY_FOR_HOUSEHOLD
from zhongfu.audit.services import audit_record
from zhongfu.common.errors import InvalidInput, PermissionDenied
from zhongfu.policies import selectors as policy_selectors
from zhongfu.registry.models import Household
from zhongfu.screening.models import Outcome
from zhongfu.screening.services import household_screen

from .models import Application, ApplicationPolicy, ApplicationStatus, Channel


class NothingToApplyFor(InvalidInput):
    pass


class ApplicationAlreadyOpen(InvalidInput):
    pass


def _next_number(household: Household) -> str:
    """SQ + date + household number + a sequence: unique, readable over the phone."""
    stem = f"SQ{timezone.localdate():%Y%m%d}{household.number[-6:]}"
    taken = Application.objects.filter(number__startswith=stem).count()
    return f"{stem}{taken + 1:02d}"


@transaction.atomic
def application_submit_all_eligible(*, actor, household: Household, channel: str = Channel.WORKER) -> Application:
    """Screen the household now and apply, in one application, for every policy it is eligible for."""
    if actor is not None and not actor.has_perm(APPLY_FOR_HOUSEHOLD):
        raise PermissionDenied(_("You do not have permission to do this."))
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
    audit_record(
        actor=actor,
        action="create",
        object_type="application",
        object_id=application.pk,
        household_id=household.pk,
        region_code=household.region_id,
        after={
            "number": application.number,
            "channel": channel,
            "policies": {line.policy_code: line.amount_fen for line in lines},
        },
    )
    return application
