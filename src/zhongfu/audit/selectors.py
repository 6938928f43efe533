"""Reads of the audit log, within the reader's region scope."""

from django.db.models import QuerySet

from .models import AuditEntry


def audit_entries_for_household(*, household) -> QuerySet[AuditEntry]:
    """The history of a household. Takes the household object, which the caller can only have
    obtained through a scoped selector (e.g. registry's household_get_for_user), never a bare id."""
    return AuditEntry.objects.filter(household_id=household.pk).select_related("actor").order_by("-seq")


def audit_entries_for_user(*, user, object_type: str = "", action: str = "") -> QuerySet[AuditEntry]:
    prefix = user.scope_prefix
    if prefix is None or not user.has_perm("audit.view_auditentry"):
        return AuditEntry.objects.none()
    qs = AuditEntry.objects.filter(region_code__startswith=prefix)
    if len(prefix) <= 4:  # the city sees entries with no region too (logins of city staff, demo runs)
        qs = AuditEntry.objects.all()
    if object_type:
        qs = qs.filter(object_type=object_type)
    if action:
        qs = qs.filter(action=action)
    return qs.select_related("actor").order_by("-seq")
