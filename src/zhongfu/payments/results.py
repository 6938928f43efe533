"""Import of the bank's results for an issued roll (xlsx or a UTF-8 CSV), in the house style of
registry/importing.py: every row is checked first and every fault reported (row as numbered in the
spreadsheet, column, message); only a file without faults is written, in one transaction. Importing the
same results again changes nothing. The first import draws the callback sample of the roll.

Layout (docs/payments.md): a header row with 明细编号, 金额（分）, 结果, 失败原因; one row per line of the roll;
结果 is 成功 or 失败 (paid / failed are accepted too); a failure needs its reason. The file must cover every
line of the roll exactly once, with the line's amount, so count and total reconcile with the roll."""

import csv
import hashlib
import io
import math
import random
from dataclasses import dataclass, field

import python_calamine
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhongfu.audit.services import audit_record, audit_record_many
from zhongfu.common.errors import InvalidInput

from .models import Callback, LineStatus, PaymentLine, PaymentRoll, RollStatus
from .services import _require_manage, check_totals

REF, AMOUNT, RESULT, REASON = "明细编号", "金额（分）", "结果", "失败原因"
RESULT_COLUMNS = [REF, AMOUNT, RESULT, REASON]
_RESULTS = {"成功": LineStatus.PAID, "paid": LineStatus.PAID, "失败": LineStatus.FAILED, "failed": LineStatus.FAILED}
MAX_BYTES = 20 * 1024 * 1024


class ResultsRejected(InvalidInput):
    """The file has faults; `errors` lists them as {"row", "field", "message"} and nothing was written."""

    def __init__(self, errors: list[dict]):
        self.errors = errors
        super().__init__(
            _("The results file was not imported: %(n)s problems, listed by row. Nothing was changed."),
            field="file",
            n=len(errors),
        )


@dataclass
class ImportOutcome:
    roll: PaymentRoll
    changed: int
    paid: int = 0
    failed: int = 0
    paid_fen: int = 0
    failed_fen: int = 0
    callbacks: list = field(default_factory=list)


def _read_rows(name: str, content: bytes) -> list[list[str]]:
    if len(content) > MAX_BYTES:
        raise InvalidInput(_("The file is too large."), field="file")
    if name.lower().endswith(".xlsx") or content[:2] == b"PK":
        try:
            sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
            raw = sheet.to_python(skip_empty_area=False)
        except Exception:  # noqa: BLE001 (calamine raises its own types for every kind of broken workbook)
            raise InvalidInput(_("The file is not a readable .xlsx workbook."), field="file") from None
        return [[_cell(v) for v in row] for row in raw]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(_("A CSV file must be encoded in UTF-8."), field="file") from None
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


def _cell(value) -> str:
    # calamine gives numbers as floats: 12345.0 is the integer 12345.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip() if value is not None else ""


def results_template_rows(roll: PaymentRoll) -> list[list]:
    """A results file the bank (or a test) fills in: every line, amount given, result blank."""
    return [RESULT_COLUMNS] + [[line.reference, line.amount_fen, "", ""] for line in roll.lines.order_by("seq")]


def _check(roll: PaymentRoll, rows: list[list[str]]) -> tuple[list[dict], dict]:
    errors: list[dict] = []
    # Skip blank rows before the header.
    start = next((i for i, row in enumerate(rows) if any(row)), None)
    if start is None:
        return [{"row": 1, "field": REF, "message": str(_("The file is empty."))}], {}
    header = rows[start]
    columns = {name: header.index(name) for name in RESULT_COLUMNS if name in header}
    missing = [name for name in RESULT_COLUMNS if name not in columns]
    if missing:
        message = str(_("Missing column: %(columns)s")) % {"columns": "、".join(missing)}
        return [{"row": start + 1, "field": missing[0], "message": message}], {}
    lines = {line.reference: line for line in roll.lines.select_related("roll")}
    seen: dict[str, int] = {}
    results: dict = {}
    for i in range(start + 1, len(rows)):
        row = rows[i] + [""] * len(header)
        if not any(row):
            continue
        n = i + 1

        def err(col, message, n=n, **params):
            errors.append({"row": n, "field": col, "message": str(message) % params if params else str(message)})

        ref = row[columns[REF]]
        line = lines.get(ref)
        if not ref:
            err(REF, _("The line reference is empty."))
            continue
        if line is None:
            err(REF, _("Unknown line reference %(ref)s: it is not on roll %(number)s."), ref=ref, number=roll.number)
            continue
        if ref in seen:
            err(REF, _("Line %(ref)s appears twice (first on row %(first)s)."), ref=ref, first=seen[ref])
            continue
        seen[ref] = n
        amount = row[columns[AMOUNT]]
        if not amount.isdigit():
            err(AMOUNT, _("The amount must be a whole number of fen."))
        elif int(amount) != line.amount_fen:
            err(
                AMOUNT,
                _("The amount %(amount)s differs from the line's %(line)s fen."),
                amount=amount,
                line=line.amount_fen,
            )
        status = _RESULTS.get(row[columns[RESULT]].strip().lower())
        reason = row[columns[REASON]].strip()
        if status is None:
            err(RESULT, _("The result must be 成功 or 失败."))
        elif status == LineStatus.FAILED and not reason:
            err(REASON, _("A failed payment needs its reason."))
        elif len(reason) > 200:
            err(REASON, _("A reason is at most 200 characters."))
        # A reissued line was a failure: the same file again is fine, a different result is not.
        old = LineStatus.FAILED if line.status == LineStatus.REISSUED else line.status
        if old in (LineStatus.PAID, LineStatus.FAILED) and status and old != status:
            err(RESULT, _("Line %(ref)s already has the result %(old)s; it cannot change."), ref=ref, old=line.status)
        results[ref] = (line, status, reason if status == LineStatus.FAILED else "")
    not_covered = [ref for ref in lines if ref not in seen]
    if not_covered and not errors:
        errors.append(
            {
                "row": len(rows),
                "field": REF,
                "message": str(_("%(n)s lines of the roll have no result: %(refs)s"))
                % {"n": len(not_covered), "refs": ", ".join(not_covered[:10])},
            }
        )
    return errors, results


@transaction.atomic
def results_import(*, actor, roll: PaymentRoll, name: str, content: bytes) -> ImportOutcome:
    """Apply the bank's results to an issued roll (see the module docstring)."""
    _require_manage(actor)
    roll = PaymentRoll.objects.select_for_update().get(pk=roll.pk)
    if roll.status not in (RollStatus.ISSUED, RollStatus.RESULTS_IMPORTED):
        raise InvalidInput(_("Results are imported into an issued roll."), field="status")
    sha = hashlib.sha256(content).hexdigest()
    errors, results = _check(roll, _read_rows(name, content))
    if errors:
        raise ResultsRejected(errors)
    now = timezone.now()
    changed = [
        (line, status, reason)
        for line, status, reason in results.values()
        if line.status == LineStatus.PENDING
        or (line.status != LineStatus.REISSUED and (line.status, line.failure_reason) != (status, reason))
    ]
    # A second paid line for a case and month (a reissue paid after the original) is refused here, before the
    # database's constraint would refuse it, so the user reads which line.
    paid_refs = [line for line, status, _r in changed if status == LineStatus.PAID]
    already = set(
        PaymentLine.objects.filter(status=LineStatus.PAID)
        .filter(case_id__in=[x.case_id for x in paid_refs])
        .values_list("case_id", "month")
    )
    twice = [
        {
            "row": None,
            "field": RESULT,
            "message": str(_("Line %(ref)s would pay a case twice for its month.")) % {"ref": x.reference},
        }
        for x in paid_refs
        if (x.case_id, x.month) in already
    ]
    if twice:
        raise ResultsRejected(twice)
    for line, status, reason in changed:
        line.status, line.failure_reason, line.result_at = status, reason, now
    PaymentLine.objects.bulk_update([x[0] for x in changed], ["status", "failure_reason", "result_at"])
    check_totals(roll)
    all_lines = [x[0] for x in results.values()]
    outcome = ImportOutcome(roll=roll, changed=len(changed))
    for line, status, _reason in results.values():
        if status == LineStatus.PAID:
            outcome.paid += 1
            outcome.paid_fen += line.amount_fen
        else:
            outcome.failed += 1
            outcome.failed_fen += line.amount_fen
    if not changed:
        return outcome
    first = roll.status == RollStatus.ISSUED
    roll.status = RollStatus.RESULTS_IMPORTED
    roll.results_at = now
    roll.results_sha256 = sha
    roll.save(update_fields=["status", "results_at", "results_sha256"])
    audit_record_many(
        actor=actor,
        entries=[
            {
                "action": "update",
                "object_type": "payment_line",
                "object_id": line.pk,
                "household_id": line.household_id,
                "region_code": line.region_code,
                "before": {"status": LineStatus.PENDING},
                "after": {
                    "status": status,
                    "failure_reason": reason,
                    "amount_fen": line.amount_fen,
                    "ref": line.reference,
                },
            }
            for line, status, reason in changed
        ],
    )
    audit_record(
        actor=actor,
        action="import",
        object_type="payment_roll",
        object_id=roll.pk,
        after={
            "number": roll.number,
            "file_sha256": sha,
            "paid": outcome.paid,
            "failed": outcome.failed,
            "paid_fen": outcome.paid_fen,
            "failed_fen": outcome.failed_fen,
        },
    )
    if first:
        outcome.callbacks = callbacks_sample(actor=actor, roll=roll, lines=all_lines)
    return outcome


def callback_share() -> float:
    return float(getattr(settings, "ZHONGFU_CALLBACK_SHARE", 0.10))


def sample_lines(roll: PaymentRoll, paid: list[PaymentLine], share: float) -> list[PaymentLine]:
    """A reproducible sample: the roll's number seeds the draw over the paid lines in their order, so the
    same roll always gives the same households. At least one call when anything was paid."""
    paid = sorted(paid, key=lambda x: x.seq)
    if not paid or share <= 0:
        return []
    k = min(len(paid), max(1, math.ceil(len(paid) * share)))
    chosen = random.Random(roll.number).sample(paid, k)
    return sorted(chosen, key=lambda x: x.seq)


def callbacks_sample(*, actor, roll: PaymentRoll, lines: list[PaymentLine]) -> list[Callback]:
    paid = [line for line in lines if line.status == LineStatus.PAID]
    chosen = sample_lines(roll, paid, callback_share())
    callbacks = Callback.objects.bulk_create(
        [Callback(line=line, roll=roll, household_id=line.household_id) for line in chosen]
    )
    roll.callback_seed = roll.number
    roll.save(update_fields=["callback_seed"])
    audit_record(
        actor=actor,
        action="create",
        object_type="callback_sample",
        object_id=roll.pk,
        after={
            "number": roll.number,
            "share": callback_share(),
            "seed": roll.number,
            "lines": [x.reference for x in chosen],
        },
    )
    return callbacks
