"""Reads of the feeds: the feeds with their latest batch, batches, a batch's report, latest records.

Feeds are city-wide department data, read by those who may load them (loading.LOAD_PERMISSION). A batch
report is scoped: city-level users see every unmatched row (ID numbers masked); others see only how
many rows matched people of each district inside their own scope, never the unmatched rows, which
belong to no region.
"""

from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Substr

from zhongfu.common.errors import NotFound, PermissionDenied
from zhongfu.regions.models import Level, Region

from .loading import LOAD_PERMISSION
from .models import FeedBatch, FeedRecord
from .schemas import SCHEMAS, FeedSchema, feed_schema

UNMATCHED_MAX = 1_000  # unmatched rows listed in a report; the count says how many there are in all


def _require(user) -> None:
    if not user.has_perm(LOAD_PERMISSION):
        raise PermissionDenied()


def is_city_level(user) -> bool:
    return user.region_id is not None and user.region.level == Level.CITY


@dataclass
class FeedOverview:
    schema: FeedSchema
    latest: FeedBatch | None
    batches: int


def feeds_overview(*, user) -> list[FeedOverview]:
    """Every declared feed with its latest batch (two queries for all feeds)."""
    _require(user)
    latest_ids = FeedBatch.objects.filter(feed=OuterRef("feed")).order_by("-version").values("pk")[:1]
    per_feed = FeedBatch.objects.values("feed").annotate(n=Count("pk"), latest=Subquery(latest_ids)).order_by("feed")
    counts = {r["feed"]: (r["n"], r["latest"]) for r in per_feed}
    latest = FeedBatch.objects.in_bulk([pk for _n, pk in counts.values() if pk])
    return [
        FeedOverview(s, latest.get(counts.get(s.key, (0, None))[1]), counts.get(s.key, (0, None))[0]) for s in SCHEMAS
    ]


def batches_for_user(*, user, feed: str | None = None):
    _require(user)
    qs = FeedBatch.objects.select_related("loaded_by").order_by("-loaded_at", "-pk")
    if feed is not None:
        qs = qs.filter(feed=feed_schema(feed).key)
    return qs


def batch_get_for_user(*, user, batch_id: int) -> FeedBatch:
    _require(user)
    batch = FeedBatch.objects.select_related("loaded_by").filter(pk=batch_id).first()
    if batch is None:
        raise NotFound()
    return batch


@dataclass
class DistrictCount:
    code: str
    name: str
    matched: int


@dataclass
class BatchReport:
    batch: FeedBatch
    schema: FeedSchema
    city_level: bool
    # City-level users: the unmatched rows (row, masked ID number, values) and their number.
    unmatched: list = field(default_factory=list)
    # Everyone: rows matched to people inside the user's scope, by district.
    districts: list[DistrictCount] = field(default_factory=list)
    matched_in_scope: int = 0


def batch_report(*, user, batch: FeedBatch) -> BatchReport:
    city = is_city_level(user)
    report = BatchReport(batch=batch, schema=feed_schema(batch.feed), city_level=city)
    prefix = user.scope_prefix
    if prefix is None:
        return report
    by_district = (
        FeedRecord.objects.filter(batch=batch, person__isnull=False, region_code__startswith=prefix)
        .exclude(region_code="")
        .annotate(district=Substr("region_code", 1, 6))
        .values("district")
        .annotate(n=Count("pk"))
        .order_by("district")
    )
    counts = {r["district"]: r["n"] for r in by_district}
    names = dict(Region.objects.filter(code__in=counts).values_list("code", "name"))
    report.districts = [DistrictCount(code, names.get(code, code), n) for code, n in counts.items()]
    report.matched_in_scope = sum(counts.values())
    if city:
        unmatched = FeedRecord.objects.filter(batch=batch, person__isnull=True).order_by("row")
        report.unmatched = list(unmatched.values("row", "id_number_masked", "date", "values")[:UNMATCHED_MAX])
    return report


def feed_records_latest(*, feed: str, person_ids=None):
    """The latest record of each matched person in `feed` (by date, then the later batch): the input of
    the monitoring model. Set-based; `person_ids` narrows it to some people."""
    schema = feed_schema(feed)
    newest = (
        FeedRecord.objects.filter(feed=schema.key, person=OuterRef("person"))
        .order_by("-date", "-batch__version", "-row")
        .values("pk")[:1]
    )
    qs = FeedRecord.objects.filter(feed=schema.key, person__isnull=False)
    if person_ids is not None:
        qs = qs.filter(person_id__in=list(person_ids))
    return qs.filter(pk=Subquery(newest)).order_by("person_id")
