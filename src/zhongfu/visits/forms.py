"""Forms of the visits pages: they parse; the rules live in services."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhongfu.common.web import StyledFormMixin

from .models import HouseholdClass, VisitKind, VisitOutcome


class VisitForm(forms.Form):
    """Made for a phone: big radio buttons for kind and outcome, the date defaulting to today."""

    visited_on = forms.DateField(
        label=_("visit date"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date", "class": "form-control form-control-lg"}),
    )
    kind = forms.ChoiceField(
        label=_("kind of visit"), choices=VisitKind.choices, initial=VisitKind.HOME, widget=forms.RadioSelect
    )
    # Not required here: the service refuses a missing outcome with its own message, naming the field.
    outcome = forms.ChoiceField(
        label=_("outcome"), choices=VisitOutcome.choices, required=False, widget=forms.RadioSelect
    )
    needs = forms.CharField(
        label=_("needs found"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
    )
    notes = forms.CharField(
        label=_("notes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )
    follow_up = forms.BooleanField(
        label=_("follow-up needed"), required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visited_on"].initial = timezone.localdate()
        self.fields["visited_on"].widget.attrs["max"] = timezone.localdate().isoformat()


class RuleForm(StyledFormMixin, forms.Form):
    household_class = forms.ChoiceField(label=_("household class"), choices=HouseholdClass.choices)
    # Bounds are the service's: it names the field in its message.
    interval_days = forms.IntegerField(label=_("interval (days)"))
    valid_from = forms.DateField(
        label=_("valid from"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    label = forms.CharField(label=_("label"), required=False, max_length=100)
    active = forms.BooleanField(label=_("active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["valid_from"].initial = timezone.localdate()
