"""Funds pages. Thin: find the record in the books the user keeps (another unit's is 404), call one service,
render. A domain error comes back as the same page with the message next to its field, status 400, and
nothing written. The trace by signed link, the unit's disclosure page and the online-gift pages (give, the simulated
provider's cashier, the result) need no login."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhongfu.accounts.models import Unit
from zhongfu.common.errors import DomainError, NotFound, PermissionDenied
from zhongfu.common.web import form_add_domain_error, get_or_404, paginate

from . import drives, providers, selectors, services, tokens
from .forms import AllocationForm, DisbursementForm, DriveForm, GiftForm, GiveForm, NoteForm, ReasonForm
from .models import Donation, OrderStatus, PaymentOrder

# A service names the fen it was given; the form asks for yuan. Other fields share their names.
_FORM_FIELDS = {"amount_fen": "amount"}


def _require_books(user) -> None:
    if not services.can_keep_books(user):
        raise DjangoPermissionDenied


def _form_error(form, error: DomainError) -> None:
    if error.field in _FORM_FIELDS:
        error.field = _FORM_FIELDS[error.field]
    form_add_domain_error(form, error)


def _unit(request, unit_id: int) -> Unit:
    _require_books(request.user)
    return get_or_404(selectors.unit_for_books, user=request.user, unit_id=unit_id)


def trace_url(request, donation: Donation) -> str:
    return request.build_absolute_uri(reverse("funds:trace_signed", args=[tokens.sign(donation.pk)]))


# --- accounts --------------------------------------------------------------------------------------------


@login_required
def index(request):
    _require_books(request.user)
    units = selectors.units_kept_by(request.user)
    if request.user.unit_id and units.filter(pk=request.user.unit_id).exists():
        return redirect("funds:accounts", request.user.unit_id)
    return render(request, "funds/index.html", {"units": units})


@login_required
def accounts(request, unit_id: int):
    unit = _unit(request, unit_id)
    rows = selectors.unit_balances(unit)
    return render(request, "funds/accounts.html", {"unit": unit, "rows": rows})


# --- gifts and receipts ----------------------------------------------------------------------------------


@login_required
def donation_list(request, unit_id: int):
    unit = _unit(request, unit_id)
    page = paginate(request, selectors.donation_list(unit))
    return render(request, "funds/donation_list.html", {"unit": unit, "page": page})


@login_required
def donation_new(request, unit_id: int):
    unit = _unit(request, unit_id)
    form = GiftForm(
        request.POST or None,
        donors=selectors.donors_for_unit(unit),
        accounts=selectors.gift_accounts(unit),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                donation = services.donation_record_offline_with_donor(
                    actor=request.user,
                    unit=unit,
                    new_donor=form.new_donor(),
                    donor=data["donor"],
                    amount_fen=data["amount"],
                    channel=data["channel"],
                    received_on=data["received_on"],
                    account=data["account"],
                    bank_reference=data["bank_reference"],
                    receipt_declined=data["receipt_declined"],
                    memo=data["memo"],
                )
            except PermissionDenied:
                raise DjangoPermissionDenied from None
            except DomainError as e:
                _form_error(form, e)
            else:
                messages.success(request, _("The gift is recorded."))
                return redirect("funds:donation", donation.pk)
        status = 400
    return render(request, "funds/donation_form.html", {"unit": unit, "form": form}, status=status)


def _donation_page(request, donation, *, error: str = "", status: int = 200):
    context = {
        "donation": donation,
        "unit": donation.unit,
        "receipts": donation.receipts.select_related("handler").order_by("pk"),
        "trace": selectors.trace_donation(donation),
        "reversed": hasattr(donation.entry, "reversed_by"),
        "trace_url": trace_url(request, donation),
        "reason_form": ReasonForm(),
        "error": error,
    }
    return render(request, "funds/donation_detail.html", context, status=status)


@login_required
def donation_detail(request, donation_id: int):
    _require_books(request.user)
    donation = get_or_404(selectors.donation_for_books, user=request.user, donation_id=donation_id)
    return _donation_page(request, donation)


@login_required
@require_POST
def donation_act(request, donation_id: int, action: str):
    """Issue the gift's receipt, or record that the donor declined one."""
    _require_books(request.user)
    donation = get_or_404(selectors.donation_for_books, user=request.user, donation_id=donation_id)
    act = {"receipt": services.receipt_issue, "decline": services.receipt_decline}.get(action)
    if act is None:
        raise Http404()
    try:
        act(actor=request.user, donation=donation)
    except PermissionDenied:
        raise DjangoPermissionDenied from None
    except DomainError as e:
        return _donation_page(request, donation, error=str(e), status=400)
    messages.success(request, _("Done."))
    return redirect("funds:donation", donation.pk)


@login_required
@require_POST
def receipt_withdraw(request, receipt_id: int):
    _require_books(request.user)
    receipt = get_or_404(selectors.receipt_for_books, user=request.user, receipt_id=receipt_id)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(_("Give the reason for the withdrawal."), field="reason")
        services.receipt_withdraw(actor=request.user, receipt=receipt, reason=form.cleaned_data["reason"])
    except PermissionDenied:
        raise DjangoPermissionDenied from None
    except DomainError as e:
        return _donation_page(request, receipt.donation, error=str(e), status=400)
    messages.success(request, _("Receipt %(code)s withdrawn.") % {"code": receipt.code})
    return redirect("funds:donation", receipt.donation_id)


@login_required
def receipt_print(request, receipt_id: int):
    _require_books(request.user)
    receipt = get_or_404(selectors.receipt_for_books, user=request.user, receipt_id=receipt_id)
    context = {"receipt": receipt, "donation": receipt.donation, "trace_url": trace_url(request, receipt.donation)}
    return render(request, "funds/receipt.html", context)


# --- money out and the ledger ----------------------------------------------------------------------------


@login_required
def allocation_new(request, unit_id: int):
    unit = _unit(request, unit_id)
    form = AllocationForm(request.POST or None, accounts=selectors.unit_accounts(unit))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.allocation_record(
                    actor=request.user,
                    from_account=data["from_account"],
                    to_account=data["to_account"],
                    amount_fen=data["amount"],
                    date=data["date"],
                    memo=data["memo"],
                )
            except PermissionDenied:
                raise DjangoPermissionDenied from None
            except DomainError as e:
                _form_error(form, e)
            else:
                messages.success(request, _("The allocation is recorded."))
                return redirect("funds:accounts", unit.pk)
        status = 400
    return render(request, "funds/allocation_form.html", {"unit": unit, "form": form}, status=status)


@login_required
def drive_list(request, unit_id: int):
    """The unit's drives with the due date and state of each final report, and a form to create one."""
    unit = _unit(request, unit_id)
    form = DriveForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                drives.drive_create(actor=request.user, unit=unit, **form.cleaned_data)
            except PermissionDenied:
                raise DjangoPermissionDenied from None
            except DomainError as e:
                form_add_domain_error(form, e)
            else:
                messages.success(request, _("The drive is created."))
                return redirect("funds:drives", unit.pk)
        status = 400
    context = {"unit": unit, "form": form, "rows": drives.drives_with_final_report_state(unit)}
    return render(request, "funds/drive_list.html", context, status=status)


@login_required
def drive_note_new(request, unit_id: int, drive_id: int):
    """Publish a correction note on a drive's public page."""
    unit = _unit(request, unit_id)
    drive = get_or_404(drives.drive_of_unit, unit=unit, drive_id=drive_id)
    form = NoteForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                drives.disclosure_note_publish(actor=request.user, drive=drive, **form.cleaned_data)
            except PermissionDenied:
                raise DjangoPermissionDenied from None
            except DomainError as e:
                form_add_domain_error(form, e)
            else:
                messages.success(request, _("The correction note is published."))
                return redirect("funds:drive", unit.code, drive.code)
        status = 400
    context = {"unit": unit, "drive": drive, "form": form}
    return render(request, "funds/note_form.html", context, status=status)


def _ledger_page(request, unit, *, error: str = "", status: int = 200):
    page = paginate(request, selectors.ledger_entries(unit), per_page=50)
    context = {"unit": unit, "page": page, "reason_form": ReasonForm(), "error": error}
    return render(request, "funds/ledger.html", context, status=status)


@login_required
def ledger(request, unit_id: int):
    return _ledger_page(request, _unit(request, unit_id))


@login_required
@require_POST
def entry_reverse(request, entry_id: int):
    _require_books(request.user)
    entry = get_or_404(selectors.entry_for_books, user=request.user, entry_id=entry_id)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(_("Give the reason for the reversal."), field="reason")
        services.entry_reverse(actor=request.user, entry=entry, reason=form.cleaned_data["reason"])
    except PermissionDenied:
        raise DjangoPermissionDenied from None
    except DomainError as e:
        return _ledger_page(request, entry.unit, error=str(e), status=400)
    messages.success(request, _("The entry is reversed."))
    return redirect("funds:ledger", entry.unit_id)


# --- for donors and the public (no login) ----------------------------------------------------------------


def _trace_page(request, donation, *, public: bool):
    context = {"donation": donation, "trace": selectors.trace_donation(donation), "public": public}
    return render(request, "funds/trace.html", context)


@login_required
def trace(request, donation_id: int):
    _require_books(request.user)
    donation = get_or_404(selectors.donation_for_books, user=request.user, donation_id=donation_id)
    return _trace_page(request, donation, public=False)


def trace_signed(request, token: str):
    donation_id = tokens.unsign(token)
    donation = Donation.objects.select_related("unit", "account").filter(pk=donation_id).first()
    if donation_id is None or donation is None:
        raise Http404()
    return _trace_page(request, donation, public=True)


def disclosure(request, unit_code: str):
    unit = get_or_404(selectors.unit_public, unit_code=unit_code)
    return render(
        request, "funds/disclosure.html", {**selectors.unit_disclosure(unit), "drives": drives.drives_of(unit)}
    )


def drive_page(request, unit_code: str, drive_code: str):
    drive = get_or_404(drives.drive_public, unit_code=unit_code, drive_code=drive_code)
    return render(request, "funds/drive.html", drives.drive_disclosure(drive))


def project_page(request, unit_code: str, project: str):
    return render(
        request, "funds/project.html", get_or_404(drives.project_disclosure, unit_code=unit_code, project=project)
    )


def drive_xlsx(request, unit_code: str, drive_code: str):
    drive = get_or_404(drives.drive_public, unit_code=unit_code, drive_code=drive_code)
    published = drives.published_final_report(drive)
    final = drives.final_report_for_page(published.figures) if published else None
    response = HttpResponse(
        drives.drive_report_xlsx(drives.drive_disclosure(drive), final),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{drive.unit.code}-{drive.code}.xlsx"'
    return response


def honor_page(request, unit_code: str, drive_code: str):
    drive = get_or_404(drives.drive_public, unit_code=unit_code, drive_code=drive_code)
    return render(
        request,
        "funds/honor.html",
        {"drive": drive, "unit": drive.unit, "wall": drives.honor_wall(drive), "rules": drives.honor_rules_for(drive)},
    )


# --- online gifts (no login) -----------------------------------------------------------------------------

_GIVE_FIELDS = {"amount_fen": "amount", "donor_name": "donor_name", "alias": "alias", "account": "account"}


def give(request, unit_code: str):
    """A unit's page for giving online: the order is created, then the donor goes to the provider to pay."""
    unit = get_or_404(selectors.unit_public, unit_code=unit_code)
    form = GiveForm(request.POST or None, accounts=selectors.gift_accounts(unit))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                order = services.payment_order_create(
                    unit=unit,
                    amount_fen=data["amount"],
                    account=data["account"],
                    donor_name=data["donor_name"],
                    anonymous=data["anonymous"],
                    consent_to_name=data["consent_to_name"],
                    alias=data["alias"],
                    provider=providers.SimulatedProvider.name,
                )
            except DomainError as e:
                if e.field in _GIVE_FIELDS:
                    e.field = _GIVE_FIELDS[e.field]
                form_add_domain_error(form, e)
            else:
                return redirect(providers.get(order.provider).payment_url(request, order))
        status = 400
    return render(request, "funds/give.html", {"unit": unit, "form": form}, status=status)


def _order(reference: str, **filters) -> PaymentOrder:
    order = PaymentOrder.objects.select_related("unit", "account").filter(reference=reference, **filters).first()
    if order is None:
        raise Http404()
    return order


def _outcome(request) -> str:
    # The cashier can also simulate a failed payment, for the demo.
    return providers.FAILED if request.POST.get("outcome") == providers.FAILED else providers.PAID


def pay_sim(request, reference: str):
    """The simulated provider's cashier. Pay sends the provider's signed callback to this site over HTTP,
    then shows the donor the result."""
    order = _order(reference, provider=providers.SimulatedProvider.name)
    if request.method == "POST" and order.status != OrderStatus.PAID:
        provider = providers.get(order.provider)
        try:
            code, _body = provider.pay(request, order, status=_outcome(request))
        except OSError:
            code = None
        if code != 200:
            error = _("The payment did not go through (the callback was answered %(code)s). Try again.") % {
                "code": code or "—"
            }
            return render(request, "funds/pay_sim.html", {"order": order, "error": error}, status=502)
        return redirect("funds:order_result", order.reference)
    return render(request, "funds/pay_sim.html", {"order": order})


def order_result(request, reference: str):
    """What became of an online gift: its receipt number and its trace link once paid."""
    order = _order(reference)
    receipt = None
    if order.donation_id:
        receipt = order.donation.receipts.filter(withdrawn_at__isnull=True).first()
    context = {
        "order": order,
        "receipt": receipt,
        "trace_url": trace_url(request, order.donation) if order.donation_id else "",
    }
    return render(request, "funds/order_result.html", context)


# --- payments to households and a drive's final report ---------------------------------------------------


@login_required
def disbursement_new(request, unit_id: int):
    """Pay a household from one of the unit's budgets (the household by its number, within the user's scope)."""
    unit = _unit(request, unit_id)
    form = DisbursementForm(request.POST or None, accounts=selectors.unit_accounts(unit))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                household = selectors.household_for_payment(user=request.user, number=data["household"])
                services.disbursement_record(
                    actor=request.user,
                    account=data["account"],
                    household=household,
                    amount_fen=data["amount"],
                    date=data["date"],
                    source="page",
                    memo=data["memo"],
                )
            except PermissionDenied:
                raise DjangoPermissionDenied from None
            except NotFound:
                form.add_error("household", _("No household with this number in your area."))
            except DomainError as e:
                _form_error(form, e)
            else:
                messages.success(request, _("The payment is recorded."))
                return redirect("funds:accounts", unit.pk)
        status = 400
    return render(request, "funds/disbursement_form.html", {"unit": unit, "form": form}, status=status)


@login_required
def drive_final_report(request, unit_id: int, drive_id: int):
    """For the unit's officers: the drive's final report as the ledger shows it today, its due date and
    state; posting publishes it (a snapshot that never changes)."""
    unit = _unit(request, unit_id)
    drive = get_or_404(drives.drive_of_unit, unit=unit, drive_id=drive_id)
    error, status = "", 200
    if request.method == "POST":
        try:
            drives.final_report_publish(actor=request.user, drive=drive)
        except PermissionDenied:
            raise DjangoPermissionDenied from None
        except DomainError as e:
            error, status = str(e), 400
        else:
            messages.success(request, _("The final report is published."))
            return redirect("funds:drive_final", unit.code, drive.code)
    published = drives.published_final_report(drive)
    context = {
        "unit": unit,
        "drive": drive,
        "report": drives.final_report_for_page(drives.drive_final_report(drive)),
        "published": published,
        "due_on": drives.final_report_due_on(drive),
        "state": drives.final_report_state(drive),
        "states": drives.FINAL_REPORT_STATES,
        "error": error,
    }
    return render(request, "funds/drive_final_preview.html", context, status=status)


def drive_final_page(request, unit_code: str, drive_code: str):
    """The drive's final report as published, and the correction notes published since."""
    drive = get_or_404(drives.drive_public, unit_code=unit_code, drive_code=drive_code)
    published = drives.published_final_report(drive)
    if published is None:
        raise Http404()
    context = {
        "unit": drive.unit,
        "drive": drive,
        "published": published,
        "report": drives.final_report_for_page(published.figures),
        "notes": drives.notes_after(drive, published),
    }
    return render(request, "funds/drive_final.html", context)
