"""Roles and what each may do. A permission is granted by role (see backends.RoleBackend);
what a user may *see* is further limited by scope: a region-code prefix plus a unit."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhongfu.regions.models import Level


class Role(models.TextChoices):
    CITY_ADMIN = "city_admin", _("city administrator")
    DISTRICT_CASEWORKER = "district_caseworker", _("district caseworker")
    STREET_CASEWORKER = "street_caseworker", _("street caseworker")
    COMMUNITY_WORKER = "community_worker", _("community worker")
    UNIT_STAFF = "unit_staff", _("member-unit staff")
    CHARITY_STAFF = "charity_staff", _("charity staff")
    AUDITOR = "auditor", _("auditor")
    VOLUNTEER = "volunteer", _("volunteer")


# Roles whose users sit at one level of the region tree (docs/adding-a-role.md, "Scope comes from the region").
ROLE_REGION_LEVEL = {Role.VOLUNTEER: Level.COMMUNITY}

VIEW_HOUSEHOLD = "registry.view_household"
CHANGE_HOUSEHOLD = "registry.change_household"
IMPORT_HOUSEHOLDS = "registry.import_households"
UNMASK = "registry.unmask_personal_data"
VIEW_AUDIT = "audit.view_auditentry"
# Store a household's determinations (screen it against every policy) and apply on its behalf.
SCREEN_HOUSEHOLD = "screening.screen_household"
APPLY_FOR_HOUSEHOLD = "casework.apply_for_household"
# Work a case: accept, check, survey, review, notice, objection, notify, extend, withdraw.
WORK_CASE = "casework.work_case"
# Approve or refuse a case; who decides at which level is casework.duties.LEVEL_DECIDERS.
DECIDE_CASE = "casework.decide_case"
# Batch screening runs and standard simulations over the whole city.
RUN_SCREENING = "screening.run_screening"
# Policies and parameters: everyone who works with households may read them; changing one takes a
# proposal by a city administrator and the approval of another (maker-checker).
VIEW_POLICY = "policies.view_policy"
PROPOSE_POLICY_CHANGE = "policies.propose_change"
APPROVE_POLICY_CHANGE = "policies.approve_change"
# The working-day calendar (public holidays, make-up working days): only the city administrator changes it.
CHANGE_CALENDAR = "workdays.change_calendarday"
# Visit rules (how often each household class is visited): only the city administrator changes them.
CHANGE_VISIT_RULE = "visits.change_visitrule"
# Report a household in need (a discovery report, monitoring's warning lifecycle). Every worker may; a volunteer may
# do nothing else, and sees only the reports they made.
REPORT_DISCOVERY = "monitoring.report_discovery"
# The city administrator manages users and units in the admin site.
MANAGE_USERS = frozenset(
    f"accounts.{action}_{model}" for action in ("view", "add", "change") for model in ("user", "unit")
)

_WORKERS = {
    VIEW_HOUSEHOLD,
    CHANGE_HOUSEHOLD,
    UNMASK,
    VIEW_POLICY,
    SCREEN_HOUSEHOLD,
    APPLY_FOR_HOUSEHOLD,
    WORK_CASE,
    REPORT_DISCOVERY,
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.CITY_ADMIN: frozenset(
        _WORKERS
        | {IMPORT_HOUSEHOLDS, VIEW_AUDIT, RUN_SCREENING, PROPOSE_POLICY_CHANGE, APPROVE_POLICY_CHANGE, CHANGE_CALENDAR}
        | {DECIDE_CASE, CHANGE_VISIT_RULE}
        | MANAGE_USERS
    ),
    Role.DISTRICT_CASEWORKER: frozenset(_WORKERS | {IMPORT_HOUSEHOLDS, DECIDE_CASE}),
    Role.STREET_CASEWORKER: frozenset(_WORKERS | {IMPORT_HOUSEHOLDS, DECIDE_CASE}),
    Role.COMMUNITY_WORKER: frozenset(_WORKERS),
    # Member units see the households of their region to give help, but not the raw identifiers.
    Role.UNIT_STAFF: frozenset({VIEW_HOUSEHOLD, VIEW_POLICY}),
    # Charities work from masked needs lists (a later capability), never from the registry.
    Role.CHARITY_STAFF: frozenset(),
    Role.AUDITOR: frozenset({VIEW_HOUSEHOLD, VIEW_AUDIT, VIEW_POLICY}),
    # A volunteer sits on a community: reports what they see there and follows their own reports, nothing more —
    # no registry, no warnings, no personal data (the report is handled by the community's worker).
    Role.VOLUNTEER: frozenset({REPORT_DISCOVERY}),
}
