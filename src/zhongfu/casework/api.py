"""Casework endpoints of the JSON API: one application for every eligible policy (一件事)."""

import datetime as dt
from typing import Annotated

from ninja import Path, Router, Schema, Status

from zhongfu.registry.api import READ_ERRORS, WRITE_ERRORS
from zhongfu.registry.api import ErrorOut as E
from zhongfu.registry.selectors import household_get_for_user

from . import selectors, services

router = Router(tags=["casework"])

MAX_ID = 2**63 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class ApplicationPolicyOut(Schema):
    policy_code: str
    amount_fen: int
    period: str
    unit: str
    deciding_level: str


class ApplicationOut(Schema):
    id: int
    number: str
    household_id: int
    channel: str
    status: str
    submitted_at: dt.datetime
    screening_id: int
    policies: list[ApplicationPolicyOut]

    @staticmethod
    def resolve_policies(obj):
        return list(obj.policies.all())


@router.post("/households/{household_id}/applications", response={201: ApplicationOut, WRITE_ERRORS: E})
def apply_all(request, household_id: Id):
    """Screen the household now and apply for every policy it is eligible for, in one application."""
    household = household_get_for_user(user=request.auth, household_id=household_id)
    return Status(201, services.application_submit_all_eligible(actor=request.auth, household=household))


@router.get("/applications/{application_id}", response={200: ApplicationOut, READ_ERRORS: E})
def application_get(request, application_id: Id):
    return selectors.application_get_for_user(user=request.auth, application_id=application_id)
