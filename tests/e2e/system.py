"""The real Zhongfu system, started the way a user would run it: a fresh database, migrations, the demo
city, gunicorn serving the pages and the background worker, each in its own process.

Shared by the browser tests (tests/e2e/conftest.py) and scripts/screenshot.py, so it imports nothing
from Django: the system under test runs only in the subprocesses. Needs node_modules (`make setup`)
because whitenoise serves the front-end assets straight from there.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
DEMO_PASSWORD = "zhongfu-demo"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "postgis"}
STARTUP_SECONDS = 30
# As `make run` serves, with a short graceful timeout so that stopping does not wait.
GUNICORN_OPTIONS = "--workers 2 --threads 4 --graceful-timeout 3 --access-logfile - --log-level warning".split()


@dataclass
class RunningSystem:
    url: str
    env: dict[str, str]
    logs: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def assert_running(self) -> None:
        """Both long-running processes are still up (a crash would otherwise pass unnoticed)."""
        dead = {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}
        assert not dead, f"processes exited: {dead}; see {self.logs}"

    def manage(self, *args: str) -> str:
        return _run([sys.executable, "-m", "zhongfu", *args], self.env)


def _run(cmd: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _database(workdir: Path) -> Iterator[str]:
    """A database of its own: a SQLite file under workdir, or, when DATABASE_URL names a PostgreSQL
    server, a dedicated database there, created here and dropped afterwards."""
    configured = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(configured)
    if parts.scheme not in POSTGRES_SCHEMES:
        yield f"sqlite:///{workdir / 'zhongfu.sqlite3'}"
        return
    import psycopg
    from psycopg import sql

    name = f"zhongfu_e2e_{os.getpid()}"
    maintenance = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))

    def drop(conn) -> None:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    with psycopg.connect(maintenance, autocommit=True) as conn:
        drop(conn)
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(maintenance, autocommit=True) as conn:
            drop(conn)


def _start(name: str, cmd: list[str], env: dict[str, str], logs: Path) -> subprocess.Popen:
    log = open(logs / f"{name}.log", "w")  # the child keeps its own descriptor to it
    try:
        return subprocess.Popen(cmd, env=env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        log.close()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def _wait_until_serving(system: RunningSystem) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        for name, proc in system.processes.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{_tail(system.logs / f'{name}.log')}")
        try:
            with urllib.request.urlopen(f"{system.url}/accounts/login/", timeout=2) as response:
                if response.status == 200:
                    break
        except (urllib.error.URLError, OSError) as e:
            last_error = e
        time.sleep(0.2)
    else:
        raise RuntimeError(
            f"no answer from {system.url} in {STARTUP_SECONDS} s ({last_error}):\n{_tail(system.logs / 'web.log')}"
        )
    css = f"{system.url}/static/vendor/bootstrap/css/bootstrap.min.css"
    try:
        urllib.request.urlopen(css, timeout=5).close()
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{css} answers {e.code}: node_modules is missing, run `make setup`") from None


@contextmanager
def running_system(workdir: Path, *, households: int = 400, logs: Path = ARTIFACTS) -> Iterator[RunningSystem]:
    """Start Zhongfu in workdir (its var/ directory and, for SQLite, its database); stop it on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        database_url = stack.enter_context(_database(workdir))
        port = _free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "zhongfu.settings",
            "DATABASE_URL": database_url,
            "ZHONGFU_VAR": str(workdir / "var"),
            "ZHONGFU_ALLOWED_HOSTS": "127.0.0.1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        system = RunningSystem(url=f"http://127.0.0.1:{port}", env=env, logs=logs)
        system.manage("migrate", "--noinput", "-v", "0")
        system.manage("demo", "--households", str(households))
        for name, cmd in {
            "web": [sys.executable, "-m", "gunicorn", "zhongfu.wsgi", "--bind", f"127.0.0.1:{port}", *GUNICORN_OPTIONS],
            "worker": [sys.executable, "-m", "zhongfu", "db_worker", "--no-reload", "--no-startup-delay"],
        }.items():
            system.processes[name] = _start(name, cmd, env, logs)
            stack.callback(_stop, system.processes[name])
        _wait_until_serving(system)
        yield system


def login(page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the login page (page's context has base_url set); ends on the page after login."""
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    if "/accounts/login/" in page.url:
        raise AssertionError(f"login as {username} failed")


def first_int(text: str) -> int:
    """The first number in a (translated) text such as “共 12 户” or “12 households”."""
    match = re.search(r"\d+", text.replace(",", ""))
    assert match, f"no number in {text!r}"
    return int(match.group())
