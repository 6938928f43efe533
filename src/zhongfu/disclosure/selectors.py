"""Reads of the disclosure app: household codes, the QR image, the outbox, the benefit list.

A code found from a scanned token is only a starting point: staff still go through the registry's
scope (`household_get_for_user`), and a household through verification (services)."""

import segno
from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from zhongfu.accounts.roles import Role
from zhongfu.common.errors import NotFound
from zhongfu.registry.models import Household, Person, Relation
from zhongfu.registry.selectors import household_members

from . import tokens
from .models import HouseholdCode, OutboxMessage


def household_code_active(*, household: Household) -> HouseholdCode | None:
    return HouseholdCode.objects.filter(household=household, revoked_at__isnull=True).first()


def household_code_for_token(signed: str) -> HouseholdCode:
    """The active code a scanned token names. A bad signature, an unknown or revoked code and a
    household no longer active all raise the same NotFound, so the answer tells nothing apart."""
    token_id = tokens.unsign(signed)
    if token_id is None:
        raise NotFound()
    code = (
        HouseholdCode.objects.select_related("household", "household__region")
        .filter(token_id=token_id, revoked_at__isnull=True, household__is_active=True)
        .first()
    )
    if code is None:
        raise NotFound()
    return code


def code_path(code: HouseholdCode) -> str:
    return reverse("disclosure:scan", args=[tokens.sign(code.token_id)])


def code_url(code: HouseholdCode, request=None) -> str:
    """The absolute URL the QR code carries. ZHONGFU_PUBLIC_URL (e.g. https://zf.example.gov.cn)
    wins over the host of the request, so codes printed on an intranet still open from a phone."""
    base = getattr(settings, "ZHONGFU_PUBLIC_URL", "") or ""
    if base:
        return base.rstrip("/") + code_path(code)
    if request is None:
        raise ValueError("code_url needs a request or settings.ZHONGFU_PUBLIC_URL")
    return request.build_absolute_uri(code_path(code))


def qr_svg(url: str, *, scale: int = 4) -> str:
    """The QR code as inline SVG (no XML declaration), generated here: no external service."""
    return segno.make(url, error="m").svg_inline(scale=scale, title="QR")


def household_head(*, household: Household) -> Person | None:
    membership = household_members(household=household).filter(relation=Relation.HEAD).first()
    return membership.person if membership else None


def outbox_visible_to(user) -> QuerySet[OutboxMessage]:
    """The outbox stands in for the household's phone: only a city administrator reads it."""
    if not user.is_authenticated or user.role != Role.CITY_ADMIN:
        return OutboxMessage.objects.none()
    return OutboxMessage.objects.select_related("household")


def can_view_outbox(user) -> bool:
    return user.is_authenticated and user.role == Role.CITY_ADMIN


def benefits_received(*, household: Household) -> list:
    """Benefits actually paid to the household, newest first: one row per line the bank reported paid
    (month, policy code and name, amount in fen, date paid, paying unit), from the payments app."""
    from zhongfu.payments.selectors import benefits_received as paid_lines

    return paid_lines(household)


def household_benefit_list(*, household: Household, actor=None):
    """The screening app's benefit list with the received section from `benefits_received`. The
    caller has checked scope (staff) or verification (the household)."""
    from zhongfu.screening.selectors import benefit_list

    result = benefit_list(household, actor=actor)
    result.received = benefits_received(household=household)
    return result
