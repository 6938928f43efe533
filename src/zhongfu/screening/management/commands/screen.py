import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from zhongfu.common.errors import DomainError
from zhongfu.screening.models import RunStatus, ScreeningRun
from zhongfu.screening.services import run_execute, screening_run_start


class Command(BaseCommand):
    help = (
        "Screen every active household against every approved policy (a batch run, as the system). "
        "Queued for the worker by default, so cron can schedule it; --now runs it in this process."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None, help="evaluation date (YYYY-MM-DD)")
        parser.add_argument("--now", action="store_true", help="run here instead of queueing for the worker")

    def handle(self, *args, as_of=None, now=False, **options):
        try:
            with transaction.atomic():
                run = screening_run_start(actor=None, as_of=as_of)
        except DomainError as e:
            raise CommandError(str(e)) from e
        if not now:
            self.stdout.write(f"screening run {run.pk} queued for the worker")
            return
        started = time.perf_counter()
        run_execute(run.pk)
        run = ScreeningRun.objects.get(pk=run.pk)
        if run.status != RunStatus.DONE:
            raise CommandError(f"screening run {run.pk} failed: {run.error}")
        eligible = sum(row["eligible"] for row in run.summary.values())
        self.stdout.write(
            f"screening run {run.pk}: {run.households} households × {len(run.summary)} policies "
            f"in {time.perf_counter() - started:.1f} s; {eligible} eligible determinations"
        )
