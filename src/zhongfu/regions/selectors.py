"""Reads of the region tree."""

from django.db.models import QuerySet

from zhongfu.common.errors import NotFound

from .models import IssuingCode, Level, Region


def region_get(code: str) -> Region:
    try:
        return Region.objects.get(code=code)
    except Region.DoesNotExist:
        raise NotFound() from None


def region_children(code: str | None) -> QuerySet[Region]:
    """Children of a region; the districts of the city when code is None."""
    if code is None:
        return Region.objects.filter(level=Level.DISTRICT)
    return Region.objects.filter(parent_id=code)


def region_within(prefix: str) -> QuerySet[Region]:
    """Every region whose code starts with the prefix (a scope is a code prefix)."""
    return Region.objects.filter(code__startswith=prefix)


def region_path(region: Region) -> list[Region]:
    """From the district down to the region itself, for breadcrumbs."""
    codes = [region.code[:n] for n in (6, 9, 12) if len(region.code) >= n]
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [found[c] for c in codes if c in found]


def issuing_code_exists(code: str) -> bool:
    """Whether an ID number may begin with this six-digit code (current or abolished county code)."""
    return IssuingCode.objects.filter(code=code).exists()


def region_search(*, prefix: str, query: str) -> QuerySet[Region]:
    """Regions inside a scope prefix whose code starts with the query, or whose name contains it."""
    qs = region_within(prefix)
    if query.isdigit():
        return qs.filter(code__startswith=query)
    return qs.filter(name__contains=query)
