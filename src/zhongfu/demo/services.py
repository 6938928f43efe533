"""Writing the demo city: regions are already loaded by migration; this adds units, demo users and
households. Households go in with batched INSERTs (explicit ids) because a million of them through
model instances would take far longer; the rows are the same the registry services would write."""

import datetime as dt
import time
from collections.abc import Callable

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
        ("district", Role.DISTRICT_CASEWORKER, district, units["civil-affairs"], "西湖区社会救助科"),
        ("street", Role.STREET_CASEWORKER, street, units["civil-affairs"], f"{street.name}社会事务办"),
        ("community", Role.COMMUNITY_WORKER, community, None, f"{community.name}网格员"),
        ("union", Role.UNIT_STAFF, city, units["trade-union"], "总工会春风办"),
        ("charity", Role.CHARITY_STAFF, city, units["charity-federation"], "慈善总会项目部"),
        ("auditor", Role.AUDITOR, city, None, "市审计监督"),
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


TABLES = [
    "registry_household",
    "registry_person",
    "registry_membership",
    "registry_income",
    "registry_asset",
    "registry_expense",
]

SQL = {
    "registry_household": "INSERT INTO registry_household (id, number, region_id, address, area_type, hukou_type, "
    "assistance_class, is_active, created_at, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
    "registry_person": "INSERT INTO registry_person (id, name, id_number_enc, id_number_hash, id_number_masked, "
    "birth_date, sex, phone_enc, phone_hash, phone_masked, labour_capacity, disability_category, disability_grade, "
    "serious_illness, elderly_living_alone, child_in_difficulty, school_enrolment, created_at, updated_at) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
    "registry_membership": "INSERT INTO registry_membership (id, household_id, person_id, relation, start_date) "
    "VALUES (%s, %s, %s, %s, %s)",
    "registry_income": "INSERT INTO registry_income (id, person_id, kind, monthly_fen) VALUES (%s, %s, %s, %s)",
    "registry_asset": "INSERT INTO registry_asset (id, household_id, person_id, kind, description, value_fen, "
    "floor_area_m2, acquired_on, is_exempt_vehicle, company_uscc, company_role) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
    "registry_expense": "INSERT INTO registry_expense (id, household_id, person_id, kind, year, annual_fen) "
    "VALUES (%s, %s, %s, %s, %s, %s)",
}


class _Batch:
    def __init__(self):
        self.rows: dict[str, list[tuple]] = {t: [] for t in TABLES}
        self.ids = {t: _next_id(t) for t in TABLES}

    def add(self, table: str, row: tuple) -> int:
        row_id = self.ids[table]
        self.ids[table] += 1
        self.rows[table].append((row_id, *row))
        return row_id

    def flush(self) -> None:
        with connection.cursor() as cur:
            for table in TABLES:
                if self.rows[table]:
                    cur.executemany(SQL[table], self.rows[table])
                    self.rows[table] = []


def _write(batch: _Batch, h: HouseholdRow, now: dt.datetime, start: dt.date) -> int:
    hid = batch.add(
        "registry_household",
        (h.number, h.region_code, h.address, h.area_type, h.hukou_type, h.assistance_class, True, now, now),
    )
    person_ids = []
    for m in h.members:
        pid = batch.add(
            "registry_person",
            (
                m.name,
                pd.encrypt(m.id_number),
                pd.lookup_hash(m.id_number),
                pd.mask_id_number(m.id_number),
                m.birth_date,
                m.sex,
                pd.encrypt(m.phone) if m.phone else "",
                pd.lookup_hash(m.phone) if m.phone else "",
                pd.mask_phone(m.phone),
                m.labour_capacity,
                m.disability_category,
                m.disability_grade,
                m.serious_illness,
                m.elderly_living_alone,
                m.child_in_difficulty,
                m.school_enrolment,
                now,
                now,
            ),
        )
        person_ids.append(pid)
        batch.add("registry_membership", (hid, pid, m.relation, start))
        for kind, fen in m.incomes.items():
            batch.add("registry_income", (pid, kind, fen))
    for a in h.assets:
        batch.add(
            "registry_asset",
            (
                hid,
                person_ids[a.owner_index] if a.owner_index is not None else None,
                a.kind,
                a.description,
                a.value_fen,
                a.floor_area_m2,
                a.acquired_on,
                a.is_exempt_vehicle,
                a.company_uscc,
                a.company_role,
            ),
        )
    for kind, year, fen, idx in h.expenses:
        batch.add("registry_expense", (hid, person_ids[idx] if idx is not None else None, kind, year, fen))
    return len(h.members)


def demo_city_generate(
    *, households: int, seed: int = 2026, batch_size: int = 5000, progress: Callable[[int], None] | None = None
) -> dict:
    """Generate `households` households into an empty registry. Returns counts and timing."""
    if Household.objects.exists():
        raise RuntimeError("the registry already holds households; the demo city is generated into an empty one")
    started = time.perf_counter()
    gen = CityGenerator(_communities(), seed=seed)
    now = dt.datetime.now(dt.UTC)
    start = dt.date(2025, 1, 1)
    people = 0
    done = 0
    while done < households:
        n = min(batch_size, households - done)
        with transaction.atomic():
            batch = _Batch()
            for h in gen.households(n):
                people += _write(batch, h, now, start)
            batch.flush()
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
    return {"households": households, "people": people, "seconds": round(time.perf_counter() - started, 2)}
