"""Policy and parameter pages. Thin: parse the request, call one selector or service, render."""

import difflib

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhongfu.accounts.roles import APPROVE_POLICY_CHANGE, PROPOSE_POLICY_CHANGE, VIEW_POLICY
from zhongfu.common.errors import DomainError, NotFound
from zhongfu.common.web import form_add_domain_error, get_or_404

from . import selectors, services
from .forms import (
    NEW_POLICY_TEMPLATE,
    DecisionForm,
    NewParameterForm,
    ParameterValueForm,
    PolicyProposalForm,
    RetireForm,
)
from .models import Status


def diff_lines(old: str, new: str) -> list[tuple[str, str]]:
    """A unified diff as (kind, line) pairs, kind one of "add", "del", "hunk", "same"."""
    out = []
    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=3):
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        out.append((kind, line))
    return out


def _policy_error(error: DomainError) -> dict | None:
    """Where a refused policy file is wrong, for the form to point at."""
    engine_error = getattr(error, "error", None)
    if engine_error is None:
        return None
    return {
        "variable": getattr(engine_error, "variable", None),
        "line": getattr(engine_error, "line", None),
        "column": getattr(engine_error, "column", None),
    }


# --- policies -----------------------------------------------------------------------------------


@login_required
@permission_required(VIEW_POLICY, raise_exception=True)
def policy_list(request):
    context = {"rows": selectors.policy_rows(), "pending": selectors.pending_approvals().count}
    return render(request, "policies/policy_list.html", context)


@login_required
@permission_required(VIEW_POLICY, raise_exception=True)
def policy_detail(request, code: str):
    row = get_or_404(selectors.policy_get, code=code)
    context = {"row": row, "d": row.definition, "versions": selectors.policy_versions(row.policy)}
    return render(request, "policies/policy_detail.html", context)


def _propose(request, *, initial_text: str, row=None):
    form = PolicyProposalForm(request.POST or None, initial={"text": initial_text})
    where = None
    if request.method == "POST" and form.is_valid():
        try:
            version = services.policy_version_propose(
                actor=request.user, text=form.cleaned_data["text"], note=form.cleaned_data["note"]
            )
        except DomainError as e:
            form_add_domain_error(form, e)
            where = _policy_error(e)
        else:
            messages.success(request, _("Proposal recorded. Another administrator must approve it."))
            return redirect("policies:version_detail", version_id=version.pk)
    return render(request, "policies/policy_form.html", {"form": form, "row": row, "where": where})


@login_required
@permission_required(PROPOSE_POLICY_CHANGE, raise_exception=True)
def policy_propose(request, code: str):
    row = get_or_404(selectors.policy_get, code=code)
    text = row.current.text if row.current else ""
    return _propose(request, initial_text=text, row=row)


@login_required
@permission_required(PROPOSE_POLICY_CHANGE, raise_exception=True)
def policy_new(request):
    return _propose(request, initial_text=NEW_POLICY_TEMPLATE)


@login_required
@permission_required(PROPOSE_POLICY_CHANGE, raise_exception=True)
def policy_retire(request, code: str):
    row = get_or_404(selectors.policy_get, code=code)
    form = RetireForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = services.policy_retire_propose(actor=request.user, code=code, note=form.cleaned_data["note"])
        except DomainError as e:
            form_add_domain_error(form, e)
        else:
            messages.success(request, _("Proposal recorded. Another administrator must approve it."))
            return redirect("policies:version_detail", version_id=version.pk)
    return render(request, "policies/policy_retire.html", {"form": form, "row": row})


@login_required
@permission_required(VIEW_POLICY, raise_exception=True)
def version_detail(request, version_id: int):
    version = get_or_404(selectors.policy_version_get, version_id=version_id)
    if version.status == Status.PROPOSED:
        base = version.policy.versions.filter(status=Status.APPROVED).first()
    else:
        base = selectors.version_previous(version)
    context = {
        "version": version,
        "base": base,
        "diff": diff_lines(base.text, version.text) if base and not version.retires else [],
        "d": selectors.version_definition(version),
        "decision_form": DecisionForm(),
    }
    return render(request, "policies/version_detail.html", context)


# --- parameters ---------------------------------------------------------------------------------


@login_required
@permission_required(VIEW_POLICY, raise_exception=True)
def parameter_list(request):
    today = timezone.localdate()
    return render(request, "policies/parameter_list.html", {"rows": selectors.parameter_rows(today), "today": today})


@login_required
@permission_required(VIEW_POLICY, raise_exception=True)
def parameter_detail(request, key: str):
    parameter = get_or_404(selectors.parameter_get, key=key)
    context = {
        "parameter": parameter,
        "in_force": selectors.value_in_force(parameter, timezone.localdate()),
        "history": selectors.parameter_history(parameter),
        "decision_form": DecisionForm(),
    }
    return render(request, "policies/parameter_detail.html", context)


@login_required
@permission_required(PROPOSE_POLICY_CHANGE, raise_exception=True)
def parameter_propose(request, key: str):
    parameter = get_or_404(selectors.parameter_get, key=key)
    form = ParameterValueForm(request.POST or None, unit=parameter.unit)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.parameter_value_propose(
                actor=request.user,
                key=parameter.key,
                start_date=d["start_date"],
                value=d["value"],
                reference=d["reference"],
                note=d["note"],
            )
        except DomainError as e:
            form_add_domain_error(form, e)
        else:
            messages.success(request, _("Proposal recorded. Another administrator must approve it."))
            return redirect("policies:parameter_detail", key=parameter.key)
    return render(request, "policies/parameter_form.html", {"form": form, "parameter": parameter})


@login_required
@permission_required(PROPOSE_POLICY_CHANGE, raise_exception=True)
def parameter_new(request):
    form = NewParameterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.parameter_value_propose(
                actor=request.user,
                key=d["key"],
                start_date=d["start_date"],
                value=d["value"],
                reference=d["reference"],
                note=d["note"],
                unit=d["unit"],
                label_zh=d["label_zh"],
                label_en=d["label_en"],
            )
        except DomainError as e:
            form_add_domain_error(form, e)
        else:
            messages.success(request, _("Proposal recorded. Another administrator must approve it."))
            return redirect("policies:parameter_detail", key=d["key"])
    return render(request, "policies/parameter_form.html", {"form": form, "parameter": None})


# --- approvals ----------------------------------------------------------------------------------


@login_required
@permission_required(APPROVE_POLICY_CHANGE, raise_exception=True)
def approvals(request):
    context = {"pending": selectors.pending_approvals(), "decision_form": DecisionForm()}
    return render(request, "policies/approvals.html", context)


_VALUE_ACTIONS = {
    "approve": (services.parameter_value_approve, APPROVE_POLICY_CHANGE),
    "reject": (services.parameter_value_reject, APPROVE_POLICY_CHANGE),
    "withdraw": (services.parameter_value_withdraw, PROPOSE_POLICY_CHANGE),
}
_VERSION_ACTIONS = {
    "approve": (services.policy_version_approve, APPROVE_POLICY_CHANGE),
    "reject": (services.policy_version_reject, APPROVE_POLICY_CHANGE),
    "withdraw": (services.policy_version_withdraw, PROPOSE_POLICY_CHANGE),
}
_DONE = {
    "approve": lambda: _("Approved: the change is in force."),
    "reject": lambda: _("Rejected."),
    "withdraw": lambda: _("Proposal withdrawn."),
}


def _decide(request, actions: dict, action: str, **ids):
    if action not in actions:
        raise Http404()
    service, perm = actions[action]
    if not request.user.has_perm(perm):
        raise DjangoPermissionDenied
    try:
        service(actor=request.user, note=request.POST.get("note", "")[:500], **ids)
    except NotFound:
        raise Http404() from None
    except DomainError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, _DONE[action]())
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("policies:approvals")
    return redirect(back)


@login_required
@require_POST
def value_decide(request, value_id: int, action: str):
    return _decide(request, _VALUE_ACTIONS, action, value_id=value_id)


@login_required
@require_POST
def version_decide(request, version_id: int, action: str):
    return _decide(request, _VERSION_ACTIONS, action, version_id=version_id)
