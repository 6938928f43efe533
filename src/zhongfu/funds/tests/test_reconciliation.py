"""Bank reconciliation: a statement is imported all or nothing (row and column named), once; its lines are
matched to the bank account's ledger lines by reference, then by amount and date when the pair is unique;
ambiguity is left to an officer, who matches by hand, explains, reopens or records a gift. Nothing of it
writes to the ledger (except the recorded gift, through the gift service). Pages and API are unit-scoped."""

import datetime as dt
import io

import pytest
import xlsxwriter
from django.conf import settings
from django.test import Client

from zhongfu.accounts.models import Unit, User
from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.common.errors import InvalidInput, PermissionDenied
from zhongfu.funds import reconciliation, services
from zhongfu.funds.models import BankStatement, BankStatementLine, Donation, LedgerEntry, LedgerLine

pytestmark = pytest.mark.django_db

HEAD = "日期,金额,对方户名,流水号,摘要\n"


def _csv(*rows: str, head: str = HEAD) -> bytes:
    return (head + "".join(r + "\n" for r in rows)).encode("utf-8")


@pytest.fixture
def day(today) -> dt.date:
    """A day far enough back that ±3 days around it are in the past, in one month."""
    d = today - dt.timedelta(days=40)
    return d.replace(day=10)


@pytest.fixture
def bank(keeper, unit):
    return services.standard_account(unit, services.BANK)


def _gift(keeper, unit, fen, on, **kw):
    return services.donation_record_offline(
        actor=keeper, unit=unit, amount_fen=fen, channel="transfer", received_on=on, **kw
    )


def _import(keeper, bank, content, day, *, opening=0, closing=None, name="s.csv", **kw):
    if closing is None:
        closing = opening + kw.pop("total")
    return reconciliation.statement_import(
        actor=keeper,
        account=bank,
        period_start=kw.pop("start", day.replace(day=1)),
        period_end=kw.pop("end", day.replace(day=28)),
        opening_balance_fen=opening,
        closing_balance_fen=closing,
        name=name,
        content=content,
    )


def _client(user) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def test_a_statement_with_a_bad_row_writes_nothing_and_names_row_and_column(keeper, bank, day):
    content = _csv(
        f"{day},+200.00,张三,R1,捐款",
        f"{day},abc,李四,R2,捐款",
        f"{day.replace(day=1) - dt.timedelta(days=1)},-10,银行,R3,手续费",
        f"{day},0,王五,R4,",
        f"{day},5,赵六,R1,",
    )
    audit_before = AuditEntry.objects.count()
    with pytest.raises(reconciliation.StatementRejected) as err:
        _import(keeper, bank, content, day, total=0)
    found = {(e["row"], e["column"]) for e in err.value.errors}
    assert found == {(3, "金额"), (4, "日期"), (5, "金额"), (6, "流水号")}
    assert not BankStatement.objects.exists() and not BankStatementLine.objects.exists()
    assert AuditEntry.objects.count() == audit_before
    # Lines that do not add up to the closing balance are refused too, to the fen.
    with pytest.raises(reconciliation.StatementRejected) as err:
        _import(keeper, bank, _csv(f"{day},+200.00,张三,R1,"), day, opening=100, closing=20001)
    assert "= 20100 fen, not the closing balance 20001 fen" in err.value.errors[0]["message"]
    assert not BankStatement.objects.exists()


def test_the_same_statement_twice_is_refused_and_periods_do_not_overlap(keeper, bank, day):
    content = _csv(f"{day},+200.00,张三,R1,捐款")
    statement = _import(keeper, bank, content, day, total=20000)
    with pytest.raises(reconciliation.StatementAlreadyImported, match=f"statement {statement.pk}"):
        _import(keeper, bank, content, day, total=20000)
    with pytest.raises(InvalidInput, match="may not overlap"):
        _import(keeper, bank, _csv(f"{day},+300.00,李四,R9,"), day, total=30000, start=day, end=day)
    assert BankStatement.objects.count() == 1 and BankStatementLine.objects.count() == 1


def test_matching_by_reference_then_amount_and_date_leaves_ambiguity_and_writes_no_ledger(keeper, unit, bank, day):
    by_ref = _gift(keeper, unit, 50000, day - dt.timedelta(days=5), bank_reference="BR-001")
    by_date = _gift(keeper, unit, 12345, day)
    twin_a = _gift(keeper, unit, 10000, day)
    twin_b = _gift(keeper, unit, 10000, day + dt.timedelta(days=1))
    far = _gift(keeper, unit, 777, day - dt.timedelta(days=8))  # more than 3 days from its statement line
    contradicting = _gift(keeper, unit, 4400, day, bank_reference="BR-OTHER")
    entries, lines = LedgerEntry.objects.count(), LedgerLine.objects.count()
    content = _csv(
        f"{day},+500.00,张三,BR-001,转账",  # by reference: 5 days away is fine
        f"{day + dt.timedelta(days=2)},123.45,李四,,",  # the only 123.45 within 3 days
        f"{day},+100.00,王五,,",  # two gifts of 100.00 fit: ambiguous
        f"{day},+100.00,赵六,,",
        f"{day},+7.77,钱七,,",  # no gift within 3 days
        f"{day},+44.00,孙八,BR-MINE,",  # same amount and day, but the references differ
        f"{day},-3.50,银行,FEE1,手续费",
    )
    statement = _import(keeper, bank, content, day, total=50000 + 12345 + 20000 + 777 + 4400 - 350)
    assert LedgerEntry.objects.count() == entries and LedgerLine.objects.count() == lines
    got = {line.row: line for line in statement.lines.all()}
    bank_line = {d.pk: d.entry.lines.get(account=bank).pk for d in (by_ref, by_date, twin_a, twin_b, far)}
    assert (got[2].status, got[2].how, got[2].ledger_line_id) == ("matched", "reference", bank_line[by_ref.pk])
    assert (got[3].status, got[3].how, got[3].ledger_line_id) == ("matched", "amount_date", bank_line[by_date.pk])
    assert got[4].status == got[5].status == "unmatched" and got[4].candidates == got[5].candidates == 2
    assert got[6].status == "unmatched" and got[6].candidates == 0
    assert got[7].status == "unmatched"
    assert got[8].status == "unmatched"
    summary = reconciliation.statement_summary(statement)
    assert summary["counts"] == {"matched": 2, "unmatched": 5, "explained": 0}
    unmatched = {m.entry_id for m in summary["unmatched_movements"]}
    assert unmatched == {twin_a.entry_id, twin_b.entry_id, contradicting.entry_id, far.entry_id}
    # The ledger holds every gift; the statement holds a fee the ledger lacks: the difference, to the fen.
    ledger = 50000 + 12345 + 20000 + 777 + 4400
    assert summary["ledger_closing_fen"] == ledger
    assert summary["difference_fen"] == -350
    assert not summary["reconciled"]


def test_the_match_does_not_depend_on_row_order(keeper, unit, bank, day):
    _gift(keeper, unit, 100, day)
    _gift(keeper, unit, 200, day + dt.timedelta(days=1))
    rows = [f"{day},1.00,甲,,", f"{day + dt.timedelta(days=2)},2.00,乙,,"]
    one = _import(keeper, bank, _csv(*rows), day, total=300)
    first = {(line.amount_fen, line.ledger_line_id) for line in one.lines.all()}
    BankStatementLine.objects.filter(statement=one).delete()
    one.delete()
    two = _import(keeper, bank, _csv(*reversed(rows)), day, total=300)
    assert {(line.amount_fen, line.ledger_line_id) for line in two.lines.all()} == first
    assert all(line.status == "matched" for line in two.lines.all())


def test_a_reversed_gift_takes_no_part(keeper, unit, bank, day):
    gift = _gift(keeper, unit, 900, day)
    services.entry_reverse(actor=keeper, entry=gift.entry, reason="recorded twice")
    statement = _import(keeper, bank, _csv(f"{day},9.00,甲,,"), day, total=900)
    assert statement.lines.get().status == "unmatched"
    assert reconciliation.statement_summary(statement)["unmatched_movements"] == []


def test_manual_match_explain_reopen_and_record_a_gift(keeper, unit, bank, day):
    twin_a = _gift(keeper, unit, 10000, day)
    twin_b = _gift(keeper, unit, 10000, day)
    content = _csv(f"{day},100,甲,,", f"{day},100,乙,,", f"{day},-2.00,银行,F1,手续费", f"{day},+66.60,新捐赠人,T77,")
    statement = _import(keeper, bank, content, day, total=20000 - 200 + 6660)
    a, b, fee, new = statement.lines.order_by("row")
    line_a = twin_a.entry.lines.get(account=bank)
    line_b = twin_b.entry.lines.get(account=bank)
    reconciliation.line_match(actor=keeper, line=a, ledger_line_id=line_a.pk)
    with pytest.raises(InvalidInput, match="already matched to another"):
        reconciliation.line_match(actor=keeper, line=b, ledger_line_id=line_a.pk)
    with pytest.raises(InvalidInput, match="only equal amounts"):
        reconciliation.line_match(actor=keeper, line=fee, ledger_line_id=line_b.pk)
    reconciliation.line_match(actor=keeper, line=b, ledger_line_id=line_b.pk)
    with pytest.raises(InvalidInput, match="Only money in"):
        reconciliation.line_record_gift(actor=keeper, line=fee)
    with pytest.raises(InvalidInput, match="at least two"):
        reconciliation.line_explain(actor=keeper, line=fee, note="")
    reconciliation.line_explain(actor=keeper, line=fee, note="银行手续费")
    entries = LedgerEntry.objects.count()
    donation = reconciliation.line_record_gift(actor=keeper, line=new)
    assert LedgerEntry.objects.count() == entries + 1  # the gift's own entry, by the gift service
    assert (donation.amount_fen, donation.provider_txn_id, donation.received_on) == (6660, "T77", day)
    new.refresh_from_db()
    assert (new.status, new.how) == ("matched", "gift")
    summary = reconciliation.statement_summary(statement)
    assert summary["counts"] == {"matched": 3, "unmatched": 0, "explained": 1}
    assert summary["difference_fen"] == -200  # the fee is explained, not booked: the difference stays visible
    page = _client(keeper).get(f"/funds/statement-lines/{a.pk}/").content.decode()
    assert 'data-testid="reopen"' in page and 'data-testid="match-form"' not in page
    reconciliation.line_reopen(actor=keeper, line=a, reason="wrong twin")
    page = _client(keeper).get(f"/funds/statement-lines/{a.pk}/").content.decode()
    assert 'data-testid="match-form"' in page and 'data-testid="reopen"' not in page
    a.refresh_from_db()
    assert (a.status, a.ledger_line_id) == ("unmatched", None)
    actions = set(AuditEntry.objects.filter(object_type="bank_statement_line").values_list("action", flat=True))
    assert actions == {"match", "explain", "reopen"}
    assert AuditEntry.objects.filter(object_type="bank_statement", action="import").count() == 1


def test_a_chinese_bank_export_in_xlsx_is_read(keeper, unit, bank, day):
    _gift(keeper, unit, 20000, day, bank_reference="20260301001")
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    rows = [
        ["西湖区慈善总会 账户明细"],
        ["交易日期", "收入金额", "支出金额", "对方户名", "流水号", "摘要"],
        [day.strftime("%Y%m%d"), 200, None, "张三", "20260301001", "捐款"],
        [day.isoformat(), None, "15.5", "某物业", "20260301002", "水电"],
        ["合计", 200, 15.5, None, None, None],
    ]
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if value is not None:
                sheet.write(i, j, value)
    book.close()
    statement = _import(keeper, bank, buffer.getvalue(), day, total=20000 - 1550, name="export.xlsx")
    lines = list(statement.lines.order_by("row"))
    assert [(line.row, line.amount_fen, line.status) for line in lines] == [
        (3, 20000, "matched"),
        (4, -1550, "unmatched"),
    ]


def test_only_bookkeepers_of_the_unit_and_pages_are_scoped(keeper, unit, bank, day, users, regions):
    statement = _import(keeper, bank, _csv(f"{day},1.00,甲,,"), day, total=100)
    with pytest.raises(PermissionDenied):
        _import(users[Role.STREET_CASEWORKER], bank, _csv(f"{day},2.00,甲,,"), day, total=200)
    other_unit = Unit.objects.create(
        code="union-xh", name="总工会", kind=Unit.Kind.FEDERATION, region=regions["district"]
    )
    other = User.objects.create(username="t_other", role=Role.UNIT_STAFF, region=regions["district"], unit=other_unit)
    with pytest.raises(PermissionDenied):
        reconciliation.line_explain(actor=other, line=statement.lines.get(), note="不是我的")
    line = statement.lines.get()
    for url in (
        f"/funds/units/{unit.pk}/statements/",
        f"/funds/statements/{statement.pk}/",
        f"/funds/statement-lines/{line.pk}/",
    ):
        assert _client(keeper).get(url).status_code == 200, url
        assert _client(other).get(url).status_code == 404, url
        assert _client(users[Role.STREET_CASEWORKER]).get(url).status_code == 403, url
    assert _client(other).post(f"/funds/statement-lines/{line.pk}/explain/", {"note": "x y"}).status_code == 404
    line.refresh_from_db()
    assert line.status == "unmatched"


def test_upload_page_reports_rows_and_then_imports(keeper, unit, bank, day):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = _client(keeper)
    form = {
        "account": bank.pk,
        "period_start": day.replace(day=1).isoformat(),
        "period_end": day.replace(day=28).isoformat(),
        "opening_balance": "0",
        "closing_balance": "1.00",
    }
    bad = client.post(
        f"/funds/units/{unit.pk}/statements/", {**form, "file": SimpleUploadedFile("s.csv", _csv(f"{day},x,甲,,"))}
    )
    assert bad.status_code == 400 and 'data-testid="row-errors"' in bad.content.decode()
    assert not BankStatement.objects.exists()
    good = client.post(
        f"/funds/units/{unit.pk}/statements/", {**form, "file": SimpleUploadedFile("s.csv", _csv(f"{day},1,甲,,"))}
    )
    statement = BankStatement.objects.get()
    assert good.status_code == 302 and good["Location"] == f"/funds/statements/{statement.pk}/"
    page = client.get(good["Location"]).content.decode()
    assert 'data-testid="difference" data-fen="100"' in page  # no gift booked: the statement is 1.00 ahead
    line = statement.lines.get()
    assert client.post(f"/funds/statement-lines/{line.pk}/gift/", {}).status_code == 302
    assert Donation.objects.get().amount_fen == 100
    page = client.get(good["Location"]).content.decode()
    assert 'data-testid="difference" data-fen="0"' in page and 'data-testid="reconciled"' in page
