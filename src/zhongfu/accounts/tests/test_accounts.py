import pytest
from django.urls import reverse

from zhongfu.accounts.models import ApiToken
from zhongfu.accounts.roles import Role
from zhongfu.accounts.services import api_token_authenticate, api_token_create, api_token_revoke

pytestmark = pytest.mark.django_db


def test_scope_prefix_by_level(users):
    assert users[Role.CITY_ADMIN].scope_prefix == "3301"
    assert users[Role.DISTRICT_CASEWORKER].scope_prefix == "330106"
    assert len(users[Role.STREET_CASEWORKER].scope_prefix) == 9
    assert len(users[Role.COMMUNITY_WORKER].scope_prefix) == 12


@pytest.mark.parametrize(
    "role, can_view, can_change, can_unmask, can_audit",
    [
        (Role.CITY_ADMIN, True, True, True, True),
        (Role.DISTRICT_CASEWORKER, True, True, True, False),
        (Role.STREET_CASEWORKER, True, True, True, False),
        (Role.COMMUNITY_WORKER, True, True, True, False),
        (Role.UNIT_STAFF, True, False, False, False),
        (Role.CHARITY_STAFF, False, False, False, False),
        (Role.AUDITOR, True, False, False, True),
        (Role.VOLUNTEER, False, False, False, False),
    ],
)
def test_permissions_by_role(users, role, can_view, can_change, can_unmask, can_audit):
    u = users[role]
    assert u.has_perm("registry.view_household") is can_view
    assert u.has_perm("registry.change_household") is can_change
    assert u.has_perm("registry.unmask_personal_data") is can_unmask
    assert u.has_perm("audit.view_auditentry") is can_audit


def test_inactive_user_has_no_permissions(users):
    u = users[Role.CITY_ADMIN]
    u.is_active = False
    assert not u.has_perm("registry.view_household")


def test_api_token_lifecycle(users):
    user = users[Role.STREET_CASEWORKER]
    token = api_token_create(user=user, name="cli")
    stored = ApiToken.objects.get(user=user)
    assert token not in (stored.key_hash, stored.prefix) and token.startswith(stored.prefix)
    assert api_token_authenticate(token) == user
    assert api_token_authenticate(token + "x") is None
    api_token_revoke(user=user, token_id=stored.pk)
    assert api_token_authenticate(token) is None


def test_login_page_is_chinese_by_default_and_logs_in(client, users):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert 'lang="zh-hans"' in response.content.decode()
    response = client.post(reverse("accounts:login"), {"username": "t_street_caseworker", "password": "pw-test-123"})
    assert response.status_code == 302
    assert client.get(reverse("registry:household_list")).status_code == 200


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("registry:household_list"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_profile_creates_a_token_shown_once(client, users):
    client.force_login(users[Role.COMMUNITY_WORKER])
    response = client.post(reverse("accounts:profile"), {"name": "手机"})
    token = response.context["new_token"]
    assert token and api_token_authenticate(token) == users[Role.COMMUNITY_WORKER]
    assert token not in client.get(reverse("accounts:profile")).content.decode()


def test_role_permissions_answer_without_queries_and_granted_ones_still_count(users, django_assert_num_queries):
    from django.contrib.auth.models import Permission

    from zhongfu.accounts.models import User
    from zhongfu.accounts.roles import ROLE_PERMISSIONS, Role

    worker = User.objects.get(pk=users[Role.STREET_CASEWORKER].pk)  # fresh, as an API request loads it
    role_perm = sorted(ROLE_PERMISSIONS[Role.STREET_CASEWORKER])[0]
    with django_assert_num_queries(0):
        assert worker.has_perm(role_perm)
    assert (
        not worker.has_perm("audit.view_auditentry")
        or "audit.view_auditentry" in ROLE_PERMISSIONS[Role.STREET_CASEWORKER]
    )
    # A permission granted to the user one by one (Django admin) still counts.
    granted = Permission.objects.get(codename="delete_household")
    worker.user_permissions.add(granted)
    assert User.objects.get(pk=worker.pk).has_perm("registry.delete_household")
    # An inactive user has no permission, role or not.
    worker.is_active = False
    assert not worker.has_perm(role_perm)
