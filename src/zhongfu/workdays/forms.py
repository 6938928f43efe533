"""Forms parse input only; the rules (who may, which kinds on which days) live in services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zhongfu.common.web import StyledFormMixin

from .models import DayKind

MAX_LIMIT_DAYS = 1000  # about four years of working days: far beyond any legal time limit


class DayForm(StyledFormMixin, forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[(DayKind.HOLIDAY, DayKind.HOLIDAY.label), (DayKind.WORKDAY, DayKind.WORKDAY.label)]
    )
    name = forms.CharField(label=_("Holiday"), max_length=40, help_text=_("for example 春节"))
    source = forms.CharField(label=_("Source"), max_length=200, required=False)
    reason = forms.CharField(label=_("Reason for the change"), max_length=200)


class RemoveForm(StyledFormMixin, forms.Form):
    date = forms.DateField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason for the change"), max_length=200)


class LimitForm(StyledFormMixin, forms.Form):
    start = forms.DateField(label=_("Start date"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    days = forms.IntegerField(label=_("Working days"), min_value=0, max_value=MAX_LIMIT_DAYS)
