"""Background work of the audit app, run by the worker (`zhongfu db_worker`)."""

from django_tasks import task

from .services import audit_verify


@task()
def audit_verify_task() -> dict:
    """Verifying a long chain takes a while (about 1 s per 100,000 entries), so it runs outside the request."""
    result = audit_verify()
    return {"checked": result.checked, "broken_at": result.broken_at, "problem": result.problem}
