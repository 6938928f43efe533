"""Helpers shared by the notification tests."""

from zhongfu.accounts.roles import Role
from zhongfu.casework import services
from zhongfu.casework.models import Case
from zhongfu.notifications.models import Notification


def act(fn, case, actor, **kw):
    """Call a step service with the version the user would have seen."""
    case = Case.objects.get(pk=case.pk)
    return fn(actor=actor, case=case, expected_version=case.version, **kw)


def to_notice(case, users):
    """Accept, check, survey, review and publish the notice (as casework's own tests do)."""
    street, community = users[Role.STREET_CASEWORKER], users[Role.COMMUNITY_WORKER]
    act(services.case_accept, case, street)
    act(services.case_record_financial_check, case, street, department={"monthly_income": 20000})
    act(services.case_record_home_survey, case, community, living_conditions="两室一厅，家具简陋")
    act(services.case_record_review, case, community, outcome="agreed", minutes="评议小组7人，一致同意")
    return act(services.case_publish_notice, case, community)


def told(kind, case=None) -> set:
    """Usernames notified of `kind` (about `case`)."""
    qs = Notification.objects.filter(kind=kind)
    if case is not None:
        qs = qs.filter(object_type="case", object_id=str(case.pk))
    return set(qs.values_list("recipient__username", flat=True))
