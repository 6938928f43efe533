"""Background work of the monitoring app, run by the worker (`zhongfu db_worker`)."""

from django_tasks import task

from .runs import run_execute


@task()
def monitoring_run_task(run_id: int) -> None:
    """A monitoring run over every household, with progress on the run row."""
    run_execute(run_id)
