from zhongfu.common.management.system_run import SystemRunCommand
from zhongfu.screening.models import RunStatus, ScreeningRun
from zhongfu.screening.services import run_execute, screening_run_start


class Command(SystemRunCommand):
    help = (
        "Screen every active household against every approved policy (a batch run, as the system). "
        "Queued for the worker by default, so cron can schedule it; --now runs it in this process."
    )
    label = "screening run"

    def start(self, as_of):
        return screening_run_start(actor=None, as_of=as_of)

    def run_now(self, pk):
        run_execute(pk)

    def reload(self, pk):
        return ScreeningRun.objects.get(pk=pk)

    def done(self, run):
        return run.status == RunStatus.DONE

    def report(self, run):
        eligible = sum(row["eligible"] for row in run.summary.values())
        return f"{run.households} households × {len(run.summary)} policies, {eligible} eligible determinations,"
