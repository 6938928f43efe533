"""The funds pages through the client: officers' accounts, gifts (amounts typed in yuan), receipts,
allocations and reversals; another unit's books 404, other roles 403; the donor's signed trace link and
the public disclosure page without login."""

import pytest
from django.conf import settings
from django.test import Client

from conftest import IN_COMMUNITY
from zhongfu.accounts.models import Unit, User
from zhongfu.accounts.roles import Role
from zhongfu.funds import selectors, services, tokens
from zhongfu.funds.models import Allocation, Donation, Donor, LedgerEntry, Receipt

pytestmark = pytest.mark.django_db


def _client(user=None) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def other_unit(regions):
    return Unit.objects.create(
        code="union-xh", name="西湖区总工会", kind=Unit.Kind.FEDERATION, region=regions["district"]
    )


@pytest.fixture
def other_keeper(other_unit, regions):
    return User.objects.create(
        username="t_other_keeper", role=Role.UNIT_STAFF, region=regions["district"], unit=other_unit
    )


def _gift_form(**kw):
    data = {"amount": "200.50", "channel": "transfer", "received_on": kw.pop("received_on", "2026-01-05")}
    data.update(kw)
    return data


def _give(keeper, unit, fen, today, **kw):
    return services.donation_record_offline(
        actor=keeper, unit=unit, amount_fen=fen, channel="transfer", received_on=today, **kw
    )


def test_accounts_page_shows_balances_in_yuan(keeper, unit, education, today):
    fund, _budget = education
    _give(keeper, unit, 20050, today, account=fund)
    page = _client(keeper).get(f"/funds/units/{unit.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-fen="20050"' in text and "200.50" in text
    assert _client(keeper).get("/funds/").status_code == 302


def test_other_roles_are_refused_and_another_units_books_are_not_found(keeper, unit, other_keeper, users, today):
    donation = _give(keeper, unit, 10000, today)
    caseworker = _client(users[Role.STREET_CASEWORKER])
    for url in (f"/funds/units/{unit.pk}/", f"/funds/donations/{donation.pk}/", "/funds/"):
        assert caseworker.get(url).status_code == 403
    other = _client(other_keeper)
    for url in (
        f"/funds/units/{unit.pk}/",
        f"/funds/units/{unit.pk}/ledger/",
        f"/funds/units/{unit.pk}/donations/new/",
        f"/funds/donations/{donation.pk}/",
        f"/funds/donations/{donation.pk}/trace/",
    ):
        assert other.get(url).status_code == 404, url
    assert other.post(f"/funds/donations/{donation.pk}/receipt/").status_code == 404
    assert not Receipt.objects.exists()
    # The city administrator keeps every unit's books.
    assert _client(users[Role.CITY_ADMIN]).get(f"/funds/units/{unit.pk}/").status_code == 200
    assert _client().get(f"/funds/units/{unit.pk}/").status_code == 302  # to the login page


def test_a_gift_with_a_new_organisation_is_recorded_to_the_fen(keeper, unit, education):
    from .conftest import uscc

    fund, _budget = education
    form = _gift_form(
        amount="1,300.05",
        account=fund.pk,
        donor_kind="organisation",
        donor_name="杭州某某有限公司",
        donor_uscc=uscc(),
        donor_consent_to_name="on",
        donor_alias="某某爱心企业",
    )
    response = _client(keeper).post(f"/funds/units/{unit.pk}/donations/new/", form)
    assert response.status_code == 302
    donation = Donation.objects.get()
    assert donation.amount_fen == 130005 and donation.directed and donation.donor.alias == "某某爱心企业"
    assert response["Location"] == f"/funds/donations/{donation.pk}/"


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("200.505", "at most two decimals"),
        ("-5", "more than zero"),
        ("0", "more than zero"),
        ("abc", "Not an amount"),
        ("Infinity", "Not an amount"),
    ],
)
def test_a_bad_amount_is_named_and_nothing_written(keeper, unit, amount, message):
    response = _client(keeper).post(f"/funds/units/{unit.pk}/donations/new/", _gift_form(amount=amount))
    assert response.status_code == 400
    text = response.content.decode()
    assert 'data-testid="error-amount"' in text and message in text
    assert not LedgerEntry.objects.exists() and not Donation.objects.exists()


def test_a_bad_new_donor_is_named_and_nothing_written(keeper, unit):
    form = _gift_form(donor_kind="organisation", donor_name="某公司", donor_uscc="123")
    response = _client(keeper).post(f"/funds/units/{unit.pk}/donations/new/", form)
    assert response.status_code == 400
    assert 'data-testid="error-donor_uscc"' in response.content.decode()
    form = _gift_form(donor_kind="person", donor_name="王女士", donor_anonymous="on", donor_consent_to_name="on")
    response = _client(keeper).post(f"/funds/units/{unit.pk}/donations/new/", form)
    assert 'data-testid="error-donor_consent_to_name"' in response.content.decode()
    response = _client(keeper).post(f"/funds/units/{unit.pk}/donations/new/", _gift_form(donor_name="王女士"))
    assert response.status_code == 400 and 'data-testid="error-donor_kind"' in response.content.decode()
    assert not Donor.objects.exists() and not Donation.objects.exists()


def test_receipt_issue_print_withdraw_and_decline(keeper, unit, today):
    donor = services.donor_register(actor=keeper, kind="person", name="王女士")
    donation = _give(keeper, unit, 20000, today, donor=donor)
    client = _client(keeper)
    assert client.post(f"/funds/donations/{donation.pk}/receipt/").status_code == 302
    receipt = Receipt.objects.get()
    page = client.get(f"/funds/receipts/{receipt.pk}/").content.decode()
    assert f"{today.year}-000001" in page and "王女士" in page and "200.00" in page and unit.name in page
    assert tokens.sign(donation.pk) in page  # the donor's trace link is printed
    # A second receipt while one is valid is refused with the message.
    again = client.post(f"/funds/donations/{donation.pk}/receipt/")
    assert again.status_code == 400 and "already has a receipt" in again.content.decode()
    # Withdrawing needs a reason.
    assert client.post(f"/funds/receipts/{receipt.pk}/withdraw/", {"reason": ""}).status_code == 400
    assert client.post(f"/funds/receipts/{receipt.pk}/withdraw/", {"reason": "写错了"}).status_code == 302
    receipt.refresh_from_db()
    assert receipt.withdrawn_reason == "写错了"
    assert client.post(f"/funds/donations/{donation.pk}/decline/").status_code == 302
    donation.refresh_from_db()
    assert donation.receipt_declined
    refused = client.post(f"/funds/donations/{donation.pk}/receipt/")
    assert refused.status_code == 400 and "declined" in refused.content.decode()
    assert Receipt.objects.count() == 1


def test_allocation_refused_beyond_balance_or_restriction_writes_nothing(keeper, unit, education, today):
    fund, budget = education
    medical = services.fund_account_open(
        actor=keeper, unit=unit, kind="budget", code="med-2026", name="医疗救助2026", project="MED"
    )
    _give(keeper, unit, 50000, today, account=fund)
    client = _client(keeper)
    url = f"/funds/units/{unit.pk}/allocate/"
    data = {"from_account": fund.pk, "to_account": budget.pk, "amount": "501", "date": today.isoformat()}
    beyond = client.post(url, data)
    assert beyond.status_code == 400 and "holds 500.00 yuan" in beyond.content.decode()
    outside = client.post(url, {**data, "to_account": medical.pk, "amount": "100"})
    assert outside.status_code == 400 and "outside the fund" in outside.content.decode()
    assert not Allocation.objects.exists()
    assert client.post(url, {**data, "amount": "350"}).status_code == 302
    assert selectors.account_balance_fen(budget) == 35000


def test_ledger_lists_entries_and_reverses_with_a_reason(keeper, unit, today):
    donation = _give(keeper, unit, 10000, today)
    client = _client(keeper)
    page = client.get(f"/funds/units/{unit.pk}/ledger/").content.decode()
    assert f'data-testid="reverse-{donation.entry_id}"' in page
    assert client.post(f"/funds/entries/{donation.entry_id}/reverse/", {"reason": ""}).status_code == 400
    assert client.post(f"/funds/entries/{donation.entry_id}/reverse/", {"reason": "重复录入"}).status_code == 302
    assert LedgerEntry.objects.filter(reverses=donation.entry_id).exists()
    page = client.get(f"/funds/units/{unit.pk}/ledger/").content.decode()
    assert f'data-testid="reverse-{donation.entry_id}"' not in page
    again = client.post(f"/funds/entries/{donation.entry_id}/reverse/", {"reason": "再来"})
    assert again.status_code == 400 and "already reversed" in again.content.decode()


def test_the_signed_trace_link_shows_masked_recipients_without_login(keeper, unit, education, today, make_household):
    fund, budget = education
    household = make_household(community=IN_COMMUNITY)
    donation = _give(keeper, unit, 20000, today, account=fund)
    services.allocation_record(actor=keeper, from_account=fund, to_account=budget, amount_fen=15000, date=today)
    services.disbursement_record(actor=keeper, account=budget, household=household, amount_fen=10000, date=today)
    page = _client().get(f"/funds/trace/{tokens.sign(donation.pk)}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "150.00" in text and "100.00" in text and "张*" in text and "张三" not in text
    assert _client().get(f"/funds/trace/{donation.pk}:forged/").status_code == 404
    assert _client().get(f"/funds/trace/{tokens.sign(donation.pk)}x/").status_code == 404


def test_public_page_shows_totals_and_hides_names_without_consent(keeper, unit, education, today):
    fund, budget = education
    named = services.donor_register(actor=keeper, kind="person", name="李先生", consent_to_name=True, alias="李爱心")
    plain = services.donor_register(actor=keeper, kind="person", name="赵女士")
    hidden = services.donor_register(actor=keeper, kind="person", name="钱先生", anonymous=True)
    _give(keeper, unit, 10001, today, account=fund, donor=named)
    _give(keeper, unit, 20002, today, account=fund, donor=plain)
    _give(keeper, unit, 30003, today, donor=hidden)
    services.allocation_record(actor=keeper, from_account=fund, to_account=budget, amount_fen=5000, date=today)
    page = _client().get(f"/funds/public/{unit.code}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "李爱心" in text and "李先生" not in text and "赵女士" not in text and "钱先生" not in text
    disclosure = selectors.unit_disclosure(unit)
    assert disclosure["raised_fen"] == 60006 and disclosure["allocated_fen"] == 5000
    assert disclosure["balance_fen"] == 60006 and disclosure["spent_fen"] == 0
    assert "600.06" in text and "50.00" in text
    assert _client().get("/funds/public/no-such-unit/").status_code == 404


def test_every_officer_page_renders(keeper, unit, users, education, today):
    donor = services.donor_register(actor=keeper, kind="person", name="王女士", alias="春风")
    donation = _give(keeper, unit, 20000, today, donor=donor, account=education[0])
    services.receipt_issue(actor=keeper, donation=donation)
    client = _client(keeper)
    for url in (
        f"/funds/units/{unit.pk}/donations/",
        f"/funds/units/{unit.pk}/donations/new/",
        f"/funds/units/{unit.pk}/allocate/",
        f"/funds/donations/{donation.pk}/",
        f"/funds/donations/{donation.pk}/trace/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    assert f"{today.year}-000001" in client.get(f"/funds/units/{unit.pk}/donations/").content.decode()
    index = _client(users[Role.CITY_ADMIN]).get("/funds/")
    assert index.status_code == 200 and unit.name in index.content.decode()
