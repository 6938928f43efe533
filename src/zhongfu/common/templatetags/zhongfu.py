from django import template
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from zhongfu.common.money import fen_to_yuan_text
from zhongfu.common.personal_data import mask_name

register = template.Library()

# Responsible units named by policies (policy metadata `unit`), as the public knows them.
UNIT_LABELS = {
    "civil_affairs": _("civil affairs bureau"),
    "medical_security": _("medical security bureau"),
    "education": _("education bureau"),
    "housing": _("housing security bureau"),
    "human_resources": _("human resources and social security bureau"),
    "disabled_federation": _("disabled persons' federation"),
    "trade_union": _("trade union federation (Spring Breeze office)"),
    "red_cross": _("Red Cross"),
    "women_federation": _("women's federation"),
    "charity_federation": _("charity federation"),
    "youth_league": _("youth league"),
}
LEVEL_LABELS = {
    "city": _("decided by the city"),
    "district": _("decided by the district"),
    "street": _("decided by the street"),
}
PERIOD_LABELS = {"monthly": _("per month"), "one_off": _("once"), "yearly": _("per year")}


@register.filter
def unit_label(code):
    return UNIT_LABELS.get(code, code)


@register.filter
def level_label(code):
    return LEVEL_LABELS.get(code, code)


@register.filter
def period_label(code):
    return PERIOD_LABELS.get(code, code)


@register.filter
def localized(names):
    """A {"zh": …, "en": …} name in the page's language."""
    if not isinstance(names, dict):
        return names
    key = "en" if (get_language() or "").startswith("en") else "zh"
    return names.get(key) or names.get("zh") or ""


@register.filter
def yuan_plain(fen):
    """Fen as a plain yuan number for a form field: 140000 → 1400.00."""
    return fen_to_yuan_text(fen).replace(",", "")


@register.filter
def yuan(fen):
    """Integer fen shown as yuan: 130000 → 1,300.00."""
    return fen_to_yuan_text(fen)


@register.filter
def masked_name(name):
    return mask_name(name)


@register.simple_tag(takes_context=True)
def query_with(context, **kwargs):
    """The current query string with some parameters replaced (for pagination links)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        params[key] = value
    return params.urlencode()


# Fields of audit snapshots that hold a person's name: shown masked like everywhere else.
_NAME_KEYS = {"name"}


def _field_label(object_type: str, key: str) -> str:
    """The verbose name of the audited field, so history reads in the user's language."""
    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist

    model = {
        "household": "Household",
        "person": "Person",
        "income": "Income",
        "asset": "Asset",
        "expense": "Expense",
    }.get(object_type)
    if model:
        try:
            field = apps.get_model("registry", model)._meta.get_field(key)
            return str(getattr(field, "verbose_name", key))
        except FieldDoesNotExist:  # snapshot keys that are not model fields, e.g. "relation"
            pass
    return key


@register.filter
def audit_changes(entry):
    """(field, before, after) rows for an audit entry, names masked, unchanged fields left out."""
    before, after = entry.before or {}, entry.after or {}
    rows = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if key.endswith("_hash") or (entry.before and entry.after and old == new):
            continue
        if key in _NAME_KEYS:
            old, new = mask_name(old or "") or None, mask_name(new or "") or None
        rows.append((_field_label(entry.object_type, key), old, new))
    return rows
