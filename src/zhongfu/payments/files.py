"""The bank batch file of an issued roll, in the layout of docs/payments.md, as .xlsx and as CSV.

The file carries clear account numbers (the bank needs them), so it is made only for roll managers and
every download is written to the audit log. Headers are the file format: fixed Chinese text, not translated."""

import csv
import io

import xlsxwriter
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhongfu.audit.services import audit_record
from zhongfu.common import personal_data as pd
from zhongfu.common.errors import InvalidInput

from .models import PaymentRoll, RollStatus
from .services import _require_manage, check_totals

FILE_TAG = "ZFPAY"
COLUMNS = ["序号", "明细编号", "收款人", "开户银行", "账号", "金额（分）", "金额（元）", "户编号", "政策", "发放月份"]
HEADER_TITLES = ["文件标识", "批次号", "发放月份", "总笔数", "总金额（分）", "总金额（元）"]
TRAILER_TAG = "合计"
FORMATS = {"xlsx", "csv"}


def yuan_plain(fen: int) -> str:
    """Fen as yuan with two decimals and no thousands separator, as banks read it: 130050 → 1300.50."""
    return f"{fen // 100}.{fen % 100:02d}"


def batch_filename(roll: PaymentRoll, fmt: str) -> str:
    return f"{FILE_TAG}_{roll.number}_{timezone.localdate():%Y%m%d}.{fmt}"


def batch_rows(roll: PaymentRoll) -> list[list]:
    """Row 1: header titles; row 2: header values; row 3: column titles; then one row per line; then the
    trailer (合计, count, total fen, total yuan). Every cell is text except 序号 and the amounts in fen."""
    lines = list(roll.lines.select_related("household").order_by("seq"))
    rows: list[list] = [
        HEADER_TITLES,
        [FILE_TAG, roll.number, f"{roll.month:%Y-%m}", roll.line_count, roll.total_fen, yuan_plain(roll.total_fen)],
        COLUMNS,
    ]
    for line in lines:
        rows.append(
            [
                line.seq,
                line.reference,
                line.payee_name,
                line.bank_name,
                pd.decrypt(line.account_number_enc) if line.account_number_enc else "",
                line.amount_fen,
                yuan_plain(line.amount_fen),
                line.household.number,
                line.policy_code,
                f"{line.month:%Y-%m}",
            ]
        )
    rows.append(
        [TRAILER_TAG, len(lines), sum(x.amount_fen for x in lines), yuan_plain(sum(x.amount_fen for x in lines))]
    )
    return rows


def _xlsx(rows: list[list]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("发放明细")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            # Account and household numbers stay text: Excel would round them as numbers.
            if isinstance(value, int):
                sheet.write_number(r, c, value)
            else:
                sheet.write_string(r, c, str(value))
    sheet.set_column(1, 1, 26)
    sheet.set_column(4, 4, 24)
    sheet.set_column(7, 7, 20)
    book.close()
    return buffer.getvalue()


def _csv(rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    # UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly.
    return buffer.getvalue().encode("utf-8-sig")


@transaction.atomic
def batch_file(*, actor, roll: PaymentRoll, fmt: str) -> tuple[str, bytes]:
    """(file name, content) of an issued roll; the download is audited (it shows clear account numbers)."""
    _require_manage(actor)
    if fmt not in FORMATS:
        raise InvalidInput(_("Choose xlsx or csv."), field="format")
    if roll.status == RollStatus.DRAFT:
        raise InvalidInput(_("Issue the roll first: the bank file is made from an issued roll only."), field="status")
    check_totals(roll)
    rows = batch_rows(roll)
    content = _xlsx(rows) if fmt == "xlsx" else _csv(rows)
    audit_record(
        actor=actor,
        action="unmask",
        object_type="payment_roll",
        object_id=roll.pk,
        after={"number": roll.number, "file": fmt, "line_count": roll.line_count, "total_fen": roll.total_fen},
        reason="bank batch file",
    )
    return batch_filename(roll, fmt), content
