"""Households and the people in them.

A person is an active member of exactly one household at a time (a partial unique constraint);
moving, splitting and merging end one membership and start another, so the history stays.
ID numbers and phones are held encrypted with a keyed lookup hash and a masked form beside them.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class AreaType(models.TextChoices):
    URBAN = "urban", _("urban")
    RURAL = "rural", _("rural")


class HukouType(models.TextChoices):
    REGISTERED = "registered", _("registered (local hukou)")
    RESIDENT = "resident", _("resident (non-local hukou)")


class AssistanceClass(models.TextChoices):
    """Current enrolment; casework sets it from decisions, the demo city seeds it."""

    NONE = "", _("none")
    DIBAO = "dibao", _("minimum living guarantee (dibao)")
    MARGINAL = "marginal", _("near-dibao (marginal)")
    EXTREME_POVERTY = "extreme_poverty", _("extreme poverty (tekun)")
    EXPENDITURE_POVERTY = "expenditure_poverty", _("expenditure poverty")


class Household(models.Model):
    number = models.CharField(_("household number"), max_length=32, unique=True)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("community"), on_delete=models.PROTECT, related_name="households"
    )
    address = models.CharField(_("address"), max_length=200)
    area_type = models.CharField(_("urban or rural"), max_length=8, choices=AreaType.choices)
    hukou_type = models.CharField(_("hukou"), max_length=12, choices=HukouType.choices)
    assistance_class = models.CharField(
        _("assistance class"), max_length=24, choices=AssistanceClass.choices, blank=True, default=""
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["number"]
        permissions = [
            ("import_households", "Can import households from a spreadsheet"),
            ("unmask_personal_data", "Can see unmasked ID numbers and phones (logged)"),
        ]

    def __str__(self) -> str:
        return self.number


class LabourCapacity(models.TextChoices):
    FULL = "full", _("able to work")
    PARTIAL = "partial", _("partly able to work")
    NONE = "none", _("unable to work")


class DisabilityCategory(models.TextChoices):
    NONE = "", _("none")
    VISUAL = "visual", _("visual")
    HEARING = "hearing", _("hearing")
    SPEECH = "speech", _("speech")
    PHYSICAL = "physical", _("physical")
    INTELLECTUAL = "intellectual", _("intellectual")
    MENTAL = "mental", _("mental")
    MULTIPLE = "multiple", _("multiple")


class SchoolEnrolment(models.TextChoices):
    NONE = "", _("not in school")
    PRESCHOOL = "preschool", _("preschool")
    PRIMARY = "primary", _("primary school")
    JUNIOR = "junior", _("junior secondary")
    SENIOR = "senior", _("senior secondary")
    VOCATIONAL = "vocational", _("vocational school")
    HIGHER = "higher", _("higher education")


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


class Person(models.Model):
    name = models.CharField(_("name"), max_length=64, db_index=True)
    id_number_enc = models.TextField(editable=False)
    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    id_number_masked = models.CharField(_("ID number"), max_length=18, editable=False)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    phone_enc = models.TextField(blank=True, editable=False)
    phone_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True, editable=False)
    labour_capacity = models.CharField(
        _("labour capacity"), max_length=8, choices=LabourCapacity.choices, default=LabourCapacity.FULL
    )
    disability_category = models.CharField(
        _("disability category"), max_length=16, choices=DisabilityCategory.choices, blank=True, default=""
    )
    disability_grade = models.PositiveSmallIntegerField(_("disability grade"), null=True, blank=True)
    serious_illness = models.BooleanField(_("serious illness"), default=False)
    elderly_living_alone = models.BooleanField(_("elderly living alone"), default=False)
    child_in_difficulty = models.BooleanField(_("child in difficulty"), default=False)
    school_enrolment = models.CharField(
        _("school enrolment"), max_length=12, choices=SchoolEnrolment.choices, blank=True, default=""
    )
    deceased_on = models.DateField(_("date of death"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.CheckConstraint(
                condition=Q(disability_grade__isnull=True) | Q(disability_grade__gte=1, disability_grade__lte=4),
                name="person_disability_grade_1_to_4",
            ),
        ]

    def __str__(self) -> str:
        return self.id_number_masked


class Relation(models.TextChoices):
    HEAD = "head", _("head of household")
    SPOUSE = "spouse", _("spouse")
    CHILD = "child", _("child")
    PARENT = "parent", _("parent")
    GRANDCHILD = "grandchild", _("grandchild")
    GRANDPARENT = "grandparent", _("grandparent")
    SIBLING = "sibling", _("sibling")
    OTHER = "other", _("other")


class Membership(models.Model):
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    relation = models.CharField(_("relation to the head"), max_length=12, choices=Relation.choices)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(end_date__isnull=True), name="one_active_household_per_person"
            ),
            models.UniqueConstraint(
                fields=["household"],
                condition=Q(end_date__isnull=True, relation="head"),
                name="one_active_head_per_household",
            ),
        ]


class IncomeType(models.TextChoices):
    WAGE = "wage", _("wages")
    BUSINESS = "business", _("business income")
    PROPERTY = "property", _("property income")
    PENSION = "pension", _("pension")
    TRANSFER = "transfer", _("transfers and support")
    OTHER = "other", _("other income")


class Income(models.Model):
    """A person's monthly income of one type, in fen."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="incomes")
    kind = models.CharField(_("income type"), max_length=12, choices=IncomeType.choices)
    monthly_fen = models.BigIntegerField(_("monthly amount (fen)"))

    class Meta:
        verbose_name = _("income")
        verbose_name_plural = _("incomes")
        constraints = [
            models.UniqueConstraint(fields=["person", "kind"], name="one_income_per_type"),
            models.CheckConstraint(condition=Q(monthly_fen__gte=0), name="income_not_negative"),
        ]


class AssetKind(models.TextChoices):
    VEHICLE = "vehicle", _("vehicle")
    HOME = "home", _("home")
    COMPANY_ROLE = "company_role", _("company role")
    DEPOSIT = "deposit", _("deposits and securities")


class CompanyRole(models.TextChoices):
    LEGAL_REPRESENTATIVE = "legal_representative", _("legal representative")
    MANAGER = "manager", _("manager")
    SHAREHOLDER = "shareholder", _("shareholder")


class Asset(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="assets")
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="assets")
    kind = models.CharField(_("asset"), max_length=16, choices=AssetKind.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    value_fen = models.BigIntegerField(_("value (fen)"), default=0)
    floor_area_m2 = models.PositiveIntegerField(_("floor area (m²)"), null=True, blank=True)
    acquired_on = models.DateField(_("acquired on"), null=True, blank=True)
    # Vehicles the 低保 rules exempt: the only working vehicle, or a disability vehicle.
    is_exempt_vehicle = models.BooleanField(_("exempt vehicle (working or disability)"), default=False)
    company_uscc = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    company_role = models.CharField(_("company role"), max_length=24, choices=CompanyRole.choices, blank=True)

    class Meta:
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        constraints = [models.CheckConstraint(condition=Q(value_fen__gte=0), name="asset_value_not_negative")]


class ExpenseKind(models.TextChoices):
    MEDICAL = "medical", _("medical (out of pocket)")
    EDUCATION = "education", _("education")


class Expense(models.Model):
    """A rigid expense of the household for one year, in fen."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="expenses")
    person = models.ForeignKey(Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="expenses")
    kind = models.CharField(_("expense"), max_length=12, choices=ExpenseKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    annual_fen = models.BigIntegerField(_("amount for the year (fen)"))

    class Meta:
        verbose_name = _("expense")
        verbose_name_plural = _("expenses")
        constraints = [models.CheckConstraint(condition=Q(annual_fen__gte=0), name="expense_not_negative")]
