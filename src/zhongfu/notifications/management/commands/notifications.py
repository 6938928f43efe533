import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from zhongfu.notifications.services import deadline_reminders


class Command(BaseCommand):
    help = (
        "Notification tools. `zhongfu notifications reminders [--day YYYY-MM-DD]` tells the workers in scope of "
        "each case due on the next working day or overdue, and the deciders of each case whose notice ended. "
        "Run it once a day (cron or the task `deadline_reminders_task`); running it again the same day tells "
        "nobody twice. `--enqueue` hands it to the background worker instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["reminders"])
        parser.add_argument("--day", help="the day to remind for (default: today)")
        parser.add_argument("--enqueue", action="store_true", help="run it in the background worker")

    def handle(self, *args, **options):
        day = None
        if options["day"]:
            try:
                day = dt.date.fromisoformat(options["day"])
            except ValueError:
                raise CommandError("--day must be a date, YYYY-MM-DD") from None
        if options["enqueue"]:
            from zhongfu.notifications.tasks import deadline_reminders_task

            result = deadline_reminders_task.enqueue(day.isoformat() if day else None)
            self.stdout.write(f"queued: {result.id}")
            return
        counts = deadline_reminders(day)
        self.stdout.write(
            f"reminders: {counts['due']} due, {counts['overdue']} overdue, "
            f"{counts['decision_ready']} ready for decision"
        )
