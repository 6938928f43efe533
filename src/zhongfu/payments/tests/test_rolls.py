"""Payment rolls through their services: prepare from approved cases, idempotence, one-off paid once,
totals, the bank file in both formats, the results import (all or nothing, idempotent), reissue, callbacks,
the benefit list and the audit trail."""

import csv
import datetime as dt
import io

import pytest
import python_calamine
import xlsxwriter
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.common.errors import InvalidInput, NotFound, PermissionDenied
from zhongfu.payments import files, results, selectors, services
from zhongfu.payments.models import Callback, LineStatus, PaymentLine, PaymentRoll, RollKind, RollStatus

from .conftest import record_account

pytestmark = pytest.mark.django_db


def next_month(month: dt.date, n: int = 1) -> dt.date:
    y, m = divmod(month.month - 1 + n, 12)
    return dt.date(month.year + y, m + 1, 1)


def results_csv(roll, failed=(), amounts=None, extra=()) -> bytes:
    """A bank results file for every line: paid, except the references in `failed`."""
    rows = [results.RESULT_COLUMNS]
    for line in roll.lines.order_by("seq"):
        ref = line.reference
        amount = (amounts or {}).get(ref, line.amount_fen)
        rows.append([ref, amount, "失败" if ref in failed else "成功", "账户已销户" if ref in failed else ""])
    rows += list(extra)
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def results_xlsx(roll, failed=()) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, results.RESULT_COLUMNS)
    for i, line in enumerate(roll.lines.order_by("seq"), start=1):
        status = "失败" if line.reference in failed else "成功"
        sheet.write_row(i, 0, [line.reference, line.amount_fen, status, "户名不符" if status == "失败" else ""])
    book.close()
    return buffer.getvalue()


def issue_and_import(roll, admin, failed=()):
    roll = services.roll_issue(actor=admin, roll=roll)
    return results.results_import(actor=admin, roll=roll, name="r.csv", content=results_csv(roll, failed))


@pytest.fixture
def admin(users):
    return users[Role.CITY_ADMIN]


def test_roll_from_approved_cases_with_totals_and_audit(approved_case, admin):
    case = approved_case()
    roll = services.roll_prepare(actor=admin, month=case.payment_from)
    assert (roll.status, roll.kind, roll.region_prefix) == (RollStatus.DRAFT, RollKind.REGULAR, "3301")
    lines = list(roll.lines.all())
    # The 低保 case and the one-off winter aid (the zero-amount cases pay nothing): only the approved case.
    assert [(x.case_id, x.amount_fen, x.month) for x in lines] == [(case.pk, case.amount_fen, case.payment_from)]
    assert lines[0].account_number_masked.startswith("622202") and "*" in lines[0].account_number_masked
    assert lines[0].account_number_enc and "6222021202001234567" not in lines[0].account_number_enc
    assert (roll.line_count, roll.total_fen) == (1, case.amount_fen)
    entry = AuditEntry.objects.get(object_type="payment_roll", object_id=str(roll.pk), action="create")
    assert entry.after["total_fen"] == case.amount_fen
    # Not yet payable the month before approval takes effect.
    early = PaymentRoll.objects.filter(month=next_month(case.payment_from, -1)).exists()
    assert not early
    assert services.roll_prepare(actor=admin, month=next_month(case.payment_from, -1)).line_count == 0


def test_prepare_is_idempotent_and_a_line_per_case_month_is_unique(approved_case, admin, users):
    case = approved_case()
    roll = services.roll_prepare(actor=admin, month=case.payment_from)
    with pytest.raises(InvalidInput, match="already prepared") as err:
        services.roll_prepare(actor=admin, month=case.payment_from + dt.timedelta(days=10))
    assert err.value.field == "month"
    assert PaymentLine.objects.count() == 1
    # A district roll of the same month finds the case already on the city's roll.
    district_roll = services.roll_prepare(actor=users[Role.DISTRICT_CASEWORKER], month=case.payment_from)
    assert district_roll.line_count == 0
    # The database refuses a second original line for the case and month.
    with pytest.raises(IntegrityError), transaction.atomic():
        line = roll.lines.get()
        PaymentLine.objects.create(
            roll=district_roll, seq=1, month=line.month, case=line.case, household=line.household,
            region_code=line.region_code, policy_code=line.policy_code, period=line.period, unit=line.unit,
            amount_fen=line.amount_fen,
        )  # fmt: skip


def test_only_managers_prepare_and_issue(approved_case, users):
    case = approved_case()
    for role in (Role.STREET_CASEWORKER, Role.COMMUNITY_WORKER, Role.AUDITOR, Role.UNIT_STAFF):
        with pytest.raises(PermissionDenied):
            services.roll_prepare(actor=users[role], month=case.payment_from)
    roll = services.roll_prepare(actor=users[Role.DISTRICT_CASEWORKER], month=case.payment_from)
    assert roll.region_prefix == "330106" and roll.line_count == 1
    with pytest.raises(PermissionDenied):
        services.roll_issue(actor=users[Role.STREET_CASEWORKER], roll=roll)


def test_monthly_every_month_and_one_off_paid_once(approved_case, admin):
    dibao = approved_case()
    winter = approved_case(policy="spring_breeze_winter")
    month = max(dibao.payment_from, winter.payment_from)
    first = services.roll_prepare(actor=admin, month=month)
    second = services.roll_prepare(actor=admin, month=next_month(month))
    third = services.roll_prepare(actor=admin, month=next_month(month, 2))
    policies = [sorted(r.lines.values_list("policy_code", flat=True)) for r in (first, second, third)]
    assert policies[0] == ["dibao", "spring_breeze_winter"]
    assert policies[1] == policies[2] == ["dibao"]


def test_issue_checks_accounts_and_totals_and_freezes(approved_case, admin, users):
    case = approved_case(account=False)
    roll = services.roll_prepare(actor=admin, month=case.payment_from)
    assert roll.lines.get().account_number_enc == ""
    with pytest.raises(InvalidInput, match="no payee account"):
        services.roll_issue(actor=admin, roll=roll)
    record_account(case.household, users[Role.COMMUNITY_WORKER])
    # A stored total that no longer matches the lines stops the roll.
    PaymentRoll.objects.filter(pk=roll.pk).update(total_fen=roll.total_fen + 1)
    with pytest.raises(InvalidInput, match="do not add up"):
        services.roll_issue(actor=admin, roll=PaymentRoll.objects.get(pk=roll.pk))
    PaymentRoll.objects.filter(pk=roll.pk).update(total_fen=roll.total_fen)
    roll = services.roll_issue(actor=admin, roll=roll)
    assert roll.status == RollStatus.ISSUED and roll.lines.get().account_number_masked
    assert AuditEntry.objects.filter(object_type="payment_roll", action="issue", object_id=str(roll.pk)).exists()
    with pytest.raises(InvalidInput, match="already issued"):
        services.roll_issue(actor=admin, roll=roll)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_bank_file_parses_back_in_the_documented_layout(approved_case, admin, fmt):
    a, b = approved_case(), approved_case()
    roll = services.roll_prepare(actor=admin, month=max(a.payment_from, b.payment_from))
    with pytest.raises(InvalidInput, match="Issue the roll first"):
        files.batch_file(actor=admin, roll=roll, fmt=fmt)
    roll = services.roll_issue(actor=admin, roll=roll)
    name, content = files.batch_file(actor=admin, roll=roll, fmt=fmt)
    assert name.startswith(f"ZFPAY_{roll.number}_") and name.endswith("." + fmt)
    if fmt == "csv":
        assert content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    else:
        sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
        rows = [[results._cell(v) for v in row] for row in sheet.to_python()]
        # A sheet is read back as a rectangle: the shorter rows are padded with empty cells.
        rows = [row[: max((i + 1 for i, v in enumerate(row) if v != ""), default=0)] for row in rows]
    assert rows[0] == files.HEADER_TITLES
    total = a.amount_fen + b.amount_fen
    assert rows[1] == ["ZFPAY", roll.number, f"{roll.month:%Y-%m}", "2", str(total), files.yuan_plain(total)]
    assert rows[2] == files.COLUMNS
    details = rows[3:-1]
    assert [r[1] for r in details] == [x.reference for x in roll.lines.order_by("seq")]
    assert {r[4] for r in details} == {"6222021202001234567"}  # the clear account number, as text
    assert sum(int(r[5]) for r in details) == total
    assert rows[-1] == ["合计", "2", str(total), files.yuan_plain(total)]
    assert AuditEntry.objects.filter(object_type="payment_roll", action="unmask", object_id=str(roll.pk)).count() == 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_results_import_marks_lines_and_is_idempotent(approved_case, admin, fmt):
    a, b = approved_case(), approved_case()
    roll = services.roll_issue(actor=admin, roll=services.roll_prepare(actor=admin, month=a.payment_from))
    failed_ref = roll.lines.get(case=b).reference
    content = results_csv(roll, failed=[failed_ref]) if fmt == "csv" else results_xlsx(roll, failed=[failed_ref])
    outcome = results.results_import(actor=admin, roll=roll, name=f"r.{fmt}", content=content)
    assert (outcome.changed, outcome.paid, outcome.failed) == (2, 1, 1)
    assert (outcome.paid_fen, outcome.failed_fen) == (a.amount_fen, b.amount_fen)
    assert dict(roll.lines.values_list("case_id", "status")) == {a.pk: "paid", b.pk: "failed"}
    assert roll.lines.get(case=b).failure_reason
    entries = AuditEntry.objects.count()
    again = results.results_import(actor=admin, roll=roll, name=f"r.{fmt}", content=content)
    assert again.changed == 0 and AuditEntry.objects.count() == entries
    assert Callback.objects.count() == 1  # the sample is drawn once


def test_results_import_is_all_or_nothing_with_errors_by_row_and_field(approved_case, admin):
    a, b = approved_case(), approved_case()
    roll = services.roll_issue(actor=admin, roll=services.roll_prepare(actor=admin, month=a.payment_from))
    ref_a, ref_b = (roll.lines.get(case=c).reference for c in (a, b))
    bad = results_csv(
        roll,
        amounts={ref_b: b.amount_fen - 1},
        extra=[[ref_a, a.amount_fen, "成功", ""], ["PR000000-3301-01-000009", 100, "成功", ""], [ref_a, 1, "退回", ""]],
    )
    with pytest.raises(results.ResultsRejected) as err:
        results.results_import(actor=admin, roll=roll, name="r.csv", content=bad)
    found = {(e["row"], e["field"]) for e in err.value.errors}
    assert found == {(3, "金额（分）"), (4, "明细编号"), (5, "明细编号"), (6, "明细编号")}
    assert set(roll.lines.values_list("status", flat=True)) == {"pending"}
    assert PaymentRoll.objects.get(pk=roll.pk).status == RollStatus.ISSUED
    # A failure without its reason, and a file that leaves a line out.
    rows = results.RESULT_COLUMNS, [ref_a, a.amount_fen, "失败", ""]
    content = "\n".join(",".join(map(str, r)) for r in rows).encode()
    with pytest.raises(results.ResultsRejected) as err:
        results.results_import(actor=admin, roll=roll, name="r.csv", content=content)
    assert [(e["row"], e["field"]) for e in err.value.errors] == [(2, "失败原因")]
    rows = results.RESULT_COLUMNS, [ref_a, a.amount_fen, "成功", ""]
    content = "\n".join(",".join(map(str, r)) for r in rows).encode()
    with pytest.raises(results.ResultsRejected, match="1 problems") as err:
        results.results_import(actor=admin, roll=roll, name="r.csv", content=content)
    assert ref_b in err.value.errors[0]["message"]
    assert not roll.lines.exclude(status="pending").exists()


def test_results_cannot_change_a_result_already_imported(approved_case, admin):
    case = approved_case()
    roll = services.roll_prepare(actor=admin, month=case.payment_from)
    issue_and_import(roll, admin)
    ref = roll.lines.get().reference
    with pytest.raises(results.ResultsRejected) as err:
        results.results_import(actor=admin, roll=roll, name="r.csv", content=results_csv(roll, failed=[ref]))
    assert err.value.errors[0]["field"] == "结果"
    assert roll.lines.get().status == LineStatus.PAID


def test_reissue_after_the_account_is_corrected_and_never_paid_twice(approved_case, admin, users):
    case = approved_case()
    roll = services.roll_prepare(actor=admin, month=case.payment_from)
    ref = roll.lines.get().reference
    issue_and_import(roll, admin, failed=[ref])
    roll.refresh_from_db()
    with pytest.raises(InvalidInput, match="corrected payee account"):
        services.roll_reissue(actor=admin, roll=roll)
    record_account(case.household, users[Role.COMMUNITY_WORKER], number="6217001234567890123")
    supplementary, left = services.roll_reissue(actor=admin, roll=roll)
    assert (supplementary.kind, supplementary.month, left) == (RollKind.SUPPLEMENTARY, roll.month, 0)
    new = supplementary.lines.get()
    old = roll.lines.get()
    assert (old.status, new.reissue_of_id, new.account_number_masked) == ("reissued", old.pk, "621700*********0123")
    # Reissuing the same roll again finds nothing left to reissue.
    with pytest.raises(InvalidInput):
        services.roll_reissue(actor=admin, roll=roll)
    issue_and_import(supplementary, admin)
    assert PaymentLine.objects.filter(case=case, month=roll.month, status="paid").count() == 1
    # The database refuses a second paid line for the case and month.
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentLine.objects.filter(pk=old.pk).update(status="paid")
    # Re-importing the original results (a failure, since reissued) changes nothing.
    again = results.results_import(actor=admin, roll=roll, name="r.csv", content=results_csv(roll, failed=[ref]))
    assert again.changed == 0
    assert selectors.benefits_received(case.household) == [
        {
            "month": roll.month,
            "policy_code": "dibao",
            "policy_name": selectors.benefits_received(case.household)[0]["policy_name"],
            "amount_fen": case.amount_fen,
            "paid_on": timezone.localdate(new.roll.lines.get().result_at),
            "unit": case.unit,
        }
    ]


def test_callback_sample_is_reproducible_and_scoped(approved_case, admin, users, out_community, settings):
    settings.ZHONGFU_CALLBACK_SHARE = 1.0  # everyone is called, so the other community's household too
    cases = [approved_case() for _ in range(3)] + [approved_case(community=out_community)]
    roll = services.roll_prepare(actor=admin, month=cases[0].payment_from)
    issue_and_import(roll, admin)
    chosen = list(Callback.objects.filter(roll=roll).order_by("line__seq").values_list("line__seq", flat=True))
    paid = list(roll.lines.order_by("seq"))
    assert chosen == [x.seq for x in paid]
    half = [x.seq for x in results.sample_lines(roll, paid, 0.5)]
    assert len(half) == 2 and set(half) <= set(chosen)
    assert [x.seq for x in results.sample_lines(roll, list(reversed(paid)), 0.5)] == half  # same seed, same draw
    community = users[Role.COMMUNITY_WORKER]
    visible = selectors.callbacks_for_user(user=community)
    assert all(c.household.region_id == "330106002001" for c in visible)
    out = Callback.objects.filter(household__region_id=out_community).first()
    assert out is not None  # the sample reached the other community too, so scope is what hides it
    with pytest.raises(NotFound):
        selectors.callback_get_for_user(user=community, callback_id=out.pk)


def test_callback_form_and_the_flag(approved_case, admin, users, settings):
    settings.ZHONGFU_CALLBACK_SHARE = 1.0
    case = approved_case()
    roll = services.roll_prepare(actor=admin, month=case.payment_from)
    issue_and_import(roll, admin)
    community = users[Role.COMMUNITY_WORKER]
    callback = selectors.callbacks_for_user(user=community).get()
    with pytest.raises(InvalidInput) as err:
        services.callback_record(actor=community, callback=callback, reached=True, received="no", satisfaction=9)
    assert err.value.field == "satisfaction"
    services.callback_record(actor=community, callback=callback, reached=False, notes="无人接听")
    assert selectors.callbacks_for_user(user=community).count() == 1  # still open: call again
    services.callback_record(actor=community, callback=callback, reached=True, received="no", satisfaction=2)
    assert selectors.callbacks_for_user(user=community).count() == 0
    assert list(selectors.roll_flagged_callbacks(user=admin, roll=roll)) == [Callback.objects.get()]
    assert AuditEntry.objects.filter(object_type="callback", household_id=case.household_id).count() == 2
    with pytest.raises(InvalidInput, match="already recorded"):
        services.callback_record(actor=community, callback=callback, reached=True, received="yes", satisfaction=5)


def test_payee_account_is_encrypted_masked_hashed_and_audited(approved_case, users):
    case = approved_case(account=False)
    worker = users[Role.COMMUNITY_WORKER]
    with pytest.raises(InvalidInput) as err:
        record_account(case.household, worker, number="12ab")
    assert err.value.field == "account_number"
    account = record_account(case.household, worker)
    assert account.account_number_masked == "622202*********4567"
    from zhongfu.common import personal_data as pd

    assert pd.decrypt(account.account_number_enc) == "6222021202001234567"
    assert account.account_number_hash == pd.lookup_hash("6222021202001234567")
    entry = AuditEntry.objects.get(object_type="payee_account", household_id=case.household_id)
    assert "6222021202001234567" not in str(entry.after)
    with pytest.raises(PermissionDenied):
        record_account(case.household, users[Role.AUDITOR])
