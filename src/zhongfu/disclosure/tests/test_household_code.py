"""The household code (幸福码): signed tokens, issuing and revoking (audited), what a scan opens for
staff (their scope) and for everyone else (a bad, unknown or revoked code shows nothing)."""

import pytest
import segno
from django.urls import reverse

from conftest import OUT_COMMUNITY, member, new_id_number
from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.common.errors import InvalidInput, NotFound, PermissionDenied
from zhongfu.disclosure import selectors, services, tokens
from zhongfu.disclosure.models import HouseholdCode

pytestmark = pytest.mark.django_db

HEAD_NAME = "钱多多"
PHONE = "13912345678"


@pytest.fixture
def household(make_household):
    return make_household(members=[member(name=HEAD_NAME, phone=PHONE)], address="保密路7号")


@pytest.fixture
def admin(users):
    return users[Role.CITY_ADMIN]


def _scan_url(code: HouseholdCode) -> str:
    return reverse("disclosure:scan", args=[tokens.sign(code.token_id)])


# --- tokens -------------------------------------------------------------------------------------


def test_token_round_trip_and_tampering():
    token_id = tokens.new_token_id()
    assert len(token_id) == 22 and ":" not in token_id
    assert tokens.new_token_id() != token_id
    signed = tokens.sign(token_id)
    assert signed.startswith(token_id + ":")
    assert tokens.unsign(signed) == token_id
    body, signature = signed.rsplit(":", 1)
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    other_id = tokens.new_token_id()
    for bad in (body + ":" + flipped, other_id + ":" + signature, body, "", ":", signed + "x", signed[:-1]):
        assert tokens.unsign(bad) is None, bad
    # A signature made for another purpose (another salt) is not a household code.
    from django.core import signing

    assert tokens.unsign(signing.Signer(salt="something.else").sign(token_id)) is None


# --- issuing and revoking -----------------------------------------------------------------------


def test_issue_revokes_the_previous_code_and_audits(admin, household):
    first = services.household_code_issue(actor=admin, household=household)
    assert first.is_active and first.created_by == admin
    second = services.household_code_issue(actor=admin, household=household)
    first.refresh_from_db()
    assert not first.is_active and first.revoked_by == admin and first.revoke_reason
    assert HouseholdCode.objects.filter(household=household, revoked_at__isnull=True).get() == second
    assert selectors.household_code_active(household=household) == second

    issued = AuditEntry.objects.filter(action="issue", object_type="household_code", household_id=household.pk)
    assert list(issued.values_list("object_id", flat=True)) == [str(first.pk), str(second.pk)]
    revoked = AuditEntry.objects.get(action="revoke", object_type="household_code")
    assert revoked.object_id == str(first.pk) and revoked.actor == admin and revoked.region_code == household.region_id
    # The token never goes into the audit log.
    for entry in AuditEntry.objects.filter(object_type="household_code"):
        assert first.token_id not in str(entry.after) and second.token_id not in str(entry.after)

    with pytest.raises(InvalidInput) as error:
        services.household_code_revoke(actor=admin, household=household, reason=" ")
    assert error.value.field == "reason"
    services.household_code_revoke(actor=admin, household=household, reason="卡片遗失")
    second.refresh_from_db()
    assert second.revoke_reason == "卡片遗失" and second.revoked_at is not None
    assert AuditEntry.objects.filter(action="revoke", reason="卡片遗失", object_id=str(second.pk)).exists()
    assert selectors.household_code_active(household=household) is None
    with pytest.raises(InvalidInput):
        services.household_code_revoke(actor=admin, household=household, reason="再撤一次")


def test_issue_needs_scope_then_the_change_right(users, household, make_household):
    outside = make_household(community=OUT_COMMUNITY, members=[member(id_number=new_id_number(county="330109"))])
    before = AuditEntry.objects.count()
    for role in (Role.STREET_CASEWORKER, Role.COMMUNITY_WORKER, Role.UNIT_STAFF, Role.AUDITOR, Role.CHARITY_STAFF):
        with pytest.raises(NotFound):
            services.household_code_issue(actor=users[role], household=outside)
    for role in (Role.UNIT_STAFF, Role.AUDITOR):
        with pytest.raises(PermissionDenied):
            services.household_code_issue(actor=users[role], household=household)
    assert not HouseholdCode.objects.exists() and AuditEntry.objects.count() == before
    code = services.household_code_issue(actor=users[Role.COMMUNITY_WORKER], household=household)
    with pytest.raises(PermissionDenied):
        services.household_code_revoke(actor=users[Role.AUDITOR], household=household, reason="不该能撤")
    code.refresh_from_db()
    assert code.is_active


# --- scanning -----------------------------------------------------------------------------------


def _assert_invalid(response, household):
    assert response.status_code == 404
    assert [t.name for t in response.templates][0] == "disclosure/invalid_code.html"
    text = response.content.decode()
    assert 'data-testid="invalid-code"' in text
    secrets = (household.number, HEAD_NAME, HEAD_NAME[0] + "**", PHONE, "139****5678", "保密路", household.region.name)
    for secret in secrets:
        assert secret not in text, secret


def test_tampered_unknown_and_revoked_codes_show_nothing(client, admin, household):
    code = services.household_code_issue(actor=admin, household=household)
    signed = tokens.sign(code.token_id)
    body, signature = signed.rsplit(":", 1)
    tampered = [
        body + ":" + signature[:-1] + ("A" if signature[-1] != "A" else "B"),
        body[:-1] + ("A" if body[-1] != "A" else "B") + ":" + signature,
        body,
        "abc",
    ]
    unknown = tokens.sign(tokens.new_token_id())  # a valid signature on an id never issued
    for token in [*tampered, unknown]:
        _assert_invalid(client.get(reverse("disclosure:scan", args=[token])), household)
        for name in ("send_code", "verify_code"):
            _assert_invalid(client.post(reverse(f"disclosure:{name}", args=[token]), {"digits": "123456"}), household)
        _assert_invalid(client.get(reverse("disclosure:household_benefits", args=[token])), household)

    assert client.get(_scan_url(code)).status_code == 200
    services.household_code_revoke(actor=admin, household=household, reason="测试撤销")
    _assert_invalid(client.get(_scan_url(code)), household)
    _assert_invalid(client.post(reverse("disclosure:send_code", args=[signed])), household)
    # A replaced code is revoked too.
    newer = services.household_code_issue(actor=admin, household=household)
    services.household_code_issue(actor=admin, household=household)
    _assert_invalid(client.get(_scan_url(newer)), household)
    assert not household.codes.filter(challenges__isnull=False).exists()


def test_staff_in_scope_open_the_record_out_of_scope_see_invalid(client, users, household, make_household):
    admin = users[Role.CITY_ADMIN]
    outside = make_household(
        community=OUT_COMMUNITY, members=[member(name=HEAD_NAME, id_number=new_id_number(county="330109"))]
    )
    code = services.household_code_issue(actor=admin, household=household)
    outside_code = services.household_code_issue(actor=admin, household=outside)
    for role in (
        Role.CITY_ADMIN,
        Role.DISTRICT_CASEWORKER,
        Role.STREET_CASEWORKER,
        Role.COMMUNITY_WORKER,
        Role.UNIT_STAFF,
        Role.AUDITOR,
    ):
        client.force_login(users[role])
        response = client.get(_scan_url(code))
        assert response.status_code == 302, role
        assert response["Location"] == reverse("registry:household_detail", args=[household.pk])
        if role != Role.CITY_ADMIN:
            _assert_invalid(client.get(_scan_url(outside_code)), outside)
    # Charity staff see no household at all.
    client.force_login(users[Role.CHARITY_STAFF])
    _assert_invalid(client.get(_scan_url(code)), household)
    # Staff never get the household's verification flow.
    client.force_login(users[Role.STREET_CASEWORKER])
    assert client.post(reverse("disclosure:send_code", args=[tokens.sign(code.token_id)])).status_code == 302
    assert not code.challenges.exists()


# --- staff pages --------------------------------------------------------------------------------


def test_staff_pages_issue_print_and_revoke(client, users, household):
    worker = users[Role.COMMUNITY_WORKER]
    client.force_login(worker)
    manage = reverse("disclosure:code_manage", args=[household.pk])
    page = client.get(manage)
    assert page.status_code == 200 and 'data-testid="no-code"' in page.content.decode()
    assert client.get(reverse("disclosure:code_card", args=[household.pk])).status_code == 302

    response = client.post(reverse("disclosure:code_issue", args=[household.pk]))
    assert response.status_code == 302
    code = HouseholdCode.objects.get(household=household)
    url = "http://testserver" + _scan_url(code)
    page = client.get(manage).content.decode()
    assert url in page
    assert segno.make(url, error="m").svg_inline(scale=4, title="QR") in page  # the QR carries that URL

    card = client.get(reverse("disclosure:code_card", args=[household.pk]))
    text = card.content.decode()
    assert card.status_code == 200 and household.number in text and "钱**" in text and HEAD_NAME not in text
    assert household.region.full_name in text and "<svg" in text and "@media print" in text
    svg = client.get(reverse("disclosure:code_svg", args=[household.pk]))
    assert svg["Content-Type"] == "image/svg+xml" and svg.content.startswith(b"<?xml")

    response = client.post(reverse("disclosure:code_revoke", args=[household.pk]), {"reason": "x"})
    code.refresh_from_db()
    assert response.status_code == 302 and code.is_active  # a reason of one character is refused
    client.post(reverse("disclosure:code_revoke", args=[household.pk]), {"reason": "户主要求"})
    code.refresh_from_db()
    assert not code.is_active and code.revoked_by == worker


def test_staff_pages_scope_and_rights(client, users, household, make_household):
    admin = users[Role.CITY_ADMIN]
    outside = make_household(community=OUT_COMMUNITY, members=[member(id_number=new_id_number(county="330109"))])
    services.household_code_issue(actor=admin, household=household)
    services.household_code_issue(actor=admin, household=outside)
    count = HouseholdCode.objects.count()

    def urls(h):
        return [
            ("get", reverse("disclosure:code_manage", args=[h.pk])),
            ("get", reverse("disclosure:code_card", args=[h.pk])),
            ("get", reverse("disclosure:code_svg", args=[h.pk])),
            ("post", reverse("disclosure:code_issue", args=[h.pk])),
            ("post", reverse("disclosure:code_revoke", args=[h.pk])),
        ]

    for role in (r for r in Role.values if r != Role.CITY_ADMIN):
        client.force_login(users[role])
        for method, url in urls(outside):
            assert getattr(client, method)(url, {"reason": "越权"}).status_code == 404, (role, url)
    for role in (Role.UNIT_STAFF, Role.AUDITOR):
        client.force_login(users[role])
        assert client.get(reverse("disclosure:code_card", args=[household.pk])).status_code == 200
        for _method, url in urls(household)[3:]:
            assert client.post(url, {"reason": "无权"}).status_code == 403, (role, url)
    client.logout()
    for method, url in urls(household):
        assert getattr(client, method)(url).status_code == 302  # to the login page
    assert HouseholdCode.objects.count() == count
    assert HouseholdCode.objects.filter(revoked_at__isnull=True).count() == count


def test_household_detail_links_to_the_code(client, users, household):
    client.force_login(users[Role.AUDITOR])
    page = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert reverse("disclosure:code_manage", args=[household.pk]) in page


# --- API ----------------------------------------------------------------------------------------


def test_api_issue_read_revoke(users, household):
    import json

    from django.test import Client

    from zhongfu.accounts.services import api_token_create

    def client_for(role):
        return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=users[role], name='t')}")

    worker = client_for(Role.COMMUNITY_WORKER)
    url = f"/api/households/{household.pk}/code"
    assert worker.get(url).status_code == 404  # no code yet
    response = worker.post(url)
    assert response.status_code == 201, response.content
    body = response.json()
    code = HouseholdCode.objects.get(household=household)
    assert body["id"] == code.pk and body["household"] == household.pk and body["revoked_at"] is None
    assert body["url"] == "http://testserver" + _scan_url(code)
    assert worker.get(url).json() == body
    assert AuditEntry.objects.filter(action="issue", object_id=str(code.pk)).count() == 1

    for role in (Role.UNIT_STAFF, Role.AUDITOR):
        viewer = client_for(role)
        assert viewer.get(url).status_code == 200
        assert viewer.post(url).status_code == 403
        assert viewer.delete(url + "?reason=不行").status_code == 403
    assert worker.delete(url).status_code == 422  # the reason is required
    response = worker.delete(url + "?reason=" + "户主去世")
    assert response.status_code == 200
    assert response.json()["revoked_at"] and response.json()["revoke_reason"] == "户主去世"
    assert response.json()["url"] == ""  # a revoked code's address is not handed out again
    assert worker.get(url).status_code == 404
    response = worker.delete(url + "?reason=再撤一次")
    assert response.status_code == 422 and json.loads(response.content)["field"] == "reason"
    assert HouseholdCode.objects.filter(revoked_at__isnull=True).count() == 0
