"""Officers' pages of batches of gifts, pledges and recurring gifts. Thin, like views.py: the unit is one
whose books the user keeps (another unit's is 404, other roles 403), one service is called, a domain error
comes back on the same page with status 400 and nothing written.

Batch entry is the import path itself: an uploaded file, or rows typed into the grid on the entry page (the
same columns as the template), both checked whole by `batches` with the faults listed by row and column."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhongfu.common.errors import DomainError, PermissionDenied
from zhongfu.common.web import get_or_404, paginate

from . import batches, drives, pledges, selectors
from .forms import GiftBatchUploadForm, PledgeForm, PledgeLinkForm, ReasonForm, RecurringForm
from .views import _form_error, _unit

ENTRY_ROWS, ENTRY_MAX = 8, 100


# --- batches ---------------------------------------------------------------------------------------------


@login_required
def batch_list(request, unit_id: int):
    """The unit's batches, and the upload of a file."""
    unit = _unit(request, unit_id)
    form = GiftBatchUploadForm(request.POST or None, request.FILES or None)
    status, report = 200, None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > settings.ZHONGFU_IMPORT_MAX_BYTES:
                raise batches.GiftBatchRejected(
                    [{"row": None, "column": "", "message": _("The file is too large; split it into smaller files.")}]
                )
            batch = batches.gift_batch_load_file(actor=request.user, unit=unit, name=upload.name, content=upload.read())
        except PermissionDenied:
            raise DjangoPermissionDenied from None
        except batches.GiftBatchRejected as e:
            report, status = e, 400
        else:
            messages.success(
                request, _("%(n)s gifts recorded as batch %(batch)s.") % {"n": batch.row_count, "batch": batch.pk}
            )
            return redirect("funds:batch", batch.pk)
    elif request.method == "POST":
        status = 400
    context = {"unit": unit, "form": form, "report": report, "page": paginate(request, batches.batches_of(unit))}
    return render(request, "funds/batch_list.html", context, status=status)


@login_required
def batch_template(request, unit_id: int):
    unit = _unit(request, unit_id)
    response = HttpResponse(batches.template_xlsx(unit), content_type=batches.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, _("gift batch template") + ".xlsx")
    return response


def _typed_rows(post, count: int) -> list[dict]:
    return [{c.key: (post.get(f"r{i}-{c.key}") or "").strip() for c in batches.COLUMNS} for i in range(count)]


@login_required
def batch_entry(request, unit_id: int):
    """Several gifts typed at once, in the columns of the template; recorded as one batch, all or nothing."""
    unit = _unit(request, unit_id)
    try:
        count = min(ENTRY_MAX, max(1, int(request.POST.get("rows") or request.GET.get("rows") or ENTRY_ROWS)))
    except ValueError:
        count = ENTRY_ROWS
    rows = _typed_rows(request.POST, count) if request.method == "POST" else [{} for _i in range(count)]
    status, report = 200, None
    if request.method == "POST" and request.POST.get("save"):
        try:
            batch = batches.gift_batch_load_rows(actor=request.user, unit=unit, rows=rows)
        except PermissionDenied:
            raise DjangoPermissionDenied from None
        except batches.GiftBatchRejected as e:
            report, status = e, 400
        else:
            messages.success(
                request, _("%(n)s gifts recorded as batch %(batch)s.") % {"n": batch.row_count, "batch": batch.pk}
            )
            return redirect("funds:batch", batch.pk)
    elif request.method == "POST":  # "more rows": keep what was typed
        count = min(ENTRY_MAX, count + ENTRY_ROWS)
        rows += [{} for _i in range(count - len(rows))]
    faulty = {(e["row"], e["column"]) for e in report.errors} if report else set()
    grid = [
        {
            "n": i + 1,
            "cells": [
                {
                    "column": c,
                    "name": f"r{i}-{c.key}",
                    "value": row.get(c.key, ""),
                    "fault": (i + 1, str(c.header)) in faulty,
                }
                for c in batches.COLUMNS
            ],
        }
        for i, row in enumerate(rows)
    ]
    context = {
        "unit": unit,
        "columns": batches.COLUMNS,
        "grid": grid,
        "rows": len(rows),
        "report": report,
        "accounts": selectors.gift_accounts(unit),
    }
    return render(request, "funds/batch_entry.html", context, status=status)


@login_required
def batch_detail(request, batch_id: int):
    if not batches.services.can_keep_books(request.user):
        raise DjangoPermissionDenied
    batch = get_or_404(batches.batch_for_books, user=request.user, batch_id=batch_id)
    context = {"batch": batch, "unit": batch.unit, "items": batches.batch_gifts(batch)}
    return render(request, "funds/batch_detail.html", context)


# --- pledges ---------------------------------------------------------------------------------------------


@login_required
def pledge_list(request, unit_id: int):
    unit = _unit(request, unit_id)
    form = PledgeForm(
        request.POST or None,
        donors=selectors.donors_for_unit(unit),
        accounts=selectors.gift_accounts(unit),
        drives=drives.drives_of(unit),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                pledge = pledges.pledge_create(
                    actor=request.user,
                    unit=unit,
                    donor=data["donor"],
                    amount_fen=data["amount"],
                    pledged_on=data["pledged_on"],
                    account=data["account"],
                    drive=data["drive"],
                    instalments=data["instalments"],
                    memo=data["memo"],
                )
            except PermissionDenied:
                raise DjangoPermissionDenied from None
            except DomainError as e:
                _form_error(form, e)
            else:
                messages.success(request, _("The pledge is recorded."))
                return redirect("funds:pledge", pledge.pk)
        status = 400
    context = {"unit": unit, "form": form, "rows": pledges.pledges_of(unit)}
    return render(request, "funds/pledge_list.html", context, status=status)


def _pledge_page(request, pledge, *, link_form=None, reason_form=None, error: str = "", status: int = 200):
    context = {
        "pledge": pledge,
        "unit": pledge.unit,
        "figures": pledges.pledge_figures(pledge),
        "gifts": pledges.pledge_gifts(pledge),
        "link_form": link_form or PledgeLinkForm(gifts=pledges.pledge_candidate_gifts(pledge)),
        "reason_form": reason_form or ReasonForm(),
        "error": error,
    }
    return render(request, "funds/pledge_detail.html", context, status=status)


def _pledge(request, pledge_id: int):
    if not batches.services.can_keep_books(request.user):
        raise DjangoPermissionDenied
    return get_or_404(pledges.pledge_for_books, user=request.user, pledge_id=pledge_id)


@login_required
def pledge_detail(request, pledge_id: int):
    return _pledge_page(request, _pledge(request, pledge_id))


@login_required
@require_POST
def pledge_act(request, pledge_id: int, action: str):
    """Link a recorded gift to the pledge, or cancel it with a reason."""
    pledge = _pledge(request, pledge_id)
    if action not in ("link", "cancel"):
        raise Http404()
    link_form, reason_form = None, None
    try:
        if action == "link":
            link_form = PledgeLinkForm(request.POST, gifts=pledges.pledge_candidate_gifts(pledge))
            if not link_form.is_valid():
                raise DomainError(_("Choose one of the donor's gifts to this fund."), field="donation")
            pledges.pledge_link_gift(actor=request.user, pledge=pledge, donation=link_form.cleaned_data["donation"])
        else:
            reason_form = ReasonForm(request.POST)
            if not reason_form.is_valid():
                raise DomainError(_("Give the reason for cancelling."), field="reason")
            pledges.pledge_cancel(actor=request.user, pledge=pledge, reason=reason_form.cleaned_data["reason"])
    except PermissionDenied:
        raise DjangoPermissionDenied from None
    except DomainError as e:
        return _pledge_page(request, pledge, link_form=link_form, reason_form=reason_form, error=str(e), status=400)
    messages.success(request, _("Done."))
    return redirect("funds:pledge", pledge.pk)


# --- recurring gifts -------------------------------------------------------------------------------------


@login_required
def recurring_list(request, unit_id: int):
    unit = _unit(request, unit_id)
    form = RecurringForm(request.POST or None, accounts=selectors.gift_accounts(unit))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                instruction = pledges.recurring_create(
                    actor=request.user,
                    unit=unit,
                    amount_fen=data["amount"],
                    day_of_month=data["day_of_month"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    account=data["account"],
                    donor_name=data["donor_name"],
                    anonymous=data["anonymous"],
                    consent_to_name=data["consent_to_name"],
                    alias=data["alias"],
                )
            except PermissionDenied:
                raise DjangoPermissionDenied from None
            except DomainError as e:
                _form_error(form, e)
            else:
                messages.success(request, _("The recurring gift is registered."))
                return redirect("funds:recurring_detail", instruction.pk)
        status = 400
    context = {"unit": unit, "form": form, "instructions": pledges.recurring_of(unit)}
    return render(request, "funds/recurring_list.html", context, status=status)


def _instruction(request, instruction_id: int):
    if not batches.services.can_keep_books(request.user):
        raise DjangoPermissionDenied
    return get_or_404(pledges.recurring_for_books, user=request.user, instruction_id=instruction_id)


def _recurring_page(request, instruction, *, error: str = "", status: int = 200):
    context = {
        "instruction": instruction,
        "unit": instruction.unit,
        "charges": pledges.recurring_charges(instruction),
        "error": error,
    }
    return render(request, "funds/recurring_detail.html", context, status=status)


@login_required
def recurring_detail(request, instruction_id: int):
    return _recurring_page(request, _instruction(request, instruction_id))


@login_required
@require_POST
def recurring_act(request, instruction_id: int, action: str):
    """Pause, resume or stop a standing instruction."""
    instruction = _instruction(request, instruction_id)
    if action not in ("pause", "resume", "stop"):
        raise Http404()
    try:
        pledges.recurring_set_status(actor=request.user, instruction=instruction, action=action)
    except PermissionDenied:
        raise DjangoPermissionDenied from None
    except DomainError as e:
        return _recurring_page(request, instruction, error=str(e), status=400)
    messages.success(request, _("Done."))
    return redirect("funds:recurring_detail", instruction.pk)
