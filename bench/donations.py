"""Benchmark `donations`: N online gifts through the provider's signed callback on a real server (PostgreSQL).

    python bench/donations.py --n 20000                 (or: make bench B=donations N=20000)
    python bench/donations.py --n 500 --ledger 20000    (a quick check)

PostgreSQL only: without DATABASE_URL the server at postgres://root@127.0.0.1:5432 is used, with a database of
its own, `zhongfu_bench_donations` (bench/_harness.py), dropped afterwards.

Set-up, not timed: migrations; a charity unit with no gift yet (the first callbacks open its bank account,
general fund, period and receipt counter); N payment orders waiting to be paid, written in one
bulk insert with the fields `payment_order_create` gives them (the API has no order-create endpoint: a donor
makes an order through the give page's form); and for each order the callback the simulated provider sends
once the donor has paid, signed with HMAC-SHA256 as providers.SimulatedProvider.callback signs it.

Timed: gunicorn on 127.0.0.1 (sync workers, as `make run` starts them) and --clients threads that together
POST the N signed callbacks to /api/funds/callbacks/sim — the provider-facing hot path, where each callback
records the gift, its donor, its ledger entry and its numbered receipt in one transaction. The peer is the same
server's trivial page GET /accounts/login/ (Zhongfu has no health endpoint), hit by the same clients the same
way, --peer-n times (default min(N, 5000)), before the callbacks. One connection per request for both.
`ours_s` is the wall time of the N callbacks, `peer_s` that of the trivial phase scaled to N requests; `ratio` is
the throughput of the callbacks over the trivial page's, peer_s / ours_s (goal: at least 0.5).

Afterwards the books are checked: the number and the sum of online gifts recorded equal what was sent, every
order is paid, every answer was 200 "paid" and not a replay, and the receipts are numbered 1..N+1 with no gap.
The bench exits 1 on any mismatch or error.

Extra figure: tracing one gift (`selectors.trace_donation`, what the trace API returns) with a large ledger.
--ledger gifts (default 1,000,000; --ledger 10000000 is the issue's size) are added to the same general fund by
bulk SQL (entries, their two lines, the gifts with their running totals; see large_ledger_trace), then
allocations spend from the fund, and --traces gifts picked at random are traced in process; their p50/p99 are
reported with the ledger size used and the time the bulk load took.
"""

import http.client
import json
import os
import random
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import _harness as h  # noqa: E402
import casework  # noqa: E402
from casework import HOST, TRIVIAL, _tail, percentiles, serving  # noqa: E402

# On a busy machine (the figures' load average is reported) gunicorn may need more than a minute to answer.
casework.STARTUP_SECONDS = max(casework.STARTUP_SECONDS, 300)

DEFAULT_DATABASE = "postgres://root@127.0.0.1:5432/postgres"
CALLBACK = "/api/funds/callbacks/sim"
REQUEST_TIMEOUT = 30


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def prepare(n: int, seed: int) -> dict:
    """The unit, N waiting orders and their signed callbacks; returns the bodies and what they add up to."""

    from zhongfu.accounts.models import Unit, User
    from zhongfu.accounts.roles import Role
    from zhongfu.funds import providers, services
    from zhongfu.funds.models import PaymentOrder
    from zhongfu.regions.models import Region

    rng = random.Random(seed)
    district = Region.objects.get(code="330106")
    unit = Unit.objects.create(code="bench-charity", name="压测慈善总会", kind=Unit.Kind.CHARITY, region=district)
    keeper = User(username="bench_keeper", role=Role.CHARITY_STAFF, region=district, unit=unit)
    keeper.set_unusable_password()
    keeper.save()
    # No gift is recorded before the run: the first callbacks race to open the unit's bank account, general
    # fund, period and receipt counter, which donation_record_online creates before its first audit entry.
    services.online_actor()
    orders = [
        PaymentOrder(
            reference=secrets.token_hex(16),
            unit=unit,
            amount_fen=rng.randint(1_00, 5_000_00),
            donor_name="" if i % 4 == 0 else f"捐赠人{i}",
            anonymous=i % 4 == 0,
            consent_to_name=i % 3 == 0 and i % 4 != 0,
            provider="sim",
        )
        for i in range(n)
    ]
    PaymentOrder.objects.bulk_create(orders, batch_size=2000)
    sim = providers.get("sim")
    bodies = [json.dumps(sim.callback(order)).encode() for order in orders]
    return {"unit": unit.pk, "keeper": keeper.pk, "bodies": bodies, "sum_fen": sum(o.amount_fen for o in orders)}


def drive(port: int, requests: list[tuple[str, str, bytes | None]], clients: int) -> dict:
    """Send the requests with `clients` threads, one connection per request; every answer must be a 200."""
    lock = threading.Lock()
    cursor = iter(range(len(requests)))
    timings: list[float] = []
    errors: list[str] = []
    answers: list[dict] = []

    def client() -> None:
        while True:
            with lock:
                i = next(cursor, None)
            if i is None:
                return
            method, path, body = requests[i]
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
                headers = {"Connection": "close"}
                if body is not None:
                    headers["Content-Type"] = "application/json"
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                text = response.read()
                conn.close()
            except OSError as e:
                with lock:
                    errors.append(f"{method} {path}: {e!r}")
                continue
            elapsed = time.perf_counter() - started
            with lock:
                timings.append(elapsed)
                if response.status != 200:
                    errors.append(f"{method} {path}: {response.status} {text[:200]!r}")
                elif body is not None:
                    answers.append(json.loads(text))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"elapsed_s": time.perf_counter() - started, "timings": timings, "errors": errors, "answers": answers}


def check_books(unit_id: int, n: int, sum_fen: int, answers: list[dict]) -> dict:
    from django.db.models import Count, Sum

    from zhongfu.funds.models import Donation, LedgerEntry, PaymentOrder, Receipt

    online = Donation.objects.filter(unit_id=unit_id, channel="online").aggregate(n=Count("id"), s=Sum("amount_fen"))
    numbers = list(Receipt.objects.filter(unit_id=unit_id).order_by("number").values_list("number", flat=True))
    unbalanced = LedgerEntry.objects.filter(unit_id=unit_id).annotate(t=Sum("lines__amount_fen")).exclude(t=0).count()
    return {
        "sent": n,
        "sent_sum_fen": sum_fen,
        "recorded": online["n"],
        "recorded_sum_fen": online["s"] or 0,
        "orders_paid": PaymentOrder.objects.filter(unit_id=unit_id, status="paid").count(),
        "answers_paid_not_replay": sum(1 for a in answers if a["status"] == "paid" and not a["replay"]),
        "receipts": len(numbers),
        "receipts_gapless": numbers == list(range(1, len(numbers) + 1)),
        "unbalanced_entries": unbalanced,
    }


def books_match(books: dict) -> bool:
    n = books["sent"]
    return (
        books["recorded"] == books["orders_paid"] == books["answers_paid_not_replay"] == n
        and books["recorded_sum_fen"] == books["sent_sum_fen"]
        and books["receipts_gapless"]
        and books["receipts"] == n  # the online gifts' receipts; the set-up gift has none
        and books["unbalanced_entries"] == 0
    )


def large_ledger_trace(unit_id: int, keeper_id: int, ledger: int, traces: int, seed: int) -> dict:
    """Add `ledger` gifts to the general fund by bulk SQL, spend from it, and time tracing random gifts."""
    from django.db import connection, transaction
    from django.utils import timezone

    from zhongfu.accounts.models import User
    from zhongfu.funds import selectors, services
    from zhongfu.funds.models import Donation, Period

    keeper = User.objects.select_related("unit").get(pk=keeper_id)
    general = services.standard_account(keeper.unit, services.GENERAL)
    bank = services.standard_account(keeper.unit, services.BANK)
    today = timezone.localdate()
    period = Period.objects.get(unit_id=unit_id, month=today.replace(day=1))
    started = time.perf_counter()
    # Written by the server itself (INSERT … SELECT over generate_series: no row crosses the socket, faster
    # than COPY from here), with ids taken as one block of each sequence, so entries, lines and gifts are
    # joined by arithmetic. The row triggers (a period check per entry, a deferred balance check per line)
    # are off for this session only (session_replication_role = replica): every entry written here balances
    # by construction (two lines, +a and -a). Each gift carries its running total (a window sum over the
    # same formula), and the fund's counter is raised by the total, as the services would.
    amount = "(100 + (g * 7919) %% 100000)"
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("SET LOCAL synchronous_commit = off")
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('funds_ledgerentry', 'id'), "
            "nextval(pg_get_serial_sequence('funds_ledgerentry', 'id')) + %s) - %s",
            [ledger, ledger],
        )
        base_entry = cur.fetchone()[0]
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('funds_ledgerline', 'id'), "
            "nextval(pg_get_serial_sequence('funds_ledgerline', 'id')) + %s) - %s",
            [2 * ledger, 2 * ledger],
        )
        base_line = cur.fetchone()[0]
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('funds_donation', 'id'), "
            "nextval(pg_get_serial_sequence('funds_donation', 'id')) + %s) - %s",
            [ledger, ledger],
        )
        base_gift = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO funds_ledgerentry (id, unit_id, date, period_id, kind, memo, created_by_id, created_at) "
            "SELECT %s + g, %s, %s, %s, 'donation', 'bulk', %s, now() FROM generate_series(0::bigint, %s - 1) AS g",
            [base_entry, unit_id, today, period.pk, keeper_id, ledger],
        )
        cur.execute(
            "INSERT INTO funds_ledgerline (id, entry_id, account_id, amount_fen) "
            f"SELECT %s + 2 * g, %s + g, %s, {amount} FROM generate_series(0::bigint, %s - 1) AS g "
            f"UNION ALL SELECT %s + 2 * g + 1, %s + g, %s, -{amount} FROM generate_series(0::bigint, %s - 1) AS g",
            [base_line, base_entry, bank.pk, ledger, base_line, base_entry, general.pk, ledger],
        )
        cur.execute("SELECT inflow_fen FROM funds_fundaccount WHERE id = %s FOR UPDATE", [general.pk])
        inflow = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO funds_donation (id, unit_id, amount_fen, channel, provider, provider_txn_id, account_id, "
            "directed, restriction, received_on, receipt_declined, entry_id, cum_before_fen, created_at) "
            f"SELECT %s + g, %s, {amount}, 'transfer', '', '', %s, false, '{{}}'::jsonb, %s, false, %s + g, "
            f"%s + COALESCE(SUM({amount}) OVER (ORDER BY g ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0), "
            "now() FROM generate_series(0::bigint, %s - 1) AS g",
            [base_gift, unit_id, general.pk, today, base_entry, inflow, ledger],
        )
        cur.execute(
            f"UPDATE funds_fundaccount SET inflow_fen = inflow_fen + (SELECT SUM({amount}) "
            "FROM generate_series(0::bigint, %s - 1) AS g) WHERE id = %s",
            [ledger, general.pk],
        )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    insert_s = time.perf_counter() - started
    budget = services.fund_account_open(
        actor=keeper, unit=keeper.unit, kind="budget", code="bench-budget", name="压测预算", project="BENCH"
    )
    balance = selectors.account_balance_fen(general)
    for _ in range(20):  # allocations spread over the first gifts, so a trace has something to follow
        services.allocation_record(
            actor=keeper, from_account=general, to_account=budget, amount_fen=balance // 40, date=today
        )
    with connection.cursor() as cur:
        cur.execute("SELECT min(id), max(id), count(*) FROM funds_donation WHERE account_id = %s", [general.pk])
        low, high, count = cur.fetchone()
    rng = random.Random(seed)
    seconds = []
    picked = set()
    while len(picked) < min(traces, count):
        pk = rng.randint(low, high)
        if pk not in picked and Donation.objects.filter(pk=pk, account=general).exists():
            picked.add(pk)
    for pk in sorted(picked, key=lambda _pk: rng.random()):
        began = time.perf_counter()
        selectors.trace_donation(Donation.objects.select_related("unit", "account").get(pk=pk))
        seconds.append(time.perf_counter() - began)
    return {
        "ledger_gifts": count,
        "ledger_gifts_asked": ledger,
        "bulk_insert_s": round(insert_s, 1),
        "traces": percentiles(seconds),
    }


def _alarm(signum, frame) -> None:
    raise SystemExit("donations: the hard time limit (--timeout) was reached; stopping")


def main() -> None:
    cpus = os.cpu_count() or 1
    parser = h.arguments(__doc__.split("\n")[0], default_n=20_000)
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads (default 16)")
    parser.add_argument("--workers", type=int, default=2 * cpus + 1, help=f"gunicorn workers (default {2 * cpus + 1})")
    parser.add_argument("--peer-n", type=int, help="requests to the trivial page (default min(N, 5000))")
    parser.add_argument("--ledger", type=int, default=1_000_000, help="gifts in the ledger for the trace figure")
    parser.add_argument("--traces", type=int, default=200, help="gifts traced for the p99 (default 200)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--timeout", type=float, default=3600, help="hard limit for the whole run, s (default 3600)")
    args = parser.parse_args()
    if args.n < 1 or args.clients < 1:
        parser.error("--n and --clients must be positive")
    peer_n = args.peer_n or min(args.n, 5000)

    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE)
    if not os.environ["DATABASE_URL"].startswith(("postgres", "postgis", "pgsql")):
        raise SystemExit("donations: PostgreSQL only (set DATABASE_URL=postgres://user@host:5432/postgres)")
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(int(args.timeout))
    load_at_start = h.load_average()
    workdir = Path(tempfile.mkdtemp(prefix="zhongfu_bench_donations_"))
    # The server signs and checks with the same secret as the set-up (derived from the kept SECRET_KEY).
    os.environ["ZHONGFU_VAR"] = str(workdir / "var")
    try:
        with h.django_database("donations", keep=args.keep_db) as db:
            _say(f"donations: N={args.n} on {db['vendor']} ({db['database']}, migrated in {db['migrate_s']} s)")
            made = prepare(args.n, args.seed)
            from django.db import connections

            connections.close_all()
            with serving(workdir, args.workers, 1) as server:
                _say(f"  server on {HOST}:{server.port}, {args.workers} workers, {args.clients} clients")
                drive(server.port, [("GET", TRIVIAL, None)] * (2 * args.workers), args.clients)  # warm-up
                trivial = drive(server.port, [("GET", TRIVIAL, None)] * peer_n, args.clients)
                _say(f"  trivial page: {peer_n} in {trivial['elapsed_s']:.1f} s")
                ours = drive(server.port, [("POST", CALLBACK, body) for body in made["bodies"]], args.clients)
                _say(f"  callbacks: {args.n} in {ours['elapsed_s']:.1f} s")
                server.assert_running()
                server_memory = server.peak_mb()
                errors = trivial["errors"] + ours["errors"]
                if errors:
                    _say(f"web log (end):\n{_tail(server.logs / 'web.log')}")
            books = check_books(made["unit"], args.n, made["sum_fen"], ours["answers"])
            _say(f"  books: {books}")
            trace = None
            if args.ledger > 0:
                _say(f"  writing {args.ledger:,} gifts into the ledger for the trace figure…")
                trace = large_ledger_trace(made["unit"], made["keeper"], args.ledger, args.traces, args.seed)
    finally:
        signal.alarm(0)
        if not args.keep_db:
            shutil.rmtree(workdir, ignore_errors=True)

    ours_rps = h.per_second(args.n, ours["elapsed_s"])
    trivial_rps = h.per_second(peer_n, trivial["elapsed_s"])
    ratio = round(ours_rps / trivial_rps, 3) if trivial_rps else None
    matched = books_match(books)
    h.emit(
        {
            "bench": "donations",
            "n": args.n,
            "ours_s": ours["elapsed_s"],
            "peer": f"the trivial page GET {TRIVIAL} of the same server, same clients, same run",
            "peer_s": trivial["elapsed_s"] * args.n / peer_n,
            "ratio": ratio,
            "ratio_means": "throughput of the signed callbacks / throughput of the trivial page, = peer_s / ours_s "
            "(goal: at least 0.5)",
            "ours_rps": ours_rps,
            "trivial_rps": trivial_rps,
            "callbacks": percentiles(ours["timings"]),
            "trivial": percentiles(trivial["timings"]),
            "peer_n": peer_n,
            "errors": len(errors),
            "error_samples": errors[:5],
            "books": books,
            "books_match": matched,
            "trace_one_gift": trace,
            "trace_p99_ms": trace["traces"].get("p99_ms") if trace else None,
            "clients": args.clients,
            "server": {"gunicorn_workers": args.workers, "host": HOST, **server_memory},
            "database": db["vendor"],
            "cpus": cpus,
            "load_avg_1m": [load_at_start, h.load_average()],
            "ours_does": f"POST {CALLBACK}: the payment provider's HMAC-signed callback for an order made during "
            "set-up; records the gift, its donor, its balanced ledger entry and its numbered receipt in one "
            "transaction (orders are not created through HTTP: the API has no order endpoint)",
            "peer_does": f"GET {TRIVIAL}: middleware, session, a static template",
            "trace_does": "selectors.trace_donation in process (what GET /api/funds/donations/<id>/trace returns), "
            "random gifts of a general fund holding ledger_gifts gifts",
            "goal": "ratio at least 0.5; count and sum of recorded gifts equal what was sent; trace p99 at most 50 ms",
            "goal_met": bool(matched and not errors and ratio is not None and ratio >= 0.5),
        }
    )
    if errors or not matched:
        sys.exit(1)


if __name__ == "__main__":
    main()
