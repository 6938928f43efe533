"""The bell (an HTMX-polled fragment for the navbar) and the list of one's own notifications. Thin: each
view calls one selector or service and renders."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from zhongfu.common.errors import NotFound

from . import selectors, services

PAGE_SIZE = 30


@require_GET
def badge(request):
    """The navbar bell with the unread count; empty for a visitor who is not logged in (the page polls it)."""
    if not request.user.is_authenticated:
        return HttpResponse("")
    return render(request, "notifications/_badge.html", {"unread": selectors.unread_count(request.user)})


@login_required
@require_GET
def notification_list(request):
    page = Paginator(selectors.notifications_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {"page": page, "unread": selectors.unread_count(request.user)},
    )


@login_required
@require_POST
def notification_read(request, notification_id: int):
    """Mark one as read; with `open`, go on to what it is about (the link is always a path on this site)."""
    try:
        notification = services.notification_mark_read(user=request.user, notification_id=notification_id)
    except NotFound:
        raise Http404() from None
    if request.POST.get("open") and notification.link and _safe(request, notification.link):
        return redirect(notification.link)
    return redirect("notifications:list")


@login_required
@require_POST
def notification_read_all(request):
    services.notifications_mark_all_read(user=request.user)
    return redirect("notifications:list")


def _safe(request, url: str) -> bool:
    return url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})
