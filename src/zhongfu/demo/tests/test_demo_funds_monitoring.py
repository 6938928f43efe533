"""The demo command's charity money and monitoring work, at a small city: the books balance and their receipts
have no gaps, the union's public pages show the drive, warnings of several kinds await the workers, and a second
run with --if-empty adds nothing."""

import time

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum
from django.urls import reverse

from zhongfu.accounts.models import User
from zhongfu.audit.services import audit_verify
from zhongfu.common.personal_data import mask_name
from zhongfu.common.templatetags.zhongfu import yuan
from zhongfu.funds.demo import DRIVE_CODE, UNION, demo_funds_generate
from zhongfu.funds.drives import drive_disclosure, honor_wall
from zhongfu.funds.models import (
    BankStatementLine,
    Disbursement,
    Donation,
    Drive,
    Inquiry,
    LedgerEntry,
    LedgerLine,
    Period,
    PledgeGift,
    Receipt,
    StatementLineStatus,
)
from zhongfu.monitoring.demo import demo_monitoring_generate
from zhongfu.monitoring.models import Warning, WarningOutcome

pytestmark = pytest.mark.django_db


def _counts() -> tuple:
    return (LedgerEntry.objects.count(), Receipt.objects.count(), Warning.objects.count())


def test_demo_books_and_warnings(client):
    # What `make run` does before the demo (Makefile, target db).
    call_command("policies", "sync")
    call_command("workdays", "sync")
    call_command("monitoring_sync")
    started = time.perf_counter()
    call_command("demo", households=300, seed=11, if_empty=True)
    took = time.perf_counter() - started

    # Every entry balances; each unit's receipts of a year are numbered 1..n without a gap.
    unbalanced = LedgerLine.objects.values("entry").annotate(s=Sum("amount_fen")).exclude(s=0)
    assert not unbalanced.exists()
    for unit_id, year, n in Receipt.objects.values_list("unit", "year").annotate(n=Count("pk")):
        numbers = sorted(Receipt.objects.filter(unit_id=unit_id, year=year).values_list("number", flat=True))
        assert numbers == list(range(1, n + 1))
    assert Donation.objects.filter(unit__code=UNION).count() >= 100
    assert Donation.objects.filter(channel="online").exists()
    assert Disbursement.objects.values("household").distinct().count() >= 20
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    assert LedgerEntry.objects.filter(kind="reversal").count() == 1
    assert Period.objects.filter(locked=True).exists()
    assert PledgeGift.objects.count() == 1
    unmatched = BankStatementLine.objects.filter(status=StatementLineStatus.UNMATCHED)
    assert [line.memo for line in unmatched] == ["账户管理费"]
    assert sorted(i.is_open for i in Inquiry.objects.all()) == [False, True]

    # The union's public pages show the drive and its totals, to the fen, and its honor wall has names.
    drive = Drive.objects.get(code=DRIVE_CODE, unit__code=UNION)
    figures = drive_disclosure(drive)
    assert figures["raised_fen"] > figures["allocated_fen"] > figures["spent_fen"] > 0
    unit_page = client.get(reverse("funds:disclosure", args=[UNION])).content.decode()
    assert reverse("funds:drive", args=[UNION, DRIVE_CODE]) in unit_page
    page = client.get(reverse("funds:drive", args=[UNION, DRIVE_CODE])).content.decode()
    for key in ("raised", "allocated"):
        assert f'data-testid="total-{key}">{yuan(figures[f"{key}_fen"])}<' in page
    assert any(row["name"] == "恒远爱心" for row in honor_wall(drive))
    assert drive.notes.exists()

    # The union's officer traces the first large gift to the households it paid, named only masked.
    gift = Donation.objects.filter(unit__code=UNION, account__code="cf-relief").order_by("received_on", "pk").first()
    client.force_login(User.objects.get(username="union"))
    trace = client.get(reverse("funds:trace", args=[gift.pk])).content.decode()
    paid = Disbursement.objects.filter(account__unit__code=UNION).select_related("household")
    heads = {m.person.name for d in paid for m in d.household.memberships.select_related("person")}
    assert heads and not any(name in trace for name in heads)
    assert any(mask_name(name) in trace for name in heads)
    client.logout()

    # Warnings of at least two kinds, some closed with outcomes, one fed back to its department.
    kinds = set(Warning.objects.values_list("kind", flat=True))
    assert len(kinds) >= 2, kinds
    assert Warning.objects.filter(outcome=WarningOutcome.DATA_WRONG).exists()
    assert audit_verify().ok

    # Again with --if-empty: nothing is added; nor by either generator called again on its own.
    before = _counts()
    call_command("demo", households=300, seed=11, if_empty=True)
    assert "nothing changed" in demo_funds_generate(11)["message"]
    assert "nothing changed" in demo_monitoring_generate(11)["message"]
    assert _counts() == before
    assert took < 60, took
