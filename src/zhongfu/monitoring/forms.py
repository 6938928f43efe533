"""Forms of the warning pages: filters of the list, the close form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zhongfu.common.web import StyledFormMixin
from zhongfu.feeds.schemas import FEED_CHOICES

from .models import Tier, WarningKind, WarningOutcome, WarningStatus
from .warning_selectors import DUE_FILTERS

DUE_LABELS = {"overdue": _("overdue"), "due": _("due today or earlier"), "open": _("any due date")}


class WarningFilterForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("kind"), required=False, choices=[("", _("every kind")), *WarningKind.choices])
    tier = forms.ChoiceField(label=_("tier"), required=False, choices=[("", _("every tier")), *Tier.choices])
    status = forms.ChoiceField(
        label=_("status"), required=False, choices=[("", _("not closed")), *WarningStatus.choices]
    )
    due = forms.ChoiceField(
        label=_("due"),
        required=False,
        choices=[("", _("any due date"))] + [(key, DUE_LABELS[key]) for key in DUE_FILTERS if key != "open"],
    )


class WarningCloseForm(StyledFormMixin, forms.Form):
    outcome = forms.ChoiceField(label=_("outcome"), choices=WarningOutcome.choices, widget=forms.RadioSelect)
    application = forms.TypedChoiceField(label=_("application"), required=False, coerce=int, empty_value=None)
    note = forms.CharField(
        label=_("note"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Helped: the referral (to whom, for what). Data wrong: what is wrong — the department is told."),
    )
    feedback_feed = forms.ChoiceField(
        label=_("department data to correct"), required=False, choices=[("", "—"), *FEED_CHOICES]
    )

    def __init__(self, *args, applications=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].choices = [("", "—")] + [(a.pk, a.number) for a in applications]


URGENCY = [
    ("red", _("urgent: needs help within days")),
    ("orange", _("soon: within a week or two")),
    ("yellow", _("not pressing: within a month")),
]


class DiscoveryForm(StyledFormMixin, forms.Form):
    """A discovery report: a household found by the search, or a free-text address and the community."""

    household = forms.TypedChoiceField(
        label=_("household"), required=False, coerce=int, empty_value=None, widget=forms.RadioSelect
    )
    address = forms.CharField(
        label=_("address"),
        required=False,
        max_length=200,
        help_text=_("Only when the household is not in the registry: where the person lives."),
    )
    community = forms.ChoiceField(label=_("community"), required=False)
    seen = forms.CharField(
        label=_("what you saw"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Who needs help and why, in plain words."),
    )
    tier = forms.ChoiceField(label=_("how urgent"), choices=URGENCY, widget=forms.RadioSelect)

    def __init__(self, *args, households=(), communities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].choices = [("", _("not in the registry"))] + [
            (h.pk, f"{h.number} · {h.address} · {h.region.name}") for h in households
        ]
        self.fields["community"].choices = [("", "—")] + [(r.code, r.name) for r in communities]
