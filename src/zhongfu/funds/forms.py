"""Forms of the funds pages. They parse what a person types; the rules are the services'. An amount is
typed in yuan and parsed exactly to fen by `services.parse_yuan`."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhongfu.common.errors import InvalidInput
from zhongfu.common.web import StyledFormMixin

from . import services
from .models import AccountKind, Channel, DonorKind

# A date input sends and shows ISO dates whatever the page's language (in Chinese Django would render
# "2026/11/23", which the browser's date input rejects, leaving a preset date empty).
_DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class _YuanField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        try:
            return services.parse_yuan(value)
        except InvalidInput as e:
            raise forms.ValidationError(str(e)) from None


class GiftForm(StyledFormMixin, forms.Form):
    donor = forms.ModelChoiceField(
        queryset=None, required=False, label=_("donor"), empty_label=_("— anonymous, or a new donor below —")
    )
    donor_kind = forms.ChoiceField(choices=[("", "—"), *DonorKind.choices], required=False, label=_("new donor: kind"))
    donor_name = forms.CharField(max_length=100, required=False, label=_("new donor: name"))
    donor_uscc = forms.CharField(max_length=30, required=False, label=_("unified social credit code"))
    donor_anonymous = forms.BooleanField(required=False, label=_("anonymous"))
    donor_consent_to_name = forms.BooleanField(required=False, label=_("consents to be named"))
    donor_alias = forms.CharField(max_length=60, required=False, label=_("alias"))
    amount = _YuanField(max_length=40, label=_("amount (yuan)"))
    channel = forms.ChoiceField(
        choices=[(Channel.CASH, Channel.CASH.label), (Channel.TRANSFER, Channel.TRANSFER.label)]
    )
    account = forms.ModelChoiceField(
        queryset=None, required=False, label=_("fund"), empty_label=_("General fund (undirected)")
    )
    received_on = forms.DateField(label=_("received on"), widget=_DATE)
    bank_reference = forms.CharField(max_length=64, required=False, label=_("bank reference"))
    receipt_declined = forms.BooleanField(required=False, label=_("receipt declined"))
    memo = forms.CharField(max_length=200, required=False, label=_("memo"))

    def __init__(self, *args, donors, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["donor"].queryset = donors
        self.fields["account"].queryset = accounts.exclude(kind=AccountKind.GENERAL)
        self.fields["channel"].label = _("channel")
        self.initial.setdefault("received_on", timezone.localdate())

    def clean(self):
        data = super().clean()
        # A typed name without a kind would otherwise be dropped silently and the gift recorded as anonymous.
        if not data.get("donor") and not data.get("donor_kind") and (data.get("donor_name") or data.get("donor_uscc")):
            self.add_error("donor_kind", _("Choose whether the new donor is a person or an organisation."))
        return data

    def new_donor(self) -> dict | None:
        data = self.cleaned_data
        if data.get("donor") or not data.get("donor_kind"):
            return None
        return {
            "kind": data["donor_kind"],
            "name": data["donor_name"],
            "uscc": data["donor_uscc"],
            "anonymous": data["donor_anonymous"],
            "consent_to_name": data["donor_consent_to_name"],
            "alias": data["donor_alias"],
        }


class AllocationForm(StyledFormMixin, forms.Form):
    from_account = forms.ModelChoiceField(queryset=None, label=_("from the fund"))
    to_account = forms.ModelChoiceField(queryset=None, label=_("to the budget"))
    amount = _YuanField(max_length=40, label=_("amount (yuan)"))
    date = forms.DateField(label=_("date"), widget=_DATE)
    memo = forms.CharField(max_length=200, required=False, label=_("memo"))

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_account"].queryset = accounts.filter(kind__in=[AccountKind.GENERAL, AccountKind.RESTRICTED])
        self.fields["to_account"].queryset = accounts.filter(kind=AccountKind.BUDGET)
        self.initial.setdefault("date", timezone.localdate())


class ReasonForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(max_length=200, label=_("reason"))


class GiveForm(StyledFormMixin, forms.Form):
    """A donor's online gift (no login): the amount, a name or anonymous, and optionally a restricted fund."""

    amount = _YuanField(max_length=40, label=_("amount (yuan)"))
    donor_name = forms.CharField(max_length=100, required=False, label=_("your name"))
    anonymous = forms.BooleanField(required=False, label=_("give anonymously"))
    consent_to_name = forms.BooleanField(required=False, label=_("my name may be shown publicly"))
    alias = forms.CharField(max_length=60, required=False, label=_("alias"))
    account = forms.ModelChoiceField(
        queryset=None, required=False, label=_("for"), empty_label=_("Wherever it is most needed (general fund)")
    )

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts.filter(kind=AccountKind.RESTRICTED)


def _date_field(label):
    return forms.DateField(label=label, widget=_DATE)


class DriveForm(StyledFormMixin, forms.Form):
    code = forms.CharField(max_length=40, label=_("code (the project code of its funds)"))
    name = forms.CharField(max_length=100, label=_("name"))
    starts_on = _date_field(_("starts on"))
    ends_on = _date_field(_("ends on"))
    plan_registered_on = _date_field(_("plan registered on"))


class NoteForm(StyledFormMixin, forms.Form):
    reference = forms.CharField(max_length=120, label=_("corrects (figure or entry)"))
    text = forms.CharField(max_length=2000, label=_("correction"), widget=forms.Textarea(attrs={"rows": 4}))


class DisbursementForm(StyledFormMixin, forms.Form):
    """A payment to a household from a budget, the household given by its number."""

    account = forms.ModelChoiceField(queryset=None, label=_("from the budget"))
    household = forms.CharField(max_length=32, label=_("household number"))
    amount = _YuanField(max_length=40, label=_("amount (yuan)"))
    date = forms.DateField(label=_("date"), widget=_DATE)
    memo = forms.CharField(max_length=200, required=False, label=_("memo"))

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts.filter(kind=AccountKind.BUDGET)
        self.initial.setdefault("date", timezone.localdate())


# --- reconciliation and donor inquiries (funds/reconciliation.py, funds/inquiries.py) ---------------------


class _SignedYuanField(forms.CharField):
    """A balance in yuan, which may be zero or below zero ('-1,200.50'), as fen."""

    def clean(self, value):
        value = (super().clean(value) or "").strip().replace(",", "")
        negative = value.startswith(("-", "−"))
        digits = value.lstrip("+-−")
        if digits.strip("0.") == "":
            return 0
        try:
            fen = services.parse_yuan(digits)
        except InvalidInput as e:
            raise forms.ValidationError(str(e)) from None
        return -fen if negative else fen


class StatementForm(StyledFormMixin, forms.Form):
    account = forms.ModelChoiceField(queryset=None, label=_("bank account"), empty_label=None)
    period_start = _date_field(_("from"))
    period_end = _date_field(_("to"))
    opening_balance = _SignedYuanField(max_length=40, label=_("opening balance on the statement (yuan)"))
    closing_balance = _SignedYuanField(max_length=40, label=_("closing balance on the statement (yuan)"))
    file = forms.FileField(label=_("statement (.xlsx or .csv)"))

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts


class NoteLineForm(StyledFormMixin, forms.Form):
    note = forms.CharField(max_length=200, label=_("explanation"))


class LineGiftForm(StyledFormMixin, forms.Form):
    account = forms.ModelChoiceField(
        queryset=None, required=False, label=_("fund"), empty_label=_("General fund (undirected)")
    )
    donor = forms.ModelChoiceField(queryset=None, required=False, label=_("donor"), empty_label=_("— anonymous —"))

    def __init__(self, *args, accounts, donors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts.exclude(kind=AccountKind.GENERAL)
        self.fields["donor"].queryset = donors


class InquiryRecordForm(StyledFormMixin, forms.Form):
    donation = forms.IntegerField(min_value=1, label=_("gift number"))
    channel = forms.ChoiceField(choices=[], label=_("asked"))
    received_on = _date_field(_("received on"))
    question = forms.CharField(max_length=1000, label=_("question"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        from .models import InquiryChannel

        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [c for c in InquiryChannel.choices if c[0] != InquiryChannel.ONLINE]
        self.initial.setdefault("received_on", timezone.localdate())


class AnswerForm(StyledFormMixin, forms.Form):
    answer = forms.CharField(max_length=2000, label=_("answer"), widget=forms.Textarea(attrs={"rows": 5}))


class AskForm(StyledFormMixin, forms.Form):
    question = forms.CharField(
        max_length=1000, label=_("your question about the use of this gift"), widget=forms.Textarea(attrs={"rows": 3})
    )


# --- batches of gifts, pledges and recurring gifts (funds/batches.py, funds/pledges.py) ----------------------


# Dates shown as ISO whatever the page's language (the browser's date input takes only that).
_ISO_DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class GiftBatchUploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(label=_("Spreadsheet (.xlsx) or CSV file (UTF-8)"))


def _parse_instalments(text: str) -> list:
    """One instalment a line: a date and an amount in yuan ("2026-06-30 5000")."""
    out = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        parts = line.replace(",", " ").replace("，", " ").split()
        if not parts:
            continue
        if len(parts) != 2:
            raise forms.ValidationError(_("Line %(n)s: write a date and an amount, e.g. 2026-06-30 5000.") % {"n": n})
        try:
            due = forms.DateField().clean(parts[0])
            fen = services.parse_yuan(parts[1])
        except (forms.ValidationError, InvalidInput) as e:
            message = e.messages[0] if isinstance(e, forms.ValidationError) else str(e)
            raise forms.ValidationError(_("Line %(n)s: %(message)s") % {"n": n, "message": message}) from None
        out.append((due, fen))
    return out


class PledgeForm(StyledFormMixin, forms.Form):
    donor = forms.ModelChoiceField(queryset=None, label=_("donor"))
    amount = _YuanField(max_length=40, label=_("amount promised (yuan)"))
    pledged_on = forms.DateField(label=_("pledged on"), widget=_ISO_DATE)
    account = forms.ModelChoiceField(
        queryset=None, required=False, label=_("fund"), empty_label=_("General fund (undirected)")
    )
    drive = forms.ModelChoiceField(queryset=None, required=False, label=_("drive"))
    instalments = forms.CharField(
        required=False,
        label=_("instalments (optional): one a line, date and amount in yuan"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2026-06-30 5000"}),
    )
    memo = forms.CharField(max_length=200, required=False, label=_("memo"))

    def __init__(self, *args, donors, accounts, drives, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["donor"].queryset = donors
        self.fields["account"].queryset = accounts.exclude(kind=AccountKind.GENERAL)
        self.fields["drive"].queryset = drives
        self.initial.setdefault("pledged_on", timezone.localdate())

    def clean_instalments(self):
        return _parse_instalments(self.cleaned_data.get("instalments", ""))


class PledgeLinkForm(StyledFormMixin, forms.Form):
    donation = forms.ModelChoiceField(queryset=None, label=_("gift"))

    def __init__(self, *args, gifts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["donation"].queryset = gifts


class RecurringForm(StyledFormMixin, forms.Form):
    donor_name = forms.CharField(max_length=100, required=False, label=_("donor's name"))
    anonymous = forms.BooleanField(required=False, label=_("anonymous"))
    consent_to_name = forms.BooleanField(required=False, label=_("consents to be named"))
    alias = forms.CharField(max_length=60, required=False, label=_("alias"))
    amount = _YuanField(max_length=40, label=_("amount each month (yuan)"))
    day_of_month = forms.IntegerField(min_value=1, max_value=28, label=_("day of the month (1 to 28)"))
    starts_on = forms.DateField(label=_("starts on"), widget=_ISO_DATE)
    ends_on = forms.DateField(required=False, label=_("ends on (optional)"), widget=_ISO_DATE)
    account = forms.ModelChoiceField(
        queryset=None, required=False, label=_("fund"), empty_label=_("General fund (undirected)")
    )

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts.filter(kind=AccountKind.RESTRICTED)
        self.initial.setdefault("starts_on", timezone.localdate())
