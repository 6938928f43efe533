"""`zhongfu reviews_generate [--today YYYY-MM-DD]`: create the periodic reviews falling due (for cron, daily)."""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from zhongfu.enrolment.services import reviews_generate


class Command(BaseCommand):
    help = "Create the periodic reviews of enrolled cases that fall due within 30 days. Safe to run repeatedly."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="the date to generate for (default: today)")

    def handle(self, *args, **options):
        today = None
        if options["today"]:
            try:
                today = dt.date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError("--today takes a date as YYYY-MM-DD") from None
        created = reviews_generate(today=today)
        self.stdout.write(f"{created} reviews created")
