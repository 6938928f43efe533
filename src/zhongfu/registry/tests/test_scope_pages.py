"""The scope matrix for pages: every role, every path, an out-of-scope record is 'not found' and
never appears in a list, a search or an export."""

import pytest
from django.urls import reverse

from conftest import OUT_COMMUNITY, member, new_id_number
from zhongfu.accounts.roles import Role
from zhongfu.registry.models import Person

pytestmark = pytest.mark.django_db

OUT_NAME = "欧阳外"


@pytest.fixture
def out_of_scope(make_household):
    number = new_id_number(county="330109")
    h = make_household(
        community=OUT_COMMUNITY,
        members=[member(name=OUT_NAME, id_number=number, phone="13700001234")],
        address="萧山路99号",
    )
    return h, Person.objects.get(memberships__household=h), number


def _object_paths(h, p):
    return [
        ("get", reverse("registry:household_detail", args=[h.pk]), {}),
        ("get", reverse("registry:household_edit", args=[h.pk]), {}),
        ("post", reverse("registry:household_edit", args=[h.pk]), {"address": "x"}),
        ("get", reverse("registry:member_add", args=[h.pk]), {}),
        ("get", reverse("registry:person_edit", args=[p.pk]), {}),
        ("get", reverse("registry:person_move", args=[p.pk]), {}),
        ("post", reverse("registry:person_unmask", args=[p.pk]), {"field": "id_number", "reason": "测试"}),
        (
            "post",
            reverse("registry:household_add_record", args=[h.pk, "expense"]),
            {"kind": "medical", "year": 2025, "annual": "1"},
        ),
        ("post", reverse("registry:asset_remove", args=[h.pk, 1]), {}),
        ("get", reverse("regions:browse_code", args=[OUT_COMMUNITY[:9]]), {}),
    ]


SCOPED_ROLES = [r for r in Role.values if r != Role.CITY_ADMIN]
NO_REGISTRY = (Role.CHARITY_STAFF, Role.VOLUNTEER)


@pytest.mark.parametrize("role", SCOPED_ROLES)
def test_out_of_scope_record_is_not_found_on_every_page(client, users, out_of_scope, role):
    h, p, number = out_of_scope
    client.force_login(users[role])
    for method, url, data in _object_paths(h, p):
        response = getattr(client, method)(url, data)
        # Charity staff and volunteers have no registry pages at all: region navigation is refused outright.
        expected = 403 if role in NO_REGISTRY and url.startswith("/regions/") else 404
        assert response.status_code == expected, (role, url, response.status_code)


@pytest.mark.parametrize("role", SCOPED_ROLES)
def test_out_of_scope_record_is_absent_from_lists_search_and_export(client, users, out_of_scope, role):
    h, p, number = out_of_scope
    client.force_login(users[role])
    for query in ({}, {"q": OUT_NAME[:2]}, {"q": number}, {"q": "13700001234"}, {"q": h.number}, {"region": "330109"}):
        for name in ("registry:household_list", "registry:household_export"):
            response = client.get(reverse(name), query)
            if role in NO_REGISTRY:  # no registry pages at all
                assert response.status_code == 403
                continue
            assert response.status_code == 200
            body = b"".join(response.streaming_content) if response.streaming else response.content
            body = body.decode()
            # The page echoes the query (search box, export link), so look for the record itself.
            assert reverse("registry:household_detail", args=[h.pk]) not in body, (role, name, query)
            assert p.id_number_masked not in body
            if name.endswith("export"):
                assert h.number not in body


def test_city_admin_sees_everything_masked(client, users, out_of_scope):
    h, p, number = out_of_scope
    client.force_login(users[Role.CITY_ADMIN])
    response = client.get(reverse("registry:household_detail", args=[h.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert p.id_number_masked in body and number not in body
    assert "137****1234" in body and "13700001234" not in body
    assert OUT_NAME not in body  # names are masked too: 欧**
    response = client.get(reverse("registry:household_list"), {"q": number})
    assert reverse("registry:household_detail", args=[h.pk]) in response.content.decode()


def test_in_scope_street_worker_finds_by_id_and_sees_masked(client, users, make_household):
    number = new_id_number()
    h = make_household(members=[member(id_number=number)])
    client.force_login(users[Role.STREET_CASEWORKER])
    body = client.get(reverse("registry:household_list"), {"q": number}).content.decode()
    assert reverse("registry:household_detail", args=[h.pk]) in body
    assert f">{number}<" not in body and number[:6] + "********" + number[-4:] in body


def test_unit_staff_can_view_in_scope_but_not_change(client, users, make_household):
    h = make_household()
    client.force_login(users[Role.UNIT_STAFF])
    assert client.get(reverse("registry:household_detail", args=[h.pk])).status_code == 200
    assert client.get(reverse("registry:household_edit", args=[h.pk])).status_code == 403


def test_unmask_page_returns_clear_value_and_logs(client, users, make_household):
    from zhongfu.audit.models import AuditEntry

    number = new_id_number()
    h = make_household(members=[member(id_number=number)])
    p = Person.objects.get(memberships__household=h)
    client.force_login(users[Role.COMMUNITY_WORKER])
    url = reverse("registry:person_unmask", args=[p.pk])
    assert client.post(url, {"field": "id_number", "reason": ""}).status_code == 400
    response = client.post(url, {"field": "id_number", "reason": "电话核实"})
    assert response.status_code == 200 and number in response.content.decode()
    assert AuditEntry.objects.filter(action="unmask", object_id=str(p.pk), reason="电话核实").exists()
