"""Feeds endpoints of the JSON API: the declared feeds, their batches, and loading a batch.

POST /feeds/{feed}/batches takes either a file (multipart, field `file`: xlsx or UTF-8 CSV) or pushed
rows (JSON `{"rows": [{column: value}], "name": "…"}`, columns by Chinese header or English key). Either
is loaded all or nothing: a fault anywhere is a 422 whose `errors` lists every fault as
{"row", "column", "message"}, and nothing is written; the same data twice is a 422 naming the earlier
batch. A batch's report shows unmatched rows (masked) to city-level users only; others get the matched
counts per district inside their scope. Money is integer fen.
"""

import datetime as dt
import json
from typing import Annotated, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic import BaseModel, ConfigDict, StringConstraints
from pydantic import ValidationError as PydanticValidationError

from zhongfu.common.errors import InvalidInput
from zhongfu.registry.api import ErrorOut as E

from . import loading, selectors
from .models import FeedBatch
from .schemas import FeedSchema

router = Router(tags=["feeds"])

MAX_ID = 2**63 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
FeedKey = Annotated[str, Path(max_length=32)]
LIST_ERRORS = frozenset({401, 403})
READ_ERRORS = frozenset({401, 403, 404, 422})
WRITE_ERRORS = frozenset({400, 401, 403, 404, 422})  # 400: the body is not JSON


class FeedColumnOut(Schema):
    key: str
    header: str
    type: str = Field(..., description="id_number | date | money (fen stored) | integer | enum | text")
    required: bool
    meaning: str
    choices: dict[str, str] = Field(..., description="enum columns: label as sent → stored value")


class BatchOut(Schema):
    id: int
    feed: str
    version: int
    source: str = Field(..., description="upload | api")
    file_name: str
    content_sha256: str
    status: str
    row_count: int
    matched_count: int
    unmatched_count: int
    loaded_by: str | None
    loaded_at: dt.datetime


class FeedOut(Schema):
    key: str
    name: str
    department: str
    date_key: str
    columns: list[FeedColumnOut]
    batches: int
    latest_batch: BatchOut | None


class BatchPage(Schema):
    count: int
    page: int
    items: list[BatchOut]


class UnmatchedOut(Schema):
    row: int
    id_number_masked: str
    date: dt.date
    values: dict[str, Any]


class DistrictOut(Schema):
    code: str
    name: str
    matched: int


class BatchDetailOut(BatchOut):
    matched_in_scope: int = Field(..., description="rows matched to people inside your scope")
    districts: list[DistrictOut]
    unmatched: list[UnmatchedOut] | None = Field(..., description="city-level users only; null for others")


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=100_000)
    limit: int = Field(50, ge=1, le=200)


Cell = str | int | float | bool | None


class RowsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rows: list[dict[Annotated[str, StringConstraints(max_length=64)], Cell]] = Field(..., max_length=10_000)
    name: Annotated[str, StringConstraints(max_length=200)] = ""


def _columns(schema: FeedSchema) -> list[dict]:
    return [
        {
            "key": c.key,
            "header": c.header,
            "type": c.type,
            "required": c.required,
            "meaning": str(c.meaning),
            "choices": c.choices,
        }
        for c in schema.columns
    ]


def _batch(b: FeedBatch) -> dict:
    return {
        "id": b.pk,
        "feed": b.feed,
        "version": b.version,
        "source": b.source,
        "file_name": b.file_name,
        "content_sha256": b.content_sha256,
        "status": b.status,
        "row_count": b.row_count,
        "matched_count": b.matched_count,
        "unmatched_count": b.unmatched_count,
        "loaded_by": b.loaded_by.get_username() if b.loaded_by_id else None,
        "loaded_at": b.loaded_at,
    }


@router.get("/feeds", response={200: list[FeedOut], LIST_ERRORS: E}, summary="The feeds and their schemas")
def feed_list(request):
    return [
        {
            "key": o.schema.key,
            "name": str(o.schema.name),
            "department": str(o.schema.department),
            "date_key": o.schema.date_key,
            "columns": _columns(o.schema),
            "batches": o.batches,
            "latest_batch": _batch(o.latest) if o.latest else None,
        }
        for o in selectors.feeds_overview(user=request.auth)
    ]


@router.get("/feeds/batches/{batch_id}", response={200: BatchDetailOut, READ_ERRORS: E}, summary="A batch's report")
def batch_detail(request, batch_id: Id):
    batch = selectors.batch_get_for_user(user=request.auth, batch_id=batch_id)
    report = selectors.batch_report(user=request.auth, batch=batch)
    return {
        **_batch(batch),
        "matched_in_scope": report.matched_in_scope,
        "districts": [{"code": d.code, "name": d.name, "matched": d.matched} for d in report.districts],
        "unmatched": report.unmatched if report.city_level else None,
    }


@router.get("/feeds/{feed}/batches", response={200: BatchPage, READ_ERRORS: E}, summary="Batches of a feed")
def batch_list(request, feed: FeedKey, query: Query[PageQuery]):
    qs = selectors.batches_for_user(user=request.auth, feed=feed)
    start = (query.page - 1) * query.limit
    return {"count": qs.count(), "page": query.page, "items": [_batch(b) for b in qs[start : start + query.limit]]}


_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": RowsIn.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


@router.post(
    "/feeds/{feed}/batches",
    response={201: BatchOut, WRITE_ERRORS: E},
    summary="Load a batch: a file (multipart) or rows (JSON), all or nothing",
    openapi_extra=_BODY,
)
def batch_load(request, feed: FeedKey):
    try:
        if request.content_type == "multipart/form-data":
            upload = request.FILES.get("file")
            if upload is None:
                raise InvalidInput(_("This field is required."), field="file")
            if upload.size > settings.ZHONGFU_IMPORT_MAX_BYTES:
                raise loading.FeedRejected([{"row": None, "column": "", "message": str(loading.TOO_LARGE)}])
            batch = loading.feed_load(actor=request.auth, feed=feed, name=upload.name or "", content=upload.read())
        else:
            payload = _rows(request)
            batch = loading.feed_push(actor=request.auth, feed=feed, rows=payload.rows, name=payload.name)
    except loading.FeedRejected as e:
        return Status(422, {"detail": str(e), "field": e.field, "errors": e.errors})
    return Status(201, _batch(batch))


def _rows(request) -> RowsIn:
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        raise HttpError(400, "Enter a valid JSON.") from None
    try:
        return RowsIn.model_validate(body)
    except PydanticValidationError as e:
        # The API's handler turns these into the usual 422 with a message per field.
        raise NinjaValidationError([{**err, "loc": ("body", "payload", *err["loc"])} for err in e.errors()]) from None
