from django import template
from django.utils.translation import gettext as _

from zhongfu.common.money import fen_to_yuan_text

register = template.Library()


@register.filter
def benefit_amount(line) -> str:
    """'1,300.00 元/月' in words the household reads: the amount in yuan and how often it is paid."""
    if not line.amount_fen:
        return _("no cash amount (a service or help in kind)")
    amount = fen_to_yuan_text(line.amount_fen)
    if line.period == "monthly":
        return _("%(amount)s yuan a month") % {"amount": amount}
    if line.period == "yearly":
        return _("%(amount)s yuan a year") % {"amount": amount}
    if line.period == "one_off":
        return _("%(amount)s yuan, once") % {"amount": amount}
    return _("%(amount)s yuan") % {"amount": amount}
