"""`zhongfu inquiries_overdue [--date YYYY-MM-DD]`: tell each unit's bookkeepers how many donor questions are
open past their due date (idempotent per day; for `zhongfu daily`)."""

import datetime as dt

from django.core.management.base import BaseCommand

from zhongfu.funds.inquiries import inquiries_overdue_notify


class Command(BaseCommand):
    help = "Notify the bookkeepers of units whose donors' questions are past their due date. Safe to repeat."

    def add_arguments(self, parser):
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None, help="the day (default: today)")

    def handle(self, *args, date=None, **options):
        counts = inquiries_overdue_notify(date)
        self.stdout.write(
            f"donor inquiries: {counts['units']} units with overdue questions, {counts['notified']} notified"
        )
