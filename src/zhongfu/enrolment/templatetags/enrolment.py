"""The enrolment panel of the case page: `{% load enrolment %}{% enrolment_panel case %}`."""

from django import template

from zhongfu.casework.duties import can_act, can_decide

from .. import forms, selectors
from ..models import ReviewStatus

register = template.Library()


@register.inclusion_tag("enrolment/_case_enrolment.html", takes_context=True)
def enrolment_panel(context, case):
    """State, changes, reviews and recoveries of an enrolled case, with the forms the user may use."""
    user = context["request"].user
    enrolled = selectors.enrolled_cases().filter(pk=case.pk).exists()
    if not enrolled:
        return {"enrolled": False}
    reviews = list(selectors.case_reviews(case)[:5])
    return {
        "enrolled": True,
        "case": case,
        "state": selectors.enrolment_state(case),
        "changes": list(selectors.enrolment_changes(case)[:10]),
        "reviews": reviews,
        "next_review": next((r for r in reviews if r.status == ReviewStatus.OPEN), None),
        "recoveries": list(case.recoveries.order_by("-recorded_at")[:10]),
        "can_act": can_act(user, case),
        "can_decide": can_decide(user, case),
        "change_form": forms.EnrolmentForm(),
        "recovery_form": forms.RecoveryForm(),
        "csrf_token": context.get("csrf_token"),
    }
