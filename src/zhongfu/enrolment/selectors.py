"""Reads of enrolment: the review schedule, the state of an enrolment in a month, the worker's review list,
recoveries. Everything a user sees is scoped through the case's household (`cases_visible_to`).

The state of an enrolment in a month is the latest `EnrolmentChange` effective on or before that month's
first day; `payable_narrow` applies it to the payment roll in SQL, one query whatever the number of cases.
"""

import calendar
import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    BigIntegerField,
    CharField,
    DateField,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as SqlCase
from django.db.models.functions import Coalesce
from django.db.models.query import ModelIterable
from django.utils import timezone

from zhongfu.casework.models import Case, CaseStatus
from zhongfu.casework.selectors import cases_visible_to
from zhongfu.common.errors import NotFound
from zhongfu.registry.models import LabourCapacity, Membership

from .models import (
    CaseReview,
    ChangeKind,
    EnrolmentChange,
    Recovery,
    RecoveryStatus,
    ReviewClass,
    ReviewRule,
    ReviewStatus,
)

# Reviews appear on the worker's list this many days before they are due, so the home visit can be planned.
REVIEW_LEAD_DAYS = 30
# Working age for the review class: a member of 16–59 fully able to work makes income likely to change.
WORKING_AGE = (16, 60)
# Changes after which an enrolment is no longer reviewed: it is ending or has ended.
ENDING = (ChangeKind.TERMINATE, ChangeKind.GRADUAL_EXIT)


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole months, the day clamped to the month's length (31 Jan + 1 → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_month(today: dt.date | None = None) -> dt.date:
    return add_months(month_start(today or timezone.localdate()), 1)


# --- enrolments and their state -------------------------------------------------------------------------


def enrolled_cases() -> QuerySet[Case]:
    """Approved cases paying from a month: the enrolments. One-off aid has nothing to review."""
    return Case.objects.filter(status=CaseStatus.APPROVED, payment_from__isnull=False).exclude(period="one_off")


def _latest_change(month: dt.date | None = None):
    # Only the changes of the current approval: a case reopened (on appeal, after a termination) and approved
    # again pays from a new `payment_from`, and what was changed before that month belongs to the old decision.
    changes = EnrolmentChange.objects.filter(case=OuterRef("pk"), effective_month__gte=OuterRef("payment_from"))
    if month is not None:
        changes = changes.filter(effective_month__lte=month)
    return changes.order_by("-effective_month", "-id")


class _EffectiveAmountIterable(ModelIterable):
    """Cases whose amount was changed by a review or a gradual exit carry that month's amount in `amount_fen`,
    so the payment roll reads the one field it always read. These instances are for reading, not saving."""

    def __iter__(self):
        for case in super().__iter__():
            if getattr(case, "enrolment_amount_fen", None) is not None:
                case.amount_fen = case.enrolment_amount_fen
            yield case


def payable_narrow(cases: QuerySet[Case], month: dt.date) -> QuerySet[Case]:
    """Leave out cases suspended, terminated or past their gradual exit in `month`; carry the amount in force."""
    first = month_start(month)
    latest = _latest_change(first)
    with_amount = latest.filter(amount_fen__isnull=False)
    cases = (
        cases.annotate(
            enrolment_kind=Coalesce(Subquery(latest.values("kind")[:1]), Value(""), output_field=CharField()),
            enrolment_ends=Subquery(latest.values("ends_month")[:1], output_field=DateField()),
            enrolment_amount_fen=Subquery(with_amount.values("amount_fen")[:1], output_field=BigIntegerField()),
        )
        .exclude(enrolment_kind__in=[ChangeKind.SUSPEND, ChangeKind.TERMINATE])
        .exclude(enrolment_kind=ChangeKind.GRADUAL_EXIT, enrolment_ends__lte=first)
        .alias(effective_fen=Coalesce("enrolment_amount_fen", "amount_fen"))
        .filter(effective_fen__gt=0)
    )
    cases._iterable_class = _EffectiveAmountIterable
    return cases


@dataclass(frozen=True)
class EnrolmentState:
    kind: str  # "" (enrolled, no change yet) or the kind of the latest change
    change: EnrolmentChange | None
    amount_fen: int

    @property
    def paying(self) -> bool:
        return self.kind not in (ChangeKind.SUSPEND, ChangeKind.TERMINATE)


def enrolment_state(case: Case, month: dt.date | None = None) -> EnrolmentState:
    """The enrolment in `month` (None: the latest change, whatever month it takes effect)."""
    changes = EnrolmentChange.objects.filter(case=case)
    if case.payment_from is not None:  # the current approval's changes only (see _latest_change)
        changes = changes.filter(effective_month__gte=case.payment_from)
    if month is not None:
        changes = changes.filter(effective_month__lte=month_start(month))
    latest = changes.order_by("-effective_month", "-id").first()
    amount = changes.filter(amount_fen__isnull=False).order_by("-effective_month", "-id").first()
    kind = latest.kind if latest else ""
    if latest and kind == ChangeKind.GRADUAL_EXIT and month is not None and latest.ends_month <= month_start(month):
        kind = ChangeKind.TERMINATE
    return EnrolmentState(kind=kind, change=latest, amount_fen=amount.amount_fen if amount else case.amount_fen)


def enrolment_changes(case: Case) -> QuerySet[EnrolmentChange]:
    return case.enrolment_changes.select_related("actor", "review").order_by("-effective_month", "-id")


# --- the review schedule -------------------------------------------------------------------------------


def rules_in_force(on: dt.date | None = None) -> list[ReviewRule]:
    """The rule of each (policy, class) scope on `on`: its latest version; inactive versions drop the scope.
    Most specific first: policy and class, policy only, class only, neither."""
    on = on or timezone.localdate()
    latest: dict[tuple[str, str], ReviewRule] = {}
    for rule in ReviewRule.objects.filter(valid_from__lte=on).order_by("valid_from", "id"):
        latest[(rule.policy_code, rule.review_class)] = rule
    rules = [r for r in latest.values() if r.active]
    return sorted(rules, key=lambda r: (-(2 * bool(r.policy_code) + bool(r.review_class)), r.policy_code))


def rule_for(policy_code: str, review_class: str, on: dt.date | None = None) -> ReviewRule | None:
    for rule in rules_in_force(on):
        if rule.policy_code in ("", policy_code) and rule.review_class in ("", review_class):
            return rule
    return None


def _able_to_work(today: dt.date):
    """A current, living member of working age fully able to work (the "able to work" review class)."""
    young, old = WORKING_AGE
    return Exists(
        Membership.objects.filter(
            household_id=OuterRef("household_id"),
            end_date__isnull=True,
            person__deceased_on__isnull=True,
            person__labour_capacity=LabourCapacity.FULL,
            person__birth_date__lte=add_months(today, -12 * young),
            person__birth_date__gt=add_months(today, -12 * old),
        )
    )


def review_class_of(case: Case, today: dt.date | None = None) -> str:
    today = today or timezone.localdate()
    able = Case.objects.filter(pk=case.pk).annotate(able=_able_to_work(today)).values_list("able", flat=True).first()
    return ReviewClass.ABLE_TO_WORK if able else ReviewClass.STABLE


def _rule_expr(rules: list[ReviewRule], attr: str):
    """A SQL CASE giving each case the `attr` of its most specific rule (rules come most specific first)."""
    whens = []
    for rule in rules:
        q = Q()
        if rule.policy_code:
            q &= Q(policy_code=rule.policy_code)
        if rule.review_class:
            q &= Q(review_able=rule.review_class == ReviewClass.ABLE_TO_WORK)
        whens.append(When(q, then=Value(getattr(rule, attr))))
    return SqlCase(*whens, default=Value(None), output_field=IntegerField())


def reviews_to_generate(today: dt.date) -> list[dict]:
    """Enrolments whose next review falls due within REVIEW_LEAD_DAYS of `today` and that have no open review:
    [{"case_id", "due_on", "interval_months", "review_class"}]. The next review is due `interval` months after
    the last one's due date (or after the first payment month); SQL narrows the cases to those near that date,
    so Python only sees the reviews it is about to create."""
    rules = rules_in_force(today)
    horizon = today + dt.timedelta(days=REVIEW_LEAD_DAYS)
    last_due = CaseReview.objects.filter(case=OuterRef("pk"), status=ReviewStatus.DONE).values("case")
    last_due = last_due.annotate(last=Max("due_on")).values("last")[:1]
    latest_kind = Coalesce(Subquery(_latest_change().values("kind")[:1]), Value(""), output_field=CharField())
    cases = (
        enrolled_cases()
        .filter(household__is_active=True)
        .annotate(
            review_able=_able_to_work(today),
            review_base=Coalesce(Subquery(last_due, output_field=DateField()), "payment_from"),
            enrolment_kind=latest_kind,
        )
        .exclude(enrolment_kind__in=ENDING)
        .exclude(Exists(CaseReview.objects.filter(case=OuterRef("pk"), status=ReviewStatus.OPEN)))
        .annotate(review_interval=_rule_expr(rules, "interval_months"))
    )
    # base + k months <= horizon  ⇔  base <= horizon − k months, give or take the month-end clamp: a few days'
    # slack here, the exact test below.
    near = Q(pk__in=[])
    for months in {r.interval_months for r in rules}:
        near |= Q(review_interval=months, review_base__lte=add_months(horizon, -months) + dt.timedelta(days=3))
    rows = []
    for case_id, base, months, able in cases.filter(near).values_list(
        "pk", "review_base", "review_interval", "review_able"
    ):
        due = add_months(base, months)
        if due <= horizon:
            review_class = ReviewClass.ABLE_TO_WORK if able else ReviewClass.STABLE
            rows.append({"case_id": case_id, "due_on": due, "interval_months": months, "review_class": review_class})
    return rows


# --- the worker's reads -----------------------------------------------------------------------------------

DUE_FILTERS = ("open", "overdue", "upcoming")


def reviews_visible_to(user) -> QuerySet[CaseReview]:
    return CaseReview.objects.filter(case__in=cases_visible_to(user)).select_related(
        "case", "case__household", "case__household__region", "decided_by"
    )


def review_list(*, user, due: str = "open", today: dt.date | None = None) -> QuerySet[CaseReview]:
    """Open reviews in the user's scope: all, overdue (due before today) or upcoming (due today or later)."""
    today = today or timezone.localdate()
    qs = reviews_visible_to(user).filter(status=ReviewStatus.OPEN)
    if due == "overdue":
        qs = qs.filter(due_on__lt=today)
    elif due == "upcoming":
        qs = qs.filter(due_on__gte=today)
    return qs.order_by("due_on", "id")


def review_get_for_user(*, user, review_id: int) -> CaseReview:
    review = (
        reviews_visible_to(user)
        .select_related("screening", "determination", "case__line__determination")
        .filter(pk=review_id)
        .first()
    )
    if review is None:
        raise NotFound()
    return review


def review_explanation(review: CaseReview) -> list[dict]:
    """The re-screening's conditions for the case's policy, in the page's language."""
    from zhongfu.screening.selectors import criterion_text, page_language

    if review.determination is None:
        return []
    language = page_language()
    criteria = review.determination.explanation.get("criteria", [])
    return [{"passed": c.get("passed"), "text": criterion_text(c.get("text", {}), language)} for c in criteria]


def case_reviews(case: Case) -> QuerySet[CaseReview]:
    return case.reviews.select_related("decided_by").order_by("-due_on", "-id")


def recoveries_visible_to(user) -> QuerySet[Recovery]:
    return Recovery.objects.filter(case__in=cases_visible_to(user)).select_related(
        "case", "household", "household__region", "recorded_by", "settled_by"
    )


def recovery_list(*, user, status: str = "") -> QuerySet[Recovery]:
    qs = recoveries_visible_to(user)
    if status in RecoveryStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-recorded_at", "-id")


def recovery_get_for_user(*, user, recovery_id: int) -> Recovery:
    recovery = recoveries_visible_to(user).filter(pk=recovery_id).first()
    if recovery is None:
        raise NotFound()
    return recovery
