"""Pages of bank reconciliation (对账) and donors' inquiries (捐赠人询问). Thin like the other funds pages:
find the record in the books the user keeps (another unit's is 404), call one function of
funds/reconciliation.py or funds/inquiries.py, render. The donor asks on the gift's trace page, whose signed
link is the only key (no login)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhongfu.common.errors import DomainError, PermissionDenied
from zhongfu.common.web import form_add_domain_error, get_or_404, paginate

from . import inquiries, reconciliation, selectors, services, tokens
from .forms import AnswerForm, AskForm, InquiryRecordForm, LineGiftForm, NoteLineForm, ReasonForm, StatementForm
from .models import Donation
from .views import _require_books, _unit


def _statement_page(request, statement, *, error: str = "", status: int = 200):
    summary = reconciliation.statement_summary(statement)
    unit = statement.unit
    context = {
        **summary,
        "unit": unit,
        "error": error,
        "note_form": NoteLineForm(),
        "reason_form": ReasonForm(),
        "gift_form": LineGiftForm(accounts=selectors.gift_accounts(unit), donors=selectors.donors_for_unit(unit)),
        "can_record_gifts": statement.account.code == services.BANK,
        "tolerance": reconciliation.DATE_TOLERANCE_DAYS,
    }
    return render(request, "funds/statement_detail.html", context, status=status)


@login_required
def statement_list(request, unit_id: int):
    """The unit's bank statements, and the form to upload one (all or nothing, with a report of faults)."""
    unit = _unit(request, unit_id)
    form = StatementForm(request.POST or None, request.FILES or None, accounts=reconciliation.bank_accounts(unit))
    status, errors = 200, []
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                statement = reconciliation.statement_import(
                    actor=request.user,
                    account=data["account"],
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    opening_balance_fen=data["opening_balance"],
                    closing_balance_fen=data["closing_balance"],
                    name=data["file"].name,
                    content=data["file"].read(),
                )
            except PermissionDenied:
                raise DjangoPermissionDenied from None
            except reconciliation.StatementRejected as e:
                errors = e.errors
                form.add_error(None, str(e))
            except DomainError as e:
                e.field = {"opening_balance_fen": "opening_balance", "closing_balance_fen": "closing_balance"}.get(
                    e.field, e.field
                )
                form_add_domain_error(form, e)
            else:
                messages.success(request, _("The statement is imported and matched."))
                return redirect("funds:statement", statement.pk)
        status = 400
    context = {
        "unit": unit,
        "form": form,
        "errors": errors,
        "statements": reconciliation.statements_of(unit),
        "columns": reconciliation.HEADERS,
    }
    return render(request, "funds/statement_list.html", context, status=status)


@login_required
def statement_detail(request, statement_id: int):
    _require_books(request.user)
    statement = get_or_404(reconciliation.statement_for_books, user=request.user, statement_id=statement_id)
    return _statement_page(request, statement)


@login_required
@require_POST
def statement_rematch(request, statement_id: int):
    _require_books(request.user)
    statement = get_or_404(reconciliation.statement_for_books, user=request.user, statement_id=statement_id)
    try:
        n = reconciliation.statement_rematch(actor=request.user, statement=statement)
    except PermissionDenied:
        raise DjangoPermissionDenied from None
    messages.success(request, _("%(n)s more lines matched.") % {"n": n})
    return redirect("funds:statement", statement.pk)


@login_required
def statement_line(request, line_id: int):
    """One statement line: the ledger lines it may be matched to by hand, and what may be done with it."""
    _require_books(request.user)
    line = get_or_404(reconciliation.line_for_books, user=request.user, line_id=line_id)
    unit = line.statement.unit
    context = {
        "line": line,
        "statement": line.statement,
        "unit": unit,
        "candidates": reconciliation.candidates_for(line),
        "note_form": NoteLineForm(),
        "reason_form": ReasonForm(),
        "gift_form": LineGiftForm(accounts=selectors.gift_accounts(unit), donors=selectors.donors_for_unit(unit)),
        "can_record_gifts": line.statement.account.code == services.BANK,
    }
    return render(request, "funds/statement_line.html", context)


@login_required
@require_POST
def statement_line_act(request, line_id: int, action: str):
    """match (ledger_line), explain (note), reopen (reason), gift (account, donor)."""
    _require_books(request.user)
    line = get_or_404(reconciliation.line_for_books, user=request.user, line_id=line_id)
    unit = line.statement.unit
    try:
        if action == "match":
            raw = request.POST.get("ledger_line", "")
            if not raw.isdigit():
                raise DomainError(_("Choose a ledger line."), field="ledger_line")
            reconciliation.line_match(actor=request.user, line=line, ledger_line_id=int(raw))
        elif action == "explain":
            reconciliation.line_explain(actor=request.user, line=line, note=request.POST.get("note", ""))
        elif action == "reopen":
            reconciliation.line_reopen(actor=request.user, line=line, reason=request.POST.get("reason", ""))
        elif action == "gift":
            form = LineGiftForm(
                request.POST, accounts=selectors.gift_accounts(unit), donors=selectors.donors_for_unit(unit)
            )
            if not form.is_valid():
                raise DomainError(_("Choose a fund and a donor from the lists."), field="account")
            reconciliation.line_record_gift(
                actor=request.user, line=line, account=form.cleaned_data["account"], donor=form.cleaned_data["donor"]
            )
        else:
            raise Http404()
    except PermissionDenied:
        raise DjangoPermissionDenied from None
    except DomainError as e:
        return _statement_page(request, line.statement, error=str(e), status=400)
    messages.success(request, _("Done."))
    return redirect("funds:statement", line.statement_id)


@login_required
def inquiry_list(request, unit_id: int):
    """The unit's donor questions: open (default), due today, overdue, answered, all; with the figures."""
    unit = _unit(request, unit_id)
    due = request.GET.get("due", "open")
    if due not in inquiries.DUE_FILTERS:
        due = "open"
    context = {
        "unit": unit,
        "due": due,
        "filters": inquiries.DUE_FILTERS,
        "page": paginate(request, inquiries.inquiries_of(unit, due)),
        "figures": inquiries.inquiry_figures(unit),
        "today": timezone.localdate(),
    }
    return render(request, "funds/inquiry_list.html", context)


@login_required
def inquiry_new(request, unit_id: int):
    """Record a question received by phone, letter or in person."""
    unit = _unit(request, unit_id)
    initial = {"donation": request.GET["donation"]} if request.GET.get("donation", "").isdigit() else {}
    form = InquiryRecordForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                donation = selectors.donation_list(unit).filter(pk=data["donation"]).first()
                if donation is None:
                    raise DomainError(_("No such gift of this unit."), field="donation")
                inquiry = inquiries.inquiry_record(
                    actor=request.user,
                    donation=donation,
                    channel=data["channel"],
                    question=data["question"],
                    received_on=data["received_on"],
                )
            except PermissionDenied:
                raise DjangoPermissionDenied from None
            except DomainError as e:
                form_add_domain_error(form, e)
            else:
                messages.success(request, _("The question is recorded, due %(date)s.") % {"date": inquiry.due_on})
                return redirect("funds:inquiry", inquiry.pk)
        status = 400
    return render(request, "funds/inquiry_form.html", {"unit": unit, "form": form}, status=status)


@login_required
def inquiry_detail(request, inquiry_id: int):
    """A question, the gift's trace beside it (recipients masked), and the answer form while it is open."""
    _require_books(request.user)
    inquiry = get_or_404(inquiries.inquiry_for_books, user=request.user, inquiry_id=inquiry_id)
    form = AnswerForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                inquiries.inquiry_answer(actor=request.user, inquiry=inquiry, answer=form.cleaned_data["answer"])
            except PermissionDenied:
                raise DjangoPermissionDenied from None
            except DomainError as e:
                form_add_domain_error(form, e)
            else:
                messages.success(request, _("The answer is sent: the donor sees it on the gift's trace page."))
                return redirect("funds:inquiry", inquiry.pk)
        status = 400
    context = {
        "inquiry": inquiry,
        "unit": inquiry.unit,
        "donation": inquiry.donation,
        "trace": selectors.trace_donation(inquiry.donation),
        "form": form,
        "today": timezone.localdate(),
    }
    return render(request, "funds/inquiry_detail.html", context, status=status)


@require_POST
def trace_ask(request, token: str):
    """A donor's question from the gift's trace page: the signed link is the only key (no login)."""
    donation_id = tokens.unsign(token)
    donation = Donation.objects.select_related("unit", "account").filter(pk=donation_id).first()
    if donation_id is None or donation is None:
        raise Http404()
    form = AskForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError(_("Write your question (at least five characters)."), field="question")
        inquiry = inquiries.inquiry_ask(donation=donation, question=form.cleaned_data["question"])
    except DomainError as e:
        context = {"donation": donation, "trace": selectors.trace_donation(donation), "public": True}
        context.update({"ask_form": form, "ask_error": str(e)})
        return render(request, "funds/trace.html", context, status=400)
    message = _("Your question is sent. The answer will be on this page by %(date)s.") % {"date": inquiry.due_on}
    messages.success(request, message)
    return redirect("funds:trace_signed", token)
