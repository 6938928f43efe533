"""Forms of the screening pages."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhongfu.common.errors import InvalidInput
from zhongfu.common.money import yuan_to_fen
from zhongfu.common.web import StyledFormMixin


class SimulationForm(StyledFormMixin, forms.Form):
    """A new value for one parameter. Money is typed in yuan and becomes fen; ratios stay as they are."""

    parameter = forms.ChoiceField(label=_("parameter"))
    value = forms.CharField(label=_("new value"), max_length=20, help_text=_("Money in yuan, e.g. 1400.00"))
    as_of = forms.DateField(
        label=_("as if in force on"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args, parameters: list[tuple[str, str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        # parameters: (key, label, unit)
        self.units = {key: unit for key, _label, unit in parameters}
        self.fields["parameter"].choices = [(key, f"{label}（{key}）") for key, label, _unit in parameters]
        self.fields["as_of"].initial = timezone.localdate()

    def cleaned_value(self):
        unit = self.units.get(self.cleaned_data["parameter"])
        text = self.cleaned_data["value"].strip().replace(",", "")
        try:
            if unit == "fen":
                return yuan_to_fen(text, field="value")
            if unit == "ratio":
                return float(text)
            return int(text)
        except (ValueError, ArithmeticError):
            raise InvalidInput(_("Enter a number."), field="value") from None
