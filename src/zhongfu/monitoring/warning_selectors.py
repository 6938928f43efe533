"""Reads of warnings: a user's list (scoped by the region-code prefix, filtered), one warning, the runs, and
the figures by district (found, handled on time, outcomes)."""

import datetime as dt

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone

from zhongfu.accounts.roles import RUN_SCREENING, VIEW_HOUSEHOLD
from zhongfu.common.errors import NotFound, PermissionDenied
from zhongfu.regions.models import Region

from .models import MonitoringRun, Warning, WarningKind, WarningOutcome, WarningStatus

DUE_FILTERS = ("overdue", "due", "open")


def warnings_visible_to(user) -> QuerySet[Warning]:
    """Warnings of the regions under the user's scope (a worker with the household's view permission)."""
    if not user.is_authenticated or not user.has_perm(VIEW_HOUSEHOLD) or user.scope_prefix is None:
        return Warning.objects.none()
    return Warning.objects.filter(region__code__startswith=user.scope_prefix)


def warnings_for_user(
    *,
    user,
    kind: str = "",
    tier: str = "",
    status: str = "",
    due: str = "",
    today: dt.date | None = None,
) -> QuerySet[Warning]:
    """The user's warnings, most urgent first. `status` "" means not closed; `due` "overdue" (past due and not
    closed), "due" (due today or earlier, not closed) or "" (any)."""
    today = today or timezone.localdate()
    qs = warnings_visible_to(user).select_related("household", "region", "assignee")
    if kind:
        qs = qs.filter(kind=kind)
    if tier:
        qs = qs.filter(tier=tier)
    qs = qs.filter(status=status) if status else qs.exclude(status=WarningStatus.CLOSED)
    if due == "overdue":
        qs = qs.exclude(status=WarningStatus.CLOSED).filter(due_on__lt=today)
    elif due == "due":
        qs = qs.exclude(status=WarningStatus.CLOSED).filter(due_on__lte=today)
    return qs.order_by("due_on", "tier", "id")


def warning_get_for_user(*, user, warning_id: int) -> Warning:
    warning = (
        warnings_visible_to(user)
        .select_related("household", "region", "assignee", "closed_by", "application", "run")
        .filter(pk=warning_id)
        .first()
    )
    if warning is None:
        raise NotFound()
    return warning


def warning_figures(*, user, today: dt.date | None = None) -> list[dict]:
    """Per district in the user's scope: found, closed, handled on time (closed by the due date), open,
    overdue, escalated, and each outcome."""
    today = today or timezone.localdate()
    closed = Q(status=WarningStatus.CLOSED)
    rows = (
        warnings_visible_to(user)
        .annotate(district=Substr("region_id", 1, 6))
        .values("district")
        .annotate(
            found=Count("id"),
            closed=Count("id", filter=closed),
            on_time=Count("id", filter=closed & Q(closed_at__date__lte=F("due_on"))),
            open=Count("id", filter=~closed),
            overdue=Count("id", filter=~closed & Q(due_on__lt=today)),
            escalated=Count("id", filter=Q(escalated_on__isnull=False)),
            **{f"outcome_{o}": Count("id", filter=Q(outcome=o)) for o in WarningOutcome.values},
            **{f"kind_{k}": Count("id", filter=Q(kind=k)) for k in WarningKind.values},
        )
        .order_by("district")
    )
    rows = list(rows)
    names = dict(Region.objects.filter(code__in=[r["district"] for r in rows]).values_list("code", "name"))
    for row in rows:
        row["name"] = names.get(row["district"], row["district"])
    return rows


def _require_runs(user) -> None:
    if not user.is_authenticated or not user.has_perm(RUN_SCREENING):
        raise PermissionDenied()


def monitoring_run_get(*, user, run_id: int) -> MonitoringRun:
    """A run; runs are city-wide, so the run permission is checked, not a region."""
    _require_runs(user)
    run = MonitoringRun.objects.filter(pk=run_id).select_related("started_by").first()
    if run is None:
        raise NotFound()
    return run


def monitoring_runs_recent(*, user, limit: int = 20) -> QuerySet[MonitoringRun]:
    _require_runs(user)
    return MonitoringRun.objects.select_related("started_by")[:limit]
