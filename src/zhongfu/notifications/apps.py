from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """In-app notifications (and email through Django's email backend) for the people a change concerns."""

    name = "zhongfu.notifications"
    label = "notifications"

    def ready(self):
        from . import signals  # noqa: F401  (receivers for other apps' events)
