"""Labels of case events and of the financial check's items, in the page's language."""

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

ACTION_LABELS = {
    "open": _("case opened"),
    "accept": _("application accepted"),
    "financial_check": _("financial check recorded"),
    "home_survey": _("home survey recorded"),
    "review": _("community review recorded"),
    "publish_notice": _("public notice published"),
    "publish": _("publish the notice"),
    "objection_received": _("objection received from the public"),
    "objection": _("objection recorded, back to re-investigation"),
    "decide_approve": _("approved"),
    "decide_refuse": _("refused"),
    "decide": _("decide"),
    "notify": _("notification recorded"),
    "extend": _("limit extended"),
    "withdraw": _("withdrawn"),
    "appeal_lodge": _("appeal lodged"),
    "appeal_upheld": _("appeal decided: decision upheld"),
    "appeal_reopened": _("appeal decided: case reopened"),
    "reopen": _("case reopened"),
    "terminate": _("terminated"),
}
FORM_TITLES = {
    "accept": _("Accept the application"),
    "financial_check": _("Financial check"),
    "home_survey": _("Home survey"),
    "review": _("Community review"),
    "publish_notice": _("Publish the public notice"),
    "objection": _("Record an objection"),
    "decide": _("Decision"),
    "notify": _("Notification of the decision"),
    "extend": _("Extend the limit (once)"),
    "withdraw": _("Withdraw"),
    "appeal_lodge": _("Record an appeal"),
    "appeal_decide": _("Decide the appeal"),
    "reopen": _("Reopen the case"),
}
ITEM_LABELS = {
    "monthly_income": _("monthly income of the household (yuan)"),
    "financial_assets": _("deposits and securities (yuan)"),
    "vehicles": _("vehicles"),
    "company_roles": _("company roles"),
    "homes": _("homes"),
    "home_floor_area": _("floor area of the homes (m²)"),
}
MONEY_ITEMS = {"monthly_income", "financial_assets"}


@register.filter
def case_action(code):
    return ACTION_LABELS.get(code, code)


@register.filter
def form_title(code):
    return FORM_TITLES.get(code, code)


@register.filter
def check_item(code):
    return ITEM_LABELS.get(code, code)


@register.simple_tag
def check_value(item, value):
    """A declared or department figure: money in yuan, counts as they are, unknown as a dash."""
    from zhongfu.common.money import fen_to_yuan_text

    if value is None:
        return "—"
    return fen_to_yuan_text(value) if item in MONEY_ITEMS else value


@register.filter
def step_label(code):
    from zhongfu.casework.models import Step

    try:
        return Step(code).label
    except ValueError:
        return code


@register.filter
def policy_name(code):
    """A policy's name in the page's language, from its code."""
    from zhongfu.policies import selectors as policy_selectors

    return policy_selectors.policy_names().get(code, code)
