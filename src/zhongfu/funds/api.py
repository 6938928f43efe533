"""Funds endpoints of the JSON API. Thin: find the record in the books the caller keeps, then one service.

GET /funds/accounts (the accounts of the units you keep, with balances), POST /funds/donations (an offline
gift, with a new donor or a registered one), GET /funds/donations/{id}/trace (what the gift paid for,
recipients masked), POST /funds/allocations (fund → budget, within its restriction and balance), POST
/funds/donations/{id}/receipt (issue the next numbered receipt). Money is integer fen (`amount_fen`); a
float, zero or a negative amount is refused naming the field. Only bookkeepers (services.can_keep_books)
may call these: others get 403; another unit's account or gift is 404.

POST /funds/callbacks/{provider} is a payment provider's server-to-server callback: no token, the body's
HMAC-SHA256 signature instead (providers.py). A bad signature is 403 with nothing written; an unknown
provider or order 404; an amount other than the order's, or a replayed transaction id with another amount,
422; a replay of a recorded callback 200 with the same gift.
"""

import datetime as dt
from typing import Annotated, Literal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Path, Query, Router, Schema, Status, UploadedFile
from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, StringConstraints

from zhongfu.common.errors import InvalidInput, NotFound, PermissionDenied
from zhongfu.common.money import fen_to_yuan_text
from zhongfu.registry.api import WRITE_ERRORS
from zhongfu.registry.api import ErrorOut as E

from . import inquiries, providers, reconciliation, selectors, services, tokens

router = Router(tags=["funds"])

MAX_ID = 2**63 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
_NO_NUL = r"^[^\x00]*$"
READ_ERRORS = frozenset({401, 403, 404, 422})
ACT_ERRORS = frozenset({401, 403, 404, 422})


def _text(max_length: int):
    return Annotated[str, StringConstraints(max_length=max_length, pattern=_NO_NUL)]


Fen = Annotated[StrictInt, Field(le=services.MAX_FEN, description="integer fen, more than zero")]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]


class AccountOut(Schema):
    id: int
    unit_id: int
    unit_code: str
    code: str
    name: str
    kind: str = Field(..., description="bank | general | restricted | budget")
    parent_id: int | None
    restriction_project: str
    restriction_region_prefix: str
    restriction_group: str
    balance_fen: int
    balance_yuan: str = Field(..., description="the balance as yuan text, e.g. 1,300.50")


class AccountQuery(Schema):
    unit_id: int | None = Field(None, ge=1, le=MAX_ID, description="one unit; by default every unit you keep")


class DonorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["person", "organisation"]
    name: _text(100)
    uscc: _text(30) = Field("", description="unified social credit code (organisations only), checked")
    anonymous: StrictBool = False
    consent_to_name: StrictBool = Field(False, description="may be named publicly (never when anonymous)")
    alias: _text(60) = ""


class DonationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_id: BodyId
    amount_fen: Fen
    channel: Literal["cash", "transfer"]
    received_on: dt.date
    donor_id: BodyId | None = Field(None, description="a registered donor; or give new_donor; neither: anonymous")
    new_donor: DonorIn | None = None
    account_id: BodyId | None = Field(None, description="a restricted fund (directed); by default the general fund")
    bank_reference: _text(64) = Field("", description="a transfer's bank reference, recorded once only")
    receipt_declined: StrictBool = False
    memo: _text(200) = ""


class DonationOut(Schema):
    id: int
    unit_id: int
    donor_id: int | None
    anonymous: bool
    amount_fen: int
    channel: str
    account_id: int
    account_code: str
    directed: bool
    received_on: dt.date
    receipt_declined: bool
    entry_id: int


class AllocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_account_id: BodyId
    to_account_id: BodyId
    amount_fen: Fen
    date: dt.date
    memo: _text(200) = ""


class AllocationOut(Schema):
    id: int
    from_account_id: int
    to_account_id: int
    amount_fen: int
    entry_id: int
    date: dt.date


class ReceiptOut(Schema):
    id: int
    number: str = Field(..., description="YYYY-NNNNNN, gapless per unit and year")
    donation_id: int
    donor_name: str = Field(..., description="empty for an anonymous gift")
    amount_fen: int
    issued_on: dt.date
    handler: str
    trace_url: str = Field(..., description="the signed link printed on the receipt: the gift's trace, no login")


class TraceAllocationOut(Schema):
    allocation_id: int
    to_account: str
    date: dt.date
    amount_fen: int


class RecipientOut(Schema):
    household_id: int
    name_masked: str
    community: str


class TraceDisbursementOut(Schema):
    disbursement_id: int
    allocation_id: int
    date: dt.date
    amount_fen: int
    recipient: RecipientOut


class TraceOut(Schema):
    donation_id: int
    amount_fen: int
    in_force_fen: int = Field(..., description="the gift less its refunds (0 when reversed)")
    refunded_fen: int
    allocations: list[TraceAllocationOut]
    disbursements: list[TraceDisbursementOut]
    unallocated_fen: int
    disbursed_fen: int


def _books(request) -> None:
    if not services.can_keep_books(request.auth):
        raise PermissionDenied(_("Only the staff of a unit keep its fund accounts."))


def _trace_url(request, donation_id: int) -> str:
    return request.build_absolute_uri(reverse("funds:trace_signed", args=[tokens.sign(donation_id)]))


def _donation_out(d) -> dict:
    return {
        "id": d.pk,
        "unit_id": d.unit_id,
        "donor_id": d.donor_id,
        "anonymous": d.anonymous,
        "amount_fen": d.amount_fen,
        "channel": d.channel,
        "account_id": d.account_id,
        "account_code": d.account.code,
        "directed": d.directed,
        "received_on": d.received_on,
        "receipt_declined": d.receipt_declined,
        "entry_id": d.entry_id,
    }


@router.get("/funds/accounts", response={200: list[AccountOut], READ_ERRORS: E}, summary="Fund accounts and balances")
def account_list(request, query: Query[AccountQuery]):
    _books(request)
    if query.unit_id is not None:
        units = [selectors.unit_for_books(user=request.auth, unit_id=query.unit_id)]
    else:
        units = list(selectors.units_kept_by(request.auth))
    out = []
    for unit in units:
        for row in selectors.unit_balances(unit):
            a = row["account"]
            out.append(
                {
                    "id": a.pk,
                    "unit_id": unit.pk,
                    "unit_code": unit.code,
                    "code": a.code,
                    "name": str(a.name),
                    "kind": a.kind,
                    "parent_id": a.parent_id,
                    "restriction_project": a.restriction_project,
                    "restriction_region_prefix": a.restriction_region_prefix,
                    "restriction_group": a.restriction_group,
                    "balance_fen": row["balance_fen"],
                    "balance_yuan": fen_to_yuan_text(row["balance_fen"]),
                }
            )
    return out


@router.post("/funds/donations", response={201: DonationOut, WRITE_ERRORS: E}, summary="Record an offline gift")
def donation_create(request, payload: DonationIn):
    _books(request)
    unit = selectors.unit_for_books(user=request.auth, unit_id=payload.unit_id)
    if payload.donor_id is not None and payload.new_donor is not None:
        raise InvalidInput(_("Give a registered donor or a new one, not both."), field="new_donor")
    donor = None
    if payload.donor_id is not None:
        donor = selectors.donors_for_unit(unit).filter(pk=payload.donor_id).first()
        if donor is None:
            raise InvalidInput(_("No such donor of this unit."), field="donor_id")
    account = None
    if payload.account_id is not None:
        account = selectors.gift_accounts(unit).filter(pk=payload.account_id).first()
        if account is None:
            raise InvalidInput(_("A gift is credited to a general or restricted fund of the unit."), field="account_id")
    donation = services.donation_record_offline_with_donor(
        actor=request.auth,
        unit=unit,
        new_donor=payload.new_donor.model_dump() if payload.new_donor else None,
        donor=donor,
        amount_fen=payload.amount_fen,
        channel=payload.channel,
        received_on=payload.received_on,
        account=account,
        bank_reference=payload.bank_reference,
        receipt_declined=payload.receipt_declined,
        memo=payload.memo,
    )
    return Status(201, _donation_out(donation))


@router.get(
    "/funds/donations/{donation_id}/trace",
    response={200: TraceOut, READ_ERRORS: E},
    summary="What a gift paid for (first in, first out; recipients masked)",
)
def donation_trace(request, donation_id: Id):
    _books(request)
    donation = selectors.donation_for_books(user=request.auth, donation_id=donation_id)
    return selectors.trace_donation(donation)


@router.post(
    "/funds/allocations", response={201: AllocationOut, WRITE_ERRORS: E}, summary="Allocate from a fund to a budget"
)
def allocation_create(request, payload: AllocationIn):
    _books(request)
    from_account = selectors.account_for_books(user=request.auth, account_id=payload.from_account_id)
    to_account = selectors.account_for_books(user=request.auth, account_id=payload.to_account_id)
    allocation = services.allocation_record(
        actor=request.auth,
        from_account=from_account,
        to_account=to_account,
        amount_fen=payload.amount_fen,
        date=payload.date,
        memo=payload.memo,
    )
    return Status(
        201,
        {
            "id": allocation.pk,
            "from_account_id": allocation.from_account_id,
            "to_account_id": allocation.to_account_id,
            "amount_fen": allocation.amount_fen,
            "entry_id": allocation.entry_id,
            "date": allocation.entry.date,
        },
    )


@router.post(
    "/funds/donations/{donation_id}/receipt",
    response={201: ReceiptOut, ACT_ERRORS: E},
    summary="Issue the gift's numbered receipt",
)
def receipt_create(request, donation_id: Id):
    _books(request)
    donation = selectors.donation_for_books(user=request.auth, donation_id=donation_id)
    receipt = services.receipt_issue(actor=request.auth, donation=donation)
    return Status(
        201,
        {
            "id": receipt.pk,
            "number": receipt.code,
            "donation_id": donation.pk,
            "donor_name": receipt.donor_name,
            "amount_fen": receipt.amount_fen,
            "issued_on": receipt.issued_on,
            "handler": request.auth.get_username(),
            "trace_url": _trace_url(request, donation.pk),
        },
    )


_TOKEN = r"^[\x21-\x7e]+$"  # printable ASCII, no spaces


class CallbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    txn_id: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=_TOKEN)] = Field(
        ..., description="the provider's transaction id: a gift is recorded once per transaction"
    )
    order_id: Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=_TOKEN)]
    amount_fen: Annotated[StrictInt, Field(ge=-services.MAX_FEN, le=services.MAX_FEN, description="integer fen")]
    status: Literal["paid", "failed"]
    timestamp: Annotated[StrictInt, Field(ge=0, le=2**62, description="when the provider sent it (Unix seconds)")]
    signature: Annotated[str, StringConstraints(max_length=128, pattern=r"^[0-9a-f]*$")] = Field(
        ..., description="HMAC-SHA256 (hex) of the canonical body under the provider's secret"
    )


class CallbackOut(Schema):
    order_id: str
    status: str = Field(..., description="created | paid | failed")
    replay: bool = Field(..., description="the transaction was already recorded: nothing was written")
    donation_id: int | None
    receipt_number: str | None


@router.post(
    "/funds/callbacks/{provider}",
    auth=None,
    url_name="funds_callback",
    response={200: CallbackOut, frozenset({400, 403, 404, 422}): E},
    summary="A payment provider's signed callback (no token)",
)
def payment_callback(request, provider: Annotated[str, Path(max_length=40)], payload: CallbackIn):
    gateway = providers.get(provider)
    if gateway is None:
        raise NotFound(_("No such payment provider."), field="provider")
    fields = payload.model_dump()
    if not gateway.verify(fields, fields["signature"]):
        raise PermissionDenied(_("The callback's signature does not hold: nothing was recorded."), field="signature")
    order, replay = services.donation_record_online(
        provider=provider,
        txn_id=payload.txn_id,
        order_id=payload.order_id,
        amount_fen=payload.amount_fen,
        status=payload.status,
    )
    # The receipt donation_record_online has just issued; for a replay, the gift's valid receipt. Sliced, not
    # .first(): ordering by id would let the planner walk the whole receipts table for the newest gift's.
    number = getattr(order, "receipt_code", None)
    if number is None and order.donation_id:
        receipt = next(iter(order.donation.receipts.filter(withdrawn_at__isnull=True)[:1]), None)
        number = receipt.code if receipt else None
    return {
        "order_id": order.reference,
        "status": order.status,
        "replay": replay,
        "donation_id": order.donation_id,
        "receipt_number": number,
    }


# --- bank reconciliation and donors' inquiries (funds/reconciliation.py, funds/inquiries.py) --------------
# GET/POST /funds/statements: a unit's bank statements; upload one (multipart: the fields below and `file`,
# xlsx or UTF-8 CSV), checked whole: a fault anywhere is a 422 whose `errors` lists {"row", "column",
# "message"} and nothing is written; the same file twice, or a period overlapping another statement's, 422.
# GET /funds/statements/{id}: the summary (statement against ledger, to the fen), the lines, the ledger lines
# of the period no statement line is matched to. POST .../rematch, and per line match / explain / reopen /
# gift (record an unmatched credit as a gift). Nothing here writes to the ledger except that gift.
# GET/POST /funds/inquiries, GET /funds/inquiries/{id}, POST /funds/inquiries/{id}/answer, GET
# /funds/inquiries/figures: donors' questions, due received + the rule's days (20 shipped).


class StatementUploadIn(Schema):
    account_id: BodyId = Field(..., description="one of the unit's bank accounts")
    period_start: dt.date
    period_end: dt.date
    opening_balance_fen: Annotated[int, Field(ge=-services.MAX_FEN, le=services.MAX_FEN)] = Field(
        ..., description="the statement's opening balance, integer fen (may be negative)"
    )
    closing_balance_fen: Annotated[int, Field(ge=-services.MAX_FEN, le=services.MAX_FEN)] = Field(
        ..., description="the statement's closing balance: opening + the lines, to the fen"
    )


class StatementOut(Schema):
    id: int
    unit_id: int
    account_id: int
    account_code: str
    period_start: dt.date
    period_end: dt.date
    opening_balance_fen: int
    closing_balance_fen: int
    file_name: str
    uploaded_at: dt.datetime


class StatementLineOut(Schema):
    id: int
    row: int
    date: dt.date
    amount_fen: int = Field(..., description="signed: + money in, − money out")
    counterparty: str
    reference: str
    memo: str
    status: str = Field(..., description="unmatched | matched | explained")
    how: str = Field(..., description="reference | amount_date | manual | gift, or empty")
    ledger_line_id: int | None
    entry_id: int | None
    candidates: int = Field(..., description="ledger lines that fitted by amount and date (2 or more: ambiguous)")
    note: str


class MovementOut(Schema):
    ledger_line_id: int
    entry_id: int
    date: dt.date
    kind: str
    amount_fen: int


class StatementDetailOut(StatementOut):
    ledger_opening_fen: int
    ledger_closing_fen: int
    difference_fen: int = Field(..., description="statement closing balance − ledger balance at the period's end")
    reconciled: bool
    matched: int
    explained: int
    unmatched: int
    lines: list[StatementLineOut]
    unmatched_movements: list[MovementOut]


class StatementQuery(Schema):
    unit_id: int = Field(..., ge=1, le=MAX_ID)


class MatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ledger_line_id: BodyId


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: _text(200)


class ReopenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: _text(200)


class LineGiftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: BodyId | None = Field(None, description="a restricted fund; by default the general fund")
    donor_id: BodyId | None = Field(None, description="a donor of the unit; none: anonymous")


def _statement_out(s) -> dict:
    return {
        "id": s.pk,
        "unit_id": s.unit_id,
        "account_id": s.account_id,
        "account_code": s.account.code,
        "period_start": s.period_start,
        "period_end": s.period_end,
        "opening_balance_fen": s.opening_balance_fen,
        "closing_balance_fen": s.closing_balance_fen,
        "file_name": s.file_name,
        "uploaded_at": s.uploaded_at,
    }


def _line_out(line) -> dict:
    return {
        "id": line.pk,
        "row": line.row,
        "date": line.date,
        "amount_fen": line.amount_fen,
        "counterparty": line.counterparty,
        "reference": line.reference,
        "memo": line.memo,
        "status": line.status,
        "how": line.how,
        "ledger_line_id": line.ledger_line_id,
        "entry_id": line.ledger_line.entry_id if line.ledger_line_id else None,
        "candidates": line.candidates,
        "note": line.note,
    }


def _statement_detail(statement) -> dict:
    summary = reconciliation.statement_summary(statement)
    return {
        **_statement_out(statement),
        "ledger_opening_fen": summary["ledger_opening_fen"],
        "ledger_closing_fen": summary["ledger_closing_fen"],
        "difference_fen": summary["difference_fen"],
        "reconciled": summary["reconciled"],
        **summary["counts"],
        "lines": [_line_out(line) for line in summary["lines"]],
        "unmatched_movements": [
            {
                "ledger_line_id": m.pk,
                "entry_id": m.entry_id,
                "date": m.date,
                "kind": m.entry.kind,
                "amount_fen": m.amount_fen,
            }
            for m in summary["unmatched_movements"]
        ],
    }


@router.get("/funds/statements", response={200: list[StatementOut], READ_ERRORS: E}, summary="A unit's bank statements")
def statement_list(request, query: Query[StatementQuery]):
    _books(request)
    unit = selectors.unit_for_books(user=request.auth, unit_id=query.unit_id)
    return [_statement_out(s) for s in reconciliation.statements_of(unit)]


@router.post(
    "/funds/statements",
    response={201: StatementDetailOut, WRITE_ERRORS: E},
    summary="Upload a bank statement (all or nothing) and match it",
)
def statement_create(request, payload: Form[StatementUploadIn], file: File[UploadedFile]):
    _books(request)
    account = selectors.account_for_books(user=request.auth, account_id=payload.account_id)
    if file.size > settings.ZHONGFU_IMPORT_MAX_BYTES:
        raise InvalidInput(_("The file is too large; split it into smaller files."), field="file")
    try:
        statement = reconciliation.statement_import(
            actor=request.auth,
            account=account,
            period_start=payload.period_start,
            period_end=payload.period_end,
            opening_balance_fen=payload.opening_balance_fen,
            closing_balance_fen=payload.closing_balance_fen,
            name=file.name or "",
            content=file.read(),
        )
    except reconciliation.StatementRejected as e:
        return Status(422, {"detail": str(e), "field": e.field, "errors": e.errors})
    return Status(201, _statement_detail(statement))


@router.get(
    "/funds/statements/{statement_id}",
    response={200: StatementDetailOut, READ_ERRORS: E},
    summary="A statement beside the ledger: lines, matches, differences",
)
def statement_detail(request, statement_id: Id):
    _books(request)
    return _statement_detail(reconciliation.statement_for_books(user=request.auth, statement_id=statement_id))


@router.post(
    "/funds/statements/{statement_id}/rematch",
    response={200: StatementDetailOut, ACT_ERRORS: E},
    summary="Match the statement's unmatched lines again",
)
def statement_rematch(request, statement_id: Id):
    _books(request)
    statement = reconciliation.statement_for_books(user=request.auth, statement_id=statement_id)
    reconciliation.statement_rematch(actor=request.auth, statement=statement)
    return _statement_detail(statement)


def _line(request, line_id: int):
    _books(request)
    return reconciliation.line_for_books(user=request.auth, line_id=line_id)


@router.post(
    "/funds/statement-lines/{line_id}/match",
    response={200: StatementLineOut, WRITE_ERRORS: E},
    summary="Match a statement line by hand to a ledger line of the same amount",
)
def statement_line_match(request, line_id: Id, payload: MatchIn):
    line = reconciliation.line_match(
        actor=request.auth, line=_line(request, line_id), ledger_line_id=payload.ledger_line_id
    )
    return _line_out(line)


@router.post(
    "/funds/statement-lines/{line_id}/explain",
    response={200: StatementLineOut, WRITE_ERRORS: E},
    summary="Mark a statement line explained, with a note",
)
def statement_line_explain(request, line_id: Id, payload: NoteIn):
    return _line_out(reconciliation.line_explain(actor=request.auth, line=_line(request, line_id), note=payload.note))


@router.post(
    "/funds/statement-lines/{line_id}/reopen",
    response={200: StatementLineOut, WRITE_ERRORS: E},
    summary="Undo a match or an explanation, with the reason",
)
def statement_line_reopen(request, line_id: Id, payload: ReopenIn):
    line = reconciliation.line_reopen(actor=request.auth, line=_line(request, line_id), reason=payload.reason)
    return _line_out(line)


@router.post(
    "/funds/statement-lines/{line_id}/gift",
    response={201: DonationOut, WRITE_ERRORS: E},
    summary="Record an unmatched credit as a bank-transfer gift and match it",
)
def statement_line_gift(request, line_id: Id, payload: LineGiftIn):
    line = _line(request, line_id)
    unit = line.statement.unit
    account = donor = None
    if payload.account_id is not None:
        account = selectors.gift_accounts(unit).filter(pk=payload.account_id).first()
        if account is None:
            raise InvalidInput(_("A gift is credited to a general or restricted fund of the unit."), field="account_id")
    if payload.donor_id is not None:
        donor = selectors.donors_for_unit(unit).filter(pk=payload.donor_id).first()
        if donor is None:
            raise InvalidInput(_("No such donor of this unit."), field="donor_id")
    donation = reconciliation.line_record_gift(actor=request.auth, line=line, account=account, donor=donor)
    return Status(201, _donation_out(donation))


class InquiryOut(Schema):
    id: int
    unit_id: int
    donation_id: int
    channel: str = Field(..., description="online | phone | letter | visit")
    question: str
    received_on: dt.date
    due_on: dt.date
    overdue: bool
    answer: str
    answered_on: dt.date | None
    answered_on_time: bool | None


class InquiryQuery(Schema):
    unit_id: int = Field(..., ge=1, le=MAX_ID)
    due: Literal["open", "today", "overdue", "answered", "all"] = "open"
    page: int = Field(1, ge=1, le=10_000)
    limit: int = Field(50, ge=1, le=200)


class InquiryPage(Schema):
    count: int
    page: int
    items: list[InquiryOut]


class InquiryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    donation_id: BodyId
    channel: Literal["phone", "letter", "visit"]
    question: Annotated[str, StringConstraints(min_length=1, max_length=inquiries.QUESTION_MAX, pattern=_NO_NUL)]
    received_on: dt.date


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: Annotated[str, StringConstraints(min_length=1, max_length=inquiries.ANSWER_MAX, pattern=_NO_NUL)]


class InquiryFiguresOut(Schema):
    days: int = Field(..., description="the days to answer under the rule valid today")
    received: int
    on_time: int
    late: int
    open: int
    overdue: int
    due_today: int


class FiguresQuery(Schema):
    unit_id: int = Field(..., ge=1, le=MAX_ID)
    start: dt.date | None = Field(None, description="received on or after")
    end: dt.date | None = Field(None, description="received on or before")


def _inquiry_out(i) -> dict:
    return {
        "id": i.pk,
        "unit_id": i.unit_id,
        "donation_id": i.donation_id,
        "channel": i.channel,
        "question": i.question,
        "received_on": i.received_on,
        "due_on": i.due_on,
        "overdue": i.is_open and i.due_on < timezone.localdate(),
        "answer": i.answer,
        "answered_on": i.answered_on,
        "answered_on_time": None if i.is_open else i.answered_on_time,
    }


@router.get("/funds/inquiries", response={200: InquiryPage, READ_ERRORS: E}, summary="A unit's donor questions")
def inquiry_list(request, query: Query[InquiryQuery]):
    _books(request)
    unit = selectors.unit_for_books(user=request.auth, unit_id=query.unit_id)
    qs = inquiries.inquiries_of(unit, query.due)
    start = (query.page - 1) * query.limit
    return {
        "count": qs.count(),
        "page": query.page,
        "items": [_inquiry_out(i) for i in qs[start : start + query.limit]],
    }


@router.get(
    "/funds/inquiries/figures",
    response={200: InquiryFiguresOut, READ_ERRORS: E},
    summary="Donor questions received, answered on time, late, open, overdue",
)
def inquiry_figures(request, query: Query[FiguresQuery]):
    _books(request)
    unit = selectors.unit_for_books(user=request.auth, unit_id=query.unit_id)
    return inquiries.inquiry_figures(unit, start=query.start, end=query.end)


@router.post(
    "/funds/inquiries",
    response={201: InquiryOut, WRITE_ERRORS: E},
    summary="Record a donor's question received by phone, letter or in person",
)
def inquiry_create(request, payload: InquiryIn):
    _books(request)
    donation = selectors.donation_for_books(user=request.auth, donation_id=payload.donation_id)
    inquiry = inquiries.inquiry_record(
        actor=request.auth,
        donation=donation,
        channel=payload.channel,
        question=payload.question,
        received_on=payload.received_on,
    )
    return Status(201, _inquiry_out(inquiry))


@router.get("/funds/inquiries/{inquiry_id}", response={200: InquiryOut, READ_ERRORS: E}, summary="A donor question")
def inquiry_detail(request, inquiry_id: Id):
    _books(request)
    return _inquiry_out(inquiries.inquiry_for_books(user=request.auth, inquiry_id=inquiry_id))


@router.post(
    "/funds/inquiries/{inquiry_id}/answer",
    response={200: InquiryOut, WRITE_ERRORS: E},
    summary="Answer a donor question (closes it; the donor reads it on the trace link)",
)
def inquiry_answer(request, inquiry_id: Id, payload: AnswerIn):
    _books(request)
    inquiry = inquiries.inquiry_for_books(user=request.auth, inquiry_id=inquiry_id)
    return _inquiry_out(inquiries.inquiry_answer(actor=request.auth, inquiry=inquiry, answer=payload.answer))


# Batches of gifts, pledges and recurring gifts: their endpoints join this router, so promise_api imports it
# from here and is imported once the router exists.
from . import promise_api  # noqa: E402, F401
