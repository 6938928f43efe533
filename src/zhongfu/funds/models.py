"""Charity money: donors, fund accounts per unit, the append-only double-entry ledger (entries and their
lines), donations, allocations to project budgets, disbursements to households, refunds, receipts and
accounting periods. How the pieces fit is in docs/funds.md.

Money is integer fen. A ledger line's `amount_fen` is signed: a debit is positive, a credit negative, and
the lines of an entry add up to zero. Entries, lines and issued receipts are never changed or removed: the
database refuses it (migration 0002) and so does the code below; a mistake is corrected by a reversing
entry."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from zhongfu.common.errors import DomainError


class AppendOnly(DomainError):
    default_message = _("The ledger is append-only: correct an entry with a reversing entry instead.")


class _AppendOnlyQuerySet(models.QuerySet):
    """Bulk update and delete are refused like the single-row ones (the database refuses them too)."""

    def update(self, **kwargs):
        raise AppendOnly()

    def delete(self):
        raise AppendOnly()


class _AppendOnlyModel(models.Model):
    objects = _AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnly()
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly()


# --- donors ----------------------------------------------------------------------------------------------


class DonorKind(models.TextChoices):
    PERSON = "person", _("person")
    ORGANISATION = "organisation", _("organisation")


class Donor(models.Model):
    """A person or an organisation that gives. The name is published only with consent (`consent_to_name`),
    and then as the alias when there is one; an anonymous donor is never named at all."""

    kind = models.CharField(_("kind"), max_length=16, choices=DonorKind.choices)
    name = models.CharField(_("name"), max_length=100)
    uscc = models.CharField(_("unified social credit code"), max_length=18, blank=True, default="")
    anonymous = models.BooleanField(_("anonymous"), default=False)
    consent_to_name = models.BooleanField(_("consents to be named"), default=False)
    alias = models.CharField(_("alias"), max_length=60, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("donor")
        verbose_name_plural = _("donors")
        constraints = [
            models.UniqueConstraint(fields=["uscc"], condition=~Q(uscc=""), name="funds_donor_uscc_unique"),
            models.CheckConstraint(
                condition=Q(kind="organisation") | Q(uscc=""), name="funds_donor_uscc_only_organisations"
            ),
            models.CheckConstraint(
                condition=~Q(anonymous=True, consent_to_name=True), name="funds_donor_anonymous_not_named"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def public_name(self) -> str:
        """What may be shown publicly: the alias or the name with consent, otherwise nothing."""
        if self.anonymous or not self.consent_to_name:
            return ""
        return self.alias or self.name


# --- accounts and periods --------------------------------------------------------------------------------


class AccountKind(models.TextChoices):
    # Where the money physically is (the unit's bank account, its cash box): debit-normal.
    BANK = "bank", _("bank or cash")
    # What the money is for: credit-normal. General money may go anywhere; restricted money only within
    # its restriction; a budget holds what was allocated to a project or campaign and is paid out from.
    GENERAL = "general", _("general fund")
    RESTRICTED = "restricted", _("restricted fund")
    BUDGET = "budget", _("project or campaign budget")


FUND_KINDS = (AccountKind.GENERAL, AccountKind.RESTRICTED, AccountKind.BUDGET)


class FundAccount(models.Model):
    """One account of a unit's dedicated fund (专户). A restricted account or a budget carries its restriction:
    a project (or campaign) code, a region-code prefix, a group of recipients, or several of them."""

    unit = models.ForeignKey("accounts.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=AccountKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent account"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    restriction_project = models.CharField(_("restricted to project"), max_length=40, blank=True, default="")
    restriction_region_prefix = models.CharField(_("restricted to region"), max_length=12, blank=True, default="")
    restriction_group = models.CharField(_("restricted to group"), max_length=40, blank=True, default="")
    # A named fund (冠名基金) bears its donor's name.
    named_for = models.ForeignKey(
        Donor, verbose_name=_("named for"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Running totals for tracing (docs/funds.md, "Tracing a gift"): every fen ever credited in (gifts to a
    # fund, allocations into a budget) and ever paid out (allocations out of a fund, payments from a
    # budget), reversed or not. Raised under the account's row lock as each movement is written, which then
    # carries the total before it; never lowered.
    inflow_fen = models.BigIntegerField(default=0, editable=False)
    outflow_fen = models.BigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("fund account")
        verbose_name_plural = _("fund accounts")
        ordering = ["unit_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "code"], name="funds_account_code_unique"),
            models.CheckConstraint(
                condition=~Q(kind__in=["bank", "general"])
                | Q(restriction_project="", restriction_region_prefix="", restriction_group=""),
                name="funds_account_unrestricted_kinds",
            ),
            models.CheckConstraint(
                condition=~Q(kind="restricted")
                | ~Q(restriction_project="", restriction_region_prefix="", restriction_group=""),
                name="funds_account_restricted_has_restriction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_fund(self) -> bool:
        return self.kind in FUND_KINDS

    @property
    def restriction(self) -> dict:
        return {
            "project": self.restriction_project,
            "region_prefix": self.restriction_region_prefix,
            "group": self.restriction_group,
        }


class Period(models.Model):
    """An accounting month of a unit. Once locked, no entry dated in it is accepted (code and database)."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    locked = models.BooleanField(_("locked"), default=False)
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("accounting period")
        verbose_name_plural = _("accounting periods")
        constraints = [
            # `month` is always the first day of the month (the services make it so).
            models.UniqueConstraint(fields=["unit", "month"], name="funds_period_unique"),
        ]


# --- the ledger ------------------------------------------------------------------------------------------


class EntryKind(models.TextChoices):
    DONATION = "donation", _("donation")
    ALLOCATION = "allocation", _("allocation")
    DISBURSEMENT = "disbursement", _("disbursement")
    REFUND = "refund", _("refund")
    REVERSAL = "reversal", _("reversal")


class LedgerEntry(_AppendOnlyModel):
    """One balanced transaction. Its lines add up to zero; it is never changed: a correction is another
    entry, of kind reversal, whose `reverses` points here (at most one per entry)."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    memo = models.CharField(_("memo"), max_length=200, blank=True, default="")
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="reversal", reverses__isnull=False) | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="funds_entry_reversal_points_back",
            )
        ]


class LedgerLine(_AppendOnlyModel):
    """One side of an entry: positive amount = debit, negative = credit."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.ForeignKey(FundAccount, on_delete=models.PROTECT, related_name="lines")
    amount_fen = models.BigIntegerField(_("amount (fen)"))

    class Meta:
        verbose_name = _("ledger line")
        verbose_name_plural = _("ledger lines")
        constraints = [models.CheckConstraint(condition=~Q(amount_fen=0), name="funds_line_not_zero")]


# --- what the entries record -----------------------------------------------------------------------------


class Channel(models.TextChoices):
    CASH = "cash", _("cash")
    TRANSFER = "transfer", _("bank transfer")
    ONLINE = "online", _("online")


class Donation(models.Model):
    """A gift, credited to a fund account: the unit's general fund (undirected) or a restricted account
    (directed to a project, a region or a group; a named fund is a restricted account named for its donor).
    The restriction is copied here as it was when the gift was made."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    donor = models.ForeignKey(Donor, null=True, blank=True, on_delete=models.PROTECT, related_name="donations")
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    provider = models.CharField(_("payment provider"), max_length=40, blank=True, default="")
    provider_txn_id = models.CharField(_("provider transaction id"), max_length=64, blank=True, default="")
    account = models.ForeignKey(FundAccount, on_delete=models.PROTECT, related_name="donations")
    directed = models.BooleanField(_("directed"), default=False)
    restriction = models.JSONField(default=dict, blank=True)
    received_on = models.DateField(_("received on"))
    receipt_declined = models.BooleanField(_("receipt declined"), default=False)
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="donation")
    # The account's inflow before this gift (FundAccount.inflow_fen when it was recorded): where the gift
    # lies among the account's gifts laid end to end. Written once, at insert.
    cum_before_fen = models.BigIntegerField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("donation")
        verbose_name_plural = _("donations")
        indexes = [models.Index(fields=["account", "cum_before_fen"], name="funds_donation_cum")]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="funds_donation_positive"),
            models.UniqueConstraint(
                fields=["provider", "provider_txn_id"],
                condition=~Q(provider_txn_id=""),
                name="funds_donation_provider_txn_unique",
            ),
        ]

    @property
    def anonymous(self) -> bool:
        return self.donor is None or self.donor.anonymous

    @property
    def named_fund(self) -> FundAccount | None:
        return self.account if self.account.named_for_id else None


class Allocation(models.Model):
    """Money assigned from a fund account to a project or campaign budget (拨付)."""

    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="allocation")
    from_account = models.ForeignKey(FundAccount, on_delete=models.PROTECT, related_name="allocations_out")
    to_account = models.ForeignKey(FundAccount, on_delete=models.PROTECT, related_name="allocations_in")
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    # Running totals written once, at insert: the fund's outflow before this allocation, and the budget's
    # inflow before it.
    out_cum_before_fen = models.BigIntegerField(editable=False)
    in_cum_before_fen = models.BigIntegerField(editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["from_account", "out_cum_before_fen"], name="funds_allocation_out_cum"),
            models.Index(fields=["to_account", "in_cum_before_fen"], name="funds_allocation_in_cum"),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="funds_allocation_positive")]


class Disbursement(models.Model):
    """Money paid from a budget to a household (发放). `source` names what asked for it (a case, a campaign
    line) so casework and campaigns can find their payments."""

    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="disbursement")
    account = models.ForeignKey(FundAccount, on_delete=models.PROTECT, related_name="disbursements")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    source = models.CharField(_("source"), max_length=60, blank=True, default="")
    # The budget's outflow before this payment (a running total written once, at insert).
    cum_before_fen = models.BigIntegerField(editable=False)

    class Meta:
        indexes = [models.Index(fields=["account", "cum_before_fen"], name="funds_disbursement_cum")]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="funds_disbursement_positive")]


class Refund(models.Model):
    """Part or all of a gift given back to its donor, from the account the gift was credited to."""

    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="refund")
    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="refunds")
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="funds_refund_positive")]


# --- receipts --------------------------------------------------------------------------------------------


class ReceiptCounter(models.Model):
    """The last receipt number of a unit and year; taken under a row lock so numbers have no gaps."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="funds_receipt_counter_unique")]


class Receipt(models.Model):
    """A donation receipt (公益事业捐赠票据). Once issued its content never changes; it can only be withdrawn,
    once, with a reason — the number stays taken, so the sequence keeps no gaps."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    donation = models.ForeignKey(Donation, on_delete=models.PROTECT, related_name="receipts")
    donor_name = models.CharField(_("donor"), max_length=100)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    issued_on = models.DateField(_("issued on"))
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_reason = models.CharField(_("reason for withdrawal"), max_length=200, blank=True, default="")

    objects = _AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        constraints = [
            models.UniqueConstraint(fields=["unit", "year", "number"], name="funds_receipt_number_unique"),
            models.UniqueConstraint(
                fields=["donation"], condition=Q(withdrawn_at__isnull=True), name="funds_receipt_one_valid"
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawn_reason=""), name="funds_receipt_withdrawn_reason"
            ),
        ]

    def save(self, *args, **kwargs):
        # An issued receipt only ever gains its withdrawal (receipt_withdraw saves exactly those fields).
        if self.pk is not None and set(kwargs.get("update_fields") or ()) != _WITHDRAWAL_FIELDS:
            raise AppendOnly(_("An issued receipt cannot be changed; withdraw it with a reason."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly(_("An issued receipt cannot be deleted; withdraw it with a reason."))

    @property
    def code(self) -> str:
        return f"{self.year}-{self.number:06d}"


_WITHDRAWAL_FIELDS = {"withdrawn_at", "withdrawn_by", "withdrawn_reason"}


# --- online gifts ----------------------------------------------------------------------------------------


class OrderStatus(models.TextChoices):
    CREATED = "created", _("awaiting payment")
    PAID = "paid", _("paid")
    FAILED = "failed", _("payment failed")


class PaymentOrder(models.Model):
    """An online gift a donor asked to pay: what the payment provider is told to collect, and what its
    signed callback must match. Once paid it points at the recorded gift. `reference` is the order id the
    provider sees and the donor's link to the result page: random, so it cannot be guessed."""

    reference = models.CharField(_("order"), max_length=40, unique=True)
    unit = models.ForeignKey("accounts.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    # A restricted fund the donor chose (a directed gift); none: the unit's general fund.
    account = models.ForeignKey(
        FundAccount, verbose_name=_("fund"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    donor_name = models.CharField(_("name"), max_length=100, blank=True, default="")
    anonymous = models.BooleanField(_("anonymous"), default=False)
    consent_to_name = models.BooleanField(_("consents to be named"), default=False)
    alias = models.CharField(_("alias"), max_length=60, blank=True, default="")
    provider = models.CharField(_("payment provider"), max_length=40)
    status = models.CharField(_("status"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.CREATED)
    donation = models.OneToOneField(
        Donation, null=True, blank=True, on_delete=models.PROTECT, related_name="payment_order"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payment order")
        verbose_name_plural = _("payment orders")
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="funds_order_positive"),
            models.CheckConstraint(
                condition=Q(status="paid", donation__isnull=False) | (~Q(status="paid") & Q(donation__isnull=True)),
                name="funds_order_paid_has_donation",
            ),
            models.CheckConstraint(
                condition=~Q(anonymous=True, consent_to_name=True), name="funds_order_anonymous_not_named"
            ),
        ]


# --- drives, the honor wall and disclosure ---------------------------------------------------------------


class Drive(models.Model):
    """A fundraising drive of a unit (such as the Spring Breeze Action). Its `code` is the project code its
    money carries: every gift credited to one of the unit's funds restricted to that project is the drive's,
    and so are the allocations out of those funds and the payments out of the budgets under them. The ledger
    stays as it is; nothing is stamped on a donation (docs/funds.md, "Drives")."""

    unit = models.ForeignKey("accounts.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    # The fundraising plan is registered with the civil affairs department 10 days before the drive starts.
    plan_registered_on = models.DateField(_("plan registered on"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("fundraising drive")
        verbose_name_plural = _("fundraising drives")
        ordering = ["unit_id", "-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "code"], name="funds_drive_code_unique"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="funds_drive_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class HonorRule(models.Model):
    """What a donor must give in one drive to be on its honor wall (爱心碑), per kind of donor, from a date.
    The rule in force for a drive is the latest one valid on the day the drive starts."""

    kind = models.CharField(_("kind"), max_length=16, choices=DonorKind.choices)
    threshold_fen = models.BigIntegerField(_("threshold (fen)"))
    valid_from = models.DateField(_("valid from"))
    source = models.CharField(_("source"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("honor wall rule")
        verbose_name_plural = _("honor wall rules")
        constraints = [
            models.UniqueConstraint(fields=["kind", "valid_from"], name="funds_honorrule_unique"),
            models.CheckConstraint(condition=Q(threshold_fen__gt=0), name="funds_honorrule_positive"),
        ]


class DisclosureNote(_AppendOnlyModel):
    """A published correction of a drive's disclosure: what was wrong and what is right, with a reference to
    the figure or entry it corrects. Never edited or removed (code and database): a note is corrected by
    another note."""

    drive = models.ForeignKey(Drive, verbose_name=_("drive"), on_delete=models.PROTECT, related_name="notes")
    published_at = models.DateTimeField(_("published at"))
    text = models.TextField(_("text"))
    reference = models.CharField(_("corrects"), max_length=120)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("correction note")
        verbose_name_plural = _("correction notes")
        ordering = ["published_at", "pk"]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnly(_("A published correction note is never changed; publish another note."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly(_("A published correction note is never removed; publish another note."))


class DriveFinalReport(_AppendOnlyModel):
    """A drive's full report as published once it has ended (due within 3 months of its end, DOMAIN_RULES.md):
    the figures are a snapshot taken at publication and never change (code and database); what the ledger
    shows later is published as correction notes. One per drive."""

    drive = models.OneToOneField(Drive, verbose_name=_("drive"), on_delete=models.PROTECT, related_name="final_report")
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("due on"))
    # The report as it was published (drives.drive_final_report): amounts in fen, dates as ISO text,
    # recipients masked, donors named only with their consent.
    figures = models.JSONField(_("figures"))

    class Meta:
        verbose_name = _("final report of a drive")
        verbose_name_plural = _("final reports of drives")

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnly(_("A published final report is never changed; publish a correction note."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly(_("A published final report is never removed; publish a correction note."))


# --- gift batches, pledges and recurring gifts (funds/batches.py, funds/pledges.py) --------------------------


class GiftBatch(models.Model):
    """Offline gifts recorded together: an uploaded file (xlsx or CSV) or rows typed on the batch page. All
    of its rows were recorded in one transaction, or none was. The same content (SHA-256) is loaded once per
    unit; a second upload is refused naming this batch."""

    unit = models.ForeignKey("accounts.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(_("file"), max_length=200)
    content_sha256 = models.CharField(_("SHA-256"), max_length=64)
    row_count = models.PositiveIntegerField(_("rows"))
    total_fen = models.BigIntegerField(_("total (fen)"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("batch of gifts")
        verbose_name_plural = _("batches of gifts")
        ordering = ["-pk"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "content_sha256"], name="funds_giftbatch_content_unique"),
        ]


class GiftBatchItem(models.Model):
    """A gift of a batch, with the row it came from (the file's row number; the header is row 1)."""

    batch = models.ForeignKey(GiftBatch, on_delete=models.PROTECT, related_name="items")
    row = models.PositiveIntegerField(_("row"))
    donation = models.OneToOneField(Donation, on_delete=models.PROTECT, related_name="batch_item")

    class Meta:
        ordering = ["batch_id", "row"]
        constraints = [models.UniqueConstraint(fields=["batch", "row"], name="funds_giftbatchitem_row_unique")]


class PledgeStatus(models.TextChoices):
    OPEN = "open", _("open")
    CANCELLED = "cancelled", _("cancelled")


class Pledge(models.Model):
    """A donor's promise to give (认捐): an amount to a fund of the unit, optionally for a drive and in
    instalments by dates. A pledge is not money: nothing of it is in the ledger. Only the gifts linked to it
    are, and they are what it has received."""

    unit = models.ForeignKey("accounts.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    donor = models.ForeignKey(Donor, verbose_name=_("donor"), on_delete=models.PROTECT, related_name="pledges")
    account = models.ForeignKey(FundAccount, verbose_name=_("fund"), on_delete=models.PROTECT, related_name="+")
    drive = models.ForeignKey(
        Drive, verbose_name=_("drive"), null=True, blank=True, on_delete=models.PROTECT, related_name="pledges"
    )
    amount_fen = models.BigIntegerField(_("promised (fen)"))
    pledged_on = models.DateField(_("pledged on"))
    memo = models.CharField(_("memo"), max_length=200, blank=True, default="")
    status = models.CharField(_("status"), max_length=16, choices=PledgeStatus.choices, default=PledgeStatus.OPEN)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="funds_pledge_positive"),
            models.CheckConstraint(
                condition=Q(status="open") | ~Q(cancel_reason=""), name="funds_pledge_cancel_reason"
            ),
        ]


class PledgeInstalment(models.Model):
    """A part of a pledge due by a date. The instalments of a pledge add up to its amount."""

    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="instalments")
    due_on = models.DateField(_("due on"))
    amount_fen = models.BigIntegerField(_("amount (fen)"))

    class Meta:
        ordering = ["pledge_id", "due_on", "pk"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="funds_instalment_positive")]


class PledgeGift(models.Model):
    """A gift that fulfils (part of) a pledge. A gift fulfils at most one pledge."""

    pledge = models.ForeignKey(Pledge, on_delete=models.PROTECT, related_name="gifts")
    donation = models.OneToOneField(Donation, on_delete=models.PROTECT, related_name="pledge_gift")
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField(auto_now_add=True)


class RecurringStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    PAUSED = "paused", _("paused")
    STOPPED = "stopped", _("stopped")


class RecurringGift(models.Model):
    """A donor's standing instruction (定期捐赠): an amount each month, on a day, to a fund, from a start to an
    optional end. Each due date makes a payment order with the online provider (`zhongfu daily`); the gift is
    recorded only when the provider's callback says it was paid."""

    unit = models.ForeignKey("accounts.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    # A restricted fund (directed); none: the general fund, as for any online gift.
    account = models.ForeignKey(
        FundAccount, verbose_name=_("fund"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    donor_name = models.CharField(_("name"), max_length=100, blank=True, default="")
    anonymous = models.BooleanField(_("anonymous"), default=False)
    consent_to_name = models.BooleanField(_("consents to be named"), default=False)
    alias = models.CharField(_("alias"), max_length=60, blank=True, default="")
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    # 1 to 28, so that every month has the day.
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    provider = models.CharField(_("payment provider"), max_length=40)
    status = models.CharField(
        _("status"), max_length=16, choices=RecurringStatus.choices, default=RecurringStatus.ACTIVE
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("recurring gift")
        verbose_name_plural = _("recurring gifts")
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="funds_recurring_positive"),
            models.CheckConstraint(condition=Q(day_of_month__gte=1, day_of_month__lte=28), name="funds_recurring_day"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")), name="funds_recurring_dates"
            ),
            models.CheckConstraint(
                condition=~Q(anonymous=True, consent_to_name=True), name="funds_recurring_anonymous_not_named"
            ),
        ]


class RecurringCharge(models.Model):
    """The payment order made for one month of a standing instruction: at most one per month."""

    instruction = models.ForeignKey(RecurringGift, on_delete=models.PROTECT, related_name="charges")
    month = models.DateField(_("month"))  # the first day of the month
    due_on = models.DateField(_("due on"))
    order = models.OneToOneField(PaymentOrder, on_delete=models.PROTECT, related_name="recurring_charge")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["instruction_id", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["instruction", "month"], name="funds_recurring_charge_month_unique"),
        ]


# --- reconciliation and donor inquiries (docs/funds.md, "Bank reconciliation", "Donor inquiries") ---------


class BankStatement(models.Model):
    """A bank statement of one of a unit's bank accounts for a period, as the officer uploaded it. Its lines
    are matched to the account's ledger lines; matching writes nothing to the ledger. The same file is
    taken once per account (its SHA-256), and a period of an account is covered by one statement."""

    unit = models.ForeignKey("accounts.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(
        FundAccount, verbose_name=_("bank account"), on_delete=models.PROTECT, related_name="statements"
    )
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    opening_balance_fen = models.BigIntegerField(_("opening balance (fen)"))
    closing_balance_fen = models.BigIntegerField(_("closing balance (fen)"))
    file_name = models.CharField(_("file"), max_length=200)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-period_end", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["account", "sha256"], name="funds_statement_once"),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="funds_statement_period_ordered"
            ),
        ]


class StatementLineStatus(models.TextChoices):
    UNMATCHED = "unmatched", _("unmatched")
    MATCHED = "matched", _("matched")
    EXPLAINED = "explained", _("explained")


class MatchHow(models.TextChoices):
    NONE = "", _("—")
    REFERENCE = "reference", _("by reference")
    AMOUNT_DATE = "amount_date", _("by amount and date")
    MANUAL = "manual", _("by hand")
    GIFT = "gift", _("recorded as a gift")


class BankStatementLine(models.Model):
    """One movement on the statement: signed fen as the bank sees it (+ money in, − money out), which is
    the sign of the bank account's ledger line. Matched to at most one ledger line, and a ledger line to
    at most one statement line (the database holds it)."""

    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    row = models.PositiveIntegerField(_("row"))
    date = models.DateField(_("date"))
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    counterparty = models.CharField(_("counterparty"), max_length=100, blank=True, default="")
    reference = models.CharField(_("bank reference"), max_length=64, blank=True, default="")
    memo = models.CharField(_("memo"), max_length=200, blank=True, default="")
    status = models.CharField(
        _("status"), max_length=16, choices=StatementLineStatus.choices, default=StatementLineStatus.UNMATCHED
    )
    how = models.CharField(_("matched"), max_length=16, choices=MatchHow.choices, blank=True, default="")
    ledger_line = models.ForeignKey(
        LedgerLine, null=True, blank=True, on_delete=models.PROTECT, related_name="statement_lines"
    )
    # How many ledger lines fitted by amount and date when the automatic match left it: 0 none, 2+ ambiguous.
    candidates = models.PositiveSmallIntegerField(default=0)
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("bank statement line")
        verbose_name_plural = _("bank statement lines")
        ordering = ["statement_id", "row"]
        constraints = [
            models.UniqueConstraint(
                fields=["ledger_line"], condition=Q(ledger_line__isnull=False), name="funds_statement_line_one_match"
            ),
            models.CheckConstraint(condition=~Q(amount_fen=0), name="funds_statement_line_not_zero"),
            models.CheckConstraint(
                condition=Q(status="matched", ledger_line__isnull=False)
                | (~Q(status="matched") & Q(ledger_line__isnull=True)),
                name="funds_statement_line_matched_has_line",
            ),
            models.CheckConstraint(
                condition=~Q(status="explained") | ~Q(note=""), name="funds_statement_line_explained_note"
            ),
        ]


class InquiryRule(models.Model):
    """How many calendar days a donor's question about the use of funds may wait for its answer, from a date
    (a local rule; 20 days shipped). The rule for a question is the latest valid on the day it was received."""

    days = models.PositiveSmallIntegerField(_("days to answer"))
    valid_from = models.DateField(_("valid from"), unique=True)
    source = models.CharField(_("source"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("inquiry deadline rule")
        verbose_name_plural = _("inquiry deadline rules")
        constraints = [models.CheckConstraint(condition=Q(days__gt=0), name="funds_inquiryrule_positive")]


class InquiryChannel(models.TextChoices):
    ONLINE = "online", _("on the trace page")
    PHONE = "phone", _("by phone")
    LETTER = "letter", _("by letter")
    VISIT = "visit", _("in person")


class Inquiry(models.Model):
    """A donor's question about the use of their gift (捐赠人询问), due on `received_on` + the rule's days;
    an answer closes it and the donor reads it on the gift's trace link. Asked online, it has no recorder."""

    unit = models.ForeignKey("accounts.Unit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    donation = models.ForeignKey(Donation, verbose_name=_("gift"), on_delete=models.PROTECT, related_name="inquiries")
    channel = models.CharField(_("asked"), max_length=16, choices=InquiryChannel.choices)
    question = models.TextField(_("question"))
    received_on = models.DateField(_("received on"))
    due_on = models.DateField(_("due on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answer = models.TextField(_("answer"), blank=True, default="")
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("donor inquiry")
        verbose_name_plural = _("donor inquiries")
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(due_on__gte=F("received_on")), name="funds_inquiry_due_after"),
            models.CheckConstraint(
                condition=Q(answered_on__isnull=True, answer="") | (Q(answered_on__isnull=False) & ~Q(answer="")),
                name="funds_inquiry_answer_dated",
            ),
        ]
        indexes = [models.Index(fields=["unit", "answered_on", "due_on"], name="funds_inquiry_open_idx")]

    @property
    def is_open(self) -> bool:
        return self.answered_on is None

    @property
    def answered_on_time(self) -> bool:
        return self.answered_on is not None and self.answered_on <= self.due_on
