"""Pledges (promised, received, outstanding, overdue instalments, cancel) and recurring gifts (one payment
order per instruction and month, none twice, the gift recorded on the provider's callback); the pages of
batches, pledges and recurring gifts with their permissions and unit scope."""

import datetime as dt
import io
import json

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from zhongfu.accounts.models import Unit, User
from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.common.errors import InvalidInput, PermissionDenied
from zhongfu.funds import pledges, providers, services
from zhongfu.funds.models import (
    Donation,
    GiftBatch,
    LedgerEntry,
    OrderStatus,
    PaymentOrder,
    PledgeStatus,
    RecurringCharge,
    RecurringStatus,
)

from .test_batches import _csv, _rows

pytestmark = pytest.mark.django_db
SIM = providers.PROVIDERS["sim"]


def _client(user=None) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def other_keeper(regions):
    other = Unit.objects.create(
        code="union-xh", name="西湖区总工会", kind=Unit.Kind.FEDERATION, region=regions["district"]
    )
    return User.objects.create(username="t_other_keeper", role=Role.UNIT_STAFF, region=regions["district"], unit=other)


@pytest.fixture
def donor(keeper):
    return services.donor_register(actor=keeper, kind="person", name="王芳")


def _gift(keeper, unit, donor, fen, date, account=None):
    return services.donation_record_offline(
        actor=keeper, unit=unit, amount_fen=fen, channel="cash", received_on=date, donor=donor, account=account
    )


# --- pledges ---------------------------------------------------------------------------------------------


def test_a_pledge_shows_promised_received_outstanding_and_overdue_instalments(keeper, unit, donor, education, today):
    fund, _budget = education
    start = today - dt.timedelta(days=60)
    entries = LedgerEntry.objects.count()
    pledge = pledges.pledge_create(
        actor=keeper,
        unit=unit,
        donor=donor,
        amount_fen=300_000,
        pledged_on=start,
        account=fund,
        instalments=[
            (start + dt.timedelta(days=10), 100_000),
            (start + dt.timedelta(days=30), 100_000),
            (today + dt.timedelta(days=30), 100_000),
        ],
    )
    assert LedgerEntry.objects.count() == entries  # a pledge is not money
    figures = pledges.pledge_figures(pledge, today=today)
    assert (figures["received_fen"], figures["outstanding_fen"], figures["overdue_count"]) == (0, 300_000, 2)

    first = _gift(keeper, unit, donor, 150_000, today, account=fund)
    pledges.pledge_link_gift(actor=keeper, pledge=pledge, donation=first)
    figures = pledges.pledge_figures(pledge, today=today)
    assert figures["received_fen"] == 150_000 and figures["outstanding_fen"] == 150_000
    assert [(r["met_fen"], r["overdue"]) for r in figures["instalments"]] == [
        (100_000, False),
        (50_000, True),
        (0, False),
    ]
    assert figures["overdue_fen"] == 50_000

    # A refund lowers what was received; a gift counts once; another donor's or fund's gift is refused.
    services.refund_record(actor=keeper, donation=first, amount_fen=50_000, reason="捐赠人要求", date=today)
    assert pledges.pledge_figures(pledge, today=today)["received_fen"] == 100_000
    with pytest.raises(InvalidInput, match="already counts"):
        pledges.pledge_link_gift(actor=keeper, pledge=pledge, donation=first)
    general = _gift(keeper, unit, donor, 1000, today)
    with pytest.raises(InvalidInput, match="another fund"):
        pledges.pledge_link_gift(actor=keeper, pledge=pledge, donation=general)
    stranger = _gift(keeper, unit, None, 1000, today, account=fund)
    with pytest.raises(InvalidInput, match="not from the pledge's donor"):
        pledges.pledge_link_gift(actor=keeper, pledge=pledge, donation=stranger)

    rest = _gift(keeper, unit, donor, 200_000, today, account=fund)
    pledges.pledge_link_gift(actor=keeper, pledge=pledge, donation=rest)
    figures = pledges.pledge_figures(pledge, today=today)
    assert figures["outstanding_fen"] == 0 and figures["fulfilled"] and figures["overdue_count"] == 0


def test_instalments_add_up_and_a_pledge_is_cancelled_with_a_reason(keeper, unit, donor, today):
    with pytest.raises(InvalidInput, match="add up"):
        pledges.pledge_create(
            actor=keeper, unit=unit, donor=donor, amount_fen=1000, pledged_on=today, instalments=[(today, 600)]
        )
    with pytest.raises(InvalidInput):
        pledges.pledge_create(actor=keeper, unit=unit, donor=donor, amount_fen=0, pledged_on=today)
    pledge = pledges.pledge_create(actor=keeper, unit=unit, donor=donor, amount_fen=1000, pledged_on=today)
    with pytest.raises(InvalidInput):
        pledges.pledge_cancel(actor=keeper, pledge=pledge, reason="")
    pledges.pledge_cancel(actor=keeper, pledge=pledge, reason="企业经营困难")
    pledge.refresh_from_db()
    assert pledge.status == PledgeStatus.CANCELLED and pledge.cancel_reason == "企业经营困难"
    assert pledges.pledge_figures(pledge)["outstanding_fen"] == 0
    gift = _gift(keeper, unit, donor, 1000, today)
    with pytest.raises(InvalidInput, match="cancelled"):
        pledges.pledge_link_gift(actor=keeper, pledge=pledge, donation=gift)
    assert AuditEntry.objects.filter(object_type="pledge", reason="企业经营困难").exists()


# --- recurring gifts -------------------------------------------------------------------------------------


def _callback(client, order, txn_id):
    body = SIM.callback(order, txn_id=txn_id)
    return client.post("/api/funds/callbacks/sim", data=json.dumps(body), content_type="application/json")


def test_a_recurring_gift_makes_one_order_a_month_and_the_gift_is_recorded_on_the_callback(keeper, unit, education):
    fund, _budget = education
    instruction = pledges.recurring_create(
        actor=keeper,
        unit=unit,
        amount_fen=10_000,
        day_of_month=5,
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 3, 31),
        account=fund,
        donor_name="李雷",
        consent_to_name=True,
    )
    assert pledges.recurring_charges_make(today=dt.date(2026, 1, 4)) == []  # the day has not come
    made = pledges.recurring_charges_make(today=dt.date(2026, 1, 5))
    assert len(made) == 1 and made[0].order.amount_fen == 10_000 and made[0].order.account == fund
    # Again the same day, later that month, and through the daily command: nothing more.
    assert pledges.recurring_charges_make(today=dt.date(2026, 1, 5)) == []
    assert pledges.recurring_charges_make(today=dt.date(2026, 1, 28)) == []
    out = io.StringIO()
    call_command("funds_recurring", "--today", "2026-01-20", stdout=out)
    assert "0 payment orders" in out.getvalue()
    assert PaymentOrder.objects.count() == 1 and not Donation.objects.exists()

    order = made[0].order
    assert _callback(Client(), order, "SIM-R-1").status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.donation.amount_fen == 10_000
    assert order.donation.account == fund and order.donation.receipts.count() == 1

    call_command("funds_recurring", "--today", "2026-02-05", stdout=io.StringIO())
    assert RecurringCharge.objects.filter(instruction=instruction).count() == 2
    pledges.recurring_set_status(actor=keeper, instruction=instruction, action="pause")
    assert pledges.recurring_charges_make(today=dt.date(2026, 3, 5)) == []
    pledges.recurring_set_status(actor=keeper, instruction=instruction, action="resume")
    assert len(pledges.recurring_charges_make(today=dt.date(2026, 3, 6))) == 1
    assert pledges.recurring_charges_make(today=dt.date(2026, 4, 5)) == []  # after its end
    pledges.recurring_set_status(actor=keeper, instruction=instruction, action="stop")
    with pytest.raises(InvalidInput):
        pledges.recurring_set_status(actor=keeper, instruction=instruction, action="resume")
    instruction.refresh_from_db()
    assert instruction.status == RecurringStatus.STOPPED
    assert Donation.objects.count() == 1  # only the paid order is money


def test_recurring_gifts_are_checked(keeper, unit, users):
    base = {"actor": keeper, "unit": unit, "amount_fen": 100, "starts_on": dt.date(2026, 1, 1), "donor_name": "甲"}
    with pytest.raises(InvalidInput, match="1 to 28"):
        pledges.recurring_create(**base, day_of_month=31)
    with pytest.raises(InvalidInput, match="end"):
        pledges.recurring_create(**base, day_of_month=1, ends_on=dt.date(2025, 1, 1))
    with pytest.raises(PermissionDenied):
        pledges.recurring_create(**{**base, "actor": users[Role.STREET_CASEWORKER]}, day_of_month=1)


# --- pages -----------------------------------------------------------------------------------------------


def test_batch_pages_upload_report_and_list(keeper, unit, education, today):
    client = _client(keeper)
    assert client.get(f"/funds/units/{unit.pk}/batches/").status_code == 200
    template = client.get(f"/funds/units/{unit.pk}/batches/template.xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
    bad = _rows(today) + [[today.isoformat(), "person", "甲", "", "", "", "", "-1", "cash", "", "", "", ""]]
    page = client.post(f"/funds/units/{unit.pk}/batches/", {"file": _upload(_csv(bad))})
    assert page.status_code == 400
    text = page.content.decode()
    assert "Nothing was recorded" in text and "<td>5</td><td>amount (yuan)</td>" in text
    assert not GiftBatch.objects.exists()
    done = client.post(f"/funds/units/{unit.pk}/batches/", {"file": _upload(_csv(_rows(today)))})
    batch = GiftBatch.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/funds/batches/{batch.pk}/"
    detail = client.get(f"/funds/batches/{batch.pk}/").content.decode()
    assert "杭州春风科技有限公司" in detail and "500.00" not in detail and "50,000.00" in detail
    again = client.post(f"/funds/units/{unit.pk}/batches/", {"file": _upload(_csv(_rows(today)))})
    assert again.status_code == 400 and f"batch {batch.pk}" in again.content.decode()


def _upload(content: bytes, name: str = "gifts.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_batch_entry_page_records_typed_rows_or_reports_them(keeper, unit, today):
    client = _client(keeper)
    assert client.get(f"/funds/units/{unit.pk}/batches/entry/").status_code == 200
    data = {
        "rows": "3",
        "save": "1",
        "r0-date": today.isoformat(),
        "r0-donor_kind": "person",
        "r0-donor_name": "韩梅",
        "r0-amount": "88",
        "r0-channel": "cash",
        "r1-date": today.isoformat(),
        "r1-amount": "0.001",
        "r1-channel": "cash",
        "r1-anonymous": "yes",
    }
    page = client.post(f"/funds/units/{unit.pk}/batches/entry/", data)
    assert page.status_code == 400 and "<td>2</td><td>amount (yuan)</td>" in page.content.decode()
    assert not Donation.objects.exists()
    data["r1-amount"] = "12.50"
    assert client.post(f"/funds/units/{unit.pk}/batches/entry/", data).status_code == 302
    assert sorted(Donation.objects.values_list("amount_fen", flat=True)) == [1250, 8800]


def test_pledge_and_recurring_pages(keeper, unit, donor, education, today):
    fund, _budget = education
    client = _client(keeper)
    response = client.post(
        f"/funds/units/{unit.pk}/pledges/",
        {
            "donor": donor.pk,
            "amount": "3000",
            "pledged_on": today.isoformat(),
            "account": fund.pk,
            "instalments": f"{today.isoformat()} 1000\n{(today + dt.timedelta(days=30)).isoformat()} 2000",
        },
    )
    assert response.status_code == 302
    pledge = donor.pledges.get()
    gift = _gift(keeper, unit, donor, 120_000, today, account=fund)
    assert client.post(f"/funds/pledges/{pledge.pk}/link/", {"donation": gift.pk}).status_code == 302
    page = client.get(f"/funds/pledges/{pledge.pk}/").content.decode()
    assert 'data-testid="received" data-fen="120000"' in page and 'data-testid="outstanding" data-fen="180000"' in page
    assert client.post(f"/funds/pledges/{pledge.pk}/cancel/", {"reason": ""}).status_code == 400
    assert client.post(f"/funds/pledges/{pledge.pk}/cancel/", {"reason": "撤回"}).status_code == 302
    bad = client.post(f"/funds/units/{unit.pk}/pledges/", {"donor": donor.pk, "amount": "-3", "pledged_on": "x"})
    assert bad.status_code == 400

    response = client.post(
        f"/funds/units/{unit.pk}/recurring/",
        {"donor_name": "李雷", "amount": "100", "day_of_month": "5", "starts_on": today.isoformat()},
    )
    assert response.status_code == 302
    assert client.post(response["Location"] + "pause/").status_code == 302
    assert 'data-testid="status">paused<' in client.get(response["Location"]).content.decode()


def test_pages_are_for_bookkeepers_of_the_unit(keeper, unit, donor, other_keeper, users, today):
    batch_pledge = pledges.pledge_create(actor=keeper, unit=unit, donor=donor, amount_fen=1000, pledged_on=today)
    instruction = pledges.recurring_create(
        actor=keeper, unit=unit, amount_fen=100, day_of_month=1, starts_on=today, donor_name="甲"
    )
    urls = [
        f"/funds/units/{unit.pk}/batches/",
        f"/funds/units/{unit.pk}/batches/entry/",
        f"/funds/units/{unit.pk}/batches/template.xlsx",
        f"/funds/units/{unit.pk}/pledges/",
        f"/funds/pledges/{batch_pledge.pk}/",
        f"/funds/units/{unit.pk}/recurring/",
        f"/funds/recurring/{instruction.pk}/",
    ]
    caseworker, other = _client(users[Role.STREET_CASEWORKER]), _client(other_keeper)
    for url in urls:
        assert caseworker.get(url).status_code == 403, url
        assert other.get(url).status_code == 404, url
    assert other.post(f"/funds/pledges/{batch_pledge.pk}/cancel/", {"reason": "不要了"}).status_code == 404
    assert other.post(f"/funds/recurring/{instruction.pk}/stop/").status_code == 404
    batch_pledge.refresh_from_db()
    instruction.refresh_from_db()
    assert batch_pledge.status == PledgeStatus.OPEN and instruction.status == RecurringStatus.ACTIVE
    assert _client(users[Role.CITY_ADMIN]).get(urls[0]).status_code == 200


def test_the_pages_render_in_chinese_with_data(keeper, unit, donor, education, today):
    fund, _budget = education
    pledge = pledges.pledge_create(
        actor=keeper,
        unit=unit,
        donor=donor,
        amount_fen=2000,
        pledged_on=today - dt.timedelta(days=5),
        account=fund,
        instalments=[(today - dt.timedelta(days=1), 1000), (today + dt.timedelta(days=9), 1000)],
    )
    instruction = pledges.recurring_create(
        actor=keeper, unit=unit, amount_fen=100, day_of_month=1, starts_on=today.replace(day=1), donor_name="甲"
    )
    pledges.recurring_charges_make(today=today)
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    client.force_login(keeper)
    pledge_list = client.get(f"/funds/units/{unit.pk}/pledges/").content.decode()
    assert "王芳" in pledge_list and "20.00" in pledge_list
    assert "逾期" in pledge_list or "overdue" in pledge_list
    assert client.get(f"/funds/pledges/{pledge.pk}/").status_code == 200
    detail = client.get(f"/funds/recurring/{instruction.pk}/").content.decode()
    assert today.strftime("%Y-%m") in detail
    assert client.get(f"/funds/units/{unit.pk}/recurring/").status_code == 200
    # "More rows" keeps what was typed and adds rows.
    grid = client.post(f"/funds/units/{unit.pk}/batches/entry/", {"rows": "2", "more": "1", "r0-donor_name": "韩梅"})
    text = grid.content.decode()
    assert grid.status_code == 200 and 'value="韩梅"' in text and 'name="r9-amount"' in text
