"""Reads of warnings: a user's list (scoped by the region-code prefix, filtered), one warning, the runs, and
the figures by district (found, handled on time, outcomes)."""

import datetime as dt

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy

from zhongfu.accounts.roles import REPORT_DISCOVERY, RUN_SCREENING, VIEW_HOUSEHOLD
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


def discovery_reports_by(*, user) -> QuerySet[Warning]:
    """The discovery reports the user made, newest first: what a volunteer follows (their own reports and how each
    stands, never any other warning). Only the fields the volunteer's list shows are read."""
    if not user.is_authenticated or not user.has_perm(REPORT_DISCOVERY):
        return Warning.objects.none()
    return (
        Warning.objects.filter(reported_by=user, kind=WarningKind.DISCOVERY)
        .select_related("region")
        .only("id", "address", "tier", "status", "outcome", "raised_on", "due_on", "explanation", "region__name")
        .order_by("-raised_on", "-id")
    )


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


def warning_applications(warning: Warning, limit: int = 20) -> QuerySet:
    """The household's latest applications, offered on the close form as "helped by this application"
    (the caller has the warning through warning_get_for_user, so the household is in scope)."""
    from zhongfu.casework.models import Application

    return Application.objects.filter(household_id=warning.household_id).order_by("-pk")[:limit]


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


# ---- telling the household why (PIPL Art. 24) ----

# Told to a household, so in its words: the kind of warning as a sentence, not a code.
WHY_KIND = {
    WarningKind.AT_RISK: gettext_lazy("Department data suggested your household may be facing hardship."),
    WarningKind.ELIGIBLE_NOT_ENROLLED: gettext_lazy(
        "Department data suggested your household may qualify for assistance it has not applied for."
    ),
    WarningKind.NO_LONGER_QUALIFYING: gettext_lazy(
        "Department data suggested your household's situation has changed, so your assistance is being checked."
    ),
    WarningKind.DUPLICATE_AID: gettext_lazy(
        "Several units paid your household aid in a short time, so the aid is being checked so that it fits "
        "together without overlap."
    ),
    WarningKind.DISCOVERY: gettext_lazy("A community worker or volunteer noticed your household may need help."),
}


def _why_row(warning: Warning, names: dict) -> dict:
    return {
        "id": warning.pk,
        "raised_on": warning.raised_on,
        "kind": warning.kind,
        "summary": str(WHY_KIND.get(warning.kind, "")),
        "policy": names.get(warning.policy_code, warning.policy_code) if warning.policy_code else "",
        # Always the Chinese explanation as stored when raised: what the household is handed is what the worker
        # read, whatever the data or the model say today.
        "lines": list(warning.explanation.get("zh") or []),
        "status": warning.status,
        "outcome": warning.outcome,
    }


def warning_why(warning: Warning) -> dict:
    """What the printable "why we contacted you" page shows: the household masked (the head's name as 张*, the
    community, never an ID number or the address), the kind in plain words and the stored explanation."""
    from zhongfu.common.personal_data import mask_name
    from zhongfu.policies.selectors import policy_names
    from zhongfu.registry.models import Membership

    head = ""
    if warning.household_id:
        membership = (
            Membership.objects.filter(household_id=warning.household_id, end_date__isnull=True, relation="head")
            .select_related("person")
            .first()
        )
        head = mask_name(membership.person.name) if membership else ""
    return {
        **_why_row(warning, policy_names()),
        "head": head,
        "community": warning.region.name,
        "household_number": warning.household.number if warning.household_id else "",
    }


def warnings_for_household_view(household) -> list[dict]:
    """The household's own warnings, newest first, for its benefit list (the disclosure app, a verified
    session): each with the kind in plain words and the explanation in Chinese as stored. No worker's name,
    no note, no score: what it was contacted about and why. The caller has verified the household."""
    from zhongfu.policies.selectors import policy_names

    names = policy_names()
    warnings = Warning.objects.filter(household=household).order_by("-raised_on", "-id")[:50]
    return [_why_row(w, names) for w in warnings]


# ---- the dashboard ----


def _counts(qs: QuerySet[Warning], field: str, choices) -> list[dict]:
    got = dict(qs.values_list(field).annotate(n=Count("id")).order_by())
    return [{"key": key, "label": str(label), "n": got.get(key, 0)} for key, label in choices]


def warning_dashboard(*, user, today: dt.date | None = None) -> dict:
    """The dashboard's figures for the warnings in the user's scope, each a grouped aggregate (never a loop
    over warnings): by district (as `warning_figures`), by tier, by status, by kind, and by month raised —
    found, closed, handled on time and each outcome."""
    from django.db.models.functions import TruncMonth

    from .models import Tier

    visible = warnings_visible_to(user)
    closed = Q(status=WarningStatus.CLOSED)
    months = (
        visible.annotate(month=TruncMonth("raised_on"))
        .values("month")
        .annotate(
            found=Count("id"),
            closed=Count("id", filter=closed),
            on_time=Count("id", filter=closed & Q(closed_at__date__lte=F("due_on"))),
            **{f"outcome_{o}": Count("id", filter=Q(outcome=o)) for o in WarningOutcome.values},
        )
        .order_by("month")
    )
    by_month = [{**row, "month": row["month"].strftime("%Y-%m")} for row in months]
    return {
        "districts": warning_figures(user=user, today=today),
        "tiers": _counts(visible, "tier", Tier.choices),
        "statuses": _counts(visible, "status", WarningStatus.choices),
        "kinds": _counts(visible, "kind", WarningKind.choices),
        "months": by_month,
        "outcomes": [(o, str(label)) for o, label in WarningOutcome.choices],
    }


def dashboard_chart(figures: dict) -> dict:
    """The figures shaped for ECharts (passed to the page with json_script)."""
    months = figures["months"]
    return {
        "districts": {
            "names": [r["name"] for r in figures["districts"]],
            "found": [r["found"] for r in figures["districts"]],
            "on_time": [r["on_time"] for r in figures["districts"]],
            "overdue": [r["overdue"] for r in figures["districts"]],
        },
        "tiers": [{"name": t["label"], "value": t["n"], "key": t["key"]} for t in figures["tiers"]],
        "statuses": [{"name": s["label"], "value": s["n"]} for s in figures["statuses"]],
        "months": {
            "names": [m["month"] for m in months],
            "found": [m["found"] for m in months],
            "on_time": [m["on_time"] for m in months],
            **{o: [m[f"outcome_{o}"] for m in months] for o, _label in figures["outcomes"]},
        },
        "outcome_labels": dict(figures["outcomes"]),
    }
