"""Visit rates on a small example counted by hand (June 2025, period end 2025-06-30)."""

import datetime as dt
import io

import pytest

from conftest import IN_COMMUNITY, OUT_COMMUNITY
from zhongfu.accounts.roles import Role
from zhongfu.common.errors import InvalidInput
from zhongfu.regions.models import Region
from zhongfu.visits import selectors, services

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def june(classed, users):
    """Community A (IN_COMMUNITY) and B (same street), and one household outside every worker's scope.

    A: H1 特困 visited 06-10 → on time (within 30 days of 06-30)
       H2 特困 visited 05-15 → overdue
       H3 elderly alone (7 days) visited 06-20, nobody home 06-28 → overdue (not-home does not count)
       H4 低保 (90 days) visited 04-15 → on time
       H5 低保 never visited, since 01-01 → first visit due 04-01 → overdue
       H6 低边 (180 days) never visited, since 03-01 → first due 08-28 → not yet due, not counted
       H7 no class → not on the schedule
       H8 低保 visited only on 07-05, after the period → overdue as of 06-30
    → A: due 6, on time 2 (33.3 %), overdue 4, not yet due 1.
    B: H9 特困 visited 06-30 → on time → due 1, on time 1 (100 %).
    Street: due 7, on time 3 (42.9 %), overdue 4. Outside: H10 特困 visited 06-01 → on time (city only).
    """
    admin = users[Role.CITY_ADMIN]
    other = Region.objects.filter(parent__code=IN_COMMUNITY[:9]).exclude(code=IN_COMMUNITY).order_by("code").first()

    def visit(h, on, outcome="well"):
        services.visit_record(admin, h, visited_on=on, outcome=outcome)

    visit(classed("extreme_poverty"), D(2025, 6, 10))
    visit(classed("extreme_poverty"), D(2025, 5, 15))
    h3 = classed(elderly_living_alone=True)
    visit(h3, D(2025, 6, 20))
    visit(h3, D(2025, 6, 28), "not_home")
    visit(classed("dibao"), D(2025, 4, 15))
    classed("dibao")
    classed("marginal", start=D(2025, 3, 1))
    classed()
    visit(classed("dibao"), D(2025, 7, 5))
    visit(classed("extreme_poverty", community=other.code), D(2025, 6, 30))
    visit(classed("extreme_poverty", community=OUT_COMMUNITY), D(2025, 6, 1))
    return other


def _figures(r):
    return (r.due, r.on_time, r.overdue, r.not_yet_due, r.rate)


def test_rates_counted_by_hand(june, users):
    rates = selectors.visit_rates(user=users[Role.STREET_CASEWORKER], month="2025-06")
    assert (rates.month, rates.as_of) == ("2025-06", D(2025, 6, 30))
    assert {r.code: _figures(r) for r in rates.communities} == {
        IN_COMMUNITY: (6, 2, 4, 1, 33.3),
        june.code: (1, 1, 0, 0, 100.0),
    }
    assert [(s.code, _figures(s)) for s in rates.streets] == [(IN_COMMUNITY[:9], (7, 3, 4, 1, 42.9))]
    assert _figures(rates.total) == (7, 3, 4, 1, 42.9)


def test_rates_follow_scope(june, users):
    community = selectors.visit_rates(user=users[Role.COMMUNITY_WORKER], month="2025-06")
    assert [r.code for r in community.communities] == [IN_COMMUNITY]
    assert _figures(community.total) == (6, 2, 4, 1, 33.3)
    city = selectors.visit_rates(user=users[Role.CITY_ADMIN], month="2025-06")
    assert _figures(city.total) == (8, 4, 4, 1, 50.0)
    assert OUT_COMMUNITY in [r.code for r in city.communities]
    assert selectors.visit_rates(user=users[Role.CHARITY_STAFF], month="2025-06").communities == []


def test_a_month_before_the_visits_counts_them_as_not_yet_done(june, users):
    may = selectors.visit_rates(user=users[Role.STREET_CASEWORKER], month="2025-05")
    # As of 05-31: H2 (05-15) and H4 (04-15) on time; H1, H9 never visited by then but 特困 since
    # 01-01 → overdue; H3 never visited → overdue; H5, H8 first due 04-01 → overdue; H6 not yet due.
    assert _figures(may.total) == (7, 2, 5, 1, 28.6)


def test_rate_uses_the_rule_in_force_at_the_period_end(june, users):
    from zhongfu.visits.models import VisitRule

    # Had 特困 been visited every 10 days from June, H1 (06-10) would be late on 06-30.
    VisitRule.objects.create(household_class="extreme_poverty", interval_days=10, valid_from=D(2025, 6, 1))
    rates = selectors.visit_rates(user=users[Role.COMMUNITY_WORKER], month="2025-06")
    assert _figures(rates.total) == (6, 1, 5, 1, 16.7)


@pytest.mark.parametrize("month", ["2025-13", "June", "2999-01"])
def test_bad_month_is_refused_naming_the_field(users, month):
    with pytest.raises(InvalidInput) as e:
        selectors.visit_rates(user=users[Role.CITY_ADMIN], month=month)
    assert e.value.field == "month"


def test_current_month_ends_today(users):
    rates = selectors.visit_rates(user=users[Role.CITY_ADMIN], month="2026-11", today=D(2026, 11, 23))
    assert rates.as_of == D(2026, 11, 23)


def test_rates_download_as_xlsx(june, users, client):
    from python_calamine import CalamineWorkbook

    client.force_login(users[Role.STREET_CASEWORKER])
    response = client.get("/visits/rates/?month=2025-06&format=xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    streets, communities = (book.get_sheet_by_index(i).to_python() for i in range(2))
    assert streets[1][:2] == [IN_COMMUNITY[:9], streets[1][1]] and streets[1][2:] == [7, 3, 42.9, 4, 1]
    assert [row[0] for row in communities[1:]] == [IN_COMMUNITY, june.code, ""]
    assert communities[1][2:] == [6, 2, 33.3, 4, 1]


def test_chart_shows_the_level_below_the_scope(june, users):
    city = selectors.visit_rates(user=users[Role.CITY_ADMIN], month="2025-06")
    assert [d.code for d in city.chart_rows()] == sorted({IN_COMMUNITY[:6], OUT_COMMUNITY[:6]})
    assert _figures(city.districts[0]) == (7, 3, 4, 1, 42.9)
    street = selectors.visit_rates(user=users[Role.STREET_CASEWORKER], month="2025-06")
    assert [c.code for c in street.chart_rows()] == [IN_COMMUNITY, june.code]
