"""The menu: each role sees only groups it can use, and every link it is shown opens for it."""

import re

import pytest
from django.urls import reverse

from zhongfu.accounts.models import Unit
from zhongfu.accounts.roles import Role

pytestmark = pytest.mark.django_db

MENU = re.compile(r'<nav class="navbar.*?</nav>', re.S)
LINK = re.compile(r'href="(/[^"#]*)"')


def _menu(client, user) -> str:
    client.force_login(user)
    body = client.get(reverse("accounts:profile")).content.decode()
    return MENU.search(body).group(0)


def staffed(users, regions):
    """The fixture's users, with the member-unit and charity staff attached to a unit (they keep its books)."""
    for role, kind in ((Role.UNIT_STAFF, Unit.Kind.FEDERATION), (Role.CHARITY_STAFF, Unit.Kind.CHARITY)):
        users[role].unit = Unit.objects.create(code=f"u-{role}", name=str(role), kind=kind, region=regions["district"])
        users[role].save()
    return users


@pytest.mark.parametrize("attached", [False, True], ids=["no unit", "with unit"])
@pytest.mark.parametrize("role", list(Role))
def test_every_menu_link_opens_for_the_role_that_sees_it(client, users, regions, role, attached):
    if role not in users:
        pytest.fail(f"the users fixture has no {role} user")
    if attached:
        staffed(users, regions)
    menu = _menu(client, users[role])
    links = sorted({href for href in LINK.findall(menu) if not href.startswith(("/i18n/", "/accounts/logout"))})
    assert links, role
    for href in links:
        status = client.get(href, follow=True).status_code
        assert status == 200, f"{role}: {href} answered {status}"


def test_groups_follow_permissions(client, users, regions):
    staffed(users, regions)
    caseworker = _menu(client, users[Role.STREET_CASEWORKER])
    assert 'data-testid="nav-who"' in caseworker and 'data-testid="nav-casework"' in caseworker
    assert 'data-testid="nav-admin"' not in caseworker  # no audit log for caseworkers
    charity = _menu(client, users[Role.CHARITY_STAFF])
    assert 'data-testid="nav-funds"' in charity
    assert 'data-testid="nav-who"' not in charity and 'data-testid="nav-casework"' not in charity
    auditor = _menu(client, users[Role.AUDITOR])
    assert reverse("audit:log") in auditor


@pytest.mark.parametrize("role", list(Role))
def test_logging_in_lands_every_role_on_a_page_it_may_see(client, users, role):
    response = client.post(
        reverse("accounts:login"), {"username": users[role].username, "password": "pw-test-123"}, follow=True
    )
    assert response.status_code == 200, role
    assert response.redirect_chain, role
    if role == Role.VOLUNTEER:
        assert response.redirect_chain[-1][0] == reverse("monitoring:discovery_mine")
