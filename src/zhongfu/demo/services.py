"""Writing the demo city: regions are already loaded by migration; this adds units, demo users and
households. Households go in with batched INSERTs (COPY on PostgreSQL, explicit ids) because a million
of them through model instances would take far longer; the rows are the same the registry services would
write. For a large city the households are generated in a forked process while this one writes, so a
million households take a few minutes on two cores (`make bench B=democity N=1000000` measures it)."""

import contextlib
import datetime as dt
import hashlib
import hmac
import multiprocessing
import os
import time
import traceback
from base64 import urlsafe_b64encode
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.db import connection, transaction

from zhongfu.accounts.models import Unit, User
from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.audit.services import audit_record
from zhongfu.common import personal_data as pd
from zhongfu.regions.models import Level, Region
from zhongfu.registry.models import Household

from .generator import CityGenerator, HouseholdRow

DEMO_PASSWORD = "zhongfu-demo"

UNITS = [
    ("civil-affairs", "杭州市民政局", Unit.Kind.GOVERNMENT),
    ("trade-union", "杭州市总工会春风办", Unit.Kind.FEDERATION),
    ("womens-federation", "杭州市妇女联合会", Unit.Kind.FEDERATION),
    ("disabled-federation", "杭州市残疾人联合会", Unit.Kind.FEDERATION),
    ("red-cross", "杭州市红十字会", Unit.Kind.FEDERATION),
    ("youth-league", "共青团杭州市委", Unit.Kind.FEDERATION),
    ("charity-federation", "杭州市慈善总会", Unit.Kind.CHARITY),
]


def demo_users_ensure() -> list[dict]:
    """One login per role; idempotent. Returns what `demo_logins` prints."""
    city = Region.objects.get(level=Level.CITY)
    district = Region.objects.get(code="330106")  # 西湖区
    street = Region.objects.filter(parent=district).order_by("code").first()
    community = Region.objects.filter(parent=street).order_by("code").first()
    units = {}
    for code, name, kind in UNITS:
        units[code], _ = Unit.objects.get_or_create(code=code, defaults={"name": name, "kind": kind, "region": city})
    specs = [
        ("admin", Role.CITY_ADMIN, city, units["civil-affairs"], "市民政局管理员"),
        # A second administrator approves what the first proposes (maker-checker on policies and standards).
        ("admin2", Role.CITY_ADMIN, city, units["civil-affairs"], "市民政局复核员"),
        ("district", Role.DISTRICT_CASEWORKER, district, units["civil-affairs"], "西湖区社会救助科"),
        ("street", Role.STREET_CASEWORKER, street, units["civil-affairs"], f"{street.name}社会事务办"),
        ("community", Role.COMMUNITY_WORKER, community, None, f"{community.name}网格员"),
        ("union", Role.UNIT_STAFF, city, units["trade-union"], "总工会春风办"),
        ("charity", Role.CHARITY_STAFF, city, units["charity-federation"], "慈善总会项目部"),
        ("auditor", Role.AUDITOR, city, None, "市审计监督"),
        # Reports households in need in their community and follows their own reports; sees nothing else.
        ("volunteer", Role.VOLUNTEER, community, None, f"{community.name}志愿者"),
    ]
    logins = []
    for username, role, region, unit, display in specs:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                role=role,
                region=region,
                unit=unit,
                display_name=display,
                is_staff=role == Role.CITY_ADMIN,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
        logins.append(
            {
                "username": username,
                "password": DEMO_PASSWORD,
                "role": user.get_role_display(),
                "scope": f"{region.full_name} ({user.scope_prefix})",
            }
        )
    return logins


def _communities() -> dict[str, bool]:
    return dict(Region.objects.filter(level=Level.COMMUNITY).values_list("code", "is_rural"))


def _next_id(table: str) -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - fixed table names
        return cur.fetchone()[0] + 1


def _reset_sequences(tables: list[str]) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        for table in tables:
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )


COLUMNS = {
    "registry_household": (
        "id number region_id address area_type hukou_type assistance_class is_active created_at updated_at"
    ),
    "registry_person": (
        "id name id_number_enc id_number_hash id_number_masked birth_date sex phone_enc phone_hash phone_masked "
        "labour_capacity disability_category disability_grade serious_illness elderly_living_alone "
        "child_in_difficulty school_enrolment created_at updated_at"
    ),
    "registry_membership": "id household_id person_id relation start_date",
    "registry_income": "id person_id kind monthly_fen",
    "registry_asset": (
        "id household_id person_id kind description value_fen floor_area_m2 acquired_on is_exempt_vehicle "
        "company_uscc company_role"
    ),
    "registry_expense": "id household_id person_id kind year annual_fen",
}
TABLES = list(COLUMNS)
SQL = {
    table: f"INSERT INTO {table} ({', '.join(cols.split())}) VALUES ({', '.join(['%s'] * len(cols.split()))})"
    for table, cols in COLUMNS.items()
}
# SQLite's page cache while the demo city is written: the random-order indexes (ID number and phone
# hashes, names) outgrow the default 2 MB after some ten thousand households, and every insert then
# reads pages back from the file. Pages are taken only as the database grows; the setting is restored.
# Measured at 400,000 households: 64 MB and 256 MB write equally fast, 1 GB is slower.
SQLITE_CACHE_KIB = 256 * 1024
# Households per transaction: each commit writes every index page its inserts touched, so fewer,
# larger batches write much less (at 400,000 households 20,000 took half the time of 5,000).
BATCH_SIZE = 20_000


class _Sealer:
    """personal_data.encrypt and personal_data.lookup_hash for many values: the same output (a test decrypts
    it with personal_data.decrypt and compares the hashes), with nonces drawn from os.urandom in bulk and the
    HMAC key schedule computed once. Both cost a fraction of the per-value functions."""

    NONCES = 4096

    def __init__(self):
        self._encrypt = pd._aead(settings.ZHONGFU_DATA_KEY).encrypt
        self._mac = hmac.new(settings.ZHONGFU_LOOKUP_KEY.encode(), digestmod=hashlib.sha256)
        self._nonces = b""
        self._at = 0

    def encrypt(self, value: str) -> str:
        at = self._at
        if at >= len(self._nonces):
            self._nonces, at = os.urandom(12 * self.NONCES), 0
        nonce = self._nonces[at : at + 12]
        self._at = at + 12
        return urlsafe_b64encode(nonce + self._encrypt(nonce, value.encode(), b"zhongfu-pii")).decode()

    def lookup_hash(self, value: str) -> str:
        mac = self._mac.copy()
        mac.update(value.strip().upper().encode())
        return mac.hexdigest()


class _Rows:
    """Turns generated households into rows for the registry tables, numbering them from the given ids."""

    def __init__(self, ids: dict[str, int], now: dt.datetime, start: dt.date):
        self.ids = ids
        self.now = connection.ops.adapt_datetimefield_value(now)
        self.start = start.isoformat()
        self.sealer = _Sealer()
        self._dates: dict[dt.date, str] = {}

    def _date(self, value: dt.date | None) -> str | None:
        if value is None:
            return None
        text = self._dates.get(value)
        if text is None:
            text = self._dates[value] = value.isoformat()
        return text

    def batch(self, households: Iterable[HouseholdRow]) -> tuple[dict[str, list[tuple]], int]:
        """Rows per table for these households, and how many people they hold."""
        ids, now, start, date = self.ids, self.now, self.start, self._date
        encrypt, lookup_hash = self.sealer.encrypt, self.sealer.lookup_hash
        mask_id, mask_phone = pd.mask_id_number, pd.mask_phone
        households_out: list[tuple] = []
        people: list[tuple] = []
        memberships: list[tuple] = []
        incomes: list[tuple] = []
        assets: list[tuple] = []
        expenses: list[tuple] = []
        hid, pid = ids["registry_household"], ids["registry_person"]
        mid, iid = ids["registry_membership"], ids["registry_income"]
        aid, eid = ids["registry_asset"], ids["registry_expense"]
        for h in households:
            households_out.append(
                (hid, h.number, h.region_code, h.address, h.area_type, h.hukou_type, h.assistance_class, True, now, now)
            )
            first_pid = pid
            for m in h.members:
                phone = m.phone
                people.append(
                    (
                        pid,
                        m.name,
                        encrypt(m.id_number),
                        lookup_hash(m.id_number),
                        mask_id(m.id_number),
                        date(m.birth_date),
                        m.sex,
                        encrypt(phone) if phone else "",
                        lookup_hash(phone) if phone else "",
                        mask_phone(phone),
                        m.labour_capacity,
                        m.disability_category,
                        m.disability_grade,
                        m.serious_illness,
                        m.elderly_living_alone,
                        m.child_in_difficulty,
                        m.school_enrolment,
                        now,
                        now,
                    )
                )
                memberships.append((mid, hid, pid, m.relation, start))
                mid += 1
                for kind, fen in m.incomes.items():
                    incomes.append((iid, pid, kind, fen))
                    iid += 1
                pid += 1
            for a in h.assets:
                owner = first_pid + a.owner_index if a.owner_index is not None else None
                assets.append(
                    (
                        aid,
                        hid,
                        owner,
                        a.kind,
                        a.description,
                        a.value_fen,
                        a.floor_area_m2,
                        date(a.acquired_on),
                        a.is_exempt_vehicle,
                        a.company_uscc,
                        a.company_role,
                    )
                )
                aid += 1
            for kind, year, fen, idx in h.expenses:
                expenses.append((eid, hid, first_pid + idx if idx is not None else None, kind, year, fen))
                eid += 1
            hid += 1
        people_count = pid - ids["registry_person"]
        ids.update(
            registry_household=hid,
            registry_person=pid,
            registry_membership=mid,
            registry_income=iid,
            registry_asset=aid,
            registry_expense=eid,
        )
        rows = {
            "registry_household": households_out,
            "registry_person": people,
            "registry_membership": memberships,
            "registry_income": incomes,
            "registry_asset": assets,
            "registry_expense": expenses,
        }
        return rows, people_count


def _store(rows: dict[str, list[tuple]]) -> None:
    """Insert the rows, parents before children; COPY on PostgreSQL, executemany elsewhere."""
    with connection.cursor() as cur:
        for table in TABLES:
            batch = rows[table]
            if not batch:
                continue
            if connection.vendor == "postgresql":
                with cur.cursor.copy(f"COPY {table} ({', '.join(COLUMNS[table].split())}) FROM STDIN") as copy:
                    write_row = copy.write_row
                    for row in batch:
                        write_row(row)
            else:
                cur.executemany(SQL[table], batch)


@contextlib.contextmanager
def _bulk_load_settings() -> Iterator[None]:
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cur:
        cur.execute("PRAGMA cache_size")
        previous = int(cur.fetchone()[0])
        cur.execute(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA cache_size = {previous}")


Batch = tuple[dict[str, list[tuple]], int, int]  # rows per table, people, households


def _batches_inline(gen: CityGenerator, rows: _Rows, households: int, batch_size: int) -> Iterator[Batch]:
    done = 0
    while done < households:
        n = min(batch_size, households - done)
        batch, people = rows.batch(gen.households(n))
        done += n
        yield batch, people, n


def _produce(send, gen: CityGenerator, rows: _Rows, households: int, batch_size: int) -> None:
    """The generating process: sends each batch's rows, then None; or the traceback text if it fails."""
    try:
        rows.sealer = _Sealer()  # nonces of its own
        for item in _batches_inline(gen, rows, households, batch_size):
            send.send(item)
        send.send(None)
    except BaseException:
        send.send(traceback.format_exc())
    finally:
        send.close()


def _batches_forked(gen: CityGenerator, rows: _Rows, households: int, batch_size: int) -> Iterator[Batch]:
    """The same batches as _batches_inline, made in a forked process while this one writes the previous batch.

    The child never touches the database; the pipe holds about one batch, so memory stays bounded."""
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(
        target=_produce, args=(send, gen, rows, households, batch_size), name="demo-city-generator", daemon=True
    )
    child.start()
    send.close()
    try:
        while True:
            try:
                item = receive.recv()
            except EOFError:
                raise RuntimeError(f"the demo city generator stopped (exit code {child.exitcode})") from None
            if item is None:
                return
            if isinstance(item, str):
                raise RuntimeError(f"the demo city generator failed:\n{item}")
            yield item
    finally:
        receive.close()
        if child.is_alive():
            child.terminate()
        child.join()


def demo_city_generate(
    *,
    households: int,
    seed: int = 2026,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    parallel: bool | None = None,
) -> dict:
    """Generate `households` households into an empty registry. Returns counts and timing.

    With `parallel` (the default for more than two batches on a machine with more than one CPU) the
    households are generated, encrypted and turned into rows in a forked process while this one writes;
    the result is the same either way."""
    if Household.objects.exists():
        raise RuntimeError("the registry already holds households; the demo city is generated into an empty one")
    started = time.perf_counter()
    if parallel is None:
        parallel = (
            households > 2 * batch_size
            and (os.cpu_count() or 1) > 1
            and "fork" in multiprocessing.get_all_start_methods()
        )
    gen = CityGenerator(_communities(), seed=seed)
    rows = _Rows({t: _next_id(t) for t in TABLES}, now=dt.datetime.now(dt.UTC), start=dt.date(2025, 1, 1))
    batches = (_batches_forked if parallel else _batches_inline)(gen, rows, households, batch_size)
    people = 0
    done = 0
    with _bulk_load_settings(), contextlib.closing(batches):
        for batch, batch_people, n in batches:
            with transaction.atomic():
                _store(batch)
            people += batch_people
            done += n
            if progress:
                progress(done)
    _reset_sequences(TABLES)
    with transaction.atomic():
        audit_record(
            actor=None,
            action=AuditEntry.Action.GENERATE,
            object_type="demo_city",
            after={"households": households, "people": people, "seed": seed},
        )
    return {
        "households": households,
        "people": people,
        "seconds": round(time.perf_counter() - started, 2),
        "parallel": parallel,
    }
