"""Payments endpoints of the JSON API. Thin: scope through the selectors, then one service.

Rolls: GET/POST /payments/rolls, GET /payments/rolls/{id}, POST …/issue, GET …/file?fmt=csv|xlsx (the bank
file; roll managers only, audited), POST …/results (multipart `file`; a rejected file answers 422 with
`errors`, one per problem, and nothing is written), POST …/reissue, POST …/close. Callbacks: GET
/payments/callbacks, POST /payments/callbacks/{id}. PUT /households/{id}/payee-account records or corrects a
household's account. A roll, callback or household outside your scope is a 404. Money is integer fen;
names and account numbers are masked.
"""

import datetime as dt
from typing import Annotated, Literal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Path, Query, Router, Schema, Status, UploadedFile
from pydantic import BaseModel, ConfigDict, StringConstraints

from zhongfu.common.errors import PermissionDenied
from zhongfu.common.personal_data import mask_name
from zhongfu.registry.api import READ_ERRORS, WRITE_ERRORS
from zhongfu.registry.api import ErrorOut as E
from zhongfu.registry.selectors import household_get_for_user

from . import files, results, selectors, services
from .models import Callback, PayeeAccount, PaymentLine, PaymentRoll, Received
from .views import CONTENT_TYPES

router = Router(tags=["payments"])

MAX_ID = 2**63 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
_NO_NUL = r"^[^\x00]*$"
LIST_ERRORS = frozenset({401, 422})
ACT_ERRORS = frozenset({401, 403, 404, 422})


class RollOut(Schema):
    id: int
    number: str
    month: str = Field(..., description="YYYY-MM")
    region_prefix: str
    kind: str = Field(..., description="regular | supplementary")
    status: str = Field(..., description="draft | issued | results_imported | closed")
    line_count: int
    total_fen: int
    prepared_at: dt.datetime
    issued_at: dt.datetime | None
    results_at: dt.datetime | None

    @staticmethod
    def resolve_month(obj):
        # A roll, or the detail's dict whose month is already text.
        month = obj["month"] if isinstance(obj, dict) else obj.month
        return month if isinstance(month, str) else f"{month:%Y-%m}"


class RollPage(Schema):
    count: int
    page: int
    items: list[RollOut]


class StatusTotal(Schema):
    count: int
    fen: int


class SummaryOut(Schema):
    in_scope_count: int
    in_scope_fen: int
    by_status: dict[str, StatusTotal]
    roll_count: int
    roll_fen: int
    totals_ok: bool = Field(..., description="the stored count and total equal the sum of the lines, in fen")


class LineOut(Schema):
    reference: str
    seq: int
    household_id: int
    household_number: str
    policy_code: str
    period: str
    amount_fen: int
    payee_name_masked: str
    bank_name: str
    account_number_masked: str
    status: str = Field(..., description="pending | paid | failed | reissued")
    failure_reason: str
    reissue_of: str | None


class RollDetailOut(RollOut):
    summary: SummaryOut
    lines: list[LineOut] = Field(..., description="the lines in your scope (at most 1000, in order)")


class RollIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: Annotated[str, StringConstraints(pattern=r"^[1-9]\d{3}-(0[1-9]|1[0-2])$")] = Field(
        ..., description="YYYY-MM"
    )


class FileQuery(Schema):
    fmt: Literal["csv", "xlsx"] = "csv"


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=100_000)
    limit: int = Field(25, ge=1, le=100)


class ResultsOut(Schema):
    roll: RollOut
    changed: int = Field(..., description="lines whose result changed (0: the same file again)")
    paid: int
    failed: int
    paid_fen: int
    failed_fen: int
    callbacks: int = Field(..., description="households drawn for a callback by this import")


class ReissueOut(Schema):
    roll: RollOut = Field(..., description="the new supplementary roll")
    left_failed: int = Field(..., description="failed lines left behind (their account is not corrected)")


class CallbackQuery(Schema):
    status: Literal["open", "done", "all"] = "open"
    page: int = Field(1, ge=1, le=100_000)
    limit: int = Field(25, ge=1, le=100)


class CallbackOut(Schema):
    id: int
    roll_number: str
    month: str
    line_reference: str
    household_id: int
    household_number: str
    payee_name_masked: str
    amount_fen: int
    status: str = Field(..., description="open | done")
    reached: bool | None
    received: str = Field(..., description="yes | no | partly, or empty")
    amount_confirmed_fen: int | None
    satisfaction: int | None
    notes: str
    done_at: dt.datetime | None


class CallbackPage(Schema):
    count: int
    page: int
    items: list[CallbackOut]


class CallbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reached: bool
    received: Received | None = Field(None, description="yes | no | partly; required when reached")
    amount_confirmed_fen: int | None = Field(None, ge=0, le=10**12)
    satisfaction: int | None = Field(None, ge=1, le=5, description="1 to 5; required when reached")
    notes: Annotated[str, StringConstraints(max_length=2000, pattern=_NO_NUL)] = ""


class PayeeAccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payee_id: int = Field(..., ge=1, le=MAX_ID, description="a current member of the household")
    bank_name: Annotated[str, StringConstraints(max_length=60, pattern=_NO_NUL)]
    account_number: Annotated[str, StringConstraints(max_length=60, pattern=_NO_NUL)]


class PayeeAccountOut(Schema):
    household_id: int
    payee_id: int
    payee_name_masked: str
    bank_name: str
    account_number_masked: str
    updated_at: dt.datetime


def _line_out(line: PaymentLine) -> dict:
    return {
        "reference": line.reference,
        "seq": line.seq,
        "household_id": line.household_id,
        "household_number": line.household.number,
        "policy_code": line.policy_code,
        "period": line.period,
        "amount_fen": line.amount_fen,
        "payee_name_masked": mask_name(line.payee_name),
        "bank_name": line.bank_name,
        "account_number_masked": line.account_number_masked,
        "status": line.status,
        "failure_reason": line.failure_reason,
        "reissue_of": line.reissue_of.reference if line.reissue_of_id else None,
    }


def _callback_out(c: Callback) -> dict:
    return {
        "id": c.pk,
        "roll_number": c.roll.number,
        "month": f"{c.roll.month:%Y-%m}",
        "line_reference": c.line.reference,
        "household_id": c.household_id,
        "household_number": c.household.number,
        "payee_name_masked": mask_name(c.line.payee_name),
        "amount_fen": c.line.amount_fen,
        "status": c.status,
        "reached": c.reached,
        "received": c.received,
        "amount_confirmed_fen": c.amount_confirmed_fen,
        "satisfaction": c.satisfaction,
        "notes": c.notes,
        "done_at": c.done_at,
    }


def _roll(request, roll_id: int) -> PaymentRoll:
    return selectors.roll_get_for_user(user=request.auth, roll_id=roll_id)


@router.get("/payments/rolls", response={200: RollPage, LIST_ERRORS: E}, summary="Payment rolls")
def roll_list(request, query: Query[PageQuery]):
    qs = selectors.rolls_visible_to(request.auth)
    start = (query.page - 1) * query.limit
    return {"count": qs.count(), "page": query.page, "items": list(qs[start : start + query.limit])}


@router.post("/payments/rolls", response={201: RollOut, WRITE_ERRORS: E}, summary="Prepare the roll of a month")
def roll_create(request, payload: RollIn):
    month = dt.date.fromisoformat(f"{payload.month}-01")
    return Status(201, services.roll_prepare(actor=request.auth, month=month))


@router.get("/payments/rolls/{roll_id}", response={200: RollDetailOut, READ_ERRORS: E}, summary="A payment roll")
def roll_get(request, roll_id: Id):
    roll = _roll(request, roll_id)
    summary = selectors.roll_summary(user=request.auth, roll=roll)
    summary["totals_ok"] = not selectors.roll_totals_problem(roll)
    lines = selectors.roll_lines_for_user(user=request.auth, roll=roll)[:1000]
    out = RollOut.model_validate(roll).model_dump()
    return out | {"summary": summary, "lines": [_line_out(x) for x in lines]}


def _act(request, roll_id: int, service):
    roll = _roll(request, roll_id)
    if not services.can_manage_rolls(request.auth):
        raise PermissionDenied()
    return service(actor=request.auth, roll=roll)


@router.post("/payments/rolls/{roll_id}/issue", response={200: RollOut, ACT_ERRORS: E}, summary="Issue a roll")
def roll_issue(request, roll_id: Id):
    return _act(request, roll_id, services.roll_issue)


@router.post(
    "/payments/rolls/{roll_id}/reissue",
    response={201: ReissueOut, ACT_ERRORS: E},
    summary="Reissue failed lines in a supplementary roll",
)
def roll_reissue(request, roll_id: Id):
    new, left = _act(request, roll_id, services.roll_reissue)
    return Status(201, {"roll": new, "left_failed": left})


@router.post("/payments/rolls/{roll_id}/close", response={200: RollOut, ACT_ERRORS: E}, summary="Close a roll")
def roll_close(request, roll_id: Id):
    return _act(request, roll_id, services.roll_close)


@router.get(
    "/payments/rolls/{roll_id}/file",
    response={ACT_ERRORS: E},
    summary="The bank batch file of an issued roll",
    openapi_extra={
        "responses": {
            "200": {
                "description": "the file (layout in docs/payments.md)",
                "content": {
                    ct.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
                    for ct in CONTENT_TYPES.values()
                },
            }
        }
    },
)
def roll_file(request, roll_id: Id, query: Query[FileQuery]):
    roll = _roll(request, roll_id)
    if not services.can_manage_rolls(request.auth):
        raise PermissionDenied()
    name, content = files.batch_file(actor=request.auth, roll=roll, fmt=query.fmt)
    response = HttpResponse(content, content_type=CONTENT_TYPES[query.fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.post(
    "/payments/rolls/{roll_id}/results",
    response={200: ResultsOut, frozenset({400, 401, 403, 404, 422}): E},
    summary="Import the bank's results (all or nothing)",
)
def roll_results(request, roll_id: Id, file: File[UploadedFile]):
    roll = _roll(request, roll_id)
    if not services.can_manage_rolls(request.auth):
        raise PermissionDenied()
    if file.size > results.MAX_BYTES:
        return Status(422, {"detail": str(_("The file is too large.")), "field": "file"})
    try:
        outcome = results.results_import(actor=request.auth, roll=roll, name=file.name or "", content=file.read())
    except results.ResultsRejected as e:
        return Status(422, {"detail": str(e), "field": e.field, "errors": e.errors})
    return {
        "roll": outcome.roll,
        "changed": outcome.changed,
        "paid": outcome.paid,
        "failed": outcome.failed,
        "paid_fen": outcome.paid_fen,
        "failed_fen": outcome.failed_fen,
        "callbacks": len(outcome.callbacks),
    }


@router.get("/payments/callbacks", response={200: CallbackPage, LIST_ERRORS: E}, summary="Callbacks in your scope")
def callback_list(request, query: Query[CallbackQuery]):
    status = None if query.status == "all" else query.status
    qs = selectors.callbacks_for_user(user=request.auth, status=status)
    start = (query.page - 1) * query.limit
    items = [_callback_out(c) for c in qs[start : start + query.limit]]
    return {"count": qs.count(), "page": query.page, "items": items}


@router.post("/payments/callbacks/{callback_id}", response={200: CallbackOut, WRITE_ERRORS: E}, summary="Record a call")
def callback_record(request, callback_id: Id, payload: CallbackIn):
    callback = selectors.callback_get_for_user(user=request.auth, callback_id=callback_id)
    callback = services.callback_record(
        actor=request.auth,
        callback=callback,
        reached=payload.reached,
        received=payload.received.value if payload.received else "",
        amount_confirmed_fen=payload.amount_confirmed_fen,
        satisfaction=payload.satisfaction,
        notes=payload.notes,
    )
    return _callback_out(selectors.callback_get_for_user(user=request.auth, callback_id=callback.pk))


@router.put(
    "/households/{household_id}/payee-account",
    response={200: PayeeAccountOut, WRITE_ERRORS: E},
    summary="Record or correct a household's payee account",
)
def payee_account_put(request, household_id: Id, payload: PayeeAccountIn):
    household = household_get_for_user(user=request.auth, household_id=household_id)
    account: PayeeAccount = services.payee_account_record(
        actor=request.auth,
        household=household,
        payee_id=payload.payee_id,
        bank_name=payload.bank_name,
        account_number=payload.account_number,
    )
    return {
        "household_id": household.pk,
        "payee_id": account.payee_id,
        "payee_name_masked": mask_name(account.payee.name),
        "bank_name": account.bank_name,
        "account_number_masked": account.account_number_masked,
        "updated_at": account.updated_at,
    }
