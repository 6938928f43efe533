"""Batches of offline gifts: the template, a good file recorded whole with receipts, a file with faults
writing nothing and reporting row and column, the same file twice, a bank reference recorded before."""

import csv
import datetime as dt
import io

import pytest
import python_calamine
from django.utils import translation

from zhongfu.audit.models import AuditEntry
from zhongfu.common.errors import PermissionDenied
from zhongfu.funds import batches, services
from zhongfu.funds.models import Donation, Donor, GiftBatch, LedgerEntry, Receipt

from .conftest import uscc

pytestmark = pytest.mark.django_db

HEADER = [
    "date",
    "donor_kind",
    "donor_name",
    "uscc",
    "anonymous",
    "consent",
    "alias",
    "amount",
    "channel",
    "bank_reference",
    "account",
    "restriction",
    "receipt",
]


def _csv(rows, header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def _rows(today):
    d = today.isoformat()
    return [
        [
            d,
            "organisation",
            "杭州春风科技有限公司",
            uscc(),
            "no",
            "yes",
            "春风",
            "50000",
            "transfer",
            "B-001",
            "sb-edu",
            "SB-EDU",
            "yes",
        ],
        [d, "person", "王芳", "", "no", "no", "", "200.50", "cash", "", "", "", ""],
        [d, "", "", "", "yes", "no", "", "100", "cash", "", "", "", "no"],
    ]


def _written():
    return Donation.objects.count(), LedgerEntry.objects.count(), Receipt.objects.count(), Donor.objects.count()


def test_a_good_file_records_every_gift_with_receipts_in_one_batch(keeper, unit, education, today):
    fund, _budget = education
    batch = batches.gift_batch_load_file(actor=keeper, unit=unit, name="gifts.csv", content=_csv(_rows(today)))
    assert batch.row_count == 3 and batch.total_fen == 5_000_000 + 20050 + 10000
    items = list(batches.batch_gifts(batch))
    assert [i.row for i in items] == [2, 3, 4]
    org, person, anonymous = (i.donation for i in items)
    assert org.account == fund and org.directed and org.provider_txn_id == "B-001"
    assert org.donor.uscc == uscc() and org.donor.consent_to_name and org.donor.alias == "春风"
    assert person.account.code == "general" and person.channel == "cash" and person.donor.name == "王芳"
    assert anonymous.donor is None and anonymous.receipt_declined
    assert [r.number for r in Receipt.objects.order_by("number")] == [1, 2]
    assert not anonymous.receipts.exists()
    audit = AuditEntry.objects.get(object_type="gift_batch")
    assert audit.action == "import" and audit.after["rows"] == 3 and audit.after["total_fen"] == batch.total_fen
    assert AuditEntry.objects.filter(object_type="donation").count() == 3


def test_an_xlsx_template_filled_in_is_recorded(keeper, unit, education, today):
    content = batches.template_xlsx(unit)
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    assert sheet[0][0] == "date received" and "fund account code" in sheet[0]
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = book.add_worksheet()
    with translation.override("zh-hans"):
        ws.write_row(0, 0, [str(c.header) for c in batches.COLUMNS])
    ws.write_datetime(1, 0, dt.datetime.combine(today, dt.time()), book.add_format({"num_format": "yyyy-mm-dd"}))
    ws.write_row(1, 1, ["个人", "李雷", "", "否", "否", ""])
    ws.write_number(1, 7, 300.5)
    ws.write_row(1, 8, ["现金", "", "", "", "是"])
    book.close()
    batch = batches.gift_batch_load_file(actor=keeper, unit=unit, name="礼.xlsx", content=out.getvalue())
    donation = batch.items.get().donation
    assert donation.amount_fen == 30050 and donation.received_on == today and donation.receipts.count() == 1


def test_a_file_with_faults_writes_nothing_and_names_row_and_column(keeper, unit, education, today):
    services.period_lock(actor=keeper, unit=unit, month=dt.date(2025, 1, 1))
    before = _written()
    rows = _rows(today) + [
        [today.isoformat(), "person", "甲", "", "", "", "", "0", "cash", "", "", "", ""],
        [today.isoformat(), "person", "乙", "", "", "", "", "-5", "cash", "", "", "", ""],
        [today.isoformat(), "person", "丙", "", "", "", "", "1.001", "cash", "", "", "", ""],
        [
            today.isoformat(),
            "organisation",
            "丁公司",
            uscc()[:-1] + "0" if uscc()[-1] != "0" else uscc()[:-1] + "1",
            "",
            "",
            "",
            "5",
            "cash",
            "",
            "",
            "",
            "",
        ],
        [today.isoformat(), "person", "戊", "", "", "", "", "5", "transfer", "", "nope", "", ""],
        [today.isoformat(), "person", "己", "", "", "", "", "5", "transfer", "", "sb-edu", "SB-OLD", ""],
        ["2025-01-15", "person", "庚", "", "", "", "", "5", "cash", "", "", "", ""],
        [today.isoformat(), "person", "辛", "", "", "", "", "5", "transfer", "B-001", "", "", ""],
    ]
    with pytest.raises(batches.GiftBatchRejected) as e:
        batches.gift_batch_load_file(actor=keeper, unit=unit, name="bad.csv", content=_csv(rows))
    faults = {(f["row"], f["column"]) for f in e.value.errors}
    assert faults == {
        (5, "amount (yuan)"),
        (6, "amount (yuan)"),
        (7, "amount (yuan)"),
        (8, "USCC (organisations)"),
        (9, "fund account code"),
        (10, "directed to"),
        (11, "date received"),
        (12, "bank reference"),
    }
    messages = {f["row"]: f["message"] for f in e.value.errors}
    assert "more than zero" in messages[5] and "two decimals" in messages[7] and "check character" in messages[8]
    assert "locked" in messages[11] and "row 2" in messages[12]
    assert _written() == before and not GiftBatch.objects.exists()
    # In the user's language: the same report in Chinese names the column in Chinese.
    with translation.override("zh-hans"), pytest.raises(batches.GiftBatchRejected) as zh:
        batches.gift_batch_load_file(actor=keeper, unit=unit, name="bad.csv", content=_csv(rows))
    assert {f["row"] for f in zh.value.errors} == {5, 6, 7, 8, 9, 10, 11, 12}


def test_the_same_file_twice_is_refused_naming_the_first_batch(keeper, unit, education, today):
    content = _csv(_rows(today))
    first = batches.gift_batch_load_file(actor=keeper, unit=unit, name="gifts.csv", content=content)
    before = _written()
    with pytest.raises(batches.GiftBatchAlreadyLoaded) as e:
        batches.gift_batch_load_file(actor=keeper, unit=unit, name="again.csv", content=content)
    assert f"batch {first.pk}" in str(e.value) and "gifts.csv" in str(e.value)
    assert _written() == before and GiftBatch.objects.count() == 1


def test_a_bank_reference_already_recorded_is_refused(keeper, unit, education, today):
    services.donation_record_offline(
        actor=keeper, unit=unit, amount_fen=100, channel="transfer", received_on=today, bank_reference="B-001"
    )
    before = _written()
    with pytest.raises(batches.GiftBatchRejected) as e:
        batches.gift_batch_load_file(actor=keeper, unit=unit, name="gifts.csv", content=_csv(_rows(today)))
    assert [(f["row"], f["column"]) for f in e.value.errors] == [(2, "bank reference")]
    assert "already recorded" in e.value.errors[0]["message"]
    assert _written() == before


def test_typed_rows_go_through_the_same_checks(keeper, unit, education, today):
    good = {"date": today.isoformat(), "donor_kind": "person", "donor_name": "韩梅", "amount": "88", "channel": "cash"}
    bad = {**good, "amount": "abc"}
    with pytest.raises(batches.GiftBatchRejected) as e:
        batches.gift_batch_load_rows(actor=keeper, unit=unit, rows=[good, bad, {}])
    assert [(f["row"], f["column"]) for f in e.value.errors] == [(2, "amount (yuan)")]
    batch = batches.gift_batch_load_rows(actor=keeper, unit=unit, rows=[good, {}])
    assert batch.row_count == 1 and batch.total_fen == 8800


def test_only_bookkeepers_load_batches(unit, users, today, education):
    from zhongfu.accounts.roles import Role

    with pytest.raises(PermissionDenied):
        batches.gift_batch_load_file(
            actor=users[Role.STREET_CASEWORKER], unit=unit, name="g.csv", content=_csv(_rows(today))
        )
    assert not Donation.objects.exists()


def test_a_row_may_pay_a_pledge(keeper, unit, education, today):
    from zhongfu.funds import pledges

    fund, _budget = education
    company = services.donor_register(actor=keeper, kind="organisation", name="杭州春风科技有限公司", uscc=uscc())
    pledge = pledges.pledge_create(
        actor=keeper, unit=unit, donor=company, amount_fen=1_000_000, pledged_on=today, account=fund
    )
    header = ["date", "amount", "channel", "bank_reference", "account", "pledge"]
    wrong = [
        [today.isoformat(), "4000", "transfer", "P-1", "", "999"],
        [today.isoformat(), "4000", "transfer", "P-2", "general", str(pledge.pk)],
    ]
    with pytest.raises(batches.GiftBatchRejected) as e:
        batches.gift_batch_load_file(actor=keeper, unit=unit, name="p.csv", content=_csv(wrong, header))
    assert [(f["row"], f["column"]) for f in e.value.errors] == [(2, "pledge no."), (3, "fund account code")]
    good = [[today.isoformat(), "4000", "transfer", "P-1", "", str(pledge.pk)]]
    batch = batches.gift_batch_load_file(actor=keeper, unit=unit, name="p.csv", content=_csv(good, header))
    donation = batch.items.get().donation
    assert donation.donor == company and donation.account == fund and donation.receipts.count() == 1
    assert pledges.pledge_figures(pledge)["received_fen"] == 400_000
