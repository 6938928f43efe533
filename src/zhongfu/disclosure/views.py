"""Pages of the household code: what a scan opens (staff: the record in their scope; the household:
verification, then its benefit list), the staff pages to issue, revoke and print a code, the printable
benefit list, and the outbox. Thin: parse, call one selector or service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from zhongfu.common.errors import DomainError, NotFound, PermissionDenied
from zhongfu.common.web import get_or_404, paginate
from zhongfu.monitoring.warning_selectors import warnings_for_household_view
from zhongfu.registry.selectors import household_get_for_user

from . import access, selectors, services


def _invalid(request):
    """One answer for a forged, unknown or revoked code, and for staff outside its scope."""
    return render(request, "disclosure/invalid_code.html", status=404)


# --- scanning -----------------------------------------------------------------------------------


@never_cache
def scan(request, token: str):
    try:
        code = selectors.household_code_for_token(token)
    except NotFound:
        return _invalid(request)
    if request.user.is_authenticated:
        try:
            household = household_get_for_user(user=request.user, household_id=code.household_id)
        except NotFound:
            return _invalid(request)
        return redirect("registry:household_detail", pk=household.pk)
    if access.has_access(request, code):
        return redirect("disclosure:household_benefits", token=token)
    return _verify_page(request, token, code)


def _verify_page(request, token, code, *, error: str = "", status: int = 200):
    head = selectors.household_head(household=code.household)
    context = {
        "token": token,
        "phone_masked": head.phone_masked if head and head.phone_enc else "",
        "challenge_pending": access.pending_challenge(request, code) is not None,
        "error": error,
        "ttl_minutes": services.CHALLENGE_TTL.seconds // 60,
    }
    return render(request, "disclosure/verify.html", context, status=status)


@require_POST
def send_code(request, token: str):
    try:
        code = selectors.household_code_for_token(token)
    except NotFound:
        return _invalid(request)
    if request.user.is_authenticated:
        return redirect("disclosure:scan", token=token)
    try:
        challenge = services.verification_send(code=code)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        access.remember_challenge(request, code, challenge.pk)
        messages.success(request, _("A verification code was sent to %(phone)s.") % {"phone": challenge.phone_masked})
    return redirect("disclosure:scan", token=token)


@require_POST
def verify_code(request, token: str):
    try:
        code = selectors.household_code_for_token(token)
    except NotFound:
        return _invalid(request)
    if request.user.is_authenticated:
        return redirect("disclosure:scan", token=token)
    try:
        services.verification_check(
            code=code, challenge_id=access.pending_challenge(request, code), digits=request.POST.get("digits", "")[:16]
        )
    except DomainError as error:
        return _verify_page(request, token, code, error=str(error), status=400)
    access.grant(request, code)
    return redirect("disclosure:household_benefits", token=token)


@never_cache
def household_benefits(request, token: str):
    """The benefit list as the household sees it: only with a verified session for this code."""
    try:
        code = selectors.household_code_for_token(token)
    except NotFound:
        return _invalid(request)
    if request.user.is_authenticated or not access.has_access(request, code):
        return redirect("disclosure:scan", token=token)
    benefits = services.benefit_list_open(code=code)
    context = {
        "benefits": benefits,
        "household": code.household,
        "head": selectors.household_head(household=code.household),
        "for_household": True,
        # Why the household was contacted (PIPL Art. 24): the stored explanation of each warning, no score.
        "contacted": warnings_for_household_view(code.household),
    }
    return render(request, "disclosure/benefit_list.html", context)


# --- staff pages --------------------------------------------------------------------------------


def _household(request, pk):
    return get_or_404(household_get_for_user, user=request.user, household_id=pk)


@login_required
def code_manage(request, pk: int):
    household = _household(request, pk)
    code = selectors.household_code_active(household=household)
    url = selectors.code_url(code, request) if code else ""
    context = {
        "household": household,
        "code": code,
        "url": url,
        "qr": selectors.qr_svg(url) if code else "",
        "past_codes": household.codes.filter(revoked_at__isnull=False).select_related("revoked_by")[:20],
    }
    return render(request, "disclosure/code_manage.html", context)


def _staff_write(request, pk, fn, **kwargs):
    household = _household(request, pk)
    try:
        fn(actor=request.user, household=household, **kwargs)
    except PermissionDenied:
        raise DjangoPermissionDenied from None
    except DomainError as error:
        messages.error(request, str(error))
        return None
    return household


@login_required
@require_POST
def code_issue(request, pk: int):
    if _staff_write(request, pk, services.household_code_issue):
        messages.success(request, _("A new household code was issued. Print the card and give it to the household."))
    return redirect("disclosure:code_manage", pk=pk)


@login_required
@require_POST
def code_revoke(request, pk: int):
    reason = request.POST.get("reason", "")[:200]
    if _staff_write(request, pk, services.household_code_revoke, reason=reason):
        messages.success(request, _("The household code was revoked: it no longer opens anything."))
    return redirect("disclosure:code_manage", pk=pk)


@login_required
def code_card(request, pk: int):
    """The printable card: household number, masked head name, community, the QR code."""
    household = _household(request, pk)
    code = selectors.household_code_active(household=household)
    if code is None:
        return redirect("disclosure:code_manage", pk=pk)
    url = selectors.code_url(code, request)
    context = {
        "household": household,
        "head": selectors.household_head(household=household),
        "qr": selectors.qr_svg(url, scale=6),
        "code": code,
    }
    return render(request, "disclosure/code_card.html", context)


@login_required
def code_svg(request, pk: int):
    household = _household(request, pk)
    code = selectors.household_code_active(household=household)
    if code is None:
        return _invalid(request)
    svg = '<?xml version="1.0" encoding="utf-8"?>\n' + selectors.qr_svg(selectors.code_url(code, request))
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Content-Disposition"] = f'inline; filename="household-code-{household.number}.svg"'
    return response


@login_required
def staff_benefits(request, pk: int):
    """The benefit list for staff to print and hand over (same content as the household's)."""
    household = _household(request, pk)
    context = {
        "benefits": selectors.household_benefit_list(household=household, actor=request.user),
        "household": household,
        "head": selectors.household_head(household=household),
        "for_household": False,
    }
    return render(request, "disclosure/benefit_list.html", context)


@login_required
def outbox(request):
    if not selectors.can_view_outbox(request.user):
        raise DjangoPermissionDenied
    page = paginate(request, selectors.outbox_visible_to(request.user), per_page=50)
    return render(request, "disclosure/outbox.html", {"page": page})
