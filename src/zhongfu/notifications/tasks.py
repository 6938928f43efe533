"""Background work of the notifications app, run by the worker (`zhongfu db_worker`)."""

import datetime as dt

from django_tasks import task

from .services import deadline_reminders


@task()
def deadline_reminders_task(day: str | None = None) -> dict:
    """The daily reminders (see services.deadline_reminders); `day` is an ISO date, today when empty."""
    return deadline_reminders(dt.date.fromisoformat(day) if day else None)
