"""Payments pages. Thin: scope through the selectors, one service, render.

The roll list and the roll page are for the desk (roll managers act there; other workers read the lines
of their scope); the payee account form hangs off the household; the callback list and form are made for
a phone. A domain error comes back as the same page with the message, status 400, nothing written."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhongfu.accounts.roles import CHANGE_HOUSEHOLD, VIEW_HOUSEHOLD
from zhongfu.common.errors import DomainError, PermissionDenied
from zhongfu.common.web import form_add_domain_error, get_or_404, paginate
from zhongfu.registry.selectors import household_get_for_user, household_members

from . import files, results, selectors, services
from .forms import CallbackForm, PayeeAccountForm, PrepareForm, ResultsForm
from .models import CallbackStatus

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def _require_manager(user) -> None:
    if not services.can_manage_rolls(user):
        raise DjangoPermissionDenied


# --- rolls ---------------------------------------------------------------------------------------------


@login_required
@permission_required(VIEW_HOUSEHOLD, raise_exception=True)
def roll_list(request):
    can_manage = services.can_manage_rolls(request.user)
    form = PrepareForm(request.POST or None)
    status = 200
    if request.method == "POST":
        _require_manager(request.user)
        if form.is_valid():
            try:
                roll = services.roll_prepare(actor=request.user, month=form.cleaned_data["month"])
            except PermissionDenied:
                raise DjangoPermissionDenied from None
            except DomainError as e:
                form_add_domain_error(form, e)
            else:
                messages.success(
                    request,
                    _("Roll %(number)s prepared: %(n)s lines.") % {"number": roll.number, "n": roll.line_count},
                )
                return redirect("payments:roll", roll.pk)
        status = 400
    context = {"page": paginate(request, selectors.rolls_visible_to(request.user)), "form": form}
    context["can_manage"] = can_manage
    return render(request, "payments/roll_list.html", context, status=status)


def _roll_page(request, roll, *, error: str = "", problems=(), results_form=None, status: int = 200):
    context = {
        "roll": roll,
        "summary": selectors.roll_summary(user=request.user, roll=roll),
        "totals_problem": selectors.roll_totals_problem(roll),
        "page": paginate(request, selectors.roll_lines_for_user(user=request.user, roll=roll), per_page=50),
        "related": selectors.roll_related(user=request.user, roll=roll),
        "callbacks": selectors.roll_callbacks_for_user(user=request.user, roll=roll).count(),
        "flagged": selectors.roll_flagged_callbacks(user=request.user, roll=roll),
        "can_manage": services.can_manage_rolls(request.user),
        "results_form": results_form or ResultsForm(),
        "error": error,
        "problems": problems,
    }
    return render(request, "payments/roll_detail.html", context, status=status)


@login_required
@permission_required(VIEW_HOUSEHOLD, raise_exception=True)
def roll_detail(request, roll_id: int):
    roll = get_or_404(selectors.roll_get_for_user, user=request.user, roll_id=roll_id)
    return _roll_page(request, roll)


ACTIONS = {"issue": services.roll_issue, "reissue": services.roll_reissue, "close": services.roll_close}


@login_required
@require_POST
def roll_act(request, roll_id: int, action: str):
    """Issue, reissue failed lines, or close: one service each; a refusal shows on the roll page."""
    roll = get_or_404(selectors.roll_get_for_user, user=request.user, roll_id=roll_id)
    service = ACTIONS.get(action)
    if service is None:
        raise Http404()
    _require_manager(request.user)
    try:
        out = service(actor=request.user, roll=roll)
    except PermissionDenied:
        raise DjangoPermissionDenied from None
    except DomainError as e:
        return _roll_page(request, roll, error=str(e), status=400)
    if action == "reissue":
        new, left = out
        messages.success(
            request,
            _("Supplementary roll %(number)s prepared with %(n)s reissued lines; %(left)s failed lines are left.")
            % {"number": new.number, "n": new.line_count, "left": left},
        )
        return redirect("payments:roll", new.pk)
    messages.success(
        request, _("Roll %(number)s: %(status)s.") % {"number": out.number, "status": out.get_status_display()}
    )
    return redirect("payments:roll", roll.pk)


@login_required
def roll_file(request, roll_id: int, fmt: str):
    """The bank batch file (clear account numbers: roll managers only, every download audited)."""
    roll = get_or_404(selectors.roll_get_for_user, user=request.user, roll_id=roll_id)
    _require_manager(request.user)
    try:
        name, content = files.batch_file(actor=request.user, roll=roll, fmt=fmt)
    except PermissionDenied:
        raise DjangoPermissionDenied from None
    except DomainError as e:
        return _roll_page(request, roll, error=str(e), status=400)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def roll_results(request, roll_id: int):
    """The bank's results file: all or nothing; a rejected file lists its problems row by row."""
    roll = get_or_404(selectors.roll_get_for_user, user=request.user, roll_id=roll_id)
    _require_manager(request.user)
    form = ResultsForm(request.POST, request.FILES)
    if not form.is_valid():
        return _roll_page(request, roll, results_form=form, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > results.MAX_BYTES:
        form.add_error("file", _("The file is too large."))
        return _roll_page(request, roll, results_form=form, status=400)
    try:
        outcome = results.results_import(actor=request.user, roll=roll, name=upload.name, content=upload.read())
    except PermissionDenied:
        raise DjangoPermissionDenied from None
    except results.ResultsRejected as e:
        return _roll_page(request, roll, error=str(e), problems=e.errors, status=400)
    except DomainError as e:
        form_add_domain_error(form, e)
        return _roll_page(request, roll, results_form=form, status=400)
    if outcome.changed:
        messages.success(
            request,
            _("Results imported: %(paid)s paid, %(failed)s failed; %(calls)s households drawn for a callback.")
            % {"paid": outcome.paid, "failed": outcome.failed, "calls": len(outcome.callbacks)},
        )
    else:
        messages.info(request, _("These results were already imported; nothing changed."))
    return redirect("payments:roll", roll.pk)


# --- payee account -------------------------------------------------------------------------------------


@login_required
def payee_account(request, household_id: int):
    """The household's payee account: shown masked to whoever sees the household, recorded by workers."""
    household = get_or_404(household_get_for_user, user=request.user, household_id=household_id)
    can_change = request.user.has_perm(CHANGE_HOUSEHOLD)
    members = list(household_members(household=household))
    account = selectors.payee_account_of(household)
    initial = {"payee_id": account.payee_id, "bank_name": account.bank_name} if account else {}
    form = PayeeAccountForm(request.POST or None, members=members, initial=initial)
    status = 200
    if request.method == "POST":
        if not can_change:
            raise DjangoPermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.payee_account_record(
                    actor=request.user,
                    household=household,
                    payee_id=data["payee_id"],
                    bank_name=data["bank_name"],
                    account_number=data["account_number"],
                )
            except PermissionDenied:
                raise DjangoPermissionDenied from None
            except DomainError as e:
                form_add_domain_error(form, e)
            else:
                messages.success(
                    request, _("Payee account of household %(number)s saved.") % {"number": household.number}
                )
                return redirect("payments:payee_account", household.pk)
        status = 400
    context = {"household": household, "account": account, "form": form if can_change else None}
    context["benefits"] = selectors.benefits_received(household)[:24]
    return render(request, "payments/payee_account.html", context, status=status)


# --- callbacks (回访) ------------------------------------------------------------------------------------

CALLBACK_FILTERS = ["open", "done", "flagged"]


@login_required
@permission_required(VIEW_HOUSEHOLD, raise_exception=True)
def callback_list(request):
    current = request.GET.get("filter", "open")
    if current not in CALLBACK_FILTERS:
        current = "open"
    if current == "flagged":
        qs = selectors.callbacks_for_user(user=request.user, status=None).filter(services.flagged_callbacks_q())
    else:
        qs = selectors.callbacks_for_user(user=request.user, status=current)
    filters = [("open", _("To call")), ("done", _("Done")), ("flagged", _("Money not received"))]
    context = {
        "page": paginate(request, qs),
        "filter": current,
        "filters": filters,
        "can_record": request.user.has_perm(CHANGE_HOUSEHOLD),
    }
    return render(request, "payments/callback_list.html", context)


@login_required
def callback_form(request, callback_id: int):
    callback = get_or_404(selectors.callback_get_for_user, user=request.user, callback_id=callback_id)
    if not request.user.has_perm(CHANGE_HOUSEHOLD):
        raise DjangoPermissionDenied
    form = CallbackForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.callback_record(
                    actor=request.user,
                    callback=callback,
                    reached=data["reached"],
                    received=data["received"],
                    amount_confirmed_fen=data["amount_confirmed"],
                    satisfaction=data["satisfaction"],
                    notes=data["notes"],
                )
            except PermissionDenied:
                raise DjangoPermissionDenied from None
            except DomainError as e:
                field = "amount_confirmed" if e.field == "amount_confirmed_fen" else e.field
                form.add_error(field if field in form.fields else None, str(e))
            else:
                if data["reached"]:
                    messages.success(request, _("Callback recorded."))
                else:
                    messages.info(request, _("Not reached: the callback stays on the list to call again."))
                return redirect("payments:callbacks")
        status = 400
    context = {"callback": callback, "form": form, "done": callback.status == CallbackStatus.DONE}
    return render(request, "payments/callback_form.html", context, status=status)
