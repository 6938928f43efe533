"""Payment rolls: the monthly list of what each approved case is paid, the bank batch file made from it,
the bank's results, reissues of failed lines, and callbacks (回访) to a sample of paid households.

Money is integer fen. A case is paid at most once per month: the database holds one original line per
case and month, and at most one paid line per case and month (a reissue is a second line for the same
month, linked to the failed one)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PayeeAccount(models.Model):
    """The bank account a household is paid into (one current account per household). The account
    number is stored like an ID number in the registry: encrypted, masked for display, keyed hash."""

    household = models.OneToOneField("registry.Household", on_delete=models.PROTECT, related_name="payee_account")
    payee = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    bank_name = models.CharField(_("bank"), max_length=60)
    account_number_enc = models.TextField(editable=False)
    account_number_hash = models.CharField(max_length=64, editable=False, db_index=True)
    account_number_masked = models.CharField(_("account number"), max_length=40, editable=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)


class RollStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    ISSUED = "issued", _("issued to the bank")
    RESULTS_IMPORTED = "results_imported", _("results imported")
    CLOSED = "closed", _("closed")


class RollKind(models.TextChoices):
    REGULAR = "regular", _("monthly roll")
    SUPPLEMENTARY = "supplementary", _("supplementary roll (reissues)")


class PaymentRoll(models.Model):
    """What is paid for one month within one region prefix (the city, or a district).

    `total_fen` and `line_count` are stored when the roll is prepared and checked against the lines on
    every change of status, so a total that no longer adds up stops the roll instead of reaching the bank."""

    number = models.CharField(_("roll number"), max_length=40, unique=True)
    month = models.DateField(_("month"))
    region_prefix = models.CharField(_("region"), max_length=12)
    kind = models.CharField(_("kind"), max_length=16, choices=RollKind.choices, default=RollKind.REGULAR)
    status = models.CharField(_("status"), max_length=20, choices=RollStatus.choices, default=RollStatus.DRAFT)
    line_count = models.PositiveIntegerField(default=0)
    total_fen = models.BigIntegerField(default=0)
    prepared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    results_at = models.DateTimeField(null=True, blank=True)
    results_sha256 = models.CharField(max_length=64, blank=True)
    callback_seed = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-month", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "region_prefix"], condition=Q(kind="regular"), name="payments_one_regular_roll"
            ),
            models.CheckConstraint(condition=Q(total_fen__gte=0), name="payments_roll_total_not_negative"),
        ]

    def __str__(self) -> str:
        return self.number


class LineStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    PAID = "paid", _("paid")
    FAILED = "failed", _("failed")
    REISSUED = "reissued", _("reissued")


class PaymentLine(models.Model):
    roll = models.ForeignKey(PaymentRoll, on_delete=models.PROTECT, related_name="lines")
    seq = models.PositiveIntegerField()
    # The roll's month, repeated here so the database can hold "one payment per case and month".
    month = models.DateField()
    case = models.ForeignKey("casework.Case", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(max_length=12, db_index=True)
    policy_code = models.CharField(_("policy"), max_length=64)
    period = models.CharField(_("period"), max_length=16)
    unit = models.CharField(_("responsible unit"), max_length=32)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    payee_name = models.CharField(_("payee"), max_length=64, blank=True)
    bank_name = models.CharField(_("bank"), max_length=60, blank=True)
    account_number_enc = models.TextField(blank=True, editable=False)
    account_number_hash = models.CharField(max_length=64, blank=True, editable=False)
    account_number_masked = models.CharField(_("account number"), max_length=40, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=12, choices=LineStatus.choices, default=LineStatus.PENDING)
    failure_reason = models.CharField(_("failure reason"), max_length=200, blank=True)
    result_at = models.DateTimeField(null=True, blank=True)
    reissue_of = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reissued_as"
    )

    class Meta:
        ordering = ["roll", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["roll", "seq"], name="payments_line_seq"),
            models.UniqueConstraint(
                fields=["case", "month"], condition=Q(reissue_of__isnull=True), name="payments_one_line_per_case_month"
            ),
            models.UniqueConstraint(
                fields=["case", "month"], condition=Q(status="paid"), name="payments_paid_once_per_case_month"
            ),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="payments_line_amount_positive"),
        ]

    @property
    def reference(self) -> str:
        """The line's reference in the bank file and the results file."""
        return f"{self.roll.number}-{self.seq:06d}"


class Received(models.TextChoices):
    YES = "yes", _("yes")
    NO = "no", _("no")
    PARTLY = "partly", _("partly")


class CallbackStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")


class Callback(models.Model):
    """A phone call (回访) to a household whose payment the bank reported as paid: did the money arrive?"""

    line = models.OneToOneField(PaymentLine, on_delete=models.PROTECT, related_name="callback")
    roll = models.ForeignKey(PaymentRoll, on_delete=models.PROTECT, related_name="callbacks")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=8, choices=CallbackStatus.choices, default=CallbackStatus.OPEN)
    reached = models.BooleanField(_("reached"), null=True)
    received = models.CharField(_("received the money"), max_length=8, choices=Received.choices, blank=True)
    amount_confirmed_fen = models.BigIntegerField(_("amount confirmed (fen)"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["roll", "line__seq"]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True) | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="payments_callback_satisfaction_1_to_5",
            )
        ]
