"""Enrolment (动态管理): what happens to an approved case after its first payment.

An approved case with a `payment_from` is an enrolment. Its reviews (复核) come round on a schedule set by
dated `ReviewRule` rows; each `CaseReview` re-screens the household and records what a person decided.
`EnrolmentChange` rows are the enrolment's history, each effective from the first day of a month: the
state in a month is the latest change effective on or before it (`selectors.enrolment_state`), which is
what the payment roll reads through `casework.selectors.payable_cases`. `Recovery` records an amount paid
that should not have been (追缴), and what became of it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ReviewClass(models.TextChoices):
    """How stable a household's situation is, which sets how often it is reviewed (DOMAIN_RULES.md)."""

    STABLE = "stable", _("stable situation")
    ABLE_TO_WORK = "able_to_work", _("able to work, income may change")


class ReviewRule(models.Model):
    """One version of a review interval. `policy_code` or `review_class` empty means any; the most specific
    rule in force on a date wins (policy before class). `gradual_exit_months` > 0 means a household found no
    longer eligible may leave gradually (渐退) over that many months instead of being terminated at once."""

    policy_code = models.CharField(_("policy"), max_length=64, blank=True)
    review_class = models.CharField(_("review class"), max_length=16, choices=ReviewClass.choices, blank=True)
    interval_months = models.PositiveSmallIntegerField(_("interval (months)"))
    gradual_exit_months = models.PositiveSmallIntegerField(_("gradual exit (months)"), default=0)
    valid_from = models.DateField(_("valid from"))
    label = models.CharField(_("label"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # Where the figure comes from; shipped defaults not taken from a rule say "(unverified default)".
    source = models.CharField(_("source"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("review rule")
        verbose_name_plural = _("review rules")
        ordering = ["policy_code", "review_class", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy_code", "review_class", "valid_from"], name="one_review_rule_per_scope_and_date"
            ),
            models.CheckConstraint(condition=Q(interval_months__gte=1), name="review_interval_positive"),
            models.CheckConstraint(condition=Q(gradual_exit_months__lte=24), name="gradual_exit_bounded"),
        ]

    def __str__(self) -> str:
        return f"{self.policy_code or '*'}/{self.review_class or '*'} {self.interval_months}m ({self.valid_from})"


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")


class ReviewOutcome(models.TextChoices):
    CONTINUE = "continue", _("continue unchanged")
    AMOUNT_CHANGED = "amount_changed", _("continue with a new amount")
    GRADUAL_EXIT = "gradual_exit", _("gradual exit")
    TERMINATE = "terminate", _("terminate")


class CaseReview(models.Model):
    """A periodic review (复核) of one enrolled case. The engine advises (`advised_outcome`, from the
    re-screening's determination); a person decides (`outcome`, `decided_by`)."""

    case = models.ForeignKey("casework.Case", on_delete=models.PROTECT, related_name="reviews")
    due_on = models.DateField(_("due"), db_index=True)
    interval_months = models.PositiveSmallIntegerField(_("interval (months)"))
    review_class = models.CharField(_("review class"), max_length=16, choices=ReviewClass.choices, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    screening = models.ForeignKey(
        "screening.Screening", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    determination = models.ForeignKey(
        "screening.Determination", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    advised_outcome = models.CharField(_("engine's advice"), max_length=16, choices=ReviewOutcome.choices, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=ReviewOutcome.choices, blank=True)
    amount_fen = models.BigIntegerField(_("amount (fen)"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("case review")
        verbose_name_plural = _("case reviews")
        ordering = ["due_on", "id"]
        constraints = [
            # One review per case and due date, and at most one open at a time: generating twice adds nothing.
            models.UniqueConstraint(fields=["case", "due_on"], name="one_review_per_case_and_due_date"),
            models.UniqueConstraint(fields=["case"], condition=Q(status="open"), name="one_open_review_per_case"),
        ]


class ChangeKind(models.TextChoices):
    SUSPEND = "suspend", _("suspend")
    RESUME = "resume", _("resume")
    TERMINATE = "terminate", _("terminate")
    GRADUAL_EXIT = "gradual_exit", _("gradual exit")
    AMOUNT_CHANGE = "amount_change", _("amount change")


class EnrolmentChange(models.Model):
    """One change to an enrolment, effective from the first day of `effective_month`. Never edited: a
    later change supersedes it. A gradual exit pays `amount_fen` until `ends_month` (exclusive); an amount
    change pays `amount_fen` from its month on."""

    case = models.ForeignKey("casework.Case", on_delete=models.PROTECT, related_name="enrolment_changes")
    kind = models.CharField(_("change"), max_length=16, choices=ChangeKind.choices)
    effective_month = models.DateField(_("effective from"))
    ends_month = models.DateField(_("ends"), null=True, blank=True)
    amount_fen = models.BigIntegerField(_("amount (fen)"), null=True, blank=True)
    reason = models.TextField(_("reason"))
    review = models.ForeignKey(CaseReview, on_delete=models.PROTECT, null=True, blank=True, related_name="changes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("enrolment change")
        verbose_name_plural = _("enrolment changes")
        ordering = ["case", "effective_month", "id"]
        indexes = [models.Index(fields=["case", "effective_month"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__isnull=True) | Q(amount_fen__gte=0), name="change_amount"),
            models.CheckConstraint(
                condition=~Q(kind="gradual_exit") | Q(ends_month__isnull=False, amount_fen__isnull=False),
                name="gradual_exit_has_end_and_amount",
            ),
        ]


class RecoveryStatus(models.TextChoices):
    RECORDED = "recorded", _("recorded")
    REPAID = "repaid", _("repaid")
    WRITTEN_OFF = "written_off", _("written off")


class Recovery(models.Model):
    """An overpaid amount to recover (追缴), in fen, for the months it covers."""

    case = models.ForeignKey("casework.Case", on_delete=models.PROTECT, related_name="recoveries")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="recoveries")
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    reason = models.TextField(_("reason"))
    months_from = models.DateField(_("from month"))
    months_to = models.DateField(_("to month"))
    status = models.CharField(
        _("status"), max_length=12, choices=RecoveryStatus.choices, default=RecoveryStatus.RECORDED
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    settled_at = models.DateTimeField(_("settled"), null=True, blank=True)
    settle_note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("recovery")
        verbose_name_plural = _("recoveries")
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="recovery_amount_positive"),
            models.CheckConstraint(condition=Q(months_to__gte=models.F("months_from")), name="recovery_months_order"),
        ]
