"""Import of households and their members from a spreadsheet (.xlsx) or a UTF-8 CSV file.

One row per person; rows with the same household number (户编号) form one household. The import is
all or nothing: every row is checked first and every fault is reported (row as numbered in the
spreadsheet, column header, message); only a file without faults is written, in one transaction.
A household whose number is already registered with exactly the data in the file is left as it is,
so importing the same file again changes nothing. An import never changes a registered household:
a difference is reported as an error, to be corrected on the household's page.

The rules are those of `services.household_register` (its validation helpers are called here);
the writes are batched because a 10,000-row file through one `household_register` call per household
takes far longer, and the audit log receives the same entries `household_register` writes (one per
household and one per person) plus one summary entry for the import.
"""

import csv
import datetime as dt
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import python_calamine
import xlsxwriter
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from xlsxwriter.utility import xl_col_to_name

from zhongfu.audit.models import AuditEntry
from zhongfu.audit.services import audit_record, audit_record_many
from zhongfu.common import personal_data as pd
from zhongfu.common.errors import DomainError, InvalidInput, PermissionDenied
from zhongfu.common.identifiers import parse_id_number
from zhongfu.common.money import yuan_to_fen
from zhongfu.regions.models import IssuingCode, Level, Region

from . import services
from .models import (
    AreaType,
    DisabilityCategory,
    Household,
    HukouType,
    Income,
    IncomeType,
    LabourCapacity,
    Membership,
    Person,
    Relation,
    SchoolEnrolment,
)

IMPORT_PERMISSION = "registry.import_households"
MAX_ROWS = 50_000  # data rows in one file; a bigger file is refused with a message to split it
# A workbook is a zip file: refuse one that would unpack to more than this multiple of the upload limit.
MAX_UNPACKED_RATIO = 10
_CHUNK = 900  # values per IN (...) clause, below SQLite's limit on query parameters
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# --- the columns --------------------------------------------------------------------------------
# Headers and choice labels are the file format, so they are fixed Chinese text and not translated;
# what the template says about them is translated.

_AREA = {"城市": AreaType.URBAN, "农村": AreaType.RURAL}
_AREA_ALIASES = {"城镇": AreaType.URBAN, "城": AreaType.URBAN, "乡村": AreaType.RURAL, "农": AreaType.RURAL}
_HUKOU = {"本地户籍": HukouType.REGISTERED, "非本地户籍": HukouType.RESIDENT}
_HUKOU_ALIASES = {
    "户籍": HukouType.REGISTERED,
    "本地": HukouType.REGISTERED,
    "常住": HukouType.RESIDENT,
    "外地": HukouType.RESIDENT,
    "外地户籍": HukouType.RESIDENT,
}
_RELATION = {
    "户主": Relation.HEAD,
    "配偶": Relation.SPOUSE,
    "子女": Relation.CHILD,
    "父母": Relation.PARENT,
    "孙子女": Relation.GRANDCHILD,
    "祖父母": Relation.GRANDPARENT,
    "兄弟姐妹": Relation.SIBLING,
    "其他": Relation.OTHER,
}
_RELATION_ALIASES = {
    "本人": Relation.HEAD,
    **dict.fromkeys(("妻子", "丈夫", "妻", "夫"), Relation.SPOUSE),
    **dict.fromkeys(("儿子", "女儿", "子", "女"), Relation.CHILD),
    **dict.fromkeys(("父亲", "母亲", "父", "母"), Relation.PARENT),
    **dict.fromkeys(("孙子", "孙女", "外孙", "外孙子", "外孙女", "外孙子女"), Relation.GRANDCHILD),
    **dict.fromkeys(("祖父", "祖母", "外祖父", "外祖母", "外祖父母"), Relation.GRANDPARENT),
    **dict.fromkeys(("兄弟", "姐妹", "哥哥", "弟弟", "姐姐", "妹妹"), Relation.SIBLING),
}
_LABOUR = {"有劳动能力": LabourCapacity.FULL, "部分劳动能力": LabourCapacity.PARTIAL, "无劳动能力": LabourCapacity.NONE}
_LABOUR_ALIASES = {
    "完全劳动能力": LabourCapacity.FULL,
    "部分丧失劳动能力": LabourCapacity.PARTIAL,
    "丧失劳动能力": LabourCapacity.NONE,
    "完全丧失劳动能力": LabourCapacity.NONE,
}
_DISABILITY = {
    "无": DisabilityCategory.NONE,
    "视力": DisabilityCategory.VISUAL,
    "听力": DisabilityCategory.HEARING,
    "言语": DisabilityCategory.SPEECH,
    "肢体": DisabilityCategory.PHYSICAL,
    "智力": DisabilityCategory.INTELLECTUAL,
    "精神": DisabilityCategory.MENTAL,
    "多重": DisabilityCategory.MULTIPLE,
}
_DISABILITY_ALIASES = {f"{label}残疾": value for label, value in _DISABILITY.items() if value}
_SCHOOL = {
    "不在学": SchoolEnrolment.NONE,
    "学前": SchoolEnrolment.PRESCHOOL,
    "小学": SchoolEnrolment.PRIMARY,
    "初中": SchoolEnrolment.JUNIOR,
    "高中": SchoolEnrolment.SENIOR,
    "职业学校": SchoolEnrolment.VOCATIONAL,
    "高等教育": SchoolEnrolment.HIGHER,
}
_SCHOOL_ALIASES = {
    "无": SchoolEnrolment.NONE,
    "幼儿园": SchoolEnrolment.PRESCHOOL,
    **dict.fromkeys(("中职", "职高", "技校", "中专"), SchoolEnrolment.VOCATIONAL),
    **dict.fromkeys(("大学", "大专", "本科", "研究生"), SchoolEnrolment.HIGHER),
}
_GRADES = {"1": 1, "2": 2, "3": 3, "4": 4, "一级": 1, "二级": 2, "三级": 3, "四级": 4}
_GRADES.update({f"{n}级": n for n in (1, 2, 3, 4)})
_YES = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
_NO = {"", "否", "无", "n", "no", "false", "0", "×"}
_YES_NO = ("是", "否")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    help: object  # a lazy translatable text for the template's instructions
    labels: dict | None = None  # Chinese label → stored value, offered as a drop-down in the template
    aliases: dict | None = None
    enum: type | None = None  # the TextChoices whose values and labels are accepted as well
    text: bool = False  # formatted as text in the template (identifiers that must keep every digit)
    width: int = 12


COLUMNS: tuple[Column, ...] = (
    Column("number", "户编号", _("Required. Rows with the same number form one household."), text=True, width=18),
    Column(
        "region",
        "社区代码",
        _("12-digit code of the community (社区/村). Required on the first row of a household."),
        text=True,
        width=14,
    ),
    Column("address", "地址", _("Required on the first row of a household."), width=28),
    Column(
        "area_type",
        "城乡",
        _("Empty: taken from the community (村 rural, 社区 urban)."),
        labels=_AREA,
        aliases=_AREA_ALIASES,
        enum=AreaType,
        width=8,
    ),
    Column(
        "hukou_type",
        "户籍类型",
        _("Required on the first row of a household."),
        labels=_HUKOU,
        aliases=_HUKOU_ALIASES,
        enum=HukouType,
        width=12,
    ),
    Column("name", "姓名", _("Required."), width=10),
    Column(
        "id_number",
        "身份证号",
        _("Required. 18 characters, typed as text (the column is formatted as text)."),
        text=True,
        width=22,
    ),
    Column(
        "relation",
        "与户主关系",
        _("Required. Exactly one head (户主) per household."),
        labels=_RELATION,
        aliases=_RELATION_ALIASES,
        enum=Relation,
        width=10,
    ),
    Column("phone", "手机号", _("Optional. A mobile number or a landline with area code."), text=True, width=14),
    Column(
        "labour_capacity",
        "劳动能力",
        _("Empty: able to work."),
        labels=_LABOUR,
        aliases=_LABOUR_ALIASES,
        enum=LabourCapacity,
        width=14,
    ),
    Column(
        "disability_category",
        "残疾类别",
        _("Empty: none."),
        labels=_DISABILITY,
        aliases=_DISABILITY_ALIASES,
        enum=DisabilityCategory,
        width=10,
    ),
    Column("disability_grade", "残疾等级", _("1 to 4, required with a disability category."), width=8),
    Column("serious_illness", "重病", _("是 or 否; empty: 否."), width=6),
    Column("elderly_living_alone", "独居老人", _("是 or 否; empty: 否."), width=8),
    Column("child_in_difficulty", "困境儿童", _("是 or 否; empty: 否."), width=8),
    Column(
        "school_enrolment",
        "在学情况",
        _("Empty: not in school."),
        labels=_SCHOOL,
        aliases=_SCHOOL_ALIASES,
        enum=SchoolEnrolment,
        width=10,
    ),
    Column("wage", "月工资收入(元)", _("Yuan per month, at most two decimals; empty: 0."), width=14),
    Column("pension", "月养老金(元)", _("Yuan per month, at most two decimals; empty: 0."), width=14),
    Column("other_income", "其他月收入(元)", _("Yuan per month, at most two decimals; empty: 0."), width=14),
)
HEADERS = tuple(c.header for c in COLUMNS)
_BY_KEY = {c.key: c for c in COLUMNS}
_HOUSEHOLD_KEYS = ("region", "address", "area_type", "hukou_type")
_BOOL_KEYS = ("serious_illness", "elderly_living_alone", "child_in_difficulty")
_INCOME_KEYS = {"wage": IncomeType.WAGE, "pension": IncomeType.PENSION, "other_income": IncomeType.OTHER}
# Fields named by services._validate_member_fields → the column that holds them.
_FIELD_COLUMN = {
    "name": "name",
    "relation": "relation",
    "labour_capacity": "labour_capacity",
    "disability_category": "disability_category",
    "disability_grade": "disability_grade",
    "school_enrolment": "school_enrolment",
    "phone": "phone",
    "incomes": "wage",
}


def _norm_header(value) -> str:
    return re.sub(r"\s+", "", str(value or "")).replace("（", "(").replace("）", ")")


def _norm_word(value: str) -> str:
    return re.sub(r"\s+", "", value).replace("（", "(").replace("）", ")").lower()


def _accepted(column: Column) -> dict[str, str]:
    """Every spelling accepted for a choice column: Chinese labels and aliases, stored values, and the
    choice labels in English and in the installation's language."""
    out = {_norm_word(k): str(v) for k, v in {**(column.aliases or {}), **(column.labels or {})}.items()}
    for value, label in column.enum.choices:
        if value:
            out.setdefault(_norm_word(value), value)
        for lang in ("en", settings.LANGUAGE_CODE):
            with translation.override(lang):
                out.setdefault(_norm_word(str(label)), value)
    return out


# --- results ------------------------------------------------------------------------------------


@dataclass
class RowError:
    row: int | None  # as numbered in the spreadsheet (the header is row 1); None for the whole file
    column: str  # the column header, "" for the whole file or row
    message: object  # str or lazy translatable text

    def as_list(self) -> list:
        return [self.row, self.column, str(self.message)]


@dataclass
class ImportResult:
    file_name: str
    rows: int = 0
    households_created: int = 0
    people_created: int = 0
    households_unchanged: int = 0
    people_unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def file_too_large(*, file_name: str, size: int) -> ImportResult:
    """The result for an upload over the limit (the view reports it without reading the file)."""
    return ImportResult(file_name=file_name, errors=[_too_large(size)])


def _too_large(size: int) -> RowError:
    return RowError(
        None,
        "",
        _("The file is %(size)s, larger than the limit of %(limit)s; split it into smaller files.")
        % {"size": filesizeformat(size), "limit": filesizeformat(settings.ZHONGFU_IMPORT_MAX_BYTES)},
    )


# --- reading the file ---------------------------------------------------------------------------


class _FileProblem(Exception):
    def __init__(self, error: RowError):
        self.error = error


def _read_table(file_name: str, data: bytes) -> list[list]:
    """The cells of the first sheet (or the CSV), row by row from spreadsheet row 1."""
    name = (file_name or "").lower()
    is_zip = data[:4] == b"PK\x03\x04"  # .xlsx and .ods are zip files, whatever the name says
    if is_zip:
        try:
            unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
        except zipfile.BadZipFile:
            raise _FileProblem(RowError(None, "", _("The file could not be read as an Excel workbook."))) from None
        if unpacked > MAX_UNPACKED_RATIO * settings.ZHONGFU_IMPORT_MAX_BYTES:
            raise _FileProblem(_too_large(unpacked))
    if is_zip or name.endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        return _read_workbook(data)
    if name.endswith((".csv", ".txt")):
        return _read_csv(data)
    raise _FileProblem(RowError(None, "", _("Upload an Excel file (.xlsx, as the template) or a CSV file (.csv).")))


def _read_workbook(data: bytes) -> list[list]:
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        if not workbook.sheet_names:
            return []
        return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception:  # calamine raises several kinds (format, zip, xml, password): all mean unreadable
        raise _FileProblem(RowError(None, "", _("The file could not be read as an Excel workbook."))) from None


def _read_csv(data: bytes) -> list[list]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise _FileProblem(
            RowError(
                line,
                "",
                _(
                    "The CSV file is not UTF-8 text (perhaps GBK). In Excel or WPS use “Save as” and choose "
                    "“CSV UTF-8”, or upload the .xlsx file instead."
                ),
            )
        ) from None
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise _FileProblem(RowError(None, "", _("The file could not be read as a CSV file."))) from None


# --- cells --------------------------------------------------------------------------------------


class _CellError(Exception):
    def __init__(self, message):
        self.message = message


def _cell_text(value) -> str:
    """A cell as text: whole numbers without '.0' (a code or phone typed as a number keeps its digits)."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return format(value, ".15g")  # the precision Excel shows: 0.30000000000000004 is 0.3
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def _parse_choice(column: Column, text: str, accepted: dict[str, str]) -> str:
    try:
        return accepted[_norm_word(text)]
    except KeyError:
        raise _CellError(
            _("Not an allowed value: %(value)s. Allowed: %(allowed)s.")
            % {"value": text, "allowed": "、".join(column.labels)}
        ) from None


def _parse_bool(text: str) -> bool:
    word = _norm_word(text)
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise _CellError(_("Not a yes or no: %(value)s. Enter 是 or 否.") % {"value": text})


def _parse_grade(text: str) -> int | None:
    if not text:
        return None
    try:
        return _GRADES[_norm_word(text)]
    except KeyError:
        raise _CellError(_("A disability grade is 1, 2, 3 or 4.")) from None


def _parse_fen(text: str) -> int:
    if not text:
        return 0
    try:
        fen = yuan_to_fen(text)
    except InvalidInput as e:
        raise _CellError(str(e)) from None
    if fen < 0:
        raise _CellError(_("An income is a non-negative amount."))
    return fen


_NUMBER_RE = re.compile(r"^[0-9A-Za-z-]{1,32}$")
_SCIENTIFIC_RE = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.IGNORECASE)  # 3.30106E+17: a number saved as text
_ID_AS_NUMBER = _(
    "The ID number was entered as a number and has lost its last digits. Format the column as text "
    "(as in the template) and type the number again."
)


def _parse_number(text: str) -> str:
    if not text:
        raise _CellError(_("This field is required."))
    if not _NUMBER_RE.match(text):
        raise _CellError(_("A household number has at most 32 letters, digits or hyphens."))
    return text


# --- checking -----------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    cells: dict  # key → raw cell
    text: dict  # key → cell text
    values: dict = field(default_factory=dict)  # key → parsed value
    member: services.MemberInput | None = None
    id_number: str = ""  # normalised, when valid
    id_hash: str = ""
    birth_date: dt.date | None = None
    sex: str = ""


@dataclass
class _House:
    number: str
    rows: list[_Row] = field(default_factory=list)
    values: dict = field(default_factory=dict)  # household fields, from the first row that has them
    first_line: dict = field(default_factory=dict)  # household field → line it was taken from
    region: dict | None = None


class _Checker:
    def __init__(self, actor, result: ImportResult):
        self.actor = actor
        self.result = result
        self.errors = result.errors
        self.accepted = {c.key: _accepted(c) for c in COLUMNS if c.enum is not None}
        self.bad_cells: set[tuple[int, str]] = set()

    def error(self, line: int | None, key: str | None, message) -> None:
        if key is not None and (line, key) in self.bad_cells:
            return  # one message per cell
        if key is not None:
            self.bad_cells.add((line, key))
        self.errors.append(RowError(line, _BY_KEY[key].header if key else "", message))

    # -- the header and the rows

    def rows(self, table: list[list]) -> list[_Row]:
        if not table:
            self.error(1, None, _("The file is empty; use the template's header row."))
            return []
        header = [_norm_header(h) for h in table[0]]
        positions: dict[str, int] = {}
        known = {_norm_header(h): c.key for c, h in zip(COLUMNS, HEADERS, strict=True)}
        for i, h in enumerate(header):
            if not h:
                if any(i < len(r) and _cell_text(r[i]) for r in table[1:]):
                    self.errors.append(
                        RowError(1, xl_col_to_name(i), _("This column has data but no header; remove it."))
                    )
                continue
            key = known.get(h)
            if key is None:
                self.errors.append(
                    RowError(1, str(table[0][i]).strip(), _("Unknown column; use the headers of the template."))
                )
            elif key in positions:
                self.error(1, key, _("This column appears twice."))
            else:
                positions[key] = i
        for c in COLUMNS:
            if c.key not in positions:
                self.error(1, c.key, _("This column is missing; use the headers of the template."))
        if self.errors:
            return []
        rows = []
        for index, raw in enumerate(table[1:], start=2):
            cells = {k: (raw[i] if i < len(raw) else None) for k, i in positions.items()}
            text = {k: _cell_text(v) for k, v in cells.items()}
            if any(text.values()):
                rows.append(_Row(line=index, cells=cells, text=text))
        if not rows:
            self.error(None, None, _("The file has no data rows below the header row."))
        elif len(rows) > MAX_ROWS:
            self.error(
                None, None, _("At most %(max)s rows can be imported at once; split the file.") % {"max": MAX_ROWS}
            )
            return []
        return rows

    def parse(self, row: _Row) -> None:
        """Each cell on its own; then the member rules of the registry service."""
        v = row.values
        for c in COLUMNS:
            text = row.text[c.key]
            try:
                if c.key == "number":
                    v[c.key] = _parse_number(text)
                elif c.key == "id_number":
                    v[c.key] = self._id_number(row)
                elif c.key in ("name", "relation") and not text:
                    raise _CellError(_("This field is required."))
                elif c.enum is not None:
                    v[c.key] = _parse_choice(c, text, self.accepted[c.key]) if text else None
                elif c.key in _BOOL_KEYS:
                    v[c.key] = _parse_bool(text)
                elif c.key == "disability_grade":
                    v[c.key] = _parse_grade(text)
                elif c.key in _INCOME_KEYS:
                    v[c.key] = _parse_fen(text)
                else:
                    v[c.key] = text
            except _CellError as e:
                self.error(row.line, c.key, e.message)
            except InvalidInput as e:
                self.error(row.line, c.key, str(e))
        member = services.MemberInput(
            name=v.get("name") or "",
            id_number=row.id_number,
            relation=v.get("relation") or Relation.OTHER,
            phone=v.get("phone") or "",
            labour_capacity=v.get("labour_capacity") or LabourCapacity.FULL,
            disability_category=v.get("disability_category") or "",
            disability_grade=v.get("disability_grade"),
            serious_illness=bool(v.get("serious_illness")),
            elderly_living_alone=bool(v.get("elderly_living_alone")),
            child_in_difficulty=bool(v.get("child_in_difficulty")),
            school_enrolment=v.get("school_enrolment") or "",
            incomes={str(kind): v.get(k) or 0 for k, kind in _INCOME_KEYS.items() if v.get(k)},
        )
        # The registry's own checks stop at the first fault: report it, set the field aside, ask again.
        faulty: set[str | None] = set()
        while True:
            try:
                services._validate_member_fields(member)
                break
            except InvalidInput as e:
                if e.field in faulty:
                    break
                faulty.add(e.field)
                self.error(row.line, _FIELD_COLUMN.get(e.field or ""), str(e))
                _set_aside(member, e.field)
        row.member = member

    def _id_number(self, row: _Row) -> str:
        raw = row.cells["id_number"]
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raise _CellError(_ID_AS_NUMBER)
        text = row.text["id_number"]
        if not text:
            raise _CellError(_("This field is required."))
        if _SCIENTIFIC_RE.match(text):
            raise _CellError(_ID_AS_NUMBER)
        rid = parse_id_number(text)
        row.id_number, row.birth_date, row.sex = rid.number, rid.birth_date, rid.sex
        row.id_hash = pd.lookup_hash(rid.number)
        return rid.number

    # -- households

    def group(self, rows: list[_Row]) -> dict[str, _House]:
        houses: dict[str, _House] = {}
        seen_ids: dict[str, int] = {}
        for row in rows:
            number = row.values.get("number")
            if row.id_hash:
                if row.id_hash in seen_ids:
                    self.error(
                        row.line,
                        "id_number",
                        _("The same ID number also appears in row %(row)s.") % {"row": seen_ids[row.id_hash]},
                    )
                else:
                    seen_ids[row.id_hash] = row.line
            if not number:
                continue
            house = houses.setdefault(number, _House(number=number))
            house.rows.append(row)
            for key in _HOUSEHOLD_KEYS:
                value, text = row.values.get(key), row.text[key]
                if not text or (row.line, key) in self.bad_cells:
                    continue
                if key not in house.values:
                    house.values[key] = value
                    house.first_line[key] = row.line
                elif house.values[key] != value:
                    self.error(
                        row.line,
                        key,
                        _("Differs from row %(row)s of the same household.") % {"row": house.first_line[key]},
                    )
        for house in houses.values():
            first = house.rows[0].line
            for key in ("region", "address", "hukou_type"):
                if key not in house.values and not any((r.line, key) in self.bad_cells for r in house.rows):
                    self.error(first, key, _("This field is required."))
            heads = [r for r in house.rows if r.values.get("relation") == Relation.HEAD]
            if not heads and not any((r.line, "relation") in self.bad_cells for r in house.rows):
                self.error(first, "relation", _("A household has exactly one head."))
            for extra in heads[1:]:
                self.error(extra.line, "relation", _("A household has exactly one head."))
        return houses

    def regions(self, houses: dict[str, _House]) -> None:
        codes = {h.values["region"] for h in houses.values() if h.values.get("region")}
        found = {}
        for chunk in _chunks(sorted(codes)):
            for r in Region.objects.filter(code__in=chunk).values("code", "level", "is_rural"):
                found[r["code"]] = r
        for house in houses.values():
            code = house.values.get("region")
            if not code:
                continue
            line = house.first_line["region"]
            region = found.get(code)
            if region is None or region["level"] != Level.COMMUNITY:
                try:
                    services._community(code)  # raises the registry's message for this code
                except DomainError as e:
                    self.error(line, "region", str(e))
                continue
            try:
                services._check_scope(self.actor, code)
            except DomainError as e:
                self.error(line, "region", str(e))
                continue
            house.region = region

    def issuing_codes(self, rows: list[_Row]) -> None:
        prefixes = sorted({r.id_number[:6] for r in rows if r.id_number})
        known = set()
        for chunk in _chunks(prefixes):
            known.update(IssuingCode.objects.filter(code__in=chunk).values_list("code", flat=True))
        for row in rows:
            if row.id_number and row.id_number[:6] not in known:
                try:
                    services._parse_id(row.id_number, "id_number")  # raises the registry's message
                except DomainError as e:
                    self.error(row.line, "id_number", str(e))
                row.id_hash = ""

    def against_registry(self, houses: dict[str, _House]) -> list[_House]:
        """Compare with what is registered; return the households to create."""
        rows = [r for h in houses.values() for r in h.rows]
        hashes = [r.id_hash for r in rows if r.id_hash]
        people: dict[str, int] = {}
        active: dict[str, str] = {}  # id hash → number of the person's current household
        for chunk in _chunks(hashes):
            people.update(Person.objects.filter(id_number_hash__in=chunk).values_list("id_number_hash", "pk"))
            active.update(
                Membership.objects.filter(person__id_number_hash__in=chunk, end_date__isnull=True).values_list(
                    "person__id_number_hash", "household__number"
                )
            )
        existing = self._existing_households(list(houses))
        to_create = []
        for number, house in houses.items():
            registered = existing.get(number)
            if registered is None:
                for row in house.rows:
                    if row.id_hash in active:
                        self.error(row.line, "id_number", services.PersonAlreadyRegistered.default_message)
                    elif row.id_hash in people:
                        self.error(
                            row.line,
                            "id_number",
                            _("This ID number is already registered for a person with no current household."),
                        )
                to_create.append(house)
            else:
                self._compare(house, registered, active)
        return to_create

    def _existing_households(self, numbers: list[str]) -> dict[str, dict]:
        """Registered households with these numbers: their fields and active members (plain values)."""
        out: dict[str, dict] = {}
        for chunk in _chunks(numbers):
            for h in Household.objects.filter(number__in=chunk).values(
                "number", "region_id", "address", "area_type", "hukou_type"
            ):
                out[h["number"]] = {"household": h, "members": {}}
            memberships = Membership.objects.filter(household__number__in=chunk, end_date__isnull=True).values(
                "household__number", "relation", "person_id", *(f"person__{f}" for f in _COMPARED_PERSON_FIELDS)
            )
            incomes_of: dict[int, dict] = {}
            for m in memberships:
                person = {f: m[f"person__{f}"] for f in _COMPARED_PERSON_FIELDS}
                incomes_of[m["person_id"]] = {}
                members = out[m["household__number"]]["members"]
                members[person["id_number_hash"]] = (m["relation"], person, incomes_of[m["person_id"]])
            for person_chunk in _chunks(list(incomes_of)):
                for person_id, kind, fen in Income.objects.filter(person_id__in=person_chunk).values_list(
                    "person_id", "kind", "monthly_fen"
                ):
                    incomes_of[person_id][kind] = fen
        return out

    def _compare(self, house: _House, registered: dict, active: dict[str, str]) -> None:
        h = registered["household"]
        first = house.rows[0].line
        try:
            services._check_scope(self.actor, h["region_id"])
        except DomainError:
            self.error(first, "number", _("Household number %(number)s is already used.") % {"number": h["number"]})
            return
        differs = _(
            "Differs from the registered household %(number)s; an import does not change registered "
            "households (change it on the household's page)."
        ) % {"number": h["number"]}
        for key in _HOUSEHOLD_KEYS:
            value = h["region_id" if key == "region" else key]
            if key in house.values and house.values[key] != value:
                self.error(house.first_line.get(key, first), key, differs)
        members = registered["members"]
        in_file = set()
        for row in house.rows:
            if not row.id_hash:
                continue
            in_file.add(row.id_hash)
            if row.id_hash not in members:
                if row.id_hash in active:
                    self.error(row.line, "id_number", services.PersonAlreadyRegistered.default_message)
                else:
                    self.error(
                        row.line,
                        "id_number",
                        _(
                            "Household %(number)s is registered without this person; an import does not change "
                            "registered households."
                        )
                        % {"number": h["number"]},
                    )
                continue
            relation, person, incomes = members[row.id_hash]
            for key, same in _member_matches(row, relation, person, incomes):
                if not same:
                    self.error(row.line, key, differs)
        missing = len(set(members) - in_file)
        if missing:
            self.error(
                first,
                "number",
                _(
                    "Registered members of household %(number)s missing from the file: %(count)s. An import "
                    "does not change registered households."
                )
                % {"number": h["number"], "count": missing},
            )


def _set_aside(member: services.MemberInput, field_name: str | None) -> None:
    """Replace a faulty field with a valid value, so the registry's checks can go on to the next one."""
    if field_name == "name":
        member.name = "-"
    elif field_name == "relation":
        member.relation = Relation.OTHER
    elif field_name == "labour_capacity":
        member.labour_capacity = LabourCapacity.FULL
    elif field_name in ("disability_category", "disability_grade"):
        member.disability_category, member.disability_grade = "", None
    elif field_name == "school_enrolment":
        member.school_enrolment = ""
    elif field_name == "phone":
        member.phone = ""
    else:
        member.incomes = {}


_COMPARED_PERSON_FIELDS = (
    "id_number_hash",
    "name",
    "phone_hash",
    "labour_capacity",
    "disability_category",
    "disability_grade",
    "serious_illness",
    "elderly_living_alone",
    "child_in_difficulty",
    "school_enrolment",
)


def _member_matches(row: _Row, relation: str, person: dict, incomes: dict) -> Iterable[tuple[str, bool]]:
    """(column, whether the file agrees with the registered person) for every column of a member."""
    m = row.member
    phone = (m.phone or "").strip()
    yield "name", m.name == person["name"]
    yield "relation", m.relation == relation
    yield "phone", (pd.lookup_hash(phone) if phone else "") == person["phone_hash"]
    yield "labour_capacity", m.labour_capacity == person["labour_capacity"]
    yield "disability_category", (m.disability_category or "") == person["disability_category"]
    yield "disability_grade", (m.disability_grade if m.disability_category else None) == person["disability_grade"]
    for key in ("serious_illness", "elderly_living_alone", "child_in_difficulty"):
        yield key, getattr(m, key) == bool(person[key])
    yield "school_enrolment", (m.school_enrolment or "") == person["school_enrolment"]
    for key, kind in _INCOME_KEYS.items():
        yield key, m.incomes.get(str(kind), 0) == incomes.get(str(kind), 0)


def _chunks(values: Sequence, size: int = _CHUNK) -> Iterable[Sequence]:
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i : i + size]


# --- writing ------------------------------------------------------------------------------------


def _reserve_ids(model, count: int) -> list[int]:
    """Primary keys for `count` new rows, taken so that no other writer can take them too."""
    table = model._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
            return [r[0] for r in cur.fetchall()]
        # SQLite: the transaction holds the write lock; continue after both the highest id and the
        # highest id ever given (AUTOINCREMENT), so an id is never reused.
        cur.execute(
            f"SELECT MAX(x) FROM (SELECT MAX(id) AS x FROM {table} "  # noqa: S608 - a model's table name
            "UNION ALL SELECT seq AS x FROM sqlite_sequence WHERE name = %s)",
            [table],
        )
        first = (cur.fetchone()[0] or 0) + 1
        return list(range(first, first + count))


def _insert(model, fields: Sequence[str], rows: list[tuple]) -> None:
    """Plain INSERTs of prepared rows: Django's bulk_create spends seconds preparing 10,000 objects."""
    if not rows:
        return
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = ", ".join(qn(model._meta.get_field(f).column) for f in fields)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # COPY: one stream instead of a statement per row.
            with connection.wrap_database_errors, cur.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 - a model's table
        for chunk in _chunks(rows, 2000):
            cur.executemany(sql, chunk)


def _write(actor, houses: list[_House], start: dt.date) -> tuple[int, int]:
    """Insert the new households, people, memberships and incomes in batches, with the audit entries
    household_register writes: one per household and one per person."""
    rows = [r for h in houses for r in h.rows]
    household_ids = _reserve_ids(Household, len(houses))
    person_ids = _reserve_ids(Person, len(rows))
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    start_db = connection.ops.adapt_datefield_value(start)
    households, people, memberships, incomes, audit = [], [], [], [], []
    person_id = iter(person_ids)
    for house, hid in zip(houses, household_ids, strict=True):
        v = house.values
        # 城乡 left empty: as the community (村 rural, 社区 urban).
        area = v.get("area_type") or (AreaType.RURAL if house.region["is_rural"] else AreaType.URBAN)
        household = Household(
            pk=hid,
            number=house.number,
            region_id=v["region"],
            address=v["address"],
            area_type=area,
            hukou_type=v["hukou_type"],
        )
        households.append((hid, house.number, v["region"], v["address"], area, v["hukou_type"], "", True, now, now))
        audit.append(
            {
                "action": AuditEntry.Action.CREATE,
                "object_type": "household",
                "object_id": str(hid),
                "household_id": hid,
                "region_code": household.region_id,
                "after": services.household_snapshot(household),
                "reason": "import",
            }
        )
        for r in house.rows:
            pid = next(person_id)
            m = r.member
            person = services.person_build(
                m, id_number=r.id_number, birth_date=r.birth_date, sex=r.sex, id_hash=r.id_hash, pk=pid
            )
            people.append(
                tuple(
                    connection.ops.adapt_datefield_value(person.birth_date) if f == "birth_date" else getattr(person, f)
                    for f in _PERSON_COLUMNS
                )
                + (now, now)
            )
            memberships.append((hid, pid, m.relation, start_db))
            incomes.extend((pid, kind, fen) for kind, fen in m.incomes.items() if fen)
            audit.append(
                {
                    "action": AuditEntry.Action.CREATE,
                    "object_type": "person",
                    "object_id": str(pid),
                    "household_id": hid,
                    "region_code": household.region_id,
                    "after": services.person_snapshot(person) | {"relation": m.relation, "incomes": m.incomes},
                    "reason": "import",
                }
            )
    _insert(
        Household,
        (
            "id",
            "number",
            "region",
            "address",
            "area_type",
            "hukou_type",
            "assistance_class",
            "is_active",
            "created_at",
            "updated_at",
        ),
        households,
    )
    _insert(Person, (*_PERSON_COLUMNS, "created_at", "updated_at"), people)
    _insert(Membership, ("household", "person", "relation", "start_date"), memberships)
    _insert(Income, ("person", "kind", "monthly_fen"), incomes)
    audit_record_many(actor=actor, entries=audit)
    return len(households), len(people)


_PERSON_COLUMNS = (
    "id",
    "name",
    "id_number_enc",
    "id_number_hash",
    "id_number_masked",
    "birth_date",
    "sex",
    "phone_enc",
    "phone_hash",
    "phone_masked",
    "labour_capacity",
    "disability_category",
    "disability_grade",
    "serious_illness",
    "elderly_living_alone",
    "child_in_difficulty",
    "school_enrolment",
)


# --- the service --------------------------------------------------------------------------------


def household_import(*, actor, file_name: str, data: bytes, start: dt.date | None = None) -> ImportResult:
    """Check every row of the file; write all of it in one transaction, or nothing and the report."""
    if not actor.has_perm(IMPORT_PERMISSION):
        raise PermissionDenied()
    file_name = (file_name or "").strip()[-200:]
    result = ImportResult(file_name=file_name)
    if len(data) > settings.ZHONGFU_IMPORT_MAX_BYTES:
        result.errors.append(_too_large(len(data)))
        return result
    try:
        table = _read_table(file_name, data)
    except _FileProblem as p:
        result.errors.append(p.error)
        return result
    checker = _Checker(actor, result)
    rows = checker.rows(table)
    result.rows = len(rows)
    if not rows:
        return result
    for row in rows:
        checker.parse(row)
    checker.issuing_codes(rows)
    houses = checker.group(rows)
    checker.regions(houses)
    to_create = checker.against_registry(houses)
    if result.errors:
        result.errors.sort(key=lambda e: (e.row or 0, HEADERS.index(e.column) if e.column in HEADERS else -1))
        return result
    result.households_unchanged = len(houses) - len(to_create)
    result.people_unchanged = len(rows) - sum(len(h.rows) for h in to_create)
    try:
        with transaction.atomic():
            result.households_created, result.people_created = _write(actor, to_create, start or dt.date.today())
            audit_record(
                actor=actor,
                action=AuditEntry.Action.IMPORT,
                object_type="household_import",
                object_id=hashlib.sha256(data).hexdigest()[:40],
                region_code=getattr(actor, "region_id", "") or "",
                after={
                    "file": file_name,
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "rows": result.rows,
                    "households_created": result.households_created,
                    "people_created": result.people_created,
                    "households_unchanged": result.households_unchanged,
                    "people_unchanged": result.people_unchanged,
                },
            )
    except IntegrityError:
        # Someone registered one of these households or people while the file was being checked.
        result.households_created = result.people_created = 0
        result.errors.append(
            RowError(None, "", _("The registry changed while the file was being checked; import the file again."))
        )
    return result


# --- files for download -------------------------------------------------------------------------


def template_xlsx(rows: Iterable[Sequence] = ()) -> bytes:
    """The import template: the header row, text-formatted identifier columns, drop-downs for the
    choice columns, and a second sheet explaining each column. `rows` are written below the header."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("家庭成员")
    bold = book.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1})
    text = book.add_format({"num_format": "@"})
    last_row = max(MAX_ROWS, 1000)
    for col, c in enumerate(COLUMNS):
        sheet.set_column(col, col, c.width, text if c.text else None)
        sheet.write_string(0, col, c.header, bold)
        sheet.write_comment(0, col, str(c.help), {"x_scale": 2})
        choices = list(c.labels) if c.labels else (list(_YES_NO) if c.key in _BOOL_KEYS else None)
        if c.key == "disability_grade":
            choices = ["1", "2", "3", "4"]
        if choices:
            sheet.data_validation(
                1,
                col,
                last_row,
                col,
                {"validate": "list", "source": choices, "ignore_blank": True, "show_error": False},
            )
    sheet.freeze_panes(1, 0)
    for r, values in enumerate(rows, start=1):
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            if isinstance(value, int | float) and not isinstance(value, bool) and not COLUMNS[col].text:
                sheet.write_number(r, col, value)
            else:
                sheet.write_string(r, col, str(value), text if COLUMNS[col].text else None)
    notes = book.add_worksheet("填写说明")
    notes.set_column(0, 0, 16)
    notes.set_column(1, 1, 60)
    notes.set_column(2, 2, 60)
    notes.write_row(0, 0, [_g("Column"), _g("How to fill it in"), _g("Accepted values")], bold)
    for r, c in enumerate(COLUMNS, start=1):
        allowed = "、".join(c.labels) if c.labels else ("、".join(_YES_NO) if c.key in _BOOL_KEYS else "")
        notes.write_row(r, 0, [c.header, str(c.help), allowed])
    general = [
        _g("One row per person; the rows of a household share its household number."),
        _g("The import is all or nothing: if any row has a fault, nothing is imported and every fault is listed."),
        _g("Households already registered with the same data are left unchanged, so a file can be imported again."),
        _g("A CSV file must be saved as UTF-8 (“CSV UTF-8”)."),
    ]
    for i, line in enumerate(general, start=len(COLUMNS) + 2):
        notes.write_string(i, 0, line)
    book.close()
    return buffer.getvalue()


def errors_xlsx(errors: Iterable[Sequence]) -> bytes:
    """The error report: (row, column, message) rows as stored by the import page."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("错误报告")
    bold = book.add_format({"bold": True})
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 1, 16)
    sheet.set_column(2, 2, 90)
    sheet.write_row(0, 0, [_g("Row"), _g("Column"), _g("Problem")], bold)
    for r, (row, column, message) in enumerate(errors, start=1):
        sheet.write_row(r, 0, [row if row is not None else "", column, message])
    sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()
