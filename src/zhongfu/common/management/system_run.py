"""The shape of a command that starts a batch run as the system, so cron can schedule it (`zhongfu screen`,
`zhongfu monitor`): queued for the worker by default, or run in this process with --now; one run at a time,
as from the page."""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from zhongfu.common.errors import DomainError


class SystemRunCommand(BaseCommand):
    """A subclass names the run (`label`) and gives `start(as_of)` (the service that opens it, as the
    system), `run_now(pk)` (what the worker runs; BaseCommand has its own `execute`), `reload(pk)`,
    `done(run)` and `report(run)`."""

    label = "run"

    def start(self, as_of):
        raise NotImplementedError

    def run_now(self, pk) -> None:
        raise NotImplementedError

    def reload(self, pk):
        raise NotImplementedError

    def done(self, run) -> bool:
        raise NotImplementedError

    def report(self, run) -> str:
        raise NotImplementedError

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None, help="evaluation date (YYYY-MM-DD)")
        parser.add_argument("--now", action="store_true", help="run here instead of queueing for the worker")

    def handle(self, *args, as_of=None, now=False, **options):
        try:
            with transaction.atomic():
                run = self.start(as_of)
        except DomainError as e:
            raise CommandError(str(e)) from e
        if not now:
            self.stdout.write(f"{self.label} {run.pk} queued for the worker")
            return
        started = time.perf_counter()
        self.run_now(run.pk)
        run = self.reload(run.pk)
        if not self.done(run):
            raise CommandError(f"{self.label} {run.pk} failed: {run.error}")
        self.stdout.write(f"{self.label} {run.pk}: {self.report(run)} in {time.perf_counter() - started:.1f} s")
