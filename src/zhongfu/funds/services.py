"""Writes of the funds app: donors, fund accounts, offline donations, receipts, allocations, disbursements,
refunds, reversing entries and locking periods. Each runs in one transaction with its ledger entry and its
audit entry, so either all of it is written or nothing is.

Every movement of money goes through `_post`, which refuses an entry that does not balance, mixes units or
falls in a locked period. A check on a balance (allocation, disbursement, refund, reversal) first locks the
account's row (`select_for_update`), so two concurrent spenders of one account are served one after the
other and the second sees what the first left.

Running totals (docs/funds.md, "Tracing a gift"): a gift raises its fund's `inflow_fen`, an allocation its
fund's `outflow_fen` and its budget's `inflow_fen`, a payment its budget's `outflow_fen`, each by one UPDATE
that takes the account's row lock (`_raise_total`), and the new row carries the total before it. Locks are
always taken in one order — accounts, then the receipt counter, then the audit log (`audit_deferred` appends a
transaction's audit entries last) — and as late as possible, so concurrent gifts do their other work in
parallel and cannot deadlock."""

import datetime as dt
import functools
import secrets
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.db import IntegrityError, connection, transaction
from django.db.models import Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhongfu.accounts.models import Unit, User
from zhongfu.accounts.roles import Role
from zhongfu.audit.services import PG_LOCK_KEY as AUDIT_LOCK_KEY
from zhongfu.audit.services import audit_deferred, audit_record
from zhongfu.common.errors import InvalidInput, NotFound, PermissionDenied
from zhongfu.common.identifiers import validate_uscc
from zhongfu.common.money import fen_to_yuan_text, yuan_to_fen
from zhongfu.common.pg import prepared
from zhongfu.registry.models import Household

from . import providers, selectors
from .models import (
    AccountKind,
    Allocation,
    Channel,
    Disbursement,
    Donation,
    Donor,
    DonorKind,
    EntryKind,
    FundAccount,
    LedgerEntry,
    LedgerLine,
    OrderStatus,
    PaymentOrder,
    Period,
    Receipt,
    ReceiptCounter,
    Refund,
)

# Proposed permission (accounts/roles.py is the lead's): until it exists, the roles that keep a unit's books.
KEEP_BOOKS = "funds.keep_books"
_BOOKKEEPERS = {Role.CITY_ADMIN, Role.UNIT_STAFF, Role.CHARITY_STAFF}

# The unit's own accounts, opened on first use: where money comes in and goes out.
CASH, BANK, GENERAL = "cash", "bank", "general"
_STANDARD = {
    CASH: (AccountKind.BANK, _("Cash")),
    BANK: (AccountKind.BANK, _("Bank account")),
    GENERAL: (AccountKind.GENERAL, _("General fund")),
}


def can_keep_books(user, unit: Unit | None = None) -> bool:
    """Staff of a unit keep its books; the city administrator keeps any unit's."""
    if not getattr(user, "is_authenticated", False):
        return False
    if not (user.has_perm(KEEP_BOOKS) or user.role in _BOOKKEEPERS):
        return False
    if user.role == Role.CITY_ADMIN:
        return True
    return user.unit_id is not None and (unit is None or user.unit_id == unit.pk)


def _require_books(actor, unit: Unit | None) -> None:
    if not can_keep_books(actor, unit):
        raise PermissionDenied(_("Only the staff of a unit keep its fund accounts."))


def _fen(value, *, field: str) -> int:
    """Money arrives as a whole, positive number of fen; anything else is refused, naming the field."""
    if isinstance(value, float):
        raise InvalidInput(_("An amount is a whole number of fen, never a floating-point number."), field=field)
    if isinstance(value, (Decimal, Fraction)) and not isinstance(value, bool):
        if value != int(value):
            raise InvalidInput(_("An amount cannot hold a fraction of a fen."), field=field)
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(_("An amount is a whole number of fen."), field=field)
    if value <= 0:
        raise InvalidInput(_("An amount must be more than zero."), field=field)
    return value


# Far above any real gift; keeps a typed amount inside the database's 64-bit column.
MAX_FEN = 10**13


def parse_yuan(text, *, field: str = "amount") -> int:
    """A yuan amount typed by a person ('200', '1,300.50') as fen, exactly: more than two decimals, zero,
    a negative amount or something that is not a number is refused, naming the field."""
    try:
        fen = yuan_to_fen(text, field=field)
    except (InvalidOperation, ValueError, OverflowError):
        # Decimal('Infinity') or an exponent too large to quantize.
        raise InvalidInput(_("Not an amount of money: %(value)s"), field=field, value=str(text)[:40]) from None
    if fen > MAX_FEN:
        raise InvalidInput(_("The amount is too large."), field=field)
    return _fen(fen, field=field)


def _date(value, *, field: str) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise InvalidInput(_("Enter a date."), field=field)
    if value > timezone.localdate():
        raise InvalidInput(_("The date cannot be in the future."), field=field)
    return value


def _text(value, *, field: str, max_length: int, required: bool = True) -> str:
    text = (value or "").strip()
    if required and len(text) < 2:
        raise InvalidInput(_("Enter at least two characters."), field=field)
    if len(text) > max_length:
        raise InvalidInput(_("At most %(n)s characters."), field=field, n=max_length)
    return text


def standard_account(unit: Unit, code: str) -> FundAccount:
    """The unit's cash box, bank account or general fund, opened the first time it is needed."""
    kind, name = _STANDARD[code]
    account, _created = FundAccount.objects.get_or_create(unit=unit, code=code, defaults={"kind": kind, "name": name})
    return account


def _standard_accounts(unit: Unit, *codes: str) -> dict[str, FundAccount]:
    """Several standard accounts in one query (opening those that do not exist yet)."""
    found = {a.code: a for a in FundAccount.objects.filter(unit=unit, code__in=codes)}
    for code in codes:
        if code not in found:
            found[code] = standard_account(unit, code)
    return found


def _raise_total(account_id: int, field: str, amount_fen: int) -> int:
    """Add `amount_fen` to the account's running total `field` (inflow_fen or outflow_fen) and return the
    total before it. The UPDATE takes the account's row lock until the transaction ends, so the totals of
    concurrent movements follow one another without gaps or overlaps."""
    assert field in ("inflow_fen", "outflow_fen")
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE funds_fundaccount SET {field} = {field} + %s WHERE id = %s RETURNING {field}",  # noqa: S608
            [amount_fen, account_id],
        )
        return cur.fetchone()[0] - amount_fen


def _lock_accounts(*accounts: FundAccount) -> dict[int, FundAccount]:
    # Always in primary-key order, so two transactions locking the same accounts cannot deadlock.
    ids = sorted({a.pk for a in accounts})
    return {a.pk: a for a in FundAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def _open_period(unit: Unit, date: dt.date) -> Period:
    month = date.replace(day=1)
    if connection.vendor == "postgresql":
        # A shared row lock: entries of one month go on in parallel, but period_lock (FOR UPDATE) waits
        # for them, and they for it, so no entry lands in a period locked while it was being written.
        # Found and locked in one query; created first when the month has no period yet.
        sql = "SELECT id, locked FROM funds_period WHERE unit_id = %s AND month = %s FOR SHARE"
        with connection.cursor() as cur:
            cur.execute(sql, [unit.pk, month])
            row = cur.fetchone()
            if row is None:
                Period.objects.get_or_create(unit=unit, month=month)
                cur.execute(sql, [unit.pk, month])
                row = cur.fetchone()
        period = Period(pk=row[0], unit=unit, month=month, locked=row[1])
    else:
        period, _created = Period.objects.get_or_create(unit=unit, month=month)
    if period.locked:
        raise InvalidInput(
            _("The period %(month)s is locked: date the entry in an open period."),
            field="date",
            month=f"{date:%Y-%m}",
        )
    return period


def _post(
    *, actor, unit: Unit, date: dt.date, kind: str, memo: str, lines, reverses=None, period: Period | None = None
) -> LedgerEntry:
    """Write one balanced entry: `lines` are (account, signed fen), debit positive, credit negative. `period`:
    the entry's open period when the caller already holds it (`_open_period`)."""
    if sum(amount for _account, amount in lines) != 0 or any(amount == 0 for _account, amount in lines):
        raise InvalidInput(_("A ledger entry must balance: its debits equal its credits."), field="lines")
    if any(account.unit_id != unit.pk for account, _amount in lines):
        raise InvalidInput(_("Every account of an entry belongs to the same unit."), field="account")
    entry = LedgerEntry.objects.create(
        unit=unit,
        date=date,
        period=period if period is not None and period.month == date.replace(day=1) else _open_period(unit, date),
        kind=kind,
        memo=memo,
        reverses=reverses,
        created_by=actor,
    )
    LedgerLine.objects.bulk_create(LedgerLine(entry=entry, account=a, amount_fen=amount) for a, amount in lines)
    return entry


def _books_transaction(func):
    """A service's transaction whose audit entries are appended last, right before the commit
    (`audit_deferred`): the audit log's lock is the last one taken, after the accounts' and the receipt
    counter's, so it is held for the shortest time and every transaction takes the locks in one order."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with transaction.atomic(), audit_deferred():
            return func(*args, **kwargs)

    return wrapper


def _audit(actor, action: str, object_type: str, obj, after: dict, reason: str = "") -> None:
    audit_record(actor=actor, action=action, object_type=object_type, object_id=obj.pk, after=after, reason=reason)


# --- donors and accounts ---------------------------------------------------------------------------------


@_books_transaction
def donor_register(
    *,
    actor,
    kind: str,
    name: str,
    uscc: str = "",
    anonymous: bool = False,
    consent_to_name: bool = False,
    alias: str = "",
) -> Donor:
    """Register a person or an organisation; an organisation's unified social credit code is checked
    (GB 32100) and registered once."""
    _require_books(actor, None)
    if kind not in DonorKind.values:
        raise InvalidInput(_("A donor is a person or an organisation."), field="kind")
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise InvalidInput(_("Enter the donor's name (at most 100 characters)."), field="name")
    if kind == DonorKind.ORGANISATION:
        uscc = validate_uscc(uscc, field="uscc")
        if Donor.objects.filter(uscc=uscc).exists():
            raise InvalidInput(_("An organisation with this unified social credit code is registered."), field="uscc")
    elif (uscc or "").strip():
        raise InvalidInput(_("Only an organisation has a unified social credit code."), field="uscc")
    if anonymous and consent_to_name:
        raise InvalidInput(_("An anonymous donor is never named."), field="consent_to_name")
    alias = _text(alias, field="alias", max_length=60, required=False)
    donor = Donor.objects.create(
        kind=kind,
        name=name,
        uscc=uscc if kind == DonorKind.ORGANISATION else "",
        anonymous=anonymous,
        consent_to_name=consent_to_name,
        alias=alias,
        created_by=actor,
    )
    _audit(actor, "create", "donor", donor, {"kind": kind, "anonymous": anonymous, "consent": consent_to_name})
    return donor


def _within(inner: FundAccount, outer: FundAccount) -> bool:
    """True when money bound by `outer`'s restriction may go to `inner`: every restriction `outer` carries,
    `inner` carries too, as narrow or narrower."""
    if outer.restriction_project and inner.restriction_project != outer.restriction_project:
        return False
    if outer.restriction_region_prefix and not inner.restriction_region_prefix.startswith(
        outer.restriction_region_prefix
    ):
        return False
    return not (outer.restriction_group and inner.restriction_group != outer.restriction_group)


@_books_transaction
def fund_account_open(
    *,
    actor,
    unit: Unit,
    kind: str,
    code: str,
    name: str,
    parent: FundAccount | None = None,
    project: str = "",
    region_prefix: str = "",
    group: str = "",
    named_for: Donor | None = None,
) -> FundAccount:
    """Open a restricted fund (directed money: a project, a region-code prefix, a group) or a project or
    campaign budget. A sub-account stays within its parent's restriction."""
    _require_books(actor, unit)
    if kind not in (AccountKind.RESTRICTED, AccountKind.BUDGET):
        raise InvalidInput(_("Open a restricted fund or a budget."), field="kind")
    code = _text(code, field="code", max_length=40)
    if code in _STANDARD or FundAccount.objects.filter(unit=unit, code=code).exists():
        raise InvalidInput(_("The unit already has an account with this code."), field="code")
    name = _text(name, field="name", max_length=100)
    project, group = (project or "").strip(), (group or "").strip()
    region_prefix = (region_prefix or "").strip()
    if region_prefix and not (region_prefix.isdigit() and 2 <= len(region_prefix) <= 12):
        raise InvalidInput(_("A region is given by the digits of its code (2 to 12)."), field="region_prefix")
    if not (project or region_prefix or group):
        raise InvalidInput(_("A restricted fund or a budget needs its restriction."), field="project")
    if kind == AccountKind.BUDGET and not project:
        raise InvalidInput(_("A budget belongs to a project or campaign."), field="project")
    account = FundAccount(
        unit=unit,
        kind=kind,
        code=code,
        name=name,
        parent=parent,
        restriction_project=project[:40],
        restriction_region_prefix=region_prefix,
        restriction_group=group[:40],
        named_for=named_for,
    )
    if parent is not None and (parent.unit_id != unit.pk or not _within(account, parent)):
        raise InvalidInput(
            _("A sub-account belongs to its parent's unit and stays within its restriction."), field="parent"
        )
    account.save()
    _audit(actor, "create", "fund_account", account, {"code": code, "kind": kind, **account.restriction})
    return account


# --- money in --------------------------------------------------------------------------------------------


def _donation_create(
    *,
    actor,
    unit: Unit,
    amount_fen,
    channel: str,
    received_on,
    donor: Donor | None,
    account: FundAccount | None,
    provider: str = "",
    provider_txn_id: str = "",
    receipt_declined: bool = False,
    memo: str = "",
    txn_field: str = "provider_txn_id",
    asset: FundAccount | None = None,
    period: Period | None = None,
) -> Donation:
    """The core every way of receiving a gift shares: debit where the money now is (cash box or bank),
    credit the fund it is for, and record the gift with its restriction as it is today. `asset` and `period`:
    the bank (or cash) account and the open period when the caller already holds them."""
    amount_fen = _fen(amount_fen, field="amount_fen")
    received_on = _date(received_on, field="received_on")
    account = account or standard_account(unit, GENERAL)
    if account.unit_id != unit.pk or account.kind not in (AccountKind.GENERAL, AccountKind.RESTRICTED):
        raise InvalidInput(_("A gift is credited to a general or restricted fund of the unit."), field="account")
    if provider_txn_id and Donation.objects.filter(provider=provider, provider_txn_id=provider_txn_id).exists():
        raise InvalidInput(_("This transaction is already recorded."), field=txn_field)
    asset = asset or standard_account(unit, CASH if channel == Channel.CASH else BANK)
    entry = _post(
        actor=actor,
        unit=unit,
        date=received_on,
        kind=EntryKind.DONATION,
        memo=memo,
        lines=[(asset, amount_fen), (account, -amount_fen)],
        period=period,
    )
    # The fund's row lock from here to the commit: taken after the entry is written, as late as it can be.
    cum_before = _raise_total(account.pk, "inflow_fen", amount_fen)
    try:
        # A savepoint: two transactions recording the same transaction id at once meet the unique
        # constraint here, and the second gets the message instead of a server error.
        with transaction.atomic():
            donation = Donation.objects.create(
                unit=unit,
                donor=donor,
                amount_fen=amount_fen,
                channel=channel,
                provider=provider,
                provider_txn_id=provider_txn_id,
                account=account,
                directed=account.kind == AccountKind.RESTRICTED,
                restriction=account.restriction if account.kind == AccountKind.RESTRICTED else {},
                received_on=received_on,
                receipt_declined=receipt_declined,
                entry=entry,
                cum_before_fen=cum_before,
            )
    except IntegrityError:
        raise InvalidInput(_("This transaction is already recorded."), field=txn_field) from None
    _audit(
        actor,
        "create",
        "donation",
        donation,
        {"amount_fen": amount_fen, "channel": channel, "account": account.code, "entry": entry.pk},
    )
    return donation


@_books_transaction
def donation_record_offline(
    *,
    actor,
    unit: Unit,
    amount_fen,
    channel: str,
    received_on,
    donor: Donor | None = None,
    account: FundAccount | None = None,
    bank_reference: str = "",
    receipt_declined: bool = False,
    memo: str = "",
) -> Donation:
    """Record a gift received in cash or by bank transfer. Without `account` it goes to the unit's general
    fund; a restricted account makes it directed. A bank transfer's reference is recorded once only."""
    _require_books(actor, unit)
    if channel not in (Channel.CASH, Channel.TRANSFER):
        raise InvalidInput(_("An offline gift comes in cash or by bank transfer."), field="channel")
    reference = (bank_reference or "").strip()[:64] if channel == Channel.TRANSFER else ""
    return _donation_create(
        actor=actor,
        unit=unit,
        amount_fen=amount_fen,
        channel=channel,
        received_on=received_on,
        donor=donor,
        account=account,
        provider="bank" if reference else "",
        provider_txn_id=reference,
        receipt_declined=receipt_declined,
        memo=_text(memo, field="memo", max_length=200, required=False),
        txn_field="bank_reference",
    )


_DONOR_FIELDS = ("kind", "name", "uscc", "anonymous", "consent_to_name", "alias")


@_books_transaction
def donation_record_offline_with_donor(*, actor, unit: Unit, new_donor: dict | None = None, **gift) -> Donation:
    """Record an offline gift, registering its donor first when `new_donor` is given (the fields of
    `donor_register`): both or neither are written. A new donor's errors name their field as `donor_<field>`."""
    if new_donor is not None:
        _require_books(actor, unit)
        try:
            gift["donor"] = donor_register(actor=actor, **{k: new_donor[k] for k in _DONOR_FIELDS if k in new_donor})
        except InvalidInput as e:
            e.field = f"donor_{e.field}" if e.field else None
            raise
    return donation_record_offline(actor=actor, unit=unit, **gift)


# --- receipts --------------------------------------------------------------------------------------------


@_books_transaction
def receipt_issue(*, actor, donation: Donation, issued_on: dt.date | None = None) -> Receipt:
    """Issue the gift's receipt with the next number of its unit and year. The number comes from a counter
    row locked until the transaction ends: concurrent issuers wait for each other, and a transaction that
    fails gives its number back with everything else, so numbers have no gaps and no repeats."""
    _require_books(actor, donation.unit)
    return _receipt_issue(actor=actor, donation=donation, issued_on=issued_on)


def _receipt_issue(*, actor, donation: Donation, issued_on: dt.date | None = None) -> Receipt:
    # Without the bookkeeper check: an online gift's receipt is issued by the site itself.
    donation = Donation.objects.select_for_update(of=("self",)).select_related("donor", "entry").get(pk=donation.pk)
    issued_on = _date(issued_on or timezone.localdate(), field="issued_on")
    if donation.receipt_declined:
        raise InvalidInput(_("The donor declined a receipt for this gift."), field="donation")
    if LedgerEntry.objects.filter(reverses=donation.entry_id).exists():
        raise InvalidInput(_("This gift was reversed: it takes no receipt."), field="donation")
    if donation.receipts.filter(withdrawn_at__isnull=True).exists():
        raise InvalidInput(_("This gift already has a receipt."), field="donation")
    return _receipt_write(actor=actor, donation=donation, issued_on=issued_on)


def _next_receipt_number(unit_id: int, year: int) -> int:
    """Take the next number of the unit's year: one UPDATE that locks the counter row until the transaction
    ends (created on first use)."""
    sql = "UPDATE funds_receiptcounter SET last_number = last_number + 1 WHERE unit_id = %s AND year = %s"
    with connection.cursor() as cur:
        cur.execute(sql + " RETURNING last_number", [unit_id, year])
        row = cur.fetchone()
        if row is None:
            ReceiptCounter.objects.bulk_create([ReceiptCounter(unit_id=unit_id, year=year)], ignore_conflicts=True)
            cur.execute(sql + " RETURNING last_number", [unit_id, year])
            row = cur.fetchone()
    return row[0]


def _receipt_write(*, actor, donation: Donation, issued_on: dt.date) -> Receipt:
    """Number and write the receipt of a gift whose checks are done (`donation` with its donor loaded)."""
    receipt = Receipt.objects.create(
        unit_id=donation.unit_id,
        year=issued_on.year,
        number=_next_receipt_number(donation.unit_id, issued_on.year),
        donation=donation,
        donor_name="" if donation.anonymous else donation.donor.name,
        amount_fen=donation.amount_fen,
        issued_on=issued_on,
        handler=actor,
    )
    _audit(actor, "issue", "receipt", receipt, {"number": receipt.code, "donation": donation.pk})
    return receipt


@_books_transaction
def receipt_withdraw(*, actor, receipt: Receipt, reason: str) -> Receipt:
    """Withdraw an issued receipt, once, with a reason. Its number stays taken."""
    _require_books(actor, receipt.unit)
    reason = _text(reason, field="reason", max_length=200)
    receipt = Receipt.objects.select_for_update().get(pk=receipt.pk)
    if receipt.withdrawn_at is not None:
        raise InvalidInput(_("This receipt is already withdrawn."), field="receipt")
    receipt.withdrawn_at, receipt.withdrawn_by, receipt.withdrawn_reason = timezone.now(), actor, reason
    receipt.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason"])
    _audit(actor, "withdraw", "receipt", receipt, {"number": receipt.code}, reason=reason)
    return receipt


@_books_transaction
def receipt_decline(*, actor, donation: Donation) -> Donation:
    """Record that the donor declined a receipt for this gift (a gift with a valid receipt cannot)."""
    _require_books(actor, donation.unit)
    donation = Donation.objects.select_for_update(of=("self",)).get(pk=donation.pk)
    if donation.receipt_declined:
        raise InvalidInput(_("The donor already declined a receipt for this gift."), field="donation")
    if donation.receipts.filter(withdrawn_at__isnull=True).exists():
        raise InvalidInput(_("This gift has a receipt: withdraw it first."), field="donation")
    donation.receipt_declined = True
    donation.save(update_fields=["receipt_declined"])
    _audit(actor, "update", "donation", donation, {"receipt_declined": True})
    return donation


# --- money out -------------------------------------------------------------------------------------------


@_books_transaction
def allocation_record(
    *, actor, from_account: FundAccount, to_account: FundAccount, amount_fen, date: dt.date, memo: str = ""
) -> Allocation:
    """Assign money from a general or restricted fund to a project or campaign budget of the same unit,
    within the fund's restriction and never beyond its balance."""
    _require_books(actor, from_account.unit)
    amount_fen = _fen(amount_fen, field="amount_fen")
    date = _date(date, field="date")
    if from_account.kind not in (AccountKind.GENERAL, AccountKind.RESTRICTED):
        raise InvalidInput(_("Allocate from a general or restricted fund."), field="from_account")
    if to_account.kind != AccountKind.BUDGET or to_account.unit_id != from_account.unit_id:
        raise InvalidInput(_("Allocate to a project or campaign budget of the same unit."), field="to_account")
    if not _within(to_account, from_account):
        raise InvalidInput(
            _("This budget is outside the fund's restriction: the money is bound to its purpose."), field="to_account"
        )
    # Both rows, in key order: the budget's running total is raised too, and a reversal locks both the same way.
    locked = _lock_accounts(from_account, to_account)[from_account.pk]
    balance = selectors.account_balance_fen(locked)
    if amount_fen > balance:
        raise InvalidInput(
            _("The fund holds %(balance)s yuan: it cannot allocate %(amount)s yuan."),
            field="amount_fen",
            balance=fen_to_yuan_text(balance),
            amount=fen_to_yuan_text(amount_fen),
        )
    entry = _post(
        actor=actor,
        unit=locked.unit,
        date=date,
        kind=EntryKind.ALLOCATION,
        memo=_text(memo, field="memo", max_length=200, required=False),
        lines=[(locked, amount_fen), (to_account, -amount_fen)],
    )
    allocation = Allocation.objects.create(
        entry=entry,
        from_account=locked,
        to_account=to_account,
        amount_fen=amount_fen,
        out_cum_before_fen=_raise_total(locked.pk, "outflow_fen", amount_fen),
        in_cum_before_fen=_raise_total(to_account.pk, "inflow_fen", amount_fen),
    )
    _audit(
        actor,
        "create",
        "allocation",
        allocation,
        {"from": locked.code, "to": to_account.code, "amount_fen": amount_fen, "entry": entry.pk},
    )
    return allocation


@_books_transaction
def disbursement_record(
    *,
    actor,
    account: FundAccount,
    household: Household,
    amount_fen,
    date: dt.date,
    source: str = "",
    group: str = "",
    memo: str = "",
) -> Disbursement:
    """Pay a household from a project or campaign budget: the interface casework and campaigns call.
    `source` names what asked for the payment (e.g. "case:123"); `group` is the recipients' group when
    the budget is restricted to one. The household must be in the actor's scope and the budget's region."""
    _require_books(actor, account.unit)
    amount_fen = _fen(amount_fen, field="amount_fen")
    date = _date(date, field="date")
    if account.kind != AccountKind.BUDGET:
        raise InvalidInput(_("Households are paid from a project or campaign budget."), field="account")
    scope = getattr(actor, "scope_prefix", None)
    if not scope or not household.region_id.startswith(scope):
        raise NotFound()
    if not household.region_id.startswith(account.restriction_region_prefix):
        raise InvalidInput(_("This household lives outside the budget's region."), field="household")
    if account.restriction_group and (group or "").strip() != account.restriction_group:
        raise InvalidInput(_("This budget pays only its group of recipients."), field="group")
    locked = _lock_accounts(account)[account.pk]
    balance = selectors.account_balance_fen(locked)
    if amount_fen > balance:
        raise InvalidInput(
            _("The budget holds %(balance)s yuan: it cannot pay %(amount)s yuan."),
            field="amount_fen",
            balance=fen_to_yuan_text(balance),
            amount=fen_to_yuan_text(amount_fen),
        )
    entry = _post(
        actor=actor,
        unit=locked.unit,
        date=date,
        kind=EntryKind.DISBURSEMENT,
        memo=_text(memo, field="memo", max_length=200, required=False),
        lines=[(locked, amount_fen), (standard_account(locked.unit, BANK), -amount_fen)],
    )
    disbursement = Disbursement.objects.create(
        entry=entry,
        account=locked,
        household=household,
        amount_fen=amount_fen,
        source=(source or "")[:60],
        cum_before_fen=_raise_total(locked.pk, "outflow_fen", amount_fen),
    )
    audit_record(
        actor=actor,
        action="create",
        object_type="disbursement",
        object_id=disbursement.pk,
        household_id=household.pk,
        region_code=household.region_id,
        after={"account": locked.code, "amount_fen": amount_fen, "source": disbursement.source, "entry": entry.pk},
    )
    return disbursement


@_books_transaction
def refund_record(*, actor, donation: Donation, amount_fen, reason: str, date: dt.date) -> Refund:
    """Give part or all of a gift back to its donor, through the way it came. Only what of the gift is not
    yet allocated (first in, first out within its fund) can be refunded."""
    _require_books(actor, donation.unit)
    amount_fen = _fen(amount_fen, field="amount_fen")
    reason = _text(reason, field="reason", max_length=200)
    date = _date(date, field="date")
    _lock_accounts(donation.account)
    if LedgerEntry.objects.filter(reverses=donation.entry_id).exists():
        raise InvalidInput(_("This gift was reversed: there is nothing to refund."), field="donation")
    left = selectors.donation_unallocated_fen(donation)
    if amount_fen > left:
        raise InvalidInput(
            _("Only %(left)s fen of this gift are not yet allocated: it cannot refund %(amount)s."),
            field="amount_fen",
            left=left,
            amount=amount_fen,
        )
    asset = standard_account(donation.unit, CASH if donation.channel == Channel.CASH else BANK)
    entry = _post(
        actor=actor,
        unit=donation.unit,
        date=date,
        kind=EntryKind.REFUND,
        memo=reason,
        lines=[(donation.account, amount_fen), (asset, -amount_fen)],
    )
    refund = Refund.objects.create(entry=entry, donation=donation, amount_fen=amount_fen, reason=reason)
    _audit(actor, "create", "refund", refund, {"donation": donation.pk, "amount_fen": amount_fen}, reason=reason)
    return refund


# --- corrections and periods -----------------------------------------------------------------------------


def _reversal_refusal(entry: LedgerEntry):
    """Why this entry cannot be reversed as things stand, or None. Checked with its accounts locked."""
    if entry.kind == EntryKind.DONATION:
        donation = entry.donation
        if Refund.objects.filter(donation=donation, entry__reversed_by__isnull=True).exists():
            return _("Reverse this gift's refunds first.")
        if donation.receipts.filter(withdrawn_at__isnull=True).exists():
            return _("Withdraw this gift's receipt first.")
        if selectors.donation_unallocated_fen(donation) < donation.amount_fen:
            return _("Part of this gift is already allocated: reverse those allocations first.")
    for line in entry.lines.select_related("account"):
        # The reversal debits what the entry credited; a fund may not end below zero.
        if (
            line.account.is_fund
            and line.amount_fen < 0
            and selectors.account_balance_fen(line.account) < -line.amount_fen
        ):
            return _("Reversing this entry would leave %(account)s below zero.") % {"account": line.account.name}
    return None


@_books_transaction
def entry_reverse(*, actor, entry: LedgerEntry, reason: str, date: dt.date | None = None) -> LedgerEntry:
    """Correct an entry by a reversing entry: the same lines with opposite signs, dated today (or `date`)
    in an open period. The original stays as it was, marked by the reversal pointing at it."""
    _require_books(actor, entry.unit)
    reason = _text(reason, field="reason", max_length=200)
    date = _date(date or timezone.localdate(), field="date")
    entry = LedgerEntry.objects.select_related("unit").get(pk=entry.pk)
    if entry.kind == EntryKind.REVERSAL:
        raise InvalidInput(_("A reversal is not reversed: record the movement again instead."), field="entry")
    lines = list(entry.lines.select_related("account"))
    _lock_accounts(*(line.account for line in lines))
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise InvalidInput(_("This entry is already reversed."), field="entry")
    refusal = _reversal_refusal(entry)
    if refusal:
        raise InvalidInput(refusal, field="entry")
    reversal = _post(
        actor=actor,
        unit=entry.unit,
        date=date,
        kind=EntryKind.REVERSAL,
        memo=reason,
        lines=[(line.account, -line.amount_fen) for line in lines],
        reverses=entry,
    )
    _audit(actor, "reverse", "ledger_entry", entry, {"kind": entry.kind, "reversal": reversal.pk}, reason=reason)
    return reversal


@_books_transaction
def period_lock(*, actor, unit: Unit, month: dt.date) -> Period:
    """Close a unit's month: no entry dated in it is accepted any more (corrections go in an open month)."""
    _require_books(actor, unit)
    if not isinstance(month, dt.date):
        raise InvalidInput(_("Enter a date."), field="month")
    period, _created = Period.objects.get_or_create(unit=unit, month=month.replace(day=1))
    period = Period.objects.select_for_update().get(pk=period.pk)
    if period.locked:
        raise InvalidInput(_("This period is already locked."), field="month")
    period.locked, period.locked_at, period.locked_by = True, timezone.now(), actor
    period.save(update_fields=["locked", "locked_at", "locked_by"])
    _audit(actor, "lock", "accounting_period", period, {"unit": unit.code, "month": f"{period.month:%Y-%m}"})
    return period


# --- online gifts ----------------------------------------------------------------------------------------

# The site's own user: the handler of online gifts' entries and receipts (no password, cannot log in).
ONLINE_USERNAME = "funds-online"


def online_actor() -> User:
    user, created = User.objects.get_or_create(
        username=ONLINE_USERNAME, defaults={"is_active": False, "display_name": "网上捐赠"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@_books_transaction
def payment_order_create(
    *,
    actor=None,
    unit: Unit,
    amount_fen,
    account: FundAccount | None = None,
    donor_name: str = "",
    anonymous: bool = False,
    consent_to_name: bool = False,
    alias: str = "",
    provider: str = "sim",
) -> PaymentOrder:
    """A donor's online gift waiting to be paid: the amount, who gives (a name, or anonymous), and the
    restricted fund it is directed to (none: the general fund). Nothing reaches the ledger until the
    provider's signed callback says it is paid (`donation_record_online`). `actor` is None for a donor."""
    amount_fen = _fen(amount_fen, field="amount_fen")
    if amount_fen > MAX_FEN:
        raise InvalidInput(_("The amount is too large."), field="amount_fen")
    if providers.get(provider) is None:
        raise InvalidInput(_("No such payment provider."), field="provider")
    if account is not None and (account.unit_id != unit.pk or account.kind != AccountKind.RESTRICTED):
        raise InvalidInput(_("A gift is credited to a general or restricted fund of the unit."), field="account")
    name = (donor_name or "").strip()
    if anonymous:
        if consent_to_name:
            raise InvalidInput(_("An anonymous donor is never named."), field="consent_to_name")
        name = ""
    elif not 1 <= len(name) <= 100:
        raise InvalidInput(_("Enter your name, or give anonymously."), field="donor_name")
    return PaymentOrder.objects.create(
        reference=secrets.token_hex(16),
        unit=unit,
        account=account,
        amount_fen=amount_fen,
        donor_name=name,
        anonymous=bool(anonymous),
        consent_to_name=bool(consent_to_name),
        alias=_text(alias, field="alias", max_length=60, required=False),
        provider=provider,
    )


def donation_record_online(
    *, provider: str, txn_id: str, order_id: str, amount_fen, status: str
) -> tuple[PaymentOrder, bool]:
    """Act on a payment provider's callback, whose signature the caller has checked. A payment records the
    gift (debit bank, credit the order's fund), its donor and its numbered receipt, all in one transaction.
    Returns the order and whether the callback was a replay: a transaction already recorded for this order
    with the same amount changes nothing; with another amount or order it is refused. A failure marks a
    waiting order failed. The order's row is locked, so concurrent callbacks for it are served in turn."""
    txn_id = (txn_id or "").strip()
    if connection.vendor == "postgresql" and status == providers.PAID and txn_id and type(amount_fen) is int:
        order = _record_online_pg(provider=provider, txn_id=txn_id, order_id=order_id, amount_fen=amount_fen)
        if order is not None:
            return order, False
    return _donation_record_online(
        provider=provider, txn_id=txn_id, order_id=order_id, amount_fen=amount_fen, status=status
    )


@_books_transaction
def _donation_record_online(
    *, provider: str, txn_id: str, order_id: str, amount_fen, status: str
) -> tuple[PaymentOrder, bool]:
    # The general path: every refusal, replay and failure, all of SQLite, and on PostgreSQL a unit's first
    # gift of a month or year. The gift already recorded for this transaction id, if any, is read with the
    # order (one round trip).
    recorded = Donation.objects.filter(provider=provider, provider_txn_id=txn_id)
    order = (
        PaymentOrder.objects.select_for_update(of=("self",))
        .select_related("unit", "account")
        .filter(reference=order_id, provider=provider)
        .annotate(
            txn_gift=Subquery(recorded.values("pk")[:1]),
            txn_gift_fen=Subquery(recorded.values("amount_fen")[:1]),
            online_actor_id=Subquery(User.objects.filter(username=ONLINE_USERNAME).values("pk")[:1]),
        )
        .first()
    )
    if order is None:
        raise NotFound(_("No such payment order."), field="order_id")
    if not txn_id:
        raise InvalidInput(_("The callback has no transaction id."), field="txn_id")
    existing = (order.txn_gift, order.txn_gift_fen) if order.txn_gift is not None else None
    if existing is None and order.status == OrderStatus.PAID:
        # Paid while this callback waited for the order's lock, perhaps by this very transaction (a replay):
        # the subquery read the books as they were before the wait, so read them again.
        existing = recorded.values_list("pk", "amount_fen").first()
    if existing is not None:
        if existing[0] != order.donation_id or existing[1] != amount_fen:
            raise InvalidInput(
                _("This transaction is already recorded with another order or amount: nothing was changed."),
                field="txn_id",
            )
        return order, True
    if status not in (providers.PAID, providers.FAILED):
        raise InvalidInput(_("A payment is paid or failed."), field="status")
    if order.status == OrderStatus.PAID:
        raise InvalidInput(_("This order is already paid by another transaction."), field="order_id")
    if amount_fen != order.amount_fen:
        raise InvalidInput(
            _("The amount paid (%(paid)s fen) is not the order's (%(amount)s fen): nothing was recorded."),
            field="amount_fen",
            paid=amount_fen,
            amount=order.amount_fen,
        )
    if order.online_actor_id is not None:
        actor = _persisted(User(pk=order.online_actor_id, username=ONLINE_USERNAME, is_active=False))
    else:
        actor = online_actor()
    today = timezone.localdate()
    if status == providers.FAILED:
        order.status = OrderStatus.FAILED
        order.save(update_fields=["status"])
        _audit(
            actor, "update", "payment_order", order, {"status": "failed", "txn_id": txn_id, "amount_fen": amount_fen}
        )
        return order, False
    if connection.vendor == "postgresql":
        # The unit's first gift of the month or year: open what the hot path needs (the accounts, the
        # month's period, the year's receipt counter), then write the gift as it does, in this transaction.
        accounts = _standard_accounts(order.unit, BANK, GENERAL)
        account = order.account or accounts[GENERAL]
        if account.unit_id != order.unit_id or account.kind not in (AccountKind.GENERAL, AccountKind.RESTRICTED):
            raise InvalidInput(_("A gift is credited to a general or restricted fund of the unit."), field="account")
        _open_period(order.unit, today)
        ReceiptCounter.objects.bulk_create(
            [ReceiptCounter(unit_id=order.unit_id, year=today.year)], ignore_conflicts=True
        )
        order = _record_online_pg(provider=provider, txn_id=txn_id, order_id=order_id, amount_fen=amount_fen)
        if order is None:
            raise InvalidInput(_("This transaction is already recorded."), field="txn_id")
        return order, False
    # The work that needs no lock shared with other gifts comes first: the unit's bank account and general
    # fund and the month's period (opened on first use), the donor, the ledger entry. The fund's running
    # total, the receipt counter and the audit log (appended at the commit, _books_transaction) are taken
    # last, in that order, so concurrent gifts overlap in everything else.
    accounts = _standard_accounts(order.unit, BANK, GENERAL)
    period = _open_period(order.unit, today)
    donor = None
    if not order.anonymous:
        donor = Donor.objects.create(
            kind=DonorKind.PERSON,
            name=order.donor_name,
            consent_to_name=order.consent_to_name,
            alias=order.alias,
            created_by=actor,
        )
        _audit(actor, "create", "donor", donor, {"kind": DonorKind.PERSON, "consent": order.consent_to_name})
    account = order.account or accounts[GENERAL]
    donation = _donation_create(
        actor=actor,
        unit=order.unit,
        amount_fen=amount_fen,
        channel=Channel.ONLINE,
        received_on=today,
        donor=donor,
        account=account,
        provider=provider,
        provider_txn_id=txn_id[:64],
        memo=f"{provider} {order.reference}",
        txn_field="txn_id",
        asset=accounts[BANK],
        period=period,
    )
    order.status, order.donation, order.paid_at = OrderStatus.PAID, donation, timezone.now()
    order.save(update_fields=["status", "donation", "paid_at"])
    # Just recorded in this transaction: not reversed, no receipt yet, not declined (_receipt_issue's checks).
    order.receipt_code = _receipt_write(actor=actor, donation=donation, issued_on=today).code
    _audit(actor, "update", "payment_order", order, {"status": "paid", "txn_id": txn_id, "donation": donation.pk})
    return order, False


# --- online gifts on PostgreSQL: the hot path -----------------------------------------------------------
# A provider's callbacks arrive by the thousand during a drive, each its own transaction, and every one ends
# in the same three locks (the fund's running total, the receipt counter, the audit chain), each held to the
# commit. So the plain case is one statement, prepared once per connection (common.pg.prepared): the database
# function funds_online_gift (migration 0010), which writes the gift, its donor, entry, receipt and audit
# entries. Outside a transaction the statement is its own, and the locks are held for the database's own
# work only, never while it waits on Python.

_ONLINE_GIFT = """
SELECT out_order, out_donation, out_number FROM funds_online_gift(%(provider)s::text, %(txn)s::text,
    %(order)s::text, %(amount)s::bigint, %(online)s::text, %(today)s::date, %(now)s::timestamptz,
    %(audit_lock)s::bigint)
"""


def _persisted(instance):
    instance._state.adding, instance._state.db = False, connection.alias
    return instance


def _record_online_pg(*, provider: str, txn_id: str, order_id: str, amount_fen: int) -> PaymentOrder | None:
    """An online gift on PostgreSQL in one call of funds_online_gift: the order, paid, with its receipt's
    code; None when the function wrote nothing because the general path must decide (see migration 0010)."""
    today = timezone.localdate()
    params = {
        "provider": provider,
        "txn": txn_id[:64],
        "order": order_id,
        "amount": amount_fen,
        "online": ONLINE_USERNAME,
        "today": today,
        "now": timezone.now(),
        "audit_lock": AUDIT_LOCK_KEY,
    }
    try:
        if connection.in_atomic_block:
            with transaction.atomic():  # a savepoint: a failed statement leaves the caller's transaction usable
                rows = prepared(_ONLINE_GIFT, params)
        else:
            rows = prepared(_ONLINE_GIFT, params)  # autocommit: the statement is the transaction
    except IntegrityError:
        return None  # the transaction id was recorded meanwhile by another order: the general path refuses it
    order_pk, donation_id, number = rows[0]
    if order_pk is None:
        return None
    order = _persisted(PaymentOrder(pk=order_pk, reference=order_id, status=OrderStatus.PAID, provider=provider))
    order.donation_id = donation_id
    order.receipt_code = f"{today.year}-{number:06d}"
    return order
