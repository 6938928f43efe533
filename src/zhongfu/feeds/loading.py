"""Loading a department feed: a file (xlsx or UTF-8 CSV) or pushed rows, checked whole, written whole.

In the house style of registry/importing.py: every row is checked first and every fault is reported
(row as numbered in the file — the header is row 1 — column header, message); only data without faults
is written, as one batch in one transaction, and one audit entry names it. The same data twice (same
SHA-256 for the same feed) is refused, naming the batch that loaded it. People are matched by the
registry's keyed hash of the ID number, in one query per chunk of hashes, never one per row.
"""

import csv
import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass

import python_calamine
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhongfu.accounts.roles import IMPORT_HOUSEHOLDS
from zhongfu.audit.models import AuditEntry
from zhongfu.audit.services import audit_record
from zhongfu.common import personal_data as pd
from zhongfu.common.errors import InvalidInput, PermissionDenied
from zhongfu.common.identifiers import parse_id_number
from zhongfu.common.money import yuan_to_fen
from zhongfu.registry.models import Membership, Person

from .models import BatchSource, FeedBatch, FeedRecord
from .schemas import FeedColumn, FeedSchema, feed_schema

# The permission to load feeds. A feeds permission of its own (feeds.load_feed) is a change to
# accounts/roles.py, which the lead owns; until then loading feeds goes with importing households.
LOAD_PERMISSION = IMPORT_HOUSEHOLDS
MAX_ROWS = 200_000  # data rows in one batch; a bigger file is refused with a message to split it
MAX_UNPACKED_RATIO = 10  # a workbook (zip) may unpack to at most this multiple of the upload limit
REPORT_MAX = 1_000  # faults listed in the report; the count says how many there are in all
_CHUNK = 900  # hashes per IN (...) clause, below SQLite's limit on query parameters
_TEXT_MAX = 200
TOO_LARGE = _("The file is too large; split it into smaller files.")


class FeedRejected(InvalidInput):
    """The data has faults; `errors` lists them as {"row", "column", "message"} and nothing was written."""

    def __init__(self, errors: list[dict], *, total: int | None = None):
        self.errors = errors[:REPORT_MAX]
        self.total = total if total is not None else len(errors)
        super().__init__(
            _("Nothing was loaded: %(n)s problems, listed by row and column. Correct the data and load it again."),
            field="file",
            n=self.total,
        )


class FeedAlreadyLoaded(FeedRejected):
    """The same data was loaded before, as `earlier`."""

    def __init__(self, earlier: FeedBatch):
        self.earlier = earlier
        message = _("This data was already loaded as version %(version)s of this feed (batch %(batch)s, %(at)s).") % {
            "version": earlier.version,
            "batch": earlier.pk,
            "at": timezone.localtime(earlier.loaded_at).strftime("%Y-%m-%d %H:%M"),
        }
        super().__init__([{"row": None, "column": "", "message": str(message)}])
        self.message = message
        self.params = {}


def _error(row, column: str, message) -> dict:
    return {"row": row, "column": column, "message": str(message)}


# --- reading ------------------------------------------------------------------------------------------


def _read_table(name: str, content: bytes) -> list[list]:
    """The cells of the first sheet (or the CSV), from row 1."""
    is_zip = content[:4] == b"PK\x03\x04"  # .xlsx is a zip file, whatever its name says
    if is_zip:
        try:
            unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(content)).infolist())
        except zipfile.BadZipFile:
            raise FeedRejected([_error(None, "", _("The file could not be read as an Excel workbook."))]) from None
        if unpacked > MAX_UNPACKED_RATIO * settings.ZHONGFU_IMPORT_MAX_BYTES:
            raise FeedRejected([_error(None, "", TOO_LARGE)])
        try:
            workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
            if not workbook.sheet_names:
                return []
            return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
        except Exception:  # noqa: BLE001 (calamine raises its own types for every kind of broken workbook)
            raise FeedRejected([_error(None, "", _("The file could not be read as an Excel workbook."))]) from None
    if not (name or "").lower().endswith((".csv", ".txt")):
        raise FeedRejected([_error(None, "", _("Upload an Excel file (.xlsx) or a CSV file (.csv)."))])
    try:
        text = content.decode("utf-8-sig")  # with or without the byte-order mark Excel writes
    except UnicodeDecodeError as e:
        line = content[: e.start].count(b"\n") + 1
        raise FeedRejected(
            [_error(line, "", _("The CSV file is not UTF-8 text (perhaps GBK). Save it as “CSV UTF-8”."))]
        ) from None
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise FeedRejected([_error(None, "", _("The file could not be read as a CSV file."))]) from None


def _norm_header(value) -> str:
    return re.sub(r"\s+", "", str(value or "")).replace("（", "(").replace("）", ")")


def _headers(schema: FeedSchema) -> dict[str, FeedColumn]:
    """Header as written (normalised) → column; the English key is accepted as well (API pushes)."""
    out = {}
    for c in schema.columns:
        out[_norm_header(c.header)] = c
        out[c.key] = c
    return out


def _cell_text(value) -> str:
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return format(value, ".15g")
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


# --- cells --------------------------------------------------------------------------------------------


class _CellError(Exception):
    def __init__(self, message):
        self.message = message


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d", "%Y年%m月%d日")
_MONTH_FORMATS = ("%Y-%m", "%Y/%m", "%Y%m", "%Y年%m月")
_SCIENTIFIC_RE = re.compile(r"^\d(\.\d+)?E\+?\d+$", re.IGNORECASE)


def _parse_date(text: str) -> str:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    # A settlement month (2025-03) dates its records on the first of the month.
    for fmt in _MONTH_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    raise _CellError(_("Not a date: %(value)s. Write it as 2025-03-31.") % {"value": text})


def _parse_integer(column: FeedColumn, text: str) -> int:
    try:
        value = int(text.replace(",", ""))
    except ValueError:
        raise _CellError(_("Not a whole number: %(value)s.") % {"value": text}) from None
    _check_range(column, value, text)
    return value


def _check_range(column: FeedColumn, value: int, text: str) -> None:
    if column.minimum is not None and value < column.minimum:
        raise _CellError(
            _("%(value)s is below the smallest allowed value, %(min)s.") % {"value": text, "min": column.minimum}
        )
    if column.maximum is not None and value > column.maximum:
        raise _CellError(
            _("%(value)s is above the largest allowed value, %(max)s.") % {"value": text, "max": column.maximum}
        )


def _parse_money(column: FeedColumn, text: str) -> int:
    try:
        fen = yuan_to_fen(text)
    except InvalidInput as e:
        raise _CellError(str(e)) from None
    if fen < 0:
        raise _CellError(_("An amount here cannot be negative."))
    return fen


def _parse_enum(column: FeedColumn, text: str) -> str:
    word = _norm_header(text)
    for label, value in column.choices.items():
        if word in (label, value):
            return value
    raise _CellError(
        _("Not an allowed value: %(value)s. Allowed: %(allowed)s.")
        % {"value": text, "allowed": "、".join(column.choices)}
    )


def _parse_id(text: str) -> str:
    if _SCIENTIFIC_RE.match(text) or (text.isdigit() and len(text) != 18):
        raise _CellError(
            _("The ID number has lost digits (entered as a number?). Format the column as text and type it again.")
        )
    try:
        return parse_id_number(text).number
    except InvalidInput as e:
        raise _CellError(str(e)) from None


def _parse_cell(column: FeedColumn, text: str):
    if column.type == "id_number":
        return _parse_id(text)
    if column.type == "date":
        return _parse_date(text)
    if column.type == "money":
        return _parse_money(column, text)
    if column.type == "integer":
        return _parse_integer(column, text)
    if column.type == "enum":
        return _parse_enum(column, text)
    if len(text) > _TEXT_MAX:
        raise _CellError(_("At most %(n)s characters.") % {"n": _TEXT_MAX})
    return pd.mask_name(text) if column.mask_name else text


# --- checking -----------------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    id_number: str
    values: dict


def _check_header(schema: FeedSchema, header: list) -> tuple[list[FeedColumn | None], list[dict]]:
    """Each position's column; unknown, repeated and missing required columns are faults of row 1."""
    known = _headers(schema)
    errors, columns, seen = [], [], set()
    for raw in header:
        name = _norm_header(raw)
        if not name:
            columns.append(None)
            continue
        column = known.get(name)
        if column is None:
            errors.append(_error(1, str(raw), _("Unknown column. This feed's columns are listed on the feeds page.")))
        elif column.key in seen:
            errors.append(_error(1, str(raw), _("This column appears twice.")))
            column = None
        else:
            seen.add(column.key)
        columns.append(column)
    for c in schema.columns:
        if c.required and c.key not in seen:
            errors.append(_error(1, c.header, _("A required column is missing.")))
    return columns, errors


def _check_rows(schema: FeedSchema, table: list[list], *, first_line: int) -> tuple[list[_Row], list[dict]]:
    """Parse every row below the header; rows with every cell empty are skipped."""
    if not table or not any(_cell_text(v) for v in table[0]):
        return [], [_error(1, "", _("The first row must hold the column headers."))]
    columns, errors = _check_header(schema, table[0])
    if errors:  # without the right columns the cells cannot be read; the header faults are the report
        return [], errors
    rows = []
    for offset, raw in enumerate(table[1:]):
        line = first_line + offset
        texts = [_cell_text(v) for v in raw]
        if not any(texts):
            continue
        if len(rows) >= MAX_ROWS:
            return [], [
                _error(None, "", _("More than %(n)s rows: split the data into several batches.") % {"n": MAX_ROWS})
            ]
        values, faulty = {}, set()
        for position, text in enumerate(texts):
            column = columns[position] if position < len(columns) else None
            if column is None:
                if text:
                    errors.append(_error(line, "", _("A value in a column without a header.")))
                continue
            if not text:
                continue
            try:
                values[column.key] = _parse_cell(column, text)
            except _CellError as e:
                faulty.add(column.key)
                errors.append(_error(line, column.header, e.message))
        for c in schema.columns:
            if c.required and c.key not in values and c.key not in faulty:
                errors.append(_error(line, c.header, _("This field is required.")))
        id_number = values.pop(schema.id_column.key, "")
        rows.append(_Row(line=line, id_number=id_number, values=values))
    if not rows and not errors:
        errors.append(_error(None, "", _("There are no data rows.")))
    return rows, errors


# --- matching and writing ------------------------------------------------------------------------------


def _match(hashes: list[str]) -> dict[str, tuple[int, str]]:
    """Keyed hash → (person id, community code of the active household or "")."""
    region = Membership.objects.filter(person=OuterRef("pk"), end_date__isnull=True).values("household__region_id")[:1]
    found = {}
    unique = sorted(set(hashes))
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        rows = Person.objects.filter(id_number_hash__in=chunk).annotate(region=Subquery(region))
        for pk, id_hash, code in rows.values_list("pk", "id_number_hash", "region"):
            found[id_hash] = (pk, code or "")
    return found


def _write(*, actor, schema: FeedSchema, name: str, source: str, sha256: str, rows: list[_Row]) -> FeedBatch:
    hashes = [pd.lookup_hash(r.id_number) for r in rows]
    matched = _match(hashes)
    last = FeedBatch.objects.filter(feed=schema.key).order_by("-version").values_list("version", flat=True).first()
    batch = FeedBatch.objects.create(
        feed=schema.key,
        version=(last or 0) + 1,
        source=source,
        file_name=name,
        content_sha256=sha256,
        row_count=len(rows),
        matched_count=sum(1 for h in hashes if h in matched),
        unmatched_count=sum(1 for h in hashes if h not in matched),
        loaded_by=actor if getattr(actor, "pk", None) else None,
        loaded_at=timezone.now(),
    )
    FeedRecord.objects.bulk_create(
        (
            FeedRecord(
                batch=batch,
                feed=schema.key,
                row=r.line,
                person_id=matched.get(h, (None, ""))[0],
                id_hash=h,
                id_number_masked=pd.mask_id_number(r.id_number),
                region_code=matched.get(h, (None, ""))[1],
                date=dt.date.fromisoformat(r.values[schema.date_key]),
                values=r.values,
            )
            for r, h in zip(rows, hashes, strict=True)
        ),
        batch_size=1000,
    )
    audit_record(
        actor=actor,
        action=AuditEntry.Action.IMPORT,
        object_type="feed_batch",
        object_id=batch.pk,
        region_code=getattr(actor, "region_id", "") or "",
        after={
            "feed": schema.key,
            "version": batch.version,
            "source": source,
            "file": name,
            "sha256": sha256,
            "rows": batch.row_count,
            "matched": batch.matched_count,
            "unmatched": batch.unmatched_count,
        },
    )
    return batch


def _earlier(feed: str, sha256: str) -> FeedBatch | None:
    return FeedBatch.objects.filter(feed=feed, content_sha256=sha256).first()


def _load(*, actor, feed: str, name: str, source: str, sha256: str, check) -> FeedBatch:
    if not actor.has_perm(LOAD_PERMISSION):
        raise PermissionDenied()
    schema = feed_schema(feed)
    earlier = _earlier(schema.key, sha256)
    if earlier is not None:
        raise FeedAlreadyLoaded(earlier)
    rows, errors = check(schema)
    if errors:
        errors.sort(key=lambda e: (e["row"] or 0,))
        raise FeedRejected(errors)
    try:
        with transaction.atomic():
            return _write(actor=actor, schema=schema, name=name, source=source, sha256=sha256, rows=rows)
    except IntegrityError:
        # Another load of this feed committed while this one was being checked: the same data, or the
        # version number it took. Either way nothing of this one was written.
        earlier = _earlier(schema.key, sha256)
        if earlier is not None:
            raise FeedAlreadyLoaded(earlier) from None
        raise FeedRejected(
            [_error(None, "", _("Another batch of this feed was loaded at the same time; load the data again."))]
        ) from None


# --- the services -------------------------------------------------------------------------------------


def feed_load(*, actor, feed: str, name: str, content: bytes) -> FeedBatch:
    """Load a file (xlsx or UTF-8 CSV) as the next batch of `feed`: all of it, or nothing and FeedRejected."""
    name = (name or "").strip()[-200:]
    if len(content) > settings.ZHONGFU_IMPORT_MAX_BYTES:
        raise FeedRejected([_error(None, "", TOO_LARGE)])

    def check(schema):
        # The table is read only after the permission and duplicate checks, which cost nothing.
        return _check_rows(schema, _read_table(name, content), first_line=2)

    return _load(
        actor=actor,
        feed=feed,
        name=name,
        source=BatchSource.UPLOAD,
        sha256=hashlib.sha256(content).hexdigest(),
        check=check,
    )


def feed_push(*, actor, feed: str, rows: list[dict], name: str = "") -> FeedBatch:
    """Load rows pushed through the API ({column: value}, by Chinese header or English key) as a batch.
    Rows are numbered from 1 in the report (the first pushed row is row 1)."""
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise FeedRejected([_error(None, "", _("Send the rows as a list of objects."))])
    canonical = json.dumps(rows, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)

    def check(schema):
        # A row may name a column by its header or its key: each name becomes the column's key; the union
        # of the rows' names is the header, and a name a row lacks is an empty cell of that row.
        known = _headers(schema)

        def name_of(k) -> str:
            column = known.get(_norm_header(k))
            return column.key if column else str(k)

        keyed = [{name_of(k): v for k, v in r.items()} for r in rows]
        header = list(dict.fromkeys(k for r in keyed for k in r))
        table = [header, *([r.get(k) for k in header] for r in keyed)]
        return _check_rows(schema, table, first_line=1)

    return _load(
        actor=actor,
        feed=feed,
        name=(name or "").strip()[-200:] or "API",
        source=BatchSource.API,
        sha256=hashlib.sha256(canonical.encode()).hexdigest(),
        check=check,
    )
