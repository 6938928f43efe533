"""Forms of the payments pages: they parse what was typed; the rules (and their messages) live in services."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhongfu.common.errors import InvalidInput
from zhongfu.common.money import yuan_to_fen
from zhongfu.common.personal_data import mask_name
from zhongfu.common.web import StyledFormMixin

from .models import Received


class MonthField(forms.CharField):
    """A month typed as YYYY-MM (the browser's month input), cleaned to its first day."""

    def clean(self, value):
        value = super().clean(value)
        try:
            return dt.date.fromisoformat(f"{value.strip()}-01")
        except ValueError:
            raise forms.ValidationError(_("Enter a month as YYYY-MM.")) from None


class PrepareForm(StyledFormMixin, forms.Form):
    month = MonthField(label=_("month"), max_length=7, widget=forms.TextInput(attrs={"type": "month"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].initial = f"{timezone.localdate():%Y-%m}"


class ResultsForm(StyledFormMixin, forms.Form):
    file = forms.FileField(label=_("results file from the bank (.xlsx or .csv)"))


class PayeeAccountForm(StyledFormMixin, forms.Form):
    payee_id = forms.TypedChoiceField(label=_("payee"), coerce=int)
    bank_name = forms.CharField(label=_("bank"), max_length=60)
    # Lengths and digits are checked by the service, which names the field in its message.
    account_number = forms.CharField(
        label=_("account number"), max_length=60, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Current members only, names masked like everywhere else in the staff pages.
        self.fields["payee_id"].choices = [(m.person_id, mask_name(m.person.name)) for m in members]


class YuanField(forms.CharField):
    """Yuan typed on the phone, cleaned to fen; empty stays None (nothing confirmed)."""

    def clean(self, value):
        value = super().clean(value)
        if value in ("", None):
            return None
        try:
            return yuan_to_fen(value, field="amount_confirmed_fen")
        except InvalidInput as e:
            raise forms.ValidationError(str(e)) from None


class CallbackForm(forms.Form):
    """Made for a phone: big yes/no buttons and a 1–5 row; the service says what an answered call needs."""

    reached = forms.TypedChoiceField(
        label=_("reached the household?"),
        choices=[("yes", _("yes")), ("no", _("no, call again"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    received = forms.ChoiceField(
        label=_("received the money?"), choices=Received.choices, required=False, widget=forms.RadioSelect
    )
    amount_confirmed = YuanField(
        label=_("amount confirmed (yuan)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "form-control form-control-lg"}),
    )
    satisfaction = forms.TypedChoiceField(
        label=_("satisfaction"),
        choices=[(str(n), str(n)) for n in range(1, 6)],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label=_("notes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )
