"""The audit log. Rows are never updated or deleted: the database refuses it (triggers, see the
migration) and each row's hash covers the previous row's hash, so any edit breaks the chain."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("create")
        UPDATE = "update", _("update")
        DELETE = "delete", _("delete")
        UNMASK = "unmask", _("unmask personal data")
        IMPORT = "import", _("import")
        GENERATE = "generate", _("generate demo data")
        MOVE = "move", _("move member")
        # Maker-checker: a change is proposed by one administrator and approved or rejected by another.
        PROPOSE = "propose", _("propose")
        APPROVE = "approve", _("approve")
        REJECT = "reject", _("reject")
        WITHDRAW = "withdraw", _("withdraw")
        SCREEN = "screen", _("screen against the policies")
        RUN = "run", _("start a batch run")
        ISSUE = "issue", _("issue")
        REVOKE = "revoke", _("revoke")
        VIEW = "view", _("view")

    seq = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey("accounts.User", verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT)
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=40)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    # The household the change belongs to, so a household's history is one indexed query.
    household_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    region_code = models.CharField(_("region"), max_length=12, blank=True, db_index=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.seq} {self.action} {self.object_type}:{self.object_id}"

    @property
    def object_type_label(self) -> str:
        return str(OBJECT_TYPE_LABELS.get(self.object_type, self.object_type))

    @property
    def actor_label(self) -> str:
        return (self.actor.display_name if self.actor_id and self.actor.display_name else "") or self.actor_name


# What the audited object types are called on pages; apps that audit new types add theirs here.
OBJECT_TYPE_LABELS = {
    "household": _("household"),
    "person": _("person"),
    "income": _("income"),
    "asset": _("asset"),
    "expense": _("expense"),
    "demo_city": _("demo city"),
    "household_import": _("household import"),
    "parameter_value": _("parameter value"),
    "policy_version": _("policy version"),
    "screening": _("screening"),
    "screening_run": _("screening run"),
    "application": _("application"),
    "household_code": _("household code"),
    "benefit_list": _("benefit list"),
    "calendar_day": _("calendar day"),
    "case": _("case"),
    "visit": _("visit"),
    "visit_rule": _("visit rule"),
    "demo_visits": _("demo visits"),
    "demo_cases": _("demo cases"),
    "case_review": _("case review"),
    "enrolment_change": _("enrolment change"),
    "recovery": _("recovery"),
    "feed_batch": _("department data batch"),
    "risk_model_version": _("risk model version"),
    "monitoring_run": _("monitoring run"),
    "warning": _("warning"),
    "donor": _("donor"),
    "fund_account": _("fund account"),
    "donation": _("donation"),
    "receipt": _("receipt"),
    "allocation": _("allocation"),
    "disbursement": _("disbursement"),
    "refund": _("refund"),
    "ledger_entry": _("ledger entry"),
    "accounting_period": _("accounting period"),
    "payment_order": _("payment order"),
    "drive": _("fundraising drive"),
    "disclosure_note": _("correction note"),
    "gift_batch": _("gift batch"),
    "pledge": _("pledge"),
    "recurring_gift": _("recurring gift"),
    "bank_statement": _("bank statement"),
    "bank_statement_line": _("bank statement line"),
    "donor_inquiry": _("donor inquiry"),
    "drive_final_report": _("final report of a drive"),
}
