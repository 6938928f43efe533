"""Data fed back to the departments: warnings closed as "data wrong" listed per feed for the staff who load the
feeds, in their scope, masked, as a page and a spreadsheet; nobody else sees the list."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from conftest import OUT_COMMUNITY, member
from zhongfu.accounts.roles import Role
from zhongfu.monitoring.feedback import feedback_for_user
from zhongfu.monitoring.models import Warning

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(make_household, users):
    closer = users[Role.COMMUNITY_WORKER]

    def make(household, outcome, feed, note):
        return Warning.objects.create(
            household=household,
            kind="at_risk",
            tier="orange",
            region=household.region,
            raised_on=dt.date(2026, 10, 5),
            due_on=dt.date(2026, 10, 14),
            explanation={
                "zh": ["医保自付 40,000.00 元（近 12 个月）：+30"],
                "en": ["out-of-pocket 40,000.00 yuan: +30"],
            },
            status="closed",
            outcome=outcome,
            outcome_note=note,
            feedback_feed=feed,
            closed_by=closer,
            closed_at=timezone.now(),
        )

    near = make_household(members=[member(name="王小明")])
    far = make_household(community=OUT_COMMUNITY, members=[member(name="李四")])
    return {
        "medical": make(near, "data_wrong", "medical_insurance", "自付金额重复登记"),
        "vehicle": make(near, "data_wrong", "vehicles", "车辆已于去年过户"),
        "helped": make(near, "helped", "", "已转介"),
        "far": make(far, "data_wrong", "medical_insurance", "费用属于他人"),
    }


def test_only_data_wrong_in_scope_and_by_feed(closed, users):
    district = users[Role.DISTRICT_CASEWORKER]  # loads feeds (import permission), scoped to 西湖区
    assert {w.pk for w in feedback_for_user(user=district)} == {closed["medical"].pk, closed["vehicle"].pk}
    assert [w.pk for w in feedback_for_user(user=district, feed="vehicles")] == [closed["vehicle"].pk]
    city = users[Role.CITY_ADMIN]
    assert feedback_for_user(user=city, feed="medical_insurance").count() == 2


def test_page_masks_and_the_spreadsheet_has_the_same_rows(closed, users, client):
    client.force_login(users[Role.DISTRICT_CASEWORKER])
    url = reverse("monitoring:feedback")
    page = client.get(url, {"feed": "medical_insurance"}).content.decode()
    assert "自付金额重复登记" in page and "王**" in page and "王小明" not in page
    assert "费用属于他人" not in page  # another district
    assert "车辆已于去年过户" not in page  # another feed
    response = client.get(url, {"format": "xlsx"})
    assert response.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert len(rows) == 3  # header + the two in scope
    notes = {r[8] for r in rows[1:]}
    assert notes == {"自付金额重复登记", "车辆已于去年过户"}
    assert all("王小明" not in " ".join(str(c) for c in r) for r in rows)


@pytest.mark.parametrize("role", [Role.COMMUNITY_WORKER, Role.AUDITOR, Role.CHARITY_STAFF])
def test_nobody_else_sees_it(closed, users, client, role):
    client.force_login(users[role])
    assert client.get(reverse("monitoring:feedback")).status_code == 403
