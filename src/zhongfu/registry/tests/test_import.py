"""The spreadsheet import of households: all or nothing, every fault reported by row and column,
the same file imported twice changes nothing."""

import datetime as dt
import io
import time

import pytest
import python_calamine
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from conftest import IN_COMMUNITY, OUT_COMMUNITY, member, new_id_number
from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.audit.services import audit_verify
from zhongfu.common.errors import PermissionDenied
from zhongfu.common.identifiers import make_id_number, parse_id_number
from zhongfu.registry import importing
from zhongfu.registry.importing import COLUMNS, HEADERS, errors_xlsx, household_import, template_xlsx
from zhongfu.registry.models import Household, Income, Membership, Person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are compared with their English source text (Chinese is the default language)."""
    with translation.override("en"):
        yield


COL = {c.key: i for i, c in enumerate(COLUMNS)}
NUMBER = "33010600200190001"


def row(number=NUMBER, name="张三", relation="户主", id_number=None, **values) -> list:
    """One person's row in template order; household columns filled unless given as ''."""
    out = [""] * len(COLUMNS)
    defaults = {
        "region": IN_COMMUNITY,
        "address": "文三路1号",
        "area_type": "城市",
        "hukou_type": "本地户籍",
        "labour_capacity": "有劳动能力",
    }
    fields = defaults | values | {"number": number, "name": name, "relation": relation}
    fields["id_number"] = id_number or new_id_number()
    for key, value in fields.items():
        out[COL[key]] = value
    return out


def xlsx(rows, headers=HEADERS) -> bytes:
    """A workbook like one a user fills in; identifiers written as text unless a test says otherwise."""
    if list(headers) == list(HEADERS):
        return template_xlsx(rows)
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, headers)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values):
            sheet.write_string(r, c, str(value))
    book.close()
    return buffer.getvalue()


def csv_bytes(rows, encoding="utf-8-sig", headers=HEADERS) -> bytes:
    lines = [",".join(headers)] + [",".join(str(v) for v in r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def counts():
    return (
        Household.objects.count(),
        Person.objects.count(),
        Membership.objects.count(),
        Income.objects.count(),
        AuditEntry.objects.count(),
    )


def run(users, data, name="households.xlsx", role=Role.CITY_ADMIN):
    return household_import(actor=users[role], file_name=name, data=data)


def errors_of(result):
    return [(e.row, e.column, str(e.message)) for e in result.errors]


def family_rows(number=NUMBER, **household):
    """A family of three: the household columns only on the head's row."""
    head = new_id_number(birth=dt.date(1970, 1, 2), sex="M")
    blank = {"region": "", "address": "", "area_type": "", "hukou_type": ""}
    return [
        row(number, "张三", "户主", head, phone="13812345678", wage="2,500.50", **household),
        row(
            number,
            "李梅",
            "配偶",
            new_id_number(sex="F"),
            disability_category="肢体",
            disability_grade="2",
            labour_capacity="部分劳动能力",
            pension="1200",
            **blank,
        ),
        row(
            number,
            "张小明",
            "子女",
            new_id_number(birth=dt.date(2012, 3, 4)),
            school_enrolment="初中",
            child_in_difficulty="是",
            **blank,
        ),
    ]


# --- the template -------------------------------------------------------------------------------


def test_template_download_has_the_headers_and_text_formatted_identifier_columns(client, users):
    client.force_login(users[Role.STREET_CASEWORKER])
    response = client.get(reverse("registry:import_template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    assert book.sheet_names[0] == "家庭成员" and len(book.sheet_names) == 2
    assert book.get_sheet_by_index(0).to_python()[0] == list(HEADERS)
    notes = book.get_sheet_by_index(1).to_python()
    assert [r[0] for r in notes[1 : len(COLUMNS) + 1]] == list(HEADERS)


# --- the happy path -----------------------------------------------------------------------------


def test_filled_template_imports_households_members_incomes_and_audit(users):
    second = "XH-0002"
    rows = family_rows() + [row(second, "王五", "户主", region=OUT_COMMUNITY, address="萧山路2号", area_type="")]
    before = AuditEntry.objects.count()
    result = run(users, xlsx(rows))
    assert result.ok, errors_of(result)
    assert (result.rows, result.households_created, result.people_created) == (4, 2, 4)
    assert (result.households_unchanged, result.people_unchanged) == (0, 0)

    h = Household.objects.get(number=NUMBER)
    assert (h.region_id, h.address, h.area_type, h.hukou_type) == (IN_COMMUNITY, "文三路1号", "urban", "registered")
    members = {m.person.name: m for m in h.memberships.select_related("person")}
    assert {k: m.relation for k, m in members.items()} == {"张三": "head", "李梅": "spouse", "张小明": "child"}
    head, spouse, child = members["张三"].person, members["李梅"].person, members["张小明"].person
    head_id = parse_id_number(rows[0][COL["id_number"]])
    assert (head.birth_date, head.sex, head.phone_masked) == (head_id.birth_date, "M", "138****5678")
    assert dict(head.incomes.values_list("kind", "monthly_fen")) == {"wage": 250050}
    assert (spouse.disability_category, spouse.disability_grade, spouse.labour_capacity) == ("physical", 2, "partial")
    assert dict(spouse.incomes.values_list("kind", "monthly_fen")) == {"pension": 120000}
    assert (child.school_enrolment, child.child_in_difficulty, child.serious_illness) == ("junior", True, False)
    # 城乡 left empty: taken from the community (萧山 community 330109001001 is urban or rural per the tree)
    other = Household.objects.get(number=second)
    assert other.area_type == ("rural" if other.region.is_rural else "urban")

    entries = AuditEntry.objects.filter(seq__gt=before)
    assert entries.filter(action="create", object_type="household").count() == 2
    assert entries.filter(action="create", object_type="person").count() == 4
    summary = entries.get(action="import")
    assert summary.after["households_created"] == 2 and summary.after["file"] == "households.xlsx"
    clear = [row_[COL["id_number"]] for row_ in rows]
    assert not any(number in str(e.after) for e in entries for number in clear)
    assert audit_verify().ok


def test_csv_with_and_without_bom_and_code_values(users):
    rows = [row("A-1", relation="head", area_type="rural", hukou_type="resident", labour_capacity="none")]
    result = run(users, csv_bytes(rows, "utf-8"), "a.csv")
    assert result.ok, errors_of(result)
    h = Household.objects.get(number="A-1")
    assert (h.area_type, h.hukou_type) == ("rural", "resident")
    result = run(users, csv_bytes([row("A-2")], "utf-8-sig"), "b.csv")
    assert result.ok and result.households_created == 1


def test_numeric_cells_for_codes_phone_and_amounts_are_read_exactly(users):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADERS)
    values = row("N-1", wage="", pension="")
    for c, value in enumerate(values):
        sheet.write_string(1, c, str(value))
    sheet.write_number(1, COL["region"], int(IN_COMMUNITY))
    sheet.write_number(1, COL["phone"], 13912345678)
    sheet.write_number(1, COL["wage"], 0.1 + 0.2)  # a formula's float: 0.3 as Excel shows it
    sheet.write_number(1, COL["pension"], 1300.5)
    sheet.write_boolean(1, COL["serious_illness"], True)
    book.close()
    result = run(users, buffer.getvalue())
    assert result.ok, errors_of(result)
    p = Person.objects.get(memberships__household__number="N-1")
    assert p.phone_masked == "139****5678" and p.serious_illness
    assert dict(p.incomes.values_list("kind", "monthly_fen")) == {"wage": 30, "pension": 130050}


# --- bad input: the right row and column, nothing written ---------------------------------------


def _bad_id(kind):
    if kind == "check_digit":
        good = new_id_number()
        return good[:17] + ("0" if good[17] != "0" else "1")
    if kind == "birth_date":
        from zhongfu.common.identifiers import id_check_digit

        first17 = "330106" + "19800230" + "123"
        return first17 + id_check_digit(first17)
    return make_id_number("990101", dt.date(1990, 1, 1), 3, "M")


@pytest.mark.parametrize(
    "kind, message_part",
    [("check_digit", "check digit"), ("birth_date", "birth date"), ("region_prefix", "990101")],
)
def test_bad_id_number_names_row_and_column_and_writes_nothing(users, kind, message_part):
    rows = family_rows()
    rows[2][COL["id_number"]] = _bad_id(kind)
    before = counts()
    result = run(users, xlsx(rows))
    assert not result.ok
    assert [(r, c) for r, c, _ in errors_of(result)] == [(4, "身份证号")]
    assert message_part in errors_of(result)[0][2]
    assert counts() == before


def test_every_fault_in_the_file_is_reported_at_once(users):
    rows = family_rows() + [
        row("B-1", name="", relation="朋友", phone="12345", wage="-1", disability_category="视力"),
        row("B-2", region="330106002", serious_illness="也许", pension="1.234"),
    ]
    before = counts()
    result = run(users, xlsx(rows))
    assert counts() == before
    assert [(r, c) for r, c, _ in errors_of(result)] == [
        (5, "姓名"),
        (5, "与户主关系"),
        (5, "手机号"),
        (5, "残疾等级"),
        (5, "月工资收入(元)"),
        (6, "社区代码"),
        (6, "重病"),
        (6, "月养老金(元)"),
    ]


def test_person_already_in_another_household_is_a_row_error(users, make_household):
    number = new_id_number()
    make_household(members=[member(id_number=number)])
    rows = family_rows()
    rows[1][COL["id_number"]] = number
    before = counts()
    result = run(users, xlsx(rows))
    assert [(r, c) for r, c, _ in errors_of(result)] == [(3, "身份证号")]
    assert "another household" in errors_of(result)[0][2]
    assert counts() == before


def test_same_person_twice_in_the_file(users):
    rows = family_rows() + [row("C-1")]
    rows[3][COL["id_number"]] = rows[0][COL["id_number"]]
    result = run(users, xlsx(rows))
    assert errors_of(result) == [(5, "身份证号", "The same ID number also appears in row 2.")]
    assert not Household.objects.exists()


def test_household_rules_one_head_and_consistent_household_columns(users):
    rows = family_rows() + [row("D-1", relation="配偶")]
    rows[1][COL["relation"]] = "户主"
    rows[2][COL["address"]] = "别的路9号"
    result = run(users, xlsx(rows))
    assert errors_of(result) == [
        (3, "与户主关系", "A household has exactly one head."),
        (4, "地址", "Differs from row 2 of the same household."),
        (5, "与户主关系", "A household has exactly one head."),
    ]
    assert not Household.objects.exists()


def test_missing_column_is_named(users):
    headers = [h for h in HEADERS if h != "手机号"]
    rows = [[v for i, v in enumerate(r) if i != COL["phone"]] for r in family_rows()]
    before = counts()
    result = run(users, xlsx(rows, headers))
    assert [(r, c) for r, c, _ in errors_of(result)] == [(1, "手机号")]
    assert "missing" in errors_of(result)[0][2]
    assert counts() == before


def test_extra_column_is_named(users):
    rows = [[*r, "x"] for r in family_rows()]
    result = run(users, xlsx(rows, [*HEADERS, "备注"]))
    assert [(r, c) for r, c, _ in errors_of(result)] == [(1, "备注")]
    assert "Unknown column" in errors_of(result)[0][2]
    assert not Household.objects.exists()


def test_column_given_twice_is_named(users):
    rows = [[*r, r[COL["name"]]] for r in family_rows()]
    result = run(users, xlsx(rows, [*HEADERS, "姓名"]))
    assert [(r, c) for r, c, _ in errors_of(result)] == [(1, "姓名")]
    assert not Household.objects.exists()


def test_oversized_file_is_refused(users, settings):
    data = xlsx(family_rows())
    settings.ZHONGFU_IMPORT_MAX_BYTES = len(data) - 1
    before = counts()
    result = run(users, data)
    assert len(result.errors) == 1 and result.errors[0].row is None
    assert "larger than the limit" in errors_of(result)[0][2]
    assert counts() == before


def test_gbk_csv_asks_for_utf8(users):
    before = counts()
    result = run(users, csv_bytes(family_rows(), "gbk"), "households.csv")
    assert len(result.errors) == 1
    assert "UTF-8" in errors_of(result)[0][2]
    assert counts() == before


def test_id_number_typed_as_a_number_is_refused(users):
    rows = family_rows()
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADERS)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values):
            sheet.write_string(r, c, str(value))
    # An ID ending in X cannot be a number at all; the digits are what Excel would keep.
    sheet.write_number(2, COL["id_number"], int(rows[1][COL["id_number"]].replace("X", "0")))
    book.close()
    before = counts()
    result = run(users, buffer.getvalue())
    assert [(r, c) for r, c, _ in errors_of(result)] == [(3, "身份证号")]
    assert "as text" in errors_of(result)[0][2]
    # The same mistake saved to CSV by Excel: 3.30106E+17
    rows[1][COL["id_number"]] = "3.30106E+17"
    result = run(users, csv_bytes(rows), "h.csv")
    assert [(r, c) for r, c, _ in errors_of(result)] == [(3, "身份证号")]
    assert counts() == before


def test_not_a_spreadsheet(users):
    assert "Excel" in errors_of(run(users, b"hello", "notes.docx"))[0][2]
    assert "could not be read" in errors_of(run(users, b"PK\x03\x04garbage", "x.xlsx"))[0][2]
    assert "no data rows" in errors_of(run(users, xlsx([])))[0][2]


# --- scope and permission -----------------------------------------------------------------------


def test_out_of_scope_community_is_refused(users):
    rows = family_rows() + [row("E-1", region=OUT_COMMUNITY)]
    before = counts()
    result = run(users, xlsx(rows), role=Role.STREET_CASEWORKER)
    assert [(r, c) for r, c, _ in errors_of(result)] == [(5, "社区代码")]
    assert "outside your scope" in errors_of(result)[0][2]
    assert counts() == before


def test_import_needs_the_permission(users):
    with pytest.raises(PermissionDenied):
        run(users, xlsx(family_rows()), role=Role.COMMUNITY_WORKER)


# --- importing again ----------------------------------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(users):
    data = xlsx(family_rows() + [row("F-1", region=OUT_COMMUNITY)])
    first = run(users, data)
    assert first.ok and first.households_created == 2
    before = counts()
    again = run(users, data)
    assert again.ok, errors_of(again)
    assert (again.households_created, again.people_created) == (0, 0)
    assert (again.households_unchanged, again.people_unchanged) == (2, 4)
    after = counts()
    assert after[:4] == before[:4]
    assert after[4] == before[4] + 1  # only the summary of the second import
    assert AuditEntry.objects.order_by("-seq").first().action == "import"


def test_new_households_are_added_beside_unchanged_ones(users):
    rows = family_rows()
    run(users, xlsx(rows))
    result = run(users, xlsx([*rows, row("G-1")]))
    assert result.ok and (result.households_created, result.households_unchanged) == (1, 1)


def test_a_registered_household_is_not_changed_by_an_import(users):
    rows = family_rows()
    run(users, xlsx(rows))
    before = counts()
    changed = [list(r) for r in rows]
    changed[0][COL["address"]] = "新地址8号"
    changed[2][COL["name"]] = "张大明"
    changed = changed[:2] + [changed[2]] + [row(NUMBER, "赵六", "其他", region="", address="")]
    changed = changed[:1] + changed[2:]  # 李梅 (row 3 before) missing from the file
    result = run(users, xlsx(changed))
    assert [(r, c) for r, c, _ in errors_of(result)] == [(2, "户编号"), (2, "地址"), (3, "姓名"), (4, "身份证号")]
    assert counts() == before


def test_household_registered_on_its_page_is_recognised_as_unchanged(users, make_household):
    number = new_id_number()
    h = make_household(
        members=[member(id_number=number, phone="13700001111", incomes={"pension": 80000})], area_type="rural"
    )  # not what the (urban) community would give an empty 城乡
    before = counts()
    result = run(users, xlsx([row(h.number, id_number=number, area_type="", phone="13700001111", pension="800")]))
    assert result.ok, errors_of(result)
    assert (result.households_unchanged, result.people_unchanged, result.households_created) == (1, 1, 0)
    assert counts()[:4] == before[:4]


def test_registered_household_outside_scope_is_only_said_to_be_used(users, make_household):
    h = make_household(community=OUT_COMMUNITY, members=[member(id_number=new_id_number(county="330109"))])
    result = run(users, xlsx([row(h.number)]), role=Role.DISTRICT_CASEWORKER)
    assert errors_of(result)[0][:2] == (2, "户编号")
    assert "already used" in errors_of(result)[0][2]


def test_a_household_registered_meanwhile_fails_the_import_cleanly(users, make_household, monkeypatch):
    """Between the check and the write someone registers the same number: the write fails as a whole."""
    data = xlsx([row("H-1")])
    make_household(number="H-1")
    monkeypatch.setattr(importing._Checker, "_existing_households", lambda self, numbers: {})
    before = counts()
    result = run(users, data)
    assert [(r, c) for r, c, _ in errors_of(result)] == [(None, "")]
    assert "changed while" in errors_of(result)[0][2]
    assert counts() == before


# --- the pages ----------------------------------------------------------------------------------


def test_import_page_flow(client, users):
    client.force_login(users[Role.DISTRICT_CASEWORKER])
    url = reverse("registry:import")
    page = client.get(url)
    assert page.status_code == 200
    assert reverse("registry:import_template") in page.content.decode()

    bad = family_rows()
    bad[1][COL["id_number"]] = _bad_id("check_digit")
    response = client.post(url, {"file": SimpleUploadedFile("h.xlsx", xlsx(bad))})
    body = response.content.decode()
    assert response.status_code == 200 and "身份证号" in body and 'data-testid="import-errors"' in body
    assert not Household.objects.exists()
    report = client.get(reverse("registry:import_report"))
    assert report.status_code == 200
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(report.content)).get_sheet_by_index(0)
    assert sheet.to_python()[1][:2] == [3.0, "身份证号"]

    good = family_rows()
    response = client.post(url, {"file": SimpleUploadedFile("h.xlsx", xlsx(good))})
    assert response.status_code == 200
    assert 'data-testid="import-done"' in response.content.decode()
    assert Household.objects.filter(number=NUMBER).exists()
    assert client.get(reverse("registry:import_report")).status_code == 404  # the old report is gone


def test_import_page_refuses_an_oversized_upload_without_reading_it(client, users, settings):
    settings.ZHONGFU_IMPORT_MAX_BYTES = 100
    client.force_login(users[Role.CITY_ADMIN])
    response = client.post(reverse("registry:import"), {"file": SimpleUploadedFile("h.xlsx", b"x" * 101)})
    assert response.status_code == 200 and "import-errors" in response.content.decode()


@pytest.mark.parametrize("role", [Role.COMMUNITY_WORKER, Role.UNIT_STAFF, Role.AUDITOR, Role.CHARITY_STAFF])
def test_import_pages_need_the_permission(client, users, role):
    client.force_login(users[role])
    for name in ("registry:import", "registry:import_template", "registry:import_report"):
        assert client.get(reverse(name)).status_code == 403


def test_error_report_workbook():
    data = errors_xlsx([[None, "", "whole file"], [5, "姓名", "A name is required"]])
    rows = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert rows[1:] == [["", "", "whole file"], [5.0, "姓名", "A name is required"]]


# --- volume -------------------------------------------------------------------------------------


def test_ten_thousand_rows(users, capsys):
    # Own ID numbers (conftest's counter shifts birth dates other tests rely on after 400 calls).
    ids = (
        make_id_number("330106", dt.date(1950, 1, 1) + dt.timedelta(days=i // 500), i % 500 * 2, "F")
        for i in range(10_000)
    )
    blank = {"region": "", "address": "", "area_type": "", "hukou_type": ""}
    rows = []
    for h in range(3334):
        number = f"V{h:06d}"
        rows.append(row(number, "户主甲", "户主", next(ids), phone=f"138{h:08d}", wage="1800"))
        for relation in ("配偶", "子女"):
            if len(rows) < 10_000:
                rows.append(row(number, "成员乙", relation, next(ids), **blank))
    assert len(rows) == 10_000
    data = xlsx(rows)
    started = time.perf_counter()
    result = run(users, data)
    seconds = time.perf_counter() - started
    assert result.ok, errors_of(result)[:5]
    assert (result.rows, result.households_created, result.people_created) == (10_000, 3334, 10_000)
    assert Person.objects.count() == 10_000 and Income.objects.count() == 3334
    started = time.perf_counter()
    again = run(users, data)
    seconds_again = time.perf_counter() - started
    assert again.ok and (again.households_unchanged, again.people_unchanged) == (3334, 10_000)
    with capsys.disabled():
        print(f"\n10,000-row import: {seconds:.1f} s; again (nothing to change): {seconds_again:.1f} s")
