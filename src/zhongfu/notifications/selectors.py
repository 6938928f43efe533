"""Reads of notifications: a user only ever reads their own."""

from django.db.models import Case, IntegerField, QuerySet, Value, When

from zhongfu.common.errors import NotFound

from .models import Notification


def notifications_for(user, *, unread: bool | None = None) -> QuerySet[Notification]:
    """The user's notifications, unread first, then newest first."""
    qs = Notification.objects.filter(recipient_id=user.pk)
    if unread is True:
        qs = qs.filter(read_at__isnull=True)
    elif unread is False:
        qs = qs.filter(read_at__isnull=False)
    unread_first = Case(When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField())
    return qs.order_by(unread_first, "-created_at", "-id")


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def notification_get_for_user(*, user, notification_id: int) -> Notification:
    """One of the user's own notifications; another user's is not found, exactly like a missing one."""
    notification = Notification.objects.filter(pk=notification_id, recipient_id=user.pk).first()
    if notification is None:
        raise NotFound()
    return notification
