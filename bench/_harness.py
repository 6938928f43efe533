"""Shared helpers for the benchmarks in bench/: a throwaway database, timing, peak memory, the result line.

Every benchmark runs our code and its named peer on the same data in one process run and prints, as its
last line, one JSON object with at least the keys in REQUIRED_KEYS (see `emit`).

The database is throwaway: a temporary SQLite file by default, or, when DATABASE_URL is given, a dedicated
PostgreSQL database `zhongfu_bench_<name>` created next to the one named in the URL (through the server's
`postgres` database) and dropped afterwards. The project's own database is never touched.
"""

import argparse
import contextlib
import json
import os
import re
import resource
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SRC = Path(__file__).resolve().parent.parent / "src"
REQUIRED_KEYS = ("bench", "n", "ours_s", "peer", "peer_s", "ratio", "peak_mb")


def arguments(description: str, default_n: int = 100_000) -> argparse.ArgumentParser:
    """The common command line: `--n N`; a benchmark adds its own options to the parser it gets."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--n", type=int, default=default_n, help=f"problem size (default {default_n})")
    parser.add_argument("--keep-db", action="store_true", help="do not drop the throwaway database (debugging)")
    return parser


# --- the throwaway database ------------------------------------------------------------------------------
@contextlib.contextmanager
def _postgres_database(url: str, name: str, keep: bool) -> Iterator[str]:
    import psycopg

    parts = urlsplit(url)
    db_name = "zhongfu_bench_" + re.sub(r"[^a-z0-9_]", "_", name.lower())
    admin_url = urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{db_name}"')
    try:
        yield urlunsplit((parts.scheme, parts.netloc, "/" + db_name, parts.query, ""))
    finally:
        _django_disconnect()
        if keep:
            print(f"kept PostgreSQL database {db_name}", file=sys.stderr)
        else:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


@contextlib.contextmanager
def _sqlite_database(name: str, keep: bool) -> Iterator[str]:
    folder = tempfile.mkdtemp(prefix=f"zhongfu_bench_{name}_")
    try:
        yield f"sqlite:///{folder}/bench.sqlite3"
    finally:
        _django_disconnect()
        if keep:
            print(f"kept SQLite database in {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def _django_disconnect() -> None:
    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()


def _terminate(signum, frame) -> None:
    raise SystemExit(128 + signum)


@contextlib.contextmanager
def django_database(name: str, *, keep: bool = False) -> Iterator[dict]:
    """Set Django up against a fresh, migrated throwaway database; yields a description of it.

    Must be entered before anything imports Django settings: the settings read DATABASE_URL once."""
    if "django.conf" in sys.modules and getattr(sys.modules["django.conf"].settings, "configured", False):
        raise RuntimeError("django_database() must run before Django's settings are loaded")
    # A benchmark stopped with SIGTERM still drops its database and deletes its files.
    signal.signal(signal.SIGTERM, _terminate)
    given = os.environ.get("DATABASE_URL", "")
    vendor = "postgresql" if given.startswith(("postgres", "postgis", "pgsql")) else "sqlite"
    if given and vendor == "sqlite" and not given.startswith("sqlite"):
        raise SystemExit(f"DATABASE_URL: only PostgreSQL or SQLite are supported, not {given.split(':')[0]}")
    cm = _postgres_database(given, name, keep) if vendor == "postgresql" else _sqlite_database(name, keep)
    with cm as url:
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhongfu.settings")
        if str(SRC) not in sys.path:
            sys.path.insert(0, str(SRC))
        import django
        from django.core.management import call_command

        django.setup()
        started = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        shown = urlsplit(url)
        yield {
            "vendor": vendor,
            "database": shown.path.rsplit("/", 1)[-1] if vendor == "postgresql" else "temporary SQLite file",
            "migrate_s": round(time.perf_counter() - started, 2),
        }


# --- measuring -------------------------------------------------------------------------------------------
class Timer:
    """`with Timer() as t: ...` then `t.seconds` (wall clock, perf_counter) and `t.cpu_seconds` (see cpu_seconds)."""

    def __enter__(self) -> "Timer":
        self.started = time.perf_counter()
        self.cpu_started = cpu_seconds()
        self.seconds = self.cpu_seconds = 0.0
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.started
        self.cpu_seconds = cpu_seconds() - self.cpu_started


def cpu_seconds() -> float:
    """User + system CPU time of this process and of its children that have ended (forked workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def load_average() -> float | None:
    """The machine's one-minute load average: wall-clock timings mean little on a busy machine."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def peak_mb(*, children: bool = False) -> float:
    """Peak resident set size of this process so far (or of the largest ended child), in MB.

    ru_maxrss counts KiB on Linux, bytes on macOS."""
    peak = resource.getrusage(resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def process_peak_mb() -> float:
    """Peak resident set size of this process's own memory since it started its program, in MB.

    Linux keeps ru_maxrss across exec: a worker started by a parent holding 1 GB would report at least
    1 GB. VmHWM (/proc/self/status) is the high-water mark of the process's current address space, so a
    worker measures only itself; elsewhere this falls back to `peak_mb()`."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return peak_mb()


def per_second(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else float("inf")


def emit(result: dict) -> dict:
    """Print the benchmark's result as its last line: one JSON object with REQUIRED_KEYS and its own figures.

    `ratio` (ours_s / peer_s) and `peak_mb` are filled in here when not given."""
    out = dict(result)
    if "ratio" not in out:
        out["ratio"] = round(out["ours_s"] / out["peer_s"], 3) if out.get("peer_s") else None
    out.setdefault("ratio_means", "ours_s / peer_s (below 1: ours is faster)")
    out.setdefault("peak_mb", peak_mb())
    for key, value in out.items():
        if isinstance(value, float) and key.endswith("_s"):
            out[key] = round(value, 2)
    missing = [k for k in REQUIRED_KEYS if k not in out]
    if missing:
        raise ValueError(f"benchmark result lacks {', '.join(missing)}")
    ordered = {k: out.pop(k) for k in REQUIRED_KEYS} | out
    sys.stdout.flush()
    print(json.dumps(ordered, ensure_ascii=False), flush=True)
    return ordered
