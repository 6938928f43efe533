from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from zhongfu.accounts.roles import REPORT_DISCOVERY, VIEW_HOUSEHOLD

from . import services


@login_required
def home(request):
    """The start page is the first thing the user's role works with: households, else the unit's books."""
    from zhongfu.funds.services import can_keep_books

    if request.user.has_perm(VIEW_HOUSEHOLD):
        return redirect("registry:household_list")
    if can_keep_books(request.user):
        return redirect("funds:index")
    if request.user.has_perm(REPORT_DISCOVERY):  # a volunteer: their own discovery reports
        return redirect("monitoring:discovery_mine")
    return redirect("accounts:profile")


@login_required
def profile(request):
    token = None
    if request.method == "POST":
        if "revoke" in request.POST:
            services.api_token_revoke(user=request.user, token_id=int(request.POST["revoke"]))
            messages.success(request, _("The token was revoked."))
            return redirect("accounts:profile")
        token = services.api_token_create(user=request.user, name=(request.POST.get("name") or "api")[:64])
    tokens = request.user.api_tokens.filter(revoked_at__isnull=True).order_by("-created_at")
    return render(request, "accounts/profile.html", {"tokens": tokens, "new_token": token})
