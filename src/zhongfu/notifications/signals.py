"""Receivers of other apps' events that notify people (the table of who is told what is rules.py).

They run inside the writer's transaction, in a savepoint: a rolled-back step leaves no notification, and a
failure here is logged and never undoes or breaks the step itself.
"""

import logging

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from zhongfu.casework.models import CaseEvent, Step

from . import rules
from .services import notify_case

log = logging.getLogger(__name__)


@receiver(post_save, sender=CaseEvent, dispatch_uid="notifications.case_event")
def case_event_saved(sender, instance: CaseEvent, created: bool, raw: bool = False, **kwargs):
    if not created or raw:
        return
    try:
        with transaction.atomic():
            case_event_notify(instance)
    except Exception:
        log.exception("notifying case event %s (%s) failed", instance.pk, instance.action)


def case_event_notify(event: CaseEvent) -> None:
    case = event.case
    rule = rules.EVENT_RULES.get(event.action)
    if rule is not None:
        notify_case(rule, case, actor=event.actor)
    # A procedure without a public notice reaches the decision step through an event; after a notice the
    # daily job tells the deciders once it has ended.
    if case.step == Step.DECISION and not event.action.startswith("decide"):
        notify_case(rules.DECISION_READY, case, actor=event.actor, key=f"round-{case.notice_round}")
