"""Casework pages. Thin: scope through selectors, one service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from zhongfu.accounts.roles import APPLY_FOR_HOUSEHOLD
from zhongfu.common.errors import DomainError
from zhongfu.common.web import get_or_404, paginate
from zhongfu.policies import selectors as policy_selectors
from zhongfu.registry.selectors import household_get_for_user

from . import selectors, services


@login_required
@require_POST
def apply_all(request, household_id: int):
    """一件事: one application for every policy the household is eligible for today."""
    household = get_or_404(household_get_for_user, user=request.user, household_id=household_id)
    if not request.user.has_perm(APPLY_FOR_HOUSEHOLD):
        raise DjangoPermissionDenied
    try:
        application = services.application_submit_all_eligible(actor=request.user, household=household)
    except DomainError as e:
        messages.error(request, str(e))
        return redirect("screening:household", household.pk)
    return redirect("casework:application_detail", application.pk)


@login_required
@permission_required("registry.view_household", raise_exception=True)
def application_list(request):
    page = paginate(request, selectors.applications_visible_to(request.user))
    return render(request, "casework/application_list.html", {"page": page})


@login_required
@permission_required("registry.view_household", raise_exception=True)
def application_detail(request, application_id: int):
    application = get_or_404(selectors.application_get_for_user, user=request.user, application_id=application_id)
    names = policy_selectors.policy_names()
    lines = [
        {"line": line, "name": names.get(line.policy_code, line.policy_code)} for line in application.policies.all()
    ]
    return render(request, "casework/application_detail.html", {"application": application, "lines": lines})
