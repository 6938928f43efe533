import datetime as dt

import pytest

from conftest import OUT_COMMUNITY, member, new_id_number
from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.audit.services import audit_verify
from zhongfu.common.errors import InvalidInput, NotFound, PermissionDenied
from zhongfu.registry import services
from zhongfu.registry.models import Household, Membership, Person
from zhongfu.registry.selectors import household_income_summary

pytestmark = pytest.mark.django_db


def test_register_household_derives_birth_and_sex_and_masks(make_household):
    number = new_id_number(birth=dt.date(1975, 3, 9), sex="F")
    h = make_household(members=[member(name="李四", id_number=number, phone="13812345678", incomes={"wage": 250000})])
    p = Person.objects.get(memberships__household=h)
    # new_id_number moves the birth date on by a day every 400 numbers (to stay unique): read it back.
    born = dt.datetime.strptime(number[6:14], "%Y%m%d").date()
    assert born.year == 1975 and (p.birth_date, p.sex) == (born, "F")
    assert p.id_number_masked == number[:6] + "********" + number[-4:]
    assert p.phone_masked == "138****5678"
    assert number not in p.id_number_enc and "13812345678" not in p.phone_enc
    assert household_income_summary(household=h) == {"size": 1, "monthly_fen": 250000, "per_capita_fen": 250000}


def test_register_writes_audit_without_clear_identifiers(make_household):
    number = new_id_number()
    h = make_household(members=[member(id_number=number)])
    entries = AuditEntry.objects.filter(household_id=h.pk)
    assert {e.object_type for e in entries} == {"household", "person"}
    assert all(number not in str(e.after) for e in entries)
    assert audit_verify().ok


@pytest.mark.parametrize(
    "change, field",
    [
        ({"id_number": "330106198005170011"}, "members[0].id_number"),  # wrong check digit
        ({"id_number": "990106198005170010"}, "members[0].id_number"),  # unknown region prefix
        ({"name": ""}, "members[0].name"),
        ({"relation": "cousin"}, "members[0].relation"),
        ({"disability_category": "physical", "disability_grade": None}, "members[0].disability_grade"),
        ({"phone": "12345"}, "members[0].phone"),
    ],
)
def test_bad_member_input_names_the_field_and_writes_nothing(make_household, change, field):
    before = (Household.objects.count(), Person.objects.count(), AuditEntry.objects.count())
    with pytest.raises(InvalidInput) as e:
        make_household(members=[member(**change)] if "id_number" in change else [member(**change)])
    assert e.value.field == field
    assert (Household.objects.count(), Person.objects.count(), AuditEntry.objects.count()) == before


def test_unknown_prefix_message_names_the_code(make_household):
    from zhongfu.common.identifiers import make_id_number

    with pytest.raises(InvalidInput) as e:
        make_household(members=[member(id_number=make_id_number("990101", dt.date(1990, 1, 1), 3, "M"))])
    assert "990101" in str(e.value)


def test_same_person_cannot_be_in_two_households(make_household):
    number = new_id_number()
    make_household(members=[member(id_number=number)])
    with pytest.raises(services.PersonAlreadyRegistered):
        make_household(members=[member(id_number=number.lower())])


def test_exactly_one_head(make_household):
    with pytest.raises(InvalidInput):
        make_household(members=[member(relation="spouse")])
    with pytest.raises(InvalidInput):
        make_household(members=[member(), member()])


def test_community_worker_cannot_register_outside_scope(make_household, users):
    with pytest.raises(PermissionDenied):
        make_household(community=OUT_COMMUNITY, actor=users[Role.COMMUNITY_WORKER])


def test_move_merge_and_split_keep_history(make_household, users):
    actor = users[Role.STREET_CASEWORKER]
    a = make_household(members=[member(), member(relation="child", name="张小")])
    b = make_household(members=[member(name="王五")])
    child = Person.objects.get(name="张小")
    services.member_move(
        actor=actor, person_id=child.pk, relation="other", to_household_id=b.pk, on_date=dt.date(2026, 1, 5)
    )
    assert Membership.objects.get(person=child, end_date__isnull=True).household == b
    assert Membership.objects.get(person=child, end_date=dt.date(2026, 1, 5)).household == a
    # Split: the child leaves b to head a new household of its own.
    c = services.member_move(actor=actor, person_id=child.pk, relation="head", new_household={"address": "文二路9号"})
    assert c.pk not in (a.pk, b.pk) and c.region_id == b.region_id and c.address == "文二路9号"
    assert Membership.objects.filter(person=child).count() == 3
    # Merge: the last member of b moves out, b becomes inactive.
    head_b = Person.objects.get(name="王五")
    services.member_move(actor=actor, person_id=head_b.pk, relation="other", to_household_id=a.pk)
    b.refresh_from_db()
    assert not b.is_active
    assert AuditEntry.objects.filter(action="move").count() == 6


def test_update_person_and_household_audits_before_and_after(make_household, users):
    h = make_household()
    p = Person.objects.get(memberships__household=h)
    services.person_update(
        actor=users[Role.COMMUNITY_WORKER], person_id=p.pk, serious_illness=True, phone="13900001111"
    )
    services.household_update(actor=users[Role.COMMUNITY_WORKER], household_id=h.pk, address="文三路2号")
    e = AuditEntry.objects.filter(object_type="person", action="update").get()
    assert e.before["serious_illness"] is False and e.after["serious_illness"] is True
    assert e.after["phone"] == "139****1111"
    e = AuditEntry.objects.filter(object_type="household", action="update").get()
    assert (e.before["address"], e.after["address"]) == ("文三路1号", "文三路2号")


def test_unmask_requires_permission_and_reason_and_is_logged(make_household, users):
    number = new_id_number()
    h = make_household(members=[member(id_number=number)])
    p = Person.objects.get(memberships__household=h)
    with pytest.raises(PermissionDenied):
        services.person_unmask(actor=users[Role.UNIT_STAFF], person_id=p.pk, field_name="id_number", reason="核对")
    with pytest.raises(InvalidInput):
        services.person_unmask(actor=users[Role.STREET_CASEWORKER], person_id=p.pk, field_name="id_number", reason="")
    assert not AuditEntry.objects.filter(action="unmask").exists()
    value = services.person_unmask(
        actor=users[Role.STREET_CASEWORKER], person_id=p.pk, field_name="id_number", reason="入户核对"
    )
    assert value == number
    e = AuditEntry.objects.get(action="unmask")
    assert e.reason == "入户核对" and e.actor == users[Role.STREET_CASEWORKER] and number not in str(e.after)


def test_unmask_out_of_scope_is_not_found(make_household, users):
    h = make_household(community=OUT_COMMUNITY)
    p = Person.objects.get(memberships__household=h)
    with pytest.raises(NotFound):
        services.person_unmask(actor=users[Role.STREET_CASEWORKER], person_id=p.pk, field_name="id_number", reason="x1")


def test_assets_incomes_expenses(make_household, users):
    from zhongfu.common.identifiers import uscc_check_char

    actor = users[Role.STREET_CASEWORKER]
    h = make_household()
    p = Person.objects.get(memberships__household=h)
    services.income_set(actor=actor, person_id=p.pk, kind="pension", monthly_fen=180000)
    services.income_set(actor=actor, person_id=p.pk, kind="pension", monthly_fen=200000)
    assert household_income_summary(household=h)["monthly_fen"] == 200000
    first17 = "91330106MA2B00001"
    services.asset_add(
        actor=actor,
        household_id=h.pk,
        kind="company_role",
        person_id=p.pk,
        company_uscc=first17 + uscc_check_char(first17),
        company_role="manager",
    )
    with pytest.raises(InvalidInput) as e:
        services.asset_add(
            actor=actor, household_id=h.pk, kind="company_role", company_uscc="123", company_role="manager"
        )
    assert e.value.field == "company_uscc"
    services.expense_add(actor=actor, household_id=h.pk, kind="medical", year=2025, annual_fen=3_800_000)
    assert h.assets.count() == 1 and h.expenses.count() == 1


def test_view_only_roles_cannot_write_through_services(make_household, users):
    h = make_household()
    for role in (Role.UNIT_STAFF, Role.AUDITOR):
        with pytest.raises(PermissionDenied):
            services.household_update(actor=users[role], household_id=h.pk, address="别处")
        with pytest.raises(PermissionDenied):
            services.expense_add(actor=users[role], household_id=h.pk, kind="medical", year=2025, annual_fen=1)


def test_next_number_ignores_numbers_of_another_shape(make_household):
    from conftest import IN_COMMUNITY

    make_household(number=IN_COMMUNITY + "1")  # an imported number, shorter than generated ones
    first = make_household()
    second = make_household()
    assert first.number == IN_COMMUNITY + "00001" and second.number == IN_COMMUNITY + "00002"


def test_records_must_belong_to_the_household(make_household, users):
    actor = users[Role.STREET_CASEWORKER]
    a, b = make_household(), make_household()
    outsider = Person.objects.get(memberships__household=b)
    with pytest.raises(InvalidInput) as e:
        services.expense_add(
            actor=actor, household_id=a.pk, kind="medical", year=2025, annual_fen=1, person_id=outsider.pk
        )
    assert e.value.field == "person"
    with pytest.raises(InvalidInput):
        services.income_set(actor=actor, person_id=outsider.pk, kind="wage", monthly_fen=1, household_id=a.pk)
