"""Writes of notifications: `notify` (any app may call it), marking as read, and the daily reminders.

`notify` never breaks its caller's work: it writes in the caller's transaction (so a rolled-back change
leaves no notification) and sends email only after that transaction commits; a failing mail server is
logged and the in-app notification stays.
"""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import pgettext

from .models import Notification

log = logging.getLogger(__name__)

TITLE_MAX = 200
BODY_MAX = 500


def recipient_language(user) -> str:
    """The language a user reads email in: their own when the account has one, else the site's default."""
    supported = {code for code, _name in settings.LANGUAGES}
    language = getattr(user, "language", "") or ""
    return language if language in supported else settings.LANGUAGE_CODE


def notify(
    recipients: Iterable,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    object_type: str = "",
    object_id="",
    *,
    params: dict | None = None,
    key: str = "",
    region_code: str | None = None,
    email: bool = True,
) -> list[Notification]:
    """Tell `recipients` (users) that something happened; returns the notifications written.

    `title` and `body` are English msgids (mark them with gettext_noop so they are translated) with
    `%(name)s` placeholders filled from `params` in the reader's language. Nobody gets the same `kind` about
    the same object twice while the first is unread (no flood); with a `key` (e.g. the day of a reminder)
    nobody gets it twice at all, read or not. With `region_code`, anyone whose scope does not cover that
    region is dropped, whatever the caller passed (scope is never widened by a notification)."""
    params = dict(params or {})
    object_id = "" if object_id is None else str(object_id)
    people = {}
    for user in recipients:
        if user is None or not getattr(user, "pk", None) or not user.is_active:
            continue
        if region_code is not None:
            prefix = getattr(user, "scope_prefix", None)
            if prefix is None or not region_code.startswith(prefix):
                continue
        people.setdefault(user.pk, user)
    if not people:
        return []
    same = Notification.objects.filter(recipient_id__in=people, kind=kind, object_type=object_type, object_id=object_id)
    taken = set(same.filter(read_at__isnull=True).values_list("recipient_id", flat=True))
    if key:
        taken |= set(same.filter(key=key).values_list("recipient_id", flat=True))
    rows = [
        Notification(
            recipient_id=pk,
            kind=kind,
            title=title[:TITLE_MAX],
            body=body[:BODY_MAX],
            params=params,
            link=link,
            object_type=object_type,
            object_id=object_id,
            key=key,
        )
        for pk in people
        if pk not in taken
    ]
    if not rows:
        return []
    try:
        # A savepoint: a concurrent run that wrote the same keyed rows first must not poison the caller's
        # transaction (the unique constraint refuses ours, and that is the whole effect).
        with transaction.atomic():
            created = Notification.objects.bulk_create(rows)
    except IntegrityError:
        log.info("notifications of kind %s for %s %s already written", kind, object_type, object_id)
        return []
    if email:
        ids = [n.pk for n in created if n.pk is not None]
        if ids and any(people[n.recipient_id].email for n in created):
            transaction.on_commit(lambda: _send_emails(ids))
    return created


def _render(notification: Notification, language: str) -> tuple[str, str]:
    with translation.override(language):
        title, body = notification.title_text, notification.body_text
        if notification.link:
            base = getattr(settings, "ZHONGFU_PUBLIC_URL", "").rstrip("/")
            body = f"{body}\n\n{pgettext('a notification', 'Open')}: {base}{notification.link}"
    return title, body


def _send_emails(ids: list[int]) -> int:
    """After the commit: one email per notification whose recipient has an address. Never raises."""
    try:
        notifications = list(
            Notification.objects.filter(pk__in=ids, emailed_at__isnull=True)
            .exclude(recipient__email="")
            .select_related("recipient")
        )
        messages, sent_ids = [], []
        for n in notifications:
            title, body = _render(n, recipient_language(n.recipient))
            messages.append((title, body, None, [n.recipient.email]))
            sent_ids.append(n.pk)
        if not messages:
            return 0
        sent = mail.send_mass_mail(messages, fail_silently=False)
        Notification.objects.filter(pk__in=sent_ids).update(emailed_at=timezone.now())
        return sent
    except Exception:
        log.exception("sending notification emails failed (the notifications themselves are kept)")
        return 0


# --- the reader's actions ---------------------------------------------------------------------------------


def notification_mark_read(*, user, notification_id: int) -> Notification:
    """Mark one of the user's own notifications as read; anyone else's is not found."""
    from .selectors import notification_get_for_user

    notification = notification_get_for_user(user=user, notification_id=notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(read_at=timezone.now())


# --- cases (the rules are in rules.py) ---------------------------------------------------------------------


def notify_case(rule, case, *, actor=None, key: str = "", extra: dict | None = None) -> list[Notification]:
    """Tell a rule's audience about a case, never the person who did it, never anyone outside its region."""
    from django.urls import reverse

    from . import rules

    audience = [u for u in rule.audience(case) if actor is None or u.pk != getattr(actor, "pk", None)]
    if not audience:
        return []
    return notify(
        audience,
        rule.kind,
        rule.title,
        rule.body,
        link=reverse("casework:case_detail", args=[case.pk]),
        object_type="case",
        object_id=case.pk,
        params=rules.case_params(case) | (extra or {}),
        key=key,
        region_code=case.household.region_id,
    )


def deadline_reminders(today=None) -> dict:
    """The daily reminders: cases due on the next working day, cases overdue, and cases whose public notice has
    ended (ready for decision). Idempotent per day: running it twice on one day tells nobody twice, and an
    unread reminder about the same case is not repeated (no flood)."""
    from zhongfu.casework.models import Case, CaseStatus, Step
    from zhongfu.workdays.selectors import add_working_days

    from . import rules

    today = today or timezone.localdate()
    next_working_day = add_working_days(today, 1)
    counts = {"due": 0, "overdue": 0, "decision_ready": 0}
    open_work = Case.objects.filter(next_due_on__isnull=False).select_related("household__region")
    for case in open_work.filter(next_due_on__gt=today, next_due_on__lte=next_working_day).order_by("pk"):
        extra = {"due": case.next_due_on.isoformat()}
        counts["due"] += len(notify_case(rules.DUE_TOMORROW, case, key=today.isoformat(), extra=extra))
    for case in open_work.filter(next_due_on__lt=today).order_by("pk"):
        extra = {"due": case.next_due_on.isoformat()}
        counts["overdue"] += len(notify_case(rules.OVERDUE, case, key=today.isoformat(), extra=extra))
    ended = Case.objects.filter(
        status=CaseStatus.OPEN, step=Step.PUBLIC_NOTICE, notice_ends_on__lt=today
    ).select_related("household__region")
    for case in ended.order_by("pk"):
        if case.objections.filter(notice_round=case.notice_round, handled=False).exists():
            continue  # the objection comes first; the workers were told of it
        key = f"round-{case.notice_round}"
        counts["decision_ready"] += len(notify_case(rules.DECISION_READY, case, key=key))
    return counts
