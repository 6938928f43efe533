import pytest
from django.urls import reverse

from zhongfu.accounts.roles import Role

pytestmark = pytest.mark.django_db


def test_auditor_sees_log_and_verifies_through_the_worker(client, users, make_household, run_tasks):
    make_household()
    client.force_login(users[Role.AUDITOR])
    response = client.get(reverse("audit:log"))
    assert response.status_code == 200 and "household" in response.content.decode()
    response = client.post(reverse("audit:verify"))
    task_id = response.context["task_id"]
    assert 'data-testid="verify-pending"' in response.content.decode()
    assert run_tasks() == 1
    response = client.get(reverse("audit:verify_status", args=[task_id]))
    assert response.context["finished"] and response.context["result"]["broken_at"] is None
    assert 'data-testid="verify-result"' in response.content.decode()


@pytest.mark.parametrize("role", [Role.STREET_CASEWORKER, Role.COMMUNITY_WORKER, Role.UNIT_STAFF, Role.CHARITY_STAFF])
def test_audit_log_is_for_auditors_and_administrators(client, users, role):
    client.force_login(users[role])
    assert client.get(reverse("audit:log")).status_code == 403


def test_district_auditor_sees_only_entries_of_the_district(client, users, make_household):
    from conftest import OUT_COMMUNITY

    inside = make_household()
    outside = make_household(community=OUT_COMMUNITY)
    client.force_login(users[Role.AUDITOR])  # scoped to 西湖区 in the fixtures
    entries = list(client.get(reverse("audit:log")).context["page"].object_list)
    households = {e.household_id for e in entries}
    assert inside.pk in households and outside.pk not in households
