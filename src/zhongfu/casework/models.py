"""Applications: one application (一件事) covers every policy the household asked for.

This is the start of casework: an application is recorded with its policies and the stored
determinations it was based on. The case workflow (check, survey, notice, decision, payment) builds
on ApplicationPolicy, one per policy, each routed to the unit and level the policy names.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .attachments import attachment_storage


class Channel(models.TextChoices):
    SELF_SERVICE = "self_service", _("by the household online")
    WORKER = "worker", _("by a worker on the household's behalf")


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    WITHDRAWN = "withdrawn", _("withdrawn")
    CLOSED = "closed", _("closed")


class Application(models.Model):
    number = models.CharField(_("application number"), max_length=32, unique=True)
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="applications")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED
    )
    # The stored screening the application was made from: its determinations explain each policy.
    screening = models.ForeignKey("screening.Screening", on_delete=models.PROTECT, related_name="applications")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    # Consent to the financial check (核对授权): who in the household gave it, when, and the worker who
    # recorded it (empty when the household applied itself). No financial check runs without it.
    consent_by = models.CharField(_("consent given by"), max_length=60, blank=True)
    consent_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-submitted_at", "-id"]


class ApplicationPolicy(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="policies")
    policy_code = models.CharField(_("policy"), max_length=64)
    determination = models.ForeignKey("screening.Determination", on_delete=models.PROTECT, related_name="+")
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    period = models.CharField(_("period"), max_length=16)
    # Where the case goes: the policy's responsible unit and the level that decides.
    unit = models.CharField(_("responsible unit"), max_length=32)
    deciding_level = models.CharField(_("deciding level"), max_length=16)

    class Meta:
        ordering = ["application", "id"]
        constraints = [models.UniqueConstraint(fields=["application", "policy_code"], name="one_line_per_policy")]


class DeclaredRelation(models.Model):
    """The household's declaration, at application time, that a member is related to a staff or committee
    member (against 优亲厚友): that person may not act on the household's cases, and the county visits."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="declared_relations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    relation = models.CharField(_("relation"), max_length=100)

    class Meta:
        ordering = ["application", "id"]


class CaseStatus(models.TextChoices):
    OPEN = "open", _("open")
    APPROVED = "approved", _("approved")
    REFUSED = "refused", _("refused")
    WITHDRAWN = "withdrawn", _("withdrawn")


class Step(models.TextChoices):
    """Every step a procedure may use, in the order they happen; a policy's procedure picks some."""

    ACCEPTANCE = "acceptance", _("acceptance")
    FINANCIAL_CHECK = "financial_check", _("financial check")
    HOME_SURVEY = "home_survey", _("home survey")
    COMMUNITY_REVIEW = "community_review", _("community review")
    PUBLIC_NOTICE = "public_notice", _("public notice")
    DECISION = "decision", _("decision")
    NOTIFICATION = "notification", _("notification")
    PAYMENT_PENDING = "payment_pending", _("payment pending")
    CLOSED = "closed", _("closed")


class Case(models.Model):
    """One policy of one application, on its way through the procedure the policy names (workflow.yaml).

    `procedure` is the configuration in force when the case opened, kept with the case so a later change to
    workflow.yaml never moves a running case's deadlines. `version` is bumped by every write: a form that
    posts an older version is refused (CaseChanged) instead of overwriting a colleague's work."""

    number = models.CharField(_("case number"), max_length=32, unique=True)
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="cases")
    line = models.OneToOneField(ApplicationPolicy, on_delete=models.PROTECT, related_name="case")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="cases")
    policy_code = models.CharField(_("policy"), max_length=64)
    unit = models.CharField(_("responsible unit"), max_length=32)
    deciding_level = models.CharField(_("deciding level"), max_length=16)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    period = models.CharField(_("period"), max_length=16, blank=True)
    step = models.CharField(_("step"), max_length=20, choices=Step.choices, default=Step.ACCEPTANCE)
    status = models.CharField(_("status"), max_length=12, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    procedure = models.JSONField(default=dict)
    opened_on = models.DateField(_("opened"))
    accepted_on = models.DateField(_("accepted"), null=True, blank=True)
    step_started_on = models.DateField(_("step started"))
    step_due_on = models.DateField(_("step due"), null=True, blank=True)
    # The overall limit, counted in working days from acceptance (empty until accepted).
    due_on = models.DateField(_("decision due"), null=True, blank=True)
    extended_to = models.DateField(_("extended to"), null=True, blank=True)
    extension_reason = models.CharField(_("reason for the extension"), max_length=500, blank=True)
    # The nearest date something is due (step or overall limit): what the worker's lists sort and filter on.
    next_due_on = models.DateField(_("due"), null=True, blank=True, db_index=True)
    notice_starts_on = models.DateField(_("notice starts"), null=True, blank=True)
    notice_ends_on = models.DateField(_("notice ends"), null=True, blank=True)
    notice_round = models.PositiveSmallIntegerField(default=0)
    surveyed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_on = models.DateField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_late = models.BooleanField(_("decided late"), default=False)
    refusal_reasons = models.TextField(_("reasons for refusal"), blank=True)
    payment_from = models.DateField(_("payment from"), null=True, blank=True)
    # A relationship to staff was declared: the county visits the home itself.
    county_visit_required = models.BooleanField(_("county home visit required"), default=False)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["next_due_on", "id"]
        indexes = [models.Index(fields=["status", "next_due_on"])]

    def __str__(self) -> str:
        return self.number

    @property
    def deadline(self):
        """The overall limit in force: the extension if there is one."""
        return self.extended_to or self.due_on


class CaseEvent(models.Model):
    """Append-only history of a case (the database refuses updates and deletes, see migration 0003)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    step = models.CharField(_("step"), max_length=20, choices=Step.choices)
    action = models.CharField(_("action"), max_length=24)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    data = models.JSONField(default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["case", "at", "id"]


class CaseAttachment(models.Model):
    """A file of the home survey. Type and size are checked on its content before it is stored."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="attachments")
    event = models.ForeignKey(CaseEvent, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to="casework/%Y/%m/", max_length=200, storage=attachment_storage)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)


class Objection(models.Model):
    """An objection to a public notice, from the public page or taken by a worker (phone, in person)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="objections")
    notice_round = models.PositiveSmallIntegerField()
    name = models.CharField(_("name (optional)"), max_length=40, blank=True)
    contact = models.CharField(_("contact"), max_length=60)
    text = models.TextField(_("objection"))
    received_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled = models.BooleanField(default=False)

    class Meta:
        ordering = ["case", "received_at", "id"]


class AppealAgainst(models.TextChoices):
    REFUSAL = "refusal", _("a refusal")
    TERMINATION = "termination", _("a termination")


class AppealOutcome(models.TextChoices):
    PENDING = "pending", _("pending")
    UPHELD = "upheld", _("decision upheld")
    REOPENED = "reopened", _("case reopened")


class Appeal(models.Model):
    """An appeal against a refusal or a termination of a case, lodged within the procedure's time limit and
    decided by someone other than the one who made the decision: upheld, or the case is reopened at a step.

    `decision_event` is the case event of the decision appealed against: one appeal per decision (a case that
    is reopened and refused again can be appealed again)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="appeals")
    decision_event = models.OneToOneField(CaseEvent, on_delete=models.PROTECT, related_name="appeal")
    against = models.CharField(_("against"), max_length=12, choices=AppealAgainst.choices)
    lodged_on = models.DateField(_("lodged on"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    # The worker who recorded it (a letter, a visit); empty when the household lodged it itself.
    lodged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    grounds = models.TextField(_("grounds of the appeal"))
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=AppealOutcome.choices, default=AppealOutcome.PENDING, db_index=True
    )
    reopen_step = models.CharField(_("reopened at the step"), max_length=20, choices=Step.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_on = models.DateField(_("decided"), null=True, blank=True)
    reasons = models.TextField(_("reasons of the appeal decision"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "lodged_on", "id"]
        constraints = [
            # An appeal is decided by someone, on a day, with reasons; a pending one has none of these.
            models.CheckConstraint(
                condition=models.Q(outcome="pending", decided_on__isnull=True)
                | (~models.Q(outcome="pending") & models.Q(decided_on__isnull=False)),
                name="appeal_decided_has_a_date",
            ),
        ]
