"""The donor's questions and answers on the gift's trace page, and the form to ask one (funds/inquiries.py).
An inclusion tag so the trace page (views.trace_signed) needs no change beyond including it."""

from django import template

from zhongfu.funds import inquiries, tokens
from zhongfu.funds.forms import AskForm

register = template.Library()


@register.inclusion_tag("funds/_donor_inquiries.html", takes_context=True)
def donor_inquiries(context, donation):
    return {
        "donation": donation,
        "items": inquiries.inquiries_for_donor(donation),
        "token": tokens.sign(donation.pk),
        "form": context.get("ask_form") or AskForm(),
        "error": context.get("ask_error", ""),
        "csrf_token": context.get("csrf_token"),
        "days": inquiries.days_for(donation.received_on),
    }
