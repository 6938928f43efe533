"""The funds services under real concurrency: many worker processes (funds_worker.py), each with its own
database connection, spend from one account and number receipts at the same moment, and one is killed with
SIGKILL inside its transaction. Nothing here touches the ORM in the test process.

The database is one of its own, migrated by `zhongfu migrate` in a subprocess: a dedicated PostgreSQL
database when DATABASE_URL names a PostgreSQL server (created and dropped here, like tests/e2e/system.py),
else a SQLite file. On PostgreSQL the services' row locks (`select_for_update`) serve the spenders in turn;
on SQLite each transaction takes the write lock when it begins (settings: transaction_mode IMMEDIATE), so
the same assertions hold there too, by a coarser lock."""

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("funds_worker.py")
POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "postgis"}

BALANCE = 100_000  # fen in the fund
ALLOCATORS, TIMES, AMOUNT = 16, 5, 3_000  # 240,000 fen asked of 100,000: most must be refused
GIFTS, ISSUERS = 40, 8


@contextmanager
def _database(workdir: Path):
    configured = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(configured)
    if parts.scheme not in POSTGRES_SCHEMES:
        yield f"sqlite:///{workdir / 'races.sqlite3'}"
        return
    import psycopg
    from psycopg import sql

    name = f"zhongfu_races_{os.getpid()}"
    maintenance = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(drop)
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(maintenance, autocommit=True) as conn:
            conn.execute(drop)


class Books:
    """The database and the environment every worker runs in."""

    def __init__(self, env: dict[str, str], workdir: Path):
        self.env, self.workdir = env, workdir

    def run(self, *args: str) -> dict:
        done = subprocess.run(
            [sys.executable, str(WORKER), *args], env=self.env, cwd=REPO, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"worker {args[0]} failed:\n{done.stdout}\n{done.stderr}"
        return json.loads(done.stdout.splitlines()[-1])

    def run_together(self, count: int, *args: str) -> list[dict]:
        """`count` workers doing `args`, released at once when all are set up."""
        go = self.workdir / f"go-{args[0]}"
        procs = [
            subprocess.Popen(
                [sys.executable, str(WORKER), args[0], str(go), *args[1:]],
                env=self.env,
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(count)
        ]
        try:
            for proc in procs:
                assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
            go.touch()
            outputs = [proc.communicate(timeout=300) for proc in procs]
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
        for proc, (out, err) in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, f"worker failed:\n{out}\n{err}"
        return [json.loads(out.splitlines()[-1]) for out, _err in outputs]


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("funds-races")
    with _database(workdir) as url:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "zhongfu.settings",
            "DATABASE_URL": url,
            "ZHONGFU_VAR": str(workdir / "var"),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        migrated = subprocess.run(
            [sys.executable, "-m", "zhongfu", "migrate", "--noinput", "-v", "0"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert migrated.returncode == 0, migrated.stderr
        b = Books(env, workdir)
        b.seeded = b.run("seed", str(BALANCE), str(GIFTS))
        yield b


def test_parallel_allocations_never_overdraw_the_fund(books):
    results = books.run_together(ALLOCATORS, "allocate", str(TIMES), str(AMOUNT))
    done = [pk for r in results for pk in r["done"]]
    refused = [message for r in results for message in r["refused"]]
    state = books.run("check")

    # Exactly as many went through as the fund could pay, and every other attempt was told why.
    assert len(done) == BALANCE // AMOUNT
    assert len(done) + len(refused) == ALLOCATORS * TIMES
    asked = f"{AMOUNT // 100}.{AMOUNT % 100:02d}"  # the message states yuan, as the officer types them
    assert all(m.startswith("The fund holds ") and m.endswith(f"it cannot allocate {asked} yuan.") for m in refused)
    assert state["balance"] == BALANCE - len(done) * AMOUNT >= 0
    # Every allocation a worker was told of is in the books, with its entry, and nothing else is.
    assert state["allocations"] == sorted(done)
    assert state["allocated_fen"] == state["allocation_entries_fen"] == len(done) * AMOUNT
    assert state["allocation_entries_without_allocation"] == 0
    assert state["unbalanced_entries"] == state["entries_without_lines"] == state["entries_with_one_line"] == 0


def test_parallel_receipts_are_numbered_without_gaps_or_repeats(books):
    gifts = books.seeded["gifts"]
    results = books.run_together(ISSUERS, "receipts", ",".join(map(str, gifts)))
    issued = [tuple(pair) for r in results for pair in r["issued"]]
    refused = [message for r in results for message in r["refused"]]
    state = books.run("check")

    # Each gift got one receipt, from whichever worker came first; the others were told it has one.
    assert sorted(pk for pk, _number in issued) == sorted(gifts)
    assert len(refused) == (ISSUERS - 1) * len(gifts)
    assert set(refused) == {"This gift already has a receipt."}
    numbers = [number for _year, number, _donation in state["receipts"]]
    assert numbers == list(range(1, len(gifts) + 1))
    assert len({year for year, _n, _d in state["receipts"]}) == 1
    assert sorted((d, n) for _y, n, d in state["receipts"]) == sorted(issued)


def test_a_worker_killed_inside_its_transaction_leaves_nothing_behind(books):
    before = books.run("check")
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), "hang_in_gift", "300"],
        env=books.env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("{"), proc.stderr.read()
        inside = json.loads(line)
        assert inside["inside"] and inside["entry"]  # the gift, its entry and lines were written, uncommitted
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    # PostgreSQL notices the dropped connection and rolls back; give it the moment it takes.
    deadline = time.monotonic() + 30
    while True:
        after = books.run("check")
        if after["donations"] == before["donations"] or time.monotonic() > deadline:
            break
        time.sleep(0.5)

    assert after["donations"] == before["donations"]
    assert after["entries"] == before["entries"]
    assert after["balance"] == before["balance"]
    assert after["donations_without_entry"] == after["donation_entries_without_donation"] == 0
    assert after["unbalanced_entries"] == after["entries_without_lines"] == after["entries_with_one_line"] == 0
    # The books still take a gift: the dead transaction left no lock behind.
    assert books.run("gift")["donations"] == before["donations"] + 1


ONLINE = 8


def test_a_units_first_online_gifts_at_once_are_all_recorded(books):
    """The first online gifts of a unit create its bank account (and, early in a month or a year, the
    period and the receipt counter). Named gifts audit their donor first and anonymous ones do not; when
    those rows were created after the first audit entry, whose lock is held to the commit, two such gifts
    deadlocked. All must go through, each with its receipt."""
    before = books.run("check")
    results = books.run_together(ONLINE, "online_gift")
    after = books.run("check")
    donations = [r["donation"] for r in results]
    assert len(set(donations)) == ONLINE and not any(r["replay"] for r in results)
    assert after["donations"] == before["donations"] + ONLINE
    numbers = [number for _year, number, _donation in after["receipts"]]
    assert numbers == list(range(1, len(numbers) + 1)) and set(donations) <= {d for _y, _n, d in after["receipts"]}
    assert after["unbalanced_entries"] == after["entries_without_lines"] == 0
