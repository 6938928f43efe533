"""The benefit list (幸福清单) on the page: for the household after verification and for staff to print;
every policy the household is entitled to with its amount, reasons and responsible unit; what needs
information; the received section; masked names only."""

import datetime as dt
import re
from html import escape

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.urls import reverse

from conftest import OUT_COMMUNITY, member, new_id_number
from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.common.templatetags.zhongfu import unit_label
from zhongfu.disclosure import selectors, services, tokens
from zhongfu.disclosure.models import OutboxMessage
from zhongfu.disclosure.templatetags.disclosure import benefit_amount
from zhongfu.screening.models import Outcome
from zhongfu.screening.selectors import BenefitLine, BenefitList, benefit_list
from zhongfu.screening.services import household_screen

pytestmark = pytest.mark.django_db

HEAD = "吴大有"
PHONE = "13612340000"


@pytest.fixture
def poor_household(make_household):
    """Two people living on 300 yuan a month: below every city's 低保 standard."""
    head_id = new_id_number()
    household = make_household(
        members=[
            member(name=HEAD, id_number=head_id, phone=PHONE, incomes={"wage": 30000}),
            member("spouse", "郑小芳", id_number=new_id_number(sex="F", birth=dt.date(1982, 3, 3))),
        ],
        address="幸福里3号",
    )
    household.head_id_number = head_id
    return household


def _open_as_household(client, admin, household) -> str:
    code = services.household_code_issue(actor=admin, household=household)
    token = tokens.sign(code.token_id)
    client.post(reverse("disclosure:send_code", args=[token]))
    digits = re.search(r"\b(\d{6})\b", OutboxMessage.objects.order_by("-id").first().text).group(1)
    response = client.post(reverse("disclosure:verify_code", args=[token]), {"digits": digits})
    assert response.status_code == 302
    return reverse("disclosure:household_benefits", args=[token])


def _assert_lines_shown(text: str, lines: list[BenefitLine], *, amounts: bool = True) -> None:
    for line in lines:
        assert f'data-testid="benefit-{line.policy_code}"' in text or not amounts
        assert escape(line.policy_name) in text, line.policy_name
        if amounts:
            assert escape(benefit_amount(line)) in text, line.policy_code
            for reason in line.reasons:
                assert escape(reason) in text, reason
        if line.unit:
            assert escape(str(unit_label(line.unit))) in text


def _assert_masked(text: str, household) -> None:
    assert HEAD not in text and "郑小芳" not in text and "吴**" in text
    assert household.head_id_number not in text and PHONE not in text and "幸福里" not in text


def test_household_sees_its_list_matching_the_stored_determinations(client, users, poor_household):
    admin = users[Role.CITY_ADMIN]
    screening = household_screen(actor=admin, household=poor_household)
    eligible = {d.policy_code: d for d in screening.determinations.filter(outcome=Outcome.ELIGIBLE)}
    assert eligible, "a household on 300 yuan a month is entitled to something"

    url = _open_as_household(client, admin, poor_household)
    response = client.get(url)
    assert response.status_code == 200
    text = response.content.decode()
    expected = benefit_list(poor_household)
    assert {line.policy_code for line in expected.entitled} == set(eligible)
    for line in expected.entitled:
        assert line.amount_fen == eligible[line.policy_code].amount_fen
    _assert_lines_shown(text, expected.entitled)
    _assert_lines_shown(text, expected.needs_information, amounts=False)
    for line in expected.needs_information:
        for label in line.missing:
            assert escape(label) in text
    _assert_masked(text, poor_household)
    assert 'data-testid="received"' in text and "@media print" in text
    assert poor_household.number in text


def test_staff_print_version_is_scoped_and_not_logged_as_the_household(client, users, poor_household, make_household):
    outside = make_household(community=OUT_COMMUNITY, members=[member(id_number=new_id_number(county="330109"))])
    views_before = AuditEntry.objects.filter(action="view").count()
    client.force_login(users[Role.UNIT_STAFF])
    response = client.get(reverse("disclosure:staff_benefits", args=[poor_household.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    expected = benefit_list(poor_household)
    assert expected.entitled
    _assert_lines_shown(text, expected.entitled)
    _assert_masked(text, poor_household)
    assert AuditEntry.objects.filter(action="view").count() == views_before
    for role in (r for r in Role.values if r != Role.CITY_ADMIN):
        client.force_login(users[role])
        assert client.get(reverse("disclosure:staff_benefits", args=[outside.pk])).status_code == 404, role
    client.logout()
    assert client.get(reverse("disclosure:staff_benefits", args=[poor_household.pk])).status_code == 302


def test_received_is_empty_until_payments_exist(poor_household):
    assert selectors.benefits_received(household=poor_household) == []
    assert selectors.household_benefit_list(household=poor_household).received == []


def test_every_section_renders_in_plain_words(rf, poor_household):
    def line(code, outcome, amount, period, reasons=(), missing=(), unit="civil_affairs"):
        return BenefitLine(code, f"政策{code}", "baseline", unit, outcome, amount, period, list(reasons), list(missing))

    benefits = BenefitList(
        household=poor_household,
        as_of=dt.date(2026, 3, 1),
        entitled=[
            line(
                "a", Outcome.ELIGIBLE, 130000, "monthly", ["人均收入 150.00 元 < 低保标准 1,300.00 元", "车辆数 0 = 0"]
            ),
            line("b", Outcome.ELIGIBLE, 50000, "one_off"),
            line("c", Outcome.ELIGIBLE, 120000, "yearly"),
            line("d", Outcome.ELIGIBLE, 0, "monthly", unit=""),
        ],
        needs_information=[line("e", Outcome.NEEDS_INFORMATION, 0, "monthly", missing=["住房面积", "存款"])],
        not_eligible=[line("f", Outcome.NOT_ELIGIBLE, 0, "monthly", ["家庭月人均收入高于标准"])],
    )
    request = rf.get("/")
    request.user = AnonymousUser()
    text = render_to_string(
        "disclosure/benefit_list.html",
        {"benefits": benefits, "household": poor_household, "head": None, "for_household": True},
        request=request,
    )
    for code in "abcd":
        assert f'data-testid="benefit-{code}"' in text
    for line_ in benefits.entitled:
        assert escape(benefit_amount(line_)) in text
    assert escape("人均收入 150.00 元 < 低保标准 1,300.00 元") in text and "车辆数 0 = 0" in text
    assert str(unit_label("civil_affairs")) in text and "civil_affairs" not in text
    assert "1,300.00" in text and "500.00" in text and "1,200.00" in text
    assert len({benefit_amount(x) for x in benefits.entitled}) == 4  # month, once, year, no cash: all different
    assert "住房面积、存款" in text and "政策e" in text
    assert "政策f" in text and "家庭月人均收入高于标准" not in text  # only the names of what does not apply
    assert "2026-03-01" in text
    assert 'data-testid="received"' in text
    assert reverse("registry:household_detail", args=[poor_household.pk]) not in text  # no staff link
