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
from zhongfu.common.personal_data import mask_name
from zhongfu.registry.models import Membership

from . import selectors
from .models import (
    AccountKind,
    Allocation,
    Channel,
    Disbursement,
    DisclosureNote,
    Donation,
    Donor,
    DonorKind,
    Drive,
    DriveFinalReport,
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
        "final_report": published_final_report(drive),
        "final_due_on": final_report_due_on(drive),
        "final_state": final_report_state(drive),
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


def drive_report_xlsx(report: dict, final: dict | None = None) -> bytes:
    """The drive's disclosure as a spreadsheet: the totals, the quarters (when reported quarterly) and the
    correction notes, amounts in yuan to the fen; once published, the final report's figures as published
    (`final`, from final_report_for_page) on sheets of their own."""
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
    if final is not None:
        _final_report_sheets(book, money, final)
    book.close()
    return out.getvalue()


def _final_report_sheets(book, money, final: dict) -> None:
    sheet = book.add_worksheet(gettext("Final report"))
    rows = [
        (gettext("raised"), final["totals"]["raised_fen"]),
        (gettext("allocated"), final["totals"]["allocated_fen"]),
        (gettext("spent"), final["totals"]["spent_fen"]),
        (gettext("balance"), final["totals"]["balance_fen"]),
    ]
    sheet.write_row(0, 0, [gettext("figure"), gettext("yuan")])
    for row, (label, fen) in enumerate(rows, start=1):
        sheet.write(row, 0, label)
        sheet.write_number(row, 1, fen / 100, money)
    row = len(rows) + 2
    sheet.write_row(row, 0, [gettext("gift channel"), gettext("gifts"), gettext("yuan")])
    for line in final["by_channel"]:
        row += 1
        sheet.write_row(row, 0, [str(line["label"]), line["count"]])
        sheet.write_number(row, 2, line["fen"] / 100, money)
    row += 2
    sheet.write_row(row, 0, [gettext("kind of donor"), gettext("gifts"), gettext("yuan")])
    for line in final["by_kind"]:
        row += 1
        sheet.write_row(row, 0, [str(line["label"]), line["count"]])
        sheet.write_number(row, 2, line["fen"] / 100, money)
    row += 2
    sheet.write_row(row, 0, [gettext("donor named with consent"), "", gettext("yuan")])
    for line in final["named_donors"]:
        row += 1
        sheet.write(row, 0, line["name"])
        sheet.write_number(row, 2, line["fen"] / 100, money)
    sheet = book.add_worksheet(gettext("Payments"))
    sheet.write_row(
        0, 0, [gettext("budget"), gettext("date"), gettext("recipient"), gettext("community"), gettext("yuan")]
    )
    row = 0
    for budget in final["budgets"]:
        for payment in budget["payments"]:
            row += 1
            sheet.write_row(row, 0, [budget["code"], payment["date"], payment["name_masked"], payment["community"]])
            sheet.write_number(row, 4, payment["amount_fen"] / 100, money)


# --- the final report, once the drive has ended ----------------------------------------------------------
# Public fundraising is disclosed in full within 3 months of its end (DOMAIN_RULES.md). The officer publishes
# the report explicitly; what is published is a snapshot that never changes (DriveFinalReport), and anything
# the ledger shows differently afterwards is told by a correction note.

FINAL_REPORT_MONTHS = 3


class FinalReportState:
    RUNNING = "running"  # the drive has not ended yet
    DUE = "due"  # ended, not published, still within the 3 months
    OVERDUE = "overdue"  # ended more than 3 months ago and not published
    PUBLISHED = "published"


FINAL_REPORT_STATES = {
    FinalReportState.RUNNING: _("not yet ended"),
    FinalReportState.DUE: _("final report due"),
    FinalReportState.OVERDUE: _("final report overdue"),
    FinalReportState.PUBLISHED: _("final report published"),
}


def final_report_due_on(drive: Drive) -> dt.date:
    return _add_months(drive.ends_on, FINAL_REPORT_MONTHS)


def published_final_report(drive: Drive) -> DriveFinalReport | None:
    return DriveFinalReport.objects.filter(drive=drive).select_related("published_by").first()


def _state(drive: Drive, published: bool, today: dt.date) -> str:
    # The drive ends on its last day: the report is due from the day after, until 3 months after the end.
    if published:
        return FinalReportState.PUBLISHED
    if today <= drive.ends_on:
        return FinalReportState.RUNNING
    return FinalReportState.DUE if today <= final_report_due_on(drive) else FinalReportState.OVERDUE


def final_report_state(drive: Drive, today: dt.date | None = None) -> str:
    """Where the drive's final report stands on `today` (running, due, overdue or published)."""
    published = DriveFinalReport.objects.filter(drive=drive).exists()
    return _state(drive, published, today or timezone.localdate())


def _recipients(households) -> dict[int, dict]:
    """Masked recipients by household id, in two queries: the head's name masked and the community."""
    heads = {
        m.household_id: m.person.name
        for m in Membership.objects.filter(household__in=households, relation="head", end_date__isnull=True)
        .select_related("person")
        .order_by("pk")
    }
    return {
        h.pk: {"name_masked": mask_name(heads[h.pk]) if h.pk in heads else "", "community": h.region.name}
        for h in households
    }


def drive_final_report(drive: Drive) -> dict:
    """The drive's full report from the live ledger, JSON-ready (what publication stores): the totals, the
    gifts by channel and by kind of donor (net of their refunds, so each adds up to what was raised), the
    donors who consented to be named, each budget's allocations and payments with every payment listed and its
    recipient masked, and the counts."""
    accounts = drive_accounts(drive)
    totals = _totals(_movements(accounts), accounts)
    gifts = list(Donation.objects.filter(_LIVE, account__in=accounts).select_related("donor"))
    refunded = dict(
        Refund.objects.filter(_LIVE, donation__in=gifts)
        .values_list("donation")
        .annotate(s=Sum("amount_fen"))
        .values_list("donation", "s")
    )
    by_channel = {c: {"count": 0, "fen": 0} for c in Channel.values}
    by_kind = {k: {"count": 0, "fen": 0} for k in (*DonorKind.values, "anonymous")}
    named: dict[str, int] = {}
    for gift in gifts:
        fen = gift.amount_fen - refunded.get(gift.pk, 0)
        by_channel[gift.channel]["count"] += 1
        by_channel[gift.channel]["fen"] += fen
        kind = "anonymous" if gift.anonymous else gift.donor.kind
        by_kind[kind]["count"] += 1
        by_kind[kind]["fen"] += fen
        if gift.donor is not None and gift.donor.public_name:
            named[gift.donor.public_name] = named.get(gift.donor.public_name, 0) + fen
    budgets = []
    payments = list(
        Disbursement.objects.filter(_LIVE, account__in=accounts)
        .select_related("entry", "household__region")
        .order_by("entry__date", "pk")
    )
    recipients = _recipients({p.household_id: p.household for p in payments}.values())
    for budget in accounts.filter(kind=AccountKind.BUDGET).order_by("code"):
        paid = [p for p in payments if p.account_id == budget.pk]
        allocated = Allocation.objects.filter(_LIVE, to_account=budget).aggregate(s=Sum("amount_fen"))["s"] or 0
        budgets.append(
            {
                "code": budget.code,
                "name": budget.name,
                "allocated_fen": allocated,
                "spent_fen": sum(p.amount_fen for p in paid),
                "balance_fen": selectors.account_balance_fen(budget),
                "payments": [
                    {"date": p.entry.date.isoformat(), "amount_fen": p.amount_fen, **recipients[p.household_id]}
                    for p in paid
                ],
            }
        )
    return {
        "drive": {
            "code": drive.code,
            "name": drive.name,
            "starts_on": drive.starts_on.isoformat(),
            "ends_on": drive.ends_on.isoformat(),
        },
        "totals": totals,
        "by_channel": [{"channel": c, **v} for c, v in by_channel.items()],
        "by_kind": [{"kind": k, **v} for k, v in by_kind.items()],
        "named_donors": [{"name": n, "fen": f} for n, f in sorted(named.items(), key=lambda x: (-x[1], x[0]))],
        "budgets": budgets,
        "counts": {
            "gifts": len(gifts),
            "donors": len({g.donor_id for g in gifts if g.donor_id}),
            "payments": len(payments),
            "households": len({p.household_id for p in payments}),
        },
    }


@transaction.atomic
def final_report_publish(*, actor, drive: Drive) -> DriveFinalReport:
    """Publish the drive's final report once it has ended: the figures of today are stored and never change.
    A drive has one final report; a later correction is a correction note."""
    _require_books(actor, drive.unit)
    drive = Drive.objects.select_for_update().get(pk=drive.pk)
    if timezone.localdate() <= drive.ends_on:
        raise InvalidInput(_("The final report is published once the drive has ended."), field="drive")
    if DriveFinalReport.objects.filter(drive=drive).exists():
        raise InvalidInput(
            _("The final report is already published; correct it with a correction note."), field="drive"
        )
    report = DriveFinalReport.objects.create(
        drive=drive,
        published_at=timezone.now(),
        published_by=actor,
        due_on=final_report_due_on(drive),
        figures=drive_final_report(drive),
    )
    _audit(
        actor,
        "create",
        "drive_final_report",
        report,
        {"drive": drive.code, "due_on": report.due_on.isoformat(), "totals": report.figures["totals"]},
    )
    return report


def final_report_for_page(figures: dict) -> dict:
    """The stored figures with the labels a page or a spreadsheet shows (channels and kinds translated)."""
    kinds = {**dict(DonorKind.choices), "anonymous": _("anonymous or not named")}
    return {
        **figures,
        "by_channel": [{**row, "label": Channel(row["channel"]).label} for row in figures["by_channel"]],
        "by_kind": [{**row, "label": kinds[row["kind"]]} for row in figures["by_kind"]],
    }


def notes_after(drive: Drive, report: DriveFinalReport | None) -> list[DisclosureNote]:
    """The correction notes published after the final report: how its figures have been corrected since."""
    if report is None:
        return []
    return list(drive.notes.filter(published_at__gte=report.published_at).order_by("published_at", "pk"))


def drives_with_final_report_state(unit, today: dt.date | None = None) -> list[dict]:
    """The unit's drives for its officers: each with the due date of its final report and its state; a
    published report whose totals the ledger no longer shows is flagged, so a correction note is published."""
    today = today or timezone.localdate()
    published = {r.drive_id: r for r in DriveFinalReport.objects.filter(drive__unit=unit)}
    rows = []
    for drive in drives_of(unit):
        report = published.get(drive.pk)
        state = _state(drive, report is not None, today)
        changed = False
        if report is not None:
            accounts = drive_accounts(drive)
            changed = _totals(_movements(accounts), accounts) != report.figures["totals"]
        rows.append(
            {
                "drive": drive,
                "due_on": final_report_due_on(drive),
                "state": state,
                "state_label": FINAL_REPORT_STATES[state],
                "report": report,
                "changed_since": changed,
            }
        )
    return rows
