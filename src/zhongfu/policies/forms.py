"""Forms parse input only; the rules (maker-checker, units, the catalogue check) live in services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zhongfu.common.errors import InvalidInput
from zhongfu.common.money import yuan_to_fen
from zhongfu.common.web import StyledFormMixin

from .models import ParameterUnit

NEW_POLICY_TEMPLATE = """code: local_example          # lower-case identifier, never changes
name: {zh: 本地救助事项, en: Local assistance item}
aid_type: development         # baseline | expenditure | emergency | development | care
unit: civil_affairs           # responsible unit
deciding_level: district      # city | district | street
source: （政策文件名称及条款）
displaced_by: []
requires_not: []
period: one_off               # monthly | one_off | yearly
variables:
  income_test:
    label: {zh: 收入条件, en: income test}
    expr: monthly_income < 2 * p.dibao.standard * size
  eligible:
    expr: income_test
  amount:
    unit: fen
    expr: "eligible ? 50000 : 0"
criteria: [income_test]
"""


class PolicyProposalForm(StyledFormMixin, forms.Form):
    text = forms.CharField(
        label=_("Policy file (YAML)"),
        widget=forms.Textarea(attrs={"rows": 28, "spellcheck": "false", "class": "form-control font-monospace"}),
        max_length=50_000,
    )
    note = forms.CharField(label=_("Reason for the change"), max_length=500, required=False)


class RetireForm(StyledFormMixin, forms.Form):
    note = forms.CharField(label=_("Reason for the change"), max_length=500)


class ParameterValueForm(StyledFormMixin, forms.Form):
    """A value typed as people say it: yuan for money (stored as fen), a decimal for a ratio."""

    start_date = forms.DateField(
        label=_("In force from"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    value = forms.CharField(label=_("Value"), max_length=32)
    reference = forms.CharField(label=_("Legal reference"), max_length=500, required=False)
    note = forms.CharField(label=_("Reason for the change"), max_length=500, required=False)

    def __init__(self, *args, unit: str, **kwargs):
        self.unit = unit
        super().__init__(*args, **kwargs)
        if unit == ParameterUnit.FEN:
            self.fields["value"].label = _("Value (yuan)")
            self.fields["value"].widget.attrs["inputmode"] = "decimal"

    def clean_value(self):
        text = self.cleaned_data["value"].replace(",", "").replace("，", "").strip()
        try:
            if self.unit == ParameterUnit.FEN:
                return yuan_to_fen(text, field="value")
            if self.unit == ParameterUnit.RATIO:
                return float(text)
            return int(text)
        except InvalidInput as e:
            raise forms.ValidationError(str(e)) from None
        except ValueError:
            raise forms.ValidationError(
                _("Enter a number.") if self.unit == ParameterUnit.RATIO else _("Enter a whole number.")
            ) from None


class NewParameterForm(ParameterValueForm):
    """A parameter a new local policy reads, with its first value (approved like any other)."""

    key = forms.RegexField(
        label=_("Key"),
        max_length=100,
        regex=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$",
        error_messages={"invalid": _("A parameter key is lower-case words joined by dots, such as dibao.standard.")},
    )
    label_zh = forms.CharField(label=_("Label (Chinese)"), max_length=200)
    label_en = forms.CharField(label=_("Label (English)"), max_length=200, required=False)
    unit = forms.ChoiceField(label=_("Unit of measure"), choices=ParameterUnit.choices)
    field_order = ["key", "label_zh", "label_en", "unit", "start_date", "value", "reference", "note"]

    def __init__(self, *args, **kwargs):
        data = args[0] if args else kwargs.get("data")
        unit = (data or {}).get("unit") or ParameterUnit.FEN
        super().__init__(*args, unit=unit if unit in ParameterUnit.values else ParameterUnit.FEN, **kwargs)
        self.fields["value"].label = _("Value (yuan for money)")


class DecisionForm(StyledFormMixin, forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
