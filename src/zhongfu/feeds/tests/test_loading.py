"""Loading feeds: every bad input of issue 5 is refused with its row and column and writes nothing; a good
file loads as one batch, matches people by the keyed hash, keeps the unmatched rows, audits once."""

import datetime as dt
import io

import pytest
import xlsxwriter
from django.utils import translation

from conftest import member, new_id_number
from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.common.errors import PermissionDenied
from zhongfu.common.identifiers import id_check_digit
from zhongfu.feeds.loading import FeedAlreadyLoaded, FeedRejected, feed_load, feed_push
from zhongfu.feeds.models import FeedBatch, FeedRecord
from zhongfu.feeds.schemas import FEEDS, SCHEMAS, schemas_check
from zhongfu.feeds.selectors import feed_records_latest

MEDICAL = "身份证号,姓名,结算日期,医疗总费用(元),个人自付(元),重特大疾病"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def csv_bytes(header: str, *rows: str, bom: bool = False) -> bytes:
    text = "\n".join([header, *rows]) + "\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def xlsx_bytes(rows: list[list]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            elif isinstance(value, dt.date):
                sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
            else:
                sheet.write(r, c, value)
    book.close()
    return out.getvalue()


def wrong_check_digit(number: str) -> str:
    right = id_check_digit(number[:17])
    return number[:17] + ("0" if right != "0" else "1")


@pytest.fixture
def admin(users):
    return users[Role.CITY_ADMIN]


@pytest.fixture
def registered(make_household):
    """Two registered people: a head in 西湖区 and one in 萧山区."""
    from conftest import OUT_COMMUNITY

    a, b = new_id_number(), new_id_number(county="330109")
    make_household(members=[member(id_number=a)])
    make_household(community=OUT_COMMUNITY, members=[member(id_number=b)])
    return a, b


def nothing_written():
    return not FeedBatch.objects.exists() and not FeedRecord.objects.exists()


def test_schemas_are_well_formed_and_cover_the_departments():
    schemas_check()
    assert set(FEEDS) == {
        "medical_insurance",
        "human_resources",
        "disabled_federation",
        "education",
        "emergency",
        "public_security",
        "market_regulation",
        "vehicles",
        "property",
    }
    for schema in SCHEMAS:
        assert schema.id_column.header == "身份证号"


def test_a_good_csv_loads_matches_by_hash_and_keeps_the_unmatched(admin, registered):
    a, b = registered
    stranger = new_id_number(county="330110")
    content = csv_bytes(
        MEDICAL,
        f"{a},张三,2025-03-31,50000,38000.50,是",
        f"{b},李四,2025/03/15,,1200,否",
        f"{stranger},王五,202503,,300,",
        bom=True,
    )
    batch = feed_load(actor=admin, feed="medical_insurance", name="医保.csv", content=content)
    assert (batch.version, batch.row_count, batch.matched_count, batch.unmatched_count) == (1, 3, 2, 1)
    records = {r.row: r for r in FeedRecord.objects.filter(batch=batch)}
    assert records[2].person.memberships.get().household.region_id.startswith("330106")
    assert records[2].values == {
        "name": "张*",
        "settled_on": "2025-03-31",
        "total_cost": 5_000_000,
        "out_of_pocket": 3_800_050,
        "serious_illness": "yes",
    }
    assert records[3].region_code.startswith("330109")
    assert records[4].person is None and records[4].region_code == ""
    assert records[4].id_number_masked == stranger[:6] + "********" + stranger[-4:]
    assert str(records[4].date) == "2025-03-01"
    # The clear ID number is stored nowhere.
    assert not FeedRecord.objects.filter(values__icontains=stranger).exists()
    entry = AuditEntry.objects.get(object_type="feed_batch")
    assert entry.object_id == str(batch.pk) and entry.after["unmatched"] == 1


def test_an_xlsx_file_loads_and_the_next_batch_is_version_2(admin, registered):
    a, _b = registered
    header = ["身份证号", "结算日期", "个人自付(元)"]
    feed_load(
        actor=admin, feed="medical_insurance", name="m1.xlsx", content=xlsx_bytes([header, [a, "2025-01-31", 100]])
    )
    batch = feed_load(
        actor=admin,
        feed="medical_insurance",
        name="m2.xlsx",
        content=xlsx_bytes([header, [a, dt.date(2025, 2, 28), 200.5]]),
    )
    assert batch.version == 2 and batch.matched_count == 1
    record = FeedRecord.objects.get(batch=batch)
    assert record.values["out_of_pocket"] == 20050 and record.date == dt.date(2025, 2, 28)


def test_unknown_and_missing_columns_name_the_column_and_write_nothing(admin, registered):
    content = csv_bytes("身份证号,姓名,结算日期,自付金额", f"{registered[0]},张三,2025-03-31,100")
    with pytest.raises(FeedRejected) as e:
        feed_load(actor=admin, feed="medical_insurance", name="m.csv", content=content)
    assert {"row": 1, "column": "自付金额", "message": e.value.errors[0]["message"]} in e.value.errors
    assert "Unknown column" in e.value.errors[0]["message"]
    missing = [x for x in e.value.errors if x["column"] == "个人自付(元)"]
    assert missing and missing[0]["row"] == 1 and "required column is missing" in missing[0]["message"]
    assert "Nothing was loaded" in str(e.value)
    assert nothing_written()


def test_wrong_types_are_all_reported_by_row_and_column(admin, registered):
    a, b = registered
    content = csv_bytes(
        MEDICAL,
        f"{a},张三,2025-13-45,100,abc,是",
        f"{b},李四,2025-03-01,100,1.234,也许",
        f"{a},张三,2025-03-01,-5,100,",
        ",张三,,100,100,",
    )
    with pytest.raises(FeedRejected) as e:
        feed_load(actor=admin, feed="medical_insurance", name="m.csv", content=content)
    found = {(x["row"], x["column"]) for x in e.value.errors}
    assert found == {
        (2, "结算日期"),
        (2, "个人自付(元)"),
        (3, "个人自付(元)"),
        (3, "重特大疾病"),
        (4, "医疗总费用(元)"),
        (5, "身份证号"),
        (5, "结算日期"),
    }
    messages = {(x["row"], x["column"]): x["message"] for x in e.value.errors}
    assert "Not a date" in messages[(2, "结算日期")]
    assert "Allowed: 是、否" in messages[(3, "重特大疾病")]
    assert "required" in messages[(5, "身份证号")]
    assert e.value.total == 7
    assert nothing_written()


def test_a_bad_check_digit_names_row_and_column(admin, registered):
    bad = wrong_check_digit(registered[0])
    content = csv_bytes(MEDICAL, f"{registered[1]},李四,2025-03-01,,100,", f"{bad},张三,2025-03-01,,100,")
    with pytest.raises(FeedRejected) as e:
        feed_load(actor=admin, feed="medical_insurance", name="m.csv", content=content)
    assert [(x["row"], x["column"]) for x in e.value.errors] == [(3, "身份证号")]
    assert "check digit" in e.value.errors[0]["message"]
    assert bad not in str(e.value.errors)
    assert nothing_written()


def test_an_id_number_saved_as_a_number_is_explained(admin):
    content = xlsx_bytes([["身份证号", "结算日期", "个人自付(元)"], [330106198005170011, "2025-03-01", 100]])
    with pytest.raises(FeedRejected) as e:
        feed_load(actor=admin, feed="medical_insurance", name="m.xlsx", content=content)
    assert e.value.errors[0]["row"] == 2 and "lost digits" in e.value.errors[0]["message"]
    assert nothing_written()


def test_the_same_file_twice_is_refused_naming_the_earlier_batch(admin, registered):
    content = csv_bytes(MEDICAL, f"{registered[0]},张三,2025-03-31,,100,")
    first = feed_load(actor=admin, feed="medical_insurance", name="m.csv", content=content)
    with pytest.raises(FeedAlreadyLoaded) as e:
        feed_load(actor=admin, feed="medical_insurance", name="again.csv", content=content)
    assert e.value.earlier == first
    assert f"batch {first.pk}" in str(e.value) and "version 1" in str(e.value)
    assert FeedBatch.objects.count() == 1 and FeedRecord.objects.count() == 1


def test_not_utf8_and_not_a_spreadsheet_are_refused(admin, registered):
    gbk = MEDICAL.encode("gbk") + b"\n"
    with pytest.raises(FeedRejected) as e:
        feed_load(actor=admin, feed="medical_insurance", name="m.csv", content=gbk)
    assert "UTF-8" in e.value.errors[0]["message"]
    with pytest.raises(FeedRejected):
        feed_load(actor=admin, feed="medical_insurance", name="m.pdf", content=b"%PDF-1.4")
    with pytest.raises(FeedRejected):
        feed_load(actor=admin, feed="medical_insurance", name="m.xlsx", content=b"PK\x03\x04broken")
    assert nothing_written()


def test_push_by_english_keys_and_enum_values(admin, registered):
    a, _b = registered
    rows = [
        {"id_number": a, "event_on": "2025-04-02", "event": "死亡"},
        {"身份证号": new_id_number(county="330110"), "事件日期": "2025-04-03", "事件类型": "deregistration"},
    ]
    batch = feed_push(actor=admin, feed="public_security", rows=rows)
    assert batch.source == "api" and batch.row_count == 2 and batch.matched_count == 1
    assert sorted(FeedRecord.objects.values_list("values__event", flat=True)) == ["death", "deregistration"]
    with pytest.raises(FeedAlreadyLoaded):
        feed_push(actor=admin, feed="public_security", rows=rows)


def test_latest_record_per_person(admin, registered):
    a, b = registered
    feed_push(
        actor=admin,
        feed="disabled_federation",
        rows=[
            {"id_number": a, "certified_on": "2020-01-01", "disability_kind": "肢体", "disability_grade": 3},
            {"id_number": b, "certified_on": "2021-01-01", "disability_kind": "视力", "disability_grade": 4},
        ],
    )
    feed_push(
        actor=admin,
        feed="disabled_federation",
        rows=[{"id_number": a, "certified_on": "2024-06-01", "disability_kind": "肢体", "disability_grade": 1}],
    )
    latest = {
        r.person.id_number_masked[-4:]: r.values["disability_grade"]
        for r in feed_records_latest(feed="disabled_federation")
    }
    assert latest == {a[-4:]: 1, b[-4:]: 4}


def test_a_grade_out_of_range_is_refused(admin, registered):
    rows = [
        {"id_number": registered[0], "certified_on": "2020-01-01", "disability_kind": "肢体", "disability_grade": 5}
    ]
    with pytest.raises(FeedRejected) as e:
        feed_push(actor=admin, feed="disabled_federation", rows=rows)
    assert [(x["row"], x["column"]) for x in e.value.errors] == [(1, "残疾等级")]
    assert nothing_written()


def test_loading_needs_the_permission(users, registered):
    content = csv_bytes(MEDICAL, f"{registered[0]},张三,2025-03-31,,100,")
    with pytest.raises(PermissionDenied):
        feed_load(actor=users[Role.COMMUNITY_WORKER], feed="medical_insurance", name="m.csv", content=content)
    assert nothing_written()


def test_a_load_racing_an_identical_one_writes_nothing_and_names_the_winner(admin, registered, monkeypatch):
    """Two uploads of the same file at once: both pass the check before either commits; the database's
    unique constraint stops the second, which writes nothing and names the first."""
    from zhongfu.feeds import loading

    content = csv_bytes(MEDICAL, f"{registered[0]},张三,2025-03-31,,100,")
    winner = feed_load(actor=admin, feed="medical_insurance", name="first.csv", content=content)
    real = loading._earlier
    calls = []

    def not_yet_committed(feed, sha256):
        calls.append(feed)
        return None if len(calls) == 1 else real(feed, sha256)

    monkeypatch.setattr(loading, "_earlier", not_yet_committed)
    with pytest.raises(FeedAlreadyLoaded) as e:
        feed_load(actor=admin, feed="medical_insurance", name="second.csv", content=content)
    assert e.value.earlier == winner and len(calls) == 2
    assert FeedBatch.objects.count() == 1 and FeedRecord.objects.count() == 1
    assert AuditEntry.objects.filter(object_type="feed_batch").count() == 1
