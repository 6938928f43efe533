"""`zhongfu funds_recurring [--today YYYY-MM-DD]`: make the payment orders of recurring gifts falling due (for
cron, daily; `zhongfu daily` runs it). At most one order per instruction and month, so running it again
makes nothing new."""

import datetime as dt

from django.core.management.base import BaseCommand

from zhongfu.funds import pledges


class Command(BaseCommand):
    help = "Make this month's payment orders of the recurring gifts whose day has come. Safe to run repeatedly."

    def add_arguments(self, parser):
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None, help="the day to act as (YYYY-MM-DD)")

    def handle(self, *args, **options):
        made = pledges.recurring_charges_make(today=options["today"])
        self.stdout.write(f"recurring gifts: {len(made)} payment orders made")
