"""Benchmark `democity`: generating N demo-city households into an empty database, against Faker zh_CN.

    python bench/democity.py --n 1000000          (or: make bench B=democity N=1000000)
    DATABASE_URL=postgres://user@host:5432/postgres python bench/democity.py --n 100000

Ours: `zhongfu.demo.services.demo_city_generate(households=N)` into a throwaway, freshly migrated database:
the generator, AES-GCM encryption and HMAC lookup hashes of every ID number and phone, masking, and the
batched INSERTs of households, people, memberships, incomes, assets and expenses, committed.

Peer: Faker('zh_CN') producing the same people in memory only: for every person our run produced, one
record of name, ssn (an 18-digit ID number), phone_number, date_of_birth and sex, and for every household
one address. Faker has no households, so the records are matched person for person; the peer neither
encrypts nor writes anything, so the ratio overstates what our generator itself costs.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h  # noqa: E402


def run_ours(n: int, seed: int) -> dict:
    from django.db import connection

    from zhongfu.demo.services import BATCH_SIZE, demo_city_generate
    from zhongfu.registry.models import Household, Person

    step = max(n // 10, 1)
    last = {"at": time.perf_counter(), "tenth": 0}

    def progress(done: int) -> None:
        if done // step > last["tenth"] or done == n:
            now = time.perf_counter()
            print(f"  ours: {done:>9,}/{n:,} households  (+{now - last['at']:.1f} s)", file=sys.stderr, flush=True)
            last.update(at=now, tenth=done // step)

    with h.Timer() as t:
        result = demo_city_generate(households=n, seed=seed, progress=progress)
    # Outside the timing: check what landed.
    counts = {"households_in_db": Household.objects.count(), "people_in_db": Person.objects.count()}
    if counts["households_in_db"] != n or counts["people_in_db"] != result["people"]:
        raise SystemExit(f"ours wrote the wrong number of rows: {counts} for {result}")
    return {
        "seconds": t.seconds,
        "cpu_seconds": t.cpu_seconds,
        "people": result["people"],
        "parallel": result.get("parallel", False),
        "batch_size": BATCH_SIZE,
        "vendor": connection.vendor,
    }


def run_peer(households: int, people: int, seed: int) -> dict:
    from faker import Faker

    fake = Faker("zh_CN")
    Faker.seed(seed)
    name, ssn, phone, dob, address = fake.name, fake.ssn, fake.phone_number, fake.date_of_birth, fake.address
    choice = fake.random.choice
    checksum = 0
    with h.Timer() as t:
        for _ in range(people):
            record = (name(), ssn(), phone(), dob(minimum_age=0, maximum_age=100), choice("MF"))
            checksum += len(record[1])
        for _ in range(households):
            checksum += len(address())
    return {"seconds": t.seconds, "cpu_seconds": t.cpu_seconds, "records": people + households, "checksum": checksum}


def main() -> None:
    parser = h.arguments(__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    n = args.n
    load_at_start = h.load_average()
    with h.django_database("democity", keep=args.keep_db) as db:
        print(
            f"democity: N={n:,} on {db['vendor']} ({db['database']}, migrated in {db['migrate_s']} s)", file=sys.stderr
        )
        ours = run_ours(n, args.seed)
        ours_peak = h.peak_mb()
        print(f"  ours: {ours['seconds']:.1f} s, {ours['people']:,} people; peer running…", file=sys.stderr, flush=True)
    # The throwaway database is gone; the peer needs none.
    peer = run_peer(n, ours["people"], args.seed)
    h.emit(
        {
            "bench": "democity",
            "n": n,
            "ours_s": ours["seconds"],
            "peer": "faker zh_CN",
            "peer_s": peer["seconds"],
            "peak_mb": h.peak_mb(),
            "ours_peak_mb": ours_peak,
            "ours_child_peak_mb": h.peak_mb(children=True) if ours["parallel"] else None,
            "ours_cpu_s": ours["cpu_seconds"],
            "ours_forked_generator": ours["parallel"],
            "peer_cpu_s": peer["cpu_seconds"],
            "load_avg_1m": [load_at_start, h.load_average()],
            "cpus": os.cpu_count(),
            "database": db["vendor"],
            "households": n,
            "people": ours["people"],
            "people_per_household": round(ours["people"] / n, 3) if n else None,
            "ours_households_per_s": h.per_second(n, ours["seconds"]),
            "ours_people_per_s": h.per_second(ours["people"], ours["seconds"]),
            "peer_records": peer["records"],
            "peer_people_per_s": h.per_second(ours["people"], peer["seconds"]),
            "ours_does": "demo_city_generate(households=N) into an empty throwaway database: generate households "
            "and people, AES-GCM encrypt + HMAC hash + mask every ID number and phone, batched INSERTs (COPY on "
            "PostgreSQL) of households, people, memberships, incomes, assets, expenses, committed per "
            f"{ours['batch_size']:,} households; "
            "above two batches, generating runs in a forked process while the parent writes (ours_cpu_s counts both)",
            "peer_does": "Faker('zh_CN') in memory, nothing written: one record (name, ssn, phone_number, "
            "date_of_birth, sex) per person ours produced, plus one address per household",
            "goal": "1,000,000 households in under 600 s",
            "goal_met": (ours["seconds"] < 600) if n >= 1_000_000 else None,
        }
    )


if __name__ == "__main__":
    main()
