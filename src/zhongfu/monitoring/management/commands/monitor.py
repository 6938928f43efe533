"""`zhongfu monitor [--as-of YYYY-MM-DD] [--now]`: a monitoring run of every household, as the system, so cron
can schedule the overnight run the departments' monthly data call for. Queued for the worker by default (its
progress on the runs page); --now runs it in this process. One run at a time, as from the page."""

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from zhongfu.common.errors import DomainError
from zhongfu.monitoring.models import MonitoringRun, RunStatus
from zhongfu.monitoring.runs import monitoring_run_start, run_execute


class Command(BaseCommand):
    help = (
        "Score every household, screen every policy and raise warnings (a monitoring run, as the system). "
        "Queued for the worker by default, so cron can schedule it; --now runs it in this process."
    )

    def add_arguments(self, parser):
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None, help="evaluation date (YYYY-MM-DD)")
        parser.add_argument("--now", action="store_true", help="run here instead of queueing for the worker")

    def handle(self, *args, as_of=None, now=False, **options):
        try:
            with transaction.atomic():
                run = monitoring_run_start(actor=None, as_of=as_of)
        except DomainError as e:
            raise CommandError(str(e)) from e
        if not now:
            self.stdout.write(f"monitoring run {run.pk} queued for the worker")
            return
        started = time.perf_counter()
        run_execute(run.pk)
        run = MonitoringRun.objects.get(pk=run.pk)
        if run.status != RunStatus.DONE:
            raise CommandError(f"monitoring run {run.pk} failed: {run.error}")
        raised = {kind: figures["raised"] for kind, figures in run.summary.items()}
        self.stdout.write(
            f"monitoring run {run.pk}: {run.households} households in {time.perf_counter() - started:.1f} s; "
            f"warnings raised {raised}"
        )
