"""The registry API: token authentication, flows, validation naming the field, masking, and the scope
matrix — every role gets 'not found' for an out-of-scope record on every API path, and lists and
search never contain it."""

import json

import pytest
from django.test import Client
from django.utils import timezone, translation

from conftest import IN_COMMUNITY, OUT_COMMUNITY, member, new_id_number
from zhongfu.accounts.roles import CHANGE_HOUSEHOLD, ROLE_PERMISSIONS, VIEW_HOUSEHOLD, Role
from zhongfu.accounts.services import api_token_create
from zhongfu.audit.models import AuditEntry
from zhongfu.registry.models import Household, Membership, Person

pytestmark = pytest.mark.django_db

OUT_NAME = "欧阳外"
OUT_PHONE = "13700001234"


def _client(user) -> Client:
    token = api_token_create(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def _call(client, method, url, data=None, **headers):
    if method == "get":
        return client.get(url, data or {}, headers=headers)
    return getattr(client, method)(url, json.dumps(data or {}), content_type="application/json", headers=headers)


def _text(response) -> str:
    """The response as text with non-ASCII characters as they are (the JSON escapes them)."""
    return json.dumps(response.json(), ensure_ascii=False)


def _counts():
    return Household.objects.count(), Person.objects.count(), Membership.objects.count(), AuditEntry.objects.count()


def _member_json(relation="head", name="王五", **kw):
    return {"name": name, "id_number": kw.pop("id_number", new_id_number()), "relation": relation, **kw}


def _household_json(**kw):
    return {
        "region": kw.pop("region", IN_COMMUNITY),
        "address": kw.pop("address", "文一路8号"),
        "area_type": "urban",
        "hukou_type": "registered",
        "members": kw.pop("members", [_member_json()]),
        **kw,
    }


@pytest.fixture
def admin_api(users):
    return _client(users[Role.CITY_ADMIN])


# --- authentication -----------------------------------------------------------------------------


def test_missing_invalid_and_revoked_tokens_are_401(users):
    user = users[Role.STREET_CASEWORKER]
    url = "/api/households"
    response = Client().get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert set(response.json()) == {"detail", "field"} and response.json()["detail"]
    assert Client(HTTP_AUTHORIZATION="Bearer zf_not-a-token").get(url).status_code == 401
    assert Client(HTTP_AUTHORIZATION="Basic dXNlcjpwdw==").get(url).status_code == 401
    assert Client(HTTP_AUTHORIZATION="Bearer ").get(url).status_code == 401

    token = api_token_create(user=user, name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert client.get(url).status_code == 200
    assert user.api_tokens.get().last_used_at is not None
    user.api_tokens.update(revoked_at=timezone.now())
    assert client.get(url).status_code == 401
    # Writes too, and nothing is written.
    before = _counts()
    assert _call(client, "post", url, _household_json()).status_code == 401
    assert _counts() == before


def test_token_of_inactive_user_is_401(users):
    user = users[Role.STREET_CASEWORKER]
    client = _client(user)
    user.is_active = False
    user.save()
    assert client.get("/api/households").status_code == 401


def test_browser_session_works_and_writes_need_csrf(users, make_household):
    h = make_household()
    client = Client(enforce_csrf_checks=True)
    client.force_login(users[Role.STREET_CASEWORKER])
    assert client.get(f"/api/households/{h.pk}").status_code == 200
    response = _call(client, "patch", f"/api/households/{h.pk}", {"address": "新地址1号"})
    assert response.status_code == 403
    h.refresh_from_db()
    assert h.address != "新地址1号"


def test_openapi_and_offline_docs():
    schema = Client().get("/api/openapi.json").json()
    assert {"/api/households", "/api/households/{household_id}", "/api/people/{person_id}/unmask"} <= set(
        schema["paths"]
    )
    assert schema["components"]["securitySchemes"]["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    docs = Client().get("/api/docs")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "cdn" not in page.lower() and "https://" not in page and "http://" not in page
    assert '"/api/openapi.json"' in page
    for asset in ("swagger-ui-bundle.js", "swagger-ui-init.js", "swagger-ui.css"):
        assert f"/api/docs/assets/{asset}" in page
        response = Client().get(f"/api/docs/assets/{asset}")
        assert response.status_code == 200, asset
        b"".join(response.streaming_content)
    assert Client().get("/api/docs/assets/..%2F..%2F__init__.py").status_code == 404


# --- flows --------------------------------------------------------------------------------------


def test_create_list_detail_update_flow(admin_api, users):
    head_id, spouse_id = new_id_number(), new_id_number(sex="F")
    payload = _household_json(
        members=[
            _member_json(id_number=head_id, phone="13911112222", incomes={"wage": 250000, "pension": 0}),
            _member_json(
                relation="spouse", name="李梅", id_number=spouse_id, disability_category="physical", disability_grade=2
            ),
        ]
    )
    response = _call(admin_api, "post", "/api/households", payload)
    assert response.status_code == 201, response.content
    created = response.json()
    hid = created["id"]
    assert created["number"].startswith(IN_COMMUNITY) and created["region"] == IN_COMMUNITY
    assert created["size"] == 2 and created["head"]["name_masked"] == "王*"
    assert created["income"] == {"size": 2, "monthly_fen": 250000, "per_capita_fen": 125000}
    head = next(m for m in created["members"] if m["relation"] == "head")
    assert head["id_number_masked"] == head_id[:6] + "********" + head_id[-4:]
    assert head["phone_masked"] == "139****2222"
    assert head["incomes"] == [{"kind": "wage", "monthly_fen": 250000}] and head["monthly_income_fen"] == 250000
    assert AuditEntry.objects.filter(household_id=hid, action="create").count() == 3

    listed = admin_api.get("/api/households", {"q": head_id}).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == hid and listed["items"][0]["size"] == 2
    assert admin_api.get("/api/households", {"q": "13911112222"}).json()["items"][0]["id"] == hid
    assert admin_api.get("/api/households", {"q": "王"}).json()["count"] == 1
    assert admin_api.get("/api/households", {"category": "disability"}).json()["count"] == 1
    assert admin_api.get("/api/households", {"category": "dibao"}).json()["count"] == 0
    assert admin_api.get("/api/households", {"region": "330109"}).json()["count"] == 0
    assert admin_api.get("/api/households", {"page": 2}).json()["items"] == []

    detail = admin_api.get(f"/api/households/{hid}").json()
    assert detail == {**created, "updated_at": detail["updated_at"]}

    response = _call(admin_api, "patch", f"/api/households/{hid}", {"address": " 文二路2号 ", "area_type": None})
    assert response.status_code == 200 and response.json()["address"] == "文二路2号"
    assert response.json()["area_type"] == "urban"  # null leaves a field as it is
    assert AuditEntry.objects.filter(household_id=hid, action="update", object_type="household").count() == 1

    response = _call(
        admin_api, "post", f"/api/households/{hid}/members", _member_json("child", "王小", school_enrolment="primary")
    )
    assert response.status_code == 201, response.content
    child = response.json()
    assert child["household"] == {"id": hid, "number": created["number"], "region": IN_COMMUNITY}
    assert child["school_enrolment"] == "primary" and child["name_masked"] == "王*"
    assert len(admin_api.get(f"/api/households/{hid}/members").json()) == 3

    response = _call(
        admin_api, "patch", f"/api/people/{child['id']}", {"phone": "13800001111", "serious_illness": True}
    )
    assert response.status_code == 200
    assert response.json()["phone_masked"] == "138****1111" and response.json()["serious_illness"] is True
    assert admin_api.get(f"/api/people/{child['id']}").json() == response.json()

    response = _call(admin_api, "post", f"/api/people/{child['id']}/move", {"relation": "head"})
    assert response.status_code == 200, response.content
    new_household = response.json()
    assert new_household["id"] != hid and new_household["size"] == 1 and new_household["address"] == "文二路2号"
    assert len(admin_api.get(f"/api/households/{hid}/members").json()) == 2
    past = admin_api.get(f"/api/households/{hid}/members", {"include_past": True}).json()
    assert [m["end_date"] is not None for m in past].count(True) == 1

    response = _call(admin_api, "post", f"/api/people/{child['id']}/move", {"relation": "child", "to_household": hid})
    assert response.status_code == 200 and response.json()["id"] == hid and response.json()["size"] == 3
    assert admin_api.get(f"/api/households/{new_household['id']}").json()["is_active"] is False


def test_unmask_needs_reason_permission_and_logs(users, make_household):
    number = new_id_number()
    h = make_household(members=[member(id_number=number, phone="13600002222")])
    p = Person.objects.get(memberships__household=h)
    worker = _client(users[Role.COMMUNITY_WORKER])
    url = f"/api/people/{p.pk}/unmask"
    response = _call(worker, "post", url, {"field": "id_number", "reason": " "})
    assert response.status_code == 422 and response.json()["field"] == "reason"
    assert not AuditEntry.objects.filter(action="unmask").exists()
    response = _call(worker, "post", url, {"field": "id_number", "reason": "电话核实"})
    assert response.status_code == 200 and response.json() == {"field": "id_number", "value": number}
    response = _call(worker, "post", url, {"field": "phone", "reason": "回访"})
    assert response.json()["value"] == "13600002222"
    assert AuditEntry.objects.filter(action="unmask", object_id=str(p.pk)).count() == 2
    response = _call(worker, "post", url, {"field": "name", "reason": "回访"})
    assert response.status_code == 422 and response.json()["field"] == "field"

    unit = _client(users[Role.UNIT_STAFF])
    assert _call(unit, "post", url, {"field": "id_number", "reason": "想看看"}).status_code == 403
    assert AuditEntry.objects.filter(action="unmask", object_id=str(p.pk)).count() == 2


def test_view_only_roles_are_403_on_in_scope_writes(users, make_household):
    h = make_household()
    p = Person.objects.get(memberships__household=h)
    for role in (Role.UNIT_STAFF, Role.AUDITOR):
        client = _client(users[role])
        assert client.get(f"/api/households/{h.pk}").status_code == 200
        before = _counts()
        for method, url, data in [
            ("post", "/api/households", _household_json()),
            ("patch", f"/api/households/{h.pk}", {"address": "改了"}),
            ("post", f"/api/households/{h.pk}/members", _member_json("child")),
            ("patch", f"/api/people/{p.pk}", {"name": "改名"}),
            ("post", f"/api/people/{p.pk}/move", {"relation": "head"}),
        ]:
            response = _call(client, method, url, data)
            assert response.status_code == 403, (role, url, response.content)
            assert response.json()["detail"]
        assert _counts() == before


# --- validation: the field is named, nothing is written ------------------------------------------


@pytest.mark.parametrize(
    "change, field",
    [
        ({"members": [_member_json(id_number="330106198005170011")]}, "members[0].id_number"),  # check digit
        ({"members": [_member_json(id_number="3301061980051700²X")]}, "members[0].id_number"),  # was a 500
        ({"members": [_member_json(nickname="三儿")]}, "members[0].nickname"),  # unknown field
        ({"members": [_member_json(), _member_json("spouse", id_number="12345")]}, "members[1].id_number"),
        ({"members": [_member_json(), _member_json("cousin")]}, "members[1].relation"),
        ({"members": [_member_json(phone="12345")]}, "members[0].phone"),
        ({"members": [_member_json(name="")]}, "members[0].name"),
        ({"members": [_member_json(disability_category="physical")]}, "members[0].disability_grade"),
        ({"members": [_member_json(disability_grade=9)]}, "members[0].disability_grade"),
        ({"members": [_member_json(incomes={"wage": -1})]}, "members[0].incomes.wage"),
        ({"members": [_member_json(incomes={"lottery": 100})]}, "members[0].incomes.lottery"),
        ({"members": [_member_json(), _member_json()]}, "members"),  # two heads
        ({"members": []}, "members"),
        ({"region": "330106002"}, "region"),  # a street, not a community
        ({"region": "330106999999"}, "region"),  # unknown
        ({"region": "33010600200x"}, "region"),
        ({"address": "  "}, "address"),
        ({"address": "长" * 201}, "address"),
        ({"address": "a\x00b"}, "address"),
        ({"area_type": "suburban"}, "area_type"),
        ({"hukou_type": None}, "hukou_type"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(admin_api, change, field):
    before = _counts()
    response = _call(admin_api, "post", "/api/households", _household_json(**change))
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["field"] == field and body["detail"]
    assert _counts() == before


def test_same_id_number_twice_is_refused(admin_api, make_household):
    number = new_id_number()
    make_household(members=[member(id_number=number)])
    before = _counts()
    response = _call(admin_api, "post", "/api/households", _household_json(members=[_member_json(id_number=number)]))
    assert response.status_code == 422 and response.json()["field"] == "members[0].id_number"
    assert _counts() == before


def test_missing_field_and_malformed_json(admin_api):
    body = {k: v for k, v in _household_json().items() if k != "address"}
    response = _call(admin_api, "post", "/api/households", body)
    assert response.status_code == 422 and response.json()["field"] == "address"
    response = admin_api.post("/api/households", "{not json", content_type="application/json")
    assert response.status_code in (400, 422) and response.json()["detail"]
    for url in ("/api/households/abc", "/api/households/0", f"/api/people/{2**64}"):
        response = admin_api.get(url)
        assert response.status_code == 422 and response.json()["field"] in ("household_id", "person_id"), url
    response = admin_api.get("/api/households", {"limit": 1000})
    assert response.status_code == 422 and response.json()["field"] == "limit"
    # PostgreSQL cannot store or compare NUL: refused before any query.
    response = admin_api.get("/api/households", {"q": "张\x00"})
    assert response.status_code == 422 and response.json()["field"] == "q"
    response = _call(admin_api, "patch", "/api/people/1", ["not", "an", "object"])
    assert response.status_code == 422


def test_person_patch_refuses_fields_it_cannot_change(admin_api, make_household):
    h = make_household()
    p = Person.objects.get(memberships__household=h)
    before = _counts()
    response = _call(admin_api, "patch", f"/api/people/{p.pk}", {"id_number": new_id_number()})
    assert response.status_code == 422 and response.json()["field"] == "id_number"
    assert _counts() == before


def test_asset_category_does_not_multiply_household_size(admin_api, client, users, make_household):
    """Searching by vehicle joined the assets: two cars made a household of two look like four."""
    from zhongfu.registry import services

    h = make_household(members=[member(), member("spouse", id_number=new_id_number(sex="F"))])
    for _ in range(2):
        services.asset_add(actor=users[Role.CITY_ADMIN], household_id=h.pk, kind="vehicle", value_fen=1)
    items = admin_api.get("/api/households", {"category": "vehicle"}).json()["items"]
    assert [(i["id"], i["size"]) for i in items] == [(h.pk, 2)]
    client.force_login(users[Role.CITY_ADMIN])
    response = client.get(_export_url(), {"category": "vehicle"})
    rows = b"".join(response.streaming_content).decode().splitlines()
    assert len(rows) == 2 and rows[1].split(",")[5] == "2", rows


def _export_url():
    from django.urls import reverse

    return reverse("registry:household_export")


def test_messages_follow_the_request_language(admin_api):
    body = {k: v for k, v in _household_json().items() if k != "address"}
    zh = _call(admin_api, "post", "/api/households", body).json()  # zh-Hans is the default
    en = _call(admin_api, "post", "/api/households", body, accept_language="en").json()
    with translation.override("zh-hans"):
        required = translation.gettext("This field is required.")
    assert required != "This field is required."  # Django's catalog (or ours) has it in Chinese
    assert zh["detail"] == required
    assert en["detail"] == "This field is required."
    assert admin_api.get("/api/households/999999", headers={"accept-language": "en"}).json() == {
        "detail": "Record not found.",
        "field": None,
    }


def test_http404_is_json(rf):
    from django.http import Http404

    from zhongfu.api import api

    with translation.override("en"):  # whatever language an earlier test on this worker left active
        response = api.on_exception(rf.get("/api/x"), Http404("secret detail"))
    assert response.status_code == 404
    assert json.loads(response.content) == {"detail": "Record not found.", "field": None}


# --- masking ------------------------------------------------------------------------------------


def test_no_clear_identifier_or_name_in_any_response(admin_api, make_household):
    number, phone = new_id_number(), "13512345678"
    h = make_household(members=[member(name="赵钱孙", id_number=number, phone=phone, incomes={"wage": 100})])
    p = Person.objects.get(memberships__household=h)
    bodies = [
        admin_api.get("/api/households", {"q": number}),
        admin_api.get("/api/households", {"q": phone}),
        admin_api.get(f"/api/households/{h.pk}"),
        admin_api.get(f"/api/households/{h.pk}/members", {"include_past": True}),
        admin_api.get(f"/api/people/{p.pk}"),
        _call(admin_api, "patch", f"/api/people/{p.pk}", {"labour_capacity": "partial"}),
        _call(admin_api, "patch", f"/api/households/{h.pk}", {"address": "新址"}),
    ]
    for response in bodies:
        assert response.status_code == 200
        text = _text(response)
        assert str(p.pk) in text or h.number in text
        assert number not in text and number[:10] not in text and phone not in text and "赵钱孙" not in text
        assert p.id_number_masked in text or "items" in text
    created = _call(admin_api, "post", "/api/households", _household_json(members=[_member_json(phone="13498765432")]))
    assert created.status_code == 201 and "13498765432" not in _text(created) and "王五" not in _text(created)


# --- the scope matrix ---------------------------------------------------------------------------

SCOPED_ROLES = [r for r in Role.values if r != Role.CITY_ADMIN]


@pytest.fixture
def out_of_scope(make_household):
    number = new_id_number(county="330109")
    h = make_household(
        community=OUT_COMMUNITY,
        members=[member(name=OUT_NAME, id_number=number, phone=OUT_PHONE)],
        address="萧山路99号",
    )
    return h, Person.objects.get(memberships__household=h), number


# Every API path that names a household or a person; the data is built per call (fresh ID numbers).
OBJECT_PATHS = [
    ("get", "/api/households/{household_id}", None),
    ("patch", "/api/households/{household_id}", lambda: {"address": "x"}),
    ("get", "/api/households/{household_id}/members", None),
    ("get", "/api/households/{household_id}/members?include_past=true", None),
    ("post", "/api/households/{household_id}/members", lambda: _member_json("child")),
    ("get", "/api/households/{household_id}/code", None),
    ("post", "/api/households/{household_id}/code", None),
    ("delete", "/api/households/{household_id}/code?reason=测试", None),
    ("get", "/api/households/{household_id}/screening", None),
    ("post", "/api/households/{household_id}/screenings", None),
    ("post", "/api/households/{household_id}/applications", None),
    ("get", "/api/people/{person_id}", None),
    ("patch", "/api/people/{person_id}", lambda: {"name": "改名"}),
    ("post", "/api/people/{person_id}/unmask", lambda: {"field": "id_number", "reason": "测试"}),
    ("post", "/api/people/{person_id}/unmask", lambda: {"field": "phone", "reason": "测试"}),
    ("post", "/api/people/{person_id}/move", lambda: {"relation": "head"}),
    ("post", "/api/people/{person_id}/move", lambda: {"relation": "head", "new_household": {"region": IN_COMMUNITY}}),
]


def _app_paths(name: str) -> list:
    """Other apps declare their endpoints in zhongfu/<app>/tests/api_paths.py: HOUSEHOLD_PATHS (naming a
    household or a person: checked here for scope like OBJECT_PATHS) and OTHER_PATHS {(METHOD, path)}
    (city-wide or scoped another way, covered by that app's own tests)."""
    import importlib
    import pkgutil

    import zhongfu

    found = []
    for module in pkgutil.iter_modules(zhongfu.__path__):
        try:
            paths = importlib.import_module(f"zhongfu.{module.name}.tests.api_paths")
        except ModuleNotFoundError:
            continue
        found += list(getattr(paths, name, []))
    return found


OBJECT_PATHS += _app_paths("HOUSEHOLD_PATHS")


def _object_paths(h, p):
    for method, template, data in OBJECT_PATHS:
        yield method, template.format(household_id=h.pk, person_id=p.pk), data() if data else None


def test_matrix_covers_every_api_path():
    """A new endpoint must be added to the matrix."""
    from zhongfu.api import api

    covered = {(method.upper(), template.split("?")[0]) for method, template, _ in OBJECT_PATHS}
    covered |= {("GET", "/api/households"), ("POST", "/api/households")}
    # Policies and parameters are city-wide, not household records: policies/tests/test_api.py covers them.
    covered |= {
        ("GET", "/api/policies"),
        ("POST", "/api/policies"),
        ("GET", "/api/policies/{code}"),
        ("POST", "/api/policy-versions/{version_id}/approve"),
        ("POST", "/api/policy-versions/{version_id}/reject"),
        ("GET", "/api/parameters"),
        ("GET", "/api/parameters/{key}"),
        ("POST", "/api/parameters/{key}/values"),
        ("POST", "/api/parameter-values/{value_id}/approve"),
        ("POST", "/api/parameter-values/{value_id}/reject"),
    }
    # Batch runs and simulations are city-wide; applications are scoped through their household.
    # screening/tests/test_pages_api.py covers them.
    covered |= {
        ("POST", "/api/screening-runs"),
        ("GET", "/api/screening-runs/{run_id}"),
        ("POST", "/api/simulations"),
        ("GET", "/api/applications/{application_id}"),
    }
    covered |= set(_app_paths("OTHER_PATHS"))
    schema = api.get_openapi_schema()
    declared = {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}
    assert declared == covered


@pytest.mark.parametrize("role", SCOPED_ROLES)
def test_out_of_scope_record_is_not_found_on_every_api_path(users, out_of_scope, make_household, role):
    h, p, number = out_of_scope
    client = _client(users[role])
    audit_before = AuditEntry.objects.count()
    for method, url, data in _object_paths(h, p):
        response = _call(client, method, url, data, accept_language="en")
        assert response.status_code == 404, (role, method, url, response.status_code, response.content)
        assert response.json() == {"detail": "Record not found.", "field": None}
    assert AuditEntry.objects.count() == audit_before

    # An in-scope person moved into the out-of-scope household: the target is 'not found' too (roles
    # that may not change anything are refused before the target is looked at; charities see nobody).
    mine = make_household(members=[member(name="本区人")])
    mine_p = Person.objects.get(memberships__household=mine)
    audit_before = AuditEntry.objects.count()
    response = _call(client, "post", f"/api/people/{mine_p.pk}/move", {"relation": "child", "to_household": h.pk})
    perms = ROLE_PERMISSIONS[role]
    expected = 403 if VIEW_HOUSEHOLD in perms and CHANGE_HOUSEHOLD not in perms else 404
    assert response.status_code == expected, (role, response.content)

    # Nothing was written, nothing unmasked, nothing moved.
    assert AuditEntry.objects.count() == audit_before
    h.refresh_from_db()
    assert h.address == "萧山路99号" and h.memberships.filter(end_date__isnull=True).count() == 1
    assert Person.objects.get(pk=p.pk).name == OUT_NAME


@pytest.mark.parametrize("role", SCOPED_ROLES)
def test_out_of_scope_record_is_absent_from_lists_and_search(users, out_of_scope, role):
    h, p, number = out_of_scope
    client = _client(users[role])
    queries = [
        {},
        {"q": OUT_NAME[:2]},
        {"q": number},
        {"q": number.lower()},
        {"q": OUT_PHONE},
        {"q": h.number},
        {"q": "萧山路"},
        {"region": "330109"},
        {"region": OUT_COMMUNITY},
        {"include_inactive": "true"},
        {"limit": 100},
    ]
    for query in queries:
        response = client.get("/api/households", query)
        assert response.status_code == 200, (role, query)
        body = response.json()
        assert h.pk not in [item["id"] for item in body["items"]], (role, query)
        assert body["count"] == len(body["items"])  # nothing else exists in these tests
        text = _text(response)
        assert h.number not in text and p.id_number_masked not in text and "欧*" not in text, (role, query)


@pytest.mark.parametrize("role", SCOPED_ROLES)
def test_scoped_roles_cannot_register_outside_their_scope(users, role):
    before = _counts()
    response = _call(_client(users[role]), "post", "/api/households", _household_json(region=OUT_COMMUNITY))
    assert response.status_code == 403, (role, response.content)
    assert _counts() == before


def test_city_admin_sees_the_record_masked(admin_api, out_of_scope):
    h, p, number = out_of_scope
    body = admin_api.get("/api/households", {"q": number}).json()
    assert [item["id"] for item in body["items"]] == [h.pk]
    text = _text(admin_api.get(f"/api/people/{p.pk}"))
    assert p.id_number_masked in text and number not in text and OUT_PHONE not in text and OUT_NAME not in text
    assert "137****1234" in text and "欧**" in text
