"""Shared fixtures: one user per role, households made through the registry services."""

import datetime as dt
import itertools

import pytest

from zhongfu.accounts.models import User
from zhongfu.accounts.roles import Role
from zhongfu.common.identifiers import make_id_number
from zhongfu.regions.models import Level, Region
from zhongfu.registry.services import MemberInput, household_register

# Two communities in different districts: 西湖区 (inside the demo users' scope) and 萧山区 (outside
# every scope but the city's).
IN_COMMUNITY = "330106002001"
OUT_COMMUNITY = "330109001001"

_seq = itertools.count(1)


def new_id_number(county: str = "330106", birth: dt.date = dt.date(1980, 5, 17), sex: str = "M") -> str:
    """A fresh valid ID number for each call (synthetic)."""
    n = next(_seq)
    return make_id_number(county, birth + dt.timedelta(days=n // 400), (n * 2) % 1000, sex)


def member(relation="head", name="张三", **kw) -> MemberInput:
    kw.setdefault("id_number", new_id_number())
    return MemberInput(name=name, relation=relation, **kw)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # PBKDF2's deliberate slowness costs seconds per test; the hasher itself is Django's concern.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the site's default language (Chinese). A page request leaves its language active
    in the thread after it, so without this a test would see whatever an earlier one on the same pytest-xdist
    worker left, and pass or fail by the order the workers happened to take the tests in."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_policy_cache():
    """The policies' and the calendar's in-process caches trust their last look for a second; a
    rolled-back test must not leave the next one a plan or holidays built from rows that no longer exist."""
    from zhongfu.policies.selectors import cache_clear
    from zhongfu.workdays.selectors import calendar_changed

    cache_clear()
    calendar_changed()
    yield
    cache_clear()
    calendar_changed()


@pytest.fixture
def regions():
    return {
        "city": Region.objects.get(level=Level.CITY),
        "district": Region.objects.get(code="330106"),
        "street": Region.objects.get(code=IN_COMMUNITY[:9]),
        "community": Region.objects.get(code=IN_COMMUNITY),
        "other_community": Region.objects.get(code=OUT_COMMUNITY),
    }


ROLE_REGION = {
    Role.CITY_ADMIN: "city",
    Role.DISTRICT_CASEWORKER: "district",
    Role.STREET_CASEWORKER: "street",
    Role.COMMUNITY_WORKER: "community",
    Role.UNIT_STAFF: "district",
    Role.CHARITY_STAFF: "city",
    Role.AUDITOR: "district",
    Role.VOLUNTEER: "community",
}


@pytest.fixture
def users(db, regions):
    """One user per role, each scoped so that IN_COMMUNITY is inside and OUT_COMMUNITY outside
    (except the city administrator, whose scope is the whole city)."""
    out = {}
    for role, level in ROLE_REGION.items():
        user = User(username=f"t_{role}", role=role, region=regions[level])
        user.set_password("pw-test-123")
        user.save()
        out[role] = user
    return out


@pytest.fixture
def make_household(db, users):
    def make(community=IN_COMMUNITY, members=None, actor=None, **kw):
        return household_register(
            actor=actor or users[Role.CITY_ADMIN],
            region_code=community,
            address=kw.pop("address", "文三路1号"),
            area_type=kw.pop("area_type", "urban"),
            hukou_type=kw.pop("hukou_type", "registered"),
            members=members or [member()],
            **kw,
        )

    return make


@pytest.fixture
def run_tasks(db):
    """Run the queued background tasks with the real database worker's code, inside the test's
    transaction (the `db_worker` command's loop closes connections, which a rolled-back test cannot
    survive; the end-to-end tests run the real command as a process)."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    def run() -> int:
        worker = Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="test-worker",
            excluded_queue_names=[],
        )
        done = 0
        while (result := DBTaskResult.objects.ready().get_locked()) is not None:
            result.claim(worker.worker_id)
            worker.run_task(result)
            done += 1
        return done

    return run


# Under pytest-xdist (`make test` runs with `-n auto`), the tests that start a system of processes of their own
# run on one worker, one after the other: the browser tests share one running system and one Chromium (split
# across workers, each worker would start its own), and neither they nor the race tests' sixteen workers then
# compete with the other for the machine, which their page and start-up timeouts would feel.
_OWN_PROCESSES = ("tests/e2e/", "tests/concurrency/")


class _OwnProcessesTogether:
    """xdist's `loadgroup` would do this with a mark, but it renames the items through `_nodeid`, which pytest 9
    no longer reads, so the group falls apart; a scheduler of our own (xdist's documented hook) does it instead.
    Every other test is a unit of its own, handed to whichever worker is free; the group, the largest unit, is
    handed out first (xdist orders the units by size), so it runs while the other worker shares the rest."""

    @staticmethod
    def pytest_xdist_make_scheduler(config, log):
        from xdist.scheduler import LoadScopeScheduling

        class Scheduling(LoadScopeScheduling):
            def _split_scope(self, nodeid: str) -> str:
                return "own-processes" if nodeid.startswith(_OWN_PROCESSES) else nodeid

        return Scheduling(config, log)


def pytest_configure(config):
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_OwnProcessesTogether(), "zhongfu-own-processes-together")
