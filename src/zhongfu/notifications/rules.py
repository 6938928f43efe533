"""Who is told what about a case — the one table to change.

`EVENT_RULES` maps a case event's `action` (casework.CaseEvent) to a rule; `DECISION_READY` fires when a case
reaches the decision step (at once when a procedure without a notice gets there, and from the daily job when
a notice has ended); `DUE_TOMORROW` and `OVERDUE` come from the daily job. Each rule names its audience, a
function of the case. Audiences start from the users whose scope covers the household's region and ask
casework.duties who may act or decide, so nobody outside the household's region is ever told.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_noop

from zhongfu.accounts.roles import DECIDE_CASE, WORK_CASE, Role
from zhongfu.casework import duties
from zhongfu.regions.models import Level

# The workers who handle a case day to day: the street accepts and reviews, the community assists (民发〔2021〕57号).
# District and city users with the right to work cases see them in their lists and the manager's overdue view;
# telling them of every case in their district or city would drown the messages that are theirs.
CASE_HANDLERS = frozenset({Role.STREET_CASEWORKER, Role.COMMUNITY_WORKER})


def users_in_scope(region_code: str) -> list:
    """Active users whose scope (region-code prefix) covers `region_code`."""
    codes = {region_code[:n] for n in (6, 9, 12) if len(region_code) >= n}
    candidates = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(region_id__in=codes) | Q(region__level=Level.CITY, region__code__startswith=region_code[:4]))
        .select_related("region")
        .order_by("pk")
    )
    return [u for u in candidates if u.scope_prefix and region_code.startswith(u.scope_prefix)]


def workers(case, roles=CASE_HANDLERS) -> list:
    """Users in scope who may work the case (casework.work_case, and duties.can_act: not related to it)."""
    return [
        u
        for u in users_in_scope(case.household.region_id)
        if (roles is None or u.role in roles) and u.has_perm(WORK_CASE) and duties.can_act(u, case)
    ]


def deciders(case) -> list:
    """Who may decide the case (duties.can_decide), at the nearest level: the district caseworkers for a
    district decision, the city administrator only when nobody nearer may decide it."""
    able = [
        u for u in users_in_scope(case.household.region_id) if u.has_perm(DECIDE_CASE) and duties.can_decide(u, case)
    ]
    if not able:
        return []
    nearest = max(len(u.scope_prefix) for u in able)
    return [u for u in able if len(u.scope_prefix) == nearest]


def community_workers(case) -> list:
    """The household's community worker(s) — who tell the applicant and follow up."""
    return workers(case, roles={Role.COMMUNITY_WORKER})


@dataclass(frozen=True)
class Rule:
    kind: str
    title: str  # msgid, with %(number)s etc. from case_params
    body: str
    audience: Callable


CASE_OPENED = Rule(
    "case_opened",
    gettext_noop("New case %(number)s"),
    gettext_noop("%(policy)s for %(head)s (%(community)s) is waiting for acceptance."),
    workers,
)
OBJECTION = Rule(
    "objection",
    gettext_noop("Objection to the notice of case %(number)s"),
    gettext_noop("An objection to the public notice of %(policy)s for %(head)s (%(community)s) needs handling."),
    workers,
)
DECISION_READY = Rule(
    "decision_ready",
    gettext_noop("Case %(number)s is ready for decision"),
    gettext_noop("%(policy)s for %(head)s (%(community)s) is waiting for your decision."),
    deciders,
)
APPROVED = Rule(
    "case_approved",
    gettext_noop("Case %(number)s approved"),
    gettext_noop("%(policy)s for %(head)s (%(community)s) was approved; tell the household in writing."),
    community_workers,
)
REFUSED = Rule(
    "case_refused",
    gettext_noop("Case %(number)s refused"),
    gettext_noop("%(policy)s for %(head)s (%(community)s) was refused; give the household the written reasons."),
    community_workers,
)
# "Tomorrow" is the next working day: on a Friday the reminder is for what is due on Monday.
DUE_TOMORROW = Rule(
    "case_due_tomorrow",
    gettext_noop("Case %(number)s is due on the next working day"),
    gettext_noop("%(policy)s for %(head)s (%(community)s): the current step is due on %(due)s."),
    workers,
)
OVERDUE = Rule(
    "case_overdue",
    gettext_noop("Case %(number)s is overdue"),
    gettext_noop("%(policy)s for %(head)s (%(community)s): the current step was due on %(due)s."),
    workers,
)

# A case event's action → the rule it triggers (casework/case_services.py and notices.py name the actions).
EVENT_RULES = {
    "open": CASE_OPENED,
    "objection_received": OBJECTION,  # lodged by the public on the notice page
    "objection": OBJECTION,  # taken by a worker; the case goes back to re-investigation
    "decide_approve": APPROVED,
    "decide_refuse": REFUSED,
}


def case_params(case) -> dict:
    """What a case message may say: its number, the policy, the masked head of household and the community —
    nothing more (no ID number, address, income or health). The policy name is kept in both languages."""
    from zhongfu.casework.selectors import with_heads
    from zhongfu.common.personal_data import mask_name

    names = {}
    for lang, code in (("zh", "zh-hans"), ("en", "en")):
        with translation.override(code):
            shown = with_heads([case])[0]
            names[lang] = shown.policy_name
    return {
        "number": case.number,
        "policy": names,
        "head": mask_name(shown.head_name),
        "community": case.household.region.name,
    }
