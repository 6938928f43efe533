"""Registry endpoints of the JSON API. Thin, like the pages: parse, call a selector or a service, shape.

Scope comes from the selectors (an out-of-scope household or person is a 404, exactly like a missing
one; lists and search never contain it). Outputs carry masked identifiers only — `name_masked`,
`id_number_masked`, `phone_masked` — except the unmask endpoint, which checks the permission, asks
for a reason and writes the audit log. Money is integer fen in fields ending in `_fen`.
"""

import datetime as dt
import enum
from typing import Annotated, Literal

from django.utils.translation import gettext_lazy as _
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict, StringConstraints

from zhongfu.accounts.roles import CHANGE_HOUSEHOLD
from zhongfu.common.errors import InvalidInput, PermissionDenied
from zhongfu.common.identifiers import make_id_number
from zhongfu.common.personal_data import mask_name

from . import selectors, services
from .models import (
    AreaType,
    AssistanceClass,
    DisabilityCategory,
    Household,
    HukouType,
    IncomeType,
    LabourCapacity,
    Membership,
    Person,
    Relation,
    SchoolEnrolment,
    Sex,
)

router = Router(tags=["registry"])

# --- input types --------------------------------------------------------------------------------

MAX_ID = 2**63 - 1  # the largest key the database can hold
MAX_FEN = 10**12  # ten billion yuan: far above any real amount, far below the column's limit
_NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL


def Text(max_length: int, min_length: int = 0):  # noqa: N802 (a type factory)
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length, pattern=_NO_NUL)]


CommunityCode = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
Fen = Annotated[int, Field(ge=0, le=MAX_FEN)]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
HouseholdCategory = enum.StrEnum(
    "HouseholdCategory",
    {k: v for k, v in vars(selectors.Category).items() if k.isupper() and isinstance(v, str)},
)


class Input(BaseModel):
    """A request body: a JSON object with only the documented fields (a typo is a 422 naming it)."""

    model_config = ConfigDict(extra="forbid")


class MemberIn(Input):
    name: Text(64, 1)
    id_number: Text(32) = Field(..., description="18-character resident ID number; stored encrypted")
    relation: Relation
    phone: Text(20) = ""
    labour_capacity: LabourCapacity = LabourCapacity.FULL
    disability_category: DisabilityCategory = DisabilityCategory.NONE
    disability_grade: Annotated[int, Field(ge=1, le=4)] | None = None
    serious_illness: bool = False
    elderly_living_alone: bool = False
    child_in_difficulty: bool = False
    school_enrolment: SchoolEnrolment = SchoolEnrolment.NONE
    incomes: dict[IncomeType, Fen] = Field(default_factory=dict, description="monthly income in fen, by type")

    def to_member(self) -> services.MemberInput:
        data = self.model_dump(mode="json")
        return services.MemberInput(**data)


# A synthetic example for the documentation (and schemathesis' example phase): not a real person.
_EXAMPLE_HOUSEHOLD = {
    "region": "330106002001",
    "address": "文三路1号2幢301室",
    "area_type": "urban",
    "hukou_type": "registered",
    "members": [
        {
            "name": "张三",
            "id_number": make_id_number("330106", dt.date(1970, 1, 1), 1, "M"),
            "relation": "head",
            "phone": "13800000000",
            "incomes": {"wage": 250000},
        },
        {
            "name": "李梅",
            "id_number": make_id_number("330106", dt.date(1972, 2, 2), 2, "F"),
            "relation": "spouse",
            "disability_category": "physical",
            "disability_grade": 3,
        },
    ],
}


class HouseholdIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE_HOUSEHOLD]})

    region: CommunityCode = Field(..., description="the community's 12-digit code")
    address: Text(200, 1)
    area_type: AreaType
    hukou_type: HukouType
    members: list[MemberIn] = Field(..., max_length=50, description="exactly one of them is the head")


class HouseholdPatch(Input):
    """Fields left out, or null, stay as they are."""

    region: CommunityCode | None = None
    address: Text(200, 1) | None = None
    area_type: AreaType | None = None
    hukou_type: HukouType | None = None


class PersonPatch(Input):
    """Fields left out stay as they are; null also leaves a field unchanged, except `disability_grade` and
    `deceased_on`, which it clears. An empty `phone` removes the phone."""

    name: Text(64, 1) | None = None
    phone: Text(20) | None = None
    labour_capacity: LabourCapacity | None = None
    disability_category: DisabilityCategory | None = None
    disability_grade: Annotated[int, Field(ge=1, le=4)] | None = None
    serious_illness: bool | None = None
    elderly_living_alone: bool | None = None
    child_in_difficulty: bool | None = None
    school_enrolment: SchoolEnrolment | None = None
    deceased_on: dt.date | None = None


class NewHouseholdIn(Input):
    """For a split: the new household's data; anything left out is taken from the current household."""

    region: CommunityCode | None = None
    address: Text(200, 1) | None = None
    area_type: AreaType | None = None
    hukou_type: HukouType | None = None


class MoveIn(Input):
    relation: Relation = Field(..., description="relation to the head of the household moved into")
    to_household: Annotated[int, Field(ge=1, le=MAX_ID)] | None = Field(
        None, description="id of the household to join; leave out to split into a new household"
    )
    new_household: NewHouseholdIn | None = None
    on_date: dt.date | None = None


class UnmaskIn(Input):
    field: Literal["id_number", "phone"]
    reason: Text(500)


class HouseholdFilters(Schema):
    q: Text(64) = Field("", description="name (prefix), ID number, phone, household number or address")
    region: Annotated[str, StringConstraints(pattern=r"^\d{0,12}$")] = Field("", description="region code prefix")
    category: HouseholdCategory | None = None
    include_inactive: bool = False
    page: int = Field(1, ge=1, le=100_000)
    limit: int = Field(25, ge=1, le=100)


# --- output types: masked identifiers only --------------------------------------------------------


class ErrorOut(Schema):
    detail: str
    field: str | None = None
    errors: list[dict] | None = None


class PersonBrief(Schema):
    id: int
    name_masked: str
    id_number_masked: str


class HouseholdBrief(Schema):
    id: int
    number: str
    region: str


class HouseholdOut(Schema):
    id: int
    number: str
    region: str
    region_name: str
    address: str
    area_type: AreaType
    hukou_type: HukouType
    assistance_class: AssistanceClass
    is_active: bool
    size: int
    head: PersonBrief | None
    created_at: dt.datetime
    updated_at: dt.datetime


class HouseholdPage(Schema):
    count: int
    page: int
    limit: int
    items: list[HouseholdOut]


class IncomeOut(Schema):
    kind: IncomeType
    monthly_fen: int


class MemberOut(Schema):
    id: int
    name_masked: str
    id_number_masked: str
    phone_masked: str
    birth_date: dt.date
    sex: Sex
    relation: Relation
    start_date: dt.date
    end_date: dt.date | None
    labour_capacity: LabourCapacity
    disability_category: DisabilityCategory
    disability_grade: int | None
    serious_illness: bool
    elderly_living_alone: bool
    child_in_difficulty: bool
    school_enrolment: SchoolEnrolment
    deceased_on: dt.date | None
    incomes: list[IncomeOut]
    monthly_income_fen: int


class IncomeSummaryOut(Schema):
    size: int
    monthly_fen: int
    per_capita_fen: int


class HouseholdDetailOut(HouseholdOut):
    members: list[MemberOut]
    income: IncomeSummaryOut


class PersonOut(MemberOut):
    household: HouseholdBrief


class UnmaskedOut(Schema):
    field: str
    value: str


# --- shaping ------------------------------------------------------------------------------------


def _person_brief(p: Person) -> dict:
    return {"id": p.pk, "name_masked": mask_name(p.name), "id_number_masked": p.id_number_masked}


def _household_out(h: Household, *, size: int, head: Person | None) -> dict:
    return {
        "id": h.pk,
        "number": h.number,
        "region": h.region_id,
        "region_name": h.region.full_name,
        "address": h.address,
        "area_type": h.area_type,
        "hukou_type": h.hukou_type,
        "assistance_class": h.assistance_class,
        "is_active": h.is_active,
        "size": size,
        "head": _person_brief(head) if head else None,
        "created_at": h.created_at,
        "updated_at": h.updated_at,
    }


def _member_out(m: Membership) -> dict:
    p = m.person
    incomes = sorted(p.incomes.all(), key=lambda i: i.kind)
    return {
        **_person_brief(p),
        "phone_masked": p.phone_masked,
        "birth_date": p.birth_date,
        "sex": p.sex,
        "relation": m.relation,
        "start_date": m.start_date,
        "end_date": m.end_date,
        "labour_capacity": p.labour_capacity,
        "disability_category": p.disability_category,
        "disability_grade": p.disability_grade,
        "serious_illness": p.serious_illness,
        "elderly_living_alone": p.elderly_living_alone,
        "child_in_difficulty": p.child_in_difficulty,
        "school_enrolment": p.school_enrolment,
        "deceased_on": p.deceased_on,
        "incomes": [{"kind": i.kind, "monthly_fen": i.monthly_fen} for i in incomes],
        "monthly_income_fen": sum(i.monthly_fen for i in incomes),
    }


def _household_detail(h: Household) -> dict:
    members = list(selectors.household_members(household=h))
    head = next((m.person for m in members if m.relation == Relation.HEAD), None)
    return {
        **_household_out(h, size=len(members), head=head),
        "members": [_member_out(m) for m in members],
        "income": selectors.household_income_summary(household=h),
    }


def _person_out(user, person_id: int) -> dict:
    person, household = selectors.person_get_for_user(user=user, person_id=person_id)
    membership = (
        Membership.objects.select_related("person")
        .prefetch_related("person__incomes")
        .get(person=person, household=household, end_date__isnull=True)
    )
    return {
        **_member_out(membership),
        "household": {"id": household.pk, "number": household.number, "region": household.region_id},
    }


def _require_change(user) -> None:
    """Checked after the record is found: out of scope is 404 for everyone, in scope without the right 403."""
    if not user.has_perm(CHANGE_HOUSEHOLD):
        raise PermissionDenied()


_NULLABLE = {"disability_grade", "deceased_on"}


def _changes(payload: Input, *, rename: dict | None = None) -> dict:
    """The fields the client sent; null means 'unchanged' except where it clears a value."""
    data = payload.model_dump(mode="json", exclude_unset=True)
    if "deceased_on" in data and data["deceased_on"] is not None:
        data["deceased_on"] = dt.date.fromisoformat(data["deceased_on"])
    changes = {k: v for k, v in data.items() if v is not None or k in _NULLABLE}
    for old, new in (rename or {}).items():
        if old in changes:
            changes[new] = changes.pop(old)
    return changes


# --- endpoints ----------------------------------------------------------------------------------

E = ErrorOut
READ_ERRORS = frozenset({401, 404, 422})
WRITE_ERRORS = frozenset({400, 401, 403, 404, 422})  # 400: the body is not JSON


@router.get("/households", response={200: HouseholdPage, frozenset({401, 422}): E}, summary="Search households")
def household_list(request, filters: Query[HouseholdFilters]):
    """Households in your scope, active ones unless asked; the search box of the pages, as JSON."""
    qs = selectors.household_search(
        user=request.auth,
        q=filters.q,
        region=filters.region,
        category=filters.category.value if filters.category else "",
        include_inactive=filters.include_inactive,
    )
    start = (filters.page - 1) * filters.limit
    page_ids = list(qs.values_list("pk", flat=True)[start : start + filters.limit])
    rows = selectors.household_list_rows(
        selectors.households_visible_to(request.auth).filter(pk__in=page_ids).select_related("region")
    ).order_by("number")
    items = [
        _household_out(h, size=h.size, head=h.head_memberships[0].person if h.head_memberships else None) for h in rows
    ]
    return {"count": qs.count(), "page": filters.page, "limit": filters.limit, "items": items}


@router.post(
    "/households",
    response={201: HouseholdDetailOut, frozenset({400, 401, 403, 422}): E},
    summary="Register a household with its members",
)
def household_create(request, payload: HouseholdIn):
    if not request.auth.has_perm(CHANGE_HOUSEHOLD):
        raise PermissionDenied()
    household = services.household_register(
        actor=request.auth,
        region_code=payload.region,
        address=payload.address,
        area_type=payload.area_type.value,
        hukou_type=payload.hukou_type.value,
        members=[m.to_member() for m in payload.members],
    )
    return Status(201, _household_detail(household))


@router.get("/households/{household_id}", response={200: HouseholdDetailOut, READ_ERRORS: E}, summary="A household")
def household_detail(request, household_id: Id):
    return _household_detail(selectors.household_get_for_user(user=request.auth, household_id=household_id))


@router.patch(
    "/households/{household_id}", response={200: HouseholdDetailOut, WRITE_ERRORS: E}, summary="Change a household"
)
def household_update(request, household_id: Id, payload: HouseholdPatch):
    selectors.household_get_for_user(user=request.auth, household_id=household_id)
    _require_change(request.auth)
    household = services.household_update(actor=request.auth, household_id=household_id, **_changes(payload))
    return _household_detail(household)


@router.get(
    "/households/{household_id}/members",
    response={200: list[MemberOut], READ_ERRORS: E},
    summary="Members of a household",
)
def member_list(request, household_id: Id, include_past: bool = False):
    household = selectors.household_get_for_user(user=request.auth, household_id=household_id)
    return [_member_out(m) for m in selectors.household_members(household=household, include_past=include_past)]


@router.post(
    "/households/{household_id}/members",
    response={201: PersonOut, WRITE_ERRORS: E},
    summary="Add a member to a household",
)
def member_add(request, household_id: Id, payload: MemberIn):
    selectors.household_get_for_user(user=request.auth, household_id=household_id)
    _require_change(request.auth)
    person = services.member_add(actor=request.auth, household_id=household_id, member=payload.to_member())
    return Status(201, _person_out(request.auth, person.pk))


@router.get("/people/{person_id}", response={200: PersonOut, READ_ERRORS: E}, summary="A person")
def person_detail(request, person_id: Id):
    return _person_out(request.auth, person_id)


@router.patch("/people/{person_id}", response={200: PersonOut, WRITE_ERRORS: E}, summary="Change a person")
def person_update(request, person_id: Id, payload: PersonPatch):
    selectors.person_get_for_user(user=request.auth, person_id=person_id)
    _require_change(request.auth)
    services.person_update(actor=request.auth, person_id=person_id, **_changes(payload))
    return _person_out(request.auth, person_id)


@router.post(
    "/people/{person_id}/unmask",
    response={200: UnmaskedOut, WRITE_ERRORS: E},
    summary="See a clear ID number or phone (permission, reason, audit log)",
)
def person_unmask(request, person_id: Id, payload: UnmaskIn):
    value = services.person_unmask(
        actor=request.auth, person_id=person_id, field_name=payload.field, reason=payload.reason
    )
    return {"field": payload.field, "value": value}


@router.post(
    "/people/{person_id}/move",
    response={200: HouseholdDetailOut, WRITE_ERRORS: E},
    summary="Move a person to another household, or split them into a new one",
)
def person_move(request, person_id: Id, payload: MoveIn):
    selectors.person_get_for_user(user=request.auth, person_id=person_id)
    _require_change(request.auth)
    if payload.to_household is not None and payload.new_household is not None:
        raise InvalidInput(_("Either join a household or start a new one, not both."), field="new_household")
    new = _changes(payload.new_household, rename={"region": "region_code"}) if payload.new_household else None
    target = services.member_move(
        actor=request.auth,
        person_id=person_id,
        relation=payload.relation.value,
        to_household_id=payload.to_household,
        new_household=new,
        on_date=payload.on_date,
    )
    return _household_detail(target)
