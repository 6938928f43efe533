"""Background work of the screening app, run by the worker (`zhongfu db_worker`)."""

from django_tasks import task

from .services import run_execute


@task()
def screening_run_task(run_id: int) -> None:
    """A batch screening or a simulation over every household, with progress on the run row."""
    run_execute(run_id)
