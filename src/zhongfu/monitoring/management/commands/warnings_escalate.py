"""`zhongfu warnings_escalate [--date YYYY-MM-DD]`: mark overdue monitoring warnings escalated and tell the
street caseworkers (idempotent per day; `zhongfu daily` runs it)."""

import datetime as dt

from django.core.management.base import BaseCommand

from zhongfu.monitoring.warning_services import warnings_escalate


class Command(BaseCommand):
    help = "Escalate monitoring warnings past their due date and notify the street caseworkers. Safe to repeat."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None, help="the day (default: today)")

    def handle(self, *args, date=None, **options):
        counts = warnings_escalate(date)
        self.stdout.write(f"monitoring warnings: {counts['escalated']} escalated, {counts['notified']} notified")
