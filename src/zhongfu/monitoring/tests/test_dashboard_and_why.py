"""The dashboard's figures (by district, tier, status, kind and month: found, handled on time, outcomes) in the
user's scope, its page and spreadsheet; the printable "why we contacted you" page and the household's own
list of warnings (masked, the stored Chinese explanation, the note that a person decides)."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import IN_COMMUNITY, OUT_COMMUNITY, member
from zhongfu.accounts.roles import Role
from zhongfu.monitoring.models import Warning
from zhongfu.monitoring.warning_selectors import warning_dashboard, warnings_for_household_view

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 20)


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


@pytest.fixture
def warnings(make_household, users):
    near = make_household(members=[member(name="王小明")])
    near2 = make_household()
    far = make_household(community=OUT_COMMUNITY)
    closer = users[Role.COMMUNITY_WORKER]

    def make(household, kind, tier, raised, due, **kw):
        return Warning.objects.create(
            household=household,
            kind=kind,
            tier=tier,
            region=household.region,
            raised_on=raised,
            due_on=due,
            explanation={"zh": ["医保自付 40,000.00 元（近 12 个月）：+30"], "en": ["medical +30"]},
            **kw,
        )

    closed = {"status": "closed", "closed_by": closer}
    made = {
        "near": near,
        "far": far,
        # October: one closed on time (helped), one closed late (data wrong)
        "a": make(
            near,
            "at_risk",
            "orange",
            dt.date(2026, 10, 5),
            dt.date(2026, 10, 14),
            **closed,
            outcome="helped",
            outcome_note="转介",
            closed_at=at(dt.date(2026, 10, 10)),
        ),
        "b": make(
            near2,
            "at_risk",
            "red",
            dt.date(2026, 10, 20),
            dt.date(2026, 10, 23),
            **closed,
            outcome="data_wrong",
            outcome_note="数据有误",
            closed_at=at(dt.date(2026, 10, 30)),
        ),
        # November: one open and overdue, one visiting
        "c": make(
            near, "eligible_not_enrolled", "yellow", dt.date(2026, 11, 2), dt.date(2026, 11, 10), policy_code="dibao"
        ),
        "d": make(near2, "discovery", "red", dt.date(2026, 11, 18), dt.date(2026, 11, 23), status="visiting"),
        # another district
        "e": make(far, "at_risk", "red", dt.date(2026, 11, 3), dt.date(2026, 11, 6)),
    }
    return made


def test_figures_by_district_tier_status_and_month(warnings, users):
    city = warning_dashboard(user=users[Role.CITY_ADMIN], today=TODAY)
    assert [(d["district"], d["found"], d["closed"], d["on_time"], d["overdue"]) for d in city["districts"]] == [
        (IN_COMMUNITY[:6], 4, 2, 1, 1),
        (OUT_COMMUNITY[:6], 1, 0, 0, 1),
    ]
    assert {t["key"]: t["n"] for t in city["tiers"]} == {"red": 3, "orange": 1, "yellow": 1}
    assert {s["key"]: s["n"] for s in city["statuses"]} == {"open": 2, "visiting": 1, "closed": 2}
    assert {k["key"]: k["n"] for k in city["kinds"]}["discovery"] == 1
    october, november = city["months"]
    assert october["month"] == "2026-10" and (october["found"], october["closed"], october["on_time"]) == (2, 2, 1)
    assert (october["outcome_helped"], october["outcome_data_wrong"], october["outcome_not_needed"]) == (1, 1, 0)
    assert november["month"] == "2026-11" and (november["found"], november["closed"]) == (3, 0)


def test_figures_keep_to_the_scope(warnings, users):
    community = warning_dashboard(user=users[Role.COMMUNITY_WORKER], today=TODAY)
    assert [d["district"] for d in community["districts"]] == [IN_COMMUNITY[:6]]
    assert sum(t["n"] for t in community["tiers"]) == 4 and community["months"][1]["found"] == 2
    nothing = warning_dashboard(user=users[Role.CHARITY_STAFF], today=TODAY)
    assert nothing["districts"] == [] and nothing["months"] == [] and sum(t["n"] for t in nothing["tiers"]) == 0


def test_the_dashboard_page_and_its_spreadsheet(warnings, users, client):
    from python_calamine import CalamineWorkbook

    client.force_login(users[Role.STREET_CASEWORKER])
    page = client.get(reverse("monitoring:dashboard"))
    html = page.content.decode()
    assert page.status_code == 200 and 'id="dashboard-data"' in html and "vendor/echarts/echarts.min.js" in html
    assert 'data-testid="month-2026-10"' in html and OUT_COMMUNITY[:6] not in html
    xlsx = client.get(reverse("monitoring:dashboard"), {"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    book = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content))
    districts = book.get_sheet_by_index(0).to_python()
    assert districts[1][0] == IN_COMMUNITY[:6] and districts[1][2:5] == [4, 2, 1] and len(districts) == 2
    months = book.get_sheet_by_index(4).to_python()
    assert [row[0] for row in months[1:]] == ["2026-10", "2026-11"] and months[1][1:4] == [2, 2, 1]
    client.force_login(users[Role.CHARITY_STAFF])
    assert client.get(reverse("monitoring:dashboard")).status_code == 403


def test_why_we_contacted_you(warnings, users, client):
    client.force_login(users[Role.COMMUNITY_WORKER])
    url = reverse("monitoring:warning_why", args=[warnings["c"].pk])
    html = client.get(url).content.decode()
    assert "王*" in html and "王小明" not in html and warnings["near"].address not in html
    assert "医保自付 40,000.00 元（近 12 个月）：+30" in html
    assert "个人信息保护法" in html or "Personal Information Protection Law" in html
    assert 'data-testid="why-advisory"' in html
    assert client.get(reverse("monitoring:warning_why", args=[warnings["e"].pk])).status_code == 404
    detail = client.get(reverse("monitoring:warning_detail", args=[warnings["c"].pk])).content.decode()
    assert url in detail


def test_the_household_sees_its_own_warnings(warnings):
    rows = warnings_for_household_view(warnings["near"])
    assert [r["id"] for r in rows] == [warnings["c"].pk, warnings["a"].pk]  # newest first, only its own
    assert rows[0]["lines"] == ["医保自付 40,000.00 元（近 12 个月）：+30"] and rows[0]["summary"]
    assert set(rows[0]) == {"id", "raised_on", "kind", "summary", "policy", "lines", "status", "outcome"}
    assert warnings_for_household_view(warnings["far"])[0]["id"] == warnings["e"].pk
