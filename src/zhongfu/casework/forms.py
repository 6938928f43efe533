"""Forms of the case pages. Each step form carries the case version the user saw (`expected_version`), so a
colleague's change in between is reported instead of overwritten. Rules live in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zhongfu.common.errors import InvalidInput
from zhongfu.common.money import yuan_to_fen
from zhongfu.common.web import StyledFormMixin

from .case_services import REVIEW_OUTCOMES


class OptionalYuanField(forms.CharField):
    """Yuan typed by the worker, cleaned to fen; empty means "no department data" (None), not zero."""

    def clean(self, value):
        value = super().clean(value)
        if value in ("", None):
            return None
        try:
            return yuan_to_fen(value)
        except InvalidInput as e:
            raise forms.ValidationError(str(e)) from None


class StepForm(StyledFormMixin, forms.Form):
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class AcceptForm(StepForm):
    note = forms.CharField(label=_("note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class FinancialCheckForm(StepForm):
    monthly_income = OptionalYuanField(label=_("monthly income of the household (yuan)"), required=False)
    financial_assets = OptionalYuanField(label=_("deposits and securities (yuan)"), required=False)
    vehicles = forms.IntegerField(label=_("vehicles"), min_value=0, max_value=99, required=False)
    company_roles = forms.IntegerField(label=_("company roles"), min_value=0, max_value=99, required=False)
    homes = forms.IntegerField(label=_("homes"), min_value=0, max_value=99, required=False)
    home_floor_area = forms.IntegerField(label=_("floor area of the homes (m²)"), min_value=0, required=False)
    sources = forms.CharField(
        label=_("department data used"), max_length=200, required=False, help_text=_("e.g. 人社 2026-10, 不动产登记")
    )
    note = forms.CharField(label=_("note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    ITEMS = ("monthly_income", "financial_assets", "vehicles", "company_roles", "homes", "home_floor_area")

    def department(self) -> dict:
        return {item: self.cleaned_data.get(item) for item in self.ITEMS}


class HomeSurveyForm(StepForm):
    living_conditions = forms.CharField(
        label=_("living conditions"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    notes = forms.CharField(label=_("notes"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(StepForm):
    outcome = forms.ChoiceField(
        label=_("outcome of the review"),
        choices=list(zip(REVIEW_OUTCOMES, (_("agreed"), _("not agreed")), strict=True)),
    )
    minutes = forms.CharField(label=_("minutes"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class PublishForm(StepForm):
    pass


class ObjectionForm(StepForm):
    text = forms.CharField(label=_("objection"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    objection_id = forms.IntegerField(widget=forms.HiddenInput, required=False)


class DecideForm(StepForm):
    decision = forms.ChoiceField(
        label=_("decision"),
        choices=[("approve", _("approve with the amount shown")), ("refuse", _("refuse"))],
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(
        label=_("reasons (required for a refusal)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class NotifyForm(StepForm):
    method = forms.CharField(label=_("how the household was notified"), max_length=100)
    note = forms.CharField(label=_("note"), max_length=2000, required=False)


class ExtendForm(StepForm):
    reason = forms.CharField(
        label=_("reason for the extension"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class WithdrawForm(StepForm):
    reason = forms.CharField(label=_("reason"), max_length=500)


class AppealLodgeForm(StepForm):
    grounds = forms.CharField(
        label=_("grounds of the appeal"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    lodged_on = forms.DateField(
        label=_("received on"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
        help_text=_("The day the appeal letter or visit was received; empty: today."),
    )


class _ReopenStepMixin:
    """`reopen_to` offers the steps of this case's procedure where it may start again (`steps`)."""

    def __init__(self, *args, steps=(), **kwargs):
        super().__init__(*args, **kwargs)
        from .models import Step

        self.fields["reopen_to"].choices = [("", "—")] + [(s, Step(s).label) for s in steps]


class AppealDecideForm(_ReopenStepMixin, StepForm):
    outcome = forms.ChoiceField(
        label=_("outcome of the appeal"),
        choices=[("upheld", _("uphold the decision")), ("reopened", _("reopen the case"))],
        widget=forms.RadioSelect,
    )
    reopen_to = forms.ChoiceField(label=_("start again at the step (when reopened)"), required=False, choices=())
    reasons = forms.CharField(label=_("reasons"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class ReopenForm(_ReopenStepMixin, StepForm):
    reopen_to = forms.ChoiceField(label=_("start again at the step"), choices=())
    reason = forms.CharField(label=_("reason for reopening"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


# The forms whose choices depend on the case (the steps it may be reopened at).
REOPEN_FORMS = ("appeal_decide", "reopen")


class PublicObjectionForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("your name (optional)"), max_length=40, required=False)
    contact = forms.CharField(label=_("phone or address"), max_length=60)
    text = forms.CharField(label=_("your objection"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


# Each action of case_services.case_step and its form.
ACTIONS = {
    "accept": AcceptForm,
    "financial_check": FinancialCheckForm,
    "home_survey": HomeSurveyForm,
    "review": ReviewForm,
    "publish_notice": PublishForm,
    "objection": ObjectionForm,
    "decide": DecideForm,
    "notify": NotifyForm,
    "extend": ExtendForm,
    "withdraw": WithdrawForm,
    "appeal_lodge": AppealLodgeForm,
    "appeal_decide": AppealDecideForm,
    "reopen": ReopenForm,
}


class DeclaredRelationForm(StyledFormMixin, forms.Form):
    """One relationship the household declares to a staff or committee member (against 优亲厚友)."""

    username = forms.CharField(label=_("staff member (login)"), max_length=150, required=False)
    relation = forms.CharField(label=_("relationship"), max_length=100, required=False)

    def clean(self):
        data = super().clean()
        if bool(data.get("username")) != bool(data.get("relation")):
            raise forms.ValidationError(_("Name the staff member and the relationship."))
        return data


DeclaredRelationFormSet = forms.formset_factory(DeclaredRelationForm, extra=2, max_num=5, absolute_max=5)


class ConsentForm(StyledFormMixin, forms.Form):
    """The household's consent to the check of its income and assets (核对授权), asked before it applies."""

    consent = forms.BooleanField(
        label=_("The household consents to the check of its income and assets with the departments that hold them."),
        required=True,
        error_messages={"required": _("The household must consent to the check of its income and assets.")},
    )
    consent_by = forms.CharField(label=_("consent given by (name)"), max_length=60)


class SelfApplyForm(ConsentForm):
    """The household's own application: consent, and for each worker who may act on its cases an optional
    relationship (blank: none)."""

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.staff = list(staff)
        for user in self.staff:
            self.fields[f"relation_{user.pk}"] = forms.CharField(
                label=str(user.get_full_name() or user.get_username()), max_length=100, required=False
            )

    def relation_fields(self):
        return [self[f"relation_{user.pk}"] for user in self.staff]

    def relations(self) -> list:
        return [
            (user, self.cleaned_data[f"relation_{user.pk}"].strip())
            for user in self.staff
            if self.cleaned_data.get(f"relation_{user.pk}", "").strip()
        ]


class SelfAppealForm(StyledFormMixin, forms.Form):
    """The household's own appeal against a refusal or termination of one of its cases."""

    case_id = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    expected_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    grounds = forms.CharField(
        label=_("Why do you think the decision is wrong?"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Explain what was not taken into account; at least 10 characters."),
    )
