"""Forms parse input only; the rules live in services (which raise DomainError naming the field)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zhongfu.common.errors import InvalidInput
from zhongfu.common.money import yuan_to_fen
from zhongfu.common.web import StyledFormMixin

from .models import (
    AreaType,
    AssetKind,
    CompanyRole,
    DisabilityCategory,
    ExpenseKind,
    HukouType,
    IncomeType,
    LabourCapacity,
    Relation,
    SchoolEnrolment,
)
from .services import MemberInput


class YuanField(forms.CharField):
    """An amount typed in yuan, cleaned to integer fen."""

    def clean(self, value):
        value = super().clean(value)
        if value in ("", None):
            return 0
        try:
            return yuan_to_fen(value)
        except InvalidInput as e:
            raise forms.ValidationError(str(e)) from None


class HouseholdForm(StyledFormMixin, forms.Form):
    region = forms.CharField(label=_("Community code"), max_length=12, min_length=12)
    address = forms.CharField(label=_("Address"), max_length=200)
    area_type = forms.ChoiceField(label=_("Urban or rural"), choices=AreaType.choices)
    hukou_type = forms.ChoiceField(label=_("Hukou"), choices=HukouType.choices)


class MemberForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)
    id_number = forms.CharField(label=_("ID number"), max_length=18, min_length=18)
    # No default: a member added with "add another member" must not silently become a second head.
    relation = forms.ChoiceField(label=_("Relation to the head"), choices=[("", "—"), *Relation.choices])
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    labour_capacity = forms.ChoiceField(label=_("Labour capacity"), choices=LabourCapacity.choices)
    disability_category = forms.ChoiceField(
        label=_("Disability category"), choices=DisabilityCategory.choices, required=False
    )
    disability_grade = forms.TypedChoiceField(
        label=_("Disability grade"),
        choices=[("", "—"), (1, "1"), (2, "2"), (3, "3"), (4, "4")],
        coerce=int,
        empty_value=None,
        required=False,
    )
    serious_illness = forms.BooleanField(label=_("Serious illness"), required=False)
    elderly_living_alone = forms.BooleanField(label=_("Elderly living alone"), required=False)
    child_in_difficulty = forms.BooleanField(label=_("Child in difficulty"), required=False)
    school_enrolment = forms.ChoiceField(label=_("School enrolment"), choices=SchoolEnrolment.choices, required=False)
    wage = YuanField(label=_("Monthly wages (yuan)"), required=False)
    pension = YuanField(label=_("Monthly pension (yuan)"), required=False)
    other_income = YuanField(label=_("Other monthly income (yuan)"), required=False)

    def to_member(self) -> MemberInput:
        d = self.cleaned_data
        incomes = {IncomeType.WAGE: d["wage"], IncomeType.PENSION: d["pension"], IncomeType.OTHER: d["other_income"]}
        return MemberInput(
            name=d["name"],
            id_number=d["id_number"],
            relation=d["relation"],
            phone=d.get("phone", ""),
            labour_capacity=d["labour_capacity"],
            disability_category=d.get("disability_category") or "",
            disability_grade=d.get("disability_grade"),
            serious_illness=d["serious_illness"],
            elderly_living_alone=d["elderly_living_alone"],
            child_in_difficulty=d["child_in_difficulty"],
            school_enrolment=d.get("school_enrolment") or "",
            incomes={str(k): v for k, v in incomes.items() if v},
        )


MemberFormSet = forms.formset_factory(MemberForm, extra=0, min_num=1, validate_min=True)


class PersonEditForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)
    phone = forms.CharField(label=_("Phone (leave empty to keep)"), max_length=20, required=False)
    labour_capacity = forms.ChoiceField(label=_("Labour capacity"), choices=LabourCapacity.choices)
    disability_category = forms.ChoiceField(
        label=_("Disability category"), choices=DisabilityCategory.choices, required=False
    )
    disability_grade = MemberForm.base_fields["disability_grade"]
    serious_illness = forms.BooleanField(label=_("Serious illness"), required=False)
    elderly_living_alone = forms.BooleanField(label=_("Elderly living alone"), required=False)
    child_in_difficulty = forms.BooleanField(label=_("Child in difficulty"), required=False)
    school_enrolment = forms.ChoiceField(label=_("School enrolment"), choices=SchoolEnrolment.choices, required=False)


class IncomeForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Income type"), choices=IncomeType.choices)
    monthly = YuanField(label=_("Monthly amount (yuan)"))


class AssetForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Asset"), choices=AssetKind.choices)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    value = YuanField(label=_("Value (yuan)"), required=False)
    floor_area_m2 = forms.IntegerField(label=_("Floor area (m²)"), required=False, min_value=0)
    acquired_on = forms.DateField(
        label=_("Acquired on"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    is_exempt_vehicle = forms.BooleanField(label=_("Only working vehicle or disability vehicle"), required=False)
    company_uscc = forms.CharField(label=_("Unified social credit code"), max_length=18, required=False)
    company_role = forms.ChoiceField(label=_("Company role"), choices=[("", "—"), *CompanyRole.choices], required=False)


class ExpenseForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Expense"), choices=ExpenseKind.choices)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    annual = YuanField(label=_("Amount for the year (yuan)"))


class MoveForm(StyledFormMixin, forms.Form):
    to_household = forms.CharField(label=_("Move into household number (empty: a new household)"), required=False)
    relation = forms.ChoiceField(label=_("Relation to the head there"), choices=Relation.choices)
    address = forms.CharField(label=_("Address of the new household"), max_length=200, required=False)
    on_date = forms.DateField(
        label=_("Date of the move"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )


class UnmaskForm(StyledFormMixin, forms.Form):
    field = forms.ChoiceField(choices=[("id_number", _("ID number")), ("phone", _("Phone"))])
    reason = forms.CharField(label=_("Reason"), max_length=500, min_length=2)
