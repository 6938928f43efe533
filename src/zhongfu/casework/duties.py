"""Who may act on a case (separation of duties, against 优亲厚友).

- `can_act`: a worker (casework.work_case) in scope, not declared related to the household.
- `can_decide`: can act, has casework.decide_case and the role that decides at the policy's
  level, and did not record the home survey.
- `can_decide_appeal`: can decide, and did not make the decision appealed against.
A household's declared relationships are recorded at application time (DeclaredRelation).
"""

from django.utils.translation import gettext_lazy as _

from zhongfu.accounts.roles import DECIDE_CASE, WORK_CASE, Role
from zhongfu.common.errors import PermissionDenied

from .models import Case, DeclaredRelation

# Who decides at each level a policy names (policies/catalogue/*.yaml `deciding_level`). A higher level may
# decide what a lower one may: the district confirms 低保 and may decide street-level aid too.
LEVEL_DECIDERS = {
    "city": {Role.CITY_ADMIN},
    "district": {Role.DISTRICT_CASEWORKER, Role.CITY_ADMIN},
    "street": {Role.STREET_CASEWORKER, Role.DISTRICT_CASEWORKER, Role.CITY_ADMIN},
}
# The county (district) visits the home itself when the household declared a relationship to staff.
COUNTY_ROLES = {Role.DISTRICT_CASEWORKER, Role.CITY_ADMIN}


def _in_scope(user, case: Case) -> bool:
    prefix = getattr(user, "scope_prefix", None)
    return prefix is not None and case.household.region_id.startswith(prefix)


def is_related(user, case: Case) -> bool:
    return DeclaredRelation.objects.filter(application_id=case.application_id, user_id=user.pk).exists()


def can_act(user, case: Case) -> bool:
    """A worker (casework.work_case), in scope, and not declared related to the household."""
    return (
        user is not None
        and user.is_authenticated
        and user.has_perm(WORK_CASE)
        and _in_scope(user, case)
        and not is_related(user, case)
    )


def has_surveyed(user, case: Case) -> bool:
    return case.events.filter(action="home_survey", actor_id=user.pk).exists()


def can_decide(user, case: Case) -> bool:
    """casework.decide_case and the deciding level's role, in scope, not related, and not the one who recorded
    the home survey."""
    roles = LEVEL_DECIDERS.get(case.deciding_level, {Role.CITY_ADMIN})
    return can_act(user, case) and user.has_perm(DECIDE_CASE) and user.role in roles and not has_surveyed(user, case)


def require_act(actor, case: Case) -> None:
    if actor is None:
        return
    if getattr(actor, "pk", None) and is_related(actor, case):
        raise PermissionDenied(_("This household declared a relationship with you: you cannot act on its cases."))
    if not can_act(actor, case):
        raise PermissionDenied(_("You do not have permission to do this."))


def can_decide_appeal(user, case: Case, decided_by_id: int | None) -> bool:
    """An appeal (or a reopening) is decided by another decider of the case's level or a higher one: can decide
    the case, and did not make the decision appealed against (`decided_by_id`)."""
    return can_decide(user, case) and (decided_by_id is None or user.pk != decided_by_id)
