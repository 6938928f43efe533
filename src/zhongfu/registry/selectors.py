"""Reads of the registry. Every read takes the user and applies their region scope here, so pages,
API, exports and search cannot forget it. Out-of-scope records raise NotFound, like missing ones."""

import datetime as dt
import re

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum

from zhongfu.common import personal_data as pd
from zhongfu.common.errors import NotFound

from .models import Asset, Household, Income, Membership, Person

_ID_LIKE = re.compile(r"^\d{17}[\dXx]$")
_PHONE_LIKE = re.compile(r"^1\d{10}$")


class Category:
    """Household categories offered in search."""

    DIBAO = "dibao"
    MARGINAL = "marginal"
    EXTREME_POVERTY = "extreme_poverty"
    EXPENDITURE_POVERTY = "expenditure_poverty"
    DISABILITY = "disability"
    SERIOUS_ILLNESS = "serious_illness"
    ELDERLY_ALONE = "elderly_alone"
    CHILD_IN_DIFFICULTY = "child_in_difficulty"
    VEHICLE = "vehicle"
    COMPANY_ROLE = "company_role"


_MEMBER_FLAGS = {
    Category.DISABILITY: Q(disability_category__gt=""),
    Category.SERIOUS_ILLNESS: Q(serious_illness=True),
    Category.ELDERLY_ALONE: Q(elderly_living_alone=True),
    Category.CHILD_IN_DIFFICULTY: Q(child_in_difficulty=True),
}


def households_visible_to(user) -> QuerySet[Household]:
    """The one place where region scope applies to households."""
    if not user.is_authenticated or not user.has_perm("registry.view_household"):
        return Household.objects.none()
    prefix = user.scope_prefix
    if prefix is None:
        return Household.objects.none()
    return Household.objects.filter(region__code__startswith=prefix)


def household_search(
    *, user, q: str = "", region: str = "", category: str = "", include_inactive: bool = False
) -> QuerySet[Household]:
    """Search by name, ID number, phone, household number or address; filter by region and category."""
    qs = households_visible_to(user)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if region:
        qs = qs.filter(region__code__startswith=region)
    q = (q or "").strip()
    if q:
        active = Membership.objects.filter(household=OuterRef("pk"), end_date__isnull=True)
        if _ID_LIKE.match(q):
            qs = qs.filter(Exists(active.filter(person__id_number_hash=pd.lookup_hash(q))))
        elif _PHONE_LIKE.match(q):
            qs = qs.filter(Exists(active.filter(person__phone_hash=pd.lookup_hash(q))))
        elif q.isdigit():
            qs = qs.filter(number__startswith=q)
        else:
            qs = qs.filter(Exists(active.filter(person__name__startswith=q)) | Q(address__contains=q))
    if category:
        if category in _MEMBER_FLAGS:
            flag = {f"person__{k}": v for k, v in _MEMBER_FLAGS[category].children}
            qs = qs.filter(Exists(Membership.objects.filter(household=OuterRef("pk"), end_date__isnull=True, **flag)))
        elif category in (Category.VEHICLE, Category.COMPANY_ROLE):
            # Exists, not a join: a join (with distinct) multiplies the member count annotated later.
            qs = qs.filter(Exists(Asset.objects.filter(household=OuterRef("pk"), kind=category)))
        else:
            qs = qs.filter(assistance_class=category)
    return qs.select_related("region").order_by("number")


def household_list_rows(households: QuerySet[Household]) -> QuerySet[Household]:
    """Annotate a page of households with size and head for list display."""
    return households.annotate(
        size=Count("memberships", filter=Q(memberships__end_date__isnull=True)),
    ).prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.filter(end_date__isnull=True, relation="head").select_related("person"),
            to_attr="head_memberships",
        )
    )


def household_get_for_user(*, user, household_id, for_update: bool = False) -> Household:
    qs = households_visible_to(user)
    if for_update:
        qs = qs.select_for_update()
    try:
        return qs.select_related("region").get(pk=int(household_id))
    except (Household.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def household_get_by_number_for_user(*, user, number: str) -> Household:
    try:
        return households_visible_to(user).select_related("region").get(number=number)
    except Household.DoesNotExist:
        raise NotFound() from None


def household_members(*, household: Household, include_past: bool = False) -> QuerySet[Membership]:
    qs = household.memberships.select_related("person").prefetch_related("person__incomes")
    if not include_past:
        qs = qs.filter(end_date__isnull=True)
    return qs.order_by("end_date", "start_date", "pk")


def person_get_for_user(*, user, person_id, for_update: bool = False) -> tuple[Person, Household]:
    """A person and their current household, if that household is in the user's scope."""
    try:
        membership = (
            Membership.objects.select_related("person", "household", "household__region")
            .filter(household__in=households_visible_to(user), end_date__isnull=True)
            .get(person_id=int(person_id))
        )
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    person = membership.person
    if for_update:
        person = Person.objects.select_for_update().get(pk=person.pk)
    return person, membership.household


def household_income_summary(*, household: Household) -> dict:
    """Monthly income in fen, household size and per-capita income (rounded down to the fen)."""
    members = household.memberships.filter(end_date__isnull=True)
    size = members.count()
    total = Income.objects.filter(person__memberships__in=members).aggregate(total=Sum("monthly_fen"))["total"] or 0
    return {"size": size, "monthly_fen": total, "per_capita_fen": total // size if size else 0}


def age_on(birth: dt.date, on: dt.date | None = None) -> int:
    on = on or dt.date.today()
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
