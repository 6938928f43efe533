"""Payments pages through the client: the roll list and the prepare form, the roll page with its actions, the
bank file, the results upload (a rejected file lists its problems, nothing written), the payee account form,
the callback list and form; scope (404 outside the region) and roles (403 for non-managers)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from conftest import OUT_COMMUNITY
from zhongfu.accounts.models import User
from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.payments import services
from zhongfu.payments.models import Callback, LineStatus, PayeeAccount, PaymentLine, PaymentRoll, RollStatus
from zhongfu.regions.models import Region
from zhongfu.registry.models import Membership

from .test_rolls import issue_and_import, results_csv

pytestmark = pytest.mark.django_db

CLEAR = "6222021202001234567"
MASKED = "622202*********4567"


@pytest.fixture(autouse=True)
def _english_pages(client, settings):
    """Pages are Chinese unless the language cookie says otherwise; messages are asserted by their msgids."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def admin(users):
    return users[Role.CITY_ADMIN]


def roll_url(roll, name="payments:roll", *args):
    return reverse(name, args=[roll.pk, *args])


def text(response) -> str:
    return response.content.decode()


def test_list_prepare_and_roll_page_with_masked_lines_and_checked_totals(approved_case, admin, client):
    case = approved_case()
    client.force_login(admin)
    page = client.get(reverse("payments:rolls"))
    assert page.status_code == 200 and 'data-testid="prepare-form"' in text(page)
    response = client.post(reverse("payments:rolls"), {"month": f"{case.payment_from:%Y-%m}"})
    roll = PaymentRoll.objects.get()
    assert response.status_code == 302 and response["Location"] == roll_url(roll)
    listing = text(client.get(reverse("payments:rolls")))
    assert f'data-testid="roll-{roll.number}"' in listing and f"{case.payment_from:%Y-%m}" in listing
    from zhongfu.common.money import fen_to_yuan_text

    assert fen_to_yuan_text(case.amount_fen) in listing
    detail = text(client.get(roll_url(roll)))
    assert MASKED in detail and CLEAR not in detail
    assert "王*" in detail and "王建国" not in detail
    assert f'data-testid="total-fen">{case.amount_fen}<' in detail
    assert "The stored count and total equal the sum of the lines" in detail
    assert 'data-testid="issue"' in detail


def test_prepare_errors_are_400_with_a_message_and_nothing_written(approved_case, admin, client):
    case = approved_case()
    client.force_login(admin)
    month = f"{case.payment_from:%Y-%m}"
    assert client.post(reverse("payments:rolls"), {"month": month}).status_code == 302
    entries = AuditEntry.objects.count()
    again = client.post(reverse("payments:rolls"), {"month": month})
    assert again.status_code == 400 and "already prepared" in text(again)
    bad = client.post(reverse("payments:rolls"), {"month": "2025-13"})
    assert bad.status_code == 400 and "Enter a month as YYYY-MM." in text(bad)
    assert PaymentRoll.objects.count() == 1 and AuditEntry.objects.count() == entries


def test_non_managers_get_403_and_read_only_their_scope(approved_case, admin, users, client, out_community):
    mine, theirs = approved_case(), approved_case(community=out_community)
    roll = services.roll_prepare(actor=admin, month=max(mine.payment_from, theirs.payment_from))
    for role in (Role.STREET_CASEWORKER, Role.COMMUNITY_WORKER, Role.AUDITOR):
        client.force_login(users[role])
        listing = client.get(reverse("payments:rolls"))
        assert listing.status_code == 200 and 'data-testid="prepare-form"' not in text(listing)
        assert client.post(reverse("payments:rolls"), {"month": "2025-01"}).status_code == 403
        page = client.get(roll_url(roll))
        # The city's roll is visible; only the lines of households in the user's scope are listed.
        assert page.status_code == 200 and 'data-testid="roll-actions"' not in text(page)
        assert mine.household.number in text(page) and theirs.household.number not in text(page)
        assert client.post(roll_url(roll, "payments:roll_act", "issue")).status_code == 403
        assert client.get(roll_url(roll, "payments:roll_file", "csv")).status_code == 403
        upload = SimpleUploadedFile("r.csv", results_csv(roll))
        assert client.post(roll_url(roll, "payments:roll_results"), {"file": upload}).status_code == 403
    assert PaymentRoll.objects.get(pk=roll.pk).status == RollStatus.DRAFT
    client.force_login(users[Role.CHARITY_STAFF])
    assert client.get(reverse("payments:rolls")).status_code == 403


def test_a_roll_outside_the_region_is_404(approved_case, users, client, out_community):
    theirs = approved_case(community=out_community)
    other_district = User.objects.create(
        username="t_other_district", role=Role.DISTRICT_CASEWORKER, region=Region.objects.get(code=OUT_COMMUNITY[:6])
    )
    roll = services.roll_prepare(actor=other_district, month=theirs.payment_from)
    assert roll.region_prefix == OUT_COMMUNITY[:6] and roll.line_count == 1
    for role in (Role.DISTRICT_CASEWORKER, Role.STREET_CASEWORKER, Role.COMMUNITY_WORKER, Role.AUDITOR):
        client.force_login(users[role])
        assert client.get(roll_url(roll)).status_code == 404, role
        assert client.post(roll_url(roll, "payments:roll_act", "issue")).status_code == 404, role
        assert client.get(roll_url(roll, "payments:roll_file", "xlsx")).status_code == 404, role
        assert roll.number not in text(client.get(reverse("payments:rolls")))
        url = reverse("payments:payee_account", args=[theirs.household_id])
        assert client.get(url).status_code == 404 and client.post(url, {}).status_code == 404
    assert PaymentRoll.objects.get(pk=roll.pk).status == RollStatus.DRAFT


def test_issue_download_reject_import_reissue_close(approved_case, admin, users, client):
    a, b = approved_case(), approved_case()
    client.force_login(admin)
    roll = services.roll_prepare(actor=admin, month=max(a.payment_from, b.payment_from))
    # The bank file of a draft roll is refused on the page.
    response = client.get(roll_url(roll, "payments:roll_file", "csv"))
    assert response.status_code == 400 and "Issue the roll first" in text(response)
    assert client.post(roll_url(roll, "payments:roll_act", "issue")).status_code == 302
    roll.refresh_from_db()
    assert roll.status == RollStatus.ISSUED
    for fmt, kind in (("csv", "text/csv"), ("xlsx", "spreadsheetml")):
        response = client.get(roll_url(roll, "payments:roll_file", fmt))
        assert response.status_code == 200 and kind in response["Content-Type"]
        assert f"ZFPAY_{roll.number}_" in response["Content-Disposition"]
    assert CLEAR.encode() in client.get(roll_url(roll, "payments:roll_file", "csv")).content
    assert client.get(roll_url(roll, "payments:roll_file", "pdf")).status_code == 400
    # A file with faults: every problem listed by row, nothing written.
    ref_a, ref_b = (roll.lines.get(case=c).reference for c in (a, b))
    bad = results_csv(roll, amounts={ref_b: 1}, extra=[["PR-nope", 1, "成功", ""]])
    entries = AuditEntry.objects.count()
    response = client.post(roll_url(roll, "payments:roll_results"), {"file": SimpleUploadedFile("r.csv", bad)})
    page = text(response)
    assert response.status_code == 400 and 'data-testid="problems"' in page and "2 problems" in page
    assert "<td>3</td><td>金额（分）</td>" in page and "<td>4</td><td>明细编号</td>" in page
    assert set(roll.lines.values_list("status", flat=True)) == {LineStatus.PENDING}
    assert AuditEntry.objects.count() == entries
    # An empty upload is a form error, also 400.
    assert client.post(roll_url(roll, "payments:roll_results"), {}).status_code == 400
    good = SimpleUploadedFile("r.csv", results_csv(roll, failed=[ref_b]))
    assert client.post(roll_url(roll, "payments:roll_results"), {"file": good}).status_code == 302
    assert dict(roll.lines.values_list("case_id", "status")) == {a.pk: "paid", b.pk: "failed"}
    # Reissue before the account is corrected: refused with the reason, nothing written.
    response = client.post(roll_url(roll, "payments:roll_act", "reissue"))
    assert response.status_code == 400 and "corrected payee account" in text(response)
    head = Membership.objects.get(household=b.household, relation="head", end_date__isnull=True)
    client.post(
        reverse("payments:payee_account", args=[b.household_id]),
        {"payee_id": head.person_id, "bank_name": "杭州银行", "account_number": "6217001234567890123"},
    )
    response = client.post(roll_url(roll, "payments:roll_act", "reissue"))
    supplementary = PaymentRoll.objects.exclude(pk=roll.pk).get()
    assert response.status_code == 302 and response["Location"] == roll_url(supplementary)
    page = text(client.get(roll_url(supplementary)))
    assert "reissue of" in page
    assert ref_b in page and "621700*********0123" in page
    assert client.post(roll_url(roll, "payments:roll_act", "close")).status_code == 302
    assert PaymentRoll.objects.get(pk=roll.pk).status == RollStatus.CLOSED
    assert client.post(roll_url(roll, "payments:roll_act", "nonsense")).status_code == 404


def test_issue_without_an_account_shows_the_households(approved_case, admin, client):
    case = approved_case(account=False)
    roll = services.roll_prepare(actor=admin, month=case.payment_from)
    client.force_login(admin)
    page = text(client.get(roll_url(roll)))
    assert reverse("payments:payee_account", args=[case.household_id]) in page
    response = client.post(roll_url(roll, "payments:roll_act", "issue"))
    assert response.status_code == 400 and "no payee account" in text(response)
    assert case.household.number in text(response)
    assert PaymentRoll.objects.get(pk=roll.pk).status == RollStatus.DRAFT


def test_payee_account_form(approved_case, users, client):
    case = approved_case(account=False)
    url = reverse("payments:payee_account", args=[case.household_id])
    head = Membership.objects.get(household=case.household, relation="head", end_date__isnull=True)
    client.force_login(users[Role.COMMUNITY_WORKER])
    page = text(client.get(url))
    assert 'data-testid="no-account"' in page and 'data-testid="account-form"' in page and "王*" in page
    response = client.post(url, {"payee_id": head.person_id, "bank_name": "杭州银行", "account_number": "12ab"})
    assert response.status_code == 400 and "An account number is 10 to 30 digits." in text(response)
    assert not PayeeAccount.objects.exists()
    response = client.post(url, {"payee_id": 999999, "bank_name": "杭州银行", "account_number": CLEAR})
    assert response.status_code == 400 and not PayeeAccount.objects.exists()
    response = client.post(url, {"payee_id": head.person_id, "bank_name": "杭州银行", "account_number": CLEAR})
    assert response.status_code == 302
    page = text(client.get(url))
    assert MASKED in page and CLEAR not in page
    client.force_login(users[Role.AUDITOR])
    page = client.get(url)
    assert page.status_code == 200 and 'data-testid="account-form"' not in text(page) and MASKED in text(page)
    assert (
        client.post(url, {"payee_id": head.person_id, "bank_name": "x银行", "account_number": CLEAR}).status_code == 403
    )
    assert PayeeAccount.objects.get().bank_name == "杭州银行"


def test_callback_list_and_form(approved_case, admin, users, client, out_community, settings):
    settings.ZHONGFU_CALLBACK_SHARE = 1.0
    mine, theirs = approved_case(), approved_case(community=out_community)
    roll = services.roll_prepare(actor=admin, month=max(mine.payment_from, theirs.payment_from))
    issue_and_import(roll, admin)
    own = Callback.objects.get(household=mine.household)
    other = Callback.objects.get(household=theirs.household)
    community = users[Role.COMMUNITY_WORKER]
    client.force_login(community)
    listing = text(client.get(reverse("payments:callbacks")))
    assert f'data-testid="callback-{own.pk}"' in listing and f'data-testid="callback-{other.pk}"' not in listing
    assert client.get(reverse("payments:callback", args=[other.pk])).status_code == 404
    url = reverse("payments:callback", args=[own.pk])
    assert 'data-testid="callback-form"' in text(client.get(url))
    response = client.post(url, {"reached": "yes", "received": "no"})
    assert response.status_code == 400 and "Satisfaction is from 1 to 5." in text(response)
    response = client.post(url, {"reached": "yes", "received": "no", "satisfaction": "2", "amount_confirmed": "1.234"})
    assert response.status_code == 400
    assert Callback.objects.get(pk=own.pk).done_at is None
    response = client.post(url, {"reached": "no", "notes": "无人接听"})
    assert response.status_code == 302 and Callback.objects.get(pk=own.pk).status == "open"
    response = client.post(
        url, {"reached": "yes", "received": "partly", "satisfaction": "3", "amount_confirmed": "100.50"}
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert (own.status, own.received, own.amount_confirmed_fen, own.satisfaction) == ("done", "partly", 10050, 3)
    assert f'data-testid="callback-{own.pk}"' in text(client.get(reverse("payments:callbacks") + "?filter=flagged"))
    assert f'data-testid="callback-{own.pk}"' not in text(client.get(reverse("payments:callbacks")))
    assert 'data-testid="already-done"' in text(client.get(url))
    assert client.post(url, {"reached": "yes", "received": "yes", "satisfaction": "5"}).status_code == 400
    # The roll page shows the flag; a member unit sees the list but records nothing.
    client.force_login(admin)
    assert 'data-testid="flagged"' in text(client.get(roll_url(roll)))
    client.force_login(users[Role.UNIT_STAFF])
    assert client.get(reverse("payments:callbacks")).status_code == 200
    assert client.get(url).status_code == 403


def test_benefit_list_shows_what_was_paid(approved_case, admin, users, client):
    """The disclosure hook: the household's 幸福清单 lists the payments the bank reported paid."""
    from zhongfu.common.money import fen_to_yuan_text
    from zhongfu.disclosure import selectors as disclosure

    case = approved_case()
    assert disclosure.benefits_received(household=case.household) == []
    roll = services.roll_prepare(actor=admin, month=case.payment_from)
    issue_and_import(roll, admin)
    line = PaymentLine.objects.get(roll=roll)
    received = disclosure.household_benefit_list(household=case.household).received
    assert [(r["month"], r["policy_code"], r["amount_fen"], r["paid_on"]) for r in received] == [
        (case.payment_from, "dibao", case.amount_fen, timezone.localdate(line.result_at))
    ]
    client.force_login(users[Role.COMMUNITY_WORKER])
    page = text(client.get(reverse("disclosure:staff_benefits", args=[case.household_id])))
    section = page.split('data-testid="received"')[1]
    assert fen_to_yuan_text(case.amount_fen) in section and f"{timezone.localdate(line.result_at):%Y-%m-%d}" in section
