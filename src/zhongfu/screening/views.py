"""Screening pages. Thin: scope through the registry's selectors, one selector or service, render."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhongfu.accounts.roles import RUN_SCREENING, SCREEN_HOUSEHOLD
from zhongfu.common.errors import DomainError
from zhongfu.common.web import form_add_domain_error, get_or_404, is_htmx
from zhongfu.policies import selectors as policy_selectors
from zhongfu.registry.selectors import household_get_for_user

from . import selectors, services
from .forms import SimulationForm
from .models import Outcome, RunKind, ScreeningRun


@login_required
@permission_required("registry.view_household", raise_exception=True)
def household_screening(request, household_id: int):
    """Every policy for one household, evaluated now, with the reasons in plain words."""
    household = get_or_404(household_get_for_user, user=request.user, household_id=household_id)
    evaluation = selectors.household_evaluate(household)
    context = {
        "household": household,
        "evaluation": evaluation,
        "screenings": selectors.screenings_of(household)[:10],
        "Outcome": Outcome,
    }
    return render(request, "screening/household.html", context)


@login_required
@require_POST
def household_screen(request, household_id: int):
    household = get_or_404(household_get_for_user, user=request.user, household_id=household_id)
    if not request.user.has_perm(SCREEN_HOUSEHOLD):
        raise DjangoPermissionDenied
    screening = services.household_screen(actor=request.user, household=household)
    messages.success(request, _("The determinations are stored and can be replayed."))
    return redirect("screening:screening_detail", screening.pk)


@login_required
@permission_required("registry.view_household", raise_exception=True)
def screening_detail(request, screening_id: int):
    """A stored screening: what was decided, on which versions and parameters, and a replay check."""
    screening = get_or_404(selectors.screening_get_for_user, user=request.user, screening_id=screening_id)
    determinations = list(selectors.screening_determinations(screening))
    names = policy_selectors.policy_names()
    rows = []
    for d in determinations:
        outcome, amount = services.determination_replay(d)
        rows.append(
            {
                "d": d,
                "name": names.get(d.policy_code, d.policy_code),
                "replay_ok": (outcome, amount) == (d.outcome, d.amount_fen),
                "reasons": [
                    selectors.criterion_text(c["text"], selectors.page_language())
                    for c in d.explanation.get("criteria", [])
                ],
                "missing": [selectors.input_label(n) for n in d.missing_inputs],
            }
        )
    context = {"screening": screening, "rows": rows, "Outcome": Outcome}
    return render(request, "screening/screening_detail.html", context)


# --- batch runs and simulations ---------------------------------------------------------------------


@login_required
@permission_required(RUN_SCREENING, raise_exception=True)
def runs(request):
    context = {"runs": selectors.runs_recent(), "form": SimulationForm(parameters=policy_selectors.parameter_choices())}
    return render(request, "screening/runs.html", context)


@login_required
@permission_required(RUN_SCREENING, raise_exception=True)
@require_POST
def run_start(request):
    try:
        run = services.screening_run_start(actor=request.user)
    except DomainError as e:
        messages.error(request, str(e))
        return redirect("screening:runs")
    return redirect("screening:run_detail", run.pk)


@login_required
@permission_required(RUN_SCREENING, raise_exception=True)
def simulate(request):
    """Enter a new value for a parameter (or take seed 001's consumption-linked rule) and compare."""
    choices = policy_selectors.parameter_choices()
    # A link may carry some of the fields (the approvals page all three, the rule only two).
    initial = {k: request.GET[k] for k in ("parameter", "value", "as_of") if request.GET.get(k)}
    form = SimulationForm(request.POST or None, parameters=choices, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.simulation_start(
                actor=request.user,
                overrides={form.cleaned_data["parameter"]: form.cleaned_value()},
                as_of=form.cleaned_data["as_of"],
                note=form.cleaned_data.get("note", ""),
            )
        except DomainError as e:
            form_add_domain_error(form, e)
        else:
            return redirect("screening:run_detail", run.pk)
    rule = services.standard_by_consumption_rule()
    return render(request, "screening/simulate.html", {"form": form, "rule": rule})


@login_required
@permission_required(RUN_SCREENING, raise_exception=True)
def run_detail(request, run_id: int):
    run = get_or_404(selectors.run_get, run_id=run_id)
    context = {"run": run, "RunKind": RunKind, "summary_rows": _summary_rows(run)}
    if run.kind == RunKind.SIMULATION and run.summary:
        context["chart"] = json.dumps(_chart_data(run), ensure_ascii=False)
    template = "screening/_run_status.html" if is_htmx(request) else "screening/run_detail.html"
    return render(request, template, context)


def _summary_rows(run: ScreeningRun) -> list[dict]:
    if run.kind != RunKind.SCREENING or not run.summary:
        return []
    names = policy_selectors.policy_names()
    return [{"code": code, "name": names.get(code, code), **row} for code, row in run.summary.items()]


def _chart_data(run: ScreeningRun) -> dict:
    """ECharts series for the simulation: newly and no longer eligible, and the yearly cost, by district."""
    policies = run.summary.get("policies", [])
    charts = []
    for policy in policies:
        names = [d["name"] for d in policy["districts"]]
        charts.append(
            {
                "code": policy["code"],
                "districts": names,
                "newly": [d["newly"] for d in policy["districts"]],
                "lost": [-d["lost"] for d in policy["districts"]],
                "yearly_yuan": [round(d["yearly_delta_fen"] / 100) for d in policy["districts"]],
            }
        )
    return {"charts": charts}
