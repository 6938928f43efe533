"""Writes to the registry. Each service validates, writes in one transaction and appends to the
audit log in that same transaction, so a change and its audit entry commit or fail together."""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from zhongfu.audit.models import AuditEntry
from zhongfu.audit.services import audit_record
from zhongfu.common import personal_data as pd
from zhongfu.common.errors import InvalidInput, PermissionDenied
from zhongfu.common.identifiers import parse_id_number
from zhongfu.regions.models import Level, Region
from zhongfu.regions.selectors import issuing_code_exists

from .models import (
    AreaType,
    Asset,
    AssetKind,
    CompanyRole,
    DisabilityCategory,
    Expense,
    ExpenseKind,
    Household,
    HukouType,
    Income,
    IncomeType,
    LabourCapacity,
    Membership,
    Person,
    Relation,
    SchoolEnrolment,
)
from .selectors import household_get_for_user, person_get_for_user

A = AuditEntry.Action
_PHONE_RE = re.compile(r"^1[3-9]\d{9}$|^0\d{2,3}-?\d{7,8}$")


class PersonAlreadyRegistered(InvalidInput):
    default_message = _("This ID number is already registered as an active member of another household.")


# --- snapshots for the audit log: masked values and hashes, never clear identifiers -------------


def household_snapshot(h: Household) -> dict:
    return {
        "number": h.number,
        "region": h.region_id,
        "address": h.address,
        "area_type": h.area_type,
        "hukou_type": h.hukou_type,
        "assistance_class": h.assistance_class,
        "is_active": h.is_active,
    }


PERSON_FIELDS = (
    "name",
    "labour_capacity",
    "disability_category",
    "disability_grade",
    "serious_illness",
    "elderly_living_alone",
    "child_in_difficulty",
    "school_enrolment",
)


def person_snapshot(p: Person) -> dict:
    data = {f: getattr(p, f) for f in PERSON_FIELDS}
    data.update(
        id_number=p.id_number_masked,
        id_number_hash=p.id_number_hash,
        phone=p.phone_masked,
        phone_hash=p.phone_hash,
        birth_date=p.birth_date.isoformat(),
        sex=p.sex,
        deceased_on=p.deceased_on.isoformat() if p.deceased_on else None,
    )
    return data


# --- validation ---------------------------------------------------------------------------------


@dataclass
class MemberInput:
    """One member as entered on a form, in the API or in an import row."""

    name: str
    id_number: str
    relation: str
    phone: str = ""
    labour_capacity: str = LabourCapacity.FULL
    disability_category: str = ""
    disability_grade: int | None = None
    serious_illness: bool = False
    elderly_living_alone: bool = False
    child_in_difficulty: bool = False
    school_enrolment: str = ""
    incomes: dict[str, int] = field(default_factory=dict)  # income type → monthly fen


def _choice(value, choices, field_name: str):
    if value not in choices.values:
        raise InvalidInput(_("Not an allowed value: %(value)s"), field=field_name, value=value)
    return value


def _validate_member_fields(m: MemberInput, prefix: str = "") -> None:
    name = (m.name or "").strip()
    if not name or len(name) > 64:
        raise InvalidInput(_("A name is required (at most 64 characters)."), field=f"{prefix}name")
    m.name = name
    _choice(m.relation, Relation, f"{prefix}relation")
    _choice(m.labour_capacity, LabourCapacity, f"{prefix}labour_capacity")
    _choice(m.disability_category or "", DisabilityCategory, f"{prefix}disability_category")
    _choice(m.school_enrolment or "", SchoolEnrolment, f"{prefix}school_enrolment")
    if m.disability_category and m.disability_grade not in (1, 2, 3, 4):
        raise InvalidInput(_("A disability needs a grade from 1 to 4."), field=f"{prefix}disability_grade")
    if not m.disability_category and m.disability_grade:
        raise InvalidInput(_("A disability grade needs a disability category."), field=f"{prefix}disability_category")
    if m.phone and not _PHONE_RE.match(m.phone.strip()):
        raise InvalidInput(_("Not a valid phone number."), field=f"{prefix}phone")
    for kind, fen in m.incomes.items():
        _choice(kind, IncomeType, f"{prefix}incomes")
        if not isinstance(fen, int) or fen < 0:
            raise InvalidInput(_("An income is a non-negative amount."), field=f"{prefix}incomes")


def _parse_id(value: str, field_name: str):
    rid = parse_id_number(value, field=field_name)
    if not issuing_code_exists(rid.region_code):
        raise InvalidInput(
            _("The ID number's region code %(code)s is not a known county code."),
            field=field_name,
            code=rid.region_code,
        )
    return rid


def _community(region_code: str) -> Region:
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise InvalidInput(_("Unknown region code: %(code)s"), field="region", code=region_code)
    if region.level != Level.COMMUNITY:
        raise InvalidInput(_("A household belongs to a community (a 12-digit code)."), field="region")
    return region


def _check_scope(actor, region_code: str) -> None:
    prefix = getattr(actor, "scope_prefix", None)
    if actor is not None and getattr(actor, "pk", None) and (prefix is None or not region_code.startswith(prefix)):
        raise PermissionDenied(_("This region is outside your scope."), field="region")


def _require_change(actor) -> None:
    """Services check the right themselves too, so no entry point can forget it (system actor: None)."""
    if actor is not None and not actor.has_perm("registry.change_household"):
        raise PermissionDenied()


def _next_household_number(region: Region) -> str:
    # Only numbers of the generated shape (community code + 5 digits), so that an imported number
    # such as "3301060020011" cannot make the maximum collide with an existing one.
    pattern = rf"^{region.code}[0-9]{{5}}$"
    last = Household.objects.filter(number__regex=pattern).aggregate(m=Max("number"))["m"]
    seq = int(last[len(region.code) :]) + 1 if last else 1
    number = f"{region.code}{seq:05d}"
    while Household.objects.filter(number=number).exists():
        seq += 1
        number = f"{region.code}{seq:05d}"
    return number


# --- households and members ---------------------------------------------------------------------


def person_build(m: MemberInput, *, id_number: str, birth_date: dt.date, sex: str, id_hash: str, **extra) -> Person:
    """An unsaved Person from validated input: identifiers encrypted, hashed and masked. The one
    place that turns clear identifiers into stored ones (registration and import both use it)."""
    phone = (m.phone or "").strip()
    return Person(
        name=m.name,
        id_number_enc=pd.encrypt(id_number),
        id_number_hash=id_hash,
        id_number_masked=pd.mask_id_number(id_number),
        birth_date=birth_date,
        sex=sex,
        phone_enc=pd.encrypt(phone) if phone else "",
        phone_hash=pd.lookup_hash(phone) if phone else "",
        phone_masked=pd.mask_phone(phone),
        labour_capacity=m.labour_capacity,
        disability_category=m.disability_category or "",
        disability_grade=m.disability_grade if m.disability_category else None,
        serious_illness=m.serious_illness,
        elderly_living_alone=m.elderly_living_alone,
        child_in_difficulty=m.child_in_difficulty,
        school_enrolment=m.school_enrolment or "",
        **extra,
    )


def _person_create(actor, m: MemberInput, household: Household, index: int, start: dt.date) -> Person:
    prefix = f"members[{index}]." if index >= 0 else ""
    _validate_member_fields(m, prefix)
    rid = _parse_id(m.id_number, f"{prefix}id_number")
    id_hash = pd.lookup_hash(rid.number)
    if Person.objects.filter(id_number_hash=id_hash).exists():
        raise PersonAlreadyRegistered(field=f"{prefix}id_number")
    person = person_build(m, id_number=rid.number, birth_date=rid.birth_date, sex=rid.sex, id_hash=id_hash)
    person.save(force_insert=True)
    Income.objects.bulk_create([Income(person=person, kind=k, monthly_fen=v) for k, v in m.incomes.items() if v])
    Membership.objects.create(household=household, person=person, relation=m.relation, start_date=start)
    audit_record(
        actor=actor,
        action=A.CREATE,
        object_type="person",
        object_id=person.pk,
        household_id=household.pk,
        region_code=household.region_id,
        after=person_snapshot(person) | {"relation": m.relation, "incomes": m.incomes},
    )
    return person


@transaction.atomic
def household_register(
    *,
    actor,
    region_code: str,
    address: str,
    area_type: str,
    hukou_type: str,
    members: list[MemberInput],
    number: str = "",
    start: dt.date | None = None,
) -> Household:
    """Register a new household with its members (exactly one head). All or nothing."""
    _require_change(actor)
    region = _community(region_code)
    _check_scope(actor, region.code)
    address = (address or "").strip()
    if not address:
        raise InvalidInput(_("An address is required."), field="address")
    _choice(area_type, AreaType, "area_type")
    _choice(hukou_type, HukouType, "hukou_type")
    if not members:
        raise InvalidInput(_("A household has at least one member."), field="members")
    for i, m in enumerate(members):
        _validate_member_fields(m, f"members[{i}].")
    heads = [m for m in members if m.relation == Relation.HEAD]
    if len(heads) != 1:
        raise InvalidInput(_("A household has exactly one head."), field="members")
    seen: set[str] = set()
    for i, m in enumerate(members):
        key = (m.id_number or "").strip().upper()
        if key in seen:
            raise InvalidInput(
                _("The same ID number appears twice in this household."), field=f"members[{i}].id_number"
            )
        seen.add(key)
    number = (number or "").strip() or _next_household_number(region)
    if Household.objects.filter(number=number).exists():
        raise InvalidInput(_("Household number %(number)s is already used."), field="number", number=number)
    household = Household.objects.create(
        number=number, region=region, address=address, area_type=area_type, hukou_type=hukou_type
    )
    audit_record(
        actor=actor,
        action=A.CREATE,
        object_type="household",
        object_id=household.pk,
        household_id=household.pk,
        region_code=region.code,
        after=household_snapshot(household),
    )
    start = start or dt.date.today()
    for i, m in enumerate(members):
        _person_create(actor, m, household, i, start)
    return household


HOUSEHOLD_EDITABLE = ("address", "area_type", "hukou_type", "region")


@transaction.atomic
def household_update(*, actor, household_id: int, **changes) -> Household:
    _require_change(actor)
    household = household_get_for_user(user=actor, household_id=household_id, for_update=True)
    before = household_snapshot(household)
    for key, value in changes.items():
        if key not in HOUSEHOLD_EDITABLE:
            raise InvalidInput(_("This field cannot be changed here."), field=key)
        if key == "region":
            region = _community(value)
            _check_scope(actor, region.code)
            household.region = region
        elif key == "address":
            if not (value or "").strip():
                raise InvalidInput(_("An address is required."), field="address")
            household.address = value.strip()
        else:
            setattr(household, key, _choice(value, AreaType if key == "area_type" else HukouType, key))
    after = household_snapshot(household)
    if after != before:
        household.save()
        audit_record(
            actor=actor,
            action=A.UPDATE,
            object_type="household",
            object_id=household.pk,
            household_id=household.pk,
            region_code=household.region_id,
            before=before,
            after=after,
        )
    return household


@transaction.atomic
def member_add(*, actor, household_id: int, member: MemberInput, start: dt.date | None = None) -> Person:
    _require_change(actor)
    household = household_get_for_user(user=actor, household_id=household_id, for_update=True)
    _check_scope(actor, household.region_id)
    if (
        member.relation == Relation.HEAD
        and household.memberships.filter(end_date__isnull=True, relation=Relation.HEAD).exists()
    ):
        raise InvalidInput(_("This household already has a head."), field="relation")
    try:
        with transaction.atomic():
            return _person_create(actor, member, household, -1, start or dt.date.today())
    except IntegrityError:
        raise PersonAlreadyRegistered(field="id_number") from None


# What person_update accepts: the snapshot fields plus the phone (re-encrypted) and the date of death.
PERSON_EDITABLE = (*PERSON_FIELDS, "phone", "deceased_on")


@transaction.atomic
def person_update(*, actor, person_id: int, **changes) -> Person:
    _require_change(actor)
    person, household = person_get_for_user(user=actor, person_id=person_id, for_update=True)
    _check_scope(actor, household.region_id)
    before = person_snapshot(person)
    for key in changes:
        if key not in PERSON_EDITABLE:
            raise InvalidInput(_("This field cannot be changed here."), field=key)
    merged = MemberInput(
        name=changes.get("name", person.name),
        id_number="",
        relation=Relation.OTHER,
        phone=changes.get("phone", "") or "",
        labour_capacity=changes.get("labour_capacity", person.labour_capacity),
        disability_category=changes.get("disability_category", person.disability_category) or "",
        disability_grade=changes.get("disability_grade", person.disability_grade),
        serious_illness=bool(changes.get("serious_illness", person.serious_illness)),
        elderly_living_alone=bool(changes.get("elderly_living_alone", person.elderly_living_alone)),
        child_in_difficulty=bool(changes.get("child_in_difficulty", person.child_in_difficulty)),
        school_enrolment=changes.get("school_enrolment", person.school_enrolment) or "",
    )
    _validate_member_fields(merged)
    for f in PERSON_FIELDS:
        setattr(person, f, getattr(merged, f))
    if not person.disability_category:
        person.disability_grade = None
    if "phone" in changes:
        phone = (changes["phone"] or "").strip()
        person.phone_enc = pd.encrypt(phone) if phone else ""
        person.phone_hash = pd.lookup_hash(phone) if phone else ""
        person.phone_masked = pd.mask_phone(phone)
    if "deceased_on" in changes:
        person.deceased_on = changes["deceased_on"]
    after = person_snapshot(person)
    if after != before:
        person.save()
        audit_record(
            actor=actor,
            action=A.UPDATE,
            object_type="person",
            object_id=person.pk,
            household_id=household.pk,
            region_code=household.region_id,
            before=before,
            after=after,
        )
    return person


@transaction.atomic
def income_set(*, actor, person_id: int, kind: str, monthly_fen: int, household_id: int | None = None) -> None:
    """Set a person's monthly income of one type (0 removes it); `household_id`, when given, must be theirs."""
    _require_change(actor)
    person, household = person_get_for_user(user=actor, person_id=person_id, for_update=True)
    if household_id is not None and household.pk != int(household_id):
        raise InvalidInput(_("The person must be a member of this household."), field="person")
    _check_scope(actor, household.region_id)
    _choice(kind, IncomeType, "kind")
    if not isinstance(monthly_fen, int) or monthly_fen < 0:
        raise InvalidInput(_("An income is a non-negative amount."), field="monthly_fen")
    row = Income.objects.filter(person=person, kind=kind).first()
    before = {"kind": kind, "monthly_fen": row.monthly_fen if row else 0}
    if monthly_fen == before["monthly_fen"]:
        return
    if monthly_fen == 0:
        row.delete()
    elif row:
        row.monthly_fen = monthly_fen
        row.save(update_fields=["monthly_fen"])
    else:
        Income.objects.create(person=person, kind=kind, monthly_fen=monthly_fen)
    audit_record(
        actor=actor,
        action=A.UPDATE,
        object_type="income",
        object_id=f"{person.pk}:{kind}",
        household_id=household.pk,
        region_code=household.region_id,
        before=before,
        after={"kind": kind, "monthly_fen": monthly_fen},
    )


@transaction.atomic
def asset_add(
    *,
    actor,
    household_id: int,
    kind: str,
    value_fen: int = 0,
    description: str = "",
    person_id: int | None = None,
    floor_area_m2: int | None = None,
    acquired_on: dt.date | None = None,
    is_exempt_vehicle: bool = False,
    company_uscc: str = "",
    company_role: str = "",
) -> Asset:
    _require_change(actor)
    from zhongfu.common.identifiers import validate_uscc

    household = household_get_for_user(user=actor, household_id=household_id, for_update=True)
    _check_scope(actor, household.region_id)
    _choice(kind, AssetKind, "kind")
    if value_fen < 0:
        raise InvalidInput(_("A value cannot be negative."), field="value_fen")
    if person_id and not household.memberships.filter(person_id=person_id, end_date__isnull=True).exists():
        raise InvalidInput(_("The owner must be a member of this household."), field="person")
    if kind == AssetKind.COMPANY_ROLE:
        company_uscc = validate_uscc(company_uscc, field="company_uscc")
        _choice(company_role, CompanyRole, "company_role")
    asset = Asset.objects.create(
        household=household,
        person_id=person_id,
        kind=kind,
        value_fen=value_fen,
        description=description.strip(),
        floor_area_m2=floor_area_m2,
        acquired_on=acquired_on,
        is_exempt_vehicle=is_exempt_vehicle,
        company_uscc=company_uscc,
        company_role=company_role,
    )
    audit_record(
        actor=actor,
        action=A.CREATE,
        object_type="asset",
        object_id=asset.pk,
        household_id=household.pk,
        region_code=household.region_id,
        after={"kind": kind, "value_fen": value_fen, "description": asset.description, "person": person_id},
    )
    return asset


@transaction.atomic
def asset_remove(*, actor, household_id: int, asset_id: int) -> None:
    _require_change(actor)
    household = household_get_for_user(user=actor, household_id=household_id, for_update=True)
    _check_scope(actor, household.region_id)
    asset = household.assets.filter(pk=asset_id).first()
    if asset is None:
        raise InvalidInput(_("No such asset in this household."), field="asset")
    before = {"kind": asset.kind, "value_fen": asset.value_fen, "description": asset.description}
    asset.delete()
    audit_record(
        actor=actor,
        action=A.DELETE,
        object_type="asset",
        object_id=asset_id,
        household_id=household.pk,
        region_code=household.region_id,
        before=before,
    )


@transaction.atomic
def expense_add(
    *, actor, household_id: int, kind: str, year: int, annual_fen: int, person_id: int | None = None
) -> Expense:
    _require_change(actor)
    household = household_get_for_user(user=actor, household_id=household_id, for_update=True)
    _check_scope(actor, household.region_id)
    _choice(kind, ExpenseKind, "kind")
    if annual_fen < 0:
        raise InvalidInput(_("An expense cannot be negative."), field="annual_fen")
    if person_id and not household.memberships.filter(person_id=person_id, end_date__isnull=True).exists():
        raise InvalidInput(_("The person must be a member of this household."), field="person")
    if not 2000 <= year <= dt.date.today().year + 1:
        raise InvalidInput(_("Not a plausible year."), field="year")
    expense = Expense.objects.create(
        household=household, person_id=person_id, kind=kind, year=year, annual_fen=annual_fen
    )
    audit_record(
        actor=actor,
        action=A.CREATE,
        object_type="expense",
        object_id=expense.pk,
        household_id=household.pk,
        region_code=household.region_id,
        after={"kind": kind, "year": year, "annual_fen": annual_fen},
    )
    return expense


@transaction.atomic
def member_move(
    *,
    actor,
    person_id: int,
    relation: str,
    to_household_id: int | None = None,
    new_household: dict | None = None,
    on_date: dt.date | None = None,
) -> Household:
    """Move a person to another household (merge) or into a new one (split).

    Ends the current membership and starts a new one dated `on_date`. A household left without
    members becomes inactive; one left without a head keeps its members until a head is named.
    """
    _require_change(actor)
    person, source = person_get_for_user(user=actor, person_id=person_id, for_update=True)
    _check_scope(actor, source.region_id)
    _choice(relation, Relation, "relation")
    on_date = on_date or dt.date.today()
    if to_household_id is not None:
        target = household_get_for_user(user=actor, household_id=to_household_id, for_update=True)
        if target.pk == source.pk:
            raise InvalidInput(_("The person is already in this household."), field="to_household")
        if (
            relation == Relation.HEAD
            and target.memberships.filter(end_date__isnull=True, relation=Relation.HEAD).exists()
        ):
            raise InvalidInput(_("That household already has a head."), field="relation")
    else:
        data = new_household or {}
        region = _community(data.get("region_code") or source.region_id)
        _check_scope(actor, region.code)
        if relation != Relation.HEAD:
            raise InvalidInput(_("The first member of a new household is its head."), field="relation")
        target = Household.objects.create(
            number=_next_household_number(region),
            region=region,
            address=(data.get("address") or source.address).strip(),
            area_type=_choice(data.get("area_type") or source.area_type, AreaType, "area_type"),
            hukou_type=_choice(data.get("hukou_type") or source.hukou_type, HukouType, "hukou_type"),
        )
        audit_record(
            actor=actor,
            action=A.CREATE,
            object_type="household",
            object_id=target.pk,
            household_id=target.pk,
            region_code=region.code,
            after=household_snapshot(target) | {"split_from": source.number},
        )
    current = person.memberships.get(end_date__isnull=True)
    current.end_date = on_date
    current.save(update_fields=["end_date"])
    Membership.objects.create(household=target, person=person, relation=relation, start_date=on_date)
    for hh, direction in ((source, "out"), (target, "in")):
        audit_record(
            actor=actor,
            action=A.MOVE,
            object_type="person",
            object_id=person.pk,
            household_id=hh.pk,
            region_code=hh.region_id,
            before={"household": source.number, "relation": current.relation},
            after={
                "household": target.number,
                "relation": relation,
                "direction": direction,
                "date": on_date.isoformat(),
            },
        )
    if not source.memberships.filter(end_date__isnull=True).exists():
        before = household_snapshot(source)
        source.is_active = False
        source.save(update_fields=["is_active", "updated_at"])
        audit_record(
            actor=actor,
            action=A.UPDATE,
            object_type="household",
            object_id=source.pk,
            household_id=source.pk,
            region_code=source.region_id,
            before=before,
            after=household_snapshot(source),
            reason="merged into " + target.number,
        )
    return target


UNMASKABLE = ("id_number", "phone")


@transaction.atomic
def person_unmask(*, actor, person_id: int, field_name: str, reason: str) -> str:
    """Return the clear ID number or phone; a permission, a reason, and an audit entry every time."""
    person, household = person_get_for_user(user=actor, person_id=person_id)  # out of scope: NotFound first
    if not actor.has_perm("registry.unmask_personal_data"):
        raise PermissionDenied()
    if field_name not in UNMASKABLE:
        raise InvalidInput(field="field")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise InvalidInput(_("Give the reason for viewing this personal data."), field="reason")
    token = person.id_number_enc if field_name == "id_number" else person.phone_enc
    value = pd.decrypt(token) if token else ""
    audit_record(
        actor=actor,
        action=A.UNMASK,
        object_type="person",
        object_id=person.pk,
        household_id=household.pk,
        region_code=household.region_id,
        after={"field": field_name},
        reason=reason[:500],
    )
    return value
