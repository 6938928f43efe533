"""Monitoring pages. Thin: scope through the selectors, one selector or service, render.

The warning pages are for grid and community workers on a phone: one column, large touch targets."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhongfu.accounts.roles import REPORT_DISCOVERY, RUN_SCREENING, VIEW_HOUSEHOLD, WORK_CASE
from zhongfu.common.errors import DomainError, NotFound
from zhongfu.common.web import form_add_domain_error, get_or_404, is_htmx, paginate
from zhongfu.policies import selectors as policy_selectors
from zhongfu.registry.selectors import household_get_for_user

from . import runs as run_services
from . import warning_selectors as selectors
from . import warning_services
from .api import language
from .forms import DiscoveryForm, WarningCloseForm, WarningFilterForm
from .models import RUN_KINDS, WarningKind
from .scoring import household_risk


@login_required
@permission_required(VIEW_HOUSEHOLD, raise_exception=True)
def household_risk_panel(request, household_id: int):
    """One household's risk score with the reason for every point; says plainly that it only advises."""
    household = get_or_404(household_get_for_user, user=request.user, household_id=household_id)
    try:
        risk = household_risk(household)
    except NotFound:  # no model approved yet: the page says so rather than failing
        risk = None
    lang = language()
    context = {
        "household": household,
        "risk": risk,
        "lines": risk.explanation[lang] if risk else [],
        "tier_label": (risk.tier_label.get(lang) or risk.tier_label.get("zh", "")) if risk and risk.tier else "",
    }
    return render(request, "monitoring/household_risk.html", context)


# ---- warnings ----


def _decorate(warnings) -> list:
    names = policy_selectors.policy_names()
    lang = language()
    for warning in warnings:
        warning.policy_name = names.get(warning.policy_code, warning.policy_code) if warning.policy_code else ""
        warning.lines = warning.explanation.get(lang) or warning.explanation.get("zh") or []
    return warnings


@login_required
@permission_required(VIEW_HOUSEHOLD, raise_exception=True)
def warning_list(request):
    form = WarningFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    warnings = selectors.warnings_for_user(user=request.user, **{k: v for k, v in filters.items() if v})
    page = paginate(request, warnings)
    _decorate(page.object_list)
    return render(request, "monitoring/warning_list.html", {"form": form, "page": page})


def _detail(request, warning, close_form=None, status=200):
    applications = selectors.warning_applications(warning)
    context = {
        "warning": _decorate([warning])[0],
        "close_form": close_form or WarningCloseForm(applications=applications),
        "can_work": request.user.has_perm(WORK_CASE),
    }
    return render(request, "monitoring/warning_detail.html", context, status=status)


@login_required
@permission_required(VIEW_HOUSEHOLD, raise_exception=True)
def warning_detail(request, warning_id: int):
    warning = get_or_404(selectors.warning_get_for_user, user=request.user, warning_id=warning_id)
    return _detail(request, warning)


@login_required
@permission_required(WORK_CASE, raise_exception=True)
@require_POST
def warning_assign(request, warning_id: int):
    warning = get_or_404(selectors.warning_get_for_user, user=request.user, warning_id=warning_id)
    try:
        warning_services.warning_assign(actor=request.user, warning_id=warning.pk)
    except DomainError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, _("The warning is yours to visit."))
    return redirect("monitoring:warning_detail", warning.pk)


@login_required
@permission_required(WORK_CASE, raise_exception=True)
@require_POST
def warning_close(request, warning_id: int):
    warning = get_or_404(selectors.warning_get_for_user, user=request.user, warning_id=warning_id)
    applications = selectors.warning_applications(warning)
    form = WarningCloseForm(request.POST, applications=applications)
    if form.is_valid():
        data = form.cleaned_data
        try:
            warning_services.warning_close(
                actor=request.user,
                warning_id=warning.pk,
                outcome=data["outcome"],
                application_id=data["application"],
                note=data["note"],
                feedback_feed=data["feedback_feed"],
            )
        except DomainError as e:
            form_add_domain_error(form, e)
        else:
            messages.success(request, _("The warning is closed."))
            return redirect("monitoring:warning_list")
    return _detail(request, warning, close_form=form, status=422)


@login_required
@permission_required(VIEW_HOUSEHOLD, raise_exception=True)
def warning_figures(request):
    rows = selectors.warning_figures(user=request.user)
    return render(request, "monitoring/warning_figures.html", {"rows": rows})


# ---- runs ----


@login_required
@permission_required(RUN_SCREENING, raise_exception=True)
def runs(request):
    return render(request, "monitoring/runs.html", {"runs": selectors.monitoring_runs_recent(user=request.user)})


@login_required
@permission_required(RUN_SCREENING, raise_exception=True)
@require_POST
def run_start(request):
    try:
        run = run_services.monitoring_run_start(actor=request.user)
    except DomainError as e:
        messages.error(request, str(e))
        return redirect("monitoring:runs")
    return redirect("monitoring:run_detail", run.pk)


@login_required
@permission_required(RUN_SCREENING, raise_exception=True)
def run_detail(request, run_id: int):
    run = get_or_404(selectors.monitoring_run_get, user=request.user, run_id=run_id)
    rows = [
        {"kind": kind, "label": label, **run.summary.get(kind, {})}
        for kind, label in WarningKind.choices
        if kind in RUN_KINDS
    ]
    template = "monitoring/_run_status.html" if is_htmx(request) else "monitoring/run_detail.html"
    return render(request, template, {"run": run, "summary_rows": rows})


# ---- discovery reports, the household's "why", the dashboard ----


@login_required
@permission_required(REPORT_DISCOVERY, raise_exception=True)
def discovery_new(request):
    """A grid worker's or volunteer's report of a household in need: a worker searches the registry (GET q) and
    picks the household or writes the address and community; a volunteer, who never sees the registry, writes the
    address. Then what was seen and how urgent. Fit for a phone."""
    from zhongfu.regions.models import Level, Region
    from zhongfu.registry.selectors import household_search

    can_search = request.user.has_perm(VIEW_HOUSEHOLD)
    q = (request.GET.get("q") or request.POST.get("q") or "").strip()[:64] if can_search else ""
    households = list(household_search(user=request.user, q=q)[:10]) if q else []
    chosen = request.POST.get("household") if can_search else None
    if chosen and chosen.isdigit() and all(str(h.pk) != chosen for h in households):
        households += list(household_search(user=request.user).filter(pk=int(chosen)))  # keep the choice on errors
    prefix = request.user.scope_prefix or "-"
    communities = Region.objects.filter(level=Level.COMMUNITY, code__startswith=prefix).order_by("code")
    form = DiscoveryForm(
        request.POST if request.method == "POST" else None, households=households, communities=communities
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                warning = warning_services.discovery_report(
                    actor=request.user,
                    tier=data["tier"],
                    seen=data["seen"],
                    household_id=data["household"],
                    address=data["address"],
                    community=data["community"],
                )
            except DomainError as e:
                form_add_domain_error(form, e)
            else:
                messages.success(request, _("Thank you: the report is on the community's warning list."))
                if not can_search:  # a volunteer follows it on their own list
                    return redirect("monitoring:discovery_mine")
                return redirect("monitoring:warning_detail", warning.pk)
        status = 422
    context = {"form": form, "q": q, "searched": bool(q), "can_search": can_search}
    return render(request, "monitoring/discovery_new.html", context, status=status)


@login_required
@permission_required(REPORT_DISCOVERY, raise_exception=True)
def discovery_mine(request):
    """The reports the user made and how each stands: a volunteer's whole view of monitoring."""
    page = paginate(request, selectors.discovery_reports_by(user=request.user))
    for report in page.object_list:
        report.seen = " ".join(report.explanation.get("zh") or [])
    return render(request, "monitoring/discovery_mine.html", {"page": page})


@login_required
@permission_required(VIEW_HOUSEHOLD, raise_exception=True)
def warning_why(request, warning_id: int):
    """A printable page for the worker to hand over: why the household was contacted, in plain Chinese,
    masked, with the note that the score only advises (PIPL Art. 24)."""
    warning = get_or_404(selectors.warning_get_for_user, user=request.user, warning_id=warning_id)
    return render(request, "monitoring/warning_why.html", {"why": selectors.warning_why(warning)})


@login_required
@permission_required(VIEW_HOUSEHOLD, raise_exception=True)
def dashboard(request):
    """Warnings by district, tier, status and month in the user's region (ECharts), or the same figures as
    a spreadsheet (?format=xlsx)."""
    from .exports import dashboard_xlsx

    figures = selectors.warning_dashboard(user=request.user)
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(
            dashboard_xlsx(figures), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = 'attachment; filename="monitoring-warnings.xlsx"'
        return response
    context = {"figures": figures, "chart": selectors.dashboard_chart(figures)}
    return render(request, "monitoring/dashboard.html", context)


@login_required
def feedback(request):
    """Warnings closed as "data wrong", per feed: what goes back to the departments (page or xlsx)."""
    from django.core.exceptions import PermissionDenied as DjangoPermissionDenied

    from zhongfu.feeds.schemas import FEEDS, SCHEMAS

    from . import feedback as data_feedback

    feed = request.GET.get("feed", "")
    feed = feed if feed in FEEDS else ""
    try:
        warnings = data_feedback.feedback_for_user(user=request.user, feed=feed)
        counts = data_feedback.feedback_counts(user=request.user)
    except DomainError:
        raise DjangoPermissionDenied from None
    if request.GET.get("format") == "xlsx":
        content = data_feedback.feedback_xlsx(data_feedback.feedback_rows(warnings, language()))
        response = HttpResponse(
            content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = f'attachment; filename="data-feedback-{feed or "all"}.xlsx"'
        return response
    page = paginate(request, warnings)
    context = {
        "feed": feed,
        "feeds": [(s.key, s.name, counts.get(s.key, 0)) for s in SCHEMAS],
        "page": page,
        "rows": data_feedback.feedback_rows(page, language()),
    }
    return render(request, "monitoring/feedback.html", context)
