"""Monitoring pages. Thin: scope through the registry's selectors, one selector, render."""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render

from zhongfu.common.errors import NotFound
from zhongfu.common.web import get_or_404
from zhongfu.registry.selectors import household_get_for_user

from .api import language
from .scoring import household_risk


@login_required
@permission_required("registry.view_household", raise_exception=True)
def household_risk_panel(request, household_id: int):
    """One household's risk score with the reason for every point; says plainly that it only advises."""
    household = get_or_404(household_get_for_user, user=request.user, household_id=household_id)
    try:
        risk = household_risk(household)
    except NotFound:  # no model approved yet: the page says so rather than failing
        risk = None
    lang = language()
    context = {
        "household": household,
        "risk": risk,
        "lines": risk.explanation[lang] if risk else [],
        "tier_label": (risk.tier_label.get(lang) or risk.tier_label.get("zh", "")) if risk and risk.tier else "",
    }
    return render(request, "monitoring/household_risk.html", context)
