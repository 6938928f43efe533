"""Monitoring for the demo city, so that the community and street workers find warnings in their lists: a
batch of each department feed for a sample of the demo people, loaded through the real feed loading service
(medical insurance costs, some above 30,000 yuan; unemployment; disability certificates; a few deaths; company
roles and vehicles of members of enrolled households), one monitoring run executed here as the worker would,
a few warnings closed with their outcomes (one helped, with the application it led to; one "data wrong", fed
back to its department) and one volunteer's discovery report.

The demo city administrator loads the feeds and starts the run. Deterministic by seed; nothing is done when
any feed batch or monitoring run exists already."""

import csv
import datetime as dt
import io
import logging
import random

from django.utils import timezone

from zhongfu.accounts.models import User
from zhongfu.casework.models import Application, Case, CaseStatus
from zhongfu.common import personal_data as pd
from zhongfu.common.errors import DomainError, NotFound
from zhongfu.feeds.loading import feed_load
from zhongfu.feeds.models import FeedBatch
from zhongfu.feeds.schemas import FEEDS
from zhongfu.registry.models import Membership

from . import runs, warning_services
from .models import MonitoringRun, RunStatus, Warning, WarningKind, WarningOutcome, WarningStatus
from .selectors import risk_model_in_force

log = logging.getLogger(__name__)

DISEASES = ["恶性肿瘤", "尿毒症", "白血病", "冠心病介入治疗", "脑卒中", "糖尿病并发症", "骨折", "肺炎"]
COMPANIES = ["杭州某某贸易有限公司", "杭州西城装饰工程有限公司", "杭州钱江餐饮管理有限公司"]


def _people(prefix: str, n: int, rng: random.Random, *, households=None) -> list[tuple[int, str]]:
    """(person id, ID number) of up to `n` current members of households in `prefix` (or of `households`)."""
    members = Membership.objects.filter(end_date__isnull=True, household__is_active=True)
    if households is not None:
        members = members.filter(household_id__in=households)
    else:
        members = members.filter(household__region__code__startswith=prefix)
    ids = list(members.order_by("pk").values_list("pk", flat=True))
    chosen = sorted(rng.sample(ids, min(max(n, 0), len(ids))))
    rows = Membership.objects.filter(pk__in=chosen).order_by("pk").values_list("person_id", "person__id_number_enc")
    return [(pid, pd.decrypt(enc)) for pid, enc in rows]


def _csv(feed: str, rows: list[dict]) -> bytes:
    columns = FEEDS[feed].columns
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header for c in columns])
    for row in rows:
        writer.writerow([row.get(c.key, "") for c in columns])
    return out.getvalue().encode("utf-8")


def _feeds(rng: random.Random, today: dt.date, community: str, street: str, enrolled: list[int]) -> dict:
    """The rows of each department's batch: most for people of the demo community and street, so their
    workers have warnings to visit, some across the city."""
    local = list(dict.fromkeys(_people(community, 120, rng) + _people(street, 60, rng)))
    # The rest across the city (all of it in a small city whose demo street has few people).
    sample = list(dict.fromkeys(local + _people("33", 270 - len(local), rng)))

    def ago(low: int, high: int) -> str:
        return (today - dt.timedelta(days=rng.randint(low, high))).isoformat()

    medical = []
    for i, (_pid, number) in enumerate(sample[:200]):
        heavy = i % 8 == 0  # one in eight paid more than 30,000 yuan themselves in the year
        yuan = rng.randint(30_000, 120_000) if heavy else rng.choice((300, 800, 1500, 3000, 6000, 12000, 20000))
        medical.append(
            {
                "id_number": number,
                "settled_on": ago(10, 330),
                "total_cost": f"{yuan * rng.choice((2, 3, 4))}.00",
                "out_of_pocket": f"{yuan}.00",
                "serious_illness": "是" if heavy else "否",
                "disease": rng.choice(DISEASES[:3] if heavy else DISEASES),
            }
        )
    unemployed = [
        {
            "id_number": number,
            "recorded_on": ago(15, 180),
            "employment": "失业",
            "unemployment_benefit": "1992.00",
            "social_insurance": "中断缴费",
        }
        for _pid, number in sample[200:260]
    ]
    disabled = [
        {
            "id_number": number,
            "certified_on": ago(30, 300),
            "disability_kind": rng.choice(("肢体", "视力", "听力", "精神", "智力")),
            "disability_grade": str(rng.choice((1, 2, 2, 3, 4))),
        }
        for _pid, number in sample[150:180]
    ]
    # Members of enrolled households (approved cases): a death, company roles and vehicles the registry
    # does not know, so the run asks whether they still qualify.
    enrolled_people = _people("", 12, rng, households=enrolled) if enrolled else []
    deaths = [{"id_number": number, "event_on": ago(20, 60), "event": "死亡"} for _pid, number in sample[260:262]]
    deaths += [{"id_number": number, "event_on": ago(20, 60), "event": "死亡"} for _pid, number in enrolled_people[:1]]
    companies = [
        {
            "id_number": number,
            "registered_on": ago(40, 200),
            "company_uscc": f"91330106MA2{k:06d}X",
            "company_name": COMPANIES[k % len(COMPANIES)],
            "role": ("法定代表人", "股东", "高级管理人员")[k % 3],
            "registered_capital": "500000.00",
        }
        for k, (_pid, number) in enumerate(enrolled_people[1:4])
    ]
    vehicles = [
        {
            "id_number": number,
            "registered_on": ago(30, 250),
            "plate": f"浙A{rng.randrange(10**5):05d}",
            "vehicle_kind": "小型汽车",
            "price": f"{rng.choice((68_000, 120_000, 185_000))}.00",
        }
        for _pid, number in enrolled_people[4:7]
    ]
    return {
        "medical_insurance": medical,
        "human_resources": unemployed,
        "disabled_federation": disabled,
        "public_security": deaths,
        "market_regulation": companies,
        "vehicles": vehicles,
    }


def demo_monitoring_generate(seed: int = 2026, *, today: dt.date | None = None) -> dict:
    """See the module docstring. Returns counts and a one-line `message` for the demo command."""
    today = today or timezone.localdate()
    people = {u.username: u for u in User.objects.filter(is_active=True, username__in=_LOGINS)}
    if any(name not in people for name in _LOGINS):
        return {"message": "demo monitoring: no demo logins; run after demo_users_ensure"}
    if FeedBatch.objects.exists() or MonitoringRun.objects.exists():
        return {"message": "demo monitoring: feeds or monitoring runs exist already; nothing changed"}
    try:
        risk_model_in_force()
    except NotFound:
        return {"message": "demo monitoring: no approved risk model; run `zhongfu monitoring_sync` first"}
    admin, street, community = people["admin"], people["street"], people["community"]
    rng = random.Random(seed)
    enrolled = sorted(set(Case.objects.filter(status=CaseStatus.APPROVED).values_list("household_id", flat=True)))
    loaded = {}
    for feed, rows in _feeds(rng, today, community.scope_prefix, street.scope_prefix, enrolled).items():
        if rows:
            batch = feed_load(actor=admin, feed=feed, name=f"{feed}_{today:%Y%m}.csv", content=_csv(feed, rows))
            loaded[feed] = batch.matched_count

    run = runs.monitoring_run_start(actor=admin, as_of=today)
    # As the worker would (an immediate task backend may have run it already at the commit).
    if MonitoringRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).exists():
        try:
            runs.run_execute(run.pk)
        except Exception:  # noqa: BLE001 - the run is marked failed with its error; the demo goes on
            log.exception("demo monitoring run %s failed", run.pk)
    run.refresh_from_db()
    if run.status != RunStatus.DONE:
        return {"message": f"demo monitoring: run #{run.pk} {run.status}: {run.error[:200]}"}

    closed = _close_some(admin, street, community)
    report = None
    volunteer = people.get("volunteer")
    if volunteer is not None:
        try:
            report = warning_services.discovery_report(
                actor=volunteer,
                tier="orange",
                seen="独居老人，近来腿脚不便，家中常无人做饭，邻居说已两天没见他下楼。",
                address="文一西路某小区3幢2单元501室",
                community=volunteer.region_id,
                today=today,
            )
        except DomainError:
            report = None
    by_kind = {kind: Warning.objects.filter(kind=kind).count() for kind in WarningKind.values}
    result = {"feeds": loaded, "run": run.pk, "status": run.status, "warnings": by_kind, "closed": closed}
    result["discovery"] = report.pk if report else None
    shown = ", ".join(f"{n} {kind}" for kind, n in by_kind.items() if n)
    result["message"] = (
        f"demo monitoring: {len(loaded)} feeds loaded, run #{run.pk} {run.status}: {shown}; {len(closed)} closed"
    )
    return result


_LOGINS = ("admin", "street", "community", "volunteer")


def _close_some(admin: User, street: User, community: User) -> list[str]:
    """A few warnings closed after their visit, in the demo street when it has them (else anywhere, by the city
    administrator): one that led to an application, one whose department data was wrong (fed back to the
    department), one not needed."""
    closed = []

    def first(pick):
        for actor in (community, street, admin):
            found = pick(
                Warning.objects.filter(
                    region__code__startswith=actor.scope_prefix,
                    status__in=[WarningStatus.OPEN, WarningStatus.VISITING],
                ).exclude(kind=WarningKind.DISCOVERY)
            )
            if found is not None:
                return actor, found
        return None, None

    applied = Application.objects.values("household_id")
    actor, warning = first(
        lambda qs: (
            qs.filter(household_id__in=applied, kind=WarningKind.ELIGIBLE_NOT_ENROLLED).order_by("pk").first()
            or qs.filter(household_id__in=applied).order_by("pk").first()
        )
    )
    if warning is not None:
        application = Application.objects.filter(household_id=warning.household_id).order_by("pk").first()
        warning_services.warning_close(
            actor=actor,
            warning_id=warning.pk,
            outcome=WarningOutcome.HELPED,
            application_id=application.pk,
            note="入户核实后协助申请",
        )
        closed.append(WarningOutcome.HELPED)
    # (Looked for here, not by a JSON lookup: SQLite has no `contains` on a JSON list.)
    actor, warning = first(
        lambda qs: next(
            (
                w
                for w in qs.filter(kind=WarningKind.AT_RISK).order_by("pk")[:200]
                if "medical_insurance" in (w.source_feeds or [])
            ),
            None,
        )
    )
    if warning is not None:
        warning_services.warning_close(
            actor=actor,
            warning_id=warning.pk,
            outcome=WarningOutcome.DATA_WRONG,
            note="入户核实：医保结算为家属代付的报销前金额，实际自付不足一万元，请医保部门核对。",
        )
        closed.append(WarningOutcome.DATA_WRONG)
    actor, warning = first(lambda qs: qs.filter(kind=WarningKind.ELIGIBLE_NOT_ENROLLED).order_by("-pk").first())
    if warning is not None:
        warning_services.warning_close(
            actor=actor, warning_id=warning.pk, outcome=WarningOutcome.NOT_NEEDED, note="家庭表示暂不需要申请"
        )
        closed.append(WarningOutcome.NOT_NEEDED)
    return closed
