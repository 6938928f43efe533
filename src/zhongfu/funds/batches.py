"""Offline gifts recorded in a batch: an uploaded file (xlsx or UTF-8 CSV, the layout of `template_xlsx`) or
rows typed on the batch page, checked whole and written whole.

In the house style of feeds/loading.py and registry/importing.py: every row is checked first and every
fault is reported (row — in a file the header is row 1, typed rows count from 1 —, column header in the
user's language, message); if there is any fault nothing is written. Otherwise one transaction records
every gift through the services an officer's single gift goes through (`donation_record_offline_with_donor`,
`receipt_issue`): ledger entries, donors, receipts unless declined, and their audit entries, then the
batch's own audit entry. The same content twice (SHA-256, per unit) is refused naming the first batch;
a bank reference already recorded, or twice in the batch, is refused naming the row."""

import csv
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass

import python_calamine
import xlsxwriter
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zhongfu.accounts.models import Unit
from zhongfu.audit.models import AuditEntry
from zhongfu.audit.services import audit_deferred, audit_record
from zhongfu.common.errors import InvalidInput, NotFound
from zhongfu.common.identifiers import validate_uscc

from . import pledges, selectors, services
from .models import (
    AccountKind,
    Channel,
    Donation,
    Donor,
    DonorKind,
    FundAccount,
    GiftBatch,
    GiftBatchItem,
    Period,
    Pledge,
    PledgeStatus,
)

MAX_ROWS = 5_000  # gifts in one batch; more is refused with a message to split the file
MAX_UNPACKED_RATIO = 10  # a workbook (zip) may unpack to at most this multiple of the upload limit
REPORT_MAX = 1_000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    key: str
    header: object  # a lazy translation: the header in the user's language
    help: object
    width: int = 14
    choices: tuple = ()


YES, NO = _("yes"), _("no")


def _h(header: str):
    # Own context: these headers are a file's layout ("channel" elsewhere means an application's channel).
    return pgettext_lazy("gift batch column", header)


COLUMNS = (
    Column("date", _h("date received"), _("The day the money came in, e.g. 2026-03-31. Not in a locked month.")),
    Column("donor_kind", _h("donor kind"), _("person or organisation"), 10, (DonorKind.PERSON, DonorKind.ORGANISATION)),
    Column(
        "donor_name", _h("donor name"), _("The person's or organisation's name. Empty only for an anonymous gift."), 20
    ),
    Column("uscc", _h("USCC (organisations)"), _("An organisation's 18-character unified social credit code."), 22),
    Column("anonymous", _h("anonymous"), _("yes: the donor is never named."), 8, ("yes", "no")),
    Column(
        "consent", _h("consent to be named"), _("yes: may be named publicly (never when anonymous)."), 10, ("yes", "no")
    ),
    Column("alias", _h("alias"), _("The name to show publicly instead of the donor's own."), 14),
    Column("amount", _h("amount (yuan)"), _("In yuan, at most two decimals, more than zero, e.g. 1300.50."), 12),
    Column("channel", _h("channel"), _("cash or transfer"), 10, (Channel.CASH, Channel.TRANSFER)),
    Column("bank_reference", _h("bank reference"), _("A transfer's bank reference: each is recorded once only."), 20),
    Column("account", _h("fund account code"), _("The code of a restricted fund; empty: the general fund."), 14),
    Column(
        "restriction",
        _h("directed to"),
        _("Optional: the project code, region code or group the donor named; it must be the fund's."),
        14,
    ),
    Column(
        "receipt",
        _h("receipt wanted"),
        _("no: the donor declines a receipt; empty or yes: one is issued."),
        10,
        ("yes", "no"),
    ),
    Column(
        "pledge",
        _h("pledge no."),
        _("Optional: the number of the pledge this gift pays; the donor and the fund are then the pledge's."),
        10,
    ),
)
_BY_KEY = {c.key: c for c in COLUMNS}
_REQUIRED = ("date", "amount", "channel")
_YES_WORDS = {"yes", "y", "true", "1", "是", "要", "√", "✓"}
_NO_WORDS = {"no", "n", "false", "0", "否", "不", "不要", "×"}
_KIND_WORDS = {
    DonorKind.PERSON: {"person", "individual", "个人", "自然人"},
    DonorKind.ORGANISATION: {"organisation", "organization", "单位", "企业", "组织", "机构"},
}
# How the template writes the choices (the models' labels say "人员" for a person, which a donor list does not).
_CHOICE_LABELS = {
    DonorKind.PERSON: _h("person"),
    DonorKind.ORGANISATION: _h("organisation"),
    Channel.CASH: _h("cash"),
    Channel.TRANSFER: _h("bank transfer"),
}
_CHANNEL_WORDS = {
    Channel.CASH: {"cash", "现金"},
    Channel.TRANSFER: {"transfer", "banktransfer", "转账", "银行转账"},
}


def _label(column: Column) -> str:
    return str(column.header)


def _error(row, column: Column | str | None, message) -> dict:
    name = _label(column) if isinstance(column, Column) else (column or "")
    return {"row": row, "column": name, "message": str(message)}


class GiftBatchRejected(InvalidInput):
    """The batch has faults; `errors` lists them as {"row", "column", "message"} and nothing was written."""

    def __init__(self, errors: list[dict]):
        self.errors = errors[:REPORT_MAX]
        self.total = len(errors)
        super().__init__(
            _("Nothing was recorded: %(n)s problems, listed by row and column. Correct them and load the batch again."),
            field="file",
            n=self.total,
        )


class GiftBatchAlreadyLoaded(GiftBatchRejected):
    """The same content was recorded before, as `earlier`."""

    def __init__(self, earlier: GiftBatch):
        self.earlier = earlier
        message = _(
            "This batch was already recorded as batch %(batch)s (%(file)s, %(at)s): nothing was recorded again."
        ) % {
            "batch": earlier.pk,
            "file": earlier.file_name,
            "at": timezone.localtime(earlier.created_at).strftime("%Y-%m-%d %H:%M"),
        }
        super().__init__([{"row": None, "column": "", "message": str(message)}])
        self.message = message
        self.params = {}


# --- reading ---------------------------------------------------------------------------------------------


def _norm(value) -> str:
    return re.sub(r"\s+", "", str(value or "")).replace("（", "(").replace("）", ")").lower()


def _header_names() -> dict[str, Column]:
    """Every accepted spelling of a header (its key, and its header in each of the site's languages)."""
    names = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for c in COLUMNS:
                names[_norm(c.header)] = c
    for c in COLUMNS:
        names[_norm(c.key)] = c
    return names


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return format(value, ".15g")
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def read_table(name: str, content: bytes) -> list[list]:
    """The cells of the first sheet of a workbook, or of a UTF-8 CSV file, from row 1."""
    if content[:4] == b"PK\x03\x04":  # .xlsx is a zip file, whatever its name says
        try:
            unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(content)).infolist())
        except zipfile.BadZipFile:
            raise GiftBatchRejected([_error(None, "", _("The file could not be read as an Excel workbook."))]) from None
        if unpacked > MAX_UNPACKED_RATIO * settings.ZHONGFU_IMPORT_MAX_BYTES:
            raise GiftBatchRejected([_error(None, "", _("The file is too large; split it into smaller files."))])
        try:
            workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
            if not workbook.sheet_names:
                return []
            return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
        except Exception:  # noqa: BLE001 (calamine raises its own types for every kind of broken workbook)
            raise GiftBatchRejected([_error(None, "", _("The file could not be read as an Excel workbook."))]) from None
    if not (name or "").lower().endswith((".csv", ".txt")):
        raise GiftBatchRejected([_error(None, "", _("Upload an Excel file (.xlsx) or a CSV file (.csv)."))])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise GiftBatchRejected(
            [_error(None, "", _("The CSV file is not UTF-8 text (perhaps GBK). Save it as “CSV UTF-8”."))]
        ) from None
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise GiftBatchRejected([_error(None, "", _("The file could not be read as a CSV file."))]) from None


# --- checking --------------------------------------------------------------------------------------------


@dataclass
class _Gift:
    row: int
    received_on: dt.date
    amount_fen: int
    channel: str
    bank_reference: str
    account_id: int | None
    receipt: bool
    donor: dict | None  # the fields of donor_register, or None: an anonymous gift without a donor
    existing_donor_id: int | None = None
    pledge_id: int | None = None


def _yes_no(text: str, *, default: bool) -> bool:
    word = _norm(text)
    if not word:
        return default
    if word in _YES_WORDS or word == _norm(YES):
        return True
    if word in _NO_WORDS or word == _norm(NO):
        return False
    raise ValueError


def _pick(text: str, words: dict, choices) -> str:
    word = _norm(text)
    for value, spellings in words.items():
        if word in spellings or word in (_norm(dict(choices.choices)[value]), _norm(_CHOICE_LABELS[value])):
            return value
    raise ValueError


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日")


def _parse_date(text: str) -> dt.date:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError


class _Checker:
    """Checks the rows of one batch for one unit, collecting every fault."""

    def __init__(self, unit: Unit):
        self.unit = unit
        self.today = timezone.localdate()
        self.accounts = {a.code: a for a in selectors.gift_accounts(unit)}
        self.locked = set(Period.objects.filter(unit=unit, locked=True).values_list("month", flat=True))
        self.errors: list[dict] = []
        self.references: dict[str, int] = {}
        self.pledges = {
            str(p.pk): p
            for p in Pledge.objects.filter(unit=unit, status=PledgeStatus.OPEN).select_related("donor", "account")
        }

    def fault(self, row: int, key: str, message) -> None:
        self.errors.append(_error(row, _BY_KEY[key], message))

    def check_row(self, row: int, cells: dict[str, str]) -> _Gift | None:
        n = len(self.errors)
        for key in _REQUIRED:
            if not cells.get(key):
                self.fault(row, key, _("This field is required."))
        received_on = self._date(row, cells.get("date", ""))
        amount_fen = self._amount(row, cells.get("amount", ""))
        channel = self._choice(row, "channel", cells.get("channel", ""), _CHANNEL_WORDS, Channel)
        flags = {}
        for key, default in (("anonymous", False), ("consent", False), ("receipt", True)):
            try:
                flags[key] = _yes_no(cells.get(key, ""), default=default)
            except ValueError:
                self.fault(row, key, _("Write yes or no."))
                flags[key] = default
        pledge = self._pledge(row, cells.get("pledge", ""))
        if cells.get("pledge") and not cells.get("donor_name"):
            donor = None  # the pledge's donor (an unknown pledge is the row's fault, not a missing donor)
        else:
            donor = self._donor(row, cells, flags)
        reference = self._reference(row, cells.get("bank_reference", ""), channel)
        account = self._account(row, cells.get("account", ""), cells.get("restriction", ""))
        if pledge is not None:
            if donor is not None and donor["name"] != pledge.donor.name and donor["uscc"] != pledge.donor.uscc:
                self.fault(
                    row, "donor_name", _("Pledge %(n)s is %(donor)s's.") % {"n": pledge.pk, "donor": pledge.donor.name}
                )
            if account is None and not cells.get("account"):
                account = pledge.account  # the pledge's fund
            elif account is not None and account.pk != pledge.account_id:
                self.fault(
                    row,
                    "account",
                    _("Pledge %(n)s is to the fund %(code)s.") % {"n": pledge.pk, "code": pledge.account.code},
                )
        if len(self.errors) > n:
            return None
        return _Gift(
            row=row,
            received_on=received_on,
            amount_fen=amount_fen,
            channel=channel,
            bank_reference=reference,
            account_id=account.pk if account else None,
            receipt=flags["receipt"],
            donor=None if pledge is not None else donor,
            existing_donor_id=pledge.donor_id if pledge is not None else None,
            pledge_id=pledge.pk if pledge is not None else None,
        )

    def _pledge(self, row, text):
        if not text:
            return None
        pledge = self.pledges.get(text.removeprefix("#").strip())
        if pledge is None:
            self.fault(row, "pledge", _("The unit has no open pledge numbered %(n)s.") % {"n": text[:20]})
        return pledge

    def _date(self, row, text):
        if not text:
            return None
        try:
            date = _parse_date(text)
        except ValueError:
            self.fault(row, "date", _("Not a date: %(value)s. Write it as 2026-03-31.") % {"value": text[:40]})
            return None
        if date > self.today:
            self.fault(row, "date", _("The date cannot be in the future."))
        elif date.replace(day=1) in self.locked:
            self.fault(
                row,
                "date",
                _("The period %(month)s is locked: date the entry in an open period.") % {"month": f"{date:%Y-%m}"},
            )
        return date

    def _amount(self, row, text):
        if not text:
            return None
        try:
            return services.parse_yuan(text, field="amount")
        except InvalidInput as e:
            self.fault(row, "amount", e)
            return None

    def _choice(self, row, key, text, words, choices):
        if not text:
            return None
        try:
            return _pick(text, words, choices)
        except ValueError:
            allowed = "、".join(str(_CHOICE_LABELS[v]) for v in words)
            self.fault(
                row,
                key,
                _("Not an allowed value: %(value)s. Allowed: %(allowed)s.") % {"value": text[:40], "allowed": allowed},
            )
            return None

    def _donor(self, row, cells, flags) -> dict | None:
        name = cells.get("donor_name", "")
        uscc = cells.get("uscc", "")
        kind = self._choice(row, "donor_kind", cells.get("donor_kind", ""), _KIND_WORDS, DonorKind)
        if flags["anonymous"] and flags["consent"]:
            self.fault(row, "consent", _("An anonymous donor is never named."))
        if not name:
            if not flags["anonymous"]:
                self.fault(row, "donor_name", _("Enter the donor's name, or mark the gift anonymous."))
            elif uscc or cells.get("alias"):
                self.fault(row, "donor_name", _("A donor with a code or an alias needs a name."))
            return None
        if len(name) > 100:
            self.fault(row, "donor_name", _("At most %(n)s characters.") % {"n": 100})
        if len(cells.get("alias", "")) > 60:
            self.fault(row, "alias", _("At most %(n)s characters.") % {"n": 60})
        if kind is None:
            if not cells.get("donor_kind"):
                self.fault(row, "donor_kind", _("Choose whether the donor is a person or an organisation."))
            return None
        if kind == DonorKind.ORGANISATION:
            try:
                uscc = validate_uscc(uscc)
            except InvalidInput as e:
                self.fault(row, "uscc", e)
        elif uscc:
            self.fault(row, "uscc", _("Only an organisation has a unified social credit code."))
        return {
            "kind": kind,
            "name": name,
            "uscc": uscc if kind == DonorKind.ORGANISATION else "",
            "anonymous": flags["anonymous"],
            "consent_to_name": flags["consent"],
            "alias": cells.get("alias", ""),
        }

    def _reference(self, row, text, channel) -> str:
        if not text:
            return ""
        if channel == Channel.CASH:
            self.fault(row, "bank_reference", _("A cash gift has no bank reference."))
            return ""
        if len(text) > 64:
            self.fault(row, "bank_reference", _("At most %(n)s characters.") % {"n": 64})
            return ""
        if text in self.references:
            self.fault(
                row,
                "bank_reference",
                _("This bank reference is also in row %(row)s: a transfer is recorded once.")
                % {"row": self.references[text]},
            )
        else:
            self.references[text] = row
        return text

    def _account(self, row, code, restriction):
        if not code:  # the general fund, opened on its first gift
            if restriction:
                self.fault(
                    row,
                    "restriction",
                    _("The general fund carries no restriction: give the code of the fund directed there."),
                )
            return None
        account = self.accounts.get(code)
        if account is None:
            self.fault(
                row, "account", _("The unit has no fund with the code %(code)s to receive gifts.") % {"code": code[:40]}
            )
            return None
        if restriction:
            values = [v for v in account.restriction.values() if v]
            if account.kind != AccountKind.RESTRICTED:
                self.fault(
                    row,
                    "restriction",
                    _("The general fund carries no restriction: give the code of the fund directed there."),
                )
            elif restriction not in values:
                self.fault(
                    row,
                    "restriction",
                    _("%(value)s is outside the fund's restriction (%(fund)s): choose the fund directed there.")
                    % {"value": restriction[:40], "fund": " / ".join(values)},
                )
        return account

    def check_recorded(self, gifts: list[_Gift]) -> None:
        """Faults only the database can tell: bank references already recorded; organisations matched by code."""
        refs = [g.bank_reference for g in gifts if g.bank_reference]
        recorded = set()
        for start in range(0, len(refs), 500):
            recorded |= set(
                Donation.objects.filter(provider="bank", provider_txn_id__in=refs[start : start + 500]).values_list(
                    "provider_txn_id", flat=True
                )
            )
        codes = {g.donor["uscc"] for g in gifts if g.donor and g.donor["uscc"]}
        known = dict(Donor.objects.filter(uscc__in=codes).values_list("uscc", "pk")) if codes else {}
        for g in gifts:
            if g.bank_reference in recorded:
                self.fault(g.row, "bank_reference", _("This transfer is already recorded."))
            if g.donor and g.donor["uscc"] in known:
                g.existing_donor_id = known[g.donor["uscc"]]


def _check(unit: Unit, table: list[list], *, first_row: int) -> tuple[list[_Gift], list[dict]]:
    if not table or not any(_cell_text(v) for v in table[0]):
        return [], [_error(1, "", _("The first row must hold the column headers."))]
    names = _header_names()
    errors, positions, seen = [], [], set()
    for raw in table[0]:
        text = _cell_text(raw)
        if not text:
            positions.append(None)
            continue
        column = names.get(_norm(text))
        if column is None:
            errors.append(_error(1, text, _("Unknown column. Download the template for the columns.")))
        elif column.key in seen:
            errors.append(_error(1, text, _("This column appears twice.")))
            column = None
        else:
            seen.add(column.key)
        positions.append(column)
    for key in _REQUIRED:
        if key not in seen:
            errors.append(_error(1, _BY_KEY[key], _("A required column is missing.")))
    if errors:
        return [], errors
    checker = _Checker(unit)
    gifts = []
    for offset, raw in enumerate(table[1:]):
        row = first_row + offset
        texts = [_cell_text(v) for v in raw]
        if not any(texts):
            continue
        if len(gifts) + len(checker.errors) >= MAX_ROWS:
            return [], [
                _error(None, "", _("More than %(n)s rows: split the gifts into several batches.") % {"n": MAX_ROWS})
            ]
        cells = {}
        for position, text in enumerate(texts):
            column = positions[position] if position < len(positions) else None
            if column is None:
                if text:
                    checker.errors.append(_error(row, "", _("A value in a column without a header.")))
                continue
            cells[column.key] = text
        gift = checker.check_row(row, cells)
        if gift is not None:
            gifts.append(gift)
    if not gifts and not checker.errors:
        checker.errors.append(_error(None, "", _("There are no gifts in the batch.")))
    if not checker.errors:
        checker.check_recorded(gifts)
    return gifts, sorted(checker.errors, key=lambda e: e["row"] or 0)


# --- writing ---------------------------------------------------------------------------------------------


def _lock_batch_accounts(unit: Unit, gifts: list[_Gift]) -> None:
    """Every account the batch's entries will touch, locked at once in id order: the funds named by its rows
    and the unit's bank and cash accounts (the other side of an offline gift)."""
    ids = {g.account_id for g in gifts if g.account_id}
    ids |= set(FundAccount.objects.filter(unit=unit, kind=AccountKind.BANK).values_list("pk", flat=True))
    services._lock_accounts(*FundAccount.objects.filter(pk__in=ids))


def _write(*, actor, unit: Unit, name: str, sha256: str, gifts: list[_Gift]) -> GiftBatch:
    batch = GiftBatch.objects.create(
        unit=unit,
        file_name=name,
        content_sha256=sha256,
        row_count=len(gifts),
        total_fen=sum(g.amount_fen for g in gifts),
        created_by=actor,
    )
    accounts = {a.pk: a for a in selectors.gift_accounts(unit)}
    donors: dict[str, Donor] = {}  # organisations registered by an earlier row of this batch
    known: dict[int, Donor] = {}
    items = []
    for g in gifts:
        donor, new_donor = None, None
        if g.existing_donor_id:
            donor = known.get(g.existing_donor_id) or Donor.objects.get(pk=g.existing_donor_id)
            known[donor.pk] = donor
        elif g.donor and g.donor["uscc"] in donors:
            donor = donors[g.donor["uscc"]]
        elif g.donor:
            new_donor = g.donor
        try:
            donation = services.donation_record_offline_with_donor(
                actor=actor,
                unit=unit,
                new_donor=new_donor,
                donor=donor,
                amount_fen=g.amount_fen,
                channel=g.channel,
                received_on=g.received_on,
                account=accounts.get(g.account_id),
                bank_reference=g.bank_reference,
                receipt_declined=not g.receipt,
                memo=str(_("batch %(batch)s, row %(row)s") % {"batch": batch.pk, "row": g.row}),
            )
            if g.receipt:
                services.receipt_issue(actor=actor, donation=donation)
            if g.pledge_id:
                pledges.pledge_link_gift(actor=actor, pledge=Pledge(pk=g.pledge_id, unit=unit), donation=donation)
        except InvalidInput as e:
            # Checked above; only a change made meanwhile (a period locked, a transfer recorded) gets here.
            fields = {"received_on": "date", "amount_fen": "amount", "donation": "pledge"}
            column = _BY_KEY.get(fields.get(e.field or "", e.field or ""))
            raise GiftBatchRejected([_error(g.row, column or "", e)]) from None
        if new_donor and new_donor["uscc"]:
            donors[new_donor["uscc"]] = donation.donor
        items.append(GiftBatchItem(batch=batch, row=g.row, donation=donation))
    GiftBatchItem.objects.bulk_create(items)
    audit_record(
        actor=actor,
        action=AuditEntry.Action.IMPORT,
        object_type="gift_batch",
        object_id=batch.pk,
        after={
            "unit": unit.code,
            "file": name,
            "sha256": sha256,
            "rows": batch.row_count,
            "total_fen": batch.total_fen,
            "receipts": sum(1 for g in gifts if g.receipt),
        },
    )
    return batch


def _load(*, actor, unit: Unit, name: str, sha256: str, table) -> GiftBatch:
    services._require_books(actor, unit)
    earlier = GiftBatch.objects.filter(unit=unit, content_sha256=sha256).first()
    if earlier is not None:
        raise GiftBatchAlreadyLoaded(earlier)
    gifts, errors = _check(unit, table(), first_row=table.first_row)
    if errors:
        raise GiftBatchRejected(errors)
    try:
        # The batch takes the locks in the order every books service takes them (accounts in id order, then
        # the receipt counter, then the audit log, last): otherwise a batch holding the audit log while it
        # waits for a fund would deadlock with an online gift holding that fund while it waits for the log.
        with transaction.atomic(), audit_deferred():
            _lock_batch_accounts(unit, gifts)
            return _write(actor=actor, unit=unit, name=name, sha256=sha256, gifts=gifts)
    except IntegrityError:
        # The same content committed by another officer while this one was being checked.
        earlier = GiftBatch.objects.filter(unit=unit, content_sha256=sha256).first()
        if earlier is not None:
            raise GiftBatchAlreadyLoaded(earlier) from None
        raise


class _Table:
    def __init__(self, read, first_row: int):
        self.read, self.first_row = read, first_row

    def __call__(self):
        return self.read()


def gift_batch_load_file(*, actor, unit: Unit, name: str, content: bytes) -> GiftBatch:
    """Record the gifts of an uploaded file (xlsx or UTF-8 CSV): all of them, or none and GiftBatchRejected."""
    name = (name or "").strip()[-200:] or "gifts.xlsx"
    if len(content) > settings.ZHONGFU_IMPORT_MAX_BYTES:
        raise GiftBatchRejected([_error(None, "", _("The file is too large; split it into smaller files."))])
    return _load(
        actor=actor,
        unit=unit,
        name=name,
        sha256=hashlib.sha256(content).hexdigest(),
        table=_Table(lambda: read_table(name, content), first_row=2),
    )


def gift_batch_load_rows(*, actor, unit: Unit, rows: list[dict], name: str = "") -> GiftBatch:
    """Record typed or pushed rows ({column key or header: text}) as a batch; rows count from 1."""
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise GiftBatchRejected([_error(None, "", _("Send the rows as a list of objects."))])
    rows = [r for r in rows if any(_cell_text(v) for v in r.values())]
    canonical = json.dumps(rows, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)

    def table():
        header = list(dict.fromkeys(str(k) for r in rows for k in r))
        return [header, *([r.get(k) for k in header] for r in rows)]

    return _load(
        actor=actor,
        unit=unit,
        name=(name or "").strip()[-200:] or str(_("typed rows")),
        sha256=hashlib.sha256(canonical.encode()).hexdigest(),
        table=_Table(table, first_row=1),
    )


# --- reads and files -------------------------------------------------------------------------------------


def batches_of(unit: Unit):
    return GiftBatch.objects.filter(unit=unit).select_related("created_by").order_by("-pk")


def batch_for_books(*, user, batch_id: int) -> GiftBatch:
    batch = (
        GiftBatch.objects.select_related("unit", "created_by")
        .filter(pk=batch_id, unit__in=selectors.units_kept_by(user))
        .first()
    )
    if batch is None:
        raise NotFound()
    return batch


def batch_gifts(batch: GiftBatch):
    return (
        GiftBatchItem.objects.filter(batch=batch)
        .select_related("donation__donor", "donation__account")
        .prefetch_related("donation__receipts")
        .order_by("row")
    )


def template_xlsx(unit: Unit) -> bytes:
    """The batch template: the header row in the user's language, drop-downs for the choice columns and the
    unit's fund codes, and a second sheet explaining each column."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(str(_("Gifts")))
    bold = book.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1})
    text = book.add_format({"num_format": "@"})
    codes = [a.code for a in selectors.gift_accounts(unit)]
    labels = {
        "donor_kind": [str(_CHOICE_LABELS[DonorKind.PERSON]), str(_CHOICE_LABELS[DonorKind.ORGANISATION])],
        "channel": [str(_CHOICE_LABELS[Channel.CASH]), str(_CHOICE_LABELS[Channel.TRANSFER])],
        "anonymous": [str(YES), str(NO)],
        "consent": [str(YES), str(NO)],
        "receipt": [str(YES), str(NO)],
        "account": codes,
    }
    for col, c in enumerate(COLUMNS):
        # Text columns keep codes and references as typed (an 18-digit number would lose digits).
        sheet.set_column(col, col, c.width, None if c.key in ("amount",) else text)
        sheet.write_string(0, col, _label(c), bold)
        sheet.write_comment(0, col, str(c.help), {"x_scale": 2})
        if labels.get(c.key) and sum(len(v) + 1 for v in labels[c.key]) < 250:
            sheet.data_validation(
                1,
                col,
                MAX_ROWS,
                col,
                {"validate": "list", "source": labels[c.key], "ignore_blank": True, "show_error": False},
            )
    sheet.freeze_panes(1, 0)
    notes = book.add_worksheet(str(_("How to fill it in")))
    notes.set_column(0, 0, 20)
    notes.set_column(1, 1, 80)
    for r, c in enumerate(COLUMNS, start=1):
        notes.write_row(r, 0, [_label(c), str(c.help)])
    lines = [
        _("One gift per row. Required: date received, amount, channel."),
        _("All or nothing: if any row has a fault, nothing is recorded and every fault is listed by row and column."),
        _("The same file is recorded once; a bank reference already recorded is refused."),
        _("A CSV file must be saved as UTF-8 (“CSV UTF-8”)."),
    ]
    for i, line in enumerate(lines, start=len(COLUMNS) + 2):
        notes.write_string(i, 0, str(line))
    funds = book.add_worksheet(str(_("Funds")))
    funds.write_row(0, 0, [str(_("code")), str(_("name")), str(_("directed to"))], bold)
    for r, a in enumerate(selectors.gift_accounts(unit), start=1):
        funds.write_row(r, 0, [a.code, str(a.name), " / ".join(v for v in a.restriction.values() if v)])
    book.close()
    return buffer.getvalue()
