"""`zhongfu monitor [--as-of YYYY-MM-DD] [--now]`: a monitoring run of every household, as the system, so cron
can schedule the overnight run the departments' monthly data call for. Queued for the worker by default (its
progress on the runs page); --now runs it in this process. One run at a time, as from the page."""

from zhongfu.common.management.system_run import SystemRunCommand
from zhongfu.monitoring.models import MonitoringRun, RunStatus
from zhongfu.monitoring.runs import monitoring_run_start, run_execute


class Command(SystemRunCommand):
    help = (
        "Score every household, screen every policy and raise warnings (a monitoring run, as the system). "
        "Queued for the worker by default, so cron can schedule it; --now runs it in this process."
    )
    label = "monitoring run"

    def start(self, as_of):
        return monitoring_run_start(actor=None, as_of=as_of)

    def run_now(self, pk):
        run_execute(pk)

    def reload(self, pk):
        return MonitoringRun.objects.get(pk=pk)

    def done(self, run):
        return run.status == RunStatus.DONE

    def report(self, run):
        raised = {kind: figures["raised"] for kind, figures in run.summary.items()}
        return f"{run.households} households, warnings raised {raised},"
