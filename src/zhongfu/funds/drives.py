"""Fundraising drives and what is published about them: creating a drive, its figures to the fen (raised,
allocated, spent, balance) with a quarterly report for drives over 6 months, its honor wall (爱心碑) from
the rules held as data, its correction notes, and the same report as a spreadsheet.

A drive's money is found by its code: the unit's restricted funds and budgets whose project restriction is
the drive's code hold it (docs/funds.md, "Drives"). Every figure is a sum over the live ledger (a reversed
entry and its reversal take no part), never a stored total."""

import datetime as dt
import io

import xlsxwriter
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zhongfu.accounts.models import Unit
from zhongfu.common.errors import InvalidInput, NotFound

from . import selectors
from .models import (
    AccountKind,
    Allocation,
    Disbursement,
    DisclosureNote,
    Donation,
    Donor,
    Drive,
    FundAccount,
    HonorRule,
    Refund,
)
from .services import _audit, _require_books, _text

# Fundraising plans are registered 10 days before the drive starts (DOMAIN_RULES.md, Charity money).
PLAN_LEAD_DAYS = 10
# Public fundraising over 6 months is disclosed every 3 months.
QUARTERLY_AFTER_MONTHS = 6

_LIVE = Q(entry__reversed_by__isnull=True)


# --- writes ----------------------------------------------------------------------------------------------


def _day(value, *, field: str) -> dt.date:
    # Unlike a ledger date (services._date), a drive's dates may lie ahead: drives are planned in advance.
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise InvalidInput(_("Enter a date."), field=field)
    return value


@transaction.atomic
def drive_create(*, actor, unit: Unit, code: str, name: str, starts_on, ends_on, plan_registered_on) -> Drive:
    """Create a unit's fundraising drive. Its code is the project code of the funds that collect for it; its
    plan must have been registered at least 10 days before it starts."""
    _require_books(actor, unit)
    code = _text(code, field="code", max_length=40)
    name = _text(name, field="name", max_length=100)
    starts_on = _day(starts_on, field="starts_on")
    ends_on = _day(ends_on, field="ends_on")
    plan_registered_on = _day(plan_registered_on, field="plan_registered_on")
    if ends_on < starts_on:
        raise InvalidInput(_("A drive cannot end before it starts."), field="ends_on")
    if plan_registered_on > starts_on - dt.timedelta(days=PLAN_LEAD_DAYS):
        raise InvalidInput(
            _("A fundraising plan is registered at least %(n)s days before the drive starts."),
            field="plan_registered_on",
            n=PLAN_LEAD_DAYS,
        )
    if Drive.objects.filter(unit=unit, code=code).exists():
        raise InvalidInput(_("The unit already has a drive with this code."), field="code")
    drive = Drive.objects.create(
        unit=unit,
        code=code,
        name=name,
        starts_on=starts_on,
        ends_on=ends_on,
        plan_registered_on=plan_registered_on,
        created_by=actor,
    )
    _audit(
        actor,
        "create",
        "drive",
        drive,
        {
            "unit": unit.code,
            "code": code,
            "name": name,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "plan_registered_on": plan_registered_on.isoformat(),
        },
    )
    return drive


@transaction.atomic
def disclosure_note_publish(*, actor, drive: Drive, text: str, reference: str) -> DisclosureNote:
    """Publish a correction of a drive's disclosure. It is shown on the drive's page from now on and is
    never changed: a wrong note is corrected by another note."""
    _require_books(actor, drive.unit)
    text = _text(text, field="text", max_length=2000)
    reference = _text(reference, field="reference", max_length=120)
    note = DisclosureNote.objects.create(
        drive=drive, published_at=timezone.now(), text=text, reference=reference, published_by=actor
    )
    _audit(actor, "create", "disclosure_note", note, {"drive": drive.code, "reference": reference, "text": text})
    return note


# --- reads -----------------------------------------------------------------------------------------------


def drive_public(*, unit_code: str, drive_code: str) -> Drive:
    drive = Drive.objects.select_related("unit").filter(unit__code=unit_code, code=drive_code).first()
    if drive is None:
        raise NotFound()
    return drive


def drive_of_unit(*, unit, drive_id: int) -> Drive:
    drive = Drive.objects.select_related("unit").filter(unit=unit, pk=drive_id).first()
    if drive is None:
        raise NotFound()
    return drive


def drives_of(unit):
    return Drive.objects.filter(unit=unit).order_by("-starts_on", "code")


def project_accounts(unit, project: str):
    """The funds and budgets of a unit restricted to a project code."""
    return FundAccount.objects.filter(
        unit=unit, restriction_project=project, kind__in=[AccountKind.RESTRICTED, AccountKind.BUDGET]
    )


def drive_accounts(drive: Drive):
    """The funds and budgets that hold the drive's money: those of its unit restricted to its code."""
    return project_accounts(drive.unit, drive.code)


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def reports_quarterly(drive: Drive) -> bool:
    """A drive lasting more than 6 months is disclosed every quarter."""
    return drive.ends_on > _add_months(drive.starts_on, QUARTERLY_AFTER_MONTHS)


def _movements(accounts):
    """The live gifts, refunds, allocations and payments of these accounts as (date, figure, fen)."""
    gifts = Donation.objects.filter(_LIVE, account__in=accounts)
    rows = [(d, "raised", fen) for d, fen in gifts.values_list("received_on", "amount_fen")]
    rows += [
        (d, "raised", -fen)
        for d, fen in Refund.objects.filter(_LIVE, donation__in=gifts).values_list("entry__date", "amount_fen")
    ]
    rows += [
        (d, "allocated", fen)
        for d, fen in Allocation.objects.filter(_LIVE, from_account__in=accounts).values_list(
            "entry__date", "amount_fen"
        )
    ]
    rows += [
        (d, "spent", fen)
        for d, fen in Disbursement.objects.filter(_LIVE, account__in=accounts).values_list("entry__date", "amount_fen")
    ]
    return rows


def _quarter(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def _totals(movements, accounts) -> dict:
    totals = {"raised_fen": 0, "allocated_fen": 0, "spent_fen": 0}
    for _when, figure, fen in movements:
        totals[f"{figure}_fen"] += fen
    totals["balance_fen"] = sum(selectors.account_balance_fen(a) for a in accounts)
    return totals


def project_disclosure(*, unit_code: str, project: str) -> dict:
    """A project's figures in a unit, the same way as a drive's: its restricted funds and budgets, raised,
    allocated, spent and balance to the fen. A project with no fund is not found."""
    accounts = project_accounts(Unit.objects.filter(code=unit_code).first(), project)
    if not accounts.exists():
        raise NotFound()
    unit = accounts.first().unit
    return {"unit": unit, "project": project, **_totals(_movements(accounts), accounts)}


def drive_disclosure(drive: Drive) -> dict:
    """The drive's figures to the fen. Raised: its gifts less their refunds; allocated: moved from its funds
    to project budgets; spent: paid to households from its budgets; balance: what its funds and budgets hold
    (raised less spent, plus anything allocated into its budgets from other funds). With a quarterly report,
    every movement falls in the calendar quarter of its date, so the quarters add up to the totals."""
    movements = _movements(drive_accounts(drive))
    totals = _totals(movements, drive_accounts(drive))
    quarters = []
    if reports_quarterly(drive):
        days = [drive.starts_on, drive.ends_on, *(m[0] for m in movements)]
        first, last = _quarter(min(days)), _quarter(max(days))
        by_quarter: dict[tuple[int, int], dict] = {}
        year, q = first
        while (year, q) <= last:
            by_quarter[(year, q)] = {"year": year, "quarter": q, "raised_fen": 0, "allocated_fen": 0, "spent_fen": 0}
            year, q = (year, q + 1) if q < 4 else (year + 1, 1)
        for day, figure, fen in movements:
            by_quarter[_quarter(day)][f"{figure}_fen"] += fen
        quarters = list(by_quarter.values())
    return {
        "drive": drive,
        "unit": drive.unit,
        **totals,
        "quarterly": reports_quarterly(drive),
        "quarters": quarters,
        "notes": list(drive.notes.order_by("published_at", "pk")),
    }


def honor_rules_for(drive: Drive) -> dict[str, HonorRule]:
    """Per kind of donor, the rule in force on the day the drive starts."""
    rules = {}
    for rule in HonorRule.objects.filter(valid_from__lte=drive.starts_on).order_by("valid_from"):
        rules[rule.kind] = rule
    return rules


def honor_wall(drive: Drive) -> list[dict]:
    """The donors on the drive's honor wall: what each gave in the drive (live gifts less live refunds) is
    at least the threshold for its kind, and it consented to be named; shown by alias when it has one. A
    donor without consent is left off, not shown anonymised."""
    rules = honor_rules_for(drive)
    gifts = Donation.objects.filter(_LIVE, account__in=drive_accounts(drive), donor__isnull=False)
    given = dict(gifts.values_list("donor").annotate(s=Sum("amount_fen")).values_list("donor", "s"))
    refunded = (
        Refund.objects.filter(_LIVE, donation__in=gifts)
        .values_list("donation__donor")
        .annotate(s=Sum("amount_fen"))
        .values_list("donation__donor", "s")
    )
    for donor_id, fen in refunded:
        given[donor_id] -= fen
    wall = []
    donors = {d.pk: d for d in Donor.objects.filter(pk__in=given)}
    for donor_id, fen in given.items():
        donor = donors[donor_id]
        rule = rules.get(donor.kind)
        if rule is None or fen < rule.threshold_fen or not donor.public_name:
            continue
        wall.append({"name": donor.public_name, "kind": donor.get_kind_display(), "given_fen": fen})
    return sorted(wall, key=lambda row: (-row["given_fen"], row["name"]))


def drive_report_xlsx(report: dict) -> bytes:
    """The drive's disclosure as a spreadsheet: the totals, the quarters (when reported quarterly) and the
    correction notes, amounts in yuan to the fen."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    money = book.add_format({"num_format": "0.00"})
    headers = [gettext("raised"), gettext("allocated"), gettext("spent")]
    sheet = book.add_worksheet(gettext("Totals"))
    sheet.write_row(0, 0, [gettext("drive"), *headers, gettext("balance")])
    sheet.write(1, 0, f"{report['drive'].code} {report['drive'].name}")
    for col, key in enumerate(("raised_fen", "allocated_fen", "spent_fen", "balance_fen"), start=1):
        sheet.write_number(1, col, report[key] / 100, money)
    if report["quarterly"]:
        sheet = book.add_worksheet(gettext("Quarters"))
        sheet.write_row(0, 0, [gettext("quarter"), *headers])
        for row, q in enumerate(report["quarters"], start=1):
            sheet.write(row, 0, f"{q['year']} Q{q['quarter']}")
            for col, key in enumerate(("raised_fen", "allocated_fen", "spent_fen"), start=1):
                sheet.write_number(row, col, q[key] / 100, money)
    sheet = book.add_worksheet(gettext("Correction notes"))
    sheet.write_row(0, 0, [gettext("published at"), gettext("corrects"), gettext("text")])
    for row, note in enumerate(report["notes"], start=1):
        published = timezone.localtime(note.published_at).strftime("%Y-%m-%d %H:%M")
        sheet.write_row(row, 0, [published, note.reference, note.text])
    book.close()
    return out.getvalue()
