"""Forms of the enrolment pages: yuan typed by people, fen stored; every rule lives in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zhongfu.casework.forms import OptionalYuanField
from zhongfu.common.web import StyledFormMixin

from .models import ReviewOutcome

MONTH = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
MONTH_FORMATS = ["%Y-%m", "%Y-%m-%d"]


class MonthField(forms.DateField):
    """A month (<input type=month>, "2026-12"), cleaned to its first day."""

    def __init__(self, **kw):
        super().__init__(widget=MONTH, input_formats=MONTH_FORMATS, **kw)

    def clean(self, value):
        value = super().clean(value)
        return value.replace(day=1) if value else value


class ReviewForm(StyledFormMixin, forms.Form):
    outcome = forms.ChoiceField(label=_("outcome"), choices=ReviewOutcome.choices)
    amount = OptionalYuanField(
        label=_("amount a month (yuan)"),
        required=False,
        help_text=_("The new amount, or the amount paid during the gradual exit. Empty: the engine's amount."),
    )
    exit_months = forms.IntegerField(label=_("gradual exit (months)"), min_value=1, max_value=24, required=False)
    effective_month = MonthField(label=_("effective from"), required=False, help_text=_("Next month if empty."))
    notes = forms.CharField(
        label=_("notes"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when terminating or departing from the engine's advice."),
    )


class EnrolmentForm(StyledFormMixin, forms.Form):
    action = forms.ChoiceField(
        label=_("change"),
        choices=[("suspend", _("suspend")), ("resume", _("resume")), ("terminate", _("terminate"))],
    )
    effective_month = MonthField(label=_("effective from"), required=False, help_text=_("Next month if empty."))
    reason = forms.CharField(label=_("reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class RecoveryForm(StyledFormMixin, forms.Form):
    amount = OptionalYuanField(label=_("amount to recover (yuan)"))
    months_from = MonthField(label=_("from month"))
    months_to = MonthField(label=_("to month"))
    reason = forms.CharField(label=_("reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class SettleForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=[("repaid", _("repaid")), ("written_off", _("written off"))])
    note = forms.CharField(label=_("note"), max_length=2000, required=False)
