"""The working-day calendar page: a year of month grids, the exceptions, the city administrator's
changes and a small working-day calculator. Thin: parse, call one selector or service, render."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhongfu.common.errors import DomainError
from zhongfu.common.web import form_add_domain_error

from . import selectors, services
from .forms import DayForm, LimitForm, RemoveForm
from .models import FIRST_DAY, LAST_DAY

DEFAULT_LIMIT_DAYS = 30  # the overall limit for a 低保 decision
# Column heads of the month grids, Monday first (一 二 三 … in Chinese).
WEEKDAY_NAMES = [
    gettext_lazy("Mo"),
    gettext_lazy("Tu"),
    gettext_lazy("We"),
    gettext_lazy("Th"),
    gettext_lazy("Fr"),
    gettext_lazy("Sa"),
    gettext_lazy("Su"),
]


def _year(raw, default: int) -> int:
    if raw in (None, ""):
        return default
    try:
        year = int(raw)
    except (TypeError, ValueError):
        raise Http404() from None
    if not FIRST_DAY.year <= year <= LAST_DAY.year:
        raise Http404()
    return year


def _year_url(year: int) -> str:
    return f"{reverse('workdays:year')}?year={year}"


def _limit(form: LimitForm):
    """The calculator's answer, or None with the error on the form."""
    if not form.is_bound or not form.is_valid():
        return None
    try:
        return selectors.limit_end(form.cleaned_data["start"], form.cleaned_data["days"])
    except DomainError as error:
        form_add_domain_error(form, error)
        return None


def _page(request, year: int, *, day_form=None, remove_form=None, status=200):
    today = timezone.localdate()
    if {"start", "days"} & set(request.GET):
        limit_form = LimitForm(request.GET)
    else:
        limit_form = LimitForm(initial={"start": today, "days": DEFAULT_LIMIT_DAYS})
    can_change = services.can_change_calendar(request.user)
    if can_change and day_form is None:
        day_form = _prefilled_day_form(request)
    days = selectors.year_days(year)
    context = {
        "year": year,
        "today": today,
        "months": selectors.year_months(year),
        "days": days,
        "removed": selectors.year_removed_days(year) if can_change else [],
        "has_data": bool(days),
        "nav_years": sorted(set(selectors.years_loaded()) | {year}),
        "can_change": can_change,
        "day_form": day_form,
        "remove_form": remove_form,
        # The row whose removal failed, to show the error next to its reason.
        "remove_date": (getattr(remove_form, "cleaned_data", None) or {}).get("date") if remove_form else None,
        "weekday_names": WEEKDAY_NAMES,
        "limit_form": limit_form,
        "limit": _limit(limit_form),
    }
    return render(request, "workdays/year.html", context, status=status)


def _prefilled_day_form(request) -> DayForm:
    """The administrator's form, filled in with the day clicked on the grid (?day=YYYY-MM-DD)."""
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return DayForm()
    initial: dict = {"date": day}
    existing = selectors.day_get(day)
    if existing is not None and existing.is_exception:
        initial |= {"kind": existing.kind, "name": existing.name, "source": existing.source}
    elif day.weekday() >= 5:
        initial["kind"] = "workday"
    return DayForm(initial=initial)


@login_required
def year(request):
    """Any logged-in user may read the calendar; only the city administrator sees the forms."""
    return _page(request, _year(request.GET.get("year"), timezone.localdate().year))


@login_required
def limit(request):
    """The calculator's answer alone, for HTMX."""
    form = LimitForm(request.GET)
    year = _year(request.GET.get("year"), timezone.localdate().year)
    return render(request, "workdays/_limit.html", {"limit_form": form, "limit": _limit(form), "year": year})


def _require_change(request) -> None:
    if not services.can_change_calendar(request.user):
        raise DjangoPermissionDenied


@login_required
@require_POST
def day_set(request):
    _require_change(request)
    form = DayForm(request.POST)
    year = _year(request.POST.get("year"), timezone.localdate().year)
    if form.is_valid():
        try:
            day = services.day_set(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form_add_domain_error(form, error)
        else:
            messages.success(request, _("The calendar is changed: %(date)s.") % {"date": day.date.isoformat()})
            return redirect(_year_url(day.date.year))
    return _page(request, year, day_form=form)


@login_required
@require_POST
def day_remove(request):
    _require_change(request)
    form = RemoveForm(request.POST)
    year = _year(request.POST.get("year"), timezone.localdate().year)
    if form.is_valid():
        try:
            day = services.day_remove(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form_add_domain_error(form, error)
        else:
            messages.success(request, _("%(date)s follows the usual week again.") % {"date": day.date.isoformat()})
            return redirect(_year_url(day.date.year))
    return _page(request, year, remove_form=form)
