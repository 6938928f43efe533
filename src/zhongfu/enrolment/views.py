"""Enrolment pages. Thin: scope through selectors, one service, render.

The worker's reviews (due, overdue), a review with its re-screening and the decision form, the enrolment
actions posted from the case page (its panel is `templatetags/enrolment.py`), and the recoveries list."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhongfu.casework import selectors as case_selectors
from zhongfu.casework.duties import can_act, can_decide
from zhongfu.common.errors import DomainError, PermissionDenied
from zhongfu.common.web import form_add_domain_error, form_errors_text, get_or_404, paginate
from zhongfu.policies import selectors as policy_selectors

from . import forms, selectors, services
from .models import RecoveryStatus, ReviewStatus

VIEW = "registry.view_household"
TABS = [
    ("open", gettext_lazy("All open")),
    ("overdue", gettext_lazy("Overdue")),
    ("upcoming", gettext_lazy("Upcoming")),
]


@login_required
@permission_required(VIEW, raise_exception=True)
def review_list(request):
    due = request.GET.get("due", "open")
    if due not in selectors.DUE_FILTERS:
        due = "open"
    page = paginate(request, selectors.review_list(user=request.user, due=due))
    cases = case_selectors.with_heads([r.case for r in page.object_list])
    today = timezone.localdate()
    for review, case in zip(page.object_list, cases, strict=True):
        review.case = case
        review.overdue = review.due_on < today
    tabs = [(key, str(label)) for key, label in TABS]
    return render(request, "enrolment/review_list.html", {"page": page, "due": due, "tabs": tabs})


def _review_page(request, review, form=None, status=200):
    case = case_selectors.with_heads([review.case])[0]
    state = selectors.enrolment_state(case)
    if form is None:
        initial = {"outcome": review.advised_outcome} if review.advised_outcome else {}
        form = forms.ReviewForm(initial=initial)
    context = {
        "review": review,
        "case": case,
        "state": state,
        "explanation": selectors.review_explanation(review),
        "rule": selectors.rule_for(case.policy_code, review.review_class),
        "form": form,
        "can_act": can_act(request.user, case),
        "can_decide": can_decide(request.user, case),
        "open": review.status == ReviewStatus.OPEN,
    }
    return render(request, "enrolment/review_detail.html", context, status=status)


@login_required
@permission_required(VIEW, raise_exception=True)
def review_detail(request, review_id: int):
    review = get_or_404(selectors.review_get_for_user, user=request.user, review_id=review_id)
    if request.method != "POST":
        return _review_page(request, review)
    if request.POST.get("action") == "rescreen":
        try:
            services.review_rescreen(actor=request.user, review=review)
        except DomainError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, _("Screened again with the household's current data."))
        return redirect("enrolment:review_detail", review.pk)
    form = forms.ReviewForm(request.POST)
    if not form.is_valid():
        return _review_page(request, review, form, status=400)
    data = form.cleaned_data
    try:
        services.review_complete(
            actor=request.user,
            review=review,
            outcome=data["outcome"],
            notes=data["notes"],
            amount_fen=data["amount"],
            exit_months=data["exit_months"],
            effective_month=data["effective_month"],
        )
    except DomainError as e:
        # What the user typed stays in the form, with the message next to its field.
        form_add_domain_error(form, _rename(e))
        status = 403 if isinstance(e, PermissionDenied) else 409 if isinstance(e, services.ReviewDone) else 400
        review = selectors.review_get_for_user(user=request.user, review_id=review_id)
        return _review_page(request, review, form, status=status)
    messages.success(request, _("Review completed."))
    return redirect("enrolment:review_list")


def _rename(error: DomainError) -> DomainError:
    """The services name money `amount_fen`; the forms type yuan in `amount`."""
    if error.field == "amount_fen":
        error.field = "amount"
    return error


@login_required
@require_POST
def case_change(request, case_id: int):
    """Suspend, resume or terminate, from the case page's enrolment panel."""
    case = get_or_404(case_selectors.case_get_for_user, user=request.user, case_id=case_id)
    form = forms.EnrolmentForm(request.POST)
    if form.is_valid():
        try:
            services.enrolment_act(actor=request.user, case=case, **form.cleaned_data)
        except DomainError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, _("The enrolment was changed."))
    else:
        messages.error(request, form_errors_text(form))
    return redirect("casework:case_detail", case.pk)


@login_required
@require_POST
def case_recovery(request, case_id: int):
    case = get_or_404(case_selectors.case_get_for_user, user=request.user, case_id=case_id)
    form = forms.RecoveryForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.recovery_record(
                actor=request.user,
                case=case,
                amount_fen=data["amount"],
                reason=data["reason"],
                months_from=data["months_from"],
                months_to=data["months_to"],
            )
        except DomainError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, _("The amount to recover was recorded."))
    else:
        messages.error(request, form_errors_text(form))
    return redirect("casework:case_detail", case.pk)


@login_required
@permission_required(VIEW, raise_exception=True)
def recovery_list(request):
    status = request.GET.get("status", "")
    if status not in RecoveryStatus.values:
        status = ""
    page = paginate(request, selectors.recovery_list(user=request.user, status=status))
    names = policy_selectors.policy_names()
    for recovery in page.object_list:
        recovery.policy_name = names.get(recovery.case.policy_code, recovery.case.policy_code)
        recovery.can_settle = recovery.status == RecoveryStatus.RECORDED and can_act(request.user, recovery.case)
    context = {
        "page": page,
        "status": status,
        "statuses": [("", _("All"))] + [(s.value, s.label) for s in RecoveryStatus],
        "settle_form": forms.SettleForm(),
    }
    return render(request, "enrolment/recovery_list.html", context)


@login_required
@require_POST
def recovery_settle(request, recovery_id: int):
    recovery = get_or_404(selectors.recovery_get_for_user, user=request.user, recovery_id=recovery_id)
    form = forms.SettleForm(request.POST)
    if form.is_valid():
        try:
            services.recovery_settle(actor=request.user, recovery=recovery, **form.cleaned_data)
        except DomainError as e:
            messages.error(request, str(e))
        else:
            messages.success(request, _("Saved."))
    else:
        messages.error(request, form_errors_text(form))
    return redirect("enrolment:recovery_list")
