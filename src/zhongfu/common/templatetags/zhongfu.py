from django import template

from zhongfu.common.money import fen_to_yuan_text
from zhongfu.common.personal_data import mask_name

register = template.Library()


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
