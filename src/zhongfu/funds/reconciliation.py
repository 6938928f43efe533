"""Bank reconciliation (对账): an officer uploads the bank's statement of one of the unit's bank accounts for
a period; its lines are checked whole and stored whole (or nothing is), then matched to the account's ledger
lines. Matching only records which ledger line a statement line is: the ledger is append-only and nothing
is written to it here, except when an officer records an unmatched credit as a gift, which goes through the
offline-gift service like any other gift.

Statement layout (docs/funds.md, "Bank reconciliation"): a header row, then one row per movement. Either
  日期 | 金额 | 对方户名 | 流水号 | 摘要   (amount in yuan, signed: + money in, − money out), or
  交易日期 | 收入金额 | 支出金额 | 对方户名 | 流水号 | 摘要   (a common bank export: one of the two amounts).
Rows above the header (an export's title, account, period) are skipped; a 合计 row is skipped. Every date
lies in the statement's period, and opening balance + the lines = closing balance, to the fen.

The matching rule, applied to the statement's unmatched lines and the account's unmatched ledger lines (a
ledger line is matched to at most one statement line, of any statement, and the reverse):
1. By reference: a line whose bank reference is the reference of exactly one ledger line (a gift's bank
   reference or provider transaction id) with the same signed amount is matched to it.
2. By amount and date: a line and a ledger line with the same signed amount, dated at most
   DATE_TOLERANCE_DAYS apart, whose references do not contradict each other (both given and different),
   are matched when each is the other's only fit. Anything else is left for an officer, with the number of
   fits shown (2 or more: ambiguous).
Ledger lines of an entry that was reversed, and of reversals, take no part (they cancel out and never
reached the bank). The result does not depend on the order of rows or entries."""

import csv
import datetime as dt
import hashlib
import io
import re
import zipfile
from collections import defaultdict

import python_calamine
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhongfu.audit.services import audit_record
from zhongfu.common.errors import InvalidInput, NotFound
from zhongfu.common.money import yuan_to_fen

from . import services
from .models import (
    AccountKind,
    BankStatement,
    BankStatementLine,
    Channel,
    Donor,
    FundAccount,
    LedgerLine,
    MatchHow,
    StatementLineStatus,
)
from .selectors import units_kept_by

DATE_TOLERANCE_DAYS = 3
MAX_ROWS = 20_000
REPORT_MAX = 1_000
_HEADER_SEARCH = 20  # rows at the top of a file where the header may be

DATE, AMOUNT, CREDIT, DEBIT, COUNTERPARTY, REFERENCE, MEMO = (
    "date",
    "amount",
    "credit",
    "debit",
    "counterparty",
    "reference",
    "memo",
)
# Header as written (spaces removed, full-width brackets made ASCII) → column. The first header of each is
# the one the documentation shows; the others are what bank exports commonly say.
HEADERS = {
    DATE: ("日期", "交易日期", "记账日期", "date"),
    AMOUNT: ("金额", "金额(元)", "交易金额", "amount"),
    CREDIT: ("收入金额", "收入金额(元)", "贷方金额", "贷方发生额", "收入", "credit"),
    DEBIT: ("支出金额", "支出金额(元)", "借方金额", "借方发生额", "支出", "debit"),
    COUNTERPARTY: ("对方户名", "对方账户名称", "对方名称", "counterparty"),
    REFERENCE: ("流水号", "交易流水号", "银行流水号", "凭证号", "reference"),
    MEMO: ("摘要", "用途", "附言", "memo"),
}
_MAX_LENGTH = {COUNTERPARTY: 100, REFERENCE: 64, MEMO: 200}
_TOTAL_ROWS = {"合计", "总计", "小计", "本页合计", "total"}
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日")


class StatementRejected(InvalidInput):
    """The statement has faults; `errors` lists them as {"row", "column", "message"}; nothing was written."""

    def __init__(self, errors: list[dict]):
        self.errors = errors[:REPORT_MAX]
        self.total = len(errors)
        super().__init__(
            _("Nothing was imported: %(n)s problems, listed by row and column. Correct them and upload again."),
            field="file",
            n=self.total,
        )


class StatementAlreadyImported(StatementRejected):
    def __init__(self, earlier: BankStatement):
        self.earlier = earlier
        message = _("This statement was already imported (statement %(id)s, %(start)s to %(end)s).") % {
            "id": earlier.pk,
            "start": earlier.period_start.isoformat(),
            "end": earlier.period_end.isoformat(),
        }
        super().__init__([_error(None, "", message)])
        self.message, self.params = message, {}


def _error(row, column: str, message) -> dict:
    return {"row": row, "column": column, "message": str(message)}


# --- reading ---------------------------------------------------------------------------------------------


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _read(name: str, content: bytes) -> list[list[str]]:
    """The cells of the first sheet (or the CSV) as text, from row 1."""
    if len(content) > settings.ZHONGFU_IMPORT_MAX_BYTES:
        raise StatementRejected([_error(None, "", _("The file is too large; split it into smaller files."))])
    if content[:4] == b"PK\x03\x04":  # an .xlsx is a zip file, whatever its name says
        try:
            unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(content)).infolist())
            if unpacked > 10 * settings.ZHONGFU_IMPORT_MAX_BYTES:
                raise StatementRejected([_error(None, "", _("The file is too large; split it into smaller files."))])
            workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
            raw = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False) if workbook.sheet_names else []
        except StatementRejected:
            raise
        except Exception:  # noqa: BLE001 (zipfile and calamine raise their own types for broken workbooks)
            raise StatementRejected([_error(None, "", _("The file could not be read as an Excel workbook."))]) from None
        return [[_cell(v) for v in row] for row in raw]
    if not (name or "").lower().endswith((".csv", ".txt")):
        raise StatementRejected([_error(None, "", _("Upload an Excel file (.xlsx) or a CSV file (.csv)."))])
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise StatementRejected(
            [_error(None, "", _("The CSV file is not UTF-8 text (perhaps GBK). Save it as “CSV UTF-8”."))]
        ) from None
    try:
        return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text, newline=""))]
    except csv.Error:
        raise StatementRejected([_error(None, "", _("The file could not be read as a CSV file."))]) from None


def _norm(value: str) -> str:
    return re.sub(r"\s+", "", value or "").replace("（", "(").replace("）", ")").lower()


_LOOKUP = {_norm(header): column for column, headers in HEADERS.items() for header in headers}


def _find_header(rows: list[list[str]]) -> tuple[int, dict[str, int]] | None:
    """The header's index and its columns (column → position): the first of the top rows naming a date and
    an amount (one signed amount, or money in and money out)."""
    for i, row in enumerate(rows[:_HEADER_SEARCH]):
        columns: dict[str, int] = {}
        for j, cell in enumerate(row):
            column = _LOOKUP.get(_norm(cell))
            if column and column not in columns:
                columns[column] = j
        if DATE in columns and (AMOUNT in columns or (CREDIT in columns and DEBIT in columns)):
            return i, columns
    return None


def _parse_date(text: str) -> dt.date | None:
    text = text.strip()
    for candidate in (text, text[:10], text[:8]):
        for fmt in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(candidate, fmt).date()
            except ValueError:
                continue
    return None


def _parse_fen(text: str, *, signed: bool) -> int:
    """Yuan text as fen: '1,300.50', '-200', '+88.8', '¥50'. Raises ValueError with the reason."""
    cleaned = text.replace(",", "").replace("，", "").replace("¥", "").replace("￥", "").replace(" ", "")
    negative = cleaned.startswith(("-", "−"))
    cleaned = cleaned.lstrip("+-−")
    if not signed and negative:
        raise ValueError(_("Write the amount without a sign: the column says which way the money went."))
    try:
        fen = yuan_to_fen(cleaned)
    except Exception:  # noqa: BLE001 (InvalidInput, InvalidOperation: both mean "not an amount")
        raise ValueError(_("Not an amount of money: %(value)s") % {"value": text[:40]}) from None
    if fen > services.MAX_FEN:
        raise ValueError(_("The amount is too large."))
    return -fen if negative else fen


def parse_statement(
    name: str, content: bytes, *, period_start: dt.date, period_end: dt.date
) -> tuple[list[dict], list[dict]]:
    """The statement's lines ({"row", "date", "amount_fen", "counterparty", "reference", "memo"}) and every
    fault found (row as numbered in the file, the header being its row, column header, message)."""
    rows = _read(name, content)
    found = _find_header(rows)
    if found is None:
        wanted = "、".join(HEADERS[c][0] for c in (DATE, AMOUNT, COUNTERPARTY, REFERENCE, MEMO))
        return [], [
            _error(1, "", _("No header row: the statement needs the columns %(columns)s.") % {"columns": wanted})
        ]
    start, columns = found
    header = rows[start]
    heading = {column: header[j] for column, j in columns.items()}
    lines, errors, seen = [], [], {}
    for i in range(start + 1, len(rows)):
        row = rows[i] + [""] * (len(header) + 1)
        if not any(row):
            continue
        n = i + 1
        get = {column: row[j] for column, j in columns.items()}
        if _norm(get[DATE]) in _TOTAL_ROWS or any(_norm(cell) in _TOTAL_ROWS for cell in row[:2]):
            continue
        if len(lines) + len(errors) >= MAX_ROWS:
            return [], [_error(n, "", _("More than %(n)s rows: split the statement.") % {"n": MAX_ROWS})]
        faults = len(errors)
        date = _parse_date(get[DATE])
        if date is None:
            errors.append(
                _error(
                    n, heading[DATE], _("Not a date: %(value)s. Write it as 2026-03-31.") % {"value": get[DATE][:40]}
                )
            )
        elif not period_start <= date <= period_end:
            errors.append(_error(n, heading[DATE], _("%(date)s lies outside the statement's period.") % {"date": date}))
        amount = 0
        where = heading.get(AMOUNT) or heading[CREDIT]
        try:
            if AMOUNT in columns:
                if not get[AMOUNT]:
                    raise ValueError(_("Enter the amount."))
                amount = _parse_fen(get[AMOUNT], signed=True)
            else:
                money_in = _parse_fen(get[CREDIT], signed=False) if get[CREDIT] else 0
                where = heading[DEBIT]
                money_out = _parse_fen(get[DEBIT], signed=False) if get[DEBIT] else 0
                where = heading[CREDIT]
                if bool(money_in) == bool(money_out):
                    raise ValueError(_("Give the money in or the money out, not both and not neither."))
                amount = money_in - money_out
            if amount == 0:
                raise ValueError(_("An amount must not be zero."))
        except ValueError as e:
            errors.append(_error(n, where, e.args[0]))
        texts = {}
        for column in (COUNTERPARTY, REFERENCE, MEMO):
            value = get.get(column, "")
            if len(value) > _MAX_LENGTH[column]:
                errors.append(_error(n, heading[column], _("At most %(n)s characters.") % {"n": _MAX_LENGTH[column]}))
            texts[column] = value[: _MAX_LENGTH[column]]
        reference = texts[REFERENCE]
        if reference:
            if reference in seen:
                errors.append(
                    _error(
                        n,
                        heading[REFERENCE],
                        _("The reference %(ref)s appears twice (first on row %(first)s).")
                        % {"ref": reference, "first": seen[reference]},
                    )
                )
            seen.setdefault(reference, n)
        if len(errors) == faults:
            lines.append({"row": n, "date": date, "amount_fen": amount, **texts})
    if not lines and not errors:
        errors.append(_error(start + 1, "", _("The statement has no lines.")))
    return lines, errors


# --- importing -------------------------------------------------------------------------------------------


def _bank_account(actor, account: FundAccount) -> None:
    services._require_books(actor, account.unit)
    if account.kind != AccountKind.BANK:
        raise InvalidInput(_("A statement belongs to one of the unit's bank accounts."), field="account")


def _balance(value, *, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(_("An amount is a whole number of fen."), field=field)
    if abs(value) > services.MAX_FEN:
        raise InvalidInput(_("The amount is too large."), field=field)
    return value


@transaction.atomic
def statement_import(
    *,
    actor,
    account: FundAccount,
    period_start: dt.date,
    period_end: dt.date,
    opening_balance_fen: int,
    closing_balance_fen: int,
    name: str,
    content: bytes,
) -> BankStatement:
    """Check the statement whole, store it with its lines and match them (the rule in the module's
    docstring), all in one transaction: a fault anywhere writes nothing. The same file for the same account
    twice is refused, and so is a period overlapping another statement's of the account."""
    _bank_account(actor, account)
    if not isinstance(period_start, dt.date) or not isinstance(period_end, dt.date):
        raise InvalidInput(_("Enter a date."), field="period_start")
    if period_end < period_start:
        raise InvalidInput(_("The period ends before it starts."), field="period_end")
    if period_end > timezone.localdate():
        raise InvalidInput(_("The date cannot be in the future."), field="period_end")
    opening = _balance(opening_balance_fen, field="opening_balance_fen")
    closing = _balance(closing_balance_fen, field="closing_balance_fen")
    # One import of an account at a time: the checks below (same file, overlapping period) then hold.
    services._lock_accounts(account)
    sha = hashlib.sha256(content).hexdigest()
    earlier = BankStatement.objects.filter(account=account, sha256=sha).first()
    if earlier is not None:
        raise StatementAlreadyImported(earlier)
    overlap = BankStatement.objects.filter(
        account=account, period_start__lte=period_end, period_end__gte=period_start
    ).first()
    if overlap is not None:
        raise InvalidInput(
            _("Statement %(id)s already covers %(start)s to %(end)s of this account: the periods may not overlap."),
            field="period_start",
            id=overlap.pk,
            start=overlap.period_start.isoformat(),
            end=overlap.period_end.isoformat(),
        )
    lines, errors = parse_statement(name, content, period_start=period_start, period_end=period_end)
    if not errors:
        total = sum(line["amount_fen"] for line in lines)
        if opening + total != closing:
            errors.append(
                _error(
                    None,
                    "",
                    _(
                        "Opening balance %(opening)s + the lines %(total)s = %(sum)s fen, not the closing balance "
                        "%(closing)s fen."
                    )
                    % {"opening": opening, "total": total, "sum": opening + total, "closing": closing},
                )
            )
    if errors:
        raise StatementRejected(errors)
    try:
        with transaction.atomic():
            statement = BankStatement.objects.create(
                unit=account.unit,
                account=account,
                period_start=period_start,
                period_end=period_end,
                opening_balance_fen=opening,
                closing_balance_fen=closing,
                file_name=(name or "")[:200],
                sha256=sha,
                uploaded_by=actor,
            )
    except IntegrityError:
        raise StatementAlreadyImported(BankStatement.objects.get(account=account, sha256=sha)) from None
    BankStatementLine.objects.bulk_create(BankStatementLine(statement=statement, **line) for line in lines)
    matched = _auto_match(statement)
    audit_record(
        actor=actor,
        action="import",
        object_type="bank_statement",
        object_id=statement.pk,
        after={
            "account": account.code,
            "period": f"{period_start.isoformat()}..{period_end.isoformat()}",
            "lines": len(lines),
            "matched": matched,
            "sha256": sha,
        },
    )
    return statement


# --- matching --------------------------------------------------------------------------------------------


def movements(account: FundAccount, start: dt.date | None = None, end: dt.date | None = None):
    """The account's ledger lines that take part in matching: not of a reversed entry nor of a reversal,
    dated within [start, end] when given, with `ref` (the gift's bank reference or provider transaction id,
    or None) and `date`."""
    qs = LedgerLine.objects.filter(
        account=account, entry__reversed_by__isnull=True, entry__reverses__isnull=True
    ).annotate(date=F("entry__date"), ref=F("entry__donation__provider_txn_id"))
    if start is not None:
        qs = qs.filter(entry__date__gte=start)
    if end is not None:
        qs = qs.filter(entry__date__lte=end)
    return qs


def unmatched_movements(account: FundAccount, start: dt.date | None = None, end: dt.date | None = None):
    return movements(account, start, end).filter(statement_lines__isnull=True).order_by("entry__date", "pk")


def _fits(line, move) -> bool:
    if line.amount_fen != move.amount_fen or abs((line.date - move.date).days) > DATE_TOLERANCE_DAYS:
        return False
    return not (line.reference and move.ref and line.reference != move.ref)


def _auto_match(statement: BankStatement) -> int:
    """Match the statement's unmatched lines by the module's rule; returns how many were matched."""
    tolerance = dt.timedelta(days=DATE_TOLERANCE_DAYS)
    lines = list(statement.lines.filter(status=StatementLineStatus.UNMATCHED).order_by("row"))
    moves = list(
        unmatched_movements(statement.account, statement.period_start - tolerance, statement.period_end + tolerance)
    )
    pairs: dict[int, tuple] = {}  # statement line pk → (line, move, how)
    taken: set[int] = set()
    by_ref = defaultdict(list)
    for move in moves:
        if move.ref:
            by_ref[move.ref].append(move)
    for line in lines:
        found = by_ref.get(line.reference, []) if line.reference else []
        if len(found) == 1 and found[0].amount_fen == line.amount_fen and found[0].pk not in taken:
            pairs[line.pk] = (line, found[0], MatchHow.REFERENCE)
            taken.add(found[0].pk)
    rest = [line for line in lines if line.pk not in pairs]
    by_amount = defaultdict(list)
    for move in moves:
        if move.pk not in taken:
            by_amount[move.amount_fen].append(move)
    fits = {line.pk: [m for m in by_amount.get(line.amount_fen, ()) if _fits(line, m)] for line in rest}
    fitted_by: dict[int, int] = defaultdict(int)
    for found in fits.values():
        for move in found:
            fitted_by[move.pk] += 1
    changed = []
    for line in rest:
        found = fits[line.pk]
        if len(found) == 1 and fitted_by[found[0].pk] == 1:
            pairs[line.pk] = (line, found[0], MatchHow.AMOUNT_DATE)
        else:
            # A ledger line that fits several statement lines makes each of them ambiguous too.
            count = max(len(found), 2 if any(fitted_by[m.pk] > 1 for m in found) else len(found))
            if line.candidates != count:
                line.candidates = count
                changed.append(line)
    BankStatementLine.objects.bulk_update(changed, ["candidates"])
    now = timezone.now()
    for line, move, how in pairs.values():
        line.status, line.ledger_line_id, line.how, line.candidates = StatementLineStatus.MATCHED, move.pk, how, 1
        line.resolved_at, line.resolved_by = now, None
    BankStatementLine.objects.bulk_update(
        [line for line, _move, _how in pairs.values()],
        ["status", "ledger_line", "how", "candidates", "resolved_at", "resolved_by"],
    )
    return len(pairs)


def _line_locked(line: BankStatementLine) -> BankStatementLine:
    # The account's row first (as imports and gifts lock it), then the line: one order, no deadlock.
    services._lock_accounts(line.statement.account)
    return BankStatementLine.objects.select_for_update().select_related("statement__account__unit").get(pk=line.pk)


def _audit_line(actor, action: str, line: BankStatementLine, after: dict, reason: str = "") -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="bank_statement_line",
        object_id=line.pk,
        after={"statement": line.statement_id, "row": line.row, "amount_fen": line.amount_fen, **after},
        reason=reason,
    )


@transaction.atomic
def statement_rematch(*, actor, statement: BankStatement) -> int:
    """Run the automatic match again over the lines still unmatched (after gifts were recorded, say)."""
    _bank_account(actor, statement.account)
    services._lock_accounts(statement.account)
    matched = _auto_match(statement)
    if matched:
        audit_record(
            actor=actor,
            action="rematch",
            object_type="bank_statement",
            object_id=statement.pk,
            after={"matched": matched},
        )
    return matched


def _require_unmatched(line: BankStatementLine) -> None:
    if line.status != StatementLineStatus.UNMATCHED:
        raise InvalidInput(_("This line is already matched or explained: reopen it first."), field="line")


@transaction.atomic
def line_match(*, actor, line: BankStatementLine, ledger_line_id: int) -> BankStatementLine:
    """Match a line by hand to a ledger line of the same bank account and the same signed amount that no
    other statement line is matched to."""
    _bank_account(actor, line.statement.account)
    line = _line_locked(line)
    _require_unmatched(line)
    move = movements(line.statement.account).filter(pk=ledger_line_id).first()
    if move is None:
        raise InvalidInput(
            _("No such ledger line of this bank account (or its entry was reversed)."), field="ledger_line"
        )
    if move.amount_fen != line.amount_fen:
        raise InvalidInput(
            _("The ledger line is %(move)s fen, the statement line %(line)s fen: only equal amounts match."),
            field="ledger_line",
            move=move.amount_fen,
            line=line.amount_fen,
        )
    if BankStatementLine.objects.filter(ledger_line_id=move.pk).exists():
        raise InvalidInput(_("This ledger line is already matched to another statement line."), field="ledger_line")
    line.status, line.ledger_line_id, line.how = StatementLineStatus.MATCHED, move.pk, MatchHow.MANUAL
    line.resolved_by, line.resolved_at = actor, timezone.now()
    try:
        with transaction.atomic():
            line.save(update_fields=["status", "ledger_line", "how", "resolved_by", "resolved_at"])
    except IntegrityError:
        raise InvalidInput(
            _("This ledger line is already matched to another statement line."), field="ledger_line"
        ) from None
    _audit_line(actor, "match", line, {"ledger_line": move.pk, "entry": move.entry_id, "how": MatchHow.MANUAL})
    return line


@transaction.atomic
def line_explain(*, actor, line: BankStatementLine, note: str) -> BankStatementLine:
    """Mark an unmatched line explained (bank charges, interest, a transfer between the unit's accounts)."""
    _bank_account(actor, line.statement.account)
    note = services._text(note, field="note", max_length=200)
    line = _line_locked(line)
    _require_unmatched(line)
    line.status, line.note, line.how = StatementLineStatus.EXPLAINED, note, MatchHow.NONE
    line.resolved_by, line.resolved_at = actor, timezone.now()
    line.save(update_fields=["status", "note", "how", "resolved_by", "resolved_at"])
    _audit_line(actor, "explain", line, {"note": note})
    return line


@transaction.atomic
def line_reopen(*, actor, line: BankStatementLine, reason: str) -> BankStatementLine:
    """Undo a match or an explanation, with the reason: the line is unmatched again."""
    _bank_account(actor, line.statement.account)
    reason = services._text(reason, field="reason", max_length=200)
    line = _line_locked(line)
    if line.status == StatementLineStatus.UNMATCHED:
        raise InvalidInput(_("This line is not matched nor explained."), field="line")
    before = {"status": line.status, "ledger_line": line.ledger_line_id, "how": line.how, "note": line.note}
    line.status, line.ledger_line, line.how, line.note = StatementLineStatus.UNMATCHED, None, MatchHow.NONE, ""
    line.resolved_by, line.resolved_at = actor, timezone.now()
    line.save(update_fields=["status", "ledger_line", "how", "note", "resolved_by", "resolved_at"])
    audit_record(
        actor=actor,
        action="reopen",
        object_type="bank_statement_line",
        object_id=line.pk,
        before=before,
        after={"status": line.status},
        reason=reason,
    )
    return line


@transaction.atomic
def line_record_gift(*, actor, line: BankStatementLine, account: FundAccount | None = None, donor: Donor | None = None):
    """Record an unmatched credit as a bank-transfer gift (the offline-gift service: ledger entry, audit) and
    match the line to it. Only for the unit's own bank account, where transfers are booked."""
    statement = line.statement
    _bank_account(actor, statement.account)
    if statement.account.code != services.BANK:
        raise InvalidInput(_("Gifts by transfer are booked on the unit's bank account, not on this one."), field="line")
    line = _line_locked(line)
    _require_unmatched(line)
    if line.amount_fen <= 0:
        raise InvalidInput(_("Only money in can be a gift."), field="line")
    donation = services.donation_record_offline(
        actor=actor,
        unit=statement.unit,
        amount_fen=line.amount_fen,
        channel=Channel.TRANSFER,
        received_on=line.date,
        donor=donor,
        account=account,
        bank_reference=line.reference,
        memo=" ".join(filter(None, [line.counterparty, line.memo]))[:200],
    )
    move = donation.entry.lines.get(account=statement.account)
    line.status, line.ledger_line, line.how = StatementLineStatus.MATCHED, move, MatchHow.GIFT
    line.resolved_by, line.resolved_at = actor, timezone.now()
    line.save(update_fields=["status", "ledger_line", "how", "resolved_by", "resolved_at"])
    _audit_line(actor, "match", line, {"ledger_line": move.pk, "donation": donation.pk, "how": MatchHow.GIFT})
    return donation


# --- reads -----------------------------------------------------------------------------------------------


def statements_of(unit):
    return BankStatement.objects.filter(unit=unit).select_related("account", "uploaded_by")


def statement_for_books(*, user, statement_id: int) -> BankStatement:
    statement = (
        BankStatement.objects.select_related("account__unit", "unit")
        .filter(pk=statement_id, unit__in=units_kept_by(user))
        .first()
    )
    if statement is None:
        raise NotFound()
    return statement


def line_for_books(*, user, line_id: int) -> BankStatementLine:
    line = (
        BankStatementLine.objects.select_related("statement__account__unit", "statement__unit")
        .filter(pk=line_id, statement__unit__in=units_kept_by(user))
        .first()
    )
    if line is None:
        raise NotFound()
    return line


def _ledger_balance(account: FundAccount, *, before: dt.date | None = None, through: dt.date | None = None) -> int:
    qs = LedgerLine.objects.filter(account=account)
    if before is not None:
        qs = qs.filter(entry__date__lt=before)
    if through is not None:
        qs = qs.filter(entry__date__lte=through)
    return qs.aggregate(s=Sum("amount_fen"))["s"] or 0


def statement_summary(statement: BankStatement) -> dict:
    """The statement beside the ledger, to the fen: both balances at the start and the end of the period and
    their difference; the lines by status; the ledger lines of the period no statement line is matched to."""
    account = statement.account
    lines = list(statement.lines.select_related("ledger_line__entry", "resolved_by").order_by("row"))
    counts = {s: 0 for s in StatementLineStatus.values}
    sums = {s: 0 for s in StatementLineStatus.values}
    for line in lines:
        counts[line.status] += 1
        sums[line.status] += line.amount_fen
    unmatched_moves = list(
        unmatched_movements(account, statement.period_start, statement.period_end).select_related("entry")
    )
    ledger_opening = _ledger_balance(account, before=statement.period_start)
    ledger_closing = _ledger_balance(account, through=statement.period_end)
    return {
        "statement": statement,
        "lines": lines,
        "counts": counts,
        "sums": sums,
        "unmatched_movements": unmatched_moves,
        "unmatched_movements_fen": sum(m.amount_fen for m in unmatched_moves),
        "ledger_opening_fen": ledger_opening,
        "ledger_closing_fen": ledger_closing,
        "opening_difference_fen": statement.opening_balance_fen - ledger_opening,
        "difference_fen": statement.closing_balance_fen - ledger_closing,
        "reconciled": statement.closing_balance_fen == ledger_closing and counts[StatementLineStatus.UNMATCHED] == 0,
    }


def candidates_for(line: BankStatementLine):
    """The ledger lines an officer may match this line to by hand: unmatched, same signed amount, nearest
    date first."""
    moves = list(unmatched_movements(line.statement.account).filter(amount_fen=line.amount_fen).select_related("entry"))
    moves.sort(key=lambda m: (abs((m.date - line.date).days), m.pk))
    return moves[:20]


def bank_accounts(unit):
    return FundAccount.objects.filter(unit=unit, kind=AccountKind.BANK).order_by("code")
