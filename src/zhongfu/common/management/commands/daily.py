"""`zhongfu daily`: the day's routine jobs in one command, for cron (and run once by `make run` at start).

Each job is idempotent for the day, so running this twice, or after a missed day, does no harm: the
periodic reviews falling due (enrolment), the deadline reminders (notifications), the escalation of
overdue monitoring warnings, the payment orders of recurring gifts falling due and the notice of donors'
questions past their deadline (funds).
"""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run the daily jobs: periodic reviews falling due, deadline reminders, overdue warnings escalated, "
        "recurring gifts' payment orders, overdue donor questions. "
        "Safe to run repeatedly."
    )

    def handle(self, *args, **options):
        call_command("reviews_generate", stdout=self.stdout)
        call_command("notifications", "reminders", stdout=self.stdout)
        call_command("warnings_escalate", stdout=self.stdout)
        call_command("funds_recurring", stdout=self.stdout)
        call_command("inquiries_overdue", stdout=self.stdout)
