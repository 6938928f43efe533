"""Writes of the visits app: recording a visit, changing a visit rule, the demo city's visits.
Each write runs in one transaction with its audit entry."""

import datetime as dt
import random

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhongfu.accounts.roles import CHANGE_HOUSEHOLD, PROPOSE_POLICY_CHANGE
from zhongfu.audit.models import AuditEntry
from zhongfu.audit.services import audit_record
from zhongfu.common.errors import InvalidInput, PermissionDenied
from zhongfu.registry.models import Household
from zhongfu.registry.selectors import household_get_for_user

from . import selectors
from .models import HouseholdClass, Visit, VisitKind, VisitOutcome, VisitRule

A = AuditEntry.Action
MAX_TEXT = 2000
MAX_INTERVAL_DAYS = 3660  # ten years: anything longer is a typing error, not a schedule
# The permission the city administrator will hold for visit rules (to be added in accounts/roles.py);
# until then, changing dated configuration is the right of whoever may propose policy changes.
CHANGE_VISIT_RULE = "visits.change_visitrule"


def can_record_visits(user) -> bool:
    return bool(user and user.has_perm(CHANGE_HOUSEHOLD))


def can_change_rules(user) -> bool:
    return bool(user and (user.has_perm(CHANGE_VISIT_RULE) or user.has_perm(PROPOSE_POLICY_CHANGE)))


def visit_snapshot(v: Visit) -> dict:
    return {
        "visited_on": v.visited_on.isoformat(),
        "kind": v.kind,
        "outcome": v.outcome,
        "needs": v.needs,
        "notes": v.notes,
        "follow_up": v.follow_up,
        "visitor": v.visitor_id,
    }


@transaction.atomic
def visit_record(
    actor,
    household: Household,
    *,
    visited_on: dt.date | None,
    outcome: str | None,
    kind: str = VisitKind.HOME,
    needs: str = "",
    notes: str = "",
    follow_up: bool = False,
) -> Visit:
    """Record a visit to a household in the actor's scope. A "not at home" visit is kept but does not
    count as done. Refuses a missing or future date, a date before the household existed and a
    missing outcome, each naming its field."""
    if actor is not None:
        # Scope first (out of scope is "not found" for everyone), then the right.
        household = household_get_for_user(user=actor, household_id=household.pk)
        if not can_record_visits(actor):
            raise PermissionDenied()
    if not outcome:
        raise InvalidInput(_("Choose the outcome of the visit."), field="outcome")
    if outcome not in VisitOutcome.values:
        raise InvalidInput(_("Not an allowed value: %(value)s"), field="outcome", value=outcome)
    if kind not in VisitKind.values:
        raise InvalidInput(_("Not an allowed value: %(value)s"), field="kind", value=kind)
    if visited_on is None:
        raise InvalidInput(_("Give the date of the visit."), field="visited_on")
    if visited_on > timezone.localdate():
        raise InvalidInput(_("A visit cannot be dated in the future."), field="visited_on")
    since = selectors.household_since(household)
    if visited_on < since:
        raise InvalidInput(
            _("The household exists only from %(date)s: a visit cannot be dated earlier."),
            field="visited_on",
            date=since.isoformat(),
        )
    needs, notes = (needs or "").strip(), (notes or "").strip()
    for name, text in (("needs", needs), ("notes", notes)):
        if len(text) > MAX_TEXT:
            raise InvalidInput(_("At most %(limit)s characters."), field=name, limit=MAX_TEXT)
    visit = Visit.objects.create(
        household=household,
        visitor=actor if getattr(actor, "pk", None) else None,
        visited_on=visited_on,
        kind=kind,
        outcome=outcome,
        needs=needs,
        notes=notes,
        follow_up=bool(follow_up),
    )
    audit_record(
        actor=actor,
        action=A.CREATE,
        object_type="visit",
        object_id=visit.pk,
        household_id=household.pk,
        region_code=household.region_id,
        after=visit_snapshot(visit),
    )
    return visit


def rule_snapshot(r: VisitRule) -> dict:
    return {
        "household_class": r.household_class,
        "interval_days": r.interval_days,
        "valid_from": r.valid_from.isoformat(),
        "label": r.label,
        "active": r.active,
        "source": r.source,
    }


@transaction.atomic
def visit_rule_set(
    *,
    actor,
    household_class: str,
    interval_days,
    valid_from: dt.date | None = None,
    label: str | None = None,
    active: bool = True,
    source: str = "",
) -> VisitRule:
    """Set a class's visit interval from a date (today by default). A new version of the rule is added;
    one already starting that day is replaced. Past dates are refused so past rates keep their rules."""
    if actor is not None and not can_change_rules(actor):
        raise PermissionDenied()
    if household_class not in HouseholdClass.values:
        raise InvalidInput(_("Not an allowed value: %(value)s"), field="household_class", value=household_class)
    if isinstance(interval_days, bool) or not isinstance(interval_days, int):
        raise InvalidInput(_("Enter a whole number of days."), field="interval_days")
    if interval_days <= 0:
        raise InvalidInput(_("The interval must be at least 1 day."), field="interval_days")
    if interval_days > MAX_INTERVAL_DAYS:
        raise InvalidInput(
            _("The interval must be at most %(limit)s days."), field="interval_days", limit=MAX_INTERVAL_DAYS
        )
    today = timezone.localdate()
    valid_from = valid_from or today
    if valid_from < today:
        raise InvalidInput(
            _("A change takes effect today or later, so past visit rates keep their rules."), field="valid_from"
        )
    current = (
        VisitRule.objects.filter(household_class=household_class, valid_from__lte=valid_from)
        .order_by("-valid_from", "-pk")
        .first()
    )
    if label is None:
        label = current.label if current else ""
    label = label.strip()
    if len(label) > 100:
        raise InvalidInput(_("At most %(limit)s characters."), field="label", limit=100)
    rule = VisitRule.objects.select_for_update().filter(household_class=household_class, valid_from=valid_from).first()
    before = rule_snapshot(current) if current else None
    if rule is None:
        rule = VisitRule(household_class=household_class, valid_from=valid_from)
    rule.interval_days = interval_days
    rule.label = label
    rule.active = bool(active)
    rule.source = (source or "").strip()[:200] or str(
        _("set by %(user)s") % {"user": getattr(actor, "username", "system")}
    )
    rule.created_by = actor if getattr(actor, "pk", None) else None
    rule.save()
    audit_record(
        actor=actor,
        action=A.UPDATE if current else A.CREATE,
        object_type="visit_rule",
        object_id=rule.pk,
        before=before,
        after=rule_snapshot(rule),
    )
    return rule


# --- the demo city ------------------------------------------------------------------------------

DEMO_HISTORY_DAYS = 120
DEMO_BATCH = 5000


@transaction.atomic
def demo_visits_generate(seed: int = 2026, *, today: dt.date | None = None) -> dict:
    """Plausible past visits for the demo city: most scheduled households visited on time, about one in
    seven overdue, a few never visited; some visits find nobody at home. Households that already have
    visits are left alone, so running it again adds nothing. One audit entry for the whole batch."""
    today = today or timezone.localdate()
    households = (
        selectors.scheduled(Household.objects.all(), today)
        .exclude(Exists(Visit.objects.filter(household=OuterRef("pk"))))
        .values_list("pk", "interval_days", "since")
        .order_by("pk")
    )
    outcomes = [VisitOutcome.WELL] * 16 + [VisitOutcome.NEEDS_HELP] * 3 + [VisitOutcome.MOVED_OR_DECEASED]
    kinds = [VisitKind.HOME] * 6 + [VisitKind.PHONE] * 3 + [VisitKind.VIDEO]
    batch: list[Visit] = []
    visits = visited = 0
    for pk, interval, since in households.iterator(chunk_size=2000):
        # One generator per household: a household drawn "never visited" stays so when run again.
        rng = random.Random(seed * 1_000_003 + pk)
        draw = rng.random()
        if draw < 0.04:
            continue  # never visited
        # The last counting visit: within the interval (on time) or one to two intervals back (overdue).
        gap = rng.randrange(interval) if draw < 0.86 else interval + 1 + rng.randrange(interval)
        day = today - dt.timedelta(days=gap)
        oldest = max(since, today - dt.timedelta(days=DEMO_HISTORY_DAYS))
        if day < since:
            continue
        visited += 1
        first = True
        while day >= oldest:
            outcome = outcomes[rng.randrange(len(outcomes))]
            needs = "需要助餐服务" if outcome == VisitOutcome.NEEDS_HELP else ""
            batch.append(
                Visit(
                    household_id=pk,
                    visited_on=day,
                    kind=kinds[rng.randrange(len(kinds))],
                    outcome=outcome,
                    needs=needs,
                    follow_up=outcome == VisitOutcome.NEEDS_HELP,
                )
            )
            if first and rng.random() < 0.08:
                # Nobody at home a few days after the last counting visit: recorded, not counted.
                later = day + dt.timedelta(days=1 + rng.randrange(3))
                if later <= today:
                    batch.append(
                        Visit(household_id=pk, visited_on=later, kind=VisitKind.HOME, outcome=VisitOutcome.NOT_HOME)
                    )
            first = False
            day -= dt.timedelta(days=max(1, interval - rng.randrange(max(1, interval // 5))))
        if len(batch) >= DEMO_BATCH:
            Visit.objects.bulk_create(batch)
            visits += len(batch)
            batch = []
    Visit.objects.bulk_create(batch)
    visits += len(batch)
    audit_record(
        actor=None,
        action=A.GENERATE,
        object_type="demo_visits",
        after={"visits": visits, "households": visited, "seed": seed, "as_of": today.isoformat()},
    )
    return {"visits": visits, "households": visited}
