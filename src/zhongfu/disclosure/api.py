"""Disclosure endpoints of the JSON API: a household's code (幸福码). Thin, like the pages.

Scope first (an out-of-scope household is a 404, like a missing one), then the right to change
households for issuing and revoking. The `url` is what the QR code carries.
"""

import datetime as dt

from ninja import Query, Router, Schema, Status

from zhongfu.common.errors import NotFound
from zhongfu.registry.api import READ_ERRORS, WRITE_ERRORS, ErrorOut, Id, Text
from zhongfu.registry.selectors import household_get_for_user

from . import selectors, services
from .models import HouseholdCode

router = Router(tags=["disclosure"])


class HouseholdCodeOut(Schema):
    id: int
    household: int
    url: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    revoke_reason: str


class RevokeQuery(Schema):
    reason: Text(200, 2)


def _code_out(request, code: HouseholdCode) -> dict:
    return {
        "id": code.pk,
        "household": code.household_id,
        # A revoked code opens nothing; its URL is not handed out again.
        "url": selectors.code_url(code, request) if code.is_active else "",
        "created_at": code.created_at,
        "revoked_at": code.revoked_at,
        "revoke_reason": code.revoke_reason,
    }


@router.get(
    "/households/{household_id}/code",
    response={200: HouseholdCodeOut, READ_ERRORS: ErrorOut},
    summary="A household's active code (幸福码)",
)
def household_code_detail(request, household_id: Id):
    """404 when the household is out of scope or has no active code."""
    household = household_get_for_user(user=request.auth, household_id=household_id)
    code = selectors.household_code_active(household=household)
    if code is None:
        raise NotFound()
    return _code_out(request, code)


@router.post(
    "/households/{household_id}/code",
    response={201: HouseholdCodeOut, WRITE_ERRORS: ErrorOut},
    summary="Issue a household code (revokes the current one)",
)
def household_code_issue(request, household_id: Id):
    household = household_get_for_user(user=request.auth, household_id=household_id)
    code = services.household_code_issue(actor=request.auth, household=household)
    return Status(201, _code_out(request, code))


@router.delete(
    "/households/{household_id}/code",
    response={200: HouseholdCodeOut, WRITE_ERRORS: ErrorOut},
    summary="Revoke a household's code (a reason is required and logged)",
)
def household_code_revoke(request, household_id: Id, query: Query[RevokeQuery]):
    household = household_get_for_user(user=request.auth, household_id=household_id)
    code = services.household_code_revoke(actor=request.auth, household=household, reason=query.reason)
    return _code_out(request, code)
