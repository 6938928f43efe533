"""API endpoints of batches of gifts, pledges and recurring gifts, on the funds router (api.py imports this
module at its end). Thin like api.py: only bookkeepers (403 otherwise); another unit's records are 404.

POST /funds/batches takes a file (multipart: `unit_id` and `file`), POST /funds/batches/rows the rows as
JSON ({column key: text}, the columns of the template). Either records every gift or none: faults come back
as 422 with `errors`, each {row, column, message}; the same content twice is 422 naming the first batch.
A pledge is a promise, not money: its figures are what its linked gifts hold. A recurring gift's orders are
made by `zhongfu daily`; the gift is recorded by the payment provider's callback."""

import datetime as dt
from typing import Annotated, Literal

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Schema, Status, UploadedFile
from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt

from zhongfu.common.errors import InvalidInput
from zhongfu.registry.api import WRITE_ERRORS
from zhongfu.registry.api import ErrorOut as E

from . import batches, drives, pledges, selectors
from .api import MAX_ID, READ_ERRORS, BodyId, Fen, Id, _books, _donation_out, _text, router


class UnitQuery(Schema):
    unit_id: int = Field(..., ge=1, le=MAX_ID, description="the unit whose books you keep")


# --- batches ---------------------------------------------------------------------------------------------


class BatchOut(Schema):
    id: int
    unit_id: int
    file_name: str
    content_sha256: str
    row_count: int
    total_fen: int
    created_by: str
    created_at: dt.datetime


class BatchGiftOut(Schema):
    row: int
    donation: dict
    receipt_number: str | None


class BatchDetailOut(BatchOut):
    gifts: list[BatchGiftOut]


class BatchUploadIn(Schema):
    unit_id: int = Field(..., ge=1, le=MAX_ID)


class BatchRowsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_id: BodyId
    name: _text(200) = ""
    rows: list[dict[str, _text(200) | None]] = Field(
        ..., max_length=batches.MAX_ROWS, description="one object a gift, keyed by the template's column keys"
    )


def _batch_out(b) -> dict:
    return {
        "id": b.pk,
        "unit_id": b.unit_id,
        "file_name": b.file_name,
        "content_sha256": b.content_sha256,
        "row_count": b.row_count,
        "total_fen": b.total_fen,
        "created_by": b.created_by.get_username(),
        "created_at": b.created_at,
    }


def _rejected(e: batches.GiftBatchRejected):
    return Status(422, {"detail": str(e), "field": e.field, "errors": e.errors})


@router.get("/funds/batches", response={200: list[BatchOut], READ_ERRORS: E}, summary="A unit's batches of gifts")
def batch_list(request, query: Query[UnitQuery]):
    _books(request)
    unit = selectors.unit_for_books(user=request.auth, unit_id=query.unit_id)
    return [_batch_out(b) for b in batches.batches_of(unit)[:500]]


@router.post(
    "/funds/batches",
    response={201: BatchOut, WRITE_ERRORS: E},
    summary="Record the gifts of a file (xlsx or CSV), all or nothing",
)
def batch_upload(request, payload: Form[BatchUploadIn], file: File[UploadedFile]):
    _books(request)
    unit = selectors.unit_for_books(user=request.auth, unit_id=payload.unit_id)
    if file.size > settings.ZHONGFU_IMPORT_MAX_BYTES:
        raise InvalidInput(_("The file is too large; split it into smaller files."), field="file")
    try:
        batch = batches.gift_batch_load_file(actor=request.auth, unit=unit, name=file.name or "", content=file.read())
    except batches.GiftBatchRejected as e:
        return _rejected(e)
    return Status(201, _batch_out(batch))


@router.post(
    "/funds/batches/rows",
    response={201: BatchOut, WRITE_ERRORS: E},
    summary="Record typed rows of gifts, all or nothing",
)
def batch_rows(request, payload: BatchRowsIn):
    _books(request)
    unit = selectors.unit_for_books(user=request.auth, unit_id=payload.unit_id)
    try:
        batch = batches.gift_batch_load_rows(actor=request.auth, unit=unit, rows=payload.rows, name=payload.name)
    except batches.GiftBatchRejected as e:
        return _rejected(e)
    return Status(201, _batch_out(batch))


@router.get(
    "/funds/batches/{batch_id}", response={200: BatchDetailOut, READ_ERRORS: E}, summary="A batch and its gifts"
)
def batch_detail(request, batch_id: Id):
    _books(request)
    batch = batches.batch_for_books(user=request.auth, batch_id=batch_id)
    gifts = []
    for item in batches.batch_gifts(batch):
        receipt = next((r for r in item.donation.receipts.all() if r.withdrawn_at is None), None)
        gifts.append(
            {
                "row": item.row,
                "donation": _donation_out(item.donation),
                "receipt_number": receipt.code if receipt else None,
            }
        )
    return {**_batch_out(batch), "gifts": gifts}


# --- pledges ---------------------------------------------------------------------------------------------


class InstalmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    due_on: dt.date
    amount_fen: Fen


class PledgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_id: BodyId
    donor_id: BodyId
    amount_fen: Fen
    pledged_on: dt.date
    account_id: BodyId | None = Field(None, description="a restricted fund; by default the general fund")
    drive_id: BodyId | None = None
    instalments: list[InstalmentIn] = Field([], max_length=120, description="adding up to amount_fen; or none")
    memo: _text(200) = ""


class InstalmentOut(Schema):
    due_on: dt.date
    amount_fen: int
    met_fen: int
    overdue: bool


class PledgeOut(Schema):
    id: int
    unit_id: int
    donor_id: int
    account_id: int
    drive_id: int | None
    pledged_on: dt.date
    status: str = Field(..., description="open | cancelled")
    cancel_reason: str
    promised_fen: int
    received_fen: int = Field(..., description="what its linked gifts hold (less refunds; not reversed ones)")
    outstanding_fen: int
    overdue_fen: int
    instalments: list[InstalmentOut]
    donation_ids: list[int]


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    donation_id: BodyId


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: _text(200)


def _pledge_out(p, figures: dict | None = None) -> dict:
    figures = figures or pledges.pledge_figures(p)
    return {
        "id": p.pk,
        "unit_id": p.unit_id,
        "donor_id": p.donor_id,
        "account_id": p.account_id,
        "drive_id": p.drive_id,
        "pledged_on": p.pledged_on,
        "status": p.status,
        "cancel_reason": p.cancel_reason,
        "promised_fen": figures["promised_fen"],
        "received_fen": figures["received_fen"],
        "outstanding_fen": figures["outstanding_fen"],
        "overdue_fen": figures["overdue_fen"],
        "instalments": [
            {
                "due_on": r["instalment"].due_on,
                "amount_fen": r["instalment"].amount_fen,
                "met_fen": r["met_fen"],
                "overdue": r["overdue"],
            }
            for r in figures["instalments"]
        ],
        "donation_ids": list(p.gifts.values_list("donation_id", flat=True)),
    }


@router.get("/funds/pledges", response={200: list[PledgeOut], READ_ERRORS: E}, summary="A unit's pledges")
def pledge_list(request, query: Query[UnitQuery]):
    _books(request)
    unit = selectors.unit_for_books(user=request.auth, unit_id=query.unit_id)
    return [_pledge_out(r["pledge"], r) for r in pledges.pledges_of(unit)[:500]]


@router.post("/funds/pledges", response={201: PledgeOut, WRITE_ERRORS: E}, summary="Record a pledge (not money)")
def pledge_create(request, payload: PledgeIn):
    _books(request)
    unit = selectors.unit_for_books(user=request.auth, unit_id=payload.unit_id)
    donor = selectors.donors_for_unit(unit).filter(pk=payload.donor_id).first()
    if donor is None:
        raise InvalidInput(_("No such donor of this unit."), field="donor_id")
    account = None
    if payload.account_id is not None:
        account = selectors.gift_accounts(unit).filter(pk=payload.account_id).first()
        if account is None:
            raise InvalidInput(_("A gift is credited to a general or restricted fund of the unit."), field="account_id")
    drive = None
    if payload.drive_id is not None:
        drive = drives.drives_of(unit).filter(pk=payload.drive_id).first()
        if drive is None:
            raise InvalidInput(_("No such drive of this unit."), field="drive_id")
    pledge = pledges.pledge_create(
        actor=request.auth,
        unit=unit,
        donor=donor,
        amount_fen=payload.amount_fen,
        pledged_on=payload.pledged_on,
        account=account,
        drive=drive,
        instalments=[(i.due_on, i.amount_fen) for i in payload.instalments],
        memo=payload.memo,
    )
    return Status(201, _pledge_out(pledge))


@router.get("/funds/pledges/{pledge_id}", response={200: PledgeOut, READ_ERRORS: E}, summary="A pledge and its figures")
def pledge_detail(request, pledge_id: Id):
    _books(request)
    return _pledge_out(pledges.pledge_for_books(user=request.auth, pledge_id=pledge_id))


@router.post(
    "/funds/pledges/{pledge_id}/gifts",
    response={201: PledgeOut, WRITE_ERRORS: E},
    summary="Count a recorded gift towards a pledge",
)
def pledge_link(request, pledge_id: Id, payload: LinkIn):
    _books(request)
    pledge = pledges.pledge_for_books(user=request.auth, pledge_id=pledge_id)
    donation = selectors.donation_for_books(user=request.auth, donation_id=payload.donation_id)
    pledges.pledge_link_gift(actor=request.auth, pledge=pledge, donation=donation)
    return Status(201, _pledge_out(pledge))


@router.post("/funds/pledges/{pledge_id}/cancel", response={200: PledgeOut, WRITE_ERRORS: E}, summary="Cancel a pledge")
def pledge_cancel(request, pledge_id: Id, payload: ReasonIn):
    _books(request)
    pledge = pledges.pledge_for_books(user=request.auth, pledge_id=pledge_id)
    pledge = pledges.pledge_cancel(actor=request.auth, pledge=pledge, reason=payload.reason)
    return _pledge_out(pledge)


# --- recurring gifts -------------------------------------------------------------------------------------


class RecurringIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_id: BodyId
    amount_fen: Fen
    day_of_month: Annotated[StrictInt, Field(ge=1, le=28)]
    starts_on: dt.date
    ends_on: dt.date | None = None
    account_id: BodyId | None = Field(None, description="a restricted fund; by default the general fund")
    donor_name: _text(100) = ""
    anonymous: StrictBool = False
    consent_to_name: StrictBool = False
    alias: _text(60) = ""


class RecurringStatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["pause", "resume", "stop"]


class ChargeOut(Schema):
    month: dt.date
    due_on: dt.date
    order: str
    status: str = Field(..., description="created | paid | failed")
    donation_id: int | None


class RecurringOut(Schema):
    id: int
    unit_id: int
    account_id: int | None
    donor_name: str
    anonymous: bool
    amount_fen: int
    day_of_month: int
    starts_on: dt.date
    ends_on: dt.date | None
    status: str = Field(..., description="active | paused | stopped")
    charges: list[ChargeOut]


def _recurring_out(r) -> dict:
    return {
        "id": r.pk,
        "unit_id": r.unit_id,
        "account_id": r.account_id,
        "donor_name": r.donor_name,
        "anonymous": r.anonymous,
        "amount_fen": r.amount_fen,
        "day_of_month": r.day_of_month,
        "starts_on": r.starts_on,
        "ends_on": r.ends_on,
        "status": r.status,
        "charges": [
            {
                "month": c.month,
                "due_on": c.due_on,
                "order": c.order.reference,
                "status": c.order.status,
                "donation_id": c.order.donation_id,
            }
            for c in pledges.recurring_charges(r)
        ],
    }


@router.get("/funds/recurring", response={200: list[RecurringOut], READ_ERRORS: E}, summary="A unit's recurring gifts")
def recurring_list(request, query: Query[UnitQuery]):
    _books(request)
    unit = selectors.unit_for_books(user=request.auth, unit_id=query.unit_id)
    return [_recurring_out(r) for r in pledges.recurring_of(unit)[:500]]


@router.post(
    "/funds/recurring", response={201: RecurringOut, WRITE_ERRORS: E}, summary="Register a donor's standing instruction"
)
def recurring_create(request, payload: RecurringIn):
    _books(request)
    unit = selectors.unit_for_books(user=request.auth, unit_id=payload.unit_id)
    account = None
    if payload.account_id is not None:
        account = selectors.gift_accounts(unit).filter(pk=payload.account_id).first()
        if account is None:
            raise InvalidInput(_("A gift is credited to a general or restricted fund of the unit."), field="account_id")
    instruction = pledges.recurring_create(
        actor=request.auth,
        unit=unit,
        amount_fen=payload.amount_fen,
        day_of_month=payload.day_of_month,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        account=account,
        donor_name=payload.donor_name,
        anonymous=payload.anonymous,
        consent_to_name=payload.consent_to_name,
        alias=payload.alias,
    )
    return Status(201, _recurring_out(instruction))


@router.post(
    "/funds/recurring/{instruction_id}/status",
    response={200: RecurringOut, WRITE_ERRORS: E},
    summary="Pause, resume or stop a recurring gift",
)
def recurring_status(request, instruction_id: Id, payload: RecurringStatusIn):
    _books(request)
    instruction = pledges.recurring_for_books(user=request.auth, instruction_id=instruction_id)
    instruction = pledges.recurring_set_status(actor=request.auth, instruction=instruction, action=payload.action)
    return _recurring_out(instruction)
