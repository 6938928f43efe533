"""Region navigation: the tree within the user's scope, with household counts."""

from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import render

from zhongfu.registry.selectors import households_visible_to

from .models import Level, Region
from .selectors import region_path, region_search


@login_required
@permission_required("registry.view_household", raise_exception=True)
def browse(request, code: str | None = None):
    prefix = request.user.scope_prefix or "-"
    if code is None:
        # Start at the user's own region: the city sees districts, a street worker its communities.
        code = request.user.region_id if request.user.region and request.user.region.level != Level.CITY else None
    if code is not None and not (code.startswith(prefix) or prefix.startswith(code)):
        raise Http404()
    parent = Region.objects.filter(code=code).first() if code else None
    if code and parent is None:
        raise Http404()
    children = Region.objects.filter(parent_id=code) if code else Region.objects.filter(level=Level.DISTRICT)
    children = [c for c in children if c.code.startswith(prefix) or prefix.startswith(c.code)]
    visible = households_visible_to(request.user).filter(is_active=True)
    counts = {}
    for child in children:
        counts[child.code] = visible.filter(region__code__startswith=child.code).aggregate(
            n=Count("pk"), low=Count("pk", filter=~Q(assistance_class=""))
        )
    rows = [(c, counts[c.code]["n"], counts[c.code]["low"]) for c in children]
    query = request.GET.get("q", "").strip()[:20]
    found = region_search(prefix=prefix, query=query)[:50] if query else []
    return render(
        request,
        "regions/browse.html",
        {"parent": parent, "rows": rows, "path": region_path(parent) if parent else [], "q": query, "found": found},
    )
