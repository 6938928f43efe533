"""Benchmark `casework`: N simulated caseworkers on a real server (PostgreSQL), case pages' p95 vs its trivial page.

    python bench/casework.py --n 200                   (or: make bench B=casework N=200; 5 minutes of load)
    python bench/casework.py --n 10 --seconds 20       (a quick check)
    DATABASE_URL=postgres://user@host:5432/postgres python bench/casework.py --n 200

PostgreSQL only (the issue asks for it): without DATABASE_URL the server at postgres://root@127.0.0.1:5432 is
used. The run has a database of its own, `zhongfu_bench_casework` (bench/_harness.py), dropped afterwards.

Set-up, not timed: migrations; a demo city (`demo_city_generate`, default max(20000, 500·N) households) and
the demo logins; N caseworkers (a quarter street caseworkers, the rest community workers) placed in the streets
and communities that hold the applications, each with a session made as login makes it (no password hashing
at the start of the run) and an API token; then applications through the real service
(`application_submit_all_eligible`, default max(100, 10·N) of them, households with an assistance class
first, street by street), each opening one case per eligible policy. All cases are opened today, so their
due dates are spread over two weeks either side of today (one UPDATE on `next_due_on` / `step_due_on`)
to give the due-today, overdue and this-week lists their work.

The load: gunicorn on 127.0.0.1 only and the task worker, as `make run` starts them (sync workers; 2·CPUs+1 of them
by default, `make run` starts 3). Each simulated caseworker is a thread with its own session cookie, which, with
think times (exponential, mean --think seconds) between requests, repeatedly: opens a due list
(/casework/cases/?due=…, falling back to ?due=open when the list is empty), a case from it (/casework/cases/<id>/),
the case with its history through the API (GET /api/cases/<id>, bearer token), sometimes posts the acceptance form
with the case version the page showed (302 saved; 409 when a colleague changed the case first — expected, counted
apart), sometimes the overdue view (/casework/cases/overdue/), and the trivial page; after every page, as a browser
does, the navbar's notification bell (/notifications/badge, htmx). Zhongfu has no health endpoint: the trivial page
is the login page /accounts/login/, fetched with the session cookie (same middleware, session and user load as
every page; a static template, no casework query). One connection per request (`Connection: close`), as a browser
reconnects after the server's keep-alive anyway.

Result: per page kind p50/p95/p99; `ours_s` is the p95 of the case pages (lists, case page, overdue view),
`peer_s` the trivial page's p95, `ratio` the first over the second. Every answer other than the expected one
(200, or 302/409 for a post) or a failed request is an error; the bench exits 1 if there is any.
Bounded: loopback only, each request times out after 30 s, a hard alarm (--timeout) stops the run, and the
server, the worker, the temporary directory and the database are removed on every exit.
"""

import collections
import http.client
import itertools
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

import _harness as h  # noqa: E402

DEFAULT_DATABASE = "postgres://root@127.0.0.1:5432/postgres"
HOST = "127.0.0.1"
TRIVIAL = "/accounts/login/"
CASE_PAGES = ("case_list", "case_detail", "overdue")
KINDS = ("case_list", "case_detail", "overdue", "case_api", "accept", "trivial", "badge")
# Every page a browser shows asks for the navbar's notification bell at once (base.html: hx-trigger "load").
BADGE = "/notifications/badge"
# Which due list a caseworker opens (the tabs of /casework/cases/).
DUE_LISTS = (("today", 4), ("overdue", 2), ("week", 2), ("open", 2))
OVERDUE_SHARE = 0.1  # iterations that also open the overdue view
REQUEST_TIMEOUT = 30
STARTUP_SECONDS = 60
CASE_LINK = re.compile(r'href="/casework/cases/(\d+)/"')
ACCEPT_FORM = re.compile(r'action="/casework/cases/(\d+)/accept/"(.*?)</form>', re.S)
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_FIELD = re.compile(r'name="expected_version" value="(\d+)"')
TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- the data: demo city, caseworkers, applications ------------------------------------------------------------
def prepare(*, n: int, households: int, applications: int, seed: int) -> dict:
    """Fill the (migrated, empty) database; returns the caseworkers' credentials and what was made."""
    import datetime as dt

    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.models import Count
    from django.utils import timezone

    from zhongfu.accounts.models import Unit, User
    from zhongfu.accounts.roles import Role
    from zhongfu.accounts.services import api_token_create
    from zhongfu.casework.models import Case
    from zhongfu.casework.services import application_submit_all_eligible
    from zhongfu.common.errors import DomainError
    from zhongfu.demo.services import demo_city_generate, demo_users_ensure
    from zhongfu.regions.models import Region
    from zhongfu.registry.models import Household

    rng = random.Random(seed)
    started = time.perf_counter()
    demo_users_ensure()
    city = demo_city_generate(households=households, seed=seed)
    _say(f"  demo city: {city['households']:,} households, {city['people']:,} people in {city['seconds']} s")

    # Households with an assistance class are the likely applicants; take them street by street (the streets
    # holding most of them first), so the caseworkers of a street have a realistic share of its cases.
    classed = collections.defaultdict(list)
    for pk, region in (
        Household.objects.exclude(assistance_class="").order_by("region_id", "id").values_list("id", "region_id")
    ):
        classed[region[:9]].append((pk, region))
    streets, wanted = [], int(applications * 1.15) + 1
    for street in sorted(classed, key=lambda s: (-len(classed[s]), s)):
        streets.append(street)
        if sum(len(classed[s]) for s in streets) >= wanted:
            break
    candidates = [row for s in streets for row in classed[s]]
    communities = collections.Counter(region for _pk, region in candidates)

    # Caseworkers first, so the notifications of the cases opened below reach them as they would.
    civil_affairs = Unit.objects.get(code="civil-affairs")
    regions = Region.objects.in_bulk([*streets, *communities])
    street_workers = max(1, n // 4)
    community_order = [c for c, _count in communities.most_common()]
    users = []
    for i in range(n):
        if i < street_workers:
            region, role, unit = regions[streets[i % len(streets)]], Role.STREET_CASEWORKER, civil_affairs
        else:
            region = regions[community_order[(i - street_workers) % len(community_order)]]
            role, unit = Role.COMMUNITY_WORKER, None
        user = User(username=f"bench{i:04d}", role=role, region=region, unit=unit, display_name=f"压测{i:04d}")
        user.set_unusable_password()
        users.append(user)
    User.objects.bulk_create(users)
    users = list(User.objects.filter(username__startswith="bench").select_related("region").order_by("username"))

    admin = User.objects.get(username="admin")
    made = refused = 0
    step = max(applications // 10, 1)
    applying = time.perf_counter()
    more = Household.objects.filter(assistance_class="").order_by("region_id", "id").values_list("id", flat=True)
    for pk in itertools.chain((pk for pk, _region in candidates), more.iterator()):
        if made >= applications:
            break
        try:
            application_submit_all_eligible(actor=admin, household=Household.objects.get(pk=pk), consent_by="户主")
        except DomainError:
            refused += 1
            continue
        made += 1
        if made % step == 0:
            _say(f"  applications: {made:,}/{applications:,} ({time.perf_counter() - applying:.0f} s)")
    if made < applications:
        _say(f"  only {made:,} households were eligible for something: {made:,} applications")

    # Spread the due dates over ±14 days (every case was opened today): one UPDATE per offset.
    today = timezone.localdate()
    ids = list(Case.objects.filter(next_due_on__isnull=False).values_list("id", flat=True))
    buckets = collections.defaultdict(list)
    for pk in ids:
        buckets[rng.randint(-14, 14)].append(pk)
    for offset, chunk in buckets.items():
        due = today + dt.timedelta(days=offset)
        Case.objects.filter(id__in=chunk).update(next_due_on=due, step_due_on=due)

    credentials = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "zhongfu.accounts.backends.RoleBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        prefix = user.scope_prefix
        case_ids = list(
            Case.objects.filter(household__region__code__startswith=prefix).order_by("id").values_list("id", flat=True)
        )
        credentials.append(
            {
                "username": user.username,
                "session": session.session_key,
                "token": api_token_create(user=user, name="bench"),
                "case_ids": case_ids,
            }
        )
    cases_per_worker = [len(c["case_ids"]) for c in credentials]
    counts = Case.objects.aggregate(cases=Count("id"))
    return {
        "credentials": credentials,
        "figures": {
            "households": households,
            "people": city["people"],
            "applications": made,
            "households_not_eligible": refused,
            "cases": counts["cases"],
            "streets": len(streets),
            "communities": len(communities),
            "street_caseworkers": street_workers,
            "community_workers": n - street_workers,
            "cases_per_caseworker_median": statistics.median(cases_per_worker) if cases_per_worker else 0,
            "cases_per_caseworker_max": max(cases_per_worker, default=0),
            "setup_s": round(time.perf_counter() - started, 1),
        },
    }


# --- the server --------------------------------------------------------------------------------------------------
@dataclass
class Server:
    port: int
    logs: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def assert_running(self) -> None:
        dead = {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}
        if dead:
            raise RuntimeError(f"processes exited: {dead}\n{_tail(self.logs / 'web.log')}")

    def web_pids(self) -> list[int]:
        """The gunicorn master and its workers."""
        master = self.processes["web"].pid
        try:
            children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        except OSError:
            children = []
        return [master, *map(int, children)]

    def cpu_seconds(self) -> float:
        """User + system CPU of the web server's processes now alive (the workers live as long as the run)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.web_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / ticks

    def peak_mb(self) -> dict:
        """VmHWM of each gunicorn worker (the master excluded): the largest and the sum."""
        peaks = []
        for pid in self.web_pids()[1:]:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
            except OSError:
                continue
        return {"worker_max_mb": round(max(peaks, default=0), 1), "workers_sum_mb": round(sum(peaks), 1)}


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: the master and its workers
        process.wait(timeout=10)


class serving:
    """gunicorn on 127.0.0.1 and the task worker against the bench database; both stopped on exit."""

    def __init__(self, workdir: Path, workers: int, threads: int):
        self.workdir, self.workers, self.threads = workdir, workers, threads

    def __enter__(self) -> Server:
        logs = self.workdir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.server = Server(port=_free_port(), logs=logs)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "zhongfu.settings",
            "ZHONGFU_ALLOWED_HOSTS": HOST,
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        gunicorn = [sys.executable, "-m", "gunicorn", "zhongfu.wsgi", "--bind", f"{HOST}:{self.server.port}"]
        gunicorn += ["--workers", str(self.workers), "--graceful-timeout", "3", "--timeout", "60"]
        gunicorn += ["--log-level", "warning", "--backlog", "2048"]
        if self.threads > 1:
            gunicorn += ["--threads", str(self.threads)]
        commands = {
            "web": gunicorn,
            "worker": [sys.executable, "-m", "zhongfu", "db_worker", "--no-reload", "--no-startup-delay"],
        }
        try:
            for name, cmd in commands.items():
                with open(logs / f"{name}.log", "w") as log:
                    self.server.processes[name] = subprocess.Popen(
                        cmd, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                    )
            self._wait()
        except BaseException:
            self.__exit__()
            raise
        return self.server

    def _wait(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            self.server.assert_running()
            try:
                connection = http.client.HTTPConnection(HOST, self.server.port, timeout=2)
                connection.request("GET", TRIVIAL)
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"no answer in {STARTUP_SECONDS} s:\n{_tail(self.server.logs / 'web.log')}")

    def __exit__(self, *exc) -> None:
        for process in self.server.processes.values():
            _stop(process)


# --- the simulated caseworkers ---------------------------------------------------------------------------------------
class Caseworker(threading.Thread):
    """One caseworker's browser: its cookies, its think times, its own records (merged when the run ends)."""

    def __init__(
        self,
        index: int,
        port: int,
        credentials: dict,
        *,
        deadline: float,
        think: float,
        post_share: float,
        seed: int,
        stop: threading.Event,
    ):
        super().__init__(name=f"caseworker-{index}", daemon=True)
        self.port, self.deadline, self.think_mean, self.post_share, self.stop = port, deadline, think, post_share, stop
        self.rng = random.Random(seed * 10_000 + index)
        self.cookies = {"sessionid": credentials["session"]}
        self.token = credentials["token"]
        self.case_ids = credentials["case_ids"]
        self.timings: dict[str, list[float]] = collections.defaultdict(list)
        self.statuses: collections.Counter = collections.Counter()
        self.errors: list[dict] = []
        self.saved = self.conflicts = 0

    # -- HTTP ----------------------------------------------------------------------------------------------------
    def _request(
        self, kind: str, method: str, path: str, *, form: dict | None = None, api: bool = False, htmx: bool = False
    ):
        """One request on a fresh connection; returns (status, headers, body) or None if it failed."""
        headers = {"Accept-Language": "zh-hans", "Connection": "close", "User-Agent": "zhongfu-bench/casework"}
        if htmx:
            headers["HX-Request"] = "true"
        if api:
            headers["Authorization"] = f"Bearer {self.token}"
        else:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        started = time.perf_counter()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as e:
            self.timings[kind].append(time.perf_counter() - started)
            self.statuses[(kind, "failed")] += 1
            self._error(kind, method, path, f"{type(e).__name__}: {e}")
            return None
        finally:
            connection.close()
        self.timings[kind].append(time.perf_counter() - started)
        self.statuses[(kind, response.status)] += 1
        for value in response.headers.get_all("Set-Cookie") or ():
            for name, morsel in SimpleCookie(value).items():
                if morsel.value in ("", '""') or morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response.status, response.headers, data.decode("utf-8", errors="replace")

    def _error(self, kind: str, method: str, path: str, what: str) -> None:
        if len(self.errors) < 5:
            self.errors.append({"kind": kind, "request": f"{method} {path}", "what": what[:300]})
        else:
            self.errors.append({})  # counted, not kept

    @staticmethod
    def _gist(status: int, text: str) -> str:
        """What an unexpected answer says: the page's title, or the start of a JSON or text body."""
        title = TITLE.search(text)
        return f"{status}: {title.group(1).strip() if title else text[:200]}"

    def get(self, kind: str, path: str, *, api: bool = False, htmx: bool = False) -> str | None:
        """GET, expecting 200; a page (not the API, not a fragment) is followed by its bell, as in a browser."""
        answer = self._request(kind, "GET", path, api=api, htmx=htmx)
        if answer is None:
            return None
        status, _headers, text = answer
        if status != 200:
            self._error(kind, "GET", path, self._gist(status, text))
            return None
        if not api and not htmx:
            self.get("badge", BADGE, htmx=True)
        return text

    # -- the caseworker's day ------------------------------------------------------------------------------------
    def think(self) -> bool:
        """Wait like a person reading the page; False when the run is over."""
        pause = min(self.rng.expovariate(1 / self.think_mean), 4 * self.think_mean) if self.think_mean > 0 else 0
        left = self.deadline - time.monotonic()
        if left <= 0:
            return False
        self.stop.wait(min(pause, left))
        return time.monotonic() < self.deadline and not self.stop.is_set()

    def run(self) -> None:
        # Staggered start: the caseworkers do not all open their lists in the same second.
        self.stop.wait(self.rng.uniform(0, self.think_mean))
        dues, weights = zip(*DUE_LISTS, strict=True)
        while time.monotonic() < self.deadline and not self.stop.is_set():
            due = self.rng.choices(dues, weights)[0]
            page = self.get("case_list", f"/casework/cases/?due={due}")
            ids = CASE_LINK.findall(page or "")
            if not ids and page is not None and due != "open":
                if not self.think():
                    break
                ids = CASE_LINK.findall(self.get("case_list", "/casework/cases/?due=open") or "")
            ids = ids or self.case_ids
            if ids and self.think():
                self.one_case(int(self.rng.choice(ids)))
            if self.rng.random() < OVERDUE_SHARE and self.think():
                self.get("overdue", "/casework/cases/overdue/")
            if not self.think():
                break
            self.get("trivial", TRIVIAL)
            if not self.think():
                break

    def one_case(self, case_id: int) -> None:
        page = self.get("case_detail", f"/casework/cases/{case_id}/")
        if page is None or not self.think():
            return
        self.get("case_api", f"/api/cases/{case_id}", api=True)
        form = ACCEPT_FORM.search(page)
        if form is None or self.rng.random() >= self.post_share or not self.think():
            return
        csrf, version = CSRF_FIELD.search(form.group(2)), VERSION_FIELD.search(form.group(2))
        if csrf is None or version is None:
            self._error("accept", "GET", f"/casework/cases/{case_id}/", "the acceptance form lacks its hidden fields")
            return
        path = f"/casework/cases/{case_id}/accept/"
        fields = {"csrfmiddlewaretoken": csrf.group(1), "expected_version": version.group(1), "note": "压测受理"}
        answer = self._request("accept", "POST", path, form=fields)
        if answer is None:
            return
        status, headers, text = answer
        if status == 302:
            self.saved += 1
            self.get(
                "case_detail", urllib.parse.urlsplit(headers.get("Location", "")).path or f"/casework/cases/{case_id}/"
            )
        elif status == 409:
            self.conflicts += 1  # a colleague changed the case first: the page says so, nothing saved
        else:
            self._error("accept", "POST", path, self._gist(status, text))


def warm_up(port: int, credentials: dict, workers: int) -> None:
    """A few requests of each kind before the clock: each gunicorn worker imports and compiles on first use."""
    cw = Caseworker(
        0, port, credentials, deadline=time.monotonic() + 60, think=0, post_share=0, seed=0, stop=threading.Event()
    )
    case_id = credentials["case_ids"][0] if credentials["case_ids"] else None
    for _ in range(3 * workers):
        cw.get("case_list", "/casework/cases/?due=open")
        if case_id:
            cw.get("case_detail", f"/casework/cases/{case_id}/")
            cw.get("case_api", f"/api/cases/{case_id}", api=True)
        cw.get("overdue", "/casework/cases/overdue/")
        cw.get("trivial", TRIVIAL)
    if cw.errors:
        raise RuntimeError(f"the server answers wrongly before the run: {cw.errors[:3]}")


def drive(
    server: Server, credentials: list[dict], *, seconds: float, think: float, post_share: float, seed: int
) -> dict:
    stop = threading.Event()
    started = time.monotonic()
    deadline = started + seconds
    workers = [
        Caseworker(i, server.port, c, deadline=deadline, think=think, post_share=post_share, seed=seed, stop=stop)
        for i, c in enumerate(credentials)
    ]
    cpu_before, server_cpu_before = resource.getrusage(resource.RUSAGE_SELF), server.cpu_seconds()
    for w in workers:
        w.start()
    try:
        # The main thread sleeps in short steps, so that the alarm and SIGTERM stop the run at once.
        while any(w.is_alive() for w in workers) and time.monotonic() < deadline + REQUEST_TIMEOUT + 5:
            time.sleep(0.5)
            if time.monotonic() > deadline:
                stop.set()
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=REQUEST_TIMEOUT + 5)
    elapsed = time.monotonic() - started
    cpu_after, server_cpu = resource.getrusage(resource.RUSAGE_SELF), server.cpu_seconds() - server_cpu_before
    client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)

    timings: dict[str, list[float]] = collections.defaultdict(list)
    statuses: collections.Counter = collections.Counter()
    errors: list[dict] = []
    for w in workers:
        for kind, values in w.timings.items():
            timings[kind].extend(values)
        statuses.update(w.statuses)
        errors.extend(w.errors)
    stuck = sum(w.is_alive() for w in workers)
    return {
        "elapsed_s": elapsed,
        "timings": timings,
        "statuses": statuses,
        "errors": len(errors) + stuck,
        "error_samples": [e for e in errors if e][:10]
        + ([{"what": f"{stuck} caseworkers still waiting at the end"}] if stuck else []),
        "saved": sum(w.saved for w in workers),
        "conflicts": sum(w.conflicts for w in workers),
        "client_cpu_s": client_cpu,
        "server_cpu_s": server_cpu,
    }


# --- the figures -----------------------------------------------------------------------------------------------------
def percentiles(seconds: list[float]) -> dict:
    """Nearest-rank percentiles in milliseconds."""
    if not seconds:
        return {"count": 0}
    ms = sorted(s * 1000 for s in seconds)

    def at(q: float) -> float:
        return round(ms[min(len(ms) - 1, int(q * len(ms)))], 2)

    return {
        "count": len(ms),
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": round(ms[-1], 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def _summary(result: dict, pages: dict, case_pages: dict, trivial: dict, ratio, figures: dict, args) -> None:
    out = [
        "",
        f"casework: {args.n} caseworkers for {result['elapsed_s']:.0f} s against gunicorn ({args.workers} workers"
        f"{f' × {args.threads} threads' if args.threads > 1 else ''}) on PostgreSQL; "
        f"{figures['cases']:,} cases from {figures['applications']:,} applications; think {args.think} s",
        f"  {'page':14}{'requests':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}",
    ]
    for kind, row in [*pages.items(), ("case pages", case_pages)]:
        if row.get("count"):
            out.append(
                f"  {kind:14}{row['count']:>10,}{row['p50_ms']:>10.1f}{row['p95_ms']:>10.1f}"
                f"{row['p99_ms']:>10.1f}{row['max_ms']:>10.1f}"
            )
    requests = sum(row.get("count", 0) for row in pages.values())
    out.append(
        f"  {requests:,} requests, {requests / result['elapsed_s']:.1f}/s; errors {result['errors']}; "
        f"steps saved {result['saved']}, conflicts (409, expected) {result['conflicts']}"
    )
    out.append(
        f"  p95 case pages / p95 trivial page ({TRIVIAL}): {case_pages.get('p95_ms')} / {trivial.get('p95_ms')} ms"
        f" = {ratio}"
    )
    print("\n".join(out), flush=True)


def _alarm(signum, frame) -> None:
    raise SystemExit("casework: the hard time limit (--timeout) was reached; stopping")


def main() -> None:
    cpus = os.cpu_count() or 1
    parser = h.arguments(__doc__.split("\n")[0], default_n=200)
    parser.add_argument("--seconds", type=float, default=300, help="length of the load (default 300)")
    parser.add_argument("--think", type=float, default=5.0, help="mean think time between requests, s (default 5)")
    parser.add_argument("--households", type=int, help="demo city size (default max(20000, 500·N))")
    parser.add_argument("--applications", type=int, help="applications opened before the run (default max(100, 10·N))")
    parser.add_argument("--workers", type=int, default=2 * cpus + 1, help=f"gunicorn workers (default {2 * cpus + 1})")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker (default 1: sync)")
    parser.add_argument("--post-share", type=float, default=0.3, help="case visits that post the acceptance form")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--timeout", type=float, help="hard limit for the whole run, s (default --seconds + 1800)")
    args = parser.parse_args()
    if args.n < 1 or args.seconds <= 0:
        parser.error("--n and --seconds must be positive")
    households = args.households or max(20_000, 500 * args.n)
    applications = args.applications or max(100, 10 * args.n)

    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE)
    if not os.environ["DATABASE_URL"].startswith(("postgres", "postgis", "pgsql")):
        raise SystemExit("casework: PostgreSQL only (set DATABASE_URL=postgres://user@host:5432/postgres)")
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(int(args.timeout or args.seconds + 1800))
    load_at_start = h.load_average()
    workdir = Path(tempfile.mkdtemp(prefix="zhongfu_bench_casework_"))
    # The server reads the same keys (personal data, sessions) as the set-up that wrote the data.
    os.environ["ZHONGFU_VAR"] = str(workdir / "var")
    try:
        with h.django_database("casework", keep=args.keep_db) as db:
            _say(f"casework: N={args.n} on {db['vendor']} ({db['database']}, migrated in {db['migrate_s']} s)")
            made = prepare(n=args.n, households=households, applications=applications, seed=args.seed)
            figures = made["figures"]
            _say(
                f"  {figures['applications']:,} applications, {figures['cases']:,} cases in {figures['streets']} "
                f"streets; {args.n} caseworkers; set-up {figures['setup_s']} s"
            )
            from django.db import connections

            connections.close_all()
            with serving(workdir, args.workers, args.threads) as server:
                _say(f"  server on {HOST}:{server.port}, {args.workers} workers; warming up…")
                warm_up(server.port, made["credentials"][0], args.workers)
                _say(f"  {args.n} caseworkers for {args.seconds:.0f} s…")
                result = drive(
                    server,
                    made["credentials"],
                    seconds=args.seconds,
                    think=args.think,
                    post_share=args.post_share,
                    seed=args.seed,
                )
                server_memory = server.peak_mb()
                server.assert_running()
                if result["errors"]:
                    _say(f"web log (end):\n{_tail(server.logs / 'web.log')}")
    finally:
        signal.alarm(0)
        if args.keep_db:
            _say(f"kept {workdir} (its var/ holds the keys of the kept database)")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    timings = result["timings"]
    pages = {kind: percentiles(timings.get(kind, [])) for kind in KINDS}
    case_pages = percentiles([t for kind in CASE_PAGES for t in timings.get(kind, [])])
    trivial = pages["trivial"]
    ratio = (
        round(case_pages["p95_ms"] / trivial["p95_ms"], 2)
        if case_pages.get("p95_ms") and trivial.get("p95_ms")
        else None
    )
    requests = sum(row.get("count", 0) for row in pages.values())
    _summary(result, pages, case_pages, trivial, ratio, figures, args)
    h.emit(
        {
            "bench": "casework",
            "n": args.n,
            "ours_s": case_pages.get("p95_ms", 0) / 1000,
            "peer": f"the trivial page GET {TRIVIAL} of the same server, same run",
            "peer_s": trivial.get("p95_ms", 0) / 1000,
            "ratio": ratio,
            "ratio_means": "p95 of the case pages / p95 of the trivial page (1: case pages as fast as the trivial one)",
            "peak_mb": h.peak_mb(),
            "case_pages_p95_ms": case_pages.get("p95_ms"),
            "trivial_p95_ms": trivial.get("p95_ms"),
            "case_pages": case_pages,
            "pages": pages,
            "requests": requests,
            "errors": result["errors"],
            "error_samples": result["error_samples"],
            "statuses": {
                f"{kind} {status}": count for (kind, status), count in sorted(result["statuses"].items(), key=str)
            },
            "steps_saved": result["saved"],
            "conflicts_409": result["conflicts"],
            "throughput_rps": h.per_second(requests, result["elapsed_s"]),
            "seconds": round(result["elapsed_s"], 1),
            "think_mean_s": args.think,
            "post_share": args.post_share,
            "caseworkers": args.n,
            "server": {"gunicorn_workers": args.workers, "threads": args.threads, "host": HOST, **server_memory},
            "server_cpu_s": result["server_cpu_s"],
            "client_cpu_s": result["client_cpu_s"],
            "database": db["vendor"],
            "data": figures,
            "cpus": cpus,
            "load_avg_1m": [load_at_start, h.load_average()],
            "ours_does": "GET of the case pages by N caseworkers with think times: due lists /casework/cases/?due=…, "
            "the case page /casework/cases/<id>/ (history, explanation, step forms) and the overdue view, on a "
            "server also answering the case API, acceptance posts and the notification bell (gunicorn, PostgreSQL)",
            "peer_does": f"GET {TRIVIAL} with the caseworker's session, interleaved with the case pages: "
            "middleware, session and user load, a static template (Zhongfu has no health endpoint)",
            "goal": "no errors; the p95 ratio reported",
            "goal_met": result["errors"] == 0,
        }
    )
    if result["errors"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
