"""In-app notifications: one row per recipient and message.

`title` and `body` hold English msgids and `params` the values put into them, so each reader sees the
message in their own language (the page's language in the app, the recipient's language in an email).
Bodies carry no personal data beyond masked names: a notification is read on shared screens and in
mailboxes outside the government network.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    # What happened, e.g. "case_opened": the de-duplication and the rules table use it.
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.CharField(_("text"), max_length=500, blank=True)
    params = models.JSONField(default=dict, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # Set for messages that must go out once per occasion even after the first was read (a reminder per
    # day, a decision per notice round); empty otherwise.
    key = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The badge and the list: a user's unread, newest first.
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notif_user_unread"),
            models.Index(fields=["kind", "object_type", "object_id"], name="notif_object"),
        ]
        constraints = [
            # One message per occasion, even when two workers of the daily job overlap.
            models.UniqueConstraint(
                fields=["recipient", "kind", "object_type", "object_id", "key"],
                condition=~Q(key=""),
                name="notif_once_per_key",
            )
        ]

    def __str__(self) -> str:
        return self.title_text

    def _params(self) -> dict:
        """Values kept in both languages ({"zh": …, "en": …}, e.g. a policy name) in the reader's language."""
        lang = "zh" if (get_language() or "zh").lower().startswith("zh") else "en"
        return {
            k: (str(v.get(lang) or v.get("zh") or "") if isinstance(v, dict) else v) for k, v in self.params.items()
        }

    def _render(self, msgid: str) -> str:
        if not msgid:
            return ""
        text = gettext(msgid)
        if not self.params:
            return text
        params = self._params()
        for candidate in (text, msgid):
            try:
                return candidate % params
            except (KeyError, TypeError, ValueError):
                # A translation with a broken placeholder must not break the bell for everyone.
                continue
        return msgid

    @property
    def title_text(self) -> str:
        return self._render(self.title)

    @property
    def body_text(self) -> str:
        return self._render(self.body)

    @property
    def unread(self) -> bool:
        return self.read_at is None
