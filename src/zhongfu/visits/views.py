"""Visits pages. Thin: scope through the selectors, one selector or service, render.

The due list and the visit form are made for a phone (cards, large touch targets); the rates page and
the rules page for a desk."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from zhongfu.accounts.roles import VIEW_HOUSEHOLD
from zhongfu.common.errors import DomainError, InvalidInput
from zhongfu.common.web import form_add_domain_error, get_or_404

from . import selectors, services
from .exports import rates_xlsx
from .forms import RuleForm, VisitForm
from .models import HouseholdClass


@login_required
@permission_required(VIEW_HOUSEHOLD, raise_exception=True)
def due_list(request):
    current = request.GET.get("filter", selectors.OVERDUE)
    if current not in selectors.DUE_FILTERS:
        current = selectors.OVERDUE
    counts = selectors.due_counts(user=request.user)
    paginator = Paginator(selectors.due_list(user=request.user, filter=current), 25)
    # The counts query has the size already: spare the paginator its own pass over every household.
    paginator.__dict__["count"] = counts[current]
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "page": page,
        "rows": selectors.due_rows(page.object_list),
        "filter": current,
        "counts": counts,
        "filters": [
            (selectors.OVERDUE, _("Overdue")),
            (selectors.SOON, _("Due within 7 days")),
            (selectors.ALL, _("All")),
        ],
        "can_record": services.can_record_visits(request.user),
        "can_change_rules": services.can_change_rules(request.user),
    }
    return render(request, "visits/due_list.html", context)


@login_required
def household_visits(request, household_id: int):
    # No permission decorator: the scoped selector answers 404 to whoever may not see the household.
    household, visits = get_or_404(selectors.household_visits, user=request.user, household_id=household_id)
    context = {
        "household": household,
        "visits": visits[:100],
        "schedule": selectors.household_schedule(household),
        "can_record": services.can_record_visits(request.user),
    }
    return render(request, "visits/household_visits.html", context)


@login_required
def visit_new(request, household_id: int):
    household, _visits = get_or_404(selectors.household_visits, user=request.user, household_id=household_id)
    if not services.can_record_visits(request.user):
        raise DjangoPermissionDenied
    form = VisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.visit_record(
                request.user,
                household,
                visited_on=data["visited_on"],
                kind=data["kind"],
                outcome=data["outcome"],
                needs=data["needs"],
                notes=data["notes"],
                follow_up=data["follow_up"],
            )
        except DomainError as e:
            form_add_domain_error(form, e)
        else:
            messages.success(request, _("Visit to household %(number)s recorded.") % {"number": household.number})
            back = request.POST.get("back", "")
            if back not in selectors.DUE_FILTERS:
                back = selectors.OVERDUE
            return redirect(f"{reverse('visits:due')}?filter={back}")
    context = {
        "household": household,
        "form": form,
        "schedule": selectors.household_schedule(household),
        "back": request.GET.get("back", request.POST.get("back", selectors.OVERDUE)),
    }
    return render(request, "visits/visit_form.html", context)


@login_required
@permission_required(VIEW_HOUSEHOLD, raise_exception=True)
def rates(request):
    month = request.GET.get("month", "")[:7]
    error = None
    try:
        result = selectors.visit_rates(user=request.user, month=month or None)
    except InvalidInput as e:
        error = str(e)
        result = selectors.visit_rates(user=request.user)
    if request.GET.get("format") == "xlsx" and error is None:
        response = HttpResponse(
            rates_xlsx(result), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="visit-rates-{result.month}.xlsx"'
        return response
    bars = result.chart_rows()
    chart = {"names": [r.name for r in bars], "rates": [r.rate for r in bars], "overdue": [r.overdue for r in bars]}
    context = {"result": result, "error": error, "chart": chart, "month": result.month}
    return render(request, "visits/rates.html", context)


@login_required
def rules(request):
    if not services.can_change_rules(request.user):
        raise DjangoPermissionDenied
    form = RuleForm(request.POST or None, initial={"household_class": request.GET.get("class", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rule = services.visit_rule_set(
                actor=request.user,
                household_class=data["household_class"],
                interval_days=data["interval_days"],
                valid_from=data["valid_from"],
                label=data["label"] or None,
                active=data["active"],
            )
        except DomainError as e:
            form_add_domain_error(form, e)
        else:
            messages.success(
                request,
                _("%(cls)s: every %(days)s days from %(date)s.")
                % {
                    "cls": HouseholdClass(rule.household_class).label,
                    "days": rule.interval_days,
                    "date": rule.valid_from.isoformat(),
                },
            )
            return redirect("visits:rules")
    return render(request, "visits/rules.html", {"form": form, "rows": selectors.rules_overview()})
