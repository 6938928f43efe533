"""Display of parameter values and policy metadata."""

from django import template
from django.utils.translation import gettext_lazy as _

from zhongfu.common.money import fen_to_yuan_text

register = template.Library()

AID_TYPE_LABELS = {
    "baseline": _("baseline assistance"),
    "expenditure": _("expenditure-based assistance"),
    "emergency": _("emergency assistance"),
    "development": _("development assistance"),
    "care": _("care services"),
}
UNIT_SUFFIX = {"fen": _("yuan"), "months": _("months"), "years": _("years"), "days": _("days"), "m2": "m²"}


@register.filter
def param_value(value, unit):
    """A stored parameter value as people read it: 130000 fen → "1,300.00 元", 0.3 → "0.3"."""
    if value is None:
        return ""
    if unit == "fen":
        return f"{fen_to_yuan_text(value)} {UNIT_SUFFIX['fen']}"
    if unit in UNIT_SUFFIX:
        return f"{value} {UNIT_SUFFIX[unit]}"
    return f"{value:g}" if isinstance(value, float) else str(value)


@register.filter
def aid_type_label(code):
    return AID_TYPE_LABELS.get(code, code)


@register.filter
def status_class(status):
    return {
        "approved": "success",
        "proposed": "warning",
        "rejected": "danger",
        "withdrawn": "secondary",
        "superseded": "light",
    }.get(status, "secondary")
